/*
 * counters.h: every statistic the daemon reports, in one list.
 *
 * Each row is X(owner, name, kind, help):
 *  - owner: the module whose struct holds it and which alone writes it:
 *    daemon, mesh, control, relay or http (io/http.c, the metrics
 *    endpoint); a few are kept by several modules and reported as their
 *    sum (listen: mesh and control; rc: relay and control; mrc: mesh,
 *    relay and control).
 *  - name: the field, the CTL_STATS key, the JSON key and the Prometheus
 *    name (cohort_<name>, cohort_peer_<name> for peer rows).
 *  - kind: counter (only grows) or gauge.
 *  - help: one line, the Prometheus HELP text and cohortd(8)'s.
 *
 * The struct of each module, the stats frame, cohortctl's printers and
 * t-man's check of cohortd(8) are all made from these lists, so a
 * counter cannot be added in one place and forgotten in another.  The
 * order is the order of `cohortctl stats`.
 */
#ifndef COHORT_COUNTERS_H
#define COHORT_COUNTERS_H

#include <stdint.h>

#define COHORT_STATS(X)							\
	X(daemon, uptime_ms, gauge, "milliseconds since the daemon started") \
	X(daemon, incarnation, gauge, "this process's incarnation number") \
	X(daemon, peers, gauge, "peers in the config (this node excluded)") \
	X(mesh, peers_up, gauge, "peers up now")			\
	X(control, clients, gauge, "local clients connected now")	\
	X(daemon, hb_interval_ms, gauge, "heartbeat.interval_ms in force") \
	X(daemon, hb_timeout_ms, gauge, "heartbeat.timeout_ms in force") \
	X(daemon, log_debug, gauge, "1 while debug logging is on")	\
	X(mesh, conns_accepted, counter, "peer streams accepted")	\
	X(mesh, conns_refused, counter, "peer handshakes this node refused") \
	X(mesh, refused_by_peer, counter, "handshakes peers refused to us") \
	X(mesh, hello_timeouts, counter, "streams closed without a HELLO in time") \
	X(mesh, protocol_errors, counter, "peer streams closed for a bad frame") \
	X(mesh, duplicate_streams, counter, "second streams to one peer resolved") \
	X(control, clients_accepted, counter, "local clients accepted")	\
	X(control, clients_refused, counter, "local clients refused by a limit") \
	X(control, client_errors, counter, "local clients closed for a bad frame") \
	X(control, client_queue_overflows, counter,			\
	    "clients disconnected for not reading")			\
	X(control, events_sent, counter, "membership events sent to clients") \
	X(relay, subscriptions, gauge, "subscriptions held now")	\
	X(relay, msgs_published, counter, "messages published by local clients") \
	X(relay, msgs_sent, counter, "DATA frames sent to peers")	\
	X(relay, msgs_received, counter, "DATA frames received from peers") \
	X(relay, msgs_delivered, counter, "messages delivered to local clients") \
	X(relay, msgs_unsubscribed, counter, "messages nobody here subscribed to") \
	X(relay, unreachable, counter, "targets unknown or down when sent to") \
	X(relay, too_big, counter, "messages over limits.max_message_size") \
	X(rc, bad_subjects, counter, "subjects or patterns refused as malformed") \
	X(relay, requests, counter, "requests sent by local clients")	\
	X(relay, requests_served, counter, "requests received for local responders") \
	X(relay, requests_refused, counter, "requests refused by a limit") \
	X(relay, replies, counter, "replies delivered to local requesters") \
	X(relay, no_responder, counter, "requests nobody served")	\
	X(relay, request_timeouts, counter, "requests without a reply in time") \
	X(relay, late_replies, counter, "replies after their request ended") \
	X(relay, replies_undeliverable, counter,			\
	    "replies whose requester's node was not up")		\
	X(relay, replies_refused, counter,				\
	    "replies from another node than the one asked, refused")	\
	X(control, subs_refused, counter,				\
	    "subscriptions refused by limits.subscriptions_per_client")	\
	X(control, memory_refused, counter,				\
	    "subscriptions refused by limits.client_memory_bytes or memory_bytes") \
	X(control, client_memory, gauge,				\
	    "bytes of subscription state charged to clients now")	\
	X(control, admin_refused, counter,				\
	    "reloads and log level changes refused to non-administrators") \
	X(mesh, peer_queues_full, counter,				\
	    "times a peer queue reached limits.peer_queue_bytes")	\
	X(control, clients_paused, counter, "times a publisher was slowed") \
	X(control, subscribers_full, counter,				\
	    "times a subscriber reached limits.client_queue_bytes")	\
	X(mesh, peer_reads_paused, counter,				\
	    "times reading a peer was paused for a full subscriber")	\
	X(control, subscribers_full_now, gauge, "subscribers full now")	\
	X(mesh, pending_refused, counter,				\
	    "streams refused by the limits on streams before HELLO")	\
	X(listen, accept_paused, counter,				\
	    "times accepting paused for lack of file descriptors")	\
	X(mesh, auth_failures, counter, "handshakes failing the key proof") \
	X(mesh, tls_failures, counter, "TLS handshakes or certificates refused") \
	X(control, clients_denied, counter,				\
	    "clients refused by allow_users or allow_groups")		\
	X(control, acl_refused, counter, "publishes or subscriptions refused by security.rules") \
	X(relay, msgs_maybe_lost, counter,				\
	    "messages reported to their senders as maybe lost")	\
	X(mrc, encode_errors, counter, "frames that could not be encoded") \
	X(http, http_connections, gauge, "HTTP connections open now")	\
	X(http, http_conns_accepted, counter, "HTTP connections accepted") \
	X(http, http_conns_refused, counter,				\
	    "HTTP connections closed at metrics.max_connections")	\
	X(http, http_requests, counter, "HTTP requests answered by a route") \
	X(http, http_bad_requests, counter,				\
	    "HTTP requests refused: malformed, unknown path, not GET")	\
	X(http, http_too_large, counter,				\
	    "HTTP requests refused over metrics.max_request_size")	\
	X(http, http_timeouts, counter,					\
	    "HTTP connections closed at metrics.timeout_ms")

