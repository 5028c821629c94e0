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
	COHORT_ERR_UNREACHABLE = -9,	/* a target node is unknown or down */
	COHORT_ERR_NO_RESPONDER = -10,	/* nobody serves the subject there */
	COHORT_ERR_TOO_BIG = -11,	/* over limits.max_message_size */
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
 * Administration: reload the daemon's config file (as SIGHUP does; an
 * invalid file is COHORT_ERR_REFUSED and cohort_errmsg() says why), and
 * switch debug logging on or off until the next reload.
 */
int		 cohort_reload(struct cohort *, int timeout_ms);
int		 cohort_log_level(struct cohort *, int debug, int timeout_ms);

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
 * Messages.
 *
 * A subject is dot-separated tokens ("orders.eu.created"); a subscription
 * pattern may use "*" for one token and ">" as the last token for all the
 * rest.  Every client subscribed on a node gets one copy of each message
 * sent to that node with a matching subject.  Messages from one sender to
 * one node arrive in the order they were sent.
 */
struct cohort_msg {
	const char	*origin;	/* node id of the sender */
	const char	*subject;
	const void	*data;
	size_t		 len;
	int		 is_request;	/* answer it with cohort_reply() */
	uint64_t	 token;		/* identifies the request */
};

/* A node a multicast or broadcast did not reach, and why. */
struct cohort_unreached {
	char		 node[COHORT_ID_MAX + 1];
	int		 status;	/* COHORT_ERR_UNREACHABLE */
	const char	*reason;	/* "node is not up", ... */
};

/* Flags for cohort_broadcast(). */
#define COHORT_SELF		0x01	/* deliver on the local node too */

typedef void	(*cohort_msg_cb)(struct cohort *, const struct cohort_msg *,
		    void *);
/* status is COHORT_OK with the reply, or an error with reply NULL. */
typedef void	(*cohort_reply_cb)(struct cohort *, int,
		    const struct cohort_msg *, void *);
/* Failures of cohort_publish() and replies, which return before them. */
typedef void	(*cohort_error_cb)(struct cohort *, int, const char *, void *);

int		 cohort_subscribe(struct cohort *, const char *pattern,
		    int timeout_ms);
int		 cohort_unsubscribe(struct cohort *, const char *pattern,
		    int timeout_ms);

/*
 * Send and wait for the daemon to accept it: an unknown or down node is
 * COHORT_ERR_UNREACHABLE, with the node named by cohort_errmsg().
 */
int		 cohort_send(struct cohort *, const char *node,
		    const char *subject, const void *data, size_t len,
		    int timeout_ms);
/*
 * To several nodes, or to every up node.  COHORT_ERR_UNREACHABLE when
 * some were not reached: *unreached (free with free()) lists them.
 */
int		 cohort_multicast(struct cohort *, const char *const *nodes,
		    size_t n, const char *subject, const void *data,
		    size_t len, struct cohort_unreached **unreached,
		    size_t *n_unreached, int timeout_ms);
int		 cohort_broadcast(struct cohort *, int flags,
		    const char *subject, const void *data, size_t len,
		    struct cohort_unreached **unreached, size_t *n_unreached,
		    int timeout_ms);
/*
 * Fire and forget, for throughput: queued in the handle and written in
 * batches (cohort_flush(), any blocking call and cohort_dispatch() write
 * it out).  A failure is never silent: it reaches the error callback.
 */
int		 cohort_publish(struct cohort *, const char *node,
		    const char *subject, const void *data, size_t len);
/*
 * The same to every node that is up (with COHORT_SELF, this one too):
 * cohort_broadcast() without waiting for the daemon's answer.
 */
int		 cohort_publish_all(struct cohort *, int flags,
		    const char *subject, const void *data, size_t len);
int		 cohort_flush(struct cohort *, int timeout_ms);

/*
 * Request/reply: exactly one reply, or COHORT_ERR_NO_RESPONDER at once
 * when nobody serves the subject on that node, or COHORT_ERR_TIMEOUT.
 * cohort_request() blocks; free *reply with cohort_msg_free().
 * cohort_request_async() returns at once and calls cb from
 * cohort_dispatch(); many may be in flight.
 */
int		 cohort_request(struct cohort *, const char *node,
		    const char *subject, const void *data, size_t len,
		    struct cohort_msg **reply, int timeout_ms);
int		 cohort_request_async(struct cohort *, const char *node,
		    const char *subject, const void *data, size_t len,
		    int timeout_ms, cohort_reply_cb cb, void *arg);
int		 cohort_reply(struct cohort *, const struct cohort_msg *request,
		    const void *data, size_t len);

/*
 * Receiving: with a callback set, cohort_dispatch() calls it and the
 * message is valid during the call only.  Without one, messages queue
 * for cohort_next_msg(), which returns a copy to free with
 * cohort_msg_free().
 */
void		 cohort_set_msg_cb(struct cohort *, cohort_msg_cb, void *);
void		 cohort_set_error_cb(struct cohort *, cohort_error_cb, void *);
int		 cohort_next_msg(struct cohort *, struct cohort_msg **,
		    int timeout_ms);
void		 cohort_msg_free(struct cohort_msg *);
/* The largest body the daemon accepts (limits.max_message_size). */
size_t		 cohort_max_message(const struct cohort *);
/* Asynchronous errors seen without an error callback. */
uint64_t	 cohort_async_errors(const struct cohort *);

/*
 * Event-loop use: cohort_fd() is non-blocking; when it is readable, call
 * cohort_dispatch(), which reads what is there and runs callbacks.  It
 * returns the number of callbacks run, or an error (COHORT_ERR_CLOSED
 * when the daemon went away).  cohort_pending() tells whether events are
 * queued already, so that a loop does not wait on the fd for them.
 */
int		 cohort_fd(const struct cohort *);
int		 cohort_dispatch(struct cohort *);
/* Events or messages queued already, to deliver without waiting. */
int		 cohort_pending(const struct cohort *);

#ifdef __cplusplus
}
#endif

#endif /* COHORT_H */
