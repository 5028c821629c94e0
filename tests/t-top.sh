#!/bin/bash
# t-top: cohortctl top.  Printed when not on a terminal: -c tables of
# every node, rates from the second on, no escapes; --json rows; bad
# options.  Live in a tmux pane: every node with its state, a message
# flow between n1 and n2 as high rates on n2's row only, a killed node's
# row turning down, and q, Ctrl-C and SIGTERM each giving the terminal
# back (normal screen, cursor shown, stty modes as before, the shell
# usable); and a daemon that goes away ends it with one line, exit 1.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/msglib.sh"
need_loopback
command -v tmux >/dev/null 2>&1 || skip "no tmux (tools/install-deps installs it)"

NET=47
cluster_conf $NET 3 "heartbeat = { interval_ms = 1000; timeout_ms = 3000; };"
for i in 1 2 3; do start_node $i; done
for n in n2 n3; do memberwait 1 $n up >/dev/null; done
memberwait 2 n1 up >/dev/null

# Frames a second above this are the flow; heartbeats are about one.
FLOW_RATE=300
HIGH=100 LOW=30

# ---- Not a terminal: -c tables, then exit 0.
ctl 1 top -c 2 -i 1 2>"$T/plain.err" | cat > "$T/plain"
st=${PIPESTATUS[0]}
[ "$st" = 0 ] || fail "top -c 2 | cat exited $st: $(cat "$T/plain.err")"
[ "$(grep -c '^n1: 3 nodes, every 1 s, [0-9-]*T[0-9:.]*Z$' "$T/plain")" = 2 ] ||
    fail "not two title lines: $(cat "$T/plain")"
[ "$(grep -c '^ID  *STATE  *RTT  *IN/s  *OUT/s  *QUEUE$' "$T/plain")" = 2 ] ||
    fail "not two headers: $(cat "$T/plain")"
[ "$(wc -l < "$T/plain")" = 10 ] || fail "not 2 x (2 + 3) lines: $(cat "$T/plain")"
grep -q $'\033' "$T/plain" && fail "escapes in the output to a pipe: $(cat -v "$T/plain")"
[ "$(grep -c '^n1  *self  *-  *-  *-  *-$' "$T/plain")" = 2 ] || fail "n1 self rows: $(cat "$T/plain")"
# The first table has no rates; the second has them for each peer.
for n in n2 n3; do
	grep "^$n " "$T/plain" | head -n 1 | grep -q "^$n  *up  *[0-9a-z-]*  *-  *-  *[0-9]*B$" ||
	    fail "first $n row: $(cat "$T/plain")"
	grep "^$n " "$T/plain" | tail -n 1 | grep -q "^$n  *up  *[0-9a-z-]*  *[0-9][0-9]*  *[0-9][0-9]*  *[0-9]*B$" ||
	    fail "second $n row: $(cat "$T/plain")"
done

# --json: one object per node per sample.
ctl 1 --json top -c 2 -i 1 > "$T/json" || fail "--json top failed"
[ "$(wc -l < "$T/json")" = 6 ] || fail "--json top: not 6 lines: $(cat "$T/json")"
grep -q '^{"time_ms":[0-9]*,"id":"n1","state":"self","rtt_us":0,"in_per_s":null,"out_per_s":null,"queue_bytes":null,"queue_limit":null}$' "$T/json" ||
    fail "--json self row: $(cat "$T/json")"
tail -n 3 "$T/json" | grep -q '^{"time_ms":[0-9]*,"id":"n2","state":"up","rtt_us":[0-9]*,"in_per_s":[0-9]*,"out_per_s":[0-9]*,"queue_bytes":[0-9]*,"queue_limit":null}$' ||
    fail "--json n2 row with rates: $(cat "$T/json")"

# Bad options: one line, exit 1, nothing run.
for args in "-i 0" "-i 3601" "-c x" "-z" "extra"; do
	ctl 1 top $args >/dev/null 2>"$T/err" && fail "top $args succeeded"
	grep -q '^cohortctl: ' "$T/err" || fail "top $args: $(cat "$T/err")"
done
ctl 1 top -i 0 2>&1 | grep -q '^cohortctl: -i must be a number from 1 to 3600, not "0"$' ||
    fail "top -i 0 message"
"$COHORTCTL" -s "$T/none.sock" top -c 1 >/dev/null 2>"$T/err" && fail "top on no daemon succeeded"
[ "$(wc -l < "$T/err")" = 1 ] && grep -q "cannot connect to cohortd at $T/none.sock" "$T/err" ||
    fail "top on no daemon: $(cat "$T/err")"

# ---- Live, in a tmux pane of its own server.
unset TMUX
TM="tmux -L cohort-t-top-$$ -f /dev/null"
EXTRA_CLEANUP="$TM kill-server 2>/dev/null"
$TM new-session -d -s top -x 120 -y 30 \
    "env -i PATH='$PATH' HOME='$T' HISTFILE= TERM=screen PS1='top-test\$ ' bash --norc --noprofile -i" ||
    fail "tmux new-session failed"
