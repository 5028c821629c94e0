#!/bin/bash
# Messaging errors: unknown and down nodes, bodies over
# limits.max_message_size, requests nobody serves and requests that time
# out.  Each is reported to the sender in one line naming what failed,
# counted by the daemon, and leaves the daemon serving.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/msglib.sh"
need_loopback

MAX=65536
cluster_conf 32 3 "heartbeat = { interval_ms = 100; timeout_ms = 1000; };
limits = { max_message_size = $MAX; client_queue_bytes = 1048576;
    peer_queue_bytes = 1048576; };"
for i in 1 2 3; do start_node $i; done
for i in 1 2 3; do memberwait $i ALL up >/dev/null || exit 1; done
secs=$(scale 20)

# one_line DESC: the command failed with exactly one line on stderr.
one_line() {
	[ "$(wc -l < "$T/err")" = 1 ] || fail "$1: not one line: $(cat "$T/err")"
}

# serves: n1 still answers, and a message from n1 still reaches n2 (which
# holds no other subscription then).
nserve=0
serves() {
	nserve=$((nserve + 1))
	ctl 1 members >/dev/null || fail "n1 does not list members after $1"
	spawn "$T/ok" $COHORT_WRAP "$COHORTCTL" -s "$(sock 2)" sub -c 1 -t "$secs" "ok.$nserve"
	okpid=$SPAWNED
	wait_subs 2 1
	ctl 1 send n2 "ok.$nserve" "still here" || fail "send after $1 failed"
	finish $okpid "sub after $1" "$T/ok"
	[ "$(cat "$T/ok")" = "n1 ok.$nserve still here" ] ||
	    fail "after $1, n2 got: $(cat "$T/ok")"
	wait_subs 2 0
}

# 1. An unknown node.
u0=$(dstat 1 unreachable)
ctl 1 send n9 x.y "hello" 2>"$T/err" && fail "send to unknown n9 succeeded"
one_line "send n9"
grep -qx 'cohortctl: send: n9: no such node in the config' "$T/err" ||
    fail "send n9: $(cat "$T/err")"
expect_delta "n1 unreachable" "$u0" "$(dstat 1 unreachable)" 1
serves "send to an unknown node"
log "send to unknown n9: $(cat "$T/err")"

# Invalid subjects and patterns, refused by the daemon.
bs0=$(dstat 1 bad_subjects)
ctl 1 send n2 'x.*' "hello" 2>"$T/err" && fail "send to a wildcard subject succeeded"
one_line "send x.*"
grep -qx 'cohortctl: send: "x.\*": wildcards are for subscriptions, not for sending' "$T/err" ||
    fail "send x.*: $(cat "$T/err")"
ctl 1 send n2 'x..y' "hello" 2>"$T/err" && fail "send to x..y succeeded"
grep -q '^cohortctl: send: "x\.\.y": ' "$T/err" || fail "send x..y: $(cat "$T/err")"
ctl 1 sub -t 1 'x.>.y' 2>"$T/err" && fail "sub x.>.y succeeded"
one_line "sub x.>.y"
grep -q '^cohortctl: subscribe x\.>\.y: "x\.>\.y": ' "$T/err" || fail "sub x.>.y: $(cat "$T/err")"
expect_delta "n1 bad_subjects" "$bs0" "$(dstat 1 bad_subjects)" 3
# A sub that times out short of its count exits 2.
ctl 1 sub -c 1 -t 1 x.quiet 2>"$T/err"
rc=$?
[ $rc = 2 ] || fail "sub -c 1 -t 1 with nothing sent exited $rc"
grep -qx 'cohortctl: sub: timed out after 0 of 1 messages' "$T/err" || fail "sub timeout: $(cat "$T/err")"
serves "invalid subjects"
log "invalid subjects and patterns refused (bad_subjects +3); sub short of its count exits 2"

