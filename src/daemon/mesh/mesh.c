/*
 * mesh.c: the peer mesh (mesh.h).  Peers and their state machine's
 * actions, listening, dialling with backoff, the frames of established
 * streams, heartbeats and failure detection, and the calls the layers
 * above make.  A stream's own state is stream.c's; the handshake's
 * checks and frames are handshake.c's (mesh_int.h).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "common/detector.h"
#include "daemon/io/evutil.h"
#include "daemon/io/transport.h"
#include "mesh_int.h"

/*
 * Largest single write on an established stream.  libevent's default,
 * 16 KiB, takes a loop turn (an epoll_wait and a writev) per 16 KiB
 * however much is queued.
 */
#define MESH_WRITE_MAX		(256 * 1024)
/* Largest frame accepted before a stream has completed its HELLO. */
#define MESH_PREHELLO_MAX	4096

static void	 peer_dial(struct peer *);
static void	 peer_send_echo(struct peer *, struct stream *);

/* The state machine */

/*
 * The one function that changes a peer's state: it logs, counts, stamps
 * the time, and tells the layer above when the state users see changed.
 */
static void
peer_set_state(struct peer *p, enum peer_state to, const char *why)
{
	struct mesh		*m = p->m;
	enum peer_state		 prev = p->state;
	enum member_state	 was, now;

	if (prev == to)
		return;
	p->state = to;
	was = peer_state_member(prev);
	now = peer_state_member(to);
	if (was == now) {
		peer_log(log_debug, p, "%s -> %s (%s)", peer_state_name(prev),
		    peer_state_name(to), why);
		return;
	}
	p->since_ms = wall_ms();
	p->st.state_changes++;
	peer_log(log_info, p, "%s -> %s (%s)", member_state_name(was),
	    member_state_name(now), why);
	m->ev->member(m->arg, p->node.id, now, was, p->incarnation);
}

static void
peer_timers_stop(struct peer *p)
{
	evtimer_del(p->ev_echo);
	evtimer_del(p->ev_dead);
	evtimer_del(p->ev_handover);
}

/* Detach s from its peer: it is no longer the active stream or a dial. */
static void
peer_detach(struct stream *s)
{
	struct peer	*p = s->owner;

	if (p == NULL)
		return;
	if (p->conn == s)
		p->conn = NULL;
	if (p->dial == s)
		p->dial = NULL;
}

static void
act_redial(struct peer *p)
{
	const struct conf_limits	*l = &p->m->p.conf->lim;
	uint32_t			 ms;

	if (p->m->stopping || p->conn != NULL || p->dial != NULL ||
	    evtimer_pending(p->ev_redial, NULL))
		return;
	ms = detector_backoff(p->attempts, l->reconnect_min_ms,
	    l->reconnect_max_ms, arc4random());
	if (p->attempts < 32)
		p->attempts++;
	peer_log(log_debug, p, "redial in %u ms", ms);
	ev_add_ms(p->ev_redial, ms);
}

static void
act_up(struct peer *p)
{
	evtimer_del(p->ev_redial);
	evtimer_del(p->ev_handover);
	p->attempts = 0;
	p->incarnation = p->conn->incarnation;
	p->last_rx_us = now_us();
	p->peer_ts_us = 0;
	p->st.rtt_us = p->st.srtt_us = 0;
	if (p->read_paused)
		stream_hold_reads(p->conn, 1);
	ev_add_ms(p->ev_dead, p->m->p.conf->lim.hb_timeout_ms);
	/* First ECHO at once, so RTT is known after one round trip. */
	ev_add_ms(p->ev_echo, 0);
}

static void
act_lost(struct peer *p)
{
	struct stream	*s = p->conn;

	peer_timers_stop(p);
	if (s != NULL) {
		p->conn = NULL;
		stream_close(s);
	}
	p->attempts = 0;
	act_redial(p);
}

/* The other end kept another stream: wait for it, as up. */
static void
act_handover(struct peer *p)
{
	evtimer_del(p->ev_echo);
	evtimer_del(p->ev_dead);
	ev_add_ms(p->ev_handover, p->m->p.conf->lim.hello_timeout_ms);
}

static void
act_forget(struct peer *p)
{
	peer_timers_stop(p);
	evtimer_del(p->ev_redial);
}

static void
peer_fsm(struct peer *p, enum peer_event ev, const char *why)
{
	struct peer_step	step;

	if (!peer_fsm_step(p->state, ev, &step)) {
		peer_log(log_debug, p, "event %s ignored in state %s",
		    peer_event_name(ev), peer_state_name(p->state));
		return;
	}
	switch (step.action) {
	case PA_NONE:
		break;
	case PA_UP:
		act_up(p);
		break;
	case PA_LOST:
		act_lost(p);
		break;
	case PA_REDIAL:
		act_redial(p);
		break;
	case PA_HANDOVER:
		act_handover(p);
		break;
	case PA_FORGET:
		act_forget(p);
		break;
	}
	peer_set_state(p, step.to, why);
}

