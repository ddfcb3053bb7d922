#!/bin/bash
# check-golden.sh — the generator's exact output (issue 2, point 8).
#
# Each tests/golden/<case>/ holds:
#   apps/            manifests (with drop-in directories and /dev/null masks);
#                    the search path is apps/ (as /etc/berth/apps), then
#   vendor/          (optional) as /usr/lib/berth/apps
#   berth.conf       (optional) BERTH_CONF; otherwise a path that does not exist
#   scope            (optional) "user": run as the user generator
#                    (HOME=/home/alice, XDG_RUNTIME_DIR=/run/user/1000)
#   expected/        the exact tree berth-generator writes into its normal
#                    directory: the file list with the .wants symlinks and
#                    their targets, and every file byte for byte
#   expected-stderr  (optional) what it logs; without it, it must log nothing
#   expected-quadlet/ (optional) what `berth render --format=quadlet --out DIR`
#                    writes for apps/*.yaml
# The generator must exit 0 and leave its early and late directories empty.
# Paths are normalised: the case's apps/ and vendor/ read as /etc/berth/apps and
# /usr/lib/berth/apps, and a build's LIBEXECDIR as /usr/libexec/berth.
# As root the generator runs as nobody (with SYSTEMD_SCOPE set), so that its
# messages go to stderr instead of /dev/kmsg.
#
# UPDATE_GOLDEN=1 rewrites expected/, expected-stderr and (where it exists)
# expected-quadlet/ from the current output. Read every file it changes: a
# golden file that records a bug is a defect.
set -uo pipefail
cd "${BERTH_SRC:-$(dirname "$0")/..}"
BUILD=${BUILD:-build}
case $BUILD in /*) BUILD_ABS=$BUILD ;; *) BUILD_ABS=$PWD/$BUILD ;; esac
LIBEXECDIR=${LIBEXECDIR:-/usr/libexec/berth}
UPDATE=${UPDATE_GOLDEN:-0}
export LC_ALL=C

work=$(mktemp -d /tmp/berth-check-golden.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"

# Everything below runs with a clean, fixed environment.
run_env=(env -i PATH=/usr/bin:/bin LC_ALL=C)
as_user=()
if [ "$(id -u)" = 0 ]; then
  as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
fi

# normalise CASE_ABS < in > out  (the case's directories, or their copies in
# the work directory, read as the real search path)
normalise() {
  local c=$1 in=$work/$(basename "$1")/in
  sed -e "s|$c/apps|/etc/berth/apps|g" -e "s|$c/vendor|/usr/lib/berth/apps|g" \
      -e "s|$in/apps|/etc/berth/apps|g" -e "s|$in/vendor|/usr/lib/berth/apps|g" \
      -e "s|$work/[a-z]*|@OUT@|g" |
  if [ "$LIBEXECDIR" != /usr/libexec/berth ]; then sed -e "s|$LIBEXECDIR/|/usr/libexec/berth/|g"; else cat; fi
}

# normalise_tree CASE_ABS DIR: normalises every regular file in DIR in place.
normalise_tree() {
  local c=$1 dir=$2 f
  while IFS= read -r -d '' f; do
    normalise "$c" <"$f" >"$f.norm" && mv "$f.norm" "$f"
  done < <(find "$dir" -type f -print0)
}

# listing DIR: every entry with its type and, for symlinks, its target.
listing() {
  (cd "$1" && find . -mindepth 1 -printf '%y %p %l\n' | sort)
}

# compare_tree LABEL EXPECTED ACTUAL
compare_tree() {
  local label=$1 exp=$2 act=$3 d
  if [ ! -d "$exp" ]; then
    echo "FAIL $label: $exp is missing (UPDATE_GOLDEN=1 writes it)"; return 1
  fi
  if ! d=$(diff -u <(listing "$exp") <(listing "$act")); then
    echo "FAIL $label: file list differs (- expected, + actual):"; printf '%s\n' "$d" | sed 's/^/    /'; return 1
  fi
  if ! d=$(diff -ru --no-dereference "$exp" "$act"); then
    echo "FAIL $label: content differs (- expected, + actual):"; printf '%s\n' "$d" | sed 's/^/    /'; return 1
  fi
  return 0
}

fail=0 n=0 nq=0
for case_dir in tests/golden/*/; do
  case_dir=${case_dir%/}
  name=$(basename "$case_dir")
  c=$PWD/$case_dir
  [ -d "$c/apps" ] || { echo "FAIL $name: no apps/"; fail=1; continue; }
  n=$((n + 1))
  out=$work/$name
  mkdir -p "$out/normal" "$out/early" "$out/late" "$out/in"
  # The generator reads a copy that nobody can read, whatever the checkout's umask.
  cp -a "$c/apps" "$out/in/apps"
  dirs=$out/in/apps
  if [ -d "$c/vendor" ]; then cp -a "$c/vendor" "$out/in/vendor"; dirs=$dirs:$out/in/vendor; fi
  conf=/nonexistent/berth.conf
  if [ -f "$c/berth.conf" ]; then cp "$c/berth.conf" "$out/in/berth.conf"; conf=$out/in/berth.conf; fi
  chmod -R a+rwX "$out"
  scope_env=(SYSTEMD_SCOPE=system)
  if [ -f "$c/scope" ] && [ "$(cat "$c/scope")" = user ]; then
    scope_env=(SYSTEMD_SCOPE=user HOME=/home/alice XDG_RUNTIME_DIR=/run/user/1000)
  fi

  "${run_env[@]}" "${scope_env[@]}" BERTH_APPS_DIRS="$dirs" BERTH_CONF="$conf" \
    "${as_user[@]}" "$BUILD_ABS/berth-generator" "$out/normal" "$out/early" "$out/late" \
    >"$out/stdout" 2>"$out/stderr.raw"
  rc=$?
  normalise "$c" <"$out/stderr.raw" >"$out/stderr"
  normalise_tree "$c" "$out/normal"
  ok=1
  if [ "$rc" != 0 ]; then
    echo "FAIL $name: berth-generator exited $rc, expected 0"; ok=0
  fi
  if [ -s "$out/stdout" ] || [ -n "$(find "$out/early" "$out/late" -mindepth 1)" ]; then
    echo "FAIL $name: berth-generator wrote to stdout or into its early/late directories"; ok=0
  fi

  if [ "$UPDATE" = 1 ]; then
    rm -rf "$c/expected"
    cp -a "$out/normal" "$c/expected"
    if [ -s "$out/stderr" ]; then cp "$out/stderr" "$c/expected-stderr"; else rm -f "$c/expected-stderr"; fi
  else
    compare_tree "$name" "$c/expected" "$out/normal" || ok=0
    exp_err=/dev/null
    [ -f "$c/expected-stderr" ] && exp_err=$c/expected-stderr
    if ! d=$(diff -u "$exp_err" "$out/stderr"); then
      echo "FAIL $name: generator messages differ (- expected, + actual):"; printf '%s\n' "$d" | sed 's/^/    /'; ok=0
    fi
  fi

  # The Quadlet rendering of the case's apps/, where the case asks for it.
  if [ -d "$c/expected-quadlet" ]; then
    nq=$((nq + 1))
    mkdir -p "$out/quadlet"
    manifests=()
    for m in "$c"/apps/*.yaml; do [ -e "$m" ] && manifests+=("$m"); done
    if ! "${run_env[@]}" BERTH_CONF="$conf" "$BUILD_ABS/berth" render --format=quadlet --out "$out/quadlet" \
         "${manifests[@]}" >"$out/quadlet.log" 2>&1; then
      echo "FAIL $name: berth render --format=quadlet failed:"; sed 's/^/    /' "$out/quadlet.log"; ok=0
    fi
    normalise_tree "$c" "$out/quadlet"
    if [ "$UPDATE" = 1 ]; then
      rm -rf "$c/expected-quadlet"
      cp -a "$out/quadlet" "$c/expected-quadlet"
    else
      compare_tree "$name (quadlet)" "$c/expected-quadlet" "$out/quadlet" || ok=0
    fi
  fi

  if ((ok)); then
    echo "ok   $name"
  else
    fail=1
  fi
done

# The comparison can fail: one changed byte in a copy of an expected tree is noticed.
first=$(ls -d tests/golden/*/expected 2>/dev/null | head -n1)
if [ "$UPDATE" != 1 ] && [ -n "$first" ]; then
  cp -a "$first" "$work/control"
  f=$(find "$work/control" -type f | sort | head -n1)
  printf 'x' >>"$f"
  if compare_tree control "$first" "$work/control" >/dev/null; then
    echo "FAIL negative control: a changed byte in $f was not noticed"; fail=1
  fi
fi

echo "check-golden: $n cases, $nq with Quadlet output"
((n > 0)) || fail=1
exit $fail
