/*
 * wire.h: the pure frame codec (bytes <-> structs).
 *
 * No I/O, no clock, no allocation, no globals: the daemon, libcohort, the
 * unit tests and the fuzzers all call these the same way.  Decoders never
 * read past the length they are given and check every length before use;
 * encoders never write past the capacity they are given.
 */
#ifndef COHORT_WIRE_H
#define COHORT_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

enum wire_status {
	WIRE_OK = 0,
	WIRE_SHORT,		/* need more bytes: not an error yet */
	WIRE_BAD_MARKER,
	WIRE_BAD_LENGTH,	/* below the header or above the maximum */
	WIRE_BAD_TYPE,		/* unknown, or not for this channel */
	WIRE_BAD_BODY,		/* body truncated, oversized field, bad value */
	WIRE_NOSPACE,		/* encoder: output buffer too small */
};

struct wire_hdr {
	uint32_t	 type;
	uint32_t	 len;		/* whole frame, header included */
};

struct wire_hello {
	uint16_t	 version;	/* highest spoken */
	uint16_t	 min_version;	/* lowest accepted */
	uint64_t	 incarnation;
	uint16_t	 port;
	uint8_t		 nonce[WIRE_NONCE_LEN];
	char		 cluster[WIRE_ID_MAX + 1];
	char		 node_id[WIRE_ID_MAX + 1];
	char		 address[WIRE_ADDR_MAX + 1];
};

/*
 * HELLO_ACK: "your HELLO is accepted".  A stream is established only when
 * each end has accepted the other's HELLO and received the other's ACK, so
 * neither end reports a peer up that is about to refuse it.  The nonce is
 * the one from the HELLO being accepted, binding the ACK to this stream.
 */
struct wire_hello_ack {
	uint8_t		 nonce[WIRE_NONCE_LEN];
	uint8_t		 mac[WIRE_MAC_LEN];	/* zeros without a key */
	char		 node_id[WIRE_ID_MAX + 1];
};

/*
 * Heartbeat.  ts_us is the sender's monotonic clock; echo_ts_us is the
 * last ts_us the sender received from us and hold_us how long it held it,
 * so that we compute rtt = now - echo_ts_us - hold_us on our own clock.
 */
struct wire_echo {
	uint64_t	 seq;
	uint64_t	 ts_us;
	uint64_t	 echo_ts_us;	/* 0: nothing received yet */
	uint64_t	 hold_us;
	uint64_t	 data_acked;	/* DATA frames received on this stream */
	char		 node_id[WIRE_ID_MAX + 1];
};

struct wire_bye {
	uint32_t	 reason;	/* enum wire_reason */
	char		 node_id[WIRE_ID_MAX + 1];
	char		 text[WIRE_TEXT_MAX + 1];
};

struct wire_refuse {
	uint32_t	 reason;	/* enum wire_reason */
	char		 text[WIRE_TEXT_MAX + 1];
};

struct wire_ctl_hello {
	uint16_t	 version;
	uint16_t	 min_version;
	uint32_t	 pid;
	char		 name[WIRE_ID_MAX + 1];	/* program name, for logs */
};

struct wire_ctl_welcome {
	uint16_t	 version;
	uint32_t	 max_message;	/* limits.max_message_size */
	uint64_t	 incarnation;
	char		 cluster[WIRE_ID_MAX + 1];
	char		 node_id[WIRE_ID_MAX + 1];
};

struct wire_ctl_error {
	uint32_t	 req_id;
	uint32_t	 code;		/* enum wire_reason */
	char		 text[WIRE_TEXT_MAX + 1];
};

/* CTL_OK and CTL_MEMBERS_REQ carry only a request id. */
struct wire_ctl_req {
	uint32_t	 req_id;
};

struct wire_ctl_watch {
	uint32_t	 req_id;
	uint8_t		 on;
};

