#!/bin/bash
# tests/bench-compare.sh: NATS and cohort side by side, on this machine,
# in one go: ../shared/bench/nats/run.sh (two nats-servers joined by a
# route, RUNS runs) and then tests/bench.sh (two cohortds, RUNS runs),
# which prints each row with its ratio against NATS's median.
#
#	tests/bench-compare.sh [RUNS]		(default 3; about 5 minutes)
#
# Needs nats-server (Debian: apt-get install nats-server).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${1:-3}
run_sh=${NATS_BENCH:-$top/../shared/bench/nats/run.sh}
command -v "${NATS_SERVER:-nats-server}" >/dev/null 2>&1 ||
    { echo "bench-compare: nats-server is not installed (apt-get install nats-server)" >&2; exit 77; }
[ -x "$run_sh" ] || [ -f "$run_sh" ] ||
    { echo "bench-compare: no NATS benchmark at $run_sh" >&2; exit 77; }
out=$(mktemp /tmp/cohort-nats.XXXXXX)
trap 'rm -f "$out"' EXIT
# The same shape as cohort's rows, smaller where NATS's defaults take long.
N_64=${N_64:-2000000} N_1K=${N_1K:-600000} N_64K=${N_64K:-10000} \
    bash "$run_sh" "$RUNS" > "$out"
grep '^median nats cluster' "$out" >&2
NATS=$out bash "$top/tests/bench.sh" -r "$RUNS"
