/*
 * fuzz_wire: libFuzzer harness for the frame codec (src/wire.c).
 *
 * The input is checked as a header on both channels with a large and a
 * small maximum; then every decoder and every list reader (members,
 * stats, result, CTL_PUB targets) runs on the frame the header announces,
 * copied to a buffer of exactly its length so that ASan catches any read
 * past it.  Peer frames that decode are encoded again and must come out
 * byte for byte the same (HELLO: up to the fields this version knows).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "common/wire.h"

static uint8_t	out[WIRE_CTL_FRAME_MAX + 65536];

/*
 * The re-encoding of a strictly decoded frame is the frame itself (its
 * header aside: decoders do not look at it).
 */
static void
same(const uint8_t *frame, size_t len, size_t outlen)
{
	CHECK(outlen == len);
	CHECK(memcmp(frame + WIRE_HDR_LEN, out + WIRE_HDR_LEN,
	    len - WIRE_HDR_LEN) == 0);
}

static void
peer_roundtrip(const uint8_t *f, size_t len)
{
	struct wire_hello	h, h2;
	struct wire_hello_ack	a;
	struct wire_echo	e;
	struct wire_bye		b;
	struct wire_refuse	r;
	struct wire_data	d;
	size_t			n;

	/* Zeroed, so that the structs compare whole after the strings. */
	memset(&h, 0, sizeof(h));
	memset(&h2, 0, sizeof(h2));
	if (wire_decode_hello(f, len, &h) == WIRE_OK) {
		/* Trailing bytes are allowed: compare the known prefix. */
		n = wire_encode_hello(out, sizeof(out), &h);
		CHECK(n > 0 && n <= len);
		CHECK(memcmp(f + WIRE_HDR_LEN, out + WIRE_HDR_LEN,
		    n - WIRE_HDR_LEN) == 0);
		CHECK(wire_decode_hello(out, n, &h2) == WIRE_OK);
		CHECK(memcmp(&h, &h2, sizeof(h)) == 0);
	}
	if (wire_decode_hello_ack(f, len, &a) == WIRE_OK)
		same(f, len, wire_encode_hello_ack(out, sizeof(out), &a));
	if (wire_decode_echo(f, len, &e) == WIRE_OK)
		same(f, len, wire_encode_echo(out, sizeof(out), &e));
	if (wire_decode_bye(f, len, &b) == WIRE_OK)
		same(f, len, wire_encode_bye(out, sizeof(out), &b));
	if (wire_decode_refuse(f, len, &r) == WIRE_OK)
		same(f, len, wire_encode_refuse(out, sizeof(out), &r));
	if (wire_decode_data(f, len, &d) == WIRE_OK) {
		CHECK(d.body + d.body_len == f + len);
		same(f, len, wire_encode_data(out, sizeof(out), &d));
	}
}

