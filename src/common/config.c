/*
 * config.c: read cohortd.conf with libconfig, validate it against the
 * tables below, and return a fresh struct cohort_conf that owns copies of
 * every string (the config_t is destroyed before we return).
 *
 * Every message names file:line and says what is allowed, because the
 * person reading it is an operator with an editor open on that file.
 */
#include <sys/socket.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <grp.h>
#include <pwd.h>

#include <libconfig.h>

#include "config.h"
#include "subject.h"

#ifndef COHORT_SOCKET_DEFAULT
#define COHORT_SOCKET_DEFAULT	"/run/cohort/cohortd.sock"
#endif

/* Largest config file read: 1024 nodes take about 100 KB. */
#define CONF_FILE_MAX	(16 * 1024 * 1024)

/* One row per numeric setting: the single source of defaults and ranges. */
static const struct conf_num {
	const char	*group;
	const char	*key;
	size_t		 off;
	uint32_t	 def;
	uint32_t	 min;
	uint32_t	 max;
} conf_num_tbl[] = {
#define L(f)	offsetof(struct conf_limits, f)
	{ "heartbeat", "interval_ms", L(hb_interval_ms), 500, 10, 60000 },
	{ "heartbeat", "timeout_ms", L(hb_timeout_ms), 2500, 20, 600000 },
	{ "reconnect", "min_ms", L(reconnect_min_ms), 100, 10, 60000 },
	{ "reconnect", "max_ms", L(reconnect_max_ms), 5000, 10, 600000 },
	{ "limits", "hello_timeout_ms", L(hello_timeout_ms), 5000, 100,
	    600000 },
	{ "limits", "max_message_size", L(max_message_size), 1048576, 1024,
	    64 * 1024 * 1024 - 131072 },
	{ "limits", "peer_queue_bytes", L(peer_queue_bytes), 8388608, 262144,
	    1073741824 },
	{ "limits", "client_queue_bytes", L(client_queue_bytes), 4194304,
	    262144, 1073741824 },
	{ "limits", "max_clients", L(max_clients), 256, 1, 65536 },
	{ "limits", "subscriptions_per_client", L(subs_per_client), 100000,
	    1, 1048576 },
	{ "limits", "requests_per_client", L(requests_per_client), 4096, 1,
	    1048576 },
	{ "limits", "max_pending_streams", L(max_pending_streams), 256, 1,
	    65536 },
	{ "limits", "pending_per_address", L(pending_per_address), 8, 1,
	    65536 },
	{ "limits", "clients_per_uid", L(clients_per_uid), 64, 1, 65536 },
	{ "limits", "request_timeout_max_ms", L(request_timeout_max_ms), 600000,
	    100, 86400000 },
	{ "limits", "requests_served_max", L(requests_served_max), 65536, 1,
	    1048576 },
	{ "limits", "client_memory_bytes", L(client_memory_bytes), 33554432,
	    65536, 4294967295U },
	{ "limits", "memory_bytes", L(memory_bytes), 134217728, 65536,
	    4294967295U },
	{ "metrics", "max_connections", L(metrics_max_connections), 16, 1,
	    1024 },
	{ "metrics", "max_request_size", L(metrics_max_request_size), 8192,
	    1024, 1048576 },
	{ "metrics", "timeout_ms", L(metrics_timeout_ms), 5000, 100, 600000 },
	{ "metrics", "healthz_min_peers_up", L(healthz_min_peers_up), 0, 0,
	    CONF_NODES_MAX - 1 },
#undef L
};
#define N_NUM	(sizeof(conf_num_tbl) / sizeof(conf_num_tbl[0]))

static const char *const conf_top_keys[] = {
	"cluster", "node_id", "nodes", "socket", "heartbeat", "reconnect",
	"limits", "log", "policy", "security", "metrics", NULL
};
static const char *const conf_security_keys[] = {
	"key_file", "key_files", "authentication", "check_address",
	"socket_group", "allow_users", "allow_groups", "rules", "tls",
	"admin_group", "encryption", NULL
};
static const char *const conf_tls_keys[] = {
	"certificate", "private_key", "ca", NULL
};
static const char *const conf_rule_keys[] = {
	"user", "group", "publish", "subscribe", NULL
};
static const char *const conf_policy_keys[] = {
	"slow_subscriber", NULL
};
static const char *const conf_node_keys[] = {
	"id", "address", "port", NULL
};
static const char *const conf_log_keys[] = {
	"level", NULL
};

struct conf_ctx {
	const char	*file;
	char		*err;
	size_t		 errlen;
};

