/*
 * log.c: see log.h.  The only mutable globals in the daemon live here:
 * the verbosity and the program name, as in OpenBSD's log.c, because every
 * file logs and passing a logger everywhere buys nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

static const char	*log_procname = "cohortd";
static int		 log_verbose;
static int		 log_prefix;	/* "<N>" priority prefixes */

void
log_init(const char *procname, int verbose)
{
	log_procname = procname;
	log_verbose = verbose;
	log_prefix = !isatty(STDERR_FILENO);
}

void
log_setverbose(int v)
{
	log_verbose = v;
}

int
log_getverbose(void)
{
	return (log_verbose);
}

/*
 * Control characters (newlines, escapes, DEL) in what peers and clients
 * send end up in messages: written as \xNN, so that no line can forge
 * another (a "\n<0>..." in a HELLO) or reach the terminal raw.
 */
static void
log_escape(char *dst, size_t len, const char *src)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 o = 0;
	unsigned char		 ch;

	for (; (ch = (unsigned char)*src) != '\0' && o + 5 < len; src++) {
		if (ch >= 0x20 && ch != 0x7f) {
			dst[o++] = (char)ch;
			continue;
		}
		dst[o++] = '\\';
		dst[o++] = 'x';
		dst[o++] = hex[ch >> 4];
		dst[o++] = hex[ch & 0xf];
	}
	dst[o] = '\0';
}

static void
vlog(int pri, const char *fmt, va_list ap, const char *errstr)
{
	char	raw[1024], msg[4 * sizeof(raw)];
	int	saved = errno;

	vsnprintf(raw, sizeof(raw), fmt, ap);
	log_escape(msg, sizeof(msg), raw);
	if (log_prefix)
		fprintf(stderr, "<%d>%s%s%s\n", pri, msg,
		    errstr ? ": " : "", errstr ? errstr : "");
	else
		fprintf(stderr, "%s: %s%s%s\n", log_procname, msg,
		    errstr ? ": " : "", errstr ? errstr : "");
	fflush(stderr);
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap, strerror(saved));
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap, NULL);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap, NULL);
	va_end(ap);
}

void
log_debug_rl(struct ratelim *rl, const char *fmt, ...)
{
	va_list		ap;
	unsigned int	left_out;

	if (!log_verbose || !ratelim_allow(rl, time(NULL)))
		return;
	left_out = rl->suppressed;
	rl->suppressed = 0;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap, NULL);
	va_end(ap);
	if (left_out > 0)
		log_debug("(%u debug lines of this kind before it were not "
		    "logged: rate limit)", left_out);
}

void
fatal(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, strerror(saved));
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}

int
ratelim_allow(struct ratelim *rl, time_t now)
{
	if (now - rl->start >= RATELIM_INTERVAL) {
		rl->start = now;
		rl->count = 0;
	}
	if (rl->count >= RATELIM_BURST) {
		rl->suppressed++;
		return (0);
	}
	rl->count++;
	return (1);
}

int
ratelim_key_allow(struct ratelim_table *t, const char *key, time_t now)
{
	size_t	i, lru = 0;

	for (i = 0; i < RATELIM_KEYS; i++) {
		if (strncmp(t->e[i].key, key, RATELIM_KEY_MAX - 1) == 0 &&
		    t->e[i].key[0] != '\0')
			break;
		if (t->e[i].used < t->e[lru].used)
			lru = i;
	}
	if (i == RATELIM_KEYS) {
		i = lru;
		memset(&t->e[i], 0, sizeof(t->e[i]));
		strlcpy(t->e[i].key, key, sizeof(t->e[i].key));
	}
	t->e[i].used = now;
	return (ratelim_allow(&t->e[i].rl, now));
}
