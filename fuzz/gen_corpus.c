/*
 * gen_corpus: writes the seed corpora of the fuzzers.
 *
 *	gen_corpus DIR
 *
 * DIR/wire: one valid frame of every type, made by the encoders, and a
 * few broken ones.  DIR/ctl: client sessions (CTL_HELLO, then each
 * request) and every frame the daemon sends.  DIR/subject: operation
 * scripts for fuzz_subject.  DIR/config: configs with every section and
 * odd spellings; fuzz/run -g adds those of tests/conf and etc.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wire.h"

static const char	*dir;
static uint8_t		 frame[65536];

static void
save(const char *sub, const char *name, const void *buf, size_t len)
{
	char	 path[1024];
	FILE	*fp;

	if (len == 0)
		errx(1, "%s/%s: nothing encoded", sub, name);
	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	if (mkdir(path, 0755) == -1 && errno != EEXIST)
		err(1, "mkdir %s", path);
	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	if ((fp = fopen(path, "w")) == NULL)
		err(1, "%s", path);
	if (fwrite(buf, 1, len, fp) != len || fclose(fp) != 0)
		err(1, "%s", path);
}

static size_t
ctl_hello(uint8_t *buf, size_t cap)
{
	struct wire_ctl_hello	h;

	memset(&h, 0, sizeof(h));
	h.version = CTL_VERSION;
	h.min_version = CTL_MIN_VERSION;
	h.pid = 4242;
	strlcpy(h.name, "fuzz", sizeof(h.name));
	return (wire_encode_ctl_hello(buf, cap, &h));
}

/* A session: CTL_HELLO, then the frame. */
static void
session(const char *name, const uint8_t *f, size_t len)
{
	static uint8_t	s[sizeof(frame) + 256];
	size_t		n;

	n = ctl_hello(s, sizeof(s));
	memcpy(s + n, f, len);
	save("ctl", name, s, n + len);
}

static void
peer_frames(void)
{
	struct wire_hello	h;
	struct wire_hello_ack	a;
	struct wire_echo	e;
	struct wire_bye		b;
	struct wire_refuse	r;
	struct wire_data	d;
	size_t			n;
	int			i;

	memset(&h, 0, sizeof(h));
	h.version = PROTO_VERSION;
	h.min_version = PROTO_MIN_VERSION;
	h.incarnation = 1795660178723994ULL;
	h.port = 7400;
	for (i = 0; i < WIRE_NONCE_LEN; i++)
		h.nonce[i] = (uint8_t)i;
	strlcpy(h.cluster, "prod", sizeof(h.cluster));
	strlcpy(h.node_id, "n2", sizeof(h.node_id));
	strlcpy(h.address, "10.0.0.2", sizeof(h.address));
	n = wire_encode_hello(frame, sizeof(frame), &h);
	save("wire", "hello", frame, n);
	/* A later version's HELLO, with a field appended. */
	memcpy(frame + n, "\x00\x01\x02\x03", 4);
	wire_put_header(frame, WT_HELLO, (uint32_t)(n + 4));
	save("wire", "hello-extended", frame, n + 4);
	strlcpy(h.address, "fe80::1%eth0", sizeof(h.address));
	save("wire", "hello-v6", frame, wire_encode_hello(frame,
	    sizeof(frame), &h));

	memset(&a, 0, sizeof(a));
	memcpy(a.nonce, h.nonce, sizeof(a.nonce));
	memset(a.mac, 0xa5, sizeof(a.mac));
	strlcpy(a.node_id, "n1", sizeof(a.node_id));
	save("wire", "hello-ack", frame, wire_encode_hello_ack(frame,
	    sizeof(frame), &a));

	memset(&e, 0, sizeof(e));
	e.seq = 7;
	e.ts_us = 123456789;
	e.echo_ts_us = 123400000;
	e.hold_us = 250;
	strlcpy(e.node_id, "n2", sizeof(e.node_id));
	save("wire", "echo", frame, wire_encode_echo(frame, sizeof(frame),
	    &e));

	memset(&b, 0, sizeof(b));
	b.reason = REASON_SHUTDOWN;
	strlcpy(b.node_id, "n2", sizeof(b.node_id));
	strlcpy(b.text, "node is shutting down", sizeof(b.text));
	save("wire", "bye", frame, wire_encode_bye(frame, sizeof(frame), &b));

	memset(&r, 0, sizeof(r));
	r.reason = REASON_UNKNOWN_NODE;
	strlcpy(r.text, "node id \"x\" is not in the nodes list",
	    sizeof(r.text));
	save("wire", "refuse", frame, wire_encode_refuse(frame, sizeof(frame),
	    &r));

	memset(&d, 0, sizeof(d));
	strlcpy(d.origin, "n2", sizeof(d.origin));
	strlcpy(d.subject, "orders.eu.created", sizeof(d.subject));
	d.body = (const uint8_t *)"{\"id\":42}";
	d.body_len = 9;
	save("wire", "data", frame, wire_encode_data(frame, sizeof(frame),
	    &d));
	d.flags = DATA_REQUEST;
	d.timeout_ms = 5000;
	d.corr = 99;
	save("wire", "data-request", frame, wire_encode_data(frame,
	    sizeof(frame), &d));
	d.flags = DATA_REPLY | DATA_NO_RESPONDER;
	d.body_len = 0;
	save("wire", "data-no-responder", frame, wire_encode_data(frame,
	    sizeof(frame), &d));

	/* Broken ones. */
	wire_put_header(frame, WT_HELLO, 0);
	save("wire", "bad-length-0", frame, WIRE_HDR_LEN);
	wire_put_header(frame, WT_HELLO, 0xffffffffU);
	save("wire", "bad-length-max", frame, WIRE_HDR_LEN);
	wire_put_header(frame, 4242, WIRE_HDR_LEN);
	save("wire", "bad-type", frame, WIRE_HDR_LEN);
	n = wire_encode_echo(frame, sizeof(frame), &e);
	save("wire", "echo-truncated", frame, n - 3);
	frame[0] ^= 0xff;
	save("wire", "bad-marker", frame, n);
}

