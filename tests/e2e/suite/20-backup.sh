#!/bin/bash
# 20-backup.sh - backups end to end (issue 4): a running 2-container app with a database
# dump pre hook and quiesce: stop is backed up by `berth backup`, by systemctl and by its
# timer into the embedded default repository; post hooks always run and are told the
# outcome; a failing pre hook fails the job and leaves the app alone; retention keeps
# what the policy says and no other app's snapshots; the CLI, the job rows and the
# Prometheus textfile agree with the repository; one app's backups serialise while two
# apps back up in parallel; an SFTP repository on a second machine works; a locked, a
# corrupted and a wrong-password repository fail clearly with the app running
# afterwards; OnFailure= reaches the administrator's notify command (a local HTTP
# listener); no credential appears in the journal, the database or the notifications.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
suite_begin

V=/var/lib/berth/apps
REPO=/var/lib/berth/backup                # the embedded default repository
PWFILE=/var/lib/berth/restic-password     # its generated password
CONF=/etc/berth/berth.conf
INBOX=/srv/notify/inbox                   # what the notify listener received, one file a POST
P=$M-peer

# --- the apps ----------------------------------------------------------------------------
# shop: a database and a web server. The pre hook dumps the "database" into its volume
# (podman exec in db) - unless /data/fail-pre exists; the post hook appends what it was
# told to a log in web's volume. cache is not backed up. Every start of web is logged
# in its volume. The schedule is far away: a drop-in brings it near for the timer test.
shop_manifest() {
  cat <<'EOF'
schema: 1
name: Shop
containers:
  db:
    image: localhost/busybox:e2e
    command: ["sh", "-c", "echo 'row 1: apples' > /data/table; exec httpd -f -p 5432 -h /data"]
    volumes: ["dbdata:/data"]
  web:
    image: localhost/busybox:e2e
    command: ["sh", "-c", "date +%s%N >> /www/starts.log; echo cached > /cache/tmp; exec httpd -f -p 8080 -h /www"]
    ports: ["127.0.0.1:18080:8080/tcp"]
    volumes: ["www:/www", "cache:/cache"]
    depends_on: [db]
volumes:
  dbdata: {}
  www: {}
  cache: {backup: false}
backup:
  schedule: "*-01-01 03:00:00"
  randomized_delay: 0
  retention: {last: 2}
  quiesce: stop
  hooks:
    pre:
      - container: db
        exec: ["sh", "-c", "test ! -e /data/fail-pre && { echo \"-- dump $(date +%s%N)\"; cat /data/table; } > /data/dump.sql"]
    post:
      - container: web
        exec: ["sh", "-c", "echo \"$BERTH_JOB_STATUS $BERTH_JOB_ID $BERTH_SNAPSHOT_ID\" >> /www/post-hooks.log"]
EOF
}

# notes: one container, no quiesce, keeps its last 100 snapshots (all of them here), the
# default schedule's randomized delay. Its pre hook takes 4 s while /data/slow exists
# (to make two backups overlap).
notes_manifest() {
  cat <<'EOF'
schema: 1
name: Notes
containers:
  app:
    image: localhost/busybox:e2e
    command: ["sh", "-c", "echo note > /data/note.txt; exec httpd -f -p 8081 -h /data"]
    volumes: ["data:/data"]
volumes:
  data: {}
backup:
  schedule: daily
  retention: {last: 100}
  hooks:
    pre:
      - container: app
        exec: ["sh", "-c", "if test -e /data/slow; then sleep 4; fi; date +%s%N > /data/pre-hook"]
EOF
}

# plain: no backup settings at all (no hooks, no quiesce, the default retention): berth
# does not open the repository before restic backup does.
plain_manifest() {
  cat <<'EOF'
schema: 1
containers:
  app:
    image: localhost/busybox:e2e
    command: ["sh", "-c", "date > /data/started; exec sleep 1000000"]
    volumes: ["data:/data"]
volumes:
  data: {}
EOF
}

