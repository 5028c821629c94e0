/*
 * check_relay.c: unit tests of the relay (src/daemon/relay/relay.c) over
 * a fake mesh and control socket (fake_mesh_control.c), which record
 * every call the relay makes and answer as the test says.
 *
 * The relay's timers (a pending request's timeout, a served request's
 * token) run on a real event_base: tests use short timeouts and run the
 * loop until the expected call was recorded, bounded by an iteration
 * count and a guard timer.  Nothing asserts how long anything took.
 */
#include <check.h>

#include "check_main.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "common/config.h"
#include "common/log.h"
#include "daemon/relay/relay.h"
#include "fake_mesh_control.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* n1 is this node; the fake mesh has n2 and n3 up, n4 down; n9 unknown. */
static const char conf_text[] =
    "cluster = \"test\";\n"
    "node_id = \"n1\";\n"
    "nodes = (\n"
    "  { id = \"n1\"; address = \"127.0.0.1\"; port = 7401; },\n"
    "  { id = \"n2\"; address = \"127.0.0.2\"; port = 7401; },\n"
    "  { id = \"n3\"; address = \"127.0.0.3\"; port = 7401; },\n"
    "  { id = \"n4\"; address = \"127.0.0.4\"; port = 7401; }\n"
    ");\n"
    "socket = \"/nonexistent/cohortd.sock\";\n"
    "security = { key_file = \"/nonexistent/cluster.key\"; };\n";

/* Bounds on running the loop: never reached unless the relay is broken. */
#define RUN_ITERATIONS	1000
#define RUN_GUARD_S	10

static struct event_base	*base;
static struct cohort_conf	 conf;
static struct relay		*r;

static void
setup(void)
{
	char	err[512];

	ck_assert_msg(config_load_string(conf_text, "test.conf", NULL, &conf,
	    err, sizeof(err)) == 0, "%s", err);
	ck_assert_ptr_nonnull(base = event_base_new());
	fake_peer_set("n2", 0, 0);
	fake_peer_set("n3", 0, 0);
	fake_peer_set("n4", REASON_NODE_DOWN, 0);
	ck_assert_ptr_nonnull(r = relay_new(base, &conf, fake_mesh(),
	    fake_control()));
}

static void
teardown(void)
{
	relay_free(r);
	event_base_free(base);
	config_free(&conf);
	fake_reset();
}

/* Helpers */

static void
guard_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	*(int *)arg = 1;
}

/* Run the loop until n calls of the kind were recorded (bounded). */
static void
run_until(enum fake_call call, const struct client *cl, size_t n)
{
	struct timeval	 tv = { RUN_GUARD_S, 0 };
	struct event	*guard;
	int		 fired = 0, i;

	ck_assert_ptr_nonnull(guard = evtimer_new(base, guard_cb, &fired));
	evtimer_add(guard, &tv);
	for (i = 0; i < RUN_ITERATIONS && !fired &&
	    fake_count(call, NULL, cl) < n; i++)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(guard);
	ck_assert_uint_eq(fake_count(call, NULL, cl), n);
}

/* Run the loop until no timer of the relay is left (bounded). */
static void
run_until_idle(void)
{
	int	i;

	for (i = 0; i < RUN_ITERATIONS &&
	    event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED) > 0; i++)
		event_base_loop(base, EVLOOP_ONCE);
	ck_assert_int_eq(event_base_get_num_events(base,
	    EVENT_BASE_COUNT_ADDED), 0);
}

/*
 * A CTL_PUB as control.c hands it over: encoded, then decoded into m,
 * which points into buf.  targets: comma-separated, or NULL.
 */
static void
pub_make(struct wire_ctl_pub *m, uint8_t *buf, size_t cap, uint8_t mode,
    uint32_t flags, uint32_t req_id, uint32_t timeout_ms,
    const char *targets, const char *subject, const void *body, size_t len)
{
	static char	 list[WIRE_TARGETS_MAX * (WIRE_ID_MAX + 1)];
	char		*p, *t;
	const char	*v[WIRE_TARGETS_MAX];
	size_t		 n = 0, flen;

	memset(m, 0, sizeof(*m));
	m->req_id = req_id;
	m->flags = flags;
	m->mode = mode;
	m->timeout_ms = timeout_ms;
	strlcpy(m->subject, subject, sizeof(m->subject));
	m->body = body;
	m->body_len = len;
	if (targets != NULL) {
		strlcpy(list, targets, sizeof(list));
		for (p = list; (t = strsep(&p, ",")) != NULL;)
			v[n++] = t;
	}
	m->ntargets = (uint16_t)n;
	ck_assert_uint_ne(flen = wire_encode_ctl_pub(buf, cap, m, v), 0);
	memset(m, 0, sizeof(*m));
	ck_assert_int_eq(wire_decode_ctl_pub(buf, flen, m), WIRE_OK);
}

static uint8_t	pubbuf[2 * 1024 * 1024];

static void
publish(struct client *cl, uint8_t mode, uint32_t flags, uint32_t req_id,
    const char *targets, const char *subject, const char *body)
{
	struct wire_ctl_pub	m;

	pub_make(&m, pubbuf, sizeof(pubbuf), mode, flags, req_id, 0, targets,
	    subject, body, strlen(body));
	relay_publish(r, cl, &m);
}

static void
request(struct client *cl, uint32_t req_id, uint32_t timeout_ms,
    const char *node, const char *subject, const char *body)
{
	struct wire_ctl_pub	m;

	pub_make(&m, pubbuf, sizeof(pubbuf), PUB_UNICAST, PUB_REQUEST, req_id,
	    timeout_ms, node, subject, body, strlen(body));
	relay_publish(r, cl, &m);
}

/* DATA from a peer, as the mesh hands it over. */
static int
data_in(const char *from, uint32_t flags, uint64_t corr, uint32_t timeout_ms,
    const char *subject, const char *body)
{
	struct wire_data	d;

	memset(&d, 0, sizeof(d));
	d.flags = flags;
	d.corr = corr;
	d.timeout_ms = timeout_ms;
	strlcpy(d.origin, from, sizeof(d.origin));
	strlcpy(d.subject, subject, sizeof(d.subject));
	d.body = (const uint8_t *)body;
	d.body_len = strlen(body);
	return (relay_data_in(r, from, &d));
}

static void
body_is(const uint8_t *p, size_t len, const char *want)
{
	ck_assert_uint_eq(len, strlen(want));
	ck_assert(memcmp(p, want, len) == 0);
}

/* A CTL_MSG delivered to cl (the nth), with these fields. */
static const struct fake_rec *
msg_to(const struct client *cl, size_t nth, uint32_t flags,
    const char *origin, const char *subject, const char *body)
{
	const struct fake_rec	*rec = fake_find(FAKE_CTL_DELIVER, NULL, cl,
				    nth);

	ck_assert_uint_eq(rec->type, WT_CTL_MSG);
	ck_assert_uint_eq(rec->msg.flags, flags);
	ck_assert_str_eq(rec->msg.origin, origin);
	ck_assert_str_eq(rec->msg.subject, subject);
	body_is(rec->msg.body, rec->msg.body_len, body);
	return (rec);
}

/* DATA sent to node (the nth), with these fields. */
static const struct fake_rec *
data_to(const char *node, size_t nth, uint32_t flags, const char *subject,
    const char *body)
{
	const struct fake_rec	*rec = fake_find(FAKE_MESH_SEND, node, NULL,
				    nth);

	ck_assert_uint_eq(rec->data.flags, flags);
	ck_assert_str_eq(rec->data.origin, "n1");
	ck_assert_str_eq(rec->data.subject, subject);
	body_is(rec->data.body, rec->data.body_len, body);
	return (rec);
}

