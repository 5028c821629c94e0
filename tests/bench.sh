#!/bin/bash
# tests/bench.sh: cohort's performance table (make bench).
#
#	tests/bench.sh [-q] [-r RUNS]
#
# Starts two daemons on 127.91.0.1 and .2 (and, for the last row only,
# seven more on .3 to .9), runs cohort-bench for every row RUNS times
# (default 3), and prints the medians in one table: one-way throughput at
# 64 B, 1 KiB and 64 KiB from an app on n1 to an app on n2, the 64 B round
# trip, a subscriber limited to 100,000 msgs/s of 1 KiB (which must lose
# nothing: the publisher is slowed), the daemons' CPU time per message and
# RSS during the 64 B flood, 64 B throughput with 10,000 wildcard
# subscriptions held on n2, and 64 B broadcast from an app on n1 to one
# app on each of n2 to n9, as messages delivered per second by all eight.
#
# With NATS=FILE, FILE holds the `median nats cluster ...` lines of
# ../shared/bench/nats/run.sh from the same machine (bench-compare.sh does
# both), and each row gets its ratio against NATS.  -q runs tiny counts once:
# CI uses it to check the script works; its numbers mean nothing.
#
# The daemons are configured, started, waited for and stopped with
# tests/lib.sh's helpers, as in the integration tests: each node in its
# own directory of one temp dir, every PID stopped at exit, the daemons'
# logs shown if the run fails.  The table goes to stdout, the rest to
# stderr.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
RUNS=3 QUICK=0
while getopts qr: ch; do
	case $ch in
	q) QUICK=1; RUNS=1 ;;
	r) RUNS=$OPTARG ;;
	*) echo "usage: bench.sh [-q] [-r runs]" >&2; exit 1 ;;
	esac
done
# Counts: -q's tiny ones, or the full ones; each may be set in the
# environment (N64=200000 tests/bench.sh).
if [ $QUICK = 1 ]; then
	d64=20000 d1k=5000 d64k=200 dlat=500 dslow=3000 dsubs=1000 dbc=1000
else
	d64=1000000 d1k=300000 d64k=5000 dlat=20000 dslow=300000 dsubs=10000
	dbc=50000
fi
N64=${N64:-$d64} N1K=${N1K:-$d1k} N64K=${N64K:-$d64k} NLAT=${NLAT:-$dlat}
NSLOW=${NSLOW:-$dslow} NSUBS=${NSUBS:-$dsubs} NBCAST=${NBCAST:-$dbc}

# The programs, as make check names them for lib.sh; bench.sh also runs
# outside make (make bench, .ci/run), on the build in this tree.  It
# never calls memberwait (a check program, not built by make).
COHORTD=${COHORTD:-$top/src/cohortd}
COHORT_BENCH=${COHORT_BENCH:-$top/src/cohort-bench}
COHORTCTL=${COHORTCTL:-$top/src/cohortctl}
MEMBERWAIT=${MEMBERWAIT:-$top/tests/memberwait}
top_srcdir=${top_srcdir:-$top} top_builddir=${top_builddir:-$top}
for b in "$COHORTD" "$COHORT_BENCH" "$COHORTCTL"; do
	[ -x "$b" ] || { echo "bench: $b is missing: build first (make)" >&2; exit 1; }
done
# Nodes n1..nN on 127.91.0.N, each in $T/nI, stopped by lib.sh at exit.
# $0 names the temp dir and the messages: bench.
. "$top/tests/lib.sh"
need_loopback
NET=91

# ups I: how many nodes nI sees up.
ups() { ctl "$1" members 2>/dev/null | grep -c ' up '; }
ups_are() { [ "$(ups "$1")" = "$2" ]; }
# all_up N: each of n1..nN sees the other N - 1 up.
all_up() {
	for i in $(seq "$1"); do ups_are "$i" $(($1 - 1)) || return 1; done
}
# start_pair [extra config]: n1 and n2 in a cluster of two, connected;
# their PIDs in PID1 and PID2.
start_pair() {
	cluster_conf $NET 2 "${1:-}"
	for i in 1 2; do start_node $i; done
	wait_for "n1 and n2 to connect" "$(scale 10)" ups_are 1 1
	PID1=$(pid_of 1) PID2=$(pid_of 2)
}
# stop_child PID: stop a helper started in the background.
stop_child() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	CHILD_PIDS=$(echo "$CHILD_PIDS" | sed "s/ $1\b//")
	return 0
}
start_pair

