/* bus_manager.c — /org/berth1 (org.berth1.Manager): lists, lookups, the two
 * actions, and Subscribe() for clients that want signals. Reading is open to
 * everyone; Backup and Restore go through polkit (polkit.c). */
#include "app_source.h"
#include "berthd.h"
#include "log.h"
#include "restore_unit.h"
#include "strv.h"

#define STRV_MAKE(...) ((char *[]) { __VA_ARGS__, NULL })

/* Replies to a List*() call with an array of n records, each appended by
 * append(reply, i, userdata). */
static int reply_records(sd_bus_message *msg, const char *record, size_t n,
                         int (*append)(sd_bus_message *reply, size_t i, void *userdata), void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', record);
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = append(reply, i, userdata);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int append_app(sd_bus_message *reply, size_t i, void *userdata) {
        Manager *m = userdata;
        AppSummary s;

        berth_app_summary(m->apps[i], &s);
        return berth_dbus_append_app_summary(reply, &s);
}

static int method_list_apps(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;

        return reply_records(msg, BERTH_DBUS_APP_SUMMARY, m->n_apps, append_app, m);
}

static int find_app_or_error(Manager *m, const char *id, BerthApp **ret, sd_bus_error *error) {
        BerthApp *a = manager_find_app(m, id);

        if (!a)
                return sd_bus_error_setf(error, BERTH_DBUS_ERROR_NO_SUCH_APP, "No app '%s' is installed", id);
        *ret = a;
        return 0;
}

/* The app named by the call's first argument, or a NoSuchApp error. */
static int read_app_arg(sd_bus_message *msg, Manager *m, BerthApp **ret, sd_bus_error *error) {
        const char *id;
        int r;

        r = sd_bus_message_read(msg, "s", &id);
        if (r < 0)
                return r;
        return find_app_or_error(m, id, ret, error);
}

static int method_get_app(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        BerthApp *a = NULL;
        int r;

        r = read_app_arg(msg, userdata, &a, error);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, "o", a->path);
}

static int history_error(Manager *m, int r, sd_bus_error *error) {
        return sd_bus_error_setf(error, BERTH_DBUS_ERROR_HISTORY, "Failed to read the job history '%s': %s", m->db_path,
                                 strerror(-r));
}

/* The app argument of ListJobs() and ListSnapshots(): an app id, installed or
 * not (its history outlives it), or "" where that means every app. */
static int check_app_arg(const char *app, bool empty_means_all, sd_bus_error *error) {
        if ((empty_means_all && isempty(app)) || app_id_valid(app))
                return 0;
        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "'%s' is not an app id", app);
}

static int append_job(sd_bus_message *reply, size_t i, void *userdata) {
        const Job *jobs = userdata;

        return berth_dbus_append_job(reply, &jobs[i]);
}

/* ListJobs(s app, u limit): "" for every app (also uninstalled ones), 0 for all. */
static int method_list_jobs(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        Job *jobs = NULL;
        size_t n = 0;
        const char *app;
        uint32_t limit;
        int r;

        r = sd_bus_message_read(msg, "su", &app, &limit);
        if (r < 0)
                return r;
        r = check_app_arg(app, true, error);
        if (r < 0)
                return r;
        r = history_read_jobs(m, isempty(app) ? NULL : app, limit, &jobs, &n);
        if (r < 0)
                return history_error(m, r, error);
        r = reply_records(msg, BERTH_DBUS_JOB_RECORD, n, append_job, jobs);
        jobs_free(jobs, n);
        manager_trim_memory();
        return r;
}

static int append_snapshot(sd_bus_message *reply, size_t i, void *userdata) {
        const SnapshotInfo *snaps = userdata;

        return berth_dbus_append_snapshot(reply, &snaps[i]);
}

/* ListSnapshots(s app): the snapshot cache (the repository itself needs
 * root's credentials; `berth snapshots` as root refreshes the cache). */
static int method_list_snapshots(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        SnapshotInfo *snaps = NULL;
        size_t n = 0;
        const char *app;
        int r;

        r = sd_bus_message_read(msg, "s", &app);
        if (r < 0)
                return r;
        r = check_app_arg(app, false, error);
        if (r < 0)
                return r;
        r = history_read_snapshots(m, app, &snaps, &n);
        if (r < 0)
                return history_error(m, r, error);
        r = reply_records(msg, BERTH_DBUS_SNAPSHOT_RECORD, n, append_snapshot, snaps);
        snapshot_infos_free(snaps, n);
        manager_trim_memory();
        return r;
}

