/*
 * ctl_admin.c: cohortctl's commands about the daemon itself: stats,
 * reload, log-level.
 */
#include <stdio.h>

#include "ctl.h"
#include "ctl_parse.h"

int
cmd_stats(const struct ctl_env *env, const struct ctl_cmd *cmd)
{
	const struct ctl_output	*out;
	struct cohort		*c;
	struct cohort_stat	*st;
	size_t			 n;

	out = cmd->prometheus ? &ctl_output_prometheus : env->out;
	if ((c = ctl_connect(env)) == NULL)
		return (1);
	if (ctl_report(c, "stats", cohort_stats(c, &st, &n,
	    env->timeout_ms)) != 0) {
		cohort_close(c);
		return (1);
	}
	out->stats(stdout, st, n);
	cohort_stats_free(st);
	cohort_close(c);
	return (fflush(stdout) == 0 ? 0 : 1);
}

int
cmd_reload(const struct ctl_env *env, const struct ctl_cmd *cmd)
{
	struct cohort	*c;
	int		 rv;

	(void)cmd;
	if ((c = ctl_connect(env)) == NULL)
		return (1);
	rv = ctl_report(c, "reload", cohort_reload(c, env->timeout_ms));
	cohort_close(c);
	return (rv);
}

int
cmd_log_level(const struct ctl_env *env, const struct ctl_cmd *cmd)
{
	struct cohort	*c;
	int		 rv;

	if ((c = ctl_connect(env)) == NULL)
		return (1);
	rv = ctl_report(c, "log-level", cohort_log_level(c, cmd->debug,
	    env->timeout_ms));
	cohort_close(c);
	return (rv);
}
