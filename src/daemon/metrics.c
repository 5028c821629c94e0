/*
 * metrics.c: the HTTP endpoint of metrics.listen (daemon.h), on io's
 * small server (http.h):
 *
 *   GET /metrics   every statistic, in the Prometheus text format: the
 *                  same families and values as `cohortctl stats
 *                  --prometheus`, from the same formatter (promfmt.h)
 *   GET /healthz   200 {"status":"ok",...} while the daemon serves: its
 *                  control socket and peer port bound, not stopping, and
 *                  at least metrics.healthz_min_peers_up peers up; else
 *                  503 {"status":"unavailable","reason":"...",...}
 *
 * The server, and so its counters, lives from the first time the
 * endpoint is on until the daemon exits: turning it off at a reload
 * only closes the socket.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/promfmt.h"
#include "daemon/io/http.h"
#include "daemon/mesh/mesh.h"
#include "daemon.h"

static int
metrics_out(void *arg, const char *s, size_t len)
{
	return (evbuffer_add(arg, s, len));
}

static int
metrics_route(void *arg, struct evbuffer *body, const char **ctype)
{
	struct cohortd		*sc = arg;
	struct promfmt		*pf;
	struct stats_sink	 sink;
	int			 rv = -1;

	if ((pf = promfmt_new()) != NULL) {
		promfmt_sink(pf, &sink);
		daemon_stats(sc, &sink);
		rv = promfmt_write(pf, metrics_out, body);
		promfmt_free(pf);
	}
	if (rv == 0) {
		*ctype = PROMFMT_CONTENT_TYPE;
		return (200);
	}
	evbuffer_drain(body, evbuffer_get_length(body));
	evbuffer_add_printf(body, "out of memory\n");
	return (500);
}

/* A JSON string: quotes, backslashes and control characters escaped. */
static void
metrics_json_str(struct evbuffer *b, const char *s)
{
	evbuffer_add(b, "\"", 1);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			evbuffer_add_printf(b, "\\%c", *s);
		else if ((unsigned char)*s < 0x20 || *s == 0x7f)
			evbuffer_add_printf(b, "\\u%04x", (unsigned char)*s);
		else
			evbuffer_add(b, s, 1);
	}
	evbuffer_add(b, "\"", 1);
}

/* Why the daemon does not serve, or NULL if it does. */
static const char *
metrics_unhealthy(struct cohortd *sc, size_t up, char *buf, size_t len)
{
	struct stat	st;

	if (sc->stopping)
		return ("stopping: leaving the cluster");
	if (stat(sc->conf.socket, &st) == -1 || !S_ISSOCK(st.st_mode)) {
		snprintf(buf, len, "the control socket %s is gone",
		    sc->conf.socket);
		return (buf);
	}
	if (up < sc->conf.lim.healthz_min_peers_up) {
		snprintf(buf, len, "%zu of %zu peers up, fewer than "
		    "metrics.healthz_min_peers_up (%u)", up,
		    sc->conf.n_nodes - 1, sc->conf.lim.healthz_min_peers_up);
		return (buf);
	}
	return (NULL);
}

static int
metrics_healthz(void *arg, struct evbuffer *body, const char **ctype)
{
	struct cohortd	*sc = arg;
	const char	*reason;
	char		 buf[512];
	size_t		 up = mesh_count_up(sc->mesh);

	reason = metrics_unhealthy(sc, up, buf, sizeof(buf));
	evbuffer_add_printf(body, "{\"status\":\"%s\",", reason == NULL ?
	    "ok" : "unavailable");
	if (reason != NULL) {
		evbuffer_add_printf(body, "\"reason\":");
		metrics_json_str(body, reason);
		evbuffer_add_printf(body, ",");
	}
	evbuffer_add_printf(body, "\"node\":");
	metrics_json_str(body, sc->conf.node_id);
	evbuffer_add_printf(body, ",\"peers\":%zu,\"peers_up\":%zu}\n",
	    sc->conf.n_nodes - 1, up);
	*ctype = "application/json";
	return (reason == NULL ? 200 : 503);
}

static void
metrics_limits(const struct cohort_conf *conf, struct http_limits *lim)
{
	lim->max_connections = conf->lim.metrics_max_connections;
	lim->max_request_size = conf->lim.metrics_max_request_size;
	lim->timeout_ms = conf->lim.metrics_timeout_ms;
}

/* Listen where conf says, making the server the first time. */
static int
metrics_open(struct cohortd *sc, const struct cohort_conf *conf)
{
	struct http_limits	lim;

	metrics_limits(conf, &lim);
	if (sc->http == NULL) {
		if ((sc->http = http_new(sc->base, &lim)) == NULL)
			return (-1);
		if (http_route(sc->http, "/metrics", metrics_route, sc) == -1 ||
		    http_route(sc->http, "/healthz", metrics_healthz,
		    sc) == -1) {
			log_warnx("metrics: out of memory");
			http_free(sc->http);
			sc->http = NULL;
			return (-1);
		}
	}
	return (http_listen(sc->http, conf->metrics_addr, conf->metrics_port));
}

int
metrics_start(struct cohortd *sc)
{
	if (!sc->conf.metrics_on)
		return (0);
	return (metrics_open(sc, &sc->conf));
}

void
metrics_reload(struct cohortd *sc, struct cohort_conf *nc)
{
	const struct cohort_conf	*oc = &sc->conf;
	struct http_limits		 lim;

	if (sc->http != NULL) {
		metrics_limits(nc, &lim);
		http_set_limits(sc->http, &lim);
	}
	if (nc->metrics_on == oc->metrics_on && (!nc->metrics_on ||
	    (strcmp(nc->metrics_addr, oc->metrics_addr) == 0 &&
	    nc->metrics_port == oc->metrics_port)))
		return;
	if (!nc->metrics_on) {
		http_unlisten(sc->http);
		return;
	}
	if (metrics_open(sc, nc) == 0)
		return;
	if (oc->metrics_on)
		log_warnx("reload: metrics.listen stays %s port %u",
		    oc->metrics_addr, oc->metrics_port);
	else
		log_warnx("reload: the metrics endpoint stays off");
	nc->metrics_on = oc->metrics_on;
	nc->metrics_line = oc->metrics_line;
	nc->metrics_port = oc->metrics_port;
	strlcpy(nc->metrics_addr, oc->metrics_addr, sizeof(nc->metrics_addr));
}

void
metrics_free(struct cohortd *sc)
{
	http_free(sc->http);
	sc->http = NULL;
}
