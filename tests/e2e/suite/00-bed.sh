#!/bin/bash
# 00-bed.sh - the test bed itself works: a booted systemd with berth installed, the
# generator running on daemon-reload, podman running the local image from a unit (and
# building from a Containerfile), state kept across a reboot, a second machine on a
# private link. Every later suite stands on these.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
suite_begin

case $E2E_FLAVOUR in
  trixie)   want_systemd=257 want_podman='5.' want_runtime=crun ;;
  bookworm) want_systemd=252 want_podman='4.3.' want_runtime=runc ;;
esac

# ---------------------------------------------------------------- the booted system
t_running()       { [ "$(machine_exec "$M" systemctl is-system-running)" = running ]; }
t_systemd_ver()   { machine_exec "$M" systemctl --version | head -n1 | grep -q "^systemd $want_systemd "; }
t_podman_ver()    { machine_exec "$M" podman version --format '{{.Client.Version}}' | grep -q "^$want_podman"; }
require "system is running"                                    t_running
check   "no failed units after boot"                           no_failed_units "$M"
check   "systemd $want_systemd is PID 1"                       t_systemd_ver
check   "podman $want_podman*"                                 t_podman_ver
note "guest: $(machine_exec "$M" systemd-analyze time 2>/dev/null | head -n1)"

# ---------------------------------------------------------------- berth is installed
t_version()       { machine_exec "$M" berth --version | grep -q '^berth [0-9]'; }
t_generator()     { machine_exec "$M" test -x /usr/lib/systemd/system-generators/berth-generator; }
t_prepare()       { machine_exec "$M" test -x /usr/libexec/berth/berth-prepare; }
check "berth --version"                                        t_version
check "berth-generator in /usr/lib/systemd/system-generators"  t_generator
check "berth-prepare in /usr/libexec/berth"                    t_prepare

# ---------------------------------------------------------------- generator on daemon-reload
# enabled: false keeps the app out of multi-user.target: nothing starts it at the reboot below.
t_put() { app_put "$M" bedcheck <<'EOF'
schema: 1
name: Bed check
enabled: false
containers:
  web:
    image: localhost/busybox:e2e
    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
    ports: ["127.0.0.1:18080:8080/tcp"]
EOF
}
t_loaded()        { [ "$(unit_prop "$M" "$1" LoadState)" = loaded ]; }
t_not_found()     { [ "$(unit_prop "$M" "$1" LoadState)" = not-found ]; }
check    "manifest into /etc/berth/apps, daemon-reload"        t_put
check_eq "berth-bedcheck-web.service from /run/systemd/generator" \
         /run/systemd/generator/berth-bedcheck-web.service     unit_prop "$M" berth-bedcheck-web.service FragmentPath
check_eq "its SourcePath is the manifest" \
         /etc/berth/apps/bedcheck.yaml                         unit_prop "$M" berth-bedcheck-web.service SourcePath
check    "berth-bedcheck.target and -prepare.service loaded"   eval 't_loaded berth-bedcheck.target && t_loaded berth-bedcheck-prepare.service'
check    "enabled: false: not wanted by multi-user.target" \
         machine_exec "$M" test ! -e /run/systemd/generator/multi-user.target.wants/berth-bedcheck.target
check    "still no failed units"                               no_failed_units "$M"
check    "manifest removed, daemon-reload"                     app_remove "$M" bedcheck
check    "units gone"                                          t_not_found berth-bedcheck-web.service

# ---------------------------------------------------------------- podman under systemd
t_runtime()       { [ "$(machine_exec "$M" podman info --format '{{.Host.OCIRuntime.Name}}')" = "$want_runtime" ]; }
t_run_plain()     { machine_run "$M" podman run --rm --pull=never localhost/busybox:e2e cat /www/index.html | grep -qx "$E2E_BUSYBOX_INDEX"; }
# The shape berth's units use: own user namespace, no capabilities, an init.
t_run_hardened()  {
  machine_run "$M" podman run --rm --pull=never --init --cap-drop=all --security-opt=no-new-privileges \
    --uidmap=0:3000000000:65536 --gidmap=0:3000000000:65536 localhost/busybox:e2e \
    cat /proc/self/uid_map | grep -Eq '^ *0 +3000000000 +65536$'
}
# The bed's own primitives must be able to fail.
t_run_status()    { machine_run "$M" sh -c 'exit 3'; [ $? = 3 ]; }
t_run_stdio()     { [ "$(echo in | machine_run "$M" sed 's/in/out/')" = out ]; }
check "machine_run returns the command's exit status"         t_run_status
check "machine_run pipes stdin and stdout"                     t_run_stdio
check "wait_for gives up (and fails) after its bound"          eval '! wait_for 1 false'
check "OCI runtime is $want_runtime"                           t_runtime
check "podman run in a transient unit"                         t_run_plain
check "podman run --uidmap --cap-drop=all --init in a unit"    t_run_hardened