pane() { $TM capture-pane -p -t top; }
pane_has() { pane | grep -q -- "$1"; }
screen_is() { [ "$($TM display -p -t top '#{alternate_on} #{cursor_flag}')" = "$1" ]; }
# type LINE: type it into the shell, then Enter.
type_line() { $TM send-keys -t top -l "$1" && $TM send-keys -t top Enter; }
# field NODE N: field N of NODE's row on the screen.
field() { pane | awk -v n="$1" -v f="$2" '$1 == n { print $f; exit }'; }
state_is() { [ "$(field "$1" 2)" = "$2" ]; }
rates_above() {
	in=$(field "$1" 4) out=$(field "$1" 5)
	[ -n "$in" ] && [ "$in" != - ] && [ "$in" -ge "$2" ] &&
	    [ "$out" != - ] && [ "$out" -ge "$2" ]
}
# wait_pane DESC SECONDS CMD...: wait_for, showing the pane if it fails.
wait_pane() {
	local desc=$1 secs=$2 end
	shift 2
	end=$(( $(now_ms) + secs * 1000 ))
	while ! "$@" >/dev/null 2>&1; do
		[ "$(now_ms)" -lt "$end" ] ||
		    fail "timed out after ${secs}s waiting for $desc; the pane:
$(pane)"
		sleep 0.05
	done
}
wait_pane "the shell in tmux" "$(scale 10)" pane_has 'top-test\$'
type_line "stty -g > $T/stty.before"
wait_pane "stty -g" "$(scale 5)" test -s "$T/stty.before"
TOP="$COHORT_WRAP $COHORTCTL -s $(sock 1) top -i 1"

# stty_same NAME: the terminal's modes are those from before top ran.
stty_same() {
	rm -f "$T/stty.$1"
	type_line "stty -g > $T/stty.$1"
	wait_pane "stty -g after $1" "$(scale 5)" test -s "$T/stty.$1"
	cmp -s "$T/stty.before" "$T/stty.$1" ||
	    fail "terminal modes after $1: $(cat "$T/stty.$1"), before: $(cat "$T/stty.before")"
}

type_line "clear; $TOP; echo top-exit=\$?"
wait_pane "the live table" "$(scale 10)" pane_has '^ID  *STATE  *RTT  *IN/s  *OUT/s  *QUEUE$'
screen_is "1 0" || fail "top is not on the alternate screen with the cursor hidden"
wait_pane "n1 self" "$(scale 5)" state_is n1 self
wait_pane "n2 up" "$(scale 5)" state_is n2 up
wait_pane "n3 up" "$(scale 5)" state_is n3 up
pane_has '^q: quit' || fail "no q hint: $(pane)"

# A flow both ways between n1 and n2: high rates on n2's row, not n3's.
count=$((FLOW_RATE * $(scale 60)))
spawn "$T/pub12" mt pub "$(sock 1)" n2 top.flow $count 64 $FLOW_RATE
pubs=$SPAWNED
spawn "$T/pub21" mt pub "$(sock 2)" n1 top.flow $count 64 $FLOW_RATE
pubs="$pubs $SPAWNED"
wait_pane "n2's rates above $HIGH/s" "$(scale 10)" rates_above n2 $HIGH
in=$(field n3 4) out=$(field n3 5)
[ "$in" -lt $LOW ] && [ "$out" -lt $LOW ] || fail "n3's rates are not low: $(pane)"

# A killed node's row turns down; the others stay.
kill_node 3 KILL
wait_pane "n3 down" "$(scale 10)" state_is n3 down
state_is n2 up || fail "n2 not up any more: $(pane)"
for pid in $pubs; do
	kill "$pid"
	wait "$pid" 2>/dev/null
done

# q: exit 0, the screen and the terminal as they were.
$TM send-keys -t top q
wait_pane "top-exit=0 after q" "$(scale 10)" pane_has '^top-exit=0$'
screen_is "0 1" || fail "after q: alternate screen or hidden cursor left"
pane_has 'IN/s' && fail "the table is left on the normal screen: $(pane)"
stty_same q
type_line 'echo pane-alive-$((6 * 7))'
wait_pane "the shell to answer after q" "$(scale 5)" pane_has '^pane-alive-42$'

# Ctrl-C: ended by SIGINT (status 130), the terminal given back.
type_line "clear; $TOP"
wait_pane "the live table again" "$(scale 10)" pane_has '^ID  *STATE'
screen_is "1 0" || fail "second top not on the alternate screen"
$TM send-keys -t top C-c
wait_pane "the normal screen after Ctrl-C" "$(scale 10)" screen_is "0 1"
type_line 'echo after-int=$?'
wait_pane "status 130 after Ctrl-C" "$(scale 5)" pane_has '^after-int=130$'
stty_same int

# SIGTERM from elsewhere: the same, status 143.
rm -f "$T/top.pid"
type_line "clear; sh -c 'echo \$\$ > $T/top.pid; exec \"\$@\"' top $TOP"
wait_pane "the live table a third time" "$(scale 10)" pane_has '^ID  *STATE'
wait_pane "top's pid" "$(scale 5)" test -s "$T/top.pid"
screen_is "1 0" || fail "third top not on the alternate screen"
kill -TERM "$(cat "$T/top.pid")"
wait_pane "the normal screen after SIGTERM" "$(scale 10)" screen_is "0 1"
type_line 'echo after-term=$?'
wait_pane "status 143 after SIGTERM" "$(scale 5)" pane_has '^after-term=143$'
stty_same term

# ---- The daemon goes away: one line, exit 1, on a terminal too.
type_line "clear; $TOP 2> $T/gone.err; echo gone-exit=\$?"
wait_pane "the live table on n1" "$(scale 10)" pane_has '^ID  *STATE'
stop_node 1
wait_pane "top to end when n1 stopped" "$(scale 15)" pane_has '^gone-exit=1$'
screen_is "0 1" || fail "daemon gone: the terminal was not given back"
[ "$(wc -l < "$T/gone.err")" = 1 ] && grep -q '^cohortctl: top: lost cohortd (.*): is it running?$' "$T/gone.err" ||
    fail "daemon gone: $(cat "$T/gone.err")"
stty_same gone
log "PASS"
