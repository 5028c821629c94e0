#!/bin/bash
# Requests served for other nodes are bounded.  A client on n2 sends
# requests to n1 with the longest timeout the protocol carries (2^32-1
# ms, 49 days), to a subject whose subscriber on n1 reads them but never
# replies, and leaves after every 1,000 (which frees its side, within
# limits.requests_per_client).  n1 keeps a token for each request until
# its timeout: its memory must not grow with the number of requests.
. "$(dirname "$0")/lib.sh"
need_loopback
: "${HOSTILE:?run through make check}"

NET=43
cluster_conf $NET 2 "limits = { requests_per_client = 1000; max_clients = 16; };"
for i in 1 2; do start_node $i; done
memberwait 1 n2 up >/dev/null || exit 1
memberwait 2 n1 up >/dev/null || exit 1

dstat() {
	ctl "$1" --json stats | grep '^{"section":"daemon"' |
	    sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"
}
subs_are() { [ "$(dstat 1 subscriptions)" = "$1" ]; }

# The subscriber reads every request and answers none.
$COHORT_WRAP "$COHORTCTL" -s "$(sock 1)" sub -t "$(scale 60)" tok.x \
    >/dev/null 2>&1 &
CHILD_PIDS="$CHILD_PIDS $!"
disown $!
wait_for "the subscriber" "$(scale 5)" subs_are 1

req() {
	out=$("$HOSTILE" requests "$(sock 2)" n1 tok.x "$1" 2>"$T/err") ||
	    fail "requests: $out $(cat "$T/err")"
}
pid=$(pid_of 1)
req 20000
rss0=$(rss_kb "$pid")
s0=$(dstat 1 requests_served)
req 200000
rss1=$(rss_kb "$pid")
s1=$(dstat 1 requests_served)
grow=$(( rss1 - rss0 ))
log "n1 served $s0 -> $s1 requests; RSS $rss0 kB -> $rss1 kB (+$grow kB)"
[ "$(member_field 1 n2 state)" = up ] || fail "n1 lost n2"
[ "$grow" -le 16384 ] ||
    fail "n1's memory grew by $grow kB for 200,000 requests nobody" \
    "answers: requests served for peers are not bounded"
log "PASS"
