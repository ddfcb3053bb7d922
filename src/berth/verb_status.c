/* berth status [--json] [APP...] — one app (or every app) in detail, from
 * berthd's app objects: state, health of each container, backups. Without
 * APP, every app from one GetManagedObjects() call. --json prints an object
 * for exactly one APP, an array otherwise.
 * Exit status: 0; 1 when berthd cannot be reached or an APP is not installed;
 * 2 usage. */
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>

#include "berth.h"
#include "berth_dbus.h"
#include "cli_format.h"
#include "log.h"
#include "strv.h"
#include "table.h"

typedef struct ContainerStatus {
        char *name, *unit, *active_state, *sub_state, *health;
} ContainerStatus;

typedef struct AppStatus {
        char *id, *name, *version, *description;
        char *active_state, *sub_state, *health, *last_backup_result;
        int enabled;
        uint64_t last_backup, next_backup;
        uint32_t snapshots;
        ContainerStatus *containers;
        size_t n_containers;
} AppStatus;

static void app_status_done(AppStatus *s) {
        for (size_t i = 0; i < s->n_containers; i++) {
                ContainerStatus *c = &s->containers[i];
                free(c->name);
                free(c->unit);
                free(c->active_state);
                free(c->sub_state);
                free(c->health);
        }
        free(s->containers);
        free(s->id);
        free(s->name);
        free(s->version);
        free(s->description);
        free(s->active_state);
        free(s->sub_state);
        free(s->health);
        free(s->last_backup_result);
        *s = (AppStatus) {};
}

static int read_string_variant(sd_bus_message *m, char **ret) {
        const char *v;
        int r = sd_bus_message_read(m, "v", "s", &v);
        if (r < 0)
                return r;
        free(*ret);
        *ret = strdup(v);
        return *ret ? 0 : -ENOMEM;
}

