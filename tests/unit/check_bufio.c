/*
 * check_bufio.c: unit tests for the daemon's stream framing and reads
 * (src/daemon/io/bufio.c), over evbuffers and a socketpair, no network.
 *
 * bufio_frames() is fed streams of real frames (wire_encode_*) laid out
 * every way an evbuffer can hold them: whole, cut at every byte, one
 * byte per chain, grown a byte at a time.  The frame callback checks
 * each frame against the stream it came from, byte for byte, decodes it
 * in place and reads back every field; headers that are not valid must
 * be reported before any of their body is awaited.  bufread_fill() runs
 * on a socket bufferevent: it takes what the kernel holds, leaves EOF to
 * libevent, and leaves the bufferevent as libevent expects it.
 */
#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "common/wire.h"
#include "daemon/io/bufio.h"
#include "check_main.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define SLOW_TIMEOUT	120	/* seconds, for valgrind */
#define MAX_FRAMES	256
#define BIG		(200 * 1024)	/* beyond bufread_fill's 64 KiB */

/* Streams of frames */

struct stream {
	uint8_t		*b;
	size_t		 len;
	size_t		 n;
	size_t		 off[MAX_FRAMES];
	uint32_t	 flen[MAX_FRAMES];
	uint32_t	 type[MAX_FRAMES];
	enum wire_channel chan;
};

static uint8_t
body_byte(size_t frame, size_t i)
{
	return ((uint8_t)(frame * 31 + i * 7 + 1));
}

static void
stream_init(struct stream *s, enum wire_channel chan)
{
	memset(s, 0, sizeof(*s));
	s->chan = chan;
}

static void
stream_free(struct stream *s)
{
	free(s->b);
	s->b = NULL;
}

static void
stream_put(struct stream *s, const uint8_t *f, size_t len, uint32_t type)
{
	ck_assert_uint_gt(len, 0);
	ck_assert_uint_lt(s->n, MAX_FRAMES);
	ck_assert_ptr_nonnull(s->b = realloc(s->b, s->len + len));
	memcpy(s->b + s->len, f, len);
	s->off[s->n] = s->len;
	s->flen[s->n] = (uint32_t)len;
	s->type[s->n] = type;
	s->len += len;
	s->n++;
}

/* The next frame of the stream: its index picks the kind and fields. */
static void
stream_add(struct stream *s, size_t body_len)
{
	struct wire_ctl_req	 req;
	struct wire_ctl_sub	 sub;
	struct wire_ctl_reply	 rep;
	struct wire_data	 d;
	uint8_t			*f, *body;
	size_t			 cap = body_len + 1024, i, k = s->n, len;
	uint32_t		 type;

	ck_assert_ptr_nonnull(f = malloc(cap));
	ck_assert_ptr_nonnull(body = malloc(body_len + 1));
	for (i = 0; i < body_len; i++)
		body[i] = body_byte(k, i);
	if (s->chan == WIRE_PEER) {
		memset(&d, 0, sizeof(d));
		d.corr = k;
		snprintf(d.origin, sizeof(d.origin), "n%zu", k);
		snprintf(d.subject, sizeof(d.subject), "s.%zu", k);
		d.body = body;
		d.body_len = body_len;
		len = wire_encode_data(f, cap, &d);
		type = WT_DATA;
	} else if (body_len > 0 || k % 3 == 2) {
		memset(&rep, 0, sizeof(rep));
		rep.token = 0x1000 + k;
		rep.body = body;
		rep.body_len = body_len;
		len = wire_encode_ctl_reply(f, cap, &rep);
		type = WT_CTL_REPLY;
	} else if (k % 3 == 0) {
		req.req_id = (uint32_t)k;
		len = wire_encode_ctl_req(f, cap, WT_CTL_OK, &req);
		type = WT_CTL_OK;
	} else {
		memset(&sub, 0, sizeof(sub));
		sub.req_id = (uint32_t)k;
		snprintf(sub.pattern, sizeof(sub.pattern), "orders.%zu.>", k);
		len = wire_encode_ctl_sub(f, cap, WT_CTL_SUB, &sub);
		type = WT_CTL_SUB;
	}
	stream_put(s, f, len, type);
	free(f);
	free(body);
}

/* A stream of every kind, small enough to cut at every byte. */
static void
small_stream(struct stream *s, enum wire_channel chan)
{
	static const size_t	bodies[] = { 0, 0, 0, 1, 0, 17, 0, 0, 100, 3 };
	size_t			i;

	stream_init(s, chan);
	for (i = 0; i < NITEMS(bodies); i++)
		stream_add(s, bodies[i]);
}

/* The reader's side: what was handled, and how it is to answer. */

struct seen {
	const struct stream	*s;
	size_t			 frames;	/* handled, in order */
	size_t			 bad;
	char			 why[64];
	size_t			 limit_calls;
	size_t			 limit;		/* returned by limit() */
	size_t			 limit_small;	/* ... from frame small_from */
	size_t			 small_from;
	size_t			 pause_at;	/* limit 0 from this frame */
	size_t			 refuse_at;	/* frame() -1 at this frame */
	size_t			 refused;
};

