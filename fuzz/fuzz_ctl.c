/*
 * fuzz_ctl: libFuzzer harness for the local socket protocol.
 *
 * The input is a byte stream as a client would write it to cohortd.  It
 * is framed the way control.c's client_read_cb does (16-byte header,
 * wire_check_header on the local channel with the default maximum, wait
 * for the whole frame) and each frame is decoded by type the way
 * control_dispatch does: CTL_HELLO first, then the requests a client may
 * send, subjects and patterns checked as relay.c checks them, CTL_PUB
 * targets walked.  The first error ends the stream, as it ends the
 * connection.  Every frame that decodes is encoded again and must come
 * out the same.  The same bytes are then read as libcohort reads what the
 * daemon sends (CTL_WELCOME, CTL_MEMBERS, CTL_STATS, CTL_MSG, ...), with
 * the same round trip.  Each frame is copied to a buffer of exactly its
 * length so that ASan catches any read past it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "common/subject.h"
#include "common/wire.h"

/* config_max_frame() with the default limits.max_message_size. */
#define MAX_FRAME	(1048576 + 131072)

static uint8_t	out[MAX_FRAME + 65536];

/* Encoded again, a decoded frame is the same bytes, header included. */
static void
same(const uint8_t *f, size_t len, size_t n)
{
	CHECK(n == len);
	CHECK(memcmp(f, out, len) == 0);
}

static void
pub_roundtrip(const uint8_t *f, size_t len, const struct wire_ctl_pub *m)
{
	static char	 ids[WIRE_TARGETS_MAX][WIRE_ID_MAX + 1];
	const char	*targets[WIRE_TARGETS_MAX];
	size_t		 pos = 0, i = 0;

	while (i < WIRE_TARGETS_MAX && wire_targets_next(m, &pos, ids[i])) {
		targets[i] = ids[i];
		i++;
	}
	CHECK(i == m->ntargets);
	same(f, len, wire_encode_ctl_pub(out, sizeof(out), m, targets));
}

/* As control_dispatch: 0 to go on, -1 where the daemon would close. */
static int
daemon_frame(const uint8_t *f, const struct wire_hdr *hdr, int *hello_done)
{
	union {
		struct wire_ctl_hello	hello;
		struct wire_ctl_req	req;
		struct wire_ctl_watch	watch;
		struct wire_ctl_sub	sub;
		struct wire_ctl_pub	pub;
		struct wire_ctl_reply	reply;
	} m;
	enum wire_status	st = WIRE_BAD_TYPE;
	char			node[WIRE_ID_MAX + 1];
	size_t			pos = 0;

	memset(&m, 0, sizeof(m));
	if (!*hello_done && hdr->type != WT_CTL_HELLO)
		return (-1);
	switch (hdr->type) {
	case WT_CTL_HELLO:
		if (*hello_done)
			break;
		if ((st = wire_decode_ctl_hello(f, hdr->len, &m.hello)) !=
		    WIRE_OK)
			break;
		CHECK(m.hello.min_version <= m.hello.version);
		same(f, hdr->len, wire_encode_ctl_hello(out, sizeof(out),
		    &m.hello));
		/* control_hello: an incompatible version closes. */
		if (m.hello.version < CTL_MIN_VERSION ||
		    m.hello.min_version > CTL_VERSION)
			return (-1);
		*hello_done = 1;
		break;
	case WT_CTL_MEMBERS_REQ:
	case WT_CTL_STATS_REQ:
	case WT_CTL_RELOAD:
		if ((st = wire_decode_ctl_req(f, hdr->len, hdr->type,
		    &m.req)) == WIRE_OK)
			same(f, hdr->len, wire_encode_ctl_req(out, sizeof(out),
			    hdr->type, &m.req));
		break;
	case WT_CTL_PUB:
		if ((st = wire_decode_ctl_pub(f, hdr->len, &m.pub)) != WIRE_OK)
			break;
		CHECK(m.pub.body + m.pub.body_len == f + hdr->len);
		pub_roundtrip(f, hdr->len, &m.pub);
		/* relay_publish */
		if (subject_check(m.pub.subject, 0) != SUBJECT_OK)
			break;
		if (m.pub.flags & PUB_REQUEST)
			CHECK(wire_targets_next(&m.pub, &pos, node));
		break;
	case WT_CTL_REPLY:
		if ((st = wire_decode_ctl_reply(f, hdr->len, &m.reply)) ==
		    WIRE_OK)
			same(f, hdr->len, wire_encode_ctl_reply(out,
			    sizeof(out), &m.reply));
		break;
	case WT_CTL_SUB:
	case WT_CTL_UNSUB:
		if ((st = wire_decode_ctl_sub(f, hdr->len, &m.sub)) != WIRE_OK)
			break;
		same(f, hdr->len, wire_encode_ctl_sub(out, sizeof(out),
		    hdr->type, &m.sub));
		(void)subject_check(m.sub.pattern, 1);
		break;
	case WT_CTL_LOG_LEVEL:
	case WT_CTL_WATCH:
		if ((st = wire_decode_ctl_watch(f, hdr->len, &m.watch)) ==
		    WIRE_OK)
			same(f, hdr->len, wire_encode_ctl_switch(out,
			    sizeof(out), hdr->type, &m.watch));
		break;
	}
	return (st == WIRE_OK ? 0 : -1);
}