struct wire_member {
	char		 id[WIRE_ID_MAX + 1];
	char		 address[WIRE_ADDR_MAX + 1];
	uint16_t	 port;
	uint8_t		 state;		/* enum member_state */
	uint64_t	 rtt_us;	/* smoothed; 0 when unknown */
	uint64_t	 incarnation;
	uint64_t	 since_ms;	/* wall clock, ms since the epoch */
};

struct wire_ctl_event {
	uint8_t		 state;		/* enum member_state */
	uint8_t		 prev_state;
	uint64_t	 incarnation;
	uint64_t	 time_ms;	/* wall clock, ms since the epoch */
	char		 node[WIRE_ID_MAX + 1];
};

/*
 * Frames that carry a body decode into views: body and subject point into
 * the frame they were decoded from and live as long as it does.
 */
struct wire_data {			/* peer DATA */
	uint32_t	 flags;		/* DATA_* */
	uint32_t	 timeout_ms;	/* requests: how long the origin waits */
	uint64_t	 corr;		/* request/reply correlation, or 0 */
	char		 origin[WIRE_ID_MAX + 1];
	char		 subject[WIRE_SUBJECT_MAX + 1];
	const uint8_t	*body;
	size_t		 body_len;
};

struct wire_ctl_sub {			/* CTL_SUB, CTL_UNSUB */
	uint32_t	 req_id;
	char		 pattern[WIRE_SUBJECT_MAX + 1];
};

struct wire_ctl_pub {
	uint32_t	 req_id;
	uint32_t	 flags;		/* PUB_ACK, PUB_SELF, PUB_REQUEST */
	uint8_t		 mode;		/* PUB_UNICAST ... */
	uint32_t	 timeout_ms;	/* requests */
	uint16_t	 ntargets;
	const uint8_t	*targets;	/* ntargets strings: wire_targets_next */
	size_t		 targets_len;
	char		 subject[WIRE_SUBJECT_MAX + 1];
	const uint8_t	*body;
	size_t		 body_len;
};

struct wire_ctl_msg {			/* a delivery to a client */
	uint32_t	 req_id;	/* replies: the request's id */
	uint32_t	 flags;		/* DATA_* */
	uint64_t	 token;		/* requests: pass back in CTL_REPLY */
	char		 origin[WIRE_ID_MAX + 1];
	char		 subject[WIRE_SUBJECT_MAX + 1];
	const uint8_t	*body;
	size_t		 body_len;
};

struct wire_ctl_reply {
	uint64_t	 token;
	const uint8_t	*body;
	size_t		 body_len;
};

/* A checked reader over a borrowed buffer. */
struct wire_reader {
	const uint8_t	*p;
	size_t		 len;
	size_t		 off;
	int		 bad;		/* sticky: a read went out of bounds */
};

/* A bounded writer over a borrowed buffer. */
struct wire_writer {
	uint8_t		*p;
	size_t		 cap;
	size_t		 len;
	int		 full;		/* sticky: a write did not fit */
	uint32_t	 count;		/* list entries written */
	size_t		 mark;		/* stats: current section's count */
	uint32_t	 sub;		/* stats: counters in that section */
};

/*
 * The largest frame each encoder can write: every buffer a frame is built
 * in is sized from these, never by hand (check_wire encodes each message
 * with every string at its maximum into exactly this many bytes).  A
 * string on the wire is a 16-bit length and its bytes.
 */
#define WIRE_STR(max)		(2 + (max))
#define WIRE_HELLO_MAX		(WIRE_HDR_LEN + 2 + 2 + 8 + 2 +	\
				    WIRE_NONCE_LEN + 2 * WIRE_STR(WIRE_ID_MAX) + \
				    WIRE_STR(WIRE_ADDR_MAX))
#define WIRE_HELLO_ACK_MAX	(WIRE_HDR_LEN + WIRE_NONCE_LEN +	\
				    WIRE_MAC_LEN + WIRE_STR(WIRE_ID_MAX))
#define WIRE_ECHO_MAX		(WIRE_HDR_LEN + 5 * 8 + WIRE_STR(WIRE_ID_MAX))
#define WIRE_BYE_MAX		(WIRE_HDR_LEN + 4 + WIRE_STR(WIRE_ID_MAX) + \
				    WIRE_STR(WIRE_TEXT_MAX))