/*
 * A stream of p is gone (closed here or there): which event that is for
 * the peer depends on what the stream was to it.
 */
static void
peer_stream_gone(struct peer *p, int was_active, const char *why)
{
	if (was_active)
		peer_fsm(p, PE_CLOSED, why);
	else if (p->conn == NULL && p->dial == NULL)
		peer_fsm(p, PE_ATTEMPT_FAILED, why);
}

static void
peer_lose_stream(struct stream *s, const char *why)
{
	struct peer	*p = s->owner;
	int		 was_active = p != NULL && p->conn == s;

	peer_detach(s);
	stream_close(s);
	if (p != NULL)
		peer_stream_gone(p, was_active, why);
}

/* Bad input on a stream: count it, log it (rate-limited), lose it. */
static void
mesh_protocol_error(struct mesh *m, struct stream *s, const char *what)
{
	struct peer	*p = s->owner;

	m->stats.protocol_errors++;
	if (p != NULL) {
		if (ratelim_allow(&p->rl, time(NULL)))
			peer_log(log_warnx, p, "protocol error on %s: %s; "
			    "closing the stream", s->remote, what);
	} else if (ratelim_allow(&m->rl_accept, time(NULL)))
		log_warnx("stream from %s: protocol error: %s; closing",
		    s->remote, what);
	peer_lose_stream(s, what);
}

/* Handshake outcomes */

/* We refused s, which may have been our own dial to p. */
static void
peer_refused_ours(struct stream *s, const char *why)
{
	struct peer	*p = s->outbound ? s->owner : NULL;

	peer_detach(s);
	if (p != NULL && p->conn == NULL && p->dial == NULL)
		peer_fsm(p, PE_REFUSED, why);
}

/* Both HELLOs accepted and their first ECHO here: s is established. */
static void
peer_established(struct mesh *m, struct stream *s)
{
	struct peer	*p = s->owner;
	struct stream	*old;

	stream_established(s, config_max_frame(m->p.conf), MESH_WRITE_MAX);
	if (p->dial == s)
		p->dial = NULL;
	p->last_rx_us = now_us();

	/* A new incarnation means the old process is gone. */
	if (p->conn != NULL && p->conn->incarnation != s->incarnation)
		peer_fsm(p, PE_CLOSED, "restarted with a new incarnation");
	if (p->conn == NULL) {
		p->conn = s;
		peer_fsm(p, PE_ESTABLISHED, s->outbound ?
		    "dialled, HELLO exchanged" : "accepted, HELLO exchanged");
		return;
	}
	/* Two streams to one peer: keep the same one as the other end. */
	m->stats.duplicate_streams++;
	if (hs_preferred(m, s, p->conn)) {
		old = p->conn;
		p->conn = s;
		if (p->read_paused)
			stream_hold_reads(s, 1);
		peer_log(log_debug, p, "keeping stream %s, retiring %s",
		    s->remote, old->remote);
		hs_refuse(m, old, REASON_DUPLICATE, "duplicate stream");
	} else {
		peer_log(log_debug, p, "keeping stream %s, retiring %s",
		    p->conn->remote, s->remote);
		hs_refuse(m, s, REASON_DUPLICATE, "duplicate stream");
	}
}

static void
peer_handle_refuse(struct mesh *m, struct stream *s,
    const struct wire_refuse *r)
{
	struct peer	*p = s->owner;
	int		 was_active = p != NULL && p->conn == s;

	peer_detach(s);
	stream_close(s);
	if (r->reason == REASON_DUPLICATE) {
		/*
		 * The other end kept another stream to us: if this was our
		 * active one, wait for the other rather than reporting the
		 * peer down; if it was an attempt, the kept stream follows.
		 */
		if (was_active)
			peer_fsm(p, PE_RETIRED, "stream retired as a duplicate");
		else if (p != NULL && p->conn == NULL && p->dial == NULL)
			peer_fsm(p, PE_ATTEMPT_FAILED,
			    "duplicate stream retired");
		return;
	}
	m->stats.refused_by_peer++;
	if (p != NULL && ratelim_allow(&p->rl, time(NULL)))
		peer_log(log_warnx, p, "refused our HELLO: %s: %s",
		    wire_reason_name(r->reason), r->text);
	else if (p == NULL && ratelim_allow(&m->rl_accept, time(NULL)))
		log_warnx("stream from %s refused our HELLO: %s: %s",
		    s->remote, wire_reason_name(r->reason), r->text);
	if (p != NULL && p->conn == NULL && p->dial == NULL)
		peer_fsm(p, PE_REFUSED, r->text);
}