/* Frames a client sends: alone in wire/, after CTL_HELLO in ctl/. */
static void
client_frames(void)
{
	struct wire_ctl_req	 q = { 17 };
	struct wire_ctl_watch	 w = { 18, 1 };
	struct wire_ctl_sub	 s;
	struct wire_ctl_pub	 p;
	struct wire_ctl_reply	 r;
	const char		*targets[] = { "n1", "n2", "n3", "n2" };
	size_t			 n;

	n = ctl_hello(frame, sizeof(frame));
	save("wire", "ctl-hello", frame, n);
	save("ctl", "hello", frame, n);

#define BOTH(name, len) do {						\
	n = (len);							\
	save("wire", "ctl-" name, frame, n);				\
	session(name, frame, n);					\
} while (0)
	BOTH("members-req", wire_encode_ctl_req(frame, sizeof(frame),
	    WT_CTL_MEMBERS_REQ, &q));
	BOTH("stats-req", wire_encode_ctl_req(frame, sizeof(frame),
	    WT_CTL_STATS_REQ, &q));
	BOTH("reload", wire_encode_ctl_req(frame, sizeof(frame),
	    WT_CTL_RELOAD, &q));
	BOTH("watch", wire_encode_ctl_watch(frame, sizeof(frame), &w));
	BOTH("log-level", wire_encode_ctl_switch(frame, sizeof(frame),
	    WT_CTL_LOG_LEVEL, &w));

	memset(&s, 0, sizeof(s));
	s.req_id = 19;
	strlcpy(s.pattern, "orders.*.created", sizeof(s.pattern));
	BOTH("sub", wire_encode_ctl_sub(frame, sizeof(frame), WT_CTL_SUB,
	    &s));
	strlcpy(s.pattern, "orders.>", sizeof(s.pattern));
	BOTH("unsub", wire_encode_ctl_sub(frame, sizeof(frame), WT_CTL_UNSUB,
	    &s));

	memset(&p, 0, sizeof(p));
	p.req_id = 20;
	p.mode = PUB_UNICAST;
	p.ntargets = 1;
	strlcpy(p.subject, "orders.eu.created", sizeof(p.subject));
	p.body = (const uint8_t *)"hello";
	p.body_len = 5;
	BOTH("pub-unicast", wire_encode_ctl_pub(frame, sizeof(frame), &p,
	    targets));
	p.flags = PUB_REQUEST | PUB_ACK;
	p.timeout_ms = 2000;
	BOTH("pub-request", wire_encode_ctl_pub(frame, sizeof(frame), &p,
	    targets));
	p.flags = PUB_ACK;
	p.mode = PUB_MULTICAST;
	p.ntargets = 4;
	BOTH("pub-multicast", wire_encode_ctl_pub(frame, sizeof(frame), &p,
	    targets));
	p.flags = PUB_SELF;
	p.mode = PUB_BROADCAST;
	p.ntargets = 0;
	BOTH("pub-broadcast", wire_encode_ctl_pub(frame, sizeof(frame), &p,
	    targets));

	memset(&r, 0, sizeof(r));
	r.token = 77;
	r.body = (const uint8_t *)"answer";
	r.body_len = 6;
	BOTH("reply", wire_encode_ctl_reply(frame, sizeof(frame), &r));
