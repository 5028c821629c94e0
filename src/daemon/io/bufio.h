/*
 * bufio.h: bufferevent reads and writes cheaper than libevent 2.1's
 * defaults, for the message path.
 *
 * A socket bufferevent reads at most 4 KiB per read event, and each event
 * costs an epoll_wait, an FIONREAD ioctl and a readv.  At 1 KiB messages
 * that was most of a daemon's time.  bufread_fill() takes what the kernel
 * already has, in 64 KiB chunks, straight into the bufferevent's input.
 * Only for plain socket bufferevents: a TLS one must read through OpenSSL.
 */
#ifndef COHORT_BUFIO_H
#define COHORT_BUFIO_H

#include <stddef.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "common/wire.h"

#define BUFREAD_CHUNK	(64 * 1024)

/*
 * Read until batch bytes wait in the input, or the kernel has no more.
 * EOF and errors are left to libevent's next read of the socket, which
 * reports them through the event callback as usual.  Returns the bytes
 * read.
 */
size_t	 bufread_fill(struct bufferevent *, size_t);

/*
 * Append a frame's head and body as one: each evbuffer_add runs the
 * buffer's callbacks (libevent's watermark checks), which at 64 B
 * messages cost more than the copy.  -1 when out of memory.
 */
int	 bufio_add2(struct evbuffer *, const void *, size_t, const void *,
	    size_t);

/*
 * How a stream's frames are handled: limit(arg) gives the largest frame
 * accepted before each one, or 0 to stop (paused, closing); frame(arg,
 * hdr, frame) handles one, or returns -1 to stop with that frame left in
 * the buffer; bad(arg, why) is told of a header that is not valid.
 */
struct bufio_reader {
	enum wire_channel	  chan;
	size_t			(*limit)(void *);
	int			(*frame)(void *, const struct wire_hdr *,
				    const uint8_t *);
	void			(*bad)(void *, const char *);
};

/*
 * Handle the complete frames at the front of in, in order, in place.
 * Frames are drained in one evbuffer_drain per input chunk rather than
 * one per frame (each drain runs the buffer's callbacks); only a frame
 * that straddles two chunks is pulled up (copied) to be contiguous.
 */
void	 bufio_frames(struct evbuffer *, const struct bufio_reader *,
	    void *);

#endif /* COHORT_BUFIO_H */
