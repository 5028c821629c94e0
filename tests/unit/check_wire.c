/*
 * check_wire.c: unit tests for the frame codec (src/wire.c).
 *
 * Every frame type is described once in frame_kinds[]: how to fill a
 * message with distinct non-zero values, encode it, decode it and compare
 * every field read back (the seed's constructors assigned fields to
 * themselves and no test noticed).  A TCase per frame type round-trips its
 * row and checks its own rules; the TCases per concern (truncation,
 * encoder bounds, trailing bytes, strings) run over every row with
 * tcase_add_loop_test, so that no type is forgotten.
 *
 * Frames under test sit in malloc'ed buffers of their exact size, so that
 * ASan and valgrind report any access past the end.
 */
#include <check.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/wire.h"
#include "check_main.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define FRAME_BUF	4096	/* larger than any sample frame */
#define N_MEMBERS	3	/* members in the sample CTL_MEMBERS */
#define N_SECTIONS	2	/* sections in the sample CTL_STATS... */
#define N_KV		3	/* ...and counters in each at most */
#define N_TARGETS	3	/* targets of the sample CTL_PUB */
#define N_UNREACHED	2	/* entries of the sample CTL_PUB_RESULT */
#define PREFILL		0x5a	/* fills decoder output first */

struct members_msg {
	uint32_t		 req_id;
	uint32_t		 count;
	struct wire_member	 m[N_MEMBERS];
};

struct stats_section {
	char			 kind[WIRE_ID_MAX + 1];
	char			 name[WIRE_ID_MAX + 1];
	uint32_t		 nkv;
	struct {
		char		 key[WIRE_ID_MAX + 1];
		uint64_t	 value;
	}			 kv[N_KV];
};

struct stats_msg {
	uint32_t		 req_id;
	uint32_t		 nsections;
	struct stats_section	 sec[N_SECTIONS];
};

/* A CTL_PUB and the ids it is sent to (decoded: a view into the frame). */
struct pub_msg {
	struct wire_ctl_pub	 pub;
	const char		*targets[N_TARGETS];
};

struct result_msg {
	uint32_t		 req_id;
	uint32_t		 delivered;
	uint32_t		 count;
	struct wire_unreached	 u[N_UNREACHED];
};

/* One message of any type, so that the table below has one signature. */
union msg {
	struct wire_hello	 hello;
	struct wire_hello_ack	 ack;
	struct wire_echo	 echo;
	struct wire_bye		 bye;
	struct wire_refuse	 refuse;
	struct wire_ctl_hello	 ctl_hello;
	struct wire_ctl_welcome	 welcome;
	struct wire_ctl_error	 error;
	struct wire_ctl_req	 req;
	struct wire_ctl_watch	 watch;
	struct wire_ctl_event	 event;
	struct members_msg	 members;
	struct stats_msg	 stats;
	struct wire_data	 data;
	struct wire_ctl_sub	 sub;
	struct pub_msg		 pub;
	struct result_msg	 result;
	struct wire_ctl_msg	 msg;
	struct wire_ctl_reply	 reply;
};

enum kind_id {
	K_HELLO, K_HELLO_ACK, K_ECHO, K_BYE, K_REFUSE, K_DATA, K_CTL_HELLO,
	K_CTL_WELCOME, K_CTL_ERROR, K_CTL_OK, K_CTL_MEMBERS_REQ,
	K_CTL_MEMBERS, K_CTL_WATCH, K_CTL_EVENT, K_CTL_STATS_REQ,
	K_CTL_STATS, K_CTL_SUB, K_CTL_UNSUB, K_CTL_PUB, K_CTL_PUB_RESULT,
	K_CTL_MSG, K_CTL_REPLY, K_CTL_RELOAD, K_CTL_LOG_LEVEL, N_KINDS
};

/* What a decoder makes of bytes after the last field. */
enum tail {
	TAIL_REFUSED,		/* strict: the frame must be consumed */
	TAIL_IGNORED,		/* HELLO: later versions may extend it */
	TAIL_BODY,		/* a frame with a body: it is the body */
};

struct frame_kind {
	const char	*name;
	uint32_t	 type;
	enum wire_channel chan;
	enum tail	 tail;
	void		(*fill)(union msg *);
	size_t		(*enc)(uint8_t *, size_t, const union msg *);
	enum wire_status (*dec)(const uint8_t *, size_t, union msg *);
	void		(*cmp)(const union msg *, const union msg *);
	/* TAIL_BODY: the head encoder, and where the body view is. */
	size_t		(*head)(uint8_t *, size_t, const union msg *,
			    size_t);
	size_t		 body_off;
	size_t		 body_len_off;
};

/* Big-endian patching of frames under test. */

static void
put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
set_frame_len(uint8_t *f, size_t len)
{
	put_be32(f + 12, (uint32_t)len);
}

static uint8_t *
xmalloc(size_t n)
{
	uint8_t	*p;

	p = malloc(n);
	ck_assert_msg(p != NULL || n == 0, "out of memory");
	return (p);
}

/* A copy of f[0..n) in a buffer of exactly n bytes. */
static uint8_t *
dup_exact(const uint8_t *f, size_t n)
{
	uint8_t	*p;

	p = xmalloc(n);
	if (n > 0)
		memcpy(p, f, n);
	return (p);
}

static void
set_str(char *field, size_t size, const char *s)
{
	ck_assert_uint_lt(strlen(s), size);
	strlcpy(field, s, size);
}

static enum wire_channel
other_chan(enum wire_channel c)
{
	return (c == WIRE_PEER ? WIRE_LOCAL : WIRE_PEER);
}

/*
 * Per-type fill, encode, decode and compare.  Integers use every byte of
 * their width and differ from each other, so a swapped, truncated or
 * forgotten field shows.
 */

static void
fill_hello(union msg *u)
{
	struct wire_hello	*m = &u->hello;
	size_t			 i;

	memset(u, 0, sizeof(*u));
	m->version = 0x0a0b;
	m->min_version = 0x0203;
	m->incarnation = 0x8192a3b4c5d6e7f8ULL;
	m->port = 0xbeef;
	for (i = 0; i < sizeof(m->nonce); i++)
		m->nonce[i] = (uint8_t)(0xa0 + i);
	set_str(m->cluster, sizeof(m->cluster), "cluster-a");
	set_str(m->node_id, sizeof(m->node_id), "node.b");
	set_str(m->address, sizeof(m->address), "2001:db8::c");
}

static size_t
enc_hello(uint8_t *b, size_t cap, const union msg *u)
{
	return (wire_encode_hello(b, cap, &u->hello));
}

static enum wire_status
dec_hello(const uint8_t *b, size_t len, union msg *u)
{
	return (wire_decode_hello(b, len, &u->hello));
}

static void
cmp_hello(const union msg *a, const union msg *b)
{
	ck_assert_uint_eq(b->hello.version, a->hello.version);
	ck_assert_uint_eq(b->hello.min_version, a->hello.min_version);
	ck_assert_uint_eq(b->hello.incarnation, a->hello.incarnation);
	ck_assert_uint_eq(b->hello.port, a->hello.port);
	ck_assert_mem_eq(b->hello.nonce, a->hello.nonce, WIRE_NONCE_LEN);
	ck_assert_str_eq(b->hello.cluster, a->hello.cluster);
	ck_assert_str_eq(b->hello.node_id, a->hello.node_id);
	ck_assert_str_eq(b->hello.address, a->hello.address);
}

static void
fill_ack(union msg *u)
{
	size_t	i;

	memset(u, 0, sizeof(*u));
	for (i = 0; i < sizeof(u->ack.nonce); i++)
		u->ack.nonce[i] = (uint8_t)(0xdf - i);
	for (i = 0; i < sizeof(u->ack.mac); i++)
		u->ack.mac[i] = (uint8_t)(0x31 + 3 * i);
	set_str(u->ack.node_id, sizeof(u->ack.node_id), "acking-node");
}

static size_t
enc_ack(uint8_t *b, size_t cap, const union msg *u)
{
	return (wire_encode_hello_ack(b, cap, &u->ack));
}

static enum wire_status
dec_ack(const uint8_t *b, size_t len, union msg *u)
{
	return (wire_decode_hello_ack(b, len, &u->ack));
}

static void
cmp_ack(const union msg *a, const union msg *b)
{
	ck_assert_mem_eq(b->ack.nonce, a->ack.nonce, WIRE_NONCE_LEN);
	ck_assert_mem_eq(b->ack.mac, a->ack.mac, WIRE_MAC_LEN);
	ck_assert_str_eq(b->ack.node_id, a->ack.node_id);
}

static void
fill_echo(union msg *u)
{
	memset(u, 0, sizeof(*u));
	u->echo.seq = 0x0102030405060708ULL;
	u->echo.ts_us = 0x8899aabbccddeeffULL;
	u->echo.echo_ts_us = 0x1122334455667788ULL;
	u->echo.hold_us = 0xf0e0d0c0b0a09080ULL;
	u->echo.data_acked = 0x0a0b0c0d0e0f1011ULL;
	set_str(u->echo.node_id, sizeof(u->echo.node_id), "echo-node");
}

static size_t
enc_echo(uint8_t *b, size_t cap, const union msg *u)
{
	return (wire_encode_echo(b, cap, &u->echo));
}

static enum wire_status
dec_echo(const uint8_t *b, size_t len, union msg *u)
{
	return (wire_decode_echo(b, len, &u->echo));
}

static void
cmp_echo(const union msg *a, const union msg *b)
{
	ck_assert_uint_eq(b->echo.seq, a->echo.seq);
	ck_assert_uint_eq(b->echo.ts_us, a->echo.ts_us);
	ck_assert_uint_eq(b->echo.echo_ts_us, a->echo.echo_ts_us);
	ck_assert_uint_eq(b->echo.hold_us, a->echo.hold_us);
	ck_assert_str_eq(b->echo.node_id, a->echo.node_id);
	ck_assert_uint_eq(b->echo.data_acked, a->echo.data_acked);
}

static void
fill_bye(union msg *u)
{
	memset(u, 0, sizeof(*u));
	u->bye.reason = 0x0a0b0c0d;
	set_str(u->bye.node_id, sizeof(u->bye.node_id), "leaving-node");
	set_str(u->bye.text, sizeof(u->bye.text), "shutting down for upgrade");
}

static size_t
enc_bye(uint8_t *b, size_t cap, const union msg *u)
{
	return (wire_encode_bye(b, cap, &u->bye));
}

static enum wire_status
dec_bye(const uint8_t *b, size_t len, union msg *u)
{
	return (wire_decode_bye(b, len, &u->bye));
}

static void
cmp_bye(const union msg *a, const union msg *b)
{
	ck_assert_uint_eq(b->bye.reason, a->bye.reason);
	ck_assert_str_eq(b->bye.node_id, a->bye.node_id);
	ck_assert_str_eq(b->bye.text, a->bye.text);
}

static void
fill_refuse(union msg *u)
{
	memset(u, 0, sizeof(*u));
	u->refuse.reason = 0x81828384;
	set_str(u->refuse.text, sizeof(u->refuse.text),
	    "cluster \"dev\" is not \"prod\"");
}

static size_t
enc_refuse(uint8_t *b, size_t cap, const union msg *u)
{
	return (wire_encode_refuse(b, cap, &u->refuse));
}

static enum wire_status
dec_refuse(const uint8_t *b, size_t len, union msg *u)
{
	return (wire_decode_refuse(b, len, &u->refuse));
}

static void
cmp_refuse(const union msg *a, const union msg *b)
{
	ck_assert_uint_eq(b->refuse.reason, a->refuse.reason);
	ck_assert_str_eq(b->refuse.text, a->refuse.text);
}

static void
fill_ctl_hello(union msg *u)
{
	memset(u, 0, sizeof(*u));
	u->ctl_hello.version = 0x3132;
	u->ctl_hello.min_version = 0x0102;
	u->ctl_hello.pid = 0xc1c2c3c4;
	set_str(u->ctl_hello.name, sizeof(u->ctl_hello.name), "cohortctl");
}

