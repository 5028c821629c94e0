/*
 * ctl_output.h: how cohortctl prints what it got, as text for people or
 * as one JSON object per line for scripts (--json).
 */
#ifndef COHORT_CTL_OUTPUT_H
#define COHORT_CTL_OUTPUT_H

#include <stdio.h>

#include "cohort.h"

struct ctl_output {
	void	(*members_head)(FILE *);
	void	(*member)(FILE *, const struct cohort_member *);
	void	(*event)(FILE *, const struct cohort_event *);
	/* n counters of one section, all with the same section and name */
	void	(*stats)(FILE *, const struct cohort_stat *, size_t);
	void	(*msg)(FILE *, const struct cohort_msg *);
};

extern const struct ctl_output ctl_output_text;
extern const struct ctl_output ctl_output_json;
/* Statistics in the Prometheus text exposition format. */
void	 ctl_prometheus(FILE *, const struct cohort_stat *, size_t);

/* A JSON string literal, quotes included, for any bytes. */
void	 ctl_json_string(FILE *, const char *, size_t);
/* Is it well-formed UTF-8 (no overlongs, surrogates or NULs)? */
int	 ctl_utf8_valid(const unsigned char *, size_t);
void	 ctl_base64(FILE *, const unsigned char *, size_t);

#endif /* COHORT_CTL_OUTPUT_H */
