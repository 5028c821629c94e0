/*
 * transport.h: what a peer stream runs on.  The mesh asks a transport
 * for a bufferevent over a connected or connecting socket and never
 * knows whether it is plain TCP or TLS: the differences (how reads are
 * batched, how errors read, whether the other end's certificate names
 * the node it claims) are the transport's.
 *
 * Two implementations: plain TCP (transport_plain_new) and TLS 1.3
 * (transport_tls_new, over an SSL_CTX from tls_ctx_new).  The object is
 * owned by the daemon; the mesh borrows it for its lifetime.
 */
#ifndef COHORT_TRANSPORT_H
#define COHORT_TRANSPORT_H

#include <stddef.h>

#include <event2/bufferevent.h>

struct ssl_ctx_st;
struct transport;

struct transport	*transport_plain_new(struct event_base *);
struct transport	*transport_tls_new(struct event_base *,
			    struct ssl_ctx_st *);
void			 transport_free(struct transport *);
/* Renewed certificates (reload): the next streams use ctx; takes it. */
void			 transport_set_tls(struct transport *,
			    struct ssl_ctx_st *);
/* "TLS" or "plain", for logs. */
const char		*transport_name(const struct transport *);

/* A bufferevent that owns fd (closed on failure too); NULL if none. */
struct bufferevent	*transport_wrap(struct transport *, int, int);
/*
 * Before frames are parsed: move what the socket holds into the input
 * buffer, up to max bytes (plain TCP reads past libevent's 4 KiB per
 * wakeup; TLS reads through OpenSSL as libevent does).  Bytes read.
 */
size_t			 transport_fill(struct transport *,
			    struct bufferevent *, size_t);
/* A stream's error event: 1 and a reason if the transport has one. */
int			 transport_error(struct transport *,
			    struct bufferevent *, char *, size_t);
/*
 * Does the other end's authenticated identity allow the node id it
 * claims?  0 yes; -1 with the reason.  Plain TCP has no identity: 0.
 */
int			 transport_check_name(struct transport *,
			    struct bufferevent *, const char *, char *, size_t);

#endif /* COHORT_TRANSPORT_H */
