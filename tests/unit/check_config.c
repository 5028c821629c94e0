/*
 * check_config.c: unit tests for cohortd.conf loading (src/config.c).
 *
 * Configs are built from the fragments below, one line each, so that a
 * case names the line its error must cite.  Every refused config must say
 * "test.conf:LINE: " followed by what is wrong and what is allowed.
 */
#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "check_main.h"

#ifndef COHORT_SOCKET_DEFAULT
#define COHORT_SOCKET_DEFAULT	"/run/cohort/cohortd.sock"
#endif

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define NAME		"test.conf"

/*
 * design.md's config, verbatim: the contract operators write to; a
 * cluster of several nodes also names its key file (design.md says so),
 * the last line.
 */
#define SECURITY	"security = { key_file = \"/etc/cohort/cluster.key\"; };\n"
#define DESIGN_CONF_NO_KEY \
    "cluster = \"prod\";                 " \
    "# peers announcing another cluster are refused\n" \
    "node_id = \"n1\";                   " \
    "# this node; must be in nodes (-n overrides)\n" \
    "nodes = (\n" \
    "  { id = \"n1\"; address = \"10.0.0.1\"; port = 7400; },\n" \
    "  { id = \"n2\"; address = \"10.0.0.2\"; port = 7400; },   " \
    "# IPv6 and names too\n" \
    ");\n" \
    "socket = \"/run/cohort/cohortd.sock\";\n" \
    "heartbeat = { interval_ms = 500; timeout_ms = 2500; };\n"
static const char design_conf[] = DESIGN_CONF_NO_KEY SECURITY;

/* The same keys, one fragment per line: BASE is lines 1 to 8. */
#define CLUSTER		"cluster = \"prod\";\n"
/* The key on node_id's line, so that line numbers stay as they were. */
#define NODE_ID		"node_id = \"n1\"; " \
	"security = { key_file = \"/etc/cohort/cluster.key\"; };\n"
#define NODES_OPEN	"nodes = (\n"
#define NODE1		\
	"  { id = \"n1\"; address = \"10.0.0.1\"; port = 7400; },\n"
#define NODE2		\
	"  { id = \"n2\"; address = \"10.0.0.2\"; port = 7400; }\n"
#define NODES_CLOSE	");\n"
#define SOCKET		"socket = \"/run/cohort/cohortd.sock\";\n"
#define HEARTBEAT	\
	"heartbeat = { interval_ms = 500; timeout_ms = 2500; };\n"
#define NODES		NODES_OPEN NODE1 NODE2 NODES_CLOSE
#define BASE		CLUSTER NODE_ID NODES SOCKET HEARTBEAT
/* BASE with line 5, the second node, replaced by "  { n2 }". */
#define WITH_NODE2(n2)	\
	CLUSTER NODE_ID NODES_OPEN NODE1 "  { " n2 " }\n" NODES_CLOSE SOCKET \
	HEARTBEAT
#define N2_ADDR		"address = \"10.0.0.2\";"
/* BASE with line 8, heartbeat, replaced. */
#define WITH_HB(hb)	CLUSTER NODE_ID NODES SOCKET hb "\n"

/* Every setting away from its default, to see each one read back. */
static const char full_conf[] =
    "cluster = \"eu-west_2.prod\";\n"
    "node_id = \"n3\";\n"
    "nodes = (\n"
    "  { id = \"n1\"; address = \"192.0.2.1\"; port = 1; },\n"
    "  { id = \"n2\"; address = \"2001:db8::2\"; port = 65535; },\n"
    "  { id = \"n3\"; address = \"node3.example.org\"; port = 7403; }\n"
    ");\n"
    "socket = \"/tmp/cohort test/ctl.sock\";\n"
    "log = { level = \"debug\"; };\n"
    "heartbeat = { interval_ms = 200; timeout_ms = 1000; };\n"
    "reconnect = { min_ms = 50; max_ms = 9000; };\n"
    "limits = {\n"
    "  hello_timeout_ms = 3000;\n"
    "  max_message_size = 65536;\n"
    "  peer_queue_bytes = 1048576;\n"
    "  client_queue_bytes = 524288;\n"
    "  max_clients = 17;\n"
    "  subscriptions_per_client = 77;\n"
    "  requests_per_client = 33;\n"
    "};\n"
    SECURITY;

static void
load_ok(const char *text, const char *node, struct cohort_conf *conf)
{
	char	err[512];

	ck_assert_msg(config_load_string(text, NAME, node, conf, err,
	    sizeof(err)) == 0, "refused: %s", err);
}

/*
 * The text must be refused, the message starting "test.conf:LINE: " and
 * holding each of what and allowed (when not NULL).  Nothing must be left
 * allocated.
 */
static void
load_fails(const char *text, const char *node, int line, const char *what,
    const char *allowed)
{
	struct cohort_conf	conf;
	char			err[512], prefix[64];

	memset(err, 0, sizeof(err));
	ck_assert_msg(config_load_string(text, NAME, node, &conf, err,
	    sizeof(err)) == -1, "accepted, expected \"%s\"", what);
	snprintf(prefix, sizeof(prefix), "%s:%d: ", NAME, line);
	ck_assert_msg(strncmp(err, prefix, strlen(prefix)) == 0,
	    "\"%s\" does not start with \"%s\"", err, prefix);
	ck_assert_msg(strstr(err, what) != NULL, "\"%s\" lacks \"%s\"", err,
	    what);
	if (allowed != NULL)
		ck_assert_msg(strstr(err, allowed) != NULL,
		    "\"%s\" lacks \"%s\"", err, allowed);
	ck_assert_ptr_null(conf.nodes);
	ck_assert_uint_eq(conf.n_nodes, 0);
}

struct bad_case {
	const char	*text;
	const char	*node;		/* -n, or NULL */
	int		 line;
	const char	*what;
	const char	*allowed;
};

static void
check_bad(const struct bad_case *bc)
{
	load_fails(bc->text, bc->node, bc->line, bc->what, bc->allowed);
}

/* A text in a malloc'ed buffer, printf-style. */
static char *
xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
xasprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	ck_assert_int_ge(n, 0);
	return (s);
}

