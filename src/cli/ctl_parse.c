/*
 * ctl_parse.c: cohortctl's words, from argv to a struct ctl_cmd.
 *
 * One static table names every command, its arguments and help (the
 * --help text is made from it) and the function that parses its words;
 * fixed words (log-level's levels, --self, --prometheus) are tables of
 * their own, as bgpctl's parser.c has them.  Options are getopt's.
 * Nothing here connects to the daemon or reads standard input: an error
 * found here is found before anything is sent.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "ctl_parse.h"

/* A fixed word and what it stands for. */
struct ctl_word {
	const char	*word;
	int		 value;
};

struct ctl_token {
	const char	*keyword;
	enum ctl_action	 action;
	const char	*args;		/* for usage and --help */
	const char	*help;
	const char	*opts;		/* getopt's optstring, or NULL */
	int		(*parse)(const struct ctl_token *, int, char **,
			    struct ctl_cmd *);
};

static const struct ctl_word t_levels[] = {
	{ "debug",	1 },
	{ "info",	0 },
	{ NULL,		0 }
};
static const struct ctl_word t_stats_opts[] = {
	{ "--prometheus", 1 },
	{ NULL,		0 }
};
static const struct ctl_word t_broadcast_opts[] = {
	{ "--self",	COHORT_SELF },
	{ NULL,		0 }
};

static int	 parse_none(const struct ctl_token *, int, char **,
		    struct ctl_cmd *);
static int	 parse_opts_only(const struct ctl_token *, int, char **,
		    struct ctl_cmd *);
static int	 parse_send(const struct ctl_token *, int, char **,
		    struct ctl_cmd *);
static int	 parse_multicast(const struct ctl_token *, int, char **,
		    struct ctl_cmd *);
static int	 parse_broadcast(const struct ctl_token *, int, char **,
		    struct ctl_cmd *);
static int	 parse_sub(const struct ctl_token *, int, char **,
		    struct ctl_cmd *);
static int	 parse_request(const struct ctl_token *, int, char **,
		    struct ctl_cmd *);
static int	 parse_reply(const struct ctl_token *, int, char **,
		    struct ctl_cmd *);
static int	 parse_stats(const struct ctl_token *, int, char **,
		    struct ctl_cmd *);
static int	 parse_log_level(const struct ctl_token *, int, char **,
		    struct ctl_cmd *);

static const struct ctl_token ctl_tokens[] = {
	{ "members", CTL_MEMBERS, "",
	    "list every configured node and its state", NULL, parse_none },
	{ "events", CTL_EVENTS, "[-c count] [-t seconds]",
	    "print membership changes as they happen", "c:t:",
	    parse_opts_only },
	{ "top", CTL_TOP, "[-c count] [-i seconds]",
	    "a live table of members, message rates and queues (q quits)",
	    "+c:i:", parse_opts_only },
	{ "send", CTL_SEND, "node subject [data]",
	    "send to one node (data from stdin if not given)", NULL,
	    parse_send },
	{ "multicast", CTL_MULTICAST, "node,node,... subject [data]",
	    "send to several nodes", NULL, parse_multicast },
	{ "broadcast", CTL_BROADCAST, "[--self] subject [data]",
	    "send to every up node (and this one with --self)", NULL,
	    parse_broadcast },
	{ "sub", CTL_SUB, "[-c count] [-t seconds] subject...",
	    "print messages as they arrive", "+c:t:", parse_sub },
	{ "request", CTL_REQUEST, "[-t seconds] node subject [data]",
	    "send a request, print the reply", "+t:", parse_request },
	{ "reply", CTL_REPLY, "[-c count] [-t seconds] subject -- cmd [args]",
	    "answer requests with cmd's output (request body on its stdin)",
	    "+c:t:", parse_reply },
	{ "stats", CTL_STATS, "[--prometheus]",
	    "daemon and per-peer counters (or Prometheus text format)", NULL,
	    parse_stats },
	{ "reload", CTL_RELOAD, "",
	    "reload the daemon's config file (like SIGHUP)", NULL,
	    parse_none },
	{ "log-level", CTL_LOG_LEVEL, "debug|info",
	    "switch debug logging on or off", NULL, parse_log_level },
};
#define N_TOKENS	(sizeof(ctl_tokens) / sizeof(ctl_tokens[0]))

