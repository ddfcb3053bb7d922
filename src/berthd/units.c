/* units.c — what systemd says about the units of the apps. systemd emits
 * PropertiesChanged for a unit to subscribed clients; berthd subscribes once
 * and adds one match per unit path, so the bus daemon forwards only the
 * signals of berth's own units (not those of every health-check run or login
 * on the host), and berthd wakes only when one of them changes. Current
 * states come from one ListUnitsByNames call, at startup and after every
 * daemon-reload. */
#include "berthd.h"
#include "log.h"
#include "strv.h"

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
#define SD_UNIT_IFACE "org.freedesktop.systemd1.Unit"
#define SD_TIMER_IFACE "org.freedesktop.systemd1.Timer"
#define SD_UNIT_PREFIX "/org/freedesktop/systemd1/unit"

/* Replaces *p with a copy of v unless equal (v NULL: not reported, kept);
 * the previous value goes to *ret_old. True when it changed. */
static bool update_string(char **p, const char *v, char **ret_old) {
        char *n;

        if (!v || streq_ptr(*p, v))
                return false;
        n = strdup(v);
        if (!n)
                return false; /* keep the old value rather than lose it */
        *ret_old = *p;
        *p = n;
        return true;
}

static void unit_watch_update(UnitWatch *w, const char *active, const char *sub, bool has_next, usec_t next) {
        _cleanup_free_ char *old_active = NULL, *old_sub = NULL;
        usec_t old_next = w->next_elapse;
        bool a, s, t;

        a = update_string(&w->active_state, active, &old_active);
        s = update_string(&w->sub_state, sub, &old_sub);
        t = has_next && next != w->next_elapse;
        if (t)
                w->next_elapse = next;
        if (a || s || t)
                berth_app_unit_changed(w, a ? old_active : w->active_state, s ? old_sub : w->sub_state, old_next);
}

bool units_from_systemd(Manager *m, sd_bus_message *msg) {
        return m->systemd_owner && streq_ptr(sd_bus_message_get_sender(msg), m->systemd_owner);
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        UnitWatch *w = userdata;
        _cleanup_free_ char *active = NULL, *sub = NULL;
        const char *iface;
        bool has_next = false;
        uint64_t next = 0;
        int r;

        if (!units_from_systemd(w->app->manager, m))
                return 0;
        r = sd_bus_message_read(m, "s", &iface);
        if (r < 0)
                goto bad;
        if (!streq(iface, SD_UNIT_IFACE) && !streq(iface, SD_TIMER_IFACE))
                return 0;
        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                goto bad;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *name, *v;

                r = sd_bus_message_read(m, "s", &name);
                if (r < 0)
                        goto bad;
                if (streq(iface, SD_UNIT_IFACE) && (streq(name, "ActiveState") || streq(name, "SubState"))) {
                        r = sd_bus_message_read(m, "v", "s", &v);
                        if (r < 0)
                                goto bad;
                        char **dst = streq(name, "ActiveState") ? &active : &sub;
                        free(*dst);
                        *dst = strdup(v);
                        if (!*dst)
                                return 0;
                } else if (streq(iface, SD_TIMER_IFACE) && streq(name, "NextElapseUSecRealtime")) {
                        r = sd_bus_message_read(m, "v", "t", &next);
                        if (r < 0)
                                goto bad;
                        /* A timer that is not running elapses "never" (infinity). */
                        if (next == UINT64_MAX)
                                next = 0;
                        has_next = true;
                } else if ((r = sd_bus_message_skip(m, "v")) < 0)
                        goto bad;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        goto bad;
        }
        if (r < 0)
                goto bad;
        unit_watch_update(w, active, sub, has_next, next);
        return 0;
bad:
        log_errno(LOG_WARNING_LEVEL, r, "Failed to parse PropertiesChanged of '%s', ignoring", w->name);
        return 0;
}

