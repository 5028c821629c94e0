/*
 * daemon.h: the daemon layer: one struct cohortd made by main(), holding
 * the config and handles to the modules below, which own their own
 * state.  Calls go one way:
 *   main.c (options, -t, --keygen, the loop)
 *     -> daemon.c (start, wiring of the modules' callback tables,
 *        signals, the answers that need several modules: members, stats)
 *     -> reload.c (SIGHUP and `cohortctl reload`)
 *     -> load.c (config, cluster keys and TLS context, read together)
 *     -> metrics.c (the HTTP endpoint: GET /metrics, /healthz)
 *     -> stats.c (every statistic, from the module that keeps it)
 * and each of them down into relay, mesh, control, io and common.
 */
#ifndef COHORT_DAEMON_H
#define COHORT_DAEMON_H

#include <stdint.h>

#include <event2/event.h>

#include "common/auth.h"
#include "common/config.h"
#include "common/counters.h"

struct mesh;
struct control;
struct relay;
struct transport;
struct http;
struct ssl_ctx_st;

struct daemon_stats {
	STATS_FIELDS(daemon)
};

struct cohortd {
	struct event_base	*base;
	struct cohort_conf	 conf;		/* replaced in place by reloads */
	const char		*conf_path;
	const char		*node_override;	/* -n */
	int			 debug;		/* -d, kept across reloads */
	uint64_t		 incarnation;	/* new at every start */
	struct auth_keys	 keys;		/* cluster keys; n = 0: none */
	struct transport	*tr;		/* plain or TLS, for the mesh */
	uint64_t		 started_ms;
	int			 stopping;
	struct mesh		*mesh;
	struct control		*ctl;
	struct relay		*relay;
	struct http		*http;		/* metrics.c's; NULL until on */
	struct event		*ev_sigterm, *ev_sigint, *ev_sighup;
	struct event		*ev_exit_timer;
	struct event		*ev_watchdog;
};

/* daemon.c */
/*
 * Everything from the loaded config (and its TLS context, taken, or
 * NULL): -1, logged, if a module cannot start.
 */
int		 daemon_start(struct cohortd *, struct ssl_ctx_st *);
void		 daemon_free(struct cohortd *);
/* Tell systemd how many peers are up. */
void		 daemon_notify_status(struct cohortd *, int);

/* reload.c */
/* Read the config again and apply the differences; msg: one line. */
int		 daemon_reload(struct cohortd *, char *, size_t);

/* load.c */
/*
 * Read and check the config, its cluster keys and (security.tls) a TLS
 * context: the one path for cohortd -t, the start and every reload.
 * On success *tls is a new context or NULL; on failure -1 with err.
 */
int		 daemon_load(const char *, const char *, struct cohort_conf *,
		    struct auth_keys *, struct ssl_ctx_st **, char *, size_t);

/* metrics.c */
/* metrics.listen: serve it; -1, logged, if it cannot be bound. */
int		 metrics_start(struct cohortd *);
/*
 * Before a reload takes the new config: listen where it says, or stop;
 * if the new address cannot be bound, the old one stays in it, and in
 * force.  The limits apply to the next connections and steps.
 */
void		 metrics_reload(struct cohortd *, struct cohort_conf *);
void		 metrics_free(struct cohortd *);

/* stats.c */
/* The "daemon" section, then one "peer" section per peer, into sink. */
void		 daemon_stats(struct cohortd *, const struct stats_sink *);

#endif /* COHORT_DAEMON_H */