/* Seconds of top -i. */
#define TOP_INTERVAL_MAX	3600

/* How an option list went: bad numbers and letters are told apart. */
enum opt_status {
	OPT_OK,
	OPT_BADNUM,		/* parse_num said why */
	OPT_BADOPT		/* getopt said why */
};

void
ctl_usage(FILE *fp)
{
	size_t	i;

	fprintf(fp, "usage: cohortctl [-s socket] [--json] command [args]\n"
	    "  -s socket   the daemon's socket (default $COHORT_SOCKET, or "
	    "%s)\n"
	    "  --json      one JSON object per line\n"
	    "  -h, --help  this help;  -V, --version  the version\n"
	    "commands:\n", COHORT_DEFAULT_SOCKET);
	for (i = 0; i < N_TOKENS; i++)
		fprintf(fp, "  %s %s\n      %s\n", ctl_tokens[i].keyword,
		    ctl_tokens[i].args, ctl_tokens[i].help);
}

/* "usage: send node subject [data]", and more if given; exit status. */
static int
usage_fail(const struct ctl_token *t, const char *more)
{
	return (ctl_fail("usage: %s %s%s", t->keyword, t->args, more));
}

/* The value of word in words, or -1. */
static int
match_word(const struct ctl_word *words, const char *word)
{
	for (; words->word != NULL; words++)
		if (strcmp(words->word, word) == 0)
			return (words->value);
	return (-1);
}

static int
parse_num(const char *s, const char *what, long min, long max, long *out)
{
	char	*end;

	errno = 0;
	*out = strtol(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || *out < min ||
	    *out > max) {
		fprintf(stderr, "cohortctl: %s must be a number from %ld to "
		    "%ld, not \"%s\"\n", what, min, max, s);
		return (-1);
	}
	return (0);
}

/*
 * -c count, -t seconds and -i seconds, as the token's optstring allows.
 * optind is set to 1, not 0: getopt keeps the ordering main's "+" chose.
 */
static enum opt_status
parse_opts(const struct ctl_token *t, int argc, char **argv,
    struct ctl_cmd *cmd)
{
	int	ch;

	optind = 1;
	while ((ch = getopt(argc, argv, t->opts)) != -1) {
		switch (ch) {
		case 'c':
			if (parse_num(optarg, "-c", 0, LONG_MAX, &cmd->count) ==
			    -1)
				return (OPT_BADNUM);
			break;
		case 't':
			if (parse_num(optarg, "-t", 0, INT_MAX / 1000,
			    &cmd->secs) == -1)
				return (OPT_BADNUM);
			break;
		case 'i':
			if (parse_num(optarg, "-i", 1, TOP_INTERVAL_MAX,
			    &cmd->interval) == -1)
				return (OPT_BADNUM);
			break;
		default:
			return (OPT_BADOPT);
		}
	}
	return (OPT_OK);
}

/* members, reload. */
static int
parse_none(const struct ctl_token *t, int argc, char **argv,
    struct ctl_cmd *cmd)
{
	(void)argv;
	(void)cmd;
	if (argc > 1)
		return (ctl_fail("%s takes no arguments", t->keyword));
	return (0);
}

/* events and top: a bad number is its own message, a bad letter usage. */
static int
parse_opts_only(const struct ctl_token *t, int argc, char **argv,
    struct ctl_cmd *cmd)
{
	switch (parse_opts(t, argc, argv, cmd)) {
	case OPT_BADNUM:
		return (1);
	case OPT_BADOPT:
		return (usage_fail(t, ""));
	case OPT_OK:
		break;
	}
	if (optind != argc)
		return (ctl_fail("%s: unexpected argument %s", t->keyword,
		    argv[optind]));
	return (0);
}

static int
parse_send(const struct ctl_token *t, int argc, char **argv,
    struct ctl_cmd *cmd)
{
	if (argc < 3 || argc > 4)
		return (usage_fail(t, ""));
	cmd->node = argv[1];
	cmd->subject = argv[2];
	cmd->data = argc == 4 ? argv[3] : NULL;
	return (0);
}

static int
parse_multicast(const struct ctl_token *t, int argc, char **argv,
    struct ctl_cmd *cmd)
{
	char	*tok, *save;

