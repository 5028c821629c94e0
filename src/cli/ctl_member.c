/*
 * ctl_member.c: cohortctl's membership commands: members, events.
 */
#include <stdio.h>

#include "ctl.h"
#include "ctl_parse.h"

int
cmd_members(const struct ctl_env *env, const struct ctl_cmd *cmd)
{
	struct cohort		*c;
	struct cohort_member	*list;
	size_t			 i, n;

	(void)cmd;
	if ((c = ctl_connect(env)) == NULL)
		return (1);
	if (ctl_report(c, "members", cohort_members(c, &list, &n,
	    env->timeout_ms)) != 0) {
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

/* -t bounds each wait: it starts again at every change. */
int
cmd_events(const struct ctl_env *env, const struct ctl_cmd *cmd)
{
	struct cohort		*c;
	struct cohort_event	 ev;
	long			 seen = 0;
	int			 rv = COHORT_OK;

	if ((c = ctl_connect(env)) == NULL)
		return (1);
	if (ctl_report(c, "events", cohort_watch(c, 1, env->timeout_ms)) !=
	    0) {
		cohort_close(c);
		return (1);
	}
	while (cmd->count == 0 || seen < cmd->count) {
		if ((rv = cohort_next_event(c, &ev, cmd->secs < 0 ? -1 :
		    (int)(cmd->secs * 1000))) != COHORT_OK)
			break;
		env->out->event(stdout, &ev);
		fflush(stdout);
		seen++;
	}
	rv = ctl_finish(c, "events", "events", rv, seen, cmd->count);
	cohort_close(c);
	return (rv);
}
