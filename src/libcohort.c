/*
 * libcohort.c: the client side of the local socket protocol.
 *
 * The socket is non-blocking.  Blocking calls poll() against a deadline;
 * cohort_dispatch() reads whatever is there.  Frames that arrive while a
 * blocking call waits for its answer (membership events) are queued and
 * delivered later, never dropped and never delivered re-entrantly.
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
#include "wire.h"

#define COHORT_INBUF_MIN	65536

struct cohort_evq {
	struct cohort_event	 ev;
	struct cohort_evq	*next;
};

struct cohort {
	int			 fd;
	uint8_t			*in;		/* received, not yet parsed */
	size_t			 in_len;
	size_t			 in_cap;
	uint32_t		 next_req;
	char			 err[256];
	char			 node_id[COHORT_ID_MAX + 1];
	char			 cluster[COHORT_ID_MAX + 1];
	uint64_t		 incarnation;
	cohort_event_cb		 event_cb;
	void			*event_arg;
	struct cohort_evq	*evq_head, **evq_tail;
	size_t			 evq_len;
	int			 closed;
};

/* What a blocking call waits for. */
struct cohort_wait {
	uint32_t	 req_id;
	uint32_t	 type;		/* expected answer type */
	int		 done;
	int		 status;
	/* CTL_MEMBERS answer */
	struct cohort_member *members;
	size_t		 n_members;
	/* CTL_STATS answer */
	struct cohort_stat *stats;
	size_t		 n_stats;
};

static int
cohort_fail(struct cohort *c, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fcntl_nonblock(int fd)
{
	int	fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1)
		return (-1);
	return (fcntl(fd, F_SETFL, fl | O_NONBLOCK));
}

static int
cohort_fail(struct cohort *c, int status, const char *fmt, ...)
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

int
cohort_fd(const struct cohort *c)
{
	return (c->fd);
}

int
cohort_pending(const struct cohort *c)
{
	return (c->evq_head != NULL);
}

void
cohort_set_event_cb(struct cohort *c, cohort_event_cb cb, void *arg)
{
	c->event_cb = cb;
	c->event_arg = arg;
}

static int64_t
mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* Milliseconds left before deadline; -1 = forever. */
static int
remaining(int64_t deadline)
{
	int64_t	left;

	if (deadline < 0)
		return (-1);
	left = deadline - mono_ms();
	return (left < 0 ? 0 : (int)left);
}

static int64_t
deadline_of(int timeout_ms)
{
	return (timeout_ms < 0 ? -1 : mono_ms() + timeout_ms);
}

/* Write a whole frame, waiting for room until the deadline. */
static int
cohort_write(struct cohort *c, const uint8_t *buf, size_t len,
    int64_t deadline)
{
	struct pollfd	pfd;
	ssize_t		n;
	size_t		off = 0;
	int		rv;

	if (len == 0)
		return (cohort_fail(c, COHORT_ERR_INVAL, "request does not fit "
		    "in a frame"));
	while (off < len) {
		n = send(c->fd, buf + off, len - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK) {
			c->closed = 1;
			return (cohort_fail(c, COHORT_ERR_CLOSED, "write to "
			    "cohortd: %s", strerror(errno)));
		}
		pfd.fd = c->fd;
		pfd.events = POLLOUT;
		rv = poll(&pfd, 1, remaining(deadline));
		if (rv == 0)
			return (cohort_fail(c, COHORT_ERR_TIMEOUT, "cohortd "
			    "does not read its socket"));
		if (rv == -1 && errno != EINTR)
			return (cohort_fail(c, COHORT_ERR_SYS, "poll: %s",
			    strerror(errno)));
	}
	return (COHORT_OK);
}

