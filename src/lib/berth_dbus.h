/* berth_dbus.h — berthd's D-Bus API (org.berth1, org.berth1(5)): names,
 * paths, errors, and the wire format of its lists, written by berthd and read
 * by the berth CLI, so that both sides share one definition. */
#pragma once

#include <systemd/sd-bus.h>

#include "state_db.h"

#define BERTH_DBUS_NAME "org.berth1"
#define BERTH_DBUS_PATH "/org/berth1"
#define BERTH_DBUS_APP_PREFIX "/org/berth1/app"
#define BERTH_DBUS_JOB_PREFIX "/org/berth1/job"
#define BERTH_DBUS_MANAGER "org.berth1.Manager"
#define BERTH_DBUS_APP "org.berth1.App"
#define BERTH_DBUS_JOB "org.berth1.Job"

#define BERTH_DBUS_ERROR_NO_SUCH_APP "org.berth1.NoSuchApp"
#define BERTH_DBUS_ERROR_NO_SUCH_SNAPSHOT "org.berth1.NoSuchSnapshot"
#define BERTH_DBUS_ERROR_NO_SUCH_VOLUME "org.berth1.NoSuchVolume"
#define BERTH_DBUS_ERROR_HISTORY "org.berth1.HistoryUnavailable"

/* polkit actions (dbus/org.berth1.policy) */
#define BERTH_ACTION_BACKUP "org.berth1.backup"
#define BERTH_ACTION_RESTORE "org.berth1.restore"

/* Manager.ListApps() returns a(ssssssbtsto): one AppSummary each. */
#define BERTH_DBUS_APP_SUMMARY "(ssssssbtsto)"
typedef struct AppSummary {
        char *id, *name, *version;
        char *active_state, *sub_state, *health;
        bool enabled;
        usec_t last_backup;           /* realtime µs, 0: never */
        char *last_backup_result;     /* a job status, or "" */
        usec_t next_backup;           /* realtime µs, 0: not scheduled */
        char *path;                   /* the app's object */
} AppSummary;

void app_summary_done(AppSummary *s);
void app_summaries_free(AppSummary *s, size_t n);
int berth_dbus_append_app_summary(sd_bus_message *m, const AppSummary *s);
int berth_dbus_read_app_summaries(sd_bus_message *m, AppSummary **ret, size_t *ret_n);

/* Manager.ListJobs() returns a(xsssttissss): one Job each, NULL strings as "". */
#define BERTH_DBUS_JOB_RECORD "(xsssttissss)"
int berth_dbus_append_job(sd_bus_message *m, const Job *j);
int berth_dbus_read_jobs(sd_bus_message *m, Job **ret, size_t *ret_n);

/* Manager.ListSnapshots() returns a(ssstssxasas): one SnapshotInfo each. */
#define BERTH_DBUS_SNAPSHOT_RECORD "(ssstssxasas)"
int berth_dbus_append_snapshot(sd_bus_message *m, const SnapshotInfo *s);
int berth_dbus_read_snapshots(sd_bus_message *m, SnapshotInfo **ret, size_t *ret_n);

/* App.Containers is a(sssss): name, unit, ActiveState, SubState, health. */
#define BERTH_DBUS_CONTAINER_RECORD "(sssss)"

/* What a client tells its user when a call to berthd failed: the D-Bus error
 * translated into the likely cause. */
char *berth_dbus_describe_error(int r, const sd_bus_error *e);