static void
error_to(const struct client *cl, size_t nth, uint32_t req_id, uint32_t code)
{
	const struct fake_rec	*rec = fake_find(FAKE_CTL_ERROR, NULL, cl,
				    nth);

	ck_assert_uint_eq(rec->req_id, req_id);
	ck_assert_msg(rec->code == code, "error %s (%s), not %s",
	    wire_reason_name(rec->code), rec->text, wire_reason_name(code));
	ck_assert_str_ne(rec->text, "");
}

/* The CTL_PUB_RESULT delivered to cl (the nth delivery). */
static const struct fake_rec *
result_to(const struct client *cl, size_t nth, uint32_t req_id,
    uint32_t delivered, uint32_t n_unreached)
{
	const struct fake_rec	*rec = fake_find(FAKE_CTL_DELIVER, NULL, cl,
				    nth);

	ck_assert_uint_eq(rec->type, WT_CTL_PUB_RESULT);
	ck_assert_uint_eq(rec->req_id, req_id);
	ck_assert_uint_eq(rec->delivered, delivered);
	ck_assert_uint_eq(rec->n_unreached, n_unreached);
	return (rec);
}

static void
unreached_is(const struct fake_rec *rec, size_t i, const char *node,
    uint32_t reason)
{
	ck_assert_uint_lt(i, rec->n_unreached);
	ck_assert_str_eq(rec->unreached[i].node, node);
	ck_assert_uint_eq(rec->unreached[i].reason, reason);
}

/* Publishing to peers */

START_TEST(test_unicast)
{
	struct client		*cl = fake_client_new(7);
	const struct relay_stats *st;
	const struct fake_rec	*rec;

	publish(cl, PUB_UNICAST, 0, 11, "n2", "a.b", "hello");
	ck_assert_uint_eq(fake_n(), 1);
	rec = data_to("n2", 0, 0, "a.b", "hello");
	ck_assert_uint_eq(rec->data.corr, 0);
	/* Tagged, so that the client is told if it may be lost. */
	ck_assert_int_eq(rec->has_tag, 1);
	ck_assert_uint_eq(rec->client_id, 7);
	ck_assert_uint_eq(rec->req_id, 11);
	st = relay_stats(r);
	ck_assert_uint_eq(st->msgs_published, 1);
	ck_assert_uint_eq(st->msgs_sent, 1);
	ck_assert_uint_eq(st->unreachable, 0);
	ck_assert_uint_eq(st->msgs_delivered, 0);

	/* PUB_ACK: a result even when everything went. */
	publish(cl, PUB_UNICAST, PUB_ACK, 12, "n3", "a.b", "x");
	ck_assert_uint_eq(fake_count(FAKE_MESH_SEND, "n3", NULL), 1);
	result_to(cl, 0, 12, 1, 0);
	ck_assert_uint_eq(fake_n(), 3);
	ck_assert_uint_eq(relay_stats(r)->msgs_sent, 2);
}
END_TEST

START_TEST(test_unicast_unreachable)
{
	struct client		*cl = fake_client_new(7);
	const struct relay_stats *st;

	/* Never silent: a result without PUB_ACK too. */
	publish(cl, PUB_UNICAST, 0, 13, "n4", "a.b", "x");
	unreached_is(result_to(cl, 0, 13, 0, 1), 0, "n4", REASON_NODE_DOWN);
	publish(cl, PUB_UNICAST, 0, 14, "n9", "a.b", "x");
	unreached_is(result_to(cl, 1, 14, 0, 1), 0, "n9",
	    REASON_NODE_UNKNOWN);
	ck_assert_uint_eq(fake_count(FAKE_MESH_SEND, NULL, NULL), 0);
	ck_assert_uint_eq(fake_n(), 2);
	st = relay_stats(r);
	ck_assert_uint_eq(st->msgs_published, 2);
	ck_assert_uint_eq(st->msgs_sent, 0);
	ck_assert_uint_eq(st->unreachable, 2);
}
END_TEST

START_TEST(test_multicast_dedup)
{
	struct client		*cl = fake_client_new(7);
	const struct fake_rec	*rec;
	const struct relay_stats *st;

	publish(cl, PUB_MULTICAST, 0, 15, "n2,n3,n2,n4,n9,n3,n4,n9", "m.c",
	    "body");
	ck_assert_uint_eq(fake_count(FAKE_MESH_SEND, "n2", NULL), 1);
	ck_assert_uint_eq(fake_count(FAKE_MESH_SEND, "n3", NULL), 1);
	data_to("n2", 0, 0, "m.c", "body");
	data_to("n3", 0, 0, "m.c", "body");
	rec = result_to(cl, 0, 15, 2, 2);
	unreached_is(rec, 0, "n4", REASON_NODE_DOWN);
	unreached_is(rec, 1, "n9", REASON_NODE_UNKNOWN);
	ck_assert_uint_eq(fake_n(), 3);
	st = relay_stats(r);
	ck_assert_uint_eq(st->msgs_sent, 2);
	ck_assert_uint_eq(st->unreachable, 2);
}
END_TEST

/*
 * The most targets a frame may have, most of them repeated: each once,
 * in the order first named (a hash set now; decoding the list again for
 * each target cost 8.8 ms a frame, issue 12).
 */
START_TEST(test_multicast_1024)
{
	struct client		*cl = fake_client_new(7);
	const struct fake_rec	*rec;
	char			*list, id[16];
	size_t			 i, len = 0, cap = WIRE_TARGETS_MAX * 8;

	ck_assert_ptr_nonnull(list = malloc(cap));
	list[0] = '\0';
	for (i = 0; i < WIRE_TARGETS_MAX; i++) {
		/* u0 .. u49 over and over, n2 and n3 now and then. */
		if (i % 100 == 99)
			snprintf(id, sizeof(id), "n%zu", 2 + i / 100 % 2);
		else
			snprintf(id, sizeof(id), "u%zu", i % 50);
		len += (size_t)snprintf(list + len, cap - len, "%s%s",
		    i > 0 ? "," : "", id);
	}
	publish(cl, PUB_MULTICAST, PUB_ACK, 90, list, "m.c", "b");
	ck_assert_uint_eq(fake_count(FAKE_MESH_SEND, "n2", NULL), 1);
	ck_assert_uint_eq(fake_count(FAKE_MESH_SEND, "n3", NULL), 1);
	ck_assert_uint_eq(fake_count(FAKE_MESH_SEND, NULL, NULL), 2);
	rec = result_to(cl, 0, 90, 2, 50);
	for (i = 0; i < 50; i++) {
		snprintf(id, sizeof(id), "u%zu", i);
		unreached_is(rec, i, id, REASON_NODE_UNKNOWN);
	}
	ck_assert_uint_eq(relay_stats(r)->unreachable, 50);

	/* The set is emptied between frames: the same ids again. */
	publish(cl, PUB_MULTICAST, 0, 91, "u1,n2,u1,n2", "m.c", "b");
	ck_assert_uint_eq(fake_count(FAKE_MESH_SEND, "n2", NULL), 2);
	unreached_is(result_to(cl, 1, 91, 1, 1), 0, "u1",
	    REASON_NODE_UNKNOWN);
	free(list);
}
END_TEST

