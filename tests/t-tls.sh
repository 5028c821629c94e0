#!/bin/bash
# TLS on peer streams (security.tls): the certificates tools/cohort-tls-certs
# makes bring a cluster up in TLS 1.3; a node whose certificate comes from
# another CA is refused, and so is a peer whose (valid) certificate names
# another node than the one its HELLO claims, while the cluster keeps
# working; cohortd -t finds a certificate that is not this node's.  Then
# the bytes on the wire: captured on loopback with tcpdump, a known body
# is not found with certificates nor with the default (the cluster key
# as TLS PSK), and is found in clear text with encryption = "none" (which
# shows the capture works).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/msglib.sh"
need_loopback
command -v openssl >/dev/null || skip "openssl is not installed"

NET=26
CERTS="$top_srcdir/tools/cohort-tls-certs"
"$CERTS" -d "$T/pki" -c test n1 n2 n3 >/dev/null || fail "cohort-tls-certs failed"
"$CERTS" -d "$T/evil" -c test n3 >/dev/null || fail "cohort-tls-certs (other CA) failed"
[ "$(stat -c %a "$T/pki/n1.key")" = 600 ] || fail "a node key was not written 0600"

# Each node's files sit beside its config, named the same on every node.
node_files() {	# node_files I DIR ID: node I presents DIR/ID.crt, trusts DIR/ca.crt
	cp "$2/$3.crt" "$T/n$1/node.crt"
	cp "$2/$3.key" "$T/n$1/node.key"
	cp "$2/ca.crt" "$T/n$1/ca.crt"
}
HB="heartbeat = { interval_ms = 200; timeout_ms = 1000; };"
TLS_CONF="security = { key_file = \"$(cluster_key)\"; tls = { certificate = \"node.crt\"; private_key = \"node.key\"; ca = \"ca.crt\"; }; };"

cluster_conf $NET 3 "$HB
$TLS_CONF"
for i in 1 2 3; do node_files $i "$T/pki" n$i; done

# cohortd -t checks the files as a peer will.
"$COHORTD" -t -c "$T/n1/conf" 2>"$T/err" || fail "cohortd -t refused good TLS files: $(cat "$T/err")"
cp "$T/pki/n2.crt" "$T/n3/node.crt"; cp "$T/pki/n2.key" "$T/n3/node.key"
"$COHORTD" -t -c "$T/n3/conf" 2>"$T/err" && fail "cohortd -t accepted n2's certificate for n3"
grep -q 'is for "n2", not this node "n3"' "$T/err" || fail "unclear message: $(cat "$T/err")"
cp "$T/evil/n3.crt" "$T/n3/node.crt"; cp "$T/evil/n3.key" "$T/n3/node.key"
"$COHORTD" -t -c "$T/n3/conf" 2>"$T/err" && fail "cohortd -t accepted a certificate of another CA"
grep -q 'is not signed by the CA' "$T/err" || fail "unclear message: $(cat "$T/err")"
chmod 0644 "$T/n1/node.key"
"$COHORTD" -t -c "$T/n1/conf" 2>"$T/err" && fail "a world-readable TLS key was accepted"
grep -q 'TLS private key .* may be read by other users' "$T/err" || fail "unclear message: $(cat "$T/err")"
chmod 0600 "$T/n1/node.key"
log "cohortd -t refuses another node's certificate, another CA's, an open key"

for i in 1 2; do start_node $i; done
memberwait 1 n2 up >/dev/null || exit 1
memberwait 2 n1 up >/dev/null || exit 1
grep -q 'peer streams use TLS 1.3' "$T/n1/log" || fail "n1 does not say it uses TLS"
since=$(member_field 1 n2 since_ms)
log "n1 and n2 up over TLS"

# A node with a certificate from another CA (and that CA as its own).
node_files 3 "$T/evil" n3
start_node 3
wait_for "n1 to refuse n3's certificate" "$(scale 10)" \
    grep -q 'refused: TLS: .*certificate verify failed' "$T/n1/log"
