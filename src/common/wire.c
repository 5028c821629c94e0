/*
 * wire.c: the pure frame codec.  See wire.h and cohort-protocol(7).
 *
 * Integers are big-endian.  A string is a 16-bit length and that many
 * bytes, no terminator; each string field has its own maximum and may not
 * contain a NUL byte.  Decoders are strict: a frame must be consumed
 * exactly, except HELLO, which later versions may extend at its end (the
 * version ranges it carries are what tell the two ends apart).
 */
#include <string.h>

#include "wire.h"

static const struct {
	uint32_t	 type;
	const char	*name;
	enum wire_channel chan;
} wire_type_tbl[] = {
#define X(n, v, c)	{ v, #n, c },
	WIRE_TYPES(X)
#undef X
};

static const char *const member_state_tbl[] = {
#define X(n, v, s)	[v] = s,
	MEMBER_STATES(X)
#undef X
};

static const char *const wire_reason_tbl[] = {
#define X(n, v, s)	[v] = s,
	WIRE_REASONS(X)
#undef X
};

const char *
wire_type_name(uint32_t type)
{
	size_t	i;

	for (i = 0; i < sizeof(wire_type_tbl) / sizeof(wire_type_tbl[0]); i++)
		if (wire_type_tbl[i].type == type)
			return (wire_type_tbl[i].name);
	return ("UNKNOWN");
}

const char *
wire_status_name(enum wire_status st)
{
	switch (st) {
	case WIRE_OK:		return ("ok");
	case WIRE_SHORT:	return ("frame incomplete");
	case WIRE_BAD_MARKER:	return ("bad frame marker");
	case WIRE_BAD_LENGTH:	return ("bad frame length");
	case WIRE_BAD_TYPE:	return ("unknown frame type");
	case WIRE_BAD_BODY:	return ("malformed frame body");
	case WIRE_NOSPACE:	return ("frame does not fit");
	}
	return ("unknown status");
}

const char *
wire_reason_name(uint32_t reason)
{
	if (reason < sizeof(wire_reason_tbl) / sizeof(wire_reason_tbl[0]) &&
	    wire_reason_tbl[reason] != NULL)
		return (wire_reason_tbl[reason]);
	return ("unknown reason");
}

const char *
member_state_name(unsigned int st)
{
	if (st <= MEMBER_STATE_MAX && member_state_tbl[st] != NULL)
		return (member_state_tbl[st]);
	return ("invalid");
}

int
member_state_parse(const char *s)
{
	unsigned int	i;

	for (i = 0; i <= MEMBER_STATE_MAX; i++)
		if (member_state_tbl[i] != NULL &&
		    strcmp(member_state_tbl[i], s) == 0)
			return ((int)i);
	return (-1);
}

/* Checked readers: every read is bounds-checked and the error sticks. */

static inline int
rd_has(struct wire_reader *r, size_t n)
{
	if (r->bad || r->len - r->off < n) {
		r->bad = 1;
		return (0);
	}
	return (1);
}

static inline uint8_t
rd_u8(struct wire_reader *r)
{
	if (!rd_has(r, 1))
		return (0);
	return (r->p[r->off++]);
}

static inline uint16_t
rd_u16(struct wire_reader *r)
{
	uint16_t	v;

	if (!rd_has(r, 2))
		return (0);
	v = (uint16_t)(r->p[r->off] << 8 | r->p[r->off + 1]);
	r->off += 2;
	return (v);
}

static inline uint32_t
rd_u32(struct wire_reader *r)
{
	uint32_t	v;

	if (!rd_has(r, 4))
		return (0);
	v = (uint32_t)r->p[r->off] << 24 | (uint32_t)r->p[r->off + 1] << 16 |
	    (uint32_t)r->p[r->off + 2] << 8 | (uint32_t)r->p[r->off + 3];
	r->off += 4;
	return (v);
}

static inline uint64_t
rd_u64(struct wire_reader *r)
{
	uint64_t	hi, lo;

	hi = rd_u32(r);
	lo = rd_u32(r);
	return (hi << 32 | lo);
}

static void
rd_bytes(struct wire_reader *r, void *out, size_t n)
{
	if (!rd_has(r, n)) {
		memset(out, 0, n);
		return;
	}
	memcpy(out, r->p + r->off, n);
	r->off += n;
}

/* A string into out[max + 1]: longer than max, or holding NUL, is bad. */
static void
rd_str(struct wire_reader *r, char *out, size_t max)
{
	uint16_t	n;

	out[0] = '\0';
	n = rd_u16(r);
	if (n > max || !rd_has(r, n)) {
		r->bad = 1;
		return;
	}
	if (memchr(r->p + r->off, '\0', n) != NULL) {
		r->bad = 1;
		return;
	}
	memcpy(out, r->p + r->off, n);
	out[n] = '\0';
	r->off += n;
}

