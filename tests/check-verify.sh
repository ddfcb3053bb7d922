#!/bin/bash
# check-verify.sh — every unit berth renders passes `systemd-analyze verify` under
# systemd 257 (Debian trixie) and 252 (Debian bookworm) (issue 2, point 8).
#
# The units: tests/tools/render-sets.sh renders every manifest the tests know
# (tests/manifests/valid, tests/quadlet, and each tests/golden case through
# berth-generator itself), natively and as Quadlet, rootful and rootless; the
# rendering of tests/quadlet/refuse/ is added. For each flavour the cached tree of
# tests/e2e/mkrootfs.sh is mounted below an overlay (the tree itself is never
# written), berth is installed into it with `make install` (verify checks that every
# executable a unit names exists), and the units are verified inside it with chroot,
# rootless apps with `systemd-analyze --user`. Apps whose unit names clash are
# verified in separate runs.
# Where the tree has podman's Quadlet (trixie), the Quadlet route is verified too:
# the services Quadlet generates from `berth render --format=quadlet`, with the
# app's other units.
# berth's static units (units/, as `make install` puts them) are verified as well.
# Any output (stderr or stdout) is a failure: unknown keys and bad values are only
# warnings to systemd-analyze. Needs root (mount, chroot).
set -euo pipefail
cd "${BERTH_SRC:-$(dirname "$0")/..}"
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
BERTH=$BUILD/berth
GENERATOR=$BUILD/berth-generator
FLAVOURS=${VERIFY_FLAVOURS:-trixie bookworm}
# shellcheck source=tests/tools/render-sets.sh
. tests/tools/render-sets.sh

if [ "$(id -u)" != 0 ]; then
  echo "check-verify: needs root (overlay mount and chroot)" >&2
  exit 1
fi

work=$(mktemp -d /var/tmp/berth-check-verify.XXXXXX)
chmod 0755 "$work"
mounts=()
cleanup() {
  local m
  for m in "${mounts[@]}"; do
    if mountpoint -q "$m"; then umount "$m" || umount -l "$m"; fi
  done
  rm -rf "$work"
}
trap cleanup EXIT

fail=0
render_sets "$work/sets" || fail=1
n=0
for m in tests/quadlet/refuse/*.yaml; do
  [ -e "$m" ] || continue
  n=$((n + 1))
  d=$work/sets/refuse-$n
  mkdir -p "$d/native"
  echo system > "$d/scope"; echo "$m" > "$d/origin"
  BERTH_CONF=/nonexistent/berth.conf "$BERTH" render --format=systemd --out "$d/native" "$m" ||
    { echo "FAIL $m: berth render failed"; fail=1; }
done

# Batches: a set goes into the first batch of its scope where none of its unit
# names is taken yet.
declare -A taken=() batch=()
nbatches=0
for d in "$work"/sets/*/; do
  d=${d%/}
  scope=$(cat "$d/scope")
  names=$(find "$d/native" -maxdepth 1 -type f -printf '%f\n')
  b=0
  while :; do
    clash=0
    for u in $names; do [ -n "${taken[$scope/$b/$u]:-}" ] && { clash=1; break; }; done
    ((clash)) || break
    b=$((b + 1))
  done
  for u in $names; do taken[$scope/$b/$u]=1; done
  batch[$d]=$scope-b$b
  ((b + 1 > nbatches)) && nbatches=$((b + 1))
done
echo "check-verify: $(ls "$work/sets" | wc -l) rendered sets, up to $nbatches run(s) per scope"

