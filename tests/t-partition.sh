#!/bin/bash
# A network partition, made with network namespaces that this test
# creates and removes: three nodes on a bridge in a namespace of their
# own; one is cut off, then the link heals.  Both sides see the other
# down, the majority keeps relaying, and after the heal membership
# converges and every node relays again.  Needs root (skipped otherwise).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/msglib.sh"

[ "$(id -u)" = 0 ] || skip "needs root to create network namespaces"
command -v ip >/dev/null 2>&1 || skip "ip (iproute2) is not installed"
SW=cohsw$$
ip netns add "$SW" 2>/dev/null || skip "cannot create network namespaces here"
EXTRA_CLEANUP="ip netns del $SW 2>/dev/null"
ip -n "$SW" link add br0 type bridge 2>/dev/null ||
    skip "no bridge support in this kernel"
ip -n "$SW" link set br0 up
NET=10.213.0
for i in 1 2 3; do
	ns=cohn$i.$$
	ip netns add "$ns" || fail "ip netns add $ns"
	EXTRA_CLEANUP="$EXTRA_CLEANUP; ip netns del $ns 2>/dev/null"
	ip link add "vn$i" netns "$ns" type veth peer name "vs$i" netns "$SW" ||
	    fail "cannot create a veth pair"
	ip -n "$ns" addr add "$NET.$i/24" dev "vn$i"
	ip -n "$ns" link set lo up
	ip -n "$ns" link set "vn$i" up
	ip -n "$SW" link set "vs$i" master br0
	ip -n "$SW" link set "vs$i" up
done

# The nodes live on the bridge's subnet, not loopback.
cluster_conf 99 3 "heartbeat = { interval_ms = 100; timeout_ms = 500; };
reconnect = { min_ms = 50; max_ms = 500; };"
for i in 1 2 3; do
	sed -i "s/127\.99\.0\./$NET./g" "$T/n$i/conf"
done
for i in 1 2 3; do
	COHORT_WRAP="ip netns exec cohn$i.$$" start_node $i
done
for i in 1 2 3; do memberwait $i ALL up >/dev/null || exit 1; done
log "3 nodes up over a bridge in namespaces"

relay() {	# relay A B TAG: node A's app sends 10 to node B's app
	spawn "$T/x.$3" "$MSGTOOL" recv "$(sock $2)" part.$3 10 "$(scale 10)"; rx=$SPAWNED
	wait_subs $2 1
	mt pub "$(sock $1)" n$2 part.$3 10 64 > /dev/null || fail "pub n$1 -> n$2"
	finish "$rx" "n$1 -> n$2" "$T/x.$3"
}

# Cut n3 off.
t0=$(now_ms)
ip -n "$SW" link set vs3 down
for i in 1 2; do
	when=$(memberwait $i n3 down) || exit 1
	log "n$i saw the isolated n3 down after $((when - t0)) ms"
done
memberwait 3 ALL down >/dev/null || exit 1
log "n3 saw n1 and n2 down"
relay 1 2 majority
out=$("$COHORTCTL" -s "$(sock 1)" send n3 part.none x 2>&1) && fail "a send to the isolated n3 passed"
log "send to the isolated n3: $out"

# Heal.
t0=$(now_ms)
ip -n "$SW" link set vs3 up
for i in 1 2 3; do
	when=$(memberwait $i ALL up) || exit 1
	log "n$i saw everyone up $((when - t0)) ms after the heal"
done
n=0
for a in 1 2 3; do for b in 1 2 3; do
	[ $a = $b ] && continue
	relay $a $b "$a$b"; n=$((n + 1))
done; done
log "after the heal, $n relays between every pair arrived"
log "PASS"
