/*
 * mesh_int.h: what the files of the mesh share, and nothing outside the
 * mesh includes.  Calls inside the mesh go one way:
 *   mesh.c (peers, the state machine's actions, dialling, dispatch, the
 *     public calls of mesh.h)
 *     -> handshake.c (HELLO, HELLO_ACK, REFUSE, BYE: checks and frames)
 *     -> stream.c (one stream's bufferevent and state)
 *   peer_fsm.c is pure and called by mesh.c only.
 *
 * struct peer is one configured node: its state, its active stream
 * (conn) and outbound attempt (dial), its heartbeats and counters.
 */
#ifndef COHORT_MESH_INT_H
#define COHORT_MESH_INT_H

#include <sys/socket.h>

#include <bsd/sys/queue.h>
#include <uthash.h>

#include "common/log.h"
#include "mesh.h"
#include "peer_fsm.h"
#include "stream.h"

struct peer {
	TAILQ_ENTRY(peer)	 entry;
	UT_hash_handle		 hh;		/* mesh index, by id */
	struct mesh		*m;
	struct conf_node	 node;
	struct sockaddr_storage	 ss;		/* resolved node address */
	socklen_t		 sslen;
	enum peer_state		 state;
	uint64_t		 since_ms;
	uint64_t		 incarnation;
	struct stream		*conn;		/* established stream */
	struct stream		*dial;		/* outbound attempt */

	struct event		*ev_redial;
	struct event		*ev_echo;
	struct event		*ev_dead;
	struct event		*ev_handover;
	struct event		*ev_resume;
	unsigned int		 attempts;	/* failed dials since up */

	uint64_t		 last_rx_us;
	uint64_t		 echo_seq;
	uint64_t		 peer_ts_us;	/* last ts_us from the peer */
	uint64_t		 peer_ts_at;	/* when we received it */
	int			 read_paused;	/* a local subscriber is full */
	struct peer_stats	 st;		/* rtt, frames, state_changes.. */
	struct ratelim		 rl;
};

TAILQ_HEAD(peer_list, peer);

struct mesh {
	struct mesh_params		 p;	/* what it borrows */
	const struct mesh_events	*ev;
	void				*arg;
	struct peer_list		 peers;
	struct peer			*index;		/* by node id */
	struct stream_set		 streams;
	struct transport_listener	*listener;
	struct ratelim			 rl_accept;
	struct ratelim_table		 rl_refuse;	/* source, reason */
	int				 stopping;
	struct mesh_stats		 stats;
};

static inline struct peer *
mesh_find(struct mesh *m, const char *id)
{
	struct peer	*p;

	HASH_FIND_STR(m->index, id, p);
	return (p);
}

/* peer_log(log_info, p, ...): a line that names the node and address. */
#define peer_log(fn, p, fmt, ...)					\
	fn("peer %s (%s:%u): " fmt, (p)->node.id, (p)->node.address,	\
	    (p)->node.port, ##__VA_ARGS__)

/* handshake.c */
enum hs_result {
	HS_OK,		/* go on */
	HS_REFUSED,	/* we refused the stream (finishing with REFUSE) */
	HS_ERROR,	/* a protocol error: drop the stream */
};
/* Queue our HELLO and start the HELLO deadline. */
void		 hs_send_hello(struct mesh *, struct stream *);
/* Their HELLO: checked, bound to its peer (s->owner), answered. */
enum hs_result	 hs_hello(struct mesh *, struct stream *,
		    const struct wire_hello *);
/* Their HELLO_ACK: the key proof checked. */
enum hs_result	 hs_ack(struct mesh *, struct stream *,
		    const struct wire_hello_ack *);
/* Of two established streams to one peer, keep a (1) or b (0)? */
int		 hs_preferred(struct mesh *, struct stream *, struct stream *);
/* Send REFUSE with a reason, then close. */
void		 hs_refuse(struct mesh *, struct stream *, enum wire_reason,
		    const char *);
/* Send BYE with a reason, then close. */
void		 hs_bye(struct mesh *, struct stream *, enum wire_reason,
		    const char *);
/* Same IP address, the port aside? */
int		 hs_addr_same(const struct sockaddr *,
		    const struct sockaddr_storage *);
/* A key for rate-limiting logs per source address and kind. */
void		 hs_ratelim_key(const struct stream *, const char *, char *,
		    size_t);

#endif /* COHORT_MESH_INT_H */
