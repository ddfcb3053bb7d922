#!/usr/bin/env python3
"""calendar-corpus.py [N] — calendar expressions for tests/check-calendar.sh, one
per line: the forms systemd.time(7) documents, the edges of each field, and N
(default 3000) random compositions of good and bad parts, with a fixed seed so
that every run checks the same corpus. No quotes, tabs or leading/trailing spaces
(the check maps systemd's messages back to expressions by their quoted text)."""

import random
import sys

FIXED = """daily
DAILY
minutely
hourly
weekly
monthly
yearly
annually
quarterly
semiannually
semi-annually
biannually
daily UTC
weekly Europe/Berlin
Mon..Fri 9:00
Mon..Fri *-*-* 03:00:00
Mon-Fri 03:00
Sat,Sun
Mon UTC
Wed..Mon 09:00
Sun..Mon 01:00
Mo 01:00
Mon, 01:00
Mon,
,Mon
Mon,,Tue
Mon Tue
Mon-Wed..Fri 0:0
Monday 00:00
mOnDaY 00:00
*-*-* 03:00:00
*-*-* 3:0:0
*-*-* 03:00
12:00
*:0/15
*:0/15,30
*:1..5,10..20/2
1..5:00
1,2..3:00
0..23/24:00
*-*-* 25:00:00
*-*-* 24:00
*-*-* 03:00:60
*-*-* 03:60
*-*-* 03:00/0
00:00:00/2:00
*-*-* 03:00:00.5
*-*-* 03:00:00.123456
*-*-* 03:00:00.5/2
*:*:0/0.5
*:*:1/1.5
*:1/1.5
*:*:1.5..2
*:*:1..2.5
*:*:*.5
*-*-* *:*:*
*:*
*
* *:*
*-*
01-01
*-*-*-*
*-*-5..1 03:00
*-*-31,32 03:00
*-*-0 0:0
*-0-1 0:0
*-13-1 0:0
*-*-1.5 0:0
*-*-1/0 0:0
*-*-1..31/40 0:0
*-1..12/13-* 0:0
*-*/2-*
*-*-*/2
*/2:00
*:*/10
*/2-*-*
2020/2-01-01
2020..2030-*-*
2030..2020-*-*
70..99-01-01
1969-01-01
1970-01-01
2199-12-31 23:59:59
2200-01-01
9999-01-01
69-01-01
0-01-01
100-01-01
16-01-01
2024-01-01T12:00
2024-*-* 00:00
2023-2-29 0:0
*-2-31 0:0
*-02~03
*~3
*-*~3
*-*-~3
*-~3
*~0
*~1
*~28
*~29
*-2~1..3
*-2~3..1
2024-02~1
@0
@1700000000
@7258118399
@7258118400
@9999999999
@
@-1
@1.5
now
today
+5
*-*-* 03:00 UTC
*-*-* 00:00 UTC UTC
00:00 Europe/Berlin UTC
UTC
Funday 03:00
Mon *-*-* 00:00:00 Europe/Berlin
*-*-* 0:0 Asia/Kolkata
*-*-* 0:0 asia/kolkata
*-*-* 0:0 Etc/GMT+5
*-*-* 0:0 Europe/Nonexist
*-*-* 0:0 zone.tab
*-*-* 0:0 Mars/Olympus
Mon 2024-01-01
2024-01-01 Mon
*:00 *-*-*
1:00:00:00
-1:00
1,:00
1:00,
03:00:00 +0100
*:*:59.9999995
*:*:59.9999994
03:00:59.9999999
*:*:1..59.9999999
*:*:0/0.0000004
*:*:0/0.0000005
*:*:59.5/0.6
*:*:59.4/0.5
*:*:58.7/1.5
*:*:0/59.9999999
*:*:0/59.999999""".split("\n")

WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "monday", "FRIDAY", "Funday", "Mo", ""]
# Zones of Debian's tzdata in both 12 and 13 (13 moved the legacy ones, such as
# CET and posix/, to tzdata-legacy).
TZ = ["UTC", "Europe/Berlin", "America/New_York", "Etc/GMT-3", "Mars/Base", "utc", "Europe/berlin"]


def num(lo, hi, rnd, frac=False):
    v = str(rnd.randint(lo, hi))
    if frac and rnd.random() < 0.2:
        # Also at systemd's precision: six decimals kept, rounded at the seventh.
        v += "." + rnd.choice([str(rnd.randint(0, 999)), "9999995", "9999994", "0000004", "0000005", "999999"])
    return v


def component(rnd, lo, hi, frac=False):
    """A field: mostly within [lo, hi], sometimes just outside it."""
    r = rnd.random()
    edge_lo, edge_hi = lo - 1 if lo > 0 else lo, hi + 1
    if r < 0.15:
        return "*"
    items = []
    for _ in range(rnd.choice([1, 1, 1, 2, 3])):
        a = num(edge_lo, edge_hi, rnd, frac)
        kind = rnd.random()
        if kind < 0.3:
            item = a + ".." + num(edge_lo, edge_hi, rnd, frac)
        elif kind < 0.5:
            item = a + "/" + num(0, hi, rnd, frac)
        elif kind < 0.6:
            item = a + ".." + num(edge_lo, edge_hi, rnd, frac) + "/" + num(0, 10, rnd, frac)
        elif kind < 0.63:
            item = "*/" + num(1, 5, rnd)
        else:
            item = a
        items.append(item)
    return ",".join(items)


def weekdays(rnd):
    parts = []
    for _ in range(rnd.choice([1, 1, 2, 3])):
        a = rnd.choice(WEEKDAYS)
        if rnd.random() < 0.3:
            a += rnd.choice(["..", "-", "."]) + rnd.choice(WEEKDAYS)
        parts.append(a)
    return ",".join(parts)


def date(rnd):
    year = rnd.choice(["*", component(rnd, 1970, 2199), num(0, 99, rnd), num(100, 1969, rnd)])
    md = component(rnd, 1, 12) + rnd.choice(["-", "-", "~"]) + component(rnd, 1, 31 if rnd.random() < 0.7 else 28)
    return md if rnd.random() < 0.3 else year + "-" + md


def time(rnd):
    t = component(rnd, 0, 23) + ":" + component(rnd, 0, 59)
    if rnd.random() < 0.6:
        t += ":" + component(rnd, 0, 59, frac=True)
    return t


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    rnd = random.Random(20261124)
    seen = set()
    out = []
    for e in FIXED:
        if e not in seen:
            seen.add(e)
            out.append(e)
    while len(out) < len(FIXED) + n:
        words = []
        if rnd.random() < 0.3:
            words.append(weekdays(rnd))
        if rnd.random() < 0.7:
            words.append(date(rnd))
        if rnd.random() < 0.8:
            words.append(time(rnd))
        if rnd.random() < 0.15:
            words.append(rnd.choice(TZ))
        e = " ".join(w for w in words if w)
        if e and e not in seen and "'" not in e:
            seen.add(e)
            out.append(e)
    print("\n".join(out))


main()
