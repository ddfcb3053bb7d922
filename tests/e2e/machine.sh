# shellcheck shell=bash
# machine.sh - the e2e test bed's machines: Debian trees booted with systemd-nspawn as a
# real PID 1, on a host whose own PID 1 is not systemd (cgroup v1 hybrid, no machined).
#
# A machine is a directory $E2E_RUN/machines/NAME holding:
#   root/        overlay mount: lower = the cached tree (never written), upper = upper/
#   upper/ work/ the overlay's writable layer: survives reboots of this machine in this run
#   containers/  bound at /var/lib/containers (podman's overlay driver refuses an overlayfs
#                backing directory) - persistent, so an imported image survives reboots
#   berth/       bound at /var/lib/berth: berth's data, secrets and journals live on a real
#                filesystem, as on a real host (rename/fsync/statfs are not overlayfs's)
#   network      (optional) nspawn network option replacing --private-network (machine_link)
#   nspawn.pid   pid of systemd-nspawn while the machine runs
#   console.log  what nspawn and the guest printed, all boots
# Sourced by run.sh and (through lib.sh) by the suites; needs E2E_RUN, E2E_TREE,
# E2E_SHARE, E2E_INSTALL.

E2E_CG=berth-e2e                                  # host cgroup the nspawn processes live in
E2E_BOOT_TIMEOUT=${E2E_BOOT_TIMEOUT:-90}
E2E_GUEST_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

e2e_log() { printf '[e2e %(%T)T] %s\n' -1 "$*" >&2; }
_ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

machine_dir() { echo "$E2E_RUN/machines/$1"; }

# The name nspawn and the host know a machine by: unique across concurrent runs (the run
# id ends in run.sh's pid); inside, the hostname is the plain NAME.
machine_host_id() { echo "$1-${E2E_RUN##*-}"; }

machine_nspawn_pid() {
  local p; p=$(cat "$(machine_dir "$1")/nspawn.pid" 2>/dev/null) || return 1
  [ -n "$p" ] && [ "$(cat "/proc/$p/comm" 2>/dev/null)" = systemd-nspawn ] || return 1
  echo "$p"
}

machine_running() { machine_nspawn_pid "$1" >/dev/null; }

# PID (host view) of the guest's PID 1. nspawn's child is at first a transient "outer
# child" that forks PID 1 and exits (nspawn then reaps PID 1 as a subreaper): the
# leader is the child that is PID 1 in its own namespace.
machine_leader() {
  local np c key inner kids=(); np=$(machine_nspawn_pid "$1") || return 1
  read -ra kids 2>/dev/null < "/proc/$np/task/$np/children"
  for c in "${kids[@]}"; do
    # "NSpid: <pid here> <pid in its namespace>"
    while read -r key _ inner _; do
      [ "$key" = NSpid: ] && [ "$inner" = 1 ] && { echo "$c"; return 0; }
    done 2>/dev/null < "/proc/$c/status"
  done
  return 1
}

