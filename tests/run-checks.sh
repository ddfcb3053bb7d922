#!/bin/bash
# run-checks.sh — `make check`: runs every tests/check-*.sh in order and
# summarises. Each check script owns one kind of test and exits non-zero on
# failure. Environment: BUILD (build dir, e.g. build or build/sanitize),
# LIBEXECDIR (as configured), CHECKS (space-separated subset, e.g. "unit golden").
set -uo pipefail
cd "$(dirname "$0")/.."
export BUILD=${BUILD:-build} LIBEXECDIR=${LIBEXECDIR:-/usr/libexec/berth}
export BERTH_SRC=$PWD
failed=()
for s in tests/check-*.sh; do
  name=${s#tests/check-}; name=${name%.sh}
  if [ -n "${CHECKS:-}" ] && [[ " $CHECKS " != *" $name "* ]]; then continue; fi
  start=$(date +%s%N)
  echo "=== check: $name"
  if bash "$s"; then
    echo "=== ok:   $name ($(( ($(date +%s%N) - start) / 1000000 )) ms)"
  else
    echo "=== FAIL: $name"
    failed+=("$name")
  fi
done
if ((${#failed[@]})); then
  echo "make check: FAILED: ${failed[*]}"
  exit 1
fi
echo "make check: all passed"