static void
members_roundtrip(const uint8_t *f, size_t len)
{
	struct wire_reader	rd;
	struct wire_writer	w;
	struct wire_member	m;
	uint32_t		req, count, i;

	if (wire_members_begin(f, len, &rd, &req, &count) != WIRE_OK)
		return;
	wire_members_start(&w, out, sizeof(out), req);
	for (i = 0; i < count; i++) {
		memset(&m, 0, sizeof(m));
		if (wire_members_next(&rd, &m) != WIRE_OK)
			return;
		CHECK(m.state <= MEMBER_STATE_MAX);
		wire_members_add(&w, &m);
	}
	if (wire_members_end(&rd) != WIRE_OK)
		return;
	same(f, len, wire_members_finish(&w));
}

static void
stats_roundtrip(const uint8_t *f, size_t len)
{
	struct wire_reader	rd;
	struct wire_writer	w;
	char			kind[WIRE_ID_MAX + 1], name[WIRE_ID_MAX + 1];
	uint32_t		req, count, nkv, i, j;
	uint64_t		v;

	if (wire_stats_begin(f, len, &rd, &req, &count) != WIRE_OK)
		return;
	wire_stats_start(&w, out, sizeof(out), req);
	for (i = 0; i < count; i++) {
		if (wire_stats_next_section(&rd, kind, name, &nkv) != WIRE_OK)
			return;
		wire_stats_section(&w, kind, name);
		for (j = 0; j < nkv; j++) {
			if (wire_stats_next(&rd, name, &v) != WIRE_OK)
				return;
			wire_stats_add(&w, name, v);
		}
	}
	if (wire_stats_end(&rd) != WIRE_OK)
		return;
	same(f, len, wire_stats_finish(&w));
}

static void
result_roundtrip(const uint8_t *f, size_t len)
{
	struct wire_reader	rd;
	struct wire_writer	w;
	struct wire_unreached	u;
	uint32_t		req, delivered, count, i;

	if (wire_result_begin(f, len, &rd, &req, &delivered, &count) !=
	    WIRE_OK)
		return;
	wire_result_start(&w, out, sizeof(out), req, delivered);
	for (i = 0; i < count; i++) {
		if (wire_result_next(&rd, &u) != WIRE_OK)
			return;
		wire_result_add(&w, &u);
	}
	if (wire_result_end(&rd) != WIRE_OK)
		return;
	same(f, len, wire_result_finish(&w));
}

/* As libcohort reads what the daemon sends. */
static void
client_frame(const uint8_t *f, const struct wire_hdr *hdr)
{
	union {
		struct wire_ctl_welcome	welcome;
		struct wire_ctl_error	error;
		struct wire_ctl_req	req;
		struct wire_ctl_event	event;
		struct wire_ctl_msg	msg;
	} m;

	memset(&m, 0, sizeof(m));
	switch (hdr->type) {
	case WT_CTL_WELCOME:
		if (wire_decode_ctl_welcome(f, hdr->len, &m.welcome) == WIRE_OK)
			same(f, hdr->len, wire_encode_ctl_welcome(out,
			    sizeof(out), &m.welcome));
		break;
	case WT_CTL_ERROR:
		if (wire_decode_ctl_error(f, hdr->len, &m.error) == WIRE_OK) {
			(void)wire_reason_name(m.error.code);
			same(f, hdr->len, wire_encode_ctl_error(out,
			    sizeof(out), &m.error));
		}
		break;
	case WT_CTL_OK:
		if (wire_decode_ctl_req(f, hdr->len, hdr->type, &m.req) ==
		    WIRE_OK)
			same(f, hdr->len, wire_encode_ctl_req(out, sizeof(out),
			    hdr->type, &m.req));
		break;
	case WT_CTL_EVENT:
		if (wire_decode_ctl_event(f, hdr->len, &m.event) == WIRE_OK) {
			(void)member_state_name(m.event.state);
			same(f, hdr->len, wire_encode_ctl_event(out,
			    sizeof(out), &m.event));
		}
		break;
	case WT_CTL_MSG:
		if (wire_decode_ctl_msg(f, hdr->len, &m.msg) == WIRE_OK) {
			CHECK(m.msg.body + m.msg.body_len == f + hdr->len);
			same(f, hdr->len, wire_encode_ctl_msg(out, sizeof(out),
			    &m.msg));
		}
		break;
	case WT_CTL_MEMBERS:
		members_roundtrip(f, hdr->len);
		break;
	case WT_CTL_STATS:
		stats_roundtrip(f, hdr->len);
		break;
	case WT_CTL_PUB_RESULT:
		result_roundtrip(f, hdr->len);
		break;
	}
}

/*
 * Frame the stream as client_read_cb does; call fn on each whole frame
 * until it returns -1.
 */
static void
read_stream(const uint8_t *data, size_t size, int client)
{
	struct wire_hdr		 hdr;
	enum wire_status	 st;
	uint8_t			*f;
	size_t			 off = 0;
	int			 hello_done = 0, rv = 0;

	while (rv == 0 && size - off >= WIRE_HDR_LEN) {
		st = wire_check_header(data + off, WIRE_HDR_LEN, MAX_FRAME,
		    WIRE_LOCAL, &hdr);
		if (st != WIRE_OK || hdr.len > size - off)
			break;		/* protocol error, or waiting */
		if ((f = malloc(hdr.len)) == NULL)
			return;
		memcpy(f, data + off, hdr.len);
		if (client)
			client_frame(f, &hdr);
		else
			rv = daemon_frame(f, &hdr, &hello_done);
		free(f);
		off += hdr.len;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	read_stream(data, size, 0);
	read_stream(data, size, 1);
	return (0);
}
