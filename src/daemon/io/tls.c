/*
 * tls.c: TLS 1.3 on peer streams.  The OpenSSL context, a bufferevent
 * per stream, and the checks peer_handshake.c makes of a peer's
 * certificate.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <event2/bufferevent_ssl.h>

#include "common/auth.h"
#include "tls.h"

/* The reason of the oldest error OpenSSL queued, or what. */
static const char *
tls_reason(const char *what)
{
	unsigned long	 e = ERR_get_error();
	const char	*r = e != 0 ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return (r != NULL ? r : what);
}

/* Encrypted private keys would prompt for a passphrase: refuse them. */
static int
tls_no_passphrase(char *buf, int size, int rw, void *arg)
{
	(void)buf;
	(void)size;
	(void)rw;
	(void)arg;
	return (-1);
}

static int
tls_load_key(SSL_CTX *ctx, const char *path, char *err, size_t errlen)
{
	EVP_PKEY	*pkey;
	FILE		*fp;
	int		 fd;

	if ((fd = auth_open_secret(path, "TLS private key", err,
	    errlen)) == -1)
		return (-1);
	if ((fp = fdopen(fd, "r")) == NULL) {
		snprintf(err, errlen, "cannot read the TLS private key %s: %s",
		    path, strerror(errno));
		close(fd);
		return (-1);
	}
	pkey = PEM_read_PrivateKey(fp, NULL, tls_no_passphrase, NULL);
	fclose(fp);
	if (pkey == NULL) {
		snprintf(err, errlen, "TLS private key %s: %s (a PEM key "
		    "without a passphrase is needed; tools/cohort-tls-certs "
		    "writes one)", path, tls_reason("not a private key"));
		return (-1);
	}
	if (SSL_CTX_use_PrivateKey(ctx, pkey) != 1) {
		snprintf(err, errlen, "TLS private key %s: %s (it must be the "
		    "key of the certificate)", path, tls_reason("not usable"));
		EVP_PKEY_free(pkey);
		return (-1);
	}
	EVP_PKEY_free(pkey);
	return (0);
}

/* The certificate's subject common name, for messages. */
static void
tls_cn(X509 *cert, char *buf, size_t len)
{
	if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert),
	    NID_commonName, buf, (int)len) < 0)
		strlcpy(buf, "(no common name)", len);
}

/*
 * Node ids are matched exactly (ignoring case), never by wildcard.  To
 * X509_check_host a leading '.' means "any subdomain": such ids match
 * nothing here, so cohortd -t says so.
 */
static int
tls_cert_names(X509 *cert, const char *id)
{
	return (id[0] != '.' && X509_check_host(cert, id, strlen(id),
	    X509_CHECK_FLAG_NO_WILDCARDS, NULL) == 1);
}

/*
 * Our own certificate, checked as a peer will check it: signed by the
 * CA (through the chain in the certificate file), and naming us.
 */
