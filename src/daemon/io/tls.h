/*
 * tls.h: TLS 1.3 on peer streams (security.tls).
 *
 * Every node holds a certificate and key signed by the cluster's CA.
 * Both ends of a stream present their certificate and verify the other's
 * chain against the CA during the TLS handshake; once the peer's HELLO
 * names a node, peer_handshake.c checks that the certificate names that
 * node id (tls_names).  The HELLO and its HMAC proof then run inside the TLS
 * stream as without TLS.
 */
#ifndef COHORT_TLS_H
#define COHORT_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>
#include <event2/bufferevent.h>

#include "common/auth.h"
#include "common/config.h"

/*
 * The context for conf's files: our certificate (and chain), our private
 * key (mode checked as for key files), the CA.  Checks that our own
 * certificate is signed by the CA and names our node id, so that a wrong
 * file is found by cohortd -t rather than by the peers.  NULL and err on
 * failure.
 */
SSL_CTX	*tls_ctx_new(const struct cohort_conf *, char *, size_t);
/* A stream on fd: outbound streams connect, inbound accept. */
struct bufferevent *tls_bufferevent_new(SSL_CTX *, struct event_base *,
	    int, int);
/*
 * Does the peer's verified certificate name node id?  0 if so; else -1
 * with why holding what the certificate does name.
 */
int	 tls_names(struct bufferevent *, const char *, char *, size_t);
/*
 * After BEV_EVENT_ERROR: the TLS reason, if the error was TLS's
 * (1 and buf filled), else 0.
 */
int	 tls_error(struct bufferevent *, char *, size_t);
/*
 * The default: TLS 1.3 keyed by the cluster keys as external PSKs
 * (borrowed: the keys must live as long as the context).
 */
SSL_CTX	*tls_psk_ctx_new(const struct auth_keys *, char *, size_t);
/* A value exported from the stream's TLS session: 0, or -1 if none. */
int	 tls_exporter(struct bufferevent *, uint8_t *, size_t);

#endif /* COHORT_TLS_H */
