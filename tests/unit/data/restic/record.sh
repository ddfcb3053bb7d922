#!/bin/bash
# record.sh — records what a real restic prints, for tests/unit/test-restic.c.
#
#   record.sh OUTDIR "RESTIC COMMAND" "RESTIC COMMAND AS AN UNPRIVILEGED USER"
#
# e.g. on Debian 12 (restic 0.14):
#   record.sh 0.14 /usr/bin/restic "setpriv --reuid=nobody --regid=nogroup --clear-groups /usr/bin/restic"
# and with the trixie test-bed tree (restic 0.18) on an overlay MERGED with the
# host's /tmp bound into it:
#   record.sh 0.18 "chroot MERGED /usr/bin/restic" "chroot --userspec=nobody:nogroup MERGED /usr/bin/restic"
#
# Each case leaves NAME.stdout, NAME.stderr and NAME.status (the exit status).
# The work directory is under /tmp so that a chroot with /tmp bound sees it.
set -euo pipefail
out=$(realpath -m "$1"); R=$2; RN=$3
mkdir -p "$out"
w=/tmp/berth-restic-record
rm -rf "$w"; mkdir -p "$w"; chmod 0755 "$w"
trap 'rm -rf "$w"' EXIT
export RESTIC_PASSWORD_FILE=$w/password RESTIC_CACHE_DIR=$w/cache RESTIC_REPOSITORY=$w/repo TZ=UTC
printf 'correct horse battery staple\n' > "$w/password"
printf 'not the password\n' > "$w/wrong"

# rec NAME CMD...: runs, keeps stdout, stderr and status.
rec() {
  local name=$1; shift
  set +e; "$@" >"$out/$name.stdout" 2>"$out/$name.stderr"; echo $? >"$out/$name.status"; set -e
}

# Data: 200 files of 200 kB (long enough for several progress lines).
mkdir -p "$w/data/big"
for i in $(seq 1 200); do head -c 200000 /dev/urandom >"$w/data/big/f$i"; done
mkdir -p "$w/small/sub"; echo hello >"$w/small/a.txt"; echo world >"$w/small/sub/b.txt"

rec no-repo-cat-config $R cat config
rec no-repo-snapshots $R snapshots --json
rec no-repo-backup $R backup --json "$w/small"
# Remote repositories that are not there, or not reachable: a REST server that
# answers 404 (python's http.server), a refused connection (restic 0.17+
# retries that for minutes: kept only if it ends within 20 s), and an SFTP URL
# with a password in it (restic 0.14 prints that URL unredacted).
port=$((20000 + RANDOM % 20000))
mkdir -p "$w/www"
python3 -m http.server --bind 127.0.0.1 --directory "$w/www" "$port" >/dev/null 2>&1 &
web=$!
sleep 1
rec no-repo-rest env RESTIC_REPOSITORY="rest:http://berth:s3cr3t-pw@127.0.0.1:$port/repo/" $R cat config
kill $web; wait $web 2>/dev/null || true
rec unreachable-rest env RESTIC_REPOSITORY="rest:http://berth:s3cr3t-pw@127.0.0.1:1/repo/" timeout 20 $R cat config
if [ "$(cat "$out/unreachable-rest.status")" = 124 ]; then rm -f "$out"/unreachable-rest.*; fi
rec unreachable-sftp env RESTIC_REPOSITORY="sftp://berth:s3cr3t-pw@127.0.0.1:1//srv/repo" timeout 20 $R cat config
rec init $R init
rec init-exists $R init
rec backup-progress $R backup --json --tag app:demo,job:7,kind:backup --host h1 "$w/data"

# Snapshots at fixed times in a zone with a half-hour offset.
b() { TZ=Asia/Kolkata $R backup --json --host "$1" --tag "$2" --time "$3" "$w/small" >/dev/null; }
b h1 app:demo,job:8,kind:backup "2024-03-01 10:00:00"
b h1 app:demo,job:9,kind:backup "2024-03-02 10:00:00"
b h1 app:demo,job:10,kind:pre-restore "2024-03-03 10:00:00"
b h2 app:demo,job:3,kind:backup "2024-03-02 11:00:00"
b h1 app:other,job:11,kind:backup "2024-03-04 10:00:00"
b h1 untagged "2024-03-05 10:00:00"
rec snapshots $R snapshots --json
rec snapshots-tag $R snapshots --json --tag app:demo,kind:backup
rec snapshots-none $R snapshots --json --tag app:nothing
rec forget-none $R forget --json --tag app:demo --group-by host --keep-last 100
rec forget $R forget --json --tag app:demo --group-by host --keep-last 1 --keep-daily 2
rec wrong-password-cat-config env RESTIC_PASSWORD_FILE=$w/wrong $R cat config
rec wrong-password-snapshots env RESTIC_PASSWORD_FILE=$w/wrong $R snapshots --json
rec wrong-password-backup env RESTIC_PASSWORD_FILE=$w/wrong $R backup --json "$w/small"

# An exclusive lock held by a running `restic key passwd`, which waits for its
# new password on a FIFO; it is given the same password to finish.
mkfifo "$w/fifo"
$R key passwd --new-password-file "$w/fifo" >/dev/null 2>&1 &
kp=$!
for _ in $(seq 100); do [ -n "$(ls "$w/repo/locks")" ] && break; sleep 0.1; done
rec locked-cat-config $R cat config
rec locked-snapshots $R snapshots --json
rec locked-backup $R backup --json "$w/small"
rec locked-forget $R forget --json --tag app:demo --keep-last 1
rec locked-prune $R prune
cat "$w/password" >"$w/fifo"
wait $kp

# Unreadable files: an unprivileged restic meets a 000 file and directory.
urepo=$w/urepo
mkdir -p "$w/u/locked"; echo x >"$w/u/ok.txt"; echo y >"$w/u/secret.txt"; echo z >"$w/u/locked/in.txt"
chmod 000 "$w/u/secret.txt" "$w/u/locked"
cp "$w/password" "$w/upassword"; mkdir -p "$urepo" "$w/ucache"
chown nobody "$w/upassword" "$urepo" "$w/ucache"
export RESTIC_REPOSITORY=$urepo RESTIC_PASSWORD_FILE=$w/upassword RESTIC_CACHE_DIR=$w/ucache
$RN init >/dev/null
rec backup-unreadable $RN backup --json --host h1 "$w/u"
chmod 700 "$w/u/locked"
$R version >"$out/VERSION"
