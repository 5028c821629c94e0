#!/bin/bash
# Duplicate streams retired under a flow.  n1 sends a numbered, paced
# flow to n2 while the n1-n2 stream is killed again and again (ss -K on
# the test's loopback addresses): both ends redial within milliseconds,
# so two streams complete at once and one is retired as a duplicate.
# When n2's stream reached n1 first, it already carries the flow when
# n1's own (preferred) stream completes and retires it.
#
# Every message the sender had accepted must be delivered at n2's
# subscriber or reported to the sender as maybe lost ("may not have
# arrived"), and nothing may arrive twice or out of order.  Counted per
# message too: each report names the requests it covers, and every
# message missing at n2 must be among them or refused (no more of them
# than were refused).  (A retired duplicate's unacknowledged messages
# were once forgotten: their records stayed on the peer, to be
# acknowledged by the next stream's numbers.)
#
# Needs root and a kernel with sock_destroy (ss -K); skips otherwise.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/msglib.sh"
need_loopback
command -v ss >/dev/null 2>&1 || skip "no ss (iproute2)"
[ "$(id -u)" = 0 ] || skip "ss -K needs root"

NET=62
A=127.$NET.0.1 B=127.$NET.0.2
# Short reconnect backoffs, so that after a kill both ends redial at
# once; n2 a little sooner (5-10 ms) than n1 (7-14 ms), so that n2's
# stream often reaches n1 first and carries the flow until n1's own
# completes.  Heartbeats (which acknowledge DATA) every 20 ms: records
# of a stream retired without a report are soon acknowledged by the next
# one's numbers, so such a loss cannot hide in the report of a later
# kill.  The failure timeout is long: streams are lost by being killed,
# not by silence.
cluster_conf $NET 2 "heartbeat = { interval_ms = 20; timeout_ms = $(scale 3000); };
reconnect = { min_ms = 10; max_ms = 10; };"
sed -i 's/min_ms = 10; max_ms = 10;/min_ms = 14; max_ms = 14;/' "$T/n1/conf"
for i in 1 2; do start_node $i; done
memberwait 1 n2 up >/dev/null || exit 1
memberwait 2 n1 up >/dev/null || exit 1

# kill_streams: destroy every TCP socket between n1 and n2; prints how many.
kill_streams() {
	ss -K -Htn "( src $A and dst $B ) or ( src $B and dst $A )" 2>/dev/null |
	    wc -l
}
n2_up() { [ "$(member_field 1 n2 state)" = up ]; }
stat_ge() { [ "$(dstat "$1" "$2")" -ge "$3" ]; }

