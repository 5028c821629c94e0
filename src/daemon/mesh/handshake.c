/*
 * handshake.c: a new stream's way into the mesh.  Our HELLO; the checks
 * their HELLO must pass (version, cluster, node id, address, the
 * transport's identity, the cluster key's MAC over the exchange); the
 * REFUSE and BYE frames.  What follows from a result (a peer up, a
 * refusal to report) is mesh.c's.
 *
 * The dialling end proves it holds the cluster key first; the accepting
 * end proves it only after checking that proof, so it answers nobody who
 * has not proved the key (no oracle).  Each proof binds both ids, both
 * nonces, both incarnations, the role of its sender and, on TLS streams,
 * a value exported from the TLS session, so it can be neither replayed,
 * spliced, reflected nor relayed into another stream.
 *
 * Both ends dial whenever a peer is not up, so two streams can complete
 * at once.  Both ends keep the one dialled by the node with the smaller
 * id (hs_preferred) and send REFUSE(DUPLICATE) on the other.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/io/transport.h"
#include "mesh_int.h"

static const char *
hs_self(struct mesh *m)
{
	return (m->p.conf->node_id);
}

/* The other end's id: its peer once bound. */
static const char *
hs_their_id(struct stream *s)
{
	return (((struct peer *)s->owner)->node.id);
}

void
hs_send_hello(struct mesh *m, struct stream *s)
{
	const struct conf_node	*self = &m->p.conf->nodes[m->p.conf->self];
	struct wire_hello	 h;
	uint8_t			 buf[WIRE_HELLO_MAX];

	memset(&h, 0, sizeof(h));
	h.version = PROTO_VERSION;
	h.min_version = PROTO_MIN_VERSION;
	h.incarnation = m->p.incarnation;
	h.port = self->port;
	arc4random_buf(s->nonce, sizeof(s->nonce));
	memcpy(h.nonce, s->nonce, sizeof(h.nonce));
	strlcpy(h.cluster, m->p.conf->cluster, sizeof(h.cluster));
	strlcpy(h.node_id, self->id, sizeof(h.node_id));
	strlcpy(h.address, self->address, sizeof(h.address));
	s->state = STREAM_HELLO;
	(void)stream_send(s, buf, wire_encode_hello(buf, sizeof(buf), &h));
	stream_set_deadline(s, m->p.conf->lim.hello_timeout_ms);
}

void
hs_ratelim_key(const struct stream *s, const char *kind, char *key,
    size_t len)
{
	const char	*host = s->remote[0] == '[' ? s->remote + 1 : s->remote;

	snprintf(key, len, "%.*s %.48s", (int)strcspn(host, s->remote[0] ==
	    '[' ? "]" : ":"), host, kind);
}

void
hs_refuse(struct mesh *m, struct stream *s, enum wire_reason reason,
    const char *text)
{
	struct wire_refuse	r;
	uint8_t			buf[WIRE_REFUSE_MAX];

	(void)m;
	memset(&r, 0, sizeof(r));
	r.reason = reason;
	strlcpy(r.text, text, sizeof(r.text));
	stream_finish(s, buf, wire_encode_refuse(buf, sizeof(buf), &r));
}

void
hs_bye(struct mesh *m, struct stream *s, enum wire_reason reason,
    const char *text)
{
	struct wire_bye	b;
	uint8_t		buf[WIRE_BYE_MAX];

	memset(&b, 0, sizeof(b));
	b.reason = reason;
	strlcpy(b.node_id, hs_self(m), sizeof(b.node_id));
	strlcpy(b.text, text, sizeof(b.text));
	stream_finish(s, buf, wire_encode_bye(buf, sizeof(buf), &b));
}

