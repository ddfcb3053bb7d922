#!/bin/bash
# check-fuzz.sh — every fuzz target's saved corpus, replayed as ordinary tests
# (issue 2, point 8). For each tests/fuzz/fuzz-NAME.c, BUILD/fuzz/fuzz-NAME-replay
# (the target linked with tests/fuzz/replay.c instead of libFuzzer) runs every
# file of tests/fuzz/corpus/fuzz-NAME/. Under SANITIZE=address,undefined a
# crash, an out-of-bounds access, undefined behaviour or a leak fails the run.
# Finding new inputs is `make fuzz` (clang + libFuzzer), see tests/fuzz/README.
set -uo pipefail
cd "${BERTH_SRC:-$(dirname "$0")/..}"
BUILD=${BUILD:-build}
fail=0 n=0
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
for src in tests/fuzz/fuzz-*.c; do
  [ -e "$src" ] || continue
  name=$(basename "$src" .c)
  bin=$BUILD/fuzz/$name-replay
  corpus=tests/fuzz/corpus/$name
  n=$((n + 1))
  if [ ! -x "$bin" ]; then
    echo "FAIL $name: $bin is missing (make check builds it)"; fail=1; continue
  fi
  if [ -z "$(ls -A "$corpus" 2>/dev/null)" ]; then
    echo "FAIL $name: no corpus in $corpus"; fail=1; continue
  fi
  start=$(date +%s%N)
  if out=$("$bin" "$corpus" 2>&1); then
    echo "ok   $name: $(printf '%s\n' "$out" | tail -n1 | sed 's/.*: //') in $(( ($(date +%s%N) - start) / 1000000 )) ms"
  else
    echo "FAIL $name:"; printf '%s\n' "$out" | tail -n 40 | sed 's/^/    /'; fail=1
  fi
done
((n > 0)) || { echo "FAIL: no fuzz targets"; fail=1; }
exit $fail
