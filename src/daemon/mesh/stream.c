/*
 * stream.c: peer streams (stream.h).  Only this file and the transport
 * touch a peer stream's bufferevent.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "common/log.h"
#include "daemon/io/bufio.h"
#include "daemon/io/evutil.h"
#include "daemon/io/transport.h"
#include "stream.h"

/* Largest frame read before a stream's HELLO is through. */
#define STREAM_PREHELLO_MAX	4096
/* What one read callback takes from the socket at most. */
#define STREAM_READ_BATCH	(256 * 1024)
/* How long a refused or retired stream may take to flush its last frame. */
#define STREAM_LINGER_MS	1000

static void	 stream_read_cb(struct bufferevent *, void *);
static void	 stream_write_cb(struct bufferevent *, void *);
static void	 stream_event_cb(struct bufferevent *, short, void *);
static void	 stream_timer_cb(evutil_socket_t, short, void *);

static void
stream_reaper_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct stream_set	*set = arg;
	struct stream		*s;

	(void)fd;
	(void)ev;
	while ((s = TAILQ_FIRST(&set->graveyard)) != NULL) {
		TAILQ_REMOVE(&set->graveyard, s, entry);
		transport_close(set->tr, s->bev);
		event_free(s->timer);
		free(s->inflight);
		free(s);
	}
	if (set->stopping && TAILQ_EMPTY(&set->live))
		set->ev->quiet(set->arg);
}

int
stream_set_init(struct stream_set *set, struct event_base *base,
    struct transport *tr, const struct stream_events *ev, void *arg,
    uint64_t *encode_errors)
{
	memset(set, 0, sizeof(*set));
	set->base = base;
	set->tr = tr;
	set->ev = ev;
	set->arg = arg;
	set->encode_errors = encode_errors;
	TAILQ_INIT(&set->live);
	TAILQ_INIT(&set->graveyard);
	if ((set->reaper = event_new(base, -1, 0, stream_reaper_cb, set)) ==
	    NULL)
		return (-1);
	return (0);
}

void
stream_set_free(struct stream_set *set)
{
	struct stream	*s;

	/* At exit, the layers above may be gone: no callbacks. */
	while ((s = TAILQ_FIRST(&set->live)) != NULL) {
		TAILQ_REMOVE(&set->live, s, entry);
		TAILQ_INSERT_TAIL(&set->graveyard, s, entry);
	}
	set->stopping = 0;
	if (set->reaper != NULL) {
		stream_reaper_cb(-1, 0, set);
		event_free(set->reaper);
		set->reaper = NULL;
	}
}

void
stream_set_stopping(struct stream_set *set)
{
	set->stopping = 1;
	event_active(set->reaper, EV_TIMEOUT, 0);
}

static void
stream_name(struct stream *s, const struct sockaddr *sa)
{
	char		host[INET6_ADDRSTRLEN];
	uint16_t	port = 0;

	host[0] = '\0';
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)sa;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		port = ntohs(sin->sin_port);
		memcpy(&s->ss, sa, sizeof(*sin));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		port = ntohs(sin6->sin6_port);
		memcpy(&s->ss, sa, sizeof(*sin6));
	}
	snprintf(s->remote, sizeof(s->remote), "%s%s%s:%u",
	    sa->sa_family == AF_INET6 ? "[" : "", host,
	    sa->sa_family == AF_INET6 ? "]" : "", port);
}

struct stream *
stream_new(struct stream_set *set, struct bufferevent *bev, int outbound,
    const struct sockaddr *sa)
{
	struct stream	*s;

	if (bev == NULL)
		return (NULL);
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->timer = evtimer_new(set->base, stream_timer_cb, s)) == NULL) {
		free(s);
		transport_close(set->tr, bev);
		return (NULL);
	}
	s->set = set;
	s->bev = bev;
	s->outbound = outbound;
	s->state = outbound ? STREAM_CONNECTING : STREAM_HELLO;
	stream_name(s, sa);
	bufferevent_setcb(s->bev, stream_read_cb, NULL, stream_event_cb, s);
	bufferevent_setwatermark(s->bev, EV_READ, 0, STREAM_PREHELLO_MAX);
	TAILQ_INSERT_TAIL(&set->live, s, entry);
	return (s);
}

void
stream_start(struct stream *s)
{
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
}

void
stream_established(struct stream *s, size_t max_frame, size_t max_write)
{
	s->state = STREAM_ESTABLISHED;
	evtimer_del(s->timer);
	bufferevent_setwatermark(s->bev, EV_READ, 0, max_frame);
	bufferevent_set_max_single_write(s->bev, max_write);
}

void
stream_set_deadline(struct stream *s, uint64_t ms)
{
	evtimer_del(s->timer);
	if (ms > 0)
		ev_add_ms(s->timer, ms);
}