static void
seen_init(struct seen *sn, const struct stream *s)
{
	memset(sn, 0, sizeof(*sn));
	sn->s = s;
	sn->limit = WIRE_FRAME_CEILING;
	sn->small_from = SIZE_MAX;
	sn->pause_at = SIZE_MAX;
	sn->refuse_at = SIZE_MAX;
}

static size_t
seen_limit(void *arg)
{
	struct seen	*sn = arg;

	sn->limit_calls++;
	if (sn->frames >= sn->pause_at)
		return (0);
	return (sn->frames >= sn->small_from ? sn->limit_small : sn->limit);
}

/* The frame is the stream's next, whole, and decodes to what was sent. */
static void
check_fields(const struct stream *s, size_t k, const uint8_t *f, size_t len)
{
	struct wire_ctl_req	 req;
	struct wire_ctl_sub	 sub;
	struct wire_ctl_reply	 rep;
	struct wire_data	 d;
	const uint8_t		*body = NULL;
	size_t			 body_len = 0, i;
	char			 want[64];

	switch (s->type[k]) {
	case WT_CTL_OK:
		ck_assert_int_eq(wire_decode_ctl_req(f, len, WT_CTL_OK, &req),
		    WIRE_OK);
		ck_assert_uint_eq(req.req_id, k);
		break;
	case WT_CTL_SUB:
		ck_assert_int_eq(wire_decode_ctl_sub(f, len, &sub), WIRE_OK);
		ck_assert_uint_eq(sub.req_id, k);
		snprintf(want, sizeof(want), "orders.%zu.>", k);
		ck_assert_str_eq(sub.pattern, want);
		break;
	case WT_CTL_REPLY:
		ck_assert_int_eq(wire_decode_ctl_reply(f, len, &rep), WIRE_OK);
		ck_assert_uint_eq(rep.token, 0x1000 + k);
		body = rep.body;
		body_len = rep.body_len;
		break;
	case WT_DATA:
		ck_assert_int_eq(wire_decode_data(f, len, &d), WIRE_OK);
		ck_assert_uint_eq(d.corr, k);
		ck_assert_uint_eq(d.flags, 0);
		ck_assert_uint_eq(d.timeout_ms, 0);
		snprintf(want, sizeof(want), "n%zu", k);
		ck_assert_str_eq(d.origin, want);
		snprintf(want, sizeof(want), "s.%zu", k);
		ck_assert_str_eq(d.subject, want);
		body = d.body;
		body_len = d.body_len;
		break;
	default:
		ck_abort_msg("frame %zu: type %u was never sent", k,
		    s->type[k]);
	}
	if (body_len > 0) {
		/* A view into the frame, not a copy. */
		ck_assert(body > f && body + body_len <= f + len);
		/* One assertion per body: each costs Check a write. */
		for (i = 0; i < body_len && body[i] == body_byte(k, i); i++)
			;
		ck_assert_msg(i == body_len, "frame %zu body byte %zu of %zu",
		    k, i, body_len);
	}
}

static int
seen_frame(void *arg, const struct wire_hdr *hdr, const uint8_t *f)
{
	struct seen		*sn = arg;
	const struct stream	*s = sn->s;
	size_t			 k = sn->frames;

	ck_assert_msg(k < s->n, "frame %zu handled; only %zu were sent", k,
	    s->n);
	ck_assert_uint_eq(hdr->type, s->type[k]);
	ck_assert_uint_eq(hdr->len, s->flen[k]);
	ck_assert_msg(memcmp(f, s->b + s->off[k], s->flen[k]) == 0,
	    "frame %zu (%u bytes) is not the bytes sent", k, s->flen[k]);
	if (k == sn->refuse_at) {
		sn->refused++;
		return (-1);
	}
	check_fields(s, k, f, hdr->len);
	sn->frames++;
	return (0);
}

static void
seen_bad(void *arg, const char *why)
{
	struct seen	*sn = arg;

	sn->bad++;
	snprintf(sn->why, sizeof(sn->why), "%s", why);
}

static const struct bufio_reader local_reader = {
	WIRE_LOCAL, seen_limit, seen_frame, seen_bad
};
static const struct bufio_reader peer_reader = {
	WIRE_PEER, seen_limit, seen_frame, seen_bad
};

static const struct bufio_reader *
reader_for(const struct stream *s)
{
	return (s->chan == WIRE_PEER ? &peer_reader : &local_reader);
}

/* Frames of s whole within its first n bytes. */
static size_t
whole_in(const struct stream *s, size_t n)
{
	size_t	k;

	for (k = 0; k < s->n && s->off[k] + s->flen[k] <= n; k++)
		;
	return (k);
}

/* Bytes of the first k frames. */
static size_t
bytes_of(const struct stream *s, size_t k)
{
	return (k == 0 ? 0 : s->off[k - 1] + s->flen[k - 1]);
}

/* Add bytes [from, to) of s to b, as one chain each (by reference). */
static void
add_chain(struct evbuffer *b, const struct stream *s, size_t from, size_t to)
{
	if (to > from)
		ck_assert_int_eq(evbuffer_add_reference(b, s->b + from,
		    to - from, NULL, NULL), 0);
}

/* Framing */