/* Compare everything but where it came from (path, line numbers). */
static void
conf_assert_same(const struct cohort_conf *a, const struct cohort_conf *b)
{
	size_t	i;

	ck_assert_str_eq(b->cluster, a->cluster);
	ck_assert_str_eq(b->node_id, a->node_id);
	ck_assert_uint_eq(b->n_nodes, a->n_nodes);
	for (i = 0; i < a->n_nodes; i++) {
		ck_assert_str_eq(b->nodes[i].id, a->nodes[i].id);
		ck_assert_str_eq(b->nodes[i].address, a->nodes[i].address);
		ck_assert_uint_eq(b->nodes[i].port, a->nodes[i].port);
	}
	ck_assert_uint_eq(b->self, a->self);
	ck_assert_str_eq(b->socket, a->socket);
	ck_assert_int_eq(b->log_debug, a->log_debug);
	ck_assert_uint_eq(b->lim.hb_interval_ms, a->lim.hb_interval_ms);
	ck_assert_uint_eq(b->lim.hb_timeout_ms, a->lim.hb_timeout_ms);
	ck_assert_uint_eq(b->lim.reconnect_min_ms, a->lim.reconnect_min_ms);
	ck_assert_uint_eq(b->lim.reconnect_max_ms, a->lim.reconnect_max_ms);
	ck_assert_uint_eq(b->lim.hello_timeout_ms, a->lim.hello_timeout_ms);
	ck_assert_uint_eq(b->lim.max_message_size, a->lim.max_message_size);
	ck_assert_uint_eq(b->lim.peer_queue_bytes, a->lim.peer_queue_bytes);
	ck_assert_uint_eq(b->lim.client_queue_bytes,
	    a->lim.client_queue_bytes);
	ck_assert_uint_eq(b->lim.max_clients, a->lim.max_clients);
	ck_assert_uint_eq(b->lim.subs_per_client, a->lim.subs_per_client);
	ck_assert_uint_eq(b->lim.requests_per_client,
	    a->lim.requests_per_client);
	/* And any limit added since: the struct is all uint32_t. */
	ck_assert_mem_eq(&b->lim, &a->lim, sizeof(a->lim));
	ck_assert_int_eq(b->metrics_on, a->metrics_on);
	ck_assert_str_eq(b->metrics_addr, a->metrics_addr);
	ck_assert_uint_eq(b->metrics_port, a->metrics_port);
}

static void
check_node(const struct conf_node *n, const char *id, const char *address,
    unsigned int port, int line)
{
	ck_assert_str_eq(n->id, id);
	ck_assert_str_eq(n->address, address);
	ck_assert_uint_eq(n->port, port);
	ck_assert_int_eq(n->line, line);
}

/* The documented defaults (cohortd.conf(5)). */
static void
check_default_limits(const struct conf_limits *l)
{
	ck_assert_uint_eq(l->hb_interval_ms, 500);
	ck_assert_uint_eq(l->hb_timeout_ms, 2500);
	ck_assert_uint_eq(l->reconnect_min_ms, 100);
	ck_assert_uint_eq(l->reconnect_max_ms, 5000);
	ck_assert_uint_eq(l->hello_timeout_ms, 5000);
	ck_assert_uint_eq(l->max_message_size, 1048576);
	ck_assert_uint_eq(l->peer_queue_bytes, 8388608);
	ck_assert_uint_eq(l->client_queue_bytes, 4194304);
	ck_assert_uint_eq(l->max_clients, 256);
	ck_assert_uint_eq(l->subs_per_client, 100000);
	ck_assert_uint_eq(l->requests_per_client, 4096);
	ck_assert_uint_eq(l->client_memory_bytes, 32 * 1024 * 1024);
	ck_assert_uint_eq(l->memory_bytes, 128 * 1024 * 1024);
	ck_assert_uint_eq(l->metrics_max_connections, 16);
	ck_assert_uint_eq(l->metrics_max_request_size, 8192);
	ck_assert_uint_eq(l->metrics_timeout_ms, 5000);
	ck_assert_uint_eq(l->healthz_min_peers_up, 0);
}

/*
 * Valid configs.
 */

START_TEST(test_design_conf)
{
	struct cohort_conf	conf;

	load_ok(design_conf, NULL, &conf);
	ck_assert_str_eq(conf.path, NAME);
	ck_assert_str_eq(conf.cluster, "prod");
	ck_assert_str_eq(conf.node_id, "n1");
	ck_assert_uint_eq(conf.n_nodes, 2);
	check_node(&conf.nodes[0], "n1", "10.0.0.1", 7400, 4);
	check_node(&conf.nodes[1], "n2", "10.0.0.2", 7400, 5);
	ck_assert_uint_eq(conf.self, 0);
	ck_assert_str_eq(conf.socket, "/run/cohort/cohortd.sock");
	ck_assert_int_eq(conf.log_debug, 0);
	check_default_limits(&conf.lim);
	config_free(&conf);
}
END_TEST

/* Several nodes and no key: refused, saying how to make one. */
START_TEST(test_no_key)
{
	load_fails(DESIGN_CONF_NO_KEY, NULL, 1, "a cluster of 2 nodes needs "
	    "a cluster key", "cohortd --keygen");
	load_fails(DESIGN_CONF_NO_KEY "security = { key_file = \"a\"; "
	    "key_files = [ \"b\" ]; };\n", NULL, 9, "key_file or key_files",
	    NULL);
	load_fails(DESIGN_CONF_NO_KEY "security = { authentication = "
	    "\"maybe\"; };\n", NULL, 9, "security.authentication "
	    "\"maybe\" is not valid", "\"hmac\", \"none\"");
	load_fails(DESIGN_CONF_NO_KEY "security = { authentication = "
	    "\"none\"; key_file = \"k\"; };\n", NULL, 9, "choose one",
	    NULL);
	load_fails(DESIGN_CONF_NO_KEY "security = { check_address = 1; };\n",
	    NULL, 9, "check_address must be true or false", NULL);
}
END_TEST

/* The opt-out, key rotation lists, and paths relative to the file. */
START_TEST(test_security)
{
	struct cohort_conf	conf;

	load_ok(DESIGN_CONF_NO_KEY "security = { authentication = \"none\"; "
	    "check_address = false; };\n", NULL, &conf);
	ck_assert_int_eq(conf.auth_none, 1);
	ck_assert_int_eq(conf.check_address, 0);
	ck_assert_uint_eq(conf.n_key_files, 0);
	config_free(&conf);
	load_ok(DESIGN_CONF_NO_KEY "security = { key_files = [ \"/k/new\", "
	    "\"old\" ]; };\n", NULL, &conf);
	ck_assert_uint_eq(conf.n_key_files, 2);
	ck_assert_str_eq(conf.key_files[0], "/k/new");
	ck_assert_str_eq(conf.key_files[1], "old");	/* NAME has no dir */
	ck_assert_int_eq(conf.check_address, 1);
	ck_assert_int_eq(conf.auth_none, 0);
	config_free(&conf);
	/* One node needs no key. */
	load_ok(CLUSTER "node_id = \"n1\";\n" NODES_OPEN
	    "  { id = \"n1\"; address = \"10.0.0.1\"; port = 7400; }\n"
	    NODES_CLOSE, NULL, &conf);
	ck_assert_uint_eq(conf.n_key_files, 0);
	config_free(&conf);
}
END_TEST

