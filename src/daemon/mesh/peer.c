/*
 * peer.c: the peer mesh.  Listening, dialling with backoff, the peer
 * state machine, streams from creation to the reaper, and what the rest
 * of the daemon asks of the mesh: reconfiguration on reload, members and
 * statistics.  A new stream's handshake is peer_handshake.c's, the frames
 * on it peer_flow.c's; the objects they share are in peer_int.h.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <uthash.h>

#include "daemon/cohortd.h"
#include "common/detector.h"
#include "peer_int.h"
#include "daemon/io/tls.h"

/* How long a refused or retired stream may take to flush its last frame. */
#define PEER_LINGER_MS		1000

static const char *const peer_event_names[] = {
	"established", "closed", "timeout", "bye", "refused",
};

static void	 peer_dial(struct peer *);
static int	 peer_resolve(const char *, uint16_t, struct sockaddr_storage *,
		    socklen_t *, char *, size_t);

struct peer *
peer_find(struct cohortd *sc, const char *id)
{
	struct peer	*p;

	HASH_FIND_STR(sc->peer_index, id, p);
	return (p);
}

const char *
peer_self_id(struct cohortd *sc)
{
	return (sc->conf.node_id);
}

void
peer_timer_add_ms(struct event *ev, uint64_t ms)
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

void
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
	peer_timer_add_ms(p->ev_dead, p->sc->conf.lim.hb_timeout_ms);
	/* First ECHO at once, so RTT is known after one round trip. */
	peer_timer_add_ms(p->ev_echo, 0);
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
	peer_timer_add_ms(p->ev_redial, ms);
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
void
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
			peer_inflight_report(p);
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
void
conn_finish(struct pconn *c, const uint8_t *frame, size_t len)
{
	struct peer	*p = c->peer;

	if (c->state == CONN_DEAD || c->state == CONN_CLOSING)
		return;
	if (p != NULL) {
		if (p->conn == c) {
			peer_inflight_report(p);
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
	peer_timer_add_ms(c->timer, PEER_LINGER_MS);
	if (len > 0)
		conn_send(c, frame, len);
	else
		conn_close(c);
}

/* A stream that died before or after HELLO: tell its peer, if any. */
void
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

void
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

/* Accepting */

/* Same IP address (the port aside)? */
int
peer_addr_same(const struct sockaddr *a, const struct sockaddr_storage *b)
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
		if (peer_addr_same(sa, &c->ss))
			same++;
	}
	if (total >= sc->conf.lim.max_pending_streams)
		return ("limits.max_pending_streams");
	TAILQ_FOREACH(p, &sc->peers, entry)
		if (p->sslen > 0 && peer_addr_same(sa, &p->ss))
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

/* Peers */

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
	strlcpy(b.node_id, peer_self_id(sc), sizeof(b.node_id));
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
		strlcpy(b.node_id, peer_self_id(sc), sizeof(b.node_id));
		snprintf(b.text, sizeof(b.text), "%s's config no longer lists "
		    "%s", peer_self_id(sc), p->node.id);
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
			peer_timer_add_ms(p->ev_dead, detector_remaining(
			    p->last_rx_us, now_us(),
			    (uint64_t)sc->conf.lim.hb_timeout_ms * 1000) /
			    1000);
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
