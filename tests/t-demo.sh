#!/bin/bash
# tools/demo with its output into a file, not a terminal: each line shows
# as it happens (line-buffered through sed -u), messages from n1 and n3
# reach n2, the Python app on n3 answers requests when python3 can load
# the binding, and the README's Python programs, run with the command
# line the demo prints, work against it.  SIGTERM stops everything the
# demo started.  The demo's cluster is 127.0.0.1-3 port 7401.
. "$(dirname "$0")/lib.sh"
need_loopback

ss -Htln 2>/dev/null | grep -q ':7401 ' && skip "port 7401 is in use (another demo?)"
PY=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1
# The demo finds the library next to $COHORTD (src/.libs).
unset COHORT_LIBRARY COHORT_SOCKET PYTHON
# A sanitizer build's libcohort needs the ASan runtime loaded first, in
# python only: the demo runs $PYTHON.
if [ -x "$PY" ] && ldd "$top_builddir/src/.libs/libcohort.so.0" 2>/dev/null | grep -q libasan; then
	asan=$(${CC:-cc} -print-file-name=libasan.so)
	[ -f "$asan" ] || skip "libcohort needs the ASan runtime; $asan is missing"
	cat > "$T/python3" <<PY
#!/bin/sh
LD_PRELOAD="$asan" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" exec $PY "\$@"
PY
	chmod +x "$T/python3"
	export PYTHON="$T/python3"
fi

out="$T/demo.out"
bash "$top_srcdir/tools/demo" >"$out" 2>&1 &
demo=$!
EXTRA_CLEANUP="kill -TERM $demo 2>/dev/null; wait $demo 2>/dev/null"

has() { grep -qF -- "$1" "$out"; }
# wait_line LINE: until the demo has printed LINE (its output is a file:
# a line held in a buffer never shows).
wait_line() {
	local end=$(( $(now_ms) + $(scale 20) * 1000 ))
	until has "$1"; do
		[ "$(now_ms)" -lt "$end" ] || fail "after $(scale 20) s, the demo has not printed: $1
it printed:
$(cat "$out")"
		sleep 0.05
	done
}

wait_line "demo: n2 received: n1 demo.greeting hello #1 from n1"
wait_line "demo: n2 received: n3 demo.greeting hello #1 from n3"
log "n2's messages show up in a file as they come"
pyapp=0
if [ -x "$PY" ] && has "answers requests on demo.upper"; then
	pyapp=1
	wait_line "demo: n3 demo_app: n1 asked \"hello #1 from n1\", answered \"HELLO #1 FROM N1\""
	wait_line "demo: n1 asked n3's Python app, which answered: HELLO #1 FROM N1"
	wait_line "demo: n2 received: n3 demo.greeting hello from Python on n3"
	log "the Python app on n3 answers n1's requests"
	# The command lines the demo prints for the README's programs.
	cmd=$(grep '/python/examples/hello.py$' "$out" | sed 's/^ *//')
	[ -n "$cmd" ] || fail "the demo printed no command for hello.py"
	for prog in hello.py hello_aio.py; do
		c=${cmd%hello.py}$prog
		timeout "$(scale 30)" bash -c "$c" >"$T/$prog.out" 2>&1 ||
		    fail "$prog against the demo: $(cat "$T/$prog.out")"
		log "$prog printed:"
		sed 's/^/  /' "$T/$prog.out"
		grep -qx 'n3 answered: HELLO FROM PYTHON\|n3 answered: HI FROM ASYNCIO' \
		    "$T/$prog.out" || fail "$prog: no answer from n3"
		[ "$(grep -Ec '^n[13] sent demo.greeting: hello #[0-9]+ from n[13]$' \
		    "$T/$prog.out")" = 2 ] || fail "$prog: not two messages"
	done
	grep -Eq '^  n1 up +rtt [0-9]+ us$' "$T/hello.py.out" || fail "hello.py: n1 not up"
else
	[ -x "$PY" ] && fail "python3 is here but the demo ran no Python app: $(cat "$out")"
	log "no python3: the demo runs without its Python app"
fi

# A demo node's metrics: curl, parsed by prometheus_client, hold every
# counter cohortctl stats shows (issue 16's acceptance, as a user runs it).
if command -v curl >/dev/null && [ -x "$PY" ] &&
    "$PY" -c 'import prometheus_client.parser' 2>/dev/null; then
	curl -s --max-time 5 http://127.0.0.1:9741/metrics >"$T/demo.prom" ||
	    fail "curl of the demo's n1 metrics failed"
	n1sock=$(sed -n 's/.* -s \([^ ]*n1\.sock\) send .*/\1/p' "$out" | head -1)
	[ -S "$n1sock" ] || fail "no n1 socket in the demo's output"
	"$COHORTCTL" -s "$n1sock" --json stats >"$T/demo.stats" ||
	    fail "cohortctl stats on the demo's n1 failed"
	"$PY" - "$T/demo.prom" "$T/demo.stats" <<'PY' || fail "the demo's /metrics does not hold cohortctl's counters"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
fams = {f.name for f in text_string_to_metric_families(open(sys.argv[1]).read())}
keys = set()
for line in open(sys.argv[2]):
    o = json.loads(line)
    pre = "cohort_peer_" if o["section"] == "peer" else "cohort_"
    keys |= {pre + k for k in o if k not in ("section", "name")}
if not keys:
    sys.exit("no stats read")
missing = sorted(k for k in keys if k not in fams and k + "_total" not in fams)
if missing:
    sys.exit("missing from /metrics: %s" % missing)
print("demo n1: /metrics holds all %d statistics" % len(keys))
PY
fi

kill -TERM $demo
wait_for "the demo to exit" "$(scale 15)" not_running $demo
wait $demo
st=$?
EXTRA_CLEANUP=""
[ $st = 0 ] || fail "the demo exited $st"
has "demo: stopping" || fail "the demo did not say it stopped"
# Every process it listed is gone.
for p in $(sed -n 's/^demo: stopping //p' "$out"); do
	not_running "$p" || fail "the demo left $p running"
done
[ $pyapp = 1 ] && log "with the Python app"
log "PASS"