START_TEST(test_multicast_self)
{
	struct client	*cl = fake_client_new(7), *sub = fake_client_new(8);

	ck_assert_int_eq(relay_subscribe(r, sub, "m.*"), 0);
	publish(cl, PUB_MULTICAST, PUB_ACK, 16, "n1,n2,n1", "m.c", "b");
	ck_assert_uint_eq(fake_count(FAKE_CTL_DELIVER, NULL, sub), 1);
	msg_to(sub, 0, 0, "n1", "m.c", "b");
	ck_assert_uint_eq(fake_count(FAKE_MESH_SEND, NULL, NULL), 1);
	data_to("n2", 0, 0, "m.c", "b");
	result_to(cl, 0, 16, 2, 0);
	ck_assert_uint_eq(relay_stats(r)->msgs_delivered, 1);
	ck_assert_uint_eq(relay_stats(r)->msgs_sent, 1);
}
END_TEST

/*
 * Every unreachable target is in the result, however many: the targets
 * of a multicast need not be configured nodes (here 8 unknown ids, the
 * config has 4).
 */
START_TEST(test_multicast_many_unknown)
{
	struct client		*cl = fake_client_new(7);
	const struct fake_rec	*rec;
	char			 node[8];
	int			 i;

	publish(cl, PUB_MULTICAST, 0, 17, "u1,u2,u3,u4,u5,u6,u7,u8,n2", "m.c",
	    "b");
	rec = result_to(cl, 0, 17, 1, 8);
	for (i = 0; i < 8; i++) {
		snprintf(node, sizeof(node), "u%d", i + 1);
		unreached_is(rec, (size_t)i, node, REASON_NODE_UNKNOWN);
	}
	ck_assert_uint_eq(relay_stats(r)->unreachable, 8);
}
END_TEST

START_TEST(test_broadcast)
{
	struct client		*cl = fake_client_new(7), *sub;
	const struct fake_rec	*rec;
	const struct relay_stats *st;

	sub = fake_client_new(8);
	ck_assert_int_eq(relay_subscribe(r, sub, "b.>"), 0);
	/* Every up peer; down ones are not reported unless asked. */
	publish(cl, PUB_BROADCAST, 0, 18, NULL, "b.c", "all");
	ck_assert_uint_eq(fake_count(FAKE_MESH_BROADCAST, NULL, NULL), 2);
	ck_assert_uint_eq(fake_count(FAKE_MESH_BROADCAST, "n2", NULL), 1);
	ck_assert_uint_eq(fake_count(FAKE_MESH_BROADCAST, "n3", NULL), 1);
	rec = fake_find(FAKE_MESH_BROADCAST, "n2", NULL, 0);
	ck_assert_str_eq(rec->data.origin, "n1");
	ck_assert_str_eq(rec->data.subject, "b.c");
	body_is(rec->data.body, rec->data.body_len, "all");
	ck_assert_int_eq(rec->has_tag, 1);
	ck_assert_uint_eq(rec->client_id, 7);
	ck_assert_uint_eq(rec->req_id, 18);
	/* Not to the local subscriber without PUB_SELF. */
	ck_assert_uint_eq(fake_count(FAKE_CTL_DELIVER, NULL, NULL), 0);
	ck_assert_uint_eq(fake_n(), 2);
	st = relay_stats(r);
	ck_assert_uint_eq(st->msgs_sent, 2);
	ck_assert_uint_eq(st->msgs_delivered, 0);

	/* PUB_ACK: the down peer is listed. */
	publish(cl, PUB_BROADCAST, PUB_ACK, 19, NULL, "b.c", "all");
	unreached_is(result_to(cl, 0, 19, 2, 1), 0, "n4", REASON_NODE_DOWN);
	ck_assert_uint_eq(relay_stats(r)->msgs_sent, 4);
	ck_assert_uint_eq(relay_stats(r)->msgs_published, 2);
}
END_TEST

START_TEST(test_broadcast_self)
{
	struct client	*cl = fake_client_new(7), *sub = fake_client_new(8);

	ck_assert_int_eq(relay_subscribe(r, sub, "b.>"), 0);
	publish(cl, PUB_BROADCAST, PUB_SELF | PUB_ACK, 20, NULL, "b.c", "me");
	ck_assert_uint_eq(fake_count(FAKE_MESH_BROADCAST, NULL, NULL), 2);
	ck_assert_uint_eq(fake_count(FAKE_CTL_DELIVER, NULL, sub), 1);
	msg_to(sub, 0, 0, "n1", "b.c", "me");
	/* n2, n3 and this node. */
	unreached_is(result_to(cl, 0, 20, 3, 1), 0, "n4", REASON_NODE_DOWN);
	ck_assert_uint_eq(relay_stats(r)->msgs_delivered, 1);
	ck_assert_uint_eq(relay_stats(r)->msgs_sent, 2);

	/* Nobody here subscribed: counted. */
	publish(cl, PUB_BROADCAST, PUB_SELF, 21, NULL, "z", "me");
	ck_assert_uint_eq(relay_stats(r)->msgs_unsubscribed, 1);
	ck_assert_uint_eq(fake_count(FAKE_CTL_DELIVER, NULL, sub), 1);
}
END_TEST

START_TEST(test_bad_subject)
{
	static const char *const bad[] = { "a..b", "", "a.*", ">", "a b",
	    ".a" };
	struct client	*cl = fake_client_new(7);
	size_t		 i;

	for (i = 0; i < NITEMS(bad); i++) {
		publish(cl, PUB_UNICAST, PUB_ACK, 30 + (uint32_t)i, "n2",
		    bad[i], "x");
		error_to(cl, i, 30 + (uint32_t)i, REASON_BAD_SUBJECT);
	}
	ck_assert_uint_eq(fake_n(), NITEMS(bad));
	ck_assert_uint_eq(relay_stats(r)->bad_subjects, NITEMS(bad));
	ck_assert_uint_eq(relay_stats(r)->msgs_published, NITEMS(bad));
	ck_assert_uint_eq(relay_stats(r)->msgs_sent, 0);
}
END_TEST

START_TEST(test_too_big)
{
	static uint8_t		 body[2048];
	struct client		*cl = fake_client_new(7);
	struct wire_ctl_pub	 m;

	conf.lim.max_message_size = 1024;
	pub_make(&m, pubbuf, sizeof(pubbuf), PUB_UNICAST, 0, 40, 0, "n2",
	    "a.b", body, 1025);
	relay_publish(r, cl, &m);
	error_to(cl, 0, 40, REASON_TOO_BIG);
	ck_assert_uint_eq(fake_n(), 1);
	ck_assert_uint_eq(relay_stats(r)->too_big, 1);

	/* A request too. */
	pub_make(&m, pubbuf, sizeof(pubbuf), PUB_UNICAST, PUB_REQUEST, 41,
	    1000, "n2", "a.b", body, 1025);
	relay_publish(r, cl, &m);
	error_to(cl, 1, 41, REASON_TOO_BIG);
	ck_assert_uint_eq(relay_stats(r)->too_big, 2);
	ck_assert_uint_eq(fake_client_requests(cl), 0);

	/* At the limit it goes. */
	pub_make(&m, pubbuf, sizeof(pubbuf), PUB_UNICAST, 0, 42, 0, "n2",
	    "a.b", body, 1024);
	relay_publish(r, cl, &m);
	ck_assert_uint_eq(fake_count(FAKE_MESH_SEND, "n2", NULL), 1);
	ck_assert_uint_eq(fake_find(FAKE_MESH_SEND, "n2", NULL, 0)->
	    data.body_len, 1024);
	ck_assert_uint_eq(relay_stats(r)->too_big, 2);
}
END_TEST

