/*
 * daemon.c: the daemon's wiring (daemon.h).  It makes the modules in
 * order (transport, mesh, control, relay), registers the callback
 * tables through which the lower ones report upward, and answers what
 * needs several of them: members, statistics, signals.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ssl.h>

#include "common/log.h"
#include "daemon/control/control.h"
#include "daemon/io/evutil.h"
#include "daemon/io/transport.h"
#include "daemon/mesh/mesh.h"
#include "daemon/relay/relay.h"
#include "daemon.h"
#include "notify.h"

/* How long SIGTERM waits for BYE frames to flush before exiting. */
#define SHUTDOWN_GRACE_MS	1000

void
daemon_notify_status(struct cohortd *sc, int ready)
{
	size_t	up = sc->mesh != NULL ? mesh_count_up(sc->mesh) : 0;
	size_t	total = sc->conf.n_nodes - 1;

	if (ready)
		notify_ready(up, total);
	else if (!sc->stopping)
		notify_status(up, total);
}

/* The mesh's events: to the relay, and the status line to systemd. */

static void
mesh_member_cb(void *arg, const char *node, enum member_state to,
    enum member_state prev, uint64_t incarnation)
{
	struct cohortd	*sc = arg;

	if (sc->stopping)
		return;
	relay_member_changed(sc->relay, node, to, prev, incarnation);
	daemon_notify_status(sc, 0);
}

static int
mesh_data_cb(void *arg, const char *from, const struct wire_data *d)
{
	return (relay_data_in(((struct cohortd *)arg)->relay, from, d));
}

static void
mesh_drained_cb(void *arg, const char *node)
{
	relay_peer_drained(((struct cohortd *)arg)->relay, node);
}

static void
mesh_lost_cb(void *arg, const char *node, uint64_t client, uint32_t count,
    uint32_t first, uint32_t last)
{
	relay_lost(((struct cohortd *)arg)->relay, node, client, count, first,
	    last);
}

static void
mesh_quiet_cb(void *arg)
{
	event_base_loopexit(((struct cohortd *)arg)->base, NULL);
}

static const struct mesh_events daemon_mesh_events = {
	mesh_member_cb, mesh_data_cb, mesh_drained_cb, mesh_lost_cb,
	mesh_quiet_cb
};

/* The control socket's events: to the relay, or answered here. */

static void
ctl_publish_cb(void *arg, struct client *cl, const struct wire_ctl_pub *m)
{
	relay_publish(((struct cohortd *)arg)->relay, cl, m);
}

static int
ctl_reply_cb(void *arg, struct client *cl, uint64_t token,
    const uint8_t *body, size_t len)
{
	return (relay_reply(((struct cohortd *)arg)->relay, cl, token, body,
	    len));
}

static int
ctl_subscribe_cb(void *arg, struct client *cl, const char *pattern)
{
	return (relay_subscribe(((struct cohortd *)arg)->relay, cl, pattern));
}

static int
ctl_unsubscribe_cb(void *arg, struct client *cl, const char *pattern)
{
	return (relay_unsubscribe(((struct cohortd *)arg)->relay, cl,
	    pattern));
}

static void
ctl_gone_cb(void *arg, struct client *cl)
{
	struct cohortd	*sc = arg;

	if (sc->relay != NULL)
		relay_client_gone(sc->relay, cl);
}

static void
ctl_drained_cb(void *arg)
{
	relay_subscribers_drained(((struct cohortd *)arg)->relay);
}

static void
ctl_members_cb(void *arg, struct client *cl, uint32_t req_id)
{
	struct cohortd		*sc = arg;
	struct wire_writer	 w;
	struct wire_member	 m;
	uint8_t			*buf;
	size_t			 i, cap;

	cap = WIRE_MEMBERS_FIXED + sc->conf.n_nodes * WIRE_MEMBER_MAX;
	if ((buf = malloc(cap)) == NULL) {
		control_error(cl, req_id, REASON_LIMIT, "out of memory");
		return;
	}
	wire_members_start(&w, buf, cap, req_id);
	for (i = 0; i < sc->conf.n_nodes; i++) {
		mesh_member(sc->mesh, i, &m);
		wire_members_add(&w, &m);
	}
	control_send(cl, req_id, buf, wire_members_finish(&w));
	free(buf);
}

/* The CTL_STATS frame as a stats sink. */

static void
wire_sink_section(void *arg, const char *kind, const char *name)
{
	wire_stats_section(arg, kind, name);
}

static void
wire_sink_add(void *arg, const char *key, uint64_t value)
{
	wire_stats_add(arg, key, value);
}

static void
ctl_stats_cb(void *arg, struct client *cl, uint32_t req_id)
{
	struct cohortd		*sc = arg;
	struct wire_writer	 w;
	struct stats_sink	 sink;
	uint8_t			*buf;
	size_t			 cap, per_section;

	per_section = WIRE_STATS_SECTION_MAX + WIRE_STATS_KV_MAX *
	    WIRE_STATS_KV_LEN;
	cap = WIRE_STATS_FIXED + (sc->conf.n_nodes + 1) * per_section;
	if ((buf = malloc(cap)) == NULL) {
		control_error(cl, req_id, REASON_LIMIT, "out of memory");
		return;
	}
	wire_stats_start(&w, buf, cap, req_id);
	sink.section = wire_sink_section;
	sink.add = wire_sink_add;
	sink.arg = &w;
	daemon_stats(sc, &sink);
	control_send(cl, req_id, buf, wire_stats_finish(&w));
	free(buf);
}

