/*
 * fake_mesh_control.c: the mesh and control functions relay.c calls,
 * recording each call (see fake_mesh_control.h).
 *
 * The fakes keep the contracts of the real ones where relay.c depends
 * on them: mesh_send answers REASON_NODE_UNKNOWN for a node it does not
 * know and the peer's reason otherwise, mesh_broadcast reports every
 * peer that is not up and names the first congested one,
 * control_client_mark marks a client once per generation and skips one
 * that is closing, control_client_requests counts.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/control/control.h"
#include "daemon/mesh/mesh.h"
#include "fake_mesh_control.h"

#define FAKE_PEERS_MAX		16
#define FAKE_CLIENTS_MAX	64

struct mesh {
	int	 unused;
};

struct control {
	int	 unused;
};

struct client {
	uint64_t	 id;
	int		 deliver_rv;
	int		 closing;
	uint64_t	 match_gen;
	uint32_t	 n_requests;
};

struct fake_peer {
	char	 node[WIRE_ID_MAX + 1];
	int	 reason;
	int	 congested;
};

static struct mesh	 the_mesh;
static struct control	 the_control;
static struct fake_peer	 peers[FAKE_PEERS_MAX];
static size_t		 n_peers;
static struct client	*clients[FAKE_CLIENTS_MAX];
static size_t		 n_clients;
static struct fake_rec	**recs;		/* each its own: pointers stay valid */
static size_t		 n_recs, cap_recs;

struct mesh *
fake_mesh(void)
{
	return (&the_mesh);
}

struct control *
fake_control(void)
{
	return (&the_control);
}

void
fake_reset(void)
{
	size_t	i;

	for (i = 0; i < n_recs; i++) {
		free(recs[i]->frame);
		free(recs[i]);
	}
	free(recs);
	recs = NULL;
	n_recs = cap_recs = 0;
	for (i = 0; i < n_clients; i++)
		free(clients[i]);
	n_clients = 0;
	n_peers = 0;
}

void
fake_peer_set(const char *node, int reason, int congested)
{
	size_t	i;

	for (i = 0; i < n_peers; i++)
		if (strcmp(peers[i].node, node) == 0)
			break;
	if (i == n_peers) {
		ck_assert_uint_lt(n_peers, FAKE_PEERS_MAX);
		strlcpy(peers[n_peers++].node, node, sizeof(peers[0].node));
	}
	peers[i].reason = reason;
	peers[i].congested = congested;
}

static struct fake_peer *
peer_find(const char *node)
{
	size_t	i;

	for (i = 0; i < n_peers; i++)
		if (strcmp(peers[i].node, node) == 0)
			return (&peers[i]);
	return (NULL);
}

struct client *
fake_client_new(uint64_t id)
{
	struct client	*cl;

	ck_assert_uint_lt(n_clients, FAKE_CLIENTS_MAX);
	cl = calloc(1, sizeof(*cl));
	ck_assert_ptr_nonnull(cl);
	cl->id = id;
	clients[n_clients++] = cl;
	return (cl);
}

void
fake_client_deliver_rv(struct client *cl, int rv)
{
	cl->deliver_rv = rv;
}

void
fake_client_closing(struct client *cl, int closing)
{
	cl->closing = closing;
}

uint32_t
fake_client_requests(const struct client *cl)
{
	return (cl->n_requests);
}

/* Records */

static struct fake_rec *
rec_new(enum fake_call call, const char *node, struct client *cl)
{
	struct fake_rec	*r;

	if (n_recs == cap_recs) {
		cap_recs = cap_recs ? cap_recs * 2 : 64;
		recs = reallocarray(recs, cap_recs, sizeof(*recs));
		ck_assert_ptr_nonnull(recs);
	}
	ck_assert_ptr_nonnull(r = calloc(1, sizeof(*r)));
	recs[n_recs++] = r;
	r->call = call;
	if (node != NULL)
		strlcpy(r->node, node, sizeof(r->node));
	r->cl = cl;
	return (r);
}