#define WIRE_REFUSE_MAX		(WIRE_HDR_LEN + 4 + WIRE_STR(WIRE_TEXT_MAX))
#define WIRE_CTL_HELLO_MAX	(WIRE_HDR_LEN + 2 + 2 + 4 +		\
				    WIRE_STR(WIRE_ID_MAX))
#define WIRE_CTL_WELCOME_MAX	(WIRE_HDR_LEN + 2 + 4 + 8 +		\
				    2 * WIRE_STR(WIRE_ID_MAX))
#define WIRE_CTL_ERROR_MAX	(WIRE_HDR_LEN + 4 + 4 + WIRE_STR(WIRE_TEXT_MAX))
#define WIRE_CTL_REQ_MAX	(WIRE_HDR_LEN + 4)
#define WIRE_CTL_WATCH_MAX	(WIRE_HDR_LEN + 4 + 1)
#define WIRE_CTL_EVENT_MAX	(WIRE_HDR_LEN + 1 + 1 + 8 + 8 +		\
				    WIRE_STR(WIRE_ID_MAX))
#define WIRE_CTL_SUB_MAX	(WIRE_HDR_LEN + 4 + WIRE_STR(WIRE_SUBJECT_MAX))
/* Heads of frames with a body: the body follows, not counted here. */
#define WIRE_DATA_HEAD_MAX	(WIRE_HDR_LEN + 4 + 4 + 8 +		\
				    WIRE_STR(WIRE_ID_MAX) + WIRE_STR(WIRE_SUBJECT_MAX))
#define WIRE_CTL_MSG_HEAD_MAX	(WIRE_HDR_LEN + 4 + 4 + 8 +		\
				    WIRE_STR(WIRE_ID_MAX) + WIRE_STR(WIRE_SUBJECT_MAX))
#define WIRE_CTL_REPLY_HEAD_MAX	(WIRE_HDR_LEN + 8)
/* CTL_PUB's head with n targets of at most WIRE_ID_MAX bytes each. */
#define WIRE_CTL_PUB_HEAD_MAX(n) (WIRE_HDR_LEN + 4 + 4 + 1 + 4 + 2 +	\
				    (n) * WIRE_STR(WIRE_ID_MAX) +	\
				    WIRE_STR(WIRE_SUBJECT_MAX))
/* Lists: a fixed part, then so much per entry. */
#define WIRE_MEMBERS_FIXED	(WIRE_HDR_LEN + 4 + 4)
#define WIRE_MEMBER_MAX		(WIRE_STR(WIRE_ID_MAX) +		\
				    WIRE_STR(WIRE_ADDR_MAX) + 2 + 1 + 8 + 8 + 8)
#define WIRE_RESULT_FIXED	(WIRE_HDR_LEN + 4 + 4 + 4)
#define WIRE_UNREACHED_MAX	(WIRE_STR(WIRE_ID_MAX) + 4)
#define WIRE_RESULT_MAX(n)	(WIRE_RESULT_FIXED + (n) * WIRE_UNREACHED_MAX)
#define WIRE_STATS_FIXED	(WIRE_HDR_LEN + 4 + 4)
#define WIRE_STATS_SECTION_MAX	(2 * WIRE_STR(WIRE_ID_MAX) + 4)
#define WIRE_STATS_KV_LEN	(WIRE_STR(WIRE_ID_MAX) + 8)
/* Every peer frame but DATA fits in this; so does every frame of a stream
 * before its HELLO is through. */
#define WIRE_PEER_CTL_MAX	WIRE_HELLO_MAX

const char	*wire_type_name(uint32_t);
const char	*wire_status_name(enum wire_status);
const char	*wire_reason_name(uint32_t);
const char	*member_state_name(unsigned int);
int		 member_state_parse(const char *);

/*
 * Validate the header at buf.  WIRE_SHORT until 16 bytes are there; then
 * marker, length (16 <= len <= maxlen) and type for the given channel.
 */
