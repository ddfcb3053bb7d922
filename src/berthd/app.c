/* app.c — /org/berth1/app/<escaped id> (org.berth1.App): one object per
 * installed app. Manifest properties are read at startup and after each
 * daemon-reload; unit properties follow systemd's signals; the backup summary
 * follows the state database. Getters only read what is kept here, so a
 * GetAll costs no I/O. */
#include "berthd.h"
#include "log.h"
#include "strv.h"
#include "unit_names.h"

static UnitWatch *steal_watch(BerthApp *old, const char *name) {
        UnitWatch *w = NULL;

        if (!old)
                return NULL;
        if (old->target && streq(old->target->name, name))
                w = TAKE_PTR(old->target);
        else if (old->timer && streq(old->timer->name, name))
                w = TAKE_PTR(old->timer);
        else
                for (size_t i = 0; i < old->n_containers; i++)
                        if (old->containers[i].unit && streq(old->containers[i].unit->name, name)) {
                                w = TAKE_PTR(old->containers[i].unit);
                                break;
                        }
        return w;
}

static int watch_unit(BerthApp *a, BerthApp *old, UnitRole role, size_t index, char *name, UnitWatch **ret) {
        _cleanup_free_ char *n = name;
        UnitWatch *w;

        if (!n)
                return -ENOMEM;
        w = steal_watch(old, n);
        if (w) {
                w->app = a;
                w->role = role;
                w->index = index;
                *ret = w;
                return 0;
        }
        return unit_watch_new(a, role, index, n, ret);
}

BerthApp *berth_app_free(BerthApp *a) {
        if (!a)
                return NULL;
        unit_watch_free(a->target);
        unit_watch_free(a->timer);
        for (size_t i = 0; i < a->n_containers; i++) {
                free(a->containers[i].name);
                unit_watch_free(a->containers[i].unit);
        }
        free(a->containers);
        strv_free(a->volumes);
        free(a->id);
        free(a->path);
        free(a->name);
        free(a->version);
        free(a->description);
        free(a->last_backup_result);
        free(a);
        return NULL;
}