/* Every frame of one buffer, in order, in one call, all drained. */
static void
frames_whole(enum wire_channel chan)
{
	struct stream	s;
	struct seen	sn;
	struct evbuffer	*b;

	small_stream(&s, chan);
	stream_add(&s, 5000);
	stream_add(&s, 0);
	ck_assert_ptr_nonnull(b = evbuffer_new());
	ck_assert_int_eq(evbuffer_add(b, s.b, s.len), 0);
	seen_init(&sn, &s);
	bufio_frames(b, reader_for(&s), &sn);
	ck_assert_uint_eq(sn.frames, s.n);
	ck_assert_uint_eq(sn.bad, 0);
	ck_assert_uint_eq(evbuffer_get_length(b), 0);
	evbuffer_free(b);
	stream_free(&s);
}

START_TEST(test_frames_whole_local)
{
	frames_whole(WIRE_LOCAL);
}
END_TEST

START_TEST(test_frames_whole_peer)
{
	frames_whole(WIRE_PEER);
}
END_TEST

/*
 * Cut at every byte: the first part handles exactly the frames whole in
 * it and leaves the rest where it was; the second part, added after, the
 * others.  Once in one chain, once with the cut between two chains.
 */
static void
frames_cut(int chains)
{
	struct stream	 s;
	struct seen	 sn;
	struct evbuffer	*b;
	size_t		 cut, k;
	uint8_t		*copy;

	small_stream(&s, WIRE_LOCAL);
	ck_assert_ptr_nonnull(copy = malloc(s.len));
	for (cut = 0; cut <= s.len; cut++) {
		ck_assert_ptr_nonnull(b = evbuffer_new());
		if (chains)
			add_chain(b, &s, 0, cut);
		else
			ck_assert_int_eq(evbuffer_add(b, s.b, cut), 0);
		seen_init(&sn, &s);
		bufio_frames(b, reader_for(&s), &sn);
		k = whole_in(&s, cut);
		ck_assert_msg(sn.frames == k, "cut at %zu: %zu frames handled, "
		    "%zu whole", cut, sn.frames, k);
		ck_assert_uint_eq(sn.bad, 0);
		ck_assert_uint_eq(evbuffer_get_length(b), cut - bytes_of(&s,
		    k));
		/* What is left is the rest of the stream, untouched. */
		ck_assert_int_eq(evbuffer_copyout(b, copy, s.len),
		    (ev_ssize_t)(cut - bytes_of(&s, k)));
		ck_assert(memcmp(copy, s.b + bytes_of(&s, k), cut -
		    bytes_of(&s, k)) == 0);
		if (chains)
			add_chain(b, &s, cut, s.len);
		else
			ck_assert_int_eq(evbuffer_add(b, s.b + cut, s.len -
			    cut), 0);
		bufio_frames(b, reader_for(&s), &sn);
		ck_assert_msg(sn.frames == s.n, "cut at %zu: %zu of %zu frames",
		    cut, sn.frames, s.n);
		ck_assert_uint_eq(sn.bad, 0);
		ck_assert_uint_eq(evbuffer_get_length(b), 0);
		evbuffer_free(b);
	}
	free(copy);
	stream_free(&s);
}

START_TEST(test_frames_cut_every_byte)
{
	frames_cut(0);
}
END_TEST

START_TEST(test_frames_cut_between_chains)
{
	frames_cut(1);
}
END_TEST

/*
 * The worst layout: every byte its own chain, so that every header and
 * body straddles chains; read after each byte arrives.
 */
START_TEST(test_frames_byte_chains)
{
	struct stream	 s;
	struct seen	 sn;
	struct evbuffer	*b;
	size_t		 i;

	small_stream(&s, WIRE_PEER);
	ck_assert_ptr_nonnull(b = evbuffer_new());
	seen_init(&sn, &s);
	for (i = 0; i < s.len; i++) {
		add_chain(b, &s, i, i + 1);
		bufio_frames(b, reader_for(&s), &sn);
		ck_assert_msg(sn.frames == whole_in(&s, i + 1),
		    "after byte %zu: %zu frames, %zu whole", i, sn.frames,
		    whole_in(&s, i + 1));
		ck_assert_uint_eq(evbuffer_get_length(b), i + 1 -
		    bytes_of(&s, sn.frames));
	}
	ck_assert_uint_eq(sn.frames, s.n);
	ck_assert_uint_eq(sn.bad, 0);
	evbuffer_free(b);

	/* All of it at once, one byte per chain. */
	ck_assert_ptr_nonnull(b = evbuffer_new());
	for (i = 0; i < s.len; i++)
		add_chain(b, &s, i, i + 1);
	seen_init(&sn, &s);
	bufio_frames(b, reader_for(&s), &sn);
	ck_assert_uint_eq(sn.frames, s.n);
	ck_assert_uint_eq(evbuffer_get_length(b), 0);
	evbuffer_free(b);
	stream_free(&s);
}
END_TEST

