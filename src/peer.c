/*
 * peer.c: the peer mesh.  Listening, dialling with backoff, the HELLO
 * handshake, ECHO heartbeats, failure detection and the peer state
 * machine.  Only this file touches peer bufferevents.
 *
 * Two objects:
 *  - struct pconn is one TCP stream.  Inbound streams are anonymous until
 *    their HELLO names a configured node.
 *  - struct peer is one configured node and its membership state.  It has
 *    at most one established stream (p->conn) and at most one outbound
 *    attempt in progress (p->dial).
 *
 * Both ends dial whenever a peer is not up, so two streams can complete at
 * once.  Both ends keep the one dialled by the node with the smaller id
 * and send REFUSE(DUPLICATE) on the other.  The REFUSE travels in-stream
 * ahead of the close, so an end whose established stream is retired that
 * way knows a replacement is coming and hands over without a state change
 * (see peer_handover_cb).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <uthash.h>

#include "cohortd.h"
#include "bufio.h"
#include "detector.h"
#include "tls.h"

/* Largest frame accepted before a stream has completed its HELLO. */
#define PEER_PREHELLO_MAX	4096
/*
 * Largest single write on an established stream.  libevent's default,
 * 16 KiB, takes a loop turn (an epoll_wait and a writev) per 16 KiB
 * however much is queued.
 */
#define PEER_WRITE_MAX		(256 * 1024)
/* What a read callback takes from a plain stream's socket (bufio.h). */
#define PEER_READ_BATCH		(256 * 1024)
/* How long a refused or retired stream may take to flush its last frame. */
#define PEER_LINGER_MS		1000

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