static void
peer_handle_bye(struct stream *s, const struct wire_bye *b)
{
	struct peer	*p = s->owner;
	int		 active = p->conn == s;
	char		 why[WIRE_TEXT_MAX + 32];

	snprintf(why, sizeof(why), "said BYE: %s", b->text[0] ? b->text :
	    wire_reason_name(b->reason));
	peer_detach(s);
	stream_close(s);
	if (active)
		peer_fsm(p, PE_BYE, why);
}

static void
peer_handle_echo(struct peer *p, struct stream *s, const struct wire_echo *e)
{
	uint64_t	now = now_us(), sample;

	stream_ack(s, e->data_acked);
	sample = detector_rtt_sample(now, e->echo_ts_us, e->hold_us);
	if (sample != 0) {
		p->st.rtt_us = sample;
		p->st.srtt_us = detector_rtt_smooth(p->st.srtt_us, sample);
	}
	p->peer_ts_us = e->ts_us;
	p->peer_ts_at = now;
}

/* Frames in */

static enum wire_status
mesh_dispatch_hello(struct mesh *m, struct stream *s, const struct wire_hdr *hdr,
    const uint8_t *buf)
{
	union {
		struct wire_hello	hello;
		struct wire_hello_ack	ack;
	} u;
	enum wire_status	st;
	enum hs_result		rv;

	if (hdr->type == WT_HELLO) {
		if (s->state != STREAM_HELLO || s->got_hello)
			return (WIRE_BAD_TYPE);
		if ((st = wire_decode_hello(buf, hdr->len, &u.hello)) !=
		    WIRE_OK)
			return (st);
		if ((rv = hs_hello(m, s, &u.hello)) == HS_REFUSED)
			peer_refused_ours(s, "refused its HELLO");
		return (rv == HS_ERROR ? WIRE_BAD_BODY : WIRE_OK);
	}
	if (s->state != STREAM_HELLO)
		return (WIRE_BAD_TYPE);
	if ((st = wire_decode_hello_ack(buf, hdr->len, &u.ack)) != WIRE_OK)
		return (st);
	switch (hs_ack(m, s, &u.ack)) {
	case HS_OK:
		/*
		 * We accept them.  They may still refuse us (our proof is
		 * theirs to check): the stream is up only when their first
		 * ECHO confirms it, so that no end reports a peer up that
		 * is about to refuse it.
		 */
		peer_send_echo(s->owner, s);
		return (WIRE_OK);
	case HS_REFUSED:
		peer_refused_ours(s, "refused its HELLO_ACK");
		return (WIRE_OK);
	case HS_ERROR:
		break;
	}
	mesh_protocol_error(m, s, "HELLO_ACK does not match our HELLO");
	return (WIRE_OK);	/* already handled */
}

/* One whole frame; -1 if the stream was closed. */
static int
mesh_dispatch(struct mesh *m, struct stream *s, const struct wire_hdr *hdr,
    const uint8_t *buf)
{
	union {
		struct wire_echo	echo;
		struct wire_bye		bye;
		struct wire_refuse	refuse;
		struct wire_data	data;
	} u;
	struct peer		*p = s->owner;
	enum wire_status	 st = WIRE_BAD_TYPE;
	char			 what[96];

	switch (hdr->type) {
	case WT_HELLO:
	case WT_HELLO_ACK:
		st = mesh_dispatch_hello(m, s, hdr, buf);
		break;
	case WT_REFUSE:
		if ((st = wire_decode_refuse(buf, hdr->len, &u.refuse)) ==
		    WIRE_OK)
			peer_handle_refuse(m, s, &u.refuse);
		break;
	case WT_ECHO:
		if (s->state != STREAM_ESTABLISHED && !s->got_ack)
			break;
		if ((st = wire_decode_echo(buf, hdr->len, &u.echo)) != WIRE_OK)
			break;
		/* The first ECHO after both ACKs: the handshake is done. */
		if (s->state == STREAM_HELLO)
			peer_established(m, s);
		if (s->state == STREAM_ESTABLISHED && p->conn == s)
			peer_handle_echo(p, s, &u.echo);
		break;
	case WT_DATA:
		if (s->state != STREAM_ESTABLISHED)
			break;
		if ((st = wire_decode_data(buf, hdr->len, &u.data)) ==
		    WIRE_OK && m->ev->data(m->arg, p->node.id, &u.data) == -1)
			st = WIRE_BAD_BODY;
		s->data_in++;
		break;
	case WT_BYE:
		if (s->state != STREAM_ESTABLISHED)
			break;
		if ((st = wire_decode_bye(buf, hdr->len, &u.bye)) == WIRE_OK)
			peer_handle_bye(s, &u.bye);
		break;
	}
	if (st != WIRE_OK) {
		snprintf(what, sizeof(what), "%s frame %s",
		    wire_type_name(hdr->type), st == WIRE_BAD_TYPE ?
		    "not allowed here" : wire_status_name(st));
		mesh_protocol_error(m, s, what);
		return (-1);
	}
	return (s->state == STREAM_DEAD || s->state == STREAM_CLOSING ? -1 : 0);
}

