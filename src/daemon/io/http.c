/*
 * http.c: see http.h.
 *
 * libevent 2.1's evhttp parses requests and writes answers, but says
 * nothing of connections: it has no limit on them (2.2's
 * evhttp_set_max_connections), no hook when one opens (2.2's newreqcb),
 * and answers a bad or oversized request, or drops a timed-out one, on
 * its own.  So this file keeps its own record of each connection:
 *
 *  - evhttp asks us for each new connection's bufferevent (bevcb).  We
 *    make it, hold a reference, and activate an event that runs before
 *    the loop polls again, so before any I/O on it; by then evhttp has
 *    made its evhttp_connection and set itself as the bufferevent's
 *    callback argument, which bufferevent_getcb() gives back (NULL if
 *    evhttp already dropped it).  That is where the limit applies.
 *  - The connection's close callback tells us when evhttp frees it.
 *  - Our own timer bounds each step (evhttp's timeout, twice as long, is
 *    left as a backstop), so that a timeout is counted.
 *  - Callbacks on the bufferevent's buffers count what a request has
 *    sent, and see the status line of the answers evhttp writes itself
 *    (400, 413) so that refusals are counted too.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bsd/sys/queue.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "common/log.h"
#include "evutil.h"
#include "http.h"

struct http_route {
	char		*path;
	http_route_cb	 cb;
	void		*arg;
};

struct http_conn {
	TAILQ_ENTRY(http_conn)	 entry;
	struct http		*h;
	struct bufferevent	*bev;		/* evcon's; ours while fresh */
	struct evhttp_connection *evcon;
	struct event		*timer;
	struct evbuffer_cb_entry *in_cb, *out_cb;
	size_t			 req_bytes;	/* read for this request */
	int			 answered;	/* one answer written at least */
	int			 busy;		/* a route's answer is queued */
	int			 answering;	/* inside evhttp_send_reply */
};
TAILQ_HEAD(http_conns, http_conn);

struct http {
	struct event_base		*base;
	struct evhttp			*eh;
	struct evhttp_bound_socket	*bound;
	struct http_limits		 lim;
	struct http_route		 routes[HTTP_ROUTES_MAX];
	size_t				 n_routes;
	/*
	 * In the order they opened or last answered: the first idle one has
	 * waited longest for a request.
	 */
	struct http_conns		 conns;
	size_t				 n_conns;
	struct http_conns		 fresh;		/* not adopted yet */
	struct event			*ev_adopt;
	struct http_stats		 stats;
	struct ratelim			 rl;
};

static void	http_conn_free(struct http_conn *);

/* What a client did or had done to it; rate-limited. */
static void
http_logx(struct http *h, struct evhttp_connection *evcon, const char *what)
{
	char		*addr = NULL;
	ev_uint16_t	 port = 0;

	if (!ratelim_allow(&h->rl, time(NULL)))
		return;
	evhttp_connection_get_peer(evcon, &addr, &port);
	log_warnx("HTTP client %s port %u: %s", addr != NULL ? addr : "?",
	    (unsigned int)port, what);
}

/* Timeouts: each step of a connection has timeout_ms. */

static void
http_arm(struct http_conn *c)
{
	ev_add_ms(c->timer, c->h->lim.timeout_ms);
}

static void
http_timeout_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct http_conn	*c = arg;
	struct http		*h = c->h;

	(void)fd;
	(void)ev;
	/*
	 * A keep-alive connection idle after an answer is closed quietly
	 * (scrapers keep one between scrapes); one stalled before or in a
	 * request or an answer is counted.
	 */
	if (!c->answered || c->busy || c->req_bytes > 0) {
		h->stats.http_timeouts++;
		http_logx(h, c->evcon, c->busy ? "answer not read in "
		    "metrics.timeout_ms: closed" : "no whole request in "
		    "metrics.timeout_ms: closed");
	} else
		log_debug("HTTP connection idle for %u ms: closed",
		    h->lim.timeout_ms);
	/* The close callback frees c. */
	evhttp_connection_free(c->evcon);
}

