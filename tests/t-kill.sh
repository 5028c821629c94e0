#!/bin/bash
# kill -9 of one node: the others report it down within 200 ms (its
# streams close), measured on the daemons' own clock.
. "$(dirname "$0")/lib.sh"
need_loopback

cluster_conf 12 3 "heartbeat = { interval_ms = 500; timeout_ms = 2500; };"
for i in 1 2 3; do start_node $i; done
for i in 1 2 3; do memberwait $i ALL up >/dev/null || exit 1; done

limit=$(( 200 * COHORT_TIME_SCALE ))
t0=$(now_ms)
kill_node 3 KILL
for i in 1 2; do
	when=$(memberwait $i n3 down) || exit 1
	took=$(( when - t0 ))
	log "n$i reported n3 down ${took} ms after kill -9 (limit ${limit} ms)"
	[ "$took" -le "$limit" ] || fail "n$i took ${took} ms to see n3 down"
done
# The survivors still see each other.
[ "$(member_field 1 n2 state)" = up ] || fail "n1 lost n2"
[ "$(member_field 2 n1 state)" = up ] || fail "n2 lost n1"
log "PASS"
