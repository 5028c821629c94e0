#!/bin/bash
# The unit as installed passes systemd-analyze verify, and its exposure
# is printed.
. "$(dirname "$0")/lib.sh"

command -v systemd-analyze >/dev/null 2>&1 || skip "systemd-analyze is not installed"
unit="$top_builddir/systemd/cohortd.service"
[ -f "$unit" ] || fail "no $unit: make builds it"
# verify wants the executables to exist: point them at this build.
sed "s|^\(Exec[A-Za-z]*=\)[^ ]*/cohortd|\1$COHORTD|" "$unit" > "$T/cohortd.service"
systemd-analyze verify --man=no "$T/cohortd.service" > "$T/out" 2>&1 ||
    fail "systemd-analyze verify: $(cat "$T/out")"
[ ! -s "$T/out" ] || fail "systemd-analyze verify complained: $(cat "$T/out")"
for key in Type=notify WatchdogSec= ExecReload= User=cohort RuntimeDirectory=cohort \
    ProtectSystem=strict NoNewPrivileges=yes CapabilityBoundingSet= RestrictAddressFamilies=; do
	grep -q "^$key" "$unit" || fail "the unit lacks $key"
done
if systemd-analyze security --offline=yes "$T/cohortd.service" > "$T/sec" 2>&1; then
	log "$(grep 'Overall exposure' "$T/sec")"
fi
log "PASS"
