#!/bin/bash
# tests/bench-ab.sh: judge a change on the hot path by interleaved runs.
#
#	tests/bench-ab.sh OLD_BUILD NEW_BUILD [PAIRS]
#
# Runs this tree's tests/bench.sh once with OLD_BUILD's binaries, then once
# with NEW_BUILD's, PAIRS times (default 3), so that both see the same
# machine noise; prints the medians of the throughput rows for each and
# NEW/OLD.  A build directory is a tree where `make` ran (src/cohortd,
# src/cohort-bench, src/cohortctl).  Run it alone on the machine, in
# `unshare -n sh -c 'ip link set lo up; ...'` if tests run beside it.
set -eu
[ $# -ge 2 ] || { echo "usage: bench-ab.sh OLD_BUILD NEW_BUILD [PAIRS]" >&2; exit 1; }
old=$(cd "$1" && pwd) new=$(cd "$2" && pwd) pairs=${3:-3}
here=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/cohort-bench-ab.XXXXXX)
trap 'rm -rf "$T"' EXIT
run() {
	COHORTD=$1/src/cohortd COHORT_BENCH=$1/src/cohort-bench \
	    COHORTCTL=$1/src/cohortctl bash "$here/bench.sh" -r 1 2>/dev/null
}
for i in $(seq "$pairs"); do
	run "$old" > "$T/old.$i"
	run "$new" > "$T/new.$i"
	echo "bench-ab: pair $i of $pairs done" >&2
done
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
col() { grep -h "^$2" "$T"/"$1".* | awk -v w="$2" '{ s = substr($0, length(w) + 1); split(s, f, " "); print f[1] }'; }
printf '%-28s %12s %12s %8s\n' "row (median of $pairs)" "old" "new" "new/old"
for r in "tput 64 B, msgs/s" "tput 1 KiB, msgs/s" "tput 64 KiB, MB/s" \
    "round trip 64 B, p50 us" "round trip 64 B, p99 us"; do
	o=$(col old "$r" | median) n=$(col new "$r" | median)
	printf '%-28s %12s %12s %8s\n' "$r" "$o" "$n" \
	    "$(awk -v a="$n" -v b="$o" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "-" }')"
done
