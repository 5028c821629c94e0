#!/bin/bash
# Two nodes on ::1 find each other over IPv6.
. "$(dirname "$0")/lib.sh"

[ -f /proc/net/if_inet6 ] && grep -q '^0\{31\}1 ' /proc/net/if_inet6 ||
    skip "no IPv6 loopback (::1) on this machine"
for i in 1 2; do
	mkdir -p "$T/n$i"
	cat > "$T/n$i/conf" <<CONF
cluster = "v6";
node_id = "n$i";
nodes = (
  { id = "n1"; address = "::1"; port = 17401; },
  { id = "n2"; address = "::1"; port = 17402; }
);
socket = "$T/n$i/sock";
$(security_conf)
CONF
done
for i in 1 2; do start_node $i; done
memberwait 1 n2 up >/dev/null || exit 1
memberwait 2 n1 up >/dev/null || exit 1
grep -q 'listening for peers on ::1 port 17401' "$T/n1/log" || fail "n1 not on ::1"
log "PASS"
