/*
 * promfmt.h: statistics in the Prometheus text exposition format
 * (version 0.0.4), for the daemon's GET /metrics and for
 * `cohortctl stats --prometheus`, so that both print the same families.
 *
 * Rows are added section by section, as a stats_sink (counters.h) gives
 * them; promfmt_write then prints each family once, HELP and TYPE first
 * and every sample of it after, whatever the order of the sections:
 *
 *   daemon section, node n1:  cohort_<key>{node="n1"} value
 *   peer section n2:          cohort_peer_<key>{node="n1",peer="n2"} value
 *   another kind K, name x:   cohort_K_<key>{node="n1",K="x"} value
 *
 * Kinds and help come from the lists of counters.h (keys they do not
 * know are "untyped").  One family is derived: cohort_peer_up, 1 for a
 * peer whose state is up and 0 otherwise, for alerts and dashboards
 * that should not have to know the state codes.
 */
#ifndef COHORT_PROMFMT_H
#define COHORT_PROMFMT_H

#include <stddef.h>
#include <stdint.h>

#include "counters.h"

struct promfmt;

/* NULL if out of memory. */
struct promfmt	*promfmt_new(void);
void		 promfmt_free(struct promfmt *);
/* A sink adding to pf (valid while pf is). */
void		 promfmt_sink(struct promfmt *, struct stats_sink *);
void		 promfmt_section(struct promfmt *, const char *, const char *);
void		 promfmt_add(struct promfmt *, const char *, uint64_t);
/*
 * The text, in pieces through out(arg, text, len), which returns 0 or
 * -1 to stop.  -1 if out did, or if memory ran out while rows were
 * added (nothing is written then).
 */
int		 promfmt_write(struct promfmt *,
		    int (*)(void *, const char *, size_t), void *);

/* The content type of that text, for HTTP. */
#define PROMFMT_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

#endif /* COHORT_PROMFMT_H */
