/*
 * ctl_top.c: cohortctl top: every member, its round trip, the frames a
 * second to and from it and its output queue, sampled every -i seconds.
 *
 * A sample is one members and one stats answer on one connection; rates
 * are the differences of the per-peer frames_in and frames_out counters
 * between two samples, over the time between them.  On a terminal (text
 * output) the table is redrawn in place until q, Ctrl-C or -c tables;
 * otherwise (a pipe, a file, --json) it is printed again each time.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "ctl_parse.h"
#include "ctl_term.h"

/* Not a libcohort status: those are 0 and below. */
#define TOP_ERR_OUTPUT	1

struct top_sample {
	struct cohort_member	*members;
	size_t			 n_members;
	struct cohort_stat	*stats;
	size_t			 n_stats;
	long long		 mono_ms;	/* when it was taken */
	uint64_t		 wall_ms;
};

struct top {
	const struct ctl_env	*env;
	const struct ctl_cmd	*cmd;
	struct cohort		*c;
	int			 live;		/* drawn on the terminal */
	struct top_sample	 prev, cur;	/* prev.members NULL: none */
	char			*frame;		/* what is on the screen */
	size_t			 framelen;
};

static void
sample_free(struct top_sample *s)
{
	cohort_members_free(s->members);
	cohort_stats_free(s->stats);
	memset(s, 0, sizeof(*s));
}

/* COHORT_OK, or the status of the call that failed. */
static int
sample_take(struct cohort *c, int timeout_ms, struct top_sample *s)
{
	struct timespec	ts;
	int		rv;

	memset(s, 0, sizeof(*s));
	if ((rv = cohort_members(c, &s->members, &s->n_members,
	    timeout_ms)) != COHORT_OK)
		return (rv);
	if ((rv = cohort_stats(c, &s->stats, &s->n_stats, timeout_ms)) !=
	    COHORT_OK) {
		sample_free(s);
		return (rv);
	}
	s->mono_ms = ctl_mono_ms();
	clock_gettime(CLOCK_REALTIME, &ts);
	s->wall_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec /
	    1000000;
	return (COHORT_OK);
}

/* Counter key of a section (name NULL: any name); 0, or -1 if absent. */
static int
sample_get(const struct top_sample *s, const char *section, const char *name,
    const char *key, uint64_t *v)
{
	size_t	i;

	for (i = 0; i < s->n_stats; i++)
		if (strcmp(s->stats[i].section, section) == 0 &&
		    (name == NULL || strcmp(s->stats[i].name, name) == 0) &&
		    strcmp(s->stats[i].key, key) == 0) {
			*v = s->stats[i].value;
			return (0);
		}
	return (-1);
}

/* How fast a peer's counter went from prev to cur; -1 if unknown. */
static int
sample_rate(const struct top_sample *prev, const struct top_sample *cur,
    const char *peer, const char *key, uint64_t *rate)
{
	uint64_t	then, now, ms;

	if (prev->members == NULL || cur->mono_ms <= prev->mono_ms ||
	    sample_get(prev, "peer", peer, key, &then) == -1 ||
	    sample_get(cur, "peer", peer, key, &now) == -1 || now < then)
		return (-1);
	ms = (uint64_t)(cur->mono_ms - prev->mono_ms);
	*rate = ((now - then) * 1000 + ms / 2) / ms;
	return (0);
}

static void
top_row(const struct top *t, const struct cohort_member *m,
    struct ctl_top_row *r)
{
	uint64_t	limit;

	memset(r, 0, sizeof(*r));
	r->m = m;
	if (m->state == COHORT_STATE_SELF)
		return;
	r->has_rates = sample_rate(&t->prev, &t->cur, m->id, "frames_in",
	    &r->in_per_s) == 0 && sample_rate(&t->prev, &t->cur, m->id,
	    "frames_out", &r->out_per_s) == 0;
	r->has_queue = sample_get(&t->cur, "peer", m->id, "queue_bytes",
	    &r->queue_bytes) == 0;
	/* The limit, when the daemon counts it among its own. */
	if (r->has_queue && sample_get(&t->cur, "daemon", NULL,
	    "peer_queue_bytes", &limit) == 0)
		r->queue_limit = limit;
}

