#!/bin/bash
# cmdline-vs-systemd.sh [trixie|bookworm...] — check systemd_cmdline.py against a real
# systemd: boot the test-bed tree (tests/e2e/mkrootfs.sh, below an overlay) with
# systemd-nspawn, let a oneshot unit run `printf '%s\0' ARGS...` with a line of
# awkward words, and compare the argv systemd really passed with the one
# systemd_cmdline.py computes from the same unit file (specifiers and variables
# filled in from the unit's name and Environment=).
# A manual tool (it boots machines), not part of `make check`; run it after changing
# the parser. Needs root.
set -euo pipefail
cd "$(dirname "$0")/../.."
flavours=("${@:-trixie}")
((${#@})) || flavours=(trixie bookworm)

work=$(mktemp -d /var/tmp/berth-cmdline.XXXXXX)
cleanup() {
  if mountpoint -q "$work/root"; then umount "$work/root" || umount -l "$work/root"; fi
  rm -rf "$work"
}
trap cleanup EXIT

# The words under test, as they appear on the ExecStart= line (systemd syntax).
words='%i "a b" '\''c"d'\'' \x41\s "" 100%% %%n %n $$HOME ${SP} $SP ${UNSET} x${SP}y a$SP \; ";" "x\ty" é \u00e9 '\''it\'\''s'\'' a"b c"d $$ "$$" \\ "\\\\" \101 "%%" ‘quotes’ -- --opt=a\sb'

unit="[Unit]
Description=argv probe
SuccessAction=poweroff-force
FailureAction=poweroff-force

[Service]
Type=oneshot
Environment=HOME=/root \"SP=one  two\"
StandardOutput=file:/var/tmp/argv.bin
ExecStart=/usr/bin/printf \"%%s\\\\000\" $words \\
# a comment line inside a continuation is skipped
        continued\\
  line  \"ends here\\\\\"  \\\\
"

fail=0
for flavour in "${flavours[@]}"; do
  tree=$(tests/e2e/mkrootfs.sh "$flavour")
  rm -rf "$work/upper" "$work/work"
  mkdir -p "$work/upper" "$work/work" "$work/root"
  mount -t overlay berth-cmdline -o "lowerdir=$tree,upperdir=$work/upper,workdir=$work/work" "$work/root"
  printf '%s' "$unit" > "$work/root/etc/systemd/system/argv-probe.service"
  ln -sf /etc/systemd/system/argv-probe.service "$work/root/etc/systemd/system/multi-user.target.wants/argv-probe.service"
  tr -d '-' < /proc/sys/kernel/random/uuid > "$work/root/etc/machine-id"
  SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 timeout 120 systemd-nspawn -q -D "$work/root" --machine="argv-probe-$$" \
    --register=no --keep-unit --private-network --console=pipe --boot </dev/null >"$work/console.log" 2>&1 || true
  umount "$work/root"
  if [ ! -f "$work/upper/var/tmp/argv.bin" ]; then
    echo "FAIL $flavour: the probe unit did not run"; tail -n 20 "$work/console.log"; fail=1; continue
  fi
  if python3 - "$work/upper/etc/systemd/system/argv-probe.service" "$work/upper/var/tmp/argv.bin" "$flavour" <<'EOF'
import os, re, sys
sys.path.insert(0, "tests/tools")
import systemd_cmdline as sc

unit, out, flavour = sys.argv[1:]
entries = sc.parse_unit_file(unit)
env = {}
for v in sc.unit_values(entries, "Service", "Environment"):
    for cmd in sc.parse_exec("/x " + v):  # the same word syntax, without specifiers in play here
        for w in cmd.argv[1:]:
            k, _, val = w.partition("=")
            env[k] = val
argv = sc.exec_argv(entries, "Service", "ExecStart")
spec = {"%n": "argv-probe.service", "%i": ""}
M0, M1 = sc.MARK_OPEN, sc.MARK_CLOSE
want = []
for w in argv[1:]:
    whole = re.fullmatch(re.escape(M0) + r"\$([^{].*)" + re.escape(M1), w)
    if whole:  # $NAME as a word: the value split at whitespace, nothing if unset
        want += env.get(whole.group(1), "").split()
        continue
    w = re.sub(re.escape(M0) + r"(%.)" + re.escape(M1), lambda m: spec[m.group(1)], w)
    w = re.sub(re.escape(M0) + r"\$\{(.*?)\}" + re.escape(M1), lambda m: env.get(m.group(1), ""), w)
    want.append(w)
got = open(out, "rb").read().split(b"\0")[:-1]
got = [g.decode("utf-8", "surrogateescape") for g in got]
want = want[1:]  # argv[1] is printf's format
if got != want:
    print("FAIL %s: systemd_cmdline.py and systemd disagree" % flavour)
    for i in range(max(len(got), len(want))):
        g = got[i] if i < len(got) else "<none>"
        w = want[i] if i < len(want) else "<none>"
        print("  %s [%d] systemd %r, parser %r" % ("  " if g == w else "!!", i, g, w))
    sys.exit(1)
print("ok   %s: %d words parsed exactly as systemd does" % (flavour, len(got)))
if os.environ.get("VERBOSE"):
    print("  " + repr(got))
EOF
  then :; else fail=1; fi
done
exit $fail