/* Stream events (stream.h) */

static void
on_connected(void *arg, struct stream *s)
{
	struct mesh	*m = arg;

	peer_log(log_debug, (struct peer *)s->owner, "connected to %s (%s)",
	    s->remote, transport_name(m->p.tr));
	hs_send_hello(m, s);
}

static size_t
on_read_limit(void *arg, struct stream *s)
{
	struct mesh	*m = arg;
	struct peer	*p = s->owner;

	if (s->state != STREAM_ESTABLISHED)
		return (MESH_PREHELLO_MAX);
	if (p != NULL && p->conn == s && p->read_paused)
		return (0);
	return (config_max_frame(m->p.conf));
}

static int
on_frame(void *arg, struct stream *s, const struct wire_hdr *hdr,
    const uint8_t *frame)
{
	struct peer	*p = s->owner;

	/*
	 * A sign of life; the clock is read once per read callback, not
	 * per frame (it showed in the profile).
	 */
	if (p != NULL && p->conn == s && !s->rx_noted) {
		p->last_rx_us = now_us();
		s->rx_noted = 1;
	}
	return (mesh_dispatch(arg, s, hdr, frame));
}

static void
on_bad(void *arg, struct stream *s, const char *why)
{
	mesh_protocol_error(arg, s, why);
}

static void
on_lost(void *arg, struct stream *s, enum stream_loss how, const char *why)
{
	struct mesh	*m = arg;
	struct peer	*p = s->owner;
	char		 key[RATELIM_KEY_MAX];

	if (how == STREAM_TLS) {
		m->stats.tls_failures++;
		hs_ratelim_key(s, why, key, sizeof(key));
		/* Past the handshake it is a broken stream, not a refusal. */
		if (ratelim_key_allow(&m->rl_refuse, key, time(NULL)))
			log_warnx("stream %s %s %s: %s", s->outbound ? "to" :
			    "from", s->remote, s->state == STREAM_ESTABLISHED ?
			    "closed" : "refused", why);
	}
	if (p != NULL && s->state == STREAM_CONNECTING)
		peer_log(log_debug, p, "%s", why);
	peer_lose_stream(s, why);
}

static void
on_deadline(void *arg, struct stream *s)
{
	struct mesh	*m = arg;
	struct peer	*p = s->owner;

	m->stats.hello_timeouts++;
	if (p != NULL && ratelim_allow(&p->rl, time(NULL)))
		peer_log(log_info, p, "no HELLO within %u ms on %s, closing",
		    m->p.conf->lim.hello_timeout_ms, s->remote);
	else if (p == NULL && ratelim_allow(&m->rl_accept, time(NULL)))
		log_info("stream from %s: no HELLO within %u ms, closing",
		    s->remote, m->p.conf->lim.hello_timeout_ms);
	peer_lose_stream(s, "no HELLO in time");
}

static void
on_drained(void *arg, struct stream *s)
{
	struct mesh	*m = arg;
	struct peer	*p = s->owner;

	if (p == NULL)
		return;
	peer_log(log_debug, p, "output queue drained; resuming publishers");
	m->ev->drained(m->arg, p->node.id);
}

static void
on_unacked(void *arg, struct stream *s, uint64_t client, uint32_t count,
    uint32_t first, uint32_t last)
{
	struct mesh	*m = arg;
	struct peer	*p = s->owner;

	m->ev->lost(m->arg, p != NULL ? p->node.id : s->remote, client, count,
	    first, last);
}

static void
on_quiet(void *arg)
{
	struct mesh	*m = arg;

	m->ev->quiet(m->arg);
}

static const struct stream_events mesh_stream_events = {
	on_connected, on_read_limit, on_frame, on_bad, on_lost, on_deadline,
	on_drained, on_unacked, on_quiet
};

/* Heartbeats and failure detection */

/* One heartbeat on s, echoing the last timestamp its peer sent us. */
static void
peer_send_echo(struct peer *p, struct stream *s)
{
	struct wire_echo e;
	uint8_t		 buf[WIRE_ECHO_MAX];
	uint64_t	 now = now_us();

	memset(&e, 0, sizeof(e));
	e.seq = ++p->echo_seq;
	e.ts_us = now;
	if (p->conn == s) {
		e.echo_ts_us = p->peer_ts_us;
		e.hold_us = p->peer_ts_us ? now - p->peer_ts_at : 0;
	}
	e.data_acked = s->data_in;
	strlcpy(e.node_id, p->m->p.conf->node_id, sizeof(e.node_id));
	(void)stream_send(s, buf, wire_encode_echo(buf, sizeof(buf), &e));
}

static void
peer_echo_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct peer	*p = arg;

	(void)fd;
	(void)ev;
	if (p->conn == NULL || p->state != PS_UP)
		return;
	peer_send_echo(p, p->conn);
	ev_add_ms(p->ev_echo, p->m->p.conf->lim.hb_interval_ms);
}

