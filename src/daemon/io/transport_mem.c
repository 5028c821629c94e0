/*
 * transport_mem.c: the in-memory transport, for tests (transport.h).
 *
 * Meshes that share one such transport (and one event base) reach each
 * other through bufferevent pairs: a listener is a row in the
 * transport's table, keyed by address and port; a dial finds the row and
 * hands one end of a new pair to the listener, on the next turn of the
 * loop, as if accepted.  The dialled end reports BEV_EVENT_CONNECTED,
 * and closing either end reports EOF at the other, as a socket would.
 * No socket, no name service: addresses are numeric only.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transport_int.h"

/* An accept on the next turn of the loop (never inside the dial). */
struct mem_accept {
	TAILQ_ENTRY(mem_accept)		 entry;	/* t->accepts */
	struct event			*ev;
	struct transport		*t;
	struct bufferevent		*bev;	/* the listener's end */
	struct bufferevent		*peer;	/* the dialler's end */
	struct sockaddr_storage		 dst;	/* whom it was for */
	struct sockaddr_storage		 src;	/* from whom */
};

static int
mem_resolve(struct transport *t, const char *host, uint16_t port,
    struct sockaddr_storage *ss, socklen_t *len, char *err, size_t errlen)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	(void)t;
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
		return (0);
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
		return (0);
	}
	snprintf(err, errlen, "not a numeric address (in-memory transport)");
	return (-1);
}

static struct transport_listener *
mem_find(struct transport *t, const struct sockaddr *sa)
{
	struct transport_listener	*tl;

	TAILQ_FOREACH(tl, &t->listeners, entry)
		if (transport_addr_eq((struct sockaddr *)&tl->ss, sa, 1))
			return (tl);
	return (NULL);
}

static int
mem_listen(struct transport_listener *tl, char *err, size_t errlen)
{
	if (mem_find(tl->t, (struct sockaddr *)&tl->ss) != NULL) {
		snprintf(err, errlen, "bind: address in use");
		return (-1);
	}
	tl->next_port = 40000;
	TAILQ_INSERT_TAIL(&tl->t->listeners, tl, entry);
	return (0);
}

static void
mem_unlisten(struct transport_listener *tl)
{
	TAILQ_REMOVE(&tl->t->listeners, tl, entry);
}

/* Done with it; at exit (aborted) both ends are freed too. */
static void
mem_accept_free(struct mem_accept *ma, int aborted)
{
	TAILQ_REMOVE(&ma->t->accepts, ma, entry);
	event_free(ma->ev);
	if (aborted)
		bufferevent_free(ma->bev);
	free(ma);
}

static void
mem_accept_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct mem_accept		*ma = arg;
	struct transport_listener	*tl;

	(void)fd;
	(void)ev;
	/* The listener may be gone by now: then it is a refused connect. */
	if ((tl = mem_find(ma->t, (struct sockaddr *)&ma->dst)) == NULL ||
	    !tl->cb->admit(tl->arg, (struct sockaddr *)&ma->src)) {
		bufferevent_trigger_event(ma->peer, BEV_EVENT_EOF,
		    BEV_TRIG_DEFER_CALLBACKS);
		bufferevent_free(ma->bev);
	} else {
		bufferevent_trigger_event(ma->peer, BEV_EVENT_CONNECTED,
		    BEV_TRIG_DEFER_CALLBACKS);
		tl->cb->accept(tl->arg, ma->bev, (struct sockaddr *)&ma->src);
	}
	mem_accept_free(ma, 0);
}

static struct bufferevent *
mem_dial(struct transport *t, struct transport_listener *from,
    const struct sockaddr *sa, socklen_t len, char *err, size_t errlen)
{
	struct bufferevent	*pair[2];
	struct mem_accept	*ma;

	if (mem_find(t, sa) == NULL) {
		snprintf(err, errlen, "connect failed: Connection refused");
		return (NULL);
	}
	if ((ma = calloc(1, sizeof(*ma))) == NULL ||
	    bufferevent_pair_new(t->base, BEV_OPT_CLOSE_ON_FREE |
	    BEV_OPT_DEFER_CALLBACKS, pair) == -1) {
		free(ma);
		snprintf(err, errlen, "out of memory");
		return (NULL);
	}
	ma->t = t;
	ma->peer = pair[0];
	ma->bev = pair[1];
	memcpy(&ma->dst, sa, len);
	/* From the dialler's listening address, an ephemeral port. */
	if (from != NULL) {
		memcpy(&ma->src, &from->ss, from->sslen);
		if (ma->src.ss_family == AF_INET)
			((struct sockaddr_in *)&ma->src)->sin_port =
			    htons(from->next_port);
		else
			((struct sockaddr_in6 *)&ma->src)->sin6_port =
			    htons(from->next_port);
		if (++from->next_port == 0)
			from->next_port = 40000;
	} else
		ma->src.ss_family = sa->sa_family;
	if ((ma->ev = evtimer_new(t->base, mem_accept_cb, ma)) == NULL) {
		bufferevent_free(pair[0]);
		bufferevent_free(pair[1]);
		free(ma);
		snprintf(err, errlen, "out of memory");
		return (NULL);
	}
	TAILQ_INSERT_TAIL(&t->accepts, ma, entry);
	event_active(ma->ev, EV_TIMEOUT, 0);
	return (pair[0]);
}

static void
mem_close(struct transport *t, struct bufferevent *bev)
{
	struct bufferevent	*partner;

	struct mem_accept	*ma;

	/* Closed before its accept ran: the accept is off. */
	TAILQ_FOREACH(ma, &t->accepts, entry)
		if (ma->peer == bev) {
			mem_accept_free(ma, 1);
			break;
		}
	/*
	 * At once, not deferred: a deferred event holds a reference that is
	 * never dropped if the loop does not turn again (at exit).
	 */
	if ((partner = bufferevent_pair_get_partner(bev)) != NULL)
		bufferevent_trigger_event(partner, BEV_EVENT_EOF, 0);
	bufferevent_free(bev);
}

static void
mem_destroy(struct transport *t)
{
	struct mem_accept	*ma;

	while ((ma = TAILQ_FIRST(&t->accepts)) != NULL)
		mem_accept_free(ma, 1);
}

static const struct transport_ops mem_ops = {
	"memory", mem_resolve, mem_listen, mem_unlisten, mem_dial, mem_close,
	transport_no_fill, transport_no_error, transport_no_name,
	transport_no_exporter, mem_destroy
};

struct transport *
transport_mem_new(struct event_base *base)
{
	return (transport_new(base, &mem_ops, NULL));
}
