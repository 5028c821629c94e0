/*
 * ctl_output.c: text and JSON printers for cohortctl.
 */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "ctl_output.h"

/* "2026-11-26T01:02:03.456Z" */
static void
fmt_time(char *buf, size_t len, uint64_t ms)
{
	struct tm	tm;
	time_t		t = (time_t)(ms / 1000);
	char		tmp[32];

	if (ms == 0 || gmtime_r(&t, &tm) == NULL) {
		strlcpy(buf, "-", len);
		return;
	}
	strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03uZ", tmp, (unsigned int)(ms % 1000));
}

static void
fmt_rtt(char *buf, size_t len, uint64_t us)
{
	if (us == 0)
		strlcpy(buf, "-", len);
	else if (us < 10000)
		snprintf(buf, len, "%" PRIu64 "us", us);
	else
		snprintf(buf, len, "%" PRIu64 "ms", us / 1000);
}

static void
text_members_head(FILE *fp)
{
	fprintf(fp, "%-16s %-24s %5s %-8s %8s %-16s %s\n", "ID", "ADDRESS",
	    "PORT", "STATE", "RTT", "INCARNATION", "SINCE");
}

static void
text_member(FILE *fp, const struct cohort_member *m)
{
	char	rtt[32], since[40];

	fmt_rtt(rtt, sizeof(rtt), m->rtt_us);
	fmt_time(since, sizeof(since), m->since_ms);
	fprintf(fp, "%-16s %-24s %5u %-8s %8s %-16" PRIu64 " %s\n", m->id,
	    m->address, m->port, cohort_state_name(m->state), rtt,
	    m->incarnation, since);
}

static void
text_event(FILE *fp, const struct cohort_event *e)
{
	char	when[40];

	fmt_time(when, sizeof(when), e->time_ms);
	fprintf(fp, "%s %s %s -> %s (incarnation %" PRIu64 ")\n", when,
	    e->node, cohort_state_name(e->prev_state),
	    cohort_state_name(e->state), e->incarnation);
}

void
ctl_json_string(FILE *fp, const char *s, size_t len)
{
	size_t	i;

	fputc('"', fp);
	for (i = 0; i < len; i++) {
		unsigned char	ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\')
			fprintf(fp, "\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", fp);
		else if (ch == '\t')
			fputs("\\t", fp);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(fp, "\\u%04x", ch);
		else
			fputc(ch, fp);
	}
	fputc('"', fp);
}

static void
json_members_head(FILE *fp)
{
	(void)fp;
}

static void
json_member(FILE *fp, const struct cohort_member *m)
{
	fputs("{\"id\":", fp);
	ctl_json_string(fp, m->id, strlen(m->id));
	fputs(",\"address\":", fp);
	ctl_json_string(fp, m->address, strlen(m->address));
	fprintf(fp, ",\"port\":%u,\"state\":\"%s\",\"rtt_us\":%" PRIu64
	    ",\"incarnation\":%" PRIu64 ",\"since_ms\":%" PRIu64 "}\n",
	    m->port, cohort_state_name(m->state), m->rtt_us, m->incarnation,
	    m->since_ms);
}

static void
json_event(FILE *fp, const struct cohort_event *e)
{
	fputs("{\"node\":", fp);
	ctl_json_string(fp, e->node, strlen(e->node));
	fprintf(fp, ",\"state\":\"%s\",\"prev_state\":\"%s\",\"incarnation\":%"
	    PRIu64 ",\"time_ms\":%" PRIu64 "}\n", cohort_state_name(e->state),
	    cohort_state_name(e->prev_state), e->incarnation, e->time_ms);
}

const struct ctl_output ctl_output_text = {
	text_members_head, text_member, text_event
};

const struct ctl_output ctl_output_json = {
	json_members_head, json_member, json_event
};
