#!/bin/bash
# 20 nodes on one machine reach a full mesh and stay there for 30 s with
# no state change; prints RSS per daemon and CPU seconds used while idle.
. "$(dirname "$0")/lib.sh"
need_loopback

N=20
HOLD=${COHORT_MESH_HOLD:-30}
cluster_conf 18 $N
for i in $(seq 1 $N); do start_node $i; done
for i in $(seq 1 $N); do
	memberwait $i ALL up >/dev/null || exit 1
done
pairs=$(( N * (N - 1) / 2 ))
wait_for "one stream per pair" "$(scale 5)" streams_are 18 $pairs
log "full mesh of $N nodes over $(streams 18) streams (one per pair: $pairs)"
for i in $(seq 1 $N); do
	ctl $i --json members | sed 's/.*"id":"\([^"]*\)".*"state":"\([^"]*\)".*"since_ms":\([0-9]*\).*/\1 \2 \3/' > "$T/n$i/before"
	[ "$(grep -c ' up ' "$T/n$i/before")" = $((N - 1)) ] || fail "n$i: not $((N - 1)) peers up"
	cpu0[$i]=$(cpu_ticks "$(pid_of $i)")
done

# Hold, watching for any change on n1 meanwhile.
ctl 1 --json events -t "$HOLD" > "$T/events" &
evpid=$!
CHILD_PIDS="$CHILD_PIDS $evpid"
wait "$evpid"
[ ! -s "$T/events" ] || fail "state changes during the hold: $(cat "$T/events")"

hz=$(getconf CLK_TCK)
total_rss=0 total_cpu=0
for i in $(seq 1 $N); do
	pid=$(pid_of $i)
	ctl $i --json members | sed 's/.*"id":"\([^"]*\)".*"state":"\([^"]*\)".*"since_ms":\([0-9]*\).*/\1 \2 \3/' > "$T/n$i/after"
	cmp -s "$T/n$i/before" "$T/n$i/after" ||
	    fail "n$i's view changed during ${HOLD}s: $(diff "$T/n$i/before" "$T/n$i/after")"
	rss=$(rss_kb "$pid")
	cpu=$(( $(cpu_ticks "$pid") - cpu0[$i] ))
	total_rss=$((total_rss + rss)) total_cpu=$((total_cpu + cpu))
	printf '%s: n%-2s rss %6s KiB  cpu %s.%02d s in %s s idle\n' "$TEST_NAME" \
	    "$i" "$rss" $((cpu / hz)) $(( (cpu % hz) * 100 / hz )) "$HOLD"
done
log "total: rss $total_rss KiB, cpu $((total_cpu / hz)).$(( (total_cpu % hz) * 100 / hz )) s over ${HOLD}s for $N daemons; zero state changes"
log "PASS"
