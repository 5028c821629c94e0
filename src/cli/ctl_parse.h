/*
 * ctl_parse.h: cohortctl's command line, parsed.
 *
 * ctl_parse() turns the words after the global options into a struct
 * ctl_cmd: which command, and its options and arguments checked.  It
 * talks to nobody: what a command does with them is up to the command.
 */
#ifndef COHORT_CTL_PARSE_H
#define COHORT_CTL_PARSE_H

#include <stdio.h>

/* multicast takes at most this many nodes. */
#define CTL_NODES_MAX	1024

enum ctl_action {
	CTL_MEMBERS,
	CTL_EVENTS,
	CTL_TOP,
	CTL_SEND,
	CTL_MULTICAST,
	CTL_BROADCAST,
	CTL_SUB,
	CTL_REQUEST,
	CTL_REPLY,
	CTL_STATS,
	CTL_RELOAD,
	CTL_LOG_LEVEL,
	CTL_N_ACTIONS
};

/*
 * A command and what it was given.  Strings point into argv and live as
 * long as it does; nodelist is ours (ctl_cmd_free()).
 */
struct ctl_cmd {
	enum ctl_action	 action;
	long		 count;		/* -c: 0 is no limit */
	long		 secs;		/* -t: -1 is none */
	long		 interval;	/* top -i, seconds */
	int		 flags;		/* broadcast: COHORT_SELF */
	int		 prometheus;	/* stats --prometheus */
	int		 debug;		/* log-level: 1 debug, 0 info */
	const char	*node;		/* send, request */
	const char	*subject;	/* send, multicast, broadcast, request */
	const char	*data;		/* the body; NULL: standard input */
	char	       **patterns;	/* sub: npatterns; reply: one */
	int		 npatterns;
	char	       **handler;	/* reply: cmd and args, NULL-ended */
	char		*nodelist;	/* multicast: what nodes[] points into */
	const char	*nodes[CTL_NODES_MAX];
	size_t		 n_nodes;
};

/*
 * argv[0] is the command.  Returns 0, or the exit status after saying
 * why on stderr.
 */
int	 ctl_parse(int argc, char **argv, struct ctl_cmd *);
void	 ctl_cmd_free(struct ctl_cmd *);
/* The --help text: global options, then every command. */
void	 ctl_usage(FILE *);

#endif /* COHORT_CTL_PARSE_H */
