/*
 * memberwait: a test helper built on libcohort.
 *
 *	memberwait [-s socket] [-t seconds] NODE|ALL STATE
 *
 * Waits until NODE (or every node but the local one, for ALL) is in STATE
 * and prints, in ms since the epoch, when the daemon recorded that state:
 * tests subtract the time they caused the change to measure detection
 * latency on the daemon's own clock, with no polling delay in the result.
 * Exits 0, or 1 with a reason on stderr at the timeout.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cohort.h"
#include "common/wire.h"

static int
parse_state(const char *s)
{
	int	st = member_state_parse(s);

	if (st < 0) {
		fprintf(stderr, "memberwait: unknown state %s\n", s);
		exit(1);
	}
	return (st);
}

/* 1 when every watched node is in state; *when = latest since. */
static int
check_members(struct cohort *c, const char *node, int state, uint64_t *when)
{
	struct cohort_member	*m;
	size_t			 i, n;
	int			 all = 1;

	if (cohort_members(c, &m, &n, 5000) != COHORT_OK) {
		fprintf(stderr, "memberwait: %s\n", cohort_errmsg(c));
		exit(1);
	}
	*when = 0;
	for (i = 0; i < n; i++) {
		if (m[i].state == COHORT_STATE_SELF)
			continue;
		if (strcmp(node, "ALL") != 0 && strcmp(node, m[i].id) != 0)
			continue;
		if ((int)m[i].state != state)
			all = 0;
		else if (m[i].since_ms > *when)
			*when = m[i].since_ms;
	}
	cohort_members_free(m);
	return (all && *when != 0);
}

int
main(int argc, char *argv[])
{
	struct cohort		*c;
	struct cohort_event	 ev;
	const char		*sock = NULL, *node;
	uint64_t		 when;
	int			 ch, state, secs = 10, rv;
	int64_t			 deadline;
	struct timespec		 ts;

	while ((ch = getopt(argc, argv, "s:t:")) != -1) {
		switch (ch) {
		case 's':
			sock = optarg;
			break;
		case 't':
			secs = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: memberwait [-s socket] "
			    "[-t seconds] NODE|ALL STATE\n");
			return (1);
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: memberwait [-s socket] [-t seconds] "
		    "NODE|ALL STATE\n");
		return (1);
	}
	node = argv[optind];
	state = parse_state(argv[optind + 1]);
	if (cohort_open(&c, sock, 5000) != COHORT_OK) {
		fprintf(stderr, "memberwait: %s\n", cohort_errmsg(c));
		cohort_close(c);
		return (1);
	}
	/* Watch first, then look: no change can fall between the two. */
	if (cohort_watch(c, 1, 5000) != COHORT_OK) {
		fprintf(stderr, "memberwait: %s\n", cohort_errmsg(c));
		cohort_close(c);
		return (1);
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	deadline = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 +
	    (int64_t)secs * 1000;
	while (!check_members(c, node, state, &when)) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		rv = cohort_next_event(c, &ev, (int)(deadline -
		    ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000)));
		if (rv != COHORT_OK) {
			fprintf(stderr, "memberwait: %s is not %s after %d s: "
			    "%s\n", node, argv[optind + 1], secs,
			    cohort_errmsg(c));
			cohort_close(c);
			return (1);
		}
		/* Drain the burst before looking at the list again. */
		while (cohort_pending(c))
			(void)cohort_next_event(c, &ev, 0);
	}
	printf("%" PRIu64 "\n", when);
	cohort_close(c);
	return (0);
}
