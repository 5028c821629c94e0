/*
 * control.h: the local Unix socket that applications (libcohort,
 * cohortctl) connect to.  Admission (credentials, allow-lists, limits),
 * each client's framing and bounded output, and the requests clients
 * send: what the control socket cannot answer itself it hands up
 * through the table of callbacks it was made with; it never calls up.
 */
#ifndef COHORT_CONTROL_H
#define COHORT_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "common/config.h"
#include "common/counters.h"
#include "common/wire.h"

struct control;
struct client;

struct control_stats {
	STATS_FIELDS(control)
};

struct control_events {
	void	(*publish)(void *, struct client *, const struct wire_ctl_pub *);
	/* -1: a reply no client may send (the client is dropped). */
	int	(*reply)(void *, struct client *, uint64_t, const uint8_t *,
		    size_t);
	int	(*subscribe)(void *, struct client *, const char *);
	int	(*unsubscribe)(void *, struct client *, const char *);
	/* The client is being freed: forget it. */
	void	(*gone)(void *, struct client *);
	/* No subscriber is full any more. */
	void	(*drained)(void *);
	/* Answer CTL_MEMBERS_REQ / CTL_STATS_REQ (control_send). */
	void	(*members)(void *, struct client *, uint32_t);
	void	(*stats)(void *, struct client *, uint32_t);
	/* Reload the config: 0 or -1, with a line for the client. */
	int	(*reload)(void *, char *, size_t);
};

/* Bind the socket (conf->socket); NULL, logged, if it cannot be. */
struct control	*control_new(struct event_base *, const struct cohort_conf *,
		    uint64_t, const struct control_events *, void *);
/* Stop listening, remove the socket, drop every client. */
void		 control_shutdown(struct control *);
void		 control_free(struct control *);
const struct control_stats *control_stats(struct control *);
/* After a reload: rules and the slow-subscriber policy may be new. */
void		 control_apply_acl(struct control *);
void		 control_apply_policy(struct control *);

void		 control_broadcast_event(struct control *,
		    const struct wire_ctl_event *);
/*
 * Queue head + body to a client: 0; 1 if it is now a full subscriber,
 * whose sources the caller must pause (policy "backpressure"); -1 if it
 * is gone or was disconnected for overflowing.
 */
int		 control_deliver(struct client *, const uint8_t *, size_t,
		    const uint8_t *, size_t);
/* A whole frame (an answer); an encoder's 0 length is an error sent. */
void		 control_send(struct client *, uint32_t, const uint8_t *,
		    size_t);
void		 control_error(struct client *, uint32_t, int, const char *,
		    ...) __attribute__((format(printf, 4, 5)));
/* Stop reading from a client until node's queue drains; resume them. */
void		 control_pause(struct client *, const char *);
void		 control_resume(struct control *, const char *);
/* 1 if already marked in this match generation; marks it otherwise. */
int		 control_client_mark(struct client *, uint64_t);
uint64_t	 control_client_id(const struct client *);
/* Requests in flight for the client, after adding delta. */
uint32_t	 control_client_requests(struct client *, int);
/* Tell client id that count messages to node may be lost. */
void		 control_lost(struct control *, uint64_t, const char *,
		    uint32_t, uint32_t, uint32_t);

#endif /* COHORT_CONTROL_H */
