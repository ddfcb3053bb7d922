#!/bin/bash
# install-deps.sh — every build and test dependency of berth, from Debian's
# registry by package name. Idempotent; needs root. `make deps` runs it.
set -euo pipefail
PKGS=(
  # build
  gcc make pkg-config libyaml-dev libjson-c-dev libsystemd-dev libsodium-dev
  libsqlite3-dev libarchive-dev
  # fuzzing and sanitizers (clang's libFuzzer)
  clang libclang-rt-14-dev
  # tests: systemd-analyze, a private D-Bus with polkit mock, python for test tools,
  # strace for what the generator does
  systemd dbus python3 python3-dbusmock strace
  # backup storage: the restic driver's tests run the real program
  restic
  # booted test bed: systemd-nspawn, the Debian trees, a static busybox for images
  systemd-container mmdebstrap busybox-static uidmap iproute2 openssh-client
  # man page checks
  man-db groff-base
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "install-deps: all ${#PKGS[@]} packages present" >&2