/* Frames larger than a chunk, between small ones, in odd-sized chains. */
START_TEST(test_frames_large)
{
	static const size_t	pieces[] = { 7, 16, 17, 4095, 4096,
				    65535, 65536, 65537, 100000 };
	struct stream		 s;
	struct seen		 sn;
	struct evbuffer		*b;
	size_t			 i, at, step;

	stream_init(&s, WIRE_LOCAL);
	stream_add(&s, 0);
	stream_add(&s, 70000);
	stream_add(&s, 0);
	stream_add(&s, 65536);
	stream_add(&s, 1);
	stream_add(&s, 140000);
	for (i = 0; i < NITEMS(pieces); i++) {
		ck_assert_ptr_nonnull(b = evbuffer_new());
		seen_init(&sn, &s);
		for (at = 0; at < s.len; at += step) {
			step = pieces[i] < s.len - at ? pieces[i] : s.len - at;
			add_chain(b, &s, at, at + step);
			bufio_frames(b, reader_for(&s), &sn);
			ck_assert_uint_eq(sn.frames, whole_in(&s, at + step));
		}
		ck_assert_uint_eq(sn.frames, s.n);
		ck_assert_uint_eq(sn.bad, 0);
		ck_assert_uint_eq(evbuffer_get_length(b), 0);
		evbuffer_free(b);
	}
	stream_free(&s);
}
END_TEST

static void
count_cb(struct evbuffer *b, const struct evbuffer_cb_info *info, void *arg)
{
	size_t	*n = arg;

	(void)b;
	if (info->n_deleted > 0) {
		n[0]++;
		n[1] += info->n_deleted;
	}
}

static void
count_add_cb(struct evbuffer *b, const struct evbuffer_cb_info *info,
    void *arg)
{
	size_t	*n = arg;

	(void)b;
	if (info->n_added > 0) {
		n[0]++;
		n[1] += info->n_added;
	}
}

/* Frames in one chunk are drained once, not once each (bufio.h). */
START_TEST(test_frames_one_drain)
{
	struct stream	 s;
	struct seen	 sn;
	struct evbuffer	*b;
	size_t		 drains[2] = { 0, 0 }, i;

	stream_init(&s, WIRE_LOCAL);
	for (i = 0; i < 40; i++)
		stream_add(&s, i % 5 == 0 ? 20 : 0);
	ck_assert_ptr_nonnull(b = evbuffer_new());
	ck_assert_int_eq(evbuffer_add(b, s.b, s.len), 0);
	ck_assert_uint_eq(evbuffer_get_contiguous_space(b), s.len);
	ck_assert_ptr_nonnull(evbuffer_add_cb(b, count_cb, drains));
	seen_init(&sn, &s);
	bufio_frames(b, reader_for(&s), &sn);
	ck_assert_uint_eq(sn.frames, s.n);
	ck_assert_msg(drains[0] == 1, "%zu frames in one chunk drained in %zu "
	    "steps", s.n, drains[0]);
	ck_assert_uint_eq(drains[1], s.len);
	evbuffer_free(b);
	stream_free(&s);
}
END_TEST

/* Limits */

/* A frame of exactly the limit passes; one byte over is refused. */
START_TEST(test_limit_exact)
{
	struct stream	 s;
	struct seen	 sn;
	struct evbuffer	*b;

	stream_init(&s, WIRE_LOCAL);
	stream_add(&s, 1000);
	ck_assert_ptr_nonnull(b = evbuffer_new());
	ck_assert_int_eq(evbuffer_add(b, s.b, s.len), 0);
	seen_init(&sn, &s);
	sn.limit = s.flen[0];
	bufio_frames(b, reader_for(&s), &sn);
	ck_assert_uint_eq(sn.frames, 1);
	ck_assert_uint_eq(sn.bad, 0);

	ck_assert_int_eq(evbuffer_add(b, s.b, s.len), 0);
	seen_init(&sn, &s);
	sn.limit = s.flen[0] - 1;
	bufio_frames(b, reader_for(&s), &sn);
	ck_assert_uint_eq(sn.frames, 0);
	ck_assert_uint_eq(sn.bad, 1);
	ck_assert_str_eq(sn.why, wire_status_name(WIRE_BAD_LENGTH));
	evbuffer_free(b);
	stream_free(&s);
}
END_TEST

/* The limit is asked before each frame: it may change between two. */
START_TEST(test_limit_per_frame)
{
	struct stream	 s;
	struct seen	 sn;
	struct evbuffer	*b;

	stream_init(&s, WIRE_LOCAL);
	stream_add(&s, 200);
	stream_add(&s, 200);
	stream_add(&s, 200);
	ck_assert_ptr_nonnull(b = evbuffer_new());
	ck_assert_int_eq(evbuffer_add(b, s.b, s.len), 0);
	seen_init(&sn, &s);
	sn.limit = 1000;
	sn.limit_small = 100;
	sn.small_from = 2;
	bufio_frames(b, reader_for(&s), &sn);
	ck_assert_uint_eq(sn.frames, 2);
	ck_assert_uint_eq(sn.bad, 1);
	ck_assert_str_eq(sn.why, wire_status_name(WIRE_BAD_LENGTH));
	ck_assert_uint_ge(sn.limit_calls, 3);
	/* The two frames handled are drained, the third left as it was. */
	ck_assert_uint_eq(evbuffer_get_length(b), s.flen[2]);
	evbuffer_free(b);
	stream_free(&s);
}
END_TEST