/* Only the three keys without defaults. */
START_TEST(test_defaults)
{
	struct cohort_conf	conf;

	load_ok(CLUSTER NODE_ID NODES, NULL, &conf);
	ck_assert_str_eq(conf.socket, COHORT_SOCKET_DEFAULT);
	ck_assert_int_eq(conf.log_debug, 0);
	ck_assert_int_eq(conf.metrics_on, 0);	/* off unless listen is set */
	check_default_limits(&conf.lim);
	config_free(&conf);
}
END_TEST

START_TEST(test_full_conf)
{
	struct cohort_conf	conf;

	load_ok(full_conf, NULL, &conf);
	ck_assert_str_eq(conf.cluster, "eu-west_2.prod");
	ck_assert_str_eq(conf.node_id, "n3");
	ck_assert_uint_eq(conf.n_nodes, 3);
	check_node(&conf.nodes[0], "n1", "192.0.2.1", 1, 4);
	check_node(&conf.nodes[1], "n2", "2001:db8::2", 65535, 5);
	check_node(&conf.nodes[2], "n3", "node3.example.org", 7403, 6);
	ck_assert_uint_eq(conf.self, 2);
	ck_assert_str_eq(conf.socket, "/tmp/cohort test/ctl.sock");
	ck_assert_int_eq(conf.log_debug, 1);
	ck_assert_uint_eq(conf.lim.hb_interval_ms, 200);
	ck_assert_uint_eq(conf.lim.hb_timeout_ms, 1000);
	ck_assert_uint_eq(conf.lim.reconnect_min_ms, 50);
	ck_assert_uint_eq(conf.lim.reconnect_max_ms, 9000);
	ck_assert_uint_eq(conf.lim.hello_timeout_ms, 3000);
	ck_assert_uint_eq(conf.lim.max_message_size, 65536);
	ck_assert_uint_eq(conf.lim.peer_queue_bytes, 1048576);
	ck_assert_uint_eq(conf.lim.client_queue_bytes, 524288);
	ck_assert_uint_eq(conf.lim.max_clients, 17);
	ck_assert_uint_eq(conf.lim.subs_per_client, 77);
	ck_assert_uint_eq(conf.lim.requests_per_client, 33);
	config_free(&conf);
}
END_TEST

/* Values at the edge of what is allowed are allowed. */
START_TEST(test_boundaries)
{
	static const char *const texts[] = {
		WITH_NODE2("id = \"n2\"; " N2_ADDR " port = 1;"),
		WITH_NODE2("id = \"n2\"; " N2_ADDR " port = 65535;"),
		/* Same address, another port; same port, another address. */
		WITH_NODE2("id = \"n2\"; address = \"10.0.0.1\"; port = 7401;"),
		WITH_NODE2("id = \"n2\"; address = \"::1\"; port = 7400;"),
		WITH_NODE2("id = \"A.z_0-9\"; " N2_ADDR " port = 7400;"),
		WITH_HB("heartbeat = { interval_ms = 10; timeout_ms = 20; };"),
		WITH_HB("heartbeat = { interval_ms = 60000; "
		    "timeout_ms = 600000; };"),
		WITH_HB("heartbeat = { interval_ms = 1250; };"),
		WITH_HB("heartbeat = { timeout_ms = 1000; };"),
		BASE "reconnect = { min_ms = 700; max_ms = 700; };\n",
		BASE "reconnect = { min_ms = 10; max_ms = 600000; };\n",
		BASE "limits = { max_clients = 1; hello_timeout_ms = 100; };\n",
		BASE "limits = { max_clients = 65536; "
		    "hello_timeout_ms = 600000; };\n",
		BASE "limits = { subscriptions_per_client = 1; "
		    "requests_per_client = 1; };\n",
		BASE "limits = { subscriptions_per_client = 1048576; "
		    "requests_per_client = 1048576; };\n",
		BASE "limits = { max_message_size = 1024; "
		    "peer_queue_bytes = 262144; "
		    "client_queue_bytes = 262144; };\n",
		BASE "limits = { max_message_size = 66977792; "
		    "peer_queue_bytes = 1073741824; "
		    "client_queue_bytes = 67108864; };\n",
		BASE "log = { level = \"info\"; };\n",
		BASE "log = { };\n",
		/* 64-bit literals read as such. */
		BASE "limits = { max_clients = 300L; };\n",
	};
	struct cohort_conf	conf;
	size_t			i;

	for (i = 0; i < NITEMS(texts); i++) {
		load_ok(texts[i], NULL, &conf);
		config_free(&conf);
	}
}
END_TEST

/*
 * libconfig 1.5 needs help with trailing commas and long integers (see
 * config.c); what looks like either inside a string or a comment stays.
 */
START_TEST(test_trailing_commas)
{
	struct cohort_conf	conf;

	load_ok(CLUSTER NODE_ID
	    "nodes = ( # a comment, )\n"
	    "  { id = \"n1\"; address = \"4294967297\"; port = 7400; },"
	    " /* , ) */\n"
	    "  { id = \"n2\"; address = \"a\\\",)\"; port = 0x1F90; }, // ,)\n"
	    ");\n"
	    "socket = \"/run/x,)/s.sock\";\n", NULL, &conf);
	ck_assert_uint_eq(conf.n_nodes, 2);
	check_node(&conf.nodes[0], "n1", "4294967297", 7400, 4);
	check_node(&conf.nodes[1], "n2", "a\",)", 8080, 5);
	ck_assert_str_eq(conf.socket, "/run/x,)/s.sock");
	config_free(&conf);
}
END_TEST

START_TEST(test_long_values)
{
	struct cohort_conf	 conf;
	char			 id[WIRE_ID_MAX + 1];
	char			 addr[WIRE_ADDR_MAX + 1];
	char			 sock[CONF_SOCKET_MAX + 1];
	char			*text;

	memset(id, 'i', WIRE_ID_MAX);
	id[WIRE_ID_MAX] = '\0';
	memset(addr, 'a', WIRE_ADDR_MAX);
	addr[WIRE_ADDR_MAX] = '\0';
	memset(sock, 's', CONF_SOCKET_MAX);
	sock[0] = '/';
	sock[CONF_SOCKET_MAX] = '\0';
	text = xasprintf(CLUSTER "node_id = \"%s\";\n"
	    "nodes = ( { id = \"%s\"; address = \"%s\"; port = 1; } );\n"
	    "socket = \"%s\";\n", id, id, addr, sock);
	load_ok(text, NULL, &conf);
	ck_assert_str_eq(conf.node_id, id);
	ck_assert_str_eq(conf.nodes[0].id, id);
	ck_assert_str_eq(conf.nodes[0].address, addr);
	ck_assert_str_eq(conf.socket, sock);
	config_free(&conf);
	free(text);
}
END_TEST

