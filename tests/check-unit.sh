#!/bin/bash
# Unit tests: every build/tests/test-* program (from tests/unit/test-*.c).
set -uo pipefail
fail=0
for t in "$BUILD"/tests/test-*; do
  [ -x "$t" ] || continue
  if out=$("$t" 2>&1); then
    echo "ok   $(basename "$t")"
  else
    echo "FAIL $(basename "$t")"; echo "$out" | tail -n 30; fail=1
  fi
done
exit $fail
