# shellcheck shell=bash
# lib.sh - what an e2e suite sources: the machine primitives (machine.sh) and checks.
#
#   . "$(dirname "$0")/../lib.sh"
#   suite_begin                 # M = the machine run.sh booted for this suite
#   check "name" cmd...         # ok/FAIL line with timing; output shown on FAIL
#   require "name" cmd...       # same, but a FAIL ends the suite (nothing after can pass)
#   check_eq "name" WANT cmd... # cmd's stdout (trailing newlines dropped) must equal WANT
#   wait_for SECONDS cmd...     # poll until cmd succeeds (never a fixed sleep)
#   suite_end                   # "N passed, M failed"; exit status for run.sh
#
# Environment from run.sh: E2E_MACHINE, E2E_FLAVOUR (trixie|bookworm), E2E_RUN,
# E2E_TREE, E2E_SHARE, E2E_SRC, E2E_VAR, E2E_SUITE_DIR (scratch space for the suite).

E2E_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=machine.sh
. "$E2E_LIB_DIR/machine.sh"
# shellcheck source=images.sh
. "$E2E_LIB_DIR/images.sh"

_e2e_pass=0
_e2e_fail=0

suite_begin() {
  set -uo pipefail
  : "${E2E_MACHINE:?run suites with tests/e2e/run.sh}"
  # shellcheck disable=SC2034 # M is for the suites
  M=$E2E_MACHINE
  _e2e_t0=$(date +%s%N)
  _e2e_out=$(mktemp "${TMPDIR:-/tmp}/e2e-check.XXXXXX")
  trap 'rm -f "$_e2e_out"' EXIT
}

# _run_check NAME CMD...: runs CMD with its output captured; prints the verdict line.
_run_check() {
  local name=$1 s rc; shift; s=$(date +%s%N)
  "$@" >"$_e2e_out" 2>&1; rc=$?
  if [ $rc = 0 ]; then
    _e2e_pass=$((_e2e_pass + 1))
    printf 'ok   %-64s %7s ms\n' "$name" "$(_ms_since "$s")"
  else
    _e2e_fail=$((_e2e_fail + 1))
    printf 'FAIL %-64s %7s ms (exit %s)\n' "$name" "$(_ms_since "$s")" "$rc"
    tail -n 40 "$_e2e_out" | sed 's/^/     | /'
  fi
  return $rc
}

check() { _run_check "$@"; true; }

require() {
  _run_check "$@" && return 0
  echo "     required check failed: stopping this suite"
  suite_end
}

# _eq WANT CMD...: CMD's stdout must be WANT (shown with the difference otherwise).
_eq() {
  local want=$1 got; shift
  got=$("$@") || { echo "command failed: $*"; echo "stdout: $got"; return 1; }
  [ "$got" = "$want" ] && return 0
  printf 'expected: %s\n     got: %s\n' "$want" "$got"
  return 1
}
check_eq() { local name=$1; shift; check "$name" _eq "$@"; }

# wait_for SECONDS CMD...: retry CMD until it succeeds, 0.2 s apart, for at most
# SECONDS; then one last run whose output is shown.
wait_for() {
  local bound=$1 end; shift
  end=$(( $(date +%s%N) + bound * 1000000000 ))
  while [ "$(date +%s%N)" -lt "$end" ]; do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "still failing after ${bound}s: $*"
  "$@"
}

# app_put NAME APP < YAML - install /etc/berth/apps/APP.yaml and reload (the generator
# runs); app_remove NAME APP - remove it and reload. Neither starts or stops anything.
app_put()    { machine_write "$1" "/etc/berth/apps/$2.yaml" && machine_exec "$1" systemctl daemon-reload; }
app_remove() { machine_exec "$1" rm -f "/etc/berth/apps/$2.yaml" && machine_exec "$1" systemctl daemon-reload; }

# http_get NAME URL - body of URL, fetched with curl inside the machine.
http_get() { machine_exec "$1" curl -fsS --max-time 10 "$2"; }

# unit_prop NAME UNIT PROPERTY - one property of a unit, as systemctl show -P prints it.
unit_prop() { machine_exec "$1" systemctl show -P "$3" "$2"; }

# no_failed_units NAME - succeeds when systemctl --failed is empty (lists them otherwise).
no_failed_units() {
  local f; f=$(machine_exec "$1" systemctl --failed --no-legend --plain) || return 1
  [ -z "$f" ] && return 0
  echo "$f"; return 1
}

note() { printf '     %s\n' "$*"; }

suite_end() {
  printf '%s: %d passed, %d failed in %s ms\n' "$(basename "$0" .sh)" \
    "$_e2e_pass" "$_e2e_fail" "$(_ms_since "$_e2e_t0")"
  [ "$_e2e_fail" = 0 ] && exit 0
  exit 1
}
