#!/usr/bin/env python3
"""quadlet_compare.py — do berth's native units and podman's Quadlet give podman
the same container?

  quadlet_compare.py QUADLET_SRC NATIVE_DIR QUADLET_OUT

QUADLET_SRC is what `berth render --format=quadlet --out` wrote, NATIVE_DIR what
`berth render --format=systemd --out` wrote for the same manifests, QUADLET_OUT
the services podman's Quadlet generated from QUADLET_SRC. For every .container
(and .build) in QUADLET_SRC, the ExecStart= of the native service and of the
Quadlet service of the same name are parsed exactly as systemd parses them
(systemd_cmdline.py) and the podman arguments compared.

Normalised, and nothing else: the spelling of an option ("--opt value",
"--opt=value", short aliases, "--flag=true"), the case of capability names, and
the order of options of different names (podman does not care). Within one
option name, order counts, except for --env and --label, which Quadlet sorts by
key: those are compared by key, after checking that the native side has no
duplicate key (so sorting cannot hide an override). Arguments that Quadlet adds
to run the service rather than to define the container are left out by name
(SERVICE_ONLY). Exit status 1 and a diff per unit on any difference.
"""

import difflib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import systemd_cmdline as sc  # noqa: E402

# podman run options that take a value; short aliases map to the long name.
RUN_VALUE = {
    "--name", "--label", "--network", "--network-alias", "--security-opt", "--cap-drop",
    "--cap-add", "--uidmap", "--gidmap", "--user", "--entrypoint", "--env", "--secret",
    "--publish", "--volume", "--mount", "--tmpfs", "--health-cmd", "--health-interval",
    "--health-timeout", "--health-retries", "--health-start-period", "--health-on-failure",
    "--memory", "--cpus", "--pids-limit", "--stop-timeout", "--stop-signal", "--log-driver",
    "--log-opt", "--pull", "--cidfile", "--cgroups", "--sdnotify", "--workdir", "--hostname",
    "--userns", "--subuidname", "--subgidname", "--env-file", "--annotation", "--device",
    "--sysctl", "--ulimit", "--dns", "--add-host", "--ip", "--ip6", "--group-add",
    "--shm-size", "--tz", "--expose", "--rootfs", "--label-file",
}
RUN_BOOL = {"--init", "--read-only", "--replace", "--rm", "--detach", "--read-only-tmpfs",
            "--env-host", "--privileged", "--tty", "--interactive"}
RUN_SHORT = {"-v": "--volume", "-e": "--env", "-p": "--publish", "-l": "--label",
             "-u": "--user", "-m": "--memory", "-w": "--workdir", "-h": "--hostname",
             "-d": "--detach", "-t": "--tty", "-i": "--interactive", "--net": "--network"}

BUILD_VALUE = {"--tag", "--file", "--build-arg", "--pull", "--network", "--label", "--annotation",
               "--env", "--secret", "--volume", "--target", "--arch", "--variant"}
BUILD_BOOL = {"--force-rm", "--tls-verify"}
BUILD_SHORT = {"-t": "--tag", "-f": "--file", "-v": "--volume"}

# Added by Quadlet (and by berth's native units) to run the service, not to
# define the container: never compared.
SERVICE_ONLY = {"--cidfile", "--sdnotify", "--detach", "--replace", "--rm", "--cgroups"}

# Options whose values are maps in podman, emitted sorted by key by Quadlet.
KEYED = {"--env", "--label"}
CAPS = {"--cap-add", "--cap-drop"}


class CompareError(Exception):
    pass


