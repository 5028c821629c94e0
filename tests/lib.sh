# tests/lib.sh: shared by the integration tests; sourced, not run.
#
# Each test starts real cohortd processes on its own loopback subnet
# (127.$NET.0.N), each node with its own directory, config and socket
# under one temp dir.  Every PID started is recorded and stopped by the
# EXIT trap, which also fails the test if a daemon reported errors under
# valgrind (COHORT_WRAP).  Waits poll against deadlines; no bare sleeps.
#
# Environment (set by make check): COHORTD, COHORTCTL, MEMBERWAIT,
# top_srcdir; optional COHORT_WRAP (e.g. valgrind) and COHORT_TIME_SCALE
# (multiplies every deadline, for slow wrappers).

set -u

: "${COHORTD:?run through make check}"
: "${COHORTCTL:?run through make check}"
: "${MEMBERWAIT:?run through make check}"
COHORT_WRAP=${COHORT_WRAP:-}
COHORT_TIME_SCALE=${COHORT_TIME_SCALE:-1}
# cohortctl and the test helpers are libtool wrapper scripts: run the
# wrapper's program under the tool, not the shell.
if [ -n "$COHORT_WRAP" ] && [ -x "${top_builddir:-}/libtool" ]; then
	COHORT_WRAP="$top_builddir/libtool --mode=execute $COHORT_WRAP"
fi
TEST_NAME=$(basename "$0" .sh)

T=$(mktemp -d "${TMPDIR:-/tmp}/cohort-$TEST_NAME.XXXXXX")
PIDS=""
CHILD_PIDS=""
FAILED=0

log() { printf '%s: %s\n' "$TEST_NAME" "$*"; }
fail() { printf '%s: FAIL: %s\n' "$TEST_NAME" "$*" >&2; FAILED=1; exit 1; }
skip() { printf '%s: SKIP: %s\n' "$TEST_NAME" "$*"; exit 77; }
now_ms() { date +%s%3N; }
# scale N: a deadline in seconds or ms, stretched under slow wrappers.
scale() { echo $(( $1 * COHORT_TIME_SCALE )); }