enum wire_status wire_check_header(const uint8_t *, size_t, size_t,
		    enum wire_channel, struct wire_hdr *);
void		 wire_put_header(uint8_t *, uint32_t, uint32_t);

/*
 * Decoders take a whole frame (header included, its length already checked
 * by wire_check_header) and fill the struct, or return WIRE_BAD_BODY.
 */
enum wire_status wire_decode_hello(const uint8_t *, size_t, struct wire_hello *);
enum wire_status wire_decode_hello_ack(const uint8_t *, size_t,
		    struct wire_hello_ack *);
enum wire_status wire_decode_echo(const uint8_t *, size_t, struct wire_echo *);
enum wire_status wire_decode_bye(const uint8_t *, size_t, struct wire_bye *);
enum wire_status wire_decode_refuse(const uint8_t *, size_t,
		    struct wire_refuse *);
enum wire_status wire_decode_ctl_hello(const uint8_t *, size_t,
		    struct wire_ctl_hello *);
enum wire_status wire_decode_ctl_welcome(const uint8_t *, size_t,
		    struct wire_ctl_welcome *);
enum wire_status wire_decode_ctl_error(const uint8_t *, size_t,
		    struct wire_ctl_error *);
enum wire_status wire_decode_ctl_req(const uint8_t *, size_t, uint32_t,
		    struct wire_ctl_req *);
enum wire_status wire_decode_ctl_watch(const uint8_t *, size_t,
		    struct wire_ctl_watch *);
enum wire_status wire_decode_ctl_event(const uint8_t *, size_t,
		    struct wire_ctl_event *);

/*
 * CTL_MEMBERS is a list: begin reads the request id and the count, then
 * next is called count times.  The reader borrows the frame.
 */
enum wire_status wire_members_begin(const uint8_t *, size_t,
		    struct wire_reader *, uint32_t *, uint32_t *);
enum wire_status wire_members_next(struct wire_reader *, struct wire_member *);
enum wire_status wire_members_end(struct wire_reader *);

/*
 * Encoders write a whole frame into buf[cap] and return its length, or 0
 * when it does not fit (nothing useful is left in buf then).
 */
size_t		 wire_encode_hello(uint8_t *, size_t, const struct wire_hello *);
size_t		 wire_encode_hello_ack(uint8_t *, size_t,
		    const struct wire_hello_ack *);
size_t		 wire_encode_echo(uint8_t *, size_t, const struct wire_echo *);
size_t		 wire_encode_bye(uint8_t *, size_t, const struct wire_bye *);
size_t		 wire_encode_refuse(uint8_t *, size_t,
		    const struct wire_refuse *);
size_t		 wire_encode_ctl_hello(uint8_t *, size_t,
		    const struct wire_ctl_hello *);
size_t		 wire_encode_ctl_welcome(uint8_t *, size_t,
		    const struct wire_ctl_welcome *);
size_t		 wire_encode_ctl_error(uint8_t *, size_t,
		    const struct wire_ctl_error *);
size_t		 wire_encode_ctl_req(uint8_t *, size_t, uint32_t,
		    const struct wire_ctl_req *);
size_t		 wire_encode_ctl_watch(uint8_t *, size_t,
		    const struct wire_ctl_watch *);
/* CTL_LOG_LEVEL has CTL_WATCH's layout: on = debug. */
size_t		 wire_encode_ctl_switch(uint8_t *, size_t, uint32_t,
		    const struct wire_ctl_watch *);
size_t		 wire_encode_ctl_event(uint8_t *, size_t,
		    const struct wire_ctl_event *);

/* CTL_MEMBERS: begin, add each member, then finish for the length. */
void		 wire_members_start(struct wire_writer *, uint8_t *, size_t,
		    uint32_t);
void		 wire_members_add(struct wire_writer *,
		    const struct wire_member *);
size_t		 wire_members_finish(struct wire_writer *);
size_t		 wire_member_size(const struct wire_member *);

