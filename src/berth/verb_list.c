/* berth list [--json] — the installed apps, from berthd's ListApps(): one
 * line each with the app's state, health and backups; JSON for scripts.
 * Exit status: 0, 1 when berthd cannot be reached, 2 usage. */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>

#include "berth.h"
#include "berth_dbus.h"
#include "cli_format.h"
#include "log.h"
#include "table.h"

static json_object *string_or_null(const char *s) {
        return isempty(s) ? NULL : json_object_new_string(s);
}

static json_object *time_json(usec_t t) {
        _cleanup_free_ char *s = t ? format_iso8601(t) : NULL;
        return string_or_null(s);
}

static int print_json(const AppSummary *l, size_t n) {
        json_object *arr = json_object_new_array();

        if (!arr)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "id", json_object_new_string(l[i].id));
                json_object_object_add(o, "name", json_object_new_string(l[i].name));
                json_object_object_add(o, "version", string_or_null(l[i].version));
                json_object_object_add(o, "active_state", json_object_new_string(l[i].active_state));
                json_object_object_add(o, "sub_state", json_object_new_string(l[i].sub_state));
                json_object_object_add(o, "health", json_object_new_string(l[i].health));
                json_object_object_add(o, "enabled", json_object_new_boolean(l[i].enabled));
                json_object_object_add(o, "last_backup", time_json(l[i].last_backup));
                json_object_object_add(o, "last_backup_usec", l[i].last_backup ? json_object_new_int64((int64_t) l[i].last_backup) : NULL);
                json_object_object_add(o, "last_backup_result", string_or_null(l[i].last_backup_result));
                json_object_object_add(o, "next_backup", time_json(l[i].next_backup));
                json_object_object_add(o, "next_backup_usec", l[i].next_backup ? json_object_new_int64((int64_t) l[i].next_backup) : NULL);
                json_object_object_add(o, "object_path", json_object_new_string(l[i].path));
                json_object_array_add(arr, o);
        }
        printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(arr);
        return ferror(stdout) ? -EIO : 0;
}

static int print_table(const AppSummary *l, size_t n) {
        static const char *const headers[] = { "APP", "ACTIVE", "HEALTH", "VERSION", "LAST BACKUP", "RESULT", "NEXT BACKUP" };
        Table *t;
        int r = 0;

        if (n == 0) {
                printf("No apps installed.\n");
                return 0;
        }
        t = table_new(ELEMENTSOF(headers), headers);
        if (!t)
                return -ENOMEM;
        for (size_t i = 0; i < n && r >= 0; i++) {
                _cleanup_free_ char *last = format_time(l[i].last_backup), *next = format_time(l[i].next_backup);
                if ((r = table_add(t, l[i].id)) < 0 || (r = table_add(t, l[i].active_state)) < 0 ||
                    (r = table_add(t, l[i].health)) < 0 || (r = table_add(t, isempty(l[i].version) ? NULL : l[i].version)) < 0 ||
                    (r = table_add(t, last)) < 0 ||
                    (r = table_add(t, isempty(l[i].last_backup_result) ? NULL : l[i].last_backup_result)) < 0 ||
                    (r = table_add(t, next)) < 0)
                        break;
        }
        if (r >= 0)
                r = table_print(t, stdout);
        table_free(t);
        return r;
}

int verb_list(int argc, char *argv[]) {
        static const struct option options[] = {
                { "json", no_argument, NULL, 'j' },
                {},
        };
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        AppSummary *apps = NULL;
        size_t n = 0;
        int c, r;

        while ((c = getopt_long(argc, argv, "j", options, NULL)) >= 0)
                switch (c) {
                case 'j':
                        arg_cli.json = true;
                        break;
                default:
                        return 2;
                }
        if (optind < argc) {
                log_error("list: unexpected argument '%s' (berth status APP shows one app)", argv[optind]);
                return 2;
        }
        if (berthd_connect(&bus) < 0 ||
            berthd_call(bus, BERTH_DBUS_PATH, BERTH_DBUS_MANAGER, "ListApps", &reply, NULL) < 0)
                return 1;
        r = berth_dbus_read_app_summaries(reply, &apps, &n);
        if (r < 0)
                return log_errno(LOG_ERR_LEVEL, r, "Failed to parse berthd's answer to ListApps()"), 1;
        r = arg_cli.json ? print_json(apps, n) : print_table(apps, n);
        app_summaries_free(apps, n);
        return r < 0 ? 1 : 0;
}