static const char *const peer_event_names[] = {
	"established", "closed", "timeout", "bye", "refused",
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

static void	 peer_fsm(struct peer *, enum peer_event, const char *);
static void	 peer_dial(struct peer *);
static void	 conn_close(struct pconn *);
static void	 conn_send(struct pconn *, const uint8_t *, size_t);
static void	 peer_read_cb(struct bufferevent *, void *);
static void	 peer_write_cb(struct bufferevent *, void *);
static void	 peer_event_cb(struct bufferevent *, short, void *);
static void	 peer_protocol_error(struct pconn *, const char *);
static void	 conn_send_echo(struct pconn *);
static void	 inflight_report(struct peer *);
static void	 inflight_ack(struct peer *, uint64_t);
static void	 peer_uncongest(struct peer *);
static int	 addr_same(const struct sockaddr *,
		    const struct sockaddr_storage *);
static int	 peer_resolve(const char *, uint16_t, struct sockaddr_storage *,
		    socklen_t *, char *, size_t);

static struct peer *
peer_find(struct cohortd *sc, const char *id)
{
	struct peer	*p;

	HASH_FIND_STR(sc->peer_index, id, p);
	return (p);
}

static const char *
self_id(struct cohortd *sc)
{
	return (sc->conf.node_id);
}

#define peer_log(fn, p, fmt, ...)					\
	fn("peer %s (%s:%u): " fmt, (p)->node.id, (p)->node.address,	\
	    (p)->node.port, ##__VA_ARGS__)

static void
timer_add_ms(struct event *ev, uint64_t ms)
{
	struct timeval	tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(ev, &tv);
}

/* State machine */

#define S(x)	(1U << MEMBER_##x)
#define NOT_UP	(S(UNKNOWN) | S(DOWN) | S(LEFT) | S(REFUSED))
#define SAME	(-1)

static void	act_up(struct peer *);
static void	act_lost(struct peer *);
static void	act_redial(struct peer *);

static const struct peer_trans {
	unsigned int	 from;		/* mask of states */
	enum peer_event	 ev;
	void		(*act)(struct peer *);
	int		 to;		/* enum member_state, or SAME */
} peer_fsm_tbl[] = {
	{ NOT_UP,	PEV_ESTABLISHED,	act_up,		MEMBER_UP },
	{ S(UP),	PEV_CLOSED,	act_lost,	MEMBER_DOWN },
	{ S(UP),	PEV_TIMEOUT,	act_lost,	MEMBER_DOWN },
	{ S(UP),	PEV_BYE,		act_lost,	MEMBER_LEFT },
	{ NOT_UP,	PEV_CLOSED,	act_redial,	SAME },
	{ NOT_UP,	PEV_BYE,		act_redial,	SAME },
	{ NOT_UP,	PEV_REFUSED,	act_redial,	MEMBER_REFUSED },
};

/*
 * The one function that changes a peer's state: it logs, counts, stamps
 * the time and tells local watchers.
 */
static void
peer_set_state(struct peer *p, enum member_state to, const char *why)
{
	enum member_state	prev = p->state;

	if (prev == to)
		return;
	p->state = to;
	p->since_ms = wall_ms();
	p->state_changes++;
	peer_log(log_info, p, "%s -> %s (%s)", member_state_name(prev),
	    member_state_name(to), why);
	relay_member_changed(p->sc, p->node.id, to, prev, p->incarnation);
	notify_status(p->sc);
}

static void
peer_fsm(struct peer *p, enum peer_event ev, const char *why)
{
	size_t	i;

	for (i = 0; i < sizeof(peer_fsm_tbl) / sizeof(peer_fsm_tbl[0]); i++) {
		const struct peer_trans	*t = &peer_fsm_tbl[i];

		if (t->ev != ev || (t->from & (1U << p->state)) == 0)
			continue;
		if (t->act != NULL)
			t->act(p);
		if (t->to != SAME)
			peer_set_state(p, (enum member_state)t->to, why);
		return;
	}
	peer_log(log_debug, p, "event %s ignored in state %s",
	    peer_event_names[ev], member_state_name(p->state));
}

static void
act_up(struct peer *p)
{
	evtimer_del(p->ev_redial);
	p->attempts = 0;
	p->incarnation = p->conn->incarnation;
	p->last_rx_us = now_us();
	p->peer_ts_us = 0;
	p->rtt_us = p->srtt_us = 0;
	timer_add_ms(p->ev_dead, p->sc->conf.lim.hb_timeout_ms);
	/* First ECHO at once, so RTT is known after one round trip. */
	timer_add_ms(p->ev_echo, 0);
}

static void
act_lost(struct peer *p)
{
	evtimer_del(p->ev_echo);
	evtimer_del(p->ev_dead);
	evtimer_del(p->ev_handover);
	if (p->conn != NULL)
		conn_close(p->conn);
	p->attempts = 0;
	act_redial(p);
}

static void
act_redial(struct peer *p)
{
	const struct conf_limits	*l = &p->sc->conf.lim;
	uint32_t			 ms;

	if (p->sc->stopping || p->conn != NULL || p->dial != NULL ||
	    evtimer_pending(p->ev_redial, NULL))
		return;
	ms = detector_backoff(p->attempts, l->reconnect_min_ms,
	    l->reconnect_max_ms, arc4random());
	if (p->attempts < 32)
		p->attempts++;
	peer_log(log_debug, p, "redial in %u ms", ms);
	timer_add_ms(p->ev_redial, ms);
}

/* Streams */

static struct pconn *
conn_new(struct cohortd *sc, int fd, int outbound, const struct sockaddr *sa)
{
	struct pconn	*c;
	char		 host[INET6_ADDRSTRLEN];
	int		 one = 1;
	uint16_t	 port = 0;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (NULL);
	c->sc = sc;
	c->outbound = outbound;
	if (sa->sa_family == AF_INET || sa->sa_family == AF_INET6)
		memcpy(&c->ss, sa, sa->sa_family == AF_INET ?
		    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
	if (sc->tls != NULL)
		c->bev = tls_bufferevent_new(sc->tls, sc->base, fd, outbound);
	else {
		c->bev = bufferevent_socket_new(sc->base, fd,
		    BEV_OPT_CLOSE_ON_FREE);
		c->plain = 1;
	}
	c->timer = evtimer_new(sc->base, NULL, NULL);
	if (c->bev == NULL || c->timer == NULL) {
		if (c->bev != NULL)
			bufferevent_free(c->bev);
		else
			close(fd);
		if (c->timer != NULL)
			event_free(c->timer);
		free(c);
		return (NULL);
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	host[0] = '\0';
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)sa;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		port = ntohs(sin->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		port = ntohs(sin6->sin6_port);
	}
	snprintf(c->remote, sizeof(c->remote), "%s%s%s:%u",
	    sa->sa_family == AF_INET6 ? "[" : "", host,
	    sa->sa_family == AF_INET6 ? "]" : "", port);
	bufferevent_setcb(c->bev, peer_read_cb, NULL, peer_event_cb, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, PEER_PREHELLO_MAX);
	TAILQ_INSERT_TAIL(&sc->conns, c, entry);
	return (c);
}

/* Never free a stream inside its own callbacks: the reaper does it. */
static void
conn_close(struct pconn *c)
{
	struct cohortd	*sc = c->sc;
	struct peer	*p = c->peer;

	if (c->state == CONN_DEAD)
		return;
	c->state = CONN_DEAD;
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	evtimer_del(c->timer);
	if (p != NULL) {
		if (p->conn == c) {
			inflight_report(p);
			p->conn = NULL;
			p->read_paused = 0;
			/* Its queue is gone: publishers waiting on it resume. */
			peer_uncongest(p);
		}
		if (p->dial == c)
			p->dial = NULL;
	}
	TAILQ_REMOVE(&sc->conns, c, entry);
	TAILQ_INSERT_TAIL(&sc->graveyard, c, entry);
	event_active(sc->reaper, EV_TIMEOUT, 0);
}

static void
peer_reaper_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct cohortd	*sc = arg;
	struct pconn	*c;

	(void)fd;
	(void)ev;
	while ((c = TAILQ_FIRST(&sc->graveyard)) != NULL) {
		TAILQ_REMOVE(&sc->graveyard, c, entry);
		bufferevent_free(c->bev);
		event_free(c->timer);
		free(c);
	}
	if (sc->stopping && TAILQ_EMPTY(&sc->conns))
		event_base_loopexit(sc->base, NULL);
}

static void
conn_linger_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	conn_close(arg);
}

/*
 * Queue a last frame, stop reading, and close once it is flushed (or after
 * PEER_LINGER_MS if the other end does not read).  The stream no longer
 * belongs to its peer.
 */
static void
conn_finish(struct pconn *c, const uint8_t *frame, size_t len)
{
	struct peer	*p = c->peer;

	if (c->state == CONN_DEAD || c->state == CONN_CLOSING)
		return;
	if (p != NULL) {
		if (p->conn == c) {
			inflight_report(p);
			p->conn = NULL;
		}
		if (p->dial == c)
			p->dial = NULL;
	}
	c->state = CONN_CLOSING;
	bufferevent_disable(c->bev, EV_READ);
	bufferevent_setcb(c->bev, NULL, peer_write_cb, peer_event_cb, c);
	/* event_assign() on a pending event corrupts libevent: delete first. */
	evtimer_del(c->timer);
	event_assign(c->timer, c->sc->base, -1, 0, conn_linger_cb, c);
	timer_add_ms(c->timer, PEER_LINGER_MS);
	if (len > 0)
		conn_send(c, frame, len);
	else
		conn_close(c);
}

/*
 * Backpressure.  When a peer's output queue passes limits.peer_queue_bytes
 * the peer is congested: relay.c stops reading from the local clients that
 * publish to it, so the queue grows by at most the frames already read.
 * Below half the limit (the write low watermark) they are resumed.
 */
static void
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

static void
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

static void
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

/* Send REFUSE with a reason and close: both ends then log why. */
static void
conn_refuse(struct pconn *c, enum wire_reason reason, const char *text)
{
	struct wire_refuse	r;
	uint8_t			buf[WIRE_HDR_LEN + 8 + WIRE_TEXT_MAX];
	size_t			len;

	memset(&r, 0, sizeof(r));
	r.reason = reason;
	strlcpy(r.text, text, sizeof(r.text));
	len = wire_encode_refuse(buf, sizeof(buf), &r);
	conn_finish(c, buf, len);
}

static void
conn_send_hello(struct pconn *c)
{
	struct cohortd			*sc = c->sc;
	const struct conf_node		*self = &sc->conf.nodes[sc->conf.self];
	struct wire_hello		 h;
	uint8_t				 buf[PEER_PREHELLO_MAX];

	memset(&h, 0, sizeof(h));
	h.version = PROTO_VERSION;
	h.min_version = PROTO_MIN_VERSION;
	h.incarnation = sc->incarnation;
	h.port = self->port;
	arc4random_buf(c->nonce, sizeof(c->nonce));
	memcpy(h.nonce, c->nonce, sizeof(h.nonce));
	strlcpy(h.cluster, sc->conf.cluster, sizeof(h.cluster));
	strlcpy(h.node_id, self->id, sizeof(h.node_id));
	strlcpy(h.address, self->address, sizeof(h.address));
	conn_send(c, buf, wire_encode_hello(buf, sizeof(buf), &h));
	c->state = CONN_HELLO;
}

/* A stream that died before or after HELLO: tell its peer, if any. */
static void
conn_lost(struct pconn *c, const char *why)
{
	struct peer	*p = c->peer;
	int		 was_active;

	if (c->state == CONN_DEAD)
		return;
	was_active = p != NULL && p->conn == c;
	if (c->state == CONN_CLOSING) {
		conn_close(c);
		return;
	}
	conn_close(c);
	if (p == NULL)
		return;
	if (was_active)
		peer_fsm(p, PEV_CLOSED, why);
	else if (p->state != MEMBER_UP && p->conn == NULL && p->dial == NULL)
		peer_fsm(p, PEV_CLOSED, why);
	else if (p->state == MEMBER_UP && p->conn == NULL &&
	    !evtimer_pending(p->ev_handover, NULL))
		peer_fsm(p, PEV_CLOSED, why);
}

static void
conn_hello_timeout_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct pconn	*c = arg;
	struct cohortd	*sc = c->sc;

	(void)fd;
	(void)ev;
	sc->stats.hello_timeouts++;
	if (c->peer != NULL && ratelim_allow(&c->peer->rl, time(NULL)))
		peer_log(log_info, c->peer, "no HELLO within %u ms on %s, "
		    "closing", sc->conf.lim.hello_timeout_ms, c->remote);
	else if (c->peer == NULL && ratelim_allow(&sc->rl_accept, time(NULL)))
		log_info("stream from %s: no HELLO within %u ms, closing",
		    c->remote, sc->conf.lim.hello_timeout_ms);
	conn_lost(c, "no HELLO in time");
}

