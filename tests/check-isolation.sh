#!/bin/bash
# check-isolation.sh — berth-generator keeps to what a generator may do
# (issue 2, point 6; systemd.generator(7)): over the sample manifests, valid and
# invalid together, in the system and the user scope, every system call of every
# thread is recorded (strace -f) and it must have
#   - spawned no process: no execve() but its own, no fork(), clone() only for
#     threads (CLONE_THREAD);
#   - talked to nobody: no socket of any kind, no pipe, no FIFO or device made,
#     no System V or POSIX IPC, no signal sent, no ptrace;
#   - created, written, linked, renamed or removed nothing outside the three
#     directories it was given (/dev/kmsg and /dev/null are its log);
# and it must still have written the valid apps' units.
# First a control: the same analysis of a shell that breaks each rule must
# report each, so a check that sees nothing is known to be looking.
set -uo pipefail
cd "${BERTH_SRC:-$(dirname "$0")/..}"
BUILD=${BUILD:-build}
case $BUILD in /*) BUILD_ABS=$BUILD ;; *) BUILD_ABS=$PWD/$BUILD ;; esac
export LC_ALL=C

if ! command -v strace >/dev/null; then
  echo "FAIL strace is not installed (make deps installs it)"
  exit 1
fi
work=$(mktemp -d /tmp/berth-check-isolation.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"
as_user=()
if [ "$(id -u)" = 0 ]; then
  # As root the generator would log to the host's /dev/kmsg.
  as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
fi

# analyse TRACE_PREFIX PROGRAM ALLOWED_DIR...: prints one line per violation;
# exit 1 if any. What happens before PROGRAM's execve (setpriv dropping root)
# is not PROGRAM's doing and not looked at.
analyse() {
  python3 - "$@" <<'EOF'
import glob, os, re, sys

prefix, program = sys.argv[1], os.path.realpath(sys.argv[2])
allowed = [os.path.realpath(d) for d in sys.argv[3:]]
allowed_files = {"/dev/kmsg", "/dev/null"}
forbidden = {
    "socket", "socketpair", "connect", "bind", "listen", "accept", "accept4",
    "sendto", "sendmsg", "sendmmsg", "recvfrom", "recvmsg", "recvmmsg",
    "fork", "vfork", "execveat", "pipe", "pipe2", "mknod", "mknodat",
    "kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "pidfd_send_signal",
    "ptrace", "process_vm_writev", "shmget", "shmat", "msgget", "msgsnd", "semget",
    "mq_open", "mq_timedsend",
}
# syscall -> indices of its (dirfd, path) argument pairs, or of a plain path
modifying = {
    "mkdir": [(None, 0)], "mkdirat": [(0, 1)], "rmdir": [(None, 0)],
    "unlink": [(None, 0)], "unlinkat": [(0, 1)],
    "symlink": [(None, 1)], "symlinkat": [(1, 2)],
    "link": [(None, 1)], "linkat": [(2, 3)],
    "rename": [(None, 0), (None, 1)], "renameat": [(0, 1), (2, 3)], "renameat2": [(0, 1), (2, 3)],
    "chmod": [(None, 0)], "fchmodat": [(0, 1)], "chown": [(None, 0)], "lchown": [(None, 0)],
    "fchownat": [(0, 1)], "truncate": [(None, 0)], "utimensat": [(0, 1)],
    "creat": [(None, 0)], "setxattr": [(None, 0)], "lsetxattr": [(None, 0)],
    "removexattr": [(None, 0)], "lremovexattr": [(None, 0)],
}
write_flags = re.compile(r"O_WRONLY|O_RDWR|O_CREAT|O_TRUNC")
line_re = re.compile(r"^(\w+)\((.*)\)\s+= (.*)$")

def split_args(s):
    """Top-level comma-separated arguments (strings, braces, brackets kept whole)."""
    args, depth, cur, q, esc = [], 0, "", False, False
    for ch in s:
        if q:
            cur += ch
            if esc: esc = False
            elif ch == "\\": esc = True
            elif ch == '"': q = False
            continue
        if ch == '"': q = True
        elif ch in "{[(<": depth += 1
        elif ch in "}])>": depth -= 1
        elif ch == "," and depth == 0:
            args.append(cur.strip()); cur = ""; continue
        cur += ch
    if cur.strip(): args.append(cur.strip())
    return args

def unquote(a):
    m = re.match(r'^"(.*)"(\.\.\.)?$', a)
    return bytes(m.group(1), "utf-8").decode("unicode_escape") if m else None

def fd_dir(a):
    m = re.search(r"<(.*)>$", a)
    return m.group(1) if m else None

def resolve(dirarg, patharg):
    p = unquote(patharg)
    if p is None:
        return None
    if p.startswith("/"):
        return os.path.normpath(p)
    base = fd_dir(dirarg) if dirarg is not None else None
    return os.path.normpath(os.path.join(base or "/nonexistent-cwd", p))

def inside(p):
    return p in allowed_files or any(p == d or p.startswith(d + "/") for d in allowed)

bad = []
files = sorted(glob.glob(prefix + ".*"))
if not files:
    print("no trace was written"); sys.exit(1)
def starts(name, args):
    return name == "execve" and unquote(args[0]) is not None and os.path.realpath(unquote(args[0])) == program

# The process that became PROGRAM is looked at from that execve on; its
# threads and children (other files) wholly.
started = False
for f in files:
    lines = [line_re.match(raw.strip()) for raw in open(f, errors="replace")]
    lines = [(m.group(1), split_args(m.group(2)), m) for m in lines if m]
    if any(starts(n, a) for n, a, _ in lines):
        while not starts(lines[0][0], lines[0][1]):
            lines.pop(0)
        lines.pop(0)
        started = True
    for name, args, m in lines:
        where = f"{os.path.basename(f)}: {m.group(0)[:200]}"
        if name == "execve":
            bad.append(f"spawned a program: {where}")
        elif name in ("clone", "clone3"):
            if "CLONE_THREAD" not in m.group(2): bad.append(f"made a process: {where}")
        elif name in forbidden:
            bad.append(f"{name}(): {where}")
        elif name in ("open", "openat", "openat2"):
            dirarg, patharg = (None, args[0]) if name == "open" else (args[0], args[1])
            flags = args[1] if name == "open" else args[2]
            if write_flags.search(flags):
                p = resolve(dirarg, patharg)
                if p is None or not inside(p): bad.append(f"opened for writing outside: {where}")
        elif name in modifying:
            for d, i in modifying[name]:
                if i >= len(args): continue
                p = resolve(args[d] if d is not None else None, args[i])
                if p is None or not inside(p): bad.append(f"changed outside: {where}")
if not started:
    bad.append(f"{program} was never started")
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
EOF
}

fail=0
# The control: each rule broken once.
mkdir -p "$work/control/out"
strace -f -ff -y -qq -o "$work/control/trace" sh -c \
  ": > '$work/control/outside'; mkdir '$work/control/dir'; true | cat; python3 -c 'import socket; socket.socket()'; : > '$work/control/out/inside'" \
  >/dev/null 2>&1
if out=$(analyse "$work/control/trace" "$(command -v bash)" "$work/control/out"); then
  echo "FAIL the control: a shell breaking every rule was not caught"; fail=1
else
  for want in "opened for writing outside" "changed outside" "spawned a program" "made a process" "pipe" "socket()"; do
    if ! grep -qF "$want" <<<"$out"; then
      echo "FAIL the control: '$want' was not reported:"; sed 's/^/    /' <<<"$out"; fail=1
    fi
  done
  if grep -q "out/inside" <<<"$out"; then
    echo "FAIL the control: writing inside an allowed directory was reported"; fail=1
  fi
fi

apps=tests/manifests/valid:tests/manifests/invalid
for scope in system user; do
  d=$work/$scope
  mkdir -p "$d/normal" "$d/early" "$d/late"
  chmod -R a+rwX "$d"
  scope_env=(SYSTEMD_SCOPE=system)
  [ "$scope" = user ] && scope_env=(SYSTEMD_SCOPE=user HOME=/home/alice XDG_RUNTIME_DIR=/run/user/1000)
  # Under sanitizers the leak checker would stop the world with a thread of
  # its own that ptraces (and cannot, under strace): the golden check finds
  # the generator's leaks.
  env -i PATH=/usr/bin:/bin LC_ALL=C ASAN_OPTIONS=detect_leaks=0 "${scope_env[@]}" BERTH_APPS_DIRS="$apps" \
    BERTH_CONF=tests/manifests/valid/berth.conf \
    strace -f -ff -y -qq -o "$d/trace" "${as_user[@]}" "$BUILD_ABS/berth-generator" "$d/normal" "$d/early" "$d/late" \
    >"$d/stdout" 2>"$d/stderr"
  rc=$?
  if [ "$rc" != 0 ]; then
    echo "FAIL $scope scope: berth-generator exited $rc:"; sed 's/^/    /' "$d/stderr" | head -n 20; fail=1
  fi
  written=$(find "$d/normal" -maxdepth 1 -type f -name 'berth-*.target' | wc -l)
  if [ "$written" -lt "$(ls tests/manifests/valid/*.yaml | wc -l)" ]; then
    echo "FAIL $scope scope: only $written app targets were written"; fail=1
  fi
  if out=$(analyse "$d/trace" "$BUILD_ABS/berth-generator" "$d/normal" "$d/early" "$d/late"); then
    echo "ok   $scope scope: $(cat "$d"/trace.* | wc -l) system calls, $written apps written, nothing outside its directories, no process, no IPC"
  else
    echo "FAIL $scope scope:"; sed 's/^/    /' <<<"$out" | head -n 30; fail=1
  fi
done
exit $fail