# machine_create NAME - overlay root over the cached tree, berth installed into it.
machine_create() {
  local name=$1 d; d=$(machine_dir "$1")
  [ -e "$d" ] && { e2e_log "machine $name already exists"; return 1; }
  mkdir -p "$d"/{upper,work,root,containers,berth}
  mount -t overlay "e2e-$name" -o "lowerdir=$E2E_TREE,upperdir=$d/upper,workdir=$d/work" "$d/root" || return 1
  local r=$d/root
  # A fixed machine id: the persistent journal and anything keyed by it stay the same
  # across reboots (an empty /etc/machine-id would make every boot a "first boot").
  tr -d '-' < /proc/sys/kernel/random/uuid > "$r/etc/machine-id"
  # Persistent journal: earlier boots stay readable after a reboot test.
  mkdir -p "$r/var/log/journal"
  # root may ssh between the machines of a pair (migrate/SFTP tests).
  install -d -m 700 "$r/root/.ssh"
  install -m 600 "$E2E_SHARE/ssh/id_ed25519.pub" "$r/root/.ssh/authorized_keys"
  install -m 600 "$E2E_SHARE/ssh/id_ed25519" "$r/root/.ssh/id_ed25519"
  printf 'Host *\n  StrictHostKeyChecking accept-new\n  BatchMode yes\n  ConnectTimeout 10\n' \
    > "$r/root/.ssh/config"
  # This host has no CAP_SYS_RESOURCE: nothing can raise a hard rlimit, and podman build
  # asks for nofile/nproc 1048576 for a RUN step ("setrlimit `RLIMIT_NOFILE`: Operation
  # not permitted"). Containers get the host's hard limits instead (podman run already
  # does that by itself); a host with higher limits is left alone.
  local nofile nproc; nofile=$(ulimit -Hn) nproc=$(ulimit -Hu)
  if [ "$nofile" != unlimited ] && [ "$nofile" -lt 1048576 ] \
     || [ "$nproc" != unlimited ] && [ "$nproc" -lt 1048576 ]; then
    printf '[containers]\ndefault_ulimits = ["nofile=%s:%s", "nproc=%s:%s"]\n' \
      "$nofile" "$nofile" "$nproc" "$nproc" > "$r/etc/containers/containers.conf.d/52-berth-e2e-ulimits.conf"
  fi
  # berth, as `make install DESTDIR=… PREFIX=/usr` staged it once for this run (run.sh):
  # every machine of a run gets the same bits, however the source tree moves meanwhile.
  # --keep-directory-symlink: /lib, /bin are symlinks into /usr in these trees.
  tar -C "$E2E_INSTALL" -cf - . | tar -C "$r" --keep-directory-symlink -xf - || return 1
}

# Enter the machine's own host cgroup (v2 and the v1 name=systemd hierarchy):
# nspawn --keep-unit creates payload/ and supervisor/ next to itself, one machine each.
_machine_enter_cgroup() {
  local h
  for h in /sys/fs/cgroup/unified /sys/fs/cgroup/systemd; do
    [ -d "$h" ] || continue
    mkdir -p "$h/$E2E_CG/$(machine_host_id "$1")"
    echo "$BASHPID" > "$h/$E2E_CG/$(machine_host_id "$1")/cgroup.procs"
  done
}

_machine_cgroup_cleanup() {
  local h pid cg
  for h in /sys/fs/cgroup/unified /sys/fs/cgroup/systemd; do
    cg=$h/$E2E_CG/$(machine_host_id "$1")
    [ -d "$cg" ] || continue
    # Anything left behind is a process of this machine.
    while read -r pid; do
      kill -9 "$pid" 2>/dev/null
    done < <(find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null)
    find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null
  done
}

# machine_boot NAME - boot the machine and wait until systemd says "running".
machine_boot() {
  local name=$1 d; d=$(machine_dir "$1")
  [ -d "$d/root/usr/lib/systemd" ] || { e2e_log "machine $name not created"; return 1; }
  machine_running "$name" && { e2e_log "machine $name already running"; return 1; }
  local net=(--private-network)
  [ -f "$d/network" ] && net=("$(cat "$d/network")")
  local t0; t0=$(date +%s%N)
  printf '\n==== boot %(%F %T)T ====\n' -1 >> "$d/console.log"
  (
    _machine_enter_cgroup "$name"
    # Flags, all needed here (runtime/NOTES.md has the error each one avoids):
    # SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1: a pure cgroup2 tree in the guest (the host is
    #   v1 hybrid; nested crun/runc fail in hybrid mode). It has no controllers: limits
    #   are rendered but not enforced, and podman needs pids_limit=0 (mkrootfs.sh).
    # --register=no --keep-unit: no systemd/machined on the host to talk to.
    # --private-network (or --network-bridge, machine_link): netavark needs CAP_NET_ADMIN
    #   and a writable /proc/sys/net, both of which nspawn gives a private network only.
    # --system-call-filter: the OCI runtime needs keyctl and bpf (device filter).
    # --console=read-only: no tty; the boot log goes to console.log.
    SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 exec systemd-nspawn \
      --quiet --directory="$d/root" --machine="$(machine_host_id "$name")" --hostname="$name" \
      --register=no --keep-unit "${net[@]}" \
      --system-call-filter='@keyring bpf' \
      --bind="$d/containers:/var/lib/containers" \
      --bind="$d/berth:/var/lib/berth" \
      --bind-ro="$E2E_SHARE:/e2e" \
      --console=read-only --boot \
      </dev/null >>"$d/console.log" 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
  ) &
  local np=$!
  echo "$np" > "$d/nspawn.pid"
  local i leader=""
  for ((i = 0; i < E2E_BOOT_TIMEOUT * 20; i++)); do
    leader=$(machine_leader "$name") && break
    kill -0 "$np" 2>/dev/null || break   # (not yet exec'd into nspawn is fine)
    sleep 0.05
  done
  if [ -z "$leader" ]; then
    e2e_log "machine $name: systemd-nspawn exited during start:"; tail -n 20 "$d/console.log" >&2
    return 1
  fi
  # Before PID 1 opens its private socket, systemctl fails with "Failed to connect to
  # system scope bus via local transport: No such file or directory".
  for ((i = 0; i < E2E_BOOT_TIMEOUT * 20; i++)); do
    nsenter -t "$leader" -m test -S /run/systemd/private 2>/dev/null && break
    kill -0 "$np" 2>/dev/null || break
    sleep 0.05
  done
  local state
  state=$(timeout "$E2E_BOOT_TIMEOUT" nsenter -t "$leader" -a \
    env -i PATH="$E2E_GUEST_PATH" systemctl is-system-running --wait 2>&1)
  _ms_since "$t0" > "$d/boot-ms"
  if [ "$state" != running ]; then
    e2e_log "machine $name: boot ended '$state' after $(cat "$d/boot-ms") ms"
    machine_exec "$name" systemctl --failed --no-pager >&2
    return 1
  fi
}

