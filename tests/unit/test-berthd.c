/* test-berthd.c — what berthd and its clients share in the library: health
 * from unit states (app_status), the wire format of org.berth1's lists
 * (berth_dbus, written and read back through real sd-bus messages), the
 * description of bus errors, and the restore unit's command line. The daemon
 * itself runs in tests/check-berthd.sh and the e2e suite. */
#include <sys/socket.h>
#include <systemd/sd-bus.h>

#include "app_status.h"
#include "berth_dbus.h"
#include "restore_unit.h"
#include "strv.h"
#include "test.h"

TEST(test_container_health) {
        ASSERT_EQ(container_health_from_unit(true, NULL, NULL), CONTAINER_HEALTH_UNKNOWN);
        ASSERT_EQ(container_health_from_unit(true, "active", "running"), CONTAINER_HEALTH_HEALTHY);
        ASSERT_EQ(container_health_from_unit(false, "active", "running"), CONTAINER_HEALTH_RUNNING);
        ASSERT_EQ(container_health_from_unit(true, "reloading", "reload"), CONTAINER_HEALTH_HEALTHY);
        /* The health wait runs in ExecStartPost=: still starting. */
        ASSERT_EQ(container_health_from_unit(true, "activating", "start-post"), CONTAINER_HEALTH_STARTING);
        ASSERT_EQ(container_health_from_unit(false, "activating", "start"), CONTAINER_HEALTH_STARTING);
        /* Killed by its check (--health-on-failure=kill), failed or restarting. */
        ASSERT_EQ(container_health_from_unit(true, "failed", "failed"), CONTAINER_HEALTH_UNHEALTHY);
        ASSERT_EQ(container_health_from_unit(true, "activating", "auto-restart"), CONTAINER_HEALTH_UNHEALTHY);
        ASSERT_EQ(container_health_from_unit(true, "activating", "auto-restart-queued"), CONTAINER_HEALTH_UNHEALTHY);
        ASSERT_EQ(container_health_from_unit(false, "deactivating", "stop-sigterm"), CONTAINER_HEALTH_INACTIVE);
        ASSERT_EQ(container_health_from_unit(false, "inactive", "dead"), CONTAINER_HEALTH_INACTIVE);
        ASSERT_EQ(container_health_from_unit(false, "maintenance", NULL), CONTAINER_HEALTH_INACTIVE);
        for (int h = 0; h < _CONTAINER_HEALTH_MAX; h++)
                ASSERT(container_health_to_string(h));
        ASSERT(!container_health_to_string(_CONTAINER_HEALTH_MAX));
        ASSERT_STREQ(container_health_to_string(CONTAINER_HEALTH_UNHEALTHY), "unhealthy");
}

TEST(test_app_health) {
        const ContainerHealth healthy[] = { CONTAINER_HEALTH_HEALTHY, CONTAINER_HEALTH_RUNNING };
        const ContainerHealth starting[] = { CONTAINER_HEALTH_HEALTHY, CONTAINER_HEALTH_STARTING };
        const ContainerHealth bad[] = { CONTAINER_HEALTH_STARTING, CONTAINER_HEALTH_UNHEALTHY, CONTAINER_HEALTH_HEALTHY };
        const ContainerHealth stopped[] = { CONTAINER_HEALTH_INACTIVE, CONTAINER_HEALTH_INACTIVE };
        const ContainerHealth partly[] = { CONTAINER_HEALTH_RUNNING, CONTAINER_HEALTH_INACTIVE };
        const ContainerHealth unknown[] = { CONTAINER_HEALTH_UNHEALTHY, CONTAINER_HEALTH_UNKNOWN };

        ASSERT_EQ(app_health_aggregate(healthy, 2), APP_HEALTH_HEALTHY);
        ASSERT_EQ(app_health_aggregate(starting, 2), APP_HEALTH_STARTING);
        ASSERT_EQ(app_health_aggregate(bad, 3), APP_HEALTH_UNHEALTHY);
        ASSERT_EQ(app_health_aggregate(stopped, 2), APP_HEALTH_INACTIVE);
        ASSERT_EQ(app_health_aggregate(partly, 2), APP_HEALTH_DEGRADED);
        /* Not knowing one container is not knowing the app. */
        ASSERT_EQ(app_health_aggregate(unknown, 2), APP_HEALTH_UNKNOWN);
        ASSERT_EQ(app_health_aggregate(NULL, 0), APP_HEALTH_UNKNOWN);
        ASSERT_STREQ(app_health_to_string(APP_HEALTH_DEGRADED), "degraded");
        ASSERT(!app_health_to_string(_APP_HEALTH_MAX));
}

/* A bus good enough to build messages on: one end of a socket pair, never
 * read from. */
