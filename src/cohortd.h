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

#include "config.h"
#include "log.h"
#include "wire.h"

struct peer;
struct pconn;
struct client;

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
};

struct cohortd {
	struct event_base	*base;
	struct cohort_conf	 conf;
	const char		*conf_path;
	const char		*node_override;	/* -n */
	int			 debug;		/* -d, kept across reloads */
	uint64_t		 incarnation;	/* new at every start */
	uint64_t		 started_ms;
	int			 stopping;

	/* peer.c */
	struct peer_list	 peers;
	struct peer		*peer_index;	/* uthash head, by node id */
	struct pconn_list	 conns;		/* every peer stream */
	struct pconn_list	 graveyard;	/* closed, freed by reaper */
	struct event		*reaper;
	struct evconnlistener	*listener;
	struct ratelim		 rl_accept;

	/* control.c */
	struct client_list	 clients;
	size_t			 n_clients;
	uint64_t		 next_client_id;
	struct evconnlistener	*ctl_listener;
	char			 ctl_path[CONF_SOCKET_MAX + 1];
	struct event		*ctl_reaper;
	struct ratelim		 rl_ctl;

	struct event		*ev_sigterm, *ev_sigint, *ev_sighup;
	struct event		*ev_exit_timer;
	struct event		*ev_watchdog;
	struct cohortd_stats	 stats;
};

/* Clocks: monotonic microseconds for timers, wall milliseconds for users. */
uint64_t	 now_us(void);
uint64_t	 wall_ms(void);

/* peer.c */
int		 peer_init(struct cohortd *);
void		 peer_shutdown(struct cohortd *);
int		 peer_flushed(struct cohortd *);
void		 peer_free_all(struct cohortd *);
void		 peer_apply_conf(struct cohortd *);
size_t		 peer_count_up(struct cohortd *);
/* Fill a member record for node i of the config (self included). */
void		 peer_member(struct cohortd *, size_t, struct wire_member *);
void		 peer_stats(struct cohortd *, struct wire_writer *);

/* control.c */
int		 control_init(struct cohortd *);
void		 control_shutdown(struct cohortd *);
void		 control_broadcast_event(struct cohortd *,
		    const struct wire_ctl_event *);

/* relay.c: where peers and clients meet. */
void		 relay_member_changed(struct cohortd *, const char *,
		    enum member_state, enum member_state, uint64_t);

/* notify.c: sd_notify, a no-op without libsystemd. */
void		 notify_ready(struct cohortd *);
void		 notify_status(struct cohortd *);
void		 notify_reloading(void);
void		 notify_stopping(void);
void		 notify_watchdog_init(struct cohortd *);

#endif /* COHORT_COHORTD_H */
