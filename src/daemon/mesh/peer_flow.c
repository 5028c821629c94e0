/*
 * peer_flow.c: the frames on peer streams.  The frame reader and dispatch
 * (handshake frames go to peer_handshake.c), ECHO heartbeats with RTT and
 * failure detection, the DATA frames a peer has not acknowledged yet, and
 * flow control both ways: a peer's full output queue pauses the local
 * publishers, a full local subscriber pauses reading from the peer.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "daemon/cohortd.h"
#include "daemon/io/bufio.h"
#include "common/detector.h"
#include "peer_int.h"

/* What a read callback takes from a plain stream's socket (bufio.h). */
#define PEER_READ_BATCH		(256 * 1024)

static void	 inflight_ack(struct peer *, uint64_t);

/* Frames in */

static void
peer_handle_echo(struct peer *p, const struct wire_echo *e)
{
	uint64_t	now = now_us(), sample;

	inflight_ack(p, e->data_acked);
	sample = detector_rtt_sample(now, e->echo_ts_us, e->hold_us);
	if (sample != 0) {
		p->rtt_us = sample;
		p->srtt_us = detector_rtt_smooth(p->srtt_us, sample);
	}
	p->peer_ts_us = e->ts_us;
	p->peer_ts_at = now;
}

static void
peer_handle_bye(struct pconn *c, const struct wire_bye *b)
{
	struct peer	*p = c->peer;
	int		 active = p->conn == c;
	char		 why[WIRE_TEXT_MAX + 32];

	snprintf(why, sizeof(why), "said BYE: %s", b->text[0] ? b->text :
	    wire_reason_name(b->reason));
	conn_close(c);
	if (active)
		peer_fsm(p, PEV_BYE, why);
}

void
peer_protocol_error(struct pconn *c, const char *what)
{
	struct cohortd	*sc = c->sc;

	sc->stats.protocol_errors++;
	if (c->peer != NULL) {
		if (ratelim_allow(&c->peer->rl, time(NULL)))
			peer_log(log_warnx, c->peer, "protocol error on %s: "
			    "%s; closing the stream", c->remote, what);
	} else if (ratelim_allow(&sc->rl_accept, time(NULL)))
		log_warnx("stream from %s: protocol error: %s; closing",
		    c->remote, what);
	conn_lost(c, what);
}

/* One whole frame; returns -1 if the stream was closed. */
static int
peer_dispatch(struct pconn *c, const struct wire_hdr *hdr, const uint8_t *buf)
{
	union {
		struct wire_hello	hello;
		struct wire_hello_ack	ack;
		struct wire_echo	echo;
		struct wire_bye		bye;
		struct wire_refuse	refuse;
		struct wire_data	data;
	} m;
	enum wire_status	st = WIRE_BAD_TYPE;

	switch (hdr->type) {
	case WT_HELLO:
		if (c->state != CONN_HELLO || c->got_hello)
			break;
		if ((st = wire_decode_hello(buf, hdr->len, &m.hello)) ==
		    WIRE_OK)
			peer_handle_hello(c, &m.hello);
		break;
	case WT_HELLO_ACK:
		if (c->state != CONN_HELLO)
			break;
		if ((st = wire_decode_hello_ack(buf, hdr->len, &m.ack)) ==
		    WIRE_OK)
			peer_handle_hello_ack(c, &m.ack);
		break;
	case WT_REFUSE:
		if ((st = wire_decode_refuse(buf, hdr->len, &m.refuse)) ==
		    WIRE_OK)
			peer_handle_refuse(c, &m.refuse);
		break;
	case WT_ECHO:
		if (c->state != CONN_ESTABLISHED && !c->got_ack)
			break;
		if ((st = wire_decode_echo(buf, hdr->len, &m.echo)) != WIRE_OK)
			break;
		/* The first ECHO after both ACKs: the handshake is done. */
		if (c->state == CONN_HELLO)
			peer_established(c);
		if (c->state == CONN_ESTABLISHED && c->peer->conn == c)
			peer_handle_echo(c->peer, &m.echo);
		break;
	case WT_DATA:
		if (c->state != CONN_ESTABLISHED)
			break;
		if ((st = wire_decode_data(buf, hdr->len, &m.data)) ==
		    WIRE_OK && relay_data_in(c->sc, c->peer->node.id,
		    &m.data) == -1)
			st = WIRE_BAD_BODY;
		c->data_in++;
		break;
	case WT_BYE:
		if (c->state != CONN_ESTABLISHED)
			break;
		if ((st = wire_decode_bye(buf, hdr->len, &m.bye)) == WIRE_OK)
			peer_handle_bye(c, &m.bye);
		break;
	}
	if (st != WIRE_OK) {
		char	what[96];

		snprintf(what, sizeof(what), "%s frame %s",
		    wire_type_name(hdr->type), st == WIRE_BAD_TYPE ?
		    "not allowed here" : wire_status_name(st));
		peer_protocol_error(c, what);
		return (-1);
	}
	return (c->state == CONN_DEAD || c->state == CONN_CLOSING ? -1 : 0);
}