static void
rd_init(struct wire_reader *r, const uint8_t *buf, size_t len)
{
	r->p = buf;
	r->len = len;
	r->off = WIRE_HDR_LEN;
	r->bad = len < WIRE_HDR_LEN;
}

/* Strict end: the whole frame was consumed and nothing went out of bounds. */
static enum wire_status
rd_end(struct wire_reader *r)
{
	if (r->bad || r->off != r->len)
		return (WIRE_BAD_BODY);
	return (WIRE_OK);
}

/* Bounded writers. */

static void
wr_init(struct wire_writer *w, uint8_t *buf, size_t cap, uint32_t type)
{
	w->p = buf;
	w->cap = cap;
	w->len = WIRE_HDR_LEN;
	w->count = 0;
	w->full = cap < WIRE_HDR_LEN;
	if (!w->full)
		wire_put_header(buf, type, 0);
}

static inline int
wr_room(struct wire_writer *w, size_t n)
{
	if (w->full || w->cap - w->len < n) {
		w->full = 1;
		return (0);
	}
	return (1);
}

static inline void
wr_u8(struct wire_writer *w, uint8_t v)
{
	if (wr_room(w, 1))
		w->p[w->len++] = v;
}

static inline void
wr_u16(struct wire_writer *w, uint16_t v)
{
	if (!wr_room(w, 2))
		return;
	w->p[w->len++] = (uint8_t)(v >> 8);
	w->p[w->len++] = (uint8_t)v;
}

static inline void
wr_u32(struct wire_writer *w, uint32_t v)
{
	if (!wr_room(w, 4))
		return;
	w->p[w->len++] = (uint8_t)(v >> 24);
	w->p[w->len++] = (uint8_t)(v >> 16);
	w->p[w->len++] = (uint8_t)(v >> 8);
	w->p[w->len++] = (uint8_t)v;
}

static inline void
wr_u64(struct wire_writer *w, uint64_t v)
{
	wr_u32(w, (uint32_t)(v >> 32));
	wr_u32(w, (uint32_t)v);
}

static void
wr_bytes(struct wire_writer *w, const void *v, size_t n)
{
	if (!wr_room(w, n))
		return;
	memcpy(w->p + w->len, v, n);
	w->len += n;
}

/* Strings longer than their field's maximum are not encoded: full. */
static void
wr_str(struct wire_writer *w, const char *s, size_t max)
{
	size_t	n;

	n = strnlen(s, max + 1);
	if (n > max) {
		w->full = 1;
		return;
	}
	wr_u16(w, (uint16_t)n);
	wr_bytes(w, s, n);
}

static size_t
wr_finish(struct wire_writer *w)
{
	if (w->full || w->len > UINT32_MAX)
		return (0);
	wire_put_header(w->p, (uint32_t)(w->p[8] << 24 | w->p[9] << 16 |
	    w->p[10] << 8 | w->p[11]), (uint32_t)w->len);
	return (w->len);
}

void
wire_put_header(uint8_t *buf, uint32_t type, uint32_t len)
{
	uint64_t	m = WIRE_MARKER;
	int		i;

	for (i = 0; i < 8; i++)
		buf[i] = (uint8_t)(m >> (56 - 8 * i));
	buf[8] = (uint8_t)(type >> 24);
	buf[9] = (uint8_t)(type >> 16);
	buf[10] = (uint8_t)(type >> 8);
	buf[11] = (uint8_t)type;
	buf[12] = (uint8_t)(len >> 24);
	buf[13] = (uint8_t)(len >> 16);
	buf[14] = (uint8_t)(len >> 8);
	buf[15] = (uint8_t)len;
}

enum wire_status
wire_check_header(const uint8_t *buf, size_t len, size_t maxlen,
    enum wire_channel chan, struct wire_hdr *hdr)
{
	struct wire_reader	 r;
	uint64_t		 marker;
	size_t			 i;

	if (len < WIRE_HDR_LEN)
		return (WIRE_SHORT);
	r.p = buf;
	r.len = WIRE_HDR_LEN;
	r.off = 0;
	r.bad = 0;
	marker = rd_u64(&r);
	hdr->type = rd_u32(&r);
	hdr->len = rd_u32(&r);
	if (marker != WIRE_MARKER)
		return (WIRE_BAD_MARKER);
	if (hdr->len < WIRE_HDR_LEN || hdr->len > maxlen)
		return (WIRE_BAD_LENGTH);
	for (i = 0; i < sizeof(wire_type_tbl) / sizeof(wire_type_tbl[0]); i++)
		if (wire_type_tbl[i].type == hdr->type)
			return (wire_type_tbl[i].chan == chan ?
			    WIRE_OK : WIRE_BAD_TYPE);
	return (WIRE_BAD_TYPE);
}

/* HELLO */