/* Local delivery */

START_TEST(test_local_match)
{
	struct client	*a = fake_client_new(1), *b = fake_client_new(2);
	struct client	*c = fake_client_new(3), *d = fake_client_new(4);
	struct client	*e = fake_client_new(5), *pub = fake_client_new(6);

	ck_assert_int_eq(relay_subscribe(r, a, "a.*"), 0);
	ck_assert_int_eq(relay_subscribe(r, b, "a.>"), 0);
	ck_assert_int_eq(relay_subscribe(r, c, "b.x"), 0);
	ck_assert_int_eq(relay_subscribe(r, d, "a.*"), 0);
	ck_assert_int_eq(relay_subscribe(r, d, "a.b"), 0);
	ck_assert_int_eq(relay_subscribe(r, e, ">"), 0);
	ck_assert_uint_eq(relay_stats(r)->subscriptions, 6);
	/* e is being closed: the control socket skips it. */
	fake_client_closing(e, 1);

	/* From this node: each matching client once (d has two patterns). */
	publish(pub, PUB_UNICAST, 0, 50, "n1", "a.b", "one");
	ck_assert_uint_eq(fake_count(FAKE_CTL_DELIVER, NULL, NULL), 3);
	msg_to(a, 0, 0, "n1", "a.b", "one");
	msg_to(b, 0, 0, "n1", "a.b", "one");
	msg_to(d, 0, 0, "n1", "a.b", "one");
	ck_assert_uint_eq(fake_count(FAKE_CTL_DELIVER, NULL, d), 1);
	ck_assert_uint_eq(fake_count(FAKE_ANY, NULL, c), 0);
	ck_assert_uint_eq(fake_count(FAKE_ANY, NULL, e), 0);
	ck_assert_uint_eq(fake_count(FAKE_ANY, NULL, pub), 0);
	ck_assert_uint_eq(relay_stats(r)->msgs_delivered, 3);

	/* From a peer. */
	ck_assert_int_eq(data_in("n2", 0, 0, 0, "a.c", "two"), 0);
	msg_to(a, 1, 0, "n2", "a.c", "two");
	msg_to(b, 1, 0, "n2", "a.c", "two");
	msg_to(d, 1, 0, "n2", "a.c", "two");
	ck_assert_uint_eq(fake_count(FAKE_CTL_DELIVER, NULL, NULL), 6);
	ck_assert_int_eq(data_in("n2", 0, 0, 0, "a.b.c", "three"), 0);
	msg_to(b, 2, 0, "n2", "a.b.c", "three");
	ck_assert_uint_eq(fake_count(FAKE_CTL_DELIVER, NULL, NULL), 7);
	ck_assert_int_eq(data_in("n3", 0, 0, 0, "b.x", "four"), 0);
	msg_to(c, 0, 0, "n3", "b.x", "four");
	ck_assert_uint_eq(relay_stats(r)->msgs_received, 3);
	ck_assert_uint_eq(relay_stats(r)->msgs_delivered, 8);
	ck_assert_uint_eq(relay_stats(r)->msgs_unsubscribed, 0);

	/* Unsubscribed: nobody else matches a.b.c. */
	ck_assert_int_eq(relay_unsubscribe(r, b, "a.>"), 0);
	ck_assert_int_eq(relay_unsubscribe(r, b, "a.>"), -1);
	ck_assert_uint_eq(relay_stats(r)->subscriptions, 5);
	ck_assert_int_eq(data_in("n2", 0, 0, 0, "a.b.c", "five"), 0);
	ck_assert_uint_eq(fake_count(FAKE_CTL_DELIVER, NULL, NULL), 8);
	ck_assert_uint_eq(relay_stats(r)->msgs_unsubscribed, 1);
	ck_assert_uint_eq(relay_stats(r)->msgs_received, 4);
}
END_TEST

START_TEST(test_local_gone)
{
	struct client	*a = fake_client_new(1), *b = fake_client_new(2);

	ck_assert_int_eq(relay_subscribe(r, a, "s"), 0);
	ck_assert_int_eq(relay_subscribe(r, b, "s"), 0);
	ck_assert_int_eq(relay_subscribe(r, b, "s"), 1);
	ck_assert_uint_eq(relay_stats(r)->subscriptions, 2);
	/* a is gone (disconnected for overflowing): not counted. */
	fake_client_deliver_rv(a, -1);
	ck_assert_int_eq(data_in("n2", 0, 0, 0, "s", "x"), 0);
	ck_assert_uint_eq(fake_count(FAKE_CTL_DELIVER, NULL, NULL), 2);
	ck_assert_uint_eq(relay_stats(r)->msgs_delivered, 1);
	ck_assert_uint_eq(fake_count(FAKE_MESH_PAUSE_READ, NULL, NULL), 0);
}
END_TEST

START_TEST(test_data_in_malformed)
{
	static char	body[2048];
	struct client	*a = fake_client_new(1);

	ck_assert_int_eq(relay_subscribe(r, a, ">"), 0);
	ck_assert_int_eq(data_in("n2", 0, 0, 0, "a..b", "x"), -1);
	ck_assert_int_eq(data_in("n2", 0, 0, 0, "a.*", "x"), -1);
	conf.lim.max_message_size = 1024;
	memset(body, 'x', 1025);
	ck_assert_int_eq(data_in("n2", 0, 0, 0, "a", body), -1);
	ck_assert_uint_eq(fake_n(), 0);
	ck_assert_uint_eq(relay_stats(r)->msgs_received, 0);
	body[1024] = '\0';
	ck_assert_int_eq(data_in("n2", 0, 0, 0, "a", body), 0);
	ck_assert_uint_eq(relay_stats(r)->msgs_received, 1);
	ck_assert_uint_eq(relay_stats(r)->msgs_delivered, 1);
}
END_TEST

/* Backpressure */

START_TEST(test_full_subscriber_pauses_peer)
{
	struct client	*a = fake_client_new(1), *b = fake_client_new(2);

	ck_assert_int_eq(relay_subscribe(r, a, "s"), 0);
	ck_assert_int_eq(relay_subscribe(r, b, "s"), 0);
	fake_client_deliver_rv(a, 1);
	ck_assert_int_eq(data_in("n2", 0, 0, 0, "s", "x"), 0);
	/* Delivered to both, and the stream it came from is paused. */
	ck_assert_uint_eq(relay_stats(r)->msgs_delivered, 2);
	ck_assert_uint_eq(fake_count(FAKE_MESH_PAUSE_READ, "n2", NULL), 1);
	ck_assert_uint_eq(fake_count(FAKE_MESH_PAUSE_READ, NULL, NULL), 1);
	ck_assert_uint_eq(fake_count(FAKE_CTL_PAUSE, NULL, NULL), 0);

	relay_subscribers_drained(r);
	ck_assert_uint_eq(fake_count(FAKE_MESH_RESUME_READS, NULL, NULL), 1);
	ck_assert_uint_eq(fake_count(FAKE_CTL_RESUME, "", NULL), 1);
}
END_TEST