/* One section per peer: X(name, kind, help). */
#define COHORT_PEER_STATS(X)						\
	X(state, gauge, "member state (cohort-protocol(7) codes)")	\
	X(since_ms, gauge, "wall-clock ms of the last state change")	\
	X(incarnation, gauge, "the peer's incarnation")		\
	X(rtt_us, gauge, "last round-trip time, microseconds")		\
	X(srtt_us, gauge, "smoothed round-trip time, microseconds")	\
	X(frames_in, counter, "frames received")			\
	X(frames_out, counter, "frames sent")				\
	X(bytes_in, counter, "bytes received")				\
	X(bytes_out, counter, "bytes sent")				\
	X(reconnects, counter, "dials after the first")		\
	X(state_changes, counter, "state changes")			\
	X(queue_bytes, gauge, "bytes queued to the peer now")		\
	X(queue_full, counter, "times its queue reached limits.peer_queue_bytes")

/*
 * The fields a module's struct gets: STATS_FIELDS(mesh) inside
 * struct mesh_stats declares the rows owned by mesh (and the shared ones
 * it takes part in).
 */
#define STATS_F_(n)			uint64_t n;
#define STATS_N_(n)
#define STATS_FIELD_daemon_daemon(n)	STATS_F_(n)
#define STATS_FIELD_daemon_mesh(n)	STATS_N_(n)
#define STATS_FIELD_daemon_control(n)	STATS_N_(n)
#define STATS_FIELD_daemon_relay(n)	STATS_N_(n)
#define STATS_FIELD_daemon_listen(n)	STATS_N_(n)
#define STATS_FIELD_daemon_rc(n)	STATS_N_(n)
#define STATS_FIELD_daemon_mrc(n)	STATS_N_(n)
#define STATS_FIELD_daemon_http(n)	STATS_N_(n)
#define STATS_FIELD_mesh_daemon(n)	STATS_N_(n)
#define STATS_FIELD_mesh_mesh(n)	STATS_F_(n)
#define STATS_FIELD_mesh_control(n)	STATS_N_(n)
#define STATS_FIELD_mesh_relay(n)	STATS_N_(n)
#define STATS_FIELD_mesh_listen(n)	STATS_F_(n)
#define STATS_FIELD_mesh_rc(n)		STATS_N_(n)
#define STATS_FIELD_mesh_mrc(n)		STATS_F_(n)
#define STATS_FIELD_mesh_http(n)	STATS_N_(n)
#define STATS_FIELD_control_daemon(n)	STATS_N_(n)
#define STATS_FIELD_control_mesh(n)	STATS_N_(n)
#define STATS_FIELD_control_control(n)	STATS_F_(n)
#define STATS_FIELD_control_relay(n)	STATS_N_(n)
#define STATS_FIELD_control_listen(n)	STATS_F_(n)
#define STATS_FIELD_control_rc(n)	STATS_F_(n)
#define STATS_FIELD_control_mrc(n)	STATS_F_(n)
#define STATS_FIELD_control_http(n)	STATS_N_(n)
#define STATS_FIELD_relay_daemon(n)	STATS_N_(n)
#define STATS_FIELD_relay_mesh(n)	STATS_N_(n)
#define STATS_FIELD_relay_control(n)	STATS_N_(n)
#define STATS_FIELD_relay_relay(n)	STATS_F_(n)
#define STATS_FIELD_relay_listen(n)	STATS_N_(n)
#define STATS_FIELD_relay_rc(n)		STATS_F_(n)
#define STATS_FIELD_relay_mrc(n)	STATS_F_(n)
#define STATS_FIELD_relay_http(n)	STATS_N_(n)
#define STATS_FIELD_http_daemon(n)	STATS_N_(n)
#define STATS_FIELD_http_mesh(n)	STATS_N_(n)
#define STATS_FIELD_http_control(n)	STATS_N_(n)
#define STATS_FIELD_http_relay(n)	STATS_N_(n)
#define STATS_FIELD_http_listen(n)	STATS_N_(n)
#define STATS_FIELD_http_rc(n)		STATS_N_(n)
#define STATS_FIELD_http_mrc(n)		STATS_N_(n)
#define STATS_FIELD_http_http(n)	STATS_F_(n)

