#!/bin/bash
# A third node cannot answer a request that was sent to another (issue
# 12, finding 2).  n1's app asks n2, whose app takes the request and
# never answers; a probe that holds the cluster key joins n1 as n3 and
# sends a REPLY with the request's correlation id, read from n1's debug
# log (or, from a daemon that does not log it, every id from 1 to 64:
# ids used to be sequential).  The old daemon handed the forged body to
# the app as n3's answer; now the reply is refused, counted
# (replies_refused) and logged, and the request waits on until its
# timeout, which the app then hears from n1.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/msglib.sh"
need_loopback
: "${PEERPROBE:?run through make check}"

NET=71
cluster_conf $NET 3 "heartbeat = { interval_ms = 200; timeout_ms = 1000; };"
for i in 1 2; do start_node $i; done
memberwait 1 n2 up >/dev/null || exit 1

# n2's app reads requests on svc.slow and answers none.
spawn "$T/sub" $COHORT_WRAP "$COHORTCTL" -s "$(sock 2)" sub -t "$(scale 30)" svc.slow
wait_subs 2 1
spawn "$T/req" $COHORT_WRAP "$COHORTCTL" -s "$(sock 1)" request -t "$(scale 4)" n2 svc.slow hello
reqpid=$SPAWNED
wait_for "the request to reach n2's app" "$(scale 5)" grep -q hello "$T/sub"

corr=$(sed -n 's/.*request \([0-9a-f]\{16\}\) to n2 for svc\.slow.*/\1/p' "$T/n1/log" | head -n 1)
if [ -n "$corr" ]; then ids="0x$corr"; else ids="1-64"; fi
log "n1 sent the request with correlation id ${corr:-(not logged)}; forging replies to $ids"
out=$($COHORT_WRAP "$PEERPROBE" -P -a -k "$(cluster_key)" -C test -i n3 \
    -b "127.$NET.0.3" -R "$ids" -S svc.slow "127.$NET.0.1" 7400) ||
    fail "peerprobe: $out"
case $out in *REPLIED*) ;; *) fail "the probe did not get its replies in as n3: $out" ;; esac

wait "$reqpid"
st=$?
grep -q "forged by n3" "$T/req" &&
    fail "n1's app took n3's forged reply to a request sent to n2: $(cat "$T/req")"
[ $st != 0 ] || fail "the request succeeded: $(cat "$T/req")"
grep -q "no reply from n2 for svc.slow within" "$T/req.err" ||
    fail "the request did not wait for n2 until its timeout: $(cat "$T/req.err")"
[ -n "$corr" ] || fail "n1 does not log the request's correlation id"
[ "$(dstat 1 replies_refused)" = 1 ] ||
    fail "replies_refused is $(dstat 1 replies_refused), not 1"
[ "$(dstat 1 replies)" = 0 ] || fail "n1 delivered $(dstat 1 replies) replies"
grep -q "reply from n3 to request $corr refused: the request was sent to n2" "$T/n1/log" ||
    fail "the refusal is not logged"
log "n3's reply to n2's request was refused and counted; the app heard: $(cat "$T/req.err")"
log "PASS"