/* Read what the socket has now into the input buffer. */
static int
cohort_fill(struct cohort *c)
{
	ssize_t	n;
	size_t	ncap;
	uint8_t	*p;

	if (c->in_cap - c->in_len < COHORT_INBUF_MIN / 4) {
		ncap = c->in_cap ? c->in_cap * 2 : COHORT_INBUF_MIN;
		if ((p = realloc(c->in, ncap)) == NULL)
			return (cohort_fail(c, COHORT_ERR_NOMEM, "out of "
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
		return (cohort_fail(c, COHORT_ERR_CLOSED, "cohortd closed the "
		    "connection"));
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return (0);
	c->closed = 1;
	return (cohort_fail(c, COHORT_ERR_CLOSED, "read from cohortd: %s",
	    strerror(errno)));
}

static void
cohort_member_from_wire(struct cohort_member *m, const struct wire_member *w)
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
cohort_read_members(struct cohort *c, const uint8_t *buf, size_t len,
    struct cohort_wait *w)
{
	struct wire_reader	r;
	struct wire_member	m;
	uint32_t		req_id, count, i;

	if (wire_members_begin(buf, len, &r, &req_id, &count) != WIRE_OK)
		return (cohort_fail(c, COHORT_ERR_PROTO, "malformed member "
		    "list from cohortd"));
	if (w == NULL || req_id != w->req_id || w->type != WT_CTL_MEMBERS)
		return (cohort_fail(c, COHORT_ERR_PROTO, "unexpected member "
		    "list from cohortd"));
	if ((w->members = calloc(count ? count : 1,
	    sizeof(*w->members))) == NULL)
		return (cohort_fail(c, COHORT_ERR_NOMEM, "out of memory"));
	for (i = 0; i < count; i++) {
		if (wire_members_next(&r, &m) != WIRE_OK)
			break;
		cohort_member_from_wire(&w->members[i], &m);
	}
	if (i < count || wire_members_end(&r) != WIRE_OK) {
		free(w->members);
		w->members = NULL;
		return (cohort_fail(c, COHORT_ERR_PROTO, "malformed member "
		    "list from cohortd"));
	}
	w->n_members = count;
	w->done = 1;
	w->status = COHORT_OK;
	return (COHORT_OK);
}

static int
cohort_read_stats(struct cohort *c, const uint8_t *buf, size_t len,
    struct cohort_wait *w)
{
	struct wire_reader	 r;
	struct cohort_stat	*st, *tmp;
	char			 kind[WIRE_ID_MAX + 1], name[WIRE_ID_MAX + 1];
	uint32_t		 req_id, nsec, nkv, i, k;
	size_t			 n = 0, cap = 64;

	if (wire_stats_begin(buf, len, &r, &req_id, &nsec) != WIRE_OK)
		return (cohort_fail(c, COHORT_ERR_PROTO, "malformed "
		    "statistics from cohortd"));
	if (w == NULL || req_id != w->req_id || w->type != WT_CTL_STATS)
		return (cohort_fail(c, COHORT_ERR_PROTO, "unexpected "
		    "statistics from cohortd"));
	if ((st = calloc(cap, sizeof(*st))) == NULL)
		return (cohort_fail(c, COHORT_ERR_NOMEM, "out of memory"));
	for (i = 0; i < nsec && !r.bad; i++) {
		if (wire_stats_next_section(&r, kind, name, &nkv) != WIRE_OK)
			break;
		for (k = 0; k < nkv && !r.bad; k++) {
			if (n == cap) {
				cap *= 2;
				if ((tmp = reallocarray(st, cap,
				    sizeof(*st))) == NULL) {
					free(st);
					return (cohort_fail(c,
					    COHORT_ERR_NOMEM, "out of memory"));
				}
				st = tmp;
			}
			strlcpy(st[n].section, kind, sizeof(st[n].section));
			strlcpy(st[n].name, name, sizeof(st[n].name));
			if (wire_stats_next(&r, st[n].key, &st[n].value) ==
			    WIRE_OK)
				n++;
		}
	}
	if (r.bad || wire_stats_end(&r) != WIRE_OK) {
		free(st);
		return (cohort_fail(c, COHORT_ERR_PROTO, "malformed "
		    "statistics from cohortd"));
	}
	w->stats = st;
	w->n_stats = n;
	w->done = 1;
	w->status = COHORT_OK;
	return (COHORT_OK);
}

static int
cohort_queue_event(struct cohort *c, const struct wire_ctl_event *e)
{
	struct cohort_evq	*q;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return (cohort_fail(c, COHORT_ERR_NOMEM, "out of memory"));
	strlcpy(q->ev.node, e->node, sizeof(q->ev.node));
	q->ev.state = (enum cohort_state)e->state;
	q->ev.prev_state = (enum cohort_state)e->prev_state;
	q->ev.incarnation = e->incarnation;
	q->ev.time_ms = e->time_ms;
	*c->evq_tail = q;
	c->evq_tail = &q->next;
	c->evq_len++;
	return (COHORT_OK);
}

/* Answers to a request: match them to what is being waited for. */
static int
cohort_answer(struct cohort *c, const struct wire_hdr *hdr,
    const uint8_t *buf, struct cohort_wait *w)
{
	struct wire_ctl_error	e;
	struct wire_ctl_req	r;

	switch (hdr->type) {
	case WT_CTL_ERROR:
		if (wire_decode_ctl_error(buf, hdr->len, &e) != WIRE_OK)
			return (cohort_fail(c, COHORT_ERR_PROTO, "malformed "
			    "error frame from cohortd"));
		cohort_fail(c, COHORT_ERR_REFUSED, "cohortd: %s", e.text);
		if (w != NULL && (e.req_id == w->req_id || e.req_id == 0)) {
			w->done = 1;
			w->status = COHORT_ERR_REFUSED;
		}
		return (e.req_id == 0 ? COHORT_ERR_REFUSED : COHORT_OK);
	case WT_CTL_OK:
		if (wire_decode_ctl_req(buf, hdr->len, hdr->type, &r) !=
		    WIRE_OK)
			return (cohort_fail(c, COHORT_ERR_PROTO, "malformed "
			    "answer from cohortd"));
		if (w != NULL && r.req_id == w->req_id &&
		    w->type == WT_CTL_OK) {
			w->done = 1;
			w->status = COHORT_OK;
		}
		return (COHORT_OK);
	case WT_CTL_MEMBERS:
		return (cohort_read_members(c, buf, hdr->len, w));
	case WT_CTL_STATS:
		return (cohort_read_stats(c, buf, hdr->len, w));
	}
	return (cohort_fail(c, COHORT_ERR_PROTO, "unexpected %s frame from "
	    "cohortd", wire_type_name(hdr->type)));
}

/* Parse every complete frame in the input buffer. */
static int
cohort_parse(struct cohort *c, struct cohort_wait *w)
{
	struct wire_hdr		 hdr;
	struct wire_ctl_event	 ev;
	enum wire_status	 st;
	size_t			 off = 0;
	int			 rv = COHORT_OK;

	while (rv == COHORT_OK && (w == NULL || !w->done)) {
		st = wire_check_header(c->in + off, c->in_len - off,
		    WIRE_FRAME_CEILING, WIRE_LOCAL, &hdr);
		if (st == WIRE_SHORT)
			break;
		if (st != WIRE_OK) {
			rv = cohort_fail(c, COHORT_ERR_PROTO, "from cohortd: "
			    "%s", wire_status_name(st));
			break;
		}
		if (c->in_len - off < hdr.len)
			break;
		if (hdr.type == WT_CTL_EVENT) {
			if (wire_decode_ctl_event(c->in + off, hdr.len, &ev) !=
			    WIRE_OK)
				rv = cohort_fail(c, COHORT_ERR_PROTO, "malformed "
				    "event from cohortd");
			else
				rv = cohort_queue_event(c, &ev);
		} else
			rv = cohort_answer(c, &hdr, c->in + off, w);
		off += hdr.len;
	}
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
	return (rv);
}

/* Block until w is answered, or the deadline passes. */
static int
cohort_wait_for(struct cohort *c, struct cohort_wait *w, int64_t deadline)
{
	struct pollfd	pfd;
	int		rv;

	for (;;) {
		if ((rv = cohort_parse(c, w)) != COHORT_OK)
			return (rv);
		if (w->done)
			return (w->status);
		if (c->closed)
			return (cohort_fail(c, COHORT_ERR_CLOSED, "cohortd "
			    "closed the connection"));
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		rv = poll(&pfd, 1, remaining(deadline));
		if (rv == 0)
			return (cohort_fail(c, COHORT_ERR_TIMEOUT, "no answer "
			    "from cohortd in time"));
		if (rv == -1) {
			if (errno == EINTR)
				continue;
			return (cohort_fail(c, COHORT_ERR_SYS, "poll: %s",
			    strerror(errno)));
		}
		if ((rv = cohort_fill(c)) < 0)
			return (rv);
	}
}

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
	if ((rv = cohort_write(c, buf, wire_encode_ctl_hello(buf,
	    sizeof(buf), &h), deadline)) != COHORT_OK)
		return (rv);
	for (;;) {
		if (wire_check_header(c->in, c->in_len, WIRE_FRAME_CEILING,
		    WIRE_LOCAL, &hdr) == WIRE_OK && c->in_len >= hdr.len)
			break;
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		rv = poll(&pfd, 1, remaining(deadline));
		if (rv == 0)
			return (cohort_fail(c, COHORT_ERR_TIMEOUT, "cohortd did "
			    "not answer the handshake in time"));
		if (rv == -1 && errno != EINTR)
			return (cohort_fail(c, COHORT_ERR_SYS, "poll: %s",
			    strerror(errno)));
		if ((rv = cohort_fill(c)) < 0)
			return (rv);
	}
	if (hdr.type == WT_CTL_ERROR)
		return (cohort_parse(c, NULL));
	if (hdr.type != WT_CTL_WELCOME ||
	    wire_decode_ctl_welcome(c->in, hdr.len, &wel) != WIRE_OK)
		return (cohort_fail(c, COHORT_ERR_PROTO, "bad handshake "
		    "answer from cohortd"));
	strlcpy(c->node_id, wel.node_id, sizeof(c->node_id));
	strlcpy(c->cluster, wel.cluster, sizeof(c->cluster));
	c->incarnation = wel.incarnation;
	memmove(c->in, c->in + hdr.len, c->in_len - hdr.len);
	c->in_len -= hdr.len;
	return (COHORT_OK);
}

int
cohort_open(struct cohort **cp, const char *path, int timeout_ms)
{
	struct sockaddr_un	 sun;
	struct cohort		*c;
	int64_t			 deadline = deadline_of(timeout_ms);
	int			 rv;

	if ((*cp = c = calloc(1, sizeof(*c))) == NULL)
		return (COHORT_ERR_NOMEM);
	c->fd = -1;
	c->evq_tail = &c->evq_head;
	if (path == NULL)
		path = getenv("COHORT_SOCKET");
	if (path == NULL || *path == '\0')
		path = COHORT_DEFAULT_SOCKET;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		return (cohort_fail(c, COHORT_ERR_INVAL, "socket path too "
		    "long: %s", path));
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd == -1)
		return (cohort_fail(c, COHORT_ERR_SYS, "socket: %s",
		    strerror(errno)));
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		return (cohort_fail(c, COHORT_ERR_CONNECT, "cannot connect to "
		    "cohortd at %s: %s%s", path, strerror(errno),
		    errno == ENOENT || errno == ECONNREFUSED ?
		    " (is cohortd running? set COHORT_SOCKET or -s)" :
		    errno == EACCES ? " (join the socket's group)" : ""));
	if (fcntl_nonblock(c->fd) == -1)
		return (cohort_fail(c, COHORT_ERR_SYS, "fcntl: %s",
		    strerror(errno)));
	if ((rv = cohort_handshake(c, deadline)) != COHORT_OK)
		return (rv);
	return (COHORT_OK);
}

void
cohort_close(struct cohort *c)
{
	struct cohort_evq	*q;

	if (c == NULL)
		return;
	if (c->fd != -1)
		close(c->fd);
	while ((q = c->evq_head) != NULL) {
		c->evq_head = q->next;
		free(q);
	}
	free(c->in);
	free(c);
}

/* Send a request that carries only its id, and wait for its answer. */
static int
cohort_request(struct cohort *c, uint32_t type, struct cohort_wait *w,
    int timeout_ms)
{
	struct wire_ctl_req	 r;
	uint8_t			 buf[WIRE_HDR_LEN + 4];
	int64_t			 deadline = deadline_of(timeout_ms);
	int			 rv;

	w->req_id = r.req_id = ++c->next_req;
	if ((rv = cohort_write(c, buf, wire_encode_ctl_req(buf, sizeof(buf),
	    type, &r), deadline)) != COHORT_OK)
		return (rv);
	return (cohort_wait_for(c, w, deadline));
}

int
cohort_members(struct cohort *c, struct cohort_member **list, size_t *count,
    int timeout_ms)
{
	struct cohort_wait	w;
	int			rv;

	*list = NULL;
	*count = 0;
	memset(&w, 0, sizeof(w));
	w.type = WT_CTL_MEMBERS;
	if ((rv = cohort_request(c, WT_CTL_MEMBERS_REQ, &w, timeout_ms)) !=
	    COHORT_OK) {
		free(w.members);
		return (rv);
	}
	*list = w.members;
	*count = w.n_members;
	return (COHORT_OK);
}

void
cohort_members_free(struct cohort_member *list)
{
	free(list);
}

int
cohort_stats(struct cohort *c, struct cohort_stat **list, size_t *count,
    int timeout_ms)
{
	struct cohort_wait	w;
	int			rv;

	*list = NULL;
	*count = 0;
	memset(&w, 0, sizeof(w));
	w.type = WT_CTL_STATS;
	if ((rv = cohort_request(c, WT_CTL_STATS_REQ, &w, timeout_ms)) !=
	    COHORT_OK) {
		free(w.stats);
		return (rv);
	}
	*list = w.stats;
	*count = w.n_stats;
	return (COHORT_OK);
}

void
cohort_stats_free(struct cohort_stat *list)
{
	free(list);
}

int
cohort_watch(struct cohort *c, int on, int timeout_ms)
{
	struct wire_ctl_watch	 m;
	struct cohort_wait	 w;
	uint8_t			 buf[WIRE_HDR_LEN + 8];
	int64_t			 deadline = deadline_of(timeout_ms);
	int			 rv;

	memset(&w, 0, sizeof(w));
	w.req_id = m.req_id = ++c->next_req;
	w.type = WT_CTL_OK;
	m.on = on ? 1 : 0;
	if ((rv = cohort_write(c, buf, wire_encode_ctl_watch(buf, sizeof(buf),
	    &m), deadline)) != COHORT_OK)
		return (rv);
	return (cohort_wait_for(c, &w, deadline));
}

static int
cohort_pop_event(struct cohort *c, struct cohort_event *ev)
{
	struct cohort_evq	*q = c->evq_head;

	if (q == NULL)
		return (0);
	*ev = q->ev;
	if ((c->evq_head = q->next) == NULL)
		c->evq_tail = &c->evq_head;
	c->evq_len--;
	free(q);
	return (1);
}

int
cohort_dispatch(struct cohort *c)
{
	struct cohort_event	ev;
	int			rv, n = 0;

	/* Drain the socket, then parse what came in. */
	while ((rv = cohort_fill(c)) > 0)
		;
	if (rv < 0 && !(rv == COHORT_ERR_CLOSED && c->in_len > 0))
		return (rv);
	if ((rv = cohort_parse(c, NULL)) != COHORT_OK)
		return (rv);
	while (c->event_cb != NULL && cohort_pop_event(c, &ev)) {
		c->event_cb(c, &ev, c->event_arg);
		n++;
	}
	return (n);
}

int
cohort_next_event(struct cohort *c, struct cohort_event *ev, int timeout_ms)
{
	struct pollfd	pfd;
	int64_t		deadline = deadline_of(timeout_ms);
	int		rv;

	for (;;) {
		if (cohort_pop_event(c, ev))
			return (COHORT_OK);
		if (c->closed)
			return (cohort_fail(c, COHORT_ERR_CLOSED, "cohortd "
			    "closed the connection"));
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		rv = poll(&pfd, 1, remaining(deadline));
		if (rv == 0)
			return (cohort_fail(c, COHORT_ERR_TIMEOUT, "no event "
			    "in time"));
		if (rv == -1) {
			if (errno == EINTR)
				continue;
			return (cohort_fail(c, COHORT_ERR_SYS, "poll: %s",
			    strerror(errno)));
		}
		if ((rv = cohort_fill(c)) < 0 && c->in_len == 0)
			return (rv);
		if ((rv = cohort_parse(c, NULL)) != COHORT_OK)
			return (rv);
	}
}
