#!/bin/bash
# 23-uninstall.sh - berth uninstall (DESIGN.md §4): the app stopped (all of it), its
# manifest removed, systemd reloaded so its units are gone, its podman network and
# secrets removed, its data and secret files kept - a reinstall finds them again. A
# manifest under /usr/lib is masked instead (/etc/berth/apps/ID.yaml -> /dev/null).
# --purge deletes the data and secrets, only after a snapshot of them (kind pre-purge)
# is saved: with a broken repository nothing is deleted and the app runs again; off a
# terminal it wants --yes. Unknown and invalid apps are refused with exit status 3.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
suite_begin

A=/var/lib/berth/apps/pad
SECRET=/var/lib/berth/secrets/pad/token
REPO=/var/lib/berth/backup
PWFILE=/var/lib/berth/restic-password

pad_manifest() {
  cat <<'EOF'
schema: 1
name: Pad
containers:
  app:
    image: localhost/busybox:e2e
    command: ["sh", "-c", "date +%s%N >> /data/starts; exec httpd -f -p 8083 -h /data"]
    environment: {TOKEN: {secret: token}}
    volumes: ["data:/data"]
volumes:
  data: {}
secrets:
  token: {generate: {length: 24}}
EOF
}

restic_m() {
  machine_exec "$M" env RESTIC_REPOSITORY="$REPO" RESTIC_PASSWORD_FILE="$PWFILE" \
    RESTIC_CACHE_DIR=/var/cache/e2e-restic restic "$@"
}
sql() { machine_exec "$M" sqlite3 -batch -noheader /var/lib/berth/berth.db "$1"; }
fails() { ! "$@"; }
has() { local t=$1 o; shift; o=$("$@" 2>&1); grep -qF -- "$t" <<< "$o" || { echo "no '$t' in:"; echo "$o"; return 1; }; }
# rc WANT CMD...: CMD exits with status WANT (its output shown).
rc() { local want=$1 got; shift; "$@"; got=$?; echo "exit status $got"; [ "$got" = "$want" ]; }
up() { [ "$(unit_prop "$M" berth-pad-app.service ActiveState)" = active ]; }
gone() {  # no unit of the app is loaded, none runs
  local u s
  for u in berth-pad.target berth-pad-prepare.service berth-pad-app.service; do
    s=$(machine_exec "$M" systemctl show -P LoadState,ActiveState "$u" | xargs)
    echo "$u: $s"
    [ "$s" = "not-found inactive" ] || return 1
  done
}
podman_has() { machine_exec "$M" podman "$1" inspect "$2" >/dev/null 2>&1; }
token() { machine_exec "$M" cat "$SECRET"; }
new_token() { local t; t=$(token) || return 1; echo "before: $TOKEN0, now: $t"; [ -n "$t" ] && [ "$t" != "$TOKEN0" ]; }
uninstall_out=$E2E_SUITE_DIR/uninstall.out
run_uninstall() { machine_exec "$M" berth uninstall "$@" > "$uninstall_out" 2>&1; local s=$?; cat "$uninstall_out"; return $s; }

# --- installed and running ---------------------------------------------------------------
pad_manifest | app_put "$M" pad
require "install and start pad"                     machine_exec "$M" systemctl start berth-pad.target
check "it runs"                                     wait_for 30 up
machine_exec "$M" sh -c "echo 'keep me' > $A/volumes/data/notes.txt"
TOKEN0=$(token)
check "its secret was generated"                    test -n "$TOKEN0"
check "podman has its secret and network"           eval 'podman_has secret berth-pad.token && podman_has network berth-pad'

# --- uninstall: units gone, data kept ----------------------------------------------------
check "berth uninstall pad (exit 0)"                run_uninstall pad
check "it said what it removed and kept" \
  eval "grep -qF 'Removed /etc/berth/apps/pad.yaml' '$uninstall_out' && grep -qF \"Uninstalled app 'pad'; its data and secrets stay\" '$uninstall_out'"
check "the manifest is gone"                        machine_exec "$M" test ! -e /etc/berth/apps/pad.yaml
check "no unit of the app is loaded or running"     gone
check "no container left"                           fails podman_has container pad-app
check "podman secret and network removed"           eval '! podman_has secret berth-pad.token && ! podman_has network berth-pad'
check_eq "its data stays"                           "keep me" machine_exec "$M" cat "$A/volumes/data/notes.txt"
check_eq "its secret file stays"                    "$TOKEN0" token
check "no failed units"                             no_failed_units "$M"
check "uninstalled again: no such app, exit 3"      rc 3 run_uninstall pad
check "... and it says so"                          has "no app 'pad' is installed" cat "$uninstall_out"

# --- reinstalled: the same data and secret -----------------------------------------------
pad_manifest | app_put "$M" pad
check "reinstalled and started"                     machine_exec "$M" systemctl start berth-pad.target
check "it runs"                                     wait_for 30 up
check_eq "with the same secret (not regenerated)"   "$TOKEN0" token
check_eq "and its data"                             "keep me" machine_exec "$M" cat "$A/volumes/data/notes.txt"