/*
 * The frame reader's view of a stream (bufio.h): frames while it is in
 * the handshake or established and its peer's reads are not held back;
 * before HELLO, small ones only.
 */
static size_t
peer_frame_limit(void *arg)
{
	struct pconn	*c = arg;

	if (c->state != CONN_HELLO && c->state != CONN_ESTABLISHED)
		return (0);
	if (c->peer != NULL && c->peer->conn == c && c->peer->read_paused)
		return (0);
	return (c->state == CONN_ESTABLISHED ?
	    config_max_frame(&c->sc->conf) : PEER_PREHELLO_MAX);
}

static int
peer_frame(void *arg, const struct wire_hdr *hdr, const uint8_t *frame)
{
	struct pconn	*c = arg;
	struct peer	*p = c->peer;

	if (p != NULL) {
		p->frames_in++;
		p->bytes_in += hdr->len;
		/*
		 * A sign of life; the clock is read once per read callback,
		 * not per frame (it showed in the profile).
		 */
		if (p->conn == c && !c->rx_noted) {
			p->last_rx_us = now_us();
			c->rx_noted = 1;
		}
	}
	return (peer_dispatch(c, hdr, frame));
}

static void
peer_frame_bad(void *arg, const char *why)
{
	peer_protocol_error(arg, why);
}

static const struct bufio_reader peer_reader = {
	WIRE_PEER, peer_frame_limit, peer_frame, peer_frame_bad
};

void
peer_read_cb(struct bufferevent *bev, void *arg)
{
	struct pconn	*c = arg;
	size_t		 max;

	/*
	 * An established plain stream: take what the kernel has, not the
	 * 4 KiB libevent reads per wakeup (it was most of the receiving
	 * daemon's time).  Not while a full subscriber holds reads back.
	 */
	if (c->plain && c->state == CONN_ESTABLISHED && c->peer != NULL &&
	    (c->peer->conn != c || !c->peer->read_paused)) {
		max = config_max_frame(&c->sc->conf);
		(void)bufread_fill(bev, max < PEER_READ_BATCH ? max :
		    PEER_READ_BATCH);
	}
	c->rx_noted = 0;
	bufio_frames(bufferevent_get_input(bev), &peer_reader, c);
}

/* Heartbeats and failure detection */

/* One heartbeat on c, echoing the last timestamp its peer sent us. */
void
conn_send_echo(struct pconn *c)
{
	struct peer	*p = c->peer;
	struct wire_echo e;
	uint8_t		 buf[WIRE_HDR_LEN + 40 + WIRE_ID_MAX];
	uint64_t	 now = now_us();

	memset(&e, 0, sizeof(e));
	e.seq = ++p->echo_seq;
	e.ts_us = now;
	if (p->conn == c) {
		e.echo_ts_us = p->peer_ts_us;
		e.hold_us = p->peer_ts_us ? now - p->peer_ts_at : 0;
	}
	e.data_acked = c->data_in;
	strlcpy(e.node_id, peer_self_id(p->sc), sizeof(e.node_id));
	conn_send(c, buf, wire_encode_echo(buf, sizeof(buf), &e));
}

void
peer_echo_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct peer	*p = arg;

	(void)fd;
	(void)ev;
	if (p->conn == NULL || p->state != MEMBER_UP)
		return;
	conn_send_echo(p->conn);
	peer_timer_add_ms(p->ev_echo, p->sc->conf.lim.hb_interval_ms);
}

