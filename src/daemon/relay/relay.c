/*
 * relay.c: where peers and local clients meet.
 *
 * The mesh hands in what arrived from other nodes (DATA frames) and what
 * happened to it; the control socket hands in what local clients asked
 * for (publish, request, reply); both through the daemon's wiring.  This file decides who gets what: it owns
 * the subscription trie, the requests in flight from local clients
 * (pending, by correlation id) and the requests being served by local
 * clients (tokens).
 *
 * Nothing is dropped silently: an unreachable target is answered with
 * CTL_PUB_RESULT, a request without a responder with NO_RESPONDER, a
 * request without a reply in time with TIMEOUT, and every such event and
 * every late reply is counted.
 *
 * A request's correlation id is 64 random bits, and its reply is taken
 * only from the node the request was sent to: with sequential ids any
 * node could answer a request sent to another (issue 12, finding 2).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uthash.h>

#include "common/log.h"
#include "common/subject.h"
#include "daemon/control/control.h"
#include "daemon/io/evutil.h"
#include "daemon/mesh/mesh.h"
#include "relay.h"

/* How long a served request's token outlives the requester's timeout. */
#define TOKEN_GRACE_MS		1000

struct pending;
struct rtoken;
struct target_set;

static void	 target_set_free(struct target_set *);

struct relay {
	struct event_base		*base;
	const struct cohort_conf	*conf;
	struct mesh			*mesh;
	struct control			*ctl;
	struct subtree			*subs;
	struct pending			*pending;	/* by corr */
	struct rtoken			*tokens;	/* by token */
	uint64_t			 next_token;
	uint64_t			 match_gen;
	uint64_t			 rr;
	struct client			**match_buf;
	size_t				 match_cap;
	struct wire_unreached		*unreached;	/* see relay_unreached */
	size_t				 unreached_cap;
	struct target_set		*seen;		/* see relay_multicast */
	struct ratelim			 rl;
	struct ratelim			 rl_debug;	/* lines clients trigger */
	struct ratelim_table		 rl_peer;	/* by node */
	struct relay_stats		 stats;
};

/* A request from a local client, waiting for its reply. */
struct pending {
	UT_hash_handle	 hh;		/* relay pending, by corr */
	struct relay	*r;
	uint64_t	 corr;
	struct client	*cl;
	uint32_t	 req_id;
	uint32_t	 timeout_ms;
	char		 node[WIRE_ID_MAX + 1];		/* asked */
	char		 subject[WIRE_SUBJECT_MAX + 1];
	struct event	*timer;
};

/* A request being served by a local client. */
struct rtoken {
	UT_hash_handle	 hh;		/* relay tokens, by token */
	struct relay	*r;
	uint64_t	 token;
	uint64_t	 corr;		/* the origin's correlation id */
	char		 origin[WIRE_ID_MAX + 1];
	char		 subject[WIRE_SUBJECT_MAX + 1];
	struct client	*responder;
	struct event	*timer;
};

static int
is_self(struct relay *sc, const char *node)
{
	return (strcmp(node, sc->conf->node_id) == 0);
}

/* An encoder refused a frame it should fit: a bug, counted and logged. */
static void
relay_encode_failed(struct relay *r, const char *what)
{
	r->stats.encode_errors++;
	if (ratelim_allow(&r->rl, time(NULL)))
		log_warnx("cannot encode %s: not sent", what);
}

struct relay *
relay_new(struct event_base *base, const struct cohort_conf *conf,
    struct mesh *mesh, struct control *ctl)
{
	struct relay	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return (NULL);
	r->base = base;
	r->conf = conf;
	r->mesh = mesh;
	r->ctl = ctl;
	/* Seeded, so that no client can choose tokens that collide. */
	if ((r->subs = subtree_new_seed(((uint64_t)arc4random() << 32) |
	    arc4random())) == NULL) {
		free(r);
		return (NULL);
	}
	return (r);
}

const struct relay_stats *
relay_stats(struct relay *r)
{
	r->stats.subscriptions = subtree_count(r->subs);
	return (&r->stats);
}

/*
 * Room for n entries: one per configured node (a broadcast), or per
 * target (a multicast may name ids that are not configured).
 */
