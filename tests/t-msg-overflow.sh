#!/bin/bash
# policy.slow_subscriber "disconnect": a subscriber that does not read is
# disconnected once its unread output would pass limits.client_queue_bytes;
# the daemon logs and counts it and goes on serving; the subscriber learns
# of it from cohort_dispatch() (COHORT_ERR_CLOSED, or COHORT_ERR_REFUSED
# with the daemon's error frame) once it reads again, even when the stream
# was cut in the middle of a frame.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/msglib.sh"
need_loopback

cluster_conf 35 2 "heartbeat = { interval_ms = 200; timeout_ms = 2000; };
limits = { max_message_size = 65536; client_queue_bytes = 262144; };
policy = { slow_subscriber = \"disconnect\"; };"
for i in 1 2; do start_node $i; done
memberwait 1 n2 up >/dev/null || exit 1
memberwait 2 n1 up >/dev/null || exit 1
secs=$(scale 10)

spawn "$T/st" $COHORT_WRAP "$MSGTOOL" stall "$(sock 2)" ov.x "$T/go" "$secs"
st=$SPAWNED
wait_subs 2 1
o0=$(dstat 2 client_queue_overflows)
# 200 bodies of 20,001 bytes: larger than what the daemon writes to a
# socket at once (16 KiB), so that the stream is cut inside a frame.
out=$(mt pub "$(sock 1)" n2 ov.x 200 20001) || fail "pub: $out"
[ "$out" = "sent=200 refused=0 maybe_lost=0" ] || fail "pub: $out"
wait_stat 2 client_queue_overflows $((o0 + 1))
wait_subs 2 0
grep -q 'client [0-9]* (msgtool pid [0-9]*) does not read: [0-9]* bytes queued, limits.client_queue_bytes is 262144; disconnecting it' \
    "$T/n2/log" || fail "n2 did not log the overflow"
log "a subscriber that did not read was disconnected by n2, logged and counted"

# Now it reads: what was sent before the cut, then the news of the cut.
t0=$(now_ms)
touch "$T/go"
wait "$st"
rc=$?
took=$(( $(now_ms) - t0 ))
[ $rc = 0 ] || fail "the stalled subscriber was not told of the disconnection ($(cat "$T/st" "$T/st.err"))"
grep -q '^received=[0-9]* closed: \(closed\|refused\): ' "$T/st" || fail "stall: $(cat "$T/st")"
log "it read $(sed 's/ .*//' "$T/st") and was told, $took ms after it started reading: $(sed 's/^[^ ]* closed: //' "$T/st")"

# n2 still serves.
spawn "$T/ok" $COHORT_WRAP "$COHORTCTL" -s "$(sock 2)" sub -c 1 -t "$secs" ov.ok
ok=$SPAWNED
wait_subs 2 1
ctl 1 send n2 ov.ok "still here" || fail "send after the overflow failed"
finish $ok "sub after the overflow" "$T/ok"
[ "$(cat "$T/ok")" = "n1 ov.ok still here" ] || fail "after the overflow: $(cat "$T/ok")"
log "PASS"