# --- helpers -----------------------------------------------------------------------------
# restic inside the machine, on the default repository unless RREPO/RPW say otherwise;
# credentials only ever through files and the environment.
restic_m() {
  machine_exec "$M" env RESTIC_REPOSITORY="${RREPO:-$REPO}" RESTIC_PASSWORD_FILE="${RPW:-$PWFILE}" \
    RESTIC_CACHE_DIR=/var/cache/e2e-restic restic "$@"
}
# snap_ids APP: ids of the app's snapshots in the repository, oldest first.
snap_ids() {
  restic_m snapshots --json --tag "app:$1" |
    python3 -c 'import json,sys; [print(s["id"]) for s in sorted(json.load(sys.stdin), key=lambda s: s["time"])]'
}
n_snaps() { snap_ids "$1" | grep -c .; }
sql() { machine_exec "$M" sqlite3 -batch -noheader /var/lib/berth/berth.db "$1"; }
last_job() { sql "SELECT max(id) FROM jobs WHERE app = '$1' AND kind = 'backup'"; }
job() { sql "SELECT $2 FROM jobs WHERE id = $1"; }
app_active() {
  local c
  [ "$(unit_prop "$M" "berth-$1.target" ActiveState)" = active ] || return 1
  for c in $(case $1 in shop) echo db web ;; *) echo app ;; esac); do
    [ "$(unit_prop "$M" "berth-$1-$c.service" ActiveState)" = active ] || { echo "berth-$1-$c.service not active"; return 1; }
  done
}
shop_serves() { [ "$(http_get "$M" http://127.0.0.1:18080/starts.log | grep -c .)" -ge 1 ]; }
post_log_last() { machine_exec "$M" tail -n 1 "$V/shop/volumes/www/post-hooks.log"; }
# mono JOB REGEX: CLOCK_MONOTONIC (µs) of the first journal line of berth job JOB that
# matches REGEX, found by the structured fields APP= and JOB=.
mono() {
  machine_exec "$M" journalctl --no-pager -o short-monotonic APP="${APPID:-shop}" JOB="$1" |
    grep -m1 -E "$2" | sed -E 's/^\[ *([0-9]+)\.([0-9]{6})\].*/\1\2/'
}
# cache_matches APP: berth's snapshot cache (berth snapshots --cached, which needs no
# repository access) holds exactly the repository's snapshots of APP, each with the time
# restic gave it (to 0.1 s: berth learns it without asking the repository).
cache_matches() {
  local repo cached
  repo=$(restic_m snapshots --json --tag "app:$1") && cached=$(machine_exec "$M" berth snapshots "$1" --cached --json) || return 1
  python3 - "$repo" "$cached" <<'PY'
import json, re, sys
from datetime import datetime
def usec(t):  # restic: RFC 3339 with nanoseconds and Z or an offset
    m = re.match(r"(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$", t)
    base = datetime.fromisoformat(m.group(1) + (m.group(3) if m.group(3) != "Z" else "+00:00"))
    return int(base.timestamp()) * 1000000 + int(((m.group(2) or "") + "000000")[:6])
repo = {s["id"]: usec(s["time"]) for s in json.loads(sys.argv[1])}
cached = {s["id"]: s["time_usec"] for s in json.loads(sys.argv[2])}
print("repository:", sorted(repo)); print("cache:     ", sorted(cached))
assert sorted(repo) == sorted(cached), "different snapshots"
for i in repo:
    assert abs(repo[i] - cached[i]) < 100000, (i, repo[i], cached[i])
PY
}
# quiesced JOB: both containers of shop became inactive before restic started and
# active again only after it ended (unit timestamps against the job's journal lines).
quiesced() {
  local job=$1 tb ts c ie ae
  tb=$(mono "$job" 'Backing up [0-9]+ paths') ts=$(mono "$job" 'Snapshot [0-9a-f]{8} saved')
  [ -n "$tb" ] && [ -n "$ts" ] || { echo "job $job: no 'Backing up' / 'Snapshot saved' lines"; return 1; }
  for c in db web; do
    ie=$(unit_prop "$M" "berth-shop-$c.service" InactiveEnterTimestampMonotonic)
    ae=$(unit_prop "$M" "berth-shop-$c.service" ActiveEnterTimestampMonotonic)
    echo "$c: inactive at $ie, restic from $tb to $ts, active again at $ae"
    [ "$ie" -gt 0 ] && [ "$ie" -lt "$tb" ] && [ "$ts" -lt "$ae" ] || return 1
  done
}
# mark_app; not_stopped: neither container of shop went inactive since mark_app.
mark_app() { MARK=$(unit_prop "$M" berth-shop-db.service InactiveEnterTimestampMonotonic)/$(unit_prop "$M" berth-shop-web.service InactiveEnterTimestampMonotonic); }
not_stopped() {
  local now; now=$(unit_prop "$M" berth-shop-db.service InactiveEnterTimestampMonotonic)/$(unit_prop "$M" berth-shop-web.service InactiveEnterTimestampMonotonic)
  [ "$now" = "$MARK" ] || { echo "containers went inactive (db/web): before $MARK, now $now"; return 1; }
}
set_conf() { machine_write "$M" "$CONF"; }
# Small words for checks: fails CMD (CMD must fail); has TEXT CMD / has_re REGEX CMD (CMD's
# output holds TEXT / a line matching REGEX, shown when not); job_log JOB [APP]: the job's
# journal lines, found by the structured fields APP= and JOB=; unit_fails UNIT.
fails() { ! "$@"; }
has() { local t=$1 o; shift; o=$("$@" 2>&1); grep -qF -- "$t" <<< "$o" || { echo "no '$t' in:"; echo "$o"; return 1; }; }
has_re() { local t=$1 o; shift; o=$("$@" 2>&1); grep -qE -- "$t" <<< "$o" || { echo "no /$t/ in:"; echo "$o"; return 1; }; }
job_log() { machine_exec "$M" journalctl --no-pager -o cat APP="${2:-shop}" JOB="$1"; }
unit_fails() { fails machine_exec "$M" systemctl start "$1"; }
ge() { [ "$("${@:2}")" -ge "$1" ]; }
# the notify listener's messages, all, and how many
inbox() { machine_exec "$M" sh -c "cat $INBOX/* 2>/dev/null"; }
inbox_n() { machine_exec "$M" sh -c "ls $INBOX | wc -l"; }

NOTIFY_CONF='notify:
  command: ["curl", "-fsS", "--max-time", "10", "--data-binary", "{message}", "http://127.0.0.1:9999/cgi-bin/notify"]'

