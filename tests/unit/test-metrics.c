/* test-metrics — the node-exporter textfile for a small state database, compared
 * as exact text; its atomic write, mode and parent directories. Job times are
 * set with SQLite directly, since the API stamps the current time. */
#include <sqlite3.h>
#include <sys/stat.h>
#include <dirent.h>

#include "fs_util.h"
#include "macro.h"
#include "metrics.h"
#include "snapshot.h"
#include "state_db.h"
#include "test.h"

static void assert_text(const char *got, const char *want) {
        if (streq(got, want))
                return;
        /* Show the first differing line: the whole file is long. */
        const char *g = got, *w = want;
        unsigned line = 1;
        while (*g && *g == *w) {
                if (*g == '\n')
                        line++;
                g++, w++;
        }
        fprintf(stderr, "text differs at line %u\n--- expected\n%s--- got\n%s", line, want, got);
        FAIL("metrics text mismatch");
}

static char *tmp_path(const char *name) {
        char *p;
        ASSERT(asprintf(&p, "%s/%s", test_scratch_dir(), name) >= 0);
        return p;
}

/* Sets a job's times (µs) behind the API's back. */
static void set_times(const char *path, int64_t id, int64_t started, int64_t finished) {
        sqlite3 *db = NULL;
        sqlite3_stmt *s = NULL;

        if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
                FAIL("open %s: %s", path, sqlite3_errmsg(db));
        sqlite3_busy_timeout(db, 5000);
        if (sqlite3_prepare_v2(db, "UPDATE jobs SET started_at = ?1, finished_at = ?2 WHERE id = ?3", -1, &s, NULL) != SQLITE_OK)
                FAIL("prepare: %s", sqlite3_errmsg(db));
        sqlite3_bind_int64(s, 1, started);
        if (finished > 0)
                sqlite3_bind_int64(s, 2, finished);
        else
                sqlite3_bind_null(s, 2);
        sqlite3_bind_int64(s, 3, id);
        if (sqlite3_step(s) != SQLITE_DONE || sqlite3_changes(db) != 1)
                FAIL("update job %lld: %s", (long long) id, sqlite3_errmsg(db));
        sqlite3_finalize(s);
        sqlite3_close(db);
}

static int64_t job(StateDb *db, const char *path, const char *app, const char *kind, JobStatus st,
                   const char *stats, int64_t started, int64_t finished) {
        int64_t id;

        ASSERT_OK(state_db_job_begin(db, app, kind, NULL, &id));
        if (st != JOB_RUNNING)
                ASSERT_OK(state_db_job_finish(db, id, st, st == JOB_FAILED ? 1 : 0, stats, NULL, NULL));
        set_times(path, id, started, finished);
        return id;
}

static void add_snapshots(StateDb *db, const char *app, size_t n) {
        SnapshotInfo s[8] = {};
        char ids[8][32];

        ASSERT(n <= ELEMENTSOF(s));
        for (size_t i = 0; i < n; i++) {
                snprintf(ids[i], sizeof(ids[i]), "%s-%zu", app, i);
                s[i].id = ids[i];
                s[i].time = i;
        }
        ASSERT_OK(state_db_snapshots_replace(db, app, s, n));
}

static const char expected_empty[] =
        "# HELP berth_backup_last_run_timestamp_seconds Start time of the app's last finished backup job.\n"
        "# TYPE berth_backup_last_run_timestamp_seconds gauge\n"
        "# HELP berth_backup_last_success_timestamp_seconds Start time of the app's last backup job that wrote a snapshot (succeeded or warning); 0 if none did.\n"
        "# TYPE berth_backup_last_success_timestamp_seconds gauge\n"
        "# HELP berth_backup_last_result Result of the app's last finished backup job: 0 succeeded, 1 warning, 2 failed.\n"
        "# TYPE berth_backup_last_result gauge\n"
        "# HELP berth_backup_last_duration_seconds Run time of the app's last finished backup job.\n"
        "# TYPE berth_backup_last_duration_seconds gauge\n"
        "# HELP berth_backup_last_bytes_added Bytes the app's last finished backup job added to the repository (restic data_added).\n"
        "# TYPE berth_backup_last_bytes_added gauge\n"
        "# HELP berth_backup_snapshots Snapshots of the app in the repository, as last listed.\n"
        "# TYPE berth_backup_snapshots gauge\n";

