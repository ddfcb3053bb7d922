#!/bin/bash
# run.sh - berth's booted-systemd end-to-end bed (see README.md beside this file).
#
#   tests/e2e/run.sh [--flavour trixie|bookworm|all] [--parallel] [--keep] [SUITE...]
#   tests/e2e/run.sh --shell MACHINE     shell inside a running machine (kept or in a run)
#   tests/e2e/run.sh --clean             power off and remove the machines of finished runs
#
# `make install DESTDIR=<staging> PREFIX=/usr` once; for each flavour the cached Debian
# tree (mkrootfs.sh; FRESH=1 rebuilds it), then for each suite a fresh machine (overlay
# over the tree, the staged install copied in, booted with systemd-nspawn,
# localhost/busybox:e2e imported), the suite run against it, the
# machine's journal saved on a failure, the machine powered off and removed.
# Exit status: 0 when every suite of every flavour passed.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
E2E_SRC=$(cd "$HERE/../.." && pwd)
E2E_VAR=${BERTH_E2E_VAR:-/var/tmp/berth-e2e}
E2E_SUITE_TIMEOUT=${E2E_SUITE_TIMEOUT:-1200}
export E2E_SRC E2E_VAR
# shellcheck source=lib.sh
. "$HERE/lib.sh"

usage() { sed -n '3,6s/^# \{0,1\}//p' "$0" >&2; exit 2; }

# A run dir belongs to a live run while the run.sh that made it (pid in owner) runs;
# otherwise its machines were kept (--keep) or left by a run that was killed.
run_is_live() {
  local p; p=$(cat "$1/owner" 2>/dev/null) || return 1
  tr '\0' ' ' 2>/dev/null < "/proc/$p/cmdline" | grep -q 'run\.sh'
}

# "RUN_DIR NAME" for each machine of runs that are over (ALL=1: of every run), newest first.
kept_machines() {
  local m run
  for m in $(printf '%s\n' "$E2E_VAR"/runs/*/machines/*/ | sort -r); do
    [ -d "$m" ] || continue
    run=$(dirname "$(dirname "$m")")
    [ "${ALL:-0}" = 1 ] || ! run_is_live "$run" || continue
    echo "$run $(basename "$m")"
  done
}

# Paths in a cached tree changed (content or inode) after mkrootfs.sh stamped it, sorted.
tree_writes() { find "$1" \( -newer "$1.stamp" -o -cnewer "$1.stamp" \) -print 2>/dev/null | sort; }

do_clean() {
  local run name
  while read -r run name; do
    E2E_RUN=$run machine_destroy "$name" && e2e_log "removed machine $name ($run)"
  done < <(kept_machines)
  for run in "$E2E_VAR"/runs/*/; do
    [ -d "$run" ] && ! run_is_live "$run" && rm -rf "$run"
  done
  rmdir "$E2E_VAR/runs" /sys/fs/cgroup/{unified,systemd}/"$E2E_CG" 2>/dev/null
  true
}

do_shell() {
  local want=$1 run name found=
  while read -r run name; do
    [ "$name" = "$want" ] && E2E_RUN=$run machine_running "$name" && { found=$run; break; }
  done < <(ALL=1 kept_machines)
  if [ -z "$found" ]; then
    e2e_log "no running machine named '$want' (machines: $(ALL=1 kept_machines | cut -d' ' -f2 | xargs))"
    exit 1
  fi
  # (outside the loop: the shell reads our stdin, not the list above)
  E2E_RUN=$found machine_exec "$want" bash -l
  exit $?
}

flavours=(trixie bookworm)
keep=0
parallel=0
suites=()
while [ $# -gt 0 ]; do
  case $1 in
    --flavour|--flavor) [ $# -ge 2 ] || usage
      case $2 in all) flavours=(trixie bookworm) ;; trixie|bookworm) flavours=("$2") ;; *) usage ;; esac
      shift 2 ;;
    --flavour=*|--flavor=*) set -- --flavour "${1#*=}" "${@:2}" ;;
    --keep) keep=1; shift ;;
    --parallel) parallel=1; shift ;;
    --shell) [ $# -ge 2 ] || usage; do_shell "$2" ;;
    --clean) do_clean; exit 0 ;;
    -h|--help) usage ;;
    -*) usage ;;
    *) suites+=("$1"); shift ;;
  esac
done

[ "$(id -u)" = 0 ] || { e2e_log "run.sh needs root (mounts, namespaces, nspawn)"; exit 2; }
for tool in systemd-nspawn mmdebstrap nsenter ip ssh-keygen; do
  command -v "$tool" >/dev/null || { e2e_log "missing $tool (make deps)"; exit 2; }
done

# Suites: every suite/NN-*.sh, or those named (00-bed, bed, suite/00-bed.sh).
all_suites=("$HERE"/suite/[0-9]*.sh)
selected=()
if [ ${#suites[@]} = 0 ]; then
  selected=("${all_suites[@]}")
else
  for want in "${suites[@]}"; do
    found=
    # A suite file elsewhere (the benchmarks keep theirs under bench/lib).
    if [[ $want == */* ]] && [ -f "$want" ]; then selected+=("$(cd "$(dirname "$want")" && pwd)/$(basename "$want")"); continue; fi
    for s in "${all_suites[@]}"; do
      stem=$(basename "$s" .sh)
      case $want in "$stem"|"${stem#[0-9][0-9]-}"|"$stem.sh"|*/"$stem.sh") found=$s ;; esac
    done
    [ -n "$found" ] || { e2e_log "no suite '$want' in $HERE/suite"; exit 2; }
    selected+=("$found")
  done
