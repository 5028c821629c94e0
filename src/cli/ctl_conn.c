/*
 * ctl_conn.c: the connection to cohortd as every command uses it: open
 * it, subscribe, bound the waits, and say in one line why it failed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "ctl.h"

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
ctl_connect(const struct ctl_env *env)
{
	struct cohort	*c;

	if (cohort_open(&c, env->socket, env->timeout_ms) != COHORT_OK) {
		fprintf(stderr, "cohortctl: %s\n", cohort_errmsg(c));
		cohort_close(c);
		return (NULL);
	}
	return (c);
}

/* rv of a libcohort call made for cmd: 0, or 1 after saying why. */
int
ctl_report(struct cohort *c, const char *cmd, int rv)
{
	if (rv == COHORT_OK)
		return (0);
	fprintf(stderr, "cohortctl: %s: %s\n", cmd, cohort_errmsg(c));
	return (1);
}

/* Connected and subscribed to each of the n patterns, or NULL. */
struct cohort *
ctl_connect_sub(const struct ctl_env *env, char **patterns, int n)
{
	struct cohort	*c;
	int		 i;

	if ((c = ctl_connect(env)) == NULL)
		return (NULL);
	for (i = 0; i < n; i++)
		if (cohort_subscribe(c, patterns[i], env->timeout_ms) !=
		    COHORT_OK) {
			fprintf(stderr, "cohortctl: subscribe %s: %s\n",
			    patterns[i], cohort_errmsg(c));
			cohort_close(c);
			return (NULL);
		}
	return (c);
}

/*
 * The end of a command that handles count items (0: no limit) until a
 * timeout: rv is how the last wait went, seen how many were handled.
 * 0 at the count or at the timeout without one, EXIT_TIMEOUT at the
 * timeout short of it, 1 on an error.
 */
int
ctl_finish(struct cohort *c, const char *cmd, const char *items, int rv,
    long seen, long count)
{
	if (rv == COHORT_ERR_TIMEOUT) {
		if (count > 0) {
			fprintf(stderr, "cohortctl: %s: timed out after %ld of "
			    "%ld %s\n", cmd, seen, count, items);
			return (EXIT_TIMEOUT);
		}
		return (0);
	}
	return (ctl_report(c, cmd, rv));
}

long long
ctl_mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* Milliseconds left of secs since start (ctl_mono_ms), -1 = forever. */
int
ctl_time_left(long secs, long long start)
{
	long long	left;

	if (secs < 0)
		return (-1);
	left = start + secs * 1000 - ctl_mono_ms();
	return (left < 0 ? 0 : (int)left);
}
