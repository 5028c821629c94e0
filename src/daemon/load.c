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
	if (conf->tls_on && (*tls = tls_ctx_new(conf, err, errlen)) == NULL) {
		explicit_bzero(keys, sizeof(*keys));
		config_free(conf);
		return (-1);
	}
	return (0);
}