/* Keep head + body as one frame and check its header. */
static void
rec_frame(struct fake_rec *r, enum wire_channel chan, const uint8_t *head,
    size_t hlen, const uint8_t *body, size_t blen)
{
	struct wire_hdr	hdr;

	r->frame_len = hlen + blen;
	ck_assert_ptr_nonnull(r->frame = malloc(r->frame_len + 1));
	memcpy(r->frame, head, hlen);
	if (blen > 0)
		memcpy(r->frame + hlen, body, blen);
	ck_assert_int_eq(wire_check_header(r->frame, r->frame_len,
	    r->frame_len, chan, &hdr), WIRE_OK);
	ck_assert_uint_eq(hdr.len, r->frame_len);
	r->type = hdr.type;
}

static void
rec_data(struct fake_rec *r, const uint8_t *head, size_t hlen,
    const uint8_t *body, size_t blen, const struct send_tag *tag)
{
	rec_frame(r, WIRE_PEER, head, hlen, body, blen);
	ck_assert_uint_eq(r->type, WT_DATA);
	ck_assert_int_eq(wire_decode_data(r->frame, r->frame_len, &r->data),
	    WIRE_OK);
	if (tag != NULL) {
		r->has_tag = 1;
		r->client_id = tag->client_id;
		r->req_id = tag->req_id;
	}
}

static void
rec_result(struct fake_rec *r)
{
	struct wire_reader	rd;
	uint32_t		i;

	ck_assert_int_eq(wire_result_begin(r->frame, r->frame_len, &rd,
	    &r->req_id, &r->delivered, &r->n_unreached), WIRE_OK);
	ck_assert_uint_le(r->n_unreached, FAKE_UNREACHED_MAX);
	for (i = 0; i < r->n_unreached; i++)
		ck_assert_int_eq(wire_result_next(&rd, &r->unreached[i]),
		    WIRE_OK);
	ck_assert_int_eq(wire_result_end(&rd), WIRE_OK);
}

size_t
fake_n(void)
{
	return (n_recs);
}

const struct fake_rec *
fake_rec(size_t i)
{
	ck_assert_uint_lt(i, n_recs);
	return (recs[i]);
}

static int
rec_matches(const struct fake_rec *r, enum fake_call call, const char *node,
    const struct client *cl)
{
	return ((call == FAKE_ANY || r->call == call) &&
	    (node == NULL || strcmp(r->node, node) == 0) &&
	    (cl == NULL || r->cl == cl));
}

size_t
fake_count(enum fake_call call, const char *node, const struct client *cl)
{
	size_t	i, n = 0;

	for (i = 0; i < n_recs; i++)
		if (rec_matches(recs[i], call, node, cl))
			n++;
	return (n);
}

const struct fake_rec *
fake_find(enum fake_call call, const char *node, const struct client *cl,
    size_t nth)
{
	size_t	i, k = nth;

	for (i = 0; i < n_recs; i++)
		if (rec_matches(recs[i], call, node, cl) && k-- == 0)
			return (recs[i]);
	ck_abort_msg("no call %d #%zu to %s", (int)call, nth,
	    node != NULL ? node : "any node");
	return (NULL);
}

/* The mesh, as relay.c calls it */

int
mesh_state_reason(struct mesh *m, const char *node)
{
	struct fake_peer	*p;

	ck_assert_ptr_eq(m, &the_mesh);
	if ((p = peer_find(node)) == NULL)
		return (REASON_NODE_UNKNOWN);
	return (p->reason);
}

int
mesh_send(struct mesh *m, const char *node, const uint8_t *head, size_t hlen,
    const uint8_t *body, size_t blen, const struct send_tag *tag,
    int *congested)
{
	struct fake_peer	*p;

	ck_assert_ptr_eq(m, &the_mesh);
	if ((p = peer_find(node)) == NULL)
		return (REASON_NODE_UNKNOWN);
	if (p->reason != 0)
		return (p->reason);
	rec_data(rec_new(FAKE_MESH_SEND, node, NULL), head, hlen, body, blen,
	    tag);
	if (congested != NULL)
		*congested = p->congested;
	return (0);
}