# A multicast naming an unknown node reaches the others.
spawn "$T/m" $COHORT_WRAP "$COHORTCTL" -s "$(sock 2)" sub -c 1 -t "$secs" x.multi
mpid=$SPAWNED
wait_subs 2 1
ctl 1 multicast n9,n2 x.multi "to n9 and n2" 2>"$T/err" && fail "multicast to unknown n9 succeeded"
one_line "multicast n9,n2"
grep -qx 'cohortctl: multicast: not delivered to n9: no such node in the config' "$T/err" ||
    fail "multicast n9,n2: $(cat "$T/err")"
finish $mpid "n2's multicast subscriber" "$T/m"
[ "$(cat "$T/m")" = "n1 x.multi to n9 and n2" ] || fail "multicast to n2: $(cat "$T/m")"
wait_subs 2 0

# 2. A node that is down.
kill_node 3 KILL
memberwait 1 n3 down >/dev/null
u0=$(dstat 1 unreachable)
ctl 1 send n3 x.y "hello" 2>"$T/err" && fail "send to down n3 succeeded"
one_line "send n3"
grep -qx 'cohortctl: send: n3: node is not up' "$T/err" || fail "send n3: $(cat "$T/err")"
log "send to down n3: $(cat "$T/err")"
# A multicast fails naming n3; n2 gets it all the same.
spawn "$T/m" $COHORT_WRAP "$COHORTCTL" -s "$(sock 2)" sub -c 1 -t "$secs" x.multi
mpid=$SPAWNED
wait_subs 2 1
ctl 1 multicast n2,n3 x.multi "to both" 2>"$T/err" && fail "multicast to down n3 succeeded"
one_line "multicast n2,n3"
grep -qx 'cohortctl: multicast: not delivered to n3: node is not up' "$T/err" ||
    fail "multicast: $(cat "$T/err")"
finish $mpid "n2's multicast subscriber" "$T/m"
[ "$(cat "$T/m")" = "n1 x.multi to both" ] || fail "multicast to n2: $(cat "$T/m")"
wait_subs 2 0
# A broadcast reaches every up node: it succeeds, naming n3.  (Whether
# n3 then counts as unreachable is left open: it is not a target.)
ub0=$(dstat 1 unreachable)
ctl 1 broadcast x.all "to all" 2>"$T/err" || fail "broadcast with n3 down failed"
grep -qx 'cohortctl: broadcast: not delivered to n3: node is not up' "$T/err" ||
    fail "broadcast: $(cat "$T/err")"
ub=$(( $(dstat 1 unreachable) - ub0 ))
# Fire and forget is not silent either: every publish comes back refused.
out=$(mt pub "$(sock 1)" n3 x.y 10 16 2>"$T/err") || fail "msgtool pub: $(cat "$T/err")"
[ "$out" = "sent=0 refused=10 maybe_lost=0" ] || fail "publish to down n3: $out"
# A request fails at once.
ctl 1 request -t 10 n3 x.y "hello" 2>"$T/err" && fail "request to down n3 succeeded"
grep -qx 'cohortctl: request: n3: node is not up' "$T/err" || fail "request n3: $(cat "$T/err")"
# send 1, multicast 1, publish 10, request 1.
expect_delta "n1 unreachable" "$u0" "$(( $(dstat 1 unreachable) - ub ))" 13
serves "errors about a down node"
log "down n3: send, multicast, publish, request refused naming n3 (unreachable +13); broadcast reached the rest (unreachable +$ub)"

# 3. Bodies over limits.max_message_size.
tb0=$(dstat 1 too_big)
out=$(mt sendsize "$(sock 1)" n2 x.big $((MAX + 1))) && fail "a body of $((MAX + 1)) bytes was sent"
[ "$out" = "too_big: message of $((MAX + 1)) bytes is larger than limits.max_message_size ($MAX)" ] ||
    fail "libcohort on $((MAX + 1)) bytes: $out"
