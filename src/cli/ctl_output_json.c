/*
 * ctl_output_json.c: cohortctl --json: each item one JSON object on a
 * line of its own.
 */
#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "ctl_output.h"

/* A JSON string literal, quotes included, for any bytes. */
static void
json_string(FILE *fp, const char *s, size_t len)
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

/* ,"key":"value" for a C string. */
static void
json_key_string(FILE *fp, const char *key, const char *s)
{
	fprintf(fp, ",\"%s\":", key);
	json_string(fp, s, strlen(s));
}

/* Is it well-formed UTF-8 (no overlongs, surrogates or NULs)? */
static int
utf8_valid(const unsigned char *s, size_t len)
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

static void
base64(FILE *fp, const unsigned char *s, size_t len)
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

/* The body as text when it is UTF-8, else in base64. */
static void
json_msg(FILE *fp, const struct cohort_msg *m)
{
	fputs("{\"from\":", fp);
	json_string(fp, m->origin, strlen(m->origin));
	json_key_string(fp, "subject", m->subject);
	if (utf8_valid(m->data, m->len)) {
		fputs(",\"data\":", fp);
		json_string(fp, m->data, m->len);
	} else {
		fputs(",\"data_b64\":", fp);
		base64(fp, m->data, m->len);
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
	json_string(fp, m->id, strlen(m->id));
	json_key_string(fp, "address", m->address);
	fprintf(fp, ",\"port\":%u,\"state\":\"%s\",\"rtt_us\":%" PRIu64
	    ",\"incarnation\":%" PRIu64 ",\"since_ms\":%" PRIu64 "}\n",
	    m->port, cohort_state_name(m->state), m->rtt_us, m->incarnation,
	    m->since_ms);
}

static void
json_event(FILE *fp, const struct cohort_event *e)
{
	fputs("{\"node\":", fp);
	json_string(fp, e->node, strlen(e->node));
	fprintf(fp, ",\"state\":\"%s\",\"prev_state\":\"%s\",\"incarnation\":%"
	    PRIu64 ",\"time_ms\":%" PRIu64 "}\n", cohort_state_name(e->state),
	    cohort_state_name(e->prev_state), e->incarnation, e->time_ms);
}

static void
json_section(FILE *fp, const struct cohort_stat *st, size_t n)
{
	size_t	i;

	fputs("{\"section\":", fp);
	json_string(fp, st[0].section, strlen(st[0].section));
	json_key_string(fp, "name", st[0].name);
	for (i = 0; i < n; i++) {
		fputc(',', fp);
		json_string(fp, st[i].key, strlen(st[i].key));
		if (strcmp(st[i].key, "state") == 0)
			fprintf(fp, ":\"%s\"", cohort_state_name(
			    (enum cohort_state)st[i].value));
		else
			fprintf(fp, ":%" PRIu64, st[i].value);
	}
	fputs("}\n", fp);
}

static void
json_stats(FILE *fp, const struct cohort_stat *st, size_t n)
{
	ctl_stats_sections(fp, st, n, json_section);
}

/* The head is in every row (time_ms): nothing of its own. */
static void
json_top_head(FILE *fp, const struct ctl_top_head *h)
{
	(void)fp;
	(void)h;
}

/* ,"key":N, or null when not known. */
static void
json_key_number(FILE *fp, const char *key, int known, uint64_t v)
{
	if (known)
		fprintf(fp, ",\"%s\":%" PRIu64, key, v);
	else
		fprintf(fp, ",\"%s\":null", key);
}

static void
json_top_row(FILE *fp, const struct ctl_top_head *h,
    const struct ctl_top_row *r)
{
	fprintf(fp, "{\"time_ms\":%" PRIu64, h->time_ms);
	json_key_string(fp, "id", r->m->id);
	fprintf(fp, ",\"state\":\"%s\",\"rtt_us\":%" PRIu64,
	    cohort_state_name(r->m->state), r->m->rtt_us);
	json_key_number(fp, "in_per_s", r->has_rates, r->in_per_s);
	json_key_number(fp, "out_per_s", r->has_rates, r->out_per_s);
	json_key_number(fp, "queue_bytes", r->has_queue, r->queue_bytes);
	json_key_number(fp, "queue_limit", r->queue_limit > 0,
	    r->queue_limit);
	fputs("}\n", fp);
}

const struct ctl_output ctl_output_json = {
	.members_head =	json_members_head,
	.member =	json_member,
	.event =	json_event,
	.stats =	json_stats,
	.msg =		json_msg,
	.reply =	json_msg,
	.top_head =	json_top_head,
	.top_row =	json_top_row,
};
