#!/bin/bash
# The metrics endpoint (metrics.listen): GET /metrics in the Prometheus
# text format, parsed by prometheus_client, holds every key and value of
# `cohortctl stats`; GET /healthz is 200, or 503 with a JSON reason; 404
# and 405; and the bounds: huge headers and bodies refused, idle
# connections beyond max_connections closed while /metrics still
# answers, a stalled request closed at timeout_ms, each counted.  A
# reload moves the endpoint live.
. "$(dirname "$0")/lib.sh"
need_loopback

PY=/usr/bin/python3
CHECK="$PY $top_srcdir/tests/helpers/metrics-check.py"
command -v curl >/dev/null 2>&1 || skip "no curl (apt-get install curl)"
$PY -c 'import prometheus_client.parser' 2>/dev/null ||
    skip "no prometheus_client (apt-get install python3-prometheus-client)"

NET=62
MAXC=4
STALL_MS=$(scale 500)
cluster_conf $NET 2 "heartbeat = { interval_ms = 200; timeout_ms = 1000; };"
H1=127.$NET.0.1
P1=9741
# n2 on ::1 when there is one: the endpoint speaks IPv6 too.
if [ -f /proc/net/if_inet6 ] && grep -q '^0\{31\}1 ' /proc/net/if_inet6; then
	H2=::1 U2="[::1]" P2=9762
else
	H2=127.$NET.0.2 U2=$H2 P2=9741
fi
metrics1() {
	echo "metrics = { listen = \"$H1:$1\"; max_connections = $MAXC;"
	echo "  max_request_size = 4096; timeout_ms = $(scale 20000);"
	echo "  healthz_min_peers_up = 1; };"
}
metrics1 $P1 >> "$T/n1/conf"
echo "metrics = { listen = \"$U2:$P2\"; timeout_ms = $STALL_MS; };" >> "$T/n2/conf"
for i in 1 2; do
	"$COHORTD" -t -c "$T/n$i/conf" 2>"$T/err" || fail "n$i config: $(cat "$T/err")"
	start_node $i
done
memberwait 1 n2 up >/dev/null || exit 1
memberwait 2 n1 up >/dev/null || exit 1

url1="http://$H1:$P1"
url2="http://$U2:$P2"
# code URL [curl args]: the HTTP status, 000 when no answer.
code() { u=$1; shift; curl -s -o /dev/null -w '%{http_code}' --max-time "$(scale 5)" "$@" "$u"; }
# dstat I KEY: a daemon counter, through cohortctl (no HTTP connection).
dstat() { ctl "$1" --json stats | grep '"section":"daemon"' | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"; }

# 1. /metrics against cohortctl, for n1 and n2 (IPv6 when there).
for i in 1 2; do
	u=$url1; [ $i = 2 ] && u=$url2
	curl -s -D "$T/head$i" -o /dev/null "$u/metrics" || fail "GET $u/metrics failed"
	grep -qi '^Content-Type: text/plain; version=0.0.4' "$T/head$i" ||
	    fail "n$i /metrics content type: $(cat "$T/head$i")"
	ctl $i --json stats > "$T/j1" || fail "stats --json failed"
	curl -s "$u/metrics" > "$T/prom$i" || fail "GET $u/metrics failed"
	ctl $i --json stats > "$T/j2" || fail "stats --json failed"
	ctl $i stats --prometheus > "$T/ctlprom" || fail "stats --prometheus failed"
	out=$($CHECK compare "$T/j1" "$T/prom$i" "$T/j2" "$T/ctlprom") || exit 1
	log "n$i ($u): $out"
done
grep -q "^cohort_peer_up{node=\"n1\",peer=\"n2\"} 1$" "$T/prom1" || fail "n1: n2 not up in /metrics"
# The Grafana dashboard asks only for families the daemon serves.
n=0
for m in $(grep -o 'cohort_[a-z_]*' "$top_srcdir/contrib/grafana/cohort.json" | sort -u); do
	grep -q "^# TYPE $m " "$T/prom1" || fail "contrib/grafana/cohort.json uses $m, which /metrics lacks"
	n=$((n + 1))
done
[ $n -ge 10 ] || fail "only $n metrics found in the dashboard"
log "the dashboard's $n metrics are all served"

# 2. /healthz: 200 with n2 up (n1 wants 1 peer up, n2 none).
curl -s "$url1/healthz" > "$T/h" || fail "GET /healthz failed"
out=$($CHECK healthz ok node=n1 peers=1 peers_up=1 < "$T/h") || exit 1
[ "$(code "$url1/healthz")" = 200 ] || fail "n1 /healthz is not 200"
[ "$(code "$url2/healthz")" = 200 ] || fail "n2 /healthz is not 200"
log "healthz: $out"

# 3. Other paths and methods.
[ "$(code "$url1/nope")" = 404 ] || fail "/nope is not 404"
[ "$(code "$url1/metrics" -X POST)" = 405 ] || fail "POST /metrics is not 405"
[ "$(code "$url1/healthz" -X DELETE)" = 405 ] || fail "DELETE /healthz is not 405"
curl -s -D - -o /dev/null -X PUT "$url1/metrics" | grep -qi '^Allow: GET, HEAD' ||
    fail "405 without Allow: GET, HEAD"
[ "$(code "$url1/metrics" -I)" = 200 ] || fail "HEAD /metrics is not 200"
[ "$(dstat 1 http_bad_requests)" = 4 ] || fail "http_bad_requests $(dstat 1 http_bad_requests), not 4"

# 4. Over max_request_size (4096): headers (libevent answers 400, or
# resets while the client still sends), a body (413); both counted.
big=$(head -c 6000 /dev/zero | tr '\0' a)
ch=$(code "$url1/metrics" -H "X-Big: $big")
case $ch in 400|000) ;; *) fail "huge headers answered $ch" ;; esac
wait_for "http_too_large 1" "$(scale 5)" sh -c "[ \"\$($COHORTCTL -s $(sock 1) --json stats | grep -o '\"http_too_large\":[0-9]*')\" = '\"http_too_large\":1' ]"
head -c 6000 /dev/zero > "$T/body"
c=$(code "$url1/metrics" -X POST --data-binary @"$T/body" -H 'Content-Type: application/octet-stream')
case $c in 413|000) ;; *) fail "a big body answered $c" ;; esac
wait_for "http_too_large 2" "$(scale 5)" sh -c "[ \"\$($COHORTCTL -s $(sock 1) --json stats | grep -o '\"http_too_large\":[0-9]*')\" = '\"http_too_large\":2' ]"
[ "$(code "$url1/metrics")" = 200 ] || fail "/metrics after refusals is not 200"
log "huge headers ($ch) and a big body ($c) refused, counted in http_too_large"

