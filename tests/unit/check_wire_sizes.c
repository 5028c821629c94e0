/*
 * check_wire_sizes: the codec's frame size macros (WIRE_*_MAX in
 * src/common/wire.h) are exact.  Every message, with every string at its
 * longest, encodes into a buffer of exactly its WIRE_*_MAX bytes, fills
 * it, and does not fit in one byte less.  Buffers in the daemon are sized
 * from these macros only, so a field added without its macro fails here
 * (the bug this replaced: an ECHO from a 62- or 63-character node id did
 * not fit the buffer the mesh gave it, and was silently not sent).
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "check_main.h"

#include "common/wire.h"

/* The macros are compile-time constants the daemon can size arrays by. */
_Static_assert(WIRE_ECHO_MAX == WIRE_HDR_LEN + 40 + 2 + WIRE_ID_MAX,
    "ECHO: five u64 and the node id");
_Static_assert(WIRE_PEER_CTL_MAX >= WIRE_ECHO_MAX &&
    WIRE_PEER_CTL_MAX >= WIRE_BYE_MAX &&
    WIRE_PEER_CTL_MAX >= WIRE_REFUSE_MAX &&
    WIRE_PEER_CTL_MAX >= WIRE_HELLO_ACK_MAX,
    "every peer frame but DATA fits WIRE_PEER_CTL_MAX");
_Static_assert(WIRE_HELLO_MAX <= 4096, "a HELLO fits the pre-HELLO limit");

static void
fill(char *s, size_t max)
{
	memset(s, 'x', max);
	s[max] = '\0';
}

/* Encode into exactly max bytes (must fill it), then into max - 1. */
#define CHECK_EXACT(max, call_buf_cap)					\
	do {								\
		uint8_t	*buf = malloc(max);				\
		size_t	 cap = (max), n;				\
		ck_assert_ptr_nonnull(buf);				\
		n = call_buf_cap;					\
		ck_assert_uint_eq(n, (max));				\
		cap = (max) - 1;					\
		n = call_buf_cap;					\
		ck_assert_uint_eq(n, 0);				\
		free(buf);						\
	} while (0)

START_TEST(test_peer_frames)
{
	struct wire_hello	h;
	struct wire_hello_ack	a;
	struct wire_echo	e;
	struct wire_bye		b;
	struct wire_refuse	r;

	memset(&h, 0, sizeof(h));
	h.version = h.min_version = 1;
	fill(h.cluster, WIRE_ID_MAX);
	fill(h.node_id, WIRE_ID_MAX);
	fill(h.address, WIRE_ADDR_MAX);
	CHECK_EXACT(WIRE_HELLO_MAX, wire_encode_hello(buf, cap, &h));

	memset(&a, 0, sizeof(a));
	fill(a.node_id, WIRE_ID_MAX);
	CHECK_EXACT(WIRE_HELLO_ACK_MAX, wire_encode_hello_ack(buf, cap, &a));

	memset(&e, 0, sizeof(e));
	fill(e.node_id, WIRE_ID_MAX);
	CHECK_EXACT(WIRE_ECHO_MAX, wire_encode_echo(buf, cap, &e));
	/* 62 characters: the other length that was lost. */
	e.node_id[62] = '\0';
	CHECK_EXACT(WIRE_ECHO_MAX - 1, wire_encode_echo(buf, cap, &e));

	memset(&b, 0, sizeof(b));
	fill(b.node_id, WIRE_ID_MAX);
	fill(b.text, WIRE_TEXT_MAX);
	CHECK_EXACT(WIRE_BYE_MAX, wire_encode_bye(buf, cap, &b));

	memset(&r, 0, sizeof(r));
	fill(r.text, WIRE_TEXT_MAX);
	CHECK_EXACT(WIRE_REFUSE_MAX, wire_encode_refuse(buf, cap, &r));
}
END_TEST