#undef BOTH

	/* A session of several requests in a row. */
	n = ctl_hello(frame, sizeof(frame));
	n += wire_encode_ctl_sub(frame + n, sizeof(frame) - n, WT_CTL_SUB, &s);
	n += wire_encode_ctl_watch(frame + n, sizeof(frame) - n, &w);
	n += wire_encode_ctl_pub(frame + n, sizeof(frame) - n, &p, targets);
	n += wire_encode_ctl_req(frame + n, sizeof(frame) - n,
	    WT_CTL_STATS_REQ, &q);
	save("ctl", "session", frame, n);
}

/* Frames the daemon sends, read by libcohort. */
static void
daemon_frames(void)
{
	struct wire_ctl_welcome	 w;
	struct wire_ctl_error	 e;
	struct wire_ctl_req	 q = { 21 };
	struct wire_ctl_event	 ev;
	struct wire_ctl_msg	 m;
	struct wire_member	 mb;
	struct wire_unreached	 u;
	struct wire_writer	 wr;
	size_t			 n;

#define BOTH(name, len) do {						\
	n = (len);							\
	save("wire", "ctl-" name, frame, n);				\
	save("ctl", name, frame, n);					\
} while (0)
	memset(&w, 0, sizeof(w));
	w.version = CTL_VERSION;
	w.max_message = 1048576;
	w.incarnation = 1795660178723994ULL;
	strlcpy(w.cluster, "prod", sizeof(w.cluster));
	strlcpy(w.node_id, "n1", sizeof(w.node_id));
	BOTH("welcome", wire_encode_ctl_welcome(frame, sizeof(frame), &w));

	memset(&e, 0, sizeof(e));
	e.req_id = 22;
	e.code = REASON_NODE_DOWN;
	strlcpy(e.text, "n3: node is not up", sizeof(e.text));
	BOTH("error", wire_encode_ctl_error(frame, sizeof(frame), &e));
	BOTH("ok", wire_encode_ctl_req(frame, sizeof(frame), WT_CTL_OK, &q));

	memset(&ev, 0, sizeof(ev));
	ev.state = MEMBER_UP;
	ev.prev_state = MEMBER_DOWN;
	ev.incarnation = 5;
	ev.time_ms = 1795660178723ULL;
	strlcpy(ev.node, "n2", sizeof(ev.node));
	BOTH("event", wire_encode_ctl_event(frame, sizeof(frame), &ev));

	memset(&m, 0, sizeof(m));
	m.flags = DATA_REQUEST;
	m.token = 77;
	strlcpy(m.origin, "n2", sizeof(m.origin));
	strlcpy(m.subject, "orders.eu.created", sizeof(m.subject));
	m.body = (const uint8_t *)"\x00\x01\xff";
	m.body_len = 3;
	BOTH("msg", wire_encode_ctl_msg(frame, sizeof(frame), &m));

	wire_members_start(&wr, frame, sizeof(frame), 23);
	memset(&mb, 0, sizeof(mb));
	strlcpy(mb.id, "n1", sizeof(mb.id));
	strlcpy(mb.address, "10.0.0.1", sizeof(mb.address));
	mb.port = 7400;
	mb.state = MEMBER_SELF;
	wire_members_add(&wr, &mb);
	strlcpy(mb.id, "n2", sizeof(mb.id));
	strlcpy(mb.address, "node2.example.org", sizeof(mb.address));
	mb.state = MEMBER_UP;
	mb.rtt_us = 130;
	mb.incarnation = 9;
	mb.since_ms = 1795660178723ULL;
	wire_members_add(&wr, &mb);
	BOTH("members", wire_members_finish(&wr));

	wire_stats_start(&wr, frame, sizeof(frame), 24);
	wire_stats_section(&wr, "daemon", "n1");
	wire_stats_add(&wr, "uptime_ms", 1000);
	wire_stats_add(&wr, "protocol_errors", 3);
	wire_stats_section(&wr, "peer", "n2");
	wire_stats_add(&wr, "state", MEMBER_UP);
	wire_stats_section(&wr, "peer", "n3");
	BOTH("stats", wire_stats_finish(&wr));

	wire_result_start(&wr, frame, sizeof(frame), 25, 1);
	memset(&u, 0, sizeof(u));
	strlcpy(u.node, "n3", sizeof(u.node));
	u.reason = REASON_NODE_DOWN;
	wire_result_add(&wr, &u);
	strlcpy(u.node, "n9", sizeof(u.node));
	u.reason = REASON_NODE_UNKNOWN;
	wire_result_add(&wr, &u);
	BOTH("pub-result", wire_result_finish(&wr));
