#!/bin/bash
# 30-berthd.sh - berthd (issue 6) on a booted system: bus activation, objects and
# introspection, the sandbox (systemd-analyze security), live PropertiesChanged as the
# app starts, turns unhealthy, recovers and stops, Backup and Restore over D-Bus with
# JobNew/JobRemoved, a non-root caller refused by polkit while root succeeds and reads
# stay open, the CLI as a client, zero wakeups over 60 s while idle (with health checks
# running), and the idle exit. BERTHD_BENCH=1 runs bench/dbus's measurement instead.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
suite_begin
APP=/org/berth1/app/web
V=/var/lib/berth/apps/web/volumes

# busprobe (tests/berthd/busprobe.c): built here against libsystemd 252, which both
# flavours' libsystemd (252, 257) runs.
# shellcheck disable=SC2046
require "build busprobe, copy it in" eval 'cc -O2 -std=gnu11 -D_GNU_SOURCE "$E2E_SRC/tests/berthd/busprobe.c" \
  $(pkg-config --cflags --libs libsystemd) -o "$E2E_SUITE_DIR/busprobe" && machine_copy_in "$M" "$E2E_SUITE_DIR/busprobe" /usr/local/bin'

bctl()  { machine_exec "$M" busctl "$@"; }
prop()  { bctl get-property org.berth1 "$APP" org.berth1.App "$1"; }
berthd_pid() { local p; p=$(unit_prop "$M" berthd.service MainPID) && [ "$p" != 0 ] && echo "$p"; }
berthd_active() { [ "$(unit_prop "$M" berthd.service ActiveState)" = active ]; }

