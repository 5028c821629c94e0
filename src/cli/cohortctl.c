/*
 * cohortctl.c: the command line for the local cohortd.
 *
 * argv is matched against a static table of commands; each command parses
 * its own options and prints through a struct ctl_output, text or JSON.
 * Every failure ends with exit status 1 and one line on stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

struct ctl_cmd {
	const char	*name;
	const char	*args;
	const char	*help;
	int		(*run)(struct ctl_env *, int, char **);
};

static int	 cmd_members(struct ctl_env *, int, char **);
static int	 cmd_events(struct ctl_env *, int, char **);
static int	 cmd_stats(struct ctl_env *, int, char **);
static int	 cmd_reload(struct ctl_env *, int, char **);
static int	 cmd_log_level(struct ctl_env *, int, char **);

static const struct ctl_cmd ctl_cmds[] = {
	{ "members", "", "list every configured node and its state",
	    cmd_members },
	{ "events", "[-c count] [-t seconds]",
	    "print membership changes as they happen", cmd_events },
	{ "send", "node subject [data]",
	    "send to one node (data from stdin if not given)", cmd_send },
	{ "multicast", "node,node,... subject [data]",
	    "send to several nodes", cmd_multicast },
	{ "broadcast", "[--self] subject [data]",
	    "send to every up node (and this one with --self)",
	    cmd_broadcast },
	{ "sub", "[-c count] [-t seconds] subject...",
	    "print messages as they arrive", cmd_sub },
	{ "request", "[-t seconds] node subject [data]",
	    "send a request, print the reply", cmd_request },
	{ "reply", "[-c count] [-t seconds] subject -- cmd [args]",
	    "answer requests with cmd's output (request body on its stdin)",
	    cmd_reply },
	{ "stats", "[--prometheus]",
	    "daemon and per-peer counters (or Prometheus text format)",
	    cmd_stats },
	{ "reload", "", "reload the daemon's config file (like SIGHUP)",
	    cmd_reload },
	{ "log-level", "debug|info", "switch debug logging on or off",
	    cmd_log_level },
};
#define N_CMDS	(sizeof(ctl_cmds) / sizeof(ctl_cmds[0]))

static void
usage(FILE *fp)
{
	size_t	i;

	fprintf(fp, "usage: cohortctl [-s socket] [--json] command [args]\n"
	    "  -s socket   the daemon's socket (default $COHORT_SOCKET, or "
	    "%s)\n"
	    "  --json      one JSON object per line\n"
	    "  -h, --help  this help;  -V, --version  the version\n"
	    "commands:\n", COHORT_DEFAULT_SOCKET);
	for (i = 0; i < N_CMDS; i++)
		fprintf(fp, "  %s %s\n      %s\n", ctl_cmds[i].name,
		    ctl_cmds[i].args, ctl_cmds[i].help);
}

int
ctl_fail(const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "cohortctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return (1);
}

/* Connect, or print why not. */
struct cohort *
ctl_connect(struct ctl_env *env)
{
	struct cohort	*c;

	if (cohort_open(&c, env->socket, env->timeout_ms) != COHORT_OK) {
		fprintf(stderr, "cohortctl: %s\n", cohort_errmsg(c));
		cohort_close(c);
		return (NULL);
	}
	return (c);
}

int
parse_uint(const char *s, const char *what, long max, long *out)
{
	char	*end;

	errno = 0;
	*out = strtol(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || *out < 0 ||
	    *out > max) {
		fprintf(stderr, "cohortctl: %s must be a number from 0 to %ld, "
		    "not \"%s\"\n", what, max, s);
		return (-1);
	}
	return (0);
}

static int
cmd_members(struct ctl_env *env, int argc, char **argv)
{
	struct cohort		*c;
	struct cohort_member	*list;
	size_t			 i, n;

	(void)argv;
	if (argc > 1)
		return (ctl_fail("members takes no arguments"));
	if ((c = ctl_connect(env)) == NULL)
		return (1);
	if (cohort_members(c, &list, &n, env->timeout_ms) != COHORT_OK) {
		fprintf(stderr, "cohortctl: members: %s\n", cohort_errmsg(c));
		cohort_close(c);
		return (1);
	}
	env->out->members_head(stdout);
	for (i = 0; i < n; i++)
		env->out->member(stdout, &list[i]);
	cohort_members_free(list);
	cohort_close(c);
	return (fflush(stdout) == 0 ? 0 : 1);
}

static int
cmd_stats(struct ctl_env *env, int argc, char **argv)
{
	struct cohort		*c;
	struct cohort_stat	*st;
	size_t			 i, j, n;
	int			 prometheus = 0;

	if (argc == 2 && strcmp(argv[1], "--prometheus") == 0)
		prometheus = 1;
	else if (argc > 1)
		return (ctl_fail("usage: stats [--prometheus]"));
	if ((c = ctl_connect(env)) == NULL)
		return (1);
	if (cohort_stats(c, &st, &n, env->timeout_ms) != COHORT_OK) {
		fprintf(stderr, "cohortctl: stats: %s\n", cohort_errmsg(c));
		cohort_close(c);
		return (1);
	}
	if (prometheus)
		ctl_prometheus(stdout, st, n);
	/* Print section by section: runs of the same section and name. */
	for (i = 0; !prometheus && i < n; i = j) {
		for (j = i + 1; j < n; j++)
			if (strcmp(st[j].section, st[i].section) != 0 ||
			    strcmp(st[j].name, st[i].name) != 0)
				break;
		env->out->stats(stdout, &st[i], j - i);
	}
	cohort_stats_free(st);
	cohort_close(c);
	return (fflush(stdout) == 0 ? 0 : 1);
}

