/*
 * config.h: cohortd.conf, loaded with libconfig into struct cohort_conf.
 */
#ifndef COHORT_CONFIG_H
#define COHORT_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "acl.h"
#include "auth.h"
#include "proto.h"

#define CONF_SOCKET_MAX		107	/* sun_path, less the NUL */
#define CONF_NODES_MAX		WIRE_MEMBERS_MAX
#define CONF_LISTEN_ADDR_MAX	63	/* a numeric IPv4 or IPv6 address */

struct conf_node {
	char		 id[WIRE_ID_MAX + 1];
	char		 address[WIRE_ADDR_MAX + 1];
	uint16_t	 port;
	int		 line;		/* in the config file, for messages */
};

/*
 * Numeric settings.  One row each in config.c's table gives the key, the
 * default and the range; the validator, the printer and cohortd.conf(5)
 * follow that table.
 */
struct conf_limits {
	uint32_t	 hb_interval_ms;
	uint32_t	 hb_timeout_ms;
	uint32_t	 reconnect_min_ms;
	uint32_t	 reconnect_max_ms;
	uint32_t	 hello_timeout_ms;
	uint32_t	 max_message_size;
	uint32_t	 peer_queue_bytes;
	uint32_t	 client_queue_bytes;
	uint32_t	 max_clients;
	uint32_t	 subs_per_client;
	uint32_t	 requests_per_client;
	uint32_t	 max_pending_streams;	/* inbound, before HELLO */
	uint32_t	 pending_per_address;	/* the same, per unlisted IP */
	uint32_t	 clients_per_uid;
	uint32_t	 request_timeout_max_ms;
	uint32_t	 requests_served_max;	/* served here at once, all peers */
	uint32_t	 client_memory_bytes;	/* subscription state, a client */
	uint32_t	 memory_bytes;		/* the same, all clients */
	/* metrics: the HTTP endpoint's bounds, and /healthz's */
	uint32_t	 metrics_max_connections;
	uint32_t	 metrics_max_request_size;
	uint32_t	 metrics_timeout_ms;
	uint32_t	 healthz_min_peers_up;
};

struct cohort_conf {
	char		 path[1024];
	char		 cluster[WIRE_ID_MAX + 1];
	char		 node_id[WIRE_ID_MAX + 1];
	struct conf_node *nodes;	/* owned; n_nodes entries */
	size_t		 n_nodes;
	size_t		 self;		/* index of node_id in nodes */
	char		 socket[CONF_SOCKET_MAX + 1];
	int		 log_debug;
	int		 slow_disconnect;	/* policy.slow_subscriber */
	struct conf_limits lim;
	/* security */
	char		 key_files[AUTH_KEYS_MAX][1024];	/* absolute */
	size_t		 n_key_files;
	int		 key_line;
	int		 auth_none;	/* authentication = "none" */
	int		 encrypt_none;	/* encryption = "none": plaintext */
	int		 check_address;	/* a HELLO comes from its node's IP */
	/* security.tls: peer streams in TLS 1.3 when tls_on (all three set) */
	int		 tls_on;
	int		 tls_line;
	char		 tls_cert[1024];	/* absolute, PEM, may hold a chain */
	char		 tls_key[1024];
	char		 tls_ca[1024];
	char		 socket_group[64];	/* "" = leave it */
	struct acl	 acl;		/* local socket: who, and subjects */
	/* metrics.listen: GET /metrics and /healthz there when metrics_on */
	int		 metrics_on;
	int		 metrics_line;
	char		 metrics_addr[CONF_LISTEN_ADDR_MAX + 1];	/* no [] */
	uint16_t	 metrics_port;
};

/*
 * Load and validate.  node_id, when not NULL, overrides the file's
 * node_id (cohortd -n).  On failure returns -1 with err holding
 * "file:line: what is wrong; what is allowed".
 */
int	 config_load(const char *, const char *, struct cohort_conf *,
	    char *, size_t);
int	 config_load_string(const char *, const char *, const char *,
	    struct cohort_conf *, char *, size_t);
void	 config_free(struct cohort_conf *);
/* Read the configured key files (cohortd -t and at start, reload). */
int	 config_load_keys(const struct cohort_conf *, struct auth_keys *,
	    char *, size_t);
void	 config_print(const struct cohort_conf *, FILE *);
const struct conf_node *config_find_node(const struct cohort_conf *,
	    const char *);
/*
 * Do peer streams run in TLS: with certificates (security.tls), or by
 * default with the cluster key as a pre-shared key; not with
 * encryption = "none" or authentication = "none".
 */
int	 config_encrypted(const struct cohort_conf *);
/* Largest frame on the peer and local sockets for these limits. */
size_t	 config_max_frame(const struct cohort_conf *);

#endif /* COHORT_CONFIG_H */
