/*
 * ctl.h: what cohortctl's files share.
 *
 * Calls go one way: main (cohortctl.c) parses with ctl_parse.c, then runs
 * one command (ctl_member.c, ctl_admin.c, ctl_msg.c, ctl_reply.c,
 * ctl_top.c); commands print through a struct ctl_output (ctl_output*.c)
 * and talk to the daemon through ctl_conn.c; top draws with ctl_term.c.
 * None calls back up.
 */
#ifndef COHORT_CTL_H
#define COHORT_CTL_H

#include <stddef.h>

#include "cohort.h"
#include "ctl_output.h"

/* Exit status of a command that timed out before its -c count. */
#define EXIT_TIMEOUT	2

struct ctl_cmd;

struct ctl_env {
	const char		*socket;	/* NULL: $COHORT_SOCKET/default */
	const struct ctl_output	*out;
	int			 timeout_ms;	/* for answers from cohortd */
};

/* ctl_conn.c: the connection, deadlines, and one-line reasons. */
int		 ctl_fail(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
struct cohort	*ctl_connect(const struct ctl_env *);
int		 ctl_report(struct cohort *, const char *, int);
struct cohort	*ctl_connect_sub(const struct ctl_env *, char **, int);
int		 ctl_finish(struct cohort *, const char *, const char *, int,
		    long, long);
long long	 ctl_mono_ms(void);
int		 ctl_time_left(long, long long);

/* ctl_member.c */
int		 cmd_members(const struct ctl_env *, const struct ctl_cmd *);
int		 cmd_events(const struct ctl_env *, const struct ctl_cmd *);

/* ctl_admin.c */
int		 cmd_stats(const struct ctl_env *, const struct ctl_cmd *);
int		 cmd_reload(const struct ctl_env *, const struct ctl_cmd *);
int		 cmd_log_level(const struct ctl_env *, const struct ctl_cmd *);

/* ctl_msg.c */
int		 cmd_send(const struct ctl_env *, const struct ctl_cmd *);
int		 cmd_multicast(const struct ctl_env *, const struct ctl_cmd *);
int		 cmd_broadcast(const struct ctl_env *, const struct ctl_cmd *);
int		 cmd_sub(const struct ctl_env *, const struct ctl_cmd *);
int		 cmd_request(const struct ctl_env *, const struct ctl_cmd *);

/* ctl_reply.c */
int		 cmd_reply(const struct ctl_env *, const struct ctl_cmd *);

/* ctl_top.c */
int		 cmd_top(const struct ctl_env *, const struct ctl_cmd *);

#endif /* COHORT_CTL_H */