static int
conf_error(struct conf_ctx *cx, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
conf_error(struct conf_ctx *cx, int line, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	n = snprintf(cx->err, cx->errlen, "%s:%d: ", cx->file, line);
	if (n < 0 || (size_t)n >= cx->errlen)
		return (-1);
	va_start(ap, fmt);
	vsnprintf(cx->err + n, cx->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return (-1);
}

static int
conf_line(const config_setting_t *s)
{
	return ((int)config_setting_source_line(s));
}

/* "a, b, c" into buf. */
static const char *
conf_keylist(const char *const *keys, char *buf, size_t len)
{
	size_t	i;

	buf[0] = '\0';
	for (i = 0; keys[i] != NULL; i++) {
		if (i > 0)
			strlcat(buf, ", ", len);
		strlcat(buf, keys[i], len);
	}
	return (buf);
}

/* Refuse any member of group g whose name is not in keys. */
static int
conf_check_keys(struct conf_ctx *cx, const config_setting_t *g,
    const char *const *keys, const char *where)
{
	const config_setting_t	*s;
	const char		*name;
	char			 allowed[512];
	int			 i, k, found;

	for (i = 0; (s = config_setting_get_elem(g, (unsigned)i)) != NULL;
	    i++) {
		name = config_setting_name(s);
		found = 0;
		for (k = 0; keys[k] != NULL && !found; k++)
			found = name != NULL && strcmp(name, keys[k]) == 0;
		if (!found)
			return (conf_error(cx, conf_line(s),
			    "unknown key '%s' in %s (allowed: %s)",
			    name ? name : "?", where,
			    conf_keylist(keys, allowed, sizeof(allowed))));
	}
	return (0);
}

/* Copy a string setting into out[max + 1]; empty or too long is refused. */
static int
conf_get_str(struct conf_ctx *cx, const config_setting_t *s,
    const char *what, char *out, size_t max)
{
	const char	*v;

	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return (conf_error(cx, conf_line(s),
		    "%s must be a string in double quotes", what));
	v = config_setting_get_string(s);
	if (v == NULL || *v == '\0')
		return (conf_error(cx, conf_line(s), "%s must not be empty",
		    what));
	if (strlen(v) > max)
		return (conf_error(cx, conf_line(s),
		    "%s is too long (at most %zu characters)", what, max));
	strlcpy(out, v, max + 1);
	return (0);
}

/* Ids and cluster names: letters, digits, '.', '_', '-'. */
static int
conf_valid_id(const char *s)
{
	if (*s == '\0')
		return (0);
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '.' && *s != '_' &&
		    *s != '-')
			return (0);
	return (1);
}

static int
conf_get_id(struct conf_ctx *cx, const config_setting_t *s, const char *what,
    char *out)
{
	if (conf_get_str(cx, s, what, out, WIRE_ID_MAX) == -1)
		return (-1);
	if (!conf_valid_id(out))
		return (conf_error(cx, conf_line(s), "%s \"%s\" is not valid "
		    "(allowed: letters, digits, '.', '_' and '-')", what, out));
	return (0);
}

static int
conf_get_int(struct conf_ctx *cx, const config_setting_t *s, const char *what,
    long long min, long long max, long long *out)
{
	int	t;

	t = config_setting_type(s);
	if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
		return (conf_error(cx, conf_line(s),
		    "%s must be an integer from %lld to %lld", what, min, max));
	*out = config_setting_get_int64(s);
	if (*out < min || *out > max)
		return (conf_error(cx, conf_line(s),
		    "%s = %lld is out of range (allowed: %lld to %lld)",
		    what, *out, min, max));
	return (0);
}

static int
conf_read_node(struct conf_ctx *cx, const config_setting_t *e,
    struct conf_node *n)
{
	const config_setting_t	*s;
	long long		 port = 0;

	if (config_setting_type(e) != CONFIG_TYPE_GROUP)
		return (conf_error(cx, conf_line(e), "each entry of nodes must "
		    "be a group: { id = \"n1\"; address = \"10.0.0.1\"; "
		    "port = 7400; }"));
	if (conf_check_keys(cx, e, conf_node_keys, "a nodes entry") == -1)
		return (-1);
	n->line = conf_line(e);
	if ((s = config_setting_get_member(e, "id")) == NULL)
		return (conf_error(cx, n->line, "nodes entry without id"));
	if (conf_get_id(cx, s, "id", n->id) == -1)
		return (-1);
	if ((s = config_setting_get_member(e, "address")) == NULL)
		return (conf_error(cx, n->line, "node %s has no address "
		    "(an IPv4 or IPv6 address, or a host name)", n->id));
	if (conf_get_str(cx, s, "address", n->address, WIRE_ADDR_MAX) == -1)
		return (-1);
	if ((s = config_setting_get_member(e, "port")) == NULL)
		return (conf_error(cx, n->line, "node %s has no port", n->id));
	if (conf_get_int(cx, s, "port", 1, 65535, &port) == -1)
		return (-1);
	n->port = (uint16_t)port;
	return (0);
}

static int
conf_read_nodes(struct conf_ctx *cx, const config_setting_t *root,
    struct cohort_conf *conf)
{
	const config_setting_t	*list;
	size_t			 i, j, n;

	if ((list = config_setting_get_member(root, "nodes")) == NULL)
		return (conf_error(cx, 1, "nodes is missing: list every node "
		    "of the cluster, this one included"));
	if (!config_setting_is_aggregate(list) ||
	    config_setting_type(list) == CONFIG_TYPE_GROUP)
		return (conf_error(cx, conf_line(list), "nodes must be a list: "
		    "nodes = ( { id = ...; address = ...; port = ...; }, ... );"));
	n = (size_t)config_setting_length(list);
	if (n == 0 || n > CONF_NODES_MAX)
		return (conf_error(cx, conf_line(list), "nodes has %zu entries "
		    "(allowed: 1 to %d)", n, CONF_NODES_MAX));
	if ((conf->nodes = calloc(n, sizeof(*conf->nodes))) == NULL)
		return (conf_error(cx, conf_line(list), "out of memory"));
	conf->n_nodes = n;
	for (i = 0; i < n; i++) {
		if (conf_read_node(cx, config_setting_get_elem(list,
		    (unsigned)i), &conf->nodes[i]) == -1)
			return (-1);
		for (j = 0; j < i; j++) {
			if (strcmp(conf->nodes[j].id, conf->nodes[i].id) == 0)
				return (conf_error(cx, conf->nodes[i].line,
				    "node id %s is already used at line %d",
				    conf->nodes[i].id, conf->nodes[j].line));
			if (strcmp(conf->nodes[j].address,
			    conf->nodes[i].address) == 0 &&
			    conf->nodes[j].port == conf->nodes[i].port)
				return (conf_error(cx, conf->nodes[i].line,
				    "node %s has the same address and port as "
				    "node %s (line %d)", conf->nodes[i].id,
				    conf->nodes[j].id, conf->nodes[j].line));
		}
	}
	return (0);
}

static int
conf_read_log(struct conf_ctx *cx, const config_setting_t *root,
    struct cohort_conf *conf)
{
	const config_setting_t	*g, *s;
	char			 level[16];

	if ((g = config_setting_get_member(root, "log")) == NULL)
		return (0);
	if (config_setting_type(g) != CONFIG_TYPE_GROUP)
		return (conf_error(cx, conf_line(g), "log must be a group: "
		    "log = { level = \"info\"; };"));
	if (conf_check_keys(cx, g, conf_log_keys, "log") == -1)
		return (-1);
	if ((s = config_setting_get_member(g, "level")) == NULL)
		return (0);
	if (conf_get_str(cx, s, "log.level", level, sizeof(level) - 1) == -1)
		return (-1);
	if (strcmp(level, "debug") == 0)
		conf->log_debug = 1;
	else if (strcmp(level, "info") == 0)
		conf->log_debug = 0;
	else
		return (conf_error(cx, conf_line(s), "log.level \"%s\" is not "
		    "valid (allowed: \"info\", \"debug\")", level));
	return (0);
}

/*
 * policy.slow_subscriber: what to do with a local subscriber whose
 * unread messages reach limits.client_queue_bytes.
 */
static int
conf_read_policy(struct conf_ctx *cx, const config_setting_t *root,
    struct cohort_conf *conf)
{
	const config_setting_t	*g, *s;
	char			 v[32];

	conf->slow_disconnect = 0;
	if ((g = config_setting_get_member(root, "policy")) == NULL)
		return (0);
	if (config_setting_type(g) != CONFIG_TYPE_GROUP)
		return (conf_error(cx, conf_line(g), "policy must be a group: "
		    "policy = { slow_subscriber = \"backpressure\"; };"));
	if (conf_check_keys(cx, g, conf_policy_keys, "policy") == -1)
		return (-1);
	if ((s = config_setting_get_member(g, "slow_subscriber")) == NULL)
		return (0);
	if (conf_get_str(cx, s, "policy.slow_subscriber", v,
	    sizeof(v) - 1) == -1)
		return (-1);
	if (strcmp(v, "disconnect") == 0)
		conf->slow_disconnect = 1;
	else if (strcmp(v, "backpressure") != 0)
		return (conf_error(cx, conf_line(s), "policy.slow_subscriber "
		    "\"%s\" is not valid (allowed: \"backpressure\", "
		    "\"disconnect\")", v));
	return (0);
}

static int	conf_read_access(struct conf_ctx *, const config_setting_t *,
		    struct cohort_conf *);

/* A key file path, absolute or relative to the config file's directory. */
static int
conf_key_path(struct cohort_conf *conf, const char *v, char *out,
    size_t len)
{
	const char	*slash;

	if (v[0] == '/' || (slash = strrchr(conf->path, '/')) == NULL)
		return (strlcpy(out, v, len) < len ? 0 : -1);
	if ((size_t)(slash - conf->path) + 1 + strlen(v) >= len)
		return (-1);
	snprintf(out, len, "%.*s/%s", (int)(slash - conf->path), conf->path,
	    v);
	return (0);
}

static int
conf_read_keys(struct conf_ctx *cx, const config_setting_t *g,
    struct cohort_conf *conf)
{
	const config_setting_t	*s, *e;
	char			 v[1024];
	int			 i, n;

	if ((s = config_setting_get_member(g, "key_file")) != NULL &&
	    config_setting_get_member(g, "key_files") != NULL)
		return (conf_error(cx, conf_line(s), "give key_file or "
		    "key_files, not both"));
	if (s != NULL) {
		conf->key_line = conf_line(s);
		if (conf_get_str(cx, s, "security.key_file", v,
		    sizeof(v) - 1) == -1)
			return (-1);
		if (conf_key_path(conf, v, conf->key_files[0],
		    sizeof(conf->key_files[0])) == -1)
			return (conf_error(cx, conf_line(s), "key file path "
			    "too long"));
		conf->n_key_files = 1;
		return (0);
	}
	if ((s = config_setting_get_member(g, "key_files")) == NULL)
		return (0);
	conf->key_line = conf_line(s);
	if (!config_setting_is_array(s) && !config_setting_is_list(s))
		return (conf_error(cx, conf_line(s), "security.key_files must "
		    "be a list of paths: [ \"new.key\", \"old.key\" ]"));
	n = config_setting_length(s);
	if (n < 1 || n > AUTH_KEYS_MAX)
		return (conf_error(cx, conf_line(s), "security.key_files has "
		    "%d entries (allowed: 1 to %d; the first signs, all are "
		    "accepted)", n, AUTH_KEYS_MAX));
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, (unsigned)i);
		if (conf_get_str(cx, e, "security.key_files entry", v,
		    sizeof(v) - 1) == -1)
			return (-1);
		if (conf_key_path(conf, v, conf->key_files[i],
		    sizeof(conf->key_files[i])) == -1)
			return (conf_error(cx, conf_line(s), "key file path "
			    "too long"));
	}
	conf->n_key_files = (size_t)n;
	return (0);
}

