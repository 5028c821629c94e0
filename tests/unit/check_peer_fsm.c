/*
 * check_peer_fsm: the peer state machine (src/daemon/mesh/peer_fsm.c),
 * every (state, event) pair.
 *
 * The expected table below is written out independently of the one in
 * peer_fsm.c, from the rules the mesh relies on; a change to either
 * without the other fails here.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "check_main.h"

#include "daemon/mesh/peer_fsm.h"

struct expect {
	enum peer_state		 from;
	enum peer_event		 ev;
	int			 handled;
	enum peer_action	 act;
	enum peer_state		 to;
};

#define E(f, e, h, a, t)	{ PS_##f, PE_##e, h, PA_##a, PS_##t }

/* Not up: one shape for UNKNOWN, DOWN, LEFT and REFUSED. */
#define NOT_UP_ROWS(s)							\
	E(s, ESTABLISHED,	1, UP,		UP),			\
	E(s, CLOSED,		1, REDIAL,	s),			\
	E(s, TIMEOUT,		0, NONE,	s),			\
	E(s, BYE,		1, REDIAL,	s),			\
	E(s, REFUSED,		1, REDIAL,	REFUSED),		\
	E(s, RETIRED,		0, NONE,	s),			\
	E(s, HANDOVER_TIMEOUT,	0, NONE,	s),			\
	E(s, ATTEMPT_FAILED,	1, REDIAL,	s),			\
	E(s, REMOVED,		1, FORGET,	LEFT)

static const struct expect expected[] = {
	NOT_UP_ROWS(UNKNOWN),
	NOT_UP_ROWS(DOWN),
	NOT_UP_ROWS(LEFT),
	NOT_UP_ROWS(REFUSED),
	E(UP, ESTABLISHED,	0, NONE,	UP),
	E(UP, CLOSED,		1, LOST,	DOWN),
	E(UP, TIMEOUT,		1, LOST,	DOWN),
	E(UP, BYE,		1, LOST,	LEFT),
	E(UP, REFUSED,		1, LOST,	DOWN),
	E(UP, RETIRED,		1, HANDOVER,	HANDOVER),
	E(UP, HANDOVER_TIMEOUT,	0, NONE,	UP),
	E(UP, ATTEMPT_FAILED,	0, NONE,	UP),
	E(UP, REMOVED,		1, FORGET,	LEFT),
	E(HANDOVER, ESTABLISHED,	1, UP,		UP),
	E(HANDOVER, CLOSED,		1, LOST,	DOWN),
	E(HANDOVER, TIMEOUT,		1, LOST,	DOWN),
	E(HANDOVER, BYE,		1, LOST,	LEFT),
	E(HANDOVER, REFUSED,		1, LOST,	DOWN),
	E(HANDOVER, RETIRED,		0, NONE,	HANDOVER),
	E(HANDOVER, HANDOVER_TIMEOUT,	1, LOST,	DOWN),
	E(HANDOVER, ATTEMPT_FAILED,	0, NONE,	HANDOVER),
	E(HANDOVER, REMOVED,		1, FORGET,	LEFT),
};

#define NEXPECTED	(sizeof(expected) / sizeof(expected[0]))

/* The expected table covers every pair exactly once. */
START_TEST(test_every_pair_listed)
{
	int	seen[PS_COUNT][PE_COUNT];
	size_t	i;
	int	s, e;

	memset(seen, 0, sizeof(seen));
	for (i = 0; i < NEXPECTED; i++)
		seen[expected[i].from][expected[i].ev]++;
	for (s = 0; s < PS_COUNT; s++)
		for (e = 0; e < PE_COUNT; e++)
			ck_assert_msg(seen[s][e] == 1, "pair (%s, %s) listed "
			    "%d times", peer_state_name(s), peer_event_name(e),
			    seen[s][e]);
	ck_assert_uint_eq(NEXPECTED, PS_COUNT * PE_COUNT);
}
END_TEST