size_t
wire_encode_hello(uint8_t *buf, size_t cap, const struct wire_hello *m)
{
	struct wire_writer	w;

	wr_init(&w, buf, cap, WT_HELLO);
	wr_u16(&w, m->version);
	wr_u16(&w, m->min_version);
	wr_u64(&w, m->incarnation);
	wr_u16(&w, m->port);
	wr_bytes(&w, m->nonce, sizeof(m->nonce));
	wr_str(&w, m->cluster, WIRE_ID_MAX);
	wr_str(&w, m->node_id, WIRE_ID_MAX);
	wr_str(&w, m->address, WIRE_ADDR_MAX);
	return (wr_finish(&w));
}

enum wire_status
wire_decode_hello(const uint8_t *buf, size_t len, struct wire_hello *m)
{
	struct wire_reader	r;

	rd_init(&r, buf, len);
	m->version = rd_u16(&r);
	m->min_version = rd_u16(&r);
	m->incarnation = rd_u64(&r);
	m->port = rd_u16(&r);
	rd_bytes(&r, m->nonce, sizeof(m->nonce));
	rd_str(&r, m->cluster, WIRE_ID_MAX);
	rd_str(&r, m->node_id, WIRE_ID_MAX);
	rd_str(&r, m->address, WIRE_ADDR_MAX);
	/* Later versions may append fields: trailing bytes are allowed. */
	if (r.bad || m->min_version > m->version || m->node_id[0] == '\0')
		return (WIRE_BAD_BODY);
	return (WIRE_OK);
}

/* HELLO_ACK */

size_t
wire_encode_hello_ack(uint8_t *buf, size_t cap, const struct wire_hello_ack *m)
{
	struct wire_writer	w;

	wr_init(&w, buf, cap, WT_HELLO_ACK);
	wr_bytes(&w, m->nonce, sizeof(m->nonce));
	wr_bytes(&w, m->mac, sizeof(m->mac));
	wr_str(&w, m->node_id, WIRE_ID_MAX);
	return (wr_finish(&w));
}

enum wire_status
wire_decode_hello_ack(const uint8_t *buf, size_t len, struct wire_hello_ack *m)
{
	struct wire_reader	r;

	rd_init(&r, buf, len);
	rd_bytes(&r, m->nonce, sizeof(m->nonce));
	rd_bytes(&r, m->mac, sizeof(m->mac));
	rd_str(&r, m->node_id, WIRE_ID_MAX);
	return (rd_end(&r));
}

/* ECHO */

size_t
wire_encode_echo(uint8_t *buf, size_t cap, const struct wire_echo *m)
{
	struct wire_writer	w;

	wr_init(&w, buf, cap, WT_ECHO);
	wr_u64(&w, m->seq);
	wr_u64(&w, m->ts_us);
	wr_u64(&w, m->echo_ts_us);
	wr_u64(&w, m->hold_us);
	wr_u64(&w, m->data_acked);
	wr_str(&w, m->node_id, WIRE_ID_MAX);
	return (wr_finish(&w));
}

enum wire_status
wire_decode_echo(const uint8_t *buf, size_t len, struct wire_echo *m)
{
	struct wire_reader	r;

	rd_init(&r, buf, len);
	m->seq = rd_u64(&r);
	m->ts_us = rd_u64(&r);
	m->echo_ts_us = rd_u64(&r);
	m->hold_us = rd_u64(&r);
	m->data_acked = rd_u64(&r);
	rd_str(&r, m->node_id, WIRE_ID_MAX);
	return (rd_end(&r));
}

/* BYE */

size_t
wire_encode_bye(uint8_t *buf, size_t cap, const struct wire_bye *m)
{
	struct wire_writer	w;

	wr_init(&w, buf, cap, WT_BYE);
	wr_u32(&w, m->reason);
	wr_str(&w, m->node_id, WIRE_ID_MAX);
	wr_str(&w, m->text, WIRE_TEXT_MAX);
	return (wr_finish(&w));
}

enum wire_status
wire_decode_bye(const uint8_t *buf, size_t len, struct wire_bye *m)
{
	struct wire_reader	r;

	rd_init(&r, buf, len);
	m->reason = rd_u32(&r);
	rd_str(&r, m->node_id, WIRE_ID_MAX);
	rd_str(&r, m->text, WIRE_TEXT_MAX);
	return (rd_end(&r));
}

/* REFUSE */

size_t
wire_encode_refuse(uint8_t *buf, size_t cap, const struct wire_refuse *m)
{
	struct wire_writer	w;

	wr_init(&w, buf, cap, WT_REFUSE);
	wr_u32(&w, m->reason);
	wr_str(&w, m->text, WIRE_TEXT_MAX);
	return (wr_finish(&w));
}

