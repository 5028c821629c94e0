/*
 * transport.c: the transport interface (transport.h), and its socket
 * implementations: plain TCP and TLS 1.3 share resolving, listening and
 * dialling, and differ in the bufferevent over the socket.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "bufio.h"
#include "evutil.h"
#include "tls.h"
#include "transport_int.h"

/* The interface */

struct transport *
transport_new(struct event_base *base, const struct transport_ops *ops,
    SSL_CTX *ctx)
{
	struct transport	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return (NULL);
	t->ops = ops;
	t->base = base;
	t->ctx = ctx;
	TAILQ_INIT(&t->listeners);
	TAILQ_INIT(&t->accepts);
	return (t);
}

void
transport_free(struct transport *t)
{
	if (t == NULL)
		return;
	if (t->ops->destroy != NULL)
		t->ops->destroy(t);
	SSL_CTX_free(t->ctx);
	free(t);
}

void
transport_set_tls(struct transport *t, SSL_CTX *ctx)
{
	/* Streams already open keep theirs: OpenSSL counts references. */
	SSL_CTX_free(t->ctx);
	t->ctx = ctx;
}

const char *
transport_name(const struct transport *t)
{
	return (t->ops->name);
}

int
transport_resolve(struct transport *t, const char *host, uint16_t port,
    struct sockaddr_storage *ss, socklen_t *len, char *err, size_t errlen)
{
	return (t->ops->resolve(t, host, port, ss, len, err, errlen));
}