START_TEST(test_full_subscriber_pauses_publisher)
{
	struct client	*a = fake_client_new(1), *pub = fake_client_new(2);

	ck_assert_int_eq(relay_subscribe(r, a, "s"), 0);
	fake_client_deliver_rv(a, 1);
	publish(pub, PUB_UNICAST, 0, 60, "n1", "s", "x");
	ck_assert_uint_eq(relay_stats(r)->msgs_delivered, 1);
	/* Paused until no subscriber is full: the node "". */
	ck_assert_uint_eq(fake_count(FAKE_CTL_PAUSE, "", pub), 1);
	ck_assert_uint_eq(fake_count(FAKE_CTL_PAUSE, NULL, NULL), 1);
	ck_assert_uint_eq(fake_count(FAKE_MESH_PAUSE_READ, NULL, NULL), 0);
}
END_TEST

START_TEST(test_congested_peer_pauses_publisher)
{
	struct client	*pub = fake_client_new(2);

	fake_peer_set("n3", 0, 1);
	publish(pub, PUB_UNICAST, 0, 61, "n2", "s", "x");
	ck_assert_uint_eq(fake_count(FAKE_CTL_PAUSE, NULL, NULL), 0);
	publish(pub, PUB_MULTICAST, 0, 62, "n2,n3", "s", "x");
	ck_assert_uint_eq(fake_count(FAKE_CTL_PAUSE, "n3", pub), 1);
	ck_assert_uint_eq(fake_count(FAKE_CTL_PAUSE, NULL, NULL), 1);
	/* A broadcast names the congested peer too. */
	publish(pub, PUB_BROADCAST, 0, 63, NULL, "s", "x");
	ck_assert_uint_eq(fake_count(FAKE_CTL_PAUSE, "n3", pub), 2);
	/* A request as well. */
	request(pub, 64, 5000, "n3", "s", "x");
	ck_assert_uint_eq(fake_count(FAKE_CTL_PAUSE, "n3", pub), 3);
	ck_assert_uint_eq(fake_count(FAKE_CTL_PAUSE, NULL, NULL), 3);
	ck_assert_uint_eq(relay_stats(r)->msgs_sent, 5);

	relay_peer_drained(r, "n3");
	ck_assert_uint_eq(fake_count(FAKE_CTL_RESUME, "n3", NULL), 1);
	ck_assert_uint_eq(fake_count(FAKE_CTL_RESUME, NULL, NULL), 1);
}
END_TEST

/* Requests from local clients */

START_TEST(test_request_self)
{
	struct client		*q = fake_client_new(1), *resp;
	const struct fake_rec	*rec;
	const struct relay_stats *st;
	uint64_t		 token;

	resp = fake_client_new(2);
	ck_assert_int_eq(relay_subscribe(r, resp, "svc.x"), 0);
	request(q, 21, 5000, "n1", "svc.x", "ask");
	ck_assert_uint_eq(fake_client_requests(q), 1);
	rec = msg_to(resp, 0, DATA_REQUEST, "n1", "svc.x", "ask");
	ck_assert_uint_ne(token = rec->msg.token, 0);
	ck_assert_uint_eq(fake_count(FAKE_MESH_SEND, NULL, NULL), 0);

	ck_assert_int_eq(relay_reply(r, resp, token, (const uint8_t *)"answer",
	    6), 0);
	rec = msg_to(q, 0, DATA_REPLY, "n1", "svc.x", "answer");
	ck_assert_uint_eq(rec->msg.req_id, 21);
	ck_assert_uint_eq(fake_client_requests(q), 0);
	ck_assert_uint_eq(fake_n(), 2);
	st = relay_stats(r);
	ck_assert_uint_eq(st->requests, 1);
	ck_assert_uint_eq(st->requests_served, 1);
	ck_assert_uint_eq(st->replies, 1);
	ck_assert_uint_eq(st->late_replies, 0);

	/* The token is spent: a second reply is late. */
	ck_assert_int_eq(relay_reply(r, resp, token, (const uint8_t *)"again",
	    5), 0);
	ck_assert_uint_eq(relay_stats(r)->late_replies, 1);
	ck_assert_uint_eq(fake_n(), 2);
}
END_TEST

START_TEST(test_request_self_no_responder)
{
	struct client	*q = fake_client_new(1);

	request(q, 22, 5000, "n1", "svc.none", "ask");
	error_to(q, 0, 22, REASON_NO_RESPONDER);
	ck_assert_uint_eq(fake_n(), 1);
	ck_assert_uint_eq(fake_client_requests(q), 0);
	ck_assert_uint_eq(relay_stats(r)->no_responder, 1);
	ck_assert_uint_eq(relay_stats(r)->requests, 1);
}
END_TEST

START_TEST(test_request_peer)
{
	struct client		*q = fake_client_new(1);
	const struct fake_rec	*rec;
	uint64_t		 corr;

	request(q, 31, 5000, "n2", "svc.y", "ping");
	rec = data_to("n2", 0, DATA_REQUEST, "svc.y", "ping");
	ck_assert_uint_ne(corr = rec->data.corr, 0);
	ck_assert_uint_eq(rec->data.timeout_ms, 5000);
	ck_assert_uint_eq(fake_client_requests(q), 1);
	ck_assert_uint_eq(fake_n(), 1);

	/* A second request has another correlation id. */
	request(q, 32, 5000, "n2", "svc.y", "ping2");
	ck_assert_uint_ne(data_to("n2", 1, DATA_REQUEST, "svc.y", "ping2")->
	    data.corr, corr);
	ck_assert_uint_eq(fake_client_requests(q), 2);

	ck_assert_int_eq(data_in("n2", DATA_REPLY, corr, 0, "svc.y", "pong"),
	    0);
	rec = msg_to(q, 0, DATA_REPLY, "n2", "svc.y", "pong");
	ck_assert_uint_eq(rec->msg.req_id, 31);
	ck_assert_uint_eq(fake_client_requests(q), 1);
	ck_assert_uint_eq(relay_stats(r)->replies, 1);
	ck_assert_uint_eq(relay_stats(r)->msgs_received, 1);
	ck_assert_uint_eq(relay_stats(r)->requests, 2);

	/* The same reply again: late, counted, dropped. */
	ck_assert_int_eq(data_in("n2", DATA_REPLY, corr, 0, "svc.y", "pong"),
	    0);
	ck_assert_uint_eq(relay_stats(r)->late_replies, 1);
	ck_assert_uint_eq(fake_count(FAKE_CTL_DELIVER, NULL, q), 1);
	ck_assert_uint_eq(fake_count(FAKE_CTL_ERROR, NULL, NULL), 0);
}
END_TEST

/*
 * Issue 12, finding 2: a reply is taken only from the node asked.  Any
 * other node's, with the right correlation id, is refused and counted,
 * and the request goes on waiting for its own.
 */
