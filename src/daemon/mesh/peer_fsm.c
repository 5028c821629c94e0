/*
 * peer_fsm.c: the peer state machine's table (peer_fsm.h).
 *
 * One row per (state, event): [state][event] = { action, next state,
 * handled }.  A row with handled = 0 is a pair that cannot happen (or
 * carries no news) in that state: the mesh logs it at debug and moves
 * on.  Read a column to see what one event does everywhere.
 */
#include <stddef.h>

#include "peer_fsm.h"

struct peer_row {
	enum peer_action	 act;
	enum peer_state		 to;
	int			 handled;
};

#define T(a, s)		{ PA_##a, PS_##s, 1 }
#define IGN(s)		{ PA_NONE, PS_##s, 0 }

/*
 * Not up (UNKNOWN, DOWN, LEFT, REFUSED) share a shape: a stream that
 * completes brings the peer up; a failed attempt or a closed stream
 * only schedules the next dial; a refusal says why we are not up.
 */
#define NOT_UP(s) {							\
	[PE_ESTABLISHED]	= T(UP, UP),				\
	[PE_CLOSED]		= T(REDIAL, s),				\
	[PE_TIMEOUT]		= IGN(s),				\
	[PE_BYE]		= T(REDIAL, s),				\
	[PE_REFUSED]		= T(REDIAL, REFUSED),			\
	[PE_RETIRED]		= IGN(s),				\
	[PE_HANDOVER_TIMEOUT]	= IGN(s),				\
	[PE_ATTEMPT_FAILED]	= T(REDIAL, s),				\
	[PE_REMOVED]		= T(FORGET, LEFT),			\
}

static const struct peer_row peer_fsm_tbl[PS_COUNT][PE_COUNT] = {
	[PS_UNKNOWN] = NOT_UP(UNKNOWN),
	[PS_UP] = {
		[PE_ESTABLISHED]	= IGN(UP),	/* a duplicate */
		[PE_CLOSED]		= T(LOST, DOWN),
		[PE_TIMEOUT]		= T(LOST, DOWN),
		[PE_BYE]		= T(LOST, LEFT),
		/* Refused on the active stream: it is gone, so down. */
		[PE_REFUSED]		= T(LOST, DOWN),
		[PE_RETIRED]		= T(HANDOVER, HANDOVER),
		[PE_HANDOVER_TIMEOUT]	= IGN(UP),
		/* A second attempt failing does not touch the active one. */
		[PE_ATTEMPT_FAILED]	= IGN(UP),
		[PE_REMOVED]		= T(FORGET, LEFT),
	},
	[PS_HANDOVER] = {
		/* The replacement arrived: up as before, no event for users. */
		[PE_ESTABLISHED]	= T(UP, UP),
		[PE_CLOSED]		= T(LOST, DOWN),
		[PE_TIMEOUT]		= T(LOST, DOWN),
		[PE_BYE]		= T(LOST, LEFT),
		[PE_REFUSED]		= T(LOST, DOWN),
		[PE_RETIRED]		= IGN(HANDOVER),
		[PE_HANDOVER_TIMEOUT]	= T(LOST, DOWN),
		/* Another attempt died: the handover timer still decides. */
		[PE_ATTEMPT_FAILED]	= IGN(HANDOVER),
		[PE_REMOVED]		= T(FORGET, LEFT),
	},
	[PS_DOWN] = NOT_UP(DOWN),
	[PS_LEFT] = NOT_UP(LEFT),
	[PS_REFUSED] = NOT_UP(REFUSED),
};

int
peer_fsm_step(enum peer_state from, enum peer_event ev, struct peer_step *out)
{
	const struct peer_row	*r;

	if ((unsigned)from >= PS_COUNT || (unsigned)ev >= PE_COUNT) {
		out->action = PA_NONE;
		out->to = from;
		return (0);
	}
	r = &peer_fsm_tbl[from][ev];
	out->action = r->act;
	out->to = r->to;
	return (r->handled);
}

static const char *const peer_state_names[] = {
#define X(n, s, m)	s,
	PEER_STATES(X)
#undef X
};

static const enum member_state peer_state_members[] = {
#define X(n, s, m)	m,
	PEER_STATES(X)
#undef X
};

static const char *const peer_event_names[] = {
#define X(n, s)		s,
	PEER_EVENTS(X)
#undef X
};

static const char *const peer_action_names[] = {
	"none", "up", "lost", "redial", "handover", "forget"
};

const char *
peer_state_name(enum peer_state s)
{
	return ((unsigned)s < PS_COUNT ? peer_state_names[s] : "?");
}

const char *
peer_event_name(enum peer_event e)
{
	return ((unsigned)e < PE_COUNT ? peer_event_names[e] : "?");
}

const char *
peer_action_name(enum peer_action a)
{
	return ((unsigned)a < sizeof(peer_action_names) /
	    sizeof(peer_action_names[0]) ? peer_action_names[a] : "?");
}

enum member_state
peer_state_member(enum peer_state s)
{
	return ((unsigned)s < PS_COUNT ? peer_state_members[s] :
	    MEMBER_UNKNOWN);
}

int
peer_state_up(enum peer_state s)
{
	return (s == PS_UP || s == PS_HANDOVER);
}