/*
 * security.tls: this node's certificate and key and the cluster CA, all
 * three or none.  Relative paths are relative to the config file, like
 * the key files.  The files are read by tls.c (cohortd -t too).
 */
static int
conf_read_tls(struct conf_ctx *cx, const config_setting_t *g,
    struct cohort_conf *conf)
{
	static const struct {
		const char	*key;
		size_t		 off;
	} files[] = {
		{ "certificate", offsetof(struct cohort_conf, tls_cert) },
		{ "private_key", offsetof(struct cohort_conf, tls_key) },
		{ "ca", offsetof(struct cohort_conf, tls_ca) },
	};
	const config_setting_t	*t, *s;
	char			 v[1024], what[32];
	size_t			 i;

	if ((t = config_setting_get_member(g, "tls")) == NULL)
		return (0);
	if (config_setting_type(t) != CONFIG_TYPE_GROUP)
		return (conf_error(cx, conf_line(t), "security.tls must be a "
		    "group: tls = { certificate = \"n1.crt\"; private_key = "
		    "\"n1.key\"; ca = \"ca.crt\"; };"));
	if (conf_check_keys(cx, t, conf_tls_keys, "security.tls") == -1)
		return (-1);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char	*out = (char *)conf + files[i].off;

		snprintf(what, sizeof(what), "security.tls.%s", files[i].key);
		if ((s = config_setting_get_member(t, files[i].key)) == NULL)
			return (conf_error(cx, conf_line(t), "%s is missing: "
			    "TLS needs certificate, private_key and ca (see "
			    "cohortd.conf(5), TLS)", what));
		if (conf_get_str(cx, s, what, v, sizeof(v) - 1) == -1)
			return (-1);
		if (conf_key_path(conf, v, out, sizeof(conf->tls_cert)) == -1)
			return (conf_error(cx, conf_line(s), "%s: path too "
			    "long", what));
	}
	conf->tls_on = 1;
	conf->tls_line = conf_line(t);
	return (0);
}

/*
 * security: the cluster key, whether peers must authenticate, and
 * whether a HELLO must come from its node's configured address.  Secure
 * by default: several nodes and no key is refused unless the operator
 * writes authentication = "none".
 */
static int
conf_read_security(struct conf_ctx *cx, const config_setting_t *root,
    struct cohort_conf *conf)
{
	const config_setting_t	*g, *s;
	char			 v[16];