START_TEST(test_node_override)
{
	struct cohort_conf	conf;

	load_ok(BASE, "n2", &conf);
	ck_assert_str_eq(conf.node_id, "n2");
	ck_assert_uint_eq(conf.self, 1);
	config_free(&conf);
	/* -n stands in for a missing node_id. */
	load_ok(CLUSTER NODES SECURITY, "n2", &conf);
	ck_assert_str_eq(conf.node_id, "n2");
	ck_assert_uint_eq(conf.self, 1);
	config_free(&conf);
}
END_TEST

START_TEST(test_find_node)
{
	struct cohort_conf	conf;

	load_ok(BASE, NULL, &conf);
	ck_assert_ptr_eq(config_find_node(&conf, "n1"), &conf.nodes[0]);
	ck_assert_ptr_eq(config_find_node(&conf, "n2"), &conf.nodes[1]);
	ck_assert_ptr_null(config_find_node(&conf, "n3"));
	ck_assert_ptr_null(config_find_node(&conf, "n"));
	ck_assert_ptr_null(config_find_node(&conf, "n12"));
	ck_assert_ptr_null(config_find_node(&conf, ""));
	config_free(&conf);
}
END_TEST

START_TEST(test_max_frame)
{
	struct cohort_conf	conf;

	load_ok(BASE, NULL, &conf);
	ck_assert_uint_eq(config_max_frame(&conf), 1048576 + 131072);
	config_free(&conf);
	/* The largest message allowed still fits the codec's ceiling. */
	load_ok(BASE "limits = { max_message_size = 66977792; "
	    "peer_queue_bytes = 67108864; client_queue_bytes = 67108864; };\n",
	    NULL, &conf);
	ck_assert_uint_eq(config_max_frame(&conf), WIRE_FRAME_CEILING);
	config_free(&conf);
}
END_TEST

START_TEST(test_free)
{
	struct cohort_conf	conf;
	char			err[512];

	load_ok(BASE, NULL, &conf);
	config_free(&conf);
	ck_assert_ptr_null(conf.nodes);
	ck_assert_uint_eq(conf.n_nodes, 0);
	config_free(&conf);
	/* A refused config leaves nothing to free; freeing is harmless. */
	ck_assert_int_eq(config_load_string(BASE "bogus = 1;\n", NAME, NULL,
	    &conf, err, sizeof(err)), -1);
	config_free(&conf);
}
END_TEST

/* A config of n nodes, n1 to nN, node i + 1 on line 3 + i. */
static char *
many_nodes(size_t n, const char *node_id)
{
	char	*text;
	size_t	 len, i;
	FILE	*fp;

	fp = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(fp);
	fprintf(fp, CLUSTER "node_id = \"%s\";\nnodes = (\n", node_id);
	for (i = 0; i < n; i++)
		fprintf(fp, "  { id = \"n%zu\"; address = \"10.%zu.%zu.1\"; "
		    "port = 7400; }%s\n", i + 1, i / 256, i % 256,
		    i + 1 < n ? "," : "");
	fprintf(fp, ");\n" SECURITY);
	ck_assert_int_eq(fclose(fp), 0);
	return (text);
}

START_TEST(test_nodes_max)
{
	struct cohort_conf	 conf;
	char			*text;

	text = many_nodes(CONF_NODES_MAX, "n1024");
	load_ok(text, NULL, &conf);
	ck_assert_uint_eq(conf.n_nodes, CONF_NODES_MAX);
	ck_assert_uint_eq(conf.self, CONF_NODES_MAX - 1);
	check_node(&conf.nodes[CONF_NODES_MAX - 1], "n1024", "10.3.255.1",
	    7400, 3 + CONF_NODES_MAX);
	config_free(&conf);
	free(text);

	text = many_nodes(CONF_NODES_MAX + 1, "n1");
	load_fails(text, NULL, 3, "nodes has 1025 entries", "1 to 1024");
	free(text);
	/* A long list is cut short in the message, not past its buffer. */
	text = many_nodes(40, "n99");
	load_fails(text, NULL, 2, "node_id \"n99\" is not in nodes",
	    "n1, n2, n3");
	free(text);
}
END_TEST

/* metrics: listen, numeric, IPv4 or IPv6 in brackets; the limits. */
#define WITH_METRICS(m)	BASE "metrics = { " m " };\n"

START_TEST(test_metrics)
{
	static const struct {
		const char	*listen;
		const char	*addr;
		unsigned int	 port;
	} ok[] = {
		{ "127.0.0.1:9741", "127.0.0.1", 9741 },
		{ "0.0.0.0:1", "0.0.0.0", 1 },
		{ "[::1]:9741", "::1", 9741 },
		{ "[::]:65535", "::", 65535 },
		{ "[2001:db8::ffff:1.2.3.4]:80", "2001:db8::ffff:1.2.3.4", 80 },
	};
	struct cohort_conf	 conf;
	char			 text[512];
	size_t			 i;

	for (i = 0; i < NITEMS(ok); i++) {
		snprintf(text, sizeof(text), WITH_METRICS("listen = \"%s\";"),
		    ok[i].listen);
		load_ok(text, NULL, &conf);
		ck_assert_int_eq(conf.metrics_on, 1);
		ck_assert_int_eq(conf.metrics_line, 9);
		ck_assert_str_eq(conf.metrics_addr, ok[i].addr);
		ck_assert_uint_eq(conf.metrics_port, ok[i].port);
		config_free(&conf);
	}
	load_ok(WITH_METRICS("max_connections = 1024; max_request_size = 1024; "
	    "timeout_ms = 600000; healthz_min_peers_up = 1;"), NULL, &conf);
	ck_assert_int_eq(conf.metrics_on, 0);
	ck_assert_uint_eq(conf.lim.metrics_max_connections, 1024);
	ck_assert_uint_eq(conf.lim.metrics_max_request_size, 1024);
	ck_assert_uint_eq(conf.lim.metrics_timeout_ms, 600000);
	ck_assert_uint_eq(conf.lim.healthz_min_peers_up, 1);
	config_free(&conf);
}
END_TEST

/*
 * Refused configs, by concern.
 */