wait_for "n3 to be refused too" "$(scale 10)" grep -q 'refused: TLS: ' "$T/n3/log"
[ "$(member_field 1 n3 state)" != up ] || fail "n1 took n3 up with another CA's certificate"
[ "$(dstat 1 tls_failures)" -ge 1 ] || fail "n1's tls_failures did not move"
stop_node 3
log "another CA's certificate: refused ($(grep -o 'refused: TLS: [^(]*' "$T/n1/log" | head -1))"

# A peer from n3's address that claims n3 with n2's valid certificate.
probe() { "$PEERPROBE" -a -b 127.$NET.0.3 -k "$(cluster_key)" -i n3 -A "$T/pki/ca.crt" "$@" 127.$NET.0.1 7400; }
out=$(probe -c "$T/pki/n3.crt" -K "$T/pki/n3.key") || fail "probe failed"
[ "$out" = ACK ] || fail "n3's own certificate was refused: $out"
out=$(probe -c "$T/pki/n2.crt" -K "$T/pki/n2.key") || fail "probe failed"
case $out in 'REFUSE TLS certificate does not name the node: '*'claims to be n3, but its TLS certificate is for "n2"'*) ;;
*) fail "n2's certificate claiming n3: $out" ;; esac
log "n2's certificate for n3: $out"
# The daemon checks a client's certificate too (the probe trusts n1).
out=$(probe -c "$T/evil/n3.crt" -K "$T/evil/n3.key") || fail "probe failed"
case $out in 'TLS '*) ;; *) fail "another CA's certificate: $out" ;; esac
wait_for "n1 to log the probe's certificate refused" "$(scale 5)" \
    grep -q "stream from 127.$NET.0.3:[0-9]* refused: TLS: .*certificate verify failed" "$T/n1/log"
out=$(probe) || fail "probe failed"
case $out in 'TLS '*) ;; *) fail "no certificate at all: $out" ;; esac
wait_for "n1 to log a stream without a certificate refused" "$(scale 5)" \
    grep -q "stream from 127.$NET.0.3:[0-9]* refused: TLS: peer did not return a certificate" "$T/n1/log"
log "the daemon refuses a client with another CA's certificate, and one with none"
[ "$(member_field 1 n2 state)" = up ] && [ "$(member_field 1 n2 since_ms)" = "$since" ] ||
    fail "n1-n2 was disturbed while the others were refused"
log "n1-n2 stayed up throughout; n1 counted $(dstat 1 tls_failures) TLS failures"

# Reload: a certificate that is not n1's refuses the reload; a renewed
# one is served to the next handshake, and open streams stay.
served_serial() {
	openssl s_client -connect 127.$NET.0.1:7400 -CAfile "$T/pki/ca.crt" \
	    -cert "$T/pki/n3.crt" -key "$T/pki/n3.key" </dev/null 2>/dev/null |
	    openssl x509 -noout -serial
}
cp "$T/pki/n2.key" "$T/n1/node.key"
ctl 1 reload >"$T/out" 2>&1 && fail "reload took a key that is not the certificate's"
grep -q 'reload refused.*node.key: key values mismatch (it must be the key of the certificate)' "$T/out" ||
    fail "reload said: $(cat "$T/out")"
cp "$T/pki/n2.crt" "$T/n1/node.crt"
ctl 1 reload >"$T/out" 2>&1 && fail "reload took n2's certificate for n1"
grep -q 'reload refused.*is for "n2", not this node "n1"' "$T/out" || fail "reload said: $(cat "$T/out")"
"$CERTS" -f -d "$T/pki" -c test n1 >/dev/null || fail "renewing n1's certificate failed"
node_files 1 "$T/pki" n1
ctl 1 reload >/dev/null || fail "reload with the renewed certificate failed"
[ "$(served_serial)" = "$(openssl x509 -noout -serial -in "$T/pki/n1.crt")" ] ||
    fail "n1 does not serve its renewed certificate after the reload"