def split_podman(argv, verb, value_opts, bool_opts, short):
    """podman argv -> (global opts before the verb, [(opt, value)], [positional])."""
    if len(argv) < 2:
        raise CompareError("not a podman command line: %r" % argv)
    i = 1
    glob = []
    while i < len(argv) and argv[i] != verb:
        glob.append(argv[i])
        i += 1
    if i == len(argv):
        raise CompareError("no '%s' verb in %r" % (verb, argv))
    i += 1
    opts, pos = [], []
    while i < len(argv):
        a = argv[i]
        if not a.startswith("-") or a == "-":
            pos = argv[i:]
            break
        if a == "--":
            pos = argv[i + 1:]
            break
        name, eq, val = a.partition("=")
        name = short.get(name, name)
        if name in bool_opts:
            if eq and val not in ("true", "false"):
                raise CompareError("boolean option %s with value %r" % (name, val))
            if not eq or val == "true":
                opts.append((name, None))
            else:
                opts.append((name, "false"))
            i += 1
            continue
        if name in value_opts:
            if not eq:
                if i + 1 >= len(argv):
                    raise CompareError("option %s without value" % name)
                val = argv[i + 1]
                i += 1
            opts.append((name, val))
            i += 1
            continue
        raise CompareError("podman option %r is not known to the comparator "
                           "(add it to quadlet_compare.py)" % a)
    return glob, opts, pos


def normalise(opts):
    """[(opt, value)] -> sorted lines for the container-defining options."""
    by_name = {}
    for name, val in opts:
        if name in SERVICE_ONLY:
            continue
        if name in CAPS and val is not None:
            val = val.lower()
            if val.startswith("cap_"):
                val = val[4:]
        by_name.setdefault(name, []).append(val)
    lines = []
    for name in sorted(by_name):
        vals = by_name[name]
        if name in KEYED:
            keys = [v.partition("=")[0] for v in vals]
            dups = sorted({k for k in keys if keys.count(k) > 1})
            if dups:
                lines.append("%s: duplicate keys %r (order would matter)" % (name, dups))
            vals = sorted(vals, key=lambda v: v.partition("=")[0])
        for v in vals:
            lines.append("%s %s" % (name, "(flag)" if v is None else repr(v)))
    return lines


def describe(argv, verb, value_opts, bool_opts, short):
    glob, opts, pos = split_podman(argv, verb, value_opts, bool_opts, short)
    lines = ["program %r" % argv[0], "verb %r" % verb]
    lines += ["global %r" % g for g in glob]
    lines += normalise(opts)
    if verb == "run":
        if not pos:
            raise CompareError("no image in %r" % argv)
        lines.append("image %r" % pos[0])
        lines += ["command[%d] %r" % (i, w) for i, w in enumerate(pos[1:])]
    else:
        lines += ["positional[%d] %r" % (i, w) for i, w in enumerate(pos)]
    return lines


def unit_argv(path):
    # Specifiers that follow from the unit's name are filled in (%i is empty in a
    # unit that is not a template); the others stay opaque.
    spec = sc.unit_specifiers(os.path.basename(path))
    return sc.exec_argv(sc.parse_unit_file(path), "Service", "ExecStart", spec)


def compare_unit(native_path, quadlet_path, verb):
    tables = {"run": (RUN_VALUE, RUN_BOOL, RUN_SHORT), "build": (BUILD_VALUE, BUILD_BOOL, BUILD_SHORT)}[verb]
    a = describe(unit_argv(native_path), verb, *tables)
    b = describe(unit_argv(quadlet_path), verb, *tables)
    return a, b


def main(argv):
    if len(argv) != 4:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    src, native, qout = argv[1:]
    pairs = []
    for f in sorted(os.listdir(src)):
        base, ext = os.path.splitext(f)
        if ext == ".container":
            pairs.append((base + ".service", "run"))
        elif ext == ".build":
            pairs.append((base + "-build.service", "build"))
    if not pairs:
        print("quadlet_compare: no .container files in %s" % src, file=sys.stderr)
        return 1
    bad = 0
    for unit, verb in pairs:
        np, qp = os.path.join(native, unit), os.path.join(qout, unit)
        try:
            if not os.path.exists(np):
                raise CompareError("native rendering has no %s" % unit)
            if not os.path.exists(qp):
                raise CompareError("Quadlet generated no %s" % unit)
            a, b = compare_unit(np, qp, verb)
        except (CompareError, sc.ParseError, OSError) as e:
            print("FAIL %s: %s" % (unit, e))
            bad += 1
            continue
        if a != b:
            bad += 1
            print("FAIL %s: podman arguments differ (- native, + Quadlet)" % unit)
            for line in difflib.unified_diff(a, b, "native/" + unit, "quadlet/" + unit, lineterm="", n=1):
                print("    " + line)
        else:
            print("ok   %s (%d arguments)" % (unit, len(a)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
