#!/bin/bash
# A reload that removes a congested peer resumes its publishers.  n2 is
# stopped (SIGSTOP, within a long heartbeat timeout); a client on n1
# publishes large messages to it until n1's queue to n2 passes
# limits.peer_queue_bytes and the client is paused.  Then n1's config is
# rewritten without n2 and reloaded: the stream to n2 goes, and with it
# the pause.  The same client connection must then get a message through
# to n3 and its members request answered, within a deadline.  (The paused
# publisher once stayed paused for good: not even members was answered.)
# lib.sh's EXIT trap sends SIGCONT to every daemon before stopping it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/msglib.sh"
need_loopback

NET=63 QUEUE=262144
cluster_conf $NET 3 "heartbeat = { interval_ms = 200; timeout_ms = $(scale 60000); };
limits = { max_message_size = 65536; peer_queue_bytes = $QUEUE; };"
for i in 1 2 3; do start_node $i; done
for i in 1 2 3; do memberwait $i ALL up >/dev/null || exit 1; done

# n3's subscriber for the message the publisher sends once resumed.
spawn "$T/recv3" $COHORT_WRAP "$MSGTOOL" recv "$(sock 3)" rc.after 1 "$(scale 60)"
rp=$SPAWNED
wait_subs 3 1

full0=$(dstat 1 peer_queues_full) paused0=$(dstat 1 clients_paused)
kill -STOP "$(pid_of 2)"
# 1000 bodies of 60,000 bytes: 60 MB, far more than the socket buffers
# and the queue hold while n2 does not read.
N=1000 SIZE=60000
spawn "$T/flood" $COHORT_WRAP "$MSGTOOL" flood "$(sock 1)" n2 rc.x $N $SIZE n3 rc.after "$(scale 60)"
fp=$SPAWNED
stat_gt() { [ "$(dstat "$1" "$2")" -gt "$3" ]; }
wait_for "n1's queue to n2 to fill" "$(scale 20)" stat_gt 1 peer_queues_full "$full0"
wait_for "n1 to pause the publisher" "$(scale 5)" stat_gt 1 clients_paused "$paused0"
grep -q "peer n2 .*output queue at [0-9]* bytes (limits.peer_queue_bytes $QUEUE): pausing local publishers" \
    "$T/n1/log" || fail "n1 did not log the full queue"
is_alive "$fp" || fail "the publisher finished while n2 did not read: $(cat "$T/flood" "$T/flood.err")"
[ -s "$T/flood" ] && fail "the publisher got past publishing while paused: $(cat "$T/flood")"
# Still paused a while later: a hold, not a sync.
sleep 0.5
is_alive "$fp" || fail "the publisher finished while n2 did not read: $(cat "$T/flood" "$T/flood.err")"
log "n2 stopped: n1's queue to it full ($(dstat 1 peer_queues_full) times), publisher paused ($(dstat 1 clients_paused) pauses)"

# n1 forgets n2: its entry goes from the nodes list (n1's is first, so
# the entry before n2's keeps its comma).
sed -i '/id = "n2"/d' "$T/n1/conf"
grep -q '"n2"' "$T/n1/conf" && fail "n2 is still in n1's config"
t0=$(now_ms)
out=$(ctl 1 reload 2>&1) || fail "reload failed: $out"
grep -q "reloaded .*: 0 nodes added, 1 removed" "$T/n1/log" ||
    fail "n1's reload did not remove n2: $(grep reload "$T/n1/log")"
# The same connection publishes on, is refused for n2, sends to n3 and
# gets members answered.
end=$(( t0 + $(scale 10) * 1000 ))
while is_alive "$fp"; do
	[ "$(now_ms)" -lt "$end" ] ||
	    fail "the publisher was still stuck $(scale 10) s after the reload (it printed \"$(tr '\n' ';' < "$T/flood")\"; n1: clients_paused $(dstat 1 clients_paused), peer_queues_full $(dstat 1 peer_queues_full))"
	sleep 0.05
done
took=$(( $(now_ms) - t0 ))
finish "$fp" "flood" "$T/flood"
log "after the reload the publisher went on in ${took} ms: $(tr '\n' ';' < "$T/flood")"
grep -q "^published $N\$" "$T/flood" || fail "flood did not finish publishing: $(cat "$T/flood")"
grep -q '^send n3: ok$' "$T/flood" || fail "the send to n3 failed: $(cat "$T/flood")"
members=$(sed -n 's/^members: //p' "$T/flood")
[ "$members" = "n1 self n3 up" ] || fail "members answered \"$members\", not n1 self and n3 up"
# n2 never read: every message n1 accepted for it was reported lost.
counts=$(grep '^sent=' "$T/flood")
sent=$(echo "$counts" | sed -n 's/.*sent=\([0-9]*\).*/\1/p')
maybe=$(echo "$counts" | sed -n 's/.*maybe_lost=\([0-9]*\).*/\1/p')
[ -n "$sent" ] && [ "$sent" = "$maybe" ] ||
    fail "n1 accepted $sent messages for the stopped n2 but reported $maybe lost ($counts)"
finish "$rp" "recv on n3" "$T/recv3"
log "n3 received it: $(cat "$T/recv3")"
grep -q "peer n2 .*reload: removed from the config" "$T/n1/log" || fail "n1 did not log removing n2"
kill -CONT "$(pid_of 2)"
log "PASS"
