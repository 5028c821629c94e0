/*
 * libcohort_deliver.c: the middle layer of libcohort, what the daemon
 * sent, handed to the application.  It owns the frames received once
 * libcohort_io.c has cut them out (deliver_frame, registered on the
 * handle as c->frame_cb), the answers blocking calls wait for, the
 * queues of events, messages, replies and errors, the asynchronous
 * requests in flight, and the application's callbacks.
 *
 * Whatever arrives while a blocking call waits (messages, events,
 * answers to asynchronous requests) is queued and delivered later, never
 * dropped and never delivered from inside another call.  cohort_dispatch()
 * runs the callbacks for what is queued and what can be read without
 * blocking; cohort_next_event() and cohort_next_msg() wait for one event
 * or message.  Callbacks run with c->depth raised, so that the input
 * buffer they hold views into is not moved under them.
 *
 * Calls: libcohort_io.c below it and common/wire.c.  Called by
 * libcohort.c and libcohort_msg.c above it, and by libcohort_io.c only
 * through c->frame_cb.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "cohort.h"
#include "common/wire.h"
#include "libcohort_io.h"
#include "libcohort_deliver.h"

/* Something received that waits for delivery. */
enum item_kind {
	ITEM_MSG,		/* for the message callback or next_msg */
	ITEM_REPLY,		/* the answer to an asynchronous request */
	ITEM_ERROR,		/* an asynchronous failure */
};

struct item {
	struct item		*next;
	enum item_kind		 kind;
	int			 status;
	cohort_reply_cb		 cb;
	void			*arg;
	struct cohort_msg	*msg;	/* ITEM_MSG, ITEM_REPLY (may be NULL) */
	char			 text[256];
};

struct evq {
	struct cohort_event	 ev;
	struct evq		*next;
};

/* An asynchronous request in flight. */
struct areq {
	UT_hash_handle		 hh;
	uint32_t		 req_id;
	cohort_reply_cb		 cb;
	void			*arg;
};

static int	deliver_frame(struct cohort *, const struct wire_hdr *,
		    const uint8_t *, struct cohort_wait *);

/* The handle */

void
lc_deliver_init(struct cohort *c)
{
	c->evq_tail = &c->evq_head;
	c->items_tail = &c->items_head;
	c->frame_cb = deliver_frame;
}

void
cohort_set_event_cb(struct cohort *c, cohort_event_cb cb, void *arg)
{
	c->event_cb = cb;
	c->event_arg = arg;
}

void
cohort_set_msg_cb(struct cohort *c, cohort_msg_cb cb, void *arg)
{
	c->msg_cb = cb;
	c->msg_arg = arg;
}

void
cohort_set_error_cb(struct cohort *c, cohort_error_cb cb, void *arg)
{
	c->error_cb = cb;
	c->error_arg = arg;
}

uint64_t
cohort_async_errors(const struct cohort *c)
{
	return (c->async_errors);
}

int
cohort_pending(const struct cohort *c)
{
	struct wire_hdr	hdr;

	if (c->evq_head != NULL || c->items_head != NULL)
		return (1);
	/* A whole frame waiting to be parsed; a partial one is not. */
	return (lc_in_framed(c, &hdr));
}

/* What this file allocates for the application, and frees */

/* A message copied into one allocation, to outlive the input buffer. */
static struct cohort_msg *
msg_copy(const struct wire_ctl_msg *w)
{
	struct cohort_msg	*m;
	size_t			 ol, sl;
	char			*p;

	ol = strlen(w->origin) + 1;
	sl = strlen(w->subject) + 1;
	if ((m = malloc(sizeof(*m) + ol + sl + w->body_len + 1)) == NULL)
		return (NULL);
	p = (char *)(m + 1);
	memcpy(p, w->origin, ol);
	m->origin = p;
	p += ol;
	memcpy(p, w->subject, sl);
	m->subject = p;
	p += sl;
	if (w->body_len > 0)
		memcpy(p, w->body, w->body_len);
	p[w->body_len] = '\0';	/* handy for text bodies; not counted */
	m->data = p;
	m->len = w->body_len;
	m->is_request = (w->flags & DATA_REQUEST) != 0;
	m->token = w->token;
	return (m);
}