enum wire_status
wire_decode_refuse(const uint8_t *buf, size_t len, struct wire_refuse *m)
{
	struct wire_reader	r;

	rd_init(&r, buf, len);
	m->reason = rd_u32(&r);
	rd_str(&r, m->text, WIRE_TEXT_MAX);
	return (rd_end(&r));
}

/* CTL_HELLO */

size_t
wire_encode_ctl_hello(uint8_t *buf, size_t cap, const struct wire_ctl_hello *m)
{
	struct wire_writer	w;

	wr_init(&w, buf, cap, WT_CTL_HELLO);
	wr_u16(&w, m->version);
	wr_u16(&w, m->min_version);
	wr_u32(&w, m->pid);
	wr_str(&w, m->name, WIRE_ID_MAX);
	return (wr_finish(&w));
}

enum wire_status
wire_decode_ctl_hello(const uint8_t *buf, size_t len, struct wire_ctl_hello *m)
{
	struct wire_reader	r;

	rd_init(&r, buf, len);
	m->version = rd_u16(&r);
	m->min_version = rd_u16(&r);
	m->pid = rd_u32(&r);
	rd_str(&r, m->name, WIRE_ID_MAX);
	if (rd_end(&r) != WIRE_OK || m->min_version > m->version)
		return (WIRE_BAD_BODY);
	return (WIRE_OK);
}

/* CTL_WELCOME */

size_t
wire_encode_ctl_welcome(uint8_t *buf, size_t cap,
    const struct wire_ctl_welcome *m)
{
	struct wire_writer	w;

	wr_init(&w, buf, cap, WT_CTL_WELCOME);
	wr_u16(&w, m->version);
	wr_u32(&w, m->max_message);
	wr_u64(&w, m->incarnation);
	wr_str(&w, m->cluster, WIRE_ID_MAX);
	wr_str(&w, m->node_id, WIRE_ID_MAX);
	return (wr_finish(&w));
}

enum wire_status
wire_decode_ctl_welcome(const uint8_t *buf, size_t len,
    struct wire_ctl_welcome *m)
{
	struct wire_reader	r;

	rd_init(&r, buf, len);
	m->version = rd_u16(&r);
	m->max_message = rd_u32(&r);
	m->incarnation = rd_u64(&r);
	rd_str(&r, m->cluster, WIRE_ID_MAX);
	rd_str(&r, m->node_id, WIRE_ID_MAX);
	return (rd_end(&r));
}

/* CTL_ERROR */

size_t
wire_encode_ctl_error(uint8_t *buf, size_t cap, const struct wire_ctl_error *m)
{
	struct wire_writer	w;

	wr_init(&w, buf, cap, WT_CTL_ERROR);
	wr_u32(&w, m->req_id);
	wr_u32(&w, m->code);
	wr_str(&w, m->text, WIRE_TEXT_MAX);
	return (wr_finish(&w));
}

enum wire_status
wire_decode_ctl_error(const uint8_t *buf, size_t len, struct wire_ctl_error *m)
{
	struct wire_reader	r;

	rd_init(&r, buf, len);
	m->req_id = rd_u32(&r);
	m->code = rd_u32(&r);
	rd_str(&r, m->text, WIRE_TEXT_MAX);
	return (rd_end(&r));
}

/*
 * CTL_OK, CTL_MEMBERS_REQ, CTL_STATS_REQ: a request id only; the type
 * tells them apart.
 */

size_t
wire_encode_ctl_req(uint8_t *buf, size_t cap, uint32_t type,
    const struct wire_ctl_req *m)
{
	struct wire_writer	w;

	if (type != WT_CTL_OK && type != WT_CTL_MEMBERS_REQ &&
	    type != WT_CTL_STATS_REQ && type != WT_CTL_RELOAD)
		return (0);
	wr_init(&w, buf, cap, type);
	wr_u32(&w, m->req_id);
	return (wr_finish(&w));
}

enum wire_status
wire_decode_ctl_req(const uint8_t *buf, size_t len, uint32_t type,
    struct wire_ctl_req *m)
{
	struct wire_reader	r;

	if (type != WT_CTL_OK && type != WT_CTL_MEMBERS_REQ &&
	    type != WT_CTL_STATS_REQ && type != WT_CTL_RELOAD)
		return (WIRE_BAD_TYPE);
	rd_init(&r, buf, len);
	m->req_id = rd_u32(&r);
	return (rd_end(&r));
}

/* CTL_WATCH */

size_t
wire_encode_ctl_watch(uint8_t *buf, size_t cap, const struct wire_ctl_watch *m)
{
	return (wire_encode_ctl_switch(buf, cap, WT_CTL_WATCH, m));
}

/* CTL_WATCH and CTL_LOG_LEVEL: a request id and an on/off switch. */
size_t
wire_encode_ctl_switch(uint8_t *buf, size_t cap, uint32_t type,
    const struct wire_ctl_watch *m)
{
	struct wire_writer	w;

	if (type != WT_CTL_WATCH && type != WT_CTL_LOG_LEVEL)
		return (0);
	wr_init(&w, buf, cap, type);
	wr_u32(&w, m->req_id);
	wr_u8(&w, m->on);
	return (wr_finish(&w));
}