# --- a vendor manifest is masked, not deleted ----------------------------------------------
pad_manifest | sed 's/Pad/Vendor/; s/8083/8084/' | machine_write "$M" /usr/lib/berth/apps/vend.yaml
machine_exec "$M" systemctl daemon-reload
check "vendor app started"                          machine_exec "$M" systemctl start berth-vend.target
check "berth uninstall vend (exit 0)"               run_uninstall vend
check_eq "masked in /etc"                           /dev/null machine_exec "$M" readlink /etc/berth/apps/vend.yaml
check "the vendor manifest stays"                   machine_exec "$M" test -s /usr/lib/berth/apps/vend.yaml
check_eq "its units are gone"                       not-found unit_prop "$M" berth-vend.target LoadState
check "uninstalled again: masked, exit 3"           rc 3 run_uninstall vend
check "... and it says so"                          has "app 'vend' is masked" cat "$uninstall_out"

# --- purge: refused off a terminal, then with a broken repository --------------------------
check "--purge without --yes off a terminal: exit 2" rc 2 run_uninstall --purge pad
check "... the app still runs"                      up
machine_exec "$M" sh -c "mkdir -p /var/lib/berth && head -c 32 /dev/urandom | base64 -w0 > $PWFILE && chmod 600 $PWFILE"
machine_exec "$M" sh -c "RESTIC_PASSWORD_FILE=$PWFILE restic init -q -r $REPO" >/dev/null 2>&1
machine_exec "$M" sh -c "head -c 32 /dev/urandom | base64 -w0 > $PWFILE"   # now the wrong password
check "--purge with a wrong repository password: exit 1" rc 1 run_uninstall --purge --yes pad
check "... naming the snapshot's failure" \
  has "Not purging app 'pad': its pre-purge snapshot" cat "$uninstall_out"
check "... nothing deleted"                         machine_exec "$M" test -s "$A/volumes/data/notes.txt" -a -s "$SECRET"
check "... the manifest stays"                      machine_exec "$M" test -s /etc/berth/apps/pad.yaml
check "... and the app runs again"                  wait_for 30 up
check_eq "a failed pre-purge job"                   failed sql "SELECT status FROM jobs WHERE app = 'pad' AND kind = 'pre-purge' ORDER BY id DESC LIMIT 1"

# --- purge: snapshot first, then everything goes -----------------------------------------
machine_exec "$M" rm -rf "$REPO" "$PWFILE"    # the embedded default again: made on first use
check "berth uninstall --purge --yes pad (exit 0)"  run_uninstall --purge --yes pad
J=$(sql "SELECT max(id) FROM jobs WHERE app = 'pad' AND kind = 'pre-purge'")
check_eq "the pre-purge job succeeded"              succeeded sql "SELECT status FROM jobs WHERE id = $J"
S=$(sql "SELECT snapshot_id FROM jobs WHERE id = $J")
check "its snapshot is tagged kind:pre-purge" \
  has "\"$S\"" restic_m snapshots --json --tag "app:pad,job:$J,kind:pre-purge"
check_eq "it holds the data"                        "keep me" restic_m dump "$S" "$A/volumes/data/notes.txt"
check_eq "and the secret"                           "$TOKEN0" restic_m dump "$S" "$SECRET"
check "the app's directory is gone"                 machine_exec "$M" test ! -e "$A"
check "its secrets are gone"                        machine_exec "$M" test ! -e /var/lib/berth/secrets/pad
check "no unit of the app is loaded or running"     gone
check_eq "its recorded manifest is forgotten"       0 sql "SELECT count(*) FROM app_manifests WHERE app = 'pad'"
check "it said so"                                  has "Uninstalled app 'pad', its data and secrets purged" cat "$uninstall_out"

# --- installed after a purge: a fresh app --------------------------------------------------
pad_manifest | app_put "$M" pad
check "installed again and started"                 machine_exec "$M" systemctl start berth-pad.target
check "it runs"                                     wait_for 30 up
check "a new secret"                                new_token
check "no old data"                                 machine_exec "$M" test ! -e "$A/volumes/data/notes.txt"
check "its first start again, for prepare" \
  has "Recorded the manifest of app 'pad' (its first start here)" \
  machine_exec "$M" journalctl --no-pager -o cat -u berth-pad-prepare.service

# --- bad input ------------------------------------------------------------------------------
check "an unknown app: exit 3"                      rc 3 run_uninstall nosuch
check "not an app id: exit 2"                       rc 2 run_uninstall 'Bad..Id'
machine_write "$M" /etc/berth/apps/broken.yaml <<'EOF'
schema: 1
containers: {app: {image: localhost/busybox:e2e, bogus: 1}}
EOF
check "an invalid manifest: exit 3"                 rc 3 run_uninstall broken
check "... naming the problem and what to do" \
  eval "grep -qF 'broken.yaml:2:' '$uninstall_out' && grep -qF 'fix it and run' '$uninstall_out'"
check "... the manifest stays"                      machine_exec "$M" test -s /etc/berth/apps/broken.yaml
check "no failed units at the end"                  no_failed_units "$M"

suite_end