static void
stream_timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct stream	*s = arg;

	(void)fd;
	(void)ev;
	if (s->state == STREAM_CLOSING)
		stream_close(s);	/* it lingered long enough */
	else if (s->state != STREAM_DEAD)
		s->set->ev->deadline(s->set->arg, s);
}

/* In flight */

/* Remember a message of a client until the other end acknowledges it. */
static void
inflight_add(struct stream *s, const struct send_tag *tag)
{
	struct inflight	*r, *v;
	size_t		 i, cap;

	if (s->if_n > 0) {
		r = &s->inflight[(s->if_head + s->if_n - 1) % s->if_cap];
		if (r->client_id == tag->client_id && r->count < UINT32_MAX) {
			r->last_seq = s->data_out;
			r->last_req = tag->req_id;
			r->count++;
			return;
		}
	}
	if (s->if_n == s->if_cap) {
		cap = s->if_cap ? s->if_cap * 2 : 64;
		if ((v = calloc(cap, sizeof(*v))) == NULL) {
			/* Cannot track it: say so now rather than never. */
			log_warnx("stream %s: out of memory tracking messages "
			    "in flight", s->remote);
			s->set->ev->unacked(s->set->arg, s, tag->client_id, 1,
			    tag->req_id, tag->req_id);
			return;
		}
		for (i = 0; i < s->if_n; i++)
			v[i] = s->inflight[(s->if_head + i) % s->if_cap];
		free(s->inflight);
		s->inflight = v;
		s->if_cap = cap;
		s->if_head = 0;
	}
	r = &s->inflight[(s->if_head + s->if_n) % s->if_cap];
	r->last_seq = s->data_out;
	r->client_id = tag->client_id;
	r->first_req = r->last_req = tag->req_id;
	r->count = 1;
	s->if_n++;
}

void
stream_ack(struct stream *s, uint64_t acked)
{
	while (s->if_n > 0 && s->inflight[s->if_head].last_seq <= acked) {
		s->if_head = (s->if_head + 1) % s->if_cap;
		s->if_n--;
	}
}

/*
 * The stream no longer carries data: tell each sender how many of its
 * messages may be lost.  Some may have arrived (their acknowledgement
 * was still to come): never silent, possibly pessimistic.
 */
static void
stream_report_unacked(struct stream *s)
{
	struct inflight	*r;

	while (s->if_n > 0) {
		r = &s->inflight[s->if_head];
		s->set->ev->unacked(s->set->arg, s, r->client_id, r->count,
		    r->first_req, r->last_req);
		s->if_head = (s->if_head + 1) % s->if_cap;
		s->if_n--;
	}
	s->if_head = 0;
}

/* Flow control */

static void
stream_uncongest(struct stream *s)
{
	if (!s->congested)
		return;
	s->congested = 0;
	if (s->state != STREAM_DEAD) {
		bufferevent_setwatermark(s->bev, EV_WRITE, 0, 0);
		if (s->state != STREAM_CLOSING)
			bufferevent_setcb(s->bev, stream_read_cb, NULL,
			    stream_event_cb, s);
	}
	s->set->ev->drained(s->set->arg, s);
}

/*
 * Over limit bytes queued: congested until the queue is below half, when
 * the write callback (armed by the low watermark) says it drained.
 */
static int
stream_check_congestion(struct stream *s, size_t limit)
{
	if (s->congested || stream_queued(s) < limit)
		return (s->congested);
	s->congested = 1;
	bufferevent_setwatermark(s->bev, EV_WRITE, limit / 2, 0);
	bufferevent_setcb(s->bev, stream_read_cb, stream_write_cb,
	    stream_event_cb, s);
	return (1);
}

size_t
stream_queued(const struct stream *s)
{
	return (evbuffer_get_length(bufferevent_get_output(s->bev)));
}

/* Frames out */

int
stream_send(struct stream *s, const uint8_t *frame, size_t len)
{
	if (s->state == STREAM_DEAD)
		return (-1);
	if (len == 0) {
		/* An encoder said it does not fit: a bug, never silent. */
		(*s->set->encode_errors)++;
		log_warnx("stream %s: a frame could not be encoded; not sent",
		    s->remote);
		return (-1);
	}
	if (bufferevent_write(s->bev, frame, len) == -1) {
		log_warnx("stream %s: cannot queue %zu bytes", s->remote, len);
		return (-1);
	}
	if (s->acct != NULL) {
		s->acct->frames_out++;
		s->acct->bytes_out += len;
	}
	return (0);
}

int
stream_send_data(struct stream *s, const uint8_t *head, size_t hlen,
    const uint8_t *body, size_t blen, const struct send_tag *tag,
    size_t limit)
{
	if (s->state != STREAM_ESTABLISHED)
		return (-1);
	if (bufio_add2(bufferevent_get_output(s->bev), head, hlen, body,
	    blen) == -1) {
		log_warnx("stream %s: out of memory queueing %zu bytes",
		    s->remote, hlen + blen);
		return (-1);
	}
	s->data_out++;
	if (tag != NULL && tag->client_id != 0)
		inflight_add(s, tag);
	if (s->acct != NULL) {
		s->acct->frames_out++;
		s->acct->bytes_out += hlen + blen;
	}
	return (stream_check_congestion(s, limit));
}

