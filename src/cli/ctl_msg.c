/*
 * ctl_msg.c: cohortctl's messaging commands: send, multicast, broadcast,
 * sub, request, reply.
 *
 * A body is the DATA argument, or else all of standard input, bytes as
 * they are.  Failures print one line on stderr and exit 1; a node that
 * could not be reached is named.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"

/* Standard input is read up to this; the daemon refuses what is larger. */
#define STDIN_MAX	(64 * 1024 * 1024)

struct body {
	const void	*data;
	size_t		 len;
	char		*owned;		/* read from stdin, freed by us */
};

static int
read_fd_all(int fd, char **out, size_t *len, size_t max)
{
	char	*buf = NULL, *p;
	size_t	 cap = 0, n = 0;
	ssize_t	 r;

	for (;;) {
		if (n == cap) {
			if (cap >= max + 1)
				break;
			cap = cap ? cap * 2 : 65536;
			if (cap > max + 1)
				cap = max + 1;
			if ((p = realloc(buf, cap)) == NULL) {
				free(buf);
				return (-1);
			}
			buf = p;
		}
		r = read(fd, buf + n, cap - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			free(buf);
			return (-1);
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*out = buf;
	*len = n;
	return (0);
}

/* argv[i] if there, else standard input. */
static int
get_body(int argc, char **argv, int i, struct body *b)
{
	memset(b, 0, sizeof(*b));
	if (i < argc) {
		b->data = argv[i];
		b->len = strlen(argv[i]);
		return (0);
	}
	if (read_fd_all(STDIN_FILENO, &b->owned, &b->len, STDIN_MAX) == -1)
		return (ctl_fail("reading standard input: %s",
		    strerror(errno)));
	b->data = b->owned;
	return (0);
}

static int
report(struct cohort *c, const char *cmd, int rv)
{
	if (rv == COHORT_OK)
		return (0);
	fprintf(stderr, "cohortctl: %s: %s\n", cmd, cohort_errmsg(c));
	return (1);
}

int
cmd_send(struct ctl_env *env, int argc, char **argv)
{
	struct cohort	*c;
	struct body	 b;
	int		 rv;

	if (argc < 3 || argc > 4)
		return (ctl_fail("usage: send node subject [data]"));
	if (get_body(argc, argv, 3, &b) != 0)
		return (1);
	if ((c = ctl_connect(env)) == NULL) {
		free(b.owned);
		return (1);
	}
	rv = report(c, "send", cohort_send(c, argv[1], argv[2], b.data,
	    b.len, env->timeout_ms));
	free(b.owned);
	cohort_close(c);
	return (rv);
}

/* Name every node not reached; returns 1 if there was any. */
static int
report_unreached(const char *cmd, struct cohort_unreached *u, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		fprintf(stderr, "cohortctl: %s: not delivered to %s: %s\n",
		    cmd, u[i].node, u[i].reason);
	free(u);
	return (n > 0);
}

int
cmd_multicast(struct ctl_env *env, int argc, char **argv)
{
	struct cohort		*c;
	struct cohort_unreached	*u;
	struct body		 b;
	const char		*nodes[1024];
	char			*list, *tok, *save;
	size_t			 n = 0, nu;
	int			 rv;

	if (argc < 3 || argc > 4)
		return (ctl_fail("usage: multicast node,node,... subject "
		    "[data]"));
	if ((list = strdup(argv[1])) == NULL)
		return (ctl_fail("out of memory"));
	for (tok = strtok_r(list, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (n == sizeof(nodes) / sizeof(nodes[0])) {
			free(list);
			return (ctl_fail("multicast: more than %zu nodes", n));
		}
		nodes[n++] = tok;
	}
	if (n == 0) {
		free(list);
		return (ctl_fail("multicast: no node given"));
	}
	if (get_body(argc, argv, 3, &b) != 0 || (c = ctl_connect(env)) ==
	    NULL) {
		free(list);
		free(b.owned);
		return (1);
	}
	rv = cohort_multicast(c, nodes, n, argv[2], b.data, b.len, &u, &nu,
	    env->timeout_ms);
	if (rv == COHORT_ERR_UNREACHABLE && nu > 0)
		rv = report_unreached("multicast", u, nu);
	else
		rv = report(c, "multicast", rv);
	free(list);
	free(b.owned);
	cohort_close(c);
	return (rv);
}

int
cmd_broadcast(struct ctl_env *env, int argc, char **argv)
{
	struct cohort		*c;
	struct cohort_unreached	*u;
	struct body		 b;
	size_t			 nu;
	int			 rv, flags = 0, i = 1;

	if (argc > 1 && strcmp(argv[1], "--self") == 0) {
		flags = COHORT_SELF;
		i++;
	}
	if (argc - i < 1 || argc - i > 2)
		return (ctl_fail("usage: broadcast [--self] subject [data]"));
	if (get_body(argc, argv, i + 1, &b) != 0)
		return (1);
	if ((c = ctl_connect(env)) == NULL) {
		free(b.owned);
		return (1);
	}
	rv = cohort_broadcast(c, flags, argv[i], b.data, b.len, &u, &nu,
	    env->timeout_ms);
	/* "Every up node": down ones are named, but that is success. */
	if (rv == COHORT_ERR_UNREACHABLE) {
		(void)report_unreached("broadcast", u, nu);
		rv = 0;
	} else
		rv = report(c, "broadcast", rv);
	free(b.owned);
	cohort_close(c);
	return (rv);
}

/* -c count and -t seconds, shared by sub and reply. */
static int
count_timeout_opts(int argc, char **argv, long *count, long *secs)
{
	int	ch;

	*count = 0;
	*secs = -1;
	optind = 1;
	while ((ch = getopt(argc, argv, "+c:t:")) != -1) {
		switch (ch) {
		case 'c':
			if (parse_uint(optarg, "-c", LONG_MAX, count) == -1)
				return (-1);
			break;
		case 't':
			if (parse_uint(optarg, "-t", INT_MAX / 1000, secs) ==
			    -1)
				return (-1);
			break;
		default:
			return (-1);
		}
	}
	return (0);
}

/* Milliseconds left of secs since start (monotonic ms), -1 = forever. */
static int
time_left(long secs, long long start)
{
	struct timespec	ts;
	long long	now, left;

	if (secs < 0)
		return (-1);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	left = start + secs * 1000 - now;
	return (left < 0 ? 0 : (int)left);
}

static long long
mono_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* Subscribe to argv[first..]; 0 or 1 after saying why. */
static int
subscribe_all(struct cohort *c, int argc, char **argv, int first,
    int timeout_ms)
{
	int	i;

	for (i = first; i < argc; i++)
		if (cohort_subscribe(c, argv[i], timeout_ms) != COHORT_OK) {
			fprintf(stderr, "cohortctl: subscribe %s: %s\n",
			    argv[i], cohort_errmsg(c));
			return (1);
		}
	return (0);
}

/* The end of sub or reply: 0, or EXIT_TIMEOUT short of -c. */
static int
finish_count(const char *cmd, int rv, long seen, long count,
    struct cohort *c)
{
	if (rv == COHORT_ERR_TIMEOUT) {
		if (count > 0) {
			fprintf(stderr, "cohortctl: %s: timed out after %ld of "
			    "%ld messages\n", cmd, seen, count);
			return (EXIT_TIMEOUT);
		}
		return (0);
	}
	if (rv != COHORT_OK) {
		fprintf(stderr, "cohortctl: %s: %s\n", cmd, cohort_errmsg(c));
		return (1);
	}
	return (0);
}

int
cmd_sub(struct ctl_env *env, int argc, char **argv)
{
	struct cohort		*c;
	struct cohort_msg	*m;
	long			 count, secs, seen = 0;
	long long		 start;
	int			 rv = COHORT_OK;

	if (count_timeout_opts(argc, argv, &count, &secs) == -1 ||
	    optind >= argc)
		return (ctl_fail("usage: sub [-c count] [-t seconds] "
		    "subject..."));
	if ((c = ctl_connect(env)) == NULL)
		return (1);
	if (subscribe_all(c, argc, argv, optind, env->timeout_ms) != 0) {
		cohort_close(c);
		return (1);
	}
	start = mono_now_ms();
	while (count == 0 || seen < count) {
		if ((rv = cohort_next_msg(c, &m, time_left(secs, start))) !=
		    COHORT_OK)
			break;
		env->out->msg(stdout, m);
		fflush(stdout);
		cohort_msg_free(m);
		seen++;
	}
	rv = finish_count("sub", rv, seen, count, c);
	cohort_close(c);
	return (rv);
}

int
cmd_request(struct ctl_env *env, int argc, char **argv)
{
	struct cohort		*c;
	struct cohort_msg	*m;
	struct body		 b;
	long			 secs = 5;
	int			 ch, rv;

	optind = 1;
	while ((ch = getopt(argc, argv, "+t:")) != -1) {
		if (ch != 't' || parse_uint(optarg, "-t", INT_MAX / 1000,
		    &secs) == -1)
			return (ctl_fail("usage: request [-t seconds] node "
			    "subject [data]"));
	}
	if (argc - optind < 2 || argc - optind > 3 || secs == 0)
		return (ctl_fail("usage: request [-t seconds] node subject "
		    "[data] (seconds > 0)"));
	if (get_body(argc, argv, optind + 2, &b) != 0)
		return (1);
	if ((c = ctl_connect(env)) == NULL) {
		free(b.owned);
		return (1);
	}
	rv = cohort_request(c, argv[optind], argv[optind + 1], b.data, b.len,
	    &m, (int)(secs * 1000));
	if (rv == COHORT_OK) {
		if (env->out == &ctl_output_json)
			env->out->msg(stdout, m);
		else
			fwrite(m->data, 1, m->len, stdout);
		cohort_msg_free(m);
		rv = fflush(stdout) == 0 ? 0 : 1;
	} else
		rv = report(c, "request", rv);
	free(b.owned);
	cohort_close(c);
	return (rv);
}

/*
 * Run argv with body on its standard input; its standard output into
 * *out.  Both pipes are served together, so that neither side blocks.
 */
static int
run_handler(char **argv, const void *body, size_t len, char **out,
    size_t *outlen)
{
	struct pollfd	 pfd[2];
	int		 in[2], res[2], st, nfds;
	size_t		 off = 0, n = 0, cap = 0;
	ssize_t		 r;
	pid_t		 pid;
	char		*buf = NULL, *p;

	if (pipe(in) == -1 || pipe(res) == -1)
		return (-1);
	if ((pid = fork()) == -1)
		return (-1);
	if (pid == 0) {
		dup2(in[0], STDIN_FILENO);
		dup2(res[1], STDOUT_FILENO);
		close(in[0]); close(in[1]); close(res[0]); close(res[1]);
		execvp(argv[0], argv);
		fprintf(stderr, "cohortctl: reply: %s: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(res[1]);
	if (len == 0) {
		close(in[1]);
		in[1] = -1;
	}
	for (;;) {
		nfds = 0;
		pfd[nfds].fd = res[0];
		pfd[nfds++].events = POLLIN;
		if (in[1] != -1) {
			pfd[nfds].fd = in[1];
			pfd[nfds++].events = POLLOUT;
		}
		if (poll(pfd, (nfds_t)nfds, -1) == -1 && errno != EINTR)
			break;
		if (in[1] != -1 && (pfd[1].revents & (POLLOUT | POLLERR))) {
			r = write(in[1], (const char *)body + off, len - off);
			if (r > 0)
				off += (size_t)r;
			if (r == -1 || off == len) {
				close(in[1]);
				in[1] = -1;
			}
		}
		if (pfd[0].revents & (POLLIN | POLLHUP)) {
			if (n == cap) {
				cap = cap ? cap * 2 : 4096;
				if ((p = realloc(buf, cap)) == NULL)
					break;
				buf = p;
			}
			if ((r = read(res[0], buf + n, cap - n)) <= 0)
				break;
			n += (size_t)r;
		}
	}
	if (in[1] != -1)
		close(in[1]);
	close(res[0]);
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fprintf(stderr, "cohortctl: reply: %s exited with status %d\n",
		    argv[0], WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	*out = buf;
	*outlen = n;
	return (0);
}

int
cmd_reply(struct ctl_env *env, int argc, char **argv)
{
	struct cohort		*c;
	struct cohort_msg	*m;
	long			 count, secs, seen = 0;
	long long		 start;
	char			*out;
	size_t			 outlen;
	int			 rv = COHORT_OK, dash;

	if (count_timeout_opts(argc, argv, &count, &secs) == -1)
		return (1);
	for (dash = optind; dash < argc && strcmp(argv[dash], "--") != 0;
	    dash++)
		;
	if (dash != optind + 1 || dash + 1 >= argc)
		return (ctl_fail("usage: reply [-c count] [-t seconds] subject "
		    "-- cmd [args]"));
	if ((c = ctl_connect(env)) == NULL)
		return (1);
	signal(SIGPIPE, SIG_IGN);
	if (subscribe_all(c, dash, argv, optind, env->timeout_ms) != 0) {
		cohort_close(c);
		return (1);
	}
	start = mono_now_ms();
	while (count == 0 || seen < count) {
		if ((rv = cohort_next_msg(c, &m, time_left(secs, start))) !=
		    COHORT_OK)
			break;
		if (!m->is_request) {
			cohort_msg_free(m);
			continue;
		}
		if (run_handler(argv + dash + 1, m->data, m->len, &out,
		    &outlen) == -1) {
			fprintf(stderr, "cohortctl: reply: cannot run %s: %s\n",
			    argv[dash + 1], strerror(errno));
			cohort_msg_free(m);
			rv = COHORT_ERR_SYS;
			break;
		}
		rv = cohort_reply(c, m, out, outlen);
		free(out);
		cohort_msg_free(m);
		if (rv != COHORT_OK)
			break;
		seen++;
	}
	if (rv == COHORT_OK)
		rv = cohort_flush(c, env->timeout_ms);
	rv = finish_count("reply", rv, seen, count, c);
	cohort_close(c);
	return (rv);
}
