/* test-state-db — the state database: schema creation and migration, version
 * refusal, read-only handles, jobs, snapshot cache, meta, applied manifests,
 * and concurrent writers from separate processes. The file is inspected with
 * SQLite directly where the API must not be trusted to check itself. */
#include <fcntl.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "fs_util.h"
#include "macro.h"
#include "snapshot.h"
#include "state_db.h"
#include "strv.h"
#include "test.h"

#define CURRENT_VERSION 2

static char *db_path(const char *name) {
        char *p;
        ASSERT(asprintf(&p, "%s/%s", test_scratch_dir(), name) >= 0);
        return p;
}

static usec_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

/* ——— raw SQLite, independent of the code under test ——— */

static void raw_exec(const char *path, const char *sql) {
        sqlite3 *db = NULL;
        char *err = NULL;

        if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
                FAIL("open %s: %s", path, sqlite3_errmsg(db));
        if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
                FAIL("%s: %s", sql, err);
        sqlite3_close(db);
}

static long long raw_int(const char *path, const char *sql) {
        sqlite3 *db = NULL;
        sqlite3_stmt *s = NULL;
        long long v;

        if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
                FAIL("open %s: %s", path, sqlite3_errmsg(db));
        if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
                FAIL("%s: %s", sql, sqlite3_errmsg(db));
        if (sqlite3_step(s) != SQLITE_ROW)
                FAIL("%s: no row: %s", sql, sqlite3_errmsg(db));
        v = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
        sqlite3_close(db);
        return v;
}

static bool raw_has_table(const char *path, const char *table) {
        char sql[256];
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '%s'", table);
        return raw_int(path, sql) == 1;
}

