/*
 * check_mesh: the peer mesh (src/daemon/mesh) with no socket: several
 * meshes in one process and one event loop, over the in-memory transport
 * (src/daemon/io/transport_mem.c), each with a table of callbacks that
 * records what it is told.  The loop runs until what a test waits for
 * has happened, bounded by a number of turns: no test asserts a time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/event.h>

#include "check_main.h"
#include "common/config.h"
#include "common/log.h"
#include "daemon/io/transport.h"
#include "daemon/mesh/mesh.h"

#define NMAX		4
#define TURNS		20000	/* loop turns a wait may take at most */

struct node {
	struct cohort_conf	 conf;
	struct auth_keys	 keys;
	struct mesh		*m;
	int			 id;
	/* what the callbacks saw */
	enum member_state	 state[NMAX];	/* of each other node */
	int			 changes[NMAX];
	int			 data_n;
	char			 data_subject[WIRE_SUBJECT_MAX + 1];
	char			 data_from[WIRE_ID_MAX + 1];
	size_t			 data_len;
	int			 lost;
	int			 quiet;
};

static struct event_base	*base;
static struct transport		*tr;
static struct node		 nodes[NMAX];
static int			 nnodes;

static int
node_index(const char *id)
{
	return (id[0] == 'n' ? id[1] - '1' : -1);
}

static void
ev_member(void *arg, const char *node, enum member_state to,
    enum member_state prev, uint64_t inc)
{
	struct node	*n = arg;
	int		 i = node_index(node);

	(void)prev;
	(void)inc;
	ck_assert(i >= 0 && i < NMAX);
	n->state[i] = to;
	n->changes[i]++;
}

static int
ev_data(void *arg, const char *from, const struct wire_data *d)
{
	struct node	*n = arg;

	n->data_n++;
	strlcpy(n->data_from, from, sizeof(n->data_from));
	strlcpy(n->data_subject, d->subject, sizeof(n->data_subject));
	n->data_len = d->body_len;
	return (0);
}

static void
ev_drained(void *arg, const char *node)
{
	(void)arg;
	(void)node;
}

static void
ev_lost(void *arg, const char *node, uint64_t client, uint32_t count,
    uint32_t first, uint32_t last)
{
	struct node	*n = arg;

	(void)node;
	(void)client;
	(void)first;
	(void)last;
	n->lost += (int)count;
}

static void
ev_quiet(void *arg)
{
	((struct node *)arg)->quiet = 1;
}

static const struct mesh_events test_events = {
	ev_member, ev_data, ev_drained, ev_lost, ev_quiet
};

/* A cluster of n nodes n1..nN on 127.0.0.1..N port 7400. */
static void
cluster_conf(int n, int self, const char *cluster, char *buf, size_t len)
{
	int	i;

	snprintf(buf, len, "cluster = \"%s\";\nnode_id = \"n%d\";\n"
	    "nodes = (\n", cluster, self + 1);
	for (i = 0; i < n; i++) {
		char	row[128];

		snprintf(row, sizeof(row), "  { id = \"n%d\"; address = "
		    "\"127.0.0.%d\"; port = 7400; }%s\n", i + 1, i + 1,
		    i + 1 < n ? "," : "");
		strlcat(buf, row, len);
	}
	strlcat(buf, ");\nsocket = \"/nonexistent/sock\";\n"
	    "heartbeat = { interval_ms = 50; timeout_ms = 400; };\n"
	    "security = { authentication = \"none\"; };\n", len);
}

static void
node_start(int i, const char *cluster, int keyed)
{
	struct node		*n = &nodes[i];
	struct mesh_params	 mp;
	char			 text[2048], err[512];

	memset(n, 0, sizeof(*n));
	n->id = i;
	cluster_conf(nnodes, i, cluster, text, sizeof(text));
	ck_assert_msg(config_load_string(text, "test.conf", NULL, &n->conf,
	    err, sizeof(err)) == 0, "config: %s", err);
	if (keyed) {
		n->keys.n = 1;
		n->keys.key[0].len = AUTH_KEY_MIN;
		memset(n->keys.key[0].k, keyed, AUTH_KEY_MIN);
	}
	memset(&mp, 0, sizeof(mp));
	mp.base = base;
	mp.conf = &n->conf;
	mp.keys = &n->keys;
	mp.tr = tr;
	mp.incarnation = 1000 + (uint64_t)i;
	mp.started_ms = 1;
	n->m = mesh_new(&mp, &test_events, n);
	ck_assert_ptr_nonnull(n->m);
}

