#!/bin/bash
# Order and integrity: 100,000 messages of 64 to 256 bytes from one sender
# on n1 to a subscriber on n2 all arrive, in order, every byte intact;
# then again while a second sender floods another subject on the same
# peer stream, both streams checked.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/msglib.sh"
need_loopback

# The bursts below are far larger than limits.client_queue_bytes: under
# the default policy.slow_subscriber, "backpressure", the daemons slow the
# publishers down to the subscribers' pace rather than lose anything.
cluster_conf 31 2 "heartbeat = { interval_ms = 200; timeout_ms = 2000; };"
for i in 1 2; do start_node $i; done
memberwait 1 n2 up >/dev/null || exit 1
memberwait 2 n1 up >/dev/null || exit 1

N=${MSG_ORDER_COUNT:-100000}
FLOOD=${MSG_ORDER_FLOOD:-20000}
secs=$(scale 40)

# publish OUT SUBJECT COUNT SIZES: msgtool pub on n1, to n2.
publish() {
	spawn "$1" $COHORT_WRAP "$MSGTOOL" pub "$(sock 1)" n2 "$2" "$3" "$4"
}
# receive OUT SUBJECT COUNT: msgtool recv on n2.
receive() {
	spawn "$1" $COHORT_WRAP "$MSGTOOL" recv "$(sock 2)" "$2" "$3" "$secs"
}
# done_ok OUT PID DESC LINE: it exited 0 and printed LINE.
done_ok() {
	finish "$2" "$3" "$1"
	grep -qx "$4" "$1" || fail "$3: $(cat "$1" "$1.err")"
}

# 1. One sender.
receive "$T/r1" order.a "$N"; r1=$SPAWNED
wait_subs 2 1
t0=$(now_ms)
publish "$T/s1" order.a "$N" 64-256; s1=$SPAWNED
done_ok "$T/s1" $s1 "pub order.a" "sent=$N refused=0 maybe_lost=0"
done_ok "$T/r1" $r1 "recv order.a" "received=$N gaps=0 reordered=0 corrupt=0 dup=0"
ms=$(( $(now_ms) - t0 ))
log "$N messages of 64..256 bytes n1 -> n2 in order and intact in $ms ms ($(( N * 1000 / (ms + 1) )) msgs/s)"
expect_delta "n2 client_queue_overflows" 0 "$(dstat 2 client_queue_overflows)" 0

# 2. The same while another sender floods another subject on the link.
wait_subs 2 0
receive "$T/r2" order.a "$N"; r2=$SPAWNED
receive "$T/rf" order.flood "$FLOOD"; rf=$SPAWNED
wait_subs 2 2
t0=$(now_ms)
publish "$T/sf" order.flood "$FLOOD" 256-4096; sf=$SPAWNED
publish "$T/s2" order.a "$N" 64-256; s2=$SPAWNED
done_ok "$T/s2" $s2 "pub order.a" "sent=$N refused=0 maybe_lost=0"
done_ok "$T/sf" $sf "pub order.flood" "sent=$FLOOD refused=0 maybe_lost=0"
done_ok "$T/r2" $r2 "recv order.a" "received=$N gaps=0 reordered=0 corrupt=0 dup=0"
done_ok "$T/rf" $rf "recv order.flood" "received=$FLOOD gaps=0 reordered=0 corrupt=0 dup=0"
ms=$(( $(now_ms) - t0 ))
log "$N messages in order and intact while $FLOOD of 256..4096 bytes flooded the same link, both checked, in $ms ms"
expect_delta "n2 client_queue_overflows" 0 "$(dstat 2 client_queue_overflows)" 0
log "backpressure: n2 subscribers_full=$(dstat 2 subscribers_full) peer_reads_paused=$(dstat 2 peer_reads_paused), n1 clients_paused=$(dstat 1 clients_paused)"
log "PASS"