int unit_watch_new(BerthApp *a, UnitRole role, size_t index, const char *name, UnitWatch **ret) {
        UnitWatch *w;
        int r;

        w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        *w = (UnitWatch) { .app = a, .role = role, .index = index, .name = strdup(name) };
        if (!w->name) {
                unit_watch_free(w);
                return -ENOMEM;
        }
        /* systemd's object path of a unit is its escaped name, loaded or not:
         * the match holds before the unit ever exists. */
        r = sd_bus_path_encode(SD_UNIT_PREFIX, name, &w->path);
        if (r < 0) {
                unit_watch_free(w);
                return r;
        }
        /* Installed one at a time (a round trip to the bus daemon each): a few
         * hundred AddMatch calls queued at once would leave the heap of a
         * long-running daemon full of holes. */
        r = sd_bus_match_signal(a->manager->bus, &w->match, SD_DEST, w->path, "org.freedesktop.DBus.Properties",
                                "PropertiesChanged", on_properties_changed, w);
        /* The bus limits matches per connection (512 by default): beyond that a
         * unit's changes go unnoticed, which must be said. */
        if (r < 0)
                log_errno(LOG_WARNING_LEVEL, r, "Failed to watch unit '%s', its state will not be updated, ignoring",
                          name);
        *ret = w;
        return 0;
}

UnitWatch *unit_watch_free(UnitWatch *w) {
        if (!w)
                return NULL;
        sd_bus_slot_unref(w->match);
        sd_bus_slot_unref(w->fetch);
        free(w->name);
        free(w->path);
        free(w->active_state);
        free(w->sub_state);
        free(w);
        return NULL;
}

/* Every watched unit of every app, for one pass. */
static size_t collect_watches(Manager *m, UnitWatch ***ret) {
        UnitWatch **l = NULL;
        size_t n = 0, cap = 0;

        for (size_t i = 0; i < m->n_apps; i++) {
                BerthApp *a = m->apps[i];
                size_t need = n + a->n_containers + 2;
                if (need > cap) {
                        cap = MAX(need, cap * 2);
                        UnitWatch **nl = realloc(l, cap * sizeof(*l));
                        if (!nl)
                                break;
                        l = nl;
                }
                l[n++] = a->target;
                for (size_t c = 0; c < a->n_containers; c++)
                        l[n++] = a->containers[c].unit;
                if (a->timer)
                        l[n++] = a->timer;
        }
        *ret = l;
        return n;
}

static int on_list_units(sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_free_ UnitWatch **watches = NULL;
        const sd_bus_error *e;
        size_t n;
        int r;

        m->list_call = sd_bus_slot_unref(m->list_call);
        e = sd_bus_message_get_error(reply);
        if (e) {
                if (!m->systemd_absent)
                        log_warning("Failed to read the states of berth's units: %s", strempty(e->message));
                return 0;
        }
        n = collect_watches(m, &watches);
        r = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)");
        while (r > 0) {
                const char *name, *active, *sub;
                r = sd_bus_message_read(reply, "(ssssssouso)", &name, NULL, NULL, &active, &sub, NULL, NULL, NULL,
                                        NULL, NULL);
                if (r <= 0)
                        break;
                for (size_t i = 0; i < n; i++)
                        if (streq(watches[i]->name, name)) {
                                unit_watch_update(watches[i], active, sub, false, 0);
                                break;
                        }
        }
        if (r < 0)
                log_errno(LOG_WARNING_LEVEL, r, "Failed to parse ListUnitsByNames(), ignoring");
        return 0;
}

static int on_timer_next(sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        UnitWatch *w = userdata;
        uint64_t next;

        w->fetch = sd_bus_slot_unref(w->fetch);
        if (sd_bus_message_is_method_error(reply, NULL))
                return 0; /* e.g. no systemd: NextBackup stays 0 */
        if (sd_bus_message_read(reply, "v", "t", &next) >= 0)
                unit_watch_update(w, NULL, NULL, true, next == UINT64_MAX ? 0 : next);
        return 0;
}

int units_fetch_all(Manager *m, bool initial) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        _cleanup_free_ UnitWatch **watches = NULL;
        size_t n;
        int r;

        if (m->systemd_absent && !initial)
                return 0;
        n = collect_watches(m, &watches);
        if (n == 0)
                return 0;
        r = sd_bus_message_new_method_call(m->bus, &call, SD_DEST, SD_PATH, SD_MANAGER, "ListUnitsByNames");
        if (r >= 0)
                r = sd_bus_message_open_container(call, 'a', "s");
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = sd_bus_message_append(call, "s", watches[i]->name);
        if (r >= 0)
                r = sd_bus_message_close_container(call);
        if (r < 0)
                return r;
        sd_bus_slot_unref(m->list_call);
        m->list_call = NULL;
        r = sd_bus_call_async(m->bus, &m->list_call, call, on_list_units, m, 0);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                UnitWatch *w = watches[i];
                if (w->role != ROLE_TIMER)
                        continue;
                w->fetch = sd_bus_slot_unref(w->fetch);
                r = sd_bus_call_method_async(m->bus, &w->fetch, SD_DEST, w->path, "org.freedesktop.DBus.Properties",
                                             "Get", on_timer_next, w, "ss", SD_TIMER_IFACE, "NextElapseUSecRealtime");
                if (r < 0)
                        return r;
        }
        return 0;
}