void
cohort_msg_free(struct cohort_msg *m)
{
	free(m);
}

void
cohort_members_free(struct cohort_member *list)
{
	free(list);
}

void
cohort_stats_free(struct cohort_stat *list)
{
	free(list);
}

/* A message pointing into the input buffer, for a callback. */
static void
msg_view(struct cohort_msg *m, const struct wire_ctl_msg *w)
{
	m->origin = w->origin;
	m->subject = w->subject;
	m->data = w->body;
	m->len = w->body_len;
	m->is_request = (w->flags & DATA_REQUEST) != 0;
	m->token = w->token;
}

/* Queues */

static void
item_push(struct cohort *c, struct item *it)
{
	it->next = NULL;
	*c->items_tail = it;
	c->items_tail = &it->next;
}

static struct item *
item_pop(struct cohort *c)
{
	struct item	*it = c->items_head;

	if (it != NULL && (c->items_head = it->next) == NULL)
		c->items_tail = &c->items_head;
	return (it);
}

static struct evq *
event_pop(struct cohort *c)
{
	struct evq	*q = c->evq_head;

	if (q != NULL && (c->evq_head = q->next) == NULL)
		c->evq_tail = &c->evq_head;
	return (q);
}

static int
queue_event(struct cohort *c, const struct wire_ctl_event *e)
{
	struct evq	*q;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return (lc_fail(c, COHORT_ERR_NOMEM, "out of memory"));
	strlcpy(q->ev.node, e->node, sizeof(q->ev.node));
	q->ev.state = (enum cohort_state)e->state;
	q->ev.prev_state = (enum cohort_state)e->prev_state;
	q->ev.incarnation = e->incarnation;
	q->ev.time_ms = e->time_ms;
	*c->evq_tail = q;
	c->evq_tail = &q->next;
	return (COHORT_OK);
}

void
lc_deliver_free(struct cohort *c)
{
	struct evq	*q;
	struct item	*it;
	struct areq	*ar, *tmp;

	while ((q = event_pop(c)) != NULL)
		free(q);
	while ((it = item_pop(c)) != NULL) {
		free(it->msg);
		free(it);
	}
	HASH_ITER(hh, c->areqs, ar, tmp) {
		HASH_DEL(c->areqs, ar);
		free(ar);
	}
}

/* Asynchronous requests and failures */

int
lc_reply_expect(struct cohort *c, uint32_t req_id, cohort_reply_cb cb,
    void *arg)
{
	struct areq	*ar;

	if ((ar = calloc(1, sizeof(*ar))) == NULL)
		return (lc_fail(c, COHORT_ERR_NOMEM, "out of memory"));
	ar->req_id = req_id;
	ar->cb = cb;
	ar->arg = arg;
	HASH_ADD(hh, c->areqs, req_id, sizeof(ar->req_id), ar);
	return (COHORT_OK);
}

void
lc_reply_forget(struct cohort *c, uint32_t req_id)
{
	struct areq	*ar;

	HASH_FIND(hh, c->areqs, &req_id, sizeof(req_id), ar);
	if (ar != NULL) {
		HASH_DEL(c->areqs, ar);
		free(ar);
	}
}

/* The library status for a reason code from the daemon. */
static int
status_of_reason(uint32_t reason)
{
	switch (reason) {
	case REASON_NODE_UNKNOWN:
	case REASON_NODE_DOWN:
		return (COHORT_ERR_UNREACHABLE);
	case REASON_NO_RESPONDER:
		return (COHORT_ERR_NO_RESPONDER);
	case REASON_TIMEOUT:
		return (COHORT_ERR_TIMEOUT);
	case REASON_TOO_BIG:
		return (COHORT_ERR_TOO_BIG);
	}
	return (COHORT_ERR_REFUSED);
}

/* An asynchronous failure: the error callback now, or a queued item. */
static int
async_error(struct cohort *c, struct cohort_wait *w, int status,
    const char *text)
{
	struct item	*it;

	if (w == NULL && c->error_cb != NULL) {
		c->depth++;
		c->error_cb(c, status, text, c->error_arg);
		c->depth--;
		return (COHORT_OK);
	}
	if ((it = calloc(1, sizeof(*it))) == NULL)
		return (lc_fail(c, COHORT_ERR_NOMEM, "out of memory"));
	it->kind = ITEM_ERROR;
	it->status = status;
	strlcpy(it->text, text, sizeof(it->text));
	item_push(c, it);
	return (COHORT_OK);
}

