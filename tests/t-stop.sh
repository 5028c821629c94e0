#!/bin/bash
# SIGSTOP of one node: a hung peer is down within timeout + one interval;
# after SIGCONT it is up again with the same incarnation (no restart).
. "$(dirname "$0")/lib.sh"
need_loopback

interval=200 timeout=1000
cluster_conf 13 3 "heartbeat = { interval_ms = $interval; timeout_ms = $timeout; };
limits = { hello_timeout_ms = 1000; };"
for i in 1 2 3; do start_node $i; done
for i in 1 2 3; do memberwait $i ALL up >/dev/null || exit 1; done
inc=$(member_field 1 n3 incarnation)

limit=$(( (timeout + interval) * COHORT_TIME_SCALE ))
t0=$(now_ms)
kill -STOP "$(pid_of 3)"
for i in 1 2; do
	when=$(memberwait $i n3 down) || exit 1
	took=$(( when - t0 ))
	log "n$i reported stopped n3 down ${took} ms after SIGSTOP (limit ${limit} ms)"
	[ "$took" -le "$limit" ] || fail "n$i took ${took} ms"
done
grep -q "nothing received for $timeout ms" "$T/n1/log" ||
    fail "n1's log does not say why n3 is down"

t0=$(now_ms)
kill -CONT "$(pid_of 3)"
for i in 1 2; do
	when=$(memberwait $i n3 up) || exit 1
	log "n$i saw n3 up again $(( when - t0 )) ms after SIGCONT"
done
[ "$(member_field 1 n3 incarnation)" = "$inc" ] ||
    fail "n3's incarnation changed across SIGSTOP/SIGCONT"
when=$(memberwait 3 ALL up) || exit 1
log "PASS"
