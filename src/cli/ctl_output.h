/*
 * ctl_output.h: how cohortctl prints what it got: text for people
 * (ctl_output.c), one JSON object per line for scripts (--json,
 * ctl_output_json.c), or the Prometheus text format (stats --prometheus,
 * ctl_output_prom.c), as bgpctl's output.c, output_json.c and
 * output_ometric.c.  Printers print; they call nothing but stdio.
 */
#ifndef COHORT_CTL_OUTPUT_H
#define COHORT_CTL_OUTPUT_H

#include <stdio.h>

#include "cohort.h"

struct ctl_output {
	void	(*members_head)(FILE *);
	void	(*member)(FILE *, const struct cohort_member *);
	void	(*event)(FILE *, const struct cohort_event *);
	/* Every counter, as cohort_stats() lists them. */
	void	(*stats)(FILE *, const struct cohort_stat *, size_t);
	void	(*msg)(FILE *, const struct cohort_msg *);
	/* The answer to cohortctl request. */
	void	(*reply)(FILE *, const struct cohort_msg *);
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