static size_t
enc_ctl_hello(uint8_t *b, size_t cap, const union msg *u)
{
	return (wire_encode_ctl_hello(b, cap, &u->ctl_hello));
}

static enum wire_status
dec_ctl_hello(const uint8_t *b, size_t len, union msg *u)
{
	return (wire_decode_ctl_hello(b, len, &u->ctl_hello));
}

static void
cmp_ctl_hello(const union msg *a, const union msg *b)
{
	ck_assert_uint_eq(b->ctl_hello.version, a->ctl_hello.version);
	ck_assert_uint_eq(b->ctl_hello.min_version, a->ctl_hello.min_version);
	ck_assert_uint_eq(b->ctl_hello.pid, a->ctl_hello.pid);
	ck_assert_str_eq(b->ctl_hello.name, a->ctl_hello.name);
}

static void
fill_welcome(union msg *u)
{
	memset(u, 0, sizeof(*u));
	u->welcome.version = 0x4142;
	u->welcome.incarnation = 0xfedcba9876543210ULL;
	set_str(u->welcome.cluster, sizeof(u->welcome.cluster), "prod_eu");
	set_str(u->welcome.node_id, sizeof(u->welcome.node_id), "n17");
}

static size_t
enc_welcome(uint8_t *b, size_t cap, const union msg *u)
{
	return (wire_encode_ctl_welcome(b, cap, &u->welcome));
}

static enum wire_status
dec_welcome(const uint8_t *b, size_t len, union msg *u)
{
	return (wire_decode_ctl_welcome(b, len, &u->welcome));
}

static void
cmp_welcome(const union msg *a, const union msg *b)
{
	ck_assert_uint_eq(b->welcome.version, a->welcome.version);
	ck_assert_uint_eq(b->welcome.incarnation, a->welcome.incarnation);
	ck_assert_str_eq(b->welcome.cluster, a->welcome.cluster);
	ck_assert_str_eq(b->welcome.node_id, a->welcome.node_id);
}

static void
fill_error(union msg *u)
{
	memset(u, 0, sizeof(*u));
	u->error.req_id = 0x51525354;
	u->error.code = 0x61626364;
	set_str(u->error.text, sizeof(u->error.text), "node n9 is down");
}

static size_t
enc_error(uint8_t *b, size_t cap, const union msg *u)
{
	return (wire_encode_ctl_error(b, cap, &u->error));
}

static enum wire_status
dec_error(const uint8_t *b, size_t len, union msg *u)
{
	return (wire_decode_ctl_error(b, len, &u->error));
}

static void
cmp_error(const union msg *a, const union msg *b)
{
	ck_assert_uint_eq(b->error.req_id, a->error.req_id);
	ck_assert_uint_eq(b->error.code, a->error.code);
	ck_assert_str_eq(b->error.text, a->error.text);
}

/* CTL_OK and CTL_MEMBERS_REQ share a body; the type tells them apart. */
static void
fill_req(union msg *u)
{
	memset(u, 0, sizeof(*u));
	u->req.req_id = 0xd1d2d3d4;
}

static size_t
enc_ok(uint8_t *b, size_t cap, const union msg *u)
{
	return (wire_encode_ctl_req(b, cap, WT_CTL_OK, &u->req));
}

static enum wire_status
dec_ok(const uint8_t *b, size_t len, union msg *u)
{
	return (wire_decode_ctl_req(b, len, WT_CTL_OK, &u->req));
}

static size_t
enc_members_req(uint8_t *b, size_t cap, const union msg *u)
{
	return (wire_encode_ctl_req(b, cap, WT_CTL_MEMBERS_REQ, &u->req));
}

static enum wire_status
dec_members_req(const uint8_t *b, size_t len, union msg *u)
{
	return (wire_decode_ctl_req(b, len, WT_CTL_MEMBERS_REQ, &u->req));
}

static size_t
enc_stats_req(uint8_t *b, size_t cap, const union msg *u)
{
	return (wire_encode_ctl_req(b, cap, WT_CTL_STATS_REQ, &u->req));
}

static enum wire_status
dec_stats_req(const uint8_t *b, size_t len, union msg *u)
{
	return (wire_decode_ctl_req(b, len, WT_CTL_STATS_REQ, &u->req));
}

static size_t
enc_reload(uint8_t *b, size_t cap, const union msg *u)
{
	return (wire_encode_ctl_req(b, cap, WT_CTL_RELOAD, &u->req));
}

static enum wire_status
dec_reload(const uint8_t *b, size_t len, union msg *u)
{
	return (wire_decode_ctl_req(b, len, WT_CTL_RELOAD, &u->req));
}

static void
cmp_req(const union msg *a, const union msg *b)
{
	ck_assert_uint_eq(b->req.req_id, a->req.req_id);
}

static void
fill_watch(union msg *u)
{
	memset(u, 0, sizeof(*u));
	u->watch.req_id = 0xe1e2e3e4;
	u->watch.on = 1;
}

static size_t
enc_watch(uint8_t *b, size_t cap, const union msg *u)
{
	return (wire_encode_ctl_watch(b, cap, &u->watch));
}

static enum wire_status
dec_watch(const uint8_t *b, size_t len, union msg *u)
{
	return (wire_decode_ctl_watch(b, len, &u->watch));
}

/* CTL_LOG_LEVEL has CTL_WATCH's layout and decoder. */
static size_t
enc_log_level(uint8_t *b, size_t cap, const union msg *u)
{
	return (wire_encode_ctl_switch(b, cap, WT_CTL_LOG_LEVEL, &u->watch));
}

static enum wire_status
dec_log_level(const uint8_t *b, size_t len, union msg *u)
{
	return (wire_decode_ctl_watch(b, len, &u->watch));
}

static void
cmp_watch(const union msg *a, const union msg *b)
{
	ck_assert_uint_eq(b->watch.req_id, a->watch.req_id);
	ck_assert_uint_eq(b->watch.on, a->watch.on);
}

static void
fill_event(union msg *u)
{
	memset(u, 0, sizeof(*u));
	u->event.state = MEMBER_DOWN;
	u->event.prev_state = MEMBER_UP;
	u->event.incarnation = 0x7172737475767778ULL;
	u->event.time_ms = 0x0000019a2b3c4d5eULL;
	set_str(u->event.node, sizeof(u->event.node), "event-node");
}

static size_t
enc_event(uint8_t *b, size_t cap, const union msg *u)
{
	return (wire_encode_ctl_event(b, cap, &u->event));
}

static enum wire_status
dec_event(const uint8_t *b, size_t len, union msg *u)
{
	return (wire_decode_ctl_event(b, len, &u->event));
}

static void
cmp_event(const union msg *a, const union msg *b)
{
	ck_assert_uint_eq(b->event.state, a->event.state);
	ck_assert_uint_eq(b->event.prev_state, a->event.prev_state);
	ck_assert_uint_eq(b->event.incarnation, a->event.incarnation);
	ck_assert_uint_eq(b->event.time_ms, a->event.time_ms);
	ck_assert_str_eq(b->event.node, a->event.node);
}

static void
fill_member(struct wire_member *m, unsigned int i)
{
	static const char *const ids[N_MEMBERS] = { "m-one", "m-two",
	    "m-three" };
	static const char *const addrs[N_MEMBERS] = { "10.1.2.3", "fe80::1",
	    "host.example.org" };
	static const uint8_t states[N_MEMBERS] = { MEMBER_SELF, MEMBER_UP,
	    MEMBER_REFUSED };

	set_str(m->id, sizeof(m->id), ids[i]);
	set_str(m->address, sizeof(m->address), addrs[i]);
	m->port = (uint16_t)(0x1d00 + i);
	m->state = states[i];
	m->rtt_us = 0x0102030405060700ULL + i;
	m->incarnation = 0xa1a2a3a4a5a6a7a0ULL + i;
	m->since_ms = 0x000001b2c3d4e5f0ULL + i;
}

static void
fill_members(union msg *u)
{
	unsigned int	i;

	memset(u, 0, sizeof(*u));
	u->members.req_id = 0x91929394;
	u->members.count = N_MEMBERS;
	for (i = 0; i < N_MEMBERS; i++)
		fill_member(&u->members.m[i], i);
}

static size_t
enc_members(uint8_t *b, size_t cap, const union msg *u)
{
	struct wire_writer	w;
	uint32_t		i;

	wire_members_start(&w, b, cap, u->members.req_id);
	for (i = 0; i < u->members.count; i++)
		wire_members_add(&w, &u->members.m[i]);
	return (wire_members_finish(&w));
}

/* Decode the list, keeping at most N_MEMBERS entries but reading all. */
static enum wire_status
dec_members(const uint8_t *b, size_t len, union msg *u)
{
	struct wire_reader	r;
	struct wire_member	spare;
	enum wire_status	st;
	uint32_t		i;

	st = wire_members_begin(b, len, &r, &u->members.req_id,
	    &u->members.count);
	for (i = 0; st == WIRE_OK && i < u->members.count; i++)
		st = wire_members_next(&r, i < N_MEMBERS ?
		    &u->members.m[i] : &spare);
	if (st == WIRE_OK)
		st = wire_members_end(&r);
	return (st);
}

static void
cmp_members(const union msg *a, const union msg *b)
{
	const struct wire_member	*x, *y;
	uint32_t			 i;

	ck_assert_uint_eq(b->members.req_id, a->members.req_id);
	ck_assert_uint_eq(b->members.count, a->members.count);
	for (i = 0; i < a->members.count && i < N_MEMBERS; i++) {
		x = &a->members.m[i];
		y = &b->members.m[i];
		ck_assert_str_eq(y->id, x->id);
		ck_assert_str_eq(y->address, x->address);
		ck_assert_uint_eq(y->port, x->port);
		ck_assert_uint_eq(y->state, x->state);
		ck_assert_uint_eq(y->rtt_us, x->rtt_us);
		ck_assert_uint_eq(y->incarnation, x->incarnation);
		ck_assert_uint_eq(y->since_ms, x->since_ms);
	}
}

/*
 * Frames with a body.  The sample body is binary: NULs, high bytes.
 */
static const uint8_t sample_body[] = { 0x00, 'b', 'o', 'd', 'y', 0xff,
    0x00, 0x7f };

static void
cmp_body(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	ck_assert_uint_eq(blen, alen);
	if (alen > 0)
		ck_assert_mem_eq(b, a, alen);
}

static void
fill_data(union msg *u)
{
	memset(u, 0, sizeof(*u));
	u->data.flags = DATA_REQUEST | DATA_NO_RESPONDER;
	u->data.timeout_ms = 0x31323334;
	u->data.corr = 0x4142434445464748ULL;
	set_str(u->data.origin, sizeof(u->data.origin), "origin-node");
	set_str(u->data.subject, sizeof(u->data.subject),
	    "orders.eu.created");
	u->data.body = sample_body;
	u->data.body_len = sizeof(sample_body);
}

static size_t
head_data(uint8_t *b, size_t cap, const union msg *u, size_t body_len)
{
	return (wire_encode_data_head(b, cap, &u->data, body_len));
}

static size_t
enc_data(uint8_t *b, size_t cap, const union msg *u)
{
	return (wire_encode_data(b, cap, &u->data));
}

static enum wire_status
dec_data(const uint8_t *b, size_t len, union msg *u)
{
	return (wire_decode_data(b, len, &u->data));
}

static void
cmp_data(const union msg *a, const union msg *b)
{
	ck_assert_uint_eq(b->data.flags, a->data.flags);
	ck_assert_uint_eq(b->data.timeout_ms, a->data.timeout_ms);
	ck_assert_uint_eq(b->data.corr, a->data.corr);
	ck_assert_str_eq(b->data.origin, a->data.origin);
	ck_assert_str_eq(b->data.subject, a->data.subject);
	cmp_body(a->data.body, a->data.body_len, b->data.body,
	    b->data.body_len);
}

/* CTL_SUB and CTL_UNSUB share a body; the type tells them apart. */
static void
fill_sub(union msg *u)
{
	memset(u, 0, sizeof(*u));
	u->sub.req_id = 0x71727374;
	set_str(u->sub.pattern, sizeof(u->sub.pattern), "orders.*.created.>");
}

