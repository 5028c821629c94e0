/*
 * load.c: the config, its cluster keys and its TLS context, read and
 * checked as one (daemon.h).
 */
#include <string.h>

#include <openssl/ssl.h>

#include "daemon/io/tls.h"
#include "daemon.h"

int
daemon_load(const char *path, const char *node, struct cohort_conf *conf,
    struct auth_keys *keys, SSL_CTX **tls, char *err, size_t errlen)
{
	*tls = NULL;
	if (config_load(path, node, conf, err, errlen) == -1)
		return (-1);
	if (config_load_keys(conf, keys, err, errlen) == -1) {
		config_free(conf);
		return (-1);
	}
	/*
	 * Certificates when security.tls says so; else, by default, the
	 * cluster key as a TLS pre-shared key.  The PSK context borrows keys
	 * and the cluster name: at start they are the daemon's own, which
	 * reloads change in place.
	 */
	if (conf->tls_on)
		*tls = tls_ctx_new(conf, err, errlen);
	else if (config_encrypted(conf) && keys->n > 0)
		*tls = tls_psk_ctx_new(keys, err, errlen);
	if ((conf->tls_on || (config_encrypted(conf) && keys->n > 0)) &&
	    *tls == NULL) {
		explicit_bzero(keys, sizeof(*keys));
		config_free(conf);
		return (-1);
	}
	return (0);
}