/* Apps, sorted by the database:
 *   "fresh"      first backup still running: only success 0 and snapshots
 *   "immich"     succeeded, then warning (newest), then a restore running
 *   "nextcloud"  succeeded, failed (newest finished), then one running
 *   "odd\"a\\b\nc" one failed backup, never a snapshot: label escaping
 *   "restoreonly" no backup job: absent */
static const char expected_small[] =
        "# HELP berth_backup_last_run_timestamp_seconds Start time of the app's last finished backup job.\n"
        "# TYPE berth_backup_last_run_timestamp_seconds gauge\n"
        "berth_backup_last_run_timestamp_seconds{app=\"immich\"} 1700086400\n"
        "berth_backup_last_run_timestamp_seconds{app=\"nextcloud\"} 1700090000.000001\n"
        "berth_backup_last_run_timestamp_seconds{app=\"odd\\\"a\\\\b\\nc\"} 1700000000.25\n"
        "# HELP berth_backup_last_success_timestamp_seconds Start time of the app's last backup job that wrote a snapshot (succeeded or warning); 0 if none did.\n"
        "# TYPE berth_backup_last_success_timestamp_seconds gauge\n"
        "berth_backup_last_success_timestamp_seconds{app=\"fresh\"} 0\n"
        "berth_backup_last_success_timestamp_seconds{app=\"immich\"} 1700086400\n"
        "berth_backup_last_success_timestamp_seconds{app=\"nextcloud\"} 1700000100.5\n"
        "berth_backup_last_success_timestamp_seconds{app=\"odd\\\"a\\\\b\\nc\"} 0\n"
        "# HELP berth_backup_last_result Result of the app's last finished backup job: 0 succeeded, 1 warning, 2 failed.\n"
        "# TYPE berth_backup_last_result gauge\n"
        "berth_backup_last_result{app=\"immich\"} 1\n"
        "berth_backup_last_result{app=\"nextcloud\"} 2\n"
        "berth_backup_last_result{app=\"odd\\\"a\\\\b\\nc\"} 2\n"
        "# HELP berth_backup_last_duration_seconds Run time of the app's last finished backup job.\n"
        "# TYPE berth_backup_last_duration_seconds gauge\n"
        "berth_backup_last_duration_seconds{app=\"immich\"} 120.25\n"
        "berth_backup_last_duration_seconds{app=\"nextcloud\"} 3\n"
        "berth_backup_last_duration_seconds{app=\"odd\\\"a\\\\b\\nc\"} 0\n"
        "# HELP berth_backup_last_bytes_added Bytes the app's last finished backup job added to the repository (restic data_added).\n"
        "# TYPE berth_backup_last_bytes_added gauge\n"
        "berth_backup_last_bytes_added{app=\"immich\"} 2048\n"
        "berth_backup_last_bytes_added{app=\"nextcloud\"} 0\n"
        "berth_backup_last_bytes_added{app=\"odd\\\"a\\\\b\\nc\"} 0\n"
        "# HELP berth_backup_snapshots Snapshots of the app in the repository, as last listed.\n"
        "# TYPE berth_backup_snapshots gauge\n"
        "berth_backup_snapshots{app=\"fresh\"} 0\n"
        "berth_backup_snapshots{app=\"immich\"} 3\n"
        "berth_backup_snapshots{app=\"nextcloud\"} 1\n"
        "berth_backup_snapshots{app=\"odd\\\"a\\\\b\\nc\"} 0\n";