static sd_bus *test_bus(void) {
        sd_bus *b = NULL;
        int fds[2];

        ASSERT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
        ASSERT_OK(sd_bus_new(&b));
        ASSERT_OK(sd_bus_set_fd(b, fds[0], fds[0]));
        ASSERT_OK(sd_bus_set_anonymous(b, true));
        ASSERT_OK(sd_bus_start(b));
        close(fds[1]);
        return b;
}

static sd_bus_message *new_message(sd_bus *b) {
        sd_bus_message *m = NULL;
        ASSERT_OK(sd_bus_message_new_method_call(b, &m, "org.berth1", "/org/berth1", "org.berth1.Manager", "X"));
        return m;
}

static void seal(sd_bus_message *m) {
        static uint64_t cookie = 1;
        ASSERT_OK(sd_bus_message_seal(m, cookie++, 0));
        ASSERT_OK(sd_bus_message_rewind(m, true));
}

TEST(test_jobs_round_trip) {
        sd_bus *b = test_bus();
        sd_bus_message *m = new_message(b);
        const Job in[] = {
                { .id = 7, .app = (char *) "web", .kind = (char *) "backup", .status = JOB_SUCCEEDED,
                  .started_at = 1700000000000001, .finished_at = 1700000012000000, .exit_code = 0,
                  .stats_json = (char *) "{\"files\":3}", .invocation_id = (char *) "0123456789abcdef0123456789abcdef",
                  .snapshot_id = (char *) "deadbeef" },
                { .id = 8, .app = (char *) "my-app", .kind = (char *) "restore", .status = JOB_RUNNING,
                  .started_at = 1700000100000000 },
                { .id = 9, .app = (char *) "web", .kind = (char *) "backup", .status = JOB_FAILED,
                  .started_at = 1, .finished_at = 2, .exit_code = 7, .error = (char *) "repository locked: try again" },
        };
        Job *out = NULL;
        size_t n = 0;

        ASSERT_OK(sd_bus_message_open_container(m, 'a', BERTH_DBUS_JOB_RECORD));
        for (size_t i = 0; i < ELEMENTSOF(in); i++)
                ASSERT_OK(berth_dbus_append_job(m, &in[i]));
        ASSERT_OK(sd_bus_message_close_container(m));
        seal(m);
        ASSERT_OK(berth_dbus_read_jobs(m, &out, &n));
        ASSERT_EQ(n, 3);
        for (size_t i = 0; i < n; i++) {
                ASSERT_EQ(out[i].id, in[i].id);
                ASSERT_STREQ(out[i].app, in[i].app);
                ASSERT_STREQ(out[i].kind, in[i].kind);
                ASSERT_EQ(out[i].status, in[i].status);
                ASSERT_EQ_U(out[i].started_at, in[i].started_at);
                ASSERT_EQ_U(out[i].finished_at, in[i].finished_at);
                ASSERT_EQ(out[i].exit_code, in[i].exit_code);
                /* NULL travels as "" and comes back as NULL. */
                ASSERT(streq_ptr(out[i].stats_json, in[i].stats_json));
                ASSERT(streq_ptr(out[i].error, in[i].error));
                ASSERT(streq_ptr(out[i].invocation_id, in[i].invocation_id));
                ASSERT(streq_ptr(out[i].snapshot_id, in[i].snapshot_id));
        }
        jobs_free(out, n);
        sd_bus_message_unref(m);

        /* An unknown status is refused, not guessed. */
        m = new_message(b);
        ASSERT_OK(sd_bus_message_append(m, "a" BERTH_DBUS_JOB_RECORD, 1, (int64_t) 1, "a", "backup", "exploded",
                                        (uint64_t) 1, (uint64_t) 2, 0, "", "", "", ""));
        seal(m);
        ASSERT_ERR(berth_dbus_read_jobs(m, &out, &n), EBADMSG);
        sd_bus_message_unref(m);
        sd_bus_flush_close_unref(b);
}

TEST(test_app_summaries_round_trip) {
        sd_bus *b = test_bus();
        sd_bus_message *m = new_message(b);
        const AppSummary in = {
                .id = (char *) "my-app", .name = (char *) "My app", .version = (char *) "", .active_state = (char *) "active",
                .sub_state = (char *) "active", .health = (char *) "degraded", .enabled = true, .last_backup = 5,
                .last_backup_result = (char *) "warning", .next_backup = 6, .path = (char *) "/org/berth1/app/my_2dapp",
        };
        AppSummary *out = NULL;
        size_t n = 0;

        ASSERT_OK(sd_bus_message_open_container(m, 'a', BERTH_DBUS_APP_SUMMARY));
        ASSERT_OK(berth_dbus_append_app_summary(m, &in));
        ASSERT_OK(sd_bus_message_close_container(m));
        seal(m);
        ASSERT_OK(berth_dbus_read_app_summaries(m, &out, &n));
        ASSERT_EQ(n, 1);
        ASSERT_STREQ(out[0].id, "my-app");
        ASSERT_STREQ(out[0].name, "My app");
        ASSERT_STREQ(out[0].version, "");
        ASSERT_STREQ(out[0].health, "degraded");
        ASSERT(out[0].enabled);
        ASSERT_EQ_U(out[0].last_backup, 5);
        ASSERT_STREQ(out[0].last_backup_result, "warning");
        ASSERT_EQ_U(out[0].next_backup, 6);
        ASSERT_STREQ(out[0].path, "/org/berth1/app/my_2dapp");
        app_summaries_free(out, n);
        sd_bus_message_unref(m);
        sd_bus_flush_close_unref(b);
}