#undef BOTH
}

static void
subjects(void)
{
	static const struct {
		const char	*name;
		const char	*text;
	} s[] = {
		{ "pair", "orders.*.created orders.eu.created" },
		{ "pair-rest", "orders.> orders.eu.created.late" },
		{ "pair-literal", "a.b.c a.b.c" },
		{ "add-match", "+0orders.eu.created\n+1orders.*.created\n"
		    "+2orders.>\n+3>\n?orders.eu.created\n?orders.us\n" },
		{ "add-remove", "+0a.b\n+0a.b\n-0a.b\n-0a.b\n+1*.*\n?a.b\n"
		    "=*.*\n-1*.*\n" },
		{ "derived", "+0a.*.c.>\n+1a.>\n+2*.b.*.d\n=a.*.c.>\n"
		    "=*.b.*.d\n?a.b.c.d\n" },
		{ "bad", "+0a..b\n+1a.b*\n+2>.a\n+3 a\n?a.*\n?\n+0.\n" },
		{ "deep", "+0a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x."
		    "y.z.A.B.C.D.E.F\n=a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s."
		    "t.u.v.w.x.y.z.A.B.C.D.E.F\n+1a.b.c.d.e.f.g.h.i.j.k.l.m."
		    "n.o.p.q.r.s.t.u.v.w.x.y.z.A.B.C.D.E.F.G\n" },
		{ "owners", "+0x.y\n+1x.y\n+2x.*\n+3x.>\n?x.y\n-1x.y\n?x.y\n"
		    "-3x.>\n?x.y.z\n" },
		{ "star-only", "+0*\n+1*.*\n+2*.*.*\n?a\n?a.b\n?a.b.c\n"
		    "-1*.*\n?a.b\n" },
		{ "rest-only", "+0>\n+1a.>\n+2a.b.>\n?a\n?a.b\n?a.b.c\n"
		    "=a.b.>\n" },
		{ "prune", "+0a.b.c\n+0a.b\n-0a.b.c\n?a.b\n-0a.b\n?a.b\n"
		    "+1a.b.c.d\n-1a.b.c.d\n?a.b.c.d\n" },
		{ "chars", "+0!#$%&.~{}|\n?!#$%&.~{}|\n+1a\x7f\n"
		    "+2\xc3\xa9\n" },
		{ "long", "+0aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n?a\n" },
		{ "same-prefix", "+0ab\n+1a\n+2abc\n?a\n?ab\n?abc\n=ab*\n" },
		{ "subject", "orders.eu.created" },
		{ "pattern", "orders.*.>" },
	};
	size_t	i;

	for (i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		save("subject", s[i].name, s[i].text, strlen(s[i].text));
}

/* Configs beside tests/conf: every section and the odd spellings. */
static void
configs(void)
{
	static const struct {
		const char	*name;
		const char	*text;
	} c[] = {
		{ "min.conf", "cluster = \"prod\";\nnode_id = \"n1\";\n"
		    "nodes = ( { id = \"n1\"; address = \"10.0.0.1\"; "
		    "port = 7400; } );\n" },
		{ "keyed.conf", "cluster = \"prod\";\nnode_id = \"n2\";\n"
		    "nodes = (\n  { id = \"n1\"; address = \"10.0.0.1\"; "
		    "port = 7400; },\n  { id = \"n2\"; address = \"10.0.0.2\"; "
		    "port = 7400; },\n);\n"
		    "socket = \"/run/cohort/c.sock\";\n"
		    "heartbeat = { interval_ms = 500; timeout_ms = 2500; };\n"
		    "reconnect = { min_ms = 100; max_ms = 5000; };\n"
		    "security = { key_file = \"/etc/cohort/c.key\"; };\n" },
		{ "keys.conf", "cluster = \"c\";\nnode_id = \"a\";\n"
		    "nodes = ( { id = \"a\"; address = \"::1\"; port = 1; },"
		    " { id = \"b\"; address = \"::1\"; port = 2; } );\n"
		    "security = { key_files = [ \"/k/new.key\", \"old.key\" ];"
		    " check_address = false; };\n" },
		{ "acl.conf", "cluster = \"prod\";\nnode_id = \"n1\";\n"
		    "nodes = ( { id = \"n1\"; address = \"127.0.0.1\"; "
		    "port = 7400; } );\nsecurity = {\n"
		    "  socket_group = \"root\";\n"
		    "  allow_users = [ \"root\" ];\n"
		    "  allow_groups = [ \"root\" ];\n"
		    "  rules = ( { user = \"root\";\n"
		    "    publish = [ \"a.>\", \"b.*\" ];"
		    " subscribe = [ \">\" ]; },\n    { group = \"root\"; "
		    "subscribe = [ \"x.y\" ]; } );\n};\n" },
		{ "escapes.conf", "cluster = \"prod\";\nnode_id = \"n1\";\n"
		    "nodes = ( { id = \"n1\"; address = \"we\\\"ird\\\\name\"; "
		    "port = 0x1cE8; } );\n"
		    "socket = \"/tmp/a \\\"b\\\"/c.sock\";\n"
		    "limits = { max_message_size = 65536L; "
		    "client_queue_bytes = 0x40000; peer_queue_bytes = 262144; "
		    "};\n" },
		{ "limits.conf", "cluster = \"prod\";\nnode_id = \"n1\";\n"
		    "nodes = ( { id = \"n1\"; address = \"h\"; "
		    "port = 7400; } );\n"
		    "limits = { hello_timeout_ms = 100; max_clients = 1; "
		    "subscriptions_per_client = 1; requests_per_client = 1; "
		    "max_pending_streams = 1; pending_per_address = 1; };\n"
		    "log = { level = \"debug\"; };\n"
		    "policy = { slow_subscriber = \"disconnect\"; };\n" },
		{ "wrap.conf", "cluster = \"prod\";\nnode_id = \"n1\";\n"
		    "nodes = ( { id = \"n1\"; address = \"h\"; "
		    "port = 4294967297; } );\n" },
	};
	size_t	i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		save("config", c[i].name, c[i].text, strlen(c[i].text));
}

int
main(int argc, char *argv[])
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_corpus DIR\n");
		return (2);
	}
	dir = argv[1];
	if (mkdir(dir, 0755) == -1 && errno != EEXIST)
		err(1, "mkdir %s", dir);
	peer_frames();
	client_frames();
	daemon_frames();
	subjects();
	configs();
	return (0);
}
