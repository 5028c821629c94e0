#!/bin/bash
# Let no one in: a wrong key, no key, a replayed handshake, a second node
# claiming an existing id, and a peer connecting from an address not its
# own are each refused, while the legitimate cluster keeps working; then
# the cluster moves from key A to key B by rolling reloads with no moment
# where members see each other down.  The key proof is what is tested
# here, so the streams are plain (encryption = "none": the proof alone
# stands between the port and the cluster); t-encrypt tests the default,
# TLS keyed by the same key.
. "$(dirname "$0")/lib.sh"
need_loopback

NET=22
cluster_conf $NET 3 "heartbeat = { interval_ms = 200; timeout_ms = 1000; };
security = { key_file = \"$(cluster_key)\"; encryption = \"none\"; };"
for i in 1 2; do start_node $i; done
memberwait 1 n2 up >/dev/null || exit 1
memberwait 2 n1 up >/dev/null || exit 1
since=$(member_field 1 n2 since_ms)
KEY=$(cluster_key)
probe() { "$PEERPROBE" "$@" 127.$NET.0.1 7400; }
auth_failures() {
	ctl 1 --json stats | sed -n 's/.*"auth_failures":\([0-9]*\).*/\1/p'
}

# The right key from the right address is accepted: the baseline.
out=$(probe -a -b 127.$NET.0.3 -k "$KEY" -i n3 -r "$T/recorded") || fail "probe failed"
[ "$out" = ACK ] || fail "the legitimate handshake was refused: $out"

# Wrong key.
"$COHORTD" --keygen "$T/wrong.key" 2>/dev/null
out=$(probe -a -b 127.$NET.0.3 -k "$T/wrong.key" -i n3) || fail "probe failed"
case $out in "REFUSE authentication failed: n3 could not prove it holds n1's cluster key"*) ;;
*) fail "wrong key: $out" ;; esac
log "wrong key: $out"

# No key at all (an ACK without a MAC).
out=$(probe -a -b 127.$NET.0.3 -i n3) || fail "probe failed"
case $out in "REFUSE authentication failed:"*) ;; *) fail "no key: $out" ;; esac

# A real node started without the key (authentication "none").
sed -i 's|^security = .*|security = { authentication = "none"; };|' "$T/n3/conf"
start_node 3
memberwait 3 n1 refused >/dev/null || exit 1
grep -q 'authentication failed' "$T/n3/log" || fail "n3's log does not say why it was refused"
grep -q 'refused stream .*authentication failed' "$T/n1/log" || fail "n1 did not log the refusal"
grep -q 'security.authentication is "none": anything that reaches port 7400 can join cluster test' \
    "$T/n3/log" || fail "n3 started with authentication none and did not warn"
stop_node 3
log "a node without the key is refused, both logs say why, and it warned at start"

# cohortd --keygen: 32 random bytes as 64 hex digits, mode 0600, never
# over an existing file.
"$COHORTD" --keygen "$T/new.key" 2>/dev/null || fail "--keygen failed"
[ "$(stat -c %a "$T/new.key")" = 600 ] || fail "--keygen wrote mode $(stat -c %a "$T/new.key")"
grep -Eqx '[0-9a-f]{64}' "$T/new.key" || fail "--keygen wrote: $(cat "$T/new.key")"
cmp -s "$T/new.key" "$KEY" && fail "--keygen wrote the same key twice"
cp "$T/new.key" "$T/new.copy"
"$COHORTD" --keygen "$T/new.key" 2>"$T/err" && fail "--keygen overwrote a key"
cmp -s "$T/new.key" "$T/new.copy" || fail "--keygen changed an existing key"
grep -q 'never overwritten' "$T/err" || fail "unclear message: $(cat "$T/err")"
log "--keygen: 64 hex digits, mode 0600, an existing key kept"

# A recorded handshake, replayed: the daemon's nonce is new each time.
out=$(probe -b 127.$NET.0.3 -p "$T/recorded" -i n3) || fail "probe failed"
case $out in "REFUSE authentication failed: "*"replayed"*) ;; *) fail "replay: $out" ;; esac
log "replay of a captured handshake: $out"

# A second node claiming an existing id (n2, up) from another address.
out=$(probe -a -b 127.$NET.0.9 -k "$KEY" -i n2) || fail "probe failed"
case $out in "REFUSE peer address does not match its config: "*"claims to be n2"*) ;;
*) fail "second n2: $out" ;; esac
# And any node from an address not its own.
out=$(probe -a -b 127.$NET.0.7 -k "$KEY" -i n3) || fail "probe failed"
case $out in "REFUSE peer address does not match its config: "*) ;; *) fail "address: $out" ;; esac
log "a second n2 and a misplaced n3 are refused for their address"

n=$(auth_failures)
[ "$n" -ge 4 ] || fail "auth_failures is $n, expected at least 4"
[ "$(member_field 1 n2 state)" = up ] && [ "$(member_field 1 n2 since_ms)" = "$since" ] ||
    fail "the legitimate cluster was disturbed"
log "n1 counted $n authentication failures; n1-n2 stayed up throughout"

# Key files other users can read are refused.
cp "$KEY" "$T/open.key"; chmod 0644 "$T/open.key"
sed "s|key_file = \"[^\"]*\"|key_file = \"$T/open.key\"|" "$T/n1/conf" > "$T/open.conf"
"$COHORTD" -t -c "$T/open.conf" 2>"$T/err" && fail "a world-readable key was accepted"
grep -q "may be read by other users" "$T/err" || fail "bad message: $(cat "$T/err")"

# Key rotation from A to B by rolling reloads: accept both, sign with B,
# drop A.  Streams are not re-authenticated, so nobody goes down.
B="$T/b.key"
"$COHORTD" --keygen "$B" 2>/dev/null
ctl 1 --json events -t 60 > "$T/events" &
CHILD_PIDS="$CHILD_PIDS $!"
ctl 2 --json events -t 60 > "$T/events2" &
CHILD_PIDS="$CHILD_PIDS $!"
wait_for "the watchers" 5 sh -c "[ \$(grep -c 'follows membership events' '$T/n1/log') -ge 1 ] && [ \$(grep -c 'follows membership events' '$T/n2/log') -ge 1 ]"
for step in "\"$KEY\", \"$B\"" "\"$B\", \"$KEY\"" "\"$B\""; do
	for i in 1 2; do
		sed -i "s|^security = .*|security = { key_files = [ $step ]; encryption = \"none\"; };|" "$T/n$i/conf"
		ctl $i reload || fail "reload with key_files [ $step ] failed on n$i"
	done
done
# Only B is accepted now, and new streams use it.
out=$(probe -a -b 127.$NET.0.3 -k "$B" -i n3) || fail "probe failed"
[ "$out" = ACK ] || fail "key B refused after the rotation: $out"
out=$(probe -a -b 127.$NET.0.3 -k "$KEY" -i n3) || fail "probe failed"
case $out in "REFUSE authentication failed:"*) ;; *) fail "key A still accepted: $out" ;; esac
[ ! -s "$T/events" ] || ! grep -q '"node":"n2"' "$T/events" || fail "n1 saw n2 change during the rotation: $(cat "$T/events")"
grep -q '"node":"n1"' "$T/events2" && fail "n2 saw n1 change during the rotation: $(cat "$T/events2")"
# A stream made after the rotation authenticates with B: restart n2.
stop_node 2
start_node 2
memberwait 1 n2 up >/dev/null || exit 1
log "rotated from key A to key B with no state change; a restarted node joins with B"
log "PASS"