/* Walk every pair: the machine does what the table above says. */
START_TEST(test_every_pair)
{
	const struct expect	*x = &expected[_i];
	struct peer_step	 st;
	int			 handled;

	memset(&st, 0xff, sizeof(st));
	handled = peer_fsm_step(x->from, x->ev, &st);
	ck_assert_msg(handled == x->handled, "(%s, %s): handled %d, want %d",
	    peer_state_name(x->from), peer_event_name(x->ev), handled,
	    x->handled);
	ck_assert_msg(st.action == x->act, "(%s, %s): action %s, want %s",
	    peer_state_name(x->from), peer_event_name(x->ev),
	    peer_action_name(st.action), peer_action_name(x->act));
	ck_assert_msg(st.to == x->to, "(%s, %s): to %s, want %s",
	    peer_state_name(x->from), peer_event_name(x->ev),
	    peer_state_name(st.to), peer_state_name(x->to));
	/* An ignored pair never moves the peer or acts. */
	if (!handled) {
		ck_assert_int_eq(st.action, PA_NONE);
		ck_assert_int_eq(st.to, x->from);
	}
}
END_TEST

/* Properties the mesh relies on, checked over the whole table. */
START_TEST(test_properties)
{
	struct peer_step	st;
	int			s, e;

	for (s = 0; s < PS_COUNT; s++) {
		/* Removal always forgets the peer, as left. */
		ck_assert(peer_fsm_step(s, PE_REMOVED, &st));
		ck_assert_int_eq(st.action, PA_FORGET);
		ck_assert_int_eq(st.to, PS_LEFT);
		/* A completed stream always ends up up. */
		(void)peer_fsm_step(s, PE_ESTABLISHED, &st);
		ck_assert_int_eq(st.to, PS_UP);
		for (e = 0; e < PE_COUNT; e++) {
			(void)peer_fsm_step(s, e, &st);
			/* Heartbeats start only on the way into UP. */
			if (st.action == PA_UP)
				ck_assert_int_eq(st.to, PS_UP);
			/* Leaving the reachable states always acts. */
			if (peer_state_up(s) && !peer_state_up(st.to))
				ck_assert(st.action == PA_LOST ||
				    st.action == PA_FORGET);
			/* Only a retired active stream starts a handover. */
			if (st.to == PS_HANDOVER && s != PS_HANDOVER)
				ck_assert_int_eq(e, PE_RETIRED);
		}
	}
}
END_TEST

/* Users see HANDOVER as up: no member event for a handed-over stream. */
START_TEST(test_member_mapping)
{
	ck_assert_int_eq(peer_state_member(PS_UNKNOWN), MEMBER_UNKNOWN);
	ck_assert_int_eq(peer_state_member(PS_UP), MEMBER_UP);
	ck_assert_int_eq(peer_state_member(PS_HANDOVER), MEMBER_UP);
	ck_assert_int_eq(peer_state_member(PS_DOWN), MEMBER_DOWN);
	ck_assert_int_eq(peer_state_member(PS_LEFT), MEMBER_LEFT);
	ck_assert_int_eq(peer_state_member(PS_REFUSED), MEMBER_REFUSED);
	ck_assert(peer_state_up(PS_UP));
	ck_assert(peer_state_up(PS_HANDOVER));
	ck_assert(!peer_state_up(PS_DOWN));
	ck_assert(!peer_state_up(PS_UNKNOWN));
}
END_TEST

/* Names for logs: every value has one, out-of-range ones do not crash. */
START_TEST(test_names)
{
	struct peer_step	st;
	int			i;

	for (i = 0; i < PS_COUNT; i++)
		ck_assert_str_ne(peer_state_name(i), "?");
	for (i = 0; i < PE_COUNT; i++)
		ck_assert_str_ne(peer_event_name(i), "?");
	for (i = PA_NONE; i <= PA_FORGET; i++)
		ck_assert_str_ne(peer_action_name(i), "?");
	ck_assert_str_eq(peer_state_name(PS_HANDOVER), "handover");
	ck_assert_str_eq(peer_event_name(PE_ATTEMPT_FAILED), "attempt-failed");
	ck_assert_str_eq(peer_state_name(PS_COUNT), "?");
	ck_assert_str_eq(peer_event_name(PE_COUNT), "?");
	ck_assert_int_eq(peer_fsm_step(PS_COUNT, PE_CLOSED, &st), 0);
	ck_assert_int_eq(st.to, PS_COUNT);
	ck_assert_int_eq(peer_fsm_step(PS_UP, PE_COUNT, &st), 0);
	ck_assert_int_eq(st.action, PA_NONE);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s = suite_create("peer_fsm");
	TCase	*tc;

	tc = tcase_create("table");
	tcase_add_test(tc, test_every_pair_listed);
	tcase_add_loop_test(tc, test_every_pair, 0, (int)NEXPECTED);
	suite_add_tcase(s, tc);
	tc = tcase_create("properties");
	tcase_add_test(tc, test_properties);
	tcase_add_test(tc, test_member_mapping);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return (s);
}
