#!/bin/bash
# The Python binding (python/cohort, over the build's libcohort) on real
# daemons: a cluster of four configured nodes, n1..n3 running and n4
# never started.  Runs the pytest suite in tests/python (members, bodies,
# requests, errors with libcohort's text, timeouts, asyncio, events when
# n3 is killed), then the README's Python program, as written there,
# against python/examples/demo_app.py serving on n3.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/msglib.sh"
need_loopback

PY=/usr/bin/python3
[ -x "$PY" ] || skip "no $PY (Debian's python3)"
"$PY" -c 'import pytest' 2>/dev/null ||
    skip "python3-pytest is not installed (tools/install-deps installs it)"
LIB="$top_builddir/src/.libs/libcohort.so.0"
[ -f "$LIB" ] || fail "no $LIB: build libcohort first"

# A libcohort built with --enable-sanitizers needs the ASan runtime
# loaded first, in python only (Python's own allocations are not ours to
# check: no leak report).
if ldd "$LIB" 2>/dev/null | grep -q libasan; then
	asan=$(${CC:-cc} -print-file-name=libasan.so)
	[ -f "$asan" ] || skip "libcohort needs the ASan runtime; $asan is missing"
	cat > "$T/python3" <<PY
#!/bin/sh
LD_PRELOAD="$asan" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" exec $PY "\$@"
PY
	chmod +x "$T/python3"
	PY="$T/python3"
	log "libcohort is built with ASan: python runs with $asan preloaded"
fi

cluster_conf 41 4 "heartbeat = { interval_ms = 100; timeout_ms = 1000; };"
for i in 1 2 3; do start_node $i; done
for i in 1 2 3; do
	for j in 1 2 3; do
		[ $i = $j ] || memberwait $i n$j up >/dev/null || exit 1
	done
done

export COHORT_LIBRARY="$LIB"
export PYTHONPATH="$top_srcdir/python"
export PYTHONDONTWRITEBYTECODE=1
export COHORT_TEST_SOCK1="$(sock 1)" COHORT_TEST_SOCK2="$(sock 2)"
export COHORT_TEST_SOCK3="$(sock 3)" COHORT_TEST_PID3="$(pid_of 3)"
export COHORT_TEST_DOWN=n4 COHORT_TEST_NET=41 COHORT_TEST_SCALE="$COHORT_TIME_SCALE"
unset COHORT_SOCKET

# 1. The README's programs, word for word python/examples/hello.py and
# hello_aio.py, against the demo's Python app serving on n3 (before
# pytest, which kills n3 last).

# readme_has FILE: the README shows FILE as it is, indented by 4.
readme_has() {
	awk -v first="    # python/examples/$(basename "$1")" '
	    $0 == first || index($0, first ":") == 1 { on = 1 }
	    on && $0 != "" && substr($0, 1, 4) != "    " { exit }
	    on { sub(/^    /, ""); print }' "$top_srcdir/README" |
	    sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' > "$T/readme.py"
	[ -s "$T/readme.py" ] || fail "the README does not show $1"
	diff -u "$1" "$T/readme.py" >&2 ||
	    fail "the README's copy of $1 differs from the file"
}

# check_output OUT REQUEST: what hello.py or hello_aio.py printed after
# the member table: the answer to REQUEST, then the two messages.
check_output() {
	[ "$(sed -n 1p "$1")" = "n3 answered: $(echo "$2" | tr a-z A-Z)" ] ||
	    fail "the request to n3's Python app: $(cat "$1")"
	[ "$(sed -n '2,$p' "$1" | sort)" = "n1 sent demo.greeting: hello #1 from n1
n3 sent demo.greeting: hello #1 from n3" ] || fail "the messages: $(cat "$1")"
}

# run_prog NAME: run python/examples/NAME on n2 while n1 and n3 send to
# n2's demo.> once it has subscribed.
run_prog() {
	spawn "$T/$1.out" env COHORT_SOCKET="$(sock 2)" "$PY" -u \
	    "$top_srcdir/python/examples/$1"
	prog=$SPAWNED
	wait_subs 2 1
	ctl 1 send n2 demo.greeting "hello #1 from n1" || fail "n1 could not send"
	ctl 3 send n2 demo.greeting "hello #1 from n3" || fail "n3 could not send"
	finish $prog "$1" "$T/$1.out"
	wait_subs 2 0
	log "$1 printed:"
	sed 's/^/  /' "$T/$1.out"
}

readme_has "$top_srcdir/python/examples/hello.py"
readme_has "$top_srcdir/python/examples/hello_aio.py"

spawn "$T/app" env COHORT_SOCKET="$(sock 3)" "$PY" -u \
    "$top_srcdir/python/examples/demo_app.py" -c 2 -t "$(scale 30)"
app=$SPAWNED
wait_subs 3 1

run_prog hello.py
out=$(cat "$T/hello.py.out")
[ "$(wc -l < "$T/hello.py.out")" = 8 ] || fail "hello.py: not 8 lines: $out"
[ "$(sed -n 1p "$T/hello.py.out")" = "node n2 of cluster test" ] ||
    fail "hello.py, line 1: $out"
sed -n 2,5p "$T/hello.py.out" > "$T/members"
grep -Eq '^  n1 up +rtt [1-9][0-9]* us$' "$T/members" || fail "n1 not up: $out"
grep -Eq '^  n2 self +rtt 0 us$' "$T/members" || fail "n2 not self: $out"
grep -Eq '^  n3 up +rtt [1-9][0-9]* us$' "$T/members" || fail "n3 not up: $out"
grep -Eq '^  n4 unknown +rtt 0 us$' "$T/members" || fail "n4 not unknown: $out"
sed -n '6,$p' "$T/hello.py.out" > "$T/hello.rest"
check_output "$T/hello.rest" "hello from python"

run_prog hello_aio.py
[ "$(wc -l < "$T/hello_aio.py.out")" = 3 ] ||
    fail "hello_aio.py: not 3 lines: $(cat "$T/hello_aio.py.out")"
check_output "$T/hello_aio.py.out" "hi from asyncio"

# The app answered the two requests (-c 2), said so, and exited.
finish $app "demo_app" "$T/app"
grep -qx 'demo_app: n2 asked "hello from python", answered "HELLO FROM PYTHON"' \
    "$T/app" || fail "demo_app did not log hello.py's request: $(cat "$T/app" "$T/app.err")"
grep -qx 'demo_app: n2 asked "hi from asyncio", answered "HI FROM ASYNCIO"' \
    "$T/app" || fail "demo_app did not log hello_aio.py's request: $(cat "$T/app" "$T/app.err")"
log "demo_app printed:"
sed 's/^/  /' "$T/app"

# 2. The pytest suite, bounded; no tests collected (exit 5) is a failure.
cd "$top_srcdir/tests/python" || fail "cd $top_srcdir/tests/python"
timeout -s KILL "$(scale 300)" "$PY" -m pytest -p no:cacheprovider -v \
    --rootdir="$top_srcdir/tests/python" test_*.py
st=$?
case $st in
0) ;;
5) fail "pytest collected no tests" ;;
137) fail "pytest did not finish in $(scale 300) s" ;;
*) fail "pytest exited $st" ;;
esac
log "PASS"
