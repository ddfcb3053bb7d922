#!/bin/bash
# check-berthd.sh — berthd on a private system bus (dbus-daemon with the system
# bus's default policy and berth's own dbus/org.berth1.conf), with
# python-dbusmock standing in for polkitd and systemd: objects and
# introspection, lists, the history and its live updates, systemd's unit and
# reload signals turned into berthd's, polkit allow and deny for a non-root
# caller, root without polkit, Restore's checks, the CLI as a client, no
# wakeups while idle, idle exit. Needs root (the caller switches to nobody),
# dbus-daemon, busctl, setpriv and python3-dbusmock.
# Environment: BUILD (build dir).
set -uo pipefail
cd "${BERTH_SRC:-$(dirname "$0")/..}"
SRC=$PWD
BUILD=$(cd "${BUILD:-build}" && pwd)
PY=/usr/bin/python3   # the distribution's python, where python3-dbusmock lives

for tool in dbus-daemon busctl setpriv; do
  command -v "$tool" >/dev/null || { echo "check-berthd: '$tool' is missing (make deps)" >&2; exit 1; }
done
"$PY" -c 'import dbusmock' 2>/dev/null || { echo "check-berthd: python3-dbusmock is missing (make deps)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "check-berthd: needs root (callers run as nobody)" >&2; exit 1; }
[ -x "$BUILD/berthd" ] && [ -x "$BUILD/berth" ] || { echo "check-berthd: build berthd and berth first" >&2; exit 1; }

T=$(mktemp -d /tmp/check-berthd.XXXXXX)
chmod 755 "$T"
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT

pass=0 fail=0
check() {  # in this shell, not a subshell: checks may start and wait for processes
  local name=$1; shift
  if "$@" >"$T/check.out" 2>&1; then
    pass=$((pass + 1)); printf 'ok   %s\n' "$name"
  else
    fail=$((fail + 1)); printf 'FAIL %s\n' "$name"; tail -n 20 "$T/check.out" | sed 's/^/     | /'
  fi
}
wait_for() {  # wait_for SECONDS CMD...: poll every 0.1 s
  local end=$(( $(date +%s%N) + $1 * 1000000000 )); shift
  while [ "$(date +%s%N)" -lt "$end" ]; do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  "$@"
}

# The test programs: built here against the library of this build (sanitized or not).
CFLAGS_T=(-O1 -g -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE)
nm "$BUILD/libberth.a" 2>/dev/null | grep -c __asan >/dev/null && CFLAGS_T+=(-fsanitize=address,undefined)
mkdir -p "$BUILD/tests"
# shellcheck disable=SC2046
cc "${CFLAGS_T[@]}" tests/berthd/busprobe.c $(pkg-config --cflags --libs libsystemd) -o "$BUILD/tests/busprobe" &&
cc "${CFLAGS_T[@]}" -Isrc/lib $(pkg-config --cflags json-c) tests/berthd/mkhistory.c "$BUILD/libberth.a" \
   $(pkg-config --libs libsystemd yaml-0.1 json-c libsodium sqlite3 libarchive) -o "$BUILD/tests/mkhistory" ||
  { echo "check-berthd: failed to build the test programs" >&2; exit 1; }
PROBE=$BUILD/tests/busprobe
MKHIST=$BUILD/tests/mkhistory

# The bus, and the two mocks on it.
sed -e "s|@SOCKET@|$T/bus|" -e "s|@BERTH_POLICY@|$SRC/dbus/org.berth1.conf|" tests/berthd/system-bus.conf.in > "$T/bus.conf"
dbus-daemon --config-file="$T/bus.conf" --nofork --nopidfile 2>"$T/dbus.log" &
pids+=($!)
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$T/bus
has_owner() { busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus NameHasOwner s "$1" | grep -qx 'b true'; }
wait_for 10 test -S "$T/bus" || { cat "$T/dbus.log"; exit 1; }
"$PY" -m dbusmock --system --template polkitd >"$T/polkit.log" 2>&1 & pids+=($!)
"$PY" -m dbusmock --system --template "$SRC/tests/berthd/systemd_mock.py" >"$T/systemd.log" 2>&1 & pids+=($!)
wait_for 20 has_owner org.freedesktop.PolicyKit1 >/dev/null && wait_for 20 has_owner org.freedesktop.systemd1 >/dev/null ||
  { echo "check-berthd: the dbusmock services did not start" >&2; cat "$T"/*.log >&2; exit 1; }
PK=(org.freedesktop.PolicyKit1 /org/freedesktop/PolicyKit1/Authority org.freedesktop.DBus.Mock)
SD=(org.freedesktop.systemd1 /org/freedesktop/systemd1 org.freedesktop.DBus.Mock)
mock_calls() { busctl call "$1" "$2" org.freedesktop.DBus.Mock GetMethodCalls s "$3"; }

# Two apps and some history.
mkdir -p "$T/apps" "$T/state"
chmod 755 "$T/state"
cat > "$T/apps/web.yaml" <<'EOF'
schema: 1
name: Web shop
version: "2.1"
description: Shop front
containers:
  web: {image: localhost/busybox:e2e, health: {cmd: ["true"], interval: 10s}}
  db: {image: localhost/busybox:e2e}
volumes:
  data: {backup: true}
  cache: {backup: false}
backup: {schedule: daily}
EOF
cat > "$T/apps/my-app.yaml" <<'EOF'
schema: 1
containers:
  main: {image: localhost/busybox:e2e}
EOF
"$MKHIST" "$T/state/berth.db" job web backup succeeded 0123abcd >/dev/null &&
  "$MKHIST" "$T/state/berth.db" snapshots web 3 || exit 1
export BERTH_APPS_DIRS=$T/apps BERTH_STATE_DIR=$T/state BERTH_CONF=$T/no-berth.conf
# What systemd knows before berthd starts: the database container runs, the
# backup timer is due at 2030-01-01 00:00 UTC.
busctl call "${SD[@]}" SetUnitState sss berth-web-db.service active running >/dev/null &&
  busctl call "${SD[@]}" SetTimerNext st berth-web-backup.timer 1893456000000000 >/dev/null || exit 1

start_berthd() {  # start_berthd IDLE-SECONDS (sets BERTHD)
  "$BUILD/berthd" --exit-idle-time="$1" >>"$T/berthd.log" 2>&1 &
  BERTHD=$!
  pids+=("$BERTHD")
}
start_berthd 600
check "berthd starts and owns org.berth1 (systemd and polkitd are mocks)" wait_for 20 has_owner org.berth1

APP=/org/berth1/app/web
t_tree() {
  local t; t=$(busctl tree --list org.berth1) || return 1
  for p in /org/berth1 /org/berth1/app/web /org/berth1/app/my_2dapp /org/berth1/job; do
    grep -qx "$p" <<<"$t" || { echo "missing $p in:"; echo "$t"; return 1; }
  done
}
check "busctl tree: the manager, both apps (my-app escaped as my_2dapp), the job node" t_tree
t_introspect_app() {
  local t; t=$(busctl introspect org.berth1 "$APP" org.berth1.App) || return 1
  for p in Id Name Version Description Enabled ActiveState SubState Health Containers LastBackup \
           LastBackupResult NextBackup Snapshots; do
    grep -q "^\.$p " <<<"$t" || { echo "no property $p"; echo "$t"; return 1; }
  done
}
check "busctl introspect: org.berth1.App has all 13 properties" t_introspect_app
t_introspect_manager() {
  local t; t=$(busctl introspect org.berth1 /org/berth1 org.berth1.Manager) || return 1
  for p in ListApps GetApp ListJobs ListSnapshots Backup Restore Subscribe Unsubscribe JobNew JobRemoved; do
    grep -q "^\.$p " <<<"$t" || { echo "no member $p"; echo "$t"; return 1; }
  done
}
check "busctl introspect: org.berth1.Manager has its methods and signals" t_introspect_manager
check "GetApp('web') is /org/berth1/app/web" \
  bash -c '[ "$(busctl call org.berth1 /org/berth1 org.berth1.Manager GetApp s web)" = "o \"/org/berth1/app/web\"" ]'
CALL=$SRC/tests/berthd/call.py   # prints D-Bus error names, which busctl does not
t_nosuch() { local out; out=$("$CALL" GetApp s nope); echo "$out"; [ "$out" = "error org.berth1.NoSuchApp: No app 'nope' is installed" ]; }
check "GetApp('nope') fails with org.berth1.NoSuchApp" t_nosuch
prop() { busctl get-property org.berth1 "$APP" org.berth1.App "$1"; }
check "manifest properties: Name, Version, Enabled" \
  bash -c '[ "$(busctl get-property org.berth1 '"$APP"' org.berth1.App Name Version Enabled | xargs)" = "s Web shop s 2.1 b true" ]'
check "history properties: LastBackupResult 'succeeded', Snapshots 3, LastBackup set" \
  bash -c '[ "$(busctl get-property org.berth1 '"$APP"' org.berth1.App LastBackupResult Snapshots | xargs)" = "s succeeded u 3" ] &&
           [ "$(busctl get-property org.berth1 '"$APP"' org.berth1.App LastBackup | cut -d" " -f2)" -gt 0 ]'
check "unit states from ListUnitsByNames: target inactive, db running, so the app is 'degraded'" \
  bash -c '[ "$(busctl get-property org.berth1 '"$APP"' org.berth1.App ActiveState Health | xargs)" = "s inactive s degraded" ]'
check "NextBackup from the timer's NextElapseUSecRealtime" \
  bash -c '[ "$(busctl get-property org.berth1 '"$APP"' org.berth1.App NextBackup)" = "t 1893456000000000" ]'

# The CLI as a client.
t_list() {
  local out; out=$("$BUILD/berth" list) || return 1
  echo "$out"
  grep -q '^APP  *ACTIVE  *HEALTH  *VERSION  *LAST BACKUP  *RESULT  *NEXT BACKUP$' <<<"$out" &&
  grep -q '^my-app  *inactive  *inactive  *-  *-  *-  *-$' <<<"$out" &&
  grep -q '^web  *inactive  *degraded  *2\.1  .* succeeded  *20[23][0-9]-' <<<"$out"
}
check "berth list: a table from berthd" t_list
t_list_json() {
  "$BUILD/berth" list --json | "$PY" -c '
import json, sys
l = json.load(sys.stdin)
assert [a["id"] for a in l] == ["my-app", "web"], l
w = l[1]
assert w["name"] == "Web shop" and w["last_backup_result"] == "succeeded" and w["last_backup_usec"] > 0, w
assert w["object_path"] == "/org/berth1/app/web" and w["enabled"] is True, w'
}
check "berth list --json: both apps, with their fields" t_list_json
t_status() {
  local out; out=$("$BUILD/berth" status web) || return 1
  echo "$out"
  grep -qx '          App: web (Web shop 2.1)' <<<"$out" && grep -qx '       Health: degraded' <<<"$out" &&
  grep -qx '   Containers: web  inactive   inactive (dead)  berth-web-web.service' <<<"$out" &&
  grep -qx '               db   running    active (running)  berth-web-db.service' <<<"$out" &&
  grep -q '^  Last backup: .*, succeeded$' <<<"$out" && grep -qx '    Snapshots: 3' <<<"$out"
}
check "berth status web: the app in detail" t_status
t_status_json() {
  "$BUILD/berth" status --json web | "$PY" -c '
import json, sys
s = json.load(sys.stdin)
assert s["id"] == "web" and [c["name"] for c in s["containers"]] == ["web", "db"], s
assert s["containers"][0]["unit"] == "berth-web-web.service" and s["snapshots"] == 3, s' &&
  [ "$("$BUILD/berth" status --json | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 2 ]
}
check "berth status --json: one object for one app, an array for all" t_status_json
t_status_missing() { ! "$BUILD/berth" status nope 2>"$T/err" && grep -qx "berth: No app 'nope' is installed" "$T/err"; }
check "berth status nope: exit 1, berthd's message" t_status_missing
t_jobs_same() {
  local via direct
  via=$("$BUILD/berth" jobs --json) || return 1
  direct=$(DBUS_SYSTEM_BUS_ADDRESS=unix:path=$T/no-bus "$BUILD/berth" jobs --json 2>"$T/err") || return 1
  grep -q 'No system bus' "$T/err" || { echo "no notice of the fallback"; return 1; }
  [ "$via" = "$direct" ] && [ "$via" != "[]" ] || { echo "via berthd: $via"; echo "direct: $direct"; return 1; }
}
check "berth jobs --json through berthd equals the database read directly (no bus)" t_jobs_same
t_unreachable() {
  ! DBUS_SYSTEM_BUS_ADDRESS=unix:path=$T/no-bus "$BUILD/berth" list 2>"$T/err" &&
  grep -q 'berthd cannot be reached' "$T/err"
}
check "berth list without a bus: exit 1, 'berthd cannot be reached'" t_unreachable

# Live: signals in, signals out.
watch_start() {  # watch_start NAME UNTIL: busprobe in the background, once ready
  "$PROBE" watch --timeout 20 --until "$2" >"$T/$1.out" 2>&1 &
  WATCH=$!
  wait_for 10 grep -qx ready "$T/$1.out"
}
watch_end() { wait "$WATCH"; local rc=$?; cat "$T/$1.out"; return $rc; }
t_history_live() {
  watch_start hist 'LastBackupResult=failed' || return 1
  "$MKHIST" "$T/state/berth.db" job web backup failed >/dev/null || return 1
  watch_end hist
}
check "a job written to the history: PropertiesChanged LastBackupResult=failed (inotify)" t_history_live
unit_state() { busctl call "${SD[@]}" SetUnitState sss "$1" "$2" "$3" >/dev/null; }
t_unit_live() {
  watch_start unit 'ActiveState=active' || return 1
  unit_state berth-web-web.service active running && unit_state berth-web.target active active || return 1
  watch_end unit || return 1
  grep -q "^PropertiesChanged $APP Containers=\[(web,berth-web-web.service,active,running,healthy)" "$T/unit.out" &&
  grep -q "^PropertiesChanged $APP .*Health=healthy" "$T/unit.out" &&
  grep -q "^PropertiesChanged $APP ActiveState=active SubState=active" "$T/unit.out"
}
check "systemd's PropertiesChanged of a container and the target: the app's Containers, ActiveState" t_unit_live
check "the container's health: 'healthy' (active, with a check)" \
  bash -c 'busctl get-property org.berth1 '"$APP"' org.berth1.App Containers | grep -q "\"web\" \"berth-web-web.service\" \"active\" \"running\" \"healthy\""'
t_health() {  # t_health UNIT ACTIVE SUB WANT: the app's Health after a state change
  watch_start health "Health=$4" || return 1
  unit_state "$1" "$2" "$3" || return 1
  watch_end health
}
check "a container starting again (activating/start-post): Health=starting" t_health berth-web-web.service activating start-post starting
check "a container failed (its health check killed it): Health=unhealthy" t_health berth-web-web.service failed failed unhealthy
check "waiting to restart (activating/auto-restart): still unhealthy, then active: healthy" \
  bash -c "$(declare -f t_health watch_start watch_end wait_for unit_state); T=$T PROBE=$PROBE SD=(${SD[*]});
           busctl call \${SD[@]} SetUnitState sss berth-web-web.service activating auto-restart >/dev/null &&
           [ \"\$(busctl get-property org.berth1 $APP org.berth1.App Health)\" = 's \"unhealthy\"' ] &&
           t_health berth-web-web.service active running healthy"
t_next_live() {
  watch_start next 'NextBackup=1893542400000000' || return 1
  busctl call "${SD[@]}" SetTimerNext st berth-web-backup.timer 1893542400000000 >/dev/null || return 1
  watch_end next
}
check "the timer's next elapse moves: PropertiesChanged NextBackup" t_next_live
reload() { busctl call "${SD[@]}" EmitReloading >/dev/null; }
t_reload_added() {
  cp "$T/apps/my-app.yaml" "$T/apps/extra.yaml"
  watch_start added 'InterfacesAdded /org/berth1 /org/berth1/app/extra' || return 1
  reload || return 1
  watch_end added && busctl tree --list org.berth1 | grep -qx /org/berth1/app/extra
}
check "Reloading(false) from systemd: a new manifest becomes an object (InterfacesAdded)" t_reload_added
t_reload_removed() {
  rm "$T/apps/extra.yaml"
  watch_start removed 'InterfacesRemoved /org/berth1 /org/berth1/app/extra' || return 1
  reload || return 1
  watch_end removed && ! busctl tree --list org.berth1 | grep -qx /org/berth1/app/extra
}
check "Reloading(false): a removed manifest's object goes (InterfacesRemoved)" t_reload_removed
check "after the reload the unit states are kept (web still active)" \
  bash -c '[ "$(busctl get-property org.berth1 '"$APP"' org.berth1.App ActiveState)" = "s \"active\"" ]'

# Authorisation.
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
gcall() { "$CALL" "$@"; }
gcall_nobody() { as_nobody "$CALL" "$@"; }
t_deny() {
  local out; out=$(gcall_nobody Backup s web) && { echo "allowed: $out"; return 1; }
  echo "$out"; [ "$out" = "error org.freedesktop.DBus.Error.AccessDenied: Access denied" ] || return 1
  mock_calls "${PK[0]}" "${PK[1]}" CheckAuthorization | grep -q '"system-bus-name" .*"org.berth1.backup"' || return 1
  [ "$(mock_calls "${SD[0]}" "${SD[1]}" StartUnit)" = "a(tav) 0" ] || { echo "StartUnit was called"; return 1; }
}
check "polkit says no: a non-root Backup() is refused with AccessDenied, nothing started" t_deny
busctl call "${PK[@]}" SetAllowed as 1 org.berth1.backup >/dev/null
t_allow() {
  local out
  watch_start job 'JobRemoved /org/berth1 1 /org/berth1/job/1 web backup' || return 1
  out=$(gcall_nobody Backup s web) || { echo "$out"; return 1; }
  [ "$out" = /org/berth1/job/1 ] || { echo "reply: $out"; return 1; }
  watch_end job || return 1
  grep -qx 'JobNew /org/berth1 1 /org/berth1/job/1 web backup' "$T/job.out" &&
  grep -qx 'JobRemoved /org/berth1 1 /org/berth1/job/1 web backup succeeded' "$T/job.out" &&
  mock_calls "${SD[0]}" "${SD[1]}" StartUnit | grep -q '"berth-backup@web.service" s "replace"'
}
check "polkit says yes: Backup() starts berth-backup@web.service, returns job 1, JobNew and JobRemoved" t_allow
t_restore_denied() { local out; out=$(gcall_nobody Restore ssast web latest data 0); echo "$out"; [ "$out" = "error org.freedesktop.DBus.Error.AccessDenied: Access denied" ]; }
check "Restore() is its own action: allowed backup does not allow restore" t_restore_denied
busctl call "${PK[@]}" SetAllowed as 2 org.berth1.backup org.berth1.restore >/dev/null
t_restore() {
  local out
  watch_start restore 'JobRemoved /org/berth1 2 /org/berth1/job/2 web restore' || return 1
  out=$(gcall_nobody Restore ssast web latest data 0) || { echo "$out"; return 1; }
  [ "$out" = /org/berth1/job/2 ] || { echo "reply: $out"; return 1; }
  watch_end restore || return 1
  out=$(mock_calls "${SD[0]}" "${SD[1]}" StartTransientUnit)
  echo "$out"
  grep -q '"berth-restore@web.service" s "fail"' <<<"$out" &&
  grep -q '"ExecStart" a(sasb) 1 "[^"]*/berth-restore" 4 "[^"]*/berth-restore" "web" "latest" "--volume=data" false' <<<"$out" &&
  grep -q '"Environment" as [0-9]* "RESTIC_CACHE_DIR=/var/cache/berth/restic"' <<<"$out"
}
check "Restore() starts the transient berth-restore@web.service with the request's arguments" t_restore
t_restore_checks() {
  local out
  out=$(gcall Restore ssast web latest nope 0); echo "$out"
  [ "$out" = "error org.berth1.NoSuchVolume: App 'web' has no volume 'nope'" ] || return 1
  out=$(gcall Restore ssast web --volume=x "" 0); echo "$out"
  [ "$out" = "error org.berth1.NoSuchSnapshot: '--volume=x' is not a snapshot id, expected hex digits or 'latest'" ] || return 1
  out=$(gcall Restore ssast web latest "" 1); echo "$out"
  [ "$out" = "error org.freedesktop.DBus.Error.InvalidArgs: Unknown flags 0x1, expected 0" ] || return 1
  out=$(gcall Restore ssast nope latest "" 0); echo "$out"
  [ "$out" = "error org.berth1.NoSuchApp: No app 'nope' is installed" ]
}
check "Restore() refuses unknown volumes, non-snapshot ids, unknown flags, unknown apps" t_restore_checks
busctl call "${PK[@]}" SetAllowed as 0 >/dev/null
t_root() {
  local before after
  before=$(mock_calls "${PK[0]}" "${PK[1]}" CheckAuthorization | cut -d' ' -f2)
  [ "$(busctl call org.berth1 /org/berth1 org.berth1.Manager Backup s web)" = 'o "/org/berth1/job/3"' ] || return 1
  after=$(mock_calls "${PK[0]}" "${PK[1]}" CheckAuthorization | cut -d' ' -f2)
  [ "$before" = "$after" ] || { echo "polkit was asked ($before -> $after)"; return 1; }
}
check "root's Backup() is allowed without asking polkit (which says no to everyone now)" t_root

# Staying alive, and sleeping.
ctxt() { awk '/^(non)?voluntary_ctxt_switches/ { s += $2 } END { print s }' "/proc/$BERTHD/status"; }
cputicks() { awk '{ print $14 + $15 }' "/proc/$BERTHD/stat"; }   # utime + stime
armed_timerfds() {
  local f n=0
  for f in /proc/"$BERTHD"/fdinfo/*; do
    grep -q '^clockid' "$f" 2>/dev/null || continue
    grep -q '^it_value: (0, 0)' "$f" || n=$((n + 1))
  done
  echo "$n"
}
quiet_for() {  # quiet_for SECONDS: berthd's context switches do not move
  local a b
  a=$(ctxt); sleep "$1"; b=$(ctxt)
  echo "context switches: $a -> $b; armed timers: $(armed_timerfds)"
  [ "$a" = "$b" ]
}
QUIET=${BERTHD_QUIET_SECONDS:-5}
t_quiet_alone() {
  sleep 0.3   # (the history settle timer of earlier writes is gone after 50 ms)
  quiet_for "$QUIET" && [ "$(armed_timerfds)" = 1 ]
}
check "idle, nobody subscribed: one armed timer (the idle exit, 600 s away), no wakeup in $QUIET s" t_quiet_alone
t_quiet_subscribed() {
  "$PROBE" watch --subscribe --timeout 0 >"$T/hold.out" 2>&1 &
  local hold=$! rc=0
  wait_for 10 grep -qx ready "$T/hold.out" || rc=1
  sleep 0.3
  [ "$rc" = 0 ] && quiet_for "$QUIET" && [ "$(armed_timerfds)" = 0 ] || rc=1
  kill "$hold"; wait "$hold" 2>/dev/null
  return $rc
}
check "idle with a subscriber: no armed timer at all and not one wakeup in $QUIET s" t_quiet_subscribed
t_sigterm() { kill -TERM "$BERTHD" && wait "$BERTHD"; }
check "SIGTERM: berthd exits 0 (and, sanitized, without leaks)" t_sigterm

start_berthd 2
wait_for 20 has_owner org.berth1 >/dev/null
t_subscribed_stays() {
  "$PROBE" watch --subscribe --timeout 0 >"$T/hold.out" 2>&1 &
  local hold=$!
  wait_for 10 grep -qx ready "$T/hold.out" || return 1
  sleep 4
  kill -0 "$BERTHD" || { echo "berthd left while a client was subscribed"; kill "$hold"; return 1; }
  local a; a=$(ctxt); sleep 2; [ "$(ctxt)" = "$a" ] || { echo "woke up while subscribed and idle"; kill "$hold"; return 1; }
  [ "$(armed_timerfds)" = 0 ] || { echo "a timer is armed while subscribed"; kill "$hold"; return 1; }
  kill "$hold"; wait "$hold" 2>/dev/null
  local t0 c0 c1 ms; t0=$(date +%s%N)
  sleep 0.5; c0=$(cputicks); sleep 1; c1=$(cputicks)
  echo "CPU ticks from 0.5 s to 1.5 s after the subscriber left: $c0 -> $c1"
  wait "$BERTHD"; local rc=$?
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  echo "exited $rc, $ms ms after the subscriber left"
  [ "$rc" = 0 ] && grep -q 'Idle for 2 s, exiting' "$T/berthd.log" && [ "$ms" -ge 1900 ] && [ "$ms" -lt 4000 ] &&
    [ "$c0" = "$c1" ]
}
check "a subscriber keeps berthd (no timer, no wakeup); once it leaves, no CPU used, exit after 2 s idle" t_subscribed_stays
t_activation_again() {
  ! has_owner org.berth1 || return 1
  "$BUILD/berthd" --exit-idle-time=2 >>"$T/berthd.log" 2>&1 &
  local p=$!
  wait_for 20 has_owner org.berth1 && "$BUILD/berth" list >/dev/null && wait "$p"
}
check "started again, then idle: it leaves by itself, exit 0" t_activation_again

echo "check-berthd: $pass passed, $fail failed"
[ "$fail" = 0 ] || { echo "berthd's log:"; tail -n 30 "$T/berthd.log"; }
[ "$fail" = 0 ]
