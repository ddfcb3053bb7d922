#!/bin/bash
# 25-restore.sh - restore, killed at every step (issue 5): an app with two volumes is
# backed up (snapshot S = the "new" data), its live data is then changed (the "old"
# data), and S is restored: once cleanly; then killed after each numbered step of
# berth-restore (BERTH_RESTORE_FAULT=N) and, with the two-rename fallback forced, inside
# the swap; then SIGKILLed from outside at random moments. After each crash `berth
# recover` runs and every volume must be, by content checksum, wholly old or wholly new
# (never a mix, never missing; steps 1-8 old, 9-12 new), nothing of the restore left
# behind, and the app starts. Then every bad input is refused with its exit code and a
# clear message, and nothing on disk changes.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
suite_begin
RANDOM_ROUNDS=${RESTORE_RANDOM_ROUNDS:-20}
V=/var/lib/berth/apps/vault/volumes

machine_write "$M" /etc/berth/apps/vault.yaml <<'EOF'
schema: 1
name: Vault
containers:
  web:
    image: localhost/busybox:e2e
    command: ["httpd", "-f", "-p", "8080", "-h", "/data/a"]
    ports: ["127.0.0.1:18090:8080"]
    volumes: ["a:/data/a", "b:/data/b"]
volumes:
  a: {}
  b: {owner: "1000:1000", mode: "0750"}
  scratch: {backup: false}
EOF
require "install and start the app" \
  eval 'machine_exec "$M" systemctl daemon-reload && machine_exec "$M" systemctl start berth-vault.target'

# fill TAG: replace both volumes' contents by a set of files marked TAG (as root, in
# place, keeping the volume directories themselves).
fill() {
  # shellcheck disable=SC2016 # expanded by the guest's sh
  machine_exec "$M" sh -c '
    for v in a b; do
      d='"$V"'/$v; find "$d" -mindepth 1 -delete
      mkdir -p "$d/sub/deeper"
      echo "$1 index" > "$d/index.html"
      for i in 1 2 3 4 5; do yes "$1 $v $i" | head -c $((i * 70000)) > "$d/sub/file$i"; done
      echo "$1" > "$d/sub/deeper/tag"; ln -sf ../index.html "$d/sub/link"
    done' sh "$1"
}
# sum VOLUME: a checksum of a volume's tree (names, types, modes, owners, file contents).
sum() {
  # shellcheck disable=SC2016
  machine_exec "$M" sh -c 'cd "$1" && { find . -printf "%P %y %m %U:%G %l\n" | sort; find . -type f -print0 | sort -z | xargs -0 -r md5sum; } | md5sum | cut -c1-32' sh "$V/$1"
}
both() { echo "$(sum a) $(sum b)"; }
leftovers() { machine_exec "$M" sh -c "ls -A $V | grep '^\.berth-' ; ls -A /var/lib/berth/journal 2>/dev/null"; }
clean() { local l; l=$(leftovers); [ -z "$l" ] || { echo "left behind: $l"; return 1; }; }
app_up() { machine_exec "$M" systemctl start berth-vault.target && [ "$(unit_prop "$M" berth-vault-web.service ActiveState)" = active ]; }
# json_field KEY: the values of "KEY": "..." in JSON on stdin, whatever the spacing.
json_field() { grep -o "\"$1\": *\"[^\"]*\"" | sed 's/.*: *"\(.*\)"/\1/'; }
snap_newest() { machine_exec "$M" berth snapshots --json vault | json_field id | tail -1; }

fill new
require "backup of the new data"       machine_exec "$M" berth backup vault
S=$(snap_newest); NEW=$(both)
require "the snapshot id is known"     eval '[ -n "$S" ]'
note "snapshot $S; new data $NEW"
fill old; OLD=$(both)
note "old data $OLD"
require "old and new differ"           eval '[ "$OLD" != "$NEW" ] && [ "${OLD% *}" != "${NEW% *}" ] && [ "${OLD#* }" != "${NEW#* }" ]'