static struct wire_unreached *
relay_unreached(struct relay *r, size_t n)
{
	struct wire_unreached	*u;

	if (r->unreached_cap < n) {
		if ((u = reallocarray(r->unreached, n, sizeof(*u))) == NULL)
			return (NULL);
		r->unreached = u;
		r->unreached_cap = n;
	}
	return (r->unreached);
}

static void
pending_free(struct pending *pd)
{
	control_client_requests(pd->cl, -1);
	HASH_DEL(pd->r->pending, pd);
	event_free(pd->timer);
	free(pd);
}

static void
token_free(struct rtoken *tk)
{
	HASH_DEL(tk->r->tokens, tk);
	event_free(tk->timer);
	free(tk);
}

void
relay_free(struct relay *sc)
{
	struct pending	*pd, *ptmp;
	struct rtoken	*tk, *ttmp;

	/* Clients are gone already: no per-client bookkeeping here. */
	HASH_ITER(hh, sc->pending, pd, ptmp) {
		HASH_DEL(sc->pending, pd);
		event_free(pd->timer);
		free(pd);
	}
	HASH_ITER(hh, sc->tokens, tk, ttmp)
		token_free(tk);
	subtree_free(sc->subs);
	free(sc->match_buf);
	free(sc->unreached);
	target_set_free(sc->seen);
	free(sc);
}

/* Matching */

struct collect {
	struct relay	*sc;
	uint64_t	 gen;
	size_t		 n;
	int		 oom;
};

/* Gather each matching client once, however many patterns match. */
static void
collect_cb(void *owner, void *arg)
{
	struct collect	*co = arg;
	struct relay	*sc = co->sc;
	struct client	**v;
	size_t		  cap;

	if (control_client_mark(owner, co->gen))
		return;
	if (co->n == sc->match_cap) {
		cap = sc->match_cap ? sc->match_cap * 2 : 16;
		if ((v = reallocarray(sc->match_buf, cap, sizeof(*v))) ==
		    NULL) {
			co->oom = 1;
			return;
		}
		sc->match_buf = v;
		sc->match_cap = cap;
	}
	sc->match_buf[co->n++] = owner;
}

/*
 * The clients subscribed to subject, in sc->match_buf; returns how many.
 * Every subject here was checked where it entered (relay_publish,
 * relay_data_in): checking it again cost 10 % of a receiving daemon's
 * instructions at 64 B.
 */
static size_t
relay_match(struct relay *sc, const char *subject)
{
	struct collect	co = { sc, ++sc->match_gen, 0, 0 };

	subtree_match_valid(sc->subs, subject, collect_cb, &co);
	if (co.oom)
		log_warnx("out of memory matching %s: delivered to %zu "
		    "subscribers only", subject, co.n);
	return (co.n);
}

/*
 * One copy to every local subscriber; returns how many got it.  If one
 * of them is full (policy "backpressure"), the source is paused: the
 * peer stream it came from (from_peer), or the publishing client.
 */
static size_t
relay_deliver_local(struct relay *sc, const char *from_peer,
    struct client *from_client, const char *origin, const char *subject,
    const uint8_t *body, size_t len)
{
	int			 rv, full = 0;
	struct wire_ctl_msg	 m;
	uint8_t			 head[WIRE_CTL_MSG_HEAD_MAX];
	size_t			 hlen, i, n, got = 0;

	if ((n = relay_match(sc, subject)) == 0) {
		sc->stats.msgs_unsubscribed++;
		return (0);
	}
	memset(&m, 0, sizeof(m));
	strlcpy(m.origin, origin, sizeof(m.origin));
	strlcpy(m.subject, subject, sizeof(m.subject));
	if ((hlen = wire_encode_ctl_msg_head(head, sizeof(head), &m,
	    len)) == 0) {
		relay_encode_failed(sc, "a message for local subscribers");
		return (0);
	}
	for (i = 0; i < n; i++) {
		if ((rv = control_deliver(sc->match_buf[i], head, hlen, body,
		    len)) >= 0)
			got++;
		if (rv == 1)
			full = 1;
	}
	sc->stats.msgs_delivered += got;
	if (full && from_peer != NULL)
		mesh_pause_read(sc->mesh, from_peer);
	else if (full && from_client != NULL)
		control_pause(from_client, "");
	return (got);
}

