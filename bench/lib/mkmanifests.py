#!/usr/bin/env python3
"""mkmanifests.py SEED COUNT DIR — COUNT app manifests (schema 1, 1-5 containers
each, every container field used somewhere) into DIR, the same for the same
SEED. Used by bench/generator."""

import os
import random
import sys

IMAGES = ["docker.io/library/postgres:16", "docker.io/library/redis:7", "docker.io/library/nginx:1.27",
          "ghcr.io/immich-app/immich-server:v1.118.2", "docker.io/vaultwarden/server:1.32.0",
          "codeberg.org/forgejo/forgejo:9", "docker.io/library/mariadb:11", "quay.io/prometheus/node-exporter:v1.8.2",
          "docker.io/grafana/grafana:11.2.0", "docker.io/library/busybox:1.36"]
WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"]
CAPS = ["NET_BIND_SERVICE", "CHOWN", "SETUID", "SETGID", "DAC_OVERRIDE", "SYS_PTRACE"]


def q(s):
    """A YAML double-quoted scalar."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def flow(items):
    return "[" + ", ".join(q(i) for i in items) + "]"


def manifest(rnd, idx):
    n = rnd.randint(1, 5)
    names = ["c%d-%s" % (i, rnd.choice(WORDS)) for i in range(n)]
    volumes, secrets = [], []
    out = ["schema: 1", "name: %s" % q("Bench app %d" % idx), 'version: "%d.%d.%d"' % (rnd.randint(0, 9), rnd.randint(0, 30), rnd.randint(0, 99)),
           "description: %s" % q("Generated app %d with %d containers" % (idx, n)),
           "enabled: %s" % ("true" if rnd.random() < 0.9 else "false"), "containers:"]
    health = set()
    for i, name in enumerate(names):
        out.append("  %s:" % name)
        out.append("    image: %s" % rnd.choice(IMAGES))
        if rnd.random() < 0.4:
            out.append("    command: %s" % flow(["/usr/bin/%s" % rnd.choice(WORDS), "--port", str(rnd.randint(1024, 9000)),
                                                 "--name=%s %d%%" % (rnd.choice(WORDS), rnd.randint(1, 99))]))
        if rnd.random() < 0.2:
            out.append("    entrypoint: %s" % flow(["/bin/sh", "-c", 'exec "$@"', "--"]))
        out.append("    environment:")
        for k in range(rnd.randint(1, 8)):
            out.append("      VAR_%d: %s" % (k, q("%s value %d with $dollar, 'quotes' and 50%%" % (rnd.choice(WORDS), k))))
        if rnd.random() < 0.5:
            s = "s-%s" % name
            secrets.append(s)
            out.append("      PASSWORD: {secret: %s}" % s)
        if rnd.random() < 0.5:
            ports = []
            for k in range(rnd.randint(1, 3)):
                hp = 10000 + (idx * 17 + i * 5 + k) % 50000
                ports.append(rnd.choice(["127.0.0.1:%d:%d/tcp", "%d:%d", "[::1]:%d:%d/udp"]) % (hp, rnd.randint(1, 9000)))
            out.append("    ports: %s" % flow(ports))
        mounts = []
        for k in range(rnd.randint(0, 3)):
            v = "v-%s-%d" % (name, k)
            volumes.append(v)
            mounts.append("%s:/data/%d%s" % (v, k, rnd.choice(["", ":ro", ":rw"])))
        if mounts:
            out.append("    volumes: %s" % flow(mounts))
        deps = [d for d in names[:i] if rnd.random() < 0.5]
        if deps:
            out.append("    depends_on: %s" % flow(deps))
        if rnd.random() < 0.5:
            health.add(name)
            cmd = flow(["curl", "-fsS", "http://localhost:%d/health" % rnd.randint(80, 9000)]) if rnd.random() < 0.6 \
                else q("pg_isready -U postgres && test -f /tmp/ok")
            out.append("    health: {cmd: %s, interval: %ds, timeout: %ds, retries: %d, start_period: %ds}"
                       % (cmd, rnd.randint(5, 60), rnd.randint(1, 10), rnd.randint(1, 5), rnd.randint(0, 120)))
        if rnd.random() < 0.6:
            out.append("    resources: {memory: %dM, cpus: %s, pids: %d}" % (rnd.choice([128, 256, 512, 1024]), rnd.choice(["0.5", "1", "2", "1.25"]), rnd.choice([256, 1024])))
        if rnd.random() < 0.4:
            out.append("    labels: {org.example.team: %s, org.example.tier: %s}" % (q(rnd.choice(WORDS) + " team"), q(rnd.choice(WORDS))))
        if rnd.random() < 0.5:
            out.append("    user: %s" % q(rnd.choice(["1000:1000", "999", "nobody", "postgres:postgres"])))
        if rnd.random() < 0.3:
            out.append("    read_only: true")
        if rnd.random() < 0.3:
            out.append("    cap_add: %s" % flow(rnd.sample(CAPS, rnd.randint(1, 2))))
        out.append("    restart: %s" % rnd.choice(["on-failure", "always", '"no"']))
        if rnd.random() < 0.2:
            out.append("    init: false")
        if rnd.random() < 0.3:
            out.append("    stop_timeout: %ds" % rnd.randint(5, 120))
    if volumes:
        out.append("volumes:")
        for v in volumes:
            out.append("  %s: {backup: %s%s}" % (v, rnd.choice(["true", "false"]), ', owner: "999:999"' if rnd.random() < 0.3 else ""))
    if secrets:
        out.append("secrets:")
        for s in secrets:
            out.append("  %s: {generate: {length: %d, charset: %s}}" % (s, rnd.choice([24, 32, 48]), rnd.choice(["alnum", "hex", "base64url"])))
    if rnd.random() < 0.6:
        out.append("backup:")
        out.append("  schedule: %s" % rnd.choice(["daily", "weekly", q("*-*-* 03:%02d:00" % rnd.randint(0, 59))]))
        out.append("  retention: {last: 3, daily: 7, weekly: 4}")
        out.append("  quiesce: %s" % rnd.choice(["stop", "none"]))
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    seed, count, d = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    rnd = random.Random(seed)
    os.makedirs(d, exist_ok=True)
    for i in range(count):
        with open(os.path.join(d, "app-%04d.yaml" % i), "w") as f:
            f.write(manifest(rnd, i))
    return 0


if __name__ == "__main__":
    sys.exit(main())