static const struct bad_case bad_keys[] = {
	{ BASE "bogus = 1;\n", NULL, 9, "unknown key 'bogus' in the top level",
	    "allowed: cluster, node_id, nodes, socket, heartbeat, reconnect, "
	    "limits, log" },
	{ "colour = \"red\";\n" BASE, NULL, 1, "unknown key 'colour'",
	    "allowed: cluster," },
	{ WITH_HB("heartbeat = { interval_ms = 500; timeout = 2500; };"),
	    NULL, 8, "unknown key 'timeout' in heartbeat",
	    "allowed: interval_ms, timeout_ms" },
	{ BASE "reconnect = { min_ms = 100; maximum_ms = 200; };\n", NULL, 9,
	    "unknown key 'maximum_ms' in reconnect",
	    "allowed: min_ms, max_ms" },
	{ BASE "limits = {\n  max_clients = 10;\n  max_msg = 5;\n};\n", NULL,
	    11, "unknown key 'max_msg' in limits",
	    "allowed: hello_timeout_ms, max_message_size, peer_queue_bytes, "
	    "client_queue_bytes, max_clients, subscriptions_per_client, "
	    "requests_per_client" },
	{ BASE "log = { level = \"info\"; file = \"/tmp/x\"; };\n", NULL, 9,
	    "unknown key 'file' in log", "allowed: level" },
	{ WITH_NODE2("id = \"n2\"; " N2_ADDR " port = 7400; weight = 2;"),
	    NULL, 5, "unknown key 'weight' in a nodes entry",
	    "allowed: id, address, port" },
	/* Duplicates: libconfig itself refuses them. */
	{ BASE "cluster = \"dev\";\n", NULL, 9, "duplicate setting name",
	    NULL },
	{ WITH_HB("heartbeat = { interval_ms = 500; interval_ms = 600; };"),
	    NULL, 8, "duplicate setting name", NULL },
	{ WITH_NODE2("id = \"n2\"; id = \"n3\"; " N2_ADDR " port = 7400;"),
	    NULL, 5, "duplicate setting name", NULL },
	/* Required keys; a missing key has no line of its own. */
	{ NODE_ID NODES SOCKET HEARTBEAT, NULL, 1, "cluster is missing",
	    "cluster = \"prod\";" },
	{ CLUSTER NODES SOCKET HEARTBEAT, NULL, 1, "node_id is missing",
	    "-n ID" },
	{ CLUSTER NODE_ID SOCKET HEARTBEAT, NULL, 1, "nodes is missing",
	    NULL },
	{ "", NULL, 1, "cluster is missing", NULL },
};

static const struct bad_case bad_nodes[] = {
	{ CLUSTER NODE_ID "nodes = ( );\n" SOCKET HEARTBEAT, NULL, 3,
	    "nodes has 0 entries", "allowed: 1 to 1024" },
	{ CLUSTER NODE_ID "nodes = \"n1\";\n", NULL, 3, "nodes must be a list",
	    "nodes = ( {" },
	{ CLUSTER NODE_ID "nodes = { id = \"n1\"; };\n", NULL, 3,
	    "nodes must be a list", NULL },
	{ CLUSTER NODE_ID "nodes = [ \"n1\" ];\n", NULL, 3,
	    "each entry of nodes must be a group", "port = 7400;" },
	{ CLUSTER NODE_ID "nodes = (\n  ( \"n1\" )\n);\n", NULL, 4,
	    "each entry of nodes must be a group", NULL },
	{ CLUSTER "node_id = \"n3\";\n" NODES, NULL, 2,
	    "node_id \"n3\" is not in nodes", "(configured: n1, n2)" },
	{ WITH_NODE2("id = \"n1\"; " N2_ADDR " port = 7400;"), NULL, 5,
	    "node id n1 is already used at line 4", NULL },
	{ WITH_NODE2("id = \"n2\"; address = \"10.0.0.1\"; port = 7400;"),
	    NULL, 5, "node n2 has the same address and port as node n1 "
	    "(line 4)", NULL },
	{ WITH_NODE2(N2_ADDR " port = 7400;"), NULL, 5,
	    "nodes entry without id", NULL },
	{ WITH_NODE2("id = \"n2\"; port = 7400;"), NULL, 5,
	    "node n2 has no address", "IPv4 or IPv6 address, or a host name" },
	{ WITH_NODE2("id = \"n2\"; " N2_ADDR), NULL, 5, "node n2 has no port",
	    NULL },
	{ WITH_NODE2("id = \"n2\"; " N2_ADDR " port = 0;"), NULL, 5,
	    "port = 0 is out of range", "(allowed: 1 to 65535)" },
	{ WITH_NODE2("id = \"n2\"; " N2_ADDR " port = 70000;"), NULL, 5,
	    "port = 70000 is out of range", "(allowed: 1 to 65535)" },
	{ WITH_NODE2("id = \"n2\"; " N2_ADDR " port = -1;"), NULL, 5,
	    "port = -1 is out of range", "(allowed: 1 to 65535)" },
	{ WITH_NODE2("id = \"n 2\"; " N2_ADDR " port = 7400;"), NULL, 5,
	    "id \"n 2\" is not valid",
	    "(allowed: letters, digits, '.', '_' and '-')" },
	{ WITH_NODE2("id = \"n/2\"; " N2_ADDR " port = 7400;"), NULL, 5,
	    "id \"n/2\" is not valid", "letters, digits" },
	{ WITH_NODE2("id = \"\"; " N2_ADDR " port = 7400;"), NULL, 5,
	    "id must not be empty", NULL },
	{ WITH_NODE2("id = \"n2\"; address = \"\"; port = 7400;"), NULL, 5,
	    "address must not be empty", NULL },
	{ WITH_NODE2("id = \"n234567890123456789012345678901234567890123456789"
	    "012345678901234\"; " N2_ADDR " port = 7400;"), NULL, 5,
	    "id is too long", "(at most 63 characters)" },
	{ "cluster = \"prod cluster\";\n" NODE_ID NODES, NULL, 1,
	    "cluster \"prod cluster\" is not valid", "letters, digits" },
	{ CLUSTER "node_id = \"n#1\";\n" NODES, NULL, 2,
	    "node_id \"n#1\" is not valid", "letters, digits" },
	/* -n must name a node of the list, and a valid id. */
	{ BASE, "n3", 1, "node_id \"n3\" is not in nodes",
	    "(configured: n1, n2)" },
	{ BASE, "", 0, "node id \"\" given with -n is not valid", NULL },
	{ BASE, "bad id", 0, "node id \"bad id\" given with -n is not valid",
	    NULL },
};

