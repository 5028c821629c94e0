/*
 * http.h: a small HTTP/1.1 server on libevent's evhttp, for read-only
 * endpoints: routes registered with callbacks, GET and HEAD only, every
 * connection bounded in number, size and time.
 *
 *  - At most max_connections open: a new one replaces the oldest that is
 *    waiting for a request (so idle connections cannot lock a scraper
 *    out), or is closed at once when every one is busy answering.
 *  - A request line and headers over max_request_size, or a body over
 *    it, is refused (libevent answers 400, or 413 for a body).
 *  - timeout_ms for each request to arrive whole, and each answer to
 *    be written: then the connection is closed.  A keep-alive one idle
 *    that long after an answer is closed too, quietly (not counted).
 * Each refusal is counted (struct http_stats) and logged, rate-limited.
 */
#ifndef COHORT_IO_HTTP_H
#define COHORT_IO_HTTP_H

#include <stdint.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "common/counters.h"

struct http;

struct http_stats {
	STATS_FIELDS(http)
};

struct http_limits {
	uint32_t	 max_connections;
	uint32_t	 max_request_size;
	uint32_t	 timeout_ms;
};

#define HTTP_ROUTES_MAX		8

/*
 * A route's answer to GET (or HEAD) of its path: the status, with the
 * body written into the buffer and its content type in *ctype (a string
 * that outlives the call).
 */
typedef int	(*http_route_cb)(void *, struct evbuffer *, const char **);

/* NULL, logged, if out of memory. */
struct http	*http_new(struct event_base *, const struct http_limits *);
/* Close the socket and every connection. */
void		 http_free(struct http *);
/* GET path answered by cb(arg, ...); -1 if the table is full. */
int		 http_route(struct http *, const char *, http_route_cb, void *);
/*
 * Listen on addr (numeric IPv4 or IPv6) port, instead of where it
 * listened before: 0, or -1 (logged) with the old socket kept.
 */
int		 http_listen(struct http *, const char *, uint16_t);
/* Stop listening; the connections open finish (or time out). */
void		 http_unlisten(struct http *);
/* For connections from now on (the timeout: from each next step). */
void		 http_set_limits(struct http *, const struct http_limits *);
const struct http_stats *http_stats(const struct http *);

#endif /* COHORT_IO_HTTP_H */
