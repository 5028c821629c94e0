#!/bin/bash
# What a peer or client sends never forges a log line: control characters
# in a HELLO (here a cluster name holding "\n<0>...") are written
# escaped, as \xNN, on the line that logs them (log.c escapes every line).
. "$(dirname "$0")/lib.sh"
need_loopback

cluster_conf 62 2 ""
start_node 1
log1="$T/n1/log"
wait_for "n1 listening" "$(scale 5)" grep -q "listening for peers" "$log1"

forged=$'evil\n<0>FORGED line from a peer\x1b[2J'
out=$("$PEERPROBE" -P -k "$(cluster_key)" -C "$forged" -i n2 127.62.0.1 7400) ||
    fail "peerprobe: $out"
case $out in REFUSE*) ;; *) fail "a wrong cluster was not refused: $out" ;; esac
wait_for "the refusal logged" "$(scale 5)" grep -q "wrong cluster" "$log1"
grep -q '^<0>FORGED' "$log1" && fail "a peer forged a log line at priority 0"
grep -q $'\x1b' "$log1" && fail "an escape sequence reached the log raw"
grep -q 'evil\\x0a<0>FORGED line from a peer\\x1b\[2J' "$log1" ||
    fail "the refused cluster name is not logged escaped: $(grep 'wrong cluster' "$log1")"

log "a peer string is logged escaped (every line goes through one escaper); no line forged"