static const struct bad_case bad_values[] = {
	{ WITH_HB("heartbeat = { interval_ms = 9; timeout_ms = 2500; };"),
	    NULL, 8, "heartbeat.interval_ms = 9 is out of range",
	    "(allowed: 10 to 60000)" },
	{ WITH_HB("heartbeat = { interval_ms = 60001; timeout_ms = 600000; };"),
	    NULL, 8, "heartbeat.interval_ms = 60001 is out of range",
	    "(allowed: 10 to 60000)" },
	{ WITH_HB("heartbeat = { interval_ms = -500; };"), NULL, 8,
	    "heartbeat.interval_ms = -500 is out of range", NULL },
	{ WITH_HB("heartbeat = { timeout_ms = 600001; };"), NULL, 8,
	    "heartbeat.timeout_ms = 600001 is out of range",
	    "(allowed: 20 to 600000)" },
	{ WITH_HB("heartbeat = { interval_ms = 500; timeout_ms = 999; };"),
	    NULL, 8, "heartbeat.timeout_ms (999) must be at least twice "
	    "heartbeat.interval_ms (500)", NULL },
	/* The default timeout is too short for a slow interval. */
	{ WITH_HB("heartbeat = { interval_ms = 1251; };"), NULL, 8,
	    "heartbeat.timeout_ms (2500) must be at least twice "
	    "heartbeat.interval_ms (1251)", NULL },
	{ BASE "reconnect = { min_ms = 2000; max_ms = 1000; };\n", NULL, 9,
	    "reconnect.max_ms (1000) must be at least reconnect.min_ms (2000)",
	    NULL },
	{ BASE "reconnect = { min_ms = 6000; };\n", NULL, 9,
	    "reconnect.max_ms (5000) must be at least reconnect.min_ms (6000)",
	    NULL },
	{ BASE "reconnect = { max_ms = 600001; };\n", NULL, 9,
	    "reconnect.max_ms = 600001 is out of range",
	    "(allowed: 10 to 600000)" },
	{ BASE "limits = { max_message_size = 1023; };\n", NULL, 9,
	    "limits.max_message_size = 1023 is out of range",
	    "(allowed: 1024 to 66977792)" },
	{ BASE "limits = { max_message_size = 67108864; };\n", NULL, 9,
	    "limits.max_message_size = 67108864 is out of range", NULL },
	{ BASE "limits = { max_clients = 0; };\n", NULL, 9,
	    "limits.max_clients = 0 is out of range", "(allowed: 1 to 65536)" },
	{ BASE "limits = { hello_timeout_ms = 99; };\n", NULL, 9,
	    "limits.hello_timeout_ms = 99 is out of range", NULL },
	{ BASE "limits = { subscriptions_per_client = 0; };\n", NULL, 9,
	    "limits.subscriptions_per_client = 0 is out of range",
	    "(allowed: 1 to 1048576)" },
	{ BASE "limits = { requests_per_client = 1048577; };\n", NULL, 9,
	    "limits.requests_per_client = 1048577 is out of range",
	    "(allowed: 1 to 1048576)" },
	{ BASE "limits = { peer_queue_bytes = 262143; };\n", NULL, 9,
	    "limits.peer_queue_bytes = 262143 is out of range",
	    "(allowed: 262144 to 1073741824)" },
	{ BASE "limits = { client_queue_bytes = 1073741825; };\n", NULL, 9,
	    "limits.client_queue_bytes = 1073741825 is out of range", NULL },
	{ BASE "limits = { max_message_size = 16777216; };\n", NULL, 9,
	    "must each hold at least one frame", "(16908288 bytes)" },
	{ BASE "limits = {\n  client_queue_bytes = 262144;\n};\n", NULL, 9,
	    "must each hold at least one frame", "(1179648 bytes)" },
	{ BASE "log = { level = \"loud\"; };\n", NULL, 9,
	    "log.level \"loud\" is not valid",
	    "(allowed: \"info\", \"debug\")" },
	/* Beyond 32 bits: libconfig 1.5 would wrap these to 1 and 500. */
	{ WITH_NODE2("id = \"n2\"; " N2_ADDR " port = 4294967297;"), NULL, 5,
	    "4294967297", NULL },
	{ WITH_HB("heartbeat = { interval_ms = 4294967796; };"), NULL, 8,
	    "4294967796", NULL },
	{ WITH_NODE2("id = \"n2\"; " N2_ADDR " port = 0x100000001;"), NULL,
	    5, "0x100000001", NULL },
	{ WITH_NODE2("id = \"n2\"; " N2_ADDR " port = -2147483649;"), NULL,
	    5, "2147483649", NULL },
	{ WITH_HB("heartbeat = { interval_ms = 5000000000L; };"), NULL, 8,
	    "heartbeat.interval_ms = 5000000000 is out of range",
	    "(allowed: 10 to 60000)" },
};

static const struct bad_case bad_metrics[] = {
	{ WITH_METRICS("listen = \"10.0.0.1\";"), NULL, 9,
	    "metrics.listen \"10.0.0.1\" is not valid",
	    "\"127.0.0.1:9741\" or \"[::1]:9741\"" },
	{ WITH_METRICS("listen = \"10.0.0.1:\";"), NULL, 9,
	    "metrics.listen \"10.0.0.1:\" is not valid", "port from 1 to 65535" },
	{ WITH_METRICS("listen = \"10.0.0.1:65536\";"), NULL, 9,
	    "is not valid", NULL },
	{ WITH_METRICS("listen = \"10.0.0.1:0\";"), NULL, 9, "is not valid",
	    NULL },
	{ WITH_METRICS("listen = \"10.0.0.1:-1\";"), NULL, 9, "is not valid",
	    NULL },
	{ WITH_METRICS("listen = \"10.0.0.1:80x\";"), NULL, 9, "is not valid",
	    NULL },
	{ WITH_METRICS("listen = \"10.0.0.1:99999999999999999999\";"), NULL,
	    9, "is not valid", NULL },
	{ WITH_METRICS("listen = \"localhost:9741\";"), NULL, 9,
	    "metrics.listen \"localhost:9741\" is not valid", "numeric" },
	{ WITH_METRICS("listen = \"[::1]9741\";"), NULL, 9, "is not valid",
	    NULL },
	{ WITH_METRICS("listen = \"[::1\";"), NULL, 9, "is not valid", NULL },
	{ WITH_METRICS("listen = \"[10.0.0.1]:80\";"), NULL, 9,
	    "is not valid", NULL },
	{ WITH_METRICS("listen = \"::1:9741\";"), NULL, 9,
	    "write an IPv6 address in brackets", "\"[::1]:9741\"" },
	{ WITH_METRICS("listen = \"\";"), NULL, 9,
	    "metrics.listen must not be empty", NULL },
	{ WITH_METRICS("listen = 9741;"), NULL, 9,
	    "metrics.listen must be a string", NULL },
	{ BASE "metrics = \"127.0.0.1:9741\";\n", NULL, 9,
	    "metrics must be a group", NULL },
	{ WITH_METRICS("listen = \"10.0.0.1:1\"; port = 80;"), NULL, 9,
	    "unknown key 'port' in metrics", "(allowed: listen, "
	    "max_connections, max_request_size, timeout_ms, "
	    "healthz_min_peers_up)" },
	{ WITH_METRICS("listen = \"10.0.0.1:1\"; listen = \"10.0.0.1:2\";"),
	    NULL, 9, "duplicate setting name", NULL },
	{ WITH_METRICS("max_connections = 0;"), NULL, 9,
	    "metrics.max_connections = 0 is out of range", "1 to 1024" },
	{ WITH_METRICS("max_connections = 1025;"), NULL, 9,
	    "metrics.max_connections = 1025 is out of range", NULL },
	{ WITH_METRICS("max_request_size = 1023;"), NULL, 9,
	    "metrics.max_request_size = 1023 is out of range",
	    "1024 to 1048576" },
	{ WITH_METRICS("timeout_ms = 99;"), NULL, 9,
	    "metrics.timeout_ms = 99 is out of range", "100 to 600000" },
	{ WITH_METRICS("healthz_min_peers_up = -1;"), NULL, 9,
	    "metrics.healthz_min_peers_up = -1 is out of range", "0 to 1023" },
	/* BASE has one peer. */
	{ WITH_METRICS("healthz_min_peers_up = 2;"), NULL, 9,
	    "metrics.healthz_min_peers_up (2) is more than the peers in "
	    "nodes (1)", "/healthz would never answer 200" },
};