# A published port served by busybox httpd, from a long-running transient service.
t_web_up()        { http_get "$M" http://127.0.0.1:18080/index.html | grep -qx "$E2E_BUSYBOX_INDEX"; }
check "start bed-web.service (httpd, 127.0.0.1:18080)" \
  machine_exec "$M" systemd-run --quiet --unit=bed-web --service-type=exec -p SuccessExitStatus=143 \
    podman run --rm --pull=never --init --name bed-web -p 127.0.0.1:18080:8080 localhost/busybox:e2e \
    httpd -f -p 8080 -h /www
check "http_get 127.0.0.1:18080 from inside the machine"       wait_for 30 t_web_up
check "stop bed-web.service"                                   machine_exec "$M" systemctl stop bed-web.service
check_eq "bed-web.service ended inactive (not failed)"  inactive unit_prop "$M" bed-web.service ActiveState

# podman build FROM the local image (the build-source app needs it).
mkdir -p "$E2E_SUITE_DIR/build"
cat > "$E2E_SUITE_DIR/build/Containerfile" <<'EOF'
FROM localhost/busybox:e2e
COPY hello.txt /www/hello.txt
RUN echo "built by RUN" > /www/run.txt
EOF
echo "hello from COPY" > "$E2E_SUITE_DIR/build/hello.txt"
t_build()         { machine_run "$M" podman build --pull=never -t localhost/bed-build:e2e /root/bed-build; }
t_built_run()     { [ "$(machine_run "$M" podman run --rm --pull=never localhost/bed-build:e2e cat /www/hello.txt /www/run.txt)" = "hello from COPY
built by RUN" ]; }
check "copy a build context in"                                machine_copy_in "$M" "$E2E_SUITE_DIR/build" /root/bed-build
check "podman build FROM localhost/busybox:e2e (COPY, RUN)"    t_build
check "the built image runs"                                   t_built_run

# ---------------------------------------------------------------- reboot keeps state
stamp=$(date +%s%N)
machine_exec "$M" sh -c "echo $stamp > /root/bed-stamp && mkdir -p /var/lib/berth && echo $stamp > /var/lib/berth/bed-stamp && sync"
t_stamps()        { [ "$(machine_exec "$M" cat /root/bed-stamp /var/lib/berth/bed-stamp | sort -u)" = "$stamp" ]; }
t_boots()         { [ "$(machine_exec "$M" journalctl --list-boots --no-pager | grep -cE ' [0-9a-f]{32} ')" -ge 2 ]; }
require "reboot"                                               machine_reboot "$M"
note "boot to running: $(machine_boot_ms "$M") ms"
check "files written before the reboot are there"              t_stamps
check "images survive the reboot"                              machine_exec "$M" podman image exists localhost/busybox:e2e
check "the journal kept the earlier boot"                      t_boots
check "no failed units after the reboot"                       no_failed_units "$M"
check "podman still runs from a unit after the reboot"         t_run_plain

# ---------------------------------------------------------------- a second machine
P=$M-peer
t_ssh()           { [ "$(machine_exec "$M" ssh "root@$P" hostname)" = "$P" ]; }
t_rsync()         { machine_exec "$M" sh -c "mkdir -p /srv/x && echo $stamp > /srv/x/data && rsync -a /srv/x/ root@$P:/srv/x/"; }
t_same()          { [ "$(machine_exec "$P" cat /srv/x/data)" = "$stamp" ]; }
require "second machine $P on a private link with $M"          machine_add_peer "$M" "$P"
check "ssh $M -> $P"                                           t_ssh
check "rsync over ssh $M -> $P"                                t_rsync
check "data arrived on $P"                                     t_same
check "$M still has its state"                                 t_stamps
check "no failed units on $P"                                  no_failed_units "$P"
t_run_both()      { t_run_plain && M=$P t_run_plain; }
check "podman runs in a unit on both (their networks are private)" t_run_both

suite_end
