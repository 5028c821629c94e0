/*
 * ctl_msg.c: cohortctl's messaging commands: send, multicast, broadcast,
 * sub, request.
 *
 * A body is the DATA argument, or else all of standard input, bytes as
 * they are.  Failures print one line on stderr and exit 1; a node that
 * could not be reached is named.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl_parse.h"

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

/* The data argument if there was one, else standard input. */
static int
get_body(const struct ctl_cmd *cmd, struct body *b)
{
	memset(b, 0, sizeof(*b));
	if (cmd->data != NULL) {
		b->data = cmd->data;
		b->len = strlen(cmd->data);
		return (0);
	}
	if (read_fd_all(STDIN_FILENO, &b->owned, &b->len, STDIN_MAX) == -1)
		return (ctl_fail("reading standard input: %s",
		    strerror(errno)));
	b->data = b->owned;
	return (0);
}

/* The body, then the connection; NULL after saying why. */
static struct cohort *
open_with_body(const struct ctl_env *env, const struct ctl_cmd *cmd,
    struct body *b)
{
	struct cohort	*c;

	if (get_body(cmd, b) != 0)
		return (NULL);
	if ((c = ctl_connect(env)) == NULL) {
		free(b->owned);
		b->owned = NULL;
	}
	return (c);
}

int
cmd_send(const struct ctl_env *env, const struct ctl_cmd *cmd)
{
	struct cohort	*c;
	struct body	 b;
	int		 rv;

	if ((c = open_with_body(env, cmd, &b)) == NULL)
		return (1);
	rv = ctl_report(c, "send", cohort_send(c, cmd->node, cmd->subject,
	    b.data, b.len, env->timeout_ms));
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

/*
 * multicast and broadcast.  The nodes not reached are named; for
 * broadcast, "every up node", that is success all the same.
 */
static int
send_many(const struct ctl_env *env, const struct ctl_cmd *cmd,
    const char *name)
{
	struct cohort		*c;
	struct cohort_unreached	*u;
	struct body		 b;
	size_t			 nu;
	int			 rv, all = cmd->action == CTL_BROADCAST;

	if ((c = open_with_body(env, cmd, &b)) == NULL)
		return (1);
	if (all)
		rv = cohort_broadcast(c, cmd->flags, cmd->subject, b.data,
		    b.len, &u, &nu, env->timeout_ms);
	else
		rv = cohort_multicast(c, cmd->nodes, cmd->n_nodes,
		    cmd->subject, b.data, b.len, &u, &nu, env->timeout_ms);
	if (rv == COHORT_ERR_UNREACHABLE && (nu > 0 || all))
		rv = report_unreached(name, u, nu) && !all;
	else
		rv = ctl_report(c, name, rv);
	free(b.owned);
	cohort_close(c);
	return (rv);
}

int
cmd_multicast(const struct ctl_env *env, const struct ctl_cmd *cmd)
{
	return (send_many(env, cmd, "multicast"));
}

int
cmd_broadcast(const struct ctl_env *env, const struct ctl_cmd *cmd)
{
	return (send_many(env, cmd, "broadcast"));
}

/* -t bounds the whole command. */
int
cmd_sub(const struct ctl_env *env, const struct ctl_cmd *cmd)
{
	struct cohort		*c;
	struct cohort_msg	*m;
	long			 seen = 0;
	long long		 start;
	int			 rv = COHORT_OK;

	if ((c = ctl_connect_sub(env, cmd->patterns, cmd->npatterns)) == NULL)
		return (1);
	start = ctl_mono_ms();
	while (cmd->count == 0 || seen < cmd->count) {
		if ((rv = cohort_next_msg(c, &m, ctl_time_left(cmd->secs,
		    start))) != COHORT_OK)
			break;
		env->out->msg(stdout, m);
		fflush(stdout);
		cohort_msg_free(m);
		seen++;
	}
	rv = ctl_finish(c, "sub", "messages", rv, seen, cmd->count);
	cohort_close(c);
	return (rv);
}

int
cmd_request(const struct ctl_env *env, const struct ctl_cmd *cmd)
{
	struct cohort		*c;
	struct cohort_msg	*m;
	struct body		 b;
	int			 rv;

	if ((c = open_with_body(env, cmd, &b)) == NULL)
		return (1);
	rv = cohort_request(c, cmd->node, cmd->subject, b.data, b.len, &m,
	    (int)(cmd->secs * 1000));
	if (rv == COHORT_OK) {
		env->out->reply(stdout, m);
		cohort_msg_free(m);
		rv = fflush(stdout) == 0 ? 0 : 1;
	} else
		rv = ctl_report(c, "request", rv);
	free(b.owned);
	cohort_close(c);
	return (rv);
}
