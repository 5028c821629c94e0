/*
 * stream.h: one peer stream (a TCP or TLS connection) and everything that
 * belongs to it rather than to the node at its other end: its
 * bufferevent, its handshake progress, the DATA frames it carried that
 * the other end has not acknowledged (numbered on this stream), whether
 * its output queue is congested.  Below the mesh: it reports what
 * happens on it through the table of callbacks its set was made with,
 * and never calls up.
 *
 * Retiring a stream, whichever way (closed, finished with a last frame,
 * replaced as a duplicate, its peer removed), reports every message it
 * still holds unacknowledged and, if it was congested, that it no longer
 * is: nobody waits on a stream that is gone.
 */
#ifndef COHORT_STREAM_H
#define COHORT_STREAM_H

#include <sys/socket.h>
#include <netinet/in.h>

#include <stdint.h>

#include <bsd/sys/queue.h>
#include <event2/bufferevent.h>

#include "common/counters.h"
#include "common/wire.h"

struct transport;
struct stream;

enum stream_state {
	STREAM_CONNECTING,
	STREAM_HELLO,		/* our HELLO sent, the handshake under way */
	STREAM_ESTABLISHED,
	STREAM_CLOSING,		/* last frame queued, closing once flushed */
	STREAM_DEAD,		/* in the graveyard */
};

enum stream_loss {
	STREAM_EOF,		/* closed by the other end */
	STREAM_ERROR,		/* a socket error */
	STREAM_TLS,		/* the transport refused (TLS) */
};

/* Which client and request a DATA frame came from (see stream_send_data). */
struct send_tag {
	uint64_t	 client_id;
	uint32_t	 req_id;
};

/* A run of one client's DATA frames on a stream, unacknowledged. */
struct inflight {
	uint64_t	 last_seq;	/* data_out of its last frame */
	uint64_t	 client_id;
	uint32_t	 first_req;
	uint32_t	 last_req;
	uint32_t	 count;
};

struct stream_events {
	/* An outbound stream connected (with TLS: handshake done). */
	void	(*connected)(void *, struct stream *);
	/* How large a frame may be read now; 0 holds reading back. */
	size_t	(*read_limit)(void *, struct stream *);
	/* One whole frame; -1 when the stream is going away. */
	int	(*frame)(void *, struct stream *, const struct wire_hdr *,
		    const uint8_t *);
	/* Bad framing (the reason): the stream must be dropped. */
	void	(*bad)(void *, struct stream *, const char *);
	/* The stream failed or was closed by the other end. */
	void	(*lost)(void *, struct stream *, enum stream_loss,
		    const char *);
	/* Its deadline (stream_set_deadline) passed. */
	void	(*deadline)(void *, struct stream *);
	/* Its output queue fell below half of the limit again. */
	void	(*drained)(void *, struct stream *);
	/* Messages of a client it carried were never acknowledged. */
	void	(*unacked)(void *, struct stream *, uint64_t, uint32_t,
		    uint32_t, uint32_t);
	/* Shutting down, and the last stream is gone. */
	void	(*quiet)(void *);
};

TAILQ_HEAD(stream_list, stream);

struct stream {
	TAILQ_ENTRY(stream)	 entry;
	struct stream_set	*set;
	void			*owner;		/* the mesh's peer, or NULL */
	struct peer_stats	*acct;		/* the owner's counters */
	struct bufferevent	*bev;
	struct event		*timer;		/* deadline, then linger */
	enum stream_state	 state;
	int			 outbound;
	int			 rx_noted;	/* reset at every read */
	int			 got_hello;	/* theirs accepted, ACK sent */
	int			 got_ack;	/* their ACK verified */
	int			 sent_ack;	/* our proof sent */
	int			 has_channel;	/* channel holds the binding */
	uint8_t			 channel[32];	/* TLS exporter (auth.h) */
	uint64_t		 incarnation;	/* theirs, from HELLO */
	uint8_t			 nonce[WIRE_NONCE_LEN];	/* in our HELLO */
	uint8_t			 peer_nonce[WIRE_NONCE_LEN];
	uint64_t		 data_out;	/* DATA frames queued on it */
	uint64_t		 data_in;	/* DATA frames received on it */
	struct inflight		*inflight;	/* ring of if_cap records */
	size_t			 if_head, if_n, if_cap;
	int			 congested;	/* output over the limit */
	struct sockaddr_storage	 ss;		/* the other end */
	char			 remote[INET6_ADDRSTRLEN + 8];
};

struct stream_set {
	struct event_base		*base;
	struct transport		*tr;
	const struct stream_events	*ev;
	void				*arg;
	struct stream_list		 live;
	struct stream_list		 graveyard;
	struct event			*reaper;
	int				 stopping;
	uint64_t			*encode_errors;
};

int		 stream_set_init(struct stream_set *, struct event_base *,
		    struct transport *, const struct stream_events *, void *,
		    uint64_t *);
/* Free every stream now (at exit; callbacks are not called). */
void		 stream_set_free(struct stream_set *);
/* From now on, tell quiet() when the last stream is gone. */
void		 stream_set_stopping(struct stream_set *);

/*
 * A stream over a transport's bufferevent (owned from here on, closed on
 * failure) to or from sa; NULL if none.
 */
struct stream	*stream_new(struct stream_set *, struct bufferevent *, int,
		    const struct sockaddr *);
/* Start reading (and writing). */
void		 stream_start(struct stream *);
/* Established: frames up to max, large writes. */
void		 stream_established(struct stream *, size_t, size_t);
/* Call deadline() ms from now (replaces the last one); 0 disarms. */
void		 stream_set_deadline(struct stream *, uint64_t);

/* Queue a whole frame (not DATA); -1 if it could not be queued. */
int		 stream_send(struct stream *, const uint8_t *, size_t);
/*
 * Queue one DATA frame, head and body.  With a tag (client_id != 0) it
 * is remembered until acknowledged.  -1 if it could not be queued (the
 * caller reports that message); else whether the stream is congested
 * now (output over limit bytes).
 */
int		 stream_send_data(struct stream *, const uint8_t *, size_t,
		    const uint8_t *, size_t, const struct send_tag *, size_t);
/* The other end has every DATA frame up to acked. */
void		 stream_ack(struct stream *, uint64_t);
size_t		 stream_queued(const struct stream *);
/* Stop or resume reading (a local subscriber is full). */
void		 stream_hold_reads(struct stream *, int);
/* Read what arrived while reads were held. */
void		 stream_read_now(struct stream *);

/* Retire now; freed outside its callbacks.  Reports, see above. */
void		 stream_close(struct stream *);
/* Queue a last frame (none if NULL), then close once flushed. */
void		 stream_finish(struct stream *, const uint8_t *, size_t);

#endif /* COHORT_STREAM_H */