/*
 * The answer to an asynchronous request: its callback now, or queued.
 * 1 if it was one, 0 if no request waits for req_id, -1 out of memory.
 */
static int
async_reply(struct cohort *c, struct cohort_wait *w, uint32_t req_id,
    int status, const struct wire_ctl_msg *wm, const char *text)
{
	struct areq		*ar;
	struct item		*it;
	struct cohort_msg	 view;

	HASH_FIND(hh, c->areqs, &req_id, sizeof(req_id), ar);
	if (ar == NULL)
		return (0);
	HASH_DEL(c->areqs, ar);
	if (w == NULL) {
		if (wm != NULL)
			msg_view(&view, wm);
		else
			lc_fail(c, status, "%s", text);
		c->depth++;
		ar->cb(c, status, wm ? &view : NULL, ar->arg);
		c->depth--;
		free(ar);
		return (1);
	}
	if ((it = calloc(1, sizeof(*it))) == NULL ||
	    (wm != NULL && (it->msg = msg_copy(wm)) == NULL)) {
		free(it);
		free(ar);
		lc_fail(c, COHORT_ERR_NOMEM, "out of memory");
		return (-1);
	}
	it->kind = ITEM_REPLY;
	it->status = status;
	it->cb = ar->cb;
	it->arg = ar->arg;
	if (text != NULL)
		strlcpy(it->text, text, sizeof(it->text));
	item_push(c, it);
	free(ar);
	return (1);
}

/* Frames */

/* Whether w waits for the answer of type type to request req_id. */
static int
awaits(const struct cohort_wait *w, uint32_t req_id, uint32_t type)
{
	return (w != NULL && w->req_id == req_id && w->type == type);
}

/* w is answered: the blocking call returns status. */
static int
answered(struct cohort_wait *w, int status)
{
	w->done = 1;
	w->status = status;
	return (COHORT_OK);
}

static void
member_from_wire(struct cohort_member *m, const struct wire_member *w)
{
	memset(m, 0, sizeof(*m));
	strlcpy(m->id, w->id, sizeof(m->id));
	strlcpy(m->address, w->address, sizeof(m->address));
	m->port = w->port;
	m->state = (enum cohort_state)w->state;
	m->rtt_us = w->rtt_us;
	m->incarnation = w->incarnation;
	m->since_ms = w->since_ms;
}

static int
read_members(struct cohort *c, const uint8_t *buf, size_t len,
    struct cohort_wait *w)
{
	struct wire_reader	r;
	struct wire_member	m;
	uint32_t		req_id, count, i;

	if (wire_members_begin(buf, len, &r, &req_id, &count) != WIRE_OK)
		return (lc_fail(c, COHORT_ERR_PROTO, "malformed member "
		    "list from cohortd"));
	if (!awaits(w, req_id, WT_CTL_MEMBERS))
		return (lc_fail(c, COHORT_ERR_PROTO, "unexpected member "
		    "list from cohortd"));
	if ((w->members = calloc(count ? count : 1,
	    sizeof(*w->members))) == NULL)
		return (lc_fail(c, COHORT_ERR_NOMEM, "out of memory"));
	for (i = 0; i < count; i++) {
		if (wire_members_next(&r, &m) != WIRE_OK)
			break;
		member_from_wire(&w->members[i], &m);
	}
	if (i < count || wire_members_end(&r) != WIRE_OK)
		return (lc_fail(c, COHORT_ERR_PROTO, "malformed member "
		    "list from cohortd"));
	w->n_members = count;
	return (answered(w, COHORT_OK));
}

static int
read_stats(struct cohort *c, const uint8_t *buf, size_t len,
    struct cohort_wait *w)
{
	struct wire_reader	 r;
	struct cohort_stat	*tmp;
	char			 kind[WIRE_ID_MAX + 1], name[WIRE_ID_MAX + 1];
	uint32_t		 req_id, nsec, nkv, i, k;
	size_t			 cap = 64;

