/*
 * peer_int.h: what the three files of the peer mesh share, and nothing
 * else includes: peer.c (peers, dialling, the state machine),
 * peer_handshake.c (HELLO and refusals) and peer_flow.c (frames,
 * heartbeats, flow control).  Only these files touch peer bufferevents.
 *
 * Two objects:
 *  - struct pconn is one TCP stream.  Inbound streams are anonymous until
 *    their HELLO names a configured node.
 *  - struct peer is one configured node and its membership state.  It has
 *    at most one established stream (p->conn) and at most one outbound
 *    attempt in progress (p->dial).
 * peer.c makes and frees both.
 */
#ifndef COHORT_PEER_INT_H
#define COHORT_PEER_INT_H

#include <sys/socket.h>
#include <netinet/in.h>

#include <stdint.h>

#include <uthash.h>

#include "daemon/cohortd.h"

/* Largest frame accepted before a stream has completed its HELLO. */
#define PEER_PREHELLO_MAX	4096

enum conn_state {
	CONN_CONNECTING,
	CONN_HELLO,		/* our HELLO sent, waiting for theirs */
	CONN_ESTABLISHED,
	CONN_CLOSING,		/* last frame queued, closing once flushed */
	CONN_DEAD,		/* in the graveyard */
};

struct pconn {
	TAILQ_ENTRY(pconn)	 entry;
	struct cohortd		*sc;
	struct peer		*peer;	/* NULL for inbound before HELLO */
	struct bufferevent	*bev;
	struct event		*timer;	/* HELLO deadline, then linger */
	enum conn_state		 state;
	int			 outbound;
	int			 plain;		/* a socket bufferevent, no TLS */
	int			 rx_noted;	/* last_rx_us set in this read */
	int			 got_hello;	/* theirs accepted, ACK sent */
	int			 got_ack;	/* their ACK verified, ECHO sent */
	uint64_t		 incarnation;
	uint8_t			 nonce[WIRE_NONCE_LEN];	/* in our HELLO */
	uint8_t			 peer_nonce[WIRE_NONCE_LEN]; /* in theirs */
	uint64_t		 data_out;	/* DATA frames queued on it */
	uint64_t		 data_in;	/* DATA frames received on it */
	struct sockaddr_storage	 ss;		/* the other end */
	char			 remote[INET6_ADDRSTRLEN + 8];
};

struct inflight {
	uint64_t	 last_seq;	/* data_out of its last message */
	uint64_t	 client_id;
	uint32_t	 first_req;
	uint32_t	 last_req;
	uint32_t	 count;
};

enum peer_event {
	PEV_ESTABLISHED,		/* a stream completed HELLO */
	PEV_CLOSED,		/* the stream (or the attempt) was lost */
	PEV_TIMEOUT,		/* heartbeat.timeout_ms of silence */
	PEV_BYE,			/* the peer said it is leaving */
	PEV_REFUSED,		/* the peer refused our HELLO */
};


struct peer {
	TAILQ_ENTRY(peer)	 entry;
	UT_hash_handle		 hh;		/* sc peer index, by id */
	struct cohortd		*sc;
	struct conf_node	 node;
	struct sockaddr_storage	 ss;		/* resolved node address */
	socklen_t		 sslen;
	enum member_state	 state;
	uint64_t		 since_ms;
	uint64_t		 incarnation;
	struct pconn		*conn;		/* established stream */
	struct pconn		*dial;		/* outbound attempt */

	struct event		*ev_redial;
	struct event		*ev_echo;
	struct event		*ev_dead;
	struct event		*ev_handover;
	unsigned int		 attempts;	/* failed dials since up */

	uint64_t		 last_rx_us;
	uint64_t		 echo_seq;
	uint64_t		 peer_ts_us;	/* last ts_us from the peer */
	uint64_t		 peer_ts_at;	/* when we received it */
	uint64_t		 rtt_us;
	uint64_t		 srtt_us;