# 5. Idle connections beyond max_connections are closed (the oldest idle
# one for each new one) and /metrics still answers.
wait_for "no HTTP connection open" "$(scale 5)" sh -c "[ \"\$($COHORTCTL -s $(sock 1) --json stats | grep -o '\"http_connections\":[0-9]*')\" = '\"http_connections\":0' ]"
r0=$(dstat 1 http_conns_refused)
out=$($CHECK flood "$H1" $P1 $((3 * MAXC)) $MAXC) || exit 1
log "flood: $out"
r1=$(dstat 1 http_conns_refused)
[ $((r1 - r0)) = $((2 * MAXC + 1)) ] || fail "http_conns_refused grew by $((r1 - r0)), not $((2 * MAXC + 1))"
[ "$(dstat 1 http_timeouts)" = 0 ] || fail "n1 timed out $(dstat 1 http_timeouts) connections"

# 6. Half a request is closed at timeout_ms (n2: $STALL_MS ms), counted.
out=$($CHECK stall "$H2" $P2 "$STALL_MS" "$(scale 10)") || exit 1
wait_for "n2 http_timeouts 1" "$(scale 5)" sh -c "[ \"\$($COHORTCTL -s $(sock 2) --json stats | grep -o '\"http_timeouts\":[0-9]*')\" = '\"http_timeouts\":1' ]"
log "stall: $out"

# 7. A reload moves the endpoint; one to an address it cannot bind keeps
# it where it is; the counters carry on.
req=$(dstat 1 http_requests)
sed -i '/^metrics = /,$d' "$T/n1/conf"
metrics1 9743 >> "$T/n1/conf"
ctl 1 reload > /dev/null || fail "reload failed"
[ "$(code "http://$H1:9743/healthz")" = 200 ] || fail "/healthz not on the new port after a reload"
[ "$(code "$url1/healthz")" = 000 ] || fail "the old port still answers after a reload"
[ "$(dstat 1 http_requests)" -gt "$req" ] || fail "http_requests went from $req to $(dstat 1 http_requests)"
sed -i '/^metrics = /,$d' "$T/n1/conf"
echo "metrics = { listen = \"192.0.2.1:9743\"; healthz_min_peers_up = 1; };" >> "$T/n1/conf"
ctl 1 reload > /dev/null || fail "reload failed"
grep -q 'reload: metrics.listen stays 127.62.0.1 port 9743' "$T/n1/log" || fail "no warning for an address it cannot bind"
[ "$(code "http://$H1:9743/healthz")" = 200 ] || fail "the endpoint moved to an address it could not bind"
url1="http://$H1:9743"
# Off, then on again: the counters are the same server's.
req=$(dstat 1 http_requests)
sed -i '/^metrics = /,$d' "$T/n1/conf"
ctl 1 reload > /dev/null || fail "reload failed"
[ "$(code "$url1/healthz")" = 000 ] || fail "the endpoint still answers with no metrics.listen"
metrics1 9743 >> "$T/n1/conf"
ctl 1 reload > /dev/null || fail "reload failed"
[ "$(code "$url1/healthz")" = 200 ] || fail "the endpoint did not come back"
[ "$(dstat 1 http_requests)" = $((req + 1)) ] || fail "http_requests is $(dstat 1 http_requests), not $((req + 1))"
log "reload: moved to port 9743, kept there when the new address fails, off and on again"

# 8. n2 killed: n1 (healthz_min_peers_up = 1) says 503 and why.
kill_node 2 KILL
memberwait 1 n2 down >/dev/null || exit 1
[ "$(code "$url1/healthz")" = 503 ] || fail "/healthz with n2 down is not 503"
curl -s "$url1/healthz" > "$T/h"
out=$($CHECK healthz unavailable 'reason~0 of 1 peers up, fewer than metrics.healthz_min_peers_up (1)' peers_up=0 < "$T/h") || exit 1
log "healthz, n2 down: $out"
grep -q "^cohort_peer_up{node=\"n1\",peer=\"n2\"} 0$" <(curl -s "$url1/metrics") || fail "n2 still up in /metrics"
# Its control socket gone: 503 too.
mv "$(sock 1)" "$T/sock.moved"
curl -s "$url1/healthz" > "$T/h"
out=$($CHECK healthz unavailable 'reason~control socket' < "$T/h") || exit 1
mv "$T/sock.moved" "$(sock 1)"
log "healthz, socket gone: $out"
log "PASS"