/* Every decoder, whatever the type says: none may read past len. */
static void
decode_all(const uint8_t *f, size_t len)
{
	union {
		struct wire_ctl_hello	 hello;
		struct wire_ctl_welcome	 welcome;
		struct wire_ctl_error	 error;
		struct wire_ctl_req	 req;
		struct wire_ctl_watch	 watch;
		struct wire_ctl_event	 event;
		struct wire_ctl_sub	 sub;
		struct wire_ctl_msg	 msg;
		struct wire_ctl_reply	 reply;
	} m;
	struct wire_ctl_pub	 pub;
	struct wire_reader	 rd;
	struct wire_member	 mb;
	struct wire_unreached	 u;
	char			 kind[WIRE_ID_MAX + 1], name[WIRE_ID_MAX + 1];
	char			 id[WIRE_ID_MAX + 1];
	uint32_t		 req, count, nkv, i, j, delivered;
	uint64_t		 v;
	size_t			 pos;

	(void)wire_decode_ctl_hello(f, len, &m.hello);
	(void)wire_decode_ctl_welcome(f, len, &m.welcome);
	(void)wire_decode_ctl_error(f, len, &m.error);
	(void)wire_decode_ctl_req(f, len, WT_CTL_OK, &m.req);
	(void)wire_decode_ctl_req(f, len, WT_CTL_STATS_REQ, &m.req);
	(void)wire_decode_ctl_req(f, len, WT_HELLO, &m.req);
	(void)wire_decode_ctl_watch(f, len, &m.watch);
	(void)wire_decode_ctl_event(f, len, &m.event);
	(void)wire_decode_ctl_sub(f, len, &m.sub);
	if (wire_decode_ctl_msg(f, len, &m.msg) == WIRE_OK)
		CHECK(m.msg.body + m.msg.body_len == f + len);
	if (wire_decode_ctl_reply(f, len, &m.reply) == WIRE_OK)
		CHECK(m.reply.body + m.reply.body_len == f + len);
	if (wire_decode_ctl_pub(f, len, &pub) == WIRE_OK) {
		CHECK(pub.body + pub.body_len == f + len);
		pos = 0;
		for (i = 0; wire_targets_next(&pub, &pos, id); i++)
			CHECK(strlen(id) <= WIRE_ID_MAX);
		CHECK(i == pub.ntargets);
	}
	if (wire_members_begin(f, len, &rd, &req, &count) == WIRE_OK) {
		for (i = 0; i < count; i++)
			if (wire_members_next(&rd, &mb) != WIRE_OK)
				break;
		(void)wire_members_end(&rd);
	}
	if (wire_stats_begin(f, len, &rd, &req, &count) == WIRE_OK) {
		for (i = 0; i < count; i++) {
			if (wire_stats_next_section(&rd, kind, name, &nkv) !=
			    WIRE_OK)
				break;
			for (j = 0; j < nkv; j++)
				if (wire_stats_next(&rd, name, &v) != WIRE_OK)
					break;
		}
		(void)wire_stats_end(&rd);
	}
	if (wire_result_begin(f, len, &rd, &req, &delivered, &count) ==
	    WIRE_OK) {
		for (i = 0; i < count; i++)
			if (wire_result_next(&rd, &u) != WIRE_OK)
				break;
		(void)wire_result_end(&rd);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t	 maxes[] = { 64, 4096, WIRE_FRAME_CEILING };
	static const enum wire_channel chans[] = { WIRE_PEER, WIRE_LOCAL };
	struct wire_hdr		 hdr;
	enum wire_status	 st;
	uint8_t			*f;
	size_t			 i, k;

	(void)wire_type_name(size >= 12 ? (uint32_t)data[11] << 8 |
	    data[10] : 0);
	(void)wire_reason_name(size > 0 ? data[0] : 0);
	(void)member_state_name(size > 1 ? data[1] : 0);
	for (k = 0; k < 2; k++) {
		for (i = 0; i < 3; i++) {
			st = wire_check_header(data, size, maxes[i], chans[k],
			    &hdr);
			CHECK(st != WIRE_OK || (hdr.len >= WIRE_HDR_LEN &&
			    hdr.len <= maxes[i]));
			CHECK(st != WIRE_SHORT || size < WIRE_HDR_LEN);
		}
		st = wire_check_header(data, size, WIRE_FRAME_CEILING,
		    chans[k], &hdr);
		if (st != WIRE_OK || hdr.len > size)
			continue;
		/* Exactly the frame, so that ASan sees any over-read. */
		if ((f = malloc(hdr.len)) == NULL)
			return (0);
		memcpy(f, data, hdr.len);
		decode_all(f, hdr.len);
		if (chans[k] == WIRE_PEER)
			peer_roundtrip(f, hdr.len);
		free(f);
	}
	/* And the whole input as one frame, whatever its header says. */
	if ((f = malloc(size ? size : 1)) == NULL)
		return (0);
	memcpy(f, data, size);
	decode_all(f, size);
	peer_roundtrip(f, size);
	free(f);
	return (0);
}