static int on_reloading(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        int active, r;

        if (!units_from_systemd(m, msg))
                return 0;
        if (sd_bus_message_read(msg, "b", &active) < 0 || active)
                return 0;
        /* The generator has run: manifests may have come, gone or changed. */
        r = manager_load_apps(m, true);
        if (r < 0)
                log_errno(LOG_WARNING_LEVEL, r, "Failed to reload the apps after a daemon-reload, ignoring");
        r = units_fetch_all(m, false);
        if (r < 0)
                log_errno(LOG_WARNING_LEVEL, r, "Failed to refresh the unit states after a daemon-reload, ignoring");
        return 0;
}

static int on_subscribed(sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        m->subscribe_call = sd_bus_slot_unref(m->subscribe_call);
        if (!e || sd_bus_error_has_name(e, "org.freedesktop.systemd1.AlreadySubscribed"))
                return 0;
        /* A private bus without systemd (tests): the apps are shown from their
         * manifests and the job history, with states "unknown". */
        m->systemd_absent = true;
        log_info("systemd is not reachable on this bus (%s): unit states stay unknown", strempty(e->message));
        return 0;
}

static int set_systemd_owner(Manager *m, const char *owner) {
        char *o = NULL;

        if (!isempty(owner) && !(o = strdup(owner)))
                return -ENOMEM;
        free(m->systemd_owner);
        m->systemd_owner = o;
        return 0;
}

static int on_owner(sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *owner;

        m->owner_call = sd_bus_slot_unref(m->owner_call);
        if (!sd_bus_message_is_method_error(reply, NULL) && sd_bus_message_read(reply, "s", &owner) >= 0)
                (void) set_systemd_owner(m, owner);
        return 0;
}

/* systemd's unique name changes when it reconnects to the bus (a re-exec, a
 * restarted bus): follow it, and subscribe again. */
static int on_owner_changed(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *name, *old_owner, *new_owner;
        int r;

        if (sd_bus_message_read(msg, "sss", &name, &old_owner, &new_owner) < 0 || !streq(name, SD_DEST))
                return 0;
        (void) set_systemd_owner(m, new_owner);
        if (isempty(new_owner))
                return 0;
        m->subscribe_call = sd_bus_slot_unref(m->subscribe_call);
        r = sd_bus_call_method_async(m->bus, &m->subscribe_call, SD_DEST, SD_PATH, SD_MANAGER, "Subscribe",
                                     on_subscribed, m, NULL);
        if (r >= 0)
                r = units_fetch_all(m, false);
        if (r < 0)
                log_errno(LOG_WARNING_LEVEL, r, "Failed to follow systemd to its new bus connection, ignoring");
        return 0;
}

int units_subscribe(Manager *m) {
        int r;

        /* (The bus daemon's own signals: sender and arg0 can be trusted as matched.) */
        r = sd_bus_add_match_async(m->bus, &m->owner_match,
                                   "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
                                   "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='" SD_DEST "'",
                                   on_owner_changed, NULL, m);
        if (r >= 0)
                r = sd_bus_call_method_async(m->bus, &m->owner_call, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                             "org.freedesktop.DBus", "GetNameOwner", on_owner, m, "s", SD_DEST);
        if (r >= 0)
                r = sd_bus_match_signal_async(m->bus, &m->reloading_match, SD_DEST, SD_PATH, SD_MANAGER, "Reloading",
                                              on_reloading, NULL, m);
        if (r < 0)
                return r;
        /* Without a subscriber systemd emits no unit signals on the system bus. */
        return sd_bus_call_method_async(m->bus, &m->subscribe_call, SD_DEST, SD_PATH, SD_MANAGER, "Subscribe",
                                        on_subscribed, m, NULL);
}