# retired: from n1's debug log, "ACTIVE OTHER THEIRS": how often n1
# retired its active stream (the one n2 came up on, which the flow takes
# from then on: at most as often as it carried some), how often the
# other, newer one, and how often n2 retired n1's active stream (n1 heard
# REFUSE duplicate on it).  A stream whose remote port is 7400 is n1's
# dial; any other port is n2's dial, accepted.
retired() {
	awk '
	/ -> up \(dialled/	{ active = "dialled" }
	/ -> up \(accepted/	{ active = "accepted" }
	/keeping stream .*, retiring / {
		kept = $0; sub(/.*keeping stream /, "", kept); sub(/, retiring .*/, "", kept)
		gone = $0; sub(/.*, retiring /, "", gone)
		if ((gone ~ /:7400$/ ? "dialled" : "accepted") == active) {
			own++
			active = kept ~ /:7400$/ ? "dialled" : "accepted"
		} else
			other++
	}
	/stream retired as a duplicate/ { theirs++ }
	END { print own + 0, other + 0, theirs + 0 }' "$T/n1/log"
}
# under_flow: how often the stream carrying the flow was retired, since
# the first flow (the start may have had simultaneous dials of its own).
under_flow() { set -- $(retired) $start; echo $(( $1 - $4 + $3 - $6 )); }

# Each round: a flow of N small messages at RATE a second (12 s); the
# stream is killed every GAP messages (100 ms) up to 75 % of it, and the
# rest arrives on a quiet link (recv ends at the last message).  The rate
# is high so that the few milliseconds of a handover always carry some
# of the flow.  Rounds until WANT retirements of the stream that carried
# the flow, or ROUNDS.
N=$(( 600000 / COHORT_TIME_SCALE )) RATE=$(( 50000 / COHORT_TIME_SCALE ))
GAP=$(( RATE / 10 )) SIZE=64-200 WANT=6 ROUNDS=5
kills_all=0 sent_all=0 refused_all=0 maybe_all=0 got_all=0 round=0
start=$(retired) dups0=$(dstat 1 duplicate_streams)
while [ "$(under_flow)" -lt $WANT ] && [ $round -lt $ROUNDS ]; do
	round=$((round + 1)) kills=0
	before=$(retired)
	spawn "$T/recv.$round" $COHORT_WRAP "$MSGTOOL" recv "$(sock 2)" dup.$round $N "$(scale 60)" lossy gaps="$T/gaps.$round"
	rp=$SPAWNED
	wait_subs 2 1
	sent0=$(dstat 1 msgs_sent)
	spawn "$T/pub.$round" $COHORT_WRAP "$MSGTOOL" pub "$(sock 1)" n2 dup.$round $N $SIZE $RATE "$T/lost.$round"
	pp=$SPAWNED
	stop_at=$(( sent0 + N * 3 / 4 ))
	while ! stat_ge 1 msgs_sent $stop_at && is_alive "$pp"; do
		# Kill a stream that has carried the flow a while (GAP
		# messages since n2 came up, several heartbeats), longer than
		# the streams before it, so that their numbers are passed.
		wait_for "n1 to see n2 up again" "$(scale 10)" n2_up
		m0=$(dstat 1 msgs_sent)
		wait_for "the flow on the new stream" "$(scale 10)" stat_ge 1 msgs_sent $((m0 + GAP))
		stat_ge 1 msgs_sent $stop_at && break
		k=$(kill_streams)
		if [ "$k" = 0 ]; then
			[ $kills_all = 0 ] && [ $kills = 0 ] &&
			    skip "ss -K killed nothing (no sock_destroy in this kernel?)"
			continue
		fi
		kills=$((kills + 1))
	done
	wait_for "n1 to see n2 up at the end of round $round" "$(scale 10)" n2_up
	finish "$pp" "pub (round $round)" "$T/pub.$round"
	finish "$rp" "recv (round $round)" "$T/recv.$round"
	pub=$(cat "$T/pub.$round") rec=$(cat "$T/recv.$round")
	sent=$(echo "$pub" | sed -n 's/.*sent=\([0-9]*\).*/\1/p')
	refused=$(echo "$pub" | sed -n 's/.*refused=\([0-9]*\).*/\1/p')
	maybe=$(echo "$pub" | sed -n 's/.*maybe_lost=\([0-9]*\).*/\1/p')
	got=$(echo "$rec" | sed -n 's/.*received=\([0-9]*\).*/\1/p')
	reports=$(wc -l < "$T/lost.$round")
	# Missing at n2 and in no report: refused, or lost without a word.
	unreported=$(awk 'FILENAME == ARGV[1] { lo[++n] = $1; hi[n] = $2; next }
	    { for (i = 1; i <= n; i++) if ($1 >= lo[i] && $1 <= hi[i]) next; u++ }
	    END { print u + 0 }' "$T/lost.$round" "$T/gaps.$round")
	set -- $before; b1=$1 b2=$2 b3=$3
	set -- $(retired)
	log "round $round: $kills kills; n1 retired the stream carrying the flow $(($1 - b1)) times, the newer one $(($2 - b2)) times, n2 retired n1's active one $(($3 - b3)) times"
	log "round $round: published $N: accepted $sent, refused $refused, delivered $got, reported maybe lost $maybe in $reports reports; missing at n2 and in no report: $unreported ($rec)"
	echo "$rec" | grep -q 'reordered=0 corrupt=0 dup=0' ||
	    fail "round $round: delivered out of order, damaged or twice: $rec"
	[ "$sent" -le $((got + maybe)) ] ||
	    fail "round $round: $((sent - got - maybe)) of $sent accepted messages neither delivered nor reported (delivered $got, reported $maybe)"
	[ "$unreported" -le "$refused" ] ||
	    fail "round $round: $((unreported - refused)) messages never arrived and the sender was not told ($unreported missing outside every report, $refused refused)"
	kills_all=$((kills_all + kills)) sent_all=$((sent_all + sent))
	refused_all=$((refused_all + refused)) maybe_all=$((maybe_all + maybe))
	got_all=$((got_all + got))
done
set -- $(retired) $start
log "in all: $round rounds, $kills_all kills; n1 retired the stream carrying the flow $(($1 - $4)) times, the newer one $(($2 - $5)) times, n2 retired n1's active one $(($3 - $6)) times; accepted $sent_all, refused $refused_all, delivered $got_all, reported maybe lost $maybe_all"
[ "$(under_flow)" -ge $WANT ] ||
    fail "the stream carrying the flow was retired $(under_flow) times in $round rounds ($kills_all kills), not $WANT: the test proved too little"
[ "$(dstat 1 duplicate_streams)" -gt "$dups0" ] ||
    fail "n1 logged retirements but did not count a duplicate stream"
log "PASS"
