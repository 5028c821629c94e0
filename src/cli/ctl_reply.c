/*
 * ctl_reply.c: cohortctl reply, which answers each request with what a
 * command it runs writes.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl_parse.h"

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
cmd_reply(const struct ctl_env *env, const struct ctl_cmd *cmd)
{
	struct cohort		*c;
	struct cohort_msg	*m;
	long			 seen = 0;
	long long		 start;
	char			*out;
	size_t			 outlen;
	int			 rv = COHORT_OK;

	/* A command that does not read its input is not our end. */
	signal(SIGPIPE, SIG_IGN);
	if ((c = ctl_connect_sub(env, cmd->patterns, cmd->npatterns)) == NULL)
		return (1);
	start = ctl_mono_ms();
	while (cmd->count == 0 || seen < cmd->count) {
		if ((rv = cohort_next_msg(c, &m, ctl_time_left(cmd->secs,
		    start))) != COHORT_OK)
			break;
		if (!m->is_request) {
			cohort_msg_free(m);
			continue;
		}
		if (run_handler(cmd->handler, m->data, m->len, &out,
		    &outlen) == -1) {
			fprintf(stderr, "cohortctl: reply: cannot run %s: %s\n",
			    cmd->handler[0], strerror(errno));
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
	rv = ctl_finish(c, "reply", "messages", rv, seen, cmd->count);
	cohort_close(c);
	return (rv);
}