/* Frames in */

static size_t
stream_frame_limit(void *arg)
{
	struct stream	*s = arg;

	if (s->state != STREAM_HELLO && s->state != STREAM_ESTABLISHED)
		return (0);
	return (s->set->ev->read_limit(s->set->arg, s));
}

static int
stream_frame(void *arg, const struct wire_hdr *hdr, const uint8_t *frame)
{
	struct stream	*s = arg;

	if (s->acct != NULL) {
		s->acct->frames_in++;
		s->acct->bytes_in += hdr->len;
	}
	return (s->set->ev->frame(s->set->arg, s, hdr, frame));
}

static void
stream_frame_bad(void *arg, const char *why)
{
	struct stream	*s = arg;

	s->set->ev->bad(s->set->arg, s, why);
}

static const struct bufio_reader stream_reader = {
	WIRE_PEER, stream_frame_limit, stream_frame, stream_frame_bad
};

static void
stream_read_cb(struct bufferevent *bev, void *arg)
{
	struct stream	*s = arg;
	size_t		 max;

	/*
	 * Established: take what the socket has, not the 4 KiB libevent
	 * reads per wakeup (it was most of the receiving daemon's time).
	 * Not while reads are held back.
	 */
	if (s->state == STREAM_ESTABLISHED &&
	    (max = stream_frame_limit(s)) > 0)
		(void)transport_fill(s->set->tr, bev, max < STREAM_READ_BATCH ?
		    max : STREAM_READ_BATCH);
	s->rx_noted = 0;
	bufio_frames(bufferevent_get_input(bev), &stream_reader, s);
}

void
stream_hold_reads(struct stream *s, int hold)
{
	if (s->state == STREAM_DEAD)
		return;
	if (hold)
		bufferevent_disable(s->bev, EV_READ);
	else if (s->state != STREAM_CLOSING)
		bufferevent_enable(s->bev, EV_READ);
}

void
stream_read_now(struct stream *s)
{
	if (s->state == STREAM_HELLO || s->state == STREAM_ESTABLISHED)
		stream_read_cb(s->bev, s);
}

static void
stream_write_cb(struct bufferevent *bev, void *arg)
{
	struct stream	*s = arg;

	if (s->state == STREAM_CLOSING &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		stream_close(s);
	else if (s->state == STREAM_ESTABLISHED)
		stream_uncongest(s);
}

static void
stream_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct stream	*s = arg;
	char		 why[256];
	int		 err = EVUTIL_SOCKET_ERROR();

	if (what & BEV_EVENT_CONNECTED) {
		if (s->outbound && s->state == STREAM_CONNECTING)
			s->set->ev->connected(s->set->arg, s);
		return;
	}
	if (s->state == STREAM_CLOSING) {
		stream_close(s);	/* a last frame's stream: no news */
		return;
	}
	if (what & BEV_EVENT_EOF)
		s->set->ev->lost(s->set->arg, s, STREAM_EOF,
		    "stream closed by the peer");
	else if (transport_error(s->set->tr, bev, why, sizeof(why)))
		s->set->ev->lost(s->set->arg, s, STREAM_TLS, why);
	else {
		snprintf(why, sizeof(why), "%s: %s", s->state ==
		    STREAM_CONNECTING ? "connect failed" : "stream error",
		    evutil_socket_error_to_string(err));
		s->set->ev->lost(s->set->arg, s, STREAM_ERROR, why);
	}
}

/* Retiring */

/* Never free a stream inside its own callbacks: the reaper does it. */
void
stream_close(struct stream *s)
{
	struct stream_set	*set = s->set;

	if (s->state == STREAM_DEAD)
		return;
	stream_report_unacked(s);
	stream_uncongest(s);
	s->state = STREAM_DEAD;
	bufferevent_disable(s->bev, EV_READ | EV_WRITE);
	evtimer_del(s->timer);
	TAILQ_REMOVE(&set->live, s, entry);
	TAILQ_INSERT_TAIL(&set->graveyard, s, entry);
	event_active(set->reaper, EV_TIMEOUT, 0);
}

void
stream_finish(struct stream *s, const uint8_t *frame, size_t len)
{
	if (s->state == STREAM_DEAD || s->state == STREAM_CLOSING)
		return;
	stream_report_unacked(s);
	stream_uncongest(s);
	s->state = STREAM_CLOSING;
	bufferevent_disable(s->bev, EV_READ);
	bufferevent_setcb(s->bev, NULL, stream_write_cb, stream_event_cb, s);
	evtimer_del(s->timer);
	ev_add_ms(s->timer, STREAM_LINGER_MS);
	if (frame == NULL || stream_send(s, frame, len) == -1)
		stream_close(s);
}
