#!/bin/bash
# check-quadlet.sh — the native and the Quadlet rendering of a manifest give podman
# the same container (issue 2, point 7).
#
# For every manifest in tests/quadlet/ (built to exercise every container field and
# the nastiest quoting), tests/manifests/valid/ and tests/golden/*/apps/,
# `berth render --format=quadlet` is fed to podman 5's own Quadlet inside the trixie
# tree (tests/e2e/mkrootfs.sh, below an overlay: the tree is never written), and the
# ExecStart= of each generated service is compared with the native
# `berth render --format=systemd` one by tests/tools/quadlet_compare.py, which
# parses both as systemd does. What Quadlet cannot express (tests/quadlet/refuse/)
# must be refused by `berth render --format=quadlet`.
# A negative control then drops a quote from one Environment= value and expects the
# comparison to fail, so the check is known to be able to fail.
# Needs root (mount, chroot).
set -euo pipefail
cd "${BERTH_SRC:-$(dirname "$0")/..}"
BUILD=${BUILD:-build}
BERTH=$PWD/$BUILD/berth
TOOLS=$PWD/tests/tools

if [ "$(id -u)" != 0 ]; then
  echo "check-quadlet: needs root (overlay mount and chroot)" >&2
  exit 1
fi
python3 "$TOOLS/systemd_cmdline.py" --self-test

tree=$(tests/e2e/mkrootfs.sh trixie)
[ -x "$tree/usr/libexec/podman/quadlet" ] || { echo "check-quadlet: no Quadlet in $tree" >&2; exit 1; }

work=$(mktemp -d /var/tmp/berth-check-quadlet.XXXXXX)
merged=$work/merged
cleanup() {
  if mountpoint -q "$merged"; then umount "$merged" || umount -l "$merged"; fi
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/upper" "$work/work" "$merged" "$work/native"
mount -t overlay berth-check-quadlet -o "lowerdir=$tree,upperdir=$work/upper,workdir=$work/work" "$merged"
# Everything Quadlet reads or writes lives under this directory of the overlay.
croot=/run/berth-check-quadlet
mkdir -p "$merged$croot"

manifests=(tests/quadlet/*.yaml)
for f in tests/manifests/valid/*.yaml tests/golden/*/apps/*.yaml; do [ -e "$f" ] && manifests+=("$f"); done

# run_quadlet N [-user]: Quadlet over $croot/N/src into $croot/N/out; its stderr
# must stay empty.
run_quadlet() {
  local n=$1 err
  rm -rf "$merged$croot/$n/out"
  mkdir -p "$merged$croot/$n/out"
  if ! err=$(chroot "$merged" env QUADLET_UNIT_DIRS="$croot/$n/src" \
               /usr/libexec/podman/quadlet ${2:-} -no-kmsg-log "$croot/$n/out" 2>&1 >/dev/null) || [ -n "$err" ]; then
    echo "FAIL Quadlet on $n:"; printf '%s\n' "$err" | sed 's/^/    /'
    return 1
  fi
}

# Rootful apps (a private user namespace each) for every manifest, rootless ones
# (berth --user, Quadlet -user) for tests/quadlet/.
fail=0 n=0 compared=0 passed=()
for scope in system user; do
  if [ $scope = system ]; then
    set -- "${manifests[@]}"
    berth=("$BERTH") qflag=
  else
    set -- tests/quadlet/*.yaml
    berth=(env HOME=/home/berth-check XDG_RUNTIME_DIR=/run/user/1000 "$BERTH" --user) qflag=-user
  fi
  for m; do
    n=$((n + 1))
    name=$n-$(basename "$m" .yaml)
    conf=$(dirname "$m")/berth.conf
    [ -f "$conf" ] || conf=$(dirname "$(dirname "$m")")/berth.conf
    [ -f "$conf" ] || conf=/dev/null
    src=$merged$croot/$name/src
    mkdir -p "$src" "$work/native/$name"
    echo "--- $m ($scope)"
    if ! BERTH_CONF=$conf "${berth[@]}" render --format=quadlet --out "$src" "$m" ||
       ! BERTH_CONF=$conf "${berth[@]}" render --format=systemd --out "$work/native/$name" "$m"; then
      echo "FAIL $m: berth render failed"; fail=1; continue
    fi
    run_quadlet "$name" $qflag || { fail=1; continue; }
    if python3 "$TOOLS/quadlet_compare.py" "$src" "$work/native/$name" "$merged$croot/$name/out"; then
      compared=$((compared + 1))
      [ $scope = system ] && passed+=("$name")
    else
      fail=1
    fi
  done
done

# What Quadlet cannot express must be refused, not rendered differently; the
# native rendering of the same manifest works.
refused=0
for m in tests/quadlet/refuse/*.yaml; do
  [ -e "$m" ] || continue
  out=$work/refuse/$(basename "$m" .yaml)
  mkdir -p "$out/q" "$out/s"
  if ! BERTH_CONF=/dev/null "$BERTH" render --format=systemd --out "$out/s" "$m"; then
    echo "FAIL $m: the native rendering failed"; fail=1
  elif BERTH_CONF=/dev/null "$BERTH" render --format=quadlet --out "$out/q" "$m" 2>/dev/null; then
    echo "FAIL $m: rendered as Quadlet, expected a refusal"; fail=1
  else
    echo "ok   $m: refused as Quadlet"; refused=$((refused + 1))
  fi
done

# Negative control: an Environment= value that loses a quote must be caught.
ctl=
for p in "${passed[@]}"; do
  ctl=$(grep -l '^Environment=.*\\"' "$merged$croot/$p"/src/*.container 2>/dev/null | head -n1 || true)
  [ -n "$ctl" ] && break
done
if [ -z "$ctl" ]; then
  echo "FAIL negative control: no Environment= value with a quote to break"; fail=1
else
  cname=${ctl#"$merged$croot/"}; cname=${cname%%/*}
  sed -i '0,/^\(Environment=.*\)\\"/s//\1/' "$ctl"
  if run_quadlet "$cname" >/dev/null &&
     python3 "$TOOLS/quadlet_compare.py" "$merged$croot/$cname/src" "$work/native/$cname" "$merged$croot/$cname/out" >/dev/null; then
    echo "FAIL negative control: a dropped quote in $(basename "$ctl") went unnoticed"; fail=1
  else
    echo "ok   negative control: a dropped quote in $(basename "$ctl") is reported"
  fi
fi

echo "check-quadlet: $compared of $n renderings (${#manifests[@]} manifests, rootful; tests/quadlet also rootless) give podman the same arguments; $refused refused as Quadlet"
exit $fail