# --- bench mode (bench/dbus) -------------------------------------------------------------
if [ "${BERTHD_BENCH:-0}" = 1 ]; then
  N=${BENCH_APPS:-50}
  require "$N generated manifests into /etc/berth/apps" eval 'rm -rf "$E2E_SUITE_DIR/apps" &&
    python3 "$E2E_SRC/bench/lib/mkmanifests.py" 6 "$N" "$E2E_SUITE_DIR/apps" >/dev/null &&
    machine_copy_in "$M" "$E2E_SUITE_DIR/apps" /etc/berth/apps && machine_exec "$M" systemctl daemon-reload'
  napps=$(bctl call org.berth1 /org/berth1 org.berth1.Manager ListApps | cut -d' ' -f2)
  note "berthd serves $napps apps (generated: $N)"
  path=$(bctl --json=short call org.berth1 /org/berth1 org.berth1.Manager ListApps | grep -o '"/org/berth1/app/[^"]*"' | head -n 1 | tr -d '"')
  check "bench: GetAll on $path and ListApps against GetAll on hostname1" \
    eval 'machine_exec "$M" busprobe bench --seconds "${BENCH_SECONDS:-30}" --rounds 10 "$path" | tee "$E2E_SUITE_DIR/bench.txt"'
  sed 's/^/     /' "$E2E_SUITE_DIR/bench.txt"
  # Idle as on a host where something ran: a backup through berthd (of an app whose
  # image is not there: it fails, and is recorded), so the job history exists and
  # berthd has read it.
  t_job() { machine_exec "$M" berth jobs --json -n 1 | grep -q '"finished_usec": *[0-9]'; }
  check "a backup job recorded (berthd reads the history)" \
    eval 'bctl call org.berth1 /org/berth1 org.berth1.Manager Backup s app-0000 && wait_for 120 t_job'
  sleep 2
  pid=$(berthd_pid)
  note "berthd idle: $(machine_exec "$M" grep -E '^VmRSS|^VmHWM' "/proc/$pid/status" | xargs) (pid $pid, $napps apps)"
  t_rss() { [ "$(machine_exec "$M" awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")" -le 5120 ]; }
  check "berthd idle with $napps apps and the history read: RSS at most 5 MiB" t_rss
  hpid=$(unit_prop "$M" systemd-hostnamed.service MainPID)
  note "hostnamed:   $(machine_exec "$M" grep -E '^VmRSS|^VmHWM' "/proc/$hpid/status" | xargs)"
  suite_end
fi

# --- activation and objects ---------------------------------------------------------------
app_put "$M" web <<'EOF'
schema: 1
name: Web
version: "1.0"
description: busybox httpd with a health check and a volume
containers:
  http:
    image: localhost/busybox:e2e
    command: ["sh", "-c", "echo ok > /www/index.html; exec httpd -f -p 8080 -h /www"]
    volumes: ["www:/www"]
    health: {cmd: ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/index.html"], interval: 2s, timeout: 2s, retries: 2}
volumes:
  www: {}
backup:
  schedule: daily
EOF
check_eq "berthd does not run before anyone asks (bus activation only)" inactive unit_prop "$M" berthd.service ActiveState
t_activate() { bctl call org.berth1 /org/berth1 org.berth1.Manager ListApps | grep -q '"web" "Web" "1.0"' && berthd_active; }
require  "a call activates it: ListApps lists web, berthd.service active" t_activate
check_eq "berthd.service is Type=dbus, BusName=org.berth1" "dbus org.berth1" \
  eval 'echo $(unit_prop "$M" berthd.service Type) $(unit_prop "$M" berthd.service BusName)'
t_tree() { bctl tree --list org.berth1 | grep -qx "$APP"; }
check "busctl tree shows /org/berth1/app/web" t_tree
t_introspect() {
  local t p; t=$(bctl introspect org.berth1 "$APP" org.berth1.App) || return 1
  for p in Id Name Version Description Enabled ActiveState SubState Health Containers LastBackup \
           LastBackupResult NextBackup Snapshots; do
    grep -q "^\.$p " <<<"$t" || { echo "no $p:"; echo "$t"; return 1; }
  done
  bctl introspect org.berth1 /org/berth1 org.berth1.Manager | grep -q '^\.JobRemoved *signal'
}
check "busctl introspect: the app's 13 properties, the manager's signals" t_introspect
check_eq "stopped app: ActiveState inactive, Health inactive" 's "inactive" s "inactive"' \
  eval 'echo $(prop ActiveState) $(prop Health)'
check_eq "NextBackup is 0 while the timer is not running (installed after boot, app not started)" "t 0" prop NextBackup
# The app's target wants its timer: starting the app (below) starts the timer, which
# systemd runs from the start of the transaction, long before the container is healthy.
t_next() {
  [ "$(unit_prop "$M" berth-web-backup.timer ActiveState)" = active ] || { echo "berth-web-backup.timer not active"; return 1; }
  log_of start | grep "NextBackup=" || return 1
  [ "$(prop NextBackup | cut -d' ' -f2)" -gt "$(( $(date +%s) * 1000000 ))" ]
}

# --- sandbox --------------------------------------------------------------------------------
t_sandbox() {
  local pid; pid=$(berthd_pid) || return 1
  machine_exec "$M" grep -E '^(Uid|CapEff|CapBnd|NoNewPrivs|Seccomp):' "/proc/$pid/status" | tee "$E2E_SUITE_DIR/status.txt"
  grep -q '^CapEff:[[:space:]]*0000000000000000$' "$E2E_SUITE_DIR/status.txt" &&
  grep -q '^CapBnd:[[:space:]]*0000000000000000$' "$E2E_SUITE_DIR/status.txt" &&
  grep -q '^NoNewPrivs:[[:space:]]*1$' "$E2E_SUITE_DIR/status.txt" && grep -q '^Seccomp:[[:space:]]*2$' "$E2E_SUITE_DIR/status.txt"
}
check "berthd: no capabilities (effective, bounding), no new privileges, a seccomp filter" t_sandbox
t_security() {
  local out level
  out=$(machine_exec "$M" systemd-analyze security --no-pager berthd.service) || true
  echo "$out" | grep -v '^✓' > "$E2E_SUITE_DIR/security.txt"
  cat "$E2E_SUITE_DIR/security.txt"
  level=$(sed -n 's/.*Overall exposure level for berthd.service: \([0-9.]*\).*/\1/p' <<<"$out")
  [ -n "$level" ] && awk -v l="$level" 'BEGIN { exit !(l <= 2.0) }'
}
check "systemd-analyze security berthd.service: exposure at most 2.0" t_security
note "$(grep 'Overall exposure' "$E2E_SUITE_DIR/security.txt")"

# --- live ----------------------------------------------------------------------------------------
# watch NAME UNTIL: busprobe as a transient unit (it subscribes: berthd stays), its
# lines in /run/NAME.log; then wait_seen NAME: until the line that ends it is there.
watch() {
  machine_exec "$M" systemd-run --quiet --collect --unit="probe-$1" -p StandardOutput="file:/run/$1.log" \
    -p StandardError=journal /usr/local/bin/busprobe watch --subscribe --timeout 240 --until "$2" || return 1
  wait_for 20 machine_exec "$M" grep -qx ready "/run/$1.log"
}
seen() { machine_exec "$M" sh -c "! systemctl -q is-active probe-$1.service && grep -qF -- \"\$1\" /run/$1.log" sh "$2"; }
log_of() { machine_exec "$M" cat "/run/$1.log"; }
t_start_live() {
  watch start 'ActiveState=active SubState=active' || return 1
  machine_exec "$M" systemctl start berth-web.target || return 1
  wait_for 120 seen start 'ActiveState=active SubState=active' || return 1
  log_of start
  log_of start | grep -q "^PropertiesChanged $APP Containers=\[(http,berth-web-http.service,activating,start,starting)\] Health=starting$" &&
  log_of start | grep -q "^PropertiesChanged $APP Containers=\[(http,berth-web-http.service,activating,start-post,starting)\]$" &&
  log_of start | grep -q "^PropertiesChanged $APP Containers=\[(http,berth-web-http.service,active,running,healthy)\] Health=healthy$" &&
  log_of start | grep -q "^PropertiesChanged $APP ActiveState=active SubState=active$"
}
check "starting the app: PropertiesChanged ActiveState=active, Health starting, then healthy" t_start_live
check "the app's start started its backup timer: PropertiesChanged NextBackup, a time in the future" t_next
t_status() {
  local out; out=$(machine_exec "$M" berth status web) || return 1
  echo "$out"
  grep -qx '       Health: healthy' <<<"$out" && grep -qx '        State: active (active)' <<<"$out" &&
  grep -q '^   Containers: http  healthy    active (running)  berth-web-http.service$' <<<"$out"
}
check "berth status web: active, healthy, the container healthy" t_status
check "berth list: web active healthy" eval 'machine_exec "$M" berth list | grep -q "^web  *active  *healthy  *1\.0 "'
t_unhealthy() {
  watch sick 'Health=healthy' || return 1
  machine_exec "$M" rm -f "$V/www/index.html" || return 1
  # podman kills the failing container, systemd restarts it, its start makes it healthy.
  wait_for 120 seen sick 'Health=healthy' || return 1
  log_of sick
  log_of sick | grep -q "Health=unhealthy" && log_of sick | grep -q "Health=starting"
}
check "health check fails: Health=unhealthy, then starting, then healthy again (no polling)" t_unhealthy

# --- Backup and Restore over D-Bus ---------------------------------------------------------------
t_backup() {
  local job
  watch backup 'JobRemoved /org/berth1' || return 1
  job=$(bctl call org.berth1 /org/berth1 org.berth1.Manager Backup s web) || return 1
  echo "reply: $job"
  wait_for 300 seen backup 'JobRemoved /org/berth1' || return 1
  log_of backup
  local path; path=$(cut -d'"' -f2 <<<"$job")
  log_of backup | grep -q "^JobNew /org/berth1 [0-9]* $path web backup$" &&
  log_of backup | grep -q "^PropertiesChanged $APP LastBackup=[0-9]* LastBackupResult=running" &&
  log_of backup | grep -q "^JobRemoved /org/berth1 [0-9]* $path web backup succeeded$" &&
  log_of backup | grep -q "^PropertiesChanged $APP .*LastBackupResult=succeeded"
}
check "Backup() as root: job object, JobNew, LastBackupResult running then succeeded, JobRemoved" t_backup
check_eq "the history agrees: berth jobs says the last backup succeeded" succeeded \
  eval "machine_exec \"\$M\" berth jobs --json -n 1 web | grep -o '\"status\": *\"[a-z]*\"' | cut -d'\"' -f4"
check "Snapshots counts the new snapshot" eval '[ "$(prop Snapshots | cut -d" " -f2)" -ge 1 ]'

# --- authorisation ------------------------------------------------------------------------------
nobody() { machine_exec "$M" setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
t_refused() {
  local out
  out=$(nobody busctl call org.berth1 /org/berth1 org.berth1.Manager Backup s web 2>&1) && { echo "allowed: $out"; return 1; }
  echo "$out"
  grep -Eq 'Access denied|Interactive authentication required' <<<"$out" || return 1
  out=$(nobody busctl call org.berth1 /org/berth1 org.berth1.Manager Restore ssast web latest 0 0 2>&1) && { echo "allowed: $out"; return 1; }
  echo "$out"
  grep -Eq 'Access denied|Interactive authentication required' <<<"$out"
}
check "a non-root caller: Backup() and Restore() refused by polkit" t_refused
check "a non-root caller still reads: Health, berth list, berth jobs" \
  eval 'nobody busctl get-property org.berth1 "$APP" org.berth1.App Health | grep -q healthy &&
        nobody berth list | grep -q "^web " && nobody berth jobs | grep -q " web  *backup  *succeeded "'

t_restore() {
  local job
  watch restore 'JobRemoved /org/berth1' || return 1
  job=$(bctl call org.berth1 /org/berth1 org.berth1.Manager Restore ssast web latest 0 0) || return 1
  wait_for 300 seen restore 'JobRemoved /org/berth1' || return 1
  log_of restore
  log_of restore | grep -q "^JobRemoved /org/berth1 [0-9]* $(cut -d'"' -f2 <<<"$job") web restore succeeded$"
}
check "Restore(web, latest) as root: the transient berth-restore@web.service, JobRemoved succeeded" t_restore
check "after the restore the app is up and healthy again" wait_for 120 eval '[ "$(prop Health)" = "s \"healthy\"" ]'

# --- idle --------------------------------------------------------------------------------------------
ctxt() { machine_exec "$M" awk '/^(non)?voluntary_ctxt_switches/ { s += $2 } END { print s }' "/proc/$1/status"; }
armed_timers() {  # timerfds of PID whose it_value is not zero
  # shellcheck disable=SC2016
  machine_exec "$M" sh -c 'n=0; for f in /proc/$1/fdinfo/*; do grep -q "^clockid" "$f" 2>/dev/null || continue;
    grep -q "^it_value: (0, 0)" "$f" || n=$((n + 1)); done; echo $n' sh "$1"
}
t_quiet() {
  local pid a b t
  machine_exec "$M" systemd-run --quiet --collect --unit=probe-hold -p StandardOutput=file:/run/hold.log \
    /usr/local/bin/busprobe watch --subscribe --timeout 0 || return 1
  wait_for 20 machine_exec "$M" grep -qx ready /run/hold.log || return 1
  pid=$(berthd_pid) || return 1
  sleep 1
  a=$(ctxt "$pid"); t=$(armed_timers "$pid")
  sleep 60
  b=$(ctxt "$pid")
  echo "context switches $a -> $b over 60 s, armed timers $t, $(machine_exec "$M" grep VmRSS "/proc/$pid/status" | xargs)" \
    > "$E2E_SUITE_DIR/quiet.txt"
  [ "$a" = "$b" ] && [ "$t" = 0 ]
}
check "idle with a subscriber, health checks running: no timer and zero wakeups over 60 s" t_quiet
note "berthd idle, one subscriber, web running with 2 s health checks: $(cat "$E2E_SUITE_DIR/quiet.txt" 2>/dev/null)"
t_idle_exit() {
  local pid; pid=$(berthd_pid) || return 1
  [ "$(armed_timers "$pid")" = 0 ] || return 1
  machine_exec "$M" systemctl stop probe-hold.service || return 1
  # The subscriber gone, the one timer is armed: the idle exit, 30 s after the last call.
  wait_for 10 eval '[ "$(armed_timers "$pid")" = 1 ]' || return 1
  wait_for 60 eval '! berthd_active' || return 1
  [ "$(unit_prop "$M" berthd.service Result)" = success ] &&
  machine_exec "$M" journalctl -b -u berthd.service --no-pager | grep -q 'Idle for 30 s, exiting'
}
check "the subscriber leaves: one timer, and berthd exits by itself after 30 s idle (Result=success)" t_idle_exit
check "the next call activates it again" eval 'bctl get-property org.berth1 "$APP" org.berth1.App Health | grep -q healthy && berthd_active'
check "no failed units of berth's own" eval '! machine_exec "$M" systemctl --failed --no-legend --plain | grep -E "berth|probe"'
suite_end