enum wire_status
wire_decode_ctl_watch(const uint8_t *buf, size_t len, struct wire_ctl_watch *m)
{
	struct wire_reader	r;

	rd_init(&r, buf, len);
	m->req_id = rd_u32(&r);
	m->on = rd_u8(&r);
	if (rd_end(&r) != WIRE_OK || m->on > 1)
		return (WIRE_BAD_BODY);
	return (WIRE_OK);
}

/* CTL_EVENT */

size_t
wire_encode_ctl_event(uint8_t *buf, size_t cap, const struct wire_ctl_event *m)
{
	struct wire_writer	w;

	wr_init(&w, buf, cap, WT_CTL_EVENT);
	wr_u8(&w, m->state);
	wr_u8(&w, m->prev_state);
	wr_u64(&w, m->incarnation);
	wr_u64(&w, m->time_ms);
	wr_str(&w, m->node, WIRE_ID_MAX);
	return (wr_finish(&w));
}

enum wire_status
wire_decode_ctl_event(const uint8_t *buf, size_t len, struct wire_ctl_event *m)
{
	struct wire_reader	r;

	rd_init(&r, buf, len);
	m->state = rd_u8(&r);
	m->prev_state = rd_u8(&r);
	m->incarnation = rd_u64(&r);
	m->time_ms = rd_u64(&r);
	rd_str(&r, m->node, WIRE_ID_MAX);
	if (rd_end(&r) != WIRE_OK || m->state > MEMBER_STATE_MAX ||
	    m->prev_state > MEMBER_STATE_MAX)
		return (WIRE_BAD_BODY);
	return (WIRE_OK);
}

/* CTL_MEMBERS: req_id, count, then count members. */

#define MEMBER_FIXED_LEN	(2 + 2 + 2 + 1 + 8 + 8 + 8)

size_t
wire_member_size(const struct wire_member *m)
{
	return (MEMBER_FIXED_LEN + strnlen(m->id, WIRE_ID_MAX + 1) +
	    strnlen(m->address, WIRE_ADDR_MAX + 1));
}

void
wire_members_start(struct wire_writer *w, uint8_t *buf, size_t cap,
    uint32_t req_id)
{
	wr_init(w, buf, cap, WT_CTL_MEMBERS);
	wr_u32(w, req_id);
	wr_u32(w, 0);		/* count, patched by finish */
}

void
wire_members_add(struct wire_writer *w, const struct wire_member *m)
{
	wr_str(w, m->id, WIRE_ID_MAX);
	wr_str(w, m->address, WIRE_ADDR_MAX);
	wr_u16(w, m->port);
	wr_u8(w, m->state);
	wr_u64(w, m->rtt_us);
	wr_u64(w, m->incarnation);
	wr_u64(w, m->since_ms);
	w->count++;
}

size_t
wire_members_finish(struct wire_writer *w)
{
	uint32_t	n = w->count;

	if (w->full || n > WIRE_MEMBERS_MAX)
		return (0);
	w->p[WIRE_HDR_LEN + 4] = (uint8_t)(n >> 24);
	w->p[WIRE_HDR_LEN + 5] = (uint8_t)(n >> 16);
	w->p[WIRE_HDR_LEN + 6] = (uint8_t)(n >> 8);
	w->p[WIRE_HDR_LEN + 7] = (uint8_t)n;
	return (wr_finish(w));
}

enum wire_status
wire_members_begin(const uint8_t *buf, size_t len, struct wire_reader *r,
    uint32_t *req_id, uint32_t *count)
{
	rd_init(r, buf, len);
	*req_id = rd_u32(r);
	*count = rd_u32(r);
	if (r->bad || *count > WIRE_MEMBERS_MAX)
		return (WIRE_BAD_BODY);
	/* Each member takes at least MEMBER_FIXED_LEN bytes. */
	if ((size_t)*count * MEMBER_FIXED_LEN > r->len - r->off)
		return (WIRE_BAD_BODY);
	return (WIRE_OK);
}

enum wire_status
wire_members_next(struct wire_reader *r, struct wire_member *m)
{
	rd_str(r, m->id, WIRE_ID_MAX);
	rd_str(r, m->address, WIRE_ADDR_MAX);
	m->port = rd_u16(r);
	m->state = rd_u8(r);
	m->rtt_us = rd_u64(r);
	m->incarnation = rd_u64(r);
	m->since_ms = rd_u64(r);
	if (r->bad || m->state > MEMBER_STATE_MAX) {
		r->bad = 1;
		return (WIRE_BAD_BODY);
	}
	return (WIRE_OK);
}