# --- setup: apps, notify listener, a peer for SFTP ---------------------------------------
shop_manifest | app_put "$M" shop
notes_manifest | app_put "$M" notes
plain_manifest | app_put "$M" plain
# The notify listener: busybox httpd running a CGI that stores each POST body.
machine_write "$M" /srv/notify/www/cgi-bin/notify 0755 <<'EOF'
#!/bin/sh
head -c "${CONTENT_LENGTH:-0}" > /srv/notify/inbox/$(date +%s%N).msg
printf 'Content-Type: text/plain\r\n\r\nok\n'
EOF
machine_exec "$M" mkdir -p "$INBOX"
machine_exec "$M" sh -c "printf '%s\n' '$NOTIFY_CONF' > $CONF"
# The listener is a unit of its own, started at every boot (the peer setup reboots M).
machine_write "$M" /etc/systemd/system/e2e-notify-listener.service <<'EOF'
[Unit]
Description=e2e: HTTP listener standing in for a notification service
[Service]
ExecStart=/usr/bin/busybox httpd -f -p 127.0.0.1:9999 -h /srv/notify/www
[Install]
WantedBy=multi-user.target
EOF
machine_exec "$M" systemctl enable e2e-notify-listener.service >/dev/null 2>&1
# M boots again onto the link with P: the apps start at boot (enabled), their timers
# with timers.target, as they would on a real host.
require "second machine $P for the SFTP repository (M rebooted)" machine_add_peer "$M" "$P"
both_active() { app_active shop && app_active notes; }
all_active() { both_active && app_active plain; }
check "shop, notes and plain started at boot"      wait_for 120 all_active
check "shop serves"                                wait_for 30 shop_serves
# 32 MiB in the database volume: restic takes long enough to report progress.
check "shop: a 32 MiB file in its dbdata volume" \
  machine_exec "$M" sh -c "head -c 33554432 /dev/urandom > $V/shop/volumes/dbdata/blob"
