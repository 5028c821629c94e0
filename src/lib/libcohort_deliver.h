/*
 * libcohort_deliver.h: what libcohort_deliver.c, the middle layer of
 * libcohort, offers the public calls above it (libcohort.c,
 * libcohort_msg.c).  libcohort_io.c below never includes it.
 *
 * Every function here is internal: none may start with cohort_, which
 * Makefile.am's -export-symbols-regex would export.
 */
#ifndef COHORT_LIBCOHORT_DELIVER_H
#define COHORT_LIBCOHORT_DELIVER_H

#include <stdint.h>

#include "cohort.h"

struct cohort;

/* Empty queues, and c->frame_cb set: before the handle first reads. */
void	lc_deliver_init(struct cohort *);
/* Free what is queued and the asynchronous requests still in flight. */
void	lc_deliver_free(struct cohort *);
/* Call cb with the answer to req_id when it comes; or COHORT_ERR_NOMEM. */
int	lc_reply_expect(struct cohort *, uint32_t, cohort_reply_cb, void *);
/* No answer to req_id is awaited any more (its request was not sent). */
void	lc_reply_forget(struct cohort *, uint32_t);

#endif /* COHORT_LIBCOHORT_DELIVER_H */