static const struct bad_case bad_types[] = {
	{ "cluster = 5;\n" NODE_ID NODES, NULL, 1,
	    "cluster must be a string in double quotes", NULL },
	{ CLUSTER "node_id = n1;\n" NODES, NULL, 2, "syntax error", NULL },
	{ CLUSTER "node_id = 1;\n" NODES, NULL, 2,
	    "node_id must be a string in double quotes", NULL },
	{ WITH_NODE2("id = \"n2\"; address = 10; port = 7400;"), NULL, 5,
	    "address must be a string in double quotes", NULL },
	{ WITH_NODE2("id = \"n2\"; " N2_ADDR " port = \"7400\";"), NULL, 5,
	    "port must be an integer from 1 to 65535", NULL },
	{ WITH_NODE2("id = \"n2\"; " N2_ADDR " port = 7400.0;"), NULL, 5,
	    "port must be an integer from 1 to 65535", NULL },
	{ WITH_HB("heartbeat = { interval_ms = \"500\"; };"), NULL, 8,
	    "heartbeat.interval_ms must be an integer from 10 to 60000", NULL },
	{ WITH_HB("heartbeat = { interval_ms = true; };"), NULL, 8,
	    "heartbeat.interval_ms must be an integer from 10 to 60000", NULL },
	{ WITH_HB("heartbeat = 500;"), NULL, 8, "heartbeat must be a group",
	    "heartbeat = { ... };" },
	{ WITH_HB("heartbeat = ( 500 );"), NULL, 8,
	    "heartbeat must be a group", NULL },
	{ BASE "limits = [ 1, 2 ];\n", NULL, 9, "limits must be a group",
	    NULL },
	{ CLUSTER NODE_ID NODES "socket = 1;\n", NULL, 7,
	    "socket must be a string in double quotes", NULL },
	{ BASE "log = \"debug\";\n", NULL, 9, "log must be a group",
	    "log = { level = \"info\"; };" },
	{ BASE "log = { level = 1; };\n", NULL, 9,
	    "log.level must be a string in double quotes", NULL },
	/* socket: an absolute path that fits sun_path. */
	{ CLUSTER NODE_ID NODES "socket = \"cohortd.sock\";\n", NULL, 7,
	    "socket must be an absolute path", NULL },
	{ CLUSTER NODE_ID NODES "socket = \"run/cohortd.sock\";\n", NULL, 7,
	    "socket must be an absolute path", NULL },
	{ CLUSTER NODE_ID NODES "socket = \"\";\n", NULL, 7,
	    "socket must not be empty", NULL },
	{ CLUSTER NODE_ID NODES "socket = \"/run/"
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "4567890123456789012345678901234567.sock\";\n", NULL, 7,
	    "socket is too long", "(at most 107 characters)" },
};

static const struct bad_case bad_syntax[] = {
	{ BASE "bogus == 1;\n", NULL, 9, "syntax error", NULL },
	{ CLUSTER NODE_ID NODES_OPEN NODE1 NODE2 SOCKET HEARTBEAT, NULL, 6,
	    "syntax error", NULL },
	{ BASE "limits = { max_clients = 10; \n", NULL, 10, "syntax error",
	    NULL },
	{ CLUSTER NODE_ID "nodes = ( , );\n", NULL, 3, "syntax error", NULL },
	{ CLUSTER NODE_ID "nodes = ( { id = \"n1\"; },, );\n", NULL, 3,
	    "syntax error", NULL },
};

START_TEST(test_bad_keys)
{
	check_bad(&bad_keys[_i]);
}
END_TEST

START_TEST(test_bad_nodes)
{
	check_bad(&bad_nodes[_i]);
}
END_TEST

START_TEST(test_bad_values)
{
	check_bad(&bad_values[_i]);
}
END_TEST

START_TEST(test_bad_metrics)
{
	check_bad(&bad_metrics[_i]);
}
END_TEST

START_TEST(test_bad_types)
{
	check_bad(&bad_types[_i]);
}
END_TEST

START_TEST(test_bad_syntax)
{
	check_bad(&bad_syntax[_i]);
}
END_TEST

/* A short error buffer is filled, terminated and never overrun. */
START_TEST(test_small_err)
{
	static const size_t	 lens[] = { 1, 2, 5, 10, 11, 12, 40 };
	struct cohort_conf	 conf;
	char			*err;
	size_t			 i;

	for (i = 0; i < NITEMS(lens); i++) {
		err = malloc(lens[i]);
		ck_assert_ptr_nonnull(err);
		ck_assert_int_eq(config_load_string(BASE "bogus = 1;\n", NAME,
		    NULL, &conf, err, lens[i]), -1);
		ck_assert_uint_lt(strlen(err), lens[i]);
		ck_assert_int_eq(config_load_string(BASE "x == 1;\n", NAME,
		    NULL, &conf, err, lens[i]), -1);
		ck_assert_uint_lt(strlen(err), lens[i]);
		free(err);
	}
}
END_TEST

/*
 * Files.
 */

/* Write text to a new temporary file; its path goes into path[len]. */
static void
write_temp(const char *text, char *path, size_t len)
{
	const char	*dir;
	FILE		*fp;
	int		 fd;

	if ((dir = getenv("TMPDIR")) == NULL || *dir == '\0')
		dir = "/tmp";
	ck_assert_int_lt(snprintf(path, len, "%s/check_config.XXXXXX", dir),
	    (int)len);
	fd = mkstemp(path);
	ck_assert_int_ne(fd, -1);
	fp = fdopen(fd, "w");
	ck_assert_ptr_nonnull(fp);
	ck_assert_int_ge(fputs(text, fp), 0);
	ck_assert_int_eq(fclose(fp), 0);
}

