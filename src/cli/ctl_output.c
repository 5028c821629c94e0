/*
 * ctl_output.c: cohortctl's text printers, for people.
 */
#include <inttypes.h>
#include <stdint.h>
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
ctl_stats_sections(FILE *fp, const struct cohort_stat *st, size_t n,
    void (*fn)(FILE *, const struct cohort_stat *, size_t))
{
	size_t	i, j;

	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n; j++)
			if (strcmp(st[j].section, st[i].section) != 0 ||
			    strcmp(st[j].name, st[i].name) != 0)
				break;
		fn(fp, &st[i], j - i);
	}
}

static void
text_section(FILE *fp, const struct cohort_stat *st, size_t n)
{
	size_t	i;

	fprintf(fp, "%s %s\n", st[0].section, st[0].name);
	for (i = 0; i < n; i++) {
		if (strcmp(st[i].key, "state") == 0)
			fprintf(fp, "  %-24s %s\n", st[i].key,
			    cohort_state_name((enum cohort_state)st[i].value));
		else
			fprintf(fp, "  %-24s %" PRIu64 "\n", st[i].key,
			    st[i].value);
	}
}

static void
text_stats(FILE *fp, const struct cohort_stat *st, size_t n)
{
	ctl_stats_sections(fp, st, n, text_section);
}

/* Text: "origin subject body"; the body as it is, then a newline. */
static void
text_msg(FILE *fp, const struct cohort_msg *m)
{
	fprintf(fp, "%s %s ", m->origin, m->subject);
	fwrite(m->data, 1, m->len, fp);
	fputc('\n', fp);
}

/* A reply is its body, nothing added. */
static void
text_reply(FILE *fp, const struct cohort_msg *m)
{
	fwrite(m->data, 1, m->len, fp);
}

const struct ctl_output ctl_output_text = {
	.members_head =	text_members_head,
	.member =	text_member,
	.event =	text_event,
	.stats =	text_stats,
	.msg =		text_msg,
	.reply =	text_reply,
};
