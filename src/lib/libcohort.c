/*
 * libcohort.c: the client side of the local socket protocol; this file
 * holds the public calls that open and close a handle and those that
 * read what it knows (errors, the node, the cluster, the socket).
 *
 * The library in three layers, calls going down only:
 *	libcohort.c, libcohort_msg.c	the public calls (siblings: opening,
 *					closing and reading the handle here,
 *					sending and control requests there)
 *	libcohort_deliver.c		frames received, handed over: the
 *					answers, queues, callbacks,
 *					cohort_dispatch(), cohort_next_*()
 *	libcohort_io.c			socket, buffers, frames, handshake,
 *					waiting
 * libcohort_io.c tells the layer above of a frame only through
 * c->frame_cb, which libcohort_deliver.c registers at cohort_open().
 *
 * Blocking calls flush, send their request and poll() against a deadline
 * for the answer with the same request id; whatever else arrives
 * meanwhile is queued and delivered later.  Callbacks run from
 * cohort_dispatch() and cohort_next_*().  They may publish, reply and
 * make asynchronous requests, which only append to the output buffer; a
 * blocking call from inside a callback is refused, since the message it
 * was handed points into the input buffer that the call would have to
 * reuse.  The handle is the only state: no globals, so separate handles
 * share nothing (see cohort.h on threads).
 *
 * Calls: libcohort_io.c and libcohort_deliver.c below it, and
 * common/wire.c.  Called by no file of libcohort.
 */
#include <stdint.h>
#include <stdlib.h>

#include "cohort.h"
#include "common/wire.h"
#include "libcohort_io.h"
#include "libcohort_deliver.h"

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

int
cohort_fd(const struct cohort *c)
{
	return (c->fd);
}

int
cohort_flush(struct cohort *c, int timeout_ms)
{
	return (lc_out_drain(c, 0, lc_deadline_of(timeout_ms)));
}

int
cohort_open(struct cohort **cp, const char *path, int timeout_ms)
{
	struct cohort	*c;
	int64_t		 deadline = lc_deadline_of(timeout_ms);

	if ((*cp = c = calloc(1, sizeof(*c))) == NULL)
		return (COHORT_ERR_NOMEM);
	c->fd = -1;
	/* Before the first frame is read: the handshake may read an error. */
	lc_deliver_init(c);
	if (path == NULL)
		path = getenv("COHORT_SOCKET");
	if (path == NULL || *path == '\0')
		path = COHORT_DEFAULT_SOCKET;
	return (lc_connect(c, path, deadline));
}

void
cohort_close(struct cohort *c)
{
	if (c == NULL)
		return;
	lc_disconnect(c);
	lc_deliver_free(c);
	free(c);
}
