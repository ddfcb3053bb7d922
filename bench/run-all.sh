#!/bin/bash
# run-all.sh — `make bench`: runs every executable bench/* script in turn (not
# bench/lib, not itself) and reports which failed. Each script prints its own
# figures and ratios against its baseline, measured in the same run. A script's
# lines starting with "summary: " are repeated at the end, one per benchmark result.
set -uo pipefail
cd "$(dirname "$0")"
failed=()
summaries=()
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for b in *; do
  [ -f "$b" ] && [ -x "$b" ] && [ "$b" != run-all.sh ] || continue
  echo "=== bench: $b"
  if ./"$b" | tee "$out"; then
    echo "=== done: $b"
  else
    echo "=== FAIL: $b"
    failed+=("$b")
  fi
  while IFS= read -r line; do
    summaries+=("$b: ${line#summary: }")
  done < <(grep '^summary: ' "$out")
done
if ((${#summaries[@]})); then
  echo "=== summary"
  printf '  %s\n' "${summaries[@]}"
fi
if ((${#failed[@]})); then
  echo "make bench: FAILED: ${failed[*]}"
  exit 1
fi
echo "make bench: all ran"