enum wire_status
wire_members_end(struct wire_reader *r)
{
	return (rd_end(r));
}

/* CTL_STATS */

static void
wr_patch_u32(struct wire_writer *w, size_t off, uint32_t v)
{
	if (w->full || off + 4 > w->len)
		return;
	w->p[off] = (uint8_t)(v >> 24);
	w->p[off + 1] = (uint8_t)(v >> 16);
	w->p[off + 2] = (uint8_t)(v >> 8);
	w->p[off + 3] = (uint8_t)v;
}

static void
wr_stats_close_section(struct wire_writer *w)
{
	if (w->mark != 0)
		wr_patch_u32(w, w->mark, w->sub);
}

void
wire_stats_start(struct wire_writer *w, uint8_t *buf, size_t cap,
    uint32_t req_id)
{
	wr_init(w, buf, cap, WT_CTL_STATS);
	wr_u32(w, req_id);
	wr_u32(w, 0);		/* sections, patched by finish */
	w->mark = 0;
	w->sub = 0;
}

void
wire_stats_section(struct wire_writer *w, const char *kind, const char *name)
{
	wr_stats_close_section(w);
	wr_str(w, kind, WIRE_ID_MAX);
	wr_str(w, name, WIRE_ID_MAX);
	w->mark = w->len;
	w->sub = 0;
	wr_u32(w, 0);		/* counters, patched when the section ends */
	w->count++;
}

void
wire_stats_add(struct wire_writer *w, const char *key, uint64_t value)
{
	if (w->mark == 0 || w->sub >= WIRE_STATS_KV_MAX) {
		w->full = 1;
		return;
	}
	wr_str(w, key, WIRE_ID_MAX);
	wr_u64(w, value);
	w->sub++;
}

size_t
wire_stats_finish(struct wire_writer *w)
{
	wr_stats_close_section(w);
	if (w->count > WIRE_STATS_SECTIONS_MAX)
		return (0);
	wr_patch_u32(w, WIRE_HDR_LEN + 4, w->count);
	return (wr_finish(w));
}

enum wire_status
wire_stats_begin(const uint8_t *buf, size_t len, struct wire_reader *r,
    uint32_t *req_id, uint32_t *nsections)
{
	rd_init(r, buf, len);
	*req_id = rd_u32(r);
	*nsections = rd_u32(r);
	if (r->bad || *nsections > WIRE_STATS_SECTIONS_MAX)
		return (WIRE_BAD_BODY);
	return (WIRE_OK);
}

enum wire_status
wire_stats_next_section(struct wire_reader *r, char *kind, char *name,
    uint32_t *nkv)
{
	rd_str(r, kind, WIRE_ID_MAX);
	rd_str(r, name, WIRE_ID_MAX);
	*nkv = rd_u32(r);
	if (r->bad || *nkv > WIRE_STATS_KV_MAX) {
		r->bad = 1;
		return (WIRE_BAD_BODY);
	}
	return (WIRE_OK);
}

enum wire_status
wire_stats_next(struct wire_reader *r, char *key, uint64_t *value)
{
	rd_str(r, key, WIRE_ID_MAX);
	*value = rd_u64(r);
	return (r->bad ? WIRE_BAD_BODY : WIRE_OK);
}

enum wire_status
wire_stats_end(struct wire_reader *r)
{
	return (rd_end(r));
}

/*
 * Frames with a body: the body is whatever follows the fields, up to the
 * frame length.  A head is finished with the total length it announces.
 */
static size_t
wr_finish_head(struct wire_writer *w, size_t body_len)
{
	uint32_t	type;

	if (w->full || body_len > UINT32_MAX - w->len)
		return (0);
	type = (uint32_t)w->p[8] << 24 | (uint32_t)w->p[9] << 16 |
	    (uint32_t)w->p[10] << 8 | w->p[11];
	wire_put_header(w->p, type, (uint32_t)(w->len + body_len));
	return (w->len);
}

/* A whole frame: the head, then a copy of the body. */
static size_t
wr_whole(uint8_t *buf, size_t cap, size_t head, const uint8_t *body,
    size_t body_len)
{
	if (head == 0 || cap - head < body_len)
		return (0);
	if (body_len > 0)
		memcpy(buf + head, body, body_len);
	return (head + body_len);
}

static void
rd_body(struct wire_reader *r, const uint8_t **body, size_t *len)
{
	if (r->bad) {
		*body = NULL;
		*len = 0;
		return;
	}
	*body = r->p + r->off;
	*len = r->len - r->off;
	r->off = r->len;
}

/* DATA */