/* Limit 0 (paused, closing): nothing is read, nothing is lost. */
START_TEST(test_limit_pause)
{
	struct stream	 s;
	struct seen	 sn;
	struct evbuffer	*b;
	size_t		 at;

	small_stream(&s, WIRE_LOCAL);
	for (at = 0; at <= s.n; at++) {
		ck_assert_ptr_nonnull(b = evbuffer_new());
		ck_assert_int_eq(evbuffer_add(b, s.b, s.len), 0);
		seen_init(&sn, &s);
		sn.pause_at = at;
		bufio_frames(b, reader_for(&s), &sn);
		ck_assert_uint_eq(sn.frames, at);
		ck_assert_uint_eq(sn.bad, 0);
		ck_assert_uint_eq(evbuffer_get_length(b), s.len - bytes_of(&s,
		    at));
		/* A second call while paused changes nothing. */
		bufio_frames(b, reader_for(&s), &sn);
		ck_assert_uint_eq(sn.frames, at);
		/* Resumed: the rest, in order. */
		sn.pause_at = SIZE_MAX;
		bufio_frames(b, reader_for(&s), &sn);
		ck_assert_uint_eq(sn.frames, s.n);
		ck_assert_uint_eq(evbuffer_get_length(b), 0);
		evbuffer_free(b);
	}
	stream_free(&s);
}
END_TEST

/* frame() returning -1 stops there, with that frame left at the front. */
START_TEST(test_frame_refused)
{
	struct stream	 s;
	struct seen	 sn;
	struct evbuffer	*b;
	size_t		 at;

	small_stream(&s, WIRE_LOCAL);
	for (at = 0; at < s.n; at++) {
		ck_assert_ptr_nonnull(b = evbuffer_new());
		ck_assert_int_eq(evbuffer_add(b, s.b, s.len), 0);
		seen_init(&sn, &s);
		sn.refuse_at = at;
		bufio_frames(b, reader_for(&s), &sn);
		ck_assert_uint_eq(sn.frames, at);
		ck_assert_uint_eq(sn.refused, 1);
		ck_assert_uint_eq(evbuffer_get_length(b), s.len - s.off[at]);
		/* Taken again: the same frame first, then the rest. */
		sn.refuse_at = SIZE_MAX;
		bufio_frames(b, reader_for(&s), &sn);
		ck_assert_uint_eq(sn.frames, s.n);
		ck_assert_uint_eq(evbuffer_get_length(b), 0);
		evbuffer_free(b);
	}
	stream_free(&s);
}
END_TEST

/* Bad headers */

struct bad_case {
	const char	*name;
	uint64_t	 marker;
	uint32_t	 type;
	int64_t		 len;		/* -1: the limit + 1 */
	enum wire_status want;
};

#define LIMIT	4096

static const struct bad_case bad_cases[] = {
	{ "marker", WIRE_MARKER ^ 1, WT_CTL_OK, 20, WIRE_BAD_MARKER },
	{ "marker zero", 0, WT_CTL_OK, 20, WIRE_BAD_MARKER },
	{ "length over the limit", WIRE_MARKER, WT_CTL_REPLY, -1,
	    WIRE_BAD_LENGTH },
	{ "length 4 GiB", WIRE_MARKER, WT_CTL_REPLY, UINT32_MAX,
	    WIRE_BAD_LENGTH },
	{ "length 0", WIRE_MARKER, WT_CTL_OK, 0, WIRE_BAD_LENGTH },
	{ "length below the header", WIRE_MARKER, WT_CTL_OK, WIRE_HDR_LEN - 1,
	    WIRE_BAD_LENGTH },
	{ "unknown type", WIRE_MARKER, 9999, 20, WIRE_BAD_TYPE },
	{ "peer type on the local socket", WIRE_MARKER, WT_DATA, 40,
	    WIRE_BAD_TYPE },
};

static void
put_be(uint8_t *p, uint64_t v, int n)
{
	while (n-- > 0) {
		p[n] = (uint8_t)v;
		v >>= 8;
	}
}

/*
 * A good frame, then the bad header alone: reported as soon as the
 * header is in, without waiting for a body; the good frame handled and
 * drained, the bad header left for the caller, which closes the stream.
 * Then the same, the header arriving a byte at a time.
 */
