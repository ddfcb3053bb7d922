#!/bin/bash
# 22-upgrade.sh - the pre-upgrade snapshot (DESIGN.md §1 "data is sacred", §4 prepare).
# An app's first start records its manifest and snapshots nothing; a restart with the
# manifest unchanged snapshots nothing. After a change (a drop-in, then the file itself)
# the next start snapshots the data as the old manifest left it - before any container of
# the new one has run - tagged kind:pre-upgrade, recorded as a job of its own that is
# not the app's last backup. A repository that cannot be written fails prepare: the app
# stays down, the journal says why and what to do, and the next start after the fix
# takes the snapshot. A manifest edited without daemon-reload is refused until the
# reload (the units would still run the old one). backup.upgrade_snapshot: false in
# berth.conf starts without one.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
suite_begin

V=/var/lib/berth/apps/wiki/volumes
REPO=/var/lib/berth/backup                # the embedded default repository
PWFILE=/var/lib/berth/restic-password
CONF=/etc/berth/berth.conf
DROPIN=/etc/berth/apps/wiki.yaml.d/version.yaml

# wiki: every start of its container appends "start <VERSION>" to its data volume, so a
# snapshot tells which manifests had run when it was taken.
wiki_manifest() {
  cat <<EOF
schema: 1
name: Wiki
containers:
  app:
    image: localhost/busybox:e2e
    command: ["sh", "-c", "echo \"start \$VERSION\" >> /data/starts; exec httpd -f -p 8082 -h /data"]
    environment: {VERSION: "$1"}
    volumes: ["data:/data"]
volumes:
  data: {}
EOF
}

restic_m() {
  machine_exec "$M" env RESTIC_REPOSITORY="$REPO" RESTIC_PASSWORD_FILE="$PWFILE" \
    RESTIC_CACHE_DIR=/var/cache/e2e-restic restic "$@"
}
sql() { machine_exec "$M" sqlite3 -batch -noheader /var/lib/berth/berth.db "$1"; }
upgrade_jobs() { sql "SELECT count(*) FROM jobs WHERE app = 'wiki' AND kind = 'pre-upgrade'"; }
last_upgrade_job() { sql "SELECT max(id) FROM jobs WHERE app = 'wiki' AND kind = 'pre-upgrade'"; }
job() { sql "SELECT $2 FROM jobs WHERE id = $1"; }
backup_jobs() { sql "SELECT count(*) FROM jobs WHERE app = 'wiki' AND kind = 'backup'"; }
recorded() { sql "SELECT sha256 FROM app_manifests WHERE app = 'wiki'"; }
# snaps: the ids of wiki's pre-upgrade snapshots in the repository, oldest first.
snaps() {
  restic_m snapshots --json --tag app:wiki,kind:pre-upgrade |
    python3 -c 'import json,sys; [print(s["id"]) for s in sorted(json.load(sys.stdin) or [], key=lambda s: s["time"])]'
}
n_snaps() { snaps | grep -c .; }
starts_in() { restic_m dump "$1" "$V/data/starts"; }
live_starts() { machine_exec "$M" cat "$V/data/starts"; }
restart() { machine_exec "$M" systemctl restart berth-wiki.target; }
app_up() { [ "$(unit_prop "$M" berth-wiki-app.service ActiveState)" = active ]; }
# Small words for checks: has TEXT CMD / has_re REGEX CMD
# (CMD's output holds TEXT / a line matching REGEX); has_line A B CMD (one line of
# CMD's output holds both); _ne OLD CMD (CMD prints something, and not OLD).
has() { local t=$1 o; shift; o=$("$@" 2>&1); grep -qF -- "$t" <<< "$o" || { echo "no '$t' in:"; echo "$o"; return 1; }; }
has_re() { local t=$1 o; shift; o=$("$@" 2>&1); grep -qE -- "$t" <<< "$o" || { echo "no /$t/ in:"; echo "$o"; return 1; }; }
has_line() {
  local a=$1 b=$2 o; shift 2; o=$("$@" 2>&1)
  grep -F -- "$a" <<< "$o" | grep -qF -- "$b" || { echo "no line with '$a' and '$b' in:"; echo "$o"; return 1; }
}
_ne() { local old=$1 got; shift; got=$("$@") || return 1; echo "before: $old, now: $got"; [ -n "$got" ] && [ "$got" != "$old" ]; }
prepare_log() { machine_exec "$M" journalctl --no-pager -o cat -u berth-wiki-prepare.service; }

