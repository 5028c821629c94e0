/*
 * log.h: logging in the OpenBSD style.
 *
 * Everything goes to stderr: systemd's journal reads it, and a "<N>"
 * syslog priority prefix on each line (when stderr is not a terminal)
 * lets journald file it at the right priority.
 */
#ifndef COHORT_LOG_H
#define COHORT_LOG_H

#include <stdarg.h>
#include <time.h>

void	 log_init(const char *, int);
void	 log_setverbose(int);
int	 log_getverbose(void);
void	 log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	 fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

/*
 * Rate limiting for messages that remote input can trigger: at most
 * RATELIM_BURST lines per RATELIM_INTERVAL seconds per limiter; what was
 * suppressed is counted and reported when the next line gets through.
 */
#define RATELIM_BURST		5
#define RATELIM_INTERVAL	10

struct ratelim {
	time_t		 start;
	unsigned int	 count;
	unsigned int	 suppressed;
};

/* Returns 1 if a line may be logged now; then check ->suppressed. */
int	 ratelim_allow(struct ratelim *, time_t);

/*
 * The same, per key ("address reason"): a flood from one source does not
 * silence what another source does wrong.  A fixed table; the least
 * recently used key makes room.
 */
#define RATELIM_KEYS		64
#define RATELIM_KEY_MAX		96

struct ratelim_table {
	struct {
		char		 key[RATELIM_KEY_MAX];
		time_t		 used;
		struct ratelim	 rl;
	}		 e[RATELIM_KEYS];
};

int	 ratelim_key_allow(struct ratelim_table *, const char *, time_t);

/*
 * log_debug for a line that a client's or a peer's frame triggers: at
 * most RATELIM_BURST per RATELIM_INTERVAL through the limiter, and how
 * many were left out is said with the next one let through.  Nothing is
 * counted while debug logging is off.
 */
void	 log_debug_rl(struct ratelim *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

#endif /* COHORT_LOG_H */
