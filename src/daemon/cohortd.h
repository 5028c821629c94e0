/*
 * cohortd.h: the daemon's shared state and the functions its modules
 * offer each other.  One struct cohortd is made by main() and passed down;
 * each module owns its part of it.
 */
#ifndef COHORT_COHORTD_H
#define COHORT_COHORTD_H

#include <sys/socket.h>

#include <stdint.h>
#include <time.h>

#include <bsd/sys/queue.h>

#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "common/config.h"
#include "common/log.h"
#include "common/wire.h"

struct peer;
struct pconn;
struct client;
struct pending;
struct rtoken;
struct subtree;

TAILQ_HEAD(peer_list, peer);
TAILQ_HEAD(pconn_list, pconn);
TAILQ_HEAD(client_list, client);

/* Daemon-wide counters, shown by cohortctl stats. */
struct cohortd_stats {
	uint64_t	 conns_accepted;
	uint64_t	 conns_refused;		/* handshakes we refused */
	uint64_t	 refused_by_peer;	/* handshakes refused to us */
	uint64_t	 hello_timeouts;
	uint64_t	 protocol_errors;	/* bad frames from peers */
	uint64_t	 duplicate_streams;
	uint64_t	 clients_accepted;
	uint64_t	 clients_refused;	/* limits.max_clients */
	uint64_t	 client_errors;		/* bad frames from clients */
	uint64_t	 client_queue_overflows;
	uint64_t	 events_sent;
	/* relay.c */
	uint64_t	 msgs_published;	/* CTL_PUB from clients */
	uint64_t	 msgs_sent;		/* DATA to peers */
	uint64_t	 msgs_received;		/* DATA from peers */
	uint64_t	 msgs_delivered;	/* CTL_MSG to clients */
	uint64_t	 msgs_unsubscribed;	/* arrived, nobody subscribed */
	uint64_t	 unreachable;		/* targets unknown or down */
	uint64_t	 too_big;
	uint64_t	 bad_subjects;
	uint64_t	 requests;
	uint64_t	 requests_served;
	uint64_t	 requests_refused;	/* requests_per_client */
	uint64_t	 replies;
	uint64_t	 no_responder;
	uint64_t	 request_timeouts;
	uint64_t	 late_replies;
	uint64_t	 replies_undeliverable;
	uint64_t	 subs_refused;		/* subscriptions_per_client */
	uint64_t	 peer_queue_full;	/* peer_queue_bytes reached */
	uint64_t	 clients_paused;	/* publishers slowed for it */
	uint64_t	 subscribers_full;	/* client_queue_bytes reached */
	uint64_t	 peer_reads_paused;	/* peer streams slowed for it */
	uint64_t	 pending_refused;	/* pending stream limits */
	uint64_t	 accept_paused;		/* out of file descriptors */
	uint64_t	 auth_failures;		/* HELLO_ACK MAC refused */
	uint64_t	 tls_failures;		/* handshake or certificate */
	uint64_t	 clients_denied;	/* allow_users, allow_groups */
	uint64_t	 acl_refused;		/* security.rules said no */
	uint64_t	 msgs_maybe_lost;	/* in flight when a stream died */
};

struct cohortd {
	struct event_base	*base;
	struct cohort_conf	 conf;
	const char		*conf_path;
	const char		*node_override;	/* -n */
	int			 debug;		/* -d, kept across reloads */
	uint64_t		 incarnation;	/* new at every start */
	struct auth_keys	 keys;		/* cluster keys; n = 0: none */
	struct ssl_ctx_st	*tls;		/* security.tls, or NULL */
	uint64_t		 started_ms;
	int			 stopping;

	/* peer.c, peer_handshake.c, peer_flow.c (peer_int.h) */
	struct peer_list	 peers;
	struct peer		*peer_index;	/* uthash head, by node id */
	struct pconn_list	 conns;		/* every peer stream */
	struct pconn_list	 graveyard;	/* closed, freed by reaper */
	struct event		*reaper;
	struct evconnlistener	*listener;
	struct ratelim		 rl_accept;
	struct ratelim_table	 rl_refuse;	/* by source and reason */
	struct ratelim		 rl_relay;

	/* control.c */
	struct client_list	 clients;
	size_t			 n_clients;
	size_t			 n_full_clients;	/* slow subscribers */
	uint64_t		 next_client_id;
	struct evconnlistener	*ctl_listener;
	char			 ctl_path[CONF_SOCKET_MAX + 1];
	struct event		*ctl_reaper;
	struct ratelim		 rl_ctl;

	/* relay.c */
	struct subtree		*subs;
	struct pending		*pending;	/* uthash, by corr */
	struct rtoken		*tokens;	/* uthash, by token */
	uint64_t		 next_corr;
	uint64_t		 next_token;
	uint64_t		 match_gen;
	uint64_t		 rr;
	struct client		**match_buf;
	size_t			 match_cap;
	struct wire_unreached	*unreached;	/* n_nodes entries */

	struct event		*ev_sigterm, *ev_sigint, *ev_sighup;
	struct event		*ev_exit_timer;
	struct event		*ev_watchdog;
	struct cohortd_stats	 stats;
};

