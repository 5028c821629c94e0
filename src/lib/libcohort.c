/*
 * libcohort.c: the client side of the local socket protocol.
 *
 * The socket is non-blocking.  Output is buffered in the handle and
 * written in batches: a publish costs a memcpy, not a system call.
 * Blocking calls flush, send their request and poll() against a deadline
 * for the answer with the same request id; whatever else arrives
 * meanwhile (messages, events, answers to asynchronous requests) is
 * queued and delivered later, never dropped and never delivered from
 * inside another call.
 *
 * Callbacks run from cohort_dispatch() and cohort_next_*().  They may
 * publish, reply and make asynchronous requests, which only append to the
 * output buffer; a blocking call from inside a callback is refused, since
 * the message it was handed points into the input buffer that the call
 * would have to reuse.
 *
 * This file holds the handle, its buffers, the frames from the daemon and
 * the waiting; libcohort_msg.c the calls that send, libcohort_deliver.c
 * the hand-over of what arrived.  They share libcohort_int.h.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uthash.h>

#include "cohort.h"
#include "common/wire.h"
#include "libcohort_int.h"

#define INBUF_MIN	(256 * 1024)

int
lc_fail(struct cohort *c, int status, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return (status);
}

const char *
cohort_strerror(int status)
{
	switch (status) {
	case COHORT_OK:			return ("success");
	case COHORT_ERR_SYS:		return ("system error");
	case COHORT_ERR_CONNECT:	return ("cannot connect to cohortd");
	case COHORT_ERR_PROTO:		return ("protocol error");
	case COHORT_ERR_CLOSED:		return ("connection closed by cohortd");
	case COHORT_ERR_TIMEOUT:	return ("timed out");
	case COHORT_ERR_REFUSED:	return ("refused by cohortd");
	case COHORT_ERR_INVAL:		return ("invalid argument");
	case COHORT_ERR_NOMEM:		return ("out of memory");
	case COHORT_ERR_UNREACHABLE:	return ("node unknown or down");
	case COHORT_ERR_NO_RESPONDER:	return ("no responder");
	case COHORT_ERR_TOO_BIG:	return ("message too big");
	}
	return ("unknown error");
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

const char *
cohort_state_name(enum cohort_state st)
{
	return (member_state_name((unsigned int)st));
}

const char *
cohort_errmsg(const struct cohort *c)
{
	if (c == NULL)
		return ("out of memory");
	return (c->err[0] ? c->err : "no error");
}

const char *
cohort_node_id(const struct cohort *c)
{
	return (c->node_id);
}

const char *
cohort_cluster(const struct cohort *c)
{
	return (c->cluster);
}

uint64_t
cohort_incarnation(const struct cohort *c)
{
	return (c->incarnation);
}

size_t
cohort_max_message(const struct cohort *c)
{
	return (c->max_message);
}

uint64_t
cohort_async_errors(const struct cohort *c)
{
	return (c->async_errors);
}

int
cohort_fd(const struct cohort *c)
{
	return (c->fd);
}

int
cohort_pending(const struct cohort *c)
{
	struct wire_hdr	hdr;

	if (c->evq_head != NULL || c->items_head != NULL)
		return (1);
	/* A whole frame waiting to be parsed; a partial one is not. */
	return (wire_check_header(c->in + c->in_off, c->in_len - c->in_off,
	    WIRE_FRAME_CEILING, WIRE_LOCAL, &hdr) == WIRE_OK &&
	    c->in_len - c->in_off >= hdr.len);
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

static int64_t
mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* Milliseconds left before deadline; -1 = forever. */
int
lc_remaining(int64_t deadline)
{
	int64_t	left;

	if (deadline < 0)
		return (-1);
	left = deadline - mono_ms();
	return (left < 0 ? 0 : (int)left);
}

int64_t
lc_deadline_of(int timeout_ms)
{
	return (timeout_ms < 0 ? -1 : mono_ms() + timeout_ms);
}

static int
fd_nonblock(int fd)
{
	int	fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1)
		return (-1);
	return (fcntl(fd, F_SETFL, fl | O_NONBLOCK));
}

/* Output */

int
lc_out_reserve(struct cohort *c, size_t n)
{
	uint8_t	*p;
	size_t	 cap;

	if (c->out_cap - c->out_len >= n)
		return (COHORT_OK);
	/* Reclaim what was written before growing: one move, not one per send. */
	if (c->out_off > 0) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_retry -= c->out_retry > c->out_off ? c->out_off :
		    c->out_retry;
		c->out_off = 0;
		if (c->out_cap - c->out_len >= n)
			return (COHORT_OK);
	}
	cap = c->out_cap ? c->out_cap : 65536;
	while (cap - c->out_len < n)
		cap *= 2;
	if ((p = realloc(c->out, cap)) == NULL)
		return (lc_fail(c, COHORT_ERR_NOMEM, "out of memory for "
		    "%zu bytes of output", cap));
	c->out = p;
	c->out_cap = cap;
	return (COHORT_OK);
}

