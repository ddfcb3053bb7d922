#!/bin/bash
# check-manifests.sh — `berth validate` on the sample manifests (issue 2, point 8).
#
# tests/manifests/valid/*.yaml: realistic apps; each must validate with exit 0
# and print nothing.
# tests/manifests/invalid/*.yaml: each opens with one or more lines
#     # expect: LINE:COLUMN: message        (a problem at a place in the file)
#     # expect: message                     (a problem of the whole file)
# and `berth validate` must exit 1 and print exactly those problems, each as
# FILE:LINE:COLUMN: message, in any order, and nothing else.
# A berth.conf next to the manifests is used (BERTH_CONF=berth.conf, run from
# that directory, so messages name it as "berth.conf").
set -uo pipefail
cd "${BERTH_SRC:-$(dirname "$0")/..}"
BUILD=${BUILD:-build}
case $BUILD in /*) BERTH=$BUILD/berth ;; *) BERTH=$PWD/$BUILD/berth ;; esac
fail=0

# validate DIR FILE: runs berth validate on DIR/FILE from DIR; prints its output
# (stdout and stderr), returns its exit status.
validate() {
  local dir=$1 file=$2 conf=/nonexistent/berth.conf
  [ -f "$dir/berth.conf" ] && conf=berth.conf
  (cd "$dir" && BERTH_CONF=$conf "$BERTH" validate "$PWD/$file" 2>&1)
}

# expected DIR FILE: the lines berth validate must print for an invalid manifest.
expected() {
  local dir=$1 file=$2 abs line
  abs=$(cd "$dir" && echo "$PWD/$file")
  while IFS= read -r line; do
    case $line in
      "# expect: "*) line=${line#"# expect: "} ;;
      *) break ;;
    esac
    if [[ $line =~ ^[0-9]+:[0-9]+:\  ]]; then
      printf '%s:%s\n' "$abs" "$line"
    else
      printf '%s: %s\n' "$abs" "$line"
    fi
  done <"$dir/$file"
}

n_valid=0
for f in tests/manifests/valid/*.yaml; do
  [ -e "$f" ] || continue
  n_valid=$((n_valid + 1))
  if out=$(validate "$(dirname "$f")" "$(basename "$f")") && [ -z "$out" ]; then
    echo "ok   $f"
  else
    echo "FAIL $f: expected to validate silently, got:"; printf '%s\n' "$out" | sed 's/^/    /'; fail=1
  fi
done

# compare WANT GOT: both sorted line sets; prints the difference.
compare() {
  diff <(printf '%s\n' "$1" | sort) <(printf '%s\n' "$2" | sort)
}

n_invalid=0 n_expect=0
for f in tests/manifests/invalid/*.yaml; do
  [ -e "$f" ] || continue
  n_invalid=$((n_invalid + 1))
  dir=$(dirname "$f") file=$(basename "$f")
  want=$(expected "$dir" "$file")
  if [ -z "$want" ]; then
    echo "FAIL $f: no '# expect:' line at the top"; fail=1; continue
  fi
  n_expect=$((n_expect + $(printf '%s\n' "$want" | wc -l)))
  got=$(validate "$dir" "$file"); rc=$?
  if [ "$rc" != 1 ]; then
    echo "FAIL $f: berth validate exited $rc, expected 1"; printf '%s\n' "$got" | sed 's/^/    /'; fail=1
  elif ! d=$(compare "$want" "$got"); then
    echo "FAIL $f: (< expected, > printed)"; printf '%s\n' "$d" | sed 's/^/    /'; fail=1
  else
    echo "ok   $f ($(printf '%s\n' "$want" | wc -l) problem(s))"
  fi
done

# The comparison can fail: a column off by ten in one expectation is noticed.
control=tests/manifests/invalid/duplicate-key.yaml
if [ -e "$control" ]; then
  want=$(expected "$(dirname "$control")" "$(basename "$control")" | sed -E '1s/:([0-9]+): /:1\1: /')
  got=$(validate "$(dirname "$control")" "$(basename "$control")")
  if compare "$want" "$got" >/dev/null; then
    echo "FAIL negative control: a wrong column in $control was not noticed"; fail=1
  fi
fi

echo "check-manifests: $n_valid valid, $n_invalid invalid manifests ($n_expect expected problems)"
if ((n_valid < 8 || n_invalid < 20)); then
  echo "FAIL: expected at least 8 valid and 20 invalid manifests"; fail=1
fi
exit $fail
