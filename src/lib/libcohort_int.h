/*
 * libcohort_int.h: what the files of libcohort share, and nothing else
 * includes: libcohort.c (the handle, its buffers, frames from the daemon,
 * waiting), libcohort_msg.c (the calls that send: messages, requests,
 * replies, subscriptions, control requests) and libcohort_deliver.c
 * (handing what was received to the application).
 *
 * Every function here is internal: none may start with cohort_, which
 * Makefile.am's -export-symbols-regex would export.
 */
#ifndef COHORT_LIBCOHORT_INT_H
#define COHORT_LIBCOHORT_INT_H

#include <stddef.h>
#include <stdint.h>

#include <uthash.h>

#include "cohort.h"

/* Publishes are written out once this much is buffered... */
#define OUT_BATCH	(64 * 1024)
/* ...and block (backpressure) while more than this is unwritten. */
#define OUT_MAX		(4 * 1024 * 1024)

/* Something received that waits for delivery. */
enum item_kind {
	ITEM_MSG,		/* for the message callback or next_msg */
	ITEM_REPLY,		/* the answer to an asynchronous request */
	ITEM_ERROR,		/* an asynchronous failure */
};

struct item {
	struct item		*next;
	enum item_kind		 kind;
	int			 status;
	cohort_reply_cb		 cb;
	void			*arg;
	struct cohort_msg	*msg;	/* ITEM_MSG, ITEM_REPLY (may be NULL) */
	char			 text[256];
};

struct evq {
	struct cohort_event	 ev;
	struct evq		*next;
};

/* An asynchronous request in flight. */
struct areq {
	UT_hash_handle		 hh;
	uint32_t		 req_id;
	cohort_reply_cb		 cb;
	void			*arg;
};

struct cohort {
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
	uint32_t		 next_req;
	char			 err[256];
	char			 node_id[COHORT_ID_MAX + 1];
	char			 cluster[COHORT_ID_MAX + 1];
	uint64_t		 incarnation;
	size_t			 max_message;
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
	int			 closed;
};

/* What a blocking call waits for. */
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

/* libcohort.c */
/* Set the handle's error text and return status: return (lc_fail(...)). */
int		 lc_fail(struct cohort *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
/* Milliseconds left before a deadline, for poll(); -1 = forever. */
int		 lc_remaining(int64_t);
/* The deadline timeout_ms from now; -1 (forever) if it is negative. */
int64_t		 lc_deadline_of(int);
/* Room for n more bytes of output, or an error status. */
int		 lc_out_reserve(struct cohort *, size_t);
/* Write what the socket takes now; COHORT_OK even if some is left. */
int		 lc_out_write(struct cohort *);
/* Output queued and not written yet, in bytes. */
size_t		 lc_out_pending(const struct cohort *);
/* Write until at most keep bytes are left, reading meanwhile. */
int		 lc_out_drain(struct cohort *, size_t, int64_t);
/* Read what the socket has now; > 0 bytes read, 0 none, < 0 error. */
int		 lc_in_fill(struct cohort *);
/* Take the first queued item off the queue; NULL if there is none. */
struct item	*lc_item_pop(struct cohort *);
/* Handle every complete frame received, or until w is answered. */
int		 lc_parse(struct cohort *, struct cohort_wait *);
/* COHORT_OK if a blocking call may run: not in a callback, not closed. */
int		 lc_may_block(struct cohort *);
/* Block until w is answered, or the deadline passes. */
int		 lc_wait_for(struct cohort *, struct cohort_wait *, int64_t);
/* Wait for input once and parse it; 1 if some came, 0 on timeout. */
int		 lc_wait_input(struct cohort *, int64_t);

#endif /* COHORT_LIBCOHORT_INT_H */