# field LINE KEY
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

# run NAME ARGS...: RUNS runs of cohort-bench, each last line in $T/NAME.
run() {
	name=$1; shift
	: > "$T/$name"
	for r in $(seq "$RUNS"); do
		if ! "$COHORT_BENCH" "$@" > "$T/out" 2> "$T/err"; then
			echo "bench: $name run $r failed: $(tail -1 "$T/err") $(tail -1 "$T/out")" >&2
		fi
		tail -n 1 "$T/out" >> "$T/$name"
	done
}
med() { while read -r l; do field "$l" "$2"; done < "$T/$1" | median; }
sum() { while read -r l; do field "$l" "$2"; done < "$T/$1" | awk '{ s += $1 } END { print s + 0 }'; }

S1=$(sock 1) S2=$(sock 2)
echo "bench: $(nproc) cores, $RUNS run(s) per row, $(date -u +%Y-%m-%d)" >&2

# 64 B, sampling both daemons' RSS while it runs.
( peak=0; while :; do r=$(( $(rss_kb "$PID1") + $(rss_kb "$PID2") ));
  [ "$r" -gt "$peak" ] && peak=$r && echo "$peak" > "$T/rss"; sleep 0.05; done ) &
SAMPLER=$!
CHILD_PIDS="$CHILD_PIDS $SAMPLER"
run tput64 tput -n "$N64" -s 64 --pub "$S1" --sub "$S2"
stop_child "$SAMPLER"
run tput1k tput -n "$N1K" -s 1024 --pub "$S1" --sub "$S2"
run tput64k tput -n "$N64K" -s 65536 --pub "$S1" --sub "$S2"
run lat64 lat -n "$NLAT" -s 64 --a "$S1" --b "$S2"
run slow1k tput -n "$NSLOW" -s 1024 -R 100000 -T 60 --pub "$S1" --sub "$S2"

# 10,000 subscriptions with wildcards on n2, then 64 B again.
pats=""
for i in $(seq "$NSUBS"); do
	case $((i % 4)) in
	0) pats="$pats orders.r$((i % 97)).i$i" ;;
	1) pats="$pats orders.*.i$i" ;;
	2) pats="$pats metrics.h$i.>" ;;
	3) pats="$pats metrics.*.cpu$i" ;;
	esac
done
# The program itself in the background (not ctl, a function), so that
# $! is its PID.
# shellcheck disable=SC2086
"$COHORTCTL" -s "$S2" sub -t 3600 $pats > /dev/null 2>&1 &
HOLDER=$!
CHILD_PIDS="$CHILD_PIDS $HOLDER"
subs_held() {
	held=$(ctl 2 --json stats | sed -n 's/.*"subscriptions":\([0-9]*\).*/\1/p' | head -1)
	[ "${held:-0}" -ge "$NSUBS" ]
}
wait_for "n2 to hold $NSUBS subscriptions" "$(scale 20)" subs_held
run subs64 tput -n "$N64" -s 64 --pub "$S1" --sub "$S2"
stop_child "$HOLDER"

# Broadcast to 8 nodes, last, so that no other row runs beside seven idle
# daemons or redials absent ones: n1 and n2 learn of n3 to n9 by reload,
# and those run for this row only.
cluster_conf $NET 9
for i in 1 2; do
	ctl $i reload > /dev/null || fail "n$i did not reload its 9-node config"
done
for i in $(seq 3 9); do start_node "$i"; done
subs=""
for i in $(seq 2 9); do subs="$subs --sub $(sock "$i")"; done
# The full mesh, so that no dial competes with the broadcast.
wait_for "the 9 daemons to connect" "$(scale 20)" all_up 9
# shellcheck disable=SC2086
run bcast64 bcast -n "$NBCAST" -s 64 --pub "$S1" $subs
for i in $(seq 9); do stop_node "$i"; done

