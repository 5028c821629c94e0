/*
 * libcohort_io.c: the bottom layer of libcohort.  It owns the handle's
 * connection: the socket, the input and output buffers, the frames in
 * and out, the handshake and the waiting against deadlines.
 *
 * The socket is non-blocking.  Output is buffered in the handle and
 * written in batches: a publish costs a memcpy, not a system call.
 * Input is read into one buffer and cut into frames; each complete frame
 * goes up to c->frame_cb (registered by libcohort_deliver.c at open), the
 * only way this file reaches a layer above it.
 *
 * Calls: common/wire.c and the C library only; no other file of
 * libcohort.  Called by all of them (see libcohort_io.h).
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

#include "cohort.h"
#include "common/wire.h"
#include "libcohort_io.h"

#define INBUF_MIN	(256 * 1024)
/* Publishes are written out once this much is buffered... */
#define OUT_BATCH	(64 * 1024)
/* ...and block (backpressure) while more than this is unwritten. */
#define OUT_MAX		(4 * 1024 * 1024)

int
lc_fail(struct cohort *c, int status, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return (status);
}

int
lc_closed(struct cohort *c)
{
	return (lc_fail(c, COHORT_ERR_CLOSED, "cohortd closed the "
	    "connection"));
}

static int64_t
mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

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

/*
 * Wait until the socket is ready for events, or the deadline passes:
 * the revents (> 0), 0 at the deadline, or an error status.  A poll
 * interrupted by a signal is resumed.
 */
static int
io_poll(struct cohort *c, short events, int64_t deadline)
{
	struct pollfd	pfd;
	int		rv;

	pfd.fd = c->fd;
	pfd.events = events;
	while ((rv = poll(&pfd, 1, lc_remaining(deadline))) == -1)
		if (errno != EINTR)
			return (lc_fail(c, COHORT_ERR_SYS, "poll: %s",
			    strerror(errno)));
	return (rv == 0 ? 0 : pfd.revents);
}

/*
 * Grow *buf (*cap bytes, len of them used) to hold n more, doubling from
 * first bytes; what says which buffer, for the error.
 */
static int
io_grow(struct cohort *c, uint8_t **buf, size_t *cap, size_t len, size_t n,
    size_t first, const char *what)
{
	uint8_t	*p;
	size_t	 ncap = *cap ? *cap : first;

	while (ncap - len < n)
		ncap *= 2;
	if ((p = realloc(*buf, ncap)) == NULL)
		return (lc_fail(c, COHORT_ERR_NOMEM, "out of memory for %zu "
		    "bytes of %s", ncap, what));
	*buf = p;
	*cap = ncap;
	return (COHORT_OK);
}

/* Output */

int
lc_out_reserve(struct cohort *c, size_t n)
{
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
	return (io_grow(c, &c->out, &c->out_cap, c->out_len, n, 65536,
	    "output"));
}

/*
 * A frame of n bytes was encoded at the end of the output: keep it.  An
 * encoder returns 0 when the frame does not fit what was reserved for it,
 * which is a bug here: an error, never a frame silently not sent.
 */
int
lc_out_frame(struct cohort *c, size_t n)
{
	if (n == 0)
		return (lc_fail(c, COHORT_ERR_INVAL, "a frame could not be "
		    "encoded (a bug in libcohort: please report it)"));
	c->out_len += n;
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

int
lc_out_batch(struct cohort *c)
{
	if (lc_out_pending(c) >= OUT_BATCH && c->out_len >= c->out_retry)
		return (lc_out_write(c));
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
	int	rv;

	for (;;) {
		if ((rv = lc_out_write(c)) != COHORT_OK)
			return (rv);
		if (lc_out_pending(c) <= keep)
			return (COHORT_OK);
		if ((rv = io_poll(c, POLLOUT | POLLIN, deadline)) == 0)
			return (lc_fail(c, COHORT_ERR_TIMEOUT, "cohortd "
			    "does not read its socket (%zu bytes waiting)",
			    lc_out_pending(c)));
		if (rv < 0)
			return (rv);
		if ((rv & POLLIN) && (rv = lc_in_fill(c)) < 0)
			return (rv);
	}
}

int
lc_out_throttle(struct cohort *c)
{
	if (lc_out_pending(c) > OUT_MAX)
		return (lc_out_drain(c, OUT_MAX / 2, -1));
	return (COHORT_OK);
}

/* Input */

int
lc_in_fill(struct cohort *c)
{
	ssize_t	n;
	int	rv;

	/* Compact only outside callbacks: they hold views into the buffer. */
	if (c->depth == 0 && c->in_off > 0) {
		memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
		c->in_len -= c->in_off;
		c->in_off = 0;
	}
	if (c->in_cap - c->in_len < INBUF_MIN / 4) {
		if (c->depth > 0)
			return (0);	/* cannot move the buffer now */
		/* Doubles it once: in_len <= in_cap leaves room enough. */
		if ((rv = io_grow(c, &c->in, &c->in_cap, c->in_len,
		    INBUF_MIN / 4, INBUF_MIN, "input")) != COHORT_OK)
			return (rv);
	}
	n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
	if (n > 0) {
		c->in_len += (size_t)n;
		return ((int)n);
	}
	if (n == 0) {
		c->closed = 1;
		return (lc_closed(c));
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return (0);
	c->closed = 1;
	return (lc_fail(c, COHORT_ERR_CLOSED, "read from cohortd: %s",
	    strerror(errno)));
}

int
lc_in_framed(const struct cohort *c, struct wire_hdr *hdr)
{
	return (wire_check_header(c->in + c->in_off, c->in_len - c->in_off,
	    WIRE_FRAME_CEILING, WIRE_LOCAL, hdr) == WIRE_OK &&
	    c->in_len - c->in_off >= hdr->len);
}

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
		/* Advance first: a callback up there may parse further. */
		c->in_off += hdr.len;
		rv = c->frame_cb(c, &hdr, frame, w);
	}
	return (rv);
}