START_TEST(test_reply_from_another_node)
{
	struct client		*q = fake_client_new(1);
	const struct fake_rec	*rec;
	uint64_t		 corr;

	request(q, 51, 5000, "n2", "svc.y", "ping");
	corr = data_to("n2", 0, DATA_REQUEST, "svc.y", "ping")->data.corr;
	ck_assert_int_eq(data_in("n3", DATA_REPLY, corr, 0, "svc.y",
	    "forged"), 0);
	ck_assert_int_eq(data_in("n3", DATA_REPLY | DATA_NO_RESPONDER, corr,
	    0, "svc.y", ""), 0);
	/* This node answering for n2 is refused too. */
	ck_assert_int_eq(data_in("n1", DATA_REPLY, corr, 0, "svc.y",
	    "forged"), 0);
	ck_assert_uint_eq(relay_stats(r)->replies_refused, 3);
	ck_assert_uint_eq(relay_stats(r)->replies, 0);
	ck_assert_uint_eq(relay_stats(r)->no_responder, 0);
	ck_assert_uint_eq(relay_stats(r)->late_replies, 0);
	ck_assert_uint_eq(fake_count(FAKE_ANY, NULL, q), 0);
	ck_assert_uint_eq(fake_client_requests(q), 1);

	/* n2's own reply still gets through. */
	ck_assert_int_eq(data_in("n2", DATA_REPLY, corr, 0, "svc.y", "pong"),
	    0);
	rec = msg_to(q, 0, DATA_REPLY, "n2", "svc.y", "pong");
	ck_assert_uint_eq(rec->msg.req_id, 51);
	ck_assert_uint_eq(fake_client_requests(q), 0);
	ck_assert_uint_eq(relay_stats(r)->replies, 1);
	ck_assert_uint_eq(relay_stats(r)->replies_refused, 3);
}
END_TEST

/*
 * Correlation ids are not guessable: never 0, all different, and not a
 * sequence (the old ones were 1, 2, 3...: a third node could answer
 * the first request sent to n2 with corr 1).
 */
#define CORR_REQUESTS	64

START_TEST(test_corr_unpredictable)
{
	struct client	*q = fake_client_new(1);
	uint64_t	 corr[CORR_REQUESTS], high = 0;
	size_t		 i, j, runs = 0;

	for (i = 0; i < CORR_REQUESTS; i++) {
		request(q, (uint32_t)i, 60000, "n2", "svc", "x");
		corr[i] = data_to("n2", i, DATA_REQUEST, "svc", "x")->data.corr;
		ck_assert_uint_ne(corr[i], 0);
		high |= corr[i] >> 32;
		for (j = 0; j < i; j++)
			ck_assert_uint_ne(corr[i], corr[j]);
		if (i > 0 && (corr[i] - corr[i - 1] < 1024 ||
		    corr[i - 1] - corr[i] < 1024))
			runs++;
	}
	ck_assert_uint_eq(runs, 0);
	ck_assert_uint_ne(high, 0);
	ck_assert_uint_eq(fake_client_requests(q), CORR_REQUESTS);
}
END_TEST

START_TEST(test_request_peer_no_responder)
{
	struct client	*q = fake_client_new(1);
	uint64_t	 corr;

	request(q, 33, 5000, "n3", "svc.y", "ping");
	corr = data_to("n3", 0, DATA_REQUEST, "svc.y", "ping")->data.corr;
	ck_assert_int_eq(data_in("n3", DATA_REPLY | DATA_NO_RESPONDER, corr,
	    0, "svc.y", ""), 0);
	error_to(q, 0, 33, REASON_NO_RESPONDER);
	ck_assert_uint_eq(fake_count(FAKE_CTL_DELIVER, NULL, NULL), 0);
	ck_assert_uint_eq(fake_client_requests(q), 0);
	ck_assert_uint_eq(relay_stats(r)->no_responder, 1);
	ck_assert_uint_eq(relay_stats(r)->replies, 0);
}
END_TEST

START_TEST(test_request_refused)
{
	struct client	*q = fake_client_new(1);

	request(q, 34, 5000, "n4", "svc.y", "x");
	error_to(q, 0, 34, REASON_NODE_DOWN);
	request(q, 35, 5000, "n9", "svc.y", "x");
	error_to(q, 1, 35, REASON_NODE_UNKNOWN);
	ck_assert_uint_eq(relay_stats(r)->unreachable, 2);
	/* Timeouts of 0 and over limits.request_timeout_max_ms. */
	conf.lim.request_timeout_max_ms = 1000;
	request(q, 36, 0, "n2", "svc.y", "x");
	error_to(q, 2, 36, REASON_LIMIT);
	request(q, 37, 1001, "n2", "svc.y", "x");
	error_to(q, 3, 37, REASON_LIMIT);
	ck_assert_uint_eq(fake_count(FAKE_MESH_SEND, NULL, NULL), 0);
	ck_assert_uint_eq(fake_n(), 4);
	ck_assert_uint_eq(fake_client_requests(q), 0);
	ck_assert_uint_eq(relay_stats(r)->requests, 4);
	request(q, 38, 1000, "n2", "svc.y", "x");
	ck_assert_uint_eq(fake_count(FAKE_MESH_SEND, "n2", NULL), 1);
	ck_assert_uint_eq(fake_client_requests(q), 1);
}
END_TEST

START_TEST(test_request_timeout)
{
	struct client	*q = fake_client_new(1), *other = fake_client_new(2);
	uint64_t	 corr;

	request(other, 70, 60000, "n2", "svc.t", "wait");
	request(q, 71, 5, "n2", "svc.t", "quick");
	corr = data_to("n2", 1, DATA_REQUEST, "svc.t", "quick")->data.corr;
	run_until(FAKE_CTL_ERROR, q, 1);
	error_to(q, 0, 71, REASON_TIMEOUT);
	ck_assert_uint_eq(fake_client_requests(q), 0);
	ck_assert_uint_eq(relay_stats(r)->request_timeouts, 1);
	/* The other request is still waiting. */
	ck_assert_uint_eq(fake_client_requests(other), 1);
	ck_assert_uint_eq(fake_count(FAKE_ANY, NULL, other), 0);

	/* Its reply comes too late. */
	ck_assert_int_eq(data_in("n2", DATA_REPLY, corr, 0, "svc.t", "slow"),
	    0);
	ck_assert_uint_eq(relay_stats(r)->late_replies, 1);
	ck_assert_uint_eq(fake_count(FAKE_CTL_DELIVER, NULL, NULL), 0);
}
END_TEST

START_TEST(test_member_down)
{
	struct client		*q = fake_client_new(1);
	const struct fake_rec	*rec;

	request(q, 41, 60000, "n2", "svc", "a");
	request(q, 42, 60000, "n2", "svc", "b");
	request(q, 43, 60000, "n3", "svc", "c");
	ck_assert_uint_eq(fake_client_requests(q), 3);

	relay_member_changed(r, "n2", MEMBER_DOWN, MEMBER_UP, 99);
	rec = fake_find(FAKE_CTL_EVENT, "n2", NULL, 0);
	ck_assert_str_eq(rec->ev.node, "n2");
	ck_assert_uint_eq(rec->ev.state, MEMBER_DOWN);
	ck_assert_uint_eq(rec->ev.prev_state, MEMBER_UP);
	ck_assert_uint_eq(rec->ev.incarnation, 99);
	ck_assert_uint_ne(rec->ev.time_ms, 0);
	/* At once, not at their timeout. */
	ck_assert_uint_eq(fake_count(FAKE_CTL_ERROR, NULL, q), 2);
	ck_assert_uint_eq(fake_find(FAKE_CTL_ERROR, NULL, q, 0)->code,
	    REASON_NODE_DOWN);
	ck_assert_uint_eq(fake_find(FAKE_CTL_ERROR, NULL, q, 1)->code,
	    REASON_NODE_DOWN);
	ck_assert_uint_eq(fake_find(FAKE_CTL_ERROR, NULL, q, 0)->req_id +
	    fake_find(FAKE_CTL_ERROR, NULL, q, 1)->req_id, 41 + 42);
	ck_assert_uint_eq(fake_client_requests(q), 1);
	ck_assert_uint_eq(relay_stats(r)->unreachable, 2);

	/* Up: only the event. */
	relay_member_changed(r, "n3", MEMBER_UP, MEMBER_DOWN, 5);
	ck_assert_uint_eq(fake_count(FAKE_CTL_EVENT, "n3", NULL), 1);
	ck_assert_uint_eq(fake_count(FAKE_CTL_ERROR, NULL, q), 2);
	ck_assert_uint_eq(fake_client_requests(q), 1);
	/* Left: its request fails too. */
	relay_member_changed(r, "n3", MEMBER_LEFT, MEMBER_UP, 5);
	ck_assert_uint_eq(fake_count(FAKE_CTL_EVENT, "n3", NULL), 2);
	error_to(q, 2, 43, REASON_NODE_DOWN);
	ck_assert_uint_eq(fake_client_requests(q), 0);
	ck_assert_uint_eq(relay_stats(r)->unreachable, 3);
}
END_TEST

