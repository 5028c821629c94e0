#!/bin/bash
# Reloads (any local client may ask for one) must not weaken the daemon:
#  1. failure detection goes on while reloads come faster than
#     heartbeat.timeout_ms: a stopped peer is still declared down;
#  2. switching policy.slow_subscriber to "disconnect" frees a publisher
#     already waiting on a subscriber that never reads;
#  3. a reload that lowers limits.client_queue_bytes below the frame the
#     running limits.max_message_size allows (which a reload keeps) is
#     refused, or does not cut off a subscriber that reads;
#  4. a config that @includes a directory is refused with a reason, by
#     cohortd -t and by a reload, and the daemon keeps running.
# Each is checked in turn; the test fails at the end if any did not hold.
. "$(dirname "$0")/lib.sh"
need_loopback
: "${HOSTILE:?run through make check}"

NET=44
cluster_conf $NET 2 "heartbeat = { interval_ms = 100; timeout_ms = 1000; };"
for i in 1 2; do start_node $i; done
memberwait 1 n2 up >/dev/null || exit 1
memberwait 2 n1 up >/dev/null || exit 1
cp "$T/n1/conf" "$T/n1/conf.orig"
BUGS=""
bug() { printf '%s: BUG: %s\n' "$TEST_NAME" "$*" >&2; BUGS="$BUGS
  $*"; }
state_is() { [ "$(member_field 1 n2 state)" = "$1" ]; }

# 1. n2 stops (its stream stays open); n1 reloads every 300 ms for four
# times the failure timeout.
kill -STOP "$(pid_of 2)"
end=$(( $(now_ms) + $(scale 4000) ))
while [ "$(now_ms)" -lt "$end" ]; do
	ctl 1 reload >/dev/null || fail "reload failed"
	sleep 0.3
done
st=$(member_field 1 n2 state)
kill -CONT "$(pid_of 2)"
if [ "$st" = up ]; then
	bug "n2 was stopped for $(scale 4) s, 4 times heartbeat.timeout_ms," \
	    "and n1 still lists it up: each reload re-arms the failure timer"
else
	log "1. n2, stopped during reloads, is $st on n1"
fi
wait_for "n2 up again" "$(scale 10)" state_is up

# 2. A publisher waits on a subscriber that never reads; the policy
# becomes "disconnect".
sed '/^policy = /d' "$T/n1/conf.orig" >"$T/n1/conf.disc"
echo 'policy = { slow_subscriber = "disconnect"; };' >>"$T/n1/conf.disc"
if out=$("$HOSTILE" -t "$(scale 6)" -x "cp '$T/n1/conf.disc' '$T/n1/conf' &&
    '$COHORTCTL' -s '$(sock 1)' reload >/dev/null" \
    noread "$(sock 1)" reload.slow backpressure 2>"$T/err"); then
	log "2. $out"
else
	bug "after a reload to policy \"disconnect\": $out $(cat "$T/err")"
fi
cp "$T/n1/conf.orig" "$T/n1/conf"
ctl 1 reload >/dev/null || fail "reload back failed"

# 3. Smaller queues and messages: max_message_size stays 1 MiB.
cat "$T/n1/conf.orig" >"$T/n1/conf"
echo 'limits = { max_message_size = 65536; client_queue_bytes = 262144; };' \
    >>"$T/n1/conf"
if ctl 1 reload >/dev/null 2>"$T/err"; then
	subs_are() { ctl 1 --json stats | grep -q '"subscriptions":1[,}]'; }
	ctl 1 sub -c 1 -t "$(scale 5)" reload.big >"$T/sub" 2>&1 &
	sp=$!
	CHILD_PIDS="$CHILD_PIDS $sp"
	wait_for "the subscriber" "$(scale 5)" subs_are
	head -c 900000 /dev/zero | tr '\0' x >"$T/big"
	ctl 2 send n1 reload.big <"$T/big" || fail "send of 900 kB failed"
	if wait $sp && [ "$(wc -c <"$T/sub")" -ge 900000 ]; then
		log "3. a 900 kB message reached its subscriber"
	else
		bug "after a reload to client_queue_bytes 262144" \
		    "(max_message_size kept at 1 MiB), a subscriber that" \
		    "reads was cut off by a 900 kB message:" \
		    "$(head -c 200 "$T/sub")"
	fi
else
	log "3. reload refused: $(cat "$T/err")"
fi
cp "$T/n1/conf.orig" "$T/n1/conf"
ctl 1 reload >/dev/null || fail "reload back failed"

# 4. @include of a directory.
cp "$T/n1/conf.orig" "$T/n1/conf.inc"
echo "@include \"$T\"" >>"$T/n1/conf.inc"
"$COHORTD" -t -c "$T/n1/conf.inc" >"$T/out" 2>&1
rc=$?
if [ $rc = 1 ] && grep -q 'conf.inc:[0-9]*:' "$T/out"; then
	log "4. cohortd -t: $(head -1 "$T/out")"
else
	bug "cohortd -t on a config that @includes a directory exited $rc:" \
	    "$(head -c 200 "$T/out")"
fi
cp "$T/n1/conf.inc" "$T/n1/conf"
ctl 1 reload >/dev/null 2>&1 &&
    bug "a reload with @include of a directory was accepted"
sleep 0.2
if is_alive "$(pid_of 1)"; then
	log "4. n1 refused the reload and runs on"
else
	bug "a reload with @include of a directory killed n1:" \
	    "$(tail -2 "$T/n1/log")"
fi
cp "$T/n1/conf.orig" "$T/n1/conf"

[ -z "$BUGS" ] || fail "reloads weakened the daemon:$BUGS"
log "PASS"