static size_t
enc_sub(uint8_t *b, size_t cap, const union msg *u)
{
	return (wire_encode_ctl_sub(b, cap, WT_CTL_SUB, &u->sub));
}

static size_t
enc_unsub(uint8_t *b, size_t cap, const union msg *u)
{
	return (wire_encode_ctl_sub(b, cap, WT_CTL_UNSUB, &u->sub));
}

static enum wire_status
dec_sub(const uint8_t *b, size_t len, union msg *u)
{
	return (wire_decode_ctl_sub(b, len, &u->sub));
}

#define dec_unsub	dec_sub

static void
cmp_sub(const union msg *a, const union msg *b)
{
	ck_assert_uint_eq(b->sub.req_id, a->sub.req_id);
	ck_assert_str_eq(b->sub.pattern, a->sub.pattern);
}

static void
fill_pub(union msg *u)
{
	static const char *const targets[N_TARGETS] = { "t-one", "t-two",
	    "t-three" };

	memset(u, 0, sizeof(*u));
	u->pub.pub.req_id = 0x81828384;
	u->pub.pub.flags = PUB_ACK | PUB_SELF;
	u->pub.pub.mode = PUB_MULTICAST;
	u->pub.pub.timeout_ms = 0x91929394;
	u->pub.pub.ntargets = N_TARGETS;
	memcpy(u->pub.targets, targets, sizeof(targets));
	set_str(u->pub.pub.subject, sizeof(u->pub.pub.subject),
	    "fleet.status");
	u->pub.pub.body = sample_body;
	u->pub.pub.body_len = sizeof(sample_body);
}

static size_t
head_pub(uint8_t *b, size_t cap, const union msg *u, size_t body_len)
{
	return (wire_encode_ctl_pub_head(b, cap, &u->pub.pub, u->pub.targets,
	    body_len));
}

static size_t
enc_pub(uint8_t *b, size_t cap, const union msg *u)
{
	return (wire_encode_ctl_pub(b, cap, &u->pub.pub, u->pub.targets));
}

static enum wire_status
dec_pub(const uint8_t *b, size_t len, union msg *u)
{
	return (wire_decode_ctl_pub(b, len, &u->pub.pub));
}

/* a holds the target ids, b their view in a decoded frame. */
static void
cmp_pub(const union msg *a, const union msg *b)
{
	const struct wire_ctl_pub	*x = &a->pub.pub, *y = &b->pub.pub;
	char				 id[WIRE_ID_MAX + 1];
	size_t				 pos = 0, i;

	ck_assert_uint_eq(y->req_id, x->req_id);
	ck_assert_uint_eq(y->flags, x->flags);
	ck_assert_uint_eq(y->mode, x->mode);
	ck_assert_uint_eq(y->timeout_ms, x->timeout_ms);
	ck_assert_uint_eq(y->ntargets, x->ntargets);
	for (i = 0; i < x->ntargets; i++) {
		ck_assert_int_eq(wire_targets_next(y, &pos, id), 1);
		ck_assert_str_eq(id, a->pub.targets[i]);
	}
	ck_assert_int_eq(wire_targets_next(y, &pos, id), 0);
	ck_assert_str_eq(y->subject, x->subject);
	cmp_body(x->body, x->body_len, y->body, y->body_len);
}

static void
fill_result(union msg *u)
{
	memset(u, 0, sizeof(*u));
	u->result.req_id = 0xe1e2e3e4;
	u->result.delivered = 0x0a0b0c0d;
	u->result.count = N_UNREACHED;
	set_str(u->result.u[0].node, sizeof(u->result.u[0].node),
	    "gone-node");
	u->result.u[0].reason = REASON_NODE_UNKNOWN;
	set_str(u->result.u[1].node, sizeof(u->result.u[1].node),
	    "down-node");
	u->result.u[1].reason = REASON_NODE_DOWN;
}

static size_t
enc_result(uint8_t *b, size_t cap, const union msg *u)
{
	struct wire_writer	w;
	uint32_t		i;

	wire_result_start(&w, b, cap, u->result.req_id, u->result.delivered);
	for (i = 0; i < u->result.count; i++)
		wire_result_add(&w, &u->result.u[i]);
	return (wire_result_finish(&w));
}

static enum wire_status
dec_result(const uint8_t *b, size_t len, union msg *u)
{
	struct wire_reader	r;
	struct wire_unreached	spare;
	enum wire_status	st;
	uint32_t		i;

	st = wire_result_begin(b, len, &r, &u->result.req_id,
	    &u->result.delivered, &u->result.count);
	for (i = 0; st == WIRE_OK && i < u->result.count; i++)
		st = wire_result_next(&r, i < N_UNREACHED ?
		    &u->result.u[i] : &spare);
	if (st == WIRE_OK)
		st = wire_result_end(&r);
	return (st);
}

static void
cmp_result(const union msg *a, const union msg *b)
{
	uint32_t	i;

	ck_assert_uint_eq(b->result.req_id, a->result.req_id);
	ck_assert_uint_eq(b->result.delivered, a->result.delivered);
	ck_assert_uint_eq(b->result.count, a->result.count);
	for (i = 0; i < a->result.count && i < N_UNREACHED; i++) {
		ck_assert_str_eq(b->result.u[i].node, a->result.u[i].node);
		ck_assert_uint_eq(b->result.u[i].reason, a->result.u[i].reason);
	}
}

static void
fill_msg(union msg *u)
{
	memset(u, 0, sizeof(*u));
	u->msg.req_id = 0xa1a2a3a4;
	u->msg.flags = DATA_REPLY;
	u->msg.token = 0xb1b2b3b4b5b6b7b8ULL;
	set_str(u->msg.origin, sizeof(u->msg.origin), "replier");
	set_str(u->msg.subject, sizeof(u->msg.subject), "svc.answer");
	u->msg.body = sample_body;
	u->msg.body_len = sizeof(sample_body);
}

static size_t
head_msg(uint8_t *b, size_t cap, const union msg *u, size_t body_len)
{
	return (wire_encode_ctl_msg_head(b, cap, &u->msg, body_len));
}

static size_t
enc_msg(uint8_t *b, size_t cap, const union msg *u)
{
	return (wire_encode_ctl_msg(b, cap, &u->msg));
}

static enum wire_status
dec_msg(const uint8_t *b, size_t len, union msg *u)
{
	return (wire_decode_ctl_msg(b, len, &u->msg));
}

static void
cmp_msg(const union msg *a, const union msg *b)
{
	ck_assert_uint_eq(b->msg.req_id, a->msg.req_id);
	ck_assert_uint_eq(b->msg.flags, a->msg.flags);
	ck_assert_uint_eq(b->msg.token, a->msg.token);
	ck_assert_str_eq(b->msg.origin, a->msg.origin);
	ck_assert_str_eq(b->msg.subject, a->msg.subject);
	cmp_body(a->msg.body, a->msg.body_len, b->msg.body, b->msg.body_len);
}

static void
fill_reply(union msg *u)
{
	memset(u, 0, sizeof(*u));
	u->reply.token = 0xc1c2c3c4c5c6c7c8ULL;
	u->reply.body = sample_body;
	u->reply.body_len = sizeof(sample_body);
}

static size_t
head_reply(uint8_t *b, size_t cap, const union msg *u, size_t body_len)
{
	return (wire_encode_ctl_reply_head(b, cap, &u->reply, body_len));
}

static size_t
enc_reply(uint8_t *b, size_t cap, const union msg *u)
{
	return (wire_encode_ctl_reply(b, cap, &u->reply));
}

static enum wire_status
dec_reply(const uint8_t *b, size_t len, union msg *u)
{
	return (wire_decode_ctl_reply(b, len, &u->reply));
}

static void
cmp_reply(const union msg *a, const union msg *b)
{
	ck_assert_uint_eq(b->reply.token, a->reply.token);
	cmp_body(a->reply.body, a->reply.body_len, b->reply.body,
	    b->reply.body_len);
}

/* The channel is spelled out: a type on the wrong socket must show. */
static void
fill_stats(union msg *u)
{
	static const char *const keys[N_SECTIONS][N_KV] = {
		{ "frames_in", "frames_out", "bytes_in" },
		{ "rtt_us", "reconnects", NULL },
	};
	struct stats_section	*sec;
	unsigned int		 i, j;

	memset(u, 0, sizeof(*u));
	u->stats.req_id = 0x21222324;
	u->stats.nsections = N_SECTIONS;
	for (i = 0; i < N_SECTIONS; i++) {
		sec = &u->stats.sec[i];
		set_str(sec->kind, sizeof(sec->kind), i == 0 ? "daemon" :
		    "peer");
		set_str(sec->name, sizeof(sec->name), i == 0 ? "node-1" :
		    "node-2");
		for (j = 0; j < N_KV && keys[i][j] != NULL; j++) {
			set_str(sec->kv[j].key, sizeof(sec->kv[j].key),
			    keys[i][j]);
			sec->kv[j].value = 0xb1b2b3b4b5b6b7b0ULL + i * 16 + j;
		}
		sec->nkv = j;
	}
}

static size_t
enc_stats(uint8_t *b, size_t cap, const union msg *u)
{
	const struct stats_section	*sec;
	struct wire_writer		 w;
	uint32_t			 i, j;

	wire_stats_start(&w, b, cap, u->stats.req_id);
	for (i = 0; i < u->stats.nsections; i++) {
		sec = &u->stats.sec[i];
		wire_stats_section(&w, sec->kind, sec->name);
		for (j = 0; j < sec->nkv; j++)
			wire_stats_add(&w, sec->kv[j].key, sec->kv[j].value);
	}
	return (wire_stats_finish(&w));
}

/* Read every section and counter, keeping those that fit the struct. */
static enum wire_status
dec_stats(const uint8_t *b, size_t len, union msg *u)
{
	struct stats_section	 spare, *sec;
	struct wire_reader	 r;
	enum wire_status	 st;
	char			 key[WIRE_ID_MAX + 1];
	uint64_t		 value;
	uint32_t		 i, j;

	st = wire_stats_begin(b, len, &r, &u->stats.req_id,
	    &u->stats.nsections);
	for (i = 0; st == WIRE_OK && i < u->stats.nsections; i++) {
		sec = i < N_SECTIONS ? &u->stats.sec[i] : &spare;
		st = wire_stats_next_section(&r, sec->kind, sec->name,
		    &sec->nkv);
		for (j = 0; st == WIRE_OK && j < sec->nkv; j++)
			st = j < N_KV ? wire_stats_next(&r, sec->kv[j].key,
			    &sec->kv[j].value) :
			    wire_stats_next(&r, key, &value);
	}
	if (st == WIRE_OK)
		st = wire_stats_end(&r);
	return (st);
}

static void
cmp_stats(const union msg *a, const union msg *b)
{
	const struct stats_section	*x, *y;
	uint32_t			 i, j;

	ck_assert_uint_eq(b->stats.req_id, a->stats.req_id);
	ck_assert_uint_eq(b->stats.nsections, a->stats.nsections);
	for (i = 0; i < a->stats.nsections && i < N_SECTIONS; i++) {
		x = &a->stats.sec[i];
		y = &b->stats.sec[i];
		ck_assert_str_eq(y->kind, x->kind);
		ck_assert_str_eq(y->name, x->name);
		ck_assert_uint_eq(y->nkv, x->nkv);
		for (j = 0; j < x->nkv && j < N_KV; j++) {
			ck_assert_str_eq(y->kv[j].key, x->kv[j].key);
			ck_assert_uint_eq(y->kv[j].value, x->kv[j].value);
		}
	}
}

#define KIND(k, ch, tail, f, e)	[K_##k] = { #k, WT_##k, ch, tail, \
	fill_##f, enc_##e, dec_##e, cmp_##f, NULL, 0, 0 }
#define BODY_KIND(k, ch, f, m)	[K_##k] = { #k, WT_##k, ch, TAIL_BODY, \
	fill_##f, enc_##f, dec_##f, cmp_##f, head_##f, \
	offsetof(union msg, m.body), offsetof(union msg, m.body_len) }
