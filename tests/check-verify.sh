#!/bin/bash
# check-verify.sh — every unit berth renders passes `systemd-analyze verify` under
# systemd 257 (Debian trixie) and 252 (Debian bookworm) (issue 2, point 8).
#
# Manifests: tests/manifests/valid/, tests/golden/*/apps/, tests/quadlet/ and
# tests/quadlet/refuse/ (a berth.conf next to a manifest, or in the directory above,
# is used for it). Each is rendered with `berth render --format=systemd` (the
# generator's output). For each flavour the cached tree of tests/e2e/mkrootfs.sh is
# mounted below an overlay (the tree itself is never written), berth is installed
# into it with `make install` (verify checks that every executable exists), and the
# units are verified inside it with chroot.
# Where the tree has podman's Quadlet (trixie), the Quadlet route is verified too:
# `berth render --format=quadlet`, the services Quadlet generates from it, and the
# app's other units.
# Any output (stderr or stdout) is a failure: unknown keys and bad values are only
# warnings to systemd-analyze. Needs root (mount, chroot).
set -euo pipefail
cd "${BERTH_SRC:-$(dirname "$0")/..}"
BUILD=${BUILD:-build}
BERTH=$PWD/$BUILD/berth
FLAVOURS=${VERIFY_FLAVOURS:-trixie bookworm}

if [ "$(id -u)" != 0 ]; then
  echo "check-verify: needs root (overlay mount and chroot)" >&2
  exit 1
fi

work=$(mktemp -d /var/tmp/berth-check-verify.XXXXXX)
mounts=()
cleanup() {
  local m
  for m in "${mounts[@]}"; do
    if mountpoint -q "$m"; then umount "$m" || umount -l "$m"; fi
  done
  rm -rf "$work"
}
trap cleanup EXIT

# --- render every manifest into its own directory -----------------------------
# $work/native/bB/I-ID/   units of manifest I, batch B
# $work/quadlet/bB/I-ID/  its Quadlet files (not for tests/quadlet/refuse/)
manifests=()
for f in tests/manifests/valid/*.yaml tests/golden/*/apps/*.yaml tests/quadlet/*.yaml tests/quadlet/refuse/*.yaml; do
  [ -e "$f" ] && manifests+=("$f")
done
fail=0
declare -A batch_of=()   # app id -> number of apps with that id seen so far
nbatches=0
for i in "${!manifests[@]}"; do
  m=${manifests[$i]}
  conf=$(dirname "$m")/berth.conf
  [ -f "$conf" ] || conf=$(dirname "$(dirname "$m")")/berth.conf
  [ -f "$conf" ] || conf=/dev/null
  id=$(basename "$m" .yaml)
  # Apps of one batch are verified together, so their ids (and unit names) must differ.
  b=${batch_of[$id]:-0}
  batch_of[$id]=$((b + 1))
  ((b + 1 > nbatches)) && nbatches=$((b + 1))
  mkdir -p "$work/native/b$b/$i-$id"
  if ! BERTH_CONF=$conf "$BERTH" render --format=systemd --out "$work/native/b$b/$i-$id" "$m"; then
    echo "FAIL $m: berth render failed"; fail=1
  fi
  case $m in tests/quadlet/refuse/*) continue ;; esac
  mkdir -p "$work/quadlet/b$b/$i-$id"
  if ! BERTH_CONF=$conf "$BERTH" render --format=quadlet --out "$work/quadlet/b$b/$i-$id" "$m"; then
    echo "FAIL $m: berth render --format=quadlet failed"; fail=1
  fi
done
echo "check-verify: ${#manifests[@]} manifests rendered, $nbatches batch(es)"

# verify_batch MERGED LABEL DIR: verify every unit file under MERGED/DIR at once.
verify_batch() {
  local merged=$1 label=$2 dir=$3 f units=()
  while IFS= read -r -d '' f; do
    units+=("/${f#"$merged/"}")
  done < <(find "$merged/$dir" -type f \( -name '*.service' -o -name '*.target' -o -name '*.slice' \
             -o -name '*.timer' -o -name '*.socket' -o -name '*.path' -o -name '*.mount' \) -print0 | sort -z)
  ((${#units[@]})) || return 0
  verified=$((verified + ${#units[@]}))
  if ! chroot "$merged" systemd-analyze verify --man=no --generators=no "${units[@]}" >"$work/out" 2>"$work/err" ||
     [ -s "$work/err" ] || [ -s "$work/out" ]; then
    echo "FAIL $label: systemd-analyze verify:"
    sed 's/^/    /' "$work/err" "$work/out"
    fail=1
  fi
}

# --- verify them in each tree ----------------------------------------------------
for flavour in $FLAVOURS; do
  tree=$(tests/e2e/mkrootfs.sh "$flavour")
  merged=$work/$flavour/merged
  mkdir -p "$work/$flavour/upper" "$work/$flavour/work" "$merged"
  mount -t overlay "berth-check-verify-$flavour" \
    -o "lowerdir=$tree,upperdir=$work/$flavour/upper,workdir=$work/$flavour/work" "$merged"
  mounts+=("$merged")
  if ! make -s install DESTDIR="$merged" PREFIX=/usr LIBEXECDIR="${LIBEXECDIR:-/usr/libexec/berth}" >"$work/install.log" 2>&1; then
    echo "FAIL $flavour: make install into the tree failed"; cat "$work/install.log"; fail=1; continue
  fi
  version=$(chroot "$merged" systemctl --version | head -n1)
  cp -a "$work/native" "$merged/berth-verify-native"
  verified=0
  for ((b = 0; b < nbatches; b++)); do
    verify_batch "$merged" "$flavour ($version), native units, batch $b" "berth-verify-native/b$b"
  done
  echo "check-verify: $flavour ($version): $verified native units verified"

  if [ -x "$merged/usr/libexec/podman/quadlet" ] && [ -d "$work/quadlet" ]; then
    verified=0
    for ((b = 0; b < nbatches; b++)); do
      [ -d "$work/quadlet/b$b" ] || continue
      for d in "$work/quadlet/b$b"/*; do
        rel=berth-verify-quadlet/b$b/$(basename "$d")
        mkdir -p "$merged/$rel/src" "$merged/$rel/generated"
        # The app's own units as they are, the Quadlet files turned into services.
        find "$d" -maxdepth 1 -type f ! -name '*.container' ! -name '*.network' ! -name '*.build' \
          ! -name '*.volume' -exec cp -t "$merged/$rel/generated" {} +
        find "$d" -maxdepth 1 -type f \( -name '*.container' -o -name '*.network' -o -name '*.build' -o -name '*.volume' \) \
          -exec cp -t "$merged/$rel/src" {} +
        if ! err=$(chroot "$merged" env QUADLET_UNIT_DIRS="/$rel/src" /usr/libexec/podman/quadlet -no-kmsg-log \
                     "/$rel/generated" 2>&1 >/dev/null) || [ -n "$err" ]; then
          echo "FAIL $flavour: Quadlet on $(basename "$d"):"; printf '%s\n' "$err" | sed 's/^/    /'; fail=1
        fi
      done
      verify_batch "$merged" "$flavour ($version), Quadlet route, batch $b" "berth-verify-quadlet/b$b"
    done
    echo "check-verify: $flavour ($version): $verified units of the Quadlet route verified"
  fi
  umount "$merged"
done
exit $fail