int berth_app_new(Manager *m, const App *manifest, BerthApp **ret) {
        _cleanup_(berth_app_freep) BerthApp *a = NULL;
        int r;

        a = calloc(1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        a->manager = m;
        a->id = strdup(manifest->id);
        a->name = strdup(manifest->name ?: manifest->id);
        a->version = strdup(strempty(manifest->version));
        a->description = strdup(strempty(manifest->description));
        a->enabled = manifest->enabled;
        a->has_timer = manifest->backup.present;
        a->containers = calloc(manifest->n_containers, sizeof(AppContainer));
        if (!a->id || !a->name || !a->version || !a->description || !a->containers)
                return -ENOMEM;
        r = sd_bus_path_encode(BERTH_DBUS_APP_PREFIX, a->id, &a->path);
        if (r < 0)
                return r;
        for (size_t i = 0; i < manifest->n_volumes; i++)
                if ((r = strv_extend(&a->volumes, manifest->volumes[i].name)) < 0)
                        return r;
        for (size_t i = 0; i < manifest->n_containers; i++) {
                AppContainer *ac = &a->containers[a->n_containers];
                ac->name = strdup(manifest->containers[i].name);
                if (!ac->name)
                        return -ENOMEM;
                ac->has_check = manifest->containers[i].health != NULL;
                a->n_containers++;
        }
        *ret = TAKE_PTR(a);
        return 0;
}

int berth_app_watch_units(BerthApp *a, BerthApp *old) {
        int r;

        r = watch_unit(a, old, ROLE_TARGET, 0, unit_name_target(a->id), &a->target);
        for (size_t i = 0; r >= 0 && i < a->n_containers; i++)
                r = watch_unit(a, old, ROLE_CONTAINER, i, unit_name_container(a->id, a->containers[i].name),
                               &a->containers[i].unit);
        if (r >= 0 && a->has_timer)
                r = watch_unit(a, old, ROLE_TIMER, 0, unit_name_timer(a->id), &a->timer);
        if (r < 0)
                return r;
        if (old) {
                a->last_backup = old->last_backup;
                free(a->last_backup_result);
                a->last_backup_result = TAKE_PTR(old->last_backup_result);
                a->n_snapshots = old->n_snapshots;
        }
        return 0;
}

static ContainerHealth container_health(const AppContainer *c) {
        return container_health_from_unit(c->has_check, c->unit->active_state, c->unit->sub_state);
}

/* The app's health, with container `index` taken in the given state instead
 * of its current one (index SIZE_MAX: all current). */
static AppHealth health_with(const BerthApp *a, size_t index, const char *active, const char *sub) {
        ContainerHealth h[a->n_containers + 1];

        for (size_t i = 0; i < a->n_containers; i++)
                h[i] = i == index ? container_health_from_unit(a->containers[i].has_check, active, sub)
                                  : container_health(&a->containers[i]);
        return app_health_aggregate(h, a->n_containers);
}

AppHealth berth_app_health(const BerthApp *a) {
        return health_with(a, SIZE_MAX, NULL, NULL);
}

static const char *state_or_unknown(const char *s) {
        return s ?: "unknown";
}

int berth_app_summary(const BerthApp *a, AppSummary *ret) {
        *ret = (AppSummary) {
                .id = a->id, .name = a->name, .version = a->version,
                .active_state = (char *) state_or_unknown(a->target->active_state),
                .sub_state = (char *) state_or_unknown(a->target->sub_state),
                .health = (char *) app_health_to_string(berth_app_health(a)),
                .enabled = a->enabled,
                .last_backup = a->last_backup, .last_backup_result = a->last_backup_result,
                .next_backup = a->timer ? a->timer->next_elapse : 0,
                .path = a->path,
        };
        return 0;
}

static void emit(BerthApp *a, char **names) {
        int r;

        if (strv_length(names) == 0 || a->manager->exiting)
                return;
        r = sd_bus_emit_properties_changed_strv(a->manager->bus, a->path, BERTH_DBUS_APP, names);
        if (r < 0)
                log_errno(LOG_WARNING_LEVEL, r, "Failed to emit PropertiesChanged for app '%s', ignoring", a->id);
}

void berth_app_unit_changed(UnitWatch *w, const char *old_active, const char *old_sub, usec_t old_next) {
        BerthApp *a = w->app;
        const char *names[4] = {};
        size_t n = 0;

        switch (w->role) {
        case ROLE_TARGET:
                if (!streq_ptr(old_active, w->active_state))
                        names[n++] = "ActiveState";
                if (!streq_ptr(old_sub, w->sub_state))
                        names[n++] = "SubState";
                break;
        case ROLE_CONTAINER:
                names[n++] = "Containers";
                if (health_with(a, w->index, old_active, old_sub) != berth_app_health(a))
                        names[n++] = "Health";
                break;
        case ROLE_TIMER:
                if (old_next != w->next_elapse)
                        names[n++] = "NextBackup";
                break;
        }
        emit(a, (char **) names);
}

void berth_app_emit_manifest_changes(BerthApp *a, const BerthApp *old) {
        const char *names[8] = {};
        size_t n = 0;
        bool containers = a->n_containers != old->n_containers;

        for (size_t i = 0; !containers && i < a->n_containers; i++)
                containers = !streq(a->containers[i].name, old->containers[i].name) ||
                             a->containers[i].has_check != old->containers[i].has_check;
        if (!streq(a->name, old->name))
                names[n++] = "Name";
        if (!streq(a->version, old->version))
                names[n++] = "Version";
        if (!streq(a->description, old->description))
                names[n++] = "Description";
        if (a->enabled != old->enabled)
                names[n++] = "Enabled";
        if (containers) {
                names[n++] = "Containers";
                names[n++] = "Health";
        }
        if (!a->timer != !old->timer)
                names[n++] = "NextBackup";
        emit(a, (char **) names);
}

void berth_app_set_history(BerthApp *a, usec_t last, const char *result, uint32_t n_snapshots, bool emit_changes) {
        const char *names[4] = {};
        size_t n = 0;

        if (last != a->last_backup) {
                a->last_backup = last;
                names[n++] = "LastBackup";
        }
        if (!streq(strempty(result), strempty(a->last_backup_result))) {
                char *r = isempty(result) ? NULL : strdup(result);
                if (!isempty(result) && !r)
                        return;
                free(a->last_backup_result);
                a->last_backup_result = r;
                names[n++] = "LastBackupResult";
        }
        if (n_snapshots != a->n_snapshots) {
                a->n_snapshots = n_snapshots;
                names[n++] = "Snapshots";
        }
        if (emit_changes)
                emit(a, (char **) names);
}

static int property_get_active_state(sd_bus *bus, const char *path, const char *interface, const char *property,
                                     sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        BerthApp *a = userdata;
        return sd_bus_message_append(reply, "s", state_or_unknown(a->target->active_state));
}

static int property_get_sub_state(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        BerthApp *a = userdata;
        return sd_bus_message_append(reply, "s", state_or_unknown(a->target->sub_state));
}

static int property_get_health(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", app_health_to_string(berth_app_health(userdata)));
}

static int property_get_containers(sd_bus *bus, const char *path, const char *interface, const char *property,
                                   sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        BerthApp *a = userdata;
        int r;

        r = sd_bus_message_open_container(reply, 'a', BERTH_DBUS_CONTAINER_RECORD);
        for (size_t i = 0; r >= 0 && i < a->n_containers; i++) {
                const AppContainer *c = &a->containers[i];
                r = sd_bus_message_append(reply, BERTH_DBUS_CONTAINER_RECORD, c->name, c->unit->name,
                                          state_or_unknown(c->unit->active_state),
                                          state_or_unknown(c->unit->sub_state),
                                          container_health_to_string(container_health(c)));
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int property_get_next_backup(sd_bus *bus, const char *path, const char *interface, const char *property,
                                    sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        BerthApp *a = userdata;
        return sd_bus_message_append(reply, "t", (uint64_t) (a->timer ? a->timer->next_elapse : 0));
}

const sd_bus_vtable berth_app_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Id", "s", NULL, offsetof(BerthApp, id), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Name", "s", NULL, offsetof(BerthApp, name), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Version", "s", NULL, offsetof(BerthApp, version), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Description", "s", NULL, offsetof(BerthApp, description), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Enabled", "b", NULL, offsetof(BerthApp, enabled), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("ActiveState", "s", property_get_active_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("SubState", "s", property_get_sub_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Health", "s", property_get_health, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Containers", "a" BERTH_DBUS_CONTAINER_RECORD, property_get_containers, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("LastBackup", "t", NULL, offsetof(BerthApp, last_backup), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("LastBackupResult", "s", NULL, offsetof(BerthApp, last_backup_result),
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("NextBackup", "t", property_get_next_backup, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Snapshots", "u", NULL, offsetof(BerthApp, n_snapshots), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_VTABLE_END,
};

int berth_app_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                          sd_bus_error *error) {
        _cleanup_free_ char *id = NULL;
        BerthApp *a;

        if (sd_bus_path_decode(path, BERTH_DBUS_APP_PREFIX, &id) <= 0)
                return 0;
        a = manager_find_app(userdata, id);
        if (!a)
                return 0;
        *found = a;
        return 1;
}

int berth_app_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_strv_free_ char **l = NULL;
        int r;

        for (size_t i = 0; i < m->n_apps; i++)
                if ((r = strv_extend(&l, m->apps[i]->path)) < 0)
                        return r;
        *nodes = TAKE_PTR(l);
        return 1;
}
