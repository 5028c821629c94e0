#!/bin/bash
# A node with the wrong cluster name, and a node whose id the others do
# not know, are refused; both sides log why; the cluster is undisturbed.
. "$(dirname "$0")/lib.sh"
need_loopback

cluster_conf 15 3 "heartbeat = { interval_ms = 200; timeout_ms = 1000; };"
for i in 1 2; do start_node $i; done
for i in 1 2; do memberwait $i n$((3 - i)) up >/dev/null || exit 1; done
since=$(member_field 1 n2 since_ms)

# Node 3 announces cluster "other".
sed -i 's/^cluster = "test";/cluster = "other";/' "$T/n3/conf"
start_node 3
memberwait 3 n1 refused >/dev/null || exit 1
# Each end checks the other's HELLO, so n3 may log its own refusal of
# n1's HELLO or n1's refusal of its own: either way it says why.
grep -q 'wrong cluster name' "$T/n3/log" ||
    fail "n3's log does not say why it is not in the cluster"
grep -q 'refused stream from 127.15.0.3.*wrong cluster name.*announced cluster "other"' "$T/n1/log" ||
    fail "n1's log does not say why it refused n3"
state=$(member_field 1 n3 state)
[ "$state" != up ] || fail "n1 lists the foreign node as up"
stop_node 3

# Node 4 is in its own config but not in anyone else's.
mkdir -p "$T/n4"
cat > "$T/n4/conf" <<CONF
cluster = "test";
node_id = "n4";
nodes = (
  { id = "n1"; address = "127.15.0.1"; port = 7400; },
  { id = "n4"; address = "127.15.0.4"; port = 7400; }
);
socket = "$T/n4/sock";
CONF
start_node 4
memberwait 4 n1 refused >/dev/null || exit 1
grep -q 'refused our HELLO: node id not in this node.s config: node id "n4" is not in the nodes list of n1' "$T/n4/log" ||
    fail "n4's log does not say its id is unknown"
grep -q 'node id "n4" is not in the nodes list of n1' "$T/n1/log" ||
    fail "n1's log does not say why it refused n4"

# Throughout, n1 and n2 stayed up with no state change.
[ "$(member_field 1 n2 state)" = up ] || fail "n1 lost n2"
[ "$(member_field 1 n2 since_ms)" = "$since" ] || fail "n1-n2 flapped"
log "PASS"
