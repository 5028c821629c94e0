#!/bin/bash
# Messaging: unicast, multicast, broadcast with and without --self,
# subscription patterns, one copy per client, several subscribers on a
# node, unsubscribe, and a message to the local node.  Every subscriber
# also follows "end", sent last: its output must then be exactly what it
# should have got, with nothing missing and nothing extra.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/msglib.sh"
need_loopback

cluster_conf 30 3 "heartbeat = { interval_ms = 200; timeout_ms = 1000; };"
for i in 1 2 3; do start_node $i; done
for i in 1 2 3; do memberwait $i ALL up >/dev/null || exit 1; done
secs=$(scale 20)

# sub OUT NODE COUNT [--json] PATTERN...: a cohortctl sub in the background.
sub() {
	out=$1 node=$2 count=$3; shift 3
	json=""
	[ "$1" = --json ] && { json=--json; shift; }
	spawn "$out" $COHORT_WRAP "$COHORTCTL" -s "$(sock "$node")" $json sub \
	    -c "$count" -t "$secs" "$@"
}

# check OUT PID DESC EXPECTED: the sub exited 0 and printed exactly that.
check() {
	finish "$2" "$3" "$1"
	[ "$(cat "$1")" = "$4" ] ||
	    fail "$3 got:
$(cat "$1")
expected:
$4"
}

# 1. Addressing: one subscriber per node, each for "t.>" and "end".
sub "$T/a1" 1 2 't.>' end; a1=$SPAWNED
sub "$T/a2" 2 5 't.>' end; a2=$SPAWNED
sub "$T/a3" 3 4 --json 't.>' end; a3=$SPAWNED
for i in 1 2 3; do wait_subs $i 2; done
sent0=$(dstat 1 msgs_sent)
ctl 1 send n2 t.uni "unicast to n2" || fail "send n2 failed"
ctl 1 multicast n2,n3 t.multi "multicast to n2,n3" || fail "multicast failed"
ctl 1 broadcast t.bcast "broadcast" 2>"$T/err" || fail "broadcast failed"
[ -s "$T/err" ] && fail "broadcast with every node up said: $(cat "$T/err")"
ctl 1 broadcast --self t.bself "broadcast with self" || fail "broadcast --self failed"
ctl 1 broadcast --self end "end" || fail "broadcast --self end failed"
check "$T/a1" $a1 "n1's subscriber" "n1 t.bself broadcast with self
n1 end end"
check "$T/a2" $a2 "n2's subscriber" "n1 t.uni unicast to n2
n1 t.multi multicast to n2,n3
n1 t.bcast broadcast
n1 t.bself broadcast with self
n1 end end"
check "$T/a3" $a3 "n3's subscriber (--json)" \
'{"from":"n1","subject":"t.multi","data":"multicast to n2,n3"}
{"from":"n1","subject":"t.bcast","data":"broadcast"}
{"from":"n1","subject":"t.bself","data":"broadcast with self"}
{"from":"n1","subject":"end","data":"end"}'
# 1 + 2 + 2 + 2 + 2 copies went to peers; the local ones did not.
expect_delta "n1 msgs_sent" "$sent0" "$(dstat 1 msgs_sent)" 9
log "unicast, multicast, broadcast, broadcast --self: each node got its own, n1 sent 9 copies"

# A multicast naming a node twice, and the local node: one copy each.
for i in 1 2 3; do wait_subs $i 0; done
sub "$T/d1" 1 2 d.x; d1=$SPAWNED
sub "$T/d2" 2 2 d.x; d2=$SPAWNED
wait_subs 1 1
wait_subs 2 1
ctl 1 multicast n2,n1,n2 d.x "once" || fail "multicast n2,n1,n2 failed"
ctl 1 multicast n1,n2 d.x "end" || fail "multicast n1,n2 failed"
check "$T/d1" $d1 "n1's multicast subscriber" "n1 d.x once
n1 d.x end"
check "$T/d2" $d2 "n2's multicast subscriber" "n1 d.x once
n1 d.x end"
log "multicast n2,n1,n2: one copy on each node, the local one included"

