/*
 * cohortctl.c: the command line for the local cohortd.
 *
 * main takes the global options, has ctl_parse() turn the rest into a
 * struct ctl_cmd, and runs that command, which prints through a struct
 * ctl_output, text or JSON.  Every failure ends with a non-zero exit
 * status and one line on stderr.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "ctl_parse.h"

static int	(*const ctl_run[CTL_N_ACTIONS])(const struct ctl_env *,
		    const struct ctl_cmd *) = {
	[CTL_MEMBERS] =		cmd_members,
	[CTL_EVENTS] =		cmd_events,
	[CTL_TOP] =		cmd_top,
	[CTL_SEND] =		cmd_send,
	[CTL_MULTICAST] =	cmd_multicast,
	[CTL_BROADCAST] =	cmd_broadcast,
	[CTL_SUB] =		cmd_sub,
	[CTL_REQUEST] =		cmd_request,
	[CTL_REPLY] =		cmd_reply,
	[CTL_STATS] =		cmd_stats,
	[CTL_RELOAD] =		cmd_reload,
	[CTL_LOG_LEVEL] =	cmd_log_level,
};

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
	struct ctl_cmd	 cmd;
	int		 ch, rv;

	memset(&env, 0, sizeof(env));
	env.out = &ctl_output_text;
	env.timeout_ms = 10000;
	/* "+": stop at the command, whose options are its own. */
	while ((ch = getopt_long(argc, argv, "+hjs:V", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			ctl_usage(stdout);
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
			ctl_usage(stderr);
			return (1);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		ctl_usage(stderr);
		return (1);
	}
	if ((rv = ctl_parse(argc, argv, &cmd)) != 0)
		return (rv);
	rv = ctl_run[cmd.action](&env, &cmd);
	ctl_cmd_free(&cmd);
	return (rv);
}