	/*
	 * Messages sent on p->conn that the peer has not acknowledged yet
	 * (ECHO's data_acked), runs of one client's messages in one record:
	 * if the stream dies, their senders are told they may be lost.
	 */
	struct inflight		*inflight;	/* ring of cap records */
	size_t			 if_head, if_n, if_cap;
	int			 congested;	/* output over the limit */
	int			 read_paused;	/* a local subscriber is full */
	struct event		*ev_resume;	/* reads what was buffered */
	uint64_t		 queue_full;	/* times it got there */

	uint64_t		 frames_in, frames_out;
	uint64_t		 bytes_in, bytes_out;
	uint64_t		 reconnects;
	uint64_t		 state_changes;
	struct ratelim		 rl;
};

/* peer_log(log_info, p, ...): a line that names the peer's node and address. */
#define peer_log(fn, p, fmt, ...)					\
	fn("peer %s (%s:%u): " fmt, (p)->node.id, (p)->node.address,	\
	    (p)->node.port, ##__VA_ARGS__)

/* peer.c */
/* The peer of a node id, or NULL. */
struct peer	*peer_find(struct cohortd *, const char *);
/* This node's id, as HELLO, ECHO and BYE carry it. */
const char	*peer_self_id(struct cohortd *);
/* Arm a timer ms milliseconds from now. */
void		 peer_timer_add_ms(struct event *, uint64_t);
/* Feed an event to p's state machine; why is logged with the change. */
void		 peer_fsm(struct peer *, enum peer_event, const char *);
/* Retire a stream now; the reaper frees it outside its callbacks. */
void		 conn_close(struct pconn *);
/* Queue a last frame (none if the length is 0), then close once flushed. */
void		 conn_finish(struct pconn *, const uint8_t *, size_t);
/* A stream died: close it and tell its peer's state machine. */
void		 conn_lost(struct pconn *, const char *);
/* The bufferevent event callback of every stream: connected, EOF, error. */
void		 peer_event_cb(struct bufferevent *, short, void *);
/* Same IP address (the port aside)? */
int		 peer_addr_same(const struct sockaddr *,
		    const struct sockaddr_storage *);

/* peer_handshake.c */
/* Queue our HELLO; the stream then waits for theirs. */
void		 conn_send_hello(struct pconn *);
/* Close the stream unless the handshake completes in time. */
void		 conn_arm_hello_timer(struct pconn *);
/* The handshake frames, from peer_dispatch(). */
void		 peer_handle_hello(struct pconn *, const struct wire_hello *);
void		 peer_handle_hello_ack(struct pconn *,
		    const struct wire_hello_ack *);
void		 peer_handle_refuse(struct pconn *, const struct wire_refuse *);
/* Their first ECHO after the ACKs: adopt the stream, or a duplicate's. */
void		 peer_established(struct pconn *);
/* A TLS handshake failed: count it, log it (rate-limited). */
void		 conn_tls_failed(struct pconn *, const char *);
/* A retired duplicate's replacement did not come: the peer is down. */
void		 peer_handover_cb(evutil_socket_t, short, void *);

/* peer_flow.c */
/* Queue a whole frame on the stream, counted as the peer's. */
void		 conn_send(struct pconn *, const uint8_t *, size_t);
/* One heartbeat on the stream, echoing the peer's last timestamp. */
void		 conn_send_echo(struct pconn *);
/* The bufferevent read and write callbacks of every stream. */
void		 peer_read_cb(struct bufferevent *, void *);
void		 peer_write_cb(struct bufferevent *, void *);
/* Bad input on a stream: count it, log it (rate-limited), lose it. */
void		 peer_protocol_error(struct pconn *, const char *);
/* The output queue drained, or went away: resume local publishers. */
void		 peer_uncongest(struct peer *);
/* p->conn is gone: tell the senders of unacknowledged messages. */
void		 peer_inflight_report(struct peer *);
/* p's timers: the next heartbeat, the failure deadline, resumed reads. */
void		 peer_echo_cb(evutil_socket_t, short, void *);
void		 peer_dead_cb(evutil_socket_t, short, void *);
void		 peer_resume_cb(evutil_socket_t, short, void *);

#endif /* COHORT_PEER_INT_H */
