#!/bin/bash
# systemd notification protocol, seen from systemd's side: READY=1 only
# once the local socket is bound, STATUS= with the peers up, RELOADING=1
# then READY=1 on SIGHUP, WATCHDOG=1 at half of WatchdogSec, STOPPING=1
# on SIGTERM.
. "$(dirname "$0")/lib.sh"
need_loopback

"$COHORTD" -V | grep -q 'systemd notify: yes' ||
    skip "cohortd was built without libsystemd (configure --disable-systemd)"
cluster_conf 21 2
start_node 2
# n1 under a fake systemd: its own datagram socket, watchdog 400 ms.
"$NOTIFYLISTEN" "$T/notify" 30 "$(sock 1)" > "$T/notes" &
CHILD_PIDS="$CHILD_PIDS $!"
wait_for "the listener" 5 grep -q listening "$T/notes"
NOTIFY_SOCKET="$T/notify" WATCHDOG_USEC=400000 \
    "$COHORTD" -d -c "$T/n1/conf" >>"$T/n1/log" 2>&1 &
echo $! > "$T/n1/pid"
PIDS="$PIDS $!"

wait_for "READY=1" "$(scale 10)" grep -q ' READY=1$' "$T/notes"
grep -q " check $(sock 1) present" "$T/notes" ||
    fail "READY=1 came before the local socket was bound: $(cat "$T/notes")"
wait_for "STATUS with the peer up" "$(scale 10)" grep -q ' STATUS=1 of 1 peers up$' "$T/notes"
log "READY=1 after bind; $(grep -c ' STATUS=' "$T/notes") STATUS= lines, e.g. '$(grep ' STATUS=' "$T/notes" | tail -1 | cut -d' ' -f2-)'"

# Watchdog: WatchdogSec 400 ms -> a keep-alive every 200 ms.
w0=$(grep -c ' WATCHDOG=1$' "$T/notes")
t0=$(now_ms)
wait_for "watchdog keep-alives" "$(scale 10)" sh -c "[ \$(grep -c ' WATCHDOG=1\$' '$T/notes') -ge $((w0 + 10)) ]"
t1=$(now_ms)
rate=$(( (t1 - t0) / 10 ))
log "10 WATCHDOG=1 in $((t1 - t0)) ms: one every ${rate} ms (expected 200)"
[ "$rate" -ge 100 ] || fail "keep-alives too fast: every ${rate} ms"

# Reload: RELOADING=1, then READY=1 again.
r0=$(grep -c ' READY=1$' "$T/notes")
kill -HUP "$(pid_of 1)"
wait_for "RELOADING=1" "$(scale 10)" grep -q ' RELOADING=1$' "$T/notes"
wait_for "READY=1 after the reload" "$(scale 10)" sh -c "[ \$(grep -c ' READY=1\$' '$T/notes') -gt $r0 ]"
# RELOADING=1 comes before the second READY=1.
awk '/ RELOADING=1$/ { r = NR } / READY=1$/ { last = NR } END { exit !(r && last > r) }' "$T/notes" ||
    fail "READY=1 did not follow RELOADING=1: $(cat "$T/notes")"

# SIGTERM: STOPPING=1.
stop_node 1
wait_for "STOPPING=1" "$(scale 10)" grep -q ' STOPPING=1$' "$T/notes"
log "RELOADING=1 then READY=1 on SIGHUP; STOPPING=1 on SIGTERM"
log "PASS"
