#!/bin/bash
# check-quadlet.sh — the native and the Quadlet rendering of a manifest give podman
# the same container (issue 2, point 7).
#
# tests/tools/render-sets.sh renders every manifest the tests know, natively and as
# Quadlet: tests/quadlet/ (built to exercise every container field and the nastiest
# quoting, rootful and rootless), tests/manifests/valid/, and each tests/golden case
# through berth-generator itself. The Quadlet files are fed to podman 5's own Quadlet
# inside the trixie tree (tests/e2e/mkrootfs.sh, below an overlay: the tree is never
# written), and the ExecStart= of each service it generates is compared with the
# native one by tests/tools/quadlet_compare.py, which parses both exactly as systemd
# does. What Quadlet cannot express (tests/quadlet/refuse/, and the golden apps in
# tests/quadlet/refused-golden.list) must be refused by `berth render --format=quadlet`.
# A negative control then drops a quote from one Environment= value and expects the
# comparison to fail, so the check is known to be able to fail.
# Needs root (mount, chroot).
set -euo pipefail
cd "${BERTH_SRC:-$(dirname "$0")/..}"
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
BERTH=$BUILD/berth
GENERATOR=$BUILD/berth-generator
TOOLS=$PWD/tests/tools
# shellcheck source=tests/tools/render-sets.sh
. tests/tools/render-sets.sh

if [ "$(id -u)" != 0 ]; then
  echo "check-quadlet: needs root (overlay mount and chroot)" >&2
  exit 1
fi
python3 "$TOOLS/systemd_cmdline.py" --self-test

tree=$(tests/e2e/mkrootfs.sh trixie)
[ -x "$tree/usr/libexec/podman/quadlet" ] || { echo "check-quadlet: no Quadlet in $tree" >&2; exit 1; }

work=$(mktemp -d /var/tmp/berth-check-quadlet.XXXXXX)
chmod 0755 "$work"
merged=$work/merged
cleanup() {
  if mountpoint -q "$merged"; then umount "$merged" || umount -l "$merged"; fi
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/upper" "$work/work" "$merged"
mount -t overlay berth-check-quadlet -o "lowerdir=$tree,upperdir=$work/upper,workdir=$work/work" "$merged"
# Everything Quadlet reads or writes lives under this directory of the overlay.
croot=/run/berth-check-quadlet
mkdir -p "$merged$croot"

fail=0
render_sets "$work/sets" || fail=1

# run_quadlet SET [-user]: Quadlet over $croot/SET/src into $croot/SET/out; its
# stderr must stay empty.
run_quadlet() {
  local s=$1 err
  rm -rf "$merged$croot/$s/out"
  mkdir -p "$merged$croot/$s/out"
  if ! err=$(chroot "$merged" env QUADLET_UNIT_DIRS="$croot/$s/src" \
               /usr/libexec/podman/quadlet ${2:-} -no-kmsg-log "$croot/$s/out" 2>&1 >/dev/null) || [ -n "$err" ]; then
    echo "FAIL Quadlet on $s:"; printf '%s\n' "$err" | sed 's/^/    /'
    return 1
  fi
}

nsets=0 compared=0 units=0 passed=()
for d in "$work"/sets/*/; do
  d=${d%/}
  s=$(basename "$d")
  [ -n "$(find "$d/quadlet" -maxdepth 1 -name '*.container' 2>/dev/null)" ] || continue
  nsets=$((nsets + 1))
  echo "--- $(cat "$d/origin")"
  mkdir -p "$merged$croot/$s/src"
  find "$d/quadlet" -maxdepth 1 -type f \( -name '*.container' -o -name '*.network' -o -name '*.build' -o -name '*.volume' \) \
    -exec cp -t "$merged$croot/$s/src" {} +
  qflag=
  [ "$(cat "$d/scope")" = user ] && qflag=-user
  run_quadlet "$s" $qflag || { fail=1; continue; }
  if out=$(python3 "$TOOLS/quadlet_compare.py" "$merged$croot/$s/src" "$d/native" "$merged$croot/$s/out"); then
    compared=$((compared + 1))
    units=$((units + $(grep -c '^ok ' <<<"$out")))
    [ "$(cat "$d/scope")" = system ] && passed+=("$s")
  else
    fail=1
  fi
  printf '%s\n' "$out"
done

# What Quadlet cannot express must be refused, not rendered differently; the
# native rendering of the same manifest works.
refused=0
for m in tests/quadlet/refuse/*.yaml; do
  [ -e "$m" ] || continue
  out=$work/refuse/$(basename "$m" .yaml)
  mkdir -p "$out/q" "$out/s"
  if ! BERTH_CONF=/nonexistent/berth.conf "$BERTH" render --format=systemd --out "$out/s" "$m"; then
    echo "FAIL $m: the native rendering failed"; fail=1
  elif BERTH_CONF=/nonexistent/berth.conf "$BERTH" render --format=quadlet --out "$out/q" "$m" 2>"$out/err"; then
    echo "FAIL $m: rendered as Quadlet, expected a refusal"; fail=1
  elif ! grep -qF "$m: container " "$out/err" || ! grep -q "expected --format=systemd for this app (it cannot be rendered as Quadlet files)" "$out/err"; then
    echo "FAIL $m: refused as Quadlet without saying why:"; sed 's/^/    /' "$out/err"; fail=1
  else
    echo "ok   $m: refused as Quadlet: $(head -n 1 "$out/err")"; refused=$((refused + 1))
  fi
done

# Negative control: an Environment= value that loses a quote must be caught.
ctl=
for s in "${passed[@]}"; do
  ctl=$(grep -l '^Environment=.*\\"' "$merged$croot/$s"/src/*.container 2>/dev/null | head -n1 || true)
  [ -n "$ctl" ] && break
done
if [ -z "$ctl" ]; then
  echo "FAIL negative control: no Environment= value with a quote to break"; fail=1
else
  sed -i '0,/^\(Environment=.*\)\\"/s//\1/' "$ctl"
  if run_quadlet "$s" >/dev/null &&
     python3 "$TOOLS/quadlet_compare.py" "$merged$croot/$s/src" "$work/sets/$s/native" "$merged$croot/$s/out" >/dev/null; then
    echo "FAIL negative control: a dropped quote in $(basename "$ctl") went unnoticed"; fail=1
  else
    echo "ok   negative control: a dropped quote in $(basename "$ctl") is reported"
  fi
fi

echo "check-quadlet: $compared of $nsets rendered sets ($units container and build services) give podman the same arguments; $refused refused as Quadlet"
exit $fail
