#!/bin/bash
# Binary bodies: every byte value, zero length and exactly
# limits.max_message_size survive the trip byte for byte, through
# libcohort and through cohortctl (standard input, text output);
# cohortctl --json sub prints "data_b64" for a body that is not UTF-8 and
# "data" for one that is.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/msglib.sh"
need_loopback
command -v base64 >/dev/null 2>&1 || skip "no base64"

MAX=1048576
cluster_conf 34 2 "heartbeat = { interval_ms = 200; timeout_ms = 2000; };
limits = { max_message_size = $MAX; };"
for i in 1 2; do start_node $i; done
memberwait 1 n2 up >/dev/null || exit 1
memberwait 2 n1 up >/dev/null || exit 1
secs=$(scale 20)

# 1. libcohort: each body compared byte for byte by the receiver.
bodies="cycle:256 cycle:0 cycle:1 prng:$MAX cycle:$MAX cycle:65537"
spawn "$T/x" $COHORT_WRAP "$MSGTOOL" expect "$(sock 2)" bin.lib "$secs" $bodies
xpid=$SPAWNED
wait_subs 2 1
for b in $bodies; do
	out=$(mt sendsize "$(sock 1)" n2 bin.lib "${b#*:}" "${b%:*}") ||
	    fail "sendsize $b: $out"
done
finish $xpid "msgtool expect" "$T/x"
[ "$(grep -c ': intact$' "$T/x")" = 6 ] || fail "libcohort bodies: $(cat "$T/x")"
log "libcohort: every byte value, 0 and 1 byte, $MAX bytes (twice), 65537 bytes arrived intact"

# 2. cohortctl, text: the body as it is between "n1 bin.txt " and "\n".
wait_subs 2 0
mt gen cycle 256 > "$T/all"
mt gen prng $MAX > "$T/max"
spawn "$T/t" $COHORT_WRAP "$COHORTCTL" -s "$(sock 2)" sub -c 3 -t "$secs" bin.txt
tpid=$SPAWNED
wait_subs 2 1
ctl 1 send n2 bin.txt < "$T/all" || fail "send of every byte value failed"
ctl 1 send n2 bin.txt < "$T/max" || fail "send of $MAX bytes from stdin failed"
ctl 1 send n2 bin.txt "" || fail "send of an empty body failed"
finish $tpid "cohortctl sub" "$T/t"
pre="n1 bin.txt "
{ printf '%s' "$pre"; cat "$T/all"; echo
  printf '%s' "$pre"; cat "$T/max"; echo
  printf '%s\n' "$pre"; } > "$T/t.want"
cmp "$T/t" "$T/t.want" || fail "cohortctl sub text output differs"
log "cohortctl: every byte value, $MAX bytes from stdin and an empty body printed as sent"

# 3. cohortctl --json: data_b64 unless the body is valid UTF-8.
wait_subs 2 0
printf 'caf\xc3\xa9 \xe2\x9c\x93 "q" \\ tab\t nl\n end' > "$T/utf8"
printf '\xff\xfe' > "$T/bad"
printf '\xc0\xaf' > "$T/overlong"
printf 'a\0b' > "$T/nul"
spawn "$T/j" $COHORT_WRAP "$COHORTCTL" -s "$(sock 2)" --json sub -c 6 -t "$secs" bin.json
jpid=$SPAWNED
wait_subs 2 1
for f in all utf8 bad overlong nul; do
	ctl 1 send n2 bin.json < "$T/$f" || fail "send $f failed"
done
ctl 1 send n2 bin.json "" || fail "send of an empty body failed"
finish $jpid "cohortctl --json sub" "$T/j"
[ "$(wc -l < "$T/j")" = 6 ] || fail "--json sub: not 6 lines: $(cat "$T/j")"
n=0
for f in all utf8 bad overlong nul empty; do
	n=$((n + 1))
	line=$(sed -n "${n}p" "$T/j")
	case $f in
	utf8)
		want='{"from":"n1","subject":"bin.json","data":"café ✓ \"q\" \\ tab\t nl\n end"}'
		[ "$line" = "$want" ] || fail "UTF-8 body: $line, not $want"
		continue ;;
	empty)
		[ "$line" = '{"from":"n1","subject":"bin.json","data":""}' ] ||
		    fail "empty body: $line"
		continue ;;
	esac
	echo "$line" | grep -q '^{"from":"n1","subject":"bin.json","data_b64":"[A-Za-z0-9+/=]*"}$' ||
	    fail "$f body: no data_b64: $line"
	echo "$line" | sed 's/.*"data_b64":"\([^"]*\)".*/\1/' | base64 -d > "$T/$f.got" ||
	    fail "$f body: bad base64: $line"
	cmp -s "$T/$f" "$T/$f.got" || fail "$f body: base64 decodes to something else: $line"
done
log "cohortctl --json: data for UTF-8 and empty bodies, data_b64 (decoded and compared) for every byte value, \\xff\\xfe, an overlong encoding and a NUL"
log "PASS"