static int
ctl_reload_cb(void *arg, char *msg, size_t len)
{
	return (daemon_reload(arg, msg, len));
}

static const struct control_events daemon_control_events = {
	ctl_publish_cb, ctl_reply_cb, ctl_subscribe_cb, ctl_unsubscribe_cb,
	ctl_gone_cb, ctl_drained_cb, ctl_members_cb, ctl_stats_cb,
	ctl_reload_cb
};

/* Signals */

static void
daemon_exit_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct cohortd	*sc = arg;

	(void)fd;
	(void)ev;
	log_info("BYE not flushed to every peer in %d ms, exiting anyway",
	    SHUTDOWN_GRACE_MS);
	event_base_loopexit(sc->base, NULL);
}

static void
daemon_signal_cb(evutil_socket_t sig, short ev, void *arg)
{
	struct cohortd	*sc = arg;
	char		 msg[WIRE_TEXT_MAX + 1];

	(void)ev;
	if (sig == SIGHUP) {
		log_info("SIGHUP: reloading %s", sc->conf_path);
		(void)daemon_reload(sc, msg, sizeof(msg));
		return;
	}
	if (sc->stopping)
		return;
	log_info("%s: leaving the cluster", sig == SIGTERM ? "SIGTERM" :
	    "SIGINT");
	sc->stopping = 1;
	notify_stopping();
	control_shutdown(sc->ctl);
	mesh_shutdown(sc->mesh);
	sc->ev_exit_timer = evtimer_new(sc->base, daemon_exit_cb, sc);
	if (sc->ev_exit_timer != NULL)
		ev_add_ms(sc->ev_exit_timer, SHUTDOWN_GRACE_MS);
}

static void
daemon_signals(struct cohortd *sc)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sc->ev_sigterm = evsignal_new(sc->base, SIGTERM, daemon_signal_cb, sc);
	sc->ev_sigint = evsignal_new(sc->base, SIGINT, daemon_signal_cb, sc);
	sc->ev_sighup = evsignal_new(sc->base, SIGHUP, daemon_signal_cb, sc);
	if (sc->ev_sigterm == NULL || sc->ev_sigint == NULL ||
	    sc->ev_sighup == NULL || evsignal_add(sc->ev_sigterm, NULL) ||
	    evsignal_add(sc->ev_sigint, NULL) || evsignal_add(sc->ev_sighup,
	    NULL))
		fatalx("cannot install signal handlers");
}

/* Start */

int
daemon_start(struct cohortd *sc, SSL_CTX *tls)
{
	struct mesh_params	mp;

	if ((sc->base = event_base_new()) == NULL)
		fatalx("cannot create the event base");
	daemon_signals(sc);
	if (tls == NULL)
		sc->tr = transport_plain_new(sc->base);
	else if (sc->conf.tls_on)
		sc->tr = transport_tls_new(sc->base, tls);
	else
		sc->tr = transport_psk_new(sc->base, tls);
	if (sc->tr == NULL)
		fatalx("out of memory");
	memset(&mp, 0, sizeof(mp));
	mp.base = sc->base;
	mp.conf = &sc->conf;
	mp.keys = &sc->keys;
	mp.tr = sc->tr;
	mp.incarnation = sc->incarnation;
	mp.started_ms = sc->started_ms;
	if ((sc->mesh = mesh_new(&mp, &daemon_mesh_events, sc)) == NULL)
		return (-1);
	if ((sc->ctl = control_new(sc->base, &sc->conf, sc->incarnation,
	    &daemon_control_events, sc)) == NULL)
		return (-1);
	if ((sc->relay = relay_new(sc->base, &sc->conf, sc->mesh, sc->ctl)) ==
	    NULL)
		fatalx("out of memory");
	if (metrics_start(sc) == -1)
		return (-1);
	sc->ev_watchdog = notify_watchdog_init(sc->base);
	return (0);
}

void
daemon_free(struct cohortd *sc)
{
	/* Top down: clients first, so that the relay forgets them. */
	metrics_free(sc);
	control_free(sc->ctl);
	sc->ctl = NULL;
	relay_free(sc->relay);
	sc->relay = NULL;
	mesh_free(sc->mesh);
	sc->mesh = NULL;
	transport_free(sc->tr);
	if (sc->ev_sigterm)
		event_free(sc->ev_sigterm);
	if (sc->ev_sigint)
		event_free(sc->ev_sigint);
	if (sc->ev_sighup)
		event_free(sc->ev_sighup);
	if (sc->ev_exit_timer)
		event_free(sc->ev_exit_timer);
	if (sc->ev_watchdog)
		event_free(sc->ev_watchdog);
	config_free(&sc->conf);
	explicit_bzero(&sc->keys, sizeof(sc->keys));
	if (sc->base != NULL)
		event_base_free(sc->base);
}
