#!/usr/bin/python3
"""call.py METHOD SIGNATURE [ARG...] - calls org.berth1.Manager.METHOD on the
system bus (or DBUS_SYSTEM_BUS_ADDRESS) and prints the reply's values, one per
line, or "error NAME: MESSAGE" (exit 1). Arguments by SIGNATURE's complete
types: s (text), t/u (number), as (comma-separated, "" for none).
check-berthd.sh uses it where the D-Bus error name matters (busctl prints only
the message)."""
import sys

import dbus


def complete_types(sig):
    out, i = [], 0
    while i < len(sig):
        j = i + 2 if sig[i] == 'a' else i + 1
        out.append(sig[i:j])
        i = j
    return out


def convert(t, v):
    if t == 's':
        return dbus.String(v)
    if t == 't':
        return dbus.UInt64(int(v))
    if t == 'u':
        return dbus.UInt32(int(v))
    if t == 'as':
        return dbus.Array([x for x in v.split(',') if x], signature='s')
    raise SystemExit('call.py: type %s is not supported' % t)


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    method, sig, values = sys.argv[1], sys.argv[2], sys.argv[3:]
    types = complete_types(sig)
    if len(types) != len(values):
        raise SystemExit('call.py: %s takes %d arguments' % (sig, len(types)))
    obj = dbus.SystemBus().get_object('org.berth1', '/org/berth1', introspect=False)
    try:
        reply = obj.get_dbus_method(method, 'org.berth1.Manager')(
            *[convert(t, v) for t, v in zip(types, values)], signature=sig)
    except dbus.exceptions.DBusException as e:
        print('error %s: %s' % (e.get_dbus_name(), e.get_dbus_message()))
        return 1
    for v in reply if isinstance(reply, tuple) else [reply]:
        print(v)
    return 0


sys.exit(main())
