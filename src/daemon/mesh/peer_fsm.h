/*
 * peer_fsm.h: the peer state machine, pure: no sockets, no clock, no
 * libevent.  The mesh feeds it events and carries out the action it
 * returns; every (state, event) pair is one row of one table in
 * peer_fsm.c, and check_peer_fsm walks them all.
 *
 * Its states are the mesh's own.  Operators see them mapped to the
 * wire's member states (peer_state_member): HANDOVER, for instance, is
 * "up" to them — the peer is up, its stream is being replaced.
 */
#ifndef COHORT_PEER_FSM_H
#define COHORT_PEER_FSM_H

#include "common/proto.h"

#define PEER_STATES(X)							\
	X(UNKNOWN,  "unknown",  MEMBER_UNKNOWN)	/* not reached yet */	\
	X(UP,       "up",       MEMBER_UP)				\
	X(HANDOVER, "handover", MEMBER_UP)	/* replacement awaited */ \
	X(DOWN,     "down",     MEMBER_DOWN)				\
	X(LEFT,     "left",     MEMBER_LEFT)	/* said BYE, or removed */ \
	X(REFUSED,  "refused",  MEMBER_REFUSED)	/* refused our HELLO */

enum peer_state {
#define X(n, s, m)	PS_##n,
	PEER_STATES(X)
#undef X
	PS_COUNT
};

#define PEER_EVENTS(X)							\
	X(ESTABLISHED,	"established")	/* a stream completed HELLO */	\
	X(CLOSED,	"closed")	/* the active stream was lost */ \
	X(TIMEOUT,	"timeout")	/* heartbeat.timeout_ms of silence */ \
	X(BYE,		"bye")		/* the peer said it is leaving */ \
	X(REFUSED,	"refused")	/* the peer refused our HELLO */ \
	X(RETIRED,	"retired")	/* they kept another stream */	\
	X(HANDOVER_TIMEOUT, "handover-timeout") /* it never came */	\
	X(ATTEMPT_FAILED, "attempt-failed") /* a dial or accept died */	\
	X(REMOVED,	"removed")	/* gone from the config */

enum peer_event {
#define X(n, s)		PE_##n,
	PEER_EVENTS(X)
#undef X
	PE_COUNT
};

/* What the mesh does on a transition, before the state changes. */
enum peer_action {
	PA_NONE,	/* a known pair that changes nothing */
	PA_UP,		/* adopt the stream: reset backoff, start heartbeats */
	PA_LOST,	/* stop heartbeats, close the stream, redial soon */
	PA_REDIAL,	/* no stream: dial again after the backoff */
	PA_HANDOVER,	/* stop heartbeats, wait for the replacement stream */
	PA_FORGET,	/* stop everything; the peer is about to be freed */
};

struct peer_step {
	enum peer_action	 action;
	enum peer_state		 to;
};

/*
 * The transition for (from, ev).  Every pair has one: unknown ones do
 * not exist (check_peer_fsm proves it).  Pairs that cannot happen in
 * the mesh are PA_NONE with to == from, and peer_fsm_step returns 0 for
 * them so that the caller can log that it ignored the event.
 */
int			 peer_fsm_step(enum peer_state, enum peer_event,
			    struct peer_step *);
const char		*peer_state_name(enum peer_state);
const char		*peer_event_name(enum peer_event);
const char		*peer_action_name(enum peer_action);
/* The wire's member state for a mesh state. */
enum member_state	 peer_state_member(enum peer_state);
/* Does the peer count as reachable (sends go out) in this state? */
int			 peer_state_up(enum peer_state);

#endif /* COHORT_PEER_FSM_H */