/* Requests and replies */

static void
relay_answer(struct relay *sc, struct pending *pd, uint32_t flags,
    const char *origin, const uint8_t *body, size_t len)
{
	struct wire_ctl_msg	 m;
	uint8_t			 head[WIRE_CTL_MSG_HEAD_MAX];
	size_t			 hlen;

	if (flags & DATA_NO_RESPONDER) {
		sc->stats.no_responder++;
		control_error(pd->cl, pd->req_id, REASON_NO_RESPONDER,
		    "no responder for %s on %s", pd->subject, origin);
		return;
	}
	memset(&m, 0, sizeof(m));
	m.req_id = pd->req_id;
	m.flags = DATA_REPLY;
	strlcpy(m.origin, origin, sizeof(m.origin));
	strlcpy(m.subject, pd->subject, sizeof(m.subject));
	if ((hlen = wire_encode_ctl_msg_head(head, sizeof(head), &m,
	    len)) == 0)
		relay_encode_failed(sc, "a reply");
	else if (control_deliver(pd->cl, head, hlen, body, len) >= 0)
		sc->stats.replies++;
}

/*
 * A reply (or NO_RESPONDER) for one of our pending requests, from node
 * origin.  Only the node asked may answer: a reply from another is
 * refused, counted and logged, and the request goes on waiting.
 */
static void
relay_reply_in(struct relay *sc, const char *origin, uint64_t corr,
    uint32_t flags, const uint8_t *body, size_t len)
{
	struct pending	*pd;

	HASH_FIND(hh, sc->pending, &corr, sizeof(corr), pd);
	if (pd == NULL) {
		/* Timed out already, or its client left: counted, dropped. */
		sc->stats.late_replies++;
		log_debug_rl(&sc->rl_debug, "late reply %016llx from %s "
		    "dropped", (unsigned long long)corr, origin);
		return;
	}
	if (strcmp(pd->node, origin) != 0) {
		sc->stats.replies_refused++;
		if (ratelim_key_allow(&sc->rl_peer, origin, time(NULL)))
			log_warnx("reply from %s to request %016llx refused: "
			    "the request was sent to %s", origin,
			    (unsigned long long)corr, pd->node);
		return;
	}
	relay_answer(sc, pd, flags, origin, body, len);
	pending_free(pd);
}

/* Send a reply, or NO_RESPONDER, back to where the request came from. */
static void
relay_reply_out(struct relay *sc, const char *origin, uint64_t corr,
    uint32_t flags, const char *subject, const uint8_t *body, size_t len)
{
	struct wire_data	d;
	uint8_t			head[WIRE_DATA_HEAD_MAX];
	size_t			hlen;

	if (is_self(sc, origin)) {
		relay_reply_in(sc, origin, corr, flags, body, len);
		return;
	}
	memset(&d, 0, sizeof(d));
	d.flags = DATA_REPLY | flags;
	d.corr = corr;
	strlcpy(d.origin, sc->conf->node_id, sizeof(d.origin));
	strlcpy(d.subject, subject, sizeof(d.subject));
	/* A reply is never held back: requests in flight are bounded. */
	if ((hlen = wire_encode_data_head(head, sizeof(head), &d, len)) == 0) {
		relay_encode_failed(sc, "a reply");
		sc->stats.replies_undeliverable++;
	} else if (mesh_send(sc->mesh, origin, head, hlen, body, len, NULL,
	    NULL) != 0) {
		sc->stats.replies_undeliverable++;
		log_debug_rl(&sc->rl_debug, "reply to %s for request %016llx "
		    "undeliverable: the node is not up", origin,
		    (unsigned long long)corr);
	}
}

static void
token_expire_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct rtoken	*tk = arg;

	(void)fd;
	(void)ev;
	/* The requester has given up by now; a reply would be late. */
	token_free(tk);
}