	conf->check_address = 1;
	if ((g = config_setting_get_member(root, "security")) != NULL) {
		if (config_setting_type(g) != CONFIG_TYPE_GROUP)
			return (conf_error(cx, conf_line(g), "security must be "
			    "a group: security = { key_file = \"cluster.key\";"
			    " };"));
		if (conf_check_keys(cx, g, conf_security_keys,
		    "security") == -1 || conf_read_keys(cx, g, conf) == -1 ||
		    conf_read_tls(cx, g, conf) == -1)
			return (-1);
		if ((s = config_setting_get_member(g, "authentication")) !=
		    NULL) {
			if (conf_get_str(cx, s, "security.authentication", v,
			    sizeof(v) - 1) == -1)
				return (-1);
			if (strcmp(v, "none") == 0)
				conf->auth_none = 1;
			else if (strcmp(v, "hmac") != 0)
				return (conf_error(cx, conf_line(s),
				    "security.authentication \"%s\" is not "
				    "valid (allowed: \"hmac\", \"none\")", v));
		}
		if ((s = config_setting_get_member(g, "encryption")) != NULL) {
			if (conf_get_str(cx, s, "security.encryption", v,
			    sizeof(v) - 1) == -1)
				return (-1);
			if (strcmp(v, "none") == 0)
				conf->encrypt_none = 1;
			else if (strcmp(v, "tls") != 0)
				return (conf_error(cx, conf_line(s),
				    "security.encryption \"%s\" is not valid "
				    "(allowed: \"tls\", the default, or "
				    "\"none\")", v));
			if (conf->encrypt_none && conf->tls_on)
				return (conf_error(cx, conf_line(s),
				    "security.encryption = \"none\" and "
				    "security.tls: choose one"));
			if (!conf->encrypt_none && conf->auth_none &&
			    !conf->tls_on)
				return (conf_error(cx, conf_line(s),
				    "security.encryption = \"tls\" needs a "
				    "cluster key (key_file) or certificates "
				    "(tls), and authentication is \"none\""));
		}
		if ((s = config_setting_get_member(g, "check_address")) !=
		    NULL) {
			if (config_setting_type(s) != CONFIG_TYPE_BOOL)
				return (conf_error(cx, conf_line(s),
				    "security.check_address must be true or "
				    "false"));
			conf->check_address = config_setting_get_bool(s);
		}
		if (conf->auth_none && conf->n_key_files > 0)
			return (conf_error(cx, conf_line(g), "authentication = "
			    "\"none\" and a key file: choose one"));
	}
	if (conf_read_access(cx, g, conf) == -1)
		return (-1);
	/* Certificates checked both ways authenticate peers too. */
	if (conf->n_nodes > 1 && conf->n_key_files == 0 && !conf->auth_none &&
	    !conf->tls_on)
		return (conf_error(cx, g ? conf_line(g) : 1, "a cluster of "
		    "%zu nodes needs a cluster key: run cohortd --keygen "
		    "/etc/cohort/cluster.key, copy the file to every node and "
		    "set security = { key_file = \"/etc/cohort/cluster.key\"; "
		    "}; (or TLS with certificates, see cohortd.conf(5); or "
		    "authentication = \"none\"; to run without, which anyone "
		    "who reaches the port could join)",
		    conf->n_nodes));
	return (0);
}

/* A list of strings: each one through fn, which may refuse it. */
static int
conf_each_str(struct conf_ctx *cx, const config_setting_t *s,
    const char *what, size_t max, int (*fn)(struct conf_ctx *, int,
    const char *, void *), void *arg)
{
	const config_setting_t	*e;
	char			 v[WIRE_SUBJECT_MAX + 1];
	int			 i, n;

	if (!config_setting_is_array(s) && !config_setting_is_list(s))
		return (conf_error(cx, conf_line(s), "%s must be a list: "
		    "[ \"a\", \"b\" ]", what));
	n = config_setting_length(s);
	if ((size_t)n > max)
		return (conf_error(cx, conf_line(s), "%s has %d entries "
		    "(allowed: at most %zu)", what, n, max));
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, (unsigned)i);
		if (conf_get_str(cx, e, what, v, sizeof(v) - 1) == -1 ||
		    fn(cx, conf_line(s), v, arg) == -1)
			return (-1);
	}
	return (0);
}

static int
conf_add_uid(struct conf_ctx *cx, int line, const char *name, void *arg)
{
	struct acl	*a = arg;
	struct passwd	*pw;

	if ((pw = getpwnam(name)) == NULL)
		return (conf_error(cx, line, "security.allow_users: no such "
		    "user \"%s\"", name));
	strlcpy(a->allow_user_names[a->n_allow_uids], name,
	    sizeof(a->allow_user_names[0]));
	a->allow_uids[a->n_allow_uids++] = pw->pw_uid;
	return (0);
}

static int
conf_add_gid(struct conf_ctx *cx, int line, const char *name, void *arg)
{
	struct acl	*a = arg;
	struct group	*gr;

	if ((gr = getgrnam(name)) == NULL)
		return (conf_error(cx, line, "security.allow_groups: no such "
		    "group \"%s\"", name));
	strlcpy(a->allow_group_names[a->n_allow_gids], name,
	    sizeof(a->allow_group_names[0]));
	a->allow_gids[a->n_allow_gids++] = gr->gr_gid;
	return (0);
}

/* security.admin_group: "" for none (root and the daemon's user only). */
static int
conf_admin_group(struct conf_ctx *cx, const config_setting_t *s,
    struct acl *a)
{
	struct group	*gr;
	const char	*v;

	if (config_setting_type(s) == CONFIG_TYPE_STRING &&
	    (v = config_setting_get_string(s)) != NULL && *v == '\0')
		return (0);
	if (conf_get_str(cx, s, "security.admin_group", a->admin_group,
	    sizeof(a->admin_group) - 1) == -1)
		return (-1);
	if ((gr = getgrnam(a->admin_group)) == NULL)
		return (conf_error(cx, conf_line(s), "security.admin_group: no "
		    "such group \"%s\" (\"\" lets only root and cohortd's "
		    "user reload)", a->admin_group));
	a->admin_gid = gr->gr_gid;
	return (0);
}

struct conf_patterns {
	char	***v;
	size_t	  *n;
};

static int
conf_add_pattern(struct conf_ctx *cx, int line, const char *p, void *arg)
{
	struct conf_patterns	*cp = arg;
	enum subject_error	 se;
	char			**v;

	if ((se = subject_check(p, 1)) != SUBJECT_OK)
		return (conf_error(cx, line, "pattern \"%s\": %s", p,
		    subject_strerror(se)));
	if ((v = reallocarray(*cp->v, *cp->n + 1, sizeof(*v))) == NULL)
		return (conf_error(cx, line, "out of memory"));
	*cp->v = v;
	if ((v[*cp->n] = strdup(p)) == NULL)
		return (conf_error(cx, line, "out of memory"));
	(*cp->n)++;
	return (0);
}

/* rules = ( { user = "alice"; publish = [ ... ]; subscribe = [ ... ]; } ) */
static int
conf_read_rule(struct conf_ctx *cx, const config_setting_t *e,
    struct acl_rule *r)
{
	const config_setting_t	*s, *u, *g;
	struct conf_patterns	 cp;
	struct passwd		*pw;
	struct group		*gr;
	char			 name[33];

