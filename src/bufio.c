/*
 * bufio.c: fill a socket bufferevent's input from its socket; append a
 * frame in one piece.
 */
#include <sys/types.h>
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

	if (fd < 0)
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