#define P	WIRE_PEER
#define L	WIRE_LOCAL
#define R	TAIL_REFUSED

static const struct frame_kind frame_kinds[N_KINDS] = {
	KIND(HELLO, P, TAIL_IGNORED, hello, hello),
	KIND(HELLO_ACK, P, R, ack, ack),
	KIND(ECHO, P, R, echo, echo),
	KIND(BYE, P, R, bye, bye),
	KIND(REFUSE, P, R, refuse, refuse),
	BODY_KIND(DATA, P, data, data),
	KIND(CTL_HELLO, L, R, ctl_hello, ctl_hello),
	KIND(CTL_WELCOME, L, R, welcome, welcome),
	KIND(CTL_ERROR, L, R, error, error),
	KIND(CTL_OK, L, R, req, ok),
	KIND(CTL_MEMBERS_REQ, L, R, req, members_req),
	KIND(CTL_MEMBERS, L, R, members, members),
	KIND(CTL_WATCH, L, R, watch, watch),
	KIND(CTL_EVENT, L, R, event, event),
	KIND(CTL_STATS_REQ, L, R, req, stats_req),
	KIND(CTL_STATS, L, R, stats, stats),
	KIND(CTL_SUB, L, R, sub, sub),
	KIND(CTL_UNSUB, L, R, sub, unsub),
	BODY_KIND(CTL_PUB, L, pub, pub.pub),
	KIND(CTL_PUB_RESULT, L, R, result, result),
	BODY_KIND(CTL_MSG, L, msg, msg),
	BODY_KIND(CTL_REPLY, L, reply, reply),
	KIND(CTL_RELOAD, L, R, req, reload),
	KIND(CTL_LOG_LEVEL, L, R, watch, log_level),
};

#undef P
#undef L
#undef R

/* Encode m into a malloc'ed buffer of exactly the frame's length. */
static uint8_t *
encode_exact(const struct frame_kind *k, const union msg *m, size_t *lenp)
{
	uint8_t	*buf, *f;
	size_t	 len, cap = FRAME_BUF;

	if (k->tail == TAIL_BODY)
		cap += *(const size_t *)(const void *)((const char *)m +
		    k->body_len_off);
	buf = xmalloc(cap);
	len = k->enc(buf, cap, m);
	ck_assert_msg(len >= WIRE_HDR_LEN, "%s: encoding failed", k->name);
	f = dup_exact(buf, len);
	free(buf);
	*lenp = len;
	return (f);
}

/* Decode f into out, first filled with a pattern no sample value uses. */
static enum wire_status
decode(const struct frame_kind *k, const uint8_t *f, size_t len,
    union msg *out)
{
	memset(out, PREFILL, sizeof(*out));
	return (k->dec(f, len, out));
}

/*
 * Encode in, check the header on both channels, decode and compare every
 * field.
 */
static void
roundtrip(const struct frame_kind *k, const union msg *in)
{
	struct wire_hdr	 hdr;
	union msg	 out;
	uint8_t		*f;
	size_t		 len;

	f = encode_exact(k, in, &len);
	ck_assert_int_eq(wire_check_header(f, len, len, k->chan, &hdr),
	    WIRE_OK);
	ck_assert_uint_eq(hdr.type, k->type);
	ck_assert_uint_eq(hdr.len, len);
	ck_assert_int_eq(wire_check_header(f, len, len - 1, k->chan, &hdr),
	    WIRE_BAD_LENGTH);
	ck_assert_int_eq(wire_check_header(f, len, len, other_chan(k->chan),
	    &hdr), WIRE_BAD_TYPE);
	ck_assert_msg(decode(k, f, len, &out) == WIRE_OK, "%s: decoding "
	    "failed", k->name);
	k->cmp(in, &out);
	free(f);
}

/* Encode in; decoding it must fail with WIRE_BAD_BODY. */
static void
decode_fails(const struct frame_kind *k, const union msg *in)
{
	union msg	 out;
	uint8_t		*f;
	size_t		 len;

	f = encode_exact(k, in, &len);
	ck_assert_msg(decode(k, f, len, &out) == WIRE_BAD_BODY,
	    "%s: decoder accepted a bad value", k->name);
	free(f);
}

/* Decode the frame f[0..len) from an exact-size copy: the status. */
static enum wire_status
decode_copy(const struct frame_kind *k, const uint8_t *f, size_t len)
{
	union msg		 out;
	enum wire_status	 st;
	uint8_t			*p;

	p = dup_exact(f, len);
	st = decode(k, p, len, &out);
	free(p);
	return (st);
}

/* The body view of a TAIL_BODY message. */
static const uint8_t **
body_ptr(const struct frame_kind *k, union msg *m)
{
	ck_assert_int_eq(k->tail, TAIL_BODY);
	return ((const uint8_t **)(void *)((char *)m + k->body_off));
}

static size_t *
body_len(const struct frame_kind *k, union msg *m)
{
	ck_assert_int_eq(k->tail, TAIL_BODY);
	return ((size_t *)(void *)((char *)m + k->body_len_off));
}

/*
 * Where string s sits in frame f: the offset of its 16-bit length, which
 * must be followed by its bytes and found exactly once.
 */
static size_t
find_str(const uint8_t *f, size_t len, const char *s)
{
	uint8_t		 pat[2 + WIRE_ADDR_MAX];
	const uint8_t	*p;
	size_t		 n;

	n = strlen(s);
	ck_assert_uint_le(n, WIRE_ADDR_MAX);
	put_be16(pat, (uint16_t)n);
	memcpy(pat + 2, s, n);
	p = memmem(f, len, pat, n + 2);
	ck_assert_msg(p != NULL, "string \"%s\" not in the frame", s);
	ck_assert_ptr_null(memmem(p + 1, len - (size_t)(p + 1 - f), pat,
	    n + 2));
	return ((size_t)(p - f));
}

/*
 * Per frame type: round-trip, and each type's own rules.
 */

START_TEST(test_roundtrip)
{
	const struct frame_kind	*k = &frame_kinds[_i];
	union msg		 in;

	k->fill(&in);
	roundtrip(k, &in);
}
END_TEST

START_TEST(test_hello_versions)
{
	const struct frame_kind	*k = &frame_kinds[K_HELLO];
	union msg		 m;

	k->fill(&m);
	m.hello.min_version = m.hello.version;
	roundtrip(k, &m);
	m.hello.min_version = (uint16_t)(m.hello.version + 1);
	decode_fails(k, &m);
	m.hello.version = 1;
	m.hello.min_version = UINT16_MAX;
	decode_fails(k, &m);
}
END_TEST

START_TEST(test_hello_trailing_allowed)
{
	const struct frame_kind	*k = &frame_kinds[K_HELLO];
	static const size_t	 extra[] = { 1, 7, 300 };
	union msg		 in, out;
	uint8_t			*f, *g;
	size_t			 len, i;

	/* A later version's HELLO: our fields, then more bytes. */
	k->fill(&in);
	f = encode_exact(k, &in, &len);
	for (i = 0; i < NITEMS(extra); i++) {
		g = xmalloc(len + extra[i]);
		memcpy(g, f, len);
		memset(g + len, 0xee, extra[i]);
		set_frame_len(g, len + extra[i]);
		ck_assert_int_eq(decode(k, g, len + extra[i], &out), WIRE_OK);
		k->cmp(&in, &out);
		free(g);
	}
	free(f);
}
END_TEST

START_TEST(test_ctl_hello_versions)
{
	const struct frame_kind	*k = &frame_kinds[K_CTL_HELLO];
	union msg		 m;

	k->fill(&m);
	m.ctl_hello.min_version = m.ctl_hello.version;
	roundtrip(k, &m);
	m.ctl_hello.min_version = (uint16_t)(m.ctl_hello.version + 1);
	decode_fails(k, &m);
}
END_TEST

START_TEST(test_ctl_req_wrong_type)
{
	static const uint32_t	 types[] = { WT_HELLO, WT_CTL_HELLO,
	    WT_CTL_MEMBERS, WT_CTL_WATCH, WT_CTL_LOG_LEVEL, 5, UINT32_MAX };
	struct wire_ctl_req	 req = { 0xd1d2d3d4 };
	uint8_t			 buf[FRAME_BUF], *f;
	size_t			 len, i;

	len = wire_encode_ctl_req(buf, sizeof(buf), WT_CTL_OK, &req);
	ck_assert_uint_eq(len, WIRE_HDR_LEN + 4);
	f = dup_exact(buf, len);
	for (i = 0; i < NITEMS(types); i++) {
		ck_assert_uint_eq(wire_encode_ctl_req(buf, sizeof(buf),
		    types[i], &req), 0);
		ck_assert_int_eq(wire_decode_ctl_req(f, len, types[i], &req),
		    WIRE_BAD_TYPE);
	}
	free(f);
}
END_TEST

START_TEST(test_watch_values)
{
	const struct frame_kind	*k = &frame_kinds[K_CTL_WATCH];
	static const uint8_t	 bad[] = { 2, 3, 0x80, UINT8_MAX };
	union msg		 m;
	size_t			 i;

	k->fill(&m);
	m.watch.on = 0;
	roundtrip(k, &m);
	for (i = 0; i < NITEMS(bad); i++) {
		m.watch.on = bad[i];
		decode_fails(k, &m);
	}
}
END_TEST

START_TEST(test_event_states)
{
	const struct frame_kind	*k = &frame_kinds[K_CTL_EVENT];
	union msg		 m;
	unsigned int		 s;

	k->fill(&m);
	for (s = 0; s <= MEMBER_STATE_MAX; s++) {
		m.event.state = (uint8_t)s;
		m.event.prev_state = (uint8_t)(MEMBER_STATE_MAX - s);
		roundtrip(k, &m);
	}
	k->fill(&m);
	m.event.state = MEMBER_STATE_MAX + 1;
	decode_fails(k, &m);
	m.event.state = UINT8_MAX;
	decode_fails(k, &m);
	k->fill(&m);
	m.event.prev_state = MEMBER_STATE_MAX + 1;
	decode_fails(k, &m);
}
END_TEST

/* The ECHO body on the wire, byte for byte: big-endian throughout. */
START_TEST(test_echo_layout)
{
	static const uint8_t	 want[] = {
		0xfe, 0xed, 0xca, 0xfe, 0xbe, 0xad, 0xde, 0xad,
		0x00, 0x00, 0x00, 0x01,			/* type ECHO */
		0x00, 0x00, 0x00, 0x3c,			/* length 60 */
		/* seq, ts_us, echo_ts_us, hold_us, data_acked */
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
		0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
		0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
		0xf0, 0xe0, 0xd0, 0xc0, 0xb0, 0xa0, 0x90, 0x80,
		0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11,
		0x00, 0x02, 'n', '1'			/* node_id */
	};
	union msg		 m;
	uint8_t			*f;
	size_t			 len;

	fill_echo(&m);
	set_str(m.echo.node_id, sizeof(m.echo.node_id), "n1");
	f = encode_exact(&frame_kinds[K_ECHO], &m, &len);
	ck_assert_uint_eq(len, sizeof(want));
	ck_assert_mem_eq(f, want, sizeof(want));
	free(f);
}
END_TEST

/* CTL_MEMBERS: the list rules. */

/* Encode count copies of the sample members (cycling) into a new buffer. */
static uint8_t *
members_frame(uint32_t count, size_t *lenp)
{
	struct wire_writer	 w;
	struct wire_member	 m;
	uint8_t			*buf;
	size_t			 cap;
	uint32_t		 i;

	cap = WIRE_HDR_LEN + 8 + (size_t)count * FRAME_BUF / 8;
	buf = xmalloc(cap);
	wire_members_start(&w, buf, cap, 0x91929394);
	for (i = 0; i < count; i++) {
		fill_member(&m, i % N_MEMBERS);
		wire_members_add(&w, &m);
	}
	*lenp = wire_members_finish(&w);
	ck_assert_uint_gt(*lenp, 0);
	return (buf);
}

