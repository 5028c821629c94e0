/*
 * transport.c: plain TCP and TLS behind one interface (transport.h).
 */
#include <stdlib.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "bufio.h"
#include "tls.h"
#include "transport.h"

struct transport_ops {
	const char		 *name;
	struct bufferevent	*(*wrap)(struct transport *, int, int);
	size_t			 (*fill)(struct bufferevent *, size_t);
	int			 (*error)(struct bufferevent *, char *, size_t);
	int			 (*check_name)(struct bufferevent *,
				    const char *, char *, size_t);
};

struct transport {
	const struct transport_ops	*ops;
	struct event_base		*base;
	SSL_CTX				*ctx;	/* TLS only */
};

static struct bufferevent *
plain_wrap(struct transport *t, int fd, int outbound)
{
	struct bufferevent	*bev;

	(void)outbound;
	if ((bev = bufferevent_socket_new(t->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		close(fd);
	return (bev);
}

static int
plain_error(struct bufferevent *bev, char *buf, size_t len)
{
	(void)bev;
	(void)buf;
	(void)len;
	return (0);
}

static int
plain_check_name(struct bufferevent *bev, const char *id, char *why,
    size_t len)
{
	(void)bev;
	(void)id;
	(void)why;
	(void)len;
	return (0);
}

static struct bufferevent *
tls_wrap(struct transport *t, int fd, int outbound)
{
	struct bufferevent	*bev;

	/* tls_bufferevent_new leaves fd open when it fails. */
	if ((bev = tls_bufferevent_new(t->ctx, t->base, fd, outbound)) ==
	    NULL)
		close(fd);
	return (bev);
}

/* Through OpenSSL, one record per wakeup as libevent reads it. */
static size_t
tls_fill(struct bufferevent *bev, size_t max)
{
	(void)bev;
	(void)max;
	return (0);
}

static const struct transport_ops plain_ops = {
	"plain", plain_wrap, bufread_fill, plain_error, plain_check_name
};

static const struct transport_ops tls_ops = {
	"TLS", tls_wrap, tls_fill, tls_error, tls_names
};

static struct transport *
transport_new(struct event_base *base, const struct transport_ops *ops,
    SSL_CTX *ctx)
{
	struct transport	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return (NULL);
	t->ops = ops;
	t->base = base;
	t->ctx = ctx;
	return (t);
}

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

void
transport_free(struct transport *t)
{
	if (t == NULL)
		return;
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

struct bufferevent *
transport_wrap(struct transport *t, int fd, int outbound)
{
	return (t->ops->wrap(t, fd, outbound));
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