/* A request for a local responder: pick one, or say nobody serves it. */
static void
relay_request_in(struct relay *sc, const char *origin, uint64_t corr,
    uint32_t timeout_ms, const char *subject, const uint8_t *body,
    size_t len)
{
	struct wire_ctl_msg	 m;
	struct rtoken		*tk;
	uint8_t			 head[WIRE_CTL_MSG_HEAD_MAX];
	size_t			 n, hlen;
	uint64_t		 ms;

	sc->stats.requests_served++;
	/* Bounded: a token lives at most the largest request timeout. */
	if (timeout_ms > sc->conf->lim.request_timeout_max_ms)
		timeout_ms = sc->conf->lim.request_timeout_max_ms;
	if (HASH_COUNT(sc->tokens) >= sc->conf->lim.requests_served_max) {
		sc->stats.requests_refused++;
		if (ratelim_allow(&sc->rl, time(NULL)))
			log_warnx("request from %s for %s refused: %u requests "
			    "being served already (limits.requests_served_max)",
			    origin, subject, sc->conf->lim.requests_served_max);
		relay_reply_out(sc, origin, corr, DATA_NO_RESPONDER, subject,
		    NULL, 0);
		return;
	}
	if ((n = relay_match(sc, subject)) == 0 ||
	    (tk = calloc(1, sizeof(*tk))) == NULL) {
		relay_reply_out(sc, origin, corr, DATA_NO_RESPONDER, subject,
		    NULL, 0);
		return;
	}
	tk->r = sc;
	tk->token = ++sc->next_token;
	tk->corr = corr;
	strlcpy(tk->origin, origin, sizeof(tk->origin));
	strlcpy(tk->subject, subject, sizeof(tk->subject));
	/* Several responders: take turns, so that load spreads. */
	tk->responder = sc->match_buf[sc->rr++ % n];
	if ((tk->timer = evtimer_new(sc->base, token_expire_cb, tk)) == NULL) {
		free(tk);
		relay_reply_out(sc, origin, corr, DATA_NO_RESPONDER, subject,
		    NULL, 0);
		return;
	}
	HASH_ADD(hh, sc->tokens, token, sizeof(tk->token), tk);
	ms = (uint64_t)timeout_ms + TOKEN_GRACE_MS;
	ev_add_ms(tk->timer, ms);

	memset(&m, 0, sizeof(m));
	m.flags = DATA_REQUEST;
	m.token = tk->token;
	strlcpy(m.origin, origin, sizeof(m.origin));
	strlcpy(m.subject, subject, sizeof(m.subject));
	if ((hlen = wire_encode_ctl_msg_head(head, sizeof(head), &m,
	    len)) == 0)
		relay_encode_failed(sc, "a request for a local responder");
	if (hlen == 0 || control_deliver(tk->responder, head, hlen, body,
	    len) < 0) {
		token_free(tk);
		relay_reply_out(sc, origin, corr, DATA_NO_RESPONDER, subject,
		    NULL, 0);
	}
}

/* CTL_REPLY from a local responder. */
int
relay_reply(struct relay *sc, struct client *cl, uint64_t token,
    const uint8_t *body, size_t len)
{
	struct rtoken	*tk;

	/* libcohort checks this first: only a broken client gets here. */
	if (len > sc->conf->lim.max_message_size) {
		sc->stats.too_big++;
		return (-1);
	}
	HASH_FIND(hh, sc->tokens, &token, sizeof(token), tk);
	if (tk == NULL || tk->responder != cl) {
		/* Any client can send these: one line each was a flood. */
		sc->stats.late_replies++;
		log_debug_rl(&sc->rl_debug, "reply for unknown or expired "
		    "request token %llu dropped", (unsigned long long)token);
		return (0);
	}
	relay_reply_out(sc, tk->origin, tk->corr, 0, tk->subject, body, len);
	token_free(tk);
	return (0);
}

static void
pending_timeout_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct pending	*pd = arg;
	struct relay	*sc = pd->r;

	(void)fd;
	(void)ev;
	sc->stats.request_timeouts++;
	control_error(pd->cl, pd->req_id, REASON_TIMEOUT, "no reply from %s "
	    "for %s within %u ms", pd->node, pd->subject, pd->timeout_ms);
	pending_free(pd);
}

/*
 * A correlation id for a new request: 64 random bits, never 0 (which
 * means "none" on the wire), unlike any pending one, so that a node the
 * request was not sent to cannot guess it.
 */
