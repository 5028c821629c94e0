#!/bin/sh
# t-man.sh: the man pages are clean under mandoc -Tlint -W warning, and
# they document what the programs say they offer: every option letter and
# long option of "cohortd -h" as ".It Fl X" in cohortd.8, and every command
# of "cohortctl --help" as ".It Cm command" in cohortctl.1, with its
# options; every option and mode of "cohort-bench --help" in
# cohort-bench.1, and every key its result lines print (the "key=%"
# formats of tools/bench/cohort_bench.c) as ".It Cm key".
#
# Environment (set by make check): top_srcdir, MANDOC (empty when
# configure found no mandoc: skip), COHORTD, COHORTCTL, COHORT_BENCH.

set -u

NAME=t-man
: "${top_srcdir:?run through make check}"
MANDOC=${MANDOC:-}
COHORTD=${COHORTD:-}
COHORTCTL=${COHORTCTL:-}
COHORT_BENCH=${COHORT_BENCH:-}
MAN="$top_srcdir/man"
PAGES="cohortd.8 cohortd.conf.5 cohortctl.1 libcohort.3 cohort-protocol.7
cohort-tls-certs.1 cohort-bench.1"

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

# has_item page word: an ".It" line of the page has "Cm word" (alone or
# in a list such as ".It Cm a , Cm b").
has_item() {
	grep -Eq "^\.It (.* )?Cm $2( |\$)" "$MAN/$1.in"
}

# 5. cohort-bench --help: its options and its modes (the words after
# "cohort-bench" in the usage lines) are in cohort-bench.1, and so is
# every key of its result lines, as the source prints them.
bench_src="$top_srcdir/tools/bench/cohort_bench.c"
if [ -n "$COHORT_BENCH" ] && [ -x "$COHORT_BENCH" ]; then
	if "$COHORT_BENCH" --help > "$T/bench.help" 2>&1; then
		check_opts cohort-bench cohort-bench.1 "$T/bench.help"
		modes=$(sed -n 's/^.*cohort-bench \([a-z][a-z]*\) .*/\1/p' \
		    "$T/bench.help" | sort -u)
		list=""
		for m in $modes; do
			if has_item cohort-bench.1 "$m"; then
				list="$list $m"
			else
				fail "cohort-bench offers the mode $m but" \
				    "cohort-bench.1.in has no \".It Cm $m\""
			fi
		done
		[ -n "$modes" ] || fail "no modes found in cohort-bench --help"
		log "cohort-bench.1 documents the modes of cohort-bench:$list"
	else
		fail "$COHORT_BENCH --help failed: $(cat "$T/bench.help")"
	fi
else
	log "NOTE: no cohort-bench program (COHORT_BENCH=${COHORT_BENCH:-unset}):" \
	    "its options and modes were not checked"
fi
# check_printed format word...: each word, which the source prints as
# printf's format shows, is a ".It Cm" item of the page.
check_printed() {
	format=$1
	shift
	list=""
	for w in "$@"; do
		if has_item cohort-bench.1 "$w"; then
			list="$list $w"
		else
			# shellcheck disable=SC2059
			fail "cohort-bench prints $(printf "$format" "$w")" \
			    "(in $bench_src) but" \
			    "cohort-bench.1.in has no \".It Cm $w\""
		fi
	done
}
keys=$(grep -o '[A-Za-z_][A-Za-z0-9_]*=%' "$bench_src" | sed 's/=%$//' |
    sort -u)
# A dozen keys at least: fewer means the formats were not found.
[ "$(printf "%s\n" "$keys" | wc -l)" -ge 12 ] ||
    fail "too few result keys found in $bench_src: $keys"
# shellcheck disable=SC2086
check_printed "%s=" mode $keys
log "cohort-bench.1 documents the keys of cohort-bench's results:$list"
modes=$(grep -o '"mode=[a-z]*' "$bench_src" | sed 's/^"mode=//' | sort -u)
[ -n "$modes" ] || fail "no mode= found in $bench_src"
# shellcheck disable=SC2086
check_printed "mode=%s" $modes
log "cohort-bench.1 documents the values of mode=:$list"

if [ $FAILED -ne 0 ]; then
	exit 1
fi
log "PASS"
exit 0