static void
conn_arm_hello_timer(struct pconn *c)
{
	evtimer_del(c->timer);
	event_assign(c->timer, c->sc->base, -1, 0, conn_hello_timeout_cb, c);
	timer_add_ms(c->timer, c->sc->conf.lim.hello_timeout_ms);
}

/* Handshake */

/* Which of two streams to keep: the one dialled by the smaller node id. */
static int
conn_preferred(struct pconn *a, struct pconn *b)
{
	const char	*da, *db;
	int		 cmp;

	da = a->outbound ? self_id(a->sc) : a->peer->node.id;
	db = b->outbound ? self_id(b->sc) : b->peer->node.id;
	cmp = strcmp(da, db);
	if (cmp == 0)
		return (1);	/* same dialer: the newer stream wins */
	return (cmp < 0);
}

/* Refusals are logged once per interval per source address and kind. */
static void
conn_ratelim_key(const struct pconn *c, const char *kind, char *key,
    size_t len)
{
	const char	*host = c->remote[0] == '[' ? c->remote + 1 : c->remote;

	snprintf(key, len, "%.*s %.48s", (int)strcspn(host, c->remote[0] ==
	    '[' ? "]" : ":"), host, kind);
}

/* Refuse a HELLO: log it here (rate-limited), tell the other end why. */
static void
hello_refuse(struct pconn *c, enum wire_reason reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
hello_refuse(struct pconn *c, enum wire_reason reason, const char *fmt, ...)
{
	struct cohortd	*sc = c->sc;
	struct peer	*p = c->outbound ? c->peer : NULL;
	char		 text[WIRE_TEXT_MAX + 1], key[RATELIM_KEY_MAX];
	char		 tag[16];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	sc->stats.conns_refused++;
	/* Once per source address and reason per interval. */
	snprintf(tag, sizeof(tag), "%d", reason);
	conn_ratelim_key(c, tag, key, sizeof(key));
	if (ratelim_key_allow(&sc->rl_refuse, key, time(NULL)))
		log_warnx("refused stream %s %s: %s: %s", c->outbound ?
		    "to" : "from", c->remote, wire_reason_name(reason), text);
	conn_refuse(c, reason, text);
	/* Our own dial was answered by the wrong node: try again later. */
	if (p != NULL && p->conn == NULL && p->dial == NULL)
		peer_fsm(p, PEV_REFUSED, text);
}

/*
 * The handshake as one end proves it (mine = 1: we prove to the peer) or
 * checks the other's proof (mine = 0).  Borrowed pointers into c and sc.
 */
static void
conn_transcript(struct pconn *c, int mine, struct auth_transcript *t)
{
	struct cohortd	*sc = c->sc;

	t->cluster = sc->conf.cluster;
	t->from_id = mine ? self_id(sc) : c->peer->node.id;
	t->to_id = mine ? c->peer->node.id : self_id(sc);
	t->from_nonce = mine ? c->nonce : c->peer_nonce;
	t->to_nonce = mine ? c->peer_nonce : c->nonce;
	t->from_inc = mine ? sc->incarnation : c->incarnation;
	t->to_inc = mine ? c->incarnation : sc->incarnation;
}

/* Validate a HELLO; returns its peer, or NULL after refusing the stream. */
static struct peer *
hello_check(struct pconn *c, const struct wire_hello *h)
{
	struct cohortd	*sc = c->sc;
	struct peer	*p;
	char		 why[300];

	if (h->version < PROTO_MIN_VERSION || h->min_version > PROTO_VERSION) {
		hello_refuse(c, REASON_VERSION, "%s speaks protocol versions "
		    "%u to %u, %s speaks %u to %u", self_id(sc),
		    PROTO_MIN_VERSION, PROTO_VERSION, h->node_id,
		    h->min_version, h->version);
		return (NULL);
	}
	if (strcmp(h->cluster, sc->conf.cluster) != 0) {
		hello_refuse(c, REASON_CLUSTER, "%s is in cluster \"%s\", "
		    "%s announced cluster \"%s\"", self_id(sc),
		    sc->conf.cluster, h->node_id, h->cluster);
		return (NULL);
	}
	if (strcmp(h->node_id, self_id(sc)) == 0) {
		hello_refuse(c, REASON_SELF_ID, "%s announced %s's own id: "
		    "two nodes are configured with the same node_id",
		    c->remote, self_id(sc));
		return (NULL);
	}
	if ((p = peer_find(sc, h->node_id)) == NULL) {
		hello_refuse(c, REASON_UNKNOWN_NODE, "node id \"%s\" is not "
		    "in the nodes list of %s (%s)", h->node_id, self_id(sc),
		    sc->conf.path);
		return (NULL);
	}
	if (!c->outbound && sc->conf.check_address && p->sslen > 0 &&
	    !addr_same((struct sockaddr *)&c->ss, &p->ss)) {
		hello_refuse(c, REASON_ADDRESS, "stream from %s claims to be "
		    "%s, configured at %s (security.check_address)",
		    c->remote, h->node_id, p->node.address);
		return (NULL);
	}
	if (sc->tls != NULL && tls_names(c->bev, h->node_id, why,
	    sizeof(why)) == -1) {
		sc->stats.tls_failures++;
		hello_refuse(c, REASON_CERT, "stream from %s claims to be %s, "
		    "but %s (security.tls)", c->remote, h->node_id, why);
		return (NULL);
	}
	if (c->outbound && c->peer != p) {
		hello_refuse(c, REASON_UNKNOWN_NODE, "%s dialled %s at %s but "
		    "%s answered", self_id(sc), c->peer->node.id, c->remote,
		    h->node_id);
		return (NULL);
	}
	if (p->conn != NULL && h->incarnation < p->conn->incarnation) {
		hello_refuse(c, REASON_DUPLICATE, "incarnation %llu of %s is "
		    "older than the established %llu",
		    (unsigned long long)h->incarnation, h->node_id,
		    (unsigned long long)p->conn->incarnation);
		return (NULL);
	}
	return (p);
}

/* Their HELLO is acceptable: say so, and wait for their ACK of ours. */
static void
peer_handle_hello(struct pconn *c, const struct wire_hello *h)
{
	struct wire_hello_ack	 a;
	struct auth_transcript	 t;
	struct peer		*p;
	uint8_t			 buf[WIRE_HDR_LEN + WIRE_NONCE_LEN +
				    WIRE_MAC_LEN + 2 + WIRE_ID_MAX];

	if ((p = hello_check(c, h)) == NULL)
		return;
	c->peer = p;
	c->incarnation = h->incarnation;
	c->got_hello = 1;
	memcpy(c->peer_nonce, h->nonce, sizeof(c->peer_nonce));
	memset(&a, 0, sizeof(a));
	memcpy(a.nonce, h->nonce, sizeof(a.nonce));
	strlcpy(a.node_id, self_id(c->sc), sizeof(a.node_id));
	/* Prove we hold the cluster key, over this very exchange. */
	if (c->sc->keys.n > 0) {
		conn_transcript(c, 1, &t);
		auth_mac(&c->sc->keys.key[0], &t, a.mac);
	}
	conn_send(c, buf, wire_encode_hello_ack(buf, sizeof(buf), &a));
}

/*
 * Both HELLOs accepted: the stream is established.  Adopt it, or resolve
 * a duplicate the same way the other end will.
 */
static void
peer_established(struct pconn *c)
{
	struct peer	*p = c->peer;
	struct pconn	*old;

	evtimer_del(c->timer);
	c->state = CONN_ESTABLISHED;
	bufferevent_setwatermark(c->bev, EV_READ, 0,
	    config_max_frame(&c->sc->conf));
	bufferevent_set_max_single_write(c->bev, PEER_WRITE_MAX);
	if (p->dial == c)
		p->dial = NULL;
	p->last_rx_us = now_us();

	/* A new incarnation means the old process is gone. */
	if (p->conn != NULL && p->conn->incarnation != c->incarnation)
		peer_fsm(p, PEV_CLOSED, "restarted with a new incarnation");

	if (p->conn == NULL) {
		p->conn = c;
		if (p->state == MEMBER_UP) {
			evtimer_del(p->ev_handover);
			peer_log(log_debug, p, "stream handed over to %s",
			    c->remote);
		} else
			peer_fsm(p, PEV_ESTABLISHED, c->outbound ?
			    "dialled, HELLO exchanged" :
			    "accepted, HELLO exchanged");
		return;
	}
	/* Two streams to one peer: keep the same one as the other end. */
	c->sc->stats.duplicate_streams++;
	if (conn_preferred(c, p->conn)) {
		old = p->conn;
		p->conn = c;
		peer_log(log_debug, p, "keeping stream %s, retiring %s",
		    c->remote, old->remote);
		conn_refuse(old, REASON_DUPLICATE, "duplicate stream");
	} else {
		peer_log(log_debug, p, "keeping stream %s, retiring %s",
		    p->conn->remote, c->remote);
		conn_refuse(c, REASON_DUPLICATE, "duplicate stream");
	}
}

static void
peer_handle_hello_ack(struct pconn *c, const struct wire_hello_ack *a)
{
	struct auth_transcript	t;

	if (!c->got_hello || strcmp(a->node_id, c->peer->node.id) != 0) {
		peer_protocol_error(c, "HELLO_ACK does not match our HELLO");
		return;
	}
	/* An ACK for another nonce answers another handshake: a replay. */
	if (memcmp(a->nonce, c->nonce, sizeof(a->nonce)) != 0) {
		c->sc->stats.auth_failures++;
		hello_refuse(c, REASON_AUTH, "HELLO_ACK from %s answers another "
		    "handshake (replayed?)", a->node_id);
		return;
	}
	if (c->sc->keys.n > 0) {
		conn_transcript(c, 0, &t);
		if (!auth_verify(&c->sc->keys, &t, a->mac)) {
			c->sc->stats.auth_failures++;
			hello_refuse(c, REASON_AUTH, "%s could not prove it "
			    "holds %s's cluster key: wrong key, or none",
			    a->node_id, self_id(c->sc));
			return;
		}
	}
	/*
	 * We accept them.  They may still refuse us (our proof is theirs to
	 * check): the stream is up only when their first ECHO confirms it,
	 * so that no end reports a peer up that is about to refuse it.
	 */
	c->got_ack = 1;
	conn_send_echo(c);
}

/* Frames */

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
peer_handle_refuse(struct pconn *c, const struct wire_refuse *r)
{
	struct peer	*p = c->peer;
	struct cohortd	*sc = c->sc;

	if (r->reason == REASON_DUPLICATE && p != NULL && p->conn == c) {
		/*
		 * The other end kept another stream to us: wait for its HELLO
		 * rather than reporting the peer down.
		 */
		p->conn = NULL;
		timer_add_ms(p->ev_handover, sc->conf.lim.hello_timeout_ms);
		conn_close(c);
		return;
	}
	if (r->reason == REASON_DUPLICATE) {
		/* Our attempt lost the tie-break; the kept stream follows. */
		conn_close(c);
		if (p != NULL && p->conn == NULL && p->dial == NULL)
			peer_fsm(p, PEV_CLOSED, "duplicate stream retired");
		return;
	}
	sc->stats.refused_by_peer++;
	if (p != NULL && ratelim_allow(&p->rl, time(NULL)))
		peer_log(log_warnx, p, "refused our HELLO: %s: %s",
		    wire_reason_name(r->reason), r->text);
	else if (p == NULL && ratelim_allow(&sc->rl_accept, time(NULL)))
		log_warnx("stream from %s refused our HELLO: %s: %s",
		    c->remote, wire_reason_name(r->reason), r->text);
	conn_close(c);
	if (p != NULL && p->conn == NULL && p->dial == NULL)
		peer_fsm(p, p->state == MEMBER_UP ? PEV_CLOSED : PEV_REFUSED,
		    r->text);
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

static void
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

static void
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

/* A TLS handshake failed: counted, logged once per address and interval. */
static void
conn_tls_failed(struct pconn *c, const char *why)
{
	struct cohortd	*sc = c->sc;
	char		 key[RATELIM_KEY_MAX];

	sc->stats.tls_failures++;
	conn_ratelim_key(c, why, key, sizeof(key));	/* per reason too */
	if (ratelim_key_allow(&sc->rl_refuse, key, time(NULL)))
		log_warnx("stream %s %s refused: %s", c->outbound ? "to" :
		    "from", c->remote, why);
}

static void
peer_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct pconn	*c = arg;
	char		 why[256];
	int		 err = EVUTIL_SOCKET_ERROR();

	if (what & BEV_EVENT_CONNECTED) {
		/*
		 * Connected, and with TLS the handshake is done: on an
		 * inbound stream our HELLO is already queued behind it.
		 */
		if (c->outbound && c->state == CONN_CONNECTING) {
			peer_log(log_debug, c->peer, "connected to %s%s",
			    c->remote, c->sc->tls ? " (TLS)" : "");
			conn_send_hello(c);
		}
		return;
	}
	if (what & BEV_EVENT_EOF)
		snprintf(why, sizeof(why), "stream closed by the peer");
	else if (c->sc->tls != NULL && tls_error(bev, why, sizeof(why)))
		conn_tls_failed(c, why);
	else
		snprintf(why, sizeof(why), "%s: %s", c->state ==
		    CONN_CONNECTING ? "connect failed" : "stream error",
		    evutil_socket_error_to_string(err));
	if (c->peer != NULL && c->state == CONN_CONNECTING)
		peer_log(log_debug, c->peer, "%s", why);
	conn_lost(c, why);
}

/* Dialling */

static void
peer_dial(struct peer *p)
{
	struct cohortd		*sc = p->sc;
	const struct conf_node	*self = &sc->conf.nodes[sc->conf.self];
	struct sockaddr_storage	 src;
	socklen_t		 srclen;
	struct pconn		*c;
	char			 err[128];
	int			 fd;

	if (p->dial != NULL || p->conn != NULL || sc->stopping)
		return;
	if (p->sslen == 0 && peer_resolve(p->node.address, p->node.port,
	    &p->ss, &p->sslen, err, sizeof(err)) == -1) {
		if (ratelim_allow(&p->rl, time(NULL)))
			peer_log(log_warnx, p, "cannot resolve: %s", err);
		p->sslen = 0;
		act_redial(p);
		return;
	}
	fd = socket(p->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1) {
		peer_log(log_warn, p, "socket");
		act_redial(p);
		return;
	}
	/*
	 * Dial from our own configured address, so that the peer sees the
	 * address it knows us by (several nodes may share one host).
	 */
	srclen = sizeof(src);
	if (sc->listener != NULL && getsockname(evconnlistener_get_fd(
	    sc->listener), (struct sockaddr *)&src, &srclen) == 0 &&
	    src.ss_family == p->ss.ss_family) {
		if (src.ss_family == AF_INET)
			((struct sockaddr_in *)&src)->sin_port = 0;
		else
			((struct sockaddr_in6 *)&src)->sin6_port = 0;
		if (bind(fd, (struct sockaddr *)&src, srclen) == -1)
			peer_log(log_debug, p, "bind source %s: %s",
			    self->address, strerror(errno));
	}
	if ((c = conn_new(sc, fd, 1, (struct sockaddr *)&p->ss)) == NULL) {
		peer_log(log_warnx, p, "out of memory for a stream");
		act_redial(p);
		return;
	}
	c->peer = p;
	c->state = CONN_CONNECTING;
	p->dial = c;
	if (p->state != MEMBER_UNKNOWN || p->attempts > 0)
		p->reconnects++;
	conn_arm_hello_timer(c);
	if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&p->ss,
	    p->sslen) == -1) {
		/* Immediate failure; libevent has already closed nothing. */
		conn_lost(c, "connect failed");
		return;
	}
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