/* What a request has sent, and the answers evhttp writes itself. */

static void
http_in_cb(struct evbuffer *b, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct http_conn	*c = arg;

	(void)b;
	c->req_bytes += info->n_added;
}

static void
http_out_cb(struct evbuffer *b, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct http_conn	*c = arg;
	struct http		*h = c->h;
	char			 line[13];
	int			 code;

	/* An answer's first bytes, into an empty buffer, not from a route. */
	if (c->answering || info->n_added == 0 || info->orig_size != 0)
		return;
	if (evbuffer_copyout(b, line, 12) != 12 ||
	    memcmp(line, "HTTP/1.", 7) != 0)
		return;
	line[12] = '\0';
	if ((code = atoi(line + 9)) < 400)
		return;		/* 100 Continue */
	if (code == 413 || c->req_bytes > h->lim.max_request_size) {
		h->stats.http_too_large++;
		http_logx(h, c->evcon, "request refused: over "
		    "metrics.max_request_size");
	} else {
		h->stats.http_bad_requests++;
		http_logx(h, c->evcon, "malformed request refused");
	}
}

/* Connections: adopted as they open, freed when evhttp closes them. */

static void
http_close_cb(struct evhttp_connection *evcon, void *arg)
{
	(void)evcon;
	http_conn_free(arg);
}

static void
http_conn_free(struct http_conn *c)
{
	struct http	*h = c->h;

	evbuffer_remove_cb_entry(bufferevent_get_input(c->bev), c->in_cb);
	evbuffer_remove_cb_entry(bufferevent_get_output(c->bev), c->out_cb);
	event_free(c->timer);
	TAILQ_REMOVE(&h->conns, c, entry);
	h->n_conns--;
	h->stats.http_connections = h->n_conns;
	free(c);
}

/*
 * Room for one more under max_connections: close the connections idle
 * the longest while there are too many; -1 if the rest are busy.
 */
static int
http_make_room(struct http *h)
{
	struct http_conn	*c;

	while (h->n_conns >= h->lim.max_connections) {
		TAILQ_FOREACH(c, &h->conns, entry)
			if (!c->busy)
				break;
		if (c == NULL)
			return (-1);
		h->stats.http_conns_refused++;
		http_logx(h, c->evcon, "idle connection closed for a new one "
		    "(metrics.max_connections)");
		evhttp_connection_free(c->evcon);	/* frees c */
	}
	return (0);
}

static int
http_adopt(struct http *h, struct http_conn *c)
{
	if (http_make_room(h) == -1) {
		h->stats.http_conns_refused++;
		http_logx(h, c->evcon, "connection refused: "
		    "metrics.max_connections busy");
		return (-1);
	}
	if ((c->timer = evtimer_new(h->base, http_timeout_cb, c)) == NULL ||
	    (c->in_cb = evbuffer_add_cb(bufferevent_get_input(c->bev),
	    http_in_cb, c)) == NULL ||
	    (c->out_cb = evbuffer_add_cb(bufferevent_get_output(c->bev),
	    http_out_cb, c)) == NULL) {
		if (c->in_cb != NULL)
			evbuffer_remove_cb_entry(bufferevent_get_input(c->bev),
			    c->in_cb);
		if (c->timer != NULL)
			event_free(c->timer);
		log_warnx("HTTP: out of memory for a connection");
		return (-1);
	}
	evhttp_connection_set_closecb(c->evcon, http_close_cb, c);
	TAILQ_INSERT_TAIL(&h->conns, c, entry);
	h->n_conns++;
	h->stats.http_connections = h->n_conns;
	http_arm(c);
	return (0);
}

/* Runs before the loop polls again: no I/O on these has happened yet. */
static void
http_adopt_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct http		*h = arg;
	struct http_conn	*c;
	bufferevent_data_cb	 readcb;
	void			*cbarg;

	(void)fd;
	(void)ev;
	while ((c = TAILQ_FIRST(&h->fresh)) != NULL) {
		TAILQ_REMOVE(&h->fresh, c, entry);
		bufferevent_getcb(c->bev, &readcb, NULL, NULL, &cbarg);
		bufferevent_decref(c->bev);
		h->stats.http_conns_accepted++;
		if (readcb == NULL || cbarg == NULL) {
			/* evhttp could not set it up, and freed it. */
			free(c);
			continue;
		}
		c->evcon = cbarg;
		if (http_adopt(h, c) == -1) {
			evhttp_connection_free(c->evcon);
			free(c);
		}
	}
}

