#!/bin/bash
# 90-demo.sh - what `make demo` shows (tools/demo.sh runs this suite and keeps the
# machine): examples/hello.yaml installed, rendered on daemon-reload, started, healthy,
# answering over HTTP. As a test, each of those steps is checked.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
suite_begin

require  "install examples/hello.yaml as /etc/berth/apps/hello.yaml" \
         eval 'machine_write "$M" /etc/berth/apps/hello.yaml < "$E2E_SRC/examples/hello.yaml"'
require  "berth validate accepts it"                machine_exec "$M" berth validate /etc/berth/apps/hello.yaml
require  "systemctl daemon-reload renders its units" machine_exec "$M" systemctl daemon-reload
require  "systemctl start berth-hello.target"       machine_exec "$M" systemctl start berth-hello.target
check_eq "the container is healthy (podman)" healthy machine_exec "$M" podman inspect -f '{{.State.Health.Status}}' hello-web
t_http() { http_get "$M" http://127.0.0.1:8080/ | grep -q '^hello from berth'; }
check    "it answers over HTTP"                      wait_for 30 t_http

note ""
note "\$ systemctl status berth-hello-web.service"
machine_exec "$M" systemctl status --no-pager --lines=5 berth-hello-web.service | cut -c1-160 | sed 's/^/       /'
note ""
note "\$ systemctl list-units 'berth-hello*'"
machine_exec "$M" systemctl list-units --no-pager --plain --no-legend 'berth-hello*' | sed 's/^/       /'
note ""
note "\$ curl http://127.0.0.1:8080/"
http_get "$M" http://127.0.0.1:8080/ | sed 's/^/       /'
note ""
suite_end