static void
peer_dead_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct peer	*p = arg;
	uint64_t	 timeout = (uint64_t)p->m->p.conf->lim.hb_timeout_ms * 1000;
	uint64_t	 rem;
	char		 why[64];

	(void)fd;
	(void)ev;
	if (p->state != PS_UP)
		return;
	/*
	 * Silence while we do not read is our doing, not the peer's: it is
	 * not a failure.  The clock starts again when reading resumes.
	 */
	if (p->read_paused)
		p->last_rx_us = now_us();
	rem = detector_remaining(p->last_rx_us, now_us(), timeout);
	if (rem > 0) {
		ev_add_us(p->ev_dead, rem);
		return;
	}
	snprintf(why, sizeof(why), "nothing received for %u ms",
	    p->m->p.conf->lim.hb_timeout_ms);
	peer_fsm(p, PE_TIMEOUT, why);
}

static void
peer_handover_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	peer_fsm(arg, PE_HANDOVER_TIMEOUT, "duplicate stream retired and no "
	    "replacement arrived");
}

/* Frames that arrived while reading was paused: handle them now. */
static void
peer_resume_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct peer	*p = arg;

	(void)fd;
	(void)ev;
	if (p->conn != NULL && !p->read_paused)
		stream_read_now(p->conn);
}

/* Dialling */

static void
peer_dial(struct peer *p)
{
	struct mesh		*m = p->m;
	struct bufferevent	*bev;
	struct stream		*s;
	char			 err[128];

	if (p->dial != NULL || p->conn != NULL || m->stopping)
		return;
	if (p->sslen == 0 && transport_resolve(m->p.tr, p->node.address,
	    p->node.port, &p->ss, &p->sslen, err, sizeof(err)) == -1) {
		if (ratelim_allow(&p->rl, time(NULL)))
			peer_log(log_warnx, p, "cannot resolve: %s", err);
		p->sslen = 0;
		act_redial(p);
		return;
	}
	if (p->state != PS_UNKNOWN || p->attempts > 0)
		p->st.reconnects++;
	if ((bev = transport_dial(m->p.tr, m->listener, (struct sockaddr *)&p->ss,
	    p->sslen, err, sizeof(err))) == NULL) {
		peer_log(log_debug, p, "%s", err);
		peer_stream_gone(p, 0, err);
		return;
	}
	if ((s = stream_new(&m->streams, bev, 1, (struct sockaddr *)&p->ss)) ==
	    NULL) {
		peer_log(log_warnx, p, "out of memory for a stream");
		act_redial(p);
		return;
	}
	s->owner = p;
	s->acct = &p->st;
	p->dial = s;
	stream_set_deadline(s, m->p.conf->lim.hello_timeout_ms);
	stream_start(s);
}

static void
peer_redial_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	peer_dial(arg);
}

/* Accepting */

/*
 * Streams not yet through HELLO are what a flood costs us: bound them,
 * in all (limits.max_pending_streams) and per source address that is
 * not a configured node's (limits.pending_per_address).  Returns the
 * limit that refuses this one, or NULL.
 */
static const char *
mesh_pending_limit(struct mesh *m, const struct sockaddr *sa)
{
	struct stream	*s;
	struct peer	*p;
	size_t		 total = 0, same = 0;
	int		 listed = 0;

	/* Until the key proof is checked, a HELLO proves nothing: count it. */
	TAILQ_FOREACH(s, &m->streams.live, entry) {
		if (s->outbound || s->state != STREAM_HELLO)
			continue;
		total++;
		if (hs_addr_same(sa, &s->ss))
			same++;
	}
	if (total >= m->p.conf->lim.max_pending_streams)
		return ("limits.max_pending_streams");
	TAILQ_FOREACH(p, &m->peers, entry)
		if (p->sslen > 0 && hs_addr_same(sa, &p->ss))
			listed = 1;
	if (!listed && same >= m->p.conf->lim.pending_per_address)
		return ("limits.pending_per_address");
	return (NULL);
}

/* Before a stream is made for it: within the pending limits? */
static int
mesh_admit_cb(void *arg, const struct sockaddr *sa)
{
	struct mesh	*m = arg;
	const char	*limit;
	char		 host[INET6_ADDRSTRLEN] = "?";

	if (m->stopping)
		return (0);
	if ((limit = mesh_pending_limit(m, sa)) == NULL)
		return (1);
	m->stats.pending_refused++;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
		    host, sizeof(host));
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
		    host, sizeof(host));
	if (ratelim_key_allow(&m->rl_refuse, host, time(NULL)))
		log_warnx("stream from %s closed at once: too many streams "
		    "without HELLO (%s)", host, limit);
	return (0);
}

