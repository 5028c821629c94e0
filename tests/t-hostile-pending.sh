#!/bin/bash
# limits.max_pending_streams bounds every inbound stream that has not
# completed the handshake, including those whose HELLO was accepted but
# which never send HELLO_ACK (and so never prove they hold the cluster
# key).  Such a stream costs the daemon as much as one that says nothing,
# and anyone who can reach the port from a configured node's address can
# open them: unbounded, they would run the daemon out of descriptors and
# lock out its local clients.
. "$(dirname "$0")/lib.sh"
need_loopback
: "${HOSTILE:?run through make check}"

NET=42
HELLO_MS=$(scale 1000)
# n3 is configured but never started: hostile speaks as n3, from n3's
# address (security.check_address).
# The frame parser and the limits before HELLO are what is attacked
# here, so the streams are plain (encryption = "none"): by default the
# same bytes meet TLS first, which refuses them (t-tls, t-mitm).
cluster_conf $NET 3 "limits = { hello_timeout_ms = $HELLO_MS;
  max_pending_streams = 8; pending_per_address = 4; };
security = { key_file = \"$(cluster_key)\"; encryption = \"none\"; };"
for i in 1 2; do start_node $i; done
memberwait 1 n2 up >/dev/null || exit 1

dstat() {
	ctl 1 --json stats | grep '^{"section":"daemon"' |
	    sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"
}

# Streams that say nothing: 8 held, 12 closed at once.
out=$("$HOSTILE" -H "$HELLO_MS" -b 127.$NET.0.3 hold 127.$NET.0.1 7400 20 \
    "$(scale 5)" 2>"$T/err") || fail "hold: $out $(cat "$T/err")"
log "silent streams: $out"
[ "$out" = "hold: opened=20 at_once=12 at_deadline=8 other=0 open=0" ] ||
    fail "silent streams: $out"

# Streams that send a HELLO as n3 and then nothing: the same bound.
r0=$(dstat pending_refused)
out=$("$HOSTILE" -H "$HELLO_MS" -b 127.$NET.0.3 -i n3 hold 127.$NET.0.1 \
    7400 20 "$(scale 5)" 2>"$T/err") || fail "hold: $out $(cat "$T/err")"
r1=$(dstat pending_refused)
log "streams after an accepted HELLO: $out (pending_refused $r0 -> $r1)"
[ "$out" = "hold: opened=20 at_once=12 at_deadline=8 other=0 open=0" ] ||
    fail "streams that never complete the handshake escape" \
    "limits.max_pending_streams: $out"
[ "$(member_field 1 n2 state)" = up ] || fail "n1 lost n2"
log "PASS"