	r->line = conf_line(e);
	if (config_setting_type(e) != CONFIG_TYPE_GROUP)
		return (conf_error(cx, r->line, "each rule must be a group: "
		    "{ user = \"alice\"; publish = [ \"a.>\" ]; "
		    "subscribe = [ \"b.*\" ]; }"));
	if (conf_check_keys(cx, e, conf_rule_keys, "a rule") == -1)
		return (-1);
	u = config_setting_get_member(e, "user");
	g = config_setting_get_member(e, "group");
	if ((u == NULL) == (g == NULL))
		return (conf_error(cx, r->line, "a rule names one user or one "
		    "group"));
	if (conf_get_str(cx, u ? u : g, u ? "user" : "group", name,
	    sizeof(name) - 1) == -1)
		return (-1);
	if (u != NULL) {
		if ((pw = getpwnam(name)) == NULL)
			return (conf_error(cx, r->line, "rule: no such user "
			    "\"%s\"", name));
		r->uid = pw->pw_uid;
	} else {
		if ((gr = getgrnam(name)) == NULL)
			return (conf_error(cx, r->line, "rule: no such group "
			    "\"%s\"", name));
		r->gid = gr->gr_gid;
		r->is_group = 1;
	}
	snprintf(r->who, sizeof(r->who), "%s %s", u ? "user" : "group", name);
	strlcpy(r->name, name, sizeof(r->name));
	if ((s = config_setting_get_member(e, "publish")) != NULL) {
		cp.v = &r->publish;
		cp.n = &r->n_publish;
		if (conf_each_str(cx, s, "publish", ACL_PATTERNS_MAX,
		    conf_add_pattern, &cp) == -1)
			return (-1);
	}
	if ((s = config_setting_get_member(e, "subscribe")) != NULL) {
		cp.v = &r->subscribe;
		cp.n = &r->n_subscribe;
		if (conf_each_str(cx, s, "subscribe", ACL_PATTERNS_MAX,
		    conf_add_pattern, &cp) == -1)
			return (-1);
	}
	return (0);
}

/* The local socket: its group, who may connect, and subject rules. */
static int
conf_read_access(struct conf_ctx *cx, const config_setting_t *g,
    struct cohort_conf *conf)
{
	const config_setting_t	*s;
	size_t			 i, n;

	strlcpy(conf->socket_group, "cohort", sizeof(conf->socket_group));
	if (g == NULL)
		return (0);
	if ((s = config_setting_get_member(g, "socket_group")) != NULL &&
	    conf_get_str(cx, s, "security.socket_group", conf->socket_group,
	    sizeof(conf->socket_group) - 1) == -1)
		return (-1);
	if ((s = config_setting_get_member(g, "allow_users")) != NULL &&
	    conf_each_str(cx, s, "security.allow_users", ACL_NAMES_MAX,
	    conf_add_uid, &conf->acl) == -1)
		return (-1);
	if ((s = config_setting_get_member(g, "allow_groups")) != NULL &&
	    conf_each_str(cx, s, "security.allow_groups", ACL_NAMES_MAX,
	    conf_add_gid, &conf->acl) == -1)
		return (-1);
	if ((s = config_setting_get_member(g, "admin_group")) != NULL &&
	    conf_admin_group(cx, s, &conf->acl) == -1)
		return (-1);
	if ((s = config_setting_get_member(g, "rules")) == NULL)
		return (0);
	if (!config_setting_is_list(s))
		return (conf_error(cx, conf_line(s), "security.rules must be a "
		    "list: rules = ( { user = ...; publish = [...]; }, ... );"));
	n = (size_t)config_setting_length(s);
	if (n == 0 || n > ACL_RULES_MAX)
		return (conf_error(cx, conf_line(s), "security.rules has %zu "
		    "entries (allowed: 1 to %d)", n, ACL_RULES_MAX));
	if ((conf->acl.rules = calloc(n, sizeof(*conf->acl.rules))) == NULL)
		return (conf_error(cx, conf_line(s), "out of memory"));
	conf->acl.n_rules = n;
	for (i = 0; i < n; i++)
		if (conf_read_rule(cx, config_setting_get_elem(s, (unsigned)i),
		    &conf->acl.rules[i]) == -1)
			return (-1);
	return (0);
}

int
config_load_keys(const struct cohort_conf *conf, struct auth_keys *keys,
    char *err, size_t errlen)
{
	char	msg[512];
	size_t	i;

	memset(keys, 0, sizeof(*keys));
	for (i = 0; i < conf->n_key_files; i++) {
		if (auth_load_key(conf->key_files[i], &keys->key[i], msg,
		    sizeof(msg)) == -1) {
			snprintf(err, errlen, "%s:%d: %s", conf->path,
			    conf->key_line, msg);
			explicit_bzero(keys, sizeof(*keys));
			return (-1);
		}
		keys->n++;
	}
	return (0);
}

/*
 * The groups of numbers: heartbeat, reconnect, limits, and metrics,
 * whose one other key (listen) conf_read_metrics reads.
 */
static int
conf_read_numbers(struct conf_ctx *cx, const config_setting_t *root,
    struct cohort_conf *conf)
{
	static const struct {
		const char	*name;
		const char	*other;		/* a key read elsewhere */
	} groups[] = {
		{ "heartbeat", NULL }, { "reconnect", NULL },
		{ "limits", NULL }, { "metrics", "listen" }, { NULL, NULL }
	};
	const config_setting_t	*g, *s;
	const char		*keys[N_NUM + 2];
	char			 what[64];
	long long		 v = 0;
	size_t			 i, gi, nk;

	for (i = 0; i < N_NUM; i++)
		*(uint32_t *)((char *)&conf->lim + conf_num_tbl[i].off) =
		    conf_num_tbl[i].def;
	for (gi = 0; groups[gi].name != NULL; gi++) {
		const char	*name = groups[gi].name;

		if ((g = config_setting_get_member(root, name)) == NULL)
			continue;
		if (config_setting_type(g) != CONFIG_TYPE_GROUP)
			return (conf_error(cx, conf_line(g), "%s must be a "
			    "group: %s = { ... };", name, name));
		nk = 0;
		if (groups[gi].other != NULL)
			keys[nk++] = groups[gi].other;
		for (i = 0; i < N_NUM; i++)
			if (strcmp(conf_num_tbl[i].group, name) == 0)
				keys[nk++] = conf_num_tbl[i].key;
		keys[nk] = NULL;
		if (conf_check_keys(cx, g, keys, name) == -1)
			return (-1);
		for (i = 0; i < N_NUM; i++) {
			const struct conf_num	*cn = &conf_num_tbl[i];

			if (strcmp(cn->group, name) != 0 ||
			    (s = config_setting_get_member(g, cn->key)) == NULL)
				continue;
			snprintf(what, sizeof(what), "%s.%s", cn->group,
			    cn->key);
			if (conf_get_int(cx, s, what, cn->min, cn->max,
			    &v) == -1)
				return (-1);
			*(uint32_t *)((char *)&conf->lim + cn->off) =
			    (uint32_t)v;
		}
	}
	return (0);
}

/* Rules that relate two settings. */
static int
conf_check_relations(struct conf_ctx *cx, const config_setting_t *root,
    struct cohort_conf *conf)
{
	const struct conf_limits	*l = &conf->lim;
	const config_setting_t		*g;
	int				 line;