# --- happy path ---------------------------------------------------------------------------
check    "berth restore --yes vault S"                    machine_exec "$M" berth restore --yes vault "$S"
check_eq "both volumes hold the snapshot"   "$NEW"         both
check    "nothing left behind"                            clean
check    "the app runs again"                             app_up
check_eq "it serves the restored data"      "new index"    http_get "$M" http://127.0.0.1:18090/index.html
t_pre() { machine_exec "$M" berth snapshots --json vault | json_field kind | grep -qx pre-restore; }
check    "a pre-restore snapshot was taken and is listed" t_pre
t_owner() { [ "$(machine_exec "$M" stat -c '%a %u' "$V/b")" = "750 $(( $(machine_exec "$M" stat -c %u "$V/a") + 1000 ))" ]; }
check    "volume b keeps its owner (1000 in the range) and mode" t_owner
t_job() { machine_exec "$M" berth jobs --json -n 1 vault | json_field status; }
check_eq "the job says so" "succeeded" t_job

# --- a kill at every step -----------------------------------------------------------------
# one_fault KNOB FALLBACK WANT: restore from the old state, killed at KNOB; recover; check.
one_fault() {
  local knob=$1 fb=$2 want=$3 got rc
  fill old
  app_up || { echo "app not running before"; return 1; }
  machine_exec "$M" env BERTH_RESTORE_FAULT="$knob" BERTH_RESTORE_FALLBACK="$fb" berth restore --yes vault "$S" >/dev/null 2>&1
  rc=$?
  [ "$rc" != 0 ] || { echo "restore killed at $knob reported success"; return 1; }
  machine_exec "$M" berth recover || { echo "berth recover failed"; return 1; }
  got=$(both)
  case $want in
    old) [ "$got" = "$OLD" ] || { echo "after a kill at $knob: $got, expected wholly old $OLD (new is $NEW)"; return 1; } ;;
    new) [ "$got" = "$NEW" ] || { echo "after a kill at $knob: $got, expected wholly new $NEW (old is $OLD)"; return 1; } ;;
  esac
  clean && app_up
}
for step in 1 2 3 4 5 6 7 8 9 10 11 12; do
  want=old; [ "$step" -ge 9 ] && want=new
  check "killed after step $step (RENAME_EXCHANGE): wholly $want, clean, app starts" one_fault "$step" 0 "$want"
done
for knob in 6 r1 r2 r3 7 8 9; do
  want=old; [ "$knob" = 9 ] && want=new
  check "killed at $knob (two-rename fallback): wholly $want, clean, app starts" one_fault "$knob" 1 "$want"
done

# --- SIGKILL from outside at random moments -----------------------------------------------
t_random() {
  local round=$1 delay got pid
  fill old
  app_up || return 1
  delay=$(( RANDOM % 5000 ))
  machine_exec "$M" berth restore --yes vault "$S" >/dev/null 2>&1 &
  local cli=$!
  sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
  pid=$(unit_prop "$M" berth-restore@vault.service MainPID 2>/dev/null)
  [ -n "$pid" ] && [ "$pid" != 0 ] && machine_exec "$M" kill -9 "$pid"
  wait "$cli"
  machine_exec "$M" berth recover >/dev/null || { echo "round $round: berth recover failed"; return 1; }
  got=$(both)
  if [ "$got" = "$OLD" ]; then echo "round $round: killed after ${delay} ms (pid ${pid:-none}): wholly old"; echo old >> "$TALLY"
  elif [ "$got" = "$NEW" ]; then echo "round $round: killed after ${delay} ms (pid ${pid:-none}): wholly new"; echo new >> "$TALLY"
  else echo "round $round: killed after ${delay} ms: MIX $got (old $OLD, new $NEW)"; return 1; fi
  clean && app_up
}
TALLY=$(mktemp)
for ((i = 1; i <= RANDOM_ROUNDS; i++)); do
  check "random SIGKILL, round $i: wholly old or wholly new, clean, app starts" t_random "$i"
done
note "random kills: $(grep -c old "$TALLY") ended wholly old, $(grep -c new "$TALLY") wholly new"
rm -f "$TALLY"

