#!/bin/bash
# 3 nodes from cold: each lists the other two up within two heartbeat
# intervals of the last start.
. "$(dirname "$0")/lib.sh"
need_loopback

interval=500
cluster_conf 11 3 "heartbeat = { interval_ms = $interval; timeout_ms = 2500; };"
# Start all three at once, so that every pair dials both ways together.
for i in 1 2 3; do
	$COHORT_WRAP "$COHORTD" -d -c "$T/n$i/conf" >>"$T/n$i/log" 2>&1 &
	echo $! > "$T/n$i/pid"
	PIDS="$PIDS $!"
done
for i in 1 2 3; do
	wait_for "node n$i socket" "$(scale 10)" test -S "$(sock $i)"
done
t_last=$(now_ms)	# every socket is up: the last node has started
limit=$(( 2 * interval * COHORT_TIME_SCALE ))
for i in 1 2 3; do
	when=$(memberwait $i ALL up) || exit 1
	took=$(( when - t_last ))
	log "n$i saw both peers up ${took} ms after the last node started (limit ${limit} ms)"
	[ "$took" -le "$limit" ] || fail "n$i took ${took} ms"
done
for i in 1 2 3; do
	n=$(ctl $i members | grep -c ' up ')
	[ "$n" = 2 ] || fail "n$i lists $n peers up, not 2"
	[ "$(ctl $i --json members | grep -c '"state":"self"')" = 1 ] ||
	    fail "n$i does not list itself as self"
done
# Exactly one stream per pair, whoever dialled first.
wait_for "one stream per pair" "$(scale 5)" streams_are 11 3
n=$(streams 11)
log "$n established streams among 3 nodes"
[ "$n" = 3 ] || fail "$n streams, not 3"
log "PASS"