TEST(test_snapshots_round_trip) {
        sd_bus *b = test_bus();
        sd_bus_message *m = new_message(b);
        char *tags[] = { (char *) "app:web", (char *) "job:7", NULL }, *paths[] = { (char *) "/var/lib/berth/apps/web/volumes/data", NULL };
        const SnapshotInfo in = { .id = (char *) "deadbeefcafe", .short_id = (char *) "deadbeef", .app = (char *) "web",
                                  .time = 42, .host = (char *) "h", .tags = tags, .paths = paths, .job_id = 7,
                                  .kind = (char *) "backup" };
        SnapshotInfo *out = NULL;
        size_t n = 0;

        ASSERT_OK(sd_bus_message_open_container(m, 'a', BERTH_DBUS_SNAPSHOT_RECORD));
        ASSERT_OK(berth_dbus_append_snapshot(m, &in));
        ASSERT_OK(sd_bus_message_close_container(m));
        seal(m);
        ASSERT_OK(berth_dbus_read_snapshots(m, &out, &n));
        ASSERT_EQ(n, 1);
        ASSERT_STREQ(out[0].id, "deadbeefcafe");
        ASSERT_EQ(out[0].job_id, 7);
        ASSERT_EQ_U(out[0].time, 42);
        ASSERT(strv_equal(out[0].tags, tags));
        ASSERT(strv_equal(out[0].paths, paths));
        snapshot_infos_free(out, n);
        sd_bus_message_unref(m);
        sd_bus_flush_close_unref(b);
}

TEST(test_describe_error) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        char *s;

        sd_bus_error_set(&e, SD_BUS_ERROR_SERVICE_UNKNOWN, "The name org.berth1 was not provided by any .service files");
        s = berth_dbus_describe_error(-EHOSTDOWN, &e);
        ASSERT(s && startswith(s, "berthd is not available on the system bus"));
        free(s);
        sd_bus_error_free(&e);
        sd_bus_error_set(&e, "org.berth1.NoSuchApp", "No app 'x' is installed");
        s = berth_dbus_describe_error(-ENXIO, &e);
        ASSERT_STREQ(s, "No app 'x' is installed");
        free(s);
        sd_bus_error_free(&e);
        s = berth_dbus_describe_error(-ENOENT, NULL);
        ASSERT_STREQ(s, "No such file or directory: the system bus is not running");
        free(s);
}

TEST(test_restore_unit) {
        RestoreUnit u = {};
        char *vols[] = { (char *) "data", (char *) "db", NULL };

        ASSERT(restore_snapshot_arg_valid("latest"));
        ASSERT(restore_snapshot_arg_valid("deadbeef"));
        ASSERT(!restore_snapshot_arg_valid("--volume=x"));
        ASSERT(!restore_snapshot_arg_valid(""));
        ASSERT(!restore_snapshot_arg_valid("DEADBEEF"));
        ASSERT_ERR(restore_unit_new("Bad!", "latest", NULL, &u), EINVAL);
        unsetenv("BERTH_APPS_DIRS");
        setenv("BERTH_STATE_DIR", "/tmp/x", 1);
        ASSERT_OK(restore_unit_new("web", "deadbeef", vols, &u));
        ASSERT_STREQ(u.unit, "berth-restore@web.service");
        ASSERT_EQ(strv_length(u.argv), 5);
        ASSERT(endswith(u.argv[0], "/berth-restore"));
        ASSERT_STREQ(u.argv[1], "web");
        ASSERT_STREQ(u.argv[2], "deadbeef");
        ASSERT_STREQ(u.argv[3], "--volume=data");
        ASSERT_STREQ(u.argv[4], "--volume=db");
        ASSERT(strv_contains(u.env, "RESTIC_CACHE_DIR=/var/cache/berth/restic"));
        ASSERT(strv_contains(u.env, "BERTH_STATE_DIR=/tmp/x"));
        restore_unit_done(&u);
}

int main(void) {
        RUN(test_container_health);
        RUN(test_app_health);
        RUN(test_jobs_round_trip);
        RUN(test_app_summaries_round_trip);
        RUN(test_snapshots_round_trip);
        RUN(test_describe_error);
        RUN(test_restore_unit);
        TEST_DONE();
}