# --- first start: recorded, nothing snapshotted --------------------------------------------
wiki_manifest 1 | app_put "$M" wiki
require "install and start wiki (VERSION 1)"       machine_exec "$M" systemctl start berth-wiki.target
check "its container ran"                          wait_for 30 app_up
check_eq "it wrote 'start 1'"                      "start 1" live_starts
check "the manifest is recorded (its SHA-256)"    has_re '^[0-9a-f]{64}$' recorded
H1=$(recorded)
check_eq "no pre-upgrade job"                      0 upgrade_jobs
check "no repository made for it"                  machine_exec "$M" test ! -e "$REPO/config"
check "prepare said it recorded the first start" \
  has "Recorded the manifest of app 'wiki' (its first start here)" prepare_log

# --- unchanged: restarted, nothing snapshotted ---------------------------------------------
check "restart with the manifest unchanged"        restart
check_eq "still no pre-upgrade job"                0 upgrade_jobs
check_eq "the same manifest recorded"              "$H1" recorded

# --- a drop-in changes it: the next start snapshots the old data first ---------------------
machine_write "$M" "$DROPIN" <<'EOF'
containers: {app: {environment: {VERSION: "2"}}}
EOF
machine_exec "$M" systemctl daemon-reload
check_eq "daemon-reload alone snapshots nothing"  0 upgrade_jobs
check "restart after the drop-in (VERSION 2)"      restart
check "the container runs"                         wait_for 30 app_up
J1=$(last_upgrade_job)
check_eq "one pre-upgrade job, succeeded, exit 0"  "1|succeeded|0" sql \
  "SELECT count(*) || '|' || max(status) || '|' || max(exit_code) FROM jobs WHERE app = 'wiki' AND kind = 'pre-upgrade'"
S1=$(job "$J1" snapshot_id)
check_eq "one kind:pre-upgrade snapshot in the repository, the job's" "$S1" snaps
check "tagged app:wiki, job:$J1, kind:pre-upgrade" \
  has "\"$S1\"" restic_m snapshots --json --tag "app:wiki,job:$J1,kind:pre-upgrade"
check_eq "it holds the data before VERSION 2 ever ran" "$(printf 'start 1\nstart 1')" starts_in "$S1"
check_eq "live data: VERSION 2 started after it"   "$(printf 'start 1\nstart 1\nstart 2')" live_starts
check "the new manifest is recorded"               _ne "$H1" recorded
H2=$(recorded)
check_eq "not the app's last backup (no backup job)" 0 backup_jobs
check "berth snapshots lists it as pre-upgrade" \
  has_line "${S1:0:8}" pre-upgrade machine_exec "$M" berth snapshots wiki --cached
check "prepare named the change and the snapshot" \
  has "Pre-upgrade snapshot $S1 of app 'wiki' saved (job $J1)" prepare_log
job_lines() { machine_exec "$M" journalctl --no-pager -o cat APP=wiki PHASE=prepare JOB="$1"; }
check "the snapshot's lines carry APP=, PHASE=prepare and JOB=$J1" \
  eval 'job_lines "$J1" | grep -q "^Taking a pre-upgrade snapshot of app .wiki. (job $J1)" && job_lines "$J1" | grep -qE "^Snapshot [0-9a-f]{8} saved"'
check "restart, unchanged again: no new job"       restart
check_eq "still one pre-upgrade job"               1 upgrade_jobs

# --- the file itself changes, the repository is broken: prepare fails, the app stays down --
# systemctl stop of the target returns before its units have stopped (the target is
# ordered after them); a start given meanwhile would cancel prepare's pending stop and
# continue the previous run. berth's own tools wait for the whole app; so does this.
stopped() { [ "$(machine_exec "$M" systemctl show -P ActiveState berth-wiki-prepare.service berth-wiki-app.service | sort -u | xargs)" = inactive ]; }
check "wiki stopped"                               machine_exec "$M" systemctl stop berth-wiki.target
check "... all its units"                          wait_for 60 stopped
machine_exec "$M" mv "$PWFILE" "$PWFILE.away"
machine_exec "$M" sh -c "head -c 48 /dev/urandom | base64 -w0 > $PWFILE && chmod 600 $PWFILE"
wiki_manifest 3 | machine_write "$M" /etc/berth/apps/wiki.yaml
machine_exec "$M" rm -f "$DROPIN"
machine_exec "$M" systemctl daemon-reload
BEFORE=$(live_starts)
# The administrator's notify command (berth.conf): each message appended to a file.
machine_write "$M" "$CONF" <<'EOF'
notify:
  command: ["sh", "-c", "echo \"$BERTH_MESSAGE\" >> /run/e2e-notified"]