size_t
wire_encode_data_head(uint8_t *buf, size_t cap, const struct wire_data *m,
    size_t body_len)
{
	struct wire_writer	w;

	wr_init(&w, buf, cap, WT_DATA);
	wr_u32(&w, m->flags);
	wr_u32(&w, m->timeout_ms);
	wr_u64(&w, m->corr);
	wr_str(&w, m->origin, WIRE_ID_MAX);
	wr_str(&w, m->subject, WIRE_SUBJECT_MAX);
	return (wr_finish_head(&w, body_len));
}

size_t
wire_encode_data(uint8_t *buf, size_t cap, const struct wire_data *m)
{
	return (wr_whole(buf, cap, wire_encode_data_head(buf, cap, m,
	    m->body_len), m->body, m->body_len));
}

enum wire_status
wire_decode_data(const uint8_t *buf, size_t len, struct wire_data *m)
{
	struct wire_reader	r;

	rd_init(&r, buf, len);
	m->flags = rd_u32(&r);
	m->timeout_ms = rd_u32(&r);
	m->corr = rd_u64(&r);
	rd_str(&r, m->origin, WIRE_ID_MAX);
	rd_str(&r, m->subject, WIRE_SUBJECT_MAX);
	rd_body(&r, &m->body, &m->body_len);
	if (r.bad || (m->flags & ~DATA_FLAGS_ALL) != 0 ||
	    m->origin[0] == '\0' || m->subject[0] == '\0')
		return (WIRE_BAD_BODY);
	return (WIRE_OK);
}

/* CTL_SUB, CTL_UNSUB */

size_t
wire_encode_ctl_sub(uint8_t *buf, size_t cap, uint32_t type,
    const struct wire_ctl_sub *m)
{
	struct wire_writer	w;

	if (type != WT_CTL_SUB && type != WT_CTL_UNSUB)
		return (0);
	wr_init(&w, buf, cap, type);
	wr_u32(&w, m->req_id);
	wr_str(&w, m->pattern, WIRE_SUBJECT_MAX);
	return (wr_finish(&w));
}

enum wire_status
wire_decode_ctl_sub(const uint8_t *buf, size_t len, struct wire_ctl_sub *m)
{
	struct wire_reader	r;

	rd_init(&r, buf, len);
	m->req_id = rd_u32(&r);
	rd_str(&r, m->pattern, WIRE_SUBJECT_MAX);
	return (rd_end(&r));
}

/* CTL_PUB */

size_t
wire_encode_ctl_pub_head(uint8_t *buf, size_t cap,
    const struct wire_ctl_pub *m, const char *const *targets, size_t body_len)
{
	struct wire_writer	w;
	uint16_t		i;

	wr_init(&w, buf, cap, WT_CTL_PUB);
	wr_u32(&w, m->req_id);
	wr_u32(&w, m->flags);
	wr_u8(&w, m->mode);
	wr_u32(&w, m->timeout_ms);
	wr_u16(&w, m->ntargets);
	for (i = 0; i < m->ntargets; i++)
		wr_str(&w, targets[i], WIRE_ID_MAX);
	wr_str(&w, m->subject, WIRE_SUBJECT_MAX);
	return (wr_finish_head(&w, body_len));
}

size_t
wire_encode_ctl_pub(uint8_t *buf, size_t cap, const struct wire_ctl_pub *m,
    const char *const *targets)
{
	return (wr_whole(buf, cap, wire_encode_ctl_pub_head(buf, cap, m,
	    targets, m->body_len), m->body, m->body_len));
}

enum wire_status
wire_decode_ctl_pub(const uint8_t *buf, size_t len, struct wire_ctl_pub *m)
{
	struct wire_reader	r;
	char			id[WIRE_ID_MAX + 1];
	size_t			start;
	uint16_t		i;

	rd_init(&r, buf, len);
	m->req_id = rd_u32(&r);
	m->flags = rd_u32(&r);
	m->mode = rd_u8(&r);
	m->timeout_ms = rd_u32(&r);
	m->ntargets = rd_u16(&r);
	start = r.off;
	for (i = 0; i < m->ntargets && !r.bad; i++)
		rd_str(&r, id, WIRE_ID_MAX);
	m->targets = r.p + start;
	m->targets_len = r.bad ? 0 : r.off - start;
	rd_str(&r, m->subject, WIRE_SUBJECT_MAX);
	rd_body(&r, &m->body, &m->body_len);
	if (r.bad || (m->flags & ~PUB_FLAGS_ALL) != 0 ||
	    m->mode < PUB_UNICAST || m->mode > PUB_BROADCAST ||
	    m->ntargets > WIRE_TARGETS_MAX ||
	    (m->mode == PUB_UNICAST && m->ntargets != 1) ||
	    (m->mode == PUB_MULTICAST && m->ntargets == 0) ||
	    (m->mode == PUB_BROADCAST && m->ntargets != 0) ||
	    ((m->flags & PUB_REQUEST) && m->mode != PUB_UNICAST))
		return (WIRE_BAD_BODY);
	return (WIRE_OK);
}

