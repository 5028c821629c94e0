/*
 * transport.h: what a peer stream runs on.  The mesh asks a transport
 * for a bufferevent over a connected or connecting socket and never
 * knows whether it is plain TCP or TLS: the differences (how reads are
 * batched, how errors read, whether the other end's certificate names
 * the node it claims) are the transport's.
 *
 * The transport also resolves, listens and dials: the mesh touches no
 * socket.  Three implementations: plain TCP (transport_plain_new), TLS
 * 1.3 (transport_tls_new, over an SSL_CTX from tls_ctx_new), and an
 * in-memory one for tests (transport_mem_new): bufferevent pairs between
 * meshes of one process, addresses matched in a table, no sockets, so
 * that several meshes run in one event loop under a unit test.  The
 * object is owned by its maker; meshes borrow it for their lifetime.
 */
#ifndef COHORT_TRANSPORT_H
#define COHORT_TRANSPORT_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include <event2/bufferevent.h>

struct ssl_ctx_st;
struct transport;
struct transport_listener;

/* What a listener tells its owner. */
struct transport_listen_cb {
	/* Take a stream from this address at all?  0 closes it at once. */
	int	(*admit)(void *, const struct sockaddr *);
	/* A new inbound stream, now the callee's (NULL: out of memory). */
	void	(*accept)(void *, struct bufferevent *,
		    const struct sockaddr *);
	/* accept() failed with this errno. */
	void	(*error)(void *, struct transport_listener *, int);
};

struct transport	*transport_plain_new(struct event_base *);
struct transport	*transport_tls_new(struct event_base *,
			    struct ssl_ctx_st *);
/* TLS 1.3 keyed by the cluster key (tls_psk_ctx_new): no certificates. */
struct transport	*transport_psk_new(struct event_base *,
			    struct ssl_ctx_st *);
struct transport	*transport_mem_new(struct event_base *);
void			 transport_free(struct transport *);
/* Renewed certificates (reload): the next streams use ctx; takes it. */
void			 transport_set_tls(struct transport *,
			    struct ssl_ctx_st *);
/* "TLS" or "plain", for logs. */
const char		*transport_name(const struct transport *);

/* host and port to an address: 0, or -1 with the reason. */
int			 transport_resolve(struct transport *, const char *,
			    uint16_t, struct sockaddr_storage *, socklen_t *,
			    char *, size_t);
/* Listen on an address; NULL with the reason. */
struct transport_listener *transport_listen(struct transport *,
			    const struct sockaddr *, socklen_t,
			    const struct transport_listen_cb *, void *, char *,
			    size_t);
void			 transport_listener_free(struct transport_listener *);
/* Stop accepting for a second (out of file descriptors); counted. */
void			 transport_listener_pause(struct transport_listener *,
			    uint64_t *);
/*
 * Dial dst from the listener's own address (so that the peer sees the
 * address it knows us by), or from any when l is NULL.  The stream
 * reports BEV_EVENT_CONNECTED or an error later; NULL with the reason
 * if it failed at once.
 */
struct bufferevent	*transport_dial(struct transport *,
			    struct transport_listener *,
			    const struct sockaddr *, socklen_t, char *, size_t);
/* Free a stream's bufferevent; the other end sees it closed. */
void			 transport_close(struct transport *,
			    struct bufferevent *);
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

/*
 * A value both ends of the stream derive from its TLS session and nobody
 * else can (RFC 5705), to bind the handshake to this very session: 0, or
 * -1 when the stream is not TLS.
 */
int			 transport_exporter(struct transport *,
			    struct bufferevent *, uint8_t *, size_t);

#endif /* COHORT_TRANSPORT_H */