static void
mesh_accept_cb(void *arg, struct bufferevent *bev, const struct sockaddr *sa)
{
	struct mesh	*m = arg;
	struct stream	*s;

	if ((s = stream_new(&m->streams, bev, 0, sa)) == NULL) {
		if (ratelim_allow(&m->rl_accept, time(NULL)))
			log_warnx("out of memory accepting a peer stream");
		return;
	}
	m->stats.conns_accepted++;
	log_debug("accepted stream from %s", s->remote);
	hs_send_hello(m, s);
	stream_start(s);
}

static void
mesh_accept_error_cb(void *arg, struct transport_listener *tl, int err)
{
	struct mesh	*m = arg;
	int		 nofd = err == EMFILE || err == ENFILE;

	if (ratelim_allow(&m->rl_accept, time(NULL)))
		log_warnx("accept on the peer port: %s%s",
		    evutil_socket_error_to_string(err), nofd ?
		    "; not accepting for a second" : "");
	if (nofd)
		transport_listener_pause(tl, &m->stats.accept_paused);
}

static const struct transport_listen_cb mesh_listen_cb = {
	mesh_admit_cb, mesh_accept_cb, mesh_accept_error_cb
};

static int
mesh_listen(struct mesh *m)
{
	const struct conf_node	*self = &m->p.conf->nodes[m->p.conf->self];
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	char			 err[128];

	if (transport_resolve(m->p.tr, self->address, self->port, &ss, &len,
	    err, sizeof(err)) == -1) {
		log_warnx("%s:%d: cannot resolve this node's address %s: %s",
		    m->p.conf->path, self->line, self->address, err);
		return (-1);
	}
	if ((m->listener = transport_listen(m->p.tr, (struct sockaddr *)&ss, len,
	    &mesh_listen_cb, m, err, sizeof(err))) == NULL) {
		log_warnx("cannot listen on %s port %u (node %s): %s",
		    self->address, self->port, self->id, err);
		return (-1);
	}
	log_info("listening for peers on %s port %u", self->address,
	    self->port);
	return (0);
}

/* Peers */

static struct peer *
peer_new(struct mesh *m, const struct conf_node *n)
{
	struct peer	*p;
	char		 err[128];

	if ((p = calloc(1, sizeof(*p))) == NULL)
		fatal("%s", __func__);
	p->m = m;
	p->node = *n;
	p->state = PS_UNKNOWN;
	p->since_ms = wall_ms();
	/* A name that does not resolve yet is tried again at each dial. */
	if (transport_resolve(m->p.tr, n->address, n->port, &p->ss, &p->sslen, err,
	    sizeof(err)) == -1) {
		log_warnx("%s:%d: cannot resolve the address %s of node %s "
		    "yet: %s", m->p.conf->path, n->line, n->address, n->id, err);
		p->sslen = 0;
	}
	p->ev_redial = evtimer_new(m->p.base, peer_redial_cb, p);
	p->ev_echo = evtimer_new(m->p.base, peer_echo_cb, p);
	p->ev_dead = evtimer_new(m->p.base, peer_dead_cb, p);
	p->ev_handover = evtimer_new(m->p.base, peer_handover_cb, p);
	p->ev_resume = event_new(m->p.base, -1, 0, peer_resume_cb, p);
	if (p->ev_redial == NULL || p->ev_echo == NULL || p->ev_dead == NULL ||
	    p->ev_handover == NULL || p->ev_resume == NULL)
		fatalx("%s: cannot create timers", __func__);
	TAILQ_INSERT_TAIL(&m->peers, p, entry);
	HASH_ADD_STR(m->index, node.id, p);
	return (p);
}

/* The one place a peer is freed; its streams are cut loose first. */
static void
peer_free(struct peer *p)
{
	struct mesh	*m = p->m;
	struct stream	*s;

	TAILQ_FOREACH(s, &m->streams.live, entry)
		if (s->owner == p) {
			s->owner = NULL;
			s->acct = NULL;
		}
	TAILQ_FOREACH(s, &m->streams.graveyard, entry)
		if (s->owner == p) {
			s->owner = NULL;
			s->acct = NULL;
		}
	TAILQ_REMOVE(&m->peers, p, entry);
	HASH_DEL(m->index, p);
	event_free(p->ev_redial);
	event_free(p->ev_echo);
	event_free(p->ev_dead);
	event_free(p->ev_handover);
	event_free(p->ev_resume);
	free(p);
}

struct mesh *
mesh_new(const struct mesh_params *mp, const struct mesh_events *ev,
    void *arg)
{
	struct mesh	*m;
	struct peer	*p;
	size_t		 i;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return (NULL);
	m->p = *mp;
	m->ev = ev;
	m->arg = arg;
	TAILQ_INIT(&m->peers);
	if (stream_set_init(&m->streams, m->p.base, m->p.tr, &mesh_stream_events,
	    m, &m->stats.encode_errors) == -1 || mesh_listen(m) == -1) {
		mesh_free(m);
		return (NULL);
	}
	for (i = 0; i < m->p.conf->n_nodes; i++)
		if (i != m->p.conf->self)
			peer_new(m, &m->p.conf->nodes[i]);
	/* Dial everyone now: startup should take one round trip, not more. */
	TAILQ_FOREACH(p, &m->peers, entry)
		peer_dial(p);
	return (m);
}