t_listener() { machine_exec "$M" curl -fsS --max-time 5 --data-binary probe http://127.0.0.1:9999/cgi-bin/notify | grep -qx ok && machine_exec "$M" sh -c "rm -f $INBOX/*"; }
check "notify listener answers"                    wait_for 30 t_listener

# --- the generated timers -----------------------------------------------------------------
check_eq "shop timer: active since boot (timers.target)"      active unit_prop "$M" berth-shop-backup.timer ActiveState
calendar() { unit_prop "$M" berth-shop-backup.timer TimersCalendar | sed -E 's/^\{ OnCalendar=(.*) ; next_elapse=.*/\1/'; }
check_eq "shop timer: OnCalendar from the manifest"  "*-01-01 03:00:00" calendar
check_eq "shop timer: Persistent=true"                        yes unit_prop "$M" berth-shop-backup.timer Persistent
check_eq "shop timer: randomized_delay: 0"                    0 unit_prop "$M" berth-shop-backup.timer RandomizedDelayUSec
check_eq "notes timer: default RandomizedDelaySec=30min"      30min unit_prop "$M" berth-notes-backup.timer RandomizedDelayUSec
check_eq "shop timer: starts berth-backup@shop.service"       berth-backup@shop.service unit_prop "$M" berth-shop-backup.timer Triggers

# --- 1. berth backup: default repository initialised, dump hook, quiesce -----------------
check "no repository before the first backup"      machine_exec "$M" test ! -e "$REPO/config"
out=$E2E_SUITE_DIR/berth-backup-1.out
t_cli_backup() { machine_exec "$M" berth backup shop > "$out" 2>&1; local rc=$?; cat "$out"; return $rc; }
check "berth backup shop (exit 0)"                 t_cli_backup
J1=$(last_job shop)
check "its output: progress lines"                 grep -qE '^[0-9:]{8} Progress: [0-9]+% \([0-9]+ of [0-9]+ files' "$out"
check "its output: the snapshot line"              grep -qE '^[0-9:]{8} Snapshot [0-9a-f]{8} saved: [0-9]+ new' "$out"
check "its output: the final status from the job"  grep -qx "Job $J1: succeeded" "$out"
check "default repository initialised"             machine_exec "$M" test -s "$REPO/config"
check "its password generated: 0600, 48 characters" \
  machine_exec "$M" sh -c "[ \"\$(stat -c %a $PWFILE)\" = 600 ] && [ \"\$(wc -c < $PWFILE)\" = 48 ]"
check_eq "job row: succeeded, exit 0, no error"    "succeeded|0|" job "$J1" "status || '|' || exit_code || '|' || coalesce(error, '')"
S1=$(job "$J1" snapshot_id)
check_eq "one snapshot of shop, the job's"         "$S1" snap_ids shop
check "snapshot tagged app:shop, job:$J1, kind:backup, host $M" \
  has "\"$S1\"" restic_m snapshots --json --tag "app:shop,job:$J1,kind:backup" --host "$M"
t_dump() {
  local want got
  want=$(machine_exec "$M" cat "$V/shop/volumes/dbdata/dump.sql") || return 1
  got=$(restic_m dump "$S1" "$V/shop/volumes/dbdata/dump.sql") || return 1
  echo "on disk: $want"; echo "in snapshot: $got"
  [ -n "$want" ] && [ "$want" = "$got" ] && grep -q 'row 1: apples' <<< "$got"
}
check "the pre hook's dump is in the snapshot (restic dump = the file)" t_dump
t_ls() {
  local l; l=$(restic_m ls "$S1") || return 1
  grep -qx "$V/shop/volumes/dbdata/dump.sql" <<< "$l" && grep -qx "$V/shop/volumes/www/starts.log" <<< "$l" &&
    grep -qx "$V/shop/snapshot-index.json" <<< "$l" && ! grep -q "$V/shop/volumes/cache" <<< "$l"
}
check "restic ls: both volumes and the index, not the backup: false volume" t_ls
check "quiesce: both containers stopped before restic, started after it" quiesced "$J1"
check "app running afterwards"                     app_active shop
check "and serving"                                wait_for 30 shop_serves
check_eq "post hook ran after the backup, told the outcome" "succeeded $J1 $S1" post_log_last
n_phase_lines() { machine_exec "$M" journalctl --no-pager -o cat APP=shop JOB="$1" PHASE=backup | grep -c .; }
check "journal lines carry APP=shop JOB=$J1 PHASE=backup" ge 5 n_phase_lines "$J1"
check "retention (last: 2) had nothing to forget, said so" \
  has "Retention: 1 snapshot of app 'shop', keep-last 2: nothing to forget" job_log "$J1"
check "the snapshot cache holds it, with restic's time"    cache_matches shop

# --- 2. systemctl start berth-backup@shop ------------------------------------------------
check "systemctl start berth-backup@shop.service"  machine_exec "$M" systemctl start berth-backup@shop.service
J2=$(last_job shop)
check_eq "a new job, succeeded"                    "succeeded" job "$J2" "CASE WHEN id > $J1 THEN status END"
check_eq "its invocation id is the unit's"         "$(unit_prop "$M" berth-backup@shop.service InvocationID)" job "$J2" invocation_id
check "quiesced again"                             quiesced "$J2"
check "app running afterwards"                     app_active shop
S2=$(job "$J2" snapshot_id)
check_eq "post hook: succeeded $J2"                "succeeded $J2 $S2" post_log_last
check "2 snapshots, keep-last 2: still nothing to forget" \
  has "Retention: 2 snapshots of app 'shop', keep-last 2: nothing to forget" job_log "$J2"
check "the snapshot cache learnt the second"       cache_matches shop

# --- 2b. an app with no hooks nor quiesce: restic opens the repository itself -----------
check "systemctl start berth-backup@plain.service" machine_exec "$M" systemctl start berth-backup@plain.service
JP1=$(last_job plain)
check_eq "job succeeded"                           succeeded job "$JP1" status
check_eq "its snapshot, tagged app:plain"          "$(job "$JP1" snapshot_id)" snap_ids plain
check "in the cache (listed once: the app's first backup there)" cache_matches plain
check "app running (never stopped)"                app_active plain

# --- 2c. quiesce: stop on an app its administrator stopped: backed up as it is, left stopped
machine_write "$M" /etc/berth/apps/plain.yaml.d/quiesce.yaml <<'EOF'
backup: {quiesce: stop}
EOF
machine_exec "$M" systemctl daemon-reload
check "plain stopped by hand"                      machine_exec "$M" systemctl stop berth-plain.target berth-plain-app.service
check "berth-backup@plain.service with quiesce: stop" machine_exec "$M" systemctl start berth-backup@plain.service
JPQ=$(last_job plain)
check_eq "job succeeded"                           succeeded job "$JPQ" "CASE WHEN id > $JP1 THEN status END"
check "it said so"                                 has "App 'plain' is not running: backing it up as it is, and leaving it stopped" job_log "$JPQ" plain
check_eq "plain's container is still inactive"     inactive unit_prop "$M" berth-plain-app.service ActiveState
check_eq "and its target"                          inactive unit_prop "$M" berth-plain.target ActiveState
machine_exec "$M" rm -r /etc/berth/apps/plain.yaml.d
machine_exec "$M" systemctl daemon-reload
check "plain started again"                        machine_exec "$M" systemctl start berth-plain.target
check "and running"                                wait_for 60 app_active plain

# --- 3. a failing pre hook aborts the job; the app keeps running -------------------------
machine_exec "$M" touch "$V/shop/volumes/dbdata/fail-pre"
mark_app
check "pre hook fails: berth-backup@shop.service fails" unit_fails berth-backup@shop.service
J3=$(last_job shop)
check_eq "job failed, naming the hook" \
  "failed|1|pre hook 1 in container 'db' failed (exit status 1)" job "$J3" "status || '|' || exit_code || '|' || error"
check_eq "no snapshot from it"                     "2 " eval 'echo "$(n_snaps shop) $(job "$J3" snapshot_id)"'
check "the app was not stopped"                    not_stopped
check "and runs"                                   app_active shop
check_eq "post hook still ran, told: failed"       "failed $J3 " post_log_last
check "OnFailure: berth-notify@ posted to the listener" wait_for 30 ge 1 inbox_n
check "the notification names the unit, the job and the error" \
  has "berth: berth-backup@shop.service failed (job $J3): pre hook 1 in container 'db' failed (exit status 1)" inbox
check_eq "berth-notify@ unit succeeded"            success unit_prop "$M" 'berth-notify@berth-backup@shop.service.service' Result
machine_exec "$M" rm -f "$V/shop/volumes/dbdata/fail-pre"

# --- 4. the timer fires ---------------------------------------------------------------------
# A drop-in of the manifest moves the schedule a few seconds ahead; a systemd drop-in
# for the generated timer sets AccuracySec=1s (the manifest cannot; the default 1 min
# would only delay it).
at=$(machine_exec "$M" date -d '+12 sec' '+%H:%M:%S')
machine_write "$M" /etc/berth/apps/shop.yaml.d/50-soon.yaml <<EOF
backup: {schedule: "*-*-* $at"}
EOF
machine_write "$M" /etc/systemd/system/berth-shop-backup.timer.d/e2e-accuracy.conf <<'EOF'
[Timer]
AccuracySec=1s
EOF
check "daemon-reload with the near schedule"        machine_exec "$M" systemctl daemon-reload
check_eq "generated OnCalendar follows the drop-in" "*-*-* $at" calendar
t_timer_job() { local j; j=$(last_job shop); [ "$j" -gt "$J3" ] && [ "$(job "$j" "status <> 'running'")" = 1 ]; }
check "the timer fired and a backup job ran"       wait_for 90 t_timer_job
J4=$(last_job shop)
check_eq "job succeeded"                           succeeded job "$J4" status
triggered() { [ "$(unit_prop "$M" berth-shop-backup.timer LastTriggerUSecMonotonic)" != 0 ]; }
check "the timer triggered it (LastTriggerUSec set)" triggered
check_eq "by the unit's invocation"                "$(unit_prop "$M" berth-backup@shop.service InvocationID)" job "$J4" invocation_id
S4=$(job "$J4" snapshot_id)
check "quiesced by the timer's backup too"         quiesced "$J4"
check "app running afterwards"                     wait_for 30 app_active shop
machine_exec "$M" rm -f /etc/berth/apps/shop.yaml.d/50-soon.yaml
machine_exec "$M" systemctl daemon-reload

# --- 5. one app's backups serialise; two apps back up in parallel --------------------------
machine_exec "$M" touch "$V/notes/volumes/data/slow" "$V/shop/volumes/dbdata/slow"
# shop's pre hook has no sleep; notes' does (4 s) while /data/slow exists.
two_notes() {
  machine_exec "$M" systemctl start --no-block berth-backup@notes.service &&
    machine_exec "$M" systemd-run --quiet --unit=e2e-notes-again --collect --no-block -p Type=oneshot \
      /usr/libexec/berth/berth-backup notes
}
check "notes: one backup by its unit and one more by hand, at once" two_notes
t_notes_done() { [ "$(sql "SELECT count(*) FROM jobs WHERE app = 'notes' AND status <> 'running'")" = 2 ] \
  && [ "$(unit_prop "$M" berth-backup@notes.service ActiveState)" != activating ]; }
check "both finished"                              wait_for 60 t_notes_done
t_serialised() {
  local rows a_s a_f b_s b_f
  rows=$(sql "SELECT started_at, finished_at FROM jobs WHERE app = 'notes' ORDER BY id" | tr '\n' '|')
  IFS='|' read -r a_s a_f b_s b_f <<< "$rows"
  echo "notes jobs: $a_s..$a_f, $b_s..$b_f"
  [ "$b_s" -ge "$a_f" ] && [ $((a_f - a_s)) -ge 4000000 ]
}
check "the second notes job began only after the first ended" t_serialised
check "the one that waited said so" has "Another operation on app 'notes' holds its lock; waiting" \
  machine_exec "$M" journalctl --no-pager -o cat SYSLOG_IDENTIFIER=berth-backup APP=notes
check_eq "both succeeded"                          "succeeded
succeeded" sql "SELECT status FROM jobs WHERE app = 'notes' ORDER BY id"
# Different apps: shop (quiesced) and notes (slow hook) at the same time.
before=$(sql "SELECT max(id) FROM jobs")
check "shop and notes started together"            machine_exec "$M" systemctl start --no-block berth-backup@notes.service berth-backup@shop.service
t_both_done() { [ "$(sql "SELECT count(*) FROM jobs WHERE id > $before AND status <> 'running'")" = 2 ]; }
check "both finished"                              wait_for 120 t_both_done
J5=$(last_job shop) N3=$(last_job notes)
t_parallel() {
  local as af bs bf
  IFS='|' read -r as af <<< "$(job "$J5" "started_at || '|' || finished_at")"
  IFS='|' read -r bs bf <<< "$(job "$N3" "started_at || '|' || finished_at")"
  echo "shop job $J5: $as..$af; notes job $N3: $bs..$bf"
  [ "$as" -lt "$bf" ] && [ "$bs" -lt "$af" ]
}
check "their jobs overlapped in time"              t_parallel
check_eq "both succeeded"                          "succeeded succeeded" eval 'echo $(job "$J5" status) $(job "$N3" status)'
machine_exec "$M" rm -f "$V/notes/volumes/data/slow" "$V/shop/volumes/dbdata/slow"
check "apps running"                               wait_for 30 both_active

# --- 6. retention: last: 2 after 4 good backups; notes untouched ----------------------------
S5=$(job "$J5" snapshot_id)
check_eq "shop: exactly the 2 newest snapshots remain (4 written)" "$S4
$S5" snap_ids shop
check_eq "notes (keeps its last 100): its 3 snapshots untouched" \
  "$(sql "SELECT snapshot_id FROM jobs WHERE app = 'notes' ORDER BY id")" snap_ids notes
check "restic check: the repository is sound after forget and prune" restic_m check
check "shop's job said so: 'Retention removed'"  has "Retention removed" job_log "$J5"
check "shop's snapshot cache forgot them too"      cache_matches shop
check "notes' snapshot cache: its 3"               cache_matches notes

# --- 7. the CLI and the metrics agree with the repository -----------------------------------
# One more sequential backup: the snapshot cache and the metrics then reflect it alone.
check "berth backup shop once more"                machine_exec "$M" berth backup shop
J6=$(last_job shop) S6=$(job "$(last_job shop)" snapshot_id)
t_cli_snapshots() {
  machine_exec "$M" berth snapshots shop --json | python3 -c '
import json, sys
want = sys.argv[1:]
got = json.load(sys.stdin)
ids = [s["id"] for s in got]
print(ids)
assert sorted(ids) == sorted(want), (ids, want)
assert all(s["app"] == "shop" and "app:shop" in s["tags"] for s in got)' "$S5" "$S6"
}
check "berth snapshots shop --json: the 2 snapshots" t_cli_snapshots
t_cli_jobs() {
  machine_exec "$M" berth jobs --json -n 0 | python3 -c '
import json, sys
j6, s6, j3 = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
jobs = {j["id"]: j for j in json.load(sys.stdin)}
print(len(jobs), "jobs")
assert jobs[j6]["status"] == "succeeded" and jobs[j6]["snapshot"] == s6 and jobs[j6]["app"] == "shop", jobs[j6]
assert jobs[j6]["stats"]["total_files_processed"] > 0, jobs[j6]
assert jobs[j3]["status"] == "failed" and "pre hook" in jobs[j3]["error"], jobs[j3]
assert {j["app"] for j in jobs.values()} == {"shop", "notes", "plain"}
assert all(j["finished_usec"] >= j["started_usec"] for j in jobs.values())' "$J6" "$S6" "$J3"
}
check "berth jobs --json: every job, outcomes and stats" t_cli_jobs
jobs_apps() { machine_exec "$M" berth jobs "$@" --json | python3 -c 'import json,sys; print(*sorted({j["app"] for j in json.load(sys.stdin)}))'; }
check_eq "berth jobs notes --json: notes only"     notes jobs_apps notes
PROM=/var/lib/prometheus/node-exporter/berth.prom
t_metrics() {
  local row; row=$(job "$J6" "started_at || ' ' || finished_at || ' ' || json_extract(stats_json, '\$.data_added')")
  machine_exec "$M" cat "$PROM" | python3 -c '
import re, sys
started, finished, added = (int(x) for x in sys.argv[1].split())
m = {}
for line in sys.stdin:
    if line.startswith("#"): continue
    k, v = line.rsplit(" ", 1)
    m[k] = float(v)
def get(name, app="shop"): return m[name + "{app=\"" + app + "\"}"]
print({k: v for k, v in m.items() if "shop" in k})
assert abs(get("berth_backup_last_run_timestamp_seconds") - started / 1e6) < 1e-6
assert abs(get("berth_backup_last_success_timestamp_seconds") - started / 1e6) < 1e-6
assert get("berth_backup_last_result") == 0
assert abs(get("berth_backup_last_duration_seconds") - (finished - started) / 1e6) < 1e-6
assert get("berth_backup_last_bytes_added") == added
assert get("berth_backup_snapshots") == 2
assert get("berth_backup_snapshots", "notes") == 3' "$row"
}
check "Prometheus textfile: shop's series match its last job and the repository" t_metrics

# --- 7b. a job whose helper was killed does not stay "running" ----------------------------
# SIGKILL during notes' slow pre hook (no restic yet, so no lock is left behind): the job
# row stays running until the next backup of notes, which holds the app's lock and so
# knows that no backup of notes is alive, closes it.
machine_exec "$M" touch "$V/notes/volumes/data/slow"
before=$(sql "SELECT max(id) FROM jobs")
in_hook() { local j; j=$(last_job notes); [ "$j" -gt "$before" ] && job_log "$j" notes | grep -q 'Running pre hook'; }
check "notes: a backup, in its 4 s pre hook"       eval 'machine_exec "$M" systemctl start --no-block berth-backup@notes.service && wait_for 30 in_hook'
NK=$(last_job notes)
check "SIGKILL to the unit's processes"            machine_exec "$M" systemctl kill -s SIGKILL berth-backup@notes.service
unit_gone() { [ "$(unit_prop "$M" berth-backup@notes.service ActiveState)" != activating ]; }
check "the unit ended"                             wait_for 30 unit_gone
check_eq "its job row says running"                running job "$NK" status
machine_exec "$M" rm -f "$V/notes/volumes/data/slow"
check "the next backup of notes"                   machine_exec "$M" systemctl start berth-backup@notes.service
check_eq "closed the killed job as failed"         "failed|interrupted: berth-backup ended before it finished the job" \
  job "$NK" "status || '|' || error"
check_eq "and succeeded itself"                    succeeded job "$(last_job notes)" status

# --- 8. wrong password: a clear error; post hooks run; notified --------------------------
machine_exec "$M" sh -c "rm -f $INBOX/*; umask 077; echo not-the-password > /etc/berth/wrong-password"
set_conf <<EOF
backup:
  repository: $REPO
  password_file: /etc/berth/wrong-password
$NOTIFY_CONF
EOF
mark_app
out=$E2E_SUITE_DIR/berth-backup-wrong-password.out
exit_is() { local want=$1; shift; "$@"; local rc=$?; [ "$rc" = "$want" ] || { echo "exit status $rc, expected $want"; return 1; }; }
check "berth backup shop fails (exit 1)"          exit_is 1 eval 'machine_exec "$M" berth backup shop > "$out" 2>&1'
J7=$(last_job shop)
check "error: the repository and 'wrong repository password'" \
  has "repository $REPO: wrong repository password (backup.password_file)" job "$J7" error
check "berth backup printed it as the final status" grep -qF "Job $J7: failed: repository $REPO: wrong repository password" "$out"
check_eq "post hook ran, told: failed"             "failed $J7 " post_log_last
check "the app was not stopped"                    not_stopped
check "notified"                                   wait_for 30 has "wrong repository password" inbox
# plain: no check before restic backup, which then finds the password wrong
check "plain: berth-backup@plain.service fails"    unit_fails berth-backup@plain.service
JP2=$(last_job plain)
check "error: restic backup, the repository, 'wrong repository password'" \
  has "restic backup to repository $REPO: wrong repository password (backup.password_file): " job "$JP2" error
check "notified"                                   wait_for 30 has "berth: berth-backup@plain.service failed (job $JP2): restic backup to repository" inbox
check "plain still running"                        app_active plain

# --- 9. a locked repository: bounded retries, then a clear failure -------------------------
set_conf <<EOF
backup:
  lock_retries: 1
$NOTIFY_CONF
EOF
# restic key passwd takes the exclusive lock, then waits for a new password on stdin
# (a pipe that stays empty until the unit is stopped).
check "a restic holds the repository's exclusive lock" machine_exec "$M" systemd-run --quiet --unit=e2e-locker \
  -E RESTIC_REPOSITORY="$REPO" -E RESTIC_PASSWORD_FILE="$PWFILE" sh -c 'sleep 600 | restic key passwd'
n_locks() { restic_m list locks --no-lock | grep -c .; }
check "its lock is in the repository"              wait_for 30 ge 1 n_locks
mark_app
check "berth-backup@shop.service fails"            unit_fails berth-backup@shop.service
J8=$(last_job shop)
check "retried once (lock_retries: 1), then gave up" \
  has "Repository is locked by another operation; opening it again in 5 s (attempt 1 of 1)" job_log "$J8"
check "error: the repository, still locked after all retries" \
  has_re "^repository $REPO: repository still locked after all retries: .*locked" job "$J8" error
check "the app was not stopped"                    not_stopped
check "the app runs"                               app_active shop
no_locks() { [ "$(n_locks)" = 0 ]; }
check "plain: berth-backup@plain.service fails too" unit_fails berth-backup@plain.service
JP3=$(last_job plain)
check "restic backup itself met the lock, retried once" \
  has "Repository is locked by another operation; backing up again in 5 s (attempt 1 of 1)" job_log "$JP3" plain
check "error: restic backup, the repository, still locked" \
  has_re "^restic backup to repository $REPO: repository still locked after all retries: .*locked" job "$JP3" error
check "plain still running"                        app_active plain
# SIGINT: restic removes its lock (restic 0.14 leaves it behind at SIGTERM)
check "locker interrupted"                         machine_exec "$M" systemctl kill -s SIGINT e2e-locker.service
check "its lock is gone"                           wait_for 20 no_locks
# A backup stopped while restic runs: systemd's KillSignal=SIGINT lets restic remove
# its lock (a stale lock would keep every app's backups out). "Runs": it holds its lock
# and has written data since (restic 0.14 registers a lock for removal only a moment
# after writing it). The local repository's directories are looked at directly:
# restic list locks would take as long as a small backup.
packs() { machine_exec "$M" find "$REPO/data" -type f | grep -c .; }
locked_by_backup() {
  [ -n "$(machine_exec "$M" ls "$REPO/locks")" ] && machine_exec "$M" pgrep -x restic >/dev/null &&
    [ "$(packs)" -gt "$PACKS" ]
}
stopped_clean() { [ "$(unit_prop "$M" berth-backup@plain.service ActiveState)" != deactivating ] && no_locks; }
check_eq "berth-backup@.service: KillSignal=SIGINT" 2 unit_prop "$M" berth-backup@plain.service KillSignal
machine_exec "$M" sh -c "head -c 300000000 /dev/urandom > $V/plain/volumes/data/big"
PACKS=$(packs)
check "plain: a backup of 300 MB started"          machine_exec "$M" systemctl start --no-block berth-backup@plain.service
check "restic runs and holds its lock"             wait_for 60 locked_by_backup
check "systemctl stop berth-backup@plain.service"  machine_exec "$M" systemctl stop berth-backup@plain.service
check "no lock left in the repository"             wait_for 20 stopped_clean
JP4=$(last_job plain)
check_eq "the job was recorded as failed, saying why" "failed|the backup was stopped while restic backup ran" \
  job "$JP4" "status || '|' || error"
check "and said it was stopped"                    has "Stopped by Interrupt while the backup ran" job_log "$JP4" plain
check "plain still running"                        app_active plain
machine_exec "$M" rm -f "$V/plain/volumes/data/big"
# The same for shop, stopped for its backup: it is started again.
machine_exec "$M" sh -c "head -c 300000000 /dev/urandom > $V/shop/volumes/dbdata/big"
before=$(sql "SELECT max(id) FROM jobs") PACKS=$(packs)
in_backup() { local j; j=$(last_job shop); [ "$j" -gt "$before" ] && job_log "$j" | grep -q 'Backing up' && locked_by_backup; }
stopped_clean() { [ "$(unit_prop "$M" berth-backup@shop.service ActiveState)" != deactivating ] && no_locks; }
check "shop: a backup of 300 MB more started"      machine_exec "$M" systemctl start --no-block berth-backup@shop.service
check "shop stopped, restic runs"                  wait_for 60 in_backup
check "systemctl stop berth-backup@shop.service"   machine_exec "$M" systemctl stop berth-backup@shop.service
check "no lock left in the repository"             wait_for 20 stopped_clean
JS=$(last_job shop)
check_eq "the job was recorded as failed, saying why" "failed|the backup was stopped while restic backup ran" \
  job "$JS" "status || '|' || error"
check "shop was started again"                     wait_for 30 app_active shop
check "serves"                                     wait_for 30 shop_serves
machine_exec "$M" rm -f "$V/shop/volumes/dbdata/big"

# --- 10. a corrupted repository: a clear failure naming it; the app runs ------------------
BAD=/srv/restic-damaged
machine_exec "$M" sh -c 'umask 077; head -c 24 /dev/urandom | base64 > /etc/berth/damaged-password'
check "a second local repository"                  eval 'RREPO=$BAD RPW=/etc/berth/damaged-password restic_m init'
set_conf <<EOF
backup:
  repository: $BAD
  password_file: /etc/berth/damaged-password
  lock_retries: 1
$NOTIFY_CONF
EOF
check "a good backup into it first"                machine_exec "$M" systemctl start berth-backup@shop.service
# a) its config file damaged (restic refuses to open the repository)
machine_exec "$M" sh -c "cp $BAD/config /root/config.good && printf 'XXXXXXXXXXXXXXXX' | dd of=$BAD/config bs=1 seek=40 conv=notrunc status=none"
mark_app
check "config damaged: the backup fails"          unit_fails berth-backup@shop.service
J9=$(last_job shop)
check "error names the repository and restic's complaint" has_re "^repository $BAD: restic failed: .+" job "$J9" error
check "the app was not stopped"                    not_stopped
check "the app runs"                               app_active shop
machine_exec "$M" cp /root/config.good "$BAD/config"
# b) an index file damaged (restic opens the repository, then fails while the app is
# stopped): the app must be started again. restic's cache would hide the damage.
machine_exec "$M" sh -c "rm -rf /var/cache/berth/restic; f=\$(ls $BAD/index/* | head -n 1); printf 'XXXXXXXXXXXXXXXX' | dd of=\$f bs=1 seek=60 conv=notrunc status=none"
check "index damaged: the backup fails"            unit_fails berth-backup@shop.service
J10=$(last_job shop)
check "error names the repository"                 has "$BAD" job "$J10" error
check "the app had been stopped for it"            has "Stopping app 'shop'" job_log "$J10"
check "and runs again"                             wait_for 30 app_active shop
check "serves"                                     wait_for 30 shop_serves
check_eq "post hook ran, told: failed"             "failed $J10 " post_log_last

# --- 11. SFTP repository on the second machine ------------------------------------------------
# The URL carries a password (unused by ssh, which logs in with root's key): it must be
# redacted wherever berth shows the URL. ~/.ssh of root: the bed's key pair and
# StrictHostKeyChecking accept-new (machine.sh).
URLPW=UrlPassw0rd-e2e-$RANDOM$RANDOM
SFTP="sftp://root:$URLPW@$P//srv/restic-sftp"
machine_exec "$M" sh -c 'umask 077; head -c 24 /dev/urandom | base64 > /etc/berth/sftp-password'
check_eq "ssh $M -> $P as root (the key restic's ssh uses)" "$P" machine_exec "$M" ssh "root@$P" hostname
check "restic init of the SFTP repository"         eval 'RREPO=$SFTP RPW=/etc/berth/sftp-password restic_m init'
set_conf <<EOF
backup:
  repository: "$SFTP"
  password_file: /etc/berth/sftp-password
$NOTIFY_CONF
EOF
out=$E2E_SUITE_DIR/berth-backup-sftp.out
check "berth backup shop to SFTP"                  eval 'machine_exec "$M" berth backup shop > "$out" 2>&1'
J11=$(last_job shop) S11=$(job "$(last_job shop)" snapshot_id)
check_eq "job succeeded"                           succeeded job "$J11" status
check "the cache now mirrors the SFTP repository" eval 'RREPO=$SFTP RPW=/etc/berth/sftp-password cache_matches shop'
check "the snapshot is on $P"                      has "$S11" machine_exec "$P" ls /srv/restic-sftp/snapshots
check "the journal shows the URL redacted" \
  has "Backup job $J11 of app 'shop' to sftp://root:***@$P//srv/restic-sftp started" job_log "$J11"
check "berth snapshots shop: that snapshot"        has "\"$S11\"" machine_exec "$M" berth snapshots shop --json
check "quiesced"                                   quiesced "$J11"
check "app running"                                app_active shop
# sshd refusing: the error names the repository, redacted
check "stop sshd on $P"                            machine_exec "$P" systemctl stop ssh.service ssh.socket
check "backup with $P's sshd down fails"           unit_fails berth-backup@shop.service
J12=$(last_job shop)
check "error names the repository, password masked" has "repository sftp://root:***@$P//srv/restic-sftp: " job "$J12" error
check "app running"                                app_active shop
machine_exec "$P" systemctl start ssh.service

# --- 12. no credential anywhere --------------------------------------------------------------
t_no_credentials() {
  local pw
  pw=$(machine_exec "$M" sh -c "cat $PWFILE /etc/berth/damaged-password /etc/berth/sftp-password /etc/berth/wrong-password")
  # shellcheck disable=SC2016 # expanded by the guest's sh
  machine_exec "$M" sh -c '
    vals=$(mktemp); found=0
    printf "%s\n" "$1" > "$vals"
    echo "looking for $(grep -c . "$vals") values"
    scan() { local where=$1; shift; if "$@" 2>/dev/null | grep -aqF -f "$vals"; then echo "LEAK in $where"; found=1; fi; }
    scan "the journal (every field)" journalctl -o export --no-pager
    scan "the state database" sqlite3 /var/lib/berth/berth.db .dump
    scan "berth jobs --json" berth jobs --json -n 0
    scan "notifications" sh -c "cat /srv/notify/inbox/*"
    scan "metrics" cat /var/lib/prometheus/node-exporter/berth.prom
    scan "snapshot index" cat /var/lib/berth/apps/shop/snapshot-index.json
    scan "systemctl show" systemctl show "berth-*" "berth-backup@*" "berth-notify@*"
    rm -f "$vals"; exit $found' sh "$pw
$URLPW"
}
check "no repository password nor the URL's password in the journal, DB, CLI, notifications" t_no_credentials
check "the URL was in the journal, masked"       has "sftp://root:***@" machine_exec "$M" journalctl --no-pager -o cat

suite_end
