#!/bin/bash
# restore-suite.sh - the measurements of bench/restore, run inside a booted test machine
# (tests/e2e/run.sh runs it like a suite). For a 100 MB and a 5 GB snapshot of one app:
# berth restore's downtime (the app's container stopped → active again, from systemd's
# own timestamps; and as berth-restore measured it), berth restore's total time, and a
# bare `restic restore` of the same snapshot into an empty directory.
# shellcheck source=../../tests/e2e/lib.sh
. "$E2E_SRC/tests/e2e/lib.sh"
suite_begin
SMALL_MB=${BENCH_SMALL_MB:-100}
LARGE_MB=${BENCH_LARGE_MB:-5120}

# make_app NAME MB: an app whose volume holds MB of data in files of 1-16 MB (and 2,000
# small ones), backed up once; prints the snapshot id.
make_app() {
  local app=$1 mb=$2
  printf 'schema: 1\ncontainers:\n  web:\n    image: localhost/busybox:e2e\n    command: ["httpd", "-f", "-p", "8080", "-h", "/data"]\n    volumes: ["data:/data"]\nvolumes:\n  data: {}\n' \
    | machine_write "$M" "/etc/berth/apps/$app.yaml"
  machine_exec "$M" systemctl daemon-reload
  machine_exec "$M" systemctl start "berth-$app.target" || return 1
  # shellcheck disable=SC2016
  machine_exec "$M" sh -c '
    d=/var/lib/berth/apps/$1/volumes/data; left=$(( $2 * 1048576 )); i=0
    mkdir -p "$d/small"
    for j in $(seq 1 2000); do echo "small file $j" > "$d/small/$j"; done
    while [ $left -gt 0 ]; do
      size=$(( (i % 16 + 1) * 1048576 )); [ $size -gt $left ] && size=$left
      head -c $size /dev/urandom > "$d/f$i"; left=$(( left - size )); i=$((i + 1))
    done' sh "$app" "$mb" || return 1
  machine_exec "$M" berth backup "$app" >/dev/null || return 1
  machine_exec "$M" sh -c "berth snapshots --json $app | grep -o '\"id\": *\"[0-9a-f]*\"' | tail -1 | sed 's/.*\"\\([0-9a-f]*\\)\"/\\1/'"
}

ts() { unit_prop "$M" "$1" "$2"; }
# measure APP SNAP MB: restore it; print one result line.
measure() {
  local app=$1 snap=$2 mb=$3 t0 t1 stop active job_down bare
  machine_exec "$M" sh -c "echo changed > /var/lib/berth/apps/$app/volumes/data/f0" # the live data differs
  machine_exec "$M" sync
  t0=$(date +%s%N)
  machine_exec "$M" berth restore --yes "$app" "$snap" >/dev/null || return 1
  t1=$(date +%s%N)
  stop=$(ts "berth-$app-web.service" ActiveExitTimestampMonotonic)
  active=$(ts "berth-$app-web.service" ActiveEnterTimestampMonotonic)
  # a restore that did not stop the app measured no downtime: not a result
  [ "$stop" -gt 0 ] && [ "$active" -gt "$stop" ] || { echo "app $app was not stopped and started by the restore"; return 1; }
  job_down=$(machine_exec "$M" sh -c "berth jobs --json -n 1 $app | grep -o '\"downtime\": *[0-9.]*' | sed 's/.*: *//'")
  # bare restic: the same snapshot, repository and cache, into an empty directory on
  # the same filesystem; page cache dropped before it as before berth's (the same)
  machine_exec "$M" sh -c 'rm -rf /var/lib/berth/bare; sync; echo 3 > /proc/sys/vm/drop_caches' 2>/dev/null
  bare=$(machine_exec "$M" sh -c "t0=\$(date +%s%N); RESTIC_REPOSITORY=/var/lib/berth/backup RESTIC_PASSWORD_FILE=/var/lib/berth/restic-password RESTIC_CACHE_DIR=/var/cache/berth/restic restic restore $snap --target /var/lib/berth/bare >/dev/null && echo \$(( (\$(date +%s%N) - t0) / 1000000 ))")
  machine_exec "$M" rm -rf /var/lib/berth/bare
  printf 'RESULT %s %s %s %s %s\n' "$mb" "$(( (active - stop) / 1000 ))" "$job_down" "$(( (t1 - t0) / 1000000 ))" "$bare"
}

small=$(make_app small "$SMALL_MB") && large=$(make_app large "$LARGE_MB") || { echo "setup failed"; suite_end; }
# both apps must run for a restore to have downtime to measure
machine_exec "$M" systemctl start berth-small.target berth-large.target
machine_exec "$M" systemctl is-active berth-small-web.service berth-large-web.service || { echo "an app is not running"; suite_end; }
# Each restored twice: the first run also warms restic's cache for that snapshot.
for i in 1 2; do
  machine_exec "$M" sh -c 'sync; echo 3 > /proc/sys/vm/drop_caches' 2>/dev/null
  measure small "$small" "$SMALL_MB"
  machine_exec "$M" sh -c 'sync; echo 3 > /proc/sys/vm/drop_caches' 2>/dev/null
  measure large "$large" "$LARGE_MB"
done
suite_end