/*
 * CTL_STATS: request id, then sections; a section is a kind ("daemon",
 * "peer", ...), a name, and named 64-bit counters.  New counters need no
 * protocol change: readers show what they are given.
 */
void		 wire_stats_start(struct wire_writer *, uint8_t *, size_t,
		    uint32_t);
void		 wire_stats_section(struct wire_writer *, const char *,
		    const char *);
void		 wire_stats_add(struct wire_writer *, const char *, uint64_t);
size_t		 wire_stats_finish(struct wire_writer *);

enum wire_status wire_stats_begin(const uint8_t *, size_t,
		    struct wire_reader *, uint32_t *, uint32_t *);
enum wire_status wire_stats_next_section(struct wire_reader *, char *,
		    char *, uint32_t *);
enum wire_status wire_stats_next(struct wire_reader *, char *, uint64_t *);
enum wire_status wire_stats_end(struct wire_reader *);

/*
 * Frames with a body.  encode_*_head writes the header and the fields of
 * a frame whose body of body_len bytes the caller sends right after it
 * (so a body is never copied just to frame it); it returns the head's
 * length, or 0 if it does not fit or the total exceeds 32 bits.
 * encode_* writes the whole frame, body included.
 */
size_t		 wire_encode_data_head(uint8_t *, size_t,
		    const struct wire_data *, size_t);
size_t		 wire_encode_data(uint8_t *, size_t, const struct wire_data *);
enum wire_status wire_decode_data(const uint8_t *, size_t, struct wire_data *);

size_t		 wire_encode_ctl_sub(uint8_t *, size_t, uint32_t,
		    const struct wire_ctl_sub *);
enum wire_status wire_decode_ctl_sub(const uint8_t *, size_t,
		    struct wire_ctl_sub *);

/* CTL_PUB: targets come from an array of ids. */
size_t		 wire_encode_ctl_pub_head(uint8_t *, size_t,
		    const struct wire_ctl_pub *, const char *const *, size_t);
size_t		 wire_encode_ctl_pub(uint8_t *, size_t,
		    const struct wire_ctl_pub *, const char *const *);
enum wire_status wire_decode_ctl_pub(const uint8_t *, size_t,
		    struct wire_ctl_pub *);
/* Iterate the targets of a decoded CTL_PUB: 1 while there is one. */
int		 wire_targets_next(const struct wire_ctl_pub *, size_t *,
		    char *);

size_t		 wire_encode_ctl_msg_head(uint8_t *, size_t,
		    const struct wire_ctl_msg *, size_t);
size_t		 wire_encode_ctl_msg(uint8_t *, size_t,
		    const struct wire_ctl_msg *);
enum wire_status wire_decode_ctl_msg(const uint8_t *, size_t,
		    struct wire_ctl_msg *);

size_t		 wire_encode_ctl_reply_head(uint8_t *, size_t,
		    const struct wire_ctl_reply *, size_t);
size_t		 wire_encode_ctl_reply(uint8_t *, size_t,
		    const struct wire_ctl_reply *);
enum wire_status wire_decode_ctl_reply(const uint8_t *, size_t,
		    struct wire_ctl_reply *);

/*
 * CTL_PUB_RESULT: request id, how many nodes it went to, then the nodes
 * it could not reach, each with a reason.
 */
struct wire_unreached {
	char		 node[WIRE_ID_MAX + 1];
	uint32_t	 reason;	/* REASON_NODE_UNKNOWN, _NODE_DOWN */
};
void		 wire_result_start(struct wire_writer *, uint8_t *, size_t,
		    uint32_t, uint32_t);
void		 wire_result_add(struct wire_writer *,
		    const struct wire_unreached *);
size_t		 wire_result_finish(struct wire_writer *);
enum wire_status wire_result_begin(const uint8_t *, size_t,
		    struct wire_reader *, uint32_t *, uint32_t *, uint32_t *);
enum wire_status wire_result_next(struct wire_reader *,
		    struct wire_unreached *);
enum wire_status wire_result_end(struct wire_reader *);

#endif /* COHORT_WIRE_H */