#define STATS_FIELD_daemon_(owner, name, kind, help)	\
	STATS_FIELD_daemon_##owner(name)
#define STATS_FIELD_mesh_(owner, name, kind, help)	\
	STATS_FIELD_mesh_##owner(name)
#define STATS_FIELD_control_(owner, name, kind, help)	\
	STATS_FIELD_control_##owner(name)
#define STATS_FIELD_relay_(owner, name, kind, help)	\
	STATS_FIELD_relay_##owner(name)
#define STATS_FIELD_http_(owner, name, kind, help)	\
	STATS_FIELD_http_##owner(name)
#define STATS_FIELDS(module)	COHORT_STATS(STATS_FIELD_##module##_)

#define PEER_STATS_FIELD_(name, kind, help)	uint64_t name;

struct peer_stats {
	COHORT_PEER_STATS(PEER_STATS_FIELD_)
};

/*
 * Where a report of these statistics goes: the CTL_STATS frame, the
 * Prometheus text (promfmt.h).  section(arg, kind, name) opens a
 * section: kind "daemon" (name: this node's id) or "peer" (name: the
 * peer's id); add(arg, key, value) gives its rows, in list order.
 */
struct stats_sink {
	void	(*section)(void *, const char *, const char *);
	void	(*add)(void *, const char *, uint64_t);
	void	 *arg;
};

/* For printers: is key a gauge, and its help text (NULL if unknown)? */
int		 counters_is_gauge(const char *);
const char	*counters_help(const char *);

#endif /* COHORT_COUNTERS_H */