START_TEST(test_requests_per_client)
{
	struct client	*q = fake_client_new(1), *other = fake_client_new(2);

	conf.lim.requests_per_client = 2;
	request(q, 1, 60000, "n2", "svc", "a");
	request(q, 2, 60000, "n1", "svc", "b");	/* no responder: done */
	request(q, 3, 60000, "n2", "svc", "c");
	ck_assert_uint_eq(fake_client_requests(q), 2);
	request(q, 4, 60000, "n2", "svc", "d");
	error_to(q, 1, 4, REASON_LIMIT);
	ck_assert_uint_eq(fake_client_requests(q), 2);
	ck_assert_uint_eq(fake_count(FAKE_MESH_SEND, NULL, NULL), 2);
	ck_assert_uint_eq(relay_stats(r)->requests_refused, 1);
	ck_assert_uint_eq(relay_stats(r)->requests, 4);
	/* Per client. */
	request(other, 5, 60000, "n2", "svc", "e");
	ck_assert_uint_eq(fake_count(FAKE_MESH_SEND, NULL, NULL), 3);
	ck_assert_uint_eq(fake_client_requests(other), 1);
}
END_TEST

/* Requests for local responders */

START_TEST(test_request_in)
{
	struct client		*resp = fake_client_new(1);
	const struct fake_rec	*rec;
	uint64_t		 token;

	ck_assert_int_eq(relay_subscribe(r, resp, "svc.*"), 0);
	ck_assert_int_eq(data_in("n2", DATA_REQUEST, 500, 5000, "svc.a",
	    "q"), 0);
	rec = msg_to(resp, 0, DATA_REQUEST, "n2", "svc.a", "q");
	ck_assert_uint_ne(token = rec->msg.token, 0);
	ck_assert_uint_eq(relay_stats(r)->requests_served, 1);
	ck_assert_uint_eq(relay_stats(r)->msgs_received, 1);

	ck_assert_int_eq(relay_reply(r, resp, token, (const uint8_t *)"ans",
	    3), 0);
	rec = data_to("n2", 0, DATA_REPLY, "svc.a", "ans");
	ck_assert_uint_eq(rec->data.corr, 500);
	ck_assert_int_eq(rec->has_tag, 0);
	ck_assert_uint_eq(fake_n(), 2);

	/* No responder: NO_RESPONDER goes back at once. */
	ck_assert_int_eq(data_in("n3", DATA_REQUEST, 501, 5000, "other",
	    "q"), 0);
	rec = data_to("n3", 0, DATA_REPLY | DATA_NO_RESPONDER, "other", "");
	ck_assert_uint_eq(rec->data.corr, 501);

	/* The requester's node went down meanwhile: counted. */
	ck_assert_int_eq(data_in("n3", DATA_REQUEST, 502, 5000, "svc.b",
	    "q"), 0);
	token = msg_to(resp, 1, DATA_REQUEST, "n3", "svc.b", "q")->msg.token;
	fake_peer_set("n3", REASON_NODE_DOWN, 0);
	ck_assert_int_eq(relay_reply(r, resp, token, (const uint8_t *)"x", 1),
	    0);
	ck_assert_uint_eq(relay_stats(r)->replies_undeliverable, 1);
	ck_assert_uint_eq(relay_stats(r)->requests_served, 3);
}
END_TEST

START_TEST(test_request_in_round_robin)
{
	struct client	*r1 = fake_client_new(1), *r2 = fake_client_new(2);

	ck_assert_int_eq(relay_subscribe(r, r1, "svc"), 0);
	ck_assert_int_eq(relay_subscribe(r, r2, "svc"), 0);
	ck_assert_int_eq(data_in("n2", DATA_REQUEST, 1, 5000, "svc", "a"), 0);
	ck_assert_int_eq(data_in("n2", DATA_REQUEST, 2, 5000, "svc", "b"), 0);
	ck_assert_uint_eq(fake_count(FAKE_CTL_DELIVER, NULL, r1), 1);
	ck_assert_uint_eq(fake_count(FAKE_CTL_DELIVER, NULL, r2), 1);
}
END_TEST

START_TEST(test_reply_checks)
{
	static uint8_t	 big[2048];
	struct client	*resp = fake_client_new(1), *other = fake_client_new(2);
	uint64_t	 token;

	ck_assert_int_eq(relay_subscribe(r, resp, "svc"), 0);
	ck_assert_int_eq(data_in("n2", DATA_REQUEST, 9, 5000, "svc", "q"), 0);
	token = msg_to(resp, 0, DATA_REQUEST, "n2", "svc", "q")->msg.token;

	/* Another client may not answer it; an unknown token is late. */
	ck_assert_int_eq(relay_reply(r, other, token, (const uint8_t *)"x", 1),
	    0);
	ck_assert_int_eq(relay_reply(r, resp, token + 1000,
	    (const uint8_t *)"x", 1), 0);
	ck_assert_uint_eq(relay_stats(r)->late_replies, 2);
	ck_assert_uint_eq(fake_count(FAKE_MESH_SEND, NULL, NULL), 0);
	/* Too big: the client is dropped. */
	conf.lim.max_message_size = 1024;
	ck_assert_int_eq(relay_reply(r, resp, token, big, 1025), -1);
	ck_assert_uint_eq(relay_stats(r)->too_big, 1);
	ck_assert_uint_eq(fake_count(FAKE_MESH_SEND, NULL, NULL), 0);
	/* The token still stands. */
	ck_assert_int_eq(relay_reply(r, resp, token, big, 1024), 0);
	ck_assert_uint_eq(fake_count(FAKE_MESH_SEND, "n2", NULL), 1);
}
END_TEST

