/*
 * bevio.c: reading more per callback than libevent 2.1 does.
 *
 * libevent 2.1's bufferevent reads at most 4096 bytes per read event
 * (EVBUFFER_MAX_READ; raised only in 2.2), so a busy stream costs a
 * readv, an ioctl and an epoll_wait per 4 KiB.  The read callbacks call
 * this first to take what the kernel already has in 64 KiB reads, up to
 * a limit, straight into the input evbuffer.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>

#include <event2/buffer.h>

#include "cohortd.h"

#define BEV_READ_CHUNK	65536

void
bev_read_more(struct bufferevent *bev, size_t limit)
{
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct evbuffer_iovec	 v[1];
	evutil_socket_t		 fd = bufferevent_getfd(bev);
	ssize_t			 n;

	if (fd < 0)
		return;
	while (evbuffer_get_length(in) < limit) {
		if (evbuffer_reserve_space(in, BEV_READ_CHUNK, v, 1) < 1)
			return;
		n = recv(fd, v[0].iov_base, v[0].iov_len, MSG_DONTWAIT);
		if (n <= 0) {
			/*
			 * EOF and errors are left for libevent to see at its
			 * next read, which delivers them as events as usual.
			 */
			v[0].iov_len = 0;
			evbuffer_commit_space(in, v, 1);
			return;
		}
		v[0].iov_len = (size_t)n;
		evbuffer_commit_space(in, v, 1);
		if ((size_t)n < BEV_READ_CHUNK)
			return;		/* the kernel had no more */
	}
}
