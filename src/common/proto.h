/*
 * proto.h: the cohort frame header, frame types and protocol limits.
 *
 * Every frame on a peer TCP stream and on the local Unix socket starts with
 * the same 16-byte big-endian header (design.md):
 *
 *	0	8	marker 0xfeedcafebeaddead
 *	8	4	type
 *	12	4	total frame length, header included
 *
 * A protocol change touches this file, wire.c, tests/check_wire.c and
 * man/cohort-protocol.7.in together, and bumps PROTO_VERSION.
 */
#ifndef COHORT_PROTO_H
#define COHORT_PROTO_H

#include <stdint.h>

#define WIRE_MARKER		0xfeedcafebeaddeadULL
#define WIRE_HDR_LEN		16

/*
 * Protocol versions.  A HELLO carries the highest version its sender speaks
 * and the lowest it accepts; two ends are compatible when the ranges
 * overlap, and then speak the highest common version.
 */
#define PROTO_VERSION		2
#define PROTO_MIN_VERSION	2

/* Local socket protocol, negotiated the same way in CTL_HELLO. */
#define CTL_VERSION		1
#define CTL_MIN_VERSION		1

/* Field limits, enforced by the codec and by config validation. */
#define WIRE_ID_MAX		63	/* node id, cluster name */
#define WIRE_ADDR_MAX		255	/* address: literal or DNS name */
#define WIRE_TEXT_MAX		255	/* reasons, error messages */
#define WIRE_NONCE_LEN		32
#define WIRE_MAC_LEN		32	/* HMAC-SHA256, see auth.h */
#define WIRE_MEMBERS_MAX	1024	/* nodes in one CTL_MEMBERS frame */
#define WIRE_STATS_SECTIONS_MAX	(WIRE_MEMBERS_MAX + 16)
#define WIRE_STATS_KV_MAX	256	/* counters in one section */
#define WIRE_SUBJECT_MAX	255
#define WIRE_TARGETS_MAX	WIRE_MEMBERS_MAX

/* DATA and CTL_MSG flags. */
#define DATA_REQUEST		0x01	/* answer with one REPLY */
#define DATA_REPLY		0x02	/* answers the request "corr" */
#define DATA_NO_RESPONDER	0x04	/* with REPLY: nobody serves it */
#define DATA_FLAGS_ALL		0x07

/* CTL_PUB addressing and flags. */
#define PUB_UNICAST		1
#define PUB_MULTICAST		2
#define PUB_BROADCAST		3
#define PUB_ACK			0x01	/* always answer with PUB_RESULT */
#define PUB_SELF		0x02	/* broadcast: the local node too */
#define PUB_REQUEST		0x04	/* unicast request: wait for a reply */
#define PUB_FLAGS_ALL		0x07

/*
 * Largest frame accepted on either socket before the configured limit is
 * known, and the hard ceiling of limits.max_frame: the length field is 32
 * bits, and no single frame may ask the daemon to buffer more than this.
 */
#define WIRE_FRAME_CEILING	(64U * 1024 * 1024)
/* Largest control frame (everything but application data). */
#define WIRE_CTL_FRAME_MAX	(WIRE_HDR_LEN + 64 + \
	    WIRE_MEMBERS_MAX * (2 * (WIRE_ID_MAX + 2) + WIRE_ADDR_MAX + 2 + 40))

/*
 * Frame types.  Peer frames use 0..63 (HELLO = 0 and ECHO = 1 as in the
 * seed); local socket frames use 256 and up, so that a frame sent to the
 * wrong socket is an unknown type rather than a misparse.
 *
 * X(name, value, channel)
 */
