#!/bin/bash
# mkrootfs.sh FLAVOUR - build (or reuse) the Debian tree the e2e test bed boots.
#   FLAVOUR: trixie (systemd 257, podman 5 with Quadlet) or bookworm (systemd 252,
#   podman 4.3, no Quadlet).
# The tree is cached under $BERTH_E2E_VAR (default /var/tmp/berth-e2e) and keyed by a
# hash of the package list and the customisation below; FRESH=1 rebuilds (CI does).
# Prints the tree's path on stdout.
set -euo pipefail
flavour=${1:?usage: mkrootfs.sh trixie|bookworm}
VAR=${BERTH_E2E_VAR:-/var/tmp/berth-e2e}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECMIRROR=${SECMIRROR:-http://deb.debian.org/debian-security}

common=systemd,systemd-sysv,dbus,libpam-systemd,podman,conmon,uidmap,catatonit,nftables,iptables,restic,iproute2,busybox-static,curl,openssh-client,openssh-server,rsync,procps,ca-certificates,polkitd,sqlite3,libyaml-0-2,libjson-c5,libsodium23,libsqlite3-0,netavark,aardvark-dns
case $flavour in
  trixie)   pkgs=$common,crun,passt,libarchive13t64 ;;
  # crun 1.8.1 fails here (RLIMIT_MEMLOCK needs CAP_SYS_RESOURCE, which this host
  # lacks): the bookworm guest runs runc.
  bookworm) pkgs=$common,runc,slirp4netns,libarchive13 ;;
  *) echo "mkrootfs.sh: unknown flavour '$flavour', expected trixie or bookworm" >&2; exit 2 ;;
esac

customize=$(cat <<'EOF'
set -e
R="$1"
rm -f "$R/etc/hostname"
: > "$R/etc/machine-id"
# CONFIG_MODULES is off on this kernel; timers that only add noise.
systemctl --root="$R" mask systemd-modules-load.service apt-daily.timer apt-daily-upgrade.timer \
  dpkg-db-backup.timer e2scrub_all.timer fstrim.timer >/dev/null 2>&1 || true
# The guest's cgroup-v2 tree has no controllers delegated (the host keeps them on v1):
# podman's default pids limit would make the OCI runtime fail.
mkdir -p "$R/etc/containers/containers.conf.d"
printf '[containers]\npids_limit = 0\n' > "$R/etc/containers/containers.conf.d/50-berth-e2e.conf"
if [ -x "$R/usr/sbin/runc" ] && [ ! -x "$R/usr/bin/crun" ]; then
  printf '[engine]\nruntime = "runc"\n' > "$R/etc/containers/containers.conf.d/51-berth-e2e-runc.conf"
fi
install -d -m 700 "$R/root/.ssh"
EOF
)
hash=$(printf '%s\n%s\n%s\n%s\n' "$flavour" "$MIRROR" "$pkgs" "$customize" | sha256sum | cut -c1-16)
tree=$VAR/rootfs/$flavour
if [ "${FRESH:-0}" != 1 ] && [ -d "$tree/usr/lib/systemd" ] && [ "$(cat "$tree.stamp" 2>/dev/null)" = "$hash" ]; then
  echo "$tree"; exit 0
fi
mkdir -p "$VAR/rootfs"
tmp=$tree.new
rm -rf "$tmp"
echo "mkrootfs: mmdebstrap $flavour -> $tree" >&2
mmdebstrap --quiet --variant=minbase --mode=root \
  --aptopt='Acquire::Languages "none"' \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --include="$pkgs" \
  --customize-hook="$customize" \
  "$flavour" "$tmp" \
  "deb $MIRROR $flavour main" \
  "deb $MIRROR $flavour-updates main" \
  "deb $SECMIRROR $flavour-security main" >&2
rm -rf "$tree"
mv "$tmp" "$tree"
echo "$hash" > "$tree.stamp"
echo "$tree"