/* cohortd.c */
int		 cohortd_reload(struct cohortd *, char *, size_t);
/* Out of file descriptors: stop accepting on l for a second. */
void		 listener_pause(struct cohortd *, struct evconnlistener *, int);

/* Clocks: monotonic microseconds for timers, wall milliseconds for users. */
uint64_t	 now_us(void);
uint64_t	 wall_ms(void);

/* peer.c; sending and pausing reads: peer_flow.c */
int		 peer_init(struct cohortd *);
void		 peer_shutdown(struct cohortd *);
void		 peer_free_all(struct cohortd *);
struct peer_changes {
	size_t		 added, removed, changed, kept;
};
/* Bring the peers in line with sc->conf, just replaced by a reload. */
void		 peer_reconfigure(struct cohortd *, struct peer_changes *);
size_t		 peer_count_up(struct cohortd *);
/* Fill a member record for node i of the config (self included). */
void		 peer_member(struct cohortd *, size_t, struct wire_member *);
void		 peer_stats(struct cohortd *, struct wire_writer *);
/* Stop reading a peer's stream (a subscriber is full); resume them all. */
void		 peer_pause_read(struct cohortd *, const char *);
void		 peer_resume_reads(struct cohortd *);
/* 0 if node is up, else REASON_NODE_UNKNOWN or REASON_NODE_DOWN. */
int		 peer_state_reason(struct cohortd *, const char *);
/*
 * Queue head + body on node's stream: 0, or a reason as above.  When
 * congested is not NULL, it says whether the node's output queue is now
 * over limits.peer_queue_bytes (the sender should pause).  A tag
 * names the client and request a message came from, so that the client
 * can be told if the stream dies before the peer acknowledges it; NULL
 * for what the daemon sends on its own account (replies).
 */
struct send_tag {
	uint64_t	 client_id;
	uint32_t	 req_id;
};
int		 peer_send(struct cohortd *, const char *, const uint8_t *,
		    size_t, const uint8_t *, size_t, const struct send_tag *,
		    int *);
/*
 * To every up peer; the others are reported through the callback.  The
 * first congested peer, if any, is named in the last argument (room for
 * WIRE_ID_MAX + 1).
 */
size_t		 peer_broadcast(struct cohortd *, const uint8_t *, size_t,
		    const uint8_t *, size_t,
		    void (*)(const char *, uint32_t, void *), void *, char *,
		    const struct send_tag *);

/* control.c */
int		 control_init(struct cohortd *);
void		 control_shutdown(struct cohortd *);
void		 control_apply_acl(struct cohortd *);
void		 control_apply_policy(struct cohortd *);
void		 control_broadcast_event(struct cohortd *,
		    const struct wire_ctl_event *);
/*
 * Queue head + body to a client: 0; 1 if it is now a full subscriber,
 * whose sources the caller must pause (policy "backpressure"); -1 if it
 * is gone or was disconnected for overflowing.
 */
int		 control_deliver(struct client *, const uint8_t *, size_t,
		    const uint8_t *, size_t);
void		 control_error(struct client *, uint32_t, int, const char *,
		    ...) __attribute__((format(printf, 4, 5)));
/* Stop reading from a client until node's queue drains; resume them. */
void		 control_pause(struct client *, const char *);
void		 control_resume(struct cohortd *, const char *);
/* 1 if already marked in this match generation; marks it otherwise. */
int		 control_client_mark(struct client *, uint64_t);
uint64_t	 control_client_id(const struct client *);
/* Tell client id that count messages to node may be lost. */
void		 control_lost(struct cohortd *, uint64_t, const char *,
		    uint32_t, uint32_t, uint32_t);
/* Requests in flight for the client, after adding delta. */
uint32_t	 control_client_requests(struct client *, int);

/* relay.c: where peers and clients meet. */
int		 relay_init(struct cohortd *);
void		 relay_free(struct cohortd *);
void		 relay_member_changed(struct cohortd *, const char *,
		    enum member_state, enum member_state, uint64_t);
void		 relay_publish(struct cohortd *, struct client *,
		    const struct wire_ctl_pub *);
int		 relay_reply(struct cohortd *, struct client *, uint64_t,
		    const uint8_t *, size_t);
int		 relay_data_in(struct cohortd *, const char *,
		    const struct wire_data *);
int		 relay_subscribe(struct cohortd *, struct client *,
		    const char *);
int		 relay_unsubscribe(struct cohortd *, struct client *,
		    const char *);
size_t		 relay_subscriptions(struct cohortd *);
void		 relay_client_gone(struct cohortd *, struct client *);
void		 relay_peer_drained(struct cohortd *, const char *);
void		 relay_subscribers_drained(struct cohortd *);
void		 relay_lost(struct cohortd *, const char *, uint64_t, uint32_t,
		    uint32_t, uint32_t);

/* notify.c: sd_notify, a no-op without libsystemd. */
void		 notify_ready(struct cohortd *);
void		 notify_status(struct cohortd *);
void		 notify_reloading(void);
void		 notify_stopping(void);
void		 notify_watchdog_init(struct cohortd *);

#endif /* COHORT_COHORTD_H */