/* Waiting */

/*
 * A callback holds a message that points into the input buffer, which a
 * blocking call would have to reuse: blocking calls are refused there.
 */
int
lc_may_block(struct cohort *c)
{
	if (c->depth > 0)
		return (lc_fail(c, COHORT_ERR_INVAL, "blocking call from "
		    "inside a callback: use cohort_publish(), cohort_reply() "
		    "or cohort_request_async()"));
	if (c->closed)
		return (lc_closed(c));
	return (COHORT_OK);
}

int
lc_wait_for(struct cohort *c, struct cohort_wait *w, int64_t deadline)
{
	int	rv;

	for (;;) {
		if ((rv = lc_parse(c, w)) != COHORT_OK)
			return (rv);
		if (w->done)
			return (w->status);
		if (c->closed)
			return (lc_closed(c));
		if ((rv = io_poll(c, POLLIN, deadline)) == 0)
			return (lc_fail(c, COHORT_ERR_TIMEOUT, "no answer "
			    "from cohortd in time"));
		if (rv < 0 || (rv = lc_in_fill(c)) < 0)
			return (rv);
	}
}

int
lc_wait_input(struct cohort *c, int64_t deadline)
{
	int	rv;

	if ((rv = lc_out_write(c)) != COHORT_OK)
		return (rv);
	if ((rv = io_poll(c, POLLIN | (lc_out_pending(c) > 0 ? POLLOUT : 0),
	    deadline)) <= 0)
		return (rv);
	if ((rv = lc_in_fill(c)) < 0 && c->in_len == c->in_off)
		return (rv);
	if ((rv = lc_parse(c, NULL)) != COHORT_OK)
		return (rv);
	return (1);
}

/* Connecting */

static int
io_handshake(struct cohort *c, int64_t deadline)
{
	struct wire_ctl_hello	 h;
	struct wire_ctl_welcome	 wel;
	struct wire_hdr		 hdr;
	int			 rv;

	memset(&h, 0, sizeof(h));
	h.version = CTL_VERSION;
	h.min_version = CTL_MIN_VERSION;
	h.pid = (uint32_t)getpid();
	strlcpy(h.name, getprogname() ? getprogname() : "libcohort",
	    sizeof(h.name));
	if ((rv = lc_out_reserve(c, WIRE_CTL_HELLO_MAX)) != COHORT_OK)
		return (rv);
	if ((rv = lc_out_frame(c, wire_encode_ctl_hello(c->out + c->out_len,
	    c->out_cap - c->out_len, &h))) != COHORT_OK)
		return (rv);
	if ((rv = lc_out_drain(c, 0, deadline)) != COHORT_OK) {
		/*
		 * A daemon that refuses us (limits, allow-lists) says why
		 * and hangs up, maybe before reading our HELLO: the reason
		 * may be waiting to be read.
		 */
		while (lc_in_fill(c) > 0)
			;
		if (lc_in_framed(c, &hdr) && hdr.type == WT_CTL_ERROR)
			return (lc_parse(c, NULL));
		return (rv);
	}
	while (!lc_in_framed(c, &hdr)) {
		if ((rv = io_poll(c, POLLIN, deadline)) == 0)
			return (lc_fail(c, COHORT_ERR_TIMEOUT, "cohortd did "
			    "not answer the handshake in time"));
		if (rv < 0 || (rv = lc_in_fill(c)) < 0)
			return (rv);
	}
	if (hdr.type == WT_CTL_ERROR)
		return (lc_parse(c, NULL));
	if (hdr.type != WT_CTL_WELCOME || wire_decode_ctl_welcome(c->in +
	    c->in_off, hdr.len, &wel) != WIRE_OK)
		return (lc_fail(c, COHORT_ERR_PROTO, "bad handshake "
		    "answer from cohortd"));
	strlcpy(c->node_id, wel.node_id, sizeof(c->node_id));
	strlcpy(c->cluster, wel.cluster, sizeof(c->cluster));
	c->incarnation = wel.incarnation;
	c->max_message = wel.max_message;
	c->in_off += hdr.len;
	return (COHORT_OK);
}

int
lc_connect(struct cohort *c, const char *path, int64_t deadline)
{
	struct sockaddr_un	sun;
	int			fl;

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
	if ((fl = fcntl(c->fd, F_GETFL)) == -1 ||
	    fcntl(c->fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return (lc_fail(c, COHORT_ERR_SYS, "fcntl: %s",
		    strerror(errno)));
	return (io_handshake(c, deadline));
}

void
lc_disconnect(struct cohort *c)
{
	if (c->fd != -1) {
		/* Whatever was published goes out before we hang up. */
		if (!c->closed && lc_out_pending(c) > 0)
			(void)lc_out_drain(c, 0, lc_deadline_of(5000));
		close(c->fd);
		c->fd = -1;
	}
	free(c->in);
	free(c->out);
	c->in = c->out = NULL;
	c->in_off = c->in_len = c->in_cap = 0;
	c->out_off = c->out_len = c->out_cap = c->out_retry = 0;
	c->closed = 1;
}