mt gen prng $((MAX + 1)) > "$T/big"
ctl 1 send n2 x.big < "$T/big" 2>"$T/err" && fail "cohortctl sent $((MAX + 1)) bytes"
one_line "send of $((MAX + 1)) bytes"
grep -qx "cohortctl: send: message of $((MAX + 1)) bytes is larger than limits.max_message_size ($MAX)" "$T/err" ||
    fail "cohortctl on $((MAX + 1)) bytes: $(cat "$T/err")"
# libcohort refuses before sending; the daemon refuses what gets past it.
out=$(mt rawpub "$(sock 1)" n2 x.big $((MAX + 1))) || fail "rawpub failed"
[ "$out" = "error message larger than limits.max_message_size: message of $((MAX + 1)) bytes is larger than limits.max_message_size ($MAX)" ] ||
    fail "the daemon on $((MAX + 1)) bytes: $out"
expect_delta "n1 too_big" "$tb0" "$(dstat 1 too_big)" 1
# Exactly the maximum goes through, intact.
spawn "$T/x" $COHORT_WRAP "$MSGTOOL" expect "$(sock 2)" x.max "$secs" prng:$MAX
xpid=$SPAWNED
wait_subs 2 1
out=$(mt sendsize "$(sock 1)" n2 x.max $MAX) || fail "a body of $MAX bytes: $out"
finish $xpid "msgtool expect" "$T/x"
grep -qx "message 1 (prng:$MAX) from n1: intact" "$T/x" || fail "max size: $(cat "$T/x")"
wait_subs 2 0
serves "too big bodies"
log "$((MAX + 1)) bytes refused by libcohort, cohortctl and the daemon (too_big +1); $MAX bytes arrived intact"

# 4. A request that nothing serves fails at once, well before its timeout.
nr0=$(dstat 1 no_responder)
t0=$(now_ms)
ctl 1 request -t 10 n2 nobody.home "anyone?" 2>"$T/err" && fail "request without responder succeeded"
took=$(( $(now_ms) - t0 ))
one_line "request without responder"
grep -qx 'cohortctl: request: no responder for nobody.home on n2' "$T/err" ||
    fail "no responder: $(cat "$T/err")"
[ $took -lt $(( $(scale 2) * 1000 )) ] || fail "no responder took $took ms"
expect_delta "n1 no_responder" "$nr0" "$(dstat 1 no_responder)" 1
serves "a request without responder"
log "request nobody serves: failed in $took ms (timeout 10 s): $(cat "$T/err")"

# 5. A responder slower than the request's timeout.
rt0=$(dstat 1 request_timeouts)
lr0=$(dstat 2 late_replies)
spawn "$T/slow" $COHORT_WRAP "$COHORTCTL" -s "$(sock 2)" reply -c 1 -t "$secs" slow -- sleep "$(scale 3)"
spid=$SPAWNED
wait_subs 2 1
t0=$(now_ms)
ctl 1 request -t 1 n2 slow "take your time" 2>"$T/err" && fail "request to a slow responder succeeded"
took=$(( $(now_ms) - t0 ))
one_line "request timeout"
grep -qx 'cohortctl: request: no reply from n2 for slow within 1000 ms' "$T/err" ||
    fail "timeout: $(cat "$T/err")"
[ $took -ge 1000 ] && [ $took -lt $(( 1000 + $(scale 1500) )) ] ||
    fail "a 1 s request timed out after $took ms"
expect_delta "n1 request_timeouts" "$rt0" "$(dstat 1 request_timeouts)" 1
# The reply comes after n2 has forgotten the request: dropped and counted.
finish $spid "the slow responder" "$T/slow"
wait_stat 2 late_replies $((lr0 + 1))
wait_subs 2 0
serves "a request timeout"
log "request -t 1 to a 3 s responder: failed after $took ms, late reply counted: $(cat "$T/err")"
log "PASS"