# Stop everything this test started; keep the logs if it failed.
cleanup() {
	rc=$?
	for pid in $CHILD_PIDS; do
		kill -KILL "$pid" 2>/dev/null
	done
	for pid in $PIDS; do
		kill -CONT "$pid" 2>/dev/null
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in $PIDS; do
		# A daemon gets 10 s (scaled) to leave; then it is killed.
		i=0
		while is_alive "$pid" && [ $i -lt $(scale 200) ]; do
			sleep 0.05; i=$((i + 1))
		done
		if is_alive "$pid"; then
			echo "$TEST_NAME: daemon $pid did not exit on SIGTERM" >&2
			kill -KILL "$pid" 2>/dev/null
			rc=1
		fi
		wait "$pid" 2>/dev/null
		st=$?
		if [ "$st" = 99 ]; then
			echo "$TEST_NAME: valgrind reported errors in $pid" >&2
			rc=1
		fi
	done
	# A test's own undo steps (users it made, namespaces...).
	if [ -n "${EXTRA_CLEANUP:-}" ]; then
		eval "$EXTRA_CLEANUP"
	fi
	if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then
		for f in "$T"/*/log; do
			[ -f "$f" ] || continue
			echo "---- $f (last 40 lines)" >&2
			tail -n 40 "$f" >&2
		done
	fi
	rm -rf "$T"
	exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# cluster_key: the test's cluster key file, made on first use.
cluster_key() {
	[ -f "$T/cluster.key" ] || "$COHORTD" --keygen "$T/cluster.key" 2>/dev/null ||
	    fail "cohortd --keygen failed"
	echo "$T/cluster.key"
}

# security_conf: the security group every test node uses, unless the
# extra text given to cluster_conf has its own.
security_conf() {
	echo "security = { key_file = \"$(cluster_key)\"; };"
}

# cluster_conf NET N [extra config text]: write a config for nodes 1..N at
# 127.NET.0.i:7400 into $T/n$i/conf, each with its own node_id and socket,
# all with the test's cluster key.
cluster_conf() {
	net=$1 n=$2 extra=${3:-}
	case $extra in *security*) sec="" ;; *) sec=$(security_conf) ;; esac
	for i in $(seq 1 "$n"); do
		mkdir -p "$T/n$i"
		{
			echo "cluster = \"test\";"
			echo "node_id = \"n$i\";"
			echo "nodes = ("
			for j in $(seq 1 "$n"); do
				sep=","; [ "$j" = "$n" ] && sep=""
				echo "  { id = \"n$j\"; address = \"127.$net.0.$j\"; port = 7400; }$sep"
			done
			echo ");"
			echo "socket = \"$T/n$i/sock\";"
			echo "$sec"
			echo "$extra"
		} > "$T/n$i/conf"
	done
}

sock() { echo "$T/n$1/sock"; }
pid_of() { cat "$T/n$1/pid"; }

# start_node I [cohortd args]: start node I and wait for its socket.
start_node() {
	i=$1; shift
	rm -f "$T/n$i/sock"
	$COHORT_WRAP "$COHORTD" -d -c "$T/n$i/conf" "$@" >>"$T/n$i/log" 2>&1 &
	pid=$!
	echo "$pid" > "$T/n$i/pid"
	PIDS="$PIDS $pid"
	wait_for "node n$i socket" "$(scale 10)" test -S "$T/n$i/sock"
}

# stop_node I: SIGTERM and wait for exit.
stop_node() {
	pid=$(pid_of "$1")
	kill -TERM "$pid"
	wait_for "node n$1 to exit" "$(scale 10)" not_running "$pid"
	wait "$pid" 2>/dev/null
	st=$?
	[ "$st" = 99 ] && fail "valgrind reported errors in n$1"
	PIDS=$(echo "$PIDS" | sed "s/ $pid\b//")
	return 0
}

# kill_node I SIG: for kill -9; the PID is forgotten.
kill_node() {
	pid=$(pid_of "$1")
	kill "-$2" "$pid"
	wait "$pid" 2>/dev/null
	PIDS=$(echo "$PIDS" | sed "s/ $pid\b//")
	return 0
}

# A zombie (exited, not yet reaped by this shell) is not alive.
is_alive() {
	[ -r "/proc/$1/stat" ] && ! sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | grep -q '^Z'
}
not_running() { ! is_alive "$1"; }

# wait_for DESC SECONDS CMD...: poll CMD every 50 ms until it succeeds.
wait_for() {
	local desc=$1 secs=$2 end
	shift 2
	end=$(( $(now_ms) + secs * 1000 ))
	while ! "$@" >/dev/null 2>&1; do
		[ "$(now_ms)" -lt "$end" ] || fail "timed out after ${secs}s waiting for $desc"
		sleep 0.05
	done
}

# memberwait I NODE STATE [SECONDS]: print when node I saw NODE in STATE.
memberwait() {
	$COHORT_WRAP "$MEMBERWAIT" -s "$(sock "$1")" -t "${4:-$(scale 10)}" "$2" "$3" ||
	    fail "n$1 never saw $2 $3"
}

ctl() {
	i=$1; shift
	$COHORT_WRAP "$COHORTCTL" -s "$(sock "$i")" "$@"
}

# member_field I NODE KEY: one field of NODE from `cohortctl --json members`.
member_field() {
	ctl "$1" --json members | grep "\"id\":\"$2\"" |
	    sed -n "s/.*\"$3\":\"\{0,1\}\([^,\"}]*\).*/\1/p"
}

# streams NET: established TCP streams among 127.NET.0.* on port 7400,
# each counted once (from the dialling socket, whose peer port is 7400).
streams() {
	ss -Htn state established "( dport = :7400 )" 2>/dev/null |
	    awk -v net="127.$1.0." 'index($3, net) == 1 && index($4, net) == 1' |
	    wc -l
}

streams_are() { [ "$(streams "$1")" = "$2" ]; }

# rss_kb PID, cpu_ticks PID: from /proc.
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# Skip when the loopback subnet cannot be bound (no 127/8 routing).
need_loopback() {
	ip_ok=0
	if command -v ip >/dev/null 2>&1; then
		ip -o addr show lo 2>/dev/null | grep -q 'inet 127\.0\.0\.1/8' && ip_ok=1
	fi
	[ $ip_ok = 1 ] || [ -d /proc/sys/net/ipv4 ] || skip "no IPv4 loopback"
}