START_TEST(test_load_file)
{
	struct cohort_conf	conf;
	char			path[1024], err[512], want[1100];

	write_temp(design_conf, path, sizeof(path));
	ck_assert_msg(config_load(path, NULL, &conf, err, sizeof(err)) == 0,
	    "refused: %s", err);
	ck_assert_str_eq(conf.path, path);
	ck_assert_uint_eq(conf.n_nodes, 2);
	check_node(&conf.nodes[1], "n2", "10.0.0.2", 7400, 5);
	config_free(&conf);
	ck_assert_int_eq(unlink(path), 0);

	/* Errors cite the path as given. */
	write_temp(BASE "bogus = 1;\n", path, sizeof(path));
	ck_assert_int_eq(config_load(path, NULL, &conf, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:9: unknown key 'bogus'", path);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "got \"%s\"", err);
	ck_assert_ptr_null(conf.nodes);
	ck_assert_int_eq(unlink(path), 0);

	write_temp(BASE "bogus == 1;\n", path, sizeof(path));
	ck_assert_int_eq(config_load(path, NULL, &conf, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:9: syntax error", path);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(unlink(path), 0);
}
END_TEST

START_TEST(test_load_missing)
{
	static const char	*path = "/nonexistent/cohort/missing.conf";
	struct cohort_conf	 conf;
	char			 err[512], want[512];

	ck_assert_int_eq(config_load(path, NULL, &conf, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:0: cannot read: %s", path,
	    strerror(ENOENT));
	ck_assert_str_eq(err, want);
	ck_assert_ptr_null(conf.nodes);
	/* A directory is not a config file either. */
	ck_assert_int_eq(config_load("/", NULL, &conf, err, sizeof(err)), -1);
	ck_assert_msg(strncmp(err, "/:", 2) == 0, "got \"%s\"", err);
}
END_TEST

/*
 * config_print: the normalised config reads back the same, and printing
 * that prints the same text again.
 */

static char *
print_conf(const struct cohort_conf *conf)
{
	char	*text;
	size_t	 len;
	FILE	*fp;

	fp = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(fp);
	config_print(conf, fp);
	ck_assert_int_eq(fclose(fp), 0);
	return (text);
}

static const char *const print_texts[] = {
	design_conf,
	CLUSTER NODE_ID NODES,
	full_conf,
	/* Characters that need escaping in libconfig strings. */
	CLUSTER NODE_ID "nodes = ( { id = \"n1\"; "
	    "address = \"a\\\\b \\\"c\\\" \\t d\"; port = 1; } );\n"
	    "socket = \"/run/co\\\\hort/\\\"x\\\".sock\";\n",
	WITH_METRICS("listen = \"[::1]:9741\"; timeout_ms = 100;"),
	WITH_METRICS("listen = \"127.0.0.1:1\"; healthz_min_peers_up = 1;"),
};

START_TEST(test_print_roundtrip)
{
	struct cohort_conf	 a, b;
	char			*t1, *t2;

	load_ok(print_texts[_i], NULL, &a);
	t1 = print_conf(&a);
	load_ok(t1, NULL, &b);
	conf_assert_same(&a, &b);
	t2 = print_conf(&b);
	ck_assert_str_eq(t2, t1);
	free(t1);
	free(t2);
	config_free(&a);
	config_free(&b);
}
END_TEST

/* Every key appears in the output, defaults included. */
START_TEST(test_print_keys)
{
	static const char *const keys[] = {
		"cluster = \"prod\";\n", "node_id = \"n1\";\n",
		"{ id = \"n2\"; address = \"10.0.0.2\"; port = 7400; }",
		"socket = \"/run/cohort/cohortd.sock\";\n",
		"level = \"info\";", "interval_ms = 500;\n",
		"timeout_ms = 2500;\n", "min_ms = 100;\n", "max_ms = 5000;\n",
		"hello_timeout_ms = 5000;\n", "max_message_size = 1048576;\n",
		"peer_queue_bytes = 8388608;\n",
		"client_queue_bytes = 4194304;\n", "max_clients = 256;\n",
		"subscriptions_per_client = 100000;\n",
		"requests_per_client = 4096;\n", "metrics = {\n",
		"max_connections = 16;\n", "max_request_size = 8192;\n",
		"timeout_ms = 5000;\n", "healthz_min_peers_up = 0;\n",
	};
	struct cohort_conf	 conf;
	char			*text;
	size_t			 i;

	load_ok(BASE, NULL, &conf);
	text = print_conf(&conf);
	for (i = 0; i < NITEMS(keys); i++)
		ck_assert_msg(strstr(text, keys[i]) != NULL,
		    "\"%s\" missing from:\n%s", keys[i], text);
	free(text);
	config_free(&conf);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("config");

	tc = tcase_create("valid");
	tcase_add_test(tc, test_design_conf);
	tcase_add_test(tc, test_no_key);
	tcase_add_test(tc, test_security);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_full_conf);
	tcase_add_test(tc, test_boundaries);
	tcase_add_test(tc, test_trailing_commas);
	tcase_add_test(tc, test_long_values);
	tcase_add_test(tc, test_node_override);
	tcase_add_test(tc, test_find_node);
	tcase_add_test(tc, test_max_frame);
	tcase_add_test(tc, test_free);
	tcase_add_test(tc, test_nodes_max);
	tcase_add_test(tc, test_metrics);
	suite_add_tcase(s, tc);

	tc = tcase_create("keys");
	tcase_add_loop_test(tc, test_bad_keys, 0, NITEMS(bad_keys));
	suite_add_tcase(s, tc);

	tc = tcase_create("nodes");
	tcase_add_loop_test(tc, test_bad_nodes, 0, NITEMS(bad_nodes));
	suite_add_tcase(s, tc);

	tc = tcase_create("values");
	tcase_add_loop_test(tc, test_bad_values, 0, NITEMS(bad_values));
	suite_add_tcase(s, tc);

	tc = tcase_create("metrics");
	tcase_add_loop_test(tc, test_bad_metrics, 0, NITEMS(bad_metrics));
	suite_add_tcase(s, tc);

	tc = tcase_create("types");
	tcase_add_loop_test(tc, test_bad_types, 0, NITEMS(bad_types));
	suite_add_tcase(s, tc);

	tc = tcase_create("syntax");
	tcase_add_loop_test(tc, test_bad_syntax, 0, NITEMS(bad_syntax));
	tcase_add_test(tc, test_small_err);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_test(tc, test_load_file);
	tcase_add_test(tc, test_load_missing);
	suite_add_tcase(s, tc);

	tc = tcase_create("print");
	tcase_add_loop_test(tc, test_print_roundtrip, 0, NITEMS(print_texts));
	tcase_add_test(tc, test_print_keys);
	suite_add_tcase(s, tc);

	return (s);
}