START_TEST(test_bad_header)
{
	const struct bad_case	*bc = &bad_cases[_i];
	struct stream		 s;
	struct seen		 sn;
	struct evbuffer		*b;
	uint8_t			 h[WIRE_HDR_LEN];
	size_t			 i;

	stream_init(&s, WIRE_LOCAL);
	stream_add(&s, 10);
	put_be(h, bc->marker, 8);
	put_be(h + 8, bc->type, 4);
	put_be(h + 12, bc->len < 0 ? LIMIT + 1 : (uint64_t)bc->len, 4);

	ck_assert_ptr_nonnull(b = evbuffer_new());
	ck_assert_int_eq(evbuffer_add(b, s.b, s.len), 0);
	ck_assert_int_eq(evbuffer_add(b, h, sizeof(h)), 0);
	seen_init(&sn, &s);
	sn.limit = LIMIT;
	bufio_frames(b, reader_for(&s), &sn);
	ck_assert_uint_eq(sn.frames, 1);
	ck_assert_msg(sn.bad == 1, "%s: bad() called %zu times", bc->name,
	    sn.bad);
	ck_assert_str_eq(sn.why, wire_status_name(bc->want));
	ck_assert_uint_eq(evbuffer_get_length(b), WIRE_HDR_LEN);
	evbuffer_free(b);

	ck_assert_ptr_nonnull(b = evbuffer_new());
	seen_init(&sn, &s);
	sn.limit = LIMIT;
	for (i = 0; i < WIRE_HDR_LEN; i++) {
		ck_assert_int_eq(evbuffer_add(b, h + i, 1), 0);
		bufio_frames(b, reader_for(&s), &sn);
		ck_assert_msg(sn.bad == (i + 1 == WIRE_HDR_LEN),
		    "%s: bad() %zu times after %zu header bytes", bc->name,
		    sn.bad, i + 1);
	}
	ck_assert_uint_eq(sn.frames, 0);
	ck_assert_str_eq(sn.why, wire_status_name(bc->want));
	evbuffer_free(b);
	stream_free(&s);
}
END_TEST

/* Appending */

START_TEST(test_add2)
{
	static const size_t	sizes[][2] = { { 16, 0 }, { 16, 1 },
				    { 40, 100 }, { 16, 4080 }, { 16, 4081 },
				    { 100, 4096 }, { 16, 70000 }, { 0, 10 },
				    { 3000, 3000 } };
	struct evbuffer		*b;
	uint8_t			*head, *body, *out;
	size_t			 i, j, hl, bl, cbs[2];

	for (i = 0; i < NITEMS(sizes); i++) {
		hl = sizes[i][0];
		bl = sizes[i][1];
		ck_assert_ptr_nonnull(head = malloc(hl + 1));
		ck_assert_ptr_nonnull(body = malloc(bl + 1));
		ck_assert_ptr_nonnull(out = malloc(hl + bl + 20));
		for (j = 0; j < hl; j++)
			head[j] = (uint8_t)(j + 1);
		for (j = 0; j < bl; j++)
			body[j] = (uint8_t)(0x80 ^ j);
		ck_assert_ptr_nonnull(b = evbuffer_new());
		/* Behind what the buffer held. */
		ck_assert_int_eq(evbuffer_add(b, "prev", 4), 0);
		memset(cbs, 0, sizeof(cbs));
		ck_assert_ptr_nonnull(evbuffer_add_cb(b, count_add_cb, cbs));
		ck_assert_int_eq(bufio_add2(b, head, hl, body, bl), 0);
		ck_assert_uint_eq(evbuffer_get_length(b), 4 + hl + bl);
		ck_assert_int_eq(evbuffer_copyout(b, out, 4 + hl + bl),
		    (ev_ssize_t)(4 + hl + bl));
		ck_assert(memcmp(out, "prev", 4) == 0);
		ck_assert_msg(memcmp(out + 4, head, hl) == 0, "head of %zu", hl);
		ck_assert_msg(memcmp(out + 4 + hl, body, bl) == 0,
		    "body of %zu after a head of %zu", bl, hl);
		ck_assert_uint_eq(cbs[1], hl + bl);
		/* Small frames in one add: the buffer's callbacks run once. */
		if (hl + bl <= 4096)
			ck_assert_msg(cbs[0] == 1, "%zu + %zu bytes added in "
			    "%zu steps", hl, bl, cbs[0]);
		evbuffer_free(b);
		free(head);
		free(body);
		free(out);
	}
}
END_TEST

/* Reading from the socket */

struct pair {
	struct event_base	*base;
	struct bufferevent	*bev;
	int			 peer;		/* the other end */
	int			 fd;		/* the bufferevent's */
	int			 reads;		/* read callbacks */
	short			 events;	/* from the event callback */
};