EOF
notified() { machine_exec "$M" cat /run/e2e-notified; }
# The target starts (it only wants its containers); its prepare service fails, and the
# container, which requires it, is not started.
check "start with a wrong repository password"     machine_exec "$M" systemctl start berth-wiki.target
check_eq "prepare failed"                          failed unit_prop "$M" berth-wiki-prepare.service ActiveState
check_eq "the container never started"             inactive unit_prop "$M" berth-wiki-app.service ActiveState
check_eq "no VERSION 3 start in the data"          "$BEFORE" live_starts
J2=$(last_upgrade_job)
check_eq "a second pre-upgrade job, failed, exit 1" "failed|1" job "$J2" "CASE WHEN id > $J1 THEN status || '|' || exit_code END"
check "its error names the repository's password" has "wrong repository password" job "$J2" error
check_eq "the change is not recorded"              "$H2" recorded
check "the journal says why and what to do" \
  has "Not starting app 'wiki': it needs a pre-upgrade snapshot, and the snapshot (job $J2) failed" prepare_log
check "... how to retry, and backup.upgrade_snapshot: false" \
  has "restart the app (systemctl restart berth-wiki.target), or set backup.upgrade_snapshot: false in $CONF" prepare_log
check "the administrator is notified, with the snapshot's error" wait_for 30 has \
  "berth: berth-wiki-prepare.service failed (pre-upgrade job $J2): restic backup to repository /var/lib/berth/backup: wrong repository password" notified

# --- fixed: the next start takes the snapshot, then runs VERSION 3 -------------------------
machine_exec "$M" mv -f "$PWFILE.away" "$PWFILE"
check "restart after the fix, as the message says" machine_exec "$M" systemctl restart berth-wiki.target
check "the container runs"                         wait_for 30 app_up
J3=$(last_upgrade_job)
check_eq "a third pre-upgrade job, succeeded"      succeeded job "$J3" "CASE WHEN id > $J2 THEN status END"
S3=$(job "$J3" snapshot_id)
check_eq "two pre-upgrade snapshots now"           "$(printf '%s\n%s' "$S1" "$S3")" snaps
check_eq "the new one holds the data before VERSION 3 ran" "$BEFORE" starts_in "$S3"
check "VERSION 3 started after it"                 has "start 3" live_starts
check "recorded now"                               _ne "$H2" recorded

# --- edited without daemon-reload: refused, nothing snapshotted or recorded ---------------
# systemd still has the units of VERSION 3 (the manifest is their SourcePath=): a snapshot
# now would be recorded for VERSION 4 while VERSION 3 kept running.
J3N=$(upgrade_jobs)
H3=$(recorded)
wiki_manifest 4 | machine_write "$M" /etc/berth/apps/wiki.yaml
check_eq "systemd says the units need a reload"    yes unit_prop "$M" berth-wiki-prepare.service NeedDaemonReload
check "restart without daemon-reload"              restart
check_eq "prepare refused"                         failed unit_prop "$M" berth-wiki-prepare.service ActiveState
check "... saying to reload first" \
  has "its manifest changed on disk after the last 'systemctl daemon-reload', so its units are those of the old one" prepare_log
check_eq "no job, nothing recorded"                "$J3N $H3" eval 'echo "$(upgrade_jobs) $(recorded)"'
check "notified, pointing at the journal (the last snapshot job is not the reason)" wait_for 30 has \
  "berth: berth-wiki-prepare.service failed; see journalctl -u berth-wiki-prepare.service" notified
machine_exec "$M" systemctl daemon-reload
check "reloaded and restarted"                     restart
check "the container runs"                         wait_for 30 app_up
check_eq "now snapshotted: one more job, succeeded" "$((J3N + 1)) succeeded" eval \
  'echo "$(upgrade_jobs) $(job "$(last_upgrade_job)" status)"'
check "VERSION 4 started"                          has "start 4" live_starts

# --- switched off in berth.conf: a change starts without a snapshot ------------------------
machine_write "$M" "$CONF" <<'EOF'
backup:
  upgrade_snapshot: false
EOF
wiki_manifest 5 | app_put "$M" wiki
check "restart with VERSION 5, upgrade_snapshot: false" restart
check "the container runs"                         wait_for 30 app_up
check_eq "no new pre-upgrade job"                  4 upgrade_jobs
check "VERSION 5 started"                          has "start 5" live_starts
check "prepare warned that it took none" \
  has "App 'wiki' starts without a pre-upgrade snapshot: backup.upgrade_snapshot is false in $CONF" prepare_log
machine_exec "$M" rm -f "$CONF"
check "no failed units at the end"                 no_failed_units "$M"

suite_end
