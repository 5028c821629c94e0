#!/bin/bash
# cohortd -t: the shipped config passes; golden configs in tests/conf
# print as N.ok with -tv, or fail with exactly N.err.
. "$(dirname "$0")/lib.sh"

"$COHORTD" -t -c "$top_srcdir/etc/cohortd.conf" 2>"$T/err" ||
    fail "the shipped etc/cohortd.conf does not pass -t: $(cat "$T/err")"
n=0
cd "$top_srcdir/tests/conf" || fail "no tests/conf"
for conf in *.conf; do
	base=${conf%.conf}
	if [ -f "$base.ok" ]; then
		"$COHORTD" -tv -c "$conf" > "$T/out" 2>"$T/err" ||
		    fail "$conf: -t failed: $(cat "$T/err")"
		diff -u "$base.ok" "$T/out" || fail "$conf: -tv output differs"
	elif [ -f "$base.err" ]; then
		"$COHORTD" -t -c "$conf" > "$T/out" 2>"$T/err"
		rc=$?
		[ $rc = 1 ] || fail "$conf: exit status $rc, not 1"
		diff -u "$base.err" "$T/err" || fail "$conf: error message differs"
	else
		fail "$conf has neither $base.ok nor $base.err"
	fi
	n=$((n + 1))
done
[ $n -gt 0 ] || fail "no golden configs"
# Refused at start too, not only by -t: several nodes and no key.
"$COHORTD" -d -c bad-no-key.conf > "$T/out" 2>&1 && fail "cohortd started without a cluster key"
grep -q 'needs a cluster key' "$T/out" || fail "start without a key said: $(cat "$T/out")"
# A missing file and a bad option are errors too.
"$COHORTD" -t -c "$T/missing.conf" 2>"$T/err" && fail "a missing config passed"
grep -q "missing.conf" "$T/err" || fail "no file name in: $(cat "$T/err")"
"$COHORTD" -Z 2>/dev/null && fail "an unknown option passed"
log "checked the shipped config and $n golden configs"
log "PASS"
