#!/bin/bash
# A restarted node shows a new, larger incarnation and comes back up.
. "$(dirname "$0")/lib.sh"
need_loopback

cluster_conf 14 3
for i in 1 2 3; do start_node $i; done
for i in 1 2 3; do memberwait $i ALL up >/dev/null || exit 1; done
old=$(member_field 1 n2 incarnation)
[ -n "$old" ] && [ "$old" != 0 ] || fail "no incarnation for n2"

kill_node 2 KILL
memberwait 1 n2 down >/dev/null || exit 1
start_node 2
memberwait 1 n2 up >/dev/null || exit 1
memberwait 3 n2 up >/dev/null || exit 1
new=$(member_field 1 n2 incarnation)
log "n2 incarnation before $old, after restart $new"
[ "$new" -gt "$old" ] || fail "incarnation did not grow across a restart"
[ "$(member_field 3 n2 incarnation)" = "$new" ] || fail "n3 disagrees on n2's incarnation"
[ "$(member_field 2 n2 incarnation)" = "$new" ] || fail "n2 reports another incarnation for itself"
log "PASS"