# The same pair with TLS 1.3 on the peer stream: what encryption costs.
# Each node's files beside its config, named the same on every node.
ROWS="tput64 tput1k tput64k lat64 slow1k subs64 bcast64"
if command -v openssl > /dev/null &&
    "$top/tools/cohort-tls-certs" -d "$T/pki" -c test n1 n2 > /dev/null; then
	for i in 1 2; do
		cp "$T/pki/n$i.crt" "$T/n$i/node.crt"
		cp "$T/pki/n$i.key" "$T/n$i/node.key"
		cp "$T/pki/ca.crt" "$T/n$i/ca.crt"
	done
	start_pair "security = { key_file = \"$(cluster_key)\"; tls = {
  certificate = \"node.crt\"; private_key = \"node.key\"; ca = \"ca.crt\"; }; };"
	run tls1k tput -n "$N1K" -s 1024 --pub "$S1" --sub "$S2"
	run tlslat64 lat -n "$NLAT" -s 64 --a "$S1" --b "$S2"
	ROWS="$ROWS tls1k tlslat64"
	for i in 1 2; do stop_node "$i"; done
else
	echo "bench: no openssl: the TLS rows are not measured" >&2
fi

# NATS medians, if given: nats_med KIND SIZE KEY
nats_med() {
	[ -n "${NATS:-}" ] && [ -f "$NATS" ] || return 0
	l=$(grep "^median nats cluster $1 $2 " "$NATS" | head -1)
	field "$l" "$3"
}

m64=$(med tput64 msgs_per_s) m1k=$(med tput1k msgs_per_s)
mb64k=$(med tput64k MBps)
p50=$(med lat64 p50_us) p99=$(med lat64 p99_us)
slow_lost=$(sum slow1k lost) slow_rate=$(med slow1k pub_msgs_per_s)
cpu=$(med tput64 srv_cpu_s)
cpu_us=$(awk -v c="$cpu" -v n="$N64" 'BEGIN { printf "%.2f", c * 1e6 / n }')
rss=$(cat "$T/rss" 2>/dev/null || echo 0)
s64=$(med subs64 msgs_per_s)
b64=$(med bcast64 msgs_per_s)
t1k=$(med tls1k msgs_per_s 2>/dev/null) tp50=$(med tlslat64 p50_us 2>/dev/null)
loss=$(( $(sum tput64 lost) + $(sum tput64 reordered) + $(sum tput1k lost) + $(sum tput64k lost) +
    $(sum bcast64 lost) + $(sum bcast64 reordered) ))
[ -n "$t1k" ] && loss=$(( loss + $(sum tls1k lost) + $(sum tls1k reordered) ))

n64=$(nats_med tput 64B msgs_per_s) n1k=$(nats_med tput 1KiB msgs_per_s)
nmb=$(nats_med tput 64KiB MBps) np50=$(nats_med lat 64B p50_us)
np99=$(nats_med lat 64B p99_us)

printf '\n%-56s %10s %12s %8s  %s\n' "row (median of $RUNS)" "cohort" "NATS" "ratio" "target"
row() { printf '%-56s %10s %12s %8s  %s\n' "$1" "$2" "${3:--}" "$( [ -n "${3:-}" ] && ratio "$2" "$3" || echo -)" "$4"; }
row "tput 64 B, msgs/s" "$m64" "$n64" ">= 1.5"
row "tput 1 KiB, msgs/s" "$m1k" "$n1k" ">= 1.5"
row "tput 64 KiB, MB/s" "$mb64k" "$nmb" ">= 1.5"
row "round trip 64 B, p50 us" "$p50" "$np50" "<= 1.0"
row "round trip 64 B, p99 us" "$p99" "$np99" "<= 0.75"
row "subscriber at 100k msgs/s of 1 KiB: lost" "$slow_lost" "" "0 (publisher slowed to $slow_rate msgs/s)"
row "daemon CPU per 64 B message, us (both)" "$cpu_us" "" "reported"
row "daemons' peak RSS in the 64 B flood, KiB" "$rss" "" "<= queues + 8 MiB each"
row "tput 64 B with $NSUBS subscriptions on n2" "$s64" "" "ratio to plain: $(ratio "$s64" "$m64") (>= 0.90)"
row "broadcast 64 B to 8 nodes, delivered msgs/s (aggregate)" "$b64" "" "reported"
row "tput 1 KiB over TLS 1.3, msgs/s" "${t1k:--}" "" "reported (ratio to plain: $(ratio "${t1k:-0}" "$m1k"))"
row "round trip 64 B over TLS 1.3, p50 us" "${tp50:--}" "" "reported (plain: $p50)"
row "lost or reordered, all tput and broadcast rows" "$loss" "" "0"
echo "raw results:" >&2
for f in $ROWS; do sed "s/^/  $f: /" "$T/$f" >&2; done
[ "$loss" = 0 ] && [ "$slow_lost" = 0 ]
