/*
 * cohort.h: libcohort, the client library for the local cohortd.
 *
 * An application talks to the cohortd on its own machine over a Unix
 * socket.  A struct cohort is one such connection.  Use it in blocking
 * style (every call that waits takes a timeout) or from your own event
 * loop: poll cohort_fd() for reading and call cohort_dispatch().
 *
 * Thread safety: a handle may be used by one thread at a time; guard it
 * with a lock or give each thread its own handle.  Separate handles share
 * nothing.
 *
 * Errors: functions return COHORT_OK (0) or a negative enum cohort_status;
 * cohort_errmsg() then says what went wrong in one line.
 */
#ifndef COHORT_H
#define COHORT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define COHORT_DEFAULT_SOCKET	"/run/cohort/cohortd.sock"
#define COHORT_ID_MAX		63
#define COHORT_ADDR_MAX		255

enum cohort_status {
	COHORT_OK = 0,
	COHORT_ERR_SYS = -1,		/* a system call failed (errno) */
	COHORT_ERR_CONNECT = -2,	/* no daemon on the socket */
	COHORT_ERR_PROTO = -3,		/* the daemon sent something invalid */
	COHORT_ERR_CLOSED = -4,		/* the daemon closed the connection */
	COHORT_ERR_TIMEOUT = -5,
	COHORT_ERR_REFUSED = -6,	/* the daemon answered with an error */
	COHORT_ERR_INVAL = -7,		/* bad argument */
	COHORT_ERR_NOMEM = -8,
};

/* Membership states, as cohortctl prints them. */
enum cohort_state {
	COHORT_STATE_UNKNOWN = 0,	/* not seen since the daemon started */
	COHORT_STATE_SELF = 1,		/* the local node */
	COHORT_STATE_UP = 2,
	COHORT_STATE_DOWN = 3,		/* failed: stream lost or silent */
	COHORT_STATE_LEFT = 4,		/* left the cluster (said BYE) */
	COHORT_STATE_REFUSED = 5,	/* handshake refused (see the logs) */
};

struct cohort;

struct cohort_member {
	char		 id[COHORT_ID_MAX + 1];
	char		 address[COHORT_ADDR_MAX + 1];
	uint16_t	 port;
	enum cohort_state state;
	uint64_t	 rtt_us;	/* smoothed round trip; 0 if unknown */
	uint64_t	 incarnation;	/* changes at every restart */
	uint64_t	 since_ms;	/* state entered, ms since the epoch */
};

struct cohort_event {
	char		 node[COHORT_ID_MAX + 1];
	enum cohort_state state;
	enum cohort_state prev_state;
	uint64_t	 incarnation;
	uint64_t	 time_ms;	/* when the daemon saw it, epoch ms */
};

typedef void	(*cohort_event_cb)(struct cohort *,
		    const struct cohort_event *, void *);

/*
 * Connect to the daemon at path; NULL means $COHORT_SOCKET, or else
 * COHORT_DEFAULT_SOCKET.  *cp is set even on failure (unless memory ran
 * out) so that cohort_errmsg() can say why; cohort_close() it either way.
 */
int		 cohort_open(struct cohort **cp, const char *path,
		    int timeout_ms);
void		 cohort_close(struct cohort *);

const char	*cohort_errmsg(const struct cohort *);
const char	*cohort_strerror(int status);
const char	*cohort_state_name(enum cohort_state);

/* What the daemon told us at connect time. */
const char	*cohort_node_id(const struct cohort *);
const char	*cohort_cluster(const struct cohort *);
uint64_t	 cohort_incarnation(const struct cohort *);

/*
 * Every configured node, the local one included, in config order.  Free
 * the array with cohort_members_free().
 */
int		 cohort_members(struct cohort *, struct cohort_member **list,
		    size_t *count, int timeout_ms);
void		 cohort_members_free(struct cohort_member *);

/*
 * Counters: a flat list of (section, name, key, value).  section is
 * "daemon" (name: the node id) or "peer" (name: the peer's id); keys are
 * listed in cohortctl(1).  Free with cohort_stats_free().
 */
struct cohort_stat {
	char		 section[COHORT_ID_MAX + 1];
	char		 name[COHORT_ID_MAX + 1];
	char		 key[COHORT_ID_MAX + 1];
	uint64_t	 value;
};

int		 cohort_stats(struct cohort *, struct cohort_stat **list,
		    size_t *count, int timeout_ms);
void		 cohort_stats_free(struct cohort_stat *);

/*
 * Membership events: after cohort_watch(c, 1, ...) the daemon pushes one
 * event per state change of any peer.  With a callback set they are
 * delivered by cohort_dispatch(); without one they queue for
 * cohort_next_event().
 */
int		 cohort_watch(struct cohort *, int on, int timeout_ms);
void		 cohort_set_event_cb(struct cohort *, cohort_event_cb, void *);
int		 cohort_next_event(struct cohort *, struct cohort_event *,
		    int timeout_ms);

/*
 * Event-loop use: cohort_fd() is non-blocking; when it is readable, call
 * cohort_dispatch(), which reads what is there and runs callbacks.  It
 * returns the number of callbacks run, or an error (COHORT_ERR_CLOSED
 * when the daemon went away).  cohort_pending() tells whether events are
 * queued already, so that a loop does not wait on the fd for them.
 */
int		 cohort_fd(const struct cohort *);
int		 cohort_dispatch(struct cohort *);
int		 cohort_pending(const struct cohort *);

#ifdef __cplusplus
}
#endif

#endif /* COHORT_H */
