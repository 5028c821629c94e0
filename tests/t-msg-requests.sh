#!/bin/bash
# Request/reply: 1,000 concurrent requests from one client on n1 to a
# server on n2 each get their own reply; cohortctl request and reply
# round trips, in text and JSON, to a peer and to the local node; two
# responders of one subject take turns; limits.requests_per_client.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/msglib.sh"
need_loopback

# Exactly N requests may be in flight from one client.
N=1000
cluster_conf 33 2 "heartbeat = { interval_ms = 200; timeout_ms = 2000; };
limits = { requests_per_client = $N; };"
for i in 1 2; do start_node $i; done
memberwait 1 n2 up >/dev/null || exit 1
memberwait 2 n1 up >/dev/null || exit 1
secs=$(scale 30)

# 1. Many requests in flight at once, each answered with its own body.
rq0=$(dstat 1 requests)
rp0=$(dstat 1 replies)
sv0=$(dstat 2 requests_served)
spawn "$T/serve" $COHORT_WRAP "$MSGTOOL" serve "$(sock 2)" echo.n $N "$secs"
spid=$SPAWNED
wait_subs 2 1
t0=$(now_ms)
out=$(mt requests "$(sock 1)" n2 echo.n $N "$(scale 20)" 2>"$T/err") ||
    fail "requests: $out $(cat "$T/err")"
ms=$(( $(now_ms) - t0 ))
[ "$out" = "ok=$N bad=0 errors=0" ] || fail "requests: $out"
finish $spid "msgtool serve" "$T/serve"
[ "$(cat "$T/serve")" = "served=$N" ] || fail "serve: $(cat "$T/serve")"
expect_delta "n1 requests" "$rq0" "$(dstat 1 requests)" $N
expect_delta "n1 replies" "$rp0" "$(dstat 1 replies)" $N
expect_delta "n2 requests_served" "$sv0" "$(dstat 2 requests_served)" $N
log "$N concurrent requests n1 -> n2: every one got its own reply in $ms ms"

# 2. cohortctl: reply runs a command with the request on its stdin.
wait_subs 2 0
spawn "$T/up" $COHORT_WRAP "$COHORTCTL" -s "$(sock 2)" reply -c 3 -t "$secs" upper -- tr a-z A-Z
upid=$SPAWNED
wait_subs 2 1
out=$(ctl 1 request n2 upper "hello, world") || fail "request upper failed"
[ "$out" = "HELLO, WORLD" ] || fail "request upper: \"$out\""
ctl 1 request n2 upper "no newline" > "$T/raw" || fail "request upper failed"
printf 'NO NEWLINE' | cmp -s - "$T/raw" || fail "request printed more than the body: $(od -c "$T/raw")"
out=$(printf 'from\nstdin' | ctl 1 --json request -t 5 n2 upper) || fail "request --json failed"
[ "$out" = '{"from":"n2","subject":"upper","data":"FROM\nSTDIN"}' ] || fail "request --json: $out"
finish $upid "cohortctl reply" "$T/up"
log "cohortctl request + reply -- tr a-z A-Z: text, exact body, JSON, body from stdin"

# 3. To the local node.
spawn "$T/self" $COHORT_WRAP "$COHORTCTL" -s "$(sock 1)" reply -c 1 -t "$secs" rot13 -- tr a-z n-za-m
rpid=$SPAWNED
wait_subs 1 1
sent0=$(dstat 1 msgs_sent)
out=$(ctl 1 request n1 rot13 "cohort") || fail "request to n1 failed"
[ "$out" = "pbubeg" ] || fail "request to n1: \"$out\""
finish $rpid "cohortctl reply on n1" "$T/self"
expect_delta "n1 msgs_sent" "$sent0" "$(dstat 1 msgs_sent)" 0
log "request n1 from n1 answered locally"

# 4. Two responders of one subject take turns.
wait_subs 1 0
spawn "$T/ra" $COHORT_WRAP "$COHORTCTL" -s "$(sock 2)" reply -c 2 -t "$secs" who -- echo A
ra=$SPAWNED
spawn "$T/rb" $COHORT_WRAP "$COHORTCTL" -s "$(sock 2)" reply -c 2 -t "$secs" who -- echo B
rb=$SPAWNED
wait_subs 2 2
got=""
for i in 1 2 3 4; do
	got="$got$(ctl 1 request n2 who)" || fail "request who $i failed"
done
finish $ra "responder A" "$T/ra"
finish $rb "responder B" "$T/rb"
case $got in
ABAB|BABA) ;;
*) fail "two responders answered $got, not in turn" ;;
esac
log "two responders on n2 answered in turn: $got"

# 5. limits.requests_per_client: with N requests waiting for a responder
# that does not read, the next ones are refused at once.
wait_subs 2 0
spawn "$T/held" $COHORT_WRAP "$MSGTOOL" stall "$(sock 2)" held "$T/never" "$secs"
hpid=$SPAWNED
wait_subs 2 1
rf0=$(dstat 1 requests_refused)
to0=$(dstat 1 request_timeouts)
out=$(mt requests "$(sock 1)" n2 held $((N + 10)) "$(scale 2)" 2>"$T/err") &&
    fail "$((N + 10)) requests to a responder that does not read succeeded"
[ "$out" = "ok=0 bad=0 errors=$((N + 10))" ] || fail "requests beyond the limit: $out"
grep -q "^msgtool requests: request $N: refused: $N requests in flight already (limits.requests_per_client)$" "$T/err" ||
    fail "request $((N + 1)) was not refused for the limit: $(cat "$T/err")"
expect_delta "n1 requests_refused" "$rf0" "$(dstat 1 requests_refused)" 10
expect_delta "n1 request_timeouts" "$to0" "$(dstat 1 request_timeouts)" $N
kill "$hpid"
log "limits.requests_per_client ($N): 10 more refused at once, the $N in flight timed out"
log "PASS"