START_TEST(test_members_empty)
{
	const struct frame_kind	*k = &frame_kinds[K_CTL_MEMBERS];
	union msg		 m;

	k->fill(&m);
	m.members.count = 0;
	roundtrip(k, &m);
}
END_TEST

START_TEST(test_members_size)
{
	union msg	 m;
	uint8_t		*f;
	size_t		 len, want, i;

	fill_members(&m);
	f = members_frame(N_MEMBERS, &len);
	want = WIRE_HDR_LEN + 8;
	for (i = 0; i < N_MEMBERS; i++)
		want += wire_member_size(&m.members.m[i]);
	ck_assert_uint_eq(len, want);
	free(f);
}
END_TEST

/* A frame with one member more or fewer than the count says. */
START_TEST(test_members_count_mismatch)
{
	const struct frame_kind	*k = &frame_kinds[K_CTL_MEMBERS];
	static const uint32_t	 counts[] = { 0, N_MEMBERS - 1,
	    N_MEMBERS + 1, N_MEMBERS + 100, WIRE_MEMBERS_MAX,
	    WIRE_MEMBERS_MAX + 1, 0x10000000, UINT32_MAX };
	uint8_t			*f;
	size_t			 len, i;

	f = members_frame(N_MEMBERS, &len);
	for (i = 0; i < NITEMS(counts); i++) {
		put_be32(f + WIRE_HDR_LEN + 4, counts[i]);
		ck_assert_msg(decode_copy(k, f, len) == WIRE_BAD_BODY,
		    "count %u accepted for %u members", counts[i], N_MEMBERS);
	}
	free(f);
}
END_TEST

/* WIRE_MEMBERS_MAX members fit a control frame; one more is refused. */
START_TEST(test_members_max)
{
	const struct frame_kind	*k = &frame_kinds[K_CTL_MEMBERS];
	struct wire_writer	 w;
	struct wire_member	 m;
	struct wire_hdr		 hdr;
	uint8_t			*f;
	size_t			 len, cap;
	uint32_t		 i;

	/* The largest possible list: every string at its maximum. */
	cap = WIRE_CTL_FRAME_MAX + 1;
	f = xmalloc(cap);
	memset(&m, 0, sizeof(m));
	fill_member(&m, 0);
	memset(m.id, 'i', WIRE_ID_MAX);
	memset(m.address, 'a', WIRE_ADDR_MAX);
	wire_members_start(&w, f, cap, 1);
	for (i = 0; i < WIRE_MEMBERS_MAX; i++)
		wire_members_add(&w, &m);
	len = wire_members_finish(&w);
	ck_assert_uint_gt(len, 0);
	ck_assert_int_eq(wire_check_header(f, len, WIRE_CTL_FRAME_MAX,
	    WIRE_LOCAL, &hdr), WIRE_OK);
	ck_assert_int_eq(decode_copy(k, f, len), WIRE_OK);

	/* The encoder refuses a 1025th member... */
	wire_members_start(&w, f, cap, 1);
	for (i = 0; i < WIRE_MEMBERS_MAX + 1; i++)
		wire_members_add(&w, &m);
	ck_assert_uint_eq(wire_members_finish(&w), 0);
	/* ...and the decoder a count over the maximum, even with the bytes. */
	ck_assert(!w.full);
	wire_put_header(f, WT_CTL_MEMBERS, (uint32_t)w.len);
	put_be32(f + WIRE_HDR_LEN + 4, WIRE_MEMBERS_MAX + 1);
	ck_assert_int_eq(decode_copy(k, f, w.len), WIRE_BAD_BODY);
	free(f);
}
END_TEST

START_TEST(test_members_bad_state)
{
	const struct frame_kind	*k = &frame_kinds[K_CTL_MEMBERS];
	union msg		 m;
	unsigned int		 i;

	for (i = 0; i < N_MEMBERS; i++) {
		k->fill(&m);
		m.members.m[i].state = MEMBER_STATE_MAX + 1;
		decode_fails(k, &m);
		m.members.m[i].state = UINT8_MAX;
		decode_fails(k, &m);
	}
}
END_TEST

/* CTL_STATS: sections of counters. */

START_TEST(test_stats_empty)
{
	const struct frame_kind	*k = &frame_kinds[K_CTL_STATS];
	union msg		 m;

	k->fill(&m);
	m.stats.nsections = 0;
	roundtrip(k, &m);
	k->fill(&m);
	m.stats.sec[0].nkv = 0;
	roundtrip(k, &m);
}
END_TEST

/* A frame of nsec sections of nkv counters each, or 0 from finish. */
static size_t
stats_frame(uint8_t *buf, size_t cap, uint32_t nsec, uint32_t nkv)
{
	struct wire_writer	w;
	uint32_t		i, j;

	wire_stats_start(&w, buf, cap, 7);
	for (i = 0; i < nsec; i++) {
		wire_stats_section(&w, "peer", "p");
		for (j = 0; j < nkv; j++)
			wire_stats_add(&w, "k", j + 1);
	}
	return (wire_stats_finish(&w));
}

START_TEST(test_stats_limits)
{
	const struct frame_kind	*k = &frame_kinds[K_CTL_STATS];
	struct wire_writer	 w;
	uint8_t			*buf;
	size_t			 cap = 64 * 1024, len;

	buf = xmalloc(cap);
	/* The most counters and sections there may be. */
	len = stats_frame(buf, cap, 1, WIRE_STATS_KV_MAX);
	ck_assert_uint_gt(len, 0);
	ck_assert_int_eq(decode_copy(k, buf, len), WIRE_OK);
	len = stats_frame(buf, cap, WIRE_STATS_SECTIONS_MAX, 0);
	ck_assert_uint_gt(len, 0);
	ck_assert_int_eq(decode_copy(k, buf, len), WIRE_OK);
	/* One more is refused. */
	ck_assert_uint_eq(stats_frame(buf, cap, 1, WIRE_STATS_KV_MAX + 1), 0);
	ck_assert_uint_eq(stats_frame(buf, cap, WIRE_STATS_SECTIONS_MAX + 1,
	    0), 0);
	/* A counter needs a section to belong to. */
	wire_stats_start(&w, buf, cap, 7);
	wire_stats_add(&w, "orphan", 1);
	ck_assert_uint_eq(wire_stats_finish(&w), 0);
	free(buf);
}
END_TEST

/*
 * One counter or section over the maximum, with all of its bytes there,
 * appended by hand since the encoder will not write it.
 */
static void
stats_over_max(uint32_t nsec, uint32_t nkv, const uint8_t *extra,
    size_t extra_len, size_t count_off, uint32_t count)
{
	uint8_t	*buf;
	size_t	 cap = 64 * 1024, len;

	buf = xmalloc(cap);
	len = stats_frame(buf, cap, nsec, nkv);
	ck_assert_uint_gt(len, 0);
	ck_assert_uint_le(len + extra_len, cap);
	memcpy(buf + len, extra, extra_len);
	len += extra_len;
	set_frame_len(buf, len);
	put_be32(buf + count_off, count);
	ck_assert_int_eq(decode_copy(&frame_kinds[K_CTL_STATS], buf, len),
	    WIRE_BAD_BODY);
	free(buf);
}

START_TEST(test_stats_over_max_decode)
{
	static const uint8_t	counter[] = { 0, 1, 'k', 1, 2, 3, 4, 5, 6,
	    7, 8 };
	static const uint8_t	section[] = { 0, 4, 'p', 'e', 'e', 'r',
	    0, 1, 'p', 0, 0, 0, 0 };

	/* The only section's count sits after "peer" and "p". */
	stats_over_max(1, WIRE_STATS_KV_MAX, counter, sizeof(counter),
	    WIRE_HDR_LEN + 8 + 2 + 4 + 2 + 1, WIRE_STATS_KV_MAX + 1);
	stats_over_max(WIRE_STATS_SECTIONS_MAX, 0, section, sizeof(section),
	    WIRE_HDR_LEN + 4, WIRE_STATS_SECTIONS_MAX + 1);
}
END_TEST

/* Section and counter counts that disagree with the bytes. */
START_TEST(test_stats_count_mismatch)
{
	const struct frame_kind	*k = &frame_kinds[K_CTL_STATS];
	static const uint32_t	 nsec[] = { 0, N_SECTIONS - 1,
	    N_SECTIONS + 1, WIRE_STATS_SECTIONS_MAX,
	    WIRE_STATS_SECTIONS_MAX + 1, UINT32_MAX };
	static const uint32_t	 nkv[] = { 0, N_KV - 1, N_KV + 1,
	    WIRE_STATS_KV_MAX, WIRE_STATS_KV_MAX + 1, UINT32_MAX };
	union msg		 m;
	uint8_t			*f;
	size_t			 len, off, i;

	k->fill(&m);
	f = encode_exact(k, &m, &len);
	for (i = 0; i < NITEMS(nsec); i++) {
		put_be32(f + WIRE_HDR_LEN + 4, nsec[i]);
		ck_assert_msg(decode_copy(k, f, len) == WIRE_BAD_BODY,
		    "%u sections accepted for %u", nsec[i], N_SECTIONS);
	}
	put_be32(f + WIRE_HDR_LEN + 4, N_SECTIONS);
	/* The first section's counter count follows its name. */
	off = find_str(f, len, m.stats.sec[0].name) + 2 +
	    strlen(m.stats.sec[0].name);
	for (i = 0; i < NITEMS(nkv); i++) {
		put_be32(f + off, nkv[i]);
		ck_assert_msg(decode_copy(k, f, len) == WIRE_BAD_BODY,
		    "%u counters accepted for %u", nkv[i], m.stats.sec[0].nkv);
	}
	free(f);
}
END_TEST

/* Frames with a body. */

static const enum kind_id body_kinds[] = { K_DATA, K_CTL_PUB, K_CTL_MSG,
    K_CTL_REPLY };

/*
 * A head encoded alone announces the body sent after it: head and body
 * together are the frame the whole encoder writes.
 */
START_TEST(test_body_head)
{
	const struct frame_kind	*k = &frame_kinds[body_kinds[_i]];
	struct wire_hdr		 hdr;
	union msg		 in;
	uint8_t			*full, *buf;
	size_t			 len, head, blen;

	k->fill(&in);
	full = encode_exact(k, &in, &len);
	blen = *body_len(k, &in);
	buf = xmalloc(len);
	head = k->head(buf, len - blen, &in, blen);
	ck_assert_uint_eq(head, len - blen);
	memcpy(buf + head, *body_ptr(k, &in), blen);
	ck_assert_mem_eq(buf, full, len);
	ck_assert_uint_eq(k->head(buf, head - 1, &in, blen), 0);
	/* The length field is 32 bits: the most a body may announce. */
	ck_assert_uint_eq(k->head(buf, head, &in, UINT32_MAX - head), head);
	ck_assert_int_eq(wire_check_header(buf, head, UINT32_MAX, k->chan,
	    &hdr), WIRE_OK);
	ck_assert_uint_eq(hdr.len, UINT32_MAX);
	ck_assert_uint_eq(k->head(buf, head, &in, UINT32_MAX - head + 1), 0);
	ck_assert_uint_eq(k->head(buf, head, &in, SIZE_MAX), 0);
	free(buf);
	free(full);
}
END_TEST

/* Empty bodies, and bodies longer than any 16-bit length. */
START_TEST(test_body_sizes)
{
	const struct frame_kind	*k = &frame_kinds[body_kinds[_i]];
	union msg		 m;
	uint8_t			*big;
	size_t			 i, n = 70000;

	k->fill(&m);
	*body_len(k, &m) = 0;
	roundtrip(k, &m);
	big = xmalloc(n);
	for (i = 0; i < n; i++)
		big[i] = (uint8_t)(i * 7);
	*body_ptr(k, &m) = big;
	*body_len(k, &m) = n;
	roundtrip(k, &m);
	free(big);
}
END_TEST

