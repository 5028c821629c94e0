/*
 * transport_int.h: what the transport's implementations share
 * (transport.c: sockets, plain and TLS; transport_mem.c: in memory).
 */
#ifndef COHORT_TRANSPORT_INT_H
#define COHORT_TRANSPORT_INT_H

#include <sys/socket.h>

#include <bsd/sys/queue.h>
#include <event2/listener.h>

#include "transport.h"

struct transport_ops {
	const char		 *name;
	int			 (*resolve)(struct transport *, const char *,
				    uint16_t, struct sockaddr_storage *,
				    socklen_t *, char *, size_t);
	int			 (*listen)(struct transport_listener *,
				    char *, size_t);
	void			 (*unlisten)(struct transport_listener *);
	struct bufferevent	*(*dial)(struct transport *,
				    struct transport_listener *,
				    const struct sockaddr *, socklen_t, char *,
				    size_t);
	void			 (*close)(struct transport *,
				    struct bufferevent *);
	size_t			 (*fill)(struct bufferevent *, size_t);
	int			 (*error)(struct bufferevent *, char *, size_t);
	int			 (*check_name)(struct bufferevent *,
				    const char *, char *, size_t);
	int			 (*exporter)(struct bufferevent *, uint8_t *,
				    size_t);
	void			 (*destroy)(struct transport *);
};

struct transport_listener {
	TAILQ_ENTRY(transport_listener)	 entry;	/* in memory: the table */
	struct transport		*t;
	const struct transport_listen_cb *cb;
	void				*arg;
	struct sockaddr_storage		 ss;
	socklen_t			 sslen;
	struct evconnlistener		*l;	/* sockets */
	uint16_t			 next_port;	/* in memory */
};

TAILQ_HEAD(transport_listeners, transport_listener);
struct mem_accept;
TAILQ_HEAD(mem_accepts, mem_accept);

struct transport {
	const struct transport_ops	*ops;
	struct event_base		*base;
	struct ssl_ctx_st		*ctx;		/* TLS */
	struct transport_listeners	 listeners;	/* in memory */
	struct mem_accepts		 accepts;	/* in memory: pending */
};

struct transport	*transport_new(struct event_base *,
			    const struct transport_ops *, struct ssl_ctx_st *);
/* The ops of a transport that has nothing to add (no TLS). */
size_t			 transport_no_fill(struct bufferevent *, size_t);
int			 transport_no_error(struct bufferevent *, char *, size_t);
int			 transport_no_name(struct bufferevent *, const char *,
			    char *, size_t);
int			 transport_no_exporter(struct bufferevent *, uint8_t *,
			    size_t);
/* Same IP address and port? */
int			 transport_addr_eq(const struct sockaddr *,
			    const struct sockaddr *, int);

#endif /* COHORT_TRANSPORT_INT_H */