static uint64_t
relay_new_corr(struct relay *sc)
{
	struct pending	*pd;
	uint64_t	 corr;

	do {
		arc4random_buf(&corr, sizeof(corr));
		HASH_FIND(hh, sc->pending, &corr, sizeof(corr), pd);
	} while (corr == 0 || pd != NULL);
	return (corr);
}

static void
relay_request(struct relay *sc, struct client *cl,
    const struct wire_ctl_pub *m, const char *node)
{
	struct wire_data	 d;
	struct pending		*pd;
	uint8_t			 head[WIRE_DATA_HEAD_MAX];
	size_t			 hlen;
	int			 rv, congested = 0;

	sc->stats.requests++;
	if (control_client_requests(cl, 0) >=
	    sc->conf->lim.requests_per_client) {
		sc->stats.requests_refused++;
		control_error(cl, m->req_id, REASON_LIMIT, "%u requests in "
		    "flight already (limits.requests_per_client)",
		    sc->conf->lim.requests_per_client);
		return;
	}
	if (!is_self(sc, node) && (rv = mesh_state_reason(sc->mesh, node)) != 0) {
		sc->stats.unreachable++;
		control_error(cl, m->req_id, rv, "%s: %s", node,
		    wire_reason_name((uint32_t)rv));
		return;
	}
	if (m->timeout_ms == 0 ||
	    m->timeout_ms > sc->conf->lim.request_timeout_max_ms) {
		control_error(cl, m->req_id, REASON_LIMIT, "request timeout "
		    "%u ms: allowed 1 to %u (limits.request_timeout_max_ms)",
		    m->timeout_ms, sc->conf->lim.request_timeout_max_ms);
		return;
	}
	if ((pd = calloc(1, sizeof(*pd))) == NULL ||
	    (pd->timer = evtimer_new(sc->base, pending_timeout_cb, pd)) ==
	    NULL) {
		free(pd);
		control_error(cl, m->req_id, REASON_LIMIT, "out of memory");
		return;
	}
	control_client_requests(cl, 1);
	pd->r = sc;
	pd->corr = relay_new_corr(sc);
	pd->cl = cl;
	pd->req_id = m->req_id;
	pd->timeout_ms = m->timeout_ms;
	strlcpy(pd->node, node, sizeof(pd->node));
	strlcpy(pd->subject, m->subject, sizeof(pd->subject));
	HASH_ADD(hh, sc->pending, corr, sizeof(pd->corr), pd);
	ev_add_ms(pd->timer, m->timeout_ms);
	log_debug_rl(&sc->rl_debug, "request %016llx to %s for %s, %u ms",
	    (unsigned long long)pd->corr, node, pd->subject, pd->timeout_ms);

	if (is_self(sc, node)) {
		relay_request_in(sc, node, pd->corr, m->timeout_ms,
		    m->subject, m->body, m->body_len);
		return;
	}
	memset(&d, 0, sizeof(d));
	d.flags = DATA_REQUEST;
	d.timeout_ms = m->timeout_ms;
	d.corr = pd->corr;
	strlcpy(d.origin, sc->conf->node_id, sizeof(d.origin));
	strlcpy(d.subject, m->subject, sizeof(d.subject));
	if ((hlen = wire_encode_data_head(head, sizeof(head), &d,
	    m->body_len)) == 0) {
		relay_encode_failed(sc, "a request");
		control_error(cl, m->req_id, REASON_TOO_BIG, "frame too large");
		pending_free(pd);
	} else if ((rv = mesh_send(sc->mesh, node, head, hlen, m->body,
	    m->body_len, NULL, &congested)) != 0) {
		sc->stats.unreachable++;
		control_error(cl, m->req_id, REASON_NODE_DOWN, "%s: %s", node,
		    wire_reason_name(REASON_NODE_DOWN));
		pending_free(pd);
	} else if (congested)
		control_pause(cl, node);
}

/* Publishing */

struct unreached_ctx {
	struct wire_unreached	*v;
	size_t			 n, cap;
};

static void
unreached_add(struct unreached_ctx *u, const char *node, uint32_t reason)
{
	if (u->n == u->cap)
		return;		/* cap covers nodes and targets: cannot happen */
	strlcpy(u->v[u->n].node, node, sizeof(u->v[u->n].node));
	u->v[u->n].reason = reason;
	u->n++;
}