/* One table of the current sample. */
static void
top_print(const struct top *t, FILE *fp, const struct ctl_output *out)
{
	struct ctl_top_head	h;
	struct ctl_top_row	r;
	size_t			i;

	h.node = cohort_node_id(t->c);
	h.time_ms = t->cur.wall_ms;
	h.interval = t->cmd->interval;
	h.n = t->cur.n_members;
	out->top_head(fp, &h);
	for (i = 0; i < t->cur.n_members; i++) {
		top_row(t, &t->cur.members[i], &r);
		out->top_row(fp, &h, &r);
	}
}

/* On the terminal, or else printed: 0, or -1 if it could not be. */
static int
top_show(struct top *t)
{
	FILE	*fp;

	if (!t->live) {
		top_print(t, stdout, t->env->out);
		return (fflush(stdout) == 0 ? 0 : -1);
	}
	free(t->frame);
	t->frame = NULL;
	if ((fp = open_memstream(&t->frame, &t->framelen)) == NULL)
		return (-1);
	top_print(t, fp, &ctl_output_text);
	fputs("\nq: quit\n", fp);
	if (fclose(fp) != 0)
		return (-1);
	ctl_term_draw(t->frame, t->framelen);
	return (0);
}

/* Until deadline (ctl_mono_ms); 1 if q was pressed. */
static int
top_wait(struct top *t, long long deadline)
{
	long long	left;
	int		key;

	while ((left = deadline - ctl_mono_ms()) > 0) {
		key = ctl_term_key((int)left);
		if (key == 'q' || key == 'Q')
			return (1);
		if (ctl_term_redraw() && t->frame != NULL)
			ctl_term_draw(t->frame, t->framelen);
	}
	return (0);
}

/*
 * Samples and tables until -c, q or an error: a libcohort status, or
 * TOP_ERR_OUTPUT when the table could not be written.
 */
static int
top_loop(struct top *t)
{
	long long	next, now;
	long		shown = 0;
	int		rv;

	next = t->cur.mono_ms;
	for (;;) {
		if (top_show(t) == -1)
			return (TOP_ERR_OUTPUT);
		if (t->cmd->count > 0 && ++shown >= t->cmd->count)
			return (COHORT_OK);
		next += t->cmd->interval * 1000;
		if (next < (now = ctl_mono_ms()))
			next = now;
		if (top_wait(t, next))
			return (COHORT_OK);
		sample_free(&t->prev);
		t->prev = t->cur;
		if ((rv = sample_take(t->c, t->env->timeout_ms, &t->cur)) !=
		    COHORT_OK)
			return (rv);
	}
}

int
cmd_top(const struct ctl_env *env, const struct ctl_cmd *cmd)
{
	struct top	t;
	int		rv;

	memset(&t, 0, sizeof(t));
	t.env = env;
	t.cmd = cmd;
	if ((t.c = ctl_connect(env)) == NULL)
		return (1);
	if ((rv = sample_take(t.c, env->timeout_ms, &t.cur)) == COHORT_OK) {
		t.live = env->out == &ctl_output_text &&
		    ctl_term_start() == 0;
		rv = top_loop(&t);
		if (t.live)
			ctl_term_end();
	}
	if (rv == TOP_ERR_OUTPUT)
		rv = ctl_fail("top: writing the table: %s", strerror(errno));
	else if (rv != COHORT_OK && t.prev.members != NULL)
		rv = ctl_fail("top: lost cohortd (%s): is it running?",
		    cohort_errmsg(t.c));
	else
		rv = ctl_report(t.c, "top", rv);
	sample_free(&t.prev);
	sample_free(&t.cur);
	free(t.frame);
	cohort_close(t.c);
	return (rv);
}
