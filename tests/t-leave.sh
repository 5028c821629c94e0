#!/bin/bash
# SIGTERM: the node says BYE, the others see "left" at once (not "down"),
# and its socket file is gone.
. "$(dirname "$0")/lib.sh"
need_loopback

cluster_conf 16 3
for i in 1 2 3; do start_node $i; done
for i in 1 2 3; do memberwait $i ALL up >/dev/null || exit 1; done

limit=$(( 200 * COHORT_TIME_SCALE ))
t0=$(now_ms)
stop_node 2
for i in 1 3; do
	when=$(memberwait $i n2 left) || exit 1
	took=$(( when - t0 ))
	log "n$i saw n2 left ${took} ms after SIGTERM (limit ${limit} ms)"
	[ "$took" -le "$limit" ] || fail "n$i took ${took} ms"
done
[ ! -e "$T/n2/sock" ] || fail "n2's socket file is still there"
grep -q "said BYE" "$T/n1/log" || fail "n1's log does not mention the BYE"
# It comes back as up after a restart.
start_node 2
memberwait 1 n2 up >/dev/null || exit 1
log "PASS"