static void
peer_redial_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	peer_dial(arg);
}

/* Heartbeats and failure detection */

/* One heartbeat on c, echoing the last timestamp its peer sent us. */
static void
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
	strlcpy(e.node_id, self_id(p->sc), sizeof(e.node_id));
	conn_send(c, buf, wire_encode_echo(buf, sizeof(buf), &e));
}

static void
peer_echo_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct peer	*p = arg;

	(void)fd;
	(void)ev;
	if (p->conn == NULL || p->state != MEMBER_UP)
		return;
	conn_send_echo(p->conn);
	timer_add_ms(p->ev_echo, p->sc->conf.lim.hb_interval_ms);
}

static void
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

static void
peer_handover_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct peer	*p = arg;

	(void)fd;
	(void)ev;
	if (p->state == MEMBER_UP && p->conn == NULL)
		peer_fsm(p, PEV_CLOSED, "duplicate stream retired and no "
		    "replacement arrived");
}

/* Accepting */

/* Same IP address (the port aside)? */
static int
addr_same(const struct sockaddr *a, const struct sockaddr_storage *b)
{
	if (a->sa_family != b->ss_family)
		return (0);
	if (a->sa_family == AF_INET)
		return (memcmp(&((const struct sockaddr_in *)a)->sin_addr,
		    &((const struct sockaddr_in *)b)->sin_addr,
		    sizeof(struct in_addr)) == 0);
	if (a->sa_family == AF_INET6)
		return (memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		    &((const struct sockaddr_in6 *)b)->sin6_addr,
		    sizeof(struct in6_addr)) == 0);
	return (0);
}