int
wire_targets_next(const struct wire_ctl_pub *m, size_t *pos, char *id)
{
	struct wire_reader	r;

	if (*pos >= m->targets_len)
		return (0);
	r.p = m->targets;
	r.len = m->targets_len;
	r.off = *pos;
	r.bad = 0;
	rd_str(&r, id, WIRE_ID_MAX);
	if (r.bad)
		return (0);
	*pos = r.off;
	return (1);
}

/* CTL_MSG */

size_t
wire_encode_ctl_msg_head(uint8_t *buf, size_t cap,
    const struct wire_ctl_msg *m, size_t body_len)
{
	struct wire_writer	w;

	wr_init(&w, buf, cap, WT_CTL_MSG);
	wr_u32(&w, m->req_id);
	wr_u32(&w, m->flags);
	wr_u64(&w, m->token);
	wr_str(&w, m->origin, WIRE_ID_MAX);
	wr_str(&w, m->subject, WIRE_SUBJECT_MAX);
	return (wr_finish_head(&w, body_len));
}

size_t
wire_encode_ctl_msg(uint8_t *buf, size_t cap, const struct wire_ctl_msg *m)
{
	return (wr_whole(buf, cap, wire_encode_ctl_msg_head(buf, cap, m,
	    m->body_len), m->body, m->body_len));
}

enum wire_status
wire_decode_ctl_msg(const uint8_t *buf, size_t len, struct wire_ctl_msg *m)
{
	struct wire_reader	r;

	rd_init(&r, buf, len);
	m->req_id = rd_u32(&r);
	m->flags = rd_u32(&r);
	m->token = rd_u64(&r);
	rd_str(&r, m->origin, WIRE_ID_MAX);
	rd_str(&r, m->subject, WIRE_SUBJECT_MAX);
	rd_body(&r, &m->body, &m->body_len);
	if (r.bad || (m->flags & ~DATA_FLAGS_ALL) != 0)
		return (WIRE_BAD_BODY);
	return (WIRE_OK);
}

/* CTL_REPLY */

size_t
wire_encode_ctl_reply_head(uint8_t *buf, size_t cap,
    const struct wire_ctl_reply *m, size_t body_len)
{
	struct wire_writer	w;

	wr_init(&w, buf, cap, WT_CTL_REPLY);
	wr_u64(&w, m->token);
	return (wr_finish_head(&w, body_len));
}

size_t
wire_encode_ctl_reply(uint8_t *buf, size_t cap, const struct wire_ctl_reply *m)
{
	return (wr_whole(buf, cap, wire_encode_ctl_reply_head(buf, cap, m,
	    m->body_len), m->body, m->body_len));
}

enum wire_status
wire_decode_ctl_reply(const uint8_t *buf, size_t len, struct wire_ctl_reply *m)
{
	struct wire_reader	r;

	rd_init(&r, buf, len);
	m->token = rd_u64(&r);
	rd_body(&r, &m->body, &m->body_len);
	return (r.bad ? WIRE_BAD_BODY : WIRE_OK);
}

/* CTL_PUB_RESULT */

void
wire_result_start(struct wire_writer *w, uint8_t *buf, size_t cap,
    uint32_t req_id, uint32_t delivered)
{
	wr_init(w, buf, cap, WT_CTL_PUB_RESULT);
	wr_u32(w, req_id);
	wr_u32(w, delivered);
	wr_u32(w, 0);		/* unreached, patched by finish */
}

void
wire_result_add(struct wire_writer *w, const struct wire_unreached *u)
{
	wr_str(w, u->node, WIRE_ID_MAX);
	wr_u32(w, u->reason);
	w->count++;
}

size_t
wire_result_finish(struct wire_writer *w)
{
	if (w->count > WIRE_TARGETS_MAX)
		return (0);
	wr_patch_u32(w, WIRE_HDR_LEN + 8, w->count);
	return (wr_finish(w));
}

enum wire_status
wire_result_begin(const uint8_t *buf, size_t len, struct wire_reader *r,
    uint32_t *req_id, uint32_t *delivered, uint32_t *nunreached)
{
	rd_init(r, buf, len);
	*req_id = rd_u32(r);
	*delivered = rd_u32(r);
	*nunreached = rd_u32(r);
	if (r->bad || *nunreached > WIRE_TARGETS_MAX ||
	    (size_t)*nunreached * 6 > r->len - r->off)
		return (WIRE_BAD_BODY);
	return (WIRE_OK);
}

enum wire_status
wire_result_next(struct wire_reader *r, struct wire_unreached *u)
{
	rd_str(r, u->node, WIRE_ID_MAX);
	u->reason = rd_u32(r);
	return (r->bad ? WIRE_BAD_BODY : WIRE_OK);
}

enum wire_status
wire_result_end(struct wire_reader *r)
{
	return (rd_end(r));
}
