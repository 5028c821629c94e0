#!/bin/bash
# Live reload: add a node, remove a node, change a peer's port, change the
# heartbeat, and an invalid file.  The stream to the unchanged peer (n2)
# stays up throughout: its state changes, reconnects and incarnation as n1
# sees them do not move.
. "$(dirname "$0")/lib.sh"
need_loopback

NET=20
cluster_conf $NET 4 "heartbeat = { interval_ms = 200; timeout_ms = 1000; };"
# n1..n3 start without n4 in their lists.
for i in 1 2 3; do
	sed -i '/"n4"/d; s/port = 7400; },$/port = 7400; },/' "$T/n$i/conf"
	# the entry before n4 lost its successor: drop a trailing comma
	sed -i 's/\(id = "n3"; address = "127.20.0.3"; port = 7400; }\),/\1/' "$T/n$i/conf"
done
for i in 1 2 3; do start_node $i; done
for i in 1 2 3; do memberwait $i ALL up >/dev/null || exit 1; done

peer_stat() {	# peer_stat NODE KEY: n1's counter for its peer NODE
	ctl 1 --json stats | grep "\"section\":\"peer\",\"name\":\"$1\"" |
	    sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"
}
daemon_stat() {
	ctl 1 --json stats | grep '"section":"daemon"' |
	    sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"
}
n2_before="$(peer_stat n2 state_changes) $(peer_stat n2 reconnects) $(peer_stat n2 incarnation)"
check_n2() {
	now="$(peer_stat n2 state_changes) $(peer_stat n2 reconnects) $(peer_stat n2 incarnation)"
	[ "$now" = "$n2_before" ] || fail "after $1, n1's stream to n2 changed: ($n2_before) -> ($now)"
	[ "$(member_field 1 n2 state)" = up ] || fail "after $1, n2 is not up on n1"
	log "after $1: n1-n2 untouched (state_changes reconnects incarnation: $now)"
}

# 1. Add a node: n4 starts with the full list; n1 learns of it by reload.
start_node 4
cp "$T/n4/conf" "$T/n1/conf.new"
sed -i 's/^node_id = "n4";/node_id = "n1";/; s|n4/sock|n1/sock|' "$T/n1/conf.new"
mv "$T/n1/conf.new" "$T/n1/conf"
ctl 1 reload || fail "reload (add n4) failed"
memberwait 1 n4 up >/dev/null || exit 1
grep -q 'peer n4 .*reload: added to the config' "$T/n1/log" || fail "n1 did not log the addition"
check_n2 "adding n4"

# 2. Remove a node: n3 leaves n1's list; n3 is told (BYE) and sees "left".
sed -i '/id = "n3"/d' "$T/n1/conf"
ctl 1 reload || fail "reload (remove n3) failed"
# n3 sees n1 "left" (BYE); when it then dials n1 again, n1 refuses it
# (n3 is not in its list any more): "refused".  Either is right.
n1_gone() { case $(member_field 3 n1 state) in left|refused) return 0 ;; esac; return 1; }
wait_for "n3 to see n1 leave" "$(scale 10)" n1_gone
ctl 1 members | grep -q '^n3 ' && fail "n1 still lists n3"
grep -q "config no longer lists n3" "$T/n3/log" || fail "n3 was not told why"
check_n2 "removing n3"

# 3. Change a peer's port: n4 moves to 7401; n1 reloads and redials it.
inc4=$(member_field 1 n4 incarnation)
stop_node 4
sed -i 's/\(id = "n4"; address = "127.20.0.4"; port = \)7400/\17401/' "$T/n4/conf" "$T/n1/conf"
start_node 4
kill -HUP "$(pid_of 1)"	# the SIGHUP path this time
wait_for "n4 up at its new port" "$(scale 10)" sh -c \
    "$COHORTCTL -s $(sock 1) members | grep -q '^n4 .* 7401 up '"
[ "$(member_field 1 n4 incarnation)" != "$inc4" ] || fail "n4 did not restart?"
check_n2 "moving n4 to port 7401"

# 4. Change the heartbeat: the new values are in force.
sed -i 's/interval_ms = 200; timeout_ms = 1000;/interval_ms = 100; timeout_ms = 600;/' "$T/n1/conf"
ctl 1 reload || fail "reload (heartbeat) failed"
[ "$(daemon_stat hb_interval_ms)" = 100 ] || fail "interval not applied: $(daemon_stat hb_interval_ms)"
[ "$(daemon_stat hb_timeout_ms)" = 600 ] || fail "timeout not applied"
# ... and used: a hung n4 is down within the new timeout (+ interval).
t0=$(now_ms)
kill -STOP "$(pid_of 4)"
when=$(memberwait 1 n4 down) || exit 1
took=$((when - t0))
kill -CONT "$(pid_of 4)"
log "with the new heartbeat a stopped n4 was down after ${took} ms (timeout 600 ms)"
[ "$took" -le $(( 700 * COHORT_TIME_SCALE )) ] || fail "new timeout not in force: ${took} ms"
memberwait 1 n4 up >/dev/null || exit 1
check_n2 "changing the heartbeat"

# 5. An invalid file: refused with file:line, the old config stays.
cp "$T/n1/conf" "$T/n1/conf.good"
echo "bogus_key = 1;" >> "$T/n1/conf"
ctl 1 reload 2>"$T/err" && fail "an invalid config was accepted"
grep -q "reload refused, still running on the old config: .*conf:[0-9]*: unknown key 'bogus_key'" "$T/err" ||
    fail "the refusal does not say why: $(cat "$T/err")"
grep -q "reload refused" "$T/n1/log" || fail "the refusal is not in the log"
kill -HUP "$(pid_of 1)"
wait_for "the SIGHUP refusal in the log" "$(scale 5)" sh -c \
    "[ \$(grep -c 'reload refused' '$T/n1/log') -ge 2 ]"
[ "$(daemon_stat hb_interval_ms)" = 100 ] || fail "the old config was not kept"
[ "$(member_field 1 n4 state)" = up ] || fail "n4 lost after a refused reload"
check_n2 "an invalid file"

# 6. Settings that need a restart are named.
cp "$T/n1/conf.good" "$T/n1/conf"
sed -i 's|^socket = .*|socket = "/tmp/elsewhere.sock";|' "$T/n1/conf"
ctl 1 reload || fail "reload (socket) failed"
grep -q "reload: socket takes effect at the next restart" "$T/n1/log" || fail "no warning for socket"
test -S "$(sock 1)" || fail "the socket moved"

# 7. Debug logging switched at run time.
ctl 1 log-level info || fail "log-level info failed"
[ "$(daemon_stat log_debug)" = 0 ] || fail "log level not switched"
n=$(grep -c '^<7>' "$T/n1/log")
ctl 1 members >/dev/null
[ "$(grep -c '^<7>' "$T/n1/log")" = "$n" ] || fail "debug lines after log-level info"
ctl 1 log-level debug || fail "log-level debug failed"
ctl 1 members >/dev/null
[ "$(grep -c '^<7>' "$T/n1/log")" -gt "$n" ] || fail "no debug lines after log-level debug"
log "PASS"