static struct bufferevent *
http_bev_cb(struct event_base *base, void *arg)
{
	struct http		*h = arg;
	struct http_conn	*c;

	/* NULL: evhttp tries to make one itself (and it is not counted). */
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (NULL);
	if ((c->bev = bufferevent_socket_new(base, -1,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		free(c);
		return (NULL);
	}
	c->h = h;
	bufferevent_incref(c->bev);
	TAILQ_INSERT_TAIL(&h->fresh, c, entry);
	event_active(h->ev_adopt, EV_TIMEOUT, 1);
	return (c->bev);
}

static void
http_accept_error_cb(struct evconnlistener *l, void *arg)
{
	uint64_t	paused = 0;
	int		err = EVUTIL_SOCKET_ERROR();

	(void)arg;		/* evhttp's, not ours */
	if (ev_listener_pause(evconnlistener_get_base(l), l, err, &paused))
		log_warnx("HTTP: out of file descriptors, not accepting for "
		    "a second");
	else
		log_warnx("HTTP: accept: %s", evutil_socket_error_to_string(
		    err));
}

/* Requests */

static struct http_conn *
http_conn_find(struct http *h, struct evhttp_connection *evcon)
{
	struct http_conn	*c;

	TAILQ_FOREACH(c, &h->conns, entry)
		if (c->evcon == evcon)
			return (c);
	return (NULL);
}

/* The answer is written: the connection waits for its next request. */
static void
http_done_cb(struct evhttp_request *req, void *arg)
{
	struct http_conn	*c = arg;
	struct http		*h = c->h;

	(void)req;
	c->busy = 0;
	c->answered = 1;
	c->req_bytes = evbuffer_get_length(bufferevent_get_input(c->bev));
	TAILQ_REMOVE(&h->conns, c, entry);
	TAILQ_INSERT_TAIL(&h->conns, c, entry);
	http_arm(c);
}

static const struct http_route *
http_find_route(struct http *h, const char *path)
{
	size_t	i;

	for (i = 0; path != NULL && i < h->n_routes; i++)
		if (strcmp(h->routes[i].path, path) == 0)
			return (&h->routes[i]);
	return (NULL);
}

/* Every request evhttp has read whole comes here. */
static void
http_request_cb(struct evhttp_request *req, void *arg)
{
	struct http			*h = arg;
	struct http_conn		*c;
	const struct http_route		*r;
	const struct evhttp_uri		*uri;
	struct evkeyvalq		*hdr;
	struct evbuffer			*body;
	enum evhttp_cmd_type		 cmd = evhttp_request_get_command(req);
	const char			*ctype = "text/plain; charset=utf-8";
	int				 code;

	hdr = evhttp_request_get_output_headers(req);
	body = evhttp_request_get_output_buffer(req);
	c = http_conn_find(h, evhttp_request_get_connection(req));
	uri = evhttp_request_get_evhttp_uri(req);
	r = http_find_route(h, uri != NULL ? evhttp_uri_get_path(uri) : NULL);
	if (r == NULL) {
		h->stats.http_bad_requests++;
		code = HTTP_NOTFOUND;
		evbuffer_add_printf(body, "not found: GET /metrics or "
		    "/healthz\n");
	} else if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		h->stats.http_bad_requests++;
		code = HTTP_BADMETHOD;
		evhttp_add_header(hdr, "Allow", "GET, HEAD");
		evbuffer_add_printf(body, "method not allowed: use GET\n");
	} else {
		h->stats.http_requests++;
		code = r->cb(r->arg, body, &ctype);
	}
	evhttp_add_header(hdr, "Content-Type", ctype);
	evhttp_add_header(hdr, "Cache-Control", "no-store");
	if (c != NULL) {
		/* Now the answer must be read in time. */
		c->busy = 1;
		c->answering = 1;
		http_arm(c);
		evhttp_request_set_on_complete_cb(req, http_done_cb, c);
	}
	/* Queues the answer; evhttp writes it from the loop, later. */
	evhttp_send_reply(req, code, NULL, NULL);
	if (c != NULL)
		c->answering = 0;
}

/* The server */

static void
http_apply_limits(struct http *h)
{
	struct timeval	tv;
	uint64_t	us = (uint64_t)h->lim.timeout_ms * 2000;

	evhttp_set_max_headers_size(h->eh, h->lim.max_request_size);
	evhttp_set_max_body_size(h->eh, h->lim.max_request_size);
	tv.tv_sec = (time_t)(us / 1000000);
	tv.tv_usec = (suseconds_t)(us % 1000000);
	evhttp_set_timeout_tv(h->eh, &tv);
}

struct http *
http_new(struct event_base *base, const struct http_limits *lim)
{
	struct http	*h;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		goto fail;
	h->base = base;
	h->lim = *lim;
	TAILQ_INIT(&h->conns);
	TAILQ_INIT(&h->fresh);
	if ((h->eh = evhttp_new(base)) == NULL ||
	    (h->ev_adopt = event_new(base, -1, 0, http_adopt_cb, h)) == NULL)
		goto fail;
	/* Every method reaches http_request_cb, which answers 405. */
	evhttp_set_allowed_methods(h->eh, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT |
	    EVHTTP_REQ_PATCH);
	evhttp_set_gencb(h->eh, http_request_cb, h);
	evhttp_set_bevcb(h->eh, http_bev_cb, h);
	http_apply_limits(h);
	return (h);
fail:
	log_warnx("HTTP: out of memory");
	http_free(h);
	return (NULL);
}

void
http_free(struct http *h)
{
	struct http_conn	*c;
	size_t			 i;

	if (h == NULL)
		return;
	/* Connections close through http_close_cb. */
	if (h->eh != NULL)
		evhttp_free(h->eh);
	while ((c = TAILQ_FIRST(&h->fresh)) != NULL) {
		TAILQ_REMOVE(&h->fresh, c, entry);
		bufferevent_decref(c->bev);
		free(c);
	}
	if (h->ev_adopt != NULL)
		event_free(h->ev_adopt);
	for (i = 0; i < h->n_routes; i++)
		free(h->routes[i].path);
	free(h);
}

int
http_route(struct http *h, const char *path, http_route_cb cb, void *arg)
{
	struct http_route	*r;

	if (h->n_routes == HTTP_ROUTES_MAX)
		return (-1);
	r = &h->routes[h->n_routes];
	if ((r->path = strdup(path)) == NULL)
		return (-1);
	r->cb = cb;
	r->arg = arg;
	h->n_routes++;
	return (0);
}

int
http_listen(struct http *h, const char *addr, uint16_t port)
{
	struct evhttp_bound_socket	*bound;

	if ((bound = evhttp_bind_socket_with_handle(h->eh, addr,
	    port)) == NULL) {
		log_warn("cannot listen for HTTP on %s port %u", addr, port);
		return (-1);
	}
	evconnlistener_set_error_cb(evhttp_bound_socket_get_listener(bound),
	    http_accept_error_cb);
	if (h->bound != NULL)
		evhttp_del_accept_socket(h->eh, h->bound);
	h->bound = bound;
	log_info("metrics: HTTP on %s port %u (GET /metrics, /healthz)", addr,
	    port);
	return (0);
}

void
http_unlisten(struct http *h)
{
	if (h->bound == NULL)
		return;
	evhttp_del_accept_socket(h->eh, h->bound);
	h->bound = NULL;
	log_info("metrics: HTTP endpoint closed");
}

void
http_set_limits(struct http *h, const struct http_limits *lim)
{
	h->lim = *lim;
	http_apply_limits(h);
}

const struct http_stats *
http_stats(const struct http *h)
{
	return (&h->stats);
}
