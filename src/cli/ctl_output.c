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

/* 812B, 64K, 12M: bytes in at most four digits and a unit. */
static void
fmt_bytes(char *buf, size_t len, uint64_t n)
{
	if (n < 10000)
		snprintf(buf, len, "%" PRIu64 "B", n);
	else if (n < 10000 * 1024)
		snprintf(buf, len, "%" PRIu64 "K", n / 1024);
	else
		snprintf(buf, len, "%" PRIu64 "M", n / (1024 * 1024));
}

static void
top_id(char *buf, size_t len, const struct ctl_top_row *r)
{
	strlcpy(buf, r->m->id, len);
}

static void
top_state(char *buf, size_t len, const struct ctl_top_row *r)
{
	strlcpy(buf, cohort_state_name(r->m->state), len);
}

static void
top_rtt(char *buf, size_t len, const struct ctl_top_row *r)
{
	fmt_rtt(buf, len, r->m->rtt_us);
}

static void
fmt_rate(char *buf, size_t len, int known, uint64_t v)
{
	if (known)
		snprintf(buf, len, "%" PRIu64, v);
	else
		strlcpy(buf, "-", len);
}

static void
top_in(char *buf, size_t len, const struct ctl_top_row *r)
{
	fmt_rate(buf, len, r->has_rates, r->in_per_s);
}

static void
top_out(char *buf, size_t len, const struct ctl_top_row *r)
{
	fmt_rate(buf, len, r->has_rates, r->out_per_s);
}

/* "64K", or "64K 1%" of the limit when it is known. */
static void
top_queue(char *buf, size_t len, const struct ctl_top_row *r)
{
	char	bytes[32];

	if (!r->has_queue) {
		strlcpy(buf, "-", len);
		return;
	}
	fmt_bytes(bytes, sizeof(bytes), r->queue_bytes);
	if (r->queue_limit > 0)
		snprintf(buf, len, "%s %" PRIu64 "%%", bytes,
		    r->queue_bytes * 100 / r->queue_limit);
	else
		strlcpy(buf, bytes, len);
}

/*
 * The columns of top, in order; a negative width is left-aligned.  A
 * link state of its own (up, suspect, down) is a row after STATE, once
 * members carry one.
 */
static const struct top_col {
	const char	*head;
	int		 width;
	void		(*fmt)(char *, size_t, const struct ctl_top_row *);
} top_cols[] = {
	{ "ID",		-16,	top_id },
	{ "STATE",	-8,	top_state },
	{ "RTT",	8,	top_rtt },
	{ "IN/s",	8,	top_in },
	{ "OUT/s",	8,	top_out },
	{ "QUEUE",	10,	top_queue },
};
#define N_TOP_COLS	(sizeof(top_cols) / sizeof(top_cols[0]))

static void
text_top_head(FILE *fp, const struct ctl_top_head *h)
{
	char	when[40];
	size_t	i;

	fmt_time(when, sizeof(when), h->time_ms);
	fprintf(fp, "%s: %zu nodes, every %ld s, %s\n", h->node, h->n,
	    h->interval, when);
	for (i = 0; i < N_TOP_COLS; i++)
		fprintf(fp, "%s%*s", i > 0 ? " " : "", top_cols[i].width,
		    top_cols[i].head);
	fputc('\n', fp);
}

static void
text_top_row(FILE *fp, const struct ctl_top_head *h,
    const struct ctl_top_row *r)
{
	char	cell[COHORT_ID_MAX + 32];
	size_t	i;

	(void)h;
	for (i = 0; i < N_TOP_COLS; i++) {
		top_cols[i].fmt(cell, sizeof(cell), r);
		fprintf(fp, "%s%*s", i > 0 ? " " : "", top_cols[i].width,
		    cell);
	}
	fputc('\n', fp);
}

const struct ctl_output ctl_output_text = {
	.members_head =	text_members_head,
	.member =	text_member,
	.event =	text_event,
	.stats =	text_stats,
	.msg =		text_msg,
	.reply =	text_reply,
	.top_head =	text_top_head,
	.top_row =	text_top_row,
};