/* SIGTERM: BYE on every established stream, then close once flushed. */
void
mesh_shutdown(struct mesh *m)
{
	struct peer	*p;
	struct stream	*s, *tmp;

	m->stopping = 1;
	transport_listener_free(m->listener);
	m->listener = NULL;
	TAILQ_FOREACH(p, &m->peers, entry) {
		act_forget(p);
		if ((s = p->conn) != NULL) {
			p->conn = NULL;
			hs_bye(m, s, REASON_SHUTDOWN, "node is shutting down");
		}
	}
	TAILQ_FOREACH_SAFE(s, &m->streams.live, entry, tmp)
		if (s->state != STREAM_CLOSING) {
			peer_detach(s);
			stream_close(s);
		}
	stream_set_stopping(&m->streams);
}

void
mesh_free(struct mesh *m)
{
	struct peer	*p;

	if (m == NULL)
		return;
	stream_set_free(&m->streams);
	while ((p = TAILQ_FIRST(&m->peers)) != NULL)
		peer_free(p);
	transport_listener_free(m->listener);
	free(m);
}

/* A node left the config: tell it, tell the watchers, forget it. */
static void
peer_remove(struct peer *p)
{
	struct mesh	*m = p->m;
	struct stream	*s, *tmp;
	char		 text[WIRE_TEXT_MAX + 1];

	if ((s = p->conn) != NULL) {
		p->conn = NULL;
		snprintf(text, sizeof(text), "%s's config no longer lists %s",
		    m->p.conf->node_id, p->node.id);
		hs_bye(m, s, REASON_REMOVED, text);
	}
	TAILQ_FOREACH_SAFE(s, &m->streams.live, entry, tmp)
		if (s->owner == p && s->state != STREAM_CLOSING) {
			peer_detach(s);
			stream_close(s);
		}
	peer_fsm(p, PE_REMOVED, "removed from the config");
	peer_free(p);
}

