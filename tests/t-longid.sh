#!/bin/bash
# Node ids of 62 and 63 characters (63 is the most the config allows) and
# a cluster name of 63: every frame that carries one must fit its buffer.
# The cluster comes up, a message and a request go both ways between such
# nodes with their ids intact, and it stays up for more than 3 heartbeat
# timeouts with no state change.  (An ECHO with a 62-character id once did
# not fit its buffer and was silently not sent: the peer went down.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/msglib.sh"
need_loopback

NET=61 INTERVAL=100 TIMEOUT=500
# pad PREFIX LEN: PREFIX followed by x's, LEN characters in all.
pad() { printf '%s%s' "$1" "$(printf 'x%.0s' $(seq $(( $2 - ${#1} ))))"; }
CLUSTER=$(pad cluster- 63)
ID1=$(pad node-one- 63) ID2=$(pad node-two- 62) ID3=$(pad node-three- 63)
ids=("" "$ID1" "$ID2" "$ID3")
[ ${#ID1} = 63 ] && [ ${#ID2} = 62 ] && [ ${#ID3} = 63 ] || fail "ids are not 63/62/63 long"

for i in 1 2 3; do
	mkdir -p "$T/n$i"
	{
		echo "cluster = \"$CLUSTER\";"
		echo "node_id = \"${ids[$i]}\";"
		echo "nodes = ("
		for j in 1 2 3; do
			sep=","; [ "$j" = 3 ] && sep=""
			echo "  { id = \"${ids[$j]}\"; address = \"127.$NET.0.$j\"; port = 7400; }$sep"
		done
		echo ");"
		echo "socket = \"$T/n$i/sock\";"
		echo "heartbeat = { interval_ms = $(scale $INTERVAL); timeout_ms = $(scale $TIMEOUT); };"
		security_conf
	} > "$T/n$i/conf"
	"$COHORTD" -t -c "$T/n$i/conf" >/dev/null 2>&1 ||
	    fail "the config refuses 63-character ids: $("$COHORTD" -t -c "$T/n$i/conf" 2>&1)"
done

t0=$(now_ms)
for i in 1 2 3; do start_node $i; done
for i in 1 2 3; do memberwait $i ALL up "$(scale 5)" >/dev/null || exit 1; done
log "3 nodes with ids of 63, 62 and 63 characters all up after $(( $(now_ms) - t0 )) ms"
for i in 1 2 3; do for j in 1 2 3; do
	[ $i = $j ] && continue
	[ "$(member_field $i "${ids[$j]}" state)" = up ] ||
	    fail "n$i does not list ${ids[$j]} as up: $(ctl $i members)"
done; done

# peer_stat I J KEY: node I's counter KEY for its peer J.
peer_stat() {
	ctl "$1" --json stats | grep "\"section\":\"peer\",\"name\":\"${ids[$2]}\"" |
	    sed -n "s/.*\"$3\":\([0-9]*\).*/\1/p"
}
changes() {
	for i in 1 2 3; do for j in 1 2 3; do
		[ $i = $j ] || printf '%s ' "$(peer_stat $i $j state_changes)"
	done; done
}
before=$(changes)
echo "$before" | grep -q '[0-9]' || fail "no state_changes counters in stats"

# A message each way between the 63 and the 62, checked byte for byte.
for dir in "1 2" "2 1" "3 2"; do
	set -- $dir
	spawn "$T/recv.$1$2" $COHORT_WRAP "$MSGTOOL" recv "$(sock $2)" long.m.$1$2 20 "$(scale 10)"
	rp=$SPAWNED
	wait_subs $2 1
	out=$(mt pub "$(sock $1)" "${ids[$2]}" long.m.$1$2 20 100-4000) || fail "pub n$1 -> n$2: $out"
	[ "$out" = "sent=20 refused=0 maybe_lost=0" ] || fail "pub n$1 -> n$2: $out"
	finish "$rp" "recv n$1 -> n$2" "$T/recv.$1$2"
	log "n$1 -> n$2 (${#ids[$1]} -> ${#ids[$2]} characters): $(cat "$T/recv.$1$2")"
done

# Requests: the reply's origin must be the whole id (msgtool checks it).
for dir in "2 1" "1 3"; do
	set -- $dir
	spawn "$T/serve.$1$2" $COHORT_WRAP "$MSGTOOL" serve "$(sock $2)" long.q.$1$2 10 "$(scale 10)"
	sp=$SPAWNED
	wait_subs $2 1
	out=$(mt requests "$(sock $1)" "${ids[$2]}" long.q.$1$2 10 "$(scale 5)") ||
	    fail "requests n$1 -> n$2: $out"
	finish "$sp" "serve on n$2" "$T/serve.$1$2"
	log "requests n$1 -> n$2: $out"
done

# ups I: how many peers node I sees up.
ups() { "$COHORTCTL" -s "$(sock "$1")" --json members | grep -c '"state":"up"'; }

# Up for more than 3 heartbeat timeouts: heartbeats (ECHO) must flow.
hold=$(( 3 * TIMEOUT + 2 * INTERVAL ))
t1=$(now_ms)
end=$(( t1 + $(scale $hold) ))
while [ "$(now_ms)" -lt "$end" ]; do
	for i in 1 2 3; do
		[ "$(ups $i)" = 2 ] ||
		    fail "after $(( $(now_ms) - t1 )) ms a peer of n$i is not up: $(ctl $i members)"
	done
	sleep 0.1
done
after=$(changes)
[ "$after" = "$before" ] ||
    fail "peers changed state during $(scale $hold) ms (state_changes $before-> $after)"
for i in 1 2 3; do [ "$(ups $i)" = 2 ] || fail "n$i: $(ctl $i members)"; done
rtt=$(member_field 1 "$ID2" rtt_us)
[ -n "$rtt" ] && [ "$rtt" -gt 0 ] || fail "no round-trip time measured n1 -> n2 (ECHO): '$rtt'"
log "all up for $(( $(now_ms) - t1 )) ms (> 3 x $(scale $TIMEOUT) ms timeout), state_changes unchanged ($after), n1 -> n2 rtt ${rtt} us"
log "PASS"