void
peer_dead_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct peer	*p = arg;
	uint64_t	 timeout = (uint64_t)p->sc->conf.lim.hb_timeout_ms * 1000;
	uint64_t	 rem;
	char		 why[64];

	(void)fd;
	(void)ev;
	if (p->state != MEMBER_UP)
		return;
	/*
	 * Silence while we do not read is our doing, not the peer's: it is
	 * not a failure.  The clock starts again when reading resumes.
	 */
	if (p->read_paused)
		p->last_rx_us = now_us();
	rem = detector_remaining(p->last_rx_us, now_us(), timeout);
	if (rem > 0) {
		struct timeval	tv = { (time_t)(rem / 1000000),
		    (suseconds_t)(rem % 1000000) };

		evtimer_add(p->ev_dead, &tv);
		return;
	}
	snprintf(why, sizeof(why), "nothing received for %u ms",
	    p->sc->conf.lim.hb_timeout_ms);
	peer_fsm(p, PEV_TIMEOUT, why);
}

/* In flight */

/* Note a message of a client in flight on p->conn (see struct peer). */
static void
inflight_add(struct peer *p, uint64_t seq, const struct send_tag *tag)
{
	struct inflight	*r, *v;
	size_t		 i, cap;

	if (p->if_n > 0) {
		r = &p->inflight[(p->if_head + p->if_n - 1) % p->if_cap];
		if (r->client_id == tag->client_id && r->count < UINT32_MAX) {
			r->last_seq = seq;
			r->last_req = tag->req_id;
			r->count++;
			return;
		}
	}
	if (p->if_n == p->if_cap) {
		cap = p->if_cap ? p->if_cap * 2 : 64;
		if ((v = calloc(cap, sizeof(*v))) == NULL) {
			peer_log(log_warnx, p, "out of memory tracking messages "
			    "in flight");
			return;
		}
		for (i = 0; i < p->if_n; i++)
			v[i] = p->inflight[(p->if_head + i) % p->if_cap];
		free(p->inflight);
		p->inflight = v;
		p->if_cap = cap;
		p->if_head = 0;
	}
	r = &p->inflight[(p->if_head + p->if_n) % p->if_cap];
	r->last_seq = seq;
	r->client_id = tag->client_id;
	r->first_req = r->last_req = tag->req_id;
	r->count = 1;
	p->if_n++;
}

/* The peer has received every DATA frame up to acked: forget them. */
static void
inflight_ack(struct peer *p, uint64_t acked)
{
	while (p->if_n > 0 && p->inflight[p->if_head].last_seq <= acked) {
		p->if_head = (p->if_head + 1) % p->if_cap;
		p->if_n--;
	}
}

/*
 * The stream is gone with messages the peer never acknowledged: tell
 * each sender how many may be lost.  Some may have arrived (their
 * acknowledgement was still to come): never silent, possibly pessimistic.
 */
void
peer_inflight_report(struct peer *p)
{
	struct inflight	*r;

	while (p->if_n > 0) {
		r = &p->inflight[p->if_head];
		relay_lost(p->sc, p->node.id, r->client_id, r->count,
		    r->first_req, r->last_req);
		p->if_head = (p->if_head + 1) % p->if_cap;
		p->if_n--;
	}
	p->if_head = 0;
}

/* Flow control */

/*
 * Backpressure.  When a peer's output queue passes limits.peer_queue_bytes
 * the peer is congested: relay.c stops reading from the local clients that
 * publish to it, so the queue grows by at most the frames already read.
 * Below half the limit (the write low watermark) they are resumed.
 */
void
peer_uncongest(struct peer *p)
{
	if (!p->congested)
		return;
	p->congested = 0;
	if (p->conn != NULL) {
		bufferevent_setwatermark(p->conn->bev, EV_WRITE, 0, 0);
		bufferevent_setcb(p->conn->bev, peer_read_cb, NULL,
		    peer_event_cb, p->conn);
	}
	peer_log(log_debug, p, "output queue drained; resuming publishers");
	relay_peer_drained(p->sc, p->node.id);
}

static void
peer_check_congestion(struct peer *p)
{
	struct cohortd	*sc = p->sc;
	size_t		 len;

	len = evbuffer_get_length(bufferevent_get_output(p->conn->bev));
	if (p->congested || len < sc->conf.lim.peer_queue_bytes)
		return;
	p->congested = 1;
	p->queue_full++;
	sc->stats.peer_queue_full++;
	if (ratelim_allow(&p->rl, time(NULL)))
		peer_log(log_info, p, "output queue at %zu bytes "
		    "(limits.peer_queue_bytes %u): pausing local publishers "
		    "until it drains", len, sc->conf.lim.peer_queue_bytes);
	bufferevent_setwatermark(p->conn->bev, EV_WRITE,
	    sc->conf.lim.peer_queue_bytes / 2, 0);
	bufferevent_setcb(p->conn->bev, peer_read_cb, peer_write_cb,
	    peer_event_cb, p->conn);
}