	if (argc < 3 || argc > 4)
		return (usage_fail(t, ""));
	if ((cmd->nodelist = strdup(argv[1])) == NULL)
		return (ctl_fail("out of memory"));
	for (tok = strtok_r(cmd->nodelist, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (cmd->n_nodes == CTL_NODES_MAX)
			return (ctl_fail("multicast: more than %zu nodes",
			    cmd->n_nodes));
		cmd->nodes[cmd->n_nodes++] = tok;
	}
	if (cmd->n_nodes == 0)
		return (ctl_fail("multicast: no node given"));
	cmd->subject = argv[2];
	cmd->data = argc == 4 ? argv[3] : NULL;
	return (0);
}

static int
parse_broadcast(const struct ctl_token *t, int argc, char **argv,
    struct ctl_cmd *cmd)
{
	int	i = 1, flag;

	if (argc > 1 && (flag = match_word(t_broadcast_opts, argv[1])) !=
	    -1) {
		cmd->flags |= flag;
		i++;
	}
	if (argc - i < 1 || argc - i > 2)
		return (usage_fail(t, ""));
	cmd->subject = argv[i];
	cmd->data = i + 1 < argc ? argv[i + 1] : NULL;
	return (0);
}

static int
parse_sub(const struct ctl_token *t, int argc, char **argv,
    struct ctl_cmd *cmd)
{
	if (parse_opts(t, argc, argv, cmd) != OPT_OK || optind >= argc)
		return (usage_fail(t, ""));
	cmd->patterns = argv + optind;
	cmd->npatterns = argc - optind;
	return (0);
}

static int
parse_request(const struct ctl_token *t, int argc, char **argv,
    struct ctl_cmd *cmd)
{
	cmd->secs = 5;
	if (parse_opts(t, argc, argv, cmd) != OPT_OK)
		return (usage_fail(t, ""));
	if (argc - optind < 2 || argc - optind > 3 || cmd->secs == 0)
		return (usage_fail(t, " (seconds > 0)"));
	cmd->node = argv[optind];
	cmd->subject = argv[optind + 1];
	cmd->data = optind + 2 < argc ? argv[optind + 2] : NULL;
	return (0);
}

/* reply [-c count] [-t seconds] subject -- cmd [args] */
static int
parse_reply(const struct ctl_token *t, int argc, char **argv,
    struct ctl_cmd *cmd)
{
	int	dash;

	if (parse_opts(t, argc, argv, cmd) != OPT_OK)
		return (1);
	for (dash = optind; dash < argc && strcmp(argv[dash], "--") != 0;
	    dash++)
		;
	if (dash != optind + 1 || dash + 1 >= argc)
		return (usage_fail(t, ""));
	cmd->patterns = argv + optind;
	cmd->npatterns = 1;
	cmd->handler = argv + dash + 1;
	return (0);
}

static int
parse_stats(const struct ctl_token *t, int argc, char **argv,
    struct ctl_cmd *cmd)
{
	if (argc == 2 && match_word(t_stats_opts, argv[1]) != -1)
		cmd->prometheus = 1;
	else if (argc > 1)
		return (usage_fail(t, ""));
	return (0);
}

static int
parse_log_level(const struct ctl_token *t, int argc, char **argv,
    struct ctl_cmd *cmd)
{
	if (argc != 2 || (cmd->debug = match_word(t_levels, argv[1])) == -1)
		return (usage_fail(t, ""));
	return (0);
}

int
ctl_parse(int argc, char **argv, struct ctl_cmd *cmd)
{
	size_t	i;
	int	rv;

	memset(cmd, 0, sizeof(*cmd));
	cmd->secs = -1;
	cmd->interval = 1;
	for (i = 0; i < N_TOKENS; i++) {
		if (strcmp(argv[0], ctl_tokens[i].keyword) != 0)
			continue;
		cmd->action = ctl_tokens[i].action;
		if ((rv = ctl_tokens[i].parse(&ctl_tokens[i], argc, argv,
		    cmd)) != 0)
			ctl_cmd_free(cmd);
		return (rv);
	}
	fprintf(stderr, "cohortctl: unknown command \"%s\" (try cohortctl "
	    "--help)\n", argv[0]);
	return (1);
}

void
ctl_cmd_free(struct ctl_cmd *cmd)
{
	free(cmd->nodelist);
	cmd->nodelist = NULL;
	cmd->n_nodes = 0;
}
