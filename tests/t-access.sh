#!/bin/bash
# The local socket: mode 0660 with the configured group; a user outside
# it cannot connect; a member can, and the subject rules refuse a publish
# and a subscribe outside its patterns with an error naming the rule;
# only root and security.admin_group reload and set the log level, and
# the debug lines a client triggers are rate-limited; allow-lists and
# the per-uid cap.  Needs root to make a user and group.
. "$(dirname "$0")/lib.sh"
need_loopback

[ "$(id -u)" = 0 ] || skip "needs root to create a test user and group"
: "${GREEDY:?run through make check}"
for cmd in useradd groupadd usermod userdel groupdel runuser; do
	command -v $cmd >/dev/null 2>&1 || skip "$cmd is not installed"
done
U=cohortt$$ G=cohorttg$$
groupadd "$G" || skip "cannot create group $G"
useradd -M -N -s /bin/sh "$U" || { groupdel "$G"; skip "cannot create user $U"; }
EXTRA_CLEANUP="userdel $U 2>/dev/null; groupdel $G 2>/dev/null"
chmod 0755 "$T"

NET=23
cluster_conf $NET 2 "security = {
  key_file = \"$(cluster_key)\";
  socket_group = \"$G\";
  rules = (
    { group = \"$G\"; publish = [ \"app.>\" ]; subscribe = [ \"app.*\" ]; },
    { user = \"root\"; publish = [ \">\" ]; subscribe = [ \">\" ]; }
  );
};
limits = { clients_per_uid = 2; subscriptions_per_client = 3; };"
chmod 0755 "$T/n1" "$T/n2"
for i in 1 2; do start_node $i; done
memberwait 1 n2 up >/dev/null || exit 1
as_user() { runuser -u "$U" -- "$COHORTCTL" -s "$(sock 1)" "$@"; }

# 0660, the configured group.
perm=$(stat -c '%a %G' "$(sock 1)")
[ "$perm" = "660 $G" ] || fail "socket is '$perm', not '660 $G'"
log "socket mode and group: $perm"

# Not in the group: the kernel refuses the connection.
as_user members >/dev/null 2>"$T/err" && fail "a non-member connected"
grep -q "Permission denied (join the socket's group)" "$T/err" || fail "bad message: $(cat "$T/err")"
log "outside the group: $(cat "$T/err")"

# In the group: connected, and logged with its uid and pid.
usermod -aG "$G" "$U"
as_user members >/dev/null || fail "a group member could not connect"
grep -q "client [0-9]* connected: pid [0-9]* uid $(id -u "$U")" "$T/n1/log" ||
    fail "the client's uid is not logged"

# Rules: publish and subscribe outside the patterns are refused.
as_user send n2 app.orders hello || fail "an allowed publish was refused"
as_user send n2 other.thing x 2>"$T/err" && fail "a publish outside the rule passed"
grep -q "publish to \"other.thing\" refused: rule 1 (group $G, line [0-9]*) allows app.>" "$T/err" ||
    fail "bad message: $(cat "$T/err")"
log "publish refused: $(cat "$T/err")"
as_user sub -t 1 'app.>' 2>"$T/err"
[ $? = 1 ] || fail "a subscribe outside the rule passed"
grep -q "subscribe to \"app.>\" refused: rule 1 (group $G, line [0-9]*) allows app.\*" "$T/err" ||
    fail "bad message: $(cat "$T/err")"
log "subscribe refused: $(cat "$T/err")"
as_user sub -t 1 'app.orders' || fail "an allowed subscribe was refused"
refused=$(ctl 1 --json stats | sed -n 's/.*"acl_refused":\([0-9]*\).*/\1/p')
[ "$refused" -ge 2 ] || fail "acl_refused is $refused"
# root's rule lets it do anything.
ctl 1 send n2 other.thing x || fail "root was refused"
# limits.subscriptions_per_client (3): the fourth is refused, counted.
ctl 1 sub -t 1 s.a s.b s.c s.d 2>"$T/err" && fail "a fourth subscription passed"
grep -q "3 subscriptions already (limits.subscriptions_per_client)" "$T/err" ||
    fail "bad message: $(cat "$T/err")"
dstat1() { ctl 1 --json stats | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
[ "$(dstat1 subs_refused)" -ge 1 ] || fail "subs_refused did not move"

# Administration (issue 12, finding 4): the user may publish, but not
# reload the daemon or set its log level; root may.  Refusals counted.
as_user reload 2>"$T/err" && fail "an unprivileged user reloaded the daemon"
grep -q "reload refused for uid $(id -u "$U"): only root may (security.admin_group can name a group that may too)" "$T/err" ||
    fail "bad message: $(cat "$T/err")"
log "reload by $U: $(cat "$T/err")"
as_user log-level info 2>"$T/err" && fail "an unprivileged user set the log level"
grep -q "setting the log level refused for uid $(id -u "$U")" "$T/err" ||
    fail "bad message: $(cat "$T/err")"
[ "$(dstat1 log_debug)" = 1 ] || fail "the user turned debug logging off"
[ "$(dstat1 admin_refused)" = 2 ] || fail "admin_refused is $(dstat1 admin_refused), not 2"
grep -q "client [0-9]* (.* uid $(id -u "$U")): reload refused" "$T/n1/log" ||
    fail "the refusal is not logged"
ctl 1 log-level debug || fail "root could not set the log level"
ctl 1 reload || fail "root could not reload"

# The debug lines a client's frames trigger are rate-limited: 50,000
# replies for tokens the daemon never gave out, with debug on, wrote
# 50,000 lines in 0.07 s.
lines0=$(wc -l <"$T/n1/log")
late0=$(dstat1 late_replies)
out=$(runuser -u "$U" -- "$GREEDY" replies "$(sock 1)" 50000) || fail "greedy replies: $out"
[ "$out" = "replies: sent=50000 errors=0" ] || fail "greedy replies: $out"
lines=$(( $(wc -l <"$T/n1/log") - lines0 ))
[ $(( $(dstat1 late_replies) - late0 )) = 50000 ] ||
    fail "late_replies moved by $(( $(dstat1 late_replies) - late0 )), not 50000"
[ "$lines" -le 20 ] || fail "50,000 bogus replies wrote $lines log lines"
log "50,000 bogus replies with debug on: $lines log lines"

# security.admin_group: its members may.
sed -i "s|^  socket_group = .*|  socket_group = \"$G\"; admin_group = \"$G\";|" "$T/n1/conf"
ctl 1 reload || fail "reload failed"
as_user reload || fail "a member of security.admin_group could not reload"
as_user log-level debug || fail "a member of security.admin_group could not set the log level"
[ "$(dstat1 admin_refused)" = 2 ] || fail "admin_refused moved"
log "a member of security.admin_group reloads and sets the log level"

# Per-uid cap: two clients of the user at most.
as_user sub -t 20 app.x > /dev/null 2>&1 &
CHILD_PIDS="$CHILD_PIDS $!"
as_user sub -t 20 app.y > /dev/null 2>&1 &
CHILD_PIDS="$CHILD_PIDS $!"
wait_for "two clients of $U" "$(scale 5)" sh -c "[ \$(grep -c 'subscribed to app\.[xy]' '$T/n1/log') -ge 2 ]"
as_user members >/dev/null 2>"$T/err" && fail "a third client of the user got in"
grep -q "limits.clients_per_uid is 2" "$T/err" || fail "bad message: $(cat "$T/err")"
log "third client of one uid: $(cat "$T/err")"
[ "$(dstat1 clients_refused)" -ge 1 ] || fail "clients_refused did not move"
for pid in $CHILD_PIDS; do kill "$pid" 2>/dev/null; done

# Allow-list: only root now.
sed -i "s|^  socket_group = .*|  socket_group = \"$G\"; allow_users = [ \"root\" ];|" "$T/n1/conf"
ctl 1 reload || fail "reload failed"
as_user members >/dev/null 2>"$T/err" && fail "a user outside allow_users connected"
grep -q "may not use this socket" "$T/err" || fail "bad message: $(cat "$T/err")"
ctl 1 members >/dev/null || fail "root was refused"
[ "$(dstat1 clients_denied)" -ge 1 ] || fail "clients_denied did not move"
log "allow_users: $(cat "$T/err"); counters subs_refused $(dstat1 subs_refused), clients_refused $(dstat1 clients_refused), clients_denied $(dstat1 clients_denied)"
log "PASS"