/* Refuse a HELLO: log it here (rate-limited), tell the other end why. */
static enum hs_result
hello_refuse(struct mesh *m, struct stream *s, enum wire_reason reason,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static enum hs_result
hello_refuse(struct mesh *m, struct stream *s, enum wire_reason reason,
    const char *fmt, ...)
{
	char		 text[WIRE_TEXT_MAX + 1], key[RATELIM_KEY_MAX];
	char		 tag[16];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	m->stats.conns_refused++;
	/* Once per source address and reason per interval. */
	snprintf(tag, sizeof(tag), "%d", reason);
	hs_ratelim_key(s, tag, key, sizeof(key));
	if (ratelim_key_allow(&m->rl_refuse, key, time(NULL)))
		log_warnx("refused stream %s %s: %s: %s", s->outbound ?
		    "to" : "from", s->remote, wire_reason_name(reason), text);
	hs_refuse(m, s, reason, text);
	return (HS_REFUSED);
}

/* Same IP address (the port aside)? */
int
hs_addr_same(const struct sockaddr *a, const struct sockaddr_storage *b)
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
 * The handshake as one end proves it (mine = 1: we prove to the peer) or
 * checks the other's proof (mine = 0).  Borrowed pointers into s and m.
 */
static void
hs_transcript(struct mesh *m, struct stream *s, int mine,
    struct auth_transcript *t)
{
	if (!s->has_channel && transport_exporter(m->p.tr, s->bev, s->channel,
	    sizeof(s->channel)) == 0)
		s->has_channel = 1;
	t->channel = s->has_channel ? s->channel : NULL;
	t->channel_len = s->has_channel ? sizeof(s->channel) : 0;
	/* We dialled: our proofs are the initiator's, theirs the other. */
	t->from_initiator = mine ? s->outbound : !s->outbound;
	t->cluster = m->p.conf->cluster;
	t->from_id = mine ? hs_self(m) : hs_their_id(s);
	t->to_id = mine ? hs_their_id(s) : hs_self(m);
	t->from_nonce = mine ? s->nonce : s->peer_nonce;
	t->to_nonce = mine ? s->peer_nonce : s->nonce;
	t->from_inc = mine ? m->p.incarnation : s->incarnation;
	t->to_inc = mine ? s->incarnation : m->p.incarnation;
}

/* Validate a HELLO; returns its peer, or NULL after refusing the stream. */
static struct peer *
hello_check(struct mesh *m, struct stream *s, const struct wire_hello *h)
{
	const struct cohort_conf	*conf = m->p.conf;
	struct peer			*p;
	char				 why[300];

	if (h->version < PROTO_MIN_VERSION || h->min_version > PROTO_VERSION) {
		hello_refuse(m, s, REASON_VERSION, "%s speaks protocol "
		    "versions %u to %u, %s speaks %u to %u", hs_self(m),
		    PROTO_MIN_VERSION, PROTO_VERSION, h->node_id,
		    h->min_version, h->version);
		return (NULL);
	}
	if (strcmp(h->cluster, conf->cluster) != 0) {
		hello_refuse(m, s, REASON_CLUSTER, "%s is in cluster \"%s\", "
		    "%s announced cluster \"%s\"", hs_self(m), conf->cluster,
		    h->node_id, h->cluster);
		return (NULL);
	}
	if (strcmp(h->node_id, hs_self(m)) == 0) {
		hello_refuse(m, s, REASON_SELF_ID, "%s announced %s's own id: "
		    "two nodes are configured with the same node_id",
		    s->remote, hs_self(m));
		return (NULL);
	}
	if ((p = mesh_find(m, h->node_id)) == NULL) {
		hello_refuse(m, s, REASON_UNKNOWN_NODE, "node id \"%s\" is not "
		    "in the nodes list of %s (%s)", h->node_id, hs_self(m),
		    conf->path);
		return (NULL);
	}
	if (!s->outbound && conf->check_address && p->sslen > 0 &&
	    !hs_addr_same((struct sockaddr *)&s->ss, &p->ss)) {
		hello_refuse(m, s, REASON_ADDRESS, "stream from %s claims to "
		    "be %s, configured at %s (security.check_address)",
		    s->remote, h->node_id, p->node.address);
		return (NULL);
	}
	if (transport_check_name(m->p.tr, s->bev, h->node_id, why,
	    sizeof(why)) == -1) {
		m->stats.tls_failures++;
		hello_refuse(m, s, REASON_CERT, "stream from %s claims to be "
		    "%s, but %s (security.tls)", s->remote, h->node_id, why);
		return (NULL);
	}
	if (s->outbound && s->owner != p) {
		hello_refuse(m, s, REASON_UNKNOWN_NODE, "%s dialled %s at %s "
		    "but %s answered", hs_self(m), hs_their_id(s), s->remote,
		    h->node_id);
		return (NULL);
	}
	if (p->conn != NULL && h->incarnation < p->conn->incarnation) {
		hello_refuse(m, s, REASON_DUPLICATE, "incarnation %llu of %s "
		    "is older than the established %llu",
		    (unsigned long long)h->incarnation, h->node_id,
		    (unsigned long long)p->conn->incarnation);
		return (NULL);
	}
	return (p);
}

/* Our HELLO_ACK: the proof that we hold the cluster key, over s. */
static enum hs_result
hs_send_ack(struct mesh *m, struct stream *s)
{
	struct wire_hello_ack	 a;
	struct auth_transcript	 t;
	uint8_t			 buf[WIRE_HELLO_ACK_MAX];

	memset(&a, 0, sizeof(a));
	memcpy(a.nonce, s->peer_nonce, sizeof(a.nonce));
	strlcpy(a.node_id, hs_self(m), sizeof(a.node_id));
	if (m->p.keys->n > 0) {
		hs_transcript(m, s, 1, &t);
		if (auth_mac(&m->p.keys->key[0], &t, a.mac) == -1)
			/* Fail closed: no proof rather than a zero one. */
			return (hello_refuse(m, s, REASON_AUTH, "%s cannot "
			    "compute its key proof", hs_self(m)));
	}
	s->sent_ack = 1;
	if (stream_send(s, buf, wire_encode_hello_ack(buf, sizeof(buf),
	    &a)) == -1)
		return (HS_ERROR);
	return (HS_OK);
}

enum hs_result
hs_hello(struct mesh *m, struct stream *s, const struct wire_hello *h)
{
	struct peer	*p;

	if ((p = hello_check(m, s, h)) == NULL)
		return (HS_REFUSED);
	s->owner = p;
	s->acct = &p->st;
	s->incarnation = h->incarnation;
	s->got_hello = 1;
	memcpy(s->peer_nonce, h->nonce, sizeof(s->peer_nonce));
	/* The dialling end proves first; the other waits for that proof. */
	if (!s->outbound)
		return (HS_OK);
	return (hs_send_ack(m, s));
}

enum hs_result
hs_ack(struct mesh *m, struct stream *s, const struct wire_hello_ack *a)
{
	struct auth_transcript	t;

	if (!s->got_hello || strcmp(a->node_id, hs_their_id(s)) != 0)
		return (HS_ERROR);
	/* An ACK for another nonce answers another handshake: a replay. */
	if (memcmp(a->nonce, s->nonce, sizeof(a->nonce)) != 0) {
		m->stats.auth_failures++;
		return (hello_refuse(m, s, REASON_AUTH, "HELLO_ACK from %s "
		    "answers another handshake (replayed?)", a->node_id));
	}
	if (m->p.keys->n > 0) {
		hs_transcript(m, s, 0, &t);
		if (!auth_verify(m->p.keys, &t, a->mac)) {
			m->stats.auth_failures++;
			return (hello_refuse(m, s, REASON_AUTH, "%s could not "
			    "prove it holds %s's cluster key: wrong key, or "
			    "none", a->node_id, hs_self(m)));
		}
	}
	s->got_ack = 1;
	/* They proved it, as the dialling end: now our proof. */
	if (!s->outbound && !s->sent_ack)
		return (hs_send_ack(m, s));
	return (HS_OK);
}

int
hs_preferred(struct mesh *m, struct stream *a, struct stream *b)
{
	const char	*da, *db;
	int		 cmp;

	da = a->outbound ? hs_self(m) : hs_their_id(a);
	db = b->outbound ? hs_self(m) : hs_their_id(b);
	cmp = strcmp(da, db);
	if (cmp == 0)
		return (1);	/* same dialer: the newer stream wins */
	return (cmp < 0);
}