static int read_containers(sd_bus_message *m, AppStatus *s) {
        int r;

        r = sd_bus_message_enter_container(m, 'v', "a" BERTH_DBUS_CONTAINER_RECORD);
        if (r >= 0)
                r = sd_bus_message_enter_container(m, 'a', BERTH_DBUS_CONTAINER_RECORD);
        while (r >= 0) {
                const char *name, *unit, *active, *sub, *health;
                r = sd_bus_message_read(m, BERTH_DBUS_CONTAINER_RECORD, &name, &unit, &active, &sub, &health);
                if (r <= 0)
                        break;
                ContainerStatus *l = realloc(s->containers, (s->n_containers + 1) * sizeof(*l));
                if (!l)
                        return -ENOMEM;
                s->containers = l;
                l[s->n_containers++] = (ContainerStatus) {
                        .name = strdup(name), .unit = strdup(unit), .active_state = strdup(active),
                        .sub_state = strdup(sub), .health = strdup(health),
                };
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        return r;
}

/* The a{sv} of org.berth1.App (GetAll, or one entry of GetManagedObjects). */
static int read_app_properties(sd_bus_message *m, AppStatus *s) {
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *p;
                r = sd_bus_message_read(m, "s", &p);
                if (r < 0)
                        return r;
                if (streq(p, "Id"))
                        r = read_string_variant(m, &s->id);
                else if (streq(p, "Name"))
                        r = read_string_variant(m, &s->name);
                else if (streq(p, "Version"))
                        r = read_string_variant(m, &s->version);
                else if (streq(p, "Description"))
                        r = read_string_variant(m, &s->description);
                else if (streq(p, "ActiveState"))
                        r = read_string_variant(m, &s->active_state);
                else if (streq(p, "SubState"))
                        r = read_string_variant(m, &s->sub_state);
                else if (streq(p, "Health"))
                        r = read_string_variant(m, &s->health);
                else if (streq(p, "LastBackupResult"))
                        r = read_string_variant(m, &s->last_backup_result);
                else if (streq(p, "Enabled"))
                        r = sd_bus_message_read(m, "v", "b", &s->enabled);
                else if (streq(p, "LastBackup"))
                        r = sd_bus_message_read(m, "v", "t", &s->last_backup);
                else if (streq(p, "NextBackup"))
                        r = sd_bus_message_read(m, "v", "t", &s->next_backup);
                else if (streq(p, "Snapshots"))
                        r = sd_bus_message_read(m, "v", "u", &s->snapshots);
                else if (streq(p, "Containers"))
                        r = read_containers(m, s);
                else
                        r = sd_bus_message_skip(m, "v"); /* newer berthd */
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        return s->id ? 0 : -EBADMSG;
}

static int get_app(sd_bus *bus, const char *id, AppStatus *ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL, *props = NULL;
        const char *path;
        int r;

        if (berthd_call(bus, BERTH_DBUS_PATH, BERTH_DBUS_MANAGER, "GetApp", &reply, "s", id) < 0)
                return -ENOENT;
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return log_errno(LOG_ERR_LEVEL, r, "Failed to parse berthd's answer to GetApp()");
        if (berthd_call(bus, path, "org.freedesktop.DBus.Properties", "GetAll", &props, "s", BERTH_DBUS_APP) < 0)
                return -EIO;
        r = read_app_properties(props, ret);
        if (r < 0)
                return log_errno(LOG_ERR_LEVEL, r, "Failed to parse the properties of app '%s'", id);
        return 0;
}

/* Every app: GetManagedObjects() returns a{oa{sa{sv}}}; app objects carry org.berth1.App. */
static int get_all_apps(sd_bus *bus, AppStatus **ret, size_t *ret_n) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        AppStatus *l = NULL;
        size_t n = 0;
        int r;

        if (berthd_call(bus, BERTH_DBUS_PATH, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", &reply, NULL) < 0)
                return -EIO;
        r = sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}")) > 0) {
                r = sd_bus_message_skip(reply, "o");
                if (r >= 0)
                        r = sd_bus_message_enter_container(reply, 'a', "{sa{sv}}");
                while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sa{sv}")) > 0) {
                        const char *iface;
                        r = sd_bus_message_read(reply, "s", &iface);
                        if (r >= 0 && streq(iface, BERTH_DBUS_APP)) {
                                AppStatus *nl = realloc(l, (n + 1) * sizeof(*l));
                                if (!nl) {
                                        r = -ENOMEM;
                                        break;
                                }
                                l = nl;
                                l[n++] = (AppStatus) {};
                                r = read_app_properties(reply, &l[n - 1]);
                        } else if (r >= 0)
                                r = sd_bus_message_skip(reply, "a{sv}");
                        if (r >= 0)
                                r = sd_bus_message_exit_container(reply);
                }
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        }
        if (r < 0) {
                for (size_t i = 0; i < n; i++)
                        app_status_done(&l[i]);
                free(l);
                return log_errno(LOG_ERR_LEVEL, r, "Failed to parse berthd's answer to GetManagedObjects()");
        }
        /* Objects come in no particular order. */
        for (size_t i = 1; i < n; i++)
                for (size_t k = i; k > 0 && strcmp(l[k - 1].id, l[k].id) > 0; k--) {
                        AppStatus t = l[k];
                        l[k] = l[k - 1];
                        l[k - 1] = t;
                }
        *ret = l;
        *ret_n = n;
        return 0;
}

static void print_human(const AppStatus *s) {
        _cleanup_free_ char *last = format_time(s->last_backup), *next = format_time(s->next_backup);
        size_t w = 0;

        printf("          App: %s (%s%s%s)\n", s->id, strempty(s->name), isempty(s->version) ? "" : " ", strempty(s->version));
        if (!isempty(s->description))
                printf("  Description: %s\n", s->description);
        printf("        State: %s (%s)\n", strempty(s->active_state), strempty(s->sub_state));
        printf("       Health: %s\n", strempty(s->health));
        printf("      Enabled: %s\n", s->enabled ? "yes" : "no");
        for (size_t i = 0; i < s->n_containers; i++)
                w = MAX(w, strlen(strempty(s->containers[i].name)));
        for (size_t i = 0; i < s->n_containers; i++) {
                const ContainerStatus *c = &s->containers[i];
                printf("%s%-*s  %-9s  %s (%s)  %s\n", i == 0 ? "   Containers: " : "               ", (int) w,
                       strempty(c->name), strempty(c->health), strempty(c->active_state), strempty(c->sub_state),
                       strempty(c->unit));
        }
        if (s->last_backup)
                printf("  Last backup: %s, %s\n", last ?: "?", strempty(s->last_backup_result));
        else
                printf("  Last backup: never\n");
        printf("  Next backup: %s\n", s->next_backup ? next ?: "?" : "not scheduled");
        printf("    Snapshots: %" PRIu32 "\n", s->snapshots);
}