void
peer_write_cb(struct bufferevent *bev, void *arg)
{
	struct pconn	*c = arg;

	if (c->state == CONN_CLOSING &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		conn_close(c);
	else if (c->state == CONN_ESTABLISHED && c->peer != NULL &&
	    c->peer->conn == c)
		peer_uncongest(c->peer);
}

/*
 * Backpressure towards a peer: a local subscriber is full, so stop
 * reading the stream that feeds it.  The peer's queue to us then fills
 * and it slows its own publishers in turn; nothing is dropped.
 */
void
peer_pause_read(struct cohortd *sc, const char *node)
{
	struct peer	*p = peer_find(sc, node);

	if (p == NULL || p->conn == NULL || p->read_paused)
		return;
	p->read_paused = 1;
	sc->stats.peer_reads_paused++;
	bufferevent_disable(p->conn->bev, EV_READ);
	peer_log(log_debug, p, "reading paused: a local subscriber is full");
}

void
peer_resume_reads(struct cohortd *sc)
{
	struct peer	*p;

	TAILQ_FOREACH(p, &sc->peers, entry) {
		if (!p->read_paused)
			continue;
		p->read_paused = 0;
		p->last_rx_us = now_us();
		if (p->conn == NULL)
			continue;
		bufferevent_enable(p->conn->bev, EV_READ);
		event_active(p->ev_resume, EV_TIMEOUT, 0);
	}
}

/* Frames that arrived while reading was paused: handle them now. */
void
peer_resume_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct peer	*p = arg;

	(void)fd;
	(void)ev;
	if (p->conn != NULL && !p->read_paused)
		peer_read_cb(p->conn->bev, p->conn);
}

/* Frames out */

void
conn_send(struct pconn *c, const uint8_t *frame, size_t len)
{
	if (len == 0 || c->state == CONN_DEAD)
		return;
	if (bufferevent_write(c->bev, frame, len) == -1) {
		log_warnx("stream %s: cannot queue %zu bytes", c->remote, len);
		return;
	}
	if (c->peer != NULL) {
		c->peer->frames_out++;
		c->peer->bytes_out += len;
	}
}

static void
peer_write2(struct peer *p, const uint8_t *head, size_t hlen,
    const uint8_t *body, size_t blen, const struct send_tag *tag)
{
	struct evbuffer	*out = bufferevent_get_output(p->conn->bev);

	if (bufio_add2(out, head, hlen, body, blen) == -1) {
		peer_log(log_warnx, p, "out of memory queueing %zu bytes",
		    hlen + blen);
		if (tag != NULL)
			relay_lost(p->sc, p->node.id, tag->client_id, 1,
			    tag->req_id, tag->req_id);
		return;
	}
	p->conn->data_out++;
	if (tag != NULL && tag->client_id != 0)
		inflight_add(p, p->conn->data_out, tag);
	p->frames_out++;
	p->bytes_out += hlen + blen;
	peer_check_congestion(p);
}

int
peer_send(struct cohortd *sc, const char *node, const uint8_t *head,
    size_t hlen, const uint8_t *body, size_t blen, const struct send_tag *tag,
    int *congested)
{
	struct peer	*p;

	/* One lookup per message: it showed in the profile at 64 B. */
	if ((p = peer_find(sc, node)) == NULL)
		return (REASON_NODE_UNKNOWN);
	if (p->state != MEMBER_UP || p->conn == NULL)
		return (REASON_NODE_DOWN);
	peer_write2(p, head, hlen, body, blen, tag);
	if (congested != NULL)
		*congested = p->congested;
	return (0);
}

size_t
peer_broadcast(struct cohortd *sc, const uint8_t *head, size_t hlen,
    const uint8_t *body, size_t blen,
    void (*unreached)(const char *, uint32_t, void *), void *arg,
    char *congested, const struct send_tag *tag)
{
	struct peer	*p;
	size_t		 n = 0;

	congested[0] = '\0';
	TAILQ_FOREACH(p, &sc->peers, entry) {
		if (p->state != MEMBER_UP || p->conn == NULL) {
			unreached(p->node.id, REASON_NODE_DOWN, arg);
			continue;
		}
		peer_write2(p, head, hlen, body, blen, tag);
		if (p->congested && congested[0] == '\0')
			strlcpy(congested, p->node.id, WIRE_ID_MAX + 1);
		n++;
	}
	return (n);
}
