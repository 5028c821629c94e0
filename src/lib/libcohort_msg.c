/*
 * libcohort_msg.c: the public calls that send to the daemon, in the top
 * layer of libcohort.  Publishes (sent in batches, failures reported
 * later), sends, multicasts and broadcasts that wait for CTL_PUB_RESULT,
 * requests (blocking or with a callback), replies, subscriptions, and the
 * control requests: members, statistics, watch, log level, reload.  Each
 * appends its frame to the handle's output buffer; the blocking ones then
 * wait in libcohort_io.c, and libcohort_deliver.c fills in their answer.
 * It owns the request ids (c->next_req).
 *
 * Calls: libcohort_io.c and libcohort_deliver.c below it, and
 * common/wire.c.  Called by no file of libcohort (libcohort.c is a
 * sibling that does not call it either).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cohort.h"
#include "common/wire.h"
#include "libcohort_io.h"
#include "libcohort_deliver.h"

/* Send the frame already appended to the output, and wait for w. */
static int
cohort_call(struct cohort *c, struct cohort_wait *w, int64_t deadline)
{
	int	rv;

	if ((rv = lc_out_drain(c, 0, deadline)) != COHORT_OK)
		return (rv);
	return (lc_wait_for(c, w, deadline));
}

/* Control requests */

/* A request that carries only its id: MEMBERS_REQ, STATS_REQ. */
static int
cohort_simple(struct cohort *c, uint32_t type, struct cohort_wait *w,
    int timeout_ms)
{
	struct wire_ctl_req	r;
	int			rv;

	if ((rv = lc_may_block(c)) != COHORT_OK ||
	    (rv = lc_out_reserve(c, WIRE_CTL_REQ_MAX)) != COHORT_OK)
		return (rv);
	w->req_id = r.req_id = ++c->next_req;
	if ((rv = lc_out_frame(c, wire_encode_ctl_req(c->out + c->out_len,
	    c->out_cap - c->out_len, type, &r))) != COHORT_OK)
		return (rv);
	return (cohort_call(c, w, lc_deadline_of(timeout_ms)));
}

/* A request answered by a list (members, stats): w holds it, or none. */
static int
list_call(struct cohort *c, uint32_t req, uint32_t answer,
    struct cohort_wait *w, int timeout_ms)
{
	int	rv;

	memset(w, 0, sizeof(*w));
	w->type = answer;
	if ((rv = cohort_simple(c, req, w, timeout_ms)) != COHORT_OK) {
		cohort_members_free(w->members);
		cohort_stats_free(w->stats);
		w->members = NULL;
		w->stats = NULL;
		w->n_members = w->n_stats = 0;
	}
	return (rv);
}

int
cohort_members(struct cohort *c, struct cohort_member **list, size_t *count,
    int timeout_ms)
{
	struct cohort_wait	w;
	int			rv;

	rv = list_call(c, WT_CTL_MEMBERS_REQ, WT_CTL_MEMBERS, &w, timeout_ms);
	*list = w.members;
	*count = w.n_members;
	return (rv);
}

int
cohort_stats(struct cohort *c, struct cohort_stat **list, size_t *count,
    int timeout_ms)
{
	struct cohort_wait	w;
	int			rv;

	rv = list_call(c, WT_CTL_STATS_REQ, WT_CTL_STATS, &w, timeout_ms);
	*list = w.stats;
	*count = w.n_stats;
	return (rv);
}

/* CTL_WATCH and CTL_LOG_LEVEL: an on/off switch, answered by CTL_OK. */
static int
cohort_switch(struct cohort *c, uint32_t type, int on, int timeout_ms)
{
	struct wire_ctl_watch	m;
	struct cohort_wait	w;
	int			rv;

	if ((rv = lc_may_block(c)) != COHORT_OK ||
	    (rv = lc_out_reserve(c, WIRE_CTL_WATCH_MAX)) != COHORT_OK)
		return (rv);
	memset(&w, 0, sizeof(w));
	w.type = WT_CTL_OK;
	w.req_id = m.req_id = ++c->next_req;
	m.on = on ? 1 : 0;
	if ((rv = lc_out_frame(c, wire_encode_ctl_switch(c->out + c->out_len,
	    c->out_cap - c->out_len, type, &m))) != COHORT_OK)
		return (rv);
	return (cohort_call(c, &w, lc_deadline_of(timeout_ms)));
}

