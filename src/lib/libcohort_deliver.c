/*
 * libcohort_deliver.c: what was received, handed to the application.
 * cohort_dispatch() runs the callbacks for what is queued and what can be
 * read without blocking; cohort_next_event() and cohort_next_msg() wait
 * for one event or message.  Callbacks run with c->depth raised, so that
 * the input buffer they hold views into is not moved under them.
 */
#include <stdlib.h>

#include "cohort.h"
#include "libcohort_int.h"

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

	while (c->event_cb != NULL && (q = c->evq_head) != NULL) {
		if ((c->evq_head = q->next) == NULL)
			c->evq_tail = &c->evq_head;
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
		return (lc_fail(c, COHORT_ERR_CLOSED, "cohortd closed the "
		    "connection"));
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
		return (lc_fail(c, COHORT_ERR_CLOSED, "cohortd closed the "
		    "connection"));
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
		if ((q = c->evq_head) != NULL) {
			if ((c->evq_head = q->next) == NULL)
				c->evq_tail = &c->evq_head;
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
		if ((it = c->items_head) != NULL) {
			/* Only MSG items are left after deliver_items. */
			(void)lc_item_pop(c);
			*m = it->msg;
			free(it);
			return (COHORT_OK);
		}
		if ((rv = wait_more(c, deadline, "message")) < 0)
			return (rv);
	}
}
