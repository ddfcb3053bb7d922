#!/bin/bash
# check-calendar.sh — a backup schedule berth accepts is one systemd accepts, so
# that no rendered timer fails to load (its backups would silently never run).
#
# The corpus (tests/tools/calendar-corpus.py: the documented forms, the edges
# of every field, and 3,000 random compositions of good and bad parts, always
# the same) goes through `berth validate`, each expression as the schedule of
# its own manifest, and through `systemd-analyze calendar` of systemd 257
# (Debian trixie) and 252 (Debian bookworm), chrooted into the cached trees of
# tests/e2e/mkrootfs.sh (only read). Fails if berth accepts an expression that
# either systemd refuses, or refuses one of the forms systemd.time(7) shows.
# Expressions systemd takes and berth refuses (odd corners) are counted. Needs
# root (chroot).
set -euo pipefail
cd "${BERTH_SRC:-$(dirname "$0")/..}"
BUILD=${BUILD:-build}
BERTH=$BUILD/berth
FLAVOURS=${VERIFY_FLAVOURS:-trixie bookworm}

work=$(mktemp -d /var/tmp/berth-check-calendar.XXXXXX)
trap 'rm -rf "$work"' EXIT

python3 tests/tools/calendar-corpus.py 3000 > "$work/corpus"
python3 - "$work" <<'PY'
import json, os, sys
work = sys.argv[1]
os.mkdir(os.path.join(work, "m"))
for i, e in enumerate(open(os.path.join(work, "corpus")).read().splitlines()):
    with open(os.path.join(work, "m", "e%05d.yaml" % i), "w") as f:
        f.write("schema: 1\ncontainers:\n  c:\n    image: a/b:1\nbackup:\n  schedule: %s\n" % json.dumps(e))
PY
# Exit status 1: some manifests are refused, which is the point.
BERTH_CONF=/dev/null "$BERTH" validate "$work"/m/*.yaml 2> "$work/berth.err" > /dev/null || true
for f in $FLAVOURS; do
  tree=$(tests/e2e/mkrootfs.sh "$f")
  echo "$f: $(chroot "$tree" systemctl --version | head -n1)" >> "$work/versions"
  # (xargs exits 123: systemd-analyze fails for every batch with a bad expression.)
  { xargs -d '\n' -n 2000 chroot "$tree" systemd-analyze calendar -- < "$work/corpus" 2>&1 > /dev/null || true; } |
    sed -n "s/^Failed to parse calendar specification '\(.*\)': [^']*\$/\1/p" > "$work/$f.refused"
done
cat "$work/versions"
python3 - "$work" $FLAVOURS <<'PY'
import os, re, sys
work, flavours = sys.argv[1], sys.argv[2:]
corpus = open(os.path.join(work, "corpus")).read().splitlines()
err = open(os.path.join(work, "berth.err")).read().splitlines()
refused_by_berth = set()
for line in err:
    m = re.match(r".*/m/e(\d+)\.yaml:(\d+):(\d+): (.*)", line)
    if not m:
        print("check-calendar: unexpected line from berth validate: %s" % line)
        sys.exit(1)
    if not m.group(4).startswith("schedule '"):
        print("check-calendar: not a schedule problem: %s" % line)
        sys.exit(1)
    refused_by_berth.add(corpus[int(m.group(1))])
refused = {f: set(open(os.path.join(work, f + ".refused")).read().splitlines()) for f in flavours}
for f in flavours:
    unknown = refused[f] - set(corpus)
    if unknown or not refused[f]:
        print("check-calendar: %s: systemd-analyze's refusals do not match the corpus: %s" % (f, sorted(unknown)[:5]))
        sys.exit(1)
# The forms of systemd.time(7) and berth.manifest(5), which berth must take.
documented = ["daily", "weekly", "hourly", "monthly", "Mon..Fri 9:00", "Mon-Fri 03:00", "Sat,Sun",
              "*-*-* 03:00:00", "*:0/15", "12:00", "*-02~03", "2024-*-* 00:00", "daily UTC",
              "Mon *-*-* 00:00:00 Europe/Berlin", "@1700000000", "*-*-* 03:00:00.5"]
fail = 0
for e in corpus:
    bad = [f for f in flavours if e in refused[f]]
    if e not in refused_by_berth and bad:
        print("FAIL '%s': berth accepts it, systemd of %s refuses it" % (e, ", ".join(bad)))
        fail = 1
for e in documented:
    if e in refused_by_berth:
        print("FAIL '%s': a documented form, refused by berth" % e)
        fail = 1
    if e not in corpus:
        print("FAIL '%s': a documented form missing from the corpus" % e)
        fail = 1
both = [e for e in corpus if not any(e in refused[f] for f in flavours)]
stricter = [e for e in both if e in refused_by_berth]
print("check-calendar: %d expressions; systemd (%s) accepts %d, berth %d of them and nothing else; "
      "%d systemd takes are refused by berth (e.g. '%s')" %
      (len(corpus), " and ".join(flavours), len(both), len(both) - len(stricter), len(stricter),
       stricter[0] if stricter else ""))
sys.exit(fail)
PY
