/*
 * ctl_output_prom.c: cohortctl stats --prometheus, the Prometheus text
 * exposition format.
 */
#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "common/counters.h"
#include "ctl_output.h"

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

static void
prom_stats(FILE *fp, const struct cohort_stat *st, size_t n)
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

const struct ctl_output ctl_output_prometheus = {
	.stats =	prom_stats,
};