static void
node_free(int i)
{
	mesh_free(nodes[i].m);
	nodes[i].m = NULL;
	config_free(&nodes[i].conf);
}

static void
setup_n(int n)
{
	log_init("check_mesh", 0);
	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	tr = transport_mem_new(base);
	ck_assert_ptr_nonnull(tr);
	nnodes = n;
}

static void
teardown(void)
{
	int	i;

	for (i = 0; i < nnodes; i++)
		if (nodes[i].m != NULL)
			node_free(i);
	/*
	 * Pairs defer their callbacks, and a pending one holds a reference
	 * to its bufferevent: let them run, so that every end is freed.
	 */
	for (i = 0; i < 10; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
	transport_free(tr);
	event_base_free(base);
}

/* Turn the loop until cond holds; fail after TURNS turns. */
#define WAIT_FOR(cond, what)						\
	do {								\
		int	turns_ = 0;					\
		while (!(cond) && turns_++ < TURNS)			\
			event_base_loop(base, EVLOOP_ONCE);		\
		ck_assert_msg((cond), "never happened: %s", what);	\
	} while (0)

static int
all_up(void)
{
	int	i, j;

	for (i = 0; i < nnodes; i++) {
		if (nodes[i].m == NULL)
			continue;
		for (j = 0; j < nnodes; j++)
			if (j != i && nodes[j].m != NULL &&
			    nodes[i].state[j] != MEMBER_UP)
				return (0);
	}
	return (1);
}

static enum member_state
member_state(int i, int j)
{
	struct wire_member	wm;

	mesh_member(nodes[i].m, (size_t)j, &wm);
	return ((enum member_state)wm.state);
}

/* Three nodes dial each other at once: every pair up, once. */
START_TEST(test_three_up)
{
	int	i, j;

	setup_n(3);
	for (i = 0; i < 3; i++)
		node_start(i, "c", 7);
	WAIT_FOR(all_up(), "three nodes up");
	for (i = 0; i < 3; i++) {
		ck_assert_uint_eq(mesh_count_up(nodes[i].m), 2);
		for (j = 0; j < 3; j++) {
			ck_assert_int_eq(member_state(i, j), i == j ?
			    MEMBER_SELF : MEMBER_UP);
			/* Duplicates are resolved without a state change. */
			if (i != j)
				ck_assert_int_eq(nodes[i].changes[j], 1);
		}
		ck_assert_int_eq(mesh_state_reason(nodes[i].m, "n9"),
		    REASON_NODE_UNKNOWN);
		ck_assert_int_eq(mesh_state_reason(nodes[i].m, i == 0 ? "n2" :
		    "n1"), 0);
	}
	teardown();
}
END_TEST

/*
 * Two nodes learn of each other in the same turn (a reload adds each to
 * the other's config): both dial, two streams complete, and both ends
 * keep the same one.  The peer comes up once, with no flap, and the
 * stream kept carries data.
 */
START_TEST(test_duplicates)
{
	struct mesh_changes	ch;
	char			text[2048], err[512];
	int			i, turns;

	/* n1 alone (a one-node list), then n2 alone. */
	setup_n(1);
	node_start(0, "c", 7);
	nnodes = 2;
	nodes[1].m = NULL;
	/* n2 alone, as node 2 of a one-node list of its own. */
	{
		struct node		*n = &nodes[1];
		struct mesh_params	 mp;

		memset(n, 0, sizeof(*n));
		snprintf(text, sizeof(text), "cluster = \"c\";\n"
		    "node_id = \"n2\";\nnodes = ( { id = \"n2\"; address = "
		    "\"127.0.0.2\"; port = 7400; } );\nsocket = \"/x/s\";\n"
		    "heartbeat = { interval_ms = 50; timeout_ms = 400; };\n");
		ck_assert_msg(config_load_string(text, "t.conf", NULL,
		    &n->conf, err, sizeof(err)) == 0, "%s", err);
		n->keys.n = 1;
		n->keys.key[0].len = AUTH_KEY_MIN;
		memset(n->keys.key[0].k, 7, AUTH_KEY_MIN);
		memset(&mp, 0, sizeof(mp));
		mp.base = base;
		mp.conf = &n->conf;
		mp.keys = &n->keys;
		mp.tr = tr;
		mp.incarnation = 2000;
		n->m = mesh_new(&mp, &test_events, n);
		ck_assert_ptr_nonnull(n->m);
	}
	for (turns = 0; turns < 50; turns++)
		event_base_loop(base, EVLOOP_NONBLOCK);
	/* Now both learn of the other at once. */
	for (i = 0; i < 2; i++) {
		cluster_conf(2, i, "c", text, sizeof(text));
		config_free(&nodes[i].conf);
		ck_assert(config_load_string(text, "t.conf", NULL,
		    &nodes[i].conf, err, sizeof(err)) == 0);
		nodes[i].keys.n = 1;
		nodes[i].keys.key[0].len = AUTH_KEY_MIN;
		memset(nodes[i].keys.key[0].k, 7, AUTH_KEY_MIN);
	}
	mesh_reconfigure(nodes[0].m, &ch);
	ck_assert_uint_eq(ch.added, 1);
	mesh_reconfigure(nodes[1].m, &ch);
	ck_assert_uint_eq(ch.added, 1);
	WAIT_FOR(all_up(), "n1 and n2 up");
	/* Let every retired stream finish and every ECHO go round. */
	for (turns = 0; turns < 500; turns++)
		event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_uint_gt(mesh_stats(nodes[0].m)->duplicate_streams +
	    mesh_stats(nodes[1].m)->duplicate_streams, 0);
	ck_assert_int_eq(nodes[0].changes[1], 1);
	ck_assert_int_eq(nodes[1].changes[0], 1);
	ck_assert_int_eq(nodes[0].state[1], MEMBER_UP);
	ck_assert_int_eq(nodes[1].state[0], MEMBER_UP);
	teardown();
}
END_TEST

/* DATA goes to the node it is for, with its subject and body. */
START_TEST(test_data)
{
	struct wire_data	d;
	uint8_t			head[WIRE_DATA_HEAD_MAX];
	uint8_t			body[1000];
	size_t			hlen;
	int			congested = -1;

	setup_n(2);
	node_start(0, "c", 7);
	node_start(1, "c", 7);
	WAIT_FOR(all_up(), "two nodes up");
	memset(&d, 0, sizeof(d));
	strlcpy(d.origin, "n1", sizeof(d.origin));
	strlcpy(d.subject, "a.b", sizeof(d.subject));
	memset(body, 'z', sizeof(body));
	hlen = wire_encode_data_head(head, sizeof(head), &d, sizeof(body));
	ck_assert_uint_gt(hlen, 0);
	ck_assert_int_eq(mesh_send(nodes[0].m, "n2", head, hlen, body,
	    sizeof(body), NULL, &congested), 0);
	ck_assert_int_eq(congested, 0);
	ck_assert_int_eq(mesh_send(nodes[0].m, "n7", head, hlen, body,
	    sizeof(body), NULL, NULL), REASON_NODE_UNKNOWN);
	WAIT_FOR(nodes[1].data_n == 1, "DATA at n2");
	ck_assert_str_eq(nodes[1].data_from, "n1");
	ck_assert_str_eq(nodes[1].data_subject, "a.b");
	ck_assert_uint_eq(nodes[1].data_len, sizeof(body));
	ck_assert_int_eq(nodes[0].data_n, 0);
	teardown();
}
END_TEST

/* A node that leaves says BYE: the others see it left, not down. */
START_TEST(test_bye)
{
	setup_n(3);
	node_start(0, "c", 7);
	node_start(1, "c", 7);
	node_start(2, "c", 7);
	WAIT_FOR(all_up(), "three nodes up");
	mesh_shutdown(nodes[2].m);
	WAIT_FOR(nodes[0].state[2] == MEMBER_LEFT &&
	    nodes[1].state[2] == MEMBER_LEFT, "n3 left at n1 and n2");
	WAIT_FOR(nodes[2].quiet, "n3's streams all closed");
	ck_assert_int_eq(nodes[0].state[1], MEMBER_UP);
	ck_assert_uint_eq(mesh_count_up(nodes[0].m), 1);
	teardown();
}
END_TEST

/* A node that dies without a word is down after the timeout. */
START_TEST(test_silent_death)
{
	setup_n(2);
	node_start(0, "c", 7);
	node_start(1, "c", 7);
	WAIT_FOR(all_up(), "two nodes up");
	/* Freed at once: its end of the pair closes under the other. */
	node_free(1);
	WAIT_FOR(nodes[0].state[1] == MEMBER_DOWN, "n2 down at n1");
	ck_assert_uint_eq(mesh_count_up(nodes[0].m), 0);
	ck_assert_int_eq(mesh_state_reason(nodes[0].m, "n2"),
	    REASON_NODE_DOWN);
	/* It comes back: up again with a fresh handshake. */
	node_start(1, "c", 7);
	WAIT_FOR(all_up(), "n2 up again");
	ck_assert_int_eq(nodes[0].changes[1], 3);
	teardown();
}
END_TEST

/* Another cluster's node, or another key, is refused, never up. */
START_TEST(test_refused)
{
	int	turns;

	setup_n(2);
	node_start(0, "c", 7);
	node_start(1, "other", 7);
	WAIT_FOR(nodes[0].state[1] == MEMBER_REFUSED ||
	    nodes[1].state[0] == MEMBER_REFUSED, "a refusal");
	for (turns = 0; turns < 200; turns++)
		event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_int_ne(nodes[0].state[1], MEMBER_UP);
	ck_assert_int_ne(nodes[1].state[0], MEMBER_UP);
	ck_assert_uint_gt(mesh_stats(nodes[0].m)->conns_refused +
	    mesh_stats(nodes[1].m)->conns_refused, 0);
	teardown();

	setup_n(2);
	node_start(0, "c", 7);
	node_start(1, "c", 8);		/* the wrong key */
	WAIT_FOR(mesh_stats(nodes[0].m)->auth_failures +
	    mesh_stats(nodes[1].m)->auth_failures > 0, "a key proof refused");
	ck_assert_int_ne(nodes[0].state[1], MEMBER_UP);
	ck_assert_int_ne(nodes[1].state[0], MEMBER_UP);
	teardown();
}
END_TEST

/* Per-peer statistics: every row of the list, values that moved. */
struct stats_seen {
	int		 sections;
	char		 kind[16], name[WIRE_ID_MAX + 1];
	int		 rows;
	uint64_t	 frames_in, state;
};

static void
seen_section(void *arg, const char *kind, const char *name)
{
	struct stats_seen	*ss = arg;

	ss->sections++;
	strlcpy(ss->kind, kind, sizeof(ss->kind));
	strlcpy(ss->name, name, sizeof(ss->name));
}

static void
seen_add(void *arg, const char *key, uint64_t v)
{
	struct stats_seen	*ss = arg;

	ss->rows++;
	if (strcmp(key, "frames_in") == 0)
		ss->frames_in = v;
	if (strcmp(key, "state") == 0)
		ss->state = v;
}

START_TEST(test_peer_stats)
{
	struct stats_seen	ss;
	struct stats_sink	sink = { seen_section, seen_add, &ss };

	setup_n(2);
	node_start(0, "c", 7);
	node_start(1, "c", 7);
	WAIT_FOR(all_up(), "two nodes up");
	memset(&ss, 0, sizeof(ss));
	mesh_peer_stats(nodes[0].m, &sink);
	ck_assert_int_eq(ss.sections, 1);
	ck_assert_str_eq(ss.kind, "peer");
	ck_assert_str_eq(ss.name, "n2");
	/* Every row of COHORT_PEER_STATS. */
#define X(name, kind, help)	+ 1
	ck_assert_int_eq(ss.rows, 0 COHORT_PEER_STATS(X));
#undef X
	ck_assert_uint_gt(ss.frames_in, 0);
	ck_assert_uint_eq(ss.state, MEMBER_UP);
	teardown();
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s = suite_create("mesh");
	TCase	*tc = tcase_create("memory");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_three_up);
	tcase_add_test(tc, test_duplicates);
	tcase_add_test(tc, test_data);
	tcase_add_test(tc, test_bye);
	tcase_add_test(tc, test_silent_death);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_peer_stats);
	suite_add_tcase(s, tc);
	return (s);
}