/*
 * Write what the socket takes now; COHORT_OK even if some is left.  When
 * the socket is full, the next try waits until another OUT_BATCH is
 * queued (out_retry), rather than a system call per publish.
 */
int
lc_out_write(struct cohort *c)
{
	ssize_t	n;

	while (c->out_off < c->out_len) {
		n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
		    MSG_NOSIGNAL);
		if (n > 0) {
			c->out_off += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			c->out_retry = c->out_len + OUT_BATCH;
			return (COHORT_OK);
		}
		c->closed = 1;
		return (lc_fail(c, COHORT_ERR_CLOSED, "write to cohortd: "
		    "%s", strerror(errno)));
	}
	c->out_off = c->out_len = c->out_retry = 0;
	return (COHORT_OK);
}

size_t
lc_out_pending(const struct cohort *c)
{
	return (c->out_len - c->out_off);
}

/*
 * Write until at most keep bytes are left, waiting until the deadline.
 * Meanwhile whatever the daemon sends is read into the input buffer
 * (parsed later): both ends blocked on writing would be a deadlock.
 */
int
lc_out_drain(struct cohort *c, size_t keep, int64_t deadline)
{
	struct pollfd	pfd;
	int		rv;

	for (;;) {
		if ((rv = lc_out_write(c)) != COHORT_OK)
			return (rv);
		if (lc_out_pending(c) <= keep)
			return (COHORT_OK);
		pfd.fd = c->fd;
		pfd.events = POLLOUT | POLLIN;
		rv = poll(&pfd, 1, lc_remaining(deadline));
		if (rv == 0)
			return (lc_fail(c, COHORT_ERR_TIMEOUT, "cohortd "
			    "does not read its socket (%zu bytes waiting)",
			    lc_out_pending(c)));
		if (rv == -1 && errno != EINTR)
			return (lc_fail(c, COHORT_ERR_SYS, "poll: %s",
			    strerror(errno)));
		if (rv > 0 && (pfd.revents & POLLIN) &&
		    (rv = lc_in_fill(c)) < 0)
			return (rv);
	}
}

int
cohort_flush(struct cohort *c, int timeout_ms)
{
	return (lc_out_drain(c, 0, lc_deadline_of(timeout_ms)));
}

/* Input */

