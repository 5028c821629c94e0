/*
 * stats.c: every row of COHORT_STATS, from the module that keeps it,
 * then each peer's rows, into a sink (daemon.h): the CTL_STATS frame
 * (daemon.c) or the Prometheus text (metrics.c).
 */
#include "common/log.h"
#include "daemon/control/control.h"
#include "daemon/io/evutil.h"
#include "daemon/io/http.h"
#include "daemon/mesh/mesh.h"
#include "daemon/relay/relay.h"
#include "daemon.h"

void
daemon_stats(struct cohortd *sc, const struct stats_sink *sink)
{
	static const struct http_stats	 http_off;
	struct daemon_stats		 ds;
	const struct mesh_stats		*ms = mesh_stats(sc->mesh);
	const struct control_stats	*cs = control_stats(sc->ctl);
	const struct relay_stats	*rs = relay_stats(sc->relay);
	const struct http_stats		*hs;

	hs = sc->http != NULL ? http_stats(sc->http) : &http_off;
	ds.uptime_ms = wall_ms() - sc->started_ms;
	ds.incarnation = sc->incarnation;
	ds.peers = sc->conf.n_nodes - 1;
	ds.hb_interval_ms = sc->conf.lim.hb_interval_ms;
	ds.hb_timeout_ms = sc->conf.lim.hb_timeout_ms;
	ds.log_debug = (uint64_t)log_getverbose();
	sink->section(sink->arg, "daemon", sc->conf.node_id);
#define STATV_daemon(n)		ds.n
#define STATV_mesh(n)		ms->n
#define STATV_control(n)	cs->n
#define STATV_relay(n)		rs->n
#define STATV_http(n)		hs->n
#define STATV_listen(n)		(ms->n + cs->n)
#define STATV_rc(n)		(rs->n + cs->n)
#define STATV_mrc(n)		(ms->n + rs->n + cs->n)
#define X(owner, name, kind, help)				\
	sink->add(sink->arg, #name, STATV_##owner(name));
	COHORT_STATS(X)
#undef X
	mesh_peer_stats(sc->mesh, sink);
}