# 2. Patterns, on n2: exact, "*", ">", two patterns of one client, and
# two clients with the same pattern.
wait_subs 1 0
wait_subs 2 0
sub "$T/p1" 2 2 a.b end; p1=$SPAWNED
sub "$T/p2" 2 3 'a.*' end; p2=$SPAWNED
sub "$T/p3" 2 4 'a.>' end; p3=$SPAWNED
sub "$T/p4" 2 4 --json 'a.*' 'a.>' end; p4=$SPAWNED
sub "$T/p5" 2 2 a.b end; p5=$SPAWNED
wait_subs 2 11
del0=$(dstat 2 msgs_delivered)
uns0=$(dstat 2 msgs_unsubscribed)
for s in a.b a.c a.b.c a b.a; do
	ctl 1 send n2 "$s" "body of $s" || fail "send $s failed"
done
ctl 1 send n2 end "end" || fail "send end failed"
check "$T/p1" $p1 "a.b subscriber" "n1 a.b body of a.b
n1 end end"
check "$T/p5" $p5 "second a.b subscriber" "n1 a.b body of a.b
n1 end end"
check "$T/p2" $p2 "a.* subscriber" "n1 a.b body of a.b
n1 a.c body of a.c
n1 end end"
check "$T/p3" $p3 "a.> subscriber" "n1 a.b body of a.b
n1 a.c body of a.c
n1 a.b.c body of a.b.c
n1 end end"
check "$T/p4" $p4 "a.* + a.> subscriber" \
'{"from":"n1","subject":"a.b","data":"body of a.b"}
{"from":"n1","subject":"a.c","data":"body of a.c"}
{"from":"n1","subject":"a.b.c","data":"body of a.b.c"}
{"from":"n1","subject":"end","data":"end"}'
# a.b: 5 copies, a.c: 3, a.b.c: 2, end: 5; "a" and "b.a" matched nothing.
expect_delta "n2 msgs_delivered" "$del0" "$(dstat 2 msgs_delivered)" 15
expect_delta "n2 msgs_unsubscribed" "$uns0" "$(dstat 2 msgs_unsubscribed)" 2
log "patterns a.b, a.*, a.> matched by content, origin and subject; one copy per client; 15 copies delivered"

# 3. Unsubscribe (libcohort): the connection stays, the pattern goes.
wait_subs 2 0
spawn "$T/u" $COHORT_WRAP "$MSGTOOL" unsub "$(sock 2)" 'u.>' u.control "$secs"
u=$SPAWNED
wait_subs 2 2
ctl 1 send n2 u.one "before" || fail "send u.one failed"
wait_subs 2 1
uns0=$(dstat 2 msgs_unsubscribed)
ctl 1 send n2 u.two "after" || fail "send u.two failed"
ctl 1 send n2 u.control "control" || fail "send u.control failed"
finish $u "msgtool unsub" "$T/u"
grep -q '^before=1 after=0 control=1$' "$T/u" || fail "unsub: $(cat "$T/u")"
grep -q '^unsubscribe again: refused: not subscribed to "u.>"$' "$T/u" ||
    fail "a second unsubscribe: $(cat "$T/u")"
expect_delta "n2 msgs_unsubscribed" "$uns0" "$(dstat 2 msgs_unsubscribed)" 1
log "unsubscribe: nothing more on u.>, the control subject still delivered, a second unsubscribe refused"

# 4. To the local node: delivered, and no copy went to a peer.
wait_subs 2 0
sub "$T/l" 1 1 local.x; l=$SPAWNED
wait_subs 1 1
sent0=$(dstat 1 msgs_sent)
del0=$(dstat 1 msgs_delivered)
recv0=$(dstat 2 msgs_received)
ctl 1 send n1 local.x "to myself" || fail "send n1 from n1 failed"
check "$T/l" $l "n1's local subscriber" "n1 local.x to myself"
expect_delta "n1 msgs_sent" "$sent0" "$(dstat 1 msgs_sent)" 0
expect_delta "n1 msgs_delivered" "$del0" "$(dstat 1 msgs_delivered)" 1
expect_delta "n2 msgs_received" "$recv0" "$(dstat 2 msgs_received)" 0
log "send n1 from n1: delivered locally, msgs_sent unchanged, msgs_delivered +1"
log "PASS"