	if (wire_stats_begin(buf, len, &r, &req_id, &nsec) != WIRE_OK)
		return (lc_fail(c, COHORT_ERR_PROTO, "malformed "
		    "statistics from cohortd"));
	if (!awaits(w, req_id, WT_CTL_STATS))
		return (lc_fail(c, COHORT_ERR_PROTO, "unexpected "
		    "statistics from cohortd"));
	if ((w->stats = calloc(cap, sizeof(*w->stats))) == NULL)
		return (lc_fail(c, COHORT_ERR_NOMEM, "out of memory"));
	for (i = 0; i < nsec && !r.bad; i++) {
		if (wire_stats_next_section(&r, kind, name, &nkv) != WIRE_OK)
			break;
		for (k = 0; k < nkv && !r.bad; k++) {
			if (w->n_stats == cap) {
				if ((tmp = reallocarray(w->stats, cap * 2,
				    sizeof(*tmp))) == NULL)
					return (lc_fail(c,
					    COHORT_ERR_NOMEM, "out of memory"));
				w->stats = tmp;
				cap *= 2;
			}
			tmp = &w->stats[w->n_stats];
			strlcpy(tmp->section, kind, sizeof(tmp->section));
			strlcpy(tmp->name, name, sizeof(tmp->name));
			if (wire_stats_next(&r, tmp->key, &tmp->value) ==
			    WIRE_OK)
				w->n_stats++;
		}
	}
	if (r.bad || wire_stats_end(&r) != WIRE_OK)
		return (lc_fail(c, COHORT_ERR_PROTO, "malformed "
		    "statistics from cohortd"));
	return (answered(w, COHORT_OK));
}

/* CTL_PUB_RESULT: the answer to a send, or a failed publish. */
static int
read_result(struct cohort *c, const uint8_t *buf, size_t len,
    struct cohort_wait *w)
{
	struct wire_reader	 r;
	struct wire_unreached	 u;
	struct cohort_unreached	*v = NULL;
	uint32_t		 req_id, sent, n, i;
	char			 text[256];
	int			 mine, rv = COHORT_OK;

	if (wire_result_begin(buf, len, &r, &req_id, &sent, &n) != WIRE_OK)
		return (lc_fail(c, COHORT_ERR_PROTO, "malformed send "
		    "result from cohortd"));
	mine = awaits(w, req_id, WT_CTL_PUB_RESULT);
	if (mine && n > 0 && (v = calloc(n, sizeof(*v))) == NULL)
		return (lc_fail(c, COHORT_ERR_NOMEM, "out of memory"));
	for (i = 0; i < n && rv == COHORT_OK; i++) {
		if (wire_result_next(&r, &u) != WIRE_OK)
			break;
		snprintf(text, sizeof(text), "%s: %s", u.node,
		    wire_reason_name(u.reason));
		if (mine) {
			strlcpy(v[i].node, u.node, sizeof(v[i].node));
			v[i].status = status_of_reason(u.reason);
			v[i].reason = wire_reason_name(u.reason);
			lc_fail(c, COHORT_ERR_UNREACHABLE, "%s", text);
		} else
			rv = async_error(c, w, COHORT_ERR_UNREACHABLE, text);
	}
	if (i < n || wire_result_end(&r) != WIRE_OK) {
		free(v);
		return (lc_fail(c, COHORT_ERR_PROTO, "malformed send "
		    "result from cohortd"));
	}
	if (mine) {
		w->unreached = v;
		w->n_unreached = n;
		(void)answered(w, n > 0 ? COHORT_ERR_UNREACHABLE : COHORT_OK);
	}
	return (rv);
}

static int
read_error(struct cohort *c, const uint8_t *buf, size_t len,
    struct cohort_wait *w)
{
	struct wire_ctl_error	e;
	int			status;

