#!/bin/bash
# Chaos on real daemons: kill -9 and SIGSTOP of a node in the middle of a
# 100,000-message stream, then one node restarted 50 times while the
# others relay.  Every message is delivered, or its sender is told it was
# refused or may be lost: nothing is delivered twice or out of order, and
# membership converges again after each.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/msglib.sh"
need_loopback

NET=24 N=100000
cluster_conf $NET 3 "heartbeat = { interval_ms = 100; timeout_ms = 500; };
limits = { hello_timeout_ms = 1000; };
reconnect = { min_ms = 50; max_ms = 500; };"
for i in 1 2 3; do start_node $i; done
for i in 1 2 3; do memberwait $i ALL up >/dev/null || exit 1; done

# check_stream NAME PUBOUT RECVOUT: sent = refused + (delivered or told)
check_stream() {
	pub=$(cat "$2") rec=$(cat "$3")
	sent=$(echo "$pub" | sed -n 's/.*sent=\([0-9]*\).*/\1/p')
	refused=$(echo "$pub" | sed -n 's/.*refused=\([0-9]*\).*/\1/p')
	maybe=$(echo "$pub" | sed -n 's/.*maybe_lost=\([0-9]*\).*/\1/p')
	got=$(echo "$rec" | sed -n 's/.*received=\([0-9]*\).*/\1/p')
	lost=$(( N - refused - got - maybe ))
	[ $lost -lt 0 ] && lost=0
	log "$1: published $N: accepted $sent, refused $refused, delivered $got, reported maybe lost $maybe: silently lost $lost"
	[ "$lost" = 0 ] || fail "$1: $lost messages lost without a word to the sender"
	echo "$rec" | grep -q 'reordered=0 corrupt=0 dup=0' || fail "$1: $rec"
}

# stat_ge I KEY N: node I's daemon counter KEY has reached N.
stat_ge() { [ "$(dstat "$1" "$2")" -ge "$3" ]; }

# A stream of N to n3, paced over ~2 s, and one of N to n2 alongside.
stream() {	# stream NAME: start both streams, subscribers first
	spawn "$T/$1.r2" "$MSGTOOL" recv "$(sock 2)" chaos.$1.b $N "$(scale 60)"; r2=$SPAWNED
	spawn "$T/$1.r3" "$MSGTOOL" recv "$(sock 3)" chaos.$1.a $N "$(scale 60)" lossy; r3=$SPAWNED
	wait_subs 2 1; wait_subs 3 1
	spawn "$T/$1.p3" "$MSGTOOL" pub "$(sock 1)" n3 chaos.$1.a $N 64 50000; p3=$SPAWNED
	spawn "$T/$1.p2" "$MSGTOOL" pub "$(sock 1)" n2 chaos.$1.b $N 64 50000; p2=$SPAWNED
}

# 1. kill -9 n3 a third of the way in; restart it; the stream goes on.
stream kill
base=$(dstat 1 msgs_sent)
wait_for "a third of the stream" "$(scale 10)" stat_ge 1 msgs_sent $((base + 2 * N / 3))
kill_node 3 KILL
memberwait 1 n3 down >/dev/null || exit 1
# The subscriber on n3 died with its daemon: its part is all "maybe lost"
# or refused.  Restart n3 with a new subscriber for the rest.
wait "$r3" 2>/dev/null
start_node 3
memberwait 1 n3 up >/dev/null || exit 1
finish "$p3" "pub to n3" "$T/kill.p3"
finish "$p2" "pub to n2" "$T/kill.p2"
finish "$r2" "recv on n2" "$T/kill.r2"
pub=$(cat "$T/kill.p3")
sent=$(echo "$pub" | sed -n 's/.*sent=\([0-9]*\).*/\1/p')
refused=$(echo "$pub" | sed -n 's/.*refused=\([0-9]*\).*/\1/p')
maybe=$(echo "$pub" | sed -n 's/.*maybe_lost=\([0-9]*\).*/\1/p')
log "kill -9 of n3 mid-stream: $pub (the stream to n2 arrived whole: $(cat "$T/kill.r2"))"
[ "$refused" -gt 0 ] || fail "no message to the dead n3 was refused"
[ $((refused + maybe)) -gt 0 ] || fail "the sender was told nothing"

# 2. SIGSTOP n3 mid-stream for longer than the timeout, then SIGCONT: the
# subscriber on n3 lives on; what did not reach it, its sender was told.
stream stop
base=$(dstat 3 msgs_delivered)
wait_for "a fifth of the stream on n3" "$(scale 10)" stat_ge 3 msgs_delivered $((base + N / 5))
kill -STOP "$(pid_of 3)"
memberwait 1 n3 down >/dev/null || exit 1
# Hold it stopped a while longer, publisher running: a hold, not a sync.
sleep 0.5
kill -CONT "$(pid_of 3)"
memberwait 1 n3 up >/dev/null || exit 1
finish "$p3" "pub to n3" "$T/stop.p3"
finish "$p2" "pub to n2" "$T/stop.p2"
finish "$r2" "recv on n2" "$T/stop.r2"
wait "$r3"
check_stream "SIGSTOP of n3" "$T/stop.p3" "$T/stop.r3"

# 3. n3 restarted 50 times while n1 relays to n2.
spawn "$T/r.r2" "$MSGTOOL" recv "$(sock 2)" chaos.restart 20000 "$(scale 120)"; r2=$SPAWNED
wait_subs 2 1
spawn "$T/r.p2" "$MSGTOOL" pub "$(sock 1)" n2 chaos.restart 20000 64 2000; p2=$SPAWNED
for k in $(seq 50); do
	kill_node 3 "$([ $((k % 2)) = 0 ] && echo TERM || echo KILL)"
	start_node 3
done
for i in 1 2 3; do memberwait $i ALL up >/dev/null || exit 1; done
finish "$p2" "pub to n2" "$T/r.p2"
finish "$r2" "recv on n2" "$T/r.r2"
log "n3 restarted 50 times; meanwhile n1 -> n2: $(cat "$T/r.r2")"

# Every daemon still relays, every way.
for a in 1 2 3; do for b in 1 2 3; do
	[ $a = $b ] && continue
	spawn "$T/x.$a$b" "$MSGTOOL" recv "$(sock $b)" chaos.x.$a$b 10 "$(scale 10)"; rx=$SPAWNED
	wait_subs $b 1
	mt pub "$(sock $a)" n$b chaos.x.$a$b 10 64 > /dev/null || fail "pub n$a -> n$b"
	finish "$rx" "n$a -> n$b" "$T/x.$a$b"
done; done
log "after the chaos every node relays to every other"
log "PASS"
