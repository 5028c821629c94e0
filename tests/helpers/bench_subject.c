/*
 * bench_subject.c: how the cost of subtree_match() grows with the number
 * of subscriptions.  A measurement, not a test: it prints and asserts
 * nothing about time.
 *
 * usage: bench_subject [n [repeat]]
 *
 * Without arguments, for n = 10 .. 100,000 subscriptions in a mix of
 * literal and wildcard patterns, the median over RUNS runs of the ns per
 * subtree_match() on a fixed set of subjects: "few" subjects match at
 * most one subscription whatever n, "many" subjects match wildcards
 * whose owners grow with n.  Given n, it measures that n only, which is
 * how to run it under valgrind --tool=callgrind: the inclusive cost of
 * match_few() and match_many() divided by the calls printed is the
 * instructions per match, steadier than the clock on a busy machine.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/subject.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define RUNS		5
#define REPEAT		20000	/* passes over the subjects per run */

static const char	*regions[] = { "eu", "us", "ap", "sa", "af", "me",
    "cn", "in" };

/* At most one match each, for any n. */
static const char	*few[] = { "metrics.h15.mem", "users.18.events.login",
    "users.5018.events.logout", "nothing.here.at.all", "orders" };
/* "orders.<region>.>" and "metrics.*.cpu": owners grow as n / 160, n / 20. */
static const char	*many[] = { "orders.eu.0", "metrics.h11.cpu",
    "orders.us.424242" };

static size_t	sink;		/* callbacks made: keeps them honest */

static void
bench_cb(void *owner, void *arg)
{
	(void)owner;
	(void)arg;
	sink++;
}

/* Subscription i: 40% literal orders, the rest wildcards and metrics. */
static void
bench_pattern(char *buf, size_t size, size_t i)
{
	const char	*r = regions[(i / 20) % NITEMS(regions)];
	size_t		 k = i % 20;

	if (k < 8)
		snprintf(buf, size, "orders.%s.%zu", r, i);
	else if (k < 10)
		snprintf(buf, size, "orders.*.%zu", i);
	else if (k < 11)
		snprintf(buf, size, "orders.%s.>", r);
	else if (k < 15)
		snprintf(buf, size, "metrics.h%zu.cpu", i);
	else if (k < 17)
		snprintf(buf, size, "metrics.h%zu.*", i);
	else if (k < 18)
		snprintf(buf, size, "metrics.*.cpu");
	else
		snprintf(buf, size, "users.%zu.events.*", i);
}

static uint64_t
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec);
}

/* Separate functions, so that callgrind gives each group its cost. */
static __attribute__((noinline)) size_t
match_few(const struct subtree *t, size_t repeat)
{
	size_t	r, s, calls = 0;

	for (r = 0; r < repeat; r++)
		for (s = 0; s < NITEMS(few); s++)
			calls += subtree_match(t, few[s], bench_cb, NULL);
	return (calls);
}

static __attribute__((noinline)) size_t
match_many(const struct subtree *t, size_t repeat)
{
	size_t	r, s, calls = 0;

	for (r = 0; r < repeat; r++)
		for (s = 0; s < NITEMS(many); s++)
			calls += subtree_match(t, many[s], bench_cb, NULL);
	return (calls);
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return ((x > y) - (x < y));
}

static double
median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return (v[n / 2]);
}

struct result {
	size_t	n;
	size_t	hits_few;	/* owners called per pass over "few" */
	size_t	hits_many;
	double	ns_all, ns_few, ns_many;	/* per subtree_match() */
};

static int
bench(size_t n, size_t repeat, struct result *res)
{
	struct subtree	*t;
	char		*tags, buf[SUBJECT_MAX + 1];
	double		 all[RUNS], f[RUNS], m[RUNS];
	uint64_t	 t0, t1, t2;
	size_t		 i, run;

	if ((t = subtree_new()) == NULL || (tags = calloc(n, 1)) == NULL) {
		subtree_free(t);
		return (-1);
	}
	for (i = 0; i < n; i++) {
		bench_pattern(buf, sizeof(buf), i);
		if (subtree_add(t, buf, &tags[i]) != 0) {
			fprintf(stderr, "subtree_add %s failed\n", buf);
			goto fail;
		}
	}
	res->n = subtree_count(t);
	res->hits_few = match_few(t, 1);	/* and warm the caches */
	res->hits_many = match_many(t, 1);
	for (run = 0; run < RUNS; run++) {
		t0 = now_ns();
		(void)match_few(t, repeat);
		t1 = now_ns();
		(void)match_many(t, repeat);
		t2 = now_ns();
		f[run] = (double)(t1 - t0) / (double)(repeat * NITEMS(few));
		m[run] = (double)(t2 - t1) / (double)(repeat * NITEMS(many));
		all[run] = (double)(t2 - t0) /
		    (double)(repeat * (NITEMS(few) + NITEMS(many)));
	}
	res->ns_all = median(all, RUNS);
	res->ns_few = median(f, RUNS);
	res->ns_many = median(m, RUNS);
	subtree_free(t);
	free(tags);
	return (0);

fail:
	subtree_free(t);
	free(tags);
	return (-1);
}

static void
print_result(const struct result *r)
{
	printf("N=%-7zu matches/pass %5zu (few %zu, many %5zu)  "
	    "ns/match %8.1f  (few %6.1f, many %8.1f)\n", r->n,
	    r->hits_few + r->hits_many, r->hits_few, r->hits_many,
	    r->ns_all, r->ns_few, r->ns_many);
}

static size_t
parse_size(const char *s, const char *what)
{
	char		*end;
	unsigned long	 v;

	v = strtoul(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v == 0) {
		fprintf(stderr, "bench_subject: bad %s: %s\n", what, s);
		exit(2);
	}
	return ((size_t)v);
}

int
main(int argc, char *argv[])
{
	static const size_t	 sizes[] = { 10, 100, 1000, 10000, 100000 };
	struct result		 res[NITEMS(sizes)];
	size_t			 repeat = REPEAT, i;

	if (argc > 3) {
		fprintf(stderr, "usage: bench_subject [n [repeat]]\n");
		return (2);
	}
	if (argc == 3)
		repeat = parse_size(argv[2], "repeat");
	if (argc >= 2) {
		if (bench(parse_size(argv[1], "n"), repeat, &res[0]) == -1)
			return (1);
		print_result(&res[0]);
		printf("calls: match_few %zu, match_many %zu subtree_match "
		    "(%d runs of %zu, and one warm-up pass)\n",
		    (RUNS * repeat + 1) * NITEMS(few),
		    (RUNS * repeat + 1) * NITEMS(many), RUNS, repeat);
		return (0);
	}

	printf("median of %d runs, %zu passes over %zu subjects each\n",
	    RUNS, repeat, NITEMS(few) + NITEMS(many));
	for (i = 0; i < NITEMS(sizes); i++) {
		if (bench(sizes[i], repeat, &res[i]) == -1)
			return (1);
		print_result(&res[i]);
	}
	i = NITEMS(sizes) - 1;
	printf("growth from %zu to %zu subscriptions (x%zu): ns/match x%.1f "
	    "(few x%.1f, many x%.1f); owners called per pass x%.1f\n",
	    res[0].n, res[i].n, res[i].n / res[0].n,
	    res[i].ns_all / res[0].ns_all, res[i].ns_few / res[0].ns_few,
	    res[i].ns_many / res[0].ns_many,
	    (double)(res[i].hits_few + res[i].hits_many) /
	    (double)(res[0].hits_few + res[0].hits_many));
	return (sink == 0);
}