static int method_backup(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        BerthApp *a = NULL;
        int r;

        r = read_app_arg(msg, m, &a, error);
        if (r < 0)
                return r;
        return polkit_authorize(m, msg, BERTH_ACTION_BACKUP, STRV_MAKE("app", a->id), berth_job_start_backup, error);
}

static int method_restore(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_strv_free_ char **volumes = NULL;
        _cleanup_free_ char *vols = NULL;
        Manager *m = userdata;
        BerthApp *a = NULL;
        const char *id, *snapshot;
        uint64_t flags;
        int r;

        r = sd_bus_message_read(msg, "ss", &id, &snapshot);
        if (r >= 0)
                r = sd_bus_message_read_strv(msg, &volumes);
        if (r >= 0)
                r = sd_bus_message_read(msg, "t", &flags);
        if (r < 0)
                return r;
        r = find_app_or_error(m, id, &a, error);
        if (r < 0)
                return r;
        if (flags != 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Unknown flags 0x%llx, expected 0",
                                         (unsigned long long) flags);
        if (!restore_snapshot_arg_valid(snapshot))
                return sd_bus_error_setf(error, BERTH_DBUS_ERROR_NO_SUCH_SNAPSHOT,
                                         "'%s' is not a snapshot id, expected hex digits or 'latest'", snapshot);
        STRV_FOREACH(v, volumes)
                if (!strv_contains(a->volumes, *v))
                        return sd_bus_error_setf(error, BERTH_DBUS_ERROR_NO_SUCH_VOLUME, "App '%s' has no volume '%s'",
                                                 a->id, *v);
        vols = strv_join(volumes, ",");
        if (!vols)
                return -ENOMEM;
        return polkit_authorize(m, msg, BERTH_ACTION_RESTORE,
                                STRV_MAKE("app", a->id, "snapshot", (char *) snapshot, "volumes", vols),
                                berth_job_start_restore, error);
}

static int on_subscribers_gone(sd_bus_track *t, void *userdata) {
        Manager *m = userdata;

        /* Drop the empty track: sd-bus calls this handler again and again for
         * as long as an empty track with a handler exists. The next
         * Subscribe() makes a new one. */
        m->subscribers = sd_bus_track_unref(m->subscribers);
        manager_check_idle(m);
        return 0;
}

/* Signals are sent to everyone anyway; a subscriber keeps berthd running
 * until it unsubscribes or disconnects, so that none are missed. */
static int method_subscribe(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        int r;

        if (!m->subscribers) {
                r = sd_bus_track_new(m->bus, &m->subscribers, on_subscribers_gone, m);
                if (r < 0)
                        return r;
        }
        r = sd_bus_track_add_sender(m->subscribers, msg);
        if (r < 0)
                return r;
        manager_check_idle(m);
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_unsubscribe(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        int r;

        if (m->subscribers) {
                r = sd_bus_track_remove_sender(m->subscribers, msg);
                if (r < 0)
                        return r;
        }
        manager_check_idle(m);
        return sd_bus_reply_method_return(msg, NULL);
}

const sd_bus_vtable berth_manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("ListApps", SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("a" BERTH_DBUS_APP_SUMMARY, apps), method_list_apps,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetApp", SD_BUS_ARGS("s", id), SD_BUS_RESULT("o", app), method_get_app,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListJobs", SD_BUS_ARGS("s", app, "u", limit),
                                SD_BUS_RESULT("a" BERTH_DBUS_JOB_RECORD, jobs), method_list_jobs,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListSnapshots", SD_BUS_ARGS("s", app),
                                SD_BUS_RESULT("a" BERTH_DBUS_SNAPSHOT_RECORD, snapshots), method_list_snapshots,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Backup", SD_BUS_ARGS("s", app), SD_BUS_RESULT("o", job), method_backup,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Restore", SD_BUS_ARGS("s", app, "s", snapshot, "as", volumes, "t", flags),
                                SD_BUS_RESULT("o", job), method_restore, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Subscribe", NULL, NULL, method_subscribe, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Unsubscribe", NULL, NULL, method_unsubscribe, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("JobNew", SD_BUS_ARGS("u", id, "o", job, "s", app, "s", kind), 0),
        SD_BUS_SIGNAL_WITH_ARGS("JobRemoved", SD_BUS_ARGS("u", id, "o", job, "s", app, "s", kind, "s", result), 0),
        SD_BUS_VTABLE_END,
};