START_TEST(test_ctl_frames)
{
	struct wire_ctl_hello	h;
	struct wire_ctl_welcome	w;
	struct wire_ctl_error	e;
	struct wire_ctl_req	q;
	struct wire_ctl_watch	wa;
	struct wire_ctl_event	ev;
	struct wire_ctl_sub	s;

	memset(&h, 0, sizeof(h));
	fill(h.name, WIRE_ID_MAX);
	CHECK_EXACT(WIRE_CTL_HELLO_MAX, wire_encode_ctl_hello(buf, cap, &h));

	memset(&w, 0, sizeof(w));
	fill(w.cluster, WIRE_ID_MAX);
	fill(w.node_id, WIRE_ID_MAX);
	CHECK_EXACT(WIRE_CTL_WELCOME_MAX, wire_encode_ctl_welcome(buf, cap,
	    &w));

	memset(&e, 0, sizeof(e));
	fill(e.text, WIRE_TEXT_MAX);
	CHECK_EXACT(WIRE_CTL_ERROR_MAX, wire_encode_ctl_error(buf, cap, &e));

	memset(&q, 0, sizeof(q));
	CHECK_EXACT(WIRE_CTL_REQ_MAX, wire_encode_ctl_req(buf, cap,
	    WT_CTL_OK, &q));

	memset(&wa, 0, sizeof(wa));
	CHECK_EXACT(WIRE_CTL_WATCH_MAX, wire_encode_ctl_watch(buf, cap, &wa));

	memset(&ev, 0, sizeof(ev));
	fill(ev.node, WIRE_ID_MAX);
	CHECK_EXACT(WIRE_CTL_EVENT_MAX, wire_encode_ctl_event(buf, cap, &ev));

	memset(&s, 0, sizeof(s));
	fill(s.pattern, WIRE_SUBJECT_MAX);
	CHECK_EXACT(WIRE_CTL_SUB_MAX, wire_encode_ctl_sub(buf, cap,
	    WT_CTL_SUB, &s));
}
END_TEST

START_TEST(test_heads)
{
	struct wire_data	d;
	struct wire_ctl_msg	m;
	struct wire_ctl_reply	r;

	memset(&d, 0, sizeof(d));
	fill(d.origin, WIRE_ID_MAX);
	fill(d.subject, WIRE_SUBJECT_MAX);
	CHECK_EXACT(WIRE_DATA_HEAD_MAX, wire_encode_data_head(buf, cap, &d,
	    100));

	memset(&m, 0, sizeof(m));
	fill(m.origin, WIRE_ID_MAX);
	fill(m.subject, WIRE_SUBJECT_MAX);
	CHECK_EXACT(WIRE_CTL_MSG_HEAD_MAX, wire_encode_ctl_msg_head(buf, cap,
	    &m, 100));

	memset(&r, 0, sizeof(r));
	CHECK_EXACT(WIRE_CTL_REPLY_HEAD_MAX, wire_encode_ctl_reply_head(buf,
	    cap, &r, 100));
}
END_TEST

/* Lists: the fixed part plus so much per entry, exactly. */
START_TEST(test_lists)
{
	struct wire_writer	w;
	struct wire_member	mem;
	struct wire_unreached	u;
	uint8_t			*buf;
	size_t			 cap, i, n = 5;
	char			 key[WIRE_ID_MAX + 1];

	memset(&mem, 0, sizeof(mem));
	fill(mem.id, WIRE_ID_MAX);
	fill(mem.address, WIRE_ADDR_MAX);
	ck_assert_uint_eq(wire_member_size(&mem), WIRE_MEMBER_MAX);
	cap = WIRE_MEMBERS_FIXED + n * WIRE_MEMBER_MAX;
	buf = malloc(cap);
	wire_members_start(&w, buf, cap, 1);
	for (i = 0; i < n; i++)
		wire_members_add(&w, &mem);
	ck_assert_uint_eq(wire_members_finish(&w), cap);
	free(buf);

	memset(&u, 0, sizeof(u));
	fill(u.node, WIRE_ID_MAX);
	cap = WIRE_RESULT_MAX(n);
	buf = malloc(cap);
	wire_result_start(&w, buf, cap, 1, 3);
	for (i = 0; i < n; i++)
		wire_result_add(&w, &u);
	ck_assert_uint_eq(wire_result_finish(&w), cap);
	free(buf);

	fill(key, WIRE_ID_MAX);
	cap = WIRE_STATS_FIXED + WIRE_STATS_SECTION_MAX + n * WIRE_STATS_KV_LEN;
	buf = malloc(cap);
	wire_stats_start(&w, buf, cap, 1);
	wire_stats_section(&w, key, key);
	for (i = 0; i < n; i++)
		wire_stats_add(&w, key, i);
	ck_assert_uint_eq(wire_stats_finish(&w), cap);
	free(buf);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s = suite_create("wire_sizes");
	TCase	*tc = tcase_create("exact");

	tcase_add_test(tc, test_peer_frames);
	tcase_add_test(tc, test_ctl_frames);
	tcase_add_test(tc, test_heads);
	tcase_add_test(tc, test_lists);
	suite_add_tcase(s, tc);
	return (s);
}