	if (wire_decode_ctl_error(buf, len, &e) != WIRE_OK)
		return (lc_fail(c, COHORT_ERR_PROTO, "malformed error "
		    "frame from cohortd"));
	status = status_of_reason(e.code);
	if (e.req_id == 0) {
		/* About the connection itself: the daemon closes it. */
		c->closed = 1;
		return (lc_fail(c, COHORT_ERR_REFUSED, "cohortd: %s",
		    e.text));
	}
	/* Whatever w waits for: the request failed. */
	if (w != NULL && e.req_id == w->req_id) {
		lc_fail(c, status, "%s", e.text);
		return (answered(w, status));
	}
	switch (async_reply(c, w, e.req_id, status, NULL, e.text)) {
	case 1:
		return (COHORT_OK);
	case -1:
		return (COHORT_ERR_NOMEM);
	}
	return (async_error(c, w, status, e.text));
}

static int
read_msg(struct cohort *c, const uint8_t *buf, size_t len,
    struct cohort_wait *w)
{
	struct wire_ctl_msg	 wm;
	struct cohort_msg	 view;
	struct item		*it;

	if (wire_decode_ctl_msg(buf, len, &wm) != WIRE_OK)
		return (lc_fail(c, COHORT_ERR_PROTO, "malformed message "
		    "from cohortd"));
	if (wm.flags & DATA_REPLY) {
		if (awaits(w, wm.req_id, WT_CTL_MSG)) {
			if ((w->reply = msg_copy(&wm)) == NULL)
				return (lc_fail(c, COHORT_ERR_NOMEM,
				    "out of memory"));
			return (answered(w, COHORT_OK));
		}
		if (async_reply(c, w, wm.req_id, COHORT_OK, &wm, NULL) == -1)
			return (COHORT_ERR_NOMEM);
		return (COHORT_OK);	/* a reply nobody waits for: late */
	}
	/* Straight to the callback when nothing is queued before it. */
	if (w == NULL && c->msg_cb != NULL && c->items_head == NULL) {
		msg_view(&view, &wm);
		c->depth++;
		c->msg_cb(c, &view, c->msg_arg);
		c->depth--;
		return (COHORT_OK);
	}
	if ((it = calloc(1, sizeof(*it))) == NULL ||
	    (it->msg = msg_copy(&wm)) == NULL) {
		free(it);
		return (lc_fail(c, COHORT_ERR_NOMEM, "out of memory"));
	}
	it->kind = ITEM_MSG;
	item_push(c, it);
	return (COHORT_OK);
}

/* c->frame_cb: one frame from the daemon, cut out by libcohort_io.c. */
static int
deliver_frame(struct cohort *c, const struct wire_hdr *hdr,
    const uint8_t *buf, struct cohort_wait *w)
{
	struct wire_ctl_event	ev;
	struct wire_ctl_req	r;

	switch (hdr->type) {
	case WT_CTL_MSG:
		return (read_msg(c, buf, hdr->len, w));
	case WT_CTL_EVENT:
		if (wire_decode_ctl_event(buf, hdr->len, &ev) != WIRE_OK)
			return (lc_fail(c, COHORT_ERR_PROTO, "malformed "
			    "event from cohortd"));
		return (queue_event(c, &ev));
	case WT_CTL_ERROR:
		return (read_error(c, buf, hdr->len, w));
	case WT_CTL_PUB_RESULT:
		return (read_result(c, buf, hdr->len, w));
	case WT_CTL_MEMBERS:
		return (read_members(c, buf, hdr->len, w));
	case WT_CTL_STATS:
		return (read_stats(c, buf, hdr->len, w));
	case WT_CTL_OK:
		if (wire_decode_ctl_req(buf, hdr->len, hdr->type, &r) !=
		    WIRE_OK)
			return (lc_fail(c, COHORT_ERR_PROTO, "malformed "
			    "answer from cohortd"));
		if (awaits(w, r.req_id, WT_CTL_OK))
			return (answered(w, COHORT_OK));
		return (COHORT_OK);
	}
	return (lc_fail(c, COHORT_ERR_PROTO, "unexpected %s frame from "
	    "cohortd", wire_type_name(hdr->type)));
}

/* Delivery */