static void fill_small(StateDb *db, const char *p) {
        /* Inserted out of app order: the file is sorted by app. */
        job(db, p, "nextcloud", "backup", JOB_SUCCEEDED, "{\"data_added\":10}", 1700000100500000, 1700000160000000);
        job(db, p, "immich", "backup", JOB_SUCCEEDED, "{\"data_added\":1048576}", 1700000000000000, 1700000090500000);
        job(db, p, "immich", "backup", JOB_WARNING, "{\"data_added\":2048,\"files_new\":1}", 1700086400000000, 1700086520250000);
        job(db, p, "immich", "restore", JOB_RUNNING, NULL, 1700090000000000, 0);
        job(db, p, "nextcloud", "backup", JOB_FAILED, NULL, 1700090000000001, 1700090003000001);
        job(db, p, "nextcloud", "backup", JOB_RUNNING, NULL, 1700095000000000, 0);
        job(db, p, "restoreonly", "restore", JOB_SUCCEEDED, NULL, 1700000000000000, 1700000001000000);
        job(db, p, "fresh", "backup", JOB_RUNNING, NULL, 1700099000000000, 0);
        /* A clock that stepped back during the job: duration 0, never negative. */
        job(db, p, "odd\"a\\b\nc", "backup", JOB_FAILED, "{\"data_added\":-5}", 1700000000250000, 1699999999000000);
        add_snapshots(db, "immich", 3);
        add_snapshots(db, "nextcloud", 1);
        add_snapshots(db, "restoreonly", 2);
}

static void test_empty(void) {
        _cleanup_free_ char *p = tmp_path("empty.db"), *text = NULL;
        _cleanup_(state_db_closep) StateDb *db = NULL;

        ASSERT_OK(state_db_open(p, false, &db));
        ASSERT_OK(metrics_format(db, &text));
        assert_text(text, expected_empty);
}

static void test_small(void) {
        _cleanup_free_ char *p = tmp_path("small.db"), *text = NULL;
        _cleanup_(state_db_closep) StateDb *db = NULL, *ro = NULL;

        ASSERT_OK(state_db_open(p, false, &db));
        fill_small(db, p);
        ASSERT_OK(metrics_format(db, &text));
        assert_text(text, expected_small);
        free(text);
        text = NULL;

        /* A read-only handle is enough. */
        ASSERT_OK(state_db_open(p, true, &ro));
        ASSERT_OK(metrics_format(ro, &text));
        assert_text(text, expected_small);
}

static void test_metrics_write(void) {
        _cleanup_free_ char *p = tmp_path("write.db"), *out = tmp_path("textfile/collector/berth.prom"),
                            *text = NULL, *dir = tmp_path("textfile/collector");
        _cleanup_(state_db_closep) StateDb *db = NULL;
        struct stat st;
        struct dirent *de;
        DIR *d;
        unsigned files = 0;
        mode_t old;

        ASSERT_OK(state_db_open(p, false, &db));

        /* Parents created; 0644 whatever the umask. */
        old = umask(0077);
        ASSERT_OK(metrics_write(db, out));
        umask(old);
        ASSERT_EQ(stat(out, &st), 0);
        ASSERT_EQ(st.st_mode & 07777, 0644);
        ASSERT(S_ISREG(st.st_mode));
        ASSERT_OK(read_file(out, 1 << 20, &text, NULL));
        assert_text(text, expected_empty);
        free(text);
        text = NULL;

        /* Replaced after the next job. */
        fill_small(db, p);
        ASSERT_OK(metrics_write(db, out));
        ASSERT_OK(read_file(out, 1 << 20, &text, NULL));
        assert_text(text, expected_small);

        /* Nothing else left in the collector's directory. */
        d = opendir(dir);
        ASSERT(d);
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        files++;
        closedir(d);
        ASSERT_EQ(files, 1);

        ASSERT_EQ(metrics_write(db, ""), -EINVAL);
}

static void test_default_path(void) {
        ASSERT(streq(metrics_default_path(), "/var/lib/prometheus/node-exporter/berth.prom"));
}

int main(void) {
        RUN(test_default_path);
        RUN(test_empty);
        RUN(test_small);
        RUN(test_metrics_write);

        TEST_DONE();
}