static int
tls_check_own(SSL_CTX *ctx, const struct cohort_conf *conf, char *err,
    size_t errlen)
{
	X509_STORE_CTX	*vc;
	STACK_OF(X509)	*chain = NULL;
	X509		*own = SSL_CTX_get0_certificate(ctx);
	char		 cn[256];
	int		 ok;

	if ((vc = X509_STORE_CTX_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	(void)SSL_CTX_get0_chain_certs(ctx, &chain);
	ok = X509_STORE_CTX_init(vc, SSL_CTX_get_cert_store(ctx), own,
	    chain) == 1 && X509_verify_cert(vc) == 1;
	if (!ok)
		snprintf(err, errlen, "%s:%d: TLS certificate %s is not signed "
		    "by the CA in %s: %s", conf->path, conf->tls_line,
		    conf->tls_cert, conf->tls_ca, X509_verify_cert_error_string(
		    X509_STORE_CTX_get_error(vc)));
	X509_STORE_CTX_free(vc);
	ERR_clear_error();
	if (!ok)
		return (-1);
	if (!tls_cert_names(own, conf->node_id)) {
		tls_cn(own, cn, sizeof(cn));
		snprintf(err, errlen, "%s:%d: TLS certificate %s is for \"%s\", "
		    "not this node \"%s\": peers would refuse it (make one "
		    "with tools/cohort-tls-certs)", conf->path, conf->tls_line,
		    conf->tls_cert, cn, conf->node_id);
		return (-1);
	}
	return (0);
}

SSL_CTX *
tls_ctx_new(const struct cohort_conf *conf, char *err, size_t errlen)
{
	const char	*files[] = { conf->tls_ca, conf->tls_cert, NULL };
	const char	*what[] = { "CA", "certificate" };
	SSL_CTX		*ctx;
	char		 msg[2048];	/* holds a path of 1023 and more */
	size_t		 i;

	/* OpenSSL's messages for a missing file do not say which. */
	for (i = 0; files[i] != NULL; i++)
		if (access(files[i], R_OK) == -1) {
			snprintf(err, errlen, "%s:%d: cannot read the TLS %s "
			    "%s: %s", conf->path, conf->tls_line, what[i],
			    files[i], strerror(errno));
			return (NULL);
		}
	if ((ctx = SSL_CTX_new(TLS_method())) == NULL) {
		snprintf(err, errlen, "TLS: %s", tls_reason("out of memory"));
		return (NULL);
	}
	/*
	 * TLS 1.3 only, no session tickets or cache: streams are few and
	 * long-lived, so every one gets a full handshake and a fresh check
	 * of the peer's certificate.
	 */
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	/* Both ends present a certificate and both verify the other's. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
	    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_verify_depth(ctx, 4);
	if (SSL_CTX_load_verify_locations(ctx, conf->tls_ca, NULL) != 1) {
		snprintf(err, errlen, "%s:%d: TLS CA %s: %s", conf->path,
		    conf->tls_line, conf->tls_ca,
		    tls_reason("cannot be read"));
		goto fail;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, conf->tls_cert) != 1) {
		snprintf(err, errlen, "%s:%d: TLS certificate %s: %s",
		    conf->path, conf->tls_line, conf->tls_cert,
		    tls_reason("cannot be read"));
		goto fail;
	}
	if (tls_load_key(ctx, conf->tls_key, msg, sizeof(msg)) == -1) {
		snprintf(err, errlen, "%s:%d: %s", conf->path, conf->tls_line,
		    msg);
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(err, errlen, "%s:%d: TLS private key %s does not "
		    "belong to the certificate %s", conf->path, conf->tls_line,
		    conf->tls_key, conf->tls_cert);
		ERR_clear_error();
		goto fail;
	}
	if (tls_check_own(ctx, conf, err, errlen) == -1)
		goto fail;
	return (ctx);
fail:
	SSL_CTX_free(ctx);
	return (NULL);
}

struct bufferevent *
tls_bufferevent_new(SSL_CTX *ctx, struct event_base *base, int fd,
    int outbound)
{
	struct bufferevent	*bev;
	SSL			*ssl;

	if ((ssl = SSL_new(ctx)) == NULL) {
		ERR_clear_error();
		return (NULL);
	}
	/* On failure libevent frees ssl (BEV_OPT_CLOSE_ON_FREE). */
	bev = bufferevent_openssl_socket_new(base, fd, ssl, outbound ?
	    BUFFEREVENT_SSL_CONNECTING : BUFFEREVENT_SSL_ACCEPTING,
	    BEV_OPT_CLOSE_ON_FREE);
	/*
	 * A peer that is killed sends no close_notify: that is a stream
	 * closed (EOF), which the mesh handles, not a TLS error.  Nothing is
	 * lost to truncation: frames are length-prefixed and a partial one
	 * is discarded.
	 */
	if (bev != NULL)
		bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return (bev);
}

int
tls_names(struct bufferevent *bev, const char *id, char *why, size_t len)
{
	SSL	*ssl = bufferevent_openssl_get_ssl(bev);
	X509	*cert;
	char	 cn[256];

	if (ssl == NULL || (cert = SSL_get0_peer_certificate(ssl)) == NULL) {
		snprintf(why, len, "no verified certificate");
		return (-1);
	}
	if (tls_cert_names(cert, id))
		return (0);
	tls_cn(cert, cn, sizeof(cn));
	snprintf(why, len, "its TLS certificate is for \"%s\"", cn);
	return (-1);
}

int
tls_error(struct bufferevent *bev, char *buf, size_t len)
{
	SSL		*ssl = bufferevent_openssl_get_ssl(bev);
	unsigned long	 e, first = 0;
	const char	*r;
	long		 vr;

	if (ssl == NULL)
		return (0);
	while ((e = bufferevent_get_openssl_error(bev)) != 0)
		if (first == 0)
			first = e;
	vr = SSL_get_verify_result(ssl);
	if (first == 0 && vr == X509_V_OK)
		return (0);
	r = first != 0 ? ERR_reason_error_string(first) : NULL;
	if (vr != X509_V_OK)
		snprintf(buf, len, "TLS: %s: %s", r != NULL ? r :
		    "handshake failed", X509_verify_cert_error_string(vr));
	else
		snprintf(buf, len, "TLS: %s", r != NULL ? r :
		    "handshake failed");
	return (1);
}