size_t
mesh_broadcast(struct mesh *m, const uint8_t *head, size_t hlen,
    const uint8_t *body, size_t blen, const struct send_tag *tag,
    void (*unreached)(const char *, uint32_t, void *), void *arg,
    char *congested)
{
	size_t	i, n = 0;

	ck_assert_ptr_eq(m, &the_mesh);
	congested[0] = '\0';
	for (i = 0; i < n_peers; i++) {
		if (peers[i].reason != 0) {
			unreached(peers[i].node, (uint32_t)peers[i].reason,
			    arg);
			continue;
		}
		rec_data(rec_new(FAKE_MESH_BROADCAST, peers[i].node, NULL),
		    head, hlen, body, blen, tag);
		if (peers[i].congested && congested[0] == '\0')
			strlcpy(congested, peers[i].node, WIRE_ID_MAX + 1);
		n++;
	}
	return (n);
}

void
mesh_pause_read(struct mesh *m, const char *node)
{
	ck_assert_ptr_eq(m, &the_mesh);
	(void)rec_new(FAKE_MESH_PAUSE_READ, node, NULL);
}

void
mesh_resume_reads(struct mesh *m)
{
	ck_assert_ptr_eq(m, &the_mesh);
	(void)rec_new(FAKE_MESH_RESUME_READS, NULL, NULL);
}

/* The control socket, as relay.c calls it */

int
control_deliver(struct client *cl, const uint8_t *head, size_t hlen,
    const uint8_t *body, size_t blen)
{
	struct fake_rec	*r = rec_new(FAKE_CTL_DELIVER, NULL, cl);

	rec_frame(r, WIRE_LOCAL, head, hlen, body, blen);
	switch (r->type) {
	case WT_CTL_MSG:
		ck_assert_int_eq(wire_decode_ctl_msg(r->frame, r->frame_len,
		    &r->msg), WIRE_OK);
		r->req_id = r->msg.req_id;
		break;
	case WT_CTL_PUB_RESULT:
		rec_result(r);
		break;
	default:
		ck_abort_msg("control_deliver of a %s frame",
		    wire_type_name(r->type));
	}
	return (cl->deliver_rv);
}

void
control_error(struct client *cl, uint32_t req_id, int code, const char *fmt,
    ...)
{
	struct fake_rec	*r = rec_new(FAKE_CTL_ERROR, NULL, cl);
	va_list		 ap;

	r->req_id = req_id;
	r->code = (uint32_t)code;
	va_start(ap, fmt);
	vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
}

void
control_pause(struct client *cl, const char *node)
{
	(void)rec_new(FAKE_CTL_PAUSE, node, cl);
}

void
control_resume(struct control *sc, const char *node)
{
	ck_assert_ptr_eq(sc, &the_control);
	(void)rec_new(FAKE_CTL_RESUME, node, NULL);
}

void
control_broadcast_event(struct control *sc, const struct wire_ctl_event *ev)
{
	ck_assert_ptr_eq(sc, &the_control);
	rec_new(FAKE_CTL_EVENT, ev->node, NULL)->ev = *ev;
}

void
control_lost(struct control *sc, uint64_t id, const char *node,
    uint32_t count, uint32_t first_req, uint32_t last_req)
{
	struct fake_rec	*r;

	ck_assert_ptr_eq(sc, &the_control);
	r = rec_new(FAKE_CTL_LOST, node, NULL);
	r->client_id = id;
	r->count = count;
	r->first_req = first_req;
	r->req_id = last_req;
}

int
control_client_mark(struct client *cl, uint64_t gen)
{
	if (cl->match_gen == gen || cl->closing)
		return (1);
	cl->match_gen = gen;
	return (0);
}

uint64_t
control_client_id(const struct client *cl)
{
	return (cl->id);
}

uint32_t
control_client_requests(struct client *cl, int delta)
{
	/* A count below zero is a relay bug: fail rather than wrap. */
	ck_assert_int_ge((int64_t)cl->n_requests + delta, 0);
	cl->n_requests = (uint32_t)((int64_t)cl->n_requests + delta);
	return (cl->n_requests);
}