# machine_boot_ms NAME - how long the last boot took, to "running".
machine_boot_ms() { cat "$(machine_dir "$1")/boot-ms" 2>/dev/null; }

# machine_exec NAME CMD... - run CMD inside the machine, entered with nsenter, in a clean
# environment. Such a process is not a child of the guest's PID 1: it escapes the guest's
# seccomp filter and cgroup. Judge container behaviour with machine_run instead.
machine_exec() {
  local name=$1 leader p g rc i; shift
  # Under heavy load the leader lookup can miss for a moment (nspawn's children list
  # read mid-change): retry while nspawn itself is alive.
  for ((i = 0; i < 30; i++)); do
    leader=$(machine_leader "$name") && break
    machine_running "$name" || break
    sleep 0.1
  done
  [ -n "$leader" ] || { e2e_log "machine $name is not running"; return 125; }
  nsenter -t "$leader" -a -- env -i PATH="$E2E_GUEST_PATH" HOME=/root LANG=C.UTF-8 \
    TERM=dumb SYSTEMD_PAGER=cat SYSTEMD_COLORS=0 "$@" <&0 &
  p=$!
  # (Its own stdio: a $(machine_exec …) must not wait for the guard's sleep.)
  _nsenter_guard "$p" </dev/null >/dev/null 2>&1 &
  g=$!
  wait "$p" 2>/dev/null; rc=$?   # (no "Killed" notice when the guest dies under it)
  kill "$g" 2>/dev/null; wait "$g" 2>/dev/null
  return $rc
}

# nsenter forks into the guest's PID namespace and mirrors its child's job control: when
# the child stops, nsenter stops itself until someone continues it. A guest shutting
# down stops every process (SIGSTOP, SIGTERM, SIGCONT): the child then ends, and nsenter
# would stay stopped for ever, hanging the suite. Continue it.
_nsenter_guard() {
  local _pid _comm st
  while sleep 0.5; do
    read -r _pid _comm st _ < "/proc/$1/stat" 2>/dev/null || return 0
    [ "$st" = T ] && kill -CONT "$1" 2>/dev/null
  done
}

# machine_run NAME [SYSTEMD-RUN-OPTION...] [--] CMD... - run CMD as a transient service of
# the guest's systemd (the context berth's units run in), stdin/stdout/stderr piped, and
# return its exit status. Options starting with - before CMD go to systemd-run
# (e.g. -p SuccessExitStatus=143, -E VAR=value, --unit=NAME).
machine_run() {
  local name=$1; shift
  local opts=()
  while [ $# -gt 0 ] && [ "${1#-}" != "$1" ]; do
    [ "$1" = -- ] && { shift; break; }
    case $1 in
      -p|-E|--property|--setenv) opts+=("$1" "$2"); shift 2 ;;
      *) opts+=("$1"); shift ;;
    esac
  done
  machine_exec "$name" systemd-run --wait --pipe --quiet --collect --service-type=exec \
    "${opts[@]}" -- "$@"
}