int
cohort_watch(struct cohort *c, int on, int timeout_ms)
{
	return (cohort_switch(c, WT_CTL_WATCH, on, timeout_ms));
}

int
cohort_log_level(struct cohort *c, int debug, int timeout_ms)
{
	return (cohort_switch(c, WT_CTL_LOG_LEVEL, debug, timeout_ms));
}

int
cohort_reload(struct cohort *c, int timeout_ms)
{
	struct cohort_wait	w;

	memset(&w, 0, sizeof(w));
	w.type = WT_CTL_OK;
	return (cohort_simple(c, WT_CTL_RELOAD, &w, timeout_ms));
}

/* Subscriptions */

static int
cohort_sub_common(struct cohort *c, uint32_t type, const char *pattern,
    int timeout_ms)
{
	struct wire_ctl_sub	m;
	struct cohort_wait	w;
	size_t			n;
	int			rv;

	if ((rv = lc_may_block(c)) != COHORT_OK)
		return (rv);
	if (pattern == NULL || strlen(pattern) > WIRE_SUBJECT_MAX)
		return (lc_fail(c, COHORT_ERR_INVAL, "subscription "
		    "pattern missing or longer than %d bytes",
		    WIRE_SUBJECT_MAX));
	if ((rv = lc_out_reserve(c, WIRE_CTL_SUB_MAX)) != COHORT_OK)
		return (rv);
	memset(&w, 0, sizeof(w));
	w.type = WT_CTL_OK;
	w.req_id = m.req_id = ++c->next_req;
	strlcpy(m.pattern, pattern, sizeof(m.pattern));
	n = wire_encode_ctl_sub(c->out + c->out_len, c->out_cap - c->out_len,
	    type, &m);
	if ((rv = lc_out_frame(c, n)) != COHORT_OK)
		return (rv);
	return (cohort_call(c, &w, lc_deadline_of(timeout_ms)));
}

int
cohort_subscribe(struct cohort *c, const char *pattern, int timeout_ms)
{
	return (cohort_sub_common(c, WT_CTL_SUB, pattern, timeout_ms));
}

int
cohort_unsubscribe(struct cohort *c, const char *pattern, int timeout_ms)
{
	return (cohort_sub_common(c, WT_CTL_UNSUB, pattern, timeout_ms));
}

/* Messages */

/*
 * Append one CTL_PUB with request id req_id to the output buffer.  The
 * body is copied once, into the buffer the kernel reads.
 */
