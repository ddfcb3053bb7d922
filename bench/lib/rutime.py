#!/usr/bin/env python3
"""rutime.py STDERR_FILE COMMAND [ARG...] — run a command once; print its wall time
and the CPU time (user + system) of it and every descendant it waited for, both in
nanoseconds: "WALL CPU". On a machine shared with other work, wall time swings with
the load while CPU time stays put. The command's stdout goes to /dev/null, its stderr
to STDERR_FILE. Exits 1 if the command fails. Used by bench/backup."""

import os
import sys
import time


def main():
    err = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    null = os.open(os.devnull, os.O_WRONLY)
    t0 = time.monotonic_ns()
    pid = os.fork()
    if pid == 0:
        os.dup2(null, 1)
        os.dup2(err, 2)
        try:
            os.execvp(sys.argv[2], sys.argv[2:])
        finally:
            os._exit(127)
    _, status, ru = os.wait4(pid, 0)
    wall = time.monotonic_ns() - t0
    print(wall, int((ru.ru_utime + ru.ru_stime) * 1e9))
    sys.exit(0 if os.waitstatus_to_exitcode(status) == 0 else 1)


if __name__ == "__main__":
    main()