# machine_copy_in NAME SRC DESTDIR - copy a host file or directory's contents into DESTDIR.
machine_copy_in() {
  local name=$1 src=$2 dest=$3
  local tarargs
  if [ -d "$src" ]; then tarargs=(-C "$src" .); else tarargs=(-C "$(dirname "$src")" "$(basename "$src")"); fi
  # --no-overwrite-dir: a 0700 source directory extracted over / once made / 0700 and
  # broke dbus-daemon (runtime/NOTES.md).
  # shellcheck disable=SC2016 # $1 is expanded by the guest's sh
  tar --owner=0 --group=0 --numeric-owner -cf - "${tarargs[@]}" \
    | machine_exec "$name" sh -c 'mkdir -p "$1" && tar -C "$1" --no-overwrite-dir -xf -' sh "$dest"
}

# machine_write NAME PATH [MODE] < content - write a file inside the machine.
machine_write() {
  # shellcheck disable=SC2016 # $1, $2 are expanded by the guest's sh
  machine_exec "$1" sh -c 'mkdir -p "$(dirname "$1")" && cat > "$1" && chmod "$2" "$1"' \
    sh "$2" "${3:-0644}"
}

# machine_poweroff NAME - clean shutdown; SIGKILL of the guest's PID 1 after a bound.
# SIGRTMIN+4 asks systemd for poweroff.target (as machinectl poweroff does); unlike
# systemctl it needs no bus, so it also works mid-boot. PID 1 ignores it until its
# handlers are installed: sent again every second.
machine_poweroff() {
  local name=$1 np i leader d; d=$(machine_dir "$1")
  np=$(machine_nspawn_pid "$name") || { _machine_cgroup_cleanup "$name"; return 0; }
  for ((i = 0; i < 1200; i++)); do
    kill -0 "$np" 2>/dev/null || break
    if ((i % 20 == 0)) && leader=$(machine_leader "$name"); then kill -s RTMIN+4 "$leader" 2>/dev/null; fi
    sleep 0.05
  done
  if kill -0 "$np" 2>/dev/null; then
    e2e_log "machine $name: poweroff took more than 60 s, killing it"
    machine_crash "$name"
  fi
  rm -f "$d/nspawn.pid"
  # nspawn 252 leaves this behind when /run is not a tmpfs ("Attempted to remove disk
  # file system under /run/systemd/nspawn/propagate/NAME, and we can't allow that.")
  rm -rf "/run/systemd/nspawn/propagate/$(machine_host_id "$name")"
  _machine_cgroup_cleanup "$name"
}

# machine_crash NAME - power cut: SIGKILL the guest's PID 1 (its whole PID namespace dies).
# Page-cache contents still reach the disk: this is a crash of the OS, not of the disk.
machine_crash() {
  local name=$1 np leader i; np=$(machine_nspawn_pid "$name") || return 0
  leader=$(machine_leader "$name") && kill -9 "$leader" 2>/dev/null
  for ((i = 0; i < 200; i++)); do kill -0 "$np" 2>/dev/null || break; sleep 0.05; done
  kill -0 "$np" 2>/dev/null && kill -9 "$np" 2>/dev/null
  rm -f "$(machine_dir "$name")/nspawn.pid"
  rm -rf "/run/systemd/nspawn/propagate/$(machine_host_id "$name")"
  _machine_cgroup_cleanup "$name"
}

# machine_reboot NAME - power off and boot the same root again (its state is kept).
machine_reboot() { machine_poweroff "$1" && machine_boot "$1"; }

# machine_import_images NAME - make localhost/busybox:e2e (once per machine: podman's
# storage is persistent across the machine's reboots).
machine_import_images() {
  machine_exec "$1" podman image exists localhost/busybox:e2e 2>/dev/null && return 0
  machine_exec "$1" podman import --quiet --change 'CMD ["/bin/sh"]' \
    /e2e/images/busybox-e2e.tar localhost/busybox:e2e >/dev/null
}

