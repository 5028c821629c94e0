/*
 * libcohort_io.h: the handle and the bottom layer of libcohort,
 * libcohort_io.c: the socket, its buffers, the frames in and out, the
 * handshake and the waiting.  Every other file of the library includes
 * it; libcohort_io.c includes no other header of the library.
 *
 * The layers, calls going down only:
 *	libcohort.c, libcohort_msg.c	the public calls (siblings)
 *	libcohort_deliver.c		what arrived, to the application
 *	libcohort_io.c			socket, buffers, frames, waiting
 * The bottom layer tells the one above of each frame received through
 * c->frame_cb, which libcohort_deliver.c registers when the handle opens.
 *
 * Every function here is internal: none may start with cohort_, which
 * Makefile.am's -export-symbols-regex would export.
 */
#ifndef COHORT_LIBCOHORT_IO_H
#define COHORT_LIBCOHORT_IO_H

#include <stddef.h>
#include <stdint.h>

#include "cohort.h"

struct wire_hdr;
struct cohort_wait;
/* Defined in libcohort_deliver.c, which alone looks inside them. */
struct evq;
struct item;
struct areq;

/*
 * One complete frame from the daemon, at buf (hdr->len bytes, valid until
 * the callback returns); w is the answer a blocking call waits for, or
 * NULL.  Returns COHORT_OK or an error status, which stops the parsing.
 */
typedef int	(*lc_frame_cb)(struct cohort *, const struct wire_hdr *,
		    const uint8_t *, struct cohort_wait *);

struct cohort {
	/* libcohort_io.c: the connection and its buffers. */
	int			 fd;
	uint8_t			*in;
	size_t			 in_off;	/* parsed up to here */
	size_t			 in_len;	/* received up to here */
	size_t			 in_cap;
	uint8_t			*out;
	size_t			 out_off;	/* written up to here */
	size_t			 out_len;	/* queued up to here */
	size_t			 out_cap;
	size_t			 out_retry;	/* see lc_out_write */
	char			 err[256];
	int			 closed;
	lc_frame_cb		 frame_cb;
	/* libcohort_io.c, from the daemon's CTL_WELCOME. */
	char			 node_id[COHORT_ID_MAX + 1];
	char			 cluster[COHORT_ID_MAX + 1];
	uint64_t		 incarnation;
	size_t			 max_message;
	/* libcohort_msg.c */
	uint32_t		 next_req;
	/* libcohort_deliver.c; depth is read below too (buffer moves). */
	cohort_event_cb		 event_cb;
	void			*event_arg;
	cohort_msg_cb		 msg_cb;
	void			*msg_arg;
	cohort_error_cb		 error_cb;
	void			*error_arg;
	struct evq		*evq_head, **evq_tail;
	struct item		*items_head, **items_tail;
	struct areq		*areqs;
	uint64_t		 async_errors;
	int			 depth;		/* inside a callback */
};

/*
 * What a blocking call waits for: the caller in libcohort_msg.c sets
 * req_id and type, libcohort_deliver.c fills in the answer and sets done.
 */
struct cohort_wait {
	uint32_t		 req_id;
	uint32_t		 type;		/* the expected answer */
	int			 done;
	int			 status;
	struct cohort_member	*members;
	size_t			 n_members;
	struct cohort_stat	*stats;
	size_t			 n_stats;
	struct cohort_unreached	*unreached;
	size_t			 n_unreached;
	struct cohort_msg	*reply;
};

/* Set the handle's error text and return status: return (lc_fail(...)). */
int		 lc_fail(struct cohort *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
/* lc_fail() for a connection the daemon closed. */
int		 lc_closed(struct cohort *);
/* Milliseconds left before a deadline, for poll(); -1 = forever. */
int		 lc_remaining(int64_t);
/* The deadline timeout_ms from now; -1 (forever) if it is negative. */
int64_t		 lc_deadline_of(int);

/* Connect to the daemon at path and shake hands before the deadline. */
int		 lc_connect(struct cohort *, const char *, int64_t);
/* Write out what is queued (a few seconds at most), close, free buffers. */
void		 lc_disconnect(struct cohort *);

/* Room for n more bytes of output, or an error status. */
int		 lc_out_reserve(struct cohort *, size_t);
/* Keep an encoded frame of n bytes; n == 0 (did not fit) is an error. */
int		 lc_out_frame(struct cohort *, size_t);
/* Write what the socket takes now; COHORT_OK even if some is left. */
int		 lc_out_write(struct cohort *);
/* lc_out_write() once a batch of output is queued; else nothing. */
int		 lc_out_batch(struct cohort *);
/* Output queued and not written yet, in bytes. */
size_t		 lc_out_pending(const struct cohort *);
/* Write until at most keep bytes are left, reading meanwhile. */
int		 lc_out_drain(struct cohort *, size_t, int64_t);
/* Block while the daemon leaves too much of our output unread. */
int		 lc_out_throttle(struct cohort *);

/* Read what the socket has now; > 0 bytes read, 0 none, < 0 error. */
int		 lc_in_fill(struct cohort *);
/* 1 if a whole frame waits in the input; its header in *hdr. */
int		 lc_in_framed(const struct cohort *, struct wire_hdr *);
/* Hand every complete frame to frame_cb, or until w is answered. */
int		 lc_parse(struct cohort *, struct cohort_wait *);

/* COHORT_OK if a blocking call may run: not in a callback, not closed. */
int		 lc_may_block(struct cohort *);
/* Block until w is answered, or the deadline passes. */
int		 lc_wait_for(struct cohort *, struct cohort_wait *, int64_t);
/* Wait for input once and parse it; 1 if some came, 0 on timeout. */
int		 lc_wait_input(struct cohort *, int64_t);

#endif /* COHORT_LIBCOHORT_IO_H */