/* DATA and CTL_MSG carry DATA_* flags and nothing else. */
static void
check_data_flags(enum kind_id id, uint32_t *flags, union msg *m)
{
	static const uint32_t	 bad[] = { DATA_FLAGS_ALL + 1, 0x100,
	    0x80000000U, UINT32_MAX };
	const struct frame_kind	*k = &frame_kinds[id];
	size_t			 i;

	*flags = 0;
	roundtrip(k, m);
	*flags = DATA_FLAGS_ALL;
	roundtrip(k, m);
	for (i = 0; i < NITEMS(bad); i++) {
		*flags = bad[i];
		decode_fails(k, m);
	}
}

START_TEST(test_data_flags)
{
	union msg	m;

	fill_data(&m);
	check_data_flags(K_DATA, &m.data.flags, &m);
	fill_msg(&m);
	check_data_flags(K_CTL_MSG, &m.msg.flags, &m);
}
END_TEST

START_TEST(test_sub_wrong_type)
{
	static const uint32_t	 types[] = { WT_CTL_OK, WT_CTL_PUB,
	    WT_DATA, 5000, UINT32_MAX };
	struct wire_ctl_sub	 sub;
	uint8_t			 buf[FRAME_BUF];
	size_t			 i;

	memset(&sub, 0, sizeof(sub));
	set_str(sub.pattern, sizeof(sub.pattern), "a.b");
	for (i = 0; i < NITEMS(types); i++)
		ck_assert_uint_eq(wire_encode_ctl_sub(buf, sizeof(buf),
		    types[i], &sub), 0);
}
END_TEST

/* CTL_PUB: how it is addressed must make sense. */
START_TEST(test_pub_addressing)
{
	static const struct {
		uint8_t		 mode;
		uint32_t	 flags;
		uint16_t	 ntargets;
		int		 ok;
	} cases[] = {
		{ PUB_UNICAST,	 0,			1, 1 },
		{ PUB_UNICAST,	 PUB_REQUEST | PUB_ACK,	1, 1 },
		{ PUB_MULTICAST, PUB_ACK,		2, 1 },
		{ PUB_BROADCAST, PUB_SELF,		0, 1 },
		{ PUB_BROADCAST, PUB_FLAGS_ALL & ~PUB_REQUEST, 0, 1 },
		{ 0,		 0,			1, 0 },
		{ PUB_BROADCAST + 1, 0,			0, 0 },
		{ UINT8_MAX,	 0,			0, 0 },
		{ PUB_UNICAST,	 0,			0, 0 },
		{ PUB_UNICAST,	 0,			2, 0 },
		{ PUB_BROADCAST, 0,			1, 0 },
		{ PUB_MULTICAST, PUB_REQUEST,		3, 0 },
		{ PUB_BROADCAST, PUB_REQUEST,		0, 0 },
		{ PUB_UNICAST,	 PUB_FLAGS_ALL + 1,	1, 0 },
		{ PUB_UNICAST,	 0x80000000U,		1, 0 },
	};
	const struct frame_kind	*k = &frame_kinds[K_CTL_PUB];
	union msg		 m;
	size_t			 i;

	for (i = 0; i < NITEMS(cases); i++) {
		k->fill(&m);
		m.pub.pub.mode = cases[i].mode;
		m.pub.pub.flags = cases[i].flags;
		m.pub.pub.ntargets = cases[i].ntargets;
		if (cases[i].ok)
			roundtrip(k, &m);
		else
			decode_fails(k, &m);
	}
}
END_TEST

