#!/bin/bash
# run-all.sh — `make bench`: runs every executable bench/* script in turn (not
# bench/lib, not itself) and reports which failed. Each script prints its own
# figures and ratios against its baseline, measured in the same run.
set -uo pipefail
cd "$(dirname "$0")"
failed=()
for b in *; do
  [ -f "$b" ] && [ -x "$b" ] && [ "$b" != run-all.sh ] || continue
  echo "=== bench: $b"
  if ./"$b"; then
    echo "=== done: $b"
  else
    echo "=== FAIL: $b"
    failed+=("$b")
  fi
done
if ((${#failed[@]})); then
  echo "make bench: FAILED: ${failed[*]}"
  exit 1
fi
echo "make bench: all ran"
