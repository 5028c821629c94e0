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
$(security_conf)
CONF
start_node 4
memberwait 4 n1 refused >/dev/null || exit 1
grep -q 'refused our HELLO: node id not in this node.s config: node id "n4" is not in the nodes list of n1' "$T/n4/log" ||
    fail "n4's log does not say its id is unknown"
grep -q 'node id "n4" is not in the nodes list of n1' "$T/n1/log" ||
    fail "n1's log does not say why it refused n4"

# Hand-made HELLOs: an incompatible version, our own id, an unknown id, a
# wrong cluster; each is refused with its reason, and logged by n1.
# The probe speaks the default: TLS keyed by the cluster key.
probe() { "$PEERPROBE" -P -k "$(cluster_key)" "$@" 127.15.0.1 7400; }
out=$(probe -v 7 -m 5 -i n2) || fail "probe failed"
[ "$out" = "REFUSE incompatible protocol version: n1 speaks protocol versions 2 to 2, n2 speaks 5 to 7" ] ||
    fail "version: $out"
grep -q 'refused stream from .*incompatible protocol version' "$T/n1/log" || fail "n1 did not log the version refusal"
out=$(probe -i n1) || fail "probe failed"
case $out in "REFUSE peer claims this node's own id: "*"announced n1's own id"*) ;;
*) fail "own id: $out" ;; esac
out=$(probe -i stranger) || fail "probe failed"
case $out in "REFUSE node id not in this node's config: "*) ;; *) fail "unknown id: $out" ;; esac
out=$(probe -C prod -i n2) || fail "probe failed"
case $out in "REFUSE wrong cluster name: "*) ;; *) fail "cluster: $out" ;; esac
# A well-formed HELLO is acknowledged (as n3, which is down), from n3's
# address and with the cluster key.
out=$(probe -a -b 127.15.0.3 -k "$(cluster_key)" -i n3) || fail "probe failed"
[ "$out" = ACK ] || fail "a valid HELLO was not acknowledged: $out"
conns_refused=$(ctl 1 --json stats | sed -n 's/.*"conns_refused":\([0-9]*\).*/\1/p')
log "n1 counted $conns_refused refused streams"
[ "$conns_refused" -ge 6 ] || fail "n1 counted only $conns_refused refusals"

# Throughout, n1 and n2 stayed up with no state change.
[ "$(member_field 1 n2 state)" = up ] || fail "n1 lost n2"
[ "$(member_field 1 n2 since_ms)" = "$since" ] || fail "n1-n2 flapped"
log "PASS"
