/*
 * cohort-ping: a small libcohort example.
 *
 *	cohort-ping serve		answer "ping" requests on this node
 *	cohort-ping NODE [COUNT]	ping NODE's server, print round trips
 *
 * The server runs from its own poll() loop (cohort_fd + cohort_dispatch);
 * the client uses the blocking calls.  Both find the daemon through
 * $COHORT_SOCKET, or /run/cohort/cohortd.sock.
 *
 * Build: cc -o cohort-ping cohort-ping.c $(pkg-config --cflags --libs cohort)
 */
#define _POSIX_C_SOURCE 200809L

#include <err.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cohort.h>

static void
on_request(struct cohort *c, const struct cohort_msg *m, void *arg)
{
	(void)arg;
	if (!m->is_request)
		return;
	/* Echo the body back: cohort_reply() only queues, it never blocks. */
	if (cohort_reply(c, m, m->data, m->len) != COHORT_OK)
		warnx("reply to %s: %s", m->origin, cohort_errmsg(c));
}

static int
serve(struct cohort *c)
{
	struct pollfd	pfd;

	if (cohort_subscribe(c, "ping", 5000) != COHORT_OK)
		errx(1, "subscribe: %s", cohort_errmsg(c));
	cohort_set_msg_cb(c, on_request, NULL);
	printf("serving ping on node %s\n", cohort_node_id(c));
	fflush(stdout);
	for (;;) {
		pfd.fd = cohort_fd(c);
		pfd.events = POLLIN;
		if (poll(&pfd, 1, -1) == -1)
			err(1, "poll");
		if (cohort_dispatch(c) < 0)
			errx(1, "%s", cohort_errmsg(c));
	}
}

static int
ping(struct cohort *c, const char *node, int count)
{
	struct cohort_msg	*reply;
	struct timespec		 t0, t1;
	char			 body[32];
	int			 i, rv;

	for (i = 0; i < count; i++) {
		snprintf(body, sizeof(body), "ping %d", i);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		rv = cohort_request(c, node, "ping", body, strlen(body),
		    &reply, 2000);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (rv != COHORT_OK) {
			/* Unreachable, no responder, timeout: all say why. */
			printf("%s\n", cohort_errmsg(c));
			continue;
		}
		printf("%zu bytes from %s: seq=%d time=%.1f us\n", reply->len,
		    reply->origin, i, (t1.tv_sec - t0.tv_sec) * 1e6 +
		    (t1.tv_nsec - t0.tv_nsec) / 1e3);
		cohort_msg_free(reply);
	}
	return (0);
}

int
main(int argc, char *argv[])
{
	struct cohort	*c;
	int		 rv;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: cohort-ping serve | NODE [COUNT]\n");
		return (1);
	}
	if (cohort_open(&c, NULL, 5000) != COHORT_OK)
		errx(1, "%s", cohort_errmsg(c));
	if (strcmp(argv[1], "serve") == 0)
		rv = serve(c);
	else
		rv = ping(c, argv[1], argc == 3 ? atoi(argv[2]) : 5);
	cohort_close(c);
	return (rv);
}
