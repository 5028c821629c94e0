/*
 * ctl_output.h: how cohortctl prints what it got: text for people
 * (ctl_output.c), one JSON object per line for scripts (--json,
 * ctl_output_json.c), or the Prometheus text format (stats --prometheus,
 * ctl_output_prom.c), as bgpctl's output.c, output_json.c and
 * output_ometric.c.  Printers print: they call stdio, and the JSON ones
 * ctl_stats_sections() of ctl_output.c, nothing else.
 */
#ifndef COHORT_CTL_OUTPUT_H
#define COHORT_CTL_OUTPUT_H

#include <stdint.h>
#include <stdio.h>

#include "cohort.h"

/*
 * One row of cohortctl top: a member, and what its peer counters did
 * since the previous sample.  A column the daemon does not report yet
 * (a link state apart from the node's) is a field here and a row of the
 * column table of each printer.
 */
struct ctl_top_row {
	const struct cohort_member *m;
	int		 has_rates;	/* a peer, seen in two samples */
	uint64_t	 in_per_s;	/* frames received a second */
	uint64_t	 out_per_s;	/* frames queued to it a second */
	int		 has_queue;	/* a peer: queue_bytes is known */
	uint64_t	 queue_bytes;	/* queued to it, not yet written */
	uint64_t	 queue_limit;	/* limits.peer_queue_bytes; 0: unknown */
};

/* What a table of cohortctl top is about. */
struct ctl_top_head {
	const char	*node;		/* the local node */
	uint64_t	 time_ms;	/* the sample, ms since the epoch */
	long		 interval;	/* seconds between samples */
	size_t		 n;		/* rows that follow */
};

struct ctl_output {
	void	(*members_head)(FILE *);
	void	(*member)(FILE *, const struct cohort_member *);
	void	(*event)(FILE *, const struct cohort_event *);
	/* Every counter, as cohort_stats() lists them. */
	void	(*stats)(FILE *, const struct cohort_stat *, size_t);
	void	(*msg)(FILE *, const struct cohort_msg *);
	/* The answer to cohortctl request. */
	void	(*reply)(FILE *, const struct cohort_msg *);
	void	(*top_head)(FILE *, const struct ctl_top_head *);
	void	(*top_row)(FILE *, const struct ctl_top_head *,
		    const struct ctl_top_row *);
};

extern const struct ctl_output ctl_output_text;
extern const struct ctl_output ctl_output_json;
/* Statistics only: the other printers are NULL. */
extern const struct ctl_output ctl_output_prometheus;

/*
 * For the printers: fn once per section of st (a run of counters of the
 * same section and name), given its first counter and how many.
 */
void	 ctl_stats_sections(FILE *, const struct cohort_stat *, size_t,
	    void (*fn)(FILE *, const struct cohort_stat *, size_t));

#endif /* COHORT_CTL_OUTPUT_H */
