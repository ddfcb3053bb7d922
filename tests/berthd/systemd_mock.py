'''systemd mock template for check-berthd.sh (python-dbusmock)

The few parts of org.freedesktop.systemd1 that berthd uses: Subscribe,
ListUnitsByNames, StartUnit, StartTransientUnit (each job ends at once with
JobRemoved, result "done" unless SetJobResult says otherwise), unit objects at
the paths systemd uses (sd_bus_path_encode of the unit name) whose
PropertiesChanged the test triggers with SetUnitState / SetTimerNext, and the
Reloading signal (EmitReloading). Unlike dbusmock's own systemd template it
takes any unit name (template instances with '@' included).
'''

import dbus
from gi.repository import GLib

from dbusmock import MOCK_IFACE, mockobject

BUS_NAME = 'org.freedesktop.systemd1'
MAIN_OBJ = '/org/freedesktop/systemd1'
MAIN_IFACE = 'org.freedesktop.systemd1.Manager'
UNIT_IFACE = 'org.freedesktop.systemd1.Unit'
TIMER_IFACE = 'org.freedesktop.systemd1.Timer'
SYSTEM_BUS = True


def unit_path(name):
    '''sd_bus_path_encode("/org/freedesktop/systemd1/unit", name)'''
    out = []
    for i, c in enumerate(name):
        if c.isascii() and (c.isalpha() or (c.isdigit() and i > 0)):
            out.append(c)
        else:
            out.append('_%02x' % ord(c))
    return MAIN_OBJ + '/unit/' + ''.join(out)


def load(mock, _parameters):
    mock.next_job = 1
    mock.job_result = 'done'
    mock.states = {}
    mock.AddProperties(MAIN_IFACE, {'Version': 'mock'})


def unit_object(mock, name):
    path = unit_path(name)
    if path not in mockobject.objects:
        mock.AddObject(path, UNIT_IFACE, {'Id': name, 'ActiveState': 'inactive', 'SubState': 'dead'}, [])
    return mockobject.objects[path]


def start_job(mock, name):
    job = mock.next_job
    mock.next_job += 1
    path = '%s/job/%d' % (MAIN_OBJ, job)
    result = mock.job_result

    def finish():
        mock.EmitSignal(MAIN_IFACE, 'JobNew', 'uos', [dbus.UInt32(job), path, name])
        mock.EmitSignal(MAIN_IFACE, 'JobRemoved', 'uoss', [dbus.UInt32(job), path, name, result])
        return False
    GLib.idle_add(finish)
    return path


@dbus.service.method(MAIN_IFACE, in_signature='', out_signature='')
def Subscribe(_self):
    pass


@dbus.service.method(MAIN_IFACE, in_signature='as', out_signature='a(ssssssouso)')
def ListUnitsByNames(self, names):
    out = []
    for n in names:
        active, sub = self.states.get(str(n), ('inactive', 'dead'))
        out.append((n, '', 'loaded', active, sub, '', dbus.ObjectPath(unit_path(n)), dbus.UInt32(0), '',
                    dbus.ObjectPath('/')))
    return out


@dbus.service.method(MAIN_IFACE, in_signature='ss', out_signature='o')
def StartUnit(self, name, _mode):
    return start_job(self, str(name))


@dbus.service.method(MAIN_IFACE, in_signature='ssa(sv)a(sa(sv))', out_signature='o')
def StartTransientUnit(self, name, _mode, _properties, _aux):
    return start_job(self, str(name))


@dbus.service.method(MOCK_IFACE, in_signature='sss', out_signature='')
def SetUnitState(self, name, active, sub):
    '''The unit's ActiveState/SubState, announced with PropertiesChanged.'''
    self.states[str(name)] = (str(active), str(sub))
    unit_object(self, str(name)).UpdateProperties(UNIT_IFACE, {'ActiveState': active, 'SubState': sub})


@dbus.service.method(MOCK_IFACE, in_signature='st', out_signature='')
def SetTimerNext(self, name, usec):
    '''A timer's NextElapseUSecRealtime (Get and PropertiesChanged).'''
    obj = unit_object(self, str(name))
    if TIMER_IFACE in obj.props:
        obj.UpdateProperties(TIMER_IFACE, {'NextElapseUSecRealtime': dbus.UInt64(usec)})
    else:
        obj.AddProperties(TIMER_IFACE, {'NextElapseUSecRealtime': dbus.UInt64(usec)})


@dbus.service.method(MOCK_IFACE, in_signature='s', out_signature='')
def SetJobResult(self, result):
    self.job_result = str(result)


@dbus.service.method(MOCK_IFACE, in_signature='', out_signature='')
def EmitReloading(self):
    self.EmitSignal(MAIN_IFACE, 'Reloading', 'b', [True])
    self.EmitSignal(MAIN_IFACE, 'Reloading', 'b', [False])