	g = config_setting_get_member(root, "heartbeat");
	line = g ? conf_line(g) : 1;
	if (l->hb_timeout_ms < 2 * l->hb_interval_ms)
		return (conf_error(cx, line, "heartbeat.timeout_ms (%u) must "
		    "be at least twice heartbeat.interval_ms (%u), or a single "
		    "late heartbeat would declare a peer down",
		    l->hb_timeout_ms, l->hb_interval_ms));
	g = config_setting_get_member(root, "reconnect");
	line = g ? conf_line(g) : 1;
	if (l->reconnect_max_ms < l->reconnect_min_ms)
		return (conf_error(cx, line, "reconnect.max_ms (%u) must be at "
		    "least reconnect.min_ms (%u)", l->reconnect_max_ms,
		    l->reconnect_min_ms));
	g = config_setting_get_member(root, "limits");
	line = g ? conf_line(g) : 1;
	if (l->peer_queue_bytes < config_max_frame(conf) ||
	    l->client_queue_bytes < config_max_frame(conf))
		return (conf_error(cx, line, "limits.peer_queue_bytes and "
		    "limits.client_queue_bytes must each hold at least one "
		    "frame of limits.max_message_size plus 128 KiB (%zu bytes)",
		    config_max_frame(conf)));
	if ((g = config_setting_get_member(root, "metrics")) != NULL &&
	    l->healthz_min_peers_up > conf->n_nodes - 1) {
		const config_setting_t	*s;

		s = config_setting_get_member(g, "healthz_min_peers_up");
		return (conf_error(cx, conf_line(s != NULL ? s : g),
		    "metrics.healthz_min_peers_up (%u) is more than the peers "
		    "in nodes (%zu): /healthz would never answer 200",
		    l->healthz_min_peers_up, conf->n_nodes - 1));
	}
	return (0);
}

/*
 * metrics.listen: "IPv4:PORT" or "[IPv6]:PORT", numeric, where the HTTP
 * endpoint listens; no listen, no endpoint.  The group's numbers were
 * read by conf_read_numbers.
 */
static int
conf_read_metrics(struct conf_ctx *cx, const config_setting_t *root,
    struct cohort_conf *conf)
{
	const config_setting_t	*g, *s;
	struct in6_addr		 a6;
	struct in_addr		 a4;
	char			 v[CONF_LISTEN_ADDR_MAX + 16], *addr, *port;
	char			*end;
	unsigned long		 pn = 0;
	int			 ok;

	if ((g = config_setting_get_member(root, "metrics")) == NULL ||
	    (s = config_setting_get_member(g, "listen")) == NULL)
		return (0);
	if (conf_get_str(cx, s, "metrics.listen", v, sizeof(v) - 1) == -1)
		return (-1);
	if (v[0] == '[') {
		addr = v + 1;
		if ((port = strchr(addr, ']')) == NULL || port[1] != ':')
			port = NULL;
		else {
			*port = '\0';
			port += 2;
		}
		ok = port != NULL && inet_pton(AF_INET6, addr, &a6) == 1;
	} else {
		addr = v;
		if ((port = strrchr(v, ':')) != NULL)
			*port++ = '\0';
		if (port != NULL && strchr(addr, ':') != NULL)
			return (conf_error(cx, conf_line(s), "metrics.listen "
			    "\"%s\": write an IPv6 address in brackets, "
			    "\"[%s]:%s\"", config_setting_get_string(s), addr,
			    port));
		ok = port != NULL && inet_pton(AF_INET, addr, &a4) == 1;
	}
	if (ok && *port >= '0' && *port <= '9') {
		errno = 0;
		pn = strtoul(port, &end, 10);
		ok = errno == 0 && *end == '\0' && pn >= 1 && pn <= 65535;
	} else
		ok = 0;
	if (!ok || strlen(addr) > CONF_LISTEN_ADDR_MAX)
		return (conf_error(cx, conf_line(s), "metrics.listen \"%s\" is "
		    "not valid (allowed: a numeric address and a port from 1 "
		    "to 65535, \"127.0.0.1:9741\" or \"[::1]:9741\")",
		    config_setting_get_string(s)));
	strlcpy(conf->metrics_addr, addr, sizeof(conf->metrics_addr));
	conf->metrics_port = (uint16_t)pn;
	conf->metrics_line = conf_line(s);
	conf->metrics_on = 1;
	return (0);
}

static int
conf_walk(struct conf_ctx *cx, config_t *cf, const char *node_override,
    struct cohort_conf *conf)
{
	const config_setting_t	*root, *s;
	char			 allowed[512];
	size_t			 i;

	root = config_root_setting(cf);
	if (conf_check_keys(cx, root, conf_top_keys, "the top level") == -1)
		return (-1);
	if ((s = config_setting_get_member(root, "cluster")) == NULL)
		return (conf_error(cx, 1, "cluster is missing: name the "
		    "cluster, e.g. cluster = \"prod\";"));
	if (conf_get_id(cx, s, "cluster", conf->cluster) == -1)
		return (-1);
	if (conf_read_nodes(cx, root, conf) == -1)
		return (-1);
	if (node_override != NULL) {
		if (strlen(node_override) > WIRE_ID_MAX ||
		    !conf_valid_id(node_override))
			return (conf_error(cx, 0, "node id \"%s\" given with -n "
			    "is not valid", node_override));
		strlcpy(conf->node_id, node_override, sizeof(conf->node_id));
	} else if ((s = config_setting_get_member(root, "node_id")) != NULL) {
		if (conf_get_id(cx, s, "node_id", conf->node_id) == -1)
			return (-1);
	} else
		return (conf_error(cx, 1, "node_id is missing: set it to this "
		    "node's id in nodes, or start cohortd with -n ID"));
	for (i = 0; i < conf->n_nodes; i++)
		if (strcmp(conf->nodes[i].id, conf->node_id) == 0)
			break;
	if (i == conf->n_nodes) {
		allowed[0] = '\0';
		for (i = 0; i < conf->n_nodes && i < 16; i++) {
			if (i > 0)
				strlcat(allowed, ", ", sizeof(allowed));
			strlcat(allowed, conf->nodes[i].id, sizeof(allowed));
		}
		s = config_setting_get_member(root, "node_id");
		return (conf_error(cx, s && !node_override ? conf_line(s) : 1,
		    "node_id \"%s\" is not in nodes (configured: %s%s)",
		    conf->node_id, allowed, conf->n_nodes > 16 ? ", ..." : ""));
	}
	conf->self = i;
	strlcpy(conf->socket, COHORT_SOCKET_DEFAULT, sizeof(conf->socket));
	if ((s = config_setting_get_member(root, "socket")) != NULL) {
		if (conf_get_str(cx, s, "socket", conf->socket,
		    CONF_SOCKET_MAX) == -1)
			return (-1);
		if (conf->socket[0] != '/')
			return (conf_error(cx, conf_line(s), "socket must be an "
			    "absolute path"));
	}
	if (conf_read_log(cx, root, conf) == -1 ||
	    conf_read_policy(cx, root, conf) == -1 ||
	    conf_read_security(cx, root, conf) == -1 ||
	    conf_read_numbers(cx, root, conf) == -1 ||
	    conf_read_metrics(cx, root, conf) == -1 ||
	    conf_check_relations(cx, root, conf) == -1)
		return (-1);
	return (0);
}