# verify_dir MERGED LABEL SCOPE DIR: verify every unit file under MERGED/DIR at once.
verify_dir() {
  local merged=$1 label=$2 scope=$3 dir=$4 f units=() mode=()
  while IFS= read -r -d '' f; do
    units+=("/${f#"$merged/"}")
  done < <(find "$merged/$dir" -type f \( -name '*.service' -o -name '*.target' -o -name '*.slice' \
             -o -name '*.timer' -o -name '*.socket' -o -name '*.path' -o -name '*.mount' \) -print0 | sort -z)
  ((${#units[@]})) || return 0
  verified=$((verified + ${#units[@]}))
  [ "$scope" = user ] && mode=(env XDG_RUNTIME_DIR=/run/user/0 HOME=/root systemd-analyze --user)
  [ "$scope" = user ] || mode=(systemd-analyze)
  if ! chroot "$merged" "${mode[@]}" verify --man=no --generators=no "${units[@]}" >"$work/out" 2>"$work/err" ||
     [ -s "$work/err" ] || [ -s "$work/out" ]; then
    echo "FAIL $label: systemd-analyze verify:"
    sed 's/^/    /' "$work/err" "$work/out"
    fail=1
  fi
}

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
  install -d -m 0700 "$merged/run/user/0"
  has_quadlet=0
  [ -x "$merged/usr/libexec/podman/quadlet" ] && has_quadlet=1

  # Lay out native/<batch>/<set>/ and quadlet/<batch>/<set>/{src,generated}/.
  for d in "$work"/sets/*/; do
    d=${d%/}
    set_name=$(basename "$d") b=${batch[$d]}
    mkdir -p "$merged/berth-verify/native/$b"
    cp -a "$d/native" "$merged/berth-verify/native/$b/$set_name"
    ((has_quadlet)) && [ -d "$d/quadlet" ] && [ -n "$(ls -A "$d/quadlet")" ] || continue
    rel=berth-verify/quadlet/$b/$set_name
    mkdir -p "$merged/$rel/src" "$merged/$rel/generated"
    find "$d/quadlet" -maxdepth 1 -type f \( -name '*.container' -o -name '*.network' -o -name '*.build' -o -name '*.volume' \) \
      -exec cp -t "$merged/$rel/src" {} +
    find "$d/quadlet" -maxdepth 1 -type f ! -name '*.container' ! -name '*.network' ! -name '*.build' ! -name '*.volume' \
      -exec cp -t "$merged/$rel/generated" {} +
    qflag=()
    [ "$(cat "$d/scope")" = user ] && qflag=(-user)
    if ! err=$(chroot "$merged" env QUADLET_UNIT_DIRS="/$rel/src" /usr/libexec/podman/quadlet "${qflag[@]}" -no-kmsg-log \
                 "/$rel/generated" 2>&1 >/dev/null) || [ -n "$err" ]; then
      echo "FAIL $flavour: Quadlet on $(cat "$d/origin"):"; printf '%s\n' "$err" | sed 's/^/    /'; fail=1
    fi
  done

  # berth's own static units, as installed (a template through an instance);
  # /lib and /usr/lib are one directory in a merged-/usr tree.
  static=()
  declare -A seen=()
  while IFS= read -r -d '' f; do
    u=$(basename "$f")
    [ -n "${seen[$u]:-}" ] && continue
    seen[$u]=1
    case $u in
      *@.*) static+=("${u%%@.*}@verify.${u##*.}") ;;
      *) static+=("/${f#"$merged/"}") ;;
    esac
  done < <(find "$merged/usr/lib/systemd/system" "$merged/lib/systemd/system" -maxdepth 1 -name 'berth*' -type f \
             -print0 2>/dev/null)
  unset seen
  if ((${#static[@]})); then
    if ! chroot "$merged" systemd-analyze verify --man=no --generators=no "${static[@]}" >"$work/out" 2>"$work/err" ||
       [ -s "$work/err" ] || [ -s "$work/out" ]; then
      echo "FAIL $flavour ($version), berth's static units: systemd-analyze verify:"
      sed 's/^/    /' "$work/err" "$work/out"
      fail=1
    fi
    echo "check-verify: $flavour ($version): ${#static[@]} static units verified (${static[*]##*/})"
  fi

  for route in native quadlet; do
    [ -d "$merged/berth-verify/$route" ] || continue
    verified=0
    for b in "$merged/berth-verify/$route"/*/; do
      b=$(basename "$b")
      verify_dir "$merged" "$flavour ($version), $route units, run $b" "${b%%-*}" "berth-verify/$route/$b"
    done
    echo "check-verify: $flavour ($version): $verified $route units verified"
  done
  umount "$merged"
done
exit $fail
