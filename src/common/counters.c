/*
 * counters.c: the statistics lists of counters.h as a table, for the
 * printers (cohortctl's Prometheus output needs each key's kind).
 */
#include <stddef.h>
#include <string.h>

#include "counters.h"

struct counter_row {
	const char	*name;
	int		 gauge;
	const char	*help;
};

#define ROW_(owner, name, kind, help)	{ #name, COUNTER_KIND_##kind, help },
#define PROW_(name, kind, help)		{ #name, COUNTER_KIND_##kind, help },
#define COUNTER_KIND_gauge		1
#define COUNTER_KIND_counter		0

static const struct counter_row counter_rows[] = {
	COHORT_STATS(ROW_)
	COHORT_PEER_STATS(PROW_)
};

static const struct counter_row *
counters_find(const char *key)
{
	size_t	i;

	for (i = 0; i < sizeof(counter_rows) / sizeof(counter_rows[0]); i++)
		if (strcmp(counter_rows[i].name, key) == 0)
			return (&counter_rows[i]);
	return (NULL);
}

int
counters_is_gauge(const char *key)
{
	const struct counter_row	*r = counters_find(key);

	return (r != NULL && r->gauge);
}

const char *
counters_help(const char *key)
{
	const struct counter_row	*r = counters_find(key);

	return (r != NULL ? r->help : NULL);
}