static int
cmd_reload(struct ctl_env *env, int argc, char **argv)
{
	struct cohort	*c;
	int		 rv;

	(void)argv;
	if (argc > 1)
		return (ctl_fail("reload takes no arguments"));
	if ((c = ctl_connect(env)) == NULL)
		return (1);
	if ((rv = cohort_reload(c, env->timeout_ms)) != COHORT_OK)
		fprintf(stderr, "cohortctl: reload: %s\n", cohort_errmsg(c));
	cohort_close(c);
	return (rv == COHORT_OK ? 0 : 1);
}

static int
cmd_log_level(struct ctl_env *env, int argc, char **argv)
{
	struct cohort	*c;
	int		 rv, debug;

	if (argc != 2 || (strcmp(argv[1], "debug") != 0 &&
	    strcmp(argv[1], "info") != 0))
		return (ctl_fail("usage: log-level debug|info"));
	debug = strcmp(argv[1], "debug") == 0;
	if ((c = ctl_connect(env)) == NULL)
		return (1);
	if ((rv = cohort_log_level(c, debug, env->timeout_ms)) != COHORT_OK)
		fprintf(stderr, "cohortctl: log-level: %s\n",
		    cohort_errmsg(c));
	cohort_close(c);
	return (rv == COHORT_OK ? 0 : 1);
}

static int
cmd_events(struct ctl_env *env, int argc, char **argv)
{
	struct cohort		*c;
	struct cohort_event	 ev;
	long			 count = 0, secs = -1, seen = 0;
	int			 ch, rv;

	optind = 1;
	while ((ch = getopt(argc, argv, "c:t:")) != -1) {
		switch (ch) {
		case 'c':
			if (parse_uint(optarg, "-c", LONG_MAX, &count) == -1)
				return (1);
			break;
		case 't':
			if (parse_uint(optarg, "-t", INT_MAX / 1000, &secs) ==
			    -1)
				return (1);
			break;
		default:
			return (ctl_fail("usage: events [-c count] "
			    "[-t seconds]"));
		}
	}
	if (optind != argc)
		return (ctl_fail("events: unexpected argument %s",
		    argv[optind]));
	if ((c = ctl_connect(env)) == NULL)
		return (1);
	if (cohort_watch(c, 1, env->timeout_ms) != COHORT_OK) {
		fprintf(stderr, "cohortctl: events: %s\n", cohort_errmsg(c));
		cohort_close(c);
		return (1);
	}
	for (;;) {
		if (count > 0 && seen >= count)
			break;
		rv = cohort_next_event(c, &ev, secs < 0 ? -1 :
		    (int)(secs * 1000));
		if (rv == COHORT_ERR_TIMEOUT) {
			cohort_close(c);
			if (count > 0) {
				fprintf(stderr, "cohortctl: events: timed out "
				    "after %ld of %ld events\n", seen, count);
				return (EXIT_TIMEOUT);
			}
			return (0);
		}
		if (rv != COHORT_OK) {
			fprintf(stderr, "cohortctl: events: %s\n",
			    cohort_errmsg(c));
			cohort_close(c);
			return (1);
		}
		env->out->event(stdout, &ev);
		fflush(stdout);
		seen++;
	}
	cohort_close(c);
	return (0);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "json",	no_argument,		NULL,	'j' },
		{ "help",	no_argument,		NULL,	'h' },
		{ "version",	no_argument,		NULL,	'V' },
		{ "socket",	required_argument,	NULL,	's' },
		{ NULL,		0,			NULL,	0 }
	};
	struct ctl_env	 env;
	size_t		 i;
	int		 ch;

	memset(&env, 0, sizeof(env));
	env.out = &ctl_output_text;
	env.timeout_ms = 10000;
	/* "+": stop at the command, whose options are its own. */
	while ((ch = getopt_long(argc, argv, "+hjs:V", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(stdout);
			return (0);
		case 'j':
			env.out = &ctl_output_json;
			break;
		case 's':
			env.socket = optarg;
			break;
		case 'V':
			printf("cohortctl %s\n", PACKAGE_VERSION);
			return (0);
		default:
			usage(stderr);
			return (1);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		usage(stderr);
		return (1);
	}
	for (i = 0; i < N_CMDS; i++)
		if (strcmp(argv[0], ctl_cmds[i].name) == 0)
			return (ctl_cmds[i].run(&env, argc, argv));
	fprintf(stderr, "cohortctl: unknown command \"%s\" (try cohortctl "
	    "--help)\n", argv[0]);
	return (1);
}
