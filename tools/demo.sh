#!/bin/bash
# demo.sh - `make demo`: boot the test system (Debian trixie: systemd 257, podman 5) with
# systemd-nspawn, install berth into it, run examples/hello.yaml, show it running and
# healthy, and leave the machine running for you to look around.
set -uo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "demo: needs root (namespaces, mounts, nspawn)" >&2; exit 2; }
tests/e2e/run.sh --flavour "${DEMO_FLAVOUR:-trixie}" --keep demo
rc=$?
machine=$(ls -td /var/tmp/berth-e2e/runs/*/machines/*-demo 2>/dev/null | head -1)
if [ -n "$machine" ]; then
  name=$(basename "$machine")
  cat <<EOT

The test system '$name' is still running, with berth and the app 'hello' in it.
  a shell inside:     tests/e2e/run.sh --shell $name
  then, for example:  systemctl status 'berth-hello*'; journalctl -u berth-hello-web;
                      berth render hello; berth backup hello; berth jobs
  stop and remove it: tests/e2e/run.sh --clean
EOT
fi
exit $rc
