/*
 * peer_handshake.c: a new stream's way into the mesh.  HELLO, HELLO_ACK
 * and the first ECHO; the checks a HELLO must pass (version, cluster,
 * node id, address, TLS names, the cluster key's MAC over the exchange);
 * the REFUSE frames that say why one did not, sent and received; the
 * HELLO deadline.
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

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/cohortd.h"
#include "peer_int.h"
#include "daemon/io/tls.h"

/*
 * Largest single write on an established stream.  libevent's default,
 * 16 KiB, takes a loop turn (an epoll_wait and a writev) per 16 KiB
 * however much is queued.
 */
#define PEER_WRITE_MAX		(256 * 1024)

/* Our HELLO */

void
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

void
conn_arm_hello_timer(struct pconn *c)
{
	evtimer_del(c->timer);
	event_assign(c->timer, c->sc->base, -1, 0, conn_hello_timeout_cb, c);
	peer_timer_add_ms(c->timer, c->sc->conf.lim.hello_timeout_ms);
}

/* Their HELLO */

/* Which of two streams to keep: the one dialled by the smaller node id. */
static int
conn_preferred(struct pconn *a, struct pconn *b)
{
	const char	*da, *db;
	int		 cmp;

	da = a->outbound ? peer_self_id(a->sc) : a->peer->node.id;
	db = b->outbound ? peer_self_id(b->sc) : b->peer->node.id;
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
	t->from_id = mine ? peer_self_id(sc) : c->peer->node.id;
	t->to_id = mine ? c->peer->node.id : peer_self_id(sc);
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
		    "%u to %u, %s speaks %u to %u", peer_self_id(sc),
		    PROTO_MIN_VERSION, PROTO_VERSION, h->node_id,
		    h->min_version, h->version);
		return (NULL);
	}
	if (strcmp(h->cluster, sc->conf.cluster) != 0) {
		hello_refuse(c, REASON_CLUSTER, "%s is in cluster \"%s\", "
		    "%s announced cluster \"%s\"", peer_self_id(sc),
		    sc->conf.cluster, h->node_id, h->cluster);
		return (NULL);
	}
	if (strcmp(h->node_id, peer_self_id(sc)) == 0) {
		hello_refuse(c, REASON_SELF_ID, "%s announced %s's own id: "
		    "two nodes are configured with the same node_id",
		    c->remote, peer_self_id(sc));
		return (NULL);
	}
	if ((p = peer_find(sc, h->node_id)) == NULL) {
		hello_refuse(c, REASON_UNKNOWN_NODE, "node id \"%s\" is not "
		    "in the nodes list of %s (%s)", h->node_id,
		    peer_self_id(sc), sc->conf.path);
		return (NULL);
	}
	if (!c->outbound && sc->conf.check_address && p->sslen > 0 &&
	    !peer_addr_same((struct sockaddr *)&c->ss, &p->ss)) {
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
		    "%s answered", peer_self_id(sc), c->peer->node.id,
		    c->remote, h->node_id);
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
void
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
	strlcpy(a.node_id, peer_self_id(c->sc), sizeof(a.node_id));
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
void
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

void
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
			    a->node_id, peer_self_id(c->sc));
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

/* Refusals and retired streams */

void
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
		peer_timer_add_ms(p->ev_handover,
		    sc->conf.lim.hello_timeout_ms);
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

/* A TLS handshake failed: counted, logged once per address and interval. */
void
conn_tls_failed(struct pconn *c, const char *why)
{
	struct cohortd	*sc = c->sc;
	char		 key[RATELIM_KEY_MAX];

	sc->stats.tls_failures++;
	conn_ratelim_key(c, why, key, sizeof(key));	/* per reason too */
	/* Past the handshake it is a broken stream, not a refusal. */
	if (ratelim_key_allow(&sc->rl_refuse, key, time(NULL)))
		log_warnx("stream %s %s %s: %s", c->outbound ? "to" : "from",
		    c->remote, c->state == CONN_ESTABLISHED ? "closed" :
		    "refused", why);
}

void
peer_handover_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct peer	*p = arg;

	(void)fd;
	(void)ev;
	if (p->state == MEMBER_UP && p->conn == NULL)
		peer_fsm(p, PEV_CLOSED, "duplicate stream retired and no "
		    "replacement arrived");
}