/* Read what the socket has now; > 0 bytes read, 0 none, < 0 error. */
int
lc_in_fill(struct cohort *c)
{
	ssize_t	 n;
	size_t	 ncap;
	uint8_t	*p;

	/* Compact only outside callbacks: they hold views into the buffer. */
	if (c->depth == 0 && c->in_off > 0) {
		memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
		c->in_len -= c->in_off;
		c->in_off = 0;
	}
	if (c->in_cap - c->in_len < INBUF_MIN / 4) {
		if (c->depth > 0)
			return (0);	/* cannot move the buffer now */
		ncap = c->in_cap ? c->in_cap * 2 : INBUF_MIN;
		if ((p = realloc(c->in, ncap)) == NULL)
			return (lc_fail(c, COHORT_ERR_NOMEM, "out of "
			    "memory for %zu bytes of input", ncap));
		c->in = p;
		c->in_cap = ncap;
	}
	n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
	if (n > 0) {
		c->in_len += (size_t)n;
		return ((int)n);
	}
	if (n == 0) {
		c->closed = 1;
		return (lc_fail(c, COHORT_ERR_CLOSED, "cohortd closed the "
		    "connection"));
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return (0);
	c->closed = 1;
	return (lc_fail(c, COHORT_ERR_CLOSED, "read from cohortd: %s",
	    strerror(errno)));
}

/* Queues */

static void
item_push(struct cohort *c, struct item *it)
{
	it->next = NULL;
	*c->items_tail = it;
	c->items_tail = &it->next;
}

struct item *
lc_item_pop(struct cohort *c)
{
	struct item	*it = c->items_head;

	if (it != NULL && (c->items_head = it->next) == NULL)
		c->items_tail = &c->items_head;
	return (it);
}

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

/* The answer to an asynchronous request: its callback now, or queued. */
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
	if (w == NULL || req_id != w->req_id || w->type != WT_CTL_MEMBERS)
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
	w->done = 1;
	w->status = COHORT_OK;
	return (COHORT_OK);
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
	if (w == NULL || req_id != w->req_id || w->type != WT_CTL_STATS)
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
	w->done = 1;
	w->status = COHORT_OK;
	return (COHORT_OK);
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
	mine = w != NULL && w->req_id == req_id &&
	    w->type == WT_CTL_PUB_RESULT;
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
		w->done = 1;
		w->status = n > 0 ? COHORT_ERR_UNREACHABLE : COHORT_OK;
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
	if (w != NULL && e.req_id == w->req_id) {
		lc_fail(c, status, "%s", e.text);
		w->done = 1;
		w->status = status;
		return (COHORT_OK);
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
		if (w != NULL && w->type == WT_CTL_MSG &&
		    wm.req_id == w->req_id) {
			if ((w->reply = msg_copy(&wm)) == NULL)
				return (lc_fail(c, COHORT_ERR_NOMEM,
				    "out of memory"));
			w->done = 1;
			w->status = COHORT_OK;
			return (COHORT_OK);
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

static int
read_frame(struct cohort *c, const struct wire_hdr *hdr, const uint8_t *buf,
    struct cohort_wait *w)
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
		if (w != NULL && r.req_id == w->req_id &&
		    w->type == WT_CTL_OK) {
			w->done = 1;
			w->status = COHORT_OK;
		}
		return (COHORT_OK);
	}
	return (lc_fail(c, COHORT_ERR_PROTO, "unexpected %s frame from "
	    "cohortd", wire_type_name(hdr->type)));
}

/* Handle every complete frame received, or until w is answered. */
int
lc_parse(struct cohort *c, struct cohort_wait *w)
{
	struct wire_hdr		hdr;
	enum wire_status	st;
	const uint8_t		*frame;
	int			rv = COHORT_OK;

	while (rv == COHORT_OK && (w == NULL || !w->done)) {
		st = wire_check_header(c->in + c->in_off,
		    c->in_len - c->in_off, WIRE_FRAME_CEILING, WIRE_LOCAL,
		    &hdr);
		if (st == WIRE_SHORT || (st == WIRE_OK &&
		    c->in_len - c->in_off < hdr.len))
			break;
		if (st != WIRE_OK) {
			c->closed = 1;
			return (lc_fail(c, COHORT_ERR_PROTO, "from "
			    "cohortd: %s", wire_status_name(st)));
		}
		frame = c->in + c->in_off;
		/* Advance first: a callback below may parse further. */
		c->in_off += hdr.len;
		rv = read_frame(c, &hdr, frame, w);
	}
	return (rv);
}

/* Waiting */

/* Blocking calls may not run inside callbacks: see the top of the file. */
int
lc_may_block(struct cohort *c)
{
	if (c->depth > 0)
		return (lc_fail(c, COHORT_ERR_INVAL, "blocking call from "
		    "inside a callback: use cohort_publish(), cohort_reply() "
		    "or cohort_request_async()"));
	if (c->closed)
		return (lc_fail(c, COHORT_ERR_CLOSED, "cohortd closed the "
		    "connection"));
	return (COHORT_OK);
}

/* Block until w is answered, or the deadline passes. */
int
lc_wait_for(struct cohort *c, struct cohort_wait *w, int64_t deadline)
{
	struct pollfd	pfd;
	int		rv;

	for (;;) {
		if ((rv = lc_parse(c, w)) != COHORT_OK)
			return (rv);
		if (w->done)
			return (w->status);
		if (c->closed)
			return (lc_fail(c, COHORT_ERR_CLOSED, "cohortd "
			    "closed the connection"));
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		rv = poll(&pfd, 1, lc_remaining(deadline));
		if (rv == 0)
			return (lc_fail(c, COHORT_ERR_TIMEOUT, "no answer "
			    "from cohortd in time"));
		if (rv == -1) {
			if (errno == EINTR)
				continue;
			return (lc_fail(c, COHORT_ERR_SYS, "poll: %s",
			    strerror(errno)));
		}
		if ((rv = lc_in_fill(c)) < 0)
			return (rv);
	}
}

/* Wait for input once; 0 on timeout. */
int
lc_wait_input(struct cohort *c, int64_t deadline)
{
	struct pollfd	pfd;
	int		rv;

	if ((rv = lc_out_write(c)) != COHORT_OK)
		return (rv);
	pfd.fd = c->fd;
	pfd.events = POLLIN | (lc_out_pending(c) > 0 ? POLLOUT : 0);
	rv = poll(&pfd, 1, lc_remaining(deadline));
	if (rv == -1 && errno != EINTR)
		return (lc_fail(c, COHORT_ERR_SYS, "poll: %s",
		    strerror(errno)));
	if (rv <= 0)
		return (0);
	if ((rv = lc_in_fill(c)) < 0 && c->in_len == c->in_off)
		return (rv);
	if ((rv = lc_parse(c, NULL)) != COHORT_OK)
		return (rv);
	return (1);
}

/* Connecting */

static int
cohort_handshake(struct cohort *c, int64_t deadline)
{
	struct wire_ctl_hello	 h;
	struct wire_ctl_welcome	 wel;
	struct wire_hdr		 hdr;
	struct pollfd		 pfd;
	uint8_t			 buf[WIRE_HDR_LEN + 16 + WIRE_ID_MAX];
	int			 rv;

	memset(&h, 0, sizeof(h));
	h.version = CTL_VERSION;
	h.min_version = CTL_MIN_VERSION;
	h.pid = (uint32_t)getpid();
	strlcpy(h.name, getprogname() ? getprogname() : "libcohort",
	    sizeof(h.name));
	if ((rv = lc_out_reserve(c, sizeof(buf))) != COHORT_OK)
		return (rv);
	c->out_len += wire_encode_ctl_hello(c->out, c->out_cap, &h);
	if ((rv = lc_out_drain(c, 0, deadline)) != COHORT_OK) {
		/*
		 * A daemon that refuses us (limits, allow-lists) says why
		 * and hangs up, maybe before reading our HELLO: the reason
		 * may be waiting to be read.
		 */
		while (lc_in_fill(c) > 0)
			;
		if (wire_check_header(c->in, c->in_len, WIRE_FRAME_CEILING,
		    WIRE_LOCAL, &hdr) == WIRE_OK && c->in_len >= hdr.len &&
		    hdr.type == WT_CTL_ERROR)
			return (lc_parse(c, NULL));
		return (rv);
	}
	for (;;) {
		if (wire_check_header(c->in, c->in_len, WIRE_FRAME_CEILING,
		    WIRE_LOCAL, &hdr) == WIRE_OK && c->in_len >= hdr.len)
			break;
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		rv = poll(&pfd, 1, lc_remaining(deadline));
		if (rv == 0)
			return (lc_fail(c, COHORT_ERR_TIMEOUT, "cohortd did "
			    "not answer the handshake in time"));
		if (rv == -1 && errno != EINTR)
			return (lc_fail(c, COHORT_ERR_SYS, "poll: %s",
			    strerror(errno)));
		if ((rv = lc_in_fill(c)) < 0)
			return (rv);
	}
	if (hdr.type == WT_CTL_ERROR)
		return (lc_parse(c, NULL));
	if (hdr.type != WT_CTL_WELCOME ||
	    wire_decode_ctl_welcome(c->in, hdr.len, &wel) != WIRE_OK)
		return (lc_fail(c, COHORT_ERR_PROTO, "bad handshake "
		    "answer from cohortd"));
	strlcpy(c->node_id, wel.node_id, sizeof(c->node_id));
	strlcpy(c->cluster, wel.cluster, sizeof(c->cluster));
	c->incarnation = wel.incarnation;
	c->max_message = wel.max_message;
	c->in_off = hdr.len;
	return (COHORT_OK);
}

int
cohort_open(struct cohort **cp, const char *path, int timeout_ms)
{
	struct sockaddr_un	 sun;
	struct cohort		*c;
	int64_t			 deadline = lc_deadline_of(timeout_ms);

	if ((*cp = c = calloc(1, sizeof(*c))) == NULL)
		return (COHORT_ERR_NOMEM);
	c->fd = -1;
	c->evq_tail = &c->evq_head;
	c->items_tail = &c->items_head;
	if (path == NULL)
		path = getenv("COHORT_SOCKET");
	if (path == NULL || *path == '\0')
		path = COHORT_DEFAULT_SOCKET;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		return (lc_fail(c, COHORT_ERR_INVAL, "socket path too "
		    "long: %s", path));
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (lc_fail(c, COHORT_ERR_SYS, "socket: %s",
		    strerror(errno)));
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		return (lc_fail(c, COHORT_ERR_CONNECT, "cannot connect to "
		    "cohortd at %s: %s%s", path, strerror(errno),
		    errno == ENOENT || errno == ECONNREFUSED ?
		    " (is cohortd running? set COHORT_SOCKET or -s)" :
		    errno == EACCES ? " (join the socket's group)" : ""));
	if (fd_nonblock(c->fd) == -1)
		return (lc_fail(c, COHORT_ERR_SYS, "fcntl: %s",
		    strerror(errno)));
	return (cohort_handshake(c, deadline));
}

void
cohort_close(struct cohort *c)
{
	struct evq	*q;
	struct item	*it;
	struct areq	*ar, *tmp;

	if (c == NULL)
		return;
	if (c->fd != -1) {
		/* Whatever was published goes out before we hang up. */
		if (!c->closed && lc_out_pending(c) > 0)
			(void)lc_out_drain(c, 0, lc_deadline_of(5000));
		close(c->fd);
	}
	while ((q = c->evq_head) != NULL) {
		c->evq_head = q->next;
		free(q);
	}
	while ((it = lc_item_pop(c)) != NULL) {
		free(it->msg);
		free(it);
	}
	HASH_ITER(hh, c->areqs, ar, tmp) {
		HASH_DEL(c->areqs, ar);
		free(ar);
	}
	free(c->in);
	free(c->out);
	free(c);
}