/* The node moved: drop what we have, dial the new address. */
static void
peer_readdress(struct peer *p, const struct conf_node *n)
{
	struct sockaddr_storage	ss;
	socklen_t		len;
	char			err[128];

	if (transport_resolve(p->m->p.tr, n->address, n->port, &ss, &len, err,
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
	if (p->dial != NULL) {
		struct stream	*s = p->dial;

		p->dial = NULL;
		stream_close(s);
	}
	if (p->conn != NULL)
		peer_fsm(p, PE_CLOSED, "address changed in the config");
	else {
		evtimer_del(p->ev_redial);
		p->attempts = 0;
		peer_dial(p);
	}
}

void
mesh_reconfigure(struct mesh *m, struct mesh_changes *ch)
{
	const struct cohort_conf	*conf = m->p.conf;
	const struct conf_node		*n;
	struct peer			*p, *tmp;
	size_t				 i;

	memset(ch, 0, sizeof(*ch));
	TAILQ_FOREACH_SAFE(p, &m->peers, entry, tmp) {
		if ((n = config_find_node(conf, p->node.id)) == NULL ||
		    n == &conf->nodes[conf->self]) {
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
	for (i = 0; i < conf->n_nodes; i++) {
		if (i == conf->self || mesh_find(m, conf->nodes[i].id))
			continue;
		p = peer_new(m, &conf->nodes[i]);
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
	TAILQ_FOREACH(p, &m->peers, entry)
		if (p->state == PS_UP)
			ev_add_us(p->ev_dead, detector_remaining(p->last_rx_us,
			    now_us(), (uint64_t)conf->lim.hb_timeout_ms *
			    1000));
}

/* What the layers above ask */

const struct mesh_stats *
mesh_stats(struct mesh *m)
{
	m->stats.peers_up = mesh_count_up(m);
	return (&m->stats);
}

size_t
mesh_count_up(struct mesh *m)
{
	struct peer	*p;
	size_t		 n = 0;

	TAILQ_FOREACH(p, &m->peers, entry)
		if (peer_state_up(p->state))
			n++;
	return (n);
}

void
mesh_member(struct mesh *m, size_t i, struct wire_member *wm)
{
	const struct conf_node	*n = &m->p.conf->nodes[i];
	struct peer		*p;

	memset(wm, 0, sizeof(*wm));
	strlcpy(wm->id, n->id, sizeof(wm->id));
	strlcpy(wm->address, n->address, sizeof(wm->address));
	wm->port = n->port;
	if (i == m->p.conf->self) {
		wm->state = MEMBER_SELF;
		wm->incarnation = m->p.incarnation;
		wm->since_ms = m->p.started_ms;
		return;
	}
	if ((p = mesh_find(m, n->id)) == NULL)
		return;
	wm->state = (uint8_t)peer_state_member(p->state);
	wm->rtt_us = p->st.srtt_us;
	wm->incarnation = p->incarnation;
	wm->since_ms = p->since_ms;
}

void
mesh_peer_stats(struct mesh *m, const struct stats_sink *sink)
{
	struct peer		*p;
	struct peer_stats	 st;

	TAILQ_FOREACH(p, &m->peers, entry) {
		st = p->st;
		st.state = peer_state_member(p->state);
		st.since_ms = p->since_ms;
		st.incarnation = p->incarnation;
		st.queue_bytes = p->conn != NULL ? stream_queued(p->conn) : 0;
		sink->section(sink->arg, "peer", p->node.id);
#define X(name, kind, help)	sink->add(sink->arg, #name, st.name);
		COHORT_PEER_STATS(X)
#undef X
	}
}

int
mesh_state_reason(struct mesh *m, const char *node)
{
	struct peer	*p;

	if ((p = mesh_find(m, node)) == NULL)
		return (REASON_NODE_UNKNOWN);
	if (!peer_state_up(p->state) || p->conn == NULL)
		return (REASON_NODE_DOWN);
	return (0);
}

/* Sending */

/* Queue one DATA frame on p's stream; 1 if the stream is congested. */
static int
peer_send_data(struct peer *p, const uint8_t *head, size_t hlen,
    const uint8_t *body, size_t blen, const struct send_tag *tag)
{
	struct mesh	*m = p->m;
	struct stream	*s = p->conn;
	int		 was = s->congested, rv;

	rv = stream_send_data(s, head, hlen, body, blen, tag,
	    m->p.conf->lim.peer_queue_bytes);
	if (rv == -1) {
		if (tag != NULL && tag->client_id != 0)
			m->ev->lost(m->arg, p->node.id, tag->client_id, 1,
			    tag->req_id, tag->req_id);
		return (s->congested);
	}
	if (rv == 1 && !was) {
		/*
		 * Backpressure: the relay stops reading from the clients
		 * that publish to p, so the queue grows by at most what
		 * was already read; below half the limit they resume.
		 */
		p->st.queue_full++;
		m->stats.peer_queues_full++;
		if (ratelim_allow(&p->rl, time(NULL)))
			peer_log(log_info, p, "output queue at %zu bytes "
			    "(limits.peer_queue_bytes %u): pausing local "
			    "publishers until it drains", stream_queued(s),
			    m->p.conf->lim.peer_queue_bytes);
	}
	return (rv == 1);
}

int
mesh_send(struct mesh *m, const char *node, const uint8_t *head, size_t hlen,
    const uint8_t *body, size_t blen, const struct send_tag *tag,
    int *congested)
{
	struct peer	*p;
	int		 c;

	/* One lookup per message: it showed in the profile at 64 B. */
	if ((p = mesh_find(m, node)) == NULL)
		return (REASON_NODE_UNKNOWN);
	if (!peer_state_up(p->state) || p->conn == NULL)
		return (REASON_NODE_DOWN);
	c = peer_send_data(p, head, hlen, body, blen, tag);
	if (congested != NULL)
		*congested = c;
	return (0);
}

size_t
mesh_broadcast(struct mesh *m, const uint8_t *head, size_t hlen,
    const uint8_t *body, size_t blen, const struct send_tag *tag,
    void (*unreached)(const char *, uint32_t, void *), void *arg,
    char *congested)
{
	struct peer	*p;
	size_t		 n = 0;

	congested[0] = '\0';
	TAILQ_FOREACH(p, &m->peers, entry) {
		if (!peer_state_up(p->state) || p->conn == NULL) {
			unreached(p->node.id, REASON_NODE_DOWN, arg);
			continue;
		}
		if (peer_send_data(p, head, hlen, body, blen, tag) &&
		    congested[0] == '\0')
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
mesh_pause_read(struct mesh *m, const char *node)
{
	struct peer	*p = mesh_find(m, node);

	if (p == NULL || p->conn == NULL || p->read_paused)
		return;
	p->read_paused = 1;
	m->stats.peer_reads_paused++;
	stream_hold_reads(p->conn, 1);
	peer_log(log_debug, p, "reading paused: a local subscriber is full");
}

void
mesh_resume_reads(struct mesh *m)
{
	struct peer	*p;

	TAILQ_FOREACH(p, &m->peers, entry) {
		if (!p->read_paused)
			continue;
		p->read_paused = 0;
		p->last_rx_us = now_us();
		if (p->conn == NULL)
			continue;
		stream_hold_reads(p->conn, 0);
		event_active(p->ev_resume, EV_TIMEOUT, 0);
	}
}
