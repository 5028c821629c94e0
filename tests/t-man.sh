#!/bin/sh
# t-man.sh: the man pages are clean under mandoc -Tlint -W warning, and
# they document what the programs say they offer: every option letter and
# long option of "cohortd -h" as ".It Fl X" in cohortd.8, and every command
# of "cohortctl --help" as ".It Cm command" in cohortctl.1, with its
# options.
#
# Environment (set by make check): top_srcdir, MANDOC (empty when
# configure found no mandoc: skip), COHORTD, COHORTCTL.

set -u

NAME=t-man
: "${top_srcdir:?run through make check}"
MANDOC=${MANDOC:-}
COHORTD=${COHORTD:-}
COHORTCTL=${COHORTCTL:-}
MAN="$top_srcdir/man"
PAGES="cohortd.8 cohortd.conf.5 cohortctl.1 libcohort.3 cohort-protocol.7
cohort-tls-certs.1"

if [ -z "$MANDOC" ]; then
	echo "$NAME: SKIP: no mandoc (MANDOC is empty: install mandoc and" \
	    "run configure again)"
	exit 77
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/cohort-$NAME.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM

FAILED=0
log() { printf '%s: %s\n' "$NAME" "$*"; }
fail() { printf '%s: FAIL: %s\n' "$NAME" "$*" >&2; FAILED=1; }

# 1. Every page, its placeholders filled as make fills them, is lint-clean.
for page in $PAGES; do
	src="$MAN/$page.in"
	if [ ! -f "$src" ]; then
		fail "$src is missing"
		continue
	fi
	sed -e 's|@SYSCONFDIR@|/etc|g' -e 's|@RUNSTATEDIR@|/run|g' \
	    -e 's|@VERSION@|0.0.0|g' "$src" > "$T/$page"
	if grep -n '@[A-Z_]*@' "$T/$page" > "$T/left"; then
		fail "$page.in: placeholder make does not fill:" \
		    "$(cat "$T/left")"
	fi
	"$MANDOC" -Tlint -W warning "$T/$page" > "$T/lint" 2>&1
	rc=$?
	if [ $rc -ne 0 ] || [ -s "$T/lint" ]; then
		fail "$page: mandoc -Tlint -W warning (exit $rc):"
		cat "$T/lint" >&2
	else
		log "$page: mandoc -Tlint -W warning clean"
	fi
done

# Short option letters ("-c", "-dtvV" -> c d t v V) and long options
# ("--help") in a help text, one per line.
words() {
	tr -cs 'A-Za-z0-9_-' '\n' < "$1"
}
short_opts() {
	words "$1" | sed -n 's/^-\([A-Za-z][A-Za-z]*\)$/\1/p' | fold -w 1 |
	    sort -u
}
long_opts() {
	words "$1" | sed -n 's/^--\([a-z][a-z-]*\)$/\1/p' | sort -u
}

# check_opts program page help: every option of the help text is an item
# of the page: ".It Fl X" for a letter, "Fl \-word" for a long option.
check_opts() {
	prog=$1 page=$2 help=$3
	list=""
	for o in $(short_opts "$help"); do
		if grep -Eq "^\.It Fl $o( |\$)" "$MAN/$page.in"; then
			list="$list -$o"
		else
			fail "$prog offers -$o but $page.in has no \".It Fl $o\""
		fi
	done
	for o in $(long_opts "$help"); do
		if grep -Eq "Fl \\\\-$o( |\$)" "$MAN/$page.in"; then
			list="$list --$o"
		else
			fail "$prog offers --$o but $page.in has no \"Fl \\-$o\""
		fi
	done
	[ -n "$list" ] || fail "no options found in the help of $prog"
	log "$page documents the options of $prog:$list"
}

# 2. cohortd -h: every option is documented in cohortd.8.
if [ -n "$COHORTD" ] && [ -x "$COHORTD" ]; then
	if "$COHORTD" -h > "$T/cohortd.help" 2>&1; then
		check_opts cohortd cohortd.8 "$T/cohortd.help"
	else
		fail "$COHORTD -h failed: $(cat "$T/cohortd.help")"
	fi
else
	log "NOTE: no cohortd program (COHORTD=${COHORTD:-unset}):" \
	    "its options were not checked"
fi

# 3. cohortctl --help: its options, and its commands (lines of two spaces
# and the command word), are documented in cohortctl.1.
if [ -n "$COHORTCTL" ] && [ -x "$COHORTCTL" ]; then
	if "$COHORTCTL" --help > "$T/cohortctl.help" 2>&1; then
		check_opts cohortctl cohortctl.1 "$T/cohortctl.help"
		cmds=$(sed -n 's/^  \([a-z][a-z0-9_-]*\).*/\1/p' \
		    "$T/cohortctl.help")
		list=""
		for c in $cmds; do
			if grep -Eq "^\.It Cm $c( |\$)" "$MAN/cohortctl.1.in"
			then
				list="$list $c"
			else
				fail "cohortctl offers the command $c but" \
				    "cohortctl.1.in has no \".It Cm $c\""
			fi
		done
		[ -n "$cmds" ] || fail "no commands found in cohortctl --help"
		log "cohortctl.1 documents the commands of cohortctl:$list"
	else
		fail "$COHORTCTL --help failed: $(cat "$T/cohortctl.help")"
	fi
else
	log "NOTE: no cohortctl program (COHORTCTL=${COHORTCTL:-unset}):" \
	    "its options and commands were not checked"
fi

# 4. cohort-tls-certs -h: its options are documented in cohort-tls-certs.1.
if sh "$top_srcdir/tools/cohort-tls-certs" -h > "$T/certs.help" 2>&1; then
	check_opts cohort-tls-certs cohort-tls-certs.1 "$T/certs.help"
else
	fail "cohort-tls-certs -h failed: $(cat "$T/certs.help")"
fi

if [ $FAILED -ne 0 ]; then
	exit 1
fi
log "PASS"
exit 0