static void
pair_open(struct pair *p)
{
	int	fds[2], sz = 1 << 20;

	memset(p, 0, sizeof(*p));
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	ck_assert_int_eq(evutil_make_socket_nonblocking(fds[0]), 0);
	ck_assert_int_eq(evutil_make_socket_nonblocking(fds[1]), 0);
	/* Room for more than one 64 KiB read; the kernel may cap it. */
	(void)setsockopt(fds[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	(void)setsockopt(fds[0], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	ck_assert_ptr_nonnull(p->base = event_base_new());
	ck_assert_ptr_nonnull(p->bev = bufferevent_socket_new(p->base, fds[0],
	    BEV_OPT_CLOSE_ON_FREE));
	p->fd = fds[0];
	p->peer = fds[1];
}

static void
pair_close(struct pair *p)
{
	bufferevent_free(p->bev);
	if (p->peer != -1)
		close(p->peer);
	event_base_free(p->base);
}

/* Bytes the kernel holds for the bufferevent's socket. */
static size_t
pending(const struct pair *p)
{
	int	n;

	ck_assert_int_eq(ioctl(p->fd, FIONREAD, &n), 0);
	return ((size_t)n);
}

/* Write what fits of b[len] without blocking; the bytes written. */
static size_t
push(struct pair *p, const uint8_t *b, size_t len)
{
	size_t	done = 0;
	ssize_t	n;

	while (done < len) {
		n = write(p->peer, b + done, len - done);
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		ck_assert_msg(n > 0, "write: %s", strerror(errno));
		done += (size_t)n;
	}
	return (done);
}

static uint8_t *
pattern(size_t len)
{
	uint8_t	*b;
	size_t	 i;

	ck_assert_ptr_nonnull(b = malloc(len));
	for (i = 0; i < len; i++)
		b[i] = (uint8_t)(i * 7 + i / 251);
	return (b);
}

/* The input holds exactly want[len]. */
static void
input_is(struct pair *p, const uint8_t *want, size_t len)
{
	struct evbuffer	*in = bufferevent_get_input(p->bev);
	uint8_t		*got;

	ck_assert_uint_eq(evbuffer_get_length(in), len);
	ck_assert_ptr_nonnull(got = malloc(len + 1));
	ck_assert_int_eq(evbuffer_copyout(in, got, len), (ev_ssize_t)len);
	ck_assert_msg(memcmp(got, want, len) == 0, "the input is not the %zu "
	    "bytes written, in order", len);
	free(got);
}

/* The bufferevent's input end is frozen outside its own reads. */
static int
input_frozen(struct pair *p)
{
	return (evbuffer_add(bufferevent_get_input(p->bev), "x", 1) == -1);
}

START_TEST(test_fill_small)
{
	struct pair	 p;
	uint8_t		*b = pattern(1000);

	pair_open(&p);
	ck_assert_int_eq(input_frozen(&p), 1);
	/* Nothing there: nothing read, and no error either. */
	ck_assert_uint_eq(bufread_fill(p.bev, BIG), 0);
	ck_assert_uint_eq(push(&p, b, 1000), 1000);
	ck_assert_uint_eq(bufread_fill(p.bev, BIG), 1000);
	input_is(&p, b, 1000);
	ck_assert_uint_eq(pending(&p), 0);
	ck_assert_uint_eq(bufread_fill(p.bev, BIG), 0);
	/* Left as libevent keeps it. */
	ck_assert_int_eq(input_frozen(&p), 1);
	pair_close(&p);
	free(b);
}
END_TEST

/* More than one 64 KiB chunk waiting: all of it in one call. */
START_TEST(test_fill_big)
{
	struct pair	 p;
	uint8_t		*b = pattern(BIG);
	size_t		 w;

	pair_open(&p);
	w = push(&p, b, BIG);
	ck_assert_msg(w > 2 * BUFREAD_CHUNK, "the socketpair took only %zu "
	    "bytes: the test needs more than %d", w, 2 * BUFREAD_CHUNK);
	ck_assert_uint_eq(pending(&p), w);
	ck_assert_uint_eq(bufread_fill(p.bev, BIG + 1), w);
	input_is(&p, b, w);
	ck_assert_uint_eq(pending(&p), 0);
	ck_assert_int_eq(input_frozen(&p), 1);
	pair_close(&p);
	free(b);
}
END_TEST

/*
 * Reads stop once batch bytes wait in the input: the rest stays in the
 * kernel for the next call, and a full input reads nothing.
 */
START_TEST(test_fill_batch)
{
	struct pair	 p;
	uint8_t		*b = pattern(BIG);
	size_t		 w, got, more;

	pair_open(&p);
	w = push(&p, b, BIG);
	ck_assert_uint_gt(w, 2 * BUFREAD_CHUNK);
	got = bufread_fill(p.bev, 1000);
	ck_assert_uint_ge(got, 1000);
	ck_assert_msg(got < w, "a batch of 1000 read all %zu bytes", w);
	ck_assert_uint_eq(pending(&p), w - got);
	input_is(&p, b, got);
	/* The input holds the batch already. */
	ck_assert_uint_eq(bufread_fill(p.bev, got), 0);
	ck_assert_uint_eq(bufread_fill(p.bev, 1), 0);
	ck_assert_uint_eq(pending(&p), w - got);
	/* A batch beyond the input: reads until it is reached. */
	more = bufread_fill(p.bev, got + 1);
	ck_assert_uint_ge(got + more, got + 1);
	ck_assert_uint_eq(pending(&p), w - got - more);
	/* And the rest. */
	ck_assert_uint_eq(bufread_fill(p.bev, BIG + 1), w - got - more);
	input_is(&p, b, w);
	pair_close(&p);
	free(b);
}
END_TEST

static void
pair_read_cb(struct bufferevent *bev, void *arg)
{
	struct pair	*p = arg;

	(void)bev;
	p->reads++;
	event_base_loopbreak(p->base);
}

static void
pair_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct pair	*p = arg;

	(void)bev;
	p->events |= what;
	event_base_loopbreak(p->base);
}

/* Run the loop until a callback, at most 10 s. */
static void
pair_loop(struct pair *p)
{
	struct timeval	tv = { 10, 0 };

	bufferevent_setcb(p->bev, pair_read_cb, NULL, pair_event_cb, p);
	ck_assert_int_eq(bufferevent_enable(p->bev, EV_READ), 0);
	ck_assert_int_eq(event_base_loopexit(p->base, &tv), 0);
	ck_assert_int_eq(event_base_dispatch(p->base), 0);
	ck_assert_msg(p->reads > 0 || p->events != 0, "no callback in 10 s");
}

/* EOF is left to libevent, which reports it through the event callback. */
START_TEST(test_fill_eof)
{
	struct pair	 p;
	uint8_t		*b = pattern(10);

	pair_open(&p);
	ck_assert_uint_eq(push(&p, b, 10), 10);
	close(p.peer);
	p.peer = -1;
	ck_assert_uint_eq(bufread_fill(p.bev, BIG), 10);
	ck_assert_uint_eq(bufread_fill(p.bev, BIG), 0);
	input_is(&p, b, 10);
	pair_loop(&p);
	ck_assert_int_eq(p.reads, 0);
	ck_assert_msg(p.events == (BEV_EVENT_EOF | BEV_EVENT_READING),
	    "event callback got %#x, not EOF while reading", p.events);
	input_is(&p, b, 10);
	pair_close(&p);
	free(b);
}
END_TEST

/* libevent's own reads carry on where bufread_fill stopped. */
START_TEST(test_fill_then_libevent)
{
	struct pair	 p;
	uint8_t		*b = pattern(5000);

	pair_open(&p);
	ck_assert_uint_eq(push(&p, b, 3000), 3000);
	ck_assert_uint_eq(bufread_fill(p.bev, BIG), 3000);
	ck_assert_uint_eq(push(&p, b + 3000, 2000), 2000);
	pair_loop(&p);
	ck_assert_int_eq(p.reads, 1);
	ck_assert_int_eq(p.events, 0);
	input_is(&p, b, 5000);
	ck_assert_int_eq(input_frozen(&p), 1);
	pair_close(&p);
	free(b);
}
END_TEST

/* A bufferevent without a socket reads nothing. */
START_TEST(test_fill_no_fd)
{
	struct event_base	*base;
	struct bufferevent	*bev;

	ck_assert_ptr_nonnull(base = event_base_new());
	ck_assert_ptr_nonnull(bev = bufferevent_socket_new(base, -1, 0));
	ck_assert_uint_eq(bufread_fill(bev, BIG), 0);
	ck_assert_uint_eq(evbuffer_get_length(bufferevent_get_input(bev)), 0);
	bufferevent_free(bev);
	event_base_free(base);
}
END_TEST

/*
 * The daemon's read step: fill, then frame.  Many frames arrive in one
 * read, a large one over several; all are handled, in order.
 */
START_TEST(test_fill_frames)
{
	struct pair	 p;
	struct stream	 s;
	struct seen	 sn;
	size_t		 i, sent = 0, rounds = 0, first = 0;

	stream_init(&s, WIRE_PEER);
	for (i = 0; i < 60; i++)
		stream_add(&s, i == 30 ? 150000 : i % 7);
	pair_open(&p);
	seen_init(&sn, &s);
	while (sn.frames < s.n) {
		ck_assert_msg(++rounds < 10000, "%zu of %zu frames after %zu "
		    "rounds", sn.frames, s.n, rounds);
		sent += push(&p, s.b + sent, s.len - sent);
		(void)bufread_fill(p.bev, BIG);
		bufio_frames(bufferevent_get_input(p.bev), &peer_reader, &sn);
		if (rounds == 1)
			first = sn.frames;
	}
	ck_assert_uint_eq(sent, s.len);
	ck_assert_uint_eq(sn.bad, 0);
	ck_assert_msg(first >= 30, "only %zu frames in the first read", first);
	ck_assert_uint_eq(evbuffer_get_length(bufferevent_get_input(p.bev)),
	    0);
	pair_close(&p);
	stream_free(&s);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("bufio");

	tc = tcase_create("frames");
	tcase_set_timeout(tc, SLOW_TIMEOUT);
	tcase_add_test(tc, test_frames_whole_local);
	tcase_add_test(tc, test_frames_whole_peer);
	tcase_add_test(tc, test_frames_cut_every_byte);
	tcase_add_test(tc, test_frames_cut_between_chains);
	tcase_add_test(tc, test_frames_byte_chains);
	tcase_add_test(tc, test_frames_large);
	tcase_add_test(tc, test_frames_one_drain);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_test(tc, test_limit_exact);
	tcase_add_test(tc, test_limit_per_frame);
	tcase_add_test(tc, test_limit_pause);
	tcase_add_test(tc, test_frame_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("bad headers");
	tcase_add_loop_test(tc, test_bad_header, 0, NITEMS(bad_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("append");
	tcase_add_test(tc, test_add2);
	suite_add_tcase(s, tc);

	tc = tcase_create("fill");
	tcase_set_timeout(tc, SLOW_TIMEOUT);
	tcase_add_test(tc, test_fill_small);
	tcase_add_test(tc, test_fill_big);
	tcase_add_test(tc, test_fill_batch);
	tcase_add_test(tc, test_fill_eof);
	tcase_add_test(tc, test_fill_then_libevent);
	tcase_add_test(tc, test_fill_no_fd);
	tcase_add_test(tc, test_fill_frames);
	suite_add_tcase(s, tc);

	return (s);
}
