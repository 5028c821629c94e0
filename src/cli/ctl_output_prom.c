/*
 * ctl_output_prom.c: cohortctl stats --prometheus, the Prometheus text
 * exposition format.
 */
#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "common/promfmt.h"
#include "ctl_output.h"

/*
 * Prometheus text exposition, by the same formatter as the daemon's
 * GET /metrics (src/common/promfmt.c), so that both print the same
 * families with the same kinds and help.
 */

static int
prom_write_cb(void *arg, const char *text, size_t len)
{
	return (fwrite(text, 1, len, arg) == len ? 0 : -1);
}

static void
prom_stats(FILE *fp, const struct cohort_stat *st, size_t n)
{
	struct promfmt	*pf;
	const char	*sec = NULL, *name = NULL;
	size_t		 i;

	if ((pf = promfmt_new()) == NULL) {
		fprintf(stderr, "cohortctl: stats: out of memory\n");
		return;
	}
	for (i = 0; i < n; i++) {
		if (sec == NULL || strcmp(sec, st[i].section) != 0 ||
		    strcmp(name, st[i].name) != 0) {
			sec = st[i].section;
			name = st[i].name;
			promfmt_section(pf, sec, name);
		}
		promfmt_add(pf, st[i].key, st[i].value);
	}
	if (promfmt_write(pf, prom_write_cb, fp) == -1)
		fprintf(stderr, "cohortctl: stats: cannot write\n");
	promfmt_free(pf);
}

const struct ctl_output ctl_output_prometheus = {
	.stats =	prom_stats,
};
