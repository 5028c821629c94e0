/*
 * tls.c: TLS 1.3 on peer streams.  The OpenSSL context, a bufferevent
 * per stream, and the checks peer_handshake.c makes of a peer's
 * certificate.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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

/* TLS 1.3 keyed by the cluster key (an external PSK) */

/*
 * What the PSK callbacks read: the keys in force, borrowed from the
 * daemon (reloads change them in place), and the identity last offered,
 * which OpenSSL borrows until the handshake uses it.
 */
struct tls_psk {
	const struct auth_keys	*keys;
	unsigned char		 ident[64];
};

static int	tls_psk_index = -1;

static void
tls_psk_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
    void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	if (ptr != NULL) {
		explicit_bzero(ptr, sizeof(struct tls_psk));
		free(ptr);
	}
}

/* The identity a key is offered under: "cohort1 " and its id in hex. */
static size_t
tls_psk_ident(const struct auth_key *k, unsigned char *out, size_t len)
{
	static const char	hex[] = "0123456789abcdef";
	uint8_t			id[AUTH_KEY_ID_LEN];
	size_t			i, n = 8;

	if (len < 8 + 2 * AUTH_KEY_ID_LEN || auth_key_id(k, id) == -1)
		return (0);
	memcpy(out, "cohort1 ", 8);
	for (i = 0; i < AUTH_KEY_ID_LEN; i++) {
		out[n++] = (unsigned char)hex[id[i] >> 4];
		out[n++] = (unsigned char)hex[id[i] & 0xf];
	}
	return (n);
}

/* A session that carries the PSK of key k, for TLS_AES_128_GCM_SHA256. */
static SSL_SESSION *
tls_psk_session(SSL *ssl, const struct auth_key *k)
{
	static const unsigned char	 aes128gcm[] = { 0x13, 0x01 };
	const SSL_CIPHER		*cipher;
	SSL_SESSION			*sess;
	uint8_t				 psk[AUTH_PSK_LEN];

	if ((cipher = SSL_CIPHER_find(ssl, aes128gcm)) == NULL ||
	    auth_psk(k, psk) == -1)
		return (NULL);
	if ((sess = SSL_SESSION_new()) == NULL ||
	    SSL_SESSION_set1_master_key(sess, psk, sizeof(psk)) != 1 ||
	    SSL_SESSION_set_cipher(sess, cipher) != 1 ||
	    SSL_SESSION_set_protocol_version(sess, TLS1_3_VERSION) != 1) {
		SSL_SESSION_free(sess);
		sess = NULL;
	}
	explicit_bzero(psk, sizeof(psk));
	return (sess);
}

/* Dialling: offer the first key (the one this node proves with). */
static int
tls_psk_use_cb(SSL *ssl, const EVP_MD *md, const unsigned char **id,
    size_t *idlen, SSL_SESSION **sess)
{
	struct tls_psk	*p = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl),
			    tls_psk_index);

	*sess = NULL;
	if (p == NULL || p->keys->n == 0)
		return (1);	/* no PSK: the handshake fails */
	/* Our PSK is for SHA-256: after a retry for another hash, none. */
	if (md != NULL && md != EVP_sha256())
		return (1);
	if ((*idlen = tls_psk_ident(&p->keys->key[0], p->ident,
	    sizeof(p->ident))) == 0 ||
	    (*sess = tls_psk_session(ssl, &p->keys->key[0])) == NULL)
		return (0);	/* fail closed */
	*id = p->ident;
	return (1);
}

/* Accepting: any of our keys, found by the identity offered. */
static int
tls_psk_find_cb(SSL *ssl, const unsigned char *id, size_t idlen,
    SSL_SESSION **sess)
{
	struct tls_psk	*p = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl),
			    tls_psk_index);
	unsigned char	 want[64];
	size_t		 i, n;

	*sess = NULL;
	if (p == NULL)
		return (1);
	for (i = 0; i < p->keys->n; i++) {
		n = tls_psk_ident(&p->keys->key[i], want, sizeof(want));
		if (n == 0 || n != idlen || CRYPTO_memcmp(want, id, n) != 0)
			continue;
		if ((*sess = tls_psk_session(ssl, &p->keys->key[i])) ==
		    NULL)
			return (0);
		return (1);
	}
	return (1);	/* not one of our keys: no PSK, the handshake fails */
}

SSL_CTX *
tls_psk_ctx_new(const struct auth_keys *keys, char *err, size_t errlen)
{
	struct tls_psk	*p;
	SSL_CTX		*ctx;

	if (tls_psk_index == -1 && (tls_psk_index = SSL_CTX_get_ex_new_index(0,
	    NULL, NULL, NULL, tls_psk_free)) == -1) {
		snprintf(err, errlen, "TLS: %s", tls_reason("out of memory"));
		return (NULL);
	}
	if ((ctx = SSL_CTX_new(TLS_method())) == NULL ||
	    (p = calloc(1, sizeof(*p))) == NULL) {
		SSL_CTX_free(ctx);
		snprintf(err, errlen, "TLS: %s", tls_reason("out of memory"));
		return (NULL);
	}
	p->keys = keys;
	(void)SSL_CTX_set_ex_data(ctx, tls_psk_index, p);
	/*
	 * TLS 1.3 only, PSK with (EC)DHE (OpenSSL refuses psk_ke, the mode
	 * without it, unless told otherwise): a key stolen later does not
	 * decrypt what was recorded.  No tickets: every stream makes a full
	 * handshake with the key.  No certificates: the key is the proof;
	 * the HELLO then binds the node id to this session.
	 */
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	if (SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256:"
	    "TLS_CHACHA20_POLY1305_SHA256") != 1) {
		snprintf(err, errlen, "TLS: %s", tls_reason("no cipher"));
		SSL_CTX_free(ctx);
		return (NULL);
	}
	SSL_CTX_set_psk_use_session_callback(ctx, tls_psk_use_cb);
	SSL_CTX_set_psk_find_session_callback(ctx, tls_psk_find_cb);
	return (ctx);
}

int
tls_exporter(struct bufferevent *bev, uint8_t *out, size_t len)
{
	static const char	 label[] = "EXPORTER-cohort-hello";
	SSL			*ssl = bufferevent_openssl_get_ssl(bev);

	if (ssl == NULL || SSL_export_keying_material(ssl, out, len, label,
	    sizeof(label) - 1, NULL, 0, 0) != 1) {
		ERR_clear_error();
		return (-1);
	}
	return (0);
}