/* Run the callbacks for queued items; MSG items stay without msg_cb. */
static int
deliver_items(struct cohort *c)
{
	struct item	**pp = &c->items_head, *it;
	int		  n = 0;

	while ((it = *pp) != NULL) {
		if (it->kind == ITEM_MSG && c->msg_cb == NULL) {
			pp = &it->next;
			continue;
		}
		if ((*pp = it->next) == NULL)
			c->items_tail = pp;
		c->depth++;
		switch (it->kind) {
		case ITEM_MSG:
			c->msg_cb(c, it->msg, c->msg_arg);
			break;
		case ITEM_REPLY:
			if (it->msg == NULL)
				lc_fail(c, it->status, "%s", it->text);
			it->cb(c, it->status, it->msg, it->arg);
			break;
		case ITEM_ERROR:
			if (c->error_cb != NULL)
				c->error_cb(c, it->status, it->text,
				    c->error_arg);
			else {
				c->async_errors++;
				lc_fail(c, it->status, "%s", it->text);
			}
			break;
		}
		c->depth--;
		free(it->msg);
		free(it);
		n++;
	}
	return (n);
}

static int
deliver_events(struct cohort *c)
{
	struct evq	*q;
	int		 n = 0;

	while (c->event_cb != NULL && (q = event_pop(c)) != NULL) {
		c->depth++;
		c->event_cb(c, &q->ev, c->event_arg);
		c->depth--;
		free(q);
		n++;
	}
	return (n);
}

int
cohort_dispatch(struct cohort *c)
{
	int	rv, n;

	if (c->depth > 0)
		return (lc_fail(c, COHORT_ERR_INVAL, "cohort_dispatch "
		    "from inside a callback"));
	if ((rv = lc_out_write(c)) != COHORT_OK)
		return (rv);
	n = deliver_items(c) + deliver_events(c);
	while ((rv = lc_in_fill(c)) > 0)
		if ((rv = lc_parse(c, NULL)) != COHORT_OK)
			return (rv);
	if (rv < 0 && c->in_len == c->in_off)
		return (rv);
	if ((rv = lc_parse(c, NULL)) != COHORT_OK)
		return (rv);
	n += deliver_items(c) + deliver_events(c);
	/* Closed with a partial frame left: that frame never completes. */
	if (n == 0 && c->closed && !cohort_pending(c))
		return (lc_closed(c));
	return (n);
}

/*
 * Nothing to hand out yet: wait for the daemon.  A negative status when
 * it closed the connection, on an error, or at the deadline (no what in
 * time); else 0, to look again.
 */
static int
wait_more(struct cohort *c, int64_t deadline, const char *what)
{
	int	rv;

	if (c->closed)
		return (lc_closed(c));
	if ((rv = lc_wait_input(c, deadline)) < 0)
		return (rv);
	if (rv == 0 && lc_remaining(deadline) == 0)
		return (lc_fail(c, COHORT_ERR_TIMEOUT, "no %s in time", what));
	return (0);
}

int
cohort_next_event(struct cohort *c, struct cohort_event *ev, int timeout_ms)
{
	struct evq	*q;
	int64_t		 deadline = lc_deadline_of(timeout_ms);
	int		 rv;

	if ((rv = lc_may_block(c)) != COHORT_OK)
		return (rv);
	for (;;) {
		(void)deliver_items(c);
		if ((q = event_pop(c)) != NULL) {
			*ev = q->ev;
			free(q);
			return (COHORT_OK);
		}
		if ((rv = wait_more(c, deadline, "event")) < 0)
			return (rv);
	}
}

int
cohort_next_msg(struct cohort *c, struct cohort_msg **m, int timeout_ms)
{
	struct item	*it;
	int64_t		 deadline = lc_deadline_of(timeout_ms);
	int		 rv;

	*m = NULL;
	if ((rv = lc_may_block(c)) != COHORT_OK)
		return (rv);
	if (c->msg_cb != NULL)
		return (lc_fail(c, COHORT_ERR_INVAL, "messages go to the "
		    "message callback; cohort_next_msg() has none to give"));
	for (;;) {
		(void)deliver_items(c);
		(void)deliver_events(c);
		/* Only MSG items are left after deliver_items. */
		if ((it = item_pop(c)) != NULL) {
			*m = it->msg;
			free(it);
			return (COHORT_OK);
		}
		if ((rv = wait_more(c, deadline, "message")) < 0)
			return (rv);
	}
}