static void
unreached_cb(const char *node, uint32_t reason, void *arg)
{
	unreached_add(arg, node, reason);
}

static void
relay_result(struct client *cl, uint32_t req_id,
    uint32_t delivered, const struct unreached_ctx *u)
{
	struct wire_writer	 w;
	uint8_t			*buf;
	size_t			 cap, i, len;

	cap = WIRE_RESULT_MAX(u->n);
	if ((buf = malloc(cap)) == NULL) {
		control_error(cl, req_id, REASON_LIMIT, "out of memory");
		return;
	}
	wire_result_start(&w, buf, cap, req_id, delivered);
	for (i = 0; i < u->n; i++)
		wire_result_add(&w, &u->v[i]);
	if ((len = wire_result_finish(&w)) != 0)
		(void)control_deliver(cl, buf, len, NULL, 0);
	else
		control_error(cl, req_id, REASON_LIMIT, "the result does not "
		    "fit in a frame");
	free(buf);
}

/* Send to one node: 1 if it went, else noted in u. */
static int
relay_send_one(struct relay *sc, struct client *cl, const char *node,
    const uint8_t *head, size_t hlen, const struct wire_ctl_pub *m,
    struct unreached_ctx *u)
{
	struct send_tag	tag = { control_client_id(cl), m->req_id };
	int		rv, congested;

	if (is_self(sc, node)) {
		relay_deliver_local(sc, NULL, cl, node, m->subject, m->body,
		    m->body_len);
		return (1);
	}
	if ((rv = mesh_send(sc->mesh, node, head, hlen, m->body, m->body_len,
	    &tag, &congested)) == 0) {
		sc->stats.msgs_sent++;
		if (congested)
			control_pause(cl, node);
		return (1);
	}
	sc->stats.unreachable++;
	unreached_add(u, node, (uint32_t)rv);
	return (0);
}

/*
 * The targets of one multicast seen so far, to send to each once: a
 * hash set of the ids, open addressing, twice as many slots as targets,
 * so that 1,024 targets cost 1,024 look-ups.  (Decoding the list again
 * for each target cost 8.8 ms a frame: issue 12, finding 6.)  Its seed
 * is random, so that no client can choose ids that collide.
 */
struct target_set {
	char		(*id)[WIRE_ID_MAX + 1];	/* those seen, in order */
	uint16_t	 *slot;		/* index into id + 1; 0: empty */
	size_t		  cap;		/* ids */
	size_t		  nslots;	/* a power of two, >= 2 n */
	size_t		  n;
	uint64_t	  seed;
};

static void
target_set_free(struct target_set *ts)
{
	if (ts == NULL)
		return;
	free(ts->id);
	free(ts->slot);
	free(ts);
}

/* Empty, with room for n ids (n <= WIRE_TARGETS_MAX); NULL if no memory. */
static struct target_set *
target_set_reset(struct relay *sc, size_t n)
{
	struct target_set	*ts = sc->seen;
	size_t			 nslots;
	void			*p;

	if (ts == NULL) {
		if ((ts = calloc(1, sizeof(*ts))) == NULL)
			return (NULL);
		ts->seed = ((uint64_t)arc4random() << 32) | arc4random();
		sc->seen = ts;
	}
	for (nslots = 4; nslots < 2 * n; nslots *= 2)
		;
	if (ts->cap < n) {
		if ((p = reallocarray(ts->id, n, sizeof(*ts->id))) == NULL)
			return (NULL);
		ts->id = p;
		ts->cap = n;
	}
	if (ts->nslots < nslots) {
		if ((p = reallocarray(ts->slot, nslots, sizeof(*ts->slot))) ==
		    NULL)
			return (NULL);
		ts->slot = p;
	}
	ts->nslots = nslots;
	memset(ts->slot, 0, nslots * sizeof(*ts->slot));
	ts->n = 0;
	return (ts);
}