[ "$(member_field 1 n2 since_ms)" = "$since" ] || fail "the reload disturbed n1-n2"
log "reload: a wrong certificate is refused, a renewed one served at once, n1-n2 kept"

# The wire.  tcpdump needs CAP_NET_RAW; the checks above ran either way.
command -v tcpdump >/dev/null || skip "tcpdump is not installed (certificate checks passed)"
capture() {	# capture FILE BODY: n1 sends BODY to n2 while tcpdump records
	# --immediate-mode: else packets wait in the kernel's ring for a
	# block to fill, and are lost when tcpdump stops.
	tcpdump -i lo --immediate-mode -U -s 0 -w "$1" "tcp port 7400 and host 127.$NET.0.1 and host 127.$NET.0.2" \
	    2>"$1.err" &
	tp=$!
	CHILD_PIDS="$CHILD_PIDS $tp"
	wait_for "tcpdump to listen" 10 grep -q 'listening on' "$1.err" ||
	    skip "tcpdump cannot capture here: $(cat "$1.err")"
	ctl 2 sub -c 1 -t "$(scale 5)" tls.body >"$T/sub" 2>&1 &
	sp=$!
	CHILD_PIDS="$CHILD_PIDS $sp"
	wait_subs 2 1
	ctl 1 send n2 tls.body "$2" || fail "send failed"
	wait $sp || fail "the body did not arrive: $(cat "$T/sub")"
	[ "$(cat "$T/sub")" = "n1 tls.body $2" ] || fail "received: $(cat "$T/sub")"
	# Let the last packets reach the file, then stop tcpdump.
	sleep 0.5
	kill -INT "$tp"
	wait "$tp" 2>/dev/null
	n=$(sed -n 's/^\([0-9]*\) packets\{0,1\} captured.*/\1/p' "$1.err")
	[ "${n:-0}" -ge 2 ] || fail "tcpdump captured ${n:-no} packets: $(cat "$1.err")"
	[ "$(stat -c %s "$1")" -gt $((24 + ${#2})) ] || fail "the capture is smaller than the body"
}
BODY="tls-canary-$$-$RANDOM$RANDOM"

capture "$T/tls.pcap" "$BODY-secret"
grep -aq "$BODY" "$T/tls.pcap" && fail "the body is in clear text on the wire with TLS on"
log "TLS: body delivered, not found in $(stat -c %s "$T/tls.pcap") captured bytes ($(sed -n 's/ captured//p' "$T/tls.pcap.err"))"

# The default, a cluster key and nothing else: TLS keyed by the key, so
# the body is not on the wire either.
for i in 1 2; do stop_node $i; done
cluster_conf $NET 3 "$HB"
for i in 1 2; do start_node $i; done
memberwait 1 n2 up >/dev/null || exit 1
grep -q "peer streams use TLS 1.3 keyed by the cluster key" "$T/n1/log" ||
    fail "the default did not say it encrypts"
capture "$T/default.pcap" "$BODY-default"
grep -aq "$BODY" "$T/default.pcap" && fail "the body is in clear text on the wire by default"
log "default (key only): body delivered, not found in $(stat -c %s "$T/default.pcap") captured bytes"

# The opt-out: the capture sees the body (so the checks above can fail),
# and the daemon warns at start.
for i in 1 2; do stop_node $i; done
cluster_conf $NET 3 "$HB
security = { key_file = \"$(cluster_key)\"; encryption = \"none\"; };"
for i in 1 2; do start_node $i; done
memberwait 1 n2 up >/dev/null || exit 1
grep -q 'security.encryption is "none"' "$T/n1/log" || fail "no warning for encryption = none"
capture "$T/plain.pcap" "$BODY-plain"
grep -aq "$BODY-plain" "$T/plain.pcap" || fail "the capture missed the body with encryption none: it proves nothing"
log "encryption = none: the same capture finds the body in clear text"