START_TEST(test_pub_targets)
{
	const struct frame_kind	*k = &frame_kinds[K_CTL_PUB];
	const char		**many;
	char			 longid[WIRE_ID_MAX + 2];
	union msg		 m;
	uint8_t			*f, *buf;
	size_t			 len, off, cap, i;

	/* A target id over the maximum is not encoded. */
	k->fill(&m);
	memset(longid, 'T', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	m.pub.targets[1] = longid;
	buf = xmalloc(FRAME_BUF);
	ck_assert_uint_eq(k->enc(buf, FRAME_BUF, &m), 0);
	free(buf);

	/* A NUL inside a target id is refused. */
	k->fill(&m);
	f = encode_exact(k, &m, &len);
	off = find_str(f, len, m.pub.targets[1]);
	f[off + 3] = '\0';
	ck_assert_int_eq(decode_copy(k, f, len), WIRE_BAD_BODY);
	free(f);

	/* As many targets as there are members, and one more. */
	many = calloc(WIRE_TARGETS_MAX + 1, sizeof(*many));
	ck_assert_ptr_nonnull(many);
	for (i = 0; i <= WIRE_TARGETS_MAX; i++)
		many[i] = "x";
	cap = WIRE_HDR_LEN + 64 + (WIRE_TARGETS_MAX + 1) * 3;
	buf = xmalloc(cap);
	k->fill(&m);
	m.pub.pub.body_len = 0;
	m.pub.pub.ntargets = WIRE_TARGETS_MAX;
	len = wire_encode_ctl_pub(buf, cap, &m.pub.pub, many);
	ck_assert_uint_gt(len, 0);
	ck_assert_int_eq(decode_copy(k, buf, len), WIRE_OK);
	m.pub.pub.ntargets = WIRE_TARGETS_MAX + 1;
	len = wire_encode_ctl_pub(buf, cap, &m.pub.pub, many);
	ck_assert_msg(len == 0 || decode_copy(k, buf, len) == WIRE_BAD_BODY,
	    "%u targets encoded and decoded", WIRE_TARGETS_MAX + 1);
	free(buf);
	free(many);
}
END_TEST

/* CTL_PUB_RESULT: the list of nodes not reached. */

START_TEST(test_result_empty)
{
	const struct frame_kind	*k = &frame_kinds[K_CTL_PUB_RESULT];
	union msg		 m;

	k->fill(&m);
	m.result.count = 0;
	roundtrip(k, &m);
}
END_TEST

START_TEST(test_result_count_mismatch)
{
	const struct frame_kind	*k = &frame_kinds[K_CTL_PUB_RESULT];
	static const uint32_t	 counts[] = { 0, N_UNREACHED - 1,
	    N_UNREACHED + 1, 100, WIRE_TARGETS_MAX, WIRE_TARGETS_MAX + 1,
	    UINT32_MAX };
	union msg		 m;
	uint8_t			*f;
	size_t			 len, i;

	k->fill(&m);
	f = encode_exact(k, &m, &len);
	for (i = 0; i < NITEMS(counts); i++) {
		put_be32(f + WIRE_HDR_LEN + 8, counts[i]);
		ck_assert_msg(decode_copy(k, f, len) == WIRE_BAD_BODY,
		    "count %u accepted for %u", counts[i], N_UNREACHED);
	}
	free(f);
}
END_TEST

START_TEST(test_result_max)
{
	const struct frame_kind	*k = &frame_kinds[K_CTL_PUB_RESULT];
	static const uint8_t	 extra[] = { 0, 1, 'x', 0, 0, 0, 14 };
	struct wire_unreached	 u;
	struct wire_writer	 w;
	uint8_t			*buf;
	size_t			 cap, len;
	uint32_t		 i;

	memset(&u, 0, sizeof(u));
	set_str(u.node, sizeof(u.node), "x");
	u.reason = REASON_NODE_DOWN;
	cap = WIRE_HDR_LEN + 12 + (WIRE_TARGETS_MAX + 2) * sizeof(extra);
	buf = xmalloc(cap);
	wire_result_start(&w, buf, cap, 1, 2);
	for (i = 0; i < WIRE_TARGETS_MAX; i++)
		wire_result_add(&w, &u);
	len = wire_result_finish(&w);
	ck_assert_uint_gt(len, 0);
	ck_assert_int_eq(decode_copy(k, buf, len), WIRE_OK);
	/* One more: the encoder refuses, the decoder too, bytes and all. */
	wire_result_start(&w, buf, cap, 1, 2);
	for (i = 0; i <= WIRE_TARGETS_MAX; i++)
		wire_result_add(&w, &u);
	ck_assert_uint_eq(wire_result_finish(&w), 0);
	memcpy(buf + len, extra, sizeof(extra));
	len += sizeof(extra);
	set_frame_len(buf, len);
	put_be32(buf + WIRE_HDR_LEN + 8, WIRE_TARGETS_MAX + 1);
	ck_assert_int_eq(decode_copy(k, buf, len), WIRE_BAD_BODY);
	free(buf);
}
END_TEST

/*
 * Header: marker, length, type, channel.
 */

/* A bare 16-byte header in an exact-size buffer. */
static uint8_t *
header_frame(uint32_t type, uint32_t len)
{
	uint8_t	*f;

	f = xmalloc(WIRE_HDR_LEN);
	wire_put_header(f, type, len);
	return (f);
}

static enum wire_status
check_hdr(const uint8_t *f, size_t maxlen, enum wire_channel chan)
{
	struct wire_hdr	hdr;

	return (wire_check_header(f, WIRE_HDR_LEN, maxlen, chan, &hdr));
}

START_TEST(test_header_layout)
{
	static const uint8_t	 want[WIRE_HDR_LEN] = {
		0xfe, 0xed, 0xca, 0xfe, 0xbe, 0xad, 0xde, 0xad,
		0x01, 0x02, 0x03, 0x04, 0x0a, 0x0b, 0x0c, 0x0d
	};
	uint8_t			*f;

	f = header_frame(0x01020304, 0x0a0b0c0d);
	ck_assert_mem_eq(f, want, WIRE_HDR_LEN);
	free(f);
	/* The seed's numbering, which other implementations speak. */
	ck_assert_int_eq(WT_HELLO, 0);
	ck_assert_int_eq(WT_ECHO, 1);
	ck_assert_uint_eq(WIRE_HDR_LEN, 16);
}
END_TEST

START_TEST(test_header_marker)
{
	uint8_t		*f;
	unsigned int	 i, bit;

	f = header_frame(WT_HELLO, WIRE_HDR_LEN);
	ck_assert_int_eq(check_hdr(f, WIRE_FRAME_CEILING, WIRE_PEER), WIRE_OK);
	for (i = 0; i < 8; i++) {
		f[i] ^= 0xff;
		ck_assert_int_eq(check_hdr(f, WIRE_FRAME_CEILING, WIRE_PEER),
		    WIRE_BAD_MARKER);
		f[i] ^= 0xff;
		for (bit = 0; bit < 8; bit++) {
			f[i] ^= (uint8_t)(1U << bit);
			ck_assert_int_eq(check_hdr(f, WIRE_FRAME_CEILING,
			    WIRE_PEER), WIRE_BAD_MARKER);
			f[i] ^= (uint8_t)(1U << bit);
		}
	}
	/* The marker is checked before the length and the type. */
	f[0] = 0;
	put_be32(f + 8, 5);
	set_frame_len(f, 0);
	ck_assert_int_eq(check_hdr(f, WIRE_FRAME_CEILING, WIRE_PEER),
	    WIRE_BAD_MARKER);
	free(f);
}
END_TEST

START_TEST(test_header_length)
{
	static const struct {
		uint32_t		len;
		size_t			max;
		enum wire_status	want;
	} cases[] = {
#define CEIL	WIRE_FRAME_CEILING
#define BAD	WIRE_BAD_LENGTH
		{ 0, CEIL, BAD }, { 1, CEIL, BAD }, { 15, CEIL, BAD },
		{ 16, CEIL, WIRE_OK }, { 16, 16, WIRE_OK }, { 17, 16, BAD },
		{ 1000, 1000, WIRE_OK }, { 1001, 1000, BAD },
		{ CEIL, CEIL, WIRE_OK }, { CEIL + 1, CEIL, BAD },
		{ 0x80000000U, CEIL, BAD },
		{ 0x80000000U, WIRE_CTL_FRAME_MAX, BAD },
		{ UINT32_MAX, CEIL, BAD },
		{ UINT32_MAX, WIRE_CTL_FRAME_MAX, BAD },
#undef CEIL
#undef BAD
	};
	uint8_t	*f;
	size_t	 i;

	for (i = 0; i < NITEMS(cases); i++) {
		f = header_frame(WT_CTL_OK, cases[i].len);
		ck_assert_msg(check_hdr(f, cases[i].max, WIRE_LOCAL) ==
		    cases[i].want, "length %u, max %zu: expected %s",
		    cases[i].len, cases[i].max,
		    wire_status_name(cases[i].want));
		free(f);
	}
	/* The length is checked before the type. */
	f = header_frame(5, 0);
	ck_assert_int_eq(check_hdr(f, WIRE_FRAME_CEILING, WIRE_PEER),
	    WIRE_BAD_LENGTH);
	free(f);
}
END_TEST

/*
 * Types no frame has: the gap between the peer types (0 to 63) and the
 * local ones (256 and up), far values, and the first value past each
 * range in use, which the next type added will take with its own tests.
 */
static const uint32_t unknown_fixed[] = { 64, 100, 255, 0x10000,
    0x80000000U, UINT32_MAX };
#define N_UNKNOWN	(NITEMS(unknown_fixed) + 2)

static uint32_t
next_unused(enum wire_channel chan)
{
	uint32_t	next = chan == WIRE_PEER ? 0 : 256;
	size_t		k;

	for (k = 0; k < N_KINDS; k++)
		if (frame_kinds[k].chan == chan && frame_kinds[k].type >= next)
			next = frame_kinds[k].type + 1;
	return (next);
}

static void
unknown_types(uint32_t types[N_UNKNOWN])
{
	memcpy(types, unknown_fixed, sizeof(unknown_fixed));
	types[N_UNKNOWN - 2] = next_unused(WIRE_PEER);
	types[N_UNKNOWN - 1] = next_unused(WIRE_LOCAL);
	ck_assert_uint_lt(types[N_UNKNOWN - 2], 64);
}

START_TEST(test_header_unknown_type)
{
	uint32_t	 types[N_UNKNOWN];
	uint8_t		*f;
	size_t		 i;

	unknown_types(types);
	for (i = 0; i < NITEMS(types); i++) {
		f = header_frame(types[i], WIRE_HDR_LEN + 4);
		ck_assert_msg(check_hdr(f, WIRE_FRAME_CEILING, WIRE_PEER) ==
		    WIRE_BAD_TYPE, "type %u accepted on WIRE_PEER", types[i]);
		ck_assert_msg(check_hdr(f, WIRE_FRAME_CEILING, WIRE_LOCAL) ==
		    WIRE_BAD_TYPE, "type %u accepted on WIRE_LOCAL", types[i]);
		free(f);
	}
}
END_TEST

/* Every known type on its own channel only. */
START_TEST(test_header_channel)
{
	static const struct {
		uint32_t		type;
		enum wire_channel	chan;
	} types[] = {
#define X(n, v, c)	{ v, c },
		WIRE_TYPES(X)
#undef X
	};
	uint8_t	*f;
	size_t	 i;

	for (i = 0; i < NITEMS(types); i++) {
		f = header_frame(types[i].type, 100);
		ck_assert_int_eq(check_hdr(f, 100, types[i].chan), WIRE_OK);
		ck_assert_int_eq(check_hdr(f, 100, other_chan(types[i].chan)),
		    WIRE_BAD_TYPE);
		free(f);
	}
	ck_assert_msg(NITEMS(types) == N_KINDS, "proto.h has %zu types, "
	    "frame_kinds[] %d: give the new type its row and tests",
	    NITEMS(types), N_KINDS);
}
END_TEST

/*
 * Truncation: every prefix of every frame type, with the header's length
 * patched to the prefix, is incomplete to the header check below 16 bytes
 * and a bad body to the decoder; except that a frame with a body cut
 * inside its body is a whole frame with a shorter body.
 */
START_TEST(test_truncated)
{
	const struct frame_kind	*k = &frame_kinds[_i];
	struct wire_hdr		 hdr;
	enum wire_status	 st;
	union msg		 in, out;
	uint8_t			*full, *f;
	size_t			 len, head, n;

	k->fill(&in);
	full = encode_exact(k, &in, &len);
	head = k->tail == TAIL_BODY ? len - *body_len(k, &in) : len;
	for (n = 0; n < len; n++) {
		f = dup_exact(full, n);
		if (n >= WIRE_HDR_LEN)
			set_frame_len(f, n);
		st = wire_check_header(f, n, WIRE_FRAME_CEILING, k->chan, &hdr);
		if (n < WIRE_HDR_LEN)
			ck_assert_int_eq(st, WIRE_SHORT);
		else {
			ck_assert_int_eq(st, WIRE_OK);
			ck_assert_uint_eq(hdr.type, k->type);
			ck_assert_uint_eq(hdr.len, n);
		}
		st = decode(k, f, n, &out);
		if (n < head)
			ck_assert_msg(st == WIRE_BAD_BODY, "%s: a %zu-byte "
			    "prefix of %zu decoded", k->name, n, len);
		else {
			ck_assert_int_eq(st, WIRE_OK);
			ck_assert_uint_eq(*body_len(k, &out), n - head);
		}
		free(f);
	}
	free(full);
}
END_TEST

/*
 * Encoder bounds: every capacity below the frame's length returns 0 and
 * writes nothing past it; the exact length fits.
 */
#define GUARD_LEN	32
#define GUARD_BYTE	0xa5

START_TEST(test_encode_nospace)
{
	const struct frame_kind	*k = &frame_kinds[_i];
	union msg		 in;
	uint8_t			*full, *buf;
	size_t			 len, cap, i;

	k->fill(&in);
	full = encode_exact(k, &in, &len);
	for (cap = 0; cap < len; cap++) {
		/* Guard bytes past cap catch writes without a sanitizer... */
		buf = xmalloc(cap + GUARD_LEN);
		memset(buf, GUARD_BYTE, cap + GUARD_LEN);
		ck_assert_msg(k->enc(buf, cap, &in) == 0,
		    "%s: encoded into %zu of %zu bytes", k->name, cap, len);
		for (i = cap; i < cap + GUARD_LEN; i++)
			ck_assert_msg(buf[i] == GUARD_BYTE, "%s: cap %zu, "
			    "byte %zu written", k->name, cap, i);
		free(buf);
		/* ...and an exact-size buffer lets ASan/valgrind see them. */
		buf = xmalloc(cap);
		ck_assert_uint_eq(k->enc(buf, cap, &in), 0);
		free(buf);
	}
	buf = xmalloc(len);
	ck_assert_uint_eq(k->enc(buf, len, &in), len);
	ck_assert_mem_eq(buf, full, len);
	free(buf);
	free(full);
}
END_TEST

/*
 * Trailing bytes: refused by every type but HELLO, which ignores them, and
 * frames with a body, where they are body.
 */
START_TEST(test_trailing)
{
	const struct frame_kind	*k = &frame_kinds[_i];
	struct wire_hdr		 hdr;
	union msg		 in, want, out;
	uint8_t			*full, *f;
	size_t			 len;

	k->fill(&in);
	full = encode_exact(k, &in, &len);
	f = xmalloc(len + 1);
	memcpy(f, full, len);
	f[len] = 0;
	set_frame_len(f, len + 1);
	ck_assert_int_eq(wire_check_header(f, len + 1, WIRE_FRAME_CEILING,
	    k->chan, &hdr), WIRE_OK);
	want = in;
	switch (k->tail) {
	case TAIL_REFUSED:
		ck_assert_msg(decode(k, f, len + 1, &out) == WIRE_BAD_BODY,
		    "%s: trailing byte accepted", k->name);
		break;
	case TAIL_BODY:
		*body_ptr(k, &want) = f + len - *body_len(k, &in);
		*body_len(k, &want) += 1;
		/* FALLTHROUGH */
	case TAIL_IGNORED:
		ck_assert_int_eq(decode(k, f, len + 1, &out), WIRE_OK);
		k->cmp(&want, &out);
		break;
	}
	free(f);
	free(full);
}
END_TEST

/*
 * Strings: every string field of every type, at its limits and malformed
 * on the wire.
 */
struct str_field {
	enum kind_id	 kind;
	const char	*name;
	size_t		 off;		/* in union msg */
	size_t		 max;
	int		 nonempty;	/* the decoder refuses "" */
};

#define STR(k, f, max, ne)	{ K_##k, #f, offsetof(union msg, f), max, ne }

static const struct str_field str_fields[] = {
	STR(HELLO, hello.cluster, WIRE_ID_MAX, 0),
	STR(HELLO, hello.node_id, WIRE_ID_MAX, 1),
	STR(HELLO, hello.address, WIRE_ADDR_MAX, 0),
	STR(HELLO_ACK, ack.node_id, WIRE_ID_MAX, 0),
	STR(ECHO, echo.node_id, WIRE_ID_MAX, 0),
	STR(BYE, bye.node_id, WIRE_ID_MAX, 0),
	STR(BYE, bye.text, WIRE_TEXT_MAX, 0),
	STR(REFUSE, refuse.text, WIRE_TEXT_MAX, 0),
	STR(CTL_HELLO, ctl_hello.name, WIRE_ID_MAX, 0),
	STR(CTL_WELCOME, welcome.cluster, WIRE_ID_MAX, 0),
	STR(CTL_WELCOME, welcome.node_id, WIRE_ID_MAX, 0),
	STR(CTL_ERROR, error.text, WIRE_TEXT_MAX, 0),
	STR(CTL_EVENT, event.node, WIRE_ID_MAX, 0),
	STR(CTL_MEMBERS, members.m[0].id, WIRE_ID_MAX, 0),
	STR(CTL_MEMBERS, members.m[0].address, WIRE_ADDR_MAX, 0),
	STR(CTL_MEMBERS, members.m[2].id, WIRE_ID_MAX, 0),
	STR(CTL_MEMBERS, members.m[2].address, WIRE_ADDR_MAX, 0),
	STR(CTL_STATS, stats.sec[0].kind, WIRE_ID_MAX, 0),
	STR(CTL_STATS, stats.sec[0].name, WIRE_ID_MAX, 0),
	STR(CTL_STATS, stats.sec[1].kv[1].key, WIRE_ID_MAX, 0),
	STR(DATA, data.origin, WIRE_ID_MAX, 1),
	STR(DATA, data.subject, WIRE_SUBJECT_MAX, 1),
	STR(CTL_SUB, sub.pattern, WIRE_SUBJECT_MAX, 0),
	STR(CTL_UNSUB, sub.pattern, WIRE_SUBJECT_MAX, 0),
	STR(CTL_PUB, pub.pub.subject, WIRE_SUBJECT_MAX, 0),
	STR(CTL_PUB_RESULT, result.u[0].node, WIRE_ID_MAX, 0),
	STR(CTL_PUB_RESULT, result.u[1].node, WIRE_ID_MAX, 0),
	STR(CTL_MSG, msg.origin, WIRE_ID_MAX, 0),
	STR(CTL_MSG, msg.subject, WIRE_SUBJECT_MAX, 0),
};

static char *
field_of(union msg *m, const struct str_field *sf)
{
	return ((char *)m + sf->off);
}

/* The sample message of the field's type, the field set to c x n. */
static void
fill_with_field(const struct str_field *sf, union msg *m, char c, size_t n)
{
	char	*s;

	frame_kinds[sf->kind].fill(m);
	s = field_of(m, sf);
	memset(s, c, n);
	s[n] = '\0';
}

START_TEST(test_str_max_roundtrip)
{
	const struct str_field	*sf = &str_fields[_i];
	union msg		 m;

	fill_with_field(sf, &m, 'M', sf->max);
	roundtrip(&frame_kinds[sf->kind], &m);
}
END_TEST

START_TEST(test_str_too_long_encode)
{
	const struct str_field	*sf = &str_fields[_i];
	const struct frame_kind	*k = &frame_kinds[sf->kind];
	union msg		 m;
	uint8_t			*buf;

	/* max + 1 bytes and no terminator: the field is full to its end. */
	k->fill(&m);
	memset(field_of(&m, sf), 'L', sf->max + 1);
	buf = xmalloc(FRAME_BUF);
	ck_assert_msg(k->enc(buf, FRAME_BUF, &m) == 0,
	    "%s: %zu bytes encoded", sf->name, sf->max + 1);
	free(buf);
}
END_TEST

START_TEST(test_str_empty)
{
	const struct str_field	*sf = &str_fields[_i];
	union msg		 m;

	fill_with_field(sf, &m, 'E', 0);
	if (sf->nonempty)
		decode_fails(&frame_kinds[sf->kind], &m);
	else
		roundtrip(&frame_kinds[sf->kind], &m);
}
END_TEST

/* A NUL byte at any position of the string is refused. */
START_TEST(test_str_embedded_nul)
{
	const struct str_field	*sf = &str_fields[_i];
	const struct frame_kind	*k = &frame_kinds[sf->kind];
	union msg		 m;
	uint8_t			*f;
	size_t			 len, off, n, i;

	k->fill(&m);
	f = encode_exact(k, &m, &len);
	off = find_str(f, len, field_of(&m, sf));
	n = strlen(field_of(&m, sf));
	ck_assert_uint_gt(n, 0);
	for (i = 0; i < n; i++) {
		f[off + 2 + i] = '\0';
		ck_assert_msg(decode_copy(k, f, len) == WIRE_BAD_BODY,
		    "%s: NUL at %zu accepted", sf->name, i);
		f[off + 2 + i] = (uint8_t)field_of(&m, sf)[i];
	}
	ck_assert_int_eq(decode_copy(k, f, len), WIRE_OK);
	free(f);
}
END_TEST

/* A string length past the end of the frame, or past the field's max. */
START_TEST(test_str_bad_length)
{
	const struct str_field	*sf = &str_fields[_i];
	const struct frame_kind	*k = &frame_kinds[sf->kind];
	union msg		 m;
	uint8_t			*f;
	size_t			 len, off, rest;

	k->fill(&m);
	f = encode_exact(k, &m, &len);
	off = find_str(f, len, field_of(&m, sf));
	rest = len - off - 2;
	put_be16(f + off, (uint16_t)(rest + 1));
	ck_assert_int_eq(decode_copy(k, f, len), WIRE_BAD_BODY);
	put_be16(f + off, UINT16_MAX);
	ck_assert_int_eq(decode_copy(k, f, len), WIRE_BAD_BODY);
	put_be16(f + off, (uint16_t)(sf->max + 1));
	ck_assert_int_eq(decode_copy(k, f, len), WIRE_BAD_BODY);
	free(f);
}
END_TEST

/*
 * A well-formed string of max + 1 bytes (the bytes are all there): refused,
 * and the decoder must not overflow the field while refusing it.
 */
START_TEST(test_str_over_max_decode)
{
	const struct str_field	*sf = &str_fields[_i];
	const struct frame_kind	*k = &frame_kinds[sf->kind];
	union msg		 m;
	uint8_t			*f, *g;
	size_t			 len, end;

	fill_with_field(sf, &m, 'O', sf->max);
	f = encode_exact(k, &m, &len);
	end = find_str(f, len, field_of(&m, sf)) + 2 + sf->max;
	g = xmalloc(len + 1);
	memcpy(g, f, end);
	g[end] = 'O';
	memcpy(g + end + 1, f + end, len - end);
	put_be16(g + end - sf->max - 2, (uint16_t)(sf->max + 1));
	set_frame_len(g, len + 1);
	ck_assert_int_eq(decode_copy(k, g, len + 1), WIRE_BAD_BODY);
	free(g);
	free(f);
}
END_TEST

/*
 * Name tables.
 */

START_TEST(test_type_names)
{
	static const struct {
		uint32_t	 type;
		const char	*name;
	} names[] = {
		{ 0, "HELLO" }, { 1, "ECHO" }, { 2, "BYE" }, { 3, "REFUSE" },
		{ 4, "HELLO_ACK" }, { 5, "DATA" },
		{ 256, "CTL_HELLO" }, { 257, "CTL_WELCOME" },
		{ 258, "CTL_ERROR" }, { 259, "CTL_OK" },
		{ 260, "CTL_MEMBERS_REQ" }, { 261, "CTL_MEMBERS" },
		{ 262, "CTL_WATCH" }, { 263, "CTL_EVENT" },
		{ 264, "CTL_STATS_REQ" }, { 265, "CTL_STATS" },
		{ 266, "CTL_SUB" }, { 267, "CTL_UNSUB" }, { 268, "CTL_PUB" },
		{ 269, "CTL_PUB_RESULT" }, { 270, "CTL_MSG" },
		{ 271, "CTL_REPLY" }, { 272, "CTL_RELOAD" },
		{ 273, "CTL_LOG_LEVEL" },
	};
	uint32_t	unknown[N_UNKNOWN];
	size_t		i;

	for (i = 0; i < NITEMS(names); i++)
		ck_assert_str_eq(wire_type_name(names[i].type), names[i].name);
	for (i = 0; i < N_KINDS; i++)
		ck_assert_str_eq(wire_type_name(frame_kinds[i].type),
		    frame_kinds[i].name);
	unknown_types(unknown);
	for (i = 0; i < N_UNKNOWN; i++)
		ck_assert_str_eq(wire_type_name(unknown[i]), "UNKNOWN");
}
END_TEST

START_TEST(test_reason_names)
{
	static const struct {
		uint32_t	 reason;
		const char	*name;
	} reasons[] = {
#define X(n, v, s)	{ v, s },
		WIRE_REASONS(X)
#undef X
	};
	size_t	i;

	for (i = 0; i < NITEMS(reasons); i++)
		ck_assert_str_eq(wire_reason_name(reasons[i].reason),
		    reasons[i].name);
	ck_assert_str_eq(wire_reason_name(REASON_SHUTDOWN),
	    "node is shutting down");
	ck_assert_str_eq(wire_reason_name((uint32_t)NITEMS(reasons)),
	    "unknown reason");
	ck_assert_str_eq(wire_reason_name(UINT32_MAX), "unknown reason");
}
END_TEST

START_TEST(test_status_names)
{
	enum wire_status	 a, b;

	for (a = WIRE_OK; a <= WIRE_NOSPACE; a++) {
		ck_assert_str_ne(wire_status_name(a), "unknown status");
		for (b = WIRE_OK; b < a; b++)
			ck_assert_str_ne(wire_status_name(a),
			    wire_status_name(b));
	}
	ck_assert_str_eq(wire_status_name(WIRE_OK), "ok");
}
END_TEST

START_TEST(test_member_states)
{
	/* The strings cohortctl prints and scripts match: spelled out. */
	static const struct {
		unsigned int	 state;
		const char	*name;
	} states[] = {
		{ MEMBER_UNKNOWN, "unknown" }, { MEMBER_SELF, "self" },
		{ MEMBER_UP, "up" }, { MEMBER_DOWN, "down" },
		{ MEMBER_LEFT, "left" }, { MEMBER_REFUSED, "refused" },
	};
	static const char *const bad[] = { "", "invalid", "UP", "up ",
	    " up", "selfish", "u" };
	size_t	i;

	ck_assert_uint_eq(NITEMS(states), MEMBER_STATE_MAX + 1);
	for (i = 0; i < NITEMS(states); i++) {
		ck_assert_uint_eq(states[i].state, i);
		ck_assert_str_eq(member_state_name(states[i].state),
		    states[i].name);
		ck_assert_int_eq(member_state_parse(states[i].name),
		    (int)states[i].state);
		ck_assert_int_eq(member_state_parse(member_state_name(
		    states[i].state)), (int)states[i].state);
	}
	ck_assert_str_eq(member_state_name(MEMBER_STATE_MAX + 1), "invalid");
	ck_assert_str_eq(member_state_name(UINT_MAX), "invalid");
	for (i = 0; i < NITEMS(bad); i++)
		ck_assert_int_eq(member_state_parse(bad[i]), -1);
}
END_TEST

static TCase *
tcase_kind(enum kind_id k)
{
	TCase	*tc;

	tc = tcase_create(frame_kinds[k].name);
	tcase_add_loop_test(tc, test_roundtrip, k, k + 1);
	return (tc);
}

Suite *
unit_suite(void)
{
	Suite	*s;
	TCase	*tc[N_KINDS];
	TCase	*t;
	size_t	 k;

	s = suite_create("wire");

	for (k = 0; k < N_KINDS; k++)
		tc[k] = tcase_kind((enum kind_id)k);
	tcase_add_test(tc[K_HELLO], test_hello_versions);
	tcase_add_test(tc[K_HELLO], test_hello_trailing_allowed);
	tcase_add_test(tc[K_ECHO], test_echo_layout);
	tcase_add_test(tc[K_CTL_HELLO], test_ctl_hello_versions);
	tcase_add_test(tc[K_CTL_OK], test_ctl_req_wrong_type);
	tcase_add_test(tc[K_CTL_MEMBERS], test_members_empty);
	tcase_add_test(tc[K_CTL_MEMBERS], test_members_size);
	tcase_add_test(tc[K_CTL_MEMBERS], test_members_count_mismatch);
	tcase_add_test(tc[K_CTL_MEMBERS], test_members_max);
	tcase_add_test(tc[K_CTL_MEMBERS], test_members_bad_state);
	tcase_add_test(tc[K_CTL_WATCH], test_watch_values);
	tcase_add_test(tc[K_CTL_EVENT], test_event_states);
	tcase_add_test(tc[K_CTL_STATS], test_stats_empty);
	tcase_add_test(tc[K_CTL_STATS], test_stats_limits);
	tcase_add_test(tc[K_CTL_STATS], test_stats_count_mismatch);
	tcase_add_test(tc[K_CTL_STATS], test_stats_over_max_decode);
	tcase_add_test(tc[K_DATA], test_data_flags);
	tcase_add_test(tc[K_CTL_SUB], test_sub_wrong_type);
	tcase_add_test(tc[K_CTL_PUB], test_pub_addressing);
	tcase_add_test(tc[K_CTL_PUB], test_pub_targets);
	tcase_add_test(tc[K_CTL_PUB_RESULT], test_result_empty);
	tcase_add_test(tc[K_CTL_PUB_RESULT], test_result_count_mismatch);
	tcase_add_test(tc[K_CTL_PUB_RESULT], test_result_max);
	for (k = 0; k < N_KINDS; k++)
		suite_add_tcase(s, tc[k]);

	t = tcase_create("header");
	tcase_add_test(t, test_header_layout);
	tcase_add_test(t, test_header_marker);
	tcase_add_test(t, test_header_length);
	tcase_add_test(t, test_header_unknown_type);
	tcase_add_test(t, test_header_channel);
	suite_add_tcase(s, t);

	t = tcase_create("truncation");
	tcase_add_loop_test(t, test_truncated, 0, N_KINDS);
	suite_add_tcase(s, t);

	t = tcase_create("encoder bounds");
	tcase_add_loop_test(t, test_encode_nospace, 0, N_KINDS);
	suite_add_tcase(s, t);

	t = tcase_create("bodies");
	tcase_add_loop_test(t, test_body_head, 0, NITEMS(body_kinds));
	tcase_add_loop_test(t, test_body_sizes, 0, NITEMS(body_kinds));
	suite_add_tcase(s, t);

	t = tcase_create("trailing bytes");
	tcase_add_loop_test(t, test_trailing, 0, N_KINDS);
	suite_add_tcase(s, t);

	t = tcase_create("strings");
	tcase_add_loop_test(t, test_str_max_roundtrip, 0, NITEMS(str_fields));
	tcase_add_loop_test(t, test_str_too_long_encode, 0,
	    NITEMS(str_fields));
	tcase_add_loop_test(t, test_str_empty, 0, NITEMS(str_fields));
	tcase_add_loop_test(t, test_str_embedded_nul, 0, NITEMS(str_fields));
	tcase_add_loop_test(t, test_str_bad_length, 0, NITEMS(str_fields));
	tcase_add_loop_test(t, test_str_over_max_decode, 0,
	    NITEMS(str_fields));
	suite_add_tcase(s, t);

	t = tcase_create("names");
	tcase_add_test(t, test_type_names);
	tcase_add_test(t, test_reason_names);
	tcase_add_test(t, test_status_names);
	tcase_add_test(t, test_member_states);
	suite_add_tcase(s, t);

	return (s);
}