static int
pub_append(struct cohort *c, uint8_t mode, uint32_t flags,
    const char *const *targets, size_t ntargets, const char *subject,
    const void *data, size_t len, uint32_t timeout_ms, uint32_t req_id)
{
	struct wire_ctl_pub	m;
	size_t			i, need, hlen;
	int			rv;

	if (subject == NULL || strlen(subject) > WIRE_SUBJECT_MAX)
		return (lc_fail(c, COHORT_ERR_INVAL, "subject missing or "
		    "longer than %d bytes", WIRE_SUBJECT_MAX));
	if (ntargets > WIRE_TARGETS_MAX)
		return (lc_fail(c, COHORT_ERR_INVAL, "more than %d target "
		    "nodes", WIRE_TARGETS_MAX));
	if (len > 0 && data == NULL)
		return (lc_fail(c, COHORT_ERR_INVAL, "no data"));
	if (c->max_message > 0 && len > c->max_message)
		return (lc_fail(c, COHORT_ERR_TOO_BIG, "message of %zu "
		    "bytes is larger than limits.max_message_size (%zu)", len,
		    c->max_message));
	need = WIRE_CTL_PUB_HEAD_MAX(ntargets) + len;
	for (i = 0; i < ntargets; i++)
		if (targets[i] == NULL || strlen(targets[i]) > WIRE_ID_MAX)
			return (lc_fail(c, COHORT_ERR_INVAL, "node id "
			    "missing or longer than %d bytes", WIRE_ID_MAX));
	if ((rv = lc_out_reserve(c, need)) != COHORT_OK)
		return (rv);
	memset(&m, 0, sizeof(m));
	m.req_id = req_id;
	m.flags = flags;
	m.mode = mode;
	m.timeout_ms = timeout_ms;
	m.ntargets = (uint16_t)ntargets;
	strlcpy(m.subject, subject, sizeof(m.subject));
	hlen = wire_encode_ctl_pub_head(c->out + c->out_len,
	    c->out_cap - c->out_len, &m, targets, len);
	if (hlen == 0)
		return (lc_fail(c, COHORT_ERR_INVAL, "message does not "
		    "fit in a frame"));
	if (len > 0)
		memcpy(c->out + c->out_len + hlen, data, len);
	c->out_len += hlen + len;
	return (COHORT_OK);
}

/* A publish that waits for CTL_PUB_RESULT. */
static int
pub_call(struct cohort *c, uint8_t mode, uint32_t flags,
    const char *const *targets, size_t ntargets, const char *subject,
    const void *data, size_t len, struct cohort_unreached **unreached,
    size_t *n_unreached, int timeout_ms)
{
	struct cohort_wait	w;
	int			rv;

	if (unreached != NULL) {
		*unreached = NULL;
		*n_unreached = 0;
	}
	if ((rv = lc_may_block(c)) != COHORT_OK)
		return (rv);
	memset(&w, 0, sizeof(w));
	w.type = WT_CTL_PUB_RESULT;
	w.req_id = ++c->next_req;
	if ((rv = pub_append(c, mode, flags | PUB_ACK, targets, ntargets,
	    subject, data, len, 0, w.req_id)) != COHORT_OK)
		return (rv);
	rv = cohort_call(c, &w, lc_deadline_of(timeout_ms));
	if (unreached != NULL && w.n_unreached > 0) {
		*unreached = w.unreached;
		*n_unreached = w.n_unreached;
	} else
		free(w.unreached);
	return (rv);
}

int
cohort_send(struct cohort *c, const char *node, const char *subject,
    const void *data, size_t len, int timeout_ms)
{
	return (pub_call(c, PUB_UNICAST, 0, &node, 1, subject, data, len,
	    NULL, NULL, timeout_ms));
}

int
cohort_multicast(struct cohort *c, const char *const *nodes, size_t n,
    const char *subject, const void *data, size_t len,
    struct cohort_unreached **unreached, size_t *n_unreached, int timeout_ms)
{
	if (n == 0)
		return (lc_fail(c, COHORT_ERR_INVAL, "multicast to no "
		    "node"));
	return (pub_call(c, PUB_MULTICAST, 0, nodes, n, subject, data, len,
	    unreached, n_unreached, timeout_ms));
}

int
cohort_broadcast(struct cohort *c, int flags, const char *subject,
    const void *data, size_t len, struct cohort_unreached **unreached,
    size_t *n_unreached, int timeout_ms)
{
	return (pub_call(c, PUB_BROADCAST, (flags & COHORT_SELF) ? PUB_SELF :
	    0, NULL, 0, subject, data, len, unreached, n_unreached,
	    timeout_ms));
}

/* Fire and forget: queued, written in batches, failures to the callback. */
static int
pub_queue(struct cohort *c, uint8_t mode, uint32_t flags,
    const char *const *targets, size_t ntargets, const char *subject,
    const void *data, size_t len)
{
	int	rv;

	if (c->closed)
		return (lc_closed(c));
	/* Backpressure: wait while the daemon is not taking our output. */
	if ((rv = lc_out_throttle(c)) != COHORT_OK ||
	    (rv = pub_append(c, mode, flags, targets, ntargets, subject, data,
	    len, 0, ++c->next_req)) != COHORT_OK)
		return (rv);
	return (lc_out_batch(c));
}

