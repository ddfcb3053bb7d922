#!/bin/bash
# 11-escaping.sh - what a container receives is what its manifest says: command words
# and environment values holding %, $, quotes, spaces, backslashes, a lone ';', an empty
# word and non-ASCII text go through YAML, berth's unit escaping, systemd's command-line
# parsing and podman, and arrive byte for byte. The container writes its argv and its
# environment (NUL-separated) into a volume; both are compared with the manifest's.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
suite_begin

# The words after sh -c SCRIPT argv0, exactly as the manifest lists them (YAML below).
WORDS=(plain "two words" "100%" "%h %n %%" '$HOME' '${HOME}' '$$' 'quote"d' "it's"
       'back\slash' 'trail\' "héllo wörld ☃" "a;b" ";" "" "  spaced  " '#hash' '\"\\')
declare -A ENVS=([PERCENT]="100% %h %%" [DOLLAR]='$HOME ${X} $$ $' [QUOTES]="a \"b\" 'c'"
                 [BACKSLASH]='C:\path\' [UNICODE]="grüße ☃ 日本" [SPACES]="  leading and trailing  "
                 [EMPTY]="" [EQUALS]="a=b=c")

machine_write "$M" /etc/berth/apps/esc.yaml <<'EOF'
schema: 1
name: "Escaping 100% $HOME \"quoted\""
containers:
  echo:
    image: localhost/busybox:e2e
    command:
      - sh
      - -c
      - 'for a in "$@"; do printf "%s\0" "$a"; done > /out/argv; cat /proc/self/environ > /out/env; exec sleep 100000'
      - argv0
      - plain
      - two words
      - "100%"
      - "%h %n %%"
      - "$HOME"
      - "${HOME}"
      - "$$"
      - 'quote"d'
      - "it's"
      - 'back\slash'
      - 'trail\'
      - "héllo wörld ☃"
      - "a;b"
      - ";"
      - ""
      - "  spaced  "
      - "#hash"
      - '\"\\'
    environment:
      PERCENT: "100% %h %%"
      DOLLAR: "$HOME ${X} $$ $"
      QUOTES: "a \"b\" 'c'"
      BACKSLASH: 'C:\path\'
      UNICODE: "grüße ☃ 日本"
      SPACES: "  leading and trailing  "
      EMPTY: ""
      EQUALS: "a=b=c"
    volumes: ["out:/out"]
volumes:
  out: {}
EOF
OUT=/var/lib/berth/apps/esc/volumes/out

require "daemon-reload renders the app"          machine_exec "$M" systemctl daemon-reload
require "the app starts"                         machine_exec "$M" systemctl start berth-esc.target
check   "the container wrote its argv and env"   wait_for 30 machine_exec "$M" test -s "$OUT/env"

t_argv() {
  local want got
  want=$(printf '%s\0' "${WORDS[@]}" | od -An -c)
  got=$(machine_exec "$M" cat "$OUT/argv" | od -An -c)
  [ "$want" = "$got" ] && return 0
  diff <(echo "$want") <(echo "$got")
  return 1
}
check "argv: every word arrives byte for byte (${#WORDS[@]} words)" t_argv

t_env() {
  local k env bad=0
  env=$(machine_exec "$M" cat "$OUT/env" | tr '\0' '\n')
  for k in "${!ENVS[@]}"; do
    grep -qxF -- "$k=${ENVS[$k]}" <<< "$env" || { echo "missing or changed: $k=${ENVS[$k]}"; bad=1; }
  done
  [ "$bad" = 0 ] || { echo "environment was:"; echo "$env"; }
  return $bad
}
check "environment: every value arrives byte for byte (${#ENVS[@]} variables)" t_env
check_eq "unit Description keeps % and \$ as written" \
  'Escaping 100% $HOME "quoted": app (berth app esc)' unit_prop "$M" berth-esc.target Description
check "no failed units" no_failed_units "$M"

suite_end