/* The first character at or after p that is not a blank or a comment. */
static char *
conf_skip_blank(char *p)
{
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '#' || (p[0] == '/' && p[1] == '/'))
			p += strcspn(p, "\n");
		else if (p[0] == '/' && p[1] == '*') {
			p = strstr(p + 2, "*/");
			if (p == NULL)
				return (NULL);
			p += 2;
		} else
			return (p);
	}
}

/* An integer literal that libconfig 1.5 would wrap: over 32 bits, no L. */
static int
conf_int_wraps(const char *p, size_t n, int neg)
{
	unsigned long long	v;
	int			hex;

	hex = p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
	if (p[n - 1] == 'L' || p[n - 1] == 'l')
		return (0);
	if (strspn(p + (hex ? 2 : 0), hex ? "0123456789abcdefABCDEF" :
	    "0123456789") != n - (hex ? 2 : 0))
		return (0);	/* a float or a bad number: libconfig says */
	errno = 0;
	v = strtoull(p, NULL, hex ? 16 : 10);
	if (errno == ERANGE)
		return (1);
	if (hex)
		return (v > UINT32_MAX);
	return (v > (neg ? 2147483648ULL : 2147483647ULL));
}

/* 1 + the number of newlines before p. */
static int
conf_line_at(const char *text, const char *p)
{
	int	line = 1;

	for (; text < p; text++)
		line += *text == '\n';
	return (line);
}

/*
 * libconfig 1.5 (Debian 12) refuses a comma before ')' or ']', which
 * design.md's own example list has, and silently wraps an integer beyond
 * 32 bits written without an L suffix (port = 4294967297 reads as 1).
 * So before parsing, outside strings and comments: blank such commas, in
 * place so that line numbers hold, and refuse such integers.
 */
static int
conf_prescan(struct conf_ctx *cx, char *text)
{
	char	*p, *q;
	int	 prev = 0;
	size_t	 n;

	for (p = conf_skip_blank(text); p != NULL && *p != '\0';
	    p = conf_skip_blank(p + n)) {
		n = 1;
		if (*p == '"') {
			while (p[n] != '\0' && p[n] != '"')
				n += p[n] == '\\' && p[n + 1] != '\0' ? 2 : 1;
			n += p[n] == '"';
		} else if (isdigit((unsigned char)*p)) {
			/* A number: 0x, hex digits, '.', 'e', an L suffix. */
			n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"
			    "nopqrstuvwxyz0123456789._");
			if (conf_int_wraps(p, n, prev == '-'))
				return (conf_error(cx, conf_line_at(text, p),
				    "integer %.*s does not fit in 32 bits "
				    "(write %.*sL for a 64-bit integer)",
				    (int)n, p, (int)n, p));
		} else if (*p == '@')
			/*
			 * libconfig 1.5 exit()s on an @include of a directory
			 * and blocks on a FIFO: refused, one file is enough.
			 */
			return (conf_error(cx, conf_line_at(text, p),
			    "@include and other directives are not supported: "
			    "write the settings in this file"));
		else if (isalpha((unsigned char)*p) || *p == '*')
			/* A name, which may hold '-': not a minus sign. */
			n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"
			    "nopqrstuvwxyz0123456789_*-");
		else if (*p == ',' && prev != ',' && prev != '(' &&
		    prev != '[' && (q = conf_skip_blank(p + 1)) != NULL &&
		    (*q == ')' || *q == ']')) {
			*p = ' ';
			continue;
		}
		prev = *p;
	}
	return (0);
}

/* The whole file, NUL-terminated, in a buffer the caller frees. */
static char *
conf_read_file(const char *path)
{
	FILE	*fp;
	char	*buf = NULL, *nbuf;
	size_t	 len = 0, cap = 0;
	int	 saved;

	if ((fp = fopen(path, "r")) == NULL)
		return (NULL);
	do {
		if (cap - len < 2) {
			if (cap >= CONF_FILE_MAX) {
				errno = EFBIG;
				goto fail;
			}
			cap = cap == 0 ? 8192 : cap * 2;
			if ((nbuf = realloc(buf, cap)) == NULL)
				goto fail;
			buf = nbuf;
		}
		len += fread(buf + len, 1, cap - len - 1, fp);
		if (ferror(fp))
			goto fail;
	} while (!feof(fp));
	buf[len] = '\0';
	fclose(fp);
	return (buf);
fail:
	saved = errno;
	fclose(fp);
	free(buf);
	errno = saved;
	return (NULL);
}

static int
conf_finish(struct conf_ctx *cx, config_t *cf, int ok,
    const char *node_override, struct cohort_conf *conf)
{
	int	rv;

	if (!ok) {
		const char *f = config_error_file(cf);

		if (config_error_type(cf) == CONFIG_ERR_FILE_IO)
			conf_error(cx, 0, "cannot read: %s", strerror(errno));
		else
			snprintf(cx->err, cx->errlen, "%s:%d: %s",
			    f ? f : cx->file, config_error_line(cf),
			    config_error_text(cf));
		config_destroy(cf);
		return (-1);
	}
	rv = conf_walk(cx, cf, node_override, conf);
	config_destroy(cf);
	if (rv == -1)
		config_free(conf);
	return (rv);
}

static void
conf_init(struct cohort_conf *conf, config_t *cf, const char *path)
{
	memset(conf, 0, sizeof(*conf));
	strlcpy(conf->path, path, sizeof(conf->path));
	config_init(cf);
}

/* Parse text, which conf_prescan may modify, and consume it. */
static int
conf_parse(struct conf_ctx *cx, config_t *cf, char *text,
    const char *node_override, struct cohort_conf *conf)
{
	int	ok;

	if (text == NULL) {
		conf_error(cx, 0, "cannot read: %s", strerror(errno));
		config_destroy(cf);
		return (-1);
	}
	if (conf_prescan(cx, text) == -1) {
		free(text);
		config_destroy(cf);
		return (-1);
	}
	ok = config_read_string(cf, text) == CONFIG_TRUE;
	free(text);
	return (conf_finish(cx, cf, ok, node_override, conf));
}

int
config_load(const char *path, const char *node_override,
    struct cohort_conf *conf, char *err, size_t errlen)
{
	struct conf_ctx	cx = { path, err, errlen };
	config_t	cf;

	conf_init(conf, &cf, path);
	return (conf_parse(&cx, &cf, conf_read_file(path), node_override,
	    conf));
}

int
config_load_string(const char *text, const char *name,
    const char *node_override, struct cohort_conf *conf, char *err,
    size_t errlen)
{
	struct conf_ctx	cx = { name, err, errlen };
	config_t	cf;

	conf_init(conf, &cf, name);
	return (conf_parse(&cx, &cf, strdup(text), node_override, conf));
}