# --- bad inputs: refused, and nothing on disk changes --------------------------------------
fill old
app_up
state() { echo "$(both) | $(leftovers) | $(machine_exec "$M" ls -A "$V" | tr '\n' ' ')"; }
BEFORE=$(state)
# refused CODE TEXT ARGS...: berth restore ARGS exits CODE, says TEXT, changes nothing.
refused() {
  local code=$1 text=$2 out rc; shift 2
  out=$(machine_exec "$M" berth restore --yes "$@" 2>&1); rc=$?
  [ "$rc" = "$code" ] || { echo "exit $rc, expected $code:"; echo "$out"; return 1; }
  grep -qF -- "$text" <<< "$out" || { echo "message lacks '$text':"; echo "$out"; return 1; }
  [ "$(state)" = "$BEFORE" ] || { echo "disk changed: $(state) (was $BEFORE)"; return 1; }
}
check "unknown snapshot: exit 4, nothing changed"   refused 4 "no snapshot 'deadbeef'" vault deadbeef
machine_write "$M" /etc/berth/apps/other.yaml <<'EOF'
schema: 1
containers: {c: {image: localhost/busybox:e2e, command: ["sleep", "1000000"]}}
volumes: {a: {}}
EOF
machine_exec "$M" systemctl daemon-reload
machine_exec "$M" systemctl start berth-other.target
machine_exec "$M" berth backup other >/dev/null
OTHER=$(machine_exec "$M" berth snapshots --json other | json_field id | tail -1)
check "another app's snapshot: exit 4, nothing changed" refused 4 "belongs to app 'other'" vault "$OTHER"
# The lock held for 5 s (flock and its sleep both hold it): the check runs within them.
machine_exec "$M" flock /run/berth/lock/vault sleep 5 &
lockpid=$!
t_locked() { ! machine_exec "$M" flock -n /run/berth/lock/vault true; }
wait_for 5 t_locked >/dev/null
check "lock held: exit 6, nothing changed"          refused 6 "is busy" vault "$S"
wait "$lockpid"
# A manifest changed since the snapshot: a volume added, a volume removed.
machine_exec "$M" cp /etc/berth/apps/vault.yaml /root/vault.yaml.orig
machine_exec "$M" sed -i 's/^  scratch: {backup: false}/  scratch: {backup: false}\n  c: {}/' /etc/berth/apps/vault.yaml
check "manifest gained a volume: exit 4, nothing changed" refused 4 "volume 'c' is not in the snapshot" vault "$S"
machine_exec "$M" sh -c "sed -i -e '/^  b: /d' -e 's/, \"b:\/data\/b\"//' /etc/berth/apps/vault.yaml; sed -i '/^  c: {}/d' /etc/berth/apps/vault.yaml"
check "manifest lost a volume: exit 4, nothing changed" refused 4 "no longer declares" vault "$S"
machine_exec "$M" cp /root/vault.yaml.orig /etc/berth/apps/vault.yaml
check "--volume naming an unknown volume: exit 4"   refused 4 "has no volume 'zz'" --volume zz vault "$S"
check "--volume naming a volume not backed up: exit 4" refused 4 "not backed up" --volume scratch vault "$S"
# Not enough space: volume a moved to a small filesystem (a host path berth.conf allows).
machine_exec "$M" sh -c 'mkdir -p /srv/small && mount -t tmpfs -o size=600k tmpfs /srv/small && printf "host_paths: [/srv/small]\n" > /etc/berth/berth.conf'
machine_exec "$M" sed -i 's|^  a: {}|  a: {path: /srv/small/a}|' /etc/berth/apps/vault.yaml
machine_exec "$M" sh -c 'mkdir -p /srv/small/a && cp -a '"$V"'/a/index.html /srv/small/a/'
BEFORE_SMALL=$(machine_exec "$M" sh -c 'ls -lAR /srv/small | md5sum')
t_space() {
  refused 5 "not enough space for volume 'a'" vault "$S" || return 1
  [ "$(machine_exec "$M" sh -c 'ls -lAR /srv/small | md5sum')" = "$BEFORE_SMALL" ] || { echo "/srv/small changed"; return 1; }
}
check "not enough space: exit 5, nothing changed"   t_space
machine_exec "$M" cp /root/vault.yaml.orig /etc/berth/apps/vault.yaml
machine_exec "$M" umount /srv/small
# Repository unreachable: berth.conf names one that is not there.
machine_exec "$M" sh -c 'printf "backup:\n  repository: /srv/nowhere/repo\n  password_file: /var/lib/berth/restic-password\n" > /etc/berth/berth.conf'
check "repository unreachable: exit 7, nothing changed" refused 7 "/srv/nowhere/repo" vault "$S"
machine_exec "$M" rm -f /etc/berth/berth.conf
check "no failed berth units" eval "! machine_exec \"\$M\" systemctl --failed --no-legend --plain | grep -q berth"

suite_end
