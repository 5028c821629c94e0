/*
 * ctl_output.c: text and JSON printers for cohortctl.
 */
#include <inttypes.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "common/counters.h"
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

static void
text_stats(FILE *fp, const struct cohort_stat *st, size_t n)
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

int
ctl_utf8_valid(const unsigned char *s, size_t len)
{
	size_t		i = 0, n, k;
	uint32_t	cp, min;

	while (i < len) {
		if (s[i] == 0)
			return (0);
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			n = 1; cp = s[i] & 0x1f; min = 0x80;
		} else if ((s[i] & 0xf0) == 0xe0) {
			n = 2; cp = s[i] & 0x0f; min = 0x800;
		} else if ((s[i] & 0xf8) == 0xf0) {
			n = 3; cp = s[i] & 0x07; min = 0x10000;
		} else
			return (0);
		if (len - i <= n)
			return (0);
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return (0);
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return (0);
		i += n + 1;
	}
	return (1);
}

void
ctl_base64(FILE *fp, const unsigned char *s, size_t len)
{
	static const char	tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t			i;
	uint32_t		v;

	fputc('"', fp);
	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
		fputc(tbl[v >> 18], fp);
		fputc(tbl[(v >> 12) & 63], fp);
		fputc(tbl[(v >> 6) & 63], fp);
		fputc(tbl[v & 63], fp);
	}
	if (len - i == 1) {
		v = (uint32_t)s[i] << 16;
		fprintf(fp, "%c%c==", tbl[v >> 18], tbl[(v >> 12) & 63]);
	} else if (len - i == 2) {
		v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
		fprintf(fp, "%c%c%c=", tbl[v >> 18], tbl[(v >> 12) & 63],
		    tbl[(v >> 6) & 63]);
	}
	fputc('"', fp);
}

/* Text: "origin subject body"; the body as it is, then a newline. */
static void
text_msg(FILE *fp, const struct cohort_msg *m)
{
	fprintf(fp, "%s %s ", m->origin, m->subject);
	fwrite(m->data, 1, m->len, fp);
	fputc('\n', fp);
}

static void
json_msg(FILE *fp, const struct cohort_msg *m)
{
	fputs("{\"from\":", fp);
	ctl_json_string(fp, m->origin, strlen(m->origin));
	fputs(",\"subject\":", fp);
	ctl_json_string(fp, m->subject, strlen(m->subject));
	if (ctl_utf8_valid(m->data, m->len)) {
		fputs(",\"data\":", fp);
		ctl_json_string(fp, m->data, m->len);
	} else {
		fputs(",\"data_b64\":", fp);
		ctl_base64(fp, m->data, m->len);
	}
	fputs("}\n", fp);
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

static void
json_stats(FILE *fp, const struct cohort_stat *st, size_t n)
{
	size_t	i;

	fputs("{\"section\":", fp);
	ctl_json_string(fp, st[0].section, strlen(st[0].section));
	fputs(",\"name\":", fp);
	ctl_json_string(fp, st[0].name, strlen(st[0].name));
	for (i = 0; i < n; i++) {
		fputc(',', fp);
		ctl_json_string(fp, st[i].key, strlen(st[i].key));
		if (strcmp(st[i].key, "state") == 0)
			fprintf(fp, ":\"%s\"", cohort_state_name(
			    (enum cohort_state)st[i].value));
		else
			fprintf(fp, ":%" PRIu64, st[i].value);
	}
	fputs("}\n", fp);
}

/*
 * Prometheus text exposition: cohort_<key>{node=...} for the daemon,
 * cohort_peer_<key>{node=...,peer=...} per peer (so no daemon key may be
 * "peer_" and a peer key: t-ctl checks).  Kinds and help text come from
 * the one list of statistics, src/common/counters.h.
 */

/* One metric family: every sample of (section, key), TYPE line first. */
static void
prom_family(FILE *fp, const struct cohort_stat *st, size_t n, size_t first,
    const char *node)
{
	const char	*sec = st[first].section, *key = st[first].key;
	const char	*help;
	int		 peer = strcmp(sec, "peer") == 0;
	size_t		 i;

	if ((help = counters_help(key)) != NULL)
		fprintf(fp, "# HELP cohort_%s%s %s\n", peer ? "peer_" : "",
		    key, help);
	fprintf(fp, "# TYPE cohort_%s%s %s\n", peer ? "peer_" : "", key,
	    counters_is_gauge(key) ? "gauge" : "counter");
	for (i = first; i < n; i++) {
		if (strcmp(st[i].section, sec) != 0 ||
		    strcmp(st[i].key, key) != 0)
			continue;
		if (peer)
			fprintf(fp, "cohort_peer_%s{node=\"%s\",peer=\"%s\"} "
			    "%" PRIu64 "\n", key, node, st[i].name,
			    st[i].value);
		else
			fprintf(fp, "cohort_%s{node=\"%s\"} %" PRIu64 "\n",
			    key, node, st[i].value);
	}
}

void
ctl_prometheus(FILE *fp, const struct cohort_stat *st, size_t n)
{
	const char	*node = "";
	size_t		 i, j;
	int		 seen;

	for (i = 0; i < n; i++)
		if (strcmp(st[i].section, "daemon") == 0) {
			node = st[i].name;
			break;
		}
	/* Each family once, where its key first appears. */
	for (i = 0; i < n; i++) {
		for (j = 0, seen = 0; j < i && !seen; j++)
			seen = strcmp(st[j].section, st[i].section) == 0 &&
			    strcmp(st[j].key, st[i].key) == 0;
		if (!seen)
			prom_family(fp, st, n, i, node);
	}
}

const struct ctl_output ctl_output_text = {
	text_members_head, text_member, text_event, text_stats, text_msg
};

const struct ctl_output ctl_output_json = {
	json_members_head, json_member, json_event, json_stats, json_msg
};