/*
 * Streams not yet through HELLO are what a flood costs us: bound them,
 * in all (limits.max_pending_streams) and per source address that is
 * not a configured node's (limits.pending_per_address).  Returns the
 * limit that refuses this one, or NULL.
 */
static const char *
peer_pending_limit(struct cohortd *sc, const struct sockaddr *sa)
{
	struct pconn	*c;
	struct peer	*p;
	size_t		 total = 0, same = 0;
	int		 listed = 0;

	/* Until the key proof is checked, a HELLO proves nothing: count it. */
	TAILQ_FOREACH(c, &sc->conns, entry) {
		if (c->outbound || c->state != CONN_HELLO)
			continue;
		total++;
		if (addr_same(sa, &c->ss))
			same++;
	}
	if (total >= sc->conf.lim.max_pending_streams)
		return ("limits.max_pending_streams");
	TAILQ_FOREACH(p, &sc->peers, entry)
		if (p->sslen > 0 && addr_same(sa, &p->ss))
			listed = 1;
	if (!listed && same >= sc->conf.lim.pending_per_address)
		return ("limits.pending_per_address");
	return (NULL);
}

static void
peer_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct cohortd	*sc = arg;
	struct pconn	*c;
	const char	*limit;
	char		 host[INET6_ADDRSTRLEN] = "?";

	(void)l;
	(void)salen;
	if (sc->stopping) {
		close(fd);
		return;
	}
	if ((limit = peer_pending_limit(sc, sa)) != NULL) {
		sc->stats.pending_refused++;
		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr,
			    host, sizeof(host));
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6,
			    &((struct sockaddr_in6 *)sa)->sin6_addr, host,
			    sizeof(host));
		if (ratelim_key_allow(&sc->rl_refuse, host, time(NULL)))
			log_warnx("stream from %s closed at once: too many "
			    "streams without HELLO (%s)", host, limit);
		close(fd);
		return;
	}
	if ((c = conn_new(sc, fd, 0, sa)) == NULL) {
		if (ratelim_allow(&sc->rl_accept, time(NULL)))
			log_warnx("out of memory accepting a peer stream");
		return;
	}
	sc->stats.conns_accepted++;
	log_debug("accepted stream from %s", c->remote);
	conn_arm_hello_timer(c);
	conn_send_hello(c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

static void
peer_accept_error_cb(struct evconnlistener *l, void *arg)
{
	struct cohortd	*sc = arg;
	int		 err = EVUTIL_SOCKET_ERROR();

	if (ratelim_allow(&sc->rl_accept, time(NULL)))
		log_warnx("accept on the peer port: %s%s",
		    evutil_socket_error_to_string(err), err == EMFILE ||
		    err == ENFILE ? "; not accepting for a second" : "");
	listener_pause(sc, l, err);
}

static int
peer_resolve(const char *host, uint16_t port, struct sockaddr_storage *ss,
    socklen_t *len, char *err, size_t errlen)
{
	struct addrinfo	 hints, *res;
	char		 serv[8];
	int		 rv;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(serv, sizeof(serv), "%u", port);
	if ((rv = getaddrinfo(host, serv, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s", gai_strerror(rv));
		return (-1);
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return (0);
}

static int
peer_listen(struct cohortd *sc)
{
	const struct conf_node	*self = &sc->conf.nodes[sc->conf.self];
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	char			 err[128];
	int			 fd, one = 1;

	if (peer_resolve(self->address, self->port, &ss, &len, err,
	    sizeof(err)) == -1) {
		log_warnx("%s:%d: cannot resolve this node's address %s: %s",
		    sc->conf.path, self->line, self->address, err);
		return (-1);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1) {
		log_warn("peer socket");
		return (-1);
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) == -1) {
		log_warn("cannot listen on %s port %u (node %s): bind",
		    self->address, self->port, self->id);
		close(fd);
		return (-1);
	}
	sc->listener = evconnlistener_new(sc->base, peer_accept_cb, sc,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 128, fd);
	if (sc->listener == NULL) {
		log_warn("cannot listen on %s port %u", self->address,
		    self->port);
		close(fd);
		return (-1);
	}
	evconnlistener_set_error_cb(sc->listener, peer_accept_error_cb);
	log_info("listening for peers on %s port %u", self->address,
	    self->port);
	return (0);
}

/* Frames that arrived while reading was paused: handle them now. */
static void
peer_resume_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct peer	*p = arg;

	(void)fd;
	(void)ev;
	if (p->conn != NULL && !p->read_paused)
		peer_read_cb(p->conn->bev, p->conn);
}

static struct peer *
peer_new(struct cohortd *sc, const struct conf_node *n)
{
	struct peer	*p;
	char		 err[128];

	if ((p = calloc(1, sizeof(*p))) == NULL)
		fatal("%s", __func__);
	p->sc = sc;
	p->node = *n;
	p->state = MEMBER_UNKNOWN;
	p->since_ms = wall_ms();
	/* A name that does not resolve yet is tried again at each dial. */
	if (peer_resolve(n->address, n->port, &p->ss, &p->sslen, err,
	    sizeof(err)) == -1) {
		log_warnx("%s:%d: cannot resolve the address %s of node %s "
		    "yet: %s", sc->conf.path, n->line, n->address, n->id, err);
		p->sslen = 0;
	}
	p->ev_redial = evtimer_new(sc->base, peer_redial_cb, p);
	p->ev_echo = evtimer_new(sc->base, peer_echo_cb, p);
	p->ev_dead = evtimer_new(sc->base, peer_dead_cb, p);
	p->ev_handover = evtimer_new(sc->base, peer_handover_cb, p);
	p->ev_resume = event_new(sc->base, -1, 0, peer_resume_cb, p);
	if (p->ev_redial == NULL || p->ev_echo == NULL || p->ev_dead == NULL ||
	    p->ev_handover == NULL || p->ev_resume == NULL)
		fatalx("%s: cannot create timers", __func__);
	TAILQ_INSERT_TAIL(&sc->peers, p, entry);
	HASH_ADD_STR(sc->peer_index, node.id, p);
	return (p);
}

int
peer_init(struct cohortd *sc)
{
	struct peer	*p;
	size_t		 i;

	TAILQ_INIT(&sc->peers);
	TAILQ_INIT(&sc->conns);
	TAILQ_INIT(&sc->graveyard);
	if ((sc->reaper = event_new(sc->base, -1, 0, peer_reaper_cb, sc)) ==
	    NULL)
		return (-1);
	if (peer_listen(sc) == -1)
		return (-1);
	for (i = 0; i < sc->conf.n_nodes; i++)
		if (i != sc->conf.self)
			peer_new(sc, &sc->conf.nodes[i]);
	/* Dial everyone now: startup should take one round trip, not more. */
	TAILQ_FOREACH(p, &sc->peers, entry)
		peer_dial(p);
	return (0);
}

/* SIGTERM: BYE on every established stream, then close once flushed. */
void
peer_shutdown(struct cohortd *sc)
{
	struct peer	*p;
	struct pconn	*c, *tmp;
	struct wire_bye	 b;
	uint8_t		 buf[WIRE_HDR_LEN + 8 + WIRE_ID_MAX + WIRE_TEXT_MAX];
	size_t		 len;

	if (sc->listener != NULL) {
		evconnlistener_free(sc->listener);
		sc->listener = NULL;
	}
	memset(&b, 0, sizeof(b));
	b.reason = REASON_SHUTDOWN;
	strlcpy(b.node_id, self_id(sc), sizeof(b.node_id));
	strlcpy(b.text, "node is shutting down", sizeof(b.text));
	len = wire_encode_bye(buf, sizeof(buf), &b);
	TAILQ_FOREACH(p, &sc->peers, entry) {
		evtimer_del(p->ev_redial);
		evtimer_del(p->ev_echo);
		evtimer_del(p->ev_dead);
		evtimer_del(p->ev_handover);
		if (p->conn != NULL)
			conn_finish(p->conn, buf, len);
	}
	TAILQ_FOREACH_SAFE(c, &sc->conns, entry, tmp)
		if (c->state != CONN_CLOSING)
			conn_close(c);
	event_active(sc->reaper, EV_TIMEOUT, 0);
}

void
peer_free_all(struct cohortd *sc)
{
	struct peer	*p;
	struct pconn	*c;

	while ((c = TAILQ_FIRST(&sc->conns)) != NULL)
		conn_close(c);
	while ((c = TAILQ_FIRST(&sc->graveyard)) != NULL) {
		TAILQ_REMOVE(&sc->graveyard, c, entry);
		bufferevent_free(c->bev);
		event_free(c->timer);
		free(c);
	}
	while ((p = TAILQ_FIRST(&sc->peers)) != NULL) {
		TAILQ_REMOVE(&sc->peers, p, entry);
		HASH_DEL(sc->peer_index, p);
		event_free(p->ev_redial);
		event_free(p->ev_echo);
		event_free(p->ev_dead);
		event_free(p->ev_handover);
		event_free(p->ev_resume);
		free(p->inflight);
		free(p);
	}
	if (sc->listener != NULL)
		evconnlistener_free(sc->listener);
	sc->listener = NULL;
	if (sc->reaper != NULL)
		event_free(sc->reaper);
	sc->reaper = NULL;
}

size_t
peer_count_up(struct cohortd *sc)
{
	struct peer	*p;
	size_t		 n = 0;

	TAILQ_FOREACH(p, &sc->peers, entry)
		if (p->state == MEMBER_UP)
			n++;
	return (n);
}

void
peer_member(struct cohortd *sc, size_t i, struct wire_member *m)
{
	const struct conf_node	*n = &sc->conf.nodes[i];
	struct peer		*p;

	memset(m, 0, sizeof(*m));
	strlcpy(m->id, n->id, sizeof(m->id));
	strlcpy(m->address, n->address, sizeof(m->address));
	m->port = n->port;
	if (i == sc->conf.self) {
		m->state = MEMBER_SELF;
		m->incarnation = sc->incarnation;
		m->since_ms = sc->started_ms;
		return;
	}
	if ((p = peer_find(sc, n->id)) == NULL)
		return;
	m->state = (uint8_t)p->state;
	m->rtt_us = p->srtt_us;
	m->incarnation = p->incarnation;
	m->since_ms = p->since_ms;
}

/* A node left the config: tell it, tell the watchers, forget it. */
static void
peer_remove(struct peer *p)
{
	struct cohortd	*sc = p->sc;
	struct pconn	*c;
	struct wire_bye	 b;
	uint8_t		 buf[WIRE_HDR_LEN + 8 + WIRE_ID_MAX + WIRE_TEXT_MAX];

	if (p->conn != NULL) {
		memset(&b, 0, sizeof(b));
		b.reason = REASON_REMOVED;
		strlcpy(b.node_id, self_id(sc), sizeof(b.node_id));
		snprintf(b.text, sizeof(b.text), "%s's config no longer lists "
		    "%s", self_id(sc), p->node.id);
		conn_finish(p->conn, buf, wire_encode_bye(buf, sizeof(buf),
		    &b));
	}
	/* Streams outlive their peer for a moment: cut the link. */
	TAILQ_FOREACH(c, &sc->conns, entry)
		if (c->peer == p) {
			if (c->state != CONN_CLOSING)
				conn_close(c);
			c->peer = NULL;
		}
	TAILQ_FOREACH(c, &sc->graveyard, entry)
		if (c->peer == p)
			c->peer = NULL;
	if (p->state != MEMBER_LEFT)
		peer_set_state(p, MEMBER_LEFT, "removed from the config");
	evtimer_del(p->ev_redial);
	TAILQ_REMOVE(&sc->peers, p, entry);
	HASH_DEL(sc->peer_index, p);
	event_free(p->ev_redial);
	event_free(p->ev_echo);
	event_free(p->ev_dead);
	event_free(p->ev_handover);
	event_free(p->ev_resume);
	free(p->inflight);
	free(p);
}

/* The node moved: drop what we have, dial the new address. */
static void
peer_readdress(struct peer *p, const struct conf_node *n)
{
	struct sockaddr_storage	ss;
	socklen_t		len;
	char			err[128];

	if (peer_resolve(n->address, n->port, &ss, &len, err,
	    sizeof(err)) == -1) {
		peer_log(log_warnx, p, "reload: cannot resolve the new "
		    "address %s: %s; keeping the old one", n->address, err);
		return;
	}
	peer_log(log_info, p, "reload: moves to %s port %u", n->address,
	    n->port);
	p->node = *n;
	p->ss = ss;
	p->sslen = len;
	if (p->dial != NULL)
		conn_close(p->dial);
	if (p->conn != NULL)
		peer_fsm(p, PEV_CLOSED, "address changed in the config");
	else {
		evtimer_del(p->ev_redial);
		p->attempts = 0;
		peer_dial(p);
	}
}

void
peer_reconfigure(struct cohortd *sc, struct peer_changes *ch)
{
	const struct conf_node	*n;
	struct peer		*p, *tmp;
	size_t			 i;

	memset(ch, 0, sizeof(*ch));
	TAILQ_FOREACH_SAFE(p, &sc->peers, entry, tmp) {
		if ((n = config_find_node(&sc->conf, p->node.id)) == NULL ||
		    n == &sc->conf.nodes[sc->conf.self]) {
			peer_log(log_info, p, "reload: removed from the "
			    "config");
			peer_remove(p);
			ch->removed++;
		} else if (strcmp(n->address, p->node.address) != 0 ||
		    n->port != p->node.port) {
			peer_readdress(p, n);
			ch->changed++;
		} else {
			p->node.line = n->line;
			ch->kept++;
		}
	}
	for (i = 0; i < sc->conf.n_nodes; i++) {
		if (i == sc->conf.self || peer_find(sc, sc->conf.nodes[i].id))
			continue;
		p = peer_new(sc, &sc->conf.nodes[i]);
		peer_log(log_info, p, "reload: added to the config");
		peer_dial(p);
		ch->added++;
	}
	/*
	 * Heartbeat settings: the next ECHO uses the new interval; the
	 * failure timer is re-armed with what is left of the new timeout
	 * since the last frame (a full one would let reloads keep a dead
	 * peer up).
	 */
	TAILQ_FOREACH(p, &sc->peers, entry)
		if (p->state == MEMBER_UP)
			timer_add_ms(p->ev_dead, detector_remaining(p->last_rx_us,
			    now_us(), (uint64_t)sc->conf.lim.hb_timeout_ms *
			    1000) / 1000);
	notify_status(sc);
}

/* One CTL_STATS section per peer. */
void
peer_stats(struct cohortd *sc, struct wire_writer *w)
{
	struct peer	*p;

	TAILQ_FOREACH(p, &sc->peers, entry) {
		wire_stats_section(w, "peer", p->node.id);
		wire_stats_add(w, "state", p->state);
		wire_stats_add(w, "since_ms", p->since_ms);
		wire_stats_add(w, "incarnation", p->incarnation);
		wire_stats_add(w, "rtt_us", p->rtt_us);
		wire_stats_add(w, "srtt_us", p->srtt_us);
		wire_stats_add(w, "frames_in", p->frames_in);
		wire_stats_add(w, "frames_out", p->frames_out);
		wire_stats_add(w, "bytes_in", p->bytes_in);
		wire_stats_add(w, "bytes_out", p->bytes_out);
		wire_stats_add(w, "reconnects", p->reconnects);
		wire_stats_add(w, "state_changes", p->state_changes);
		wire_stats_add(w, "queue_bytes", p->conn == NULL ? 0 :
		    evbuffer_get_length(bufferevent_get_output(p->conn->bev)));
		wire_stats_add(w, "queue_full", p->queue_full);
	}
}

int
peer_state_reason(struct cohortd *sc, const char *node)
{
	struct peer	*p;

	if ((p = peer_find(sc, node)) == NULL)
		return (REASON_NODE_UNKNOWN);
	if (p->state != MEMBER_UP || p->conn == NULL)
		return (REASON_NODE_DOWN);
	return (0);
}

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
static void
inflight_report(struct peer *p)
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