START_TEST(test_requests_served_max)
{
	struct client		*resp = fake_client_new(1);
	const struct fake_rec	*rec;
	uint64_t		 token;

	conf.lim.requests_served_max = 2;
	ck_assert_int_eq(relay_subscribe(r, resp, "svc"), 0);
	ck_assert_int_eq(data_in("n2", DATA_REQUEST, 100, 5000, "svc", "a"),
	    0);
	ck_assert_int_eq(data_in("n3", DATA_REQUEST, 101, 5000, "svc", "b"),
	    0);
	ck_assert_int_eq(data_in("n2", DATA_REQUEST, 102, 5000, "svc", "c"),
	    0);
	ck_assert_uint_eq(fake_count(FAKE_CTL_DELIVER, NULL, resp), 2);
	rec = data_to("n2", 0, DATA_REPLY | DATA_NO_RESPONDER, "svc", "");
	ck_assert_uint_eq(rec->data.corr, 102);
	ck_assert_uint_eq(relay_stats(r)->requests_refused, 1);
	ck_assert_uint_eq(relay_stats(r)->requests_served, 3);

	/* One answered: room for another. */
	token = msg_to(resp, 0, DATA_REQUEST, "n2", "svc", "a")->msg.token;
	ck_assert_int_eq(relay_reply(r, resp, token, (const uint8_t *)"r", 1),
	    0);
	ck_assert_uint_eq(data_to("n2", 1, DATA_REPLY, "svc", "r")->data.corr,
	    100);
	ck_assert_int_eq(data_in("n2", DATA_REQUEST, 103, 5000, "svc", "d"),
	    0);
	msg_to(resp, 2, DATA_REQUEST, "n2", "svc", "d");
	ck_assert_uint_eq(relay_stats(r)->requests_refused, 1);
}
END_TEST

START_TEST(test_token_expiry)
{
	struct client	*resp = fake_client_new(1);
	uint64_t	 token;

	ck_assert_int_eq(relay_subscribe(r, resp, "svc"), 0);
	/* The token outlives the requester's 1 ms by the relay's grace. */
	ck_assert_int_eq(data_in("n2", DATA_REQUEST, 7, 1, "svc", "q"), 0);
	token = msg_to(resp, 0, DATA_REQUEST, "n2", "svc", "q")->msg.token;
	ck_assert_int_eq(event_base_get_num_events(base,
	    EVENT_BASE_COUNT_ADDED), 1);
	run_until_idle();
	ck_assert_int_eq(relay_reply(r, resp, token, (const uint8_t *)"r", 1),
	    0);
	ck_assert_uint_eq(relay_stats(r)->late_replies, 1);
	ck_assert_uint_eq(fake_count(FAKE_MESH_SEND, NULL, NULL), 0);
}
END_TEST

/* Clients going away, messages lost */

START_TEST(test_client_gone_serving)
{
	struct client	*resp = fake_client_new(1), *q = fake_client_new(2);
	struct client	*q2 = fake_client_new(3);

	ck_assert_int_eq(relay_subscribe(r, resp, "svc"), 0);
	ck_assert_int_eq(data_in("n2", DATA_REQUEST, 77, 60000, "svc", "a"),
	    0);
	request(q, 78, 60000, "n1", "svc", "b");
	request(q2, 79, 60000, "n2", "svc", "c");
	ck_assert_uint_eq(fake_count(FAKE_CTL_DELIVER, NULL, resp), 2);
	ck_assert_uint_eq(fake_client_requests(q), 1);

	/* As control.c does: unsubscribe, then gone. */
	ck_assert_int_eq(relay_unsubscribe(r, resp, "svc"), 0);
	relay_client_gone(r, resp);
	/* NO_RESPONDER at once, to the peer and to the local requester. */
	ck_assert_uint_eq(data_to("n2", 1, DATA_REPLY | DATA_NO_RESPONDER,
	    "svc", "")->data.corr, 77);
	error_to(q, 0, 78, REASON_NO_RESPONDER);
	ck_assert_uint_eq(fake_client_requests(q), 0);
	/* q2's request to n2 is not resp's: untouched. */
	ck_assert_uint_eq(fake_client_requests(q2), 1);
	ck_assert_uint_eq(fake_count(FAKE_ANY, NULL, q2), 0);
	ck_assert_uint_eq(relay_stats(r)->no_responder, 1);
}
END_TEST

START_TEST(test_client_gone_pending)
{
	struct client	*q = fake_client_new(1);
	uint64_t	 corr;

	request(q, 80, 60000, "n2", "svc", "a");
	corr = data_to("n2", 0, DATA_REQUEST, "svc", "a")->data.corr;
	relay_client_gone(r, q);
	ck_assert_uint_eq(fake_client_requests(q), 0);
	ck_assert_int_eq(event_base_get_num_events(base,
	    EVENT_BASE_COUNT_ADDED), 0);
	ck_assert_int_eq(data_in("n2", DATA_REPLY, corr, 0, "svc", "r"), 0);
	ck_assert_uint_eq(relay_stats(r)->late_replies, 1);
	ck_assert_uint_eq(fake_count(FAKE_ANY, NULL, q), 0);
}
END_TEST

START_TEST(test_lost)
{
	const struct fake_rec	*rec;

	relay_lost(r, "n2", 7, 3, 10, 12);
	rec = fake_find(FAKE_CTL_LOST, "n2", NULL, 0);
	ck_assert_uint_eq(rec->client_id, 7);
	ck_assert_uint_eq(rec->count, 3);
	ck_assert_uint_eq(rec->first_req, 10);
	ck_assert_uint_eq(rec->req_id, 12);
	ck_assert_uint_eq(relay_stats(r)->msgs_maybe_lost, 3);
	relay_lost(r, "n3", 8, 2, 1, 2);
	ck_assert_uint_eq(fake_count(FAKE_CTL_LOST, NULL, NULL), 2);
	ck_assert_uint_eq(fake_find(FAKE_CTL_LOST, "n3", NULL, 0)->client_id,
	    8);
	ck_assert_uint_eq(relay_stats(r)->msgs_maybe_lost, 5);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s = suite_create("relay");
	TCase	*tc;

	tc = tcase_create("publish");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_unicast);
	tcase_add_test(tc, test_unicast_unreachable);
	tcase_add_test(tc, test_multicast_dedup);
	tcase_add_test(tc, test_multicast_self);
	tcase_add_test(tc, test_multicast_many_unknown);
	tcase_add_test(tc, test_multicast_1024);
	tcase_add_test(tc, test_broadcast);
	tcase_add_test(tc, test_broadcast_self);
	tcase_add_test(tc, test_bad_subject);
	tcase_add_test(tc, test_too_big);
	suite_add_tcase(s, tc);

	tc = tcase_create("local");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_local_match);
	tcase_add_test(tc, test_local_gone);
	tcase_add_test(tc, test_data_in_malformed);
	suite_add_tcase(s, tc);

	tc = tcase_create("backpressure");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_full_subscriber_pauses_peer);
	tcase_add_test(tc, test_full_subscriber_pauses_publisher);
	tcase_add_test(tc, test_congested_peer_pauses_publisher);
	suite_add_tcase(s, tc);

	tc = tcase_create("requests");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_request_self);
	tcase_add_test(tc, test_request_self_no_responder);
	tcase_add_test(tc, test_request_peer);
	tcase_add_test(tc, test_request_peer_no_responder);
	tcase_add_test(tc, test_reply_from_another_node);
	tcase_add_test(tc, test_corr_unpredictable);
	tcase_add_test(tc, test_request_refused);
	tcase_add_test(tc, test_request_timeout);
	tcase_add_test(tc, test_member_down);
	tcase_add_test(tc, test_requests_per_client);
	suite_add_tcase(s, tc);

	tc = tcase_create("serving");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_request_in);
	tcase_add_test(tc, test_request_in_round_robin);
	tcase_add_test(tc, test_reply_checks);
	tcase_add_test(tc, test_requests_served_max);
	tcase_add_test(tc, test_token_expiry);
	suite_add_tcase(s, tc);

	tc = tcase_create("gone");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_client_gone_serving);
	tcase_add_test(tc, test_client_gone_pending);
	tcase_add_test(tc, test_lost);
	suite_add_tcase(s, tc);
	return (s);
}
