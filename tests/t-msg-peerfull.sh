#!/bin/bash
# A peer that does not read (SIGSTOP, within its heartbeat timeout): the
# kernel's socket buffers fill, then n1's output queue to it reaches
# limits.peer_queue_bytes.  n1 logs and counts it (peer_queues_full),
# pauses the publishing client (clients_paused) so that the queue stays
# bounded, and once the peer reads again every message arrives, in order
# and intact, and the publisher was told of no loss.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/msglib.sh"
need_loopback

QUEUE=262144
cluster_conf 36 2 "heartbeat = { interval_ms = 200; timeout_ms = $(scale 30000); };
limits = { max_message_size = 65536; peer_queue_bytes = $QUEUE; };"
for i in 1 2; do start_node $i; done
memberwait 1 n2 up >/dev/null || exit 1
memberwait 2 n1 up >/dev/null || exit 1
secs=$(scale 60)

# 600 bodies of 60,000 bytes: 36 MB, more than loopback's socket buffers
# on both ends hold, so the rest must wait in (or before) n1's queue.
N=600 SIZE=60000
spawn "$T/recv" $COHORT_WRAP "$MSGTOOL" recv "$(sock 2)" pf.x $N "$secs"
rp=$SPAWNED
wait_subs 2 1
full0=$(dstat 1 peer_queues_full) paused0=$(dstat 1 clients_paused)
rss0=$(rss_kb "$(pid_of 1)")
kill -STOP "$(pid_of 2)"
spawn "$T/pub" $COHORT_WRAP "$MSGTOOL" pub "$(sock 1)" n2 pf.x $N $SIZE
pp=$SPAWNED
wait_for "n1's queue to n2 to fill" "$(scale 20)" sh -c \
    "[ \$(\"$COHORTCTL\" -s '$(sock 1)' --json stats | sed -n 's/.*\"peer_queues_full\":\([0-9]*\).*/\1/p') -gt $full0 ]"
[ "$(dstat 1 clients_paused)" -gt "$paused0" ] || fail "the publisher was not paused"
is_alive "$pp" || fail "the publisher finished while its peer did not read: $(cat "$T/pub")"
grep -q "peer n2 .*output queue at [0-9]* bytes (limits.peer_queue_bytes $QUEUE): pausing local publishers" \
    "$T/n1/log" || fail "n1 did not log the full queue"
# Bounded: n1 holds the queue limit and what it read before pausing, not
# the 36 MB the publisher wanted to send.
# ASan's quarantine and valgrind's freelist keep freed memory (tens of
# MB): there the bound only catches unbounded growth.
rss1=$(rss_kb "$(pid_of 1)") bound=8192
if [ -n "$COHORT_WRAP" ] || grep -q __asan_init "$COHORTD" 2>/dev/null; then
	bound=65536
fi
[ $((rss1 - rss0)) -lt $bound ] || fail "n1's RSS grew from $rss0 to $rss1 kB while its peer did not read"
log "n2 stopped: n1's queue to it filled ($(dstat 1 peer_queues_full) times), publisher paused, n1 RSS $rss0 -> $rss1 kB"

kill -CONT "$(pid_of 2)"
finish "$pp" "pub" "$T/pub"
[ "$(cat "$T/pub")" = "sent=$N refused=0 maybe_lost=0" ] || fail "pub: $(cat "$T/pub")"
finish "$rp" "recv" "$T/recv"
log "n2 resumed: $(cat "$T/recv"); pub: $(cat "$T/pub")"
[ "$(member_field 1 n2 state)" = up ] || fail "n1 lost n2"
log "PASS"
