#!/bin/bash
# check-man.sh — the man pages under man/: each renders without a warning
# (man-db with --warnings, and groff -ww), its .TH matches its file name, every
# berth page it names exists in man/, and its marked examples are true.
#
# Examples are marked in the roff source by a comment before an .EX/.EE block:
#   .\" check-man: file PATH      the block is a file; a manifest (*.yaml, not
#                                 a drop-in) must pass `berth validate ID`
#   .\" check-man: bad-file PATH  the block is a file, not validated (input of
#                                 a run block that shows the errors)
#   .\" check-man: run            "$ COMMAND" lines and, after each, exactly
#                                 what it prints (stdout and stderr); a line
#                                 "..." stands for any number of lines
# Each page gets a scratch root $T: PATHs and commands naming /etc/berth,
# /run/berth, /usr/lib/berth or /usr/lib/systemd are moved below $T, and $T is
# taken out of the output again, so a page shows the paths a reader has.
# Environment: BUILD (build dir), LIBEXECDIR (as configured).
set -euo pipefail
cd "${BERTH_SRC:-$(dirname "$0")/..}"
BUILD=$(cd "${BUILD:-build}" && pwd)
LIBEXECDIR=${LIBEXECDIR:-/usr/libexec/berth}

for tool in man groff python3; do
  if ! command -v "$tool" >/dev/null; then
    echo "check-man: '$tool' is missing (make deps installs man-db, groff-base, python3)" >&2
    exit 1
  fi
done
for bin in berth berth-generator; do
  [ -x "$BUILD/$bin" ] || { echo "check-man: $BUILD/$bin is not built" >&2; exit 1; }
done

fail=0
pages=0
bad() { echo "FAIL: $*" >&2; fail=1; }

# The pages the CLI, the generator and the units point readers to.
for want in berth.1 berth.manifest.5 berth.conf.5 berth-generator.8; do
  [ -f "man/$want" ] || bad "man/$want is missing"
done

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