# machine_up NAME - create, boot, import the local images.
machine_up() {
  machine_create "$1" && machine_boot "$1" && machine_import_images "$1"
}

# machine_link NAME... - put machines (created, not yet booted) on a private link: a host
# bridge without an address (so no route to the host or beyond), each machine on it with
# its own veth (nspawn --network-bridge, which keeps the guest's network private: netavark
# needs CAP_NET_ADMIN and a writable /proc/sys/net, which --network-namespace-path loses).
# The i-th machine is 198.18.0.i on its interface host0, set at each boot by
# e2e-link.service before network.target; every machine knows the others by name.
machine_link() {
  local i=0 m hosts="" br=be2e-${E2E_RUN##*-}   # one bridge per run; at most 15 characters
  if ! ip link show "$br" >/dev/null 2>&1; then
    ip link add "$br" type bridge && ip link set "$br" up || return 1
  fi
  for m in "$@"; do i=$((i + 1)); hosts+=$(printf '198.18.0.%d\t%s\n' "$i" "$m")$'\n'; done
  i=0
  for m in "$@"; do
    i=$((i + 1))
    local d r; d=$(machine_dir "$m"); r=$d/root
    echo "--network-bridge=$br" > "$d/network"
    printf '%s' "$hosts" >> "$r/etc/hosts"
    cat > "$r/etc/systemd/system/e2e-link.service" <<EOF
[Unit]
Description=e2e test bed: address on the private link
DefaultDependencies=no
Before=network.target network-online.target
Wants=network.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/sbin/ip addr replace 198.18.0.$i/24 dev host0
ExecStart=/usr/sbin/ip link set host0 up

[Install]
WantedBy=multi-user.target
EOF
    mkdir -p "$r/etc/systemd/system/multi-user.target.wants"
    ln -sf ../e2e-link.service "$r/etc/systemd/system/multi-user.target.wants/e2e-link.service"
  done
}

# _machine_bridge_cleanup BRIDGE - remove a link bridge once no machine uses it.
_machine_bridge_cleanup() {
  ip link show "$1" >/dev/null 2>&1 || return 0
  [ -z "$(ip -o link show master "$1" 2>/dev/null)" ] && ip link del "$1"
  true
}

# machine_add_peer M P - a second machine P on a private link with M (M is powered off
# and booted again on the link; its state is kept). They reach each other by name.
machine_add_peer() {
  local m=$1 p=$2
  machine_poweroff "$m" && machine_create "$p" && machine_link "$m" "$p" \
    && machine_boot "$m" && machine_boot "$p" && machine_import_images "$p"
}

# machine_save_diag NAME DIR - what a failure needs: journal, failed units, containers.
machine_save_diag() {
  local name=$1 out=$2 d; d=$(machine_dir "$1")
  mkdir -p "$out"
  cp "$d/console.log" "$out/console.log" 2>/dev/null
  if machine_running "$name"; then
    # Every boot: a reboot in a suite must not hide what happened before it.
    machine_exec "$name" journalctl --no-pager -o short-monotonic > "$out/journal.txt" 2>&1
    machine_exec "$name" journalctl --list-boots --no-pager > "$out/boots.txt" 2>&1
    machine_exec "$name" systemctl --failed --no-pager > "$out/failed.txt" 2>&1
    machine_exec "$name" systemctl list-units --all --no-pager 'berth*' > "$out/berth-units.txt" 2>&1
    machine_exec "$name" podman ps -a > "$out/podman-ps.txt" 2>&1
  elif [ -d "$d/root/var/log/journal" ]; then
    # Not running (crashed or powered off): read its persistent journal from the host.
    journalctl -D "$d/root/var/log/journal" --no-pager -o short-monotonic > "$out/journal.txt" 2>&1
  fi
}

# machine_destroy NAME - power off, unmount, remove its state (and an unused link bridge).
machine_destroy() {
  local name=$1 d; d=$(machine_dir "$1")
  [ -d "$d" ] || return 0
  machine_poweroff "$name"
  mountpoint -q "$d/root" && { umount "$d/root" || umount -l "$d/root"; }
  local net; net=$(cat "$d/network" 2>/dev/null)
  rm -rf "$d"
  [ -z "$net" ] || _machine_bridge_cleanup "${net#--network-bridge=}"
}
