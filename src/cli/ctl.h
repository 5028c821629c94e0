/*
 * ctl.h: what cohortctl's command files share.
 */
#ifndef COHORT_CTL_H
#define COHORT_CTL_H

#include <stddef.h>

#include "cohort.h"
#include "ctl_output.h"

/* Exit status of a command that timed out before its -c count. */
#define EXIT_TIMEOUT	2

struct ctl_env {
	const char		*socket;	/* NULL: $COHORT_SOCKET/default */
	const struct ctl_output	*out;
	int			 timeout_ms;	/* for answers from cohortd */
};

int		 ctl_fail(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
struct cohort	*ctl_connect(struct ctl_env *);
int		 parse_uint(const char *, const char *, long, long *);

/* ctl_msg.c */
int		 cmd_send(struct ctl_env *, int, char **);
int		 cmd_multicast(struct ctl_env *, int, char **);
int		 cmd_broadcast(struct ctl_env *, int, char **);
int		 cmd_sub(struct ctl_env *, int, char **);
int		 cmd_request(struct ctl_env *, int, char **);
int		 cmd_reply(struct ctl_env *, int, char **);

#endif /* COHORT_CTL_H */