void
config_free(struct cohort_conf *conf)
{
	acl_free(&conf->acl);
	free(conf->nodes);
	conf->nodes = NULL;
	conf->n_nodes = 0;
}

const struct conf_node *
config_find_node(const struct cohort_conf *conf, const char *id)
{
	size_t	i;

	for (i = 0; i < conf->n_nodes; i++)
		if (strcmp(conf->nodes[i].id, id) == 0)
			return (&conf->nodes[i]);
	return (NULL);
}

int
config_encrypted(const struct cohort_conf *conf)
{
	if (conf->tls_on)
		return (1);
	return (!conf->encrypt_none && !conf->auth_none);
}

size_t
config_max_frame(const struct cohort_conf *conf)
{
	/*
	 * Room for the header, subject and addressing beside the body: a
	 * multicast to 1024 nodes of 63-character ids takes 66 KB.
	 */
	return ((size_t)conf->lim.max_message_size + 131072);
}

/* A string as libconfig reads it back: '"', '\\' and controls escaped. */
static void
conf_print_str(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(fp, "\\%c", *s);
		else if ((unsigned char)*s < 0x20 || *s == 0x7f)
			fprintf(fp, "\\x%02x", (unsigned char)*s);
		else
			fputc(*s, fp);
	}
	fputc('"', fp);
}

static void
conf_print_list(FILE *fp, const char *key, char **v, size_t n)
{
	size_t	i;

	fprintf(fp, "%s = [ ", key);
	for (i = 0; i < n; i++) {
		conf_print_str(fp, v[i]);
		fprintf(fp, "%s", i + 1 < n ? ", " : " ");
	}
	fprintf(fp, "];");
}

/* The access settings as they were written: names, resolved at load. */
static void
conf_print_acl(FILE *fp, const struct acl *a)
{
	size_t	i;

	if (a->n_allow_uids > 0) {
		fprintf(fp, "  allow_users = [ ");
		for (i = 0; i < a->n_allow_uids; i++) {
			conf_print_str(fp, a->allow_user_names[i]);
			fprintf(fp, "%s", i + 1 < a->n_allow_uids ? ", " : " ");
		}
		fprintf(fp, "];\n");
	}
	if (a->n_allow_gids > 0) {
		fprintf(fp, "  allow_groups = [ ");
		for (i = 0; i < a->n_allow_gids; i++) {
			conf_print_str(fp, a->allow_group_names[i]);
			fprintf(fp, "%s", i + 1 < a->n_allow_gids ? ", " : " ");
		}
		fprintf(fp, "];\n");
	}
	if (a->n_rules == 0)
		return;
	fprintf(fp, "  rules = (\n");
	for (i = 0; i < a->n_rules; i++) {
		fprintf(fp, "    { %s = ", a->rules[i].is_group ? "group" :
		    "user");
		conf_print_str(fp, a->rules[i].name);
		fprintf(fp, "; ");
		conf_print_list(fp, "publish", a->rules[i].publish,
		    a->rules[i].n_publish);
		fprintf(fp, " ");
		conf_print_list(fp, "subscribe", a->rules[i].subscribe,
		    a->rules[i].n_subscribe);
		fprintf(fp, " }%s\n", i + 1 < a->n_rules ? "," : "");
	}
	fprintf(fp, "  );\n");
}

/* The normalised config, every default spelled out (cohortd -tv). */
void
config_print(const struct cohort_conf *conf, FILE *fp)
{
	const char	*group = NULL;
	size_t		 i;

	fprintf(fp, "cluster = \"%s\";\n", conf->cluster);
	fprintf(fp, "node_id = \"%s\";\n", conf->node_id);
	fprintf(fp, "nodes = (\n");
	for (i = 0; i < conf->n_nodes; i++) {
		fprintf(fp, "  { id = \"%s\"; address = ", conf->nodes[i].id);
		conf_print_str(fp, conf->nodes[i].address);
		fprintf(fp, "; port = %u; }%s\n", conf->nodes[i].port,
		    i + 1 < conf->n_nodes ? "," : "");
	}
	fprintf(fp, ");\n");
	fprintf(fp, "socket = ");
	conf_print_str(fp, conf->socket);
	fprintf(fp, ";\n");
	fprintf(fp, "log = { level = \"%s\"; };\n",
	    conf->log_debug ? "debug" : "info");
	fprintf(fp, "policy = { slow_subscriber = \"%s\"; };\n",
	    conf->slow_disconnect ? "disconnect" : "backpressure");
	fprintf(fp, "security = {\n  authentication = \"%s\";\n",
	    conf->auth_none ? "none" : "hmac");
	fprintf(fp, "  encryption = \"%s\";\n", config_encrypted(conf) ?
	    "tls" : "none");
	if (conf->n_key_files > 0) {
		fprintf(fp, "  key_files = [ ");
		for (i = 0; i < conf->n_key_files; i++) {
			conf_print_str(fp, conf->key_files[i]);
			fprintf(fp, "%s", i + 1 < conf->n_key_files ? ", " :
			    " ];\n");
		}
	}
	if (conf->tls_on) {
		fprintf(fp, "  tls = { certificate = ");
		conf_print_str(fp, conf->tls_cert);
		fprintf(fp, "; private_key = ");
		conf_print_str(fp, conf->tls_key);
		fprintf(fp, "; ca = ");
		conf_print_str(fp, conf->tls_ca);
		fprintf(fp, "; };\n");
	}
	fprintf(fp, "  check_address = %s;\n",
	    conf->check_address ? "true" : "false");
	fprintf(fp, "  socket_group = ");
	conf_print_str(fp, conf->socket_group);
	fprintf(fp, ";\n  admin_group = ");
	conf_print_str(fp, conf->acl.admin_group);
	fprintf(fp, ";\n");
	conf_print_acl(fp, &conf->acl);
	fprintf(fp, "};\n");
	for (i = 0; i < N_NUM; i++) {
		const struct conf_num	*cn = &conf_num_tbl[i];

		if (group == NULL || strcmp(group, cn->group) != 0) {
			if (group != NULL)
				fprintf(fp, "};\n");
			group = cn->group;
			fprintf(fp, "%s = {\n", group);
			if (strcmp(group, "metrics") == 0 && conf->metrics_on)
				fprintf(fp, strchr(conf->metrics_addr, ':') ?
				    "  listen = \"[%s]:%u\";\n" :
				    "  listen = \"%s:%u\";\n",
				    conf->metrics_addr, conf->metrics_port);
		}
		fprintf(fp, "  %s = %u;\n", cn->key,
		    *(const uint32_t *)((const char *)&conf->lim + cn->off));
	}
	if (group != NULL)
		fprintf(fp, "};\n");
}