for page in man/*.[1-8]; do
  [ -f "$page" ] || continue
  pages=$((pages + 1))
  base=${page#man/}
  name=${base%.*}
  section=${base##*.}

  # 1. No warnings from man-db's pipeline nor from groff at its strictest.
  out=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$page" 2>&1 >/dev/null) || true
  [ -z "$out" ] || bad "$page: man --warnings:"$'\n'"$out"
  out=$(LC_ALL=C.UTF-8 groff -ww -z -t -man "$page" 2>&1) || true
  [ -z "$out" ] || bad "$page: groff -ww:"$'\n'"$out"

  # 2. .TH names the page as its file does.
  th=$(sed -n 's/^\.TH[[:space:]]\+"\?\([^" ]*\)"\?[[:space:]]\+"\?\([0-9]\)"\?.*/\1 \2/p' "$page" | head -n 1)
  [ "$th" = "${name^^} $section" ] || bad "$page: .TH is '$th', expected '${name^^} $section'"
  grep -q '^\.SH "\?NAME"\?$' "$page" || bad "$page: no NAME section"
  grep -q '^\.SH "SEE ALSO"$' "$page" || bad "$page: no SEE ALSO section"

  # 3. Every berth page named anywhere in it (SEE ALSO included) exists.
  while read -r ref; do
    [ -n "$ref" ] || continue
    rname=${ref%(*}
    rsec=${ref#*(}
    rsec=${rsec%)}
    [ -f "man/$rname.$rsec" ] || bad "$page: names $ref, but man/$rname.$rsec does not exist"
  done < <(sed -e 's/\\f[BIRP]//g' -e 's/\\-/-/g' -e 's/\\&//g' "$page" |
           grep -oE '(^|[^a-zA-Z0-9@._-])berth([.-][a-z0-9.-]*)?\([1-8]\)' | sed 's/^[^b]*//' | sort -u)

  # 4. Marked examples.
  T="$scratch/${base}"
  mkdir -p "$T/bin" "$T/usr/lib/systemd/system-generators"
  ln -s "$BUILD/berth" "$T/bin/berth"
  ln -s "$BUILD/berth-generator" "$T/bin/berth-generator"
  ln -s "$BUILD/berth-generator" "$T/usr/lib/systemd/system-generators/berth-generator"
  out=$(T="$T" LIBEXECDIR="$LIBEXECDIR" PAGE="$page" python3 - <<'EOF' 2>&1
import os, re, subprocess, sys

T, page = os.environ["T"], os.environ["PAGE"]
libexec = os.environ["LIBEXECDIR"]
ROOTS = r"/etc/berth|/run/berth|/usr/lib/berth|/usr/lib/systemd"
problems = []

def unroff(line, where):
    out, i = [], 0
    simple = {"-": "-", "e": "\\", "&": "", " ": " ", "\\": "\\", ".": "."}
    named = {"aq": "'", "ga": "`", "dq": '"', "ti": "~", "ha": "^", "em": "\u2014", "en": "\u2013"}
    while i < len(line):
        c = line[i]
        if c != "\\":
            out.append(c); i += 1; continue
        n = line[i + 1] if i + 1 < len(line) else ""
        if n in simple:
            out.append(simple[n]); i += 2
        elif n == "(" and line[i + 2:i + 4] in named:
            out.append(named[line[i + 2:i + 4]]); i += 4
        elif n == "f" and i + 2 < len(line) and line[i + 2] in "BIRP":
            i += 3
        else:
            raise ValueError(f"{where}: roff escape '\\{n}' not understood by check-man.sh")
    return "".join(out)

def blocks():
    lines = open(page, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r'^\.\\" check-man: (file|bad-file|run)(?: (\S+))?$', lines[i])
        if not m:
            i += 1; continue
        start = i + 1
        while i < len(lines) and lines[i] != ".EX":
            i += 1
        body = []
        i += 1
        while i < len(lines) and lines[i] != ".EE":
            body.append(unroff(lines[i], f"{page}:{i + 1}")); i += 1
        if i >= len(lines):
            raise ValueError(f"{page}:{start}: check-man block without .EX/.EE")
        yield m.group(1), m.group(2), body, start

def env():
    e = dict(os.environ)
    for k in ("BERTH_STATE_DIR", "BERTH_RUNTIME_DIR", "XDG_CONFIG_HOME", "JOURNAL_STREAM"):
        e.pop(k, None)
    e.update(PATH=f"{T}/bin:{e['PATH']}", LC_ALL="C.UTF-8", SYSTEMD_SCOPE="system",
             BERTH_CONF=f"{T}/etc/berth/berth.conf",
             BERTH_APPS_DIRS=f"{T}/etc/berth/apps:{T}/run/berth/apps:{T}/usr/lib/berth/apps")
    return e

def into_root(s):
    return re.sub(r"(^|[\s=:\"'])(" + ROOTS + r")", lambda m: m.group(1) + T + m.group(2), s)

def matches(expected, actual):
    # "..." matches any run of lines (possibly none).
    if not expected:
        return not actual
    if expected[0] == "...":
        return any(matches(expected[1:], actual[k:]) for k in range(len(actual) + 1))
    return bool(actual) and expected[0] == actual[0] and matches(expected[1:], actual[1:])

try:
    manifests, n = [], 0
    for kind, path, body, where in blocks():
        n += 1
        if kind in ("file", "bad-file"):
            if not path or not path.startswith("/"):
                raise ValueError(f"{page}:{where}: file blocks name an absolute path")
            dst = T + path
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            with open(dst, "w") as f:
                f.write("\n".join(body) + "\n")
            if kind == "file" and path.endswith(".yaml") and not re.search(r"\.yaml\.d/", path):
                manifests.append((path, where))
            continue
        cmds = []
        for line in body:
            if line.startswith("$ "):
                cmds.append((line[2:], []))
            elif cmds:
                cmds[-1][1].append(line)
            else:
                raise ValueError(f"{page}:{where}: run block does not start with '$ COMMAND'")
        status = 0
        for cmd, expected in cmds:
            # One shell per command; "$?" is the status of the one before.
            p = subprocess.run(["bash", "-c", f"(exit {status}); " + into_root(cmd)], cwd=T, env=env(),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            status = p.returncode
            text = p.stdout.replace(T, "")
            if libexec != "/usr/libexec/berth":
                text = text.replace(libexec, "/usr/libexec/berth")
            actual = text.split("\n")
            if actual and actual[-1] == "":
                actual.pop()
            if not matches(expected, actual):
                problems.append(f"{page}:{where}: '$ {cmd}' printed:\n" + "\n".join(actual) +
                                "\n--- but the page shows:\n" + "\n".join(expected))
    for path, where in manifests:
        # By id, through the search path: drop-ins of every directory merge in.
        p = subprocess.run(["berth", "validate", os.path.basename(path)[:-5]], cwd=T, env=env(),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if p.returncode != 0:
            problems.append(f"{page}:{where}: example {path} does not validate:\n" + p.stdout.replace(T, ""))
    print(f"{page}: {n} example block(s)", file=sys.stderr)
except ValueError as e:
    problems.append(str(e))
for p in problems:
    print("PROBLEM " + p)
sys.exit(1 if problems else 0)
EOF
  ) || bad "$page: examples:"$'\n'"$out"
  if [ -n "$out" ] && [ "$fail" = 0 ]; then echo "$out"; fi
done

((pages > 0)) || bad "no man pages in man/"
if ((fail)); then
  echo "check-man: FAILED" >&2
  exit 1
fi
echo "check-man: $pages pages render cleanly, their references and examples hold"
