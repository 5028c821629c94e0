#!/bin/bash
# cohort-bench on three nodes: a short throughput run from n1 to n2 with
# no loss, a short ping-pong, a short broadcast from n1 to subscribers on
# n2 and n3, and the exit statuses of a run that loses everything and of
# ones that cannot start.  Results are printed, never judged by their
# speed.
. "$(dirname "$0")/lib.sh"
need_loopback
: "${COHORT_BENCH:?run through make check}"

# bench ARGS...: run cohort-bench; its stdout in $T/out, stderr in $T/err.
bench() {
	$COHORT_WRAP "$COHORT_BENCH" "$@" >"$T/out" 2>"$T/err"
}
# has KEY=VALUE-REGEX: the result line (the last on stdout) has that pair.
has() {
	tail -n 1 "$T/out" | grep -Eq "(^| )$1( |\$)"
}
result() { tail -n 1 "$T/out"; }
errors() { cat "$T/err" >&2; }

cluster_conf 19 3
for i in 1 2 3; do start_node $i; done
for n in n2 n3; do memberwait 1 $n up >/dev/null || exit 1; done
memberwait 2 n1 up >/dev/null || exit 1
memberwait 3 n1 up >/dev/null || exit 1

"$COHORT_BENCH" -h | grep -q 'cohort-bench tput' || fail "-h lacks tput"
"$COHORT_BENCH" -h | grep -q 'cohort-bench lat' || fail "-h lacks lat"
"$COHORT_BENCH" -h | grep -q 'cohort-bench bcast' || fail "-h lacks bcast"

bench tput -n 20000 -s 64 -T "$(scale 10)" --pub "$(sock 1)" \
    --sub "$(sock 2)"
rc=$?
log "tput: $(result)"
[ $rc = 0 ] || { errors; fail "tput exited $rc"; }
for kv in mode=tput n=20000 from=n1 to=n2 recv=20000 'msgs_per_s=[0-9]+' \
    'MBps=[0-9.]+' lost=0 gaps=0 reordered=0 dup=0 corrupt=0 refused=0; do
	has "$kv" || fail "tput result lacks $kv: $(result)"
done

bench lat -n 500 -w 100 -T "$(scale 10)" --a "$(sock 1)" --b "$(sock 2)"
rc=$?
log "lat: $(result)"
[ $rc = 0 ] || { errors; fail "lat exited $rc"; }
for kv in mode=lat n=500 'p50_us=[0-9.]+' 'p99_us=[0-9.]+' \
    'max_us=[0-9.]+'; do
	has "$kv" || fail "lat result lacks $kv: $(result)"
done

# Every message reaches both receivers, and each has a line of its own
# before the result.
bench bcast -n 5000 -s 64 -T "$(scale 10)" --pub "$(sock 1)" \
    --sub "$(sock 2)" --sub "$(sock 3)"
rc=$?
log "bcast: $(result)"
[ $rc = 0 ] || { errors; fail "bcast exited $rc"; }
for kv in mode=bcast n=5000 from=n1 nodes=2 recv=10000 'msgs_per_s=[0-9]+' \
    lost=0 gaps=0 reordered=0 dup=0 corrupt=0 refused=0 closed=0; do
	has "$kv" || fail "bcast result lacks $kv: $(result)"
done
for n in n2 n3; do
	grep -Eq "^node=$n recv=5000 lost=0 gaps=0 reordered=0 " "$T/out" ||
	    fail "no clean line for $n: $(cat "$T/out")"
done

# A broadcast is not delivered on the publisher's node: refused at once.
bench bcast -n 10 --pub "$(sock 1)" --sub "$(sock 2)" --sub "$(sock 1)"
rc=$?
[ $rc = 1 ] || fail "bcast to the publisher's node exited $rc"
grep -q "publisher's node" "$T/err" ||
    fail "reason for a receiver on the publisher's node: $(cat "$T/err")"

# Published to n1, where nobody listens: the subscriber on n2 waits -T,
# then reports everything lost, with exit status 3.
bench tput -n 100 -T "$(scale 1)" --pub "$(sock 1)" --sub "$(sock 2)" \
    --to n1
rc=$?
log "tput to the wrong node: $(result)"
[ $rc = 3 ] || { errors; fail "a run that lost everything exited $rc"; }
has lost=100 && has recv=0 && has timeout=1 ||
    fail "wrong counts for a lost run: $(result)"

# An unknown node: exit status 1 and a one-line reason.
bench tput -n 10 --pub "$(sock 1)" --sub "$(sock 2)" --to n9
rc=$?
[ $rc = 1 ] || fail "tput to an unknown node exited $rc"
[ "$(wc -l < "$T/err")" = 1 ] && grep -q n9 "$T/err" ||
    fail "reason for an unknown node: $(cat "$T/err")"
log "PASS"