static json_object *string_or_null(const char *s) {
        return isempty(s) ? NULL : json_object_new_string(s);
}

static json_object *time_json(usec_t t) {
        _cleanup_free_ char *s = t ? format_iso8601(t) : NULL;
        return string_or_null(s);
}

static json_object *status_json(const AppStatus *s) {
        json_object *o = json_object_new_object(), *cs = json_object_new_array();

        json_object_object_add(o, "id", json_object_new_string(s->id));
        json_object_object_add(o, "name", string_or_null(s->name));
        json_object_object_add(o, "version", string_or_null(s->version));
        json_object_object_add(o, "description", string_or_null(s->description));
        json_object_object_add(o, "enabled", json_object_new_boolean(s->enabled));
        json_object_object_add(o, "active_state", string_or_null(s->active_state));
        json_object_object_add(o, "sub_state", string_or_null(s->sub_state));
        json_object_object_add(o, "health", string_or_null(s->health));
        for (size_t i = 0; i < s->n_containers; i++) {
                const ContainerStatus *c = &s->containers[i];
                json_object *co = json_object_new_object();
                json_object_object_add(co, "name", string_or_null(c->name));
                json_object_object_add(co, "unit", string_or_null(c->unit));
                json_object_object_add(co, "active_state", string_or_null(c->active_state));
                json_object_object_add(co, "sub_state", string_or_null(c->sub_state));
                json_object_object_add(co, "health", string_or_null(c->health));
                json_object_array_add(cs, co);
        }
        json_object_object_add(o, "containers", cs);
        json_object_object_add(o, "last_backup", time_json(s->last_backup));
        json_object_object_add(o, "last_backup_usec", s->last_backup ? json_object_new_int64((int64_t) s->last_backup) : NULL);
        json_object_object_add(o, "last_backup_result", string_or_null(s->last_backup_result));
        json_object_object_add(o, "next_backup", time_json(s->next_backup));
        json_object_object_add(o, "next_backup_usec", s->next_backup ? json_object_new_int64((int64_t) s->next_backup) : NULL);
        json_object_object_add(o, "snapshots", json_object_new_int64(s->snapshots));
        return o;
}

int verb_status(int argc, char *argv[]) {
        static const struct option options[] = {
                { "json", no_argument, NULL, 'j' },
                {},
        };
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        AppStatus *l = NULL;
        size_t n = 0;
        bool single;
        int c, r, ret = 0;

        while ((c = getopt_long(argc, argv, "j", options, NULL)) >= 0)
                switch (c) {
                case 'j':
                        arg_cli.json = true;
                        break;
                default:
                        return 2;
                }
        single = argc - optind == 1;
        if (berthd_connect(&bus) < 0)
                return 1;
        if (optind == argc) {
                if (get_all_apps(bus, &l, &n) < 0)
                        return 1;
        } else {
                l = calloc(argc - optind, sizeof(*l));
                if (!l)
                        return log_errno(LOG_ERR_LEVEL, -ENOMEM, "Out of memory"), 1;
                for (int i = optind; i < argc; i++) {
                        r = get_app(bus, argv[i], &l[n]);
                        if (r < 0) {
                                ret = 1;
                                app_status_done(&l[n]);
                                continue;
                        }
                        n++;
                }
        }
        if (arg_cli.json) {
                json_object *out;
                if (single)
                        out = n == 1 ? status_json(&l[0]) : NULL;
                else {
                        out = json_object_new_array();
                        for (size_t i = 0; i < n; i++)
                                json_object_array_add(out, status_json(&l[i]));
                }
                if (out || !single)
                        printf("%s\n", json_object_to_json_string_ext(out, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
                json_object_put(out);
        } else if (n == 0 && optind == argc)
                printf("No apps installed.\n");
        else
                for (size_t i = 0; i < n; i++) {
                        if (i > 0)
                                putchar('\n');
                        print_human(&l[i]);
                }
        for (size_t i = 0; i < n; i++)
                app_status_done(&l[i]);
        free(l);
        if (fflush(stdout) != 0 || ferror(stdout))
                ret = 1;
        return ret;
}