/* Add id: 0, or 1 if it was there already. */
static int
target_set_add(struct target_set *ts, const char *id)
{
	uint64_t	h = ts->seed ^ 0xcbf29ce484222325ULL;
	size_t		mask = ts->nslots - 1, i;
	const char	*p;

	for (p = id; *p != '\0'; p++) {
		h ^= (unsigned char)*p;
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 32;
	for (i = (size_t)h & mask; ts->slot[i] != 0; i = (i + 1) & mask)
		if (strcmp(ts->id[ts->slot[i] - 1], id) == 0)
			return (1);
	if (ts->n == ts->cap)
		return (1);	/* more ids than targets: cannot happen */
	strlcpy(ts->id[ts->n], id, sizeof(ts->id[ts->n]));
	ts->slot[i] = (uint16_t)++ts->n;
	return (0);
}

/*
 * Multicast targets, each once even if listed twice (ts, from
 * target_set_reset; NULL for a single target).
 */
static uint32_t
relay_multicast(struct relay *sc, struct client *cl,
    const struct wire_ctl_pub *m, const uint8_t *head, size_t hlen,
    struct unreached_ctx *u, struct target_set *ts)
{
	char		id[WIRE_ID_MAX + 1];
	size_t		pos = 0;
	uint32_t	sent = 0;

	while (wire_targets_next(m, &pos, id))
		if (ts == NULL || target_set_add(ts, id) == 0)
			sent += (uint32_t)relay_send_one(sc, cl, id, head,
			    hlen, m, u);
	return (sent);
}

/* CTL_PUB from a local client. */
void
relay_publish(struct relay *sc, struct client *cl,
    const struct wire_ctl_pub *m)
{
	struct wire_data	d;
	struct unreached_ctx	u;
	struct send_tag		tag;
	struct target_set	*ts = NULL;
	enum subject_error	se;
	uint8_t			head[WIRE_DATA_HEAD_MAX];
	char			node[WIRE_ID_MAX + 1];
	size_t			hlen, pos = 0;
	uint32_t		sent = 0;

	sc->stats.msgs_published++;
	if ((se = subject_check(m->subject, 0)) != SUBJECT_OK) {
		sc->stats.bad_subjects++;
		control_error(cl, m->req_id, REASON_BAD_SUBJECT, "\"%s\": %s",
		    m->subject, subject_strerror(se));
		return;
	}
	if (m->body_len > sc->conf->lim.max_message_size) {
		sc->stats.too_big++;
		control_error(cl, m->req_id, REASON_TOO_BIG, "message of %zu "
		    "bytes is larger than limits.max_message_size (%u)",
		    m->body_len, sc->conf->lim.max_message_size);
		return;
	}
	if (m->flags & PUB_REQUEST) {
		if (wire_targets_next(m, &pos, node))
			relay_request(sc, cl, m, node);
		return;
	}
	memset(&d, 0, sizeof(d));
	strlcpy(d.origin, sc->conf->node_id, sizeof(d.origin));
	strlcpy(d.subject, m->subject, sizeof(d.subject));
	if ((hlen = wire_encode_data_head(head, sizeof(head), &d,
	    m->body_len)) == 0) {
		relay_encode_failed(sc, "a message");
		control_error(cl, m->req_id, REASON_TOO_BIG, "frame too large");
		return;
	}
	u.cap = m->ntargets > sc->conf->n_nodes ? m->ntargets :
	    sc->conf->n_nodes;
	/* One target (unicast, the common case): nothing to compare. */
	if ((u.v = relay_unreached(sc, u.cap)) == NULL || (m->ntargets > 1 &&
	    (ts = target_set_reset(sc, m->ntargets)) == NULL)) {
		control_error(cl, m->req_id, REASON_LIMIT, "out of memory");
		return;
	}
	u.n = 0;
	switch (m->mode) {
	case PUB_UNICAST:
	case PUB_MULTICAST:
		sent = relay_multicast(sc, cl, m, head, hlen, &u, ts);
		break;
	case PUB_BROADCAST:
		tag.client_id = control_client_id(cl);
		tag.req_id = m->req_id;
		sent = (uint32_t)mesh_broadcast(sc->mesh, head, hlen, m->body,
		    m->body_len, &tag, unreached_cb, &u, node);
		if (node[0] != '\0')
			control_pause(cl, node);
		sc->stats.msgs_sent += sent;
		if (m->flags & PUB_SELF) {
			relay_deliver_local(sc, NULL, cl, sc->conf->node_id,
			    m->subject, m->body, m->body_len);
			sent++;
		}
		break;
	}
	/*
	 * Never silent: a target that could not be reached is reported even
	 * when no acknowledgement was asked for.  A broadcast reaches "every
	 * up node", so its down nodes are listed only when asked.
	 */
	if ((m->flags & PUB_ACK) || (u.n > 0 && m->mode != PUB_BROADCAST))
		relay_result(cl, m->req_id, sent, &u);
}

/* DATA from a peer; -1 if it is malformed (the stream is then closed). */
int
relay_data_in(struct relay *sc, const char *from, const struct wire_data *d)
{
	if (subject_check(d->subject, 0) != SUBJECT_OK ||
	    d->body_len > sc->conf->lim.max_message_size)
		return (-1);
	sc->stats.msgs_received++;
	if (d->flags & DATA_REPLY)
		relay_reply_in(sc, from, d->corr, d->flags, d->body,
		    d->body_len);
	else if (d->flags & DATA_REQUEST)
		relay_request_in(sc, from, d->corr, d->timeout_ms, d->subject,
		    d->body, d->body_len);
	else
		relay_deliver_local(sc, from, NULL, from, d->subject, d->body,
		    d->body_len);
	return (0);
}

/* Subscriptions: control.c keeps each client's list, this the trie. */
int
relay_subscribe(struct relay *sc, struct client *cl, const char *pattern)
{
	return (subtree_add(sc->subs, pattern, cl));
}

int
relay_unsubscribe(struct relay *sc, struct client *cl, const char *pattern)
{
	return (subtree_remove(sc->subs, pattern, cl));
}

/*
 * A client is going away: its requests in flight are forgotten (replies
 * will count as late), and requests it was serving get NO_RESPONDER now
 * rather than a timeout later.
 */
void
relay_client_gone(struct relay *sc, struct client *cl)
{
	struct pending	*pd, *ptmp;
	struct rtoken	*tk, *ttmp;

	HASH_ITER(hh, sc->pending, pd, ptmp)
		if (pd->cl == cl)
			pending_free(pd);
	HASH_ITER(hh, sc->tokens, tk, ttmp)
		if (tk->responder == cl) {
			relay_reply_out(sc, tk->origin, tk->corr,
			    DATA_NO_RESPONDER, tk->subject, NULL, 0);
			token_free(tk);
		}
}

/* No subscriber is full any more: everything paused for them resumes. */
void
relay_subscribers_drained(struct relay *sc)
{
	mesh_resume_reads(sc->mesh);
	control_resume(sc->ctl, "");
}

/* Messages of a client were in flight on a stream that died. */
void
relay_lost(struct relay *sc, const char *node, uint64_t client_id,
    uint32_t count, uint32_t first_req, uint32_t last_req)
{
	sc->stats.msgs_maybe_lost += count;
	control_lost(sc->ctl, client_id, node, count, first_req, last_req);
}

/* A congested peer's queue drained (or went away). */
void
relay_peer_drained(struct relay *sc, const char *node)
{
	control_resume(sc->ctl, node);
}

void
relay_member_changed(struct relay *sc, const char *node,
    enum member_state state, enum member_state prev, uint64_t incarnation)
{
	struct wire_ctl_event	 ev;
	struct pending		*pd, *ptmp;

	memset(&ev, 0, sizeof(ev));
	strlcpy(ev.node, node, sizeof(ev.node));
	ev.state = (uint8_t)state;
	ev.prev_state = (uint8_t)prev;
	ev.incarnation = incarnation;
	ev.time_ms = wall_ms();
	control_broadcast_event(sc->ctl, &ev);

	if (state == MEMBER_UP)
		return;
	/* Requests to a node that went away fail now, not at their timeout. */
	HASH_ITER(hh, sc->pending, pd, ptmp)
		if (strcmp(pd->node, node) == 0) {
			sc->stats.unreachable++;
			control_error(pd->cl, pd->req_id, REASON_NODE_DOWN,
			    "%s went %s before replying", node,
			    member_state_name(state));
			pending_free(pd);
		}
}