int
cohort_publish(struct cohort *c, const char *node, const char *subject,
    const void *data, size_t len)
{
	return (pub_queue(c, PUB_UNICAST, 0, &node, 1, subject, data, len));
}

int
cohort_publish_all(struct cohort *c, int flags, const char *subject,
    const void *data, size_t len)
{
	return (pub_queue(c, PUB_BROADCAST, (flags & COHORT_SELF) ? PUB_SELF :
	    0, NULL, 0, subject, data, len));
}

int
cohort_request(struct cohort *c, const char *node, const char *subject,
    const void *data, size_t len, struct cohort_msg **reply, int timeout_ms)
{
	struct cohort_wait	w;
	int			rv;

	*reply = NULL;
	if ((rv = lc_may_block(c)) != COHORT_OK)
		return (rv);
	if (timeout_ms <= 0)
		return (lc_fail(c, COHORT_ERR_INVAL, "a request needs a "
		    "timeout"));
	memset(&w, 0, sizeof(w));
	w.type = WT_CTL_MSG;
	w.req_id = ++c->next_req;
	if ((rv = pub_append(c, PUB_UNICAST, PUB_REQUEST, &node, 1, subject,
	    data, len, (uint32_t)timeout_ms, w.req_id)) != COHORT_OK)
		return (rv);
	/* The daemon times the request; allow it a moment to say so. */
	rv = cohort_call(c, &w, lc_deadline_of(timeout_ms + 1000));
	*reply = w.reply;
	return (rv);
}

int
cohort_request_async(struct cohort *c, const char *node, const char *subject,
    const void *data, size_t len, int timeout_ms, cohort_reply_cb cb,
    void *arg)
{
	uint32_t	req_id;
	int		rv;

	if (cb == NULL || timeout_ms <= 0)
		return (lc_fail(c, COHORT_ERR_INVAL, "an asynchronous "
		    "request needs a callback and a timeout"));
	/* Expected first: once the frame is queued, nothing may fail. */
	req_id = ++c->next_req;
	if ((rv = lc_reply_expect(c, req_id, cb, arg)) != COHORT_OK)
		return (rv);
	if ((rv = pub_append(c, PUB_UNICAST, PUB_REQUEST, &node, 1, subject,
	    data, len, (uint32_t)timeout_ms, req_id)) != COHORT_OK) {
		lc_reply_forget(c, req_id);
		return (rv);
	}
	return (lc_out_batch(c));
}

int
cohort_reply(struct cohort *c, const struct cohort_msg *req, const void *data,
    size_t len)
{
	struct wire_ctl_reply	m;
	size_t			hlen;
	int			rv;

	if (req == NULL || !req->is_request)
		return (lc_fail(c, COHORT_ERR_INVAL, "not a request"));
	if (c->max_message > 0 && len > c->max_message)
		return (lc_fail(c, COHORT_ERR_TOO_BIG, "reply of %zu bytes "
		    "is larger than limits.max_message_size (%zu)", len,
		    c->max_message));
	if ((rv = lc_out_reserve(c, WIRE_CTL_REPLY_HEAD_MAX + len)) !=
	    COHORT_OK)
		return (rv);
	memset(&m, 0, sizeof(m));
	m.token = req->token;
	if ((hlen = wire_encode_ctl_reply_head(c->out + c->out_len,
	    c->out_cap - c->out_len, &m, len)) == 0)
		return (lc_fail(c, COHORT_ERR_INVAL, "reply does not fit in "
		    "a frame"));
	if (len > 0)
		memcpy(c->out + c->out_len + hlen, data, len);
	c->out_len += hlen + len;
	/* Replies are latency-bound: write now, whatever is buffered. */
	return (lc_out_write(c));
}
