# tests/msglib.sh: helpers for the messaging tests; sourced after lib.sh.
#
# MSGTOOL (tests/msgtool) sends and checks numbered, generated bodies;
# see the comment at the top of tests/msgtool.c.

: "${MSGTOOL:?run through make check}"

# mt ARGS...: msgtool, under the wrapper like every other helper.
mt() { $COHORT_WRAP "$MSGTOOL" "$@"; }

# spawn OUT CMD...: run CMD in the background, its stdout in OUT and its
# stderr in OUT.err; its PID is in SPAWNED and is killed at exit.  CMD
# must be a program, not a shell function, so that the PID is its own,
# and must bound its own run time (-t, or a timeout argument).
spawn() {
	out=$1; shift
	"$@" >"$out" 2>"$out.err" &
	SPAWNED=$!
	CHILD_PIDS="$CHILD_PIDS $SPAWNED"
}

# finish PID DESC OUT: wait for a spawned command; fail unless it exited 0.
finish() {
	wait "$1"
	st=$?
	[ $st = 0 ] || fail "$2 exited $st: $(cat "$3" "$3.err")"
}

# dstat I KEY: one counter of node I's daemon section of stats.  Not
# under COHORT_WRAP: it polls, and what it runs is tested elsewhere.
dstat() {
	"$COHORTCTL" -s "$(sock "$1")" --json stats | grep '^{"section":"daemon"' |
	    sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"
}

subs_are() { [ "$(dstat "$1" subscriptions)" = "$2" ]; }

# wait_subs I N: until node I's clients hold N subscriptions in all, so
# that a subscriber started in the background is known to be ready.
wait_subs() {
	wait_for "n$1 to hold $2 subscriptions (has $(dstat "$1" subscriptions))" \
	    "$(scale 10)" subs_are "$1" "$2"
}

# expect_delta WHAT BEFORE AFTER N: a counter moved by exactly N.
expect_delta() {
	[ $(( $3 - $2 )) = "$4" ] ||
	    fail "$1 moved by $(( $3 - $2 )) ($2 -> $3), not by $4"
}

stat_is() { [ "$(dstat "$1" "$2")" = "$3" ]; }

# wait_stat I KEY VALUE: until node I's counter KEY is VALUE.
wait_stat() {
	wait_for "n$1 $2 to be $3 (is $(dstat "$1" "$2"))" "$(scale 5)" \
	    stat_is "$1" "$2" "$3"
}
