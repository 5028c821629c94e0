#!/bin/bash
# Soak: mixed traffic for SOAK_SECONDS (default 20) while n3 is killed,
# stopped and restarted at random; at the end, for every stream, the
# messages sent, delivered, refused with an error, and reported maybe
# lost, and those lost without a word, which must be zero.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/msglib.sh"
need_loopback

NET=25
SECS=${SOAK_SECONDS:-20}
RATE=2000
N=$((SECS * RATE))
cluster_conf $NET 3 "heartbeat = { interval_ms = 100; timeout_ms = 500; };
reconnect = { min_ms = 50; max_ms = 500; };"
for i in 1 2 3; do start_node $i; done
for i in 1 2 3; do memberwait $i ALL up >/dev/null || exit 1; done

# Streams: n1 -> n2 (never disturbed: must arrive whole), n1 -> n3 and
# n2 -> n3 (n3 is the victim).  A receiver on n3 dies with its daemon and
# is restarted with it: each lifetime's count is added up.
spawn "$T/s12.r" "$MSGTOOL" recv "$(sock 2)" soak.12 $N "$((SECS * 3 + 30))"; r12=$SPAWNED
wait_subs 2 1
RECEIVERS=""
start_n3_receivers() {
	life=$1
	spawn "$T/s13.r.$life" "$MSGTOOL" recv "$(sock 3)" soak.13 $N "$((SECS + 30))" lossy
	RECEIVERS="$RECEIVERS $SPAWNED"
	spawn "$T/s23.r.$life" "$MSGTOOL" recv "$(sock 3)" soak.23 $N "$((SECS + 30))" lossy
	RECEIVERS="$RECEIVERS $SPAWNED"
	wait_subs 3 2
}
start_n3_receivers 0
spawn "$T/s12.p" "$MSGTOOL" pub "$(sock 1)" n2 soak.12 $N 64-512 $RATE; p12=$SPAWNED
spawn "$T/s13.p" "$MSGTOOL" pub "$(sock 1)" n3 soak.13 $N 64-512 $RATE; p13=$SPAWNED
spawn "$T/s23.p" "$MSGTOOL" pub "$(sock 2)" n3 soak.23 $N 64-512 $RATE; p23=$SPAWNED

soak_end=$(( $(now_ms) + SECS * 1000 - 3000 ))
# Messages that reach n3 before its restarted receivers subscribe are
# counted there (msgs_unsubscribed), not lost: add them up across n3's
# lives, since a restart starts its counters again.
unsub=0
life=0 kills=0 stops=0
while [ "$(now_ms)" -lt "$soak_end" ]; do
	sleep "0.$((RANDOM % 9 + 1))"	# random spacing between faults
	case $((RANDOM % 3)) in
	0|1)	unsub=$((unsub + $(dstat 3 msgs_unsubscribed)))
		kill_node 3 "$([ $((RANDOM % 2)) = 0 ] && echo KILL || echo TERM)"
		kills=$((kills + 1))
		start_node 3
		life=$((life + 1))
		start_n3_receivers $life ;;
	2)	kill -STOP "$(pid_of 3)"
		sleep "0.$((RANDOM % 9 + 1))"
		kill -CONT "$(pid_of 3)"
		stops=$((stops + 1)) ;;
	esac
done
for i in 1 2 3; do memberwait $i ALL up >/dev/null || exit 1; done
for p in $p12 $p13 $p23; do wait "$p" || fail "a publisher failed"; done
unsub=$((unsub + $(dstat 3 msgs_unsubscribed)))
finish "$r12" "the undisturbed stream n1 -> n2" "$T/s12.r"
# Receivers on n3 end with their daemon, or when the last message
# arrives (or at their timeout, if the last one was refused).
for r in $RECEIVERS; do wait "$r" 2>/dev/null; done

total_sent=0 total_got=0 total_ref=0 total_maybe=0 total_lost=0
account() {	# account NAME PUBOUT RECVOUT...
	name=$1 pub=$(cat "$2"); shift 2
	sent=$(echo "$pub" | sed -n 's/.*sent=\([0-9]*\).*/\1/p')
	ref=$(echo "$pub" | sed -n 's/.*refused=\([0-9]*\).*/\1/p')
	maybe=$(echo "$pub" | sed -n 's/.*maybe_lost=\([0-9]*\).*/\1/p')
	got=0
	for f in "$@"; do
		case $f in *.err) continue ;; esac
		g=$(sed -n 's/.*received=\([0-9]*\).*/\1/p' "$f")
		got=$((got + ${g:-0}))
		grep -q 'reordered=0 corrupt=0 dup=0' "$f" || fail "$name: $(cat "$f")"
	done
	lost=$((N - ref - got - maybe))
	[ $lost -lt 0 ] && lost=0
	log "$name: published $N, refused $ref, delivered $got, reported maybe lost $maybe, not accounted $lost"
	total_sent=$((total_sent + N)) total_got=$((total_got + got))
	total_ref=$((total_ref + ref)) total_maybe=$((total_maybe + maybe))
	total_lost=$((total_lost + lost))
}
account "n1 -> n2" "$T/s12.p" "$T/s12.r"
account "n1 -> n3" "$T/s13.p" "$T"/s13.r.*
account "n2 -> n3" "$T/s23.p" "$T"/s23.r.*
# The n3 streams, together: what reached n3 unsubscribed was counted.
lost=$(( total_lost > unsub ? total_lost - unsub : 0 ))
log "soak of ${SECS}s, $kills kills and $stops stops of n3: sent=$total_sent delivered=$total_got refused=$total_ref maybe_lost=$total_maybe arrived_before_resubscribe=$unsub lost=$lost"
[ "$lost" = 0 ] || fail "$lost messages lost without a word"
grep -q "received=$N gaps=0 reordered=0 corrupt=0 dup=0" "$T/s12.r" ||
    fail "the undisturbed stream lost messages: $(cat "$T/s12.r")"
log "PASS"