fi

# --parallel: one run per flavour, side by side (the suites mostly wait on systemd and
# podman, so two flavours share two CPUs well); their lines are prefixed by the flavour.
if [ "$parallel" = 1 ] && [ ${#flavours[@]} -gt 1 ]; then
  export E2E_RESULTS=${E2E_RESULTS:-$E2E_VAR/results/$(date +%Y%m%d-%H%M%S)-$$}
  # Build once here: two `make install` must not compile side by side.
  make -s -C "$E2E_SRC" all >/dev/null || { e2e_log "make all failed"; exit 1; }
  t0=$(date +%s%N) pids=() rc=0 keepopt=()
  [ "$keep" = 1 ] && keepopt=(--keep)
  trap 'kill -TERM "${pids[@]}" 2>/dev/null; wait; exit 130' INT TERM
  for f in "${flavours[@]}"; do
    "$0" --flavour "$f" "${keepopt[@]}" "${selected[@]}" \
      > >(sed -u "s/^/[$f] /") 2>&1 &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  echo "==== parallel run of ${flavours[*]}: $(_ms_since "$t0") ms wall; results in $E2E_RESULTS"
  [ "$rc" = 0 ] && echo "e2e: PASS" || echo "e2e: FAIL"
  exit "$rc"
fi

kept=$(kept_machines | cut -d' ' -f2 | xargs)
[ -z "$kept" ] || e2e_log "machines of earlier runs still exist: $kept (tests/e2e/run.sh --clean removes them)"

# The run id ends in our pid: machine_host_id and the link bridge take it from there.
RUNID=$(date +%Y%m%d-%H%M%S)-$$
E2E_RUN=$E2E_VAR/runs/$RUNID
RESULTS=${E2E_RESULTS:-$E2E_VAR/results/$RUNID}
E2E_SHARE=$E2E_RUN/share
export E2E_RUN E2E_SHARE
mkdir -p "$E2E_RUN/machines" "$E2E_SHARE/images" "$E2E_SHARE/ssh" "$RESULTS"
echo $$ > "$E2E_RUN/owner"

suite_pid=
interrupted=0
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  local m
  [ -n "$suite_pid" ] && kill -TERM "$suite_pid" 2>/dev/null && wait "$suite_pid" 2>/dev/null
  if [ "$keep" = 1 ] && [ "$interrupted" = 0 ]; then return; fi
  for m in "$E2E_RUN"/machines/*/; do
    [ -d "$m" ] && machine_destroy "$(basename "$m")"
  done
  _machine_bridge_cleanup "be2e-$$"
  rm -rf "$E2E_RUN"
  rmdir "$E2E_VAR/runs" /sys/fs/cgroup/{unified,systemd}/"$E2E_CG" 2>/dev/null
  true
}
trap cleanup EXIT
trap 'interrupted=1; exit 130' INT TERM

# berth itself, installed once per run into a staging root that every machine copies
# (machine_create): a broken build stops the run before anything boots.
export E2E_INSTALL=$E2E_RUN/install
if ! make -s -C "$E2E_SRC" install DESTDIR="$E2E_INSTALL" PREFIX=/usr >"$RESULTS/install.log" 2>&1; then
  e2e_log "make install failed (log: $RESULTS/install.log):"; tail -n 20 "$RESULTS/install.log" >&2
  exit 1
fi

# ssh key for machine pairs, the busybox image tarball: once per run.
ssh-keygen -q -t ed25519 -N '' -C berth-e2e -f "$E2E_SHARE/ssh/id_ed25519" || exit 1
t0=$(date +%s%N)
tarball=$(e2e_busybox_tarball) || exit 1
ln -f "$tarball" "$E2E_SHARE/images/busybox-e2e.tar" 2>/dev/null || cp "$tarball" "$E2E_SHARE/images/busybox-e2e.tar"
image_ms=$(_ms_since "$t0")

summary=()
failed=0
# row FLAVOUR STEP RESULT TOTAL-MS [UP-MS SUITE-MS DOWN-MS CHECKS]: one summary line.
row() { summary+=("$(printf '%-9s %-22s %-6s %9s %9s %9s %9s  %s' "$1" "$2" "$3" "$4" "${5:-}" "${6:-}" "${7:-}" "${8:-}")"); }
for flavour in "${flavours[@]}"; do
  export E2E_FLAVOUR=$flavour
  ft0=$(date +%s%N)
  mkdir -p "$RESULTS/$flavour"
  if ! E2E_TREE=$("$HERE/mkrootfs.sh" "$flavour" 2>"$RESULTS/$flavour/mkrootfs.log"); then
    e2e_log "$flavour: mkrootfs.sh failed:"; tail -n 30 "$RESULTS/$flavour/mkrootfs.log" >&2
    row "$flavour" tree FAIL "$(_ms_since "$ft0")"
    failed=1; continue
  fi
  export E2E_TREE
  tree_ms=$(_ms_since "$ft0")
  touched_before=$(tree_writes "$E2E_TREE")
  [ -z "$touched_before" ] || e2e_log "$flavour: warning: the cached tree was written after it was built (FRESH=1 rebuilds it): $(echo "$touched_before" | head -n 5 | xargs)"
  grep -q mmdebstrap "$RESULTS/$flavour/mkrootfs.log" && tree_kind=built || tree_kind=cached
  e2e_log "$flavour: tree $E2E_TREE ($tree_kind, $tree_ms ms)"
  row "$flavour" "tree ($tree_kind)" ok "$tree_ms"

  for suite in "${selected[@]}"; do
    stem=$(basename "$suite" .sh)
    export E2E_MACHINE="$flavour-${stem#[0-9][0-9]-}"
    export E2E_SUITE_DIR=$RESULTS/$flavour/$stem
    mkdir -p "$E2E_SUITE_DIR"
    echo "==== $flavour / $stem (machine $E2E_MACHINE)"
    st0=$(date +%s%N)
    rc=0 up_ms=- suite_ms=-
    if ! machine_up "$E2E_MACHINE" 2>"$E2E_SUITE_DIR/machine-up.log"; then
      cat "$E2E_SUITE_DIR/machine-up.log" >&2
      e2e_log "$E2E_MACHINE: could not bring the machine up"
      rc=1
    else
      up_ms=$(_ms_since "$st0")
      echo "     machine up in $up_ms ms (boot to running $(machine_boot_ms "$E2E_MACHINE") ms)"
      log=$E2E_SUITE_DIR/suite.log
      : > "$log"
      # In the background, both: bash runs a trap only between foreground commands, and
      # an interrupted run must stop the suite before it removes the machines.
      timeout -k 10 "$E2E_SUITE_TIMEOUT" bash "$suite" >"$log" 2>&1 </dev/null &
      suite_pid=$!
      tail -n +1 -f --pid="$suite_pid" "$log" &
      tail_pid=$!
      wait "$suite_pid"; rc=$?
      wait "$tail_pid"
      suite_pid=
      suite_ms=$(( $(_ms_since "$st0") - up_ms ))
      [ "$rc" = 124 ] && echo "FAIL suite timed out after $E2E_SUITE_TIMEOUT s"
    fi
    counts=$(tail -n 1 "$E2E_SUITE_DIR/suite.log" 2>/dev/null | grep -o '[0-9]* passed, [0-9]* failed')
    if [ "$rc" != 0 ]; then
      failed=1
      for m in "$E2E_RUN"/machines/*/; do
        [ -d "$m" ] && machine_save_diag "$(basename "$m")" "$E2E_SUITE_DIR/diag/$(basename "$m")"
      done
      echo "     diagnostics: $E2E_SUITE_DIR/diag/"
    fi
    dt0=$(date +%s%N)
    if [ "$keep" = 0 ]; then
      # In parallel: a machine on a link takes ~2 s to go (the kernel removing its veth).
      for m in "$E2E_RUN"/machines/*/; do
        [ -d "$m" ] && machine_destroy "$(basename "$m")" &
      done
      wait
      _machine_bridge_cleanup "be2e-$$"   # (when both left at once, neither removed it)
    fi
    row "$flavour" "$stem" "$([ "$rc" = 0 ] && echo PASS || echo FAIL)" "$(_ms_since "$st0")" \
      "$up_ms" "$suite_ms" "$(_ms_since "$dt0")" "${counts:-}"
  done
  # The machines' overlays must never write into the cached tree.
  touched=$(comm -13 <(echo "$touched_before") <(tree_writes "$E2E_TREE"))
  if [ -n "$touched" ]; then
    failed=1
    row "$flavour" "tree untouched" FAIL - - - - "written: $(echo "$touched" | head -n 3 | xargs)"
  fi
  row "$flavour" "flavour total" "" "$(_ms_since "$ft0")"
done

echo
echo "==== summary: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); image tarball $image_ms ms"
printf '%-9s %-22s %-6s %9s %9s %9s %9s  %s\n' flavour step result total-ms up-ms suite-ms down-ms checks
printf '%s\n' "${summary[@]}"
echo "results: $RESULTS"
if [ "$keep" = 1 ]; then
  echo "kept machines (shell: tests/e2e/run.sh --shell NAME; remove: tests/e2e/run.sh --clean):"
  for m in "$E2E_RUN"/machines/*/; do [ -d "$m" ] && echo "  $(basename "$m")"; done
fi
[ "$failed" = 0 ] && echo "e2e: PASS" || echo "e2e: FAIL"
exit "$failed"
