#!/bin/bash
# Every statistic is one row of src/common/counters.h: cohortd(8)
# documents each, and a running daemon reports exactly those keys, in
# text, JSON and Prometheus, for itself and for each peer.
. "$(dirname "$0")/lib.sh"
need_loopback

hdr="$top_srcdir/src/common/counters.h"
page="$top_srcdir/man/cohortd.8.in"
# X(owner, name, kind, "help") rows, and X(name, kind, "help") for peers.
daemon_keys=$(sed -n '/^#define COHORT_STATS(X)/,/^$/p' "$hdr" |
    sed -n 's/.*X(\([a-z]*\), \([a-z_]*\), \(counter\|gauge\),.*/\2/p')
peer_keys=$(sed -n '/^#define COHORT_PEER_STATS(X)/,/^$/p' "$hdr" |
    sed -n 's/.*X(\([a-z_]*\), \(counter\|gauge\),.*/\1/p')
nd=$(echo "$daemon_keys" | wc -l)
np=$(echo "$peer_keys" | wc -l)
[ "$nd" -ge 50 ] || fail "read only $nd daemon rows from $hdr"
[ "$np" -ge 13 ] || fail "read only $np peer rows from $hdr"

# The page: each key in a .It Li line of the STATISTICS section.
section=$(sed -n '/^\.Sh STATISTICS/,/^\.Sh /p' "$page")
[ -n "$section" ] || fail "cohortd.8.in has no STATISTICS section"
for k in $daemon_keys $peer_keys; do
	echo "$section" | grep -q "^\.It .*Li $k\( \|$\)" ||
	    fail "cohortd(8) STATISTICS does not document $k"
done
log "cohortd(8) documents all $nd daemon and $np peer statistics"

cluster_conf 61 2 "heartbeat = { interval_ms = 200; timeout_ms = 1000; };"
for i in 1 2; do start_node $i; done
memberwait 1 n2 up >/dev/null || exit 1

# JSON: the daemon section's keys are the list, in its order.
json=$(ctl 1 --json stats) || fail "stats --json failed"
got=$(echo "$json" | grep '"section":"daemon"' | grep -o '"[a-z_]*":' |
    tr -d '":' | grep -v '^section$\|^name$')
[ "$got" = "$daemon_keys" ] || fail "daemon keys differ from counters.h:
$(diff <(echo "$daemon_keys") <(echo "$got"))"
got=$(echo "$json" | grep '"section":"peer","name":"n2"' |
    grep -o '"[a-z_]*":' | tr -d '":' | grep -v '^section$\|^name$')
[ "$got" = "$peer_keys" ] || fail "peer keys differ from counters.h:
$(diff <(echo "$peer_keys") <(echo "$got"))"

# Text: one line per key in each section.
text=$(ctl 1 stats) || fail "stats failed"
for k in $daemon_keys $peer_keys; do
	echo "$text" | grep -q "^ *$k " || fail "stats text lacks $k"
done

# Prometheus: a TYPE line per family, with the kind the list gives.
prom=$(ctl 1 stats --prometheus) || fail "stats --prometheus failed"
sed -n '/^#define COHORT_STATS(X)/,/^$/p' "$hdr" |
    sed -n 's/.*X(\([a-z]*\), \([a-z_]*\), \(counter\|gauge\),.*/\2 \3/p' |
    while read -r k kind; do
	echo "$prom" | grep -qx "# TYPE cohort_$k $kind" ||
	    fail "prometheus: no '# TYPE cohort_$k $kind'"
done || exit 1
sed -n '/^#define COHORT_PEER_STATS(X)/,/^$/p' "$hdr" |
    sed -n 's/.*X(\([a-z_]*\), \(counter\|gauge\),.*/\1 \2/p' |
    while read -r k kind; do
	echo "$prom" | grep -qx "# TYPE cohort_peer_$k $kind" ||
	    fail "prometheus: no '# TYPE cohort_peer_$k $kind'"
done || exit 1
log "stats: $nd daemon and $np peer keys in text, JSON and Prometheus"