struct transport_listener *
transport_listen(struct transport *t, const struct sockaddr *sa,
    socklen_t len, const struct transport_listen_cb *cb, void *arg, char *err,
    size_t errlen)
{
	struct transport_listener	*tl;

	if ((tl = calloc(1, sizeof(*tl))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (NULL);
	}
	tl->t = t;
	tl->cb = cb;
	tl->arg = arg;
	memcpy(&tl->ss, sa, len);
	tl->sslen = len;
	if (t->ops->listen(tl, err, errlen) == -1) {
		free(tl);
		return (NULL);
	}
	return (tl);
}

void
transport_listener_free(struct transport_listener *tl)
{
	if (tl == NULL)
		return;
	tl->t->ops->unlisten(tl);
	free(tl);
}

void
transport_listener_pause(struct transport_listener *tl, uint64_t *paused)
{
	if (tl->l != NULL)
		(void)ev_listener_pause(tl->t->base, tl->l, EMFILE, paused);
}

struct bufferevent *
transport_dial(struct transport *t, struct transport_listener *tl,
    const struct sockaddr *sa, socklen_t len, char *err, size_t errlen)
{
	return (t->ops->dial(t, tl, sa, len, err, errlen));
}

void
transport_close(struct transport *t, struct bufferevent *bev)
{
	t->ops->close(t, bev);
}

size_t
transport_fill(struct transport *t, struct bufferevent *bev, size_t max)
{
	return (t->ops->fill(bev, max));
}

int
transport_error(struct transport *t, struct bufferevent *bev, char *buf,
    size_t len)
{
	return (t->ops->error(bev, buf, len));
}

int
transport_check_name(struct transport *t, struct bufferevent *bev,
    const char *id, char *why, size_t len)
{
	return (t->ops->check_name(bev, id, why, len));
}

int
transport_exporter(struct transport *t, struct bufferevent *bev, uint8_t *out,
    size_t len)
{
	return (t->ops->exporter(bev, out, len));
}

int
transport_addr_eq(const struct sockaddr *a, const struct sockaddr *b,
    int port_too)
{
	const struct sockaddr_in	*a4 = (const void *)a, *b4 = (const void *)b;
	const struct sockaddr_in6	*a6 = (const void *)a, *b6 = (const void *)b;

	if (a->sa_family != b->sa_family)
		return (0);
	if (a->sa_family == AF_INET)
		return (memcmp(&a4->sin_addr, &b4->sin_addr,
		    sizeof(a4->sin_addr)) == 0 && (!port_too ||
		    a4->sin_port == b4->sin_port));
	if (a->sa_family == AF_INET6)
		return (memcmp(&a6->sin6_addr, &b6->sin6_addr,
		    sizeof(a6->sin6_addr)) == 0 && (!port_too ||
		    a6->sin6_port == b6->sin6_port));
	return (0);
}

/* Sockets: what plain TCP and TLS share */

static int
sock_resolve(struct transport *t, const char *host, uint16_t port,
    struct sockaddr_storage *ss, socklen_t *len, char *err, size_t errlen)
{
	struct addrinfo	 hints, *res;
	char		 serv[8];
	int		 rv;

	(void)t;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(serv, sizeof(serv), "%u", port);
	if ((rv = getaddrinfo(host, serv, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s", gai_strerror(rv));
		return (-1);
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return (0);
}

/* The bufferevent over a connected or connecting socket, which it owns. */
static struct bufferevent *
sock_wrap(struct transport *t, int fd, int outbound)
{
	struct bufferevent	*bev;
	int			 one = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (t->ctx != NULL)
		bev = tls_bufferevent_new(t->ctx, t->base, fd, outbound);
	else
		bev = bufferevent_socket_new(t->base, fd,
		    BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		close(fd);
	return (bev);
}

static void
sock_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct transport_listener	*tl = arg;

	(void)l;
	(void)salen;
	if (!tl->cb->admit(tl->arg, sa)) {
		close(fd);
		return;
	}
	tl->cb->accept(tl->arg, sock_wrap(tl->t, fd, 0), sa);
}

static void
sock_accept_error_cb(struct evconnlistener *l, void *arg)
{
	struct transport_listener	*tl = arg;

	(void)l;
	tl->cb->error(tl->arg, tl, EVUTIL_SOCKET_ERROR());
}

static int
sock_listen(struct transport_listener *tl, char *err, size_t errlen)
{
	int	fd, one = 1;

	fd = socket(tl->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return (-1);
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (tl->ss.ss_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof(one));
	if (bind(fd, (struct sockaddr *)&tl->ss, tl->sslen) == -1) {
		snprintf(err, errlen, "bind: %s", strerror(errno));
		close(fd);
		return (-1);
	}
	tl->l = evconnlistener_new(tl->t->base, sock_accept_cb, tl,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 128, fd);
	if (tl->l == NULL) {
		snprintf(err, errlen, "listen: %s", strerror(errno));
		close(fd);
		return (-1);
	}
	evconnlistener_set_error_cb(tl->l, sock_accept_error_cb);
	return (0);
}

static void
sock_unlisten(struct transport_listener *tl)
{
	if (tl->l != NULL)
		evconnlistener_free(tl->l);
	tl->l = NULL;
}

static struct bufferevent *
sock_dial(struct transport *t, struct transport_listener *tl,
    const struct sockaddr *sa, socklen_t len, char *err, size_t errlen)
{
	struct bufferevent	*bev;
	struct sockaddr_storage	 src;
	socklen_t		 srclen = sizeof(src);
	int			 fd;

	if ((fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return (NULL);
	}
	/*
	 * From our own listening address, so that the peer sees the address
	 * it knows us by (several nodes may share one host).
	 */
	if (tl != NULL && tl->l != NULL && getsockname(evconnlistener_get_fd(
	    tl->l), (struct sockaddr *)&src, &srclen) == 0 &&
	    src.ss_family == sa->sa_family) {
		if (src.ss_family == AF_INET)
			((struct sockaddr_in *)&src)->sin_port = 0;
		else
			((struct sockaddr_in6 *)&src)->sin6_port = 0;
		(void)bind(fd, (struct sockaddr *)&src, srclen);
	}
	if ((bev = sock_wrap(t, fd, 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (NULL);
	}
	if (bufferevent_socket_connect(bev, (struct sockaddr *)sa,
	    (int)len) == -1) {
		snprintf(err, errlen, "connect failed: %s",
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		bufferevent_free(bev);
		return (NULL);
	}
	return (bev);
}

static void
sock_close(struct transport *t, struct bufferevent *bev)
{
	(void)t;
	bufferevent_free(bev);
}

/* Nothing to add: plain TCP, and the in-memory transport. */

size_t
transport_no_fill(struct bufferevent *bev, size_t max)
{
	(void)bev;
	(void)max;
	return (0);
}

int
transport_no_error(struct bufferevent *bev, char *buf, size_t len)
{
	(void)bev;
	(void)buf;
	(void)len;
	return (0);
}

int
transport_no_name(struct bufferevent *bev, const char *id, char *why,
    size_t len)
{
	(void)bev;
	(void)id;
	(void)why;
	(void)len;
	return (0);
}

int
transport_no_exporter(struct bufferevent *bev, uint8_t *out, size_t len)
{
	(void)bev;
	(void)out;
	(void)len;
	return (-1);
}

static const struct transport_ops plain_ops = {
	"plain", sock_resolve, sock_listen, sock_unlisten, sock_dial,
	sock_close, bufread_fill, transport_no_error, transport_no_name,
	transport_no_exporter, NULL
};

static const struct transport_ops tls_ops = {
	"TLS", sock_resolve, sock_listen, sock_unlisten, sock_dial,
	/* TLS reads through OpenSSL, one record per wakeup, as libevent does. */
	sock_close, transport_no_fill, tls_error, tls_names, tls_exporter, NULL
};

/* The cluster key as PSK: anyone holding it may claim any node id. */
static const struct transport_ops psk_ops = {
	"TLS", sock_resolve, sock_listen, sock_unlisten, sock_dial,
	sock_close, transport_no_fill, tls_error, transport_no_name,
	tls_exporter, NULL
};

struct transport *
transport_plain_new(struct event_base *base)
{
	return (transport_new(base, &plain_ops, NULL));
}

struct transport *
transport_tls_new(struct event_base *base, SSL_CTX *ctx)
{
	return (transport_new(base, &tls_ops, ctx));
}

struct transport *
transport_psk_new(struct event_base *base, SSL_CTX *ctx)
{
	return (transport_new(base, &psk_ops, ctx));
}
