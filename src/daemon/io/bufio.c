/*
 * bufio.c: fill a socket bufferevent's input from its socket; append a
 * frame in one piece.
 */
#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <event2/buffer.h>

#include <string.h>

#include "bufio.h"

size_t
bufread_fill(struct bufferevent *bev, size_t batch)
{
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct evbuffer_iovec	 v;
	evutil_socket_t		 fd = bufferevent_getfd(bev);
	size_t			 got = 0;
	ssize_t			 n;
	int			 avail;

	if (fd < 0)
		return (0);
	/*
	 * Nothing queued: leave EOF and errors to libevent's own read.  A
	 * recv(2) here would take the socket's error (ECONNRESET) and
	 * libevent would then see a plain EOF.
	 */
	if (ioctl(fd, FIONREAD, &avail) == -1 || avail <= 0)
		return (0);
	/*
	 * The bufferevent freezes the end of its input outside its own
	 * reads; evbuffer_reserve_space fails on a frozen end.
	 */
	evbuffer_unfreeze(in, 0);
	while (evbuffer_get_length(in) < batch) {
		if (evbuffer_reserve_space(in, BUFREAD_CHUNK, &v, 1) < 1)
			break;
		n = recv(fd, v.iov_base, v.iov_len, MSG_DONTWAIT);
		v.iov_len = n > 0 ? (size_t)n : 0;
		evbuffer_commit_space(in, &v, 1);
		if (n <= 0)
			break;
		got += (size_t)n;
		if ((size_t)n < BUFREAD_CHUNK)
			break;		/* the kernel had no more */
	}
	evbuffer_freeze(in, 0);
	return (got);
}

/* Bodies at least this long are added by reference to their copy. */
#define BUFIO_ONE_COPY_MAX	4096

int
bufio_add2(struct evbuffer *out, const void *head, size_t hlen,
    const void *body, size_t blen)
{
	struct evbuffer_iovec	v;

	if (hlen + blen > BUFIO_ONE_COPY_MAX)
		return (evbuffer_add(out, head, hlen) == -1 ||
		    (blen > 0 && evbuffer_add(out, body, blen) == -1) ? -1 : 0);
	if (evbuffer_reserve_space(out, hlen + blen, &v, 1) < 1)
		return (-1);
	memcpy(v.iov_base, head, hlen);
	if (blen > 0)
		memcpy((char *)v.iov_base + hlen, body, blen);
	v.iov_len = hlen + blen;
	return (evbuffer_commit_space(out, &v, 1));
}

/*
 * The next n bytes after used, contiguous: free while they lie in the
 * first chunk, else what was handled is drained first (*used = 0) and
 * the rest pulled up.  NULL when out of memory.
 */
static const uint8_t *
bufio_span(struct evbuffer *in, size_t *used, size_t n)
{
	uint8_t	*p;

	if (*used + n > evbuffer_get_contiguous_space(in)) {
		evbuffer_drain(in, *used);
		*used = 0;
	}
	if ((p = evbuffer_pullup(in, (ev_ssize_t)(*used + n))) == NULL)
		return (NULL);
	return (p + *used);
}

void
bufio_frames(struct evbuffer *in, const struct bufio_reader *r, void *arg)
{
	struct wire_hdr		 hdr;
	enum wire_status	 st;
	const uint8_t		*p;
	size_t			 used = 0, max;

	while ((max = r->limit(arg)) > 0 &&
	    evbuffer_get_length(in) - used >= WIRE_HDR_LEN) {
		if ((p = bufio_span(in, &used, WIRE_HDR_LEN)) == NULL) {
			r->bad(arg, "out of memory");
			break;
		}
		if ((st = wire_check_header(p, WIRE_HDR_LEN, max, r->chan,
		    &hdr)) != WIRE_OK) {
			r->bad(arg, wire_status_name(st));
			break;
		}
		if (evbuffer_get_length(in) - used < hdr.len)
			break;
		if ((p = bufio_span(in, &used, hdr.len)) == NULL) {
			r->bad(arg, "out of memory");
			break;
		}
		if (r->frame(arg, &hdr, p) == -1)
			break;
		used += hdr.len;
	}
	evbuffer_drain(in, used);
}
