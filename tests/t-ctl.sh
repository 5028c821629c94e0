#!/bin/bash
# cohortctl: members and events in text and JSON, and its errors.
. "$(dirname "$0")/lib.sh"
need_loopback

cluster_conf 17 2 "heartbeat = { interval_ms = 200; timeout_ms = 1000; };"
for i in 1 2; do start_node $i; done
memberwait 1 n2 up >/dev/null || exit 1
memberwait 2 n1 up >/dev/null || exit 1

# members, text: a header and one line per node.
out=$(ctl 1 members) || fail "members failed"
echo "$out" | head -n 1 | grep -q '^ID  *ADDRESS  *PORT  *STATE  *RTT  *INCARNATION  *SINCE$' ||
    fail "members header: $out"
echo "$out" | grep -q '^n1  *127\.17\.0\.1  *7400  *self ' || fail "members n1 line: $out"
echo "$out" | grep -q '^n2  *127\.17\.0\.2  *7400  *up ' || fail "members n2 line: $out"

# members --json: one object per line with the keys design.md fixes.
out=$(ctl 1 --json members) || fail "members --json failed"
[ "$(echo "$out" | wc -l)" = 2 ] || fail "members --json: not 2 lines: $out"
for key in id address port state rtt_us incarnation; do
	[ "$(echo "$out" | grep -c "\"$key\":")" = 2 ] || fail "members --json lacks $key: $out"
done
echo "$out" | grep -q '^{"id":"n2","address":"127.17.0.2","port":7400,"state":"up","rtt_us":[0-9]*,"incarnation":[1-9][0-9]*,' ||
    fail "members --json n2 line: $out"
# The RTT is measured once a few heartbeats have gone by.
wait_for "an RTT for n2" "$(scale 5)" sh -c "[ \"\$($COHORTCTL -s $(sock 1) --json members | grep '\"n2\"' | sed 's/.*\"rtt_us\":\([0-9]*\).*/\1/')\" -gt 0 ]"

# stats: a daemon section and one per peer, with moving counters.
out=$(ctl 1 --json stats) || fail "stats --json failed"
echo "$out" | grep -q '^{"section":"daemon","name":"n1","uptime_ms":[0-9]*,' || fail "stats daemon: $out"
line=$(echo "$out" | grep '"section":"peer","name":"n2"')
for key in frames_in frames_out bytes_in bytes_out; do
	v=$(echo "$line" | sed -n "s/.*\"$key\":\([0-9]*\).*/\1/p")
	[ -n "$v" ] && [ "$v" -gt 0 ] || fail "stats: $key of n2 is '$v': $line"
done
echo "$line" | grep -q '"state":"up"' || fail "stats: n2 not up: $line"
for key in srtt_us incarnation reconnects state_changes since_ms; do
	echo "$line" | grep -q "\"$key\":[0-9]" || fail "stats: no $key: $line"
done
ctl 1 stats | grep -q '^peer n2$' || fail "stats text has no peer n2 section"
ctl 1 stats | grep -q '^  frames_in  *[1-9]' || fail "stats text has no frames_in"

# stats --prometheus: the text exposition format, each family once.
ctl 1 stats --prometheus > "$T/prom" || fail "stats --prometheus failed"
grep -q '^# TYPE cohort_uptime_ms gauge$' "$T/prom" || fail "no uptime gauge: $(head "$T/prom")"
grep -q '^cohort_peers_up{node="n1"} 1$' "$T/prom" || fail "no peers_up sample"
grep -q '^# TYPE cohort_peer_frames_in counter$' "$T/prom" || fail "no per-peer counter"
grep -q '^cohort_peer_frames_in{node="n1",peer="n2"} [1-9][0-9]*$' "$T/prom" || fail "no n2 frames_in"
dups=$(grep '^# TYPE' "$T/prom" | sort | uniq -d | wc -l)
[ "$dups" = 0 ] || fail "TYPE lines repeated: $(grep '^# TYPE' "$T/prom" | sort | uniq -d)"
grep -v '^#' "$T/prom" | grep -qv '^[a-z_]*{[a-z]*="[^"]*"\(,[a-z]*="[^"]*"\)*} [0-9][0-9]*$' &&
    fail "a line is not a sample: $(grep -v '^#' "$T/prom" | grep -v '^[a-z_]*{[a-z]*="[^"]*"\(,[a-z]*="[^"]*"\)*} [0-9][0-9]*$' | head -1)"

# events --json: start following, then make a change.
nwatch=$(grep -c 'follows membership events' "$T/n1/log")
ctl 1 --json events -c 2 -t "$(scale 10)" > "$T/events.json" 2>"$T/events.err" &
evpid=$!
CHILD_PIDS="$CHILD_PIDS $evpid"
# Wait until the daemon has the subscription (its debug log says so).
wait_for "the events client" "$(scale 5)" sh -c \
    "[ \$(grep -c 'follows membership events' '$T/n1/log') -gt $nwatch ]"
stop_node 2
start_node 2
wait "$evpid" || fail "events exited $? : $(cat "$T/events.err")"
grep -q '^{"node":"n2","state":"left","prev_state":"up","incarnation":[0-9]*,"time_ms":[0-9]*}$' "$T/events.json" ||
    fail "no left event: $(cat "$T/events.json")"
grep -q '^{"node":"n2","state":"up","prev_state":"left",' "$T/events.json" ||
    fail "no up event: $(cat "$T/events.json")"

# events: -c with a timeout that expires first exits 2 with a reason.
ctl 1 events -c 1 -t 1 >/dev/null 2>"$T/err"
rc=$?
[ $rc = 2 ] || fail "events timeout exit status $rc, not 2"
grep -q 'timed out after 0 of 1 events' "$T/err" || fail "events timeout message: $(cat "$T/err")"
# Without -c, the timeout is the normal end.
ctl 1 events -t 1 >/dev/null || fail "events -t 1 did not exit 0"

# Errors: one line on stderr, exit 1.
"$COHORTCTL" -s "$T/nonexistent.sock" members >/dev/null 2>"$T/err" && fail "members on a missing socket succeeded"
[ "$(wc -l < "$T/err")" = 1 ] || fail "more than one line: $(cat "$T/err")"
grep -q "cannot connect to cohortd at $T/nonexistent.sock" "$T/err" || fail "bad message: $(cat "$T/err")"
"$COHORTCTL" -s "$(sock 1)" frobnicate 2>"$T/err" && fail "unknown command succeeded"
grep -q 'unknown command "frobnicate"' "$T/err" || fail "bad message: $(cat "$T/err")"
"$COHORTCTL" -s "$(sock 1)" events -c x 2>"$T/err" && fail "events -c x succeeded"
grep -q -- '-c must be a number' "$T/err" || fail "bad message: $(cat "$T/err")"
# $COHORT_SOCKET is honoured.
COHORT_SOCKET=$(sock 2) "$COHORTCTL" --json members | grep -q '"id":"n2".*"state":"self"' ||
    fail "COHORT_SOCKET not honoured"
log "PASS"