#define WIRE_TYPES(X)							\
	X(HELLO,	0,	WIRE_PEER)					\
	X(ECHO,		1,	WIRE_PEER)					\
	X(BYE,		2,	WIRE_PEER)					\
	X(REFUSE,	3,	WIRE_PEER)					\
	X(HELLO_ACK,	4,	WIRE_PEER)					\
	X(DATA,		5,	WIRE_PEER)					\
	X(CTL_HELLO,	256,	WIRE_LOCAL)					\
	X(CTL_WELCOME,	257,	WIRE_LOCAL)					\
	X(CTL_ERROR,	258,	WIRE_LOCAL)					\
	X(CTL_OK,	259,	WIRE_LOCAL)					\
	X(CTL_MEMBERS_REQ, 260,	WIRE_LOCAL)					\
	X(CTL_MEMBERS,	261,	WIRE_LOCAL)					\
	X(CTL_WATCH,	262,	WIRE_LOCAL)					\
	X(CTL_EVENT,	263,	WIRE_LOCAL)					\
	X(CTL_STATS_REQ, 264,	WIRE_LOCAL)					\
	X(CTL_STATS,	265,	WIRE_LOCAL)					\
	X(CTL_SUB,	266,	WIRE_LOCAL)					\
	X(CTL_UNSUB,	267,	WIRE_LOCAL)					\
	X(CTL_PUB,	268,	WIRE_LOCAL)					\
	X(CTL_PUB_RESULT, 269,	WIRE_LOCAL)					\
	X(CTL_MSG,	270,	WIRE_LOCAL)					\
	X(CTL_REPLY,	271,	WIRE_LOCAL)					\
	X(CTL_RELOAD,	272,	WIRE_LOCAL)					\
	X(CTL_LOG_LEVEL, 273,	WIRE_LOCAL)

enum wire_channel {
	WIRE_PEER = 1,
	WIRE_LOCAL = 2,
};

enum wire_type {
#define X(n, v, c)	WT_##n = v,
	WIRE_TYPES(X)
#undef X
};

/*
 * Membership states as applications see them.  The numeric values are on
 * the wire (CTL_MEMBERS, CTL_EVENT): append only.
 */
#define MEMBER_STATES(X)						\
	X(UNKNOWN,	0,	"unknown")	/* not seen since we started */	\
	X(SELF,		1,	"self")						\
	X(UP,		2,	"up")						\
	X(DOWN,		3,	"down")		/* failed: stream lost or silent */ \
	X(LEFT,		4,	"left")		/* said BYE */			\
	X(REFUSED,	5,	"refused")	/* handshake refused */

enum member_state {
#define X(n, v, s)	MEMBER_##n = v,
	MEMBER_STATES(X)
#undef X
};
#define MEMBER_STATE_MAX	5

/*
 * Reason codes, carried by REFUSE, BYE and CTL_ERROR.  On the wire: append
 * only.
 */
#define WIRE_REASONS(X)							\
	X(NONE,		0,	"no reason")					\
	X(VERSION,	1,	"incompatible protocol version")		\
	X(CLUSTER,	2,	"wrong cluster name")				\
	X(UNKNOWN_NODE,	3,	"node id not in this node's config")		\
	X(SELF_ID,	4,	"peer claims this node's own id")		\
	X(DUPLICATE,	5,	"duplicate stream")				\
	X(SHUTDOWN,	6,	"node is shutting down")			\
	X(REMOVED,	7,	"node removed from config")			\
	X(PROTOCOL,	8,	"protocol error")				\
	X(LIMIT,	9,	"limit reached")				\
	X(BAD_REQUEST,	10,	"bad request")					\
	X(NOT_READY,	11,	"hello required first")			\
	X(ADDRESS,	12,	"peer address does not match its config")	\
	X(NODE_UNKNOWN,	13,	"no such node in the config")			\
	X(NODE_DOWN,	14,	"node is not up")				\
	X(TOO_BIG,	15,	"message larger than limits.max_message_size")	\
	X(BAD_SUBJECT,	16,	"invalid subject")				\
	X(NO_RESPONDER,	17,	"no responder for the subject")			\
	X(TIMEOUT,	18,	"request timed out")				\
	X(NOT_SUBSCRIBED, 19,	"not subscribed to that pattern")		\
	X(AUTH,		20,	"authentication failed")			\
	X(DENIED,	21,	"not allowed by the local socket's rules")	\
	X(CERT,		22,	"TLS certificate does not name the node")

enum wire_reason {
#define X(n, v, s)	REASON_##n = v,
	WIRE_REASONS(X)
#undef X
};

#endif /* COHORT_PROTO_H */