static void check_current_schema(const char *path) {
        ASSERT_EQ(raw_int(path, "PRAGMA user_version"), CURRENT_VERSION);
        ASSERT(raw_has_table(path, "jobs"));
        ASSERT(raw_has_table(path, "snapshots"));
        ASSERT(raw_has_table(path, "meta"));
        ASSERT(raw_has_table(path, "app_manifests"));
        ASSERT_EQ(raw_int(path, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'snapshots_app'"), 1);
        /* journal_mode=WAL is stored in the file. */
        ASSERT_EQ(raw_int(path, "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'"), 1);
}

/* The layout of schema version 1, as a build of that version wrote it. */
static const char schema_v1[] =
        "CREATE TABLE jobs (id INTEGER PRIMARY KEY AUTOINCREMENT, app TEXT NOT NULL, kind TEXT NOT NULL,"
        "  status TEXT NOT NULL, started_at INTEGER NOT NULL, finished_at INTEGER, exit_code INTEGER,"
        "  stats_json TEXT, error TEXT, invocation_id TEXT, snapshot_id TEXT);"
        "CREATE TABLE snapshots (id TEXT PRIMARY KEY NOT NULL, short_id TEXT, app TEXT NOT NULL,"
        "  time INTEGER NOT NULL, host TEXT, tags TEXT NOT NULL DEFAULT '[]', paths TEXT NOT NULL DEFAULT '[]',"
        "  job_id INTEGER, kind TEXT);"
        "CREATE INDEX snapshots_app ON snapshots (app, time);"
        "CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);"
        "PRAGMA journal_mode = WAL;"
        "PRAGMA user_version = 1;";

/* ——— tests ——— */

static void test_create_fresh(void) {
        _cleanup_free_ char *p = db_path("fresh.db"), *wal = NULL;
        _cleanup_(state_db_closep) StateDb *db = NULL;
        struct stat st;
        mode_t old;
        int64_t id;

        /* A restrictive umask must not change the mode; a lax one must not widen it. */
        old = umask(0077);
        ASSERT_OK(state_db_open(p, false, &db));
        umask(old);
        ASSERT(db);
        ASSERT_EQ(stat(p, &st), 0);
        ASSERT_EQ(st.st_mode & 07777, 0640);
        check_current_schema(p);

        /* -wal and -shm inherit the database's mode. */
        ASSERT_OK(state_db_job_begin(db, "app", "backup", NULL, &id));
        wal = db_path("fresh.db-wal");
        ASSERT_EQ(stat(wal, &st), 0);
        ASSERT_EQ(st.st_mode & 07777, 0640);
        db = state_db_close(db);

        /* Opening again is a no-op on the schema. */
        old = umask(0);
        ASSERT_OK(state_db_open(p, false, &db));
        umask(old);
        ASSERT_EQ(stat(p, &st), 0);
        ASSERT_EQ(st.st_mode & 07777, 0640);
        check_current_schema(p);
        ASSERT_EQ(raw_int(p, "SELECT count(*) FROM jobs"), 1);
}

static void test_migrate_empty_file(void) {
        _cleanup_free_ char *p = db_path("empty.db");
        _cleanup_(state_db_closep) StateDb *db = NULL;
        int64_t id;

        ASSERT_OK(write_file_atomic(p, "", 0, 0600, true));
        ASSERT_OK(state_db_open(p, false, &db));
        check_current_schema(p);
        ASSERT_OK(state_db_job_begin(db, "app", "backup", NULL, &id));
        ASSERT_EQ(id, 1);
}

static void test_migrate_from_v1(void) {
        _cleanup_free_ char *p = db_path("v1.db"), *v = NULL, *h = NULL;
        _cleanup_(state_db_closep) StateDb *db = NULL;
        _cleanup_(job_done) Job j = {};
        SnapshotInfo *snaps = NULL;
        size_t n = 0;
        int64_t id;

        raw_exec(p, schema_v1);
        raw_exec(p,
                 "INSERT INTO jobs (app, kind, status, started_at, finished_at, exit_code, stats_json, snapshot_id)"
                 "  VALUES ('immich', 'backup', 'succeeded', 1000000, 3000000, 0, '{\"data_added\":5}', 'abc');"
                 "INSERT INTO snapshots (id, short_id, app, time, host, tags, paths, job_id, kind)"
                 "  VALUES ('abcdef', 'abc', 'immich', 2000000, 'h', '[\"app:immich\",\"job:1\"]', '[\"/v\"]', 1, 'backup');"
                 "INSERT INTO meta VALUES ('last_prune', '42');");
        ASSERT_EQ(raw_int(p, "PRAGMA user_version"), 1);

        ASSERT_OK(state_db_open(p, false, &db));
        check_current_schema(p);

        /* Nothing was lost on the way. */
        ASSERT_OK(state_db_job_get(db, 1, &j));
        ASSERT_STREQ(j.app, "immich");
        ASSERT_EQ(j.status, JOB_SUCCEEDED);
        ASSERT_EQ(j.started_at, 1000000);
        ASSERT_EQ(j.finished_at, 3000000);
        ASSERT_STREQ(j.stats_json, "{\"data_added\":5}");
        ASSERT_STREQ(j.snapshot_id, "abc");
        ASSERT_OK(state_db_snapshots_list(db, "immich", &snaps, &n));
        ASSERT_EQ(n, 1);
        ASSERT_STREQ(snaps[0].id, "abcdef");
        ASSERT_EQ(snaps[0].job_id, 1);
        ASSERT_EQ(strv_length(snaps[0].tags), 2);
        snapshot_infos_free(snaps, n);
        ASSERT_OK(state_db_meta_get(db, "last_prune", &v));
        ASSERT_STREQ(v, "42");

        /* AUTOINCREMENT continues after the old rows; the new table works. */
        ASSERT_OK(state_db_job_begin(db, "immich", "backup", NULL, &id));
        ASSERT_EQ(id, 2);
        ASSERT_OK(state_db_manifest_hash_set(db, "immich", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
        ASSERT_OK(state_db_manifest_hash_get(db, "immich", &h, NULL));
}

static void test_read_only(void) {
        _cleanup_free_ char *missing = db_path("missing.db"), *v1 = db_path("ro-v1.db"), *cur = db_path("ro-cur.db");
        _cleanup_(state_db_closep) StateDb *db = NULL, *rw = NULL;
        _cleanup_(job_done) Job j = {};
        _cleanup_free_ char *v = NULL;
        Job *list = NULL;
        size_t n;
        int64_t id;
        struct stat st;

        /* Never creates. */
        ASSERT_ERR(state_db_open(missing, true, &db), ENOENT);
        ASSERT(!db);
        ASSERT(stat(missing, &st) < 0 && errno == ENOENT);

        /* Never migrates. */
        raw_exec(v1, schema_v1);
        ASSERT_ERR(state_db_open(v1, true, &db), ESTALE);
        ASSERT(!db);
        ASSERT_EQ(raw_int(v1, "PRAGMA user_version"), 1);
        ASSERT(!raw_has_table(v1, "app_manifests"));

        /* Reads a current database, refuses to write through it. */
        ASSERT_OK(state_db_open(cur, false, &rw));
        ASSERT_OK(state_db_job_begin(rw, "app", "backup", "inv", &id));
        ASSERT_OK(state_db_meta_set(rw, "k", "v"));

        ASSERT_OK(state_db_open(cur, true, &db));
        ASSERT_OK(state_db_job_get(db, id, &j));
        ASSERT_STREQ(j.invocation_id, "inv");
        ASSERT_OK(state_db_jobs_list(db, NULL, 0, &list, &n));
        ASSERT_EQ(n, 1);
        jobs_free(list, n);
        ASSERT_OK(state_db_meta_get(db, "k", &v));
        ASSERT_STREQ(v, "v");

        ASSERT_ERR(state_db_job_begin(db, "app", "backup", NULL, &id), EROFS);
        ASSERT_ERR(state_db_meta_set(db, "k", "w"), EROFS);
        ASSERT_ERR(state_db_job_finish(db, 1, JOB_SUCCEEDED, 0, NULL, NULL, NULL), EROFS);
        ASSERT_ERR(state_db_snapshots_replace(db, "app", NULL, 0), EROFS);

        /* A reader sees what a writer commits while it is open. */
        ASSERT_OK(state_db_job_finish(rw, id, JOB_WARNING, 3, NULL, NULL, NULL));
        job_done(&j);
        ASSERT_OK(state_db_job_get(db, id, &j));
        ASSERT_EQ(j.status, JOB_WARNING);
}

/* As another user, able to read the files but not to write the directory
 * (root only: the test changes its uid in a child). */
static int unprivileged_open(const char *path, bool read_only) {
        pid_t pid = fork();
        int status;

        ASSERT(pid >= 0);
        if (pid == 0) {
                StateDb *db = NULL;
                Job *l = NULL;
                size_t n = 0;
                int r;

                if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
                        _exit(100);
                r = state_db_open(path, read_only, &db);
                if (r < 0)
                        _exit(-r);
                r = state_db_jobs_list(db, NULL, 0, &l, &n);
                if (r < 0)
                        _exit(101);
                jobs_free(l, n);
                state_db_close(db);
                _exit(n == 1 ? 0 : 102);
        }
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT(WIFEXITED(status));
        return -WEXITSTATUS(status);
}

static void test_read_only_unprivileged(void) {
        _cleanup_free_ char *dir = db_path("shared"), *p = db_path("shared/berth.db"),
                            *wal = db_path("shared/berth.db-wal"), *shm = db_path("shared/berth.db-shm");
        _cleanup_(state_db_closep) StateDb *db = NULL;
        struct stat st;
        int64_t id;

        if (geteuid() != 0) {
                fprintf(stderr, "%s: skipped, needs root\n", __func__);
                return;
        }
        ASSERT_EQ(chmod(test_scratch_dir(), 0711), 0);
        ASSERT_EQ(mkdir(dir, 0755), 0);
        ASSERT_OK(state_db_open(p, false, &db));
        ASSERT_OK(state_db_job_begin(db, "app", "backup", NULL, &id));
        db = state_db_close(db);

        /* The last writer kept -wal (emptied) and -shm. */
        ASSERT_EQ(stat(wal, &st), 0);
        ASSERT_EQ(st.st_size, 0);
        ASSERT_EQ(stat(shm, &st), 0);
        ASSERT_EQ(st.st_mode & 07777, 0640);

        /* Not readable by that user (0640 root:root): refused. */
        ASSERT_EQ(unprivileged_open(p, true), -EACCES);

        /* Readable (as through a group the administrator grants): reads. */
        ASSERT_EQ(chmod(p, 0644), 0);
        ASSERT_EQ(chmod(wal, 0644), 0);
        ASSERT_EQ(chmod(shm, 0644), 0);
        ASSERT_OK(unprivileged_open(p, true));
        /* A writable open by a user who may not write is refused, not
         * silently read-only. */
        ASSERT_EQ(unprivileged_open(p, false), -EACCES);

        /* Without a readable -shm a reader cannot read a WAL database. */
        ASSERT_EQ(chmod(shm, 0600), 0);
        ASSERT_EQ(unprivileged_open(p, true), -EACCES);
        ASSERT_EQ(chmod(test_scratch_dir(), 0700), 0);
}

static void test_newer_version_refused(void) {
        _cleanup_free_ char *p = db_path("newer.db");
        _cleanup_(state_db_closep) StateDb *db = NULL;
        char sql[64];

        ASSERT_OK(state_db_open(p, false, &db));
        db = state_db_close(db);
        snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", CURRENT_VERSION + 1);
        raw_exec(p, sql);

        ASSERT_ERR(state_db_open(p, false, &db), EPROTO);
        ASSERT(!db);
        ASSERT_ERR(state_db_open(p, true, &db), EPROTO);
        ASSERT(!db);
        ASSERT_EQ(raw_int(p, "PRAGMA user_version"), CURRENT_VERSION + 1);

        /* Also a newer version with a schema this code has never seen. */
        _cleanup_free_ char *q = db_path("newer2.db");
        raw_exec(q, "CREATE TABLE future (x); PRAGMA user_version = 99;");
        ASSERT_ERR(state_db_open(q, false, &db), EPROTO);
        ASSERT_EQ(raw_int(q, "PRAGMA user_version"), 99);
        ASSERT(!raw_has_table(q, "jobs"));
}

static void test_not_a_database(void) {
        _cleanup_free_ char *p = db_path("garbage.db");
        _cleanup_(state_db_closep) StateDb *db = NULL;
        char junk[4096];

        memset(junk, 'x', sizeof(junk));
        ASSERT_OK(write_file_atomic(p, junk, sizeof(junk), 0640, true));
        ASSERT_ERR(state_db_open(p, false, &db), EBADMSG);
        ASSERT(!db);
}

static void test_jobs_roundtrip(void) {
        _cleanup_free_ char *p = db_path("jobs.db");
        _cleanup_(state_db_closep) StateDb *db = NULL;
        _cleanup_(job_done) Job j = {};
        int64_t id, id2, sentinel = -7;
        usec_t t0, t1;

        ASSERT_OK(state_db_open(p, false, &db));

        t0 = now_usec();
        ASSERT_OK(state_db_job_begin(db, "immich", "backup", "0123abcd", &id));
        t1 = now_usec();
        ASSERT(id > 0);

        ASSERT_OK(state_db_job_get(db, id, &j));
        ASSERT_EQ(j.id, id);
        ASSERT_STREQ(j.app, "immich");
        ASSERT_STREQ(j.kind, "backup");
        ASSERT_EQ(j.status, JOB_RUNNING);
        ASSERT(j.started_at >= t0 && j.started_at <= t1);
        ASSERT_EQ(j.finished_at, 0);
        ASSERT_EQ(j.exit_code, 0);
        ASSERT(!j.stats_json && !j.error && !j.snapshot_id);
        ASSERT_STREQ(j.invocation_id, "0123abcd");
        job_done(&j);

        t0 = now_usec();
        ASSERT_OK(state_db_job_finish(db, id, JOB_WARNING, 3, "{\"data_added\":123,\"files_new\":2}",
                                      "some files were unreadable: \"/x\"\n", "f00dfeed"));
        t1 = now_usec();
        ASSERT_OK(state_db_job_get(db, id, &j));
        ASSERT_EQ(j.status, JOB_WARNING);
        ASSERT(j.finished_at >= t0 && j.finished_at <= t1);
        ASSERT(j.finished_at >= j.started_at);
        ASSERT_EQ(j.exit_code, 3);
        ASSERT_STREQ(j.stats_json, "{\"data_added\":123,\"files_new\":2}");
        ASSERT_STREQ(j.error, "some files were unreadable: \"/x\"\n");
        ASSERT_STREQ(j.snapshot_id, "f00dfeed");
        ASSERT_STREQ(j.invocation_id, "0123abcd");
        job_done(&j);

        /* A result is written once. */
        ASSERT_ERR(state_db_job_finish(db, id, JOB_FAILED, 1, NULL, "late", NULL), EALREADY);
        ASSERT_OK(state_db_job_get(db, id, &j));
        ASSERT_EQ(j.status, JOB_WARNING);
        ASSERT_STREQ(j.error, "some files were unreadable: \"/x\"\n");
        job_done(&j);

        /* Bad arguments change nothing. */
        ASSERT_OK(state_db_job_begin(db, "immich", "restore", NULL, &id2));
        ASSERT_EQ(id2, id + 1);
        ASSERT_ERR(state_db_job_finish(db, 9999, JOB_FAILED, 1, NULL, NULL, NULL), ENOENT);
        ASSERT_ERR(state_db_job_finish(db, id2, JOB_RUNNING, 0, NULL, NULL, NULL), EINVAL);
        ASSERT_ERR(state_db_job_finish(db, id2, _JOB_STATUS_MAX, 0, NULL, NULL, NULL), EINVAL);
        ASSERT_ERR(state_db_job_finish(db, id2, JOB_FAILED, 1, "[1,2]", NULL, NULL), EINVAL);
        ASSERT_ERR(state_db_job_finish(db, id2, JOB_FAILED, 1, "{\"a\":", NULL, NULL), EINVAL);
        ASSERT_ERR(state_db_job_finish(db, id2, JOB_FAILED, 1, "not json", NULL, NULL), EINVAL);
        ASSERT_OK(state_db_job_get(db, id2, &j));
        ASSERT_EQ(j.status, JOB_RUNNING);
        ASSERT(!j.invocation_id); /* NULL stays NULL */
        job_done(&j);

        ASSERT_ERR(state_db_job_begin(db, "", "backup", NULL, &sentinel), EINVAL);
        ASSERT_ERR(state_db_job_begin(db, "immich", NULL, NULL, &sentinel), EINVAL);
        ASSERT_EQ(sentinel, -7);

        /* Output untouched on failure. */
        j.id = -5;
        ASSERT_ERR(state_db_job_get(db, 12345, &j), ENOENT);
        ASSERT_EQ(j.id, -5);
        ASSERT(!j.app);

        /* A negative exit code is kept; an empty error is stored as none. */
        ASSERT_OK(state_db_job_finish(db, id2, JOB_FAILED, -1, NULL, "", NULL));
        ASSERT_OK(state_db_job_get(db, id2, &j));
        ASSERT_EQ(j.exit_code, -1);
        ASSERT(!j.error);
}

static void test_job_status_strings(void) {
        for (int s = 0; s < _JOB_STATUS_MAX; s++) {
                const char *t = job_status_to_string(s);
                ASSERT(t);
                ASSERT_EQ(job_status_from_string(t), s);
        }
        ASSERT_STREQ(job_status_to_string(JOB_SUCCEEDED), "succeeded");
        ASSERT(!job_status_to_string(_JOB_STATUS_MAX));
        ASSERT(!job_status_to_string(-1));
        ASSERT_ERR(job_status_from_string("ok"), EINVAL);
        ASSERT_ERR(job_status_from_string(NULL), EINVAL);
}

static void test_jobs_list(void) {
        _cleanup_free_ char *p = db_path("list.db");
        _cleanup_(state_db_closep) StateDb *db = NULL;
        _cleanup_strv_free_ char **apps = NULL;
        const char *order[] = { "b", "a", "c", "a", "b", "a" };
        int64_t ids[ELEMENTSOF(order)];
        Job *l = NULL;
        size_t n = 99;

        ASSERT_OK(state_db_open(p, false, &db));

        /* Empty. */
        ASSERT_OK(state_db_jobs_list(db, NULL, 0, &l, &n));
        ASSERT_EQ(n, 0);
        ASSERT(!l);
        ASSERT_OK(state_db_apps(db, &apps));
        ASSERT_EQ(strv_length(apps), 0);

        for (size_t i = 0; i < ELEMENTSOF(order); i++)
                ASSERT_OK(state_db_job_begin(db, order[i], "backup", NULL, &ids[i]));
        /* The clock may go backwards; newest still means last begun. */
        raw_exec(p, "UPDATE jobs SET started_at = 1000 WHERE id = 6");

        ASSERT_OK(state_db_jobs_list(db, NULL, 0, &l, &n));
        ASSERT_EQ(n, 6);
        for (size_t i = 0; i < n; i++) {
                ASSERT_EQ(l[i].id, ids[n - 1 - i]);
                ASSERT_STREQ(l[i].app, order[n - 1 - i]);
        }
        jobs_free(l, n);

        ASSERT_OK(state_db_jobs_list(db, "a", 0, &l, &n));
        ASSERT_EQ(n, 3);
        ASSERT_EQ(l[0].id, ids[5]);
        ASSERT_EQ(l[1].id, ids[3]);
        ASSERT_EQ(l[2].id, ids[1]);
        for (size_t i = 0; i < n; i++)
                ASSERT_STREQ(l[i].app, "a");
        jobs_free(l, n);

        ASSERT_OK(state_db_jobs_list(db, "a", 2, &l, &n));
        ASSERT_EQ(n, 2);
        ASSERT_EQ(l[0].id, ids[5]);
        ASSERT_EQ(l[1].id, ids[3]);
        jobs_free(l, n);

        ASSERT_OK(state_db_jobs_list(db, NULL, 4, &l, &n));
        ASSERT_EQ(n, 4);
        ASSERT_EQ(l[0].id, ids[5]);
        ASSERT_EQ(l[3].id, ids[2]);
        jobs_free(l, n);

        ASSERT_OK(state_db_jobs_list(db, "c", 10, &l, &n));
        ASSERT_EQ(n, 1);
        ASSERT_EQ(l[0].id, ids[2]);
        jobs_free(l, n);

        ASSERT_OK(state_db_jobs_list(db, "nope", 0, &l, &n));
        ASSERT_EQ(n, 0);
        jobs_free(l, n);

        /* Values are bound, never spliced into SQL. */
        ASSERT_OK(state_db_jobs_list(db, "a' OR '1'='1", 0, &l, &n));
        ASSERT_EQ(n, 0);
        jobs_free(l, n);

        ASSERT_OK(state_db_apps(db, &apps));
        ASSERT_EQ(strv_length(apps), 3);
        ASSERT_STREQ(apps[0], "a");
        ASSERT_STREQ(apps[1], "b");
        ASSERT_STREQ(apps[2], "c");
}

static void test_job_last(void) {
        _cleanup_free_ char *p = db_path("last.db");
        _cleanup_(state_db_closep) StateDb *db = NULL;
        _cleanup_(job_done) Job j = {};
        int64_t ok1, ok2, failed, restore, other;

        ASSERT_OK(state_db_open(p, false, &db));
        ASSERT_ERR(state_db_job_last(db, "a", "backup", -1, &j), ENOENT);

        ASSERT_OK(state_db_job_begin(db, "a", "backup", NULL, &ok1));
        ASSERT_OK(state_db_job_finish(db, ok1, JOB_SUCCEEDED, 0, NULL, NULL, NULL));
        ASSERT_OK(state_db_job_begin(db, "a", "backup", NULL, &ok2));
        ASSERT_OK(state_db_job_finish(db, ok2, JOB_SUCCEEDED, 0, NULL, NULL, NULL));
        ASSERT_OK(state_db_job_begin(db, "a", "backup", NULL, &failed));
        ASSERT_OK(state_db_job_finish(db, failed, JOB_FAILED, 12, NULL, "wrong password", NULL));
        ASSERT_OK(state_db_job_begin(db, "a", "restore", NULL, &restore));
        ASSERT_OK(state_db_job_begin(db, "b", "backup", NULL, &other));
        ASSERT_OK(state_db_job_finish(db, other, JOB_SUCCEEDED, 0, NULL, NULL, NULL));

        ASSERT_OK(state_db_job_last(db, "a", "backup", -1, &j));
        ASSERT_EQ(j.id, failed);
        ASSERT_STREQ(j.error, "wrong password");
        job_done(&j);

        ASSERT_OK(state_db_job_last(db, "a", "backup", JOB_SUCCEEDED, &j));
        ASSERT_EQ(j.id, ok2);
        job_done(&j);

        ASSERT_OK(state_db_job_last(db, "a", NULL, -1, &j));
        ASSERT_EQ(j.id, restore);
        ASSERT_EQ(j.status, JOB_RUNNING);
        job_done(&j);

        ASSERT_OK(state_db_job_last(db, "a", "restore", JOB_RUNNING, &j));
        ASSERT_EQ(j.id, restore);
        job_done(&j);

        ASSERT_OK(state_db_job_last(db, "b", "backup", JOB_SUCCEEDED, &j));
        ASSERT_EQ(j.id, other);
        job_done(&j);

        ASSERT_ERR(state_db_job_last(db, "a", "backup", JOB_WARNING, &j), ENOENT);
        ASSERT_ERR(state_db_job_last(db, "a", "migrate", -1, &j), ENOENT);
        ASSERT_ERR(state_db_job_last(db, "zzz", "backup", -1, &j), ENOENT);
        ASSERT_ERR(state_db_job_last(db, "a", "backup", _JOB_STATUS_MAX, &j), EINVAL);
        ASSERT(!j.app);
}

static SnapshotInfo snap(const char *id, const char *app, usec_t t, int64_t job, char **tags, char **paths) {
        SnapshotInfo s = {
                .id = strdup(id),
                .short_id = strndup(id, 8),
                .app = app ? strdup(app) : NULL,
                .time = t,
                .host = strdup("host-1"),
                .tags = strv_copy(tags),
                .paths = strv_copy(paths),
                .job_id = job,
                .kind = strdup("backup"),
        };
        ASSERT(s.id && s.short_id && s.host && s.kind);
        return s;
}

static void test_snapshots(void) {
        _cleanup_free_ char *p = db_path("snap.db");
        _cleanup_(state_db_closep) StateDb *db = NULL;
        char *tags1[] = { "app:a", "job:7", "quote\"and\\back", "ünïcode", NULL };
        char *paths1[] = { "/var/lib/berth/apps/a/volumes/data", "/with space", NULL };
        SnapshotInfo in[3], *out = NULL, b;
        size_t n = 99;

        ASSERT_OK(state_db_open(p, false, &db));
        ASSERT_OK(state_db_snapshots_list(db, "a", &out, &n));
        ASSERT_EQ(n, 0);
        ASSERT(!out);

        /* Given newest first; listed oldest first. */
        in[0] = snap("cccccccccccc3333", "a", 3000000, 0, NULL, NULL);
        in[1] = snap("aaaaaaaaaaaa1111", "a", 1000000, 7, tags1, paths1);
        in[2] = snap("bbbbbbbbbbbb2222", NULL, 2000000, 8, tags1, NULL);
        ASSERT_OK(state_db_snapshots_replace(db, "a", in, 3));

        b = snap("dddddddddddd4444", "b", 500, 0, NULL, NULL);
        ASSERT_OK(state_db_snapshots_replace(db, "b", &b, 1));

        ASSERT_OK(state_db_snapshots_list(db, "a", &out, &n));
        ASSERT_EQ(n, 3);
        ASSERT_STREQ(out[0].id, "aaaaaaaaaaaa1111");
        ASSERT_STREQ(out[0].short_id, "aaaaaaaa");
        ASSERT_STREQ(out[0].app, "a");
        ASSERT_EQ(out[0].time, 1000000);
        ASSERT_STREQ(out[0].host, "host-1");
        ASSERT(strv_equal(out[0].tags, tags1));
        ASSERT(strv_equal(out[0].paths, paths1));
        ASSERT_EQ(out[0].job_id, 7);
        ASSERT_STREQ(out[0].kind, "backup");
        ASSERT_STREQ(out[1].id, "bbbbbbbbbbbb2222");
        ASSERT_STREQ(out[1].app, "a"); /* NULL app given: the cache's app */
        ASSERT_EQ(out[1].job_id, 8);
        ASSERT(!out[1].paths);
        ASSERT_STREQ(out[2].id, "cccccccccccc3333");
        ASSERT_EQ(out[2].job_id, 0);
        ASSERT(!out[2].tags && !out[2].paths);
        snapshot_infos_free(out, n);
        ASSERT_EQ(raw_int(p, "SELECT count(*) FROM snapshots WHERE job_id IS NULL"), 2);

        /* Wrong app, or a duplicate id: refused, the cache unchanged. */
        ASSERT_ERR(state_db_snapshots_replace(db, "a", &b, 1), EINVAL);
        SnapshotInfo dup[2] = { in[0], in[0] };
        ASSERT_ERR(state_db_snapshots_replace(db, "a", dup, 2), EEXIST);
        ASSERT_OK(state_db_snapshots_list(db, "a", &out, &n));
        ASSERT_EQ(n, 3);
        snapshot_infos_free(out, n);

        /* Replacing drops what restic no longer has, keeps other apps. */
        ASSERT_OK(state_db_snapshots_replace(db, "a", &in[1], 1));
        ASSERT_OK(state_db_snapshots_list(db, "a", &out, &n));
        ASSERT_EQ(n, 1);
        ASSERT_STREQ(out[0].id, "aaaaaaaaaaaa1111");
        snapshot_infos_free(out, n);
        ASSERT_OK(state_db_snapshots_list(db, "b", &out, &n));
        ASSERT_EQ(n, 1);
        ASSERT_STREQ(out[0].id, "dddddddddddd4444");
        snapshot_infos_free(out, n);

        ASSERT_OK(state_db_snapshots_replace(db, "a", NULL, 0));
        ASSERT_OK(state_db_snapshots_list(db, "a", &out, &n));
        ASSERT_EQ(n, 0);

        for (size_t i = 0; i < 3; i++)
                snapshot_info_done(&in[i]);
        snapshot_info_done(&b);
}

static void test_meta(void) {
        _cleanup_free_ char *p = db_path("meta.db"), *v = NULL;
        _cleanup_(state_db_closep) StateDb *db = NULL;
        char *untouched = (char *) "untouched";

        ASSERT_OK(state_db_open(p, false, &db));
        v = untouched;
        ASSERT_ERR(state_db_meta_get(db, "last_prune", &v), ENOENT);
        ASSERT(v == untouched);
        v = NULL;

        ASSERT_OK(state_db_meta_set(db, "last_prune", "1700000000000000"));
        ASSERT_OK(state_db_meta_get(db, "last_prune", &v));
        ASSERT_STREQ(v, "1700000000000000");
        free(v);
        ASSERT_OK(state_db_meta_set(db, "last_prune", ""));
        ASSERT_OK(state_db_meta_get(db, "last_prune", &v));
        ASSERT_STREQ(v, "");
        free(v);
        v = NULL;
        ASSERT_EQ(raw_int(p, "SELECT count(*) FROM meta"), 1);

        ASSERT_ERR(state_db_meta_set(db, "k", NULL), EINVAL);
        ASSERT_ERR(state_db_meta_set(db, "", "v"), EINVAL);
        ASSERT_ERR(state_db_meta_get(db, "k", &v), ENOENT);
}

static void test_manifest_hash(void) {
        _cleanup_free_ char *p = db_path("manifest.db"), *h = NULL;
        _cleanup_(state_db_closep) StateDb *db = NULL;
        const char *h1 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        const char *h2 = "0000000000000000000000000000000000000000000000000000000000000001";
        usec_t at = 0, t0, t1;

        ASSERT_OK(state_db_open(p, false, &db));
        ASSERT_ERR(state_db_manifest_hash_get(db, "a", &h, &at), ENOENT);
        ASSERT(!h && at == 0);

        ASSERT_ERR(state_db_manifest_hash_set(db, "a", "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"), EINVAL);
        ASSERT_ERR(state_db_manifest_hash_set(db, "a", "e3b0"), EINVAL);
        ASSERT_ERR(state_db_manifest_hash_set(db, "a", NULL), EINVAL);

        t0 = now_usec();
        ASSERT_OK(state_db_manifest_hash_set(db, "a", h1));
        t1 = now_usec();
        ASSERT_OK(state_db_manifest_hash_get(db, "a", &h, &at));
        ASSERT_STREQ(h, h1);
        ASSERT(at >= t0 && at <= t1);
        free(h);
        h = NULL;

        ASSERT_OK(state_db_manifest_hash_set(db, "a", h2));
        ASSERT_OK(state_db_manifest_hash_get(db, "a", &h, NULL));
        ASSERT_STREQ(h, h2);
        ASSERT_OK(state_db_manifest_hash_get(db, "a", NULL, NULL));
        ASSERT_ERR(state_db_manifest_hash_get(db, "b", NULL, NULL), ENOENT);
        ASSERT_EQ(raw_int(p, "SELECT count(*) FROM app_manifests"), 1);
}

/* ——— concurrency ——— */

#ifndef WRITERS
#define WRITERS 8
#endif
#define JOBS_PER_WRITER 25

/* One child: opens the (perhaps not yet existing) database when the gate
 * opens, then begins and finishes its jobs one by one, as helpers of different
 * apps do. Exit status 0 only if every call succeeded. */
static _noreturn_ void writer(const char *path, int gate, int k) {
        StateDb *db = NULL;
        char app[32], c;
        int r;

        snprintf(app, sizeof(app), "app%d", k);
        if (read(gate, &c, 1) != 0)
                _exit(2);
        r = state_db_open(path, false, &db);
        if (r < 0) {
                fprintf(stderr, "writer %d: open: %s\n", k, strerror(-r));
                _exit(1);
        }
        for (int i = 0; i < JOBS_PER_WRITER; i++) {
                int64_t id;
                SnapshotInfo s = { .id = NULL, .time = (usec_t) i };
                char sid[64], key[64];

                r = state_db_job_begin(db, app, "backup", NULL, &id);
                if (r < 0) {
                        fprintf(stderr, "writer %d: begin %d: %s\n", k, i, strerror(-r));
                        _exit(1);
                }
                snprintf(sid, sizeof(sid), "%s-snap-%d", app, i);
                s.id = sid;
                r = state_db_snapshots_replace(db, app, &s, 1);
                if (r < 0) {
                        fprintf(stderr, "writer %d: snapshots %d: %s\n", k, i, strerror(-r));
                        _exit(1);
                }
                snprintf(key, sizeof(key), "last-%s", app);
                r = state_db_meta_set(db, key, sid);
                if (r < 0) {
                        fprintf(stderr, "writer %d: meta %d: %s\n", k, i, strerror(-r));
                        _exit(1);
                }
                r = state_db_job_finish(db, id, JOB_SUCCEEDED, 0, "{\"data_added\":1}", NULL, sid);
                if (r < 0) {
                        fprintf(stderr, "writer %d: finish %d: %s\n", k, i, strerror(-r));
                        _exit(1);
                }
        }
        state_db_close(db);
        _exit(0);
}

static void run_writers(const char *path) {
        pid_t pids[WRITERS];
        int gate[2];

        ASSERT_EQ(pipe2(gate, O_CLOEXEC), 0);
        for (int k = 0; k < WRITERS; k++) {
                pids[k] = fork();
                ASSERT(pids[k] >= 0);
                if (pids[k] == 0) {
                        close(gate[1]);
                        writer(path, gate[0], k);
                }
        }
        /* Closing the write end releases every child at once. */
        close(gate[0]);
        close(gate[1]);
        for (int k = 0; k < WRITERS; k++) {
                int status;
                ASSERT_EQ(waitpid(pids[k], &status, 0), pids[k]);
                if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                        FAIL("writer %d ended with status 0x%x", k, status);
        }
}

static void test_concurrent_writers(void) {
        _cleanup_free_ char *p = db_path("concurrent.db");
        _cleanup_(state_db_closep) StateDb *db = NULL;
        _cleanup_strv_free_ char **apps = NULL;
        Job *l = NULL;
        size_t n;

        /* Round 1 races on creating and migrating the file; round 2 on an
         * existing one. */
        run_writers(p);
        run_writers(p);

        check_current_schema(p);
        ASSERT_OK(state_db_open(p, true, &db));
        ASSERT_OK(state_db_jobs_list(db, NULL, 0, &l, &n));
        ASSERT_EQ(n, 2 * WRITERS * JOBS_PER_WRITER);
        for (size_t i = 0; i < n; i++) {
                ASSERT_EQ(l[i].status, JOB_SUCCEEDED);
                ASSERT_EQ(l[i].id, (int64_t) (n - i)); /* unique, dense, newest first */
        }
        jobs_free(l, n);
        ASSERT_OK(state_db_apps(db, &apps));
        ASSERT_EQ(strv_length(apps), WRITERS);
        for (int k = 0; k < WRITERS; k++) {
                _cleanup_free_ char *v = NULL;
                SnapshotInfo *s = NULL;
                char app[32], key[64], want[64];

                snprintf(app, sizeof(app), "app%d", k);
                ASSERT_OK(state_db_jobs_list(db, app, 0, &l, &n));
                ASSERT_EQ(n, 2 * JOBS_PER_WRITER);
                jobs_free(l, n);
                ASSERT_OK(state_db_snapshots_list(db, app, &s, &n));
                ASSERT_EQ(n, 1);
                snprintf(want, sizeof(want), "%s-snap-%d", app, JOBS_PER_WRITER - 1);
                ASSERT_STREQ(s[0].id, want);
                snapshot_infos_free(s, n);
                snprintf(key, sizeof(key), "last-%s", app);
                ASSERT_OK(state_db_meta_get(db, key, &v));
                ASSERT_STREQ(v, want);
        }
        ASSERT_EQ(raw_int(p, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check = 'ok'"), 1);
}

static void test_path(void) {
        _cleanup_free_ char *p = state_db_path("/var/lib/berth");
        ASSERT_STREQ(p, "/var/lib/berth/berth.db");
        ASSERT(!state_db_path(""));
        ASSERT(!state_db_path(NULL));
}

int main(void) {
        RUN(test_path);
        RUN(test_create_fresh);
        RUN(test_migrate_empty_file);
        RUN(test_migrate_from_v1);
        RUN(test_read_only);
        RUN(test_read_only_unprivileged);
        RUN(test_newer_version_refused);
        RUN(test_not_a_database);
        RUN(test_job_status_strings);
        RUN(test_jobs_roundtrip);
        RUN(test_jobs_list);
        RUN(test_job_last);
        RUN(test_snapshots);
        RUN(test_meta);
        RUN(test_manifest_hash);
        RUN(test_concurrent_writers);

        TEST_DONE();
}
