#!/bin/bash
# 01-generator.sh - berth-generator as systemd runs it, on daemon-reload: the manifest
# search path (/etc over /run over /usr/lib, /dev/null masks), a broken manifest costing
# that app alone and reported in the log, enabled apps wanted by multi-user.target, and
# every generated unit accepted by this flavour's own `systemd-analyze verify`.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
suite_begin

app() {   # app DESCRIPTION ENABLED: a one-container manifest on the local image
  printf 'schema: 1\nname: %s\nenabled: %s\ncontainers:\n  web:\n    image: localhost/busybox:e2e\n    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]\n' "$1" "$2"
}
app "Vendor app" false   | machine_write "$M" /usr/lib/berth/apps/vendor.yaml
app "Admin override" true | machine_write "$M" /etc/berth/apps/vendor.yaml
app "Runtime app" false  | machine_write "$M" /run/berth/apps/runtime.yaml
app "Masked app" false   | machine_write "$M" /usr/lib/berth/apps/masked.yaml
machine_exec "$M" ln -s /dev/null /etc/berth/apps/masked.yaml
machine_write "$M" /etc/berth/apps/broken.yaml <<'EOF'
schema: 1
containers:
  web:
    imagee: localhost/busybox:e2e
EOF

t_loaded()        { [ "$(unit_prop "$M" "$1" LoadState)" = loaded ]; }
t_not_found()     { [ "$(unit_prop "$M" "$1" LoadState)" = not-found ]; }
# Where the generator's messages go: /dev/kmsg when it can write there (then the journal
# has them), else stderr. A container has no /dev/kmsg and systemd gives generators
# /dev/null as stderr, so here the generator is run by hand to read what it says.
t_broken_logged() {
  local out
  out=$(machine_exec "$M" sh -c 'd=$(mktemp -d) && /usr/lib/systemd/system-generators/berth-generator "$d" "$d" "$d" 2>&1; echo "exit $?"; rm -rf "$d"')
  grep -qF "/etc/berth/apps/broken.yaml:4:5: unknown key 'imagee' in container 'web', did you mean 'image'?" <<< "$out" \
    && grep -q "^exit 0$" <<< "$out" || { echo "$out"; return 1; }
  if machine_exec "$M" test -w /dev/kmsg; then
    machine_exec "$M" journalctl -b --no-pager -o cat | grep -q 'broken.yaml:4:5'
  fi
}
t_verify() {
  local err
  err=$(machine_exec "$M" sh -c 'cd /run/systemd/generator && systemd-analyze verify --man=no berth-*.service berth-*.target berth-*.slice 2>&1 >/dev/null') \
    || { echo "$err"; return 1; }
  # Unknown keys only warn (exit 0): any message is a finding. --man=no: the trees
  # carry no man pages (the Documentation= check belongs to the host-side tests).
  [ -z "$err" ] || { echo "$err"; return 1; }
}

check    "systemctl daemon-reload"                             machine_exec "$M" systemctl daemon-reload
check_eq "/etc overrides /usr/lib (SourcePath)" \
         /etc/berth/apps/vendor.yaml                           unit_prop "$M" berth-vendor-web.service SourcePath
check_eq "the override's content is used" \
         "Admin override: app (berth app vendor)"              unit_prop "$M" berth-vendor.target Description
check    "enabled: true: multi-user.target wants the app" \
         machine_exec "$M" test -L /run/systemd/generator/multi-user.target.wants/berth-vendor.target
check    "/run/berth/apps is searched"                         t_loaded berth-runtime-web.service
check    "a /dev/null symlink masks the app"                   t_not_found berth-masked.target
check    "a broken manifest renders nothing"                   t_not_found berth-broken.target
check    "... and costs no other app"                          eval 't_loaded berth-vendor.target && t_loaded berth-runtime.target'
check    "... the generator names file:line:col and exits 0"   t_broken_logged
check    "systemd-analyze verify of every generated unit"      t_verify
check    "no failed units"                                     no_failed_units "$M"

machine_exec "$M" rm -f /usr/lib/berth/apps/vendor.yaml /etc/berth/apps/vendor.yaml \
  /run/berth/apps/runtime.yaml /usr/lib/berth/apps/masked.yaml /etc/berth/apps/masked.yaml \
  /etc/berth/apps/broken.yaml
check    "manifests removed, daemon-reload"                    machine_exec "$M" systemctl daemon-reload
check    "their units are gone"                                eval 't_not_found berth-vendor.target && t_not_found berth-runtime-web.service'

suite_end
