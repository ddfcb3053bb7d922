/* state_db.c — the SQLite state database (DESIGN.md §7). Every statement is
 * prepared with bound parameters; every SQLite result is mapped to -errno at
 * the call that produced it. Write transactions that also read begin
 * IMMEDIATE, so concurrent helpers wait on the busy timeout instead of failing
 * on a lock upgrade. */
#include <fcntl.h>
#include <json-c/json.h>
#include <sqlite3.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "state_db.h"
#include "strv.h"

/* How long a writer waits for another one before giving up with -EBUSY. */
#define STATE_DB_BUSY_TIMEOUT_MSEC 10000

struct StateDb {
        sqlite3 *db;
        bool read_only;
};

/* Forward migrations: step i brings the schema from version i to i + 1 and
 * runs in its own transaction together with the user_version bump. Steps are
 * append-only: a released step is never edited, and no step drops a table, a
 * column or a row — the database is history. */
static const char *const migrations[] = {
        /* 0 → 1: job history, snapshot cache, small key/value state. */
        "CREATE TABLE jobs ("
        "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
        "  app TEXT NOT NULL,"
        "  kind TEXT NOT NULL,"
        "  status TEXT NOT NULL,"         /* job_status_to_string() */
        "  started_at INTEGER NOT NULL,"  /* µs since the epoch */
        "  finished_at INTEGER,"          /* NULL while running */
        "  exit_code INTEGER,"
        "  stats_json TEXT,"
        "  error TEXT,"
        "  invocation_id TEXT,"
        "  snapshot_id TEXT"
        ");"
        "CREATE TABLE snapshots ("
        "  id TEXT PRIMARY KEY NOT NULL,"
        "  short_id TEXT,"
        "  app TEXT NOT NULL,"
        "  time INTEGER NOT NULL,"        /* µs since the epoch */
        "  host TEXT,"
        "  tags TEXT NOT NULL DEFAULT '[]',"  /* JSON array of strings */
        "  paths TEXT NOT NULL DEFAULT '[]'," /* JSON array of strings */
        "  job_id INTEGER,"               /* NULL: no job:<n> tag */
        "  kind TEXT"
        ");"
        "CREATE INDEX snapshots_app ON snapshots (app, time);"
        "CREATE TABLE meta ("
        "  key TEXT PRIMARY KEY NOT NULL,"
        "  value TEXT NOT NULL"
        ");",

        /* 1 → 2: the manifest each app was last prepared from (so a changed
         * manifest is noticed), and an index for "the last job of this app". */
        "CREATE TABLE app_manifests ("
        "  app TEXT PRIMARY KEY NOT NULL,"
        "  sha256 TEXT NOT NULL,"         /* 64 lowercase hex digits */
        "  applied_at INTEGER NOT NULL"   /* µs since the epoch */
        ");"
        "CREATE INDEX jobs_app_kind ON jobs (app, kind, id);",
};
#define STATE_DB_SCHEMA_VERSION ((int) ELEMENTSOF(migrations))

static const char *const job_status_table[_JOB_STATUS_MAX] = {
        [JOB_RUNNING] = "running",
        [JOB_SUCCEEDED] = "succeeded",
        [JOB_WARNING] = "warning",
        [JOB_FAILED] = "failed",
};

const char *job_status_to_string(JobStatus s) {
        if (s < 0 || s >= _JOB_STATUS_MAX)
                return NULL;
        return job_status_table[s];
}

int job_status_from_string(const char *s) {
        if (!s)
                return -EINVAL;
        for (int i = 0; i < _JOB_STATUS_MAX; i++)
                if (streq(job_status_table[i], s))
                        return i;
        return -EINVAL;
}

void job_done(Job *j) {
        if (!j)
                return;
        free(j->app);
        free(j->kind);
        free(j->stats_json);
        free(j->error);
        free(j->invocation_id);
        free(j->snapshot_id);
        *j = (Job) {};
}

void jobs_free(Job *j, size_t n) {
        for (size_t i = 0; j && i < n; i++)
                job_done(&j[i]);
        free(j);
}

static usec_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

/* SQLite result → -errno. The OS error behind an I/O or open failure wins
 * when SQLite kept one. -EPROTO is reserved for "schema newer than this code". */
static int sqlite_errno(sqlite3 *db, int rc) {
        int sys = db ? sqlite3_system_errno(db) : 0;

        switch (rc & 0xff) {
        case SQLITE_OK:
        case SQLITE_ROW:
        case SQLITE_DONE:
                return 0;
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
                return -EBUSY;
        case SQLITE_NOMEM:
                return -ENOMEM;
        case SQLITE_READONLY:
                /* A reader that may neither create nor open the -shm/-wal
                 * files cannot read a WAL database at all. */
                if (rc == SQLITE_READONLY_CANTINIT || rc == SQLITE_READONLY_DIRECTORY)
                        return -EACCES;
                return -EROFS;
        case SQLITE_PERM:
        case SQLITE_AUTH:
                return -EACCES;
        case SQLITE_FULL:
                return -ENOSPC;
        case SQLITE_TOOBIG:
                return -E2BIG;
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
                return -EBADMSG;
        case SQLITE_MISMATCH:
        case SQLITE_RANGE:
        case SQLITE_MISUSE:
                return -EINVAL;
        case SQLITE_CONSTRAINT:
                switch (rc) {
                case SQLITE_CONSTRAINT_NOTNULL:
                case SQLITE_CONSTRAINT_CHECK:
                case SQLITE_CONSTRAINT_DATATYPE:
                        return -EINVAL;
                default: /* primary key, unique, foreign key */
                        return -EEXIST;
                }
        case SQLITE_CANTOPEN:
                if (rc == SQLITE_CANTOPEN_SYMLINK)
                        return -ELOOP;
                return sys > 0 ? -sys : -ENOENT;
        case SQLITE_IOERR:
                return sys > 0 ? -sys : -EIO;
        default:
                return -EIO;
        }
}

static void sqlite3_finalizep(sqlite3_stmt **s) {
        if (*s)
                sqlite3_finalize(*s);
}
#define _cleanup_stmt_ _cleanup_(sqlite3_finalizep)

static void json_object_putp(json_object **o) {
        if (*o)
                json_object_put(*o);
}
#define _cleanup_json_ _cleanup_(json_object_putp)

static int prepare(StateDb *db, const char *sql, sqlite3_stmt **ret) {
        int rc = sqlite3_prepare_v2(db->db, sql, -1, ret, NULL);
        return rc == SQLITE_OK ? 0 : sqlite_errno(db->db, rc);
}

/* Binds one parameter; NULL strings bind SQL NULL. */
static int bind_text(StateDb *db, sqlite3_stmt *s, int i, const char *v) {
        int rc = v ? sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(s, i);
        return rc == SQLITE_OK ? 0 : sqlite_errno(db->db, rc);
}

static int bind_int64(StateDb *db, sqlite3_stmt *s, int i, int64_t v) {
        int rc = sqlite3_bind_int64(s, i, v);
        return rc == SQLITE_OK ? 0 : sqlite_errno(db->db, rc);
}

/* Runs a statement that returns no rows. */
static int step_done(StateDb *db, sqlite3_stmt *s) {
        int rc = sqlite3_step(s);
        if (rc == SQLITE_DONE)
                return 0;
        if (rc == SQLITE_ROW)
                return -EINVAL;
        return sqlite_errno(db->db, rc);
}

/* Statements without parameters (transaction control, pragmas, migrations). */
static int exec(StateDb *db, const char *sql) {
        int rc = sqlite3_exec(db->db, sql, NULL, NULL, NULL);
        return rc == SQLITE_OK ? 0 : sqlite_errno(db->db, rc);
}

static int rollback(StateDb *db, int r) {
        /* Only meaningful while a transaction is open; the error that made us
         * roll back is the one reported. */
        if (!sqlite3_get_autocommit(db->db))
                (void) sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
        return r;
}

static int column_strdup(sqlite3_stmt *s, int i, char **ret) {
        const unsigned char *t = sqlite3_column_text(s, i);
        char *c = NULL;

        if (t) {
                c = strdup((const char *) t);
                if (!c)
                        return -ENOMEM;
        } else if (sqlite3_column_type(s, i) != SQLITE_NULL)
                return -ENOMEM; /* text conversion failed */
        *ret = c;
        return 0;
}

static int pragma_int(StateDb *db, const char *sql, int *ret) {
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int r, rc;

        r = prepare(db, sql, &s);
        if (r < 0)
                return r;
        rc = sqlite3_step(s);
        if (rc != SQLITE_ROW)
                return rc == SQLITE_DONE ? -EBADMSG : sqlite_errno(db->db, rc);
        *ret = sqlite3_column_int(s, 0);
        return 0;
}

static int migrate(StateDb *db) {
        for (;;) {
                char bump[64];
                int v, r;

                /* IMMEDIATE: two processes opening a fresh file at once must not
                 * both apply the same step; the second one waits, then sees the
                 * new version. */
                r = exec(db, "BEGIN IMMEDIATE");
                if (r < 0)
                        return r;
                r = pragma_int(db, "PRAGMA user_version", &v);
                if (r < 0)
                        return rollback(db, r);
                if (v > STATE_DB_SCHEMA_VERSION || v < 0)
                        return rollback(db, -EPROTO);
                if (v == STATE_DB_SCHEMA_VERSION) {
                        r = exec(db, "COMMIT");
                        return r < 0 ? rollback(db, r) : 0;
                }

                r = exec(db, migrations[v]);
                if (r < 0)
                        return rollback(db, r);
                /* PRAGMA takes no bound parameters; the value is our own constant. */
                snprintf(bump, sizeof(bump), "PRAGMA user_version = %d", v + 1);
                r = exec(db, bump);
                if (r < 0)
                        return rollback(db, r);
                r = exec(db, "COMMIT");
                if (r < 0)
                        return rollback(db, r);
        }
}

/* journal_mode is stored in the file; the pragma answers with the mode in
 * effect, which must be WAL for concurrent helpers. */
static int set_wal(StateDb *db) {
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        const unsigned char *mode;
        int r, rc;

        r = prepare(db, "PRAGMA journal_mode = WAL", &s);
        if (r < 0)
                return r;
        rc = sqlite3_step(s);
        if (rc != SQLITE_ROW)
                return sqlite_errno(db->db, rc);
        mode = sqlite3_column_text(s, 0);
        if (!mode || strcasecmp((const char *) mode, "wal") != 0)
                return -EOPNOTSUPP;
        /* Finalized here, before any transaction: an unfinished statement
         * would keep COMMIT from completing. */
        return 0;
}

static usec_t now_monotonic(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

/* Leaving rollback mode for WAL takes an exclusive lock that SQLite tries once,
 * without the busy handler: when several helpers open a fresh file together,
 * all but one see SQLITE_BUSY here. The pragma is idempotent, so wait for the
 * others the way the busy timeout would. */
static int set_wal_retry(StateDb *db) {
        usec_t deadline = now_monotonic() + STATE_DB_BUSY_TIMEOUT_MSEC * USEC_PER_MSEC;

        for (;;) {
                int r = set_wal(db);
                if (r != -EBUSY || now_monotonic() >= deadline)
                        return r;
                (void) nanosleep(&(struct timespec) { .tv_nsec = 5 * 1000 * 1000 }, NULL);
        }
}

/* The database file is created here rather than by SQLite so that its mode is
 * exactly 0640 whatever the umask (SQLite gives -wal and -shm the mode of the
 * database file). */
static int create_file(const char *path) {
        _cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0640);

        if (fd < 0)
                return errno == EEXIST ? 0 : -errno;
        if (fchmod(fd, 0640) < 0) {
                int r = -errno;
                (void) unlink(path);
                return r;
        }
        return 1;
}

int state_db_open(const char *path, bool read_only, StateDb **ret) {
        _cleanup_(state_db_closep) StateDb *db = NULL;
        int v, r, rc;

        if (isempty(path) || !ret)
                return -EINVAL;

        if (!read_only) {
                r = create_file(path);
                if (r < 0)
                        return r;
        }

        db = calloc(1, sizeof(*db));
        if (!db)
                return -ENOMEM;
        db->read_only = read_only;

        rc = sqlite3_open_v2(path, &db->db,
                             (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_NOFOLLOW,
                             NULL);
        if (rc != SQLITE_OK)
                return db->db ? sqlite_errno(db->db, rc) : -ENOMEM;
        sqlite3_extended_result_codes(db->db, 1);
        /* SQLite quietly opens a file it may not write read-only. */
        if (!read_only && sqlite3_db_readonly(db->db, "main") > 0)
                return -EACCES;

        rc = sqlite3_busy_timeout(db->db, STATE_DB_BUSY_TIMEOUT_MSEC);
        if (rc != SQLITE_OK)
                return sqlite_errno(db->db, rc);

        /* Refuse a schema we do not know before changing anything in the file. */
        r = pragma_int(db, "PRAGMA user_version", &v);
        if (r < 0)
                return r;
        if (v > STATE_DB_SCHEMA_VERSION || v < 0)
                return -EPROTO;

        r = exec(db, "PRAGMA foreign_keys = ON");
        if (r < 0)
                return r;

        if (read_only) {
                /* A reader never migrates; queries against an older schema
                 * would fail one by one, so say it once here. */
                if (v < STATE_DB_SCHEMA_VERSION)
                        return -ESTALE;
        } else {
                r = set_wal_retry(db);
                if (r < 0)
                        return r;

                /* In WAL mode NORMAL is durable across application crashes; a
                 * power loss may lose the last transactions, never corrupt. */
                r = exec(db, "PRAGMA synchronous = NORMAL");
                if (r < 0)
                        return r;

                /* Keep -wal and -shm when the last writer closes (emptied, by
                 * the size limit): a reader without write access to the
                 * directory can only read a WAL database whose -shm exists. */
                rc = sqlite3_file_control(db->db, "main", SQLITE_FCNTL_PERSIST_WAL, &(int) { 1 });
                if (rc != SQLITE_OK)
                        return sqlite_errno(db->db, rc);
                r = exec(db, "PRAGMA journal_size_limit = 4194304");
                if (r < 0)
                        return r;

                r = migrate(db);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(db);
        return 0;
}

StateDb *state_db_close(StateDb *db) {
        if (!db)
                return NULL;
        /* sqlite3_close_v2 defers until the last statement is finalized; every
         * statement here is finalized by its scope, so this closes now. */
        sqlite3_close_v2(db->db);
        free(db);
        return NULL;
}

char *state_db_path(const char *state_dir) {
        char *p;

        if (isempty(state_dir))
                return NULL;
        if (asprintf(&p, "%s/berth.db", state_dir) < 0)
                return NULL;
        return p;
}

/* ——— jobs ——— */

#define JOB_COLUMNS "id, app, kind, status, started_at, finished_at, exit_code, stats_json, error, invocation_id, snapshot_id"

static int job_from_row(sqlite3_stmt *s, Job *ret) {
        _cleanup_(job_done) Job j = {};
        const unsigned char *status;
        int st, r;

        status = sqlite3_column_text(s, 3);
        st = job_status_from_string((const char *) status);
        if (st < 0)
                return -EBADMSG;

        j.id = sqlite3_column_int64(s, 0);
        j.status = st;
        j.started_at = (usec_t) sqlite3_column_int64(s, 4);
        j.finished_at = (usec_t) sqlite3_column_int64(s, 5);
        j.exit_code = sqlite3_column_int(s, 6);
        if ((r = column_strdup(s, 1, &j.app)) < 0 ||
            (r = column_strdup(s, 2, &j.kind)) < 0 ||
            (r = column_strdup(s, 7, &j.stats_json)) < 0 ||
            (r = column_strdup(s, 8, &j.error)) < 0 ||
            (r = column_strdup(s, 9, &j.invocation_id)) < 0 ||
            (r = column_strdup(s, 10, &j.snapshot_id)) < 0)
                return r;
        if (!j.app || !j.kind)
                return -EBADMSG;

        *ret = j;
        j = (Job) {};
        return 0;
}

int state_db_job_begin(StateDb *db, const char *app, const char *kind, const char *invocation_id, int64_t *ret_id) {
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int r;

        if (!db || isempty(app) || isempty(kind))
                return -EINVAL;

        r = prepare(db, "INSERT INTO jobs (app, kind, status, started_at, invocation_id) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id", &s);
        if (r < 0)
                return r;
        if ((r = bind_text(db, s, 1, app)) < 0 ||
            (r = bind_text(db, s, 2, kind)) < 0 ||
            (r = bind_text(db, s, 3, job_status_to_string(JOB_RUNNING))) < 0 ||
            (r = bind_int64(db, s, 4, (int64_t) now_usec())) < 0 ||
            (r = bind_text(db, s, 5, isempty(invocation_id) ? NULL : invocation_id)) < 0)
                return r;

        /* RETURNING gives the id from this very statement (no
         * last_insert_rowid() race with other statements on the handle); the
         * row is committed when the statement completes. */
        r = sqlite3_step(s);
        if (r != SQLITE_ROW)
                return r == SQLITE_DONE ? -EIO : sqlite_errno(db->db, r);
        int64_t id = sqlite3_column_int64(s, 0);
        r = step_done(db, s);
        if (r < 0)
                return r;

        if (ret_id)
                *ret_id = id;
        return 0;
}

static int validate_stats(const char *stats_json) {
        _cleanup_json_ json_object *o = NULL;
        enum json_tokener_error e;

        if (!stats_json)
                return 0;
        o = json_tokener_parse_verbose(stats_json, &e);
        if (!o || !json_object_is_type(o, json_type_object))
                return -EINVAL;
        return 0;
}

int state_db_job_finish(StateDb *db, int64_t id, JobStatus status, int exit_code, const char *stats_json,
                        const char *error, const char *snapshot_id) {
        _cleanup_stmt_ sqlite3_stmt *s = NULL, *q = NULL;
        int r, rc;

        if (!db || id <= 0 || status <= JOB_RUNNING || status >= _JOB_STATUS_MAX)
                return -EINVAL;
        r = validate_stats(stats_json);
        if (r < 0)
                return r;

        r = exec(db, "BEGIN IMMEDIATE");
        if (r < 0)
                return r;

        r = prepare(db, "UPDATE jobs SET status = ?2, finished_at = ?3, exit_code = ?4, stats_json = ?5, error = ?6, snapshot_id = ?7 "
                        "WHERE id = ?1 AND status = ?8", &s);
        if (r < 0)
                return rollback(db, r);
        if ((r = bind_int64(db, s, 1, id)) < 0 ||
            (r = bind_text(db, s, 2, job_status_to_string(status))) < 0 ||
            (r = bind_int64(db, s, 3, (int64_t) now_usec())) < 0 ||
            (r = bind_int64(db, s, 4, exit_code)) < 0 ||
            (r = bind_text(db, s, 5, stats_json)) < 0 ||
            (r = bind_text(db, s, 6, isempty(error) ? NULL : error)) < 0 ||
            (r = bind_text(db, s, 7, isempty(snapshot_id) ? NULL : snapshot_id)) < 0 ||
            (r = bind_text(db, s, 8, job_status_to_string(JOB_RUNNING))) < 0)
                return rollback(db, r);
        r = step_done(db, s);
        if (r < 0)
                return rollback(db, r);

        if (sqlite3_changes(db->db) == 0) {
                /* Not running: unknown, or finished already (a job's result is
                 * written once). */
                r = prepare(db, "SELECT 1 FROM jobs WHERE id = ?1", &q);
                if (r < 0)
                        return rollback(db, r);
                if ((r = bind_int64(db, q, 1, id)) < 0)
                        return rollback(db, r);
                rc = sqlite3_step(q);
                if (rc == SQLITE_ROW)
                        return rollback(db, -EALREADY);
                return rollback(db, rc == SQLITE_DONE ? -ENOENT : sqlite_errno(db->db, rc));
        }

        r = exec(db, "COMMIT");
        if (r < 0)
                return rollback(db, r);
        return 0;
}

int state_db_job_get(StateDb *db, int64_t id, Job *ret) {
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int r, rc;

        if (!db || !ret)
                return -EINVAL;
        r = prepare(db, "SELECT " JOB_COLUMNS " FROM jobs WHERE id = ?1", &s);
        if (r < 0)
                return r;
        if ((r = bind_int64(db, s, 1, id)) < 0)
                return r;
        rc = sqlite3_step(s);
        if (rc == SQLITE_DONE)
                return -ENOENT;
        if (rc != SQLITE_ROW)
                return sqlite_errno(db->db, rc);
        return job_from_row(s, ret);
}

/* Collects every row of a prepared job query. */
static int jobs_collect(StateDb *db, sqlite3_stmt *s, Job **ret, size_t *ret_n) {
        Job *list = NULL;
        size_t n = 0, allocated = 0;
        int r, rc;

        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
                if (n == allocated) {
                        size_t m = allocated ? allocated * 2 : 16;
                        Job *l = reallocarray(list, m, sizeof(Job));
                        if (!l) {
                                jobs_free(list, n);
                                return -ENOMEM;
                        }
                        list = l;
                        allocated = m;
                }
                r = job_from_row(s, &list[n]);
                if (r < 0) {
                        jobs_free(list, n);
                        return r;
                }
                n++;
        }
        if (rc != SQLITE_DONE) {
                jobs_free(list, n);
                return sqlite_errno(db->db, rc);
        }
        *ret = list;
        *ret_n = n;
        return 0;
}

int state_db_jobs_list(StateDb *db, const char *app, unsigned limit, Job **ret, size_t *ret_n) {
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int r;

        if (!db || !ret || !ret_n)
                return -EINVAL;

        /* Newest first by id: ids grow with every job begun, the clock may not. */
        r = prepare(db,
                    app ? "SELECT " JOB_COLUMNS " FROM jobs WHERE app = ?1 ORDER BY id DESC LIMIT ?2"
                        : "SELECT " JOB_COLUMNS " FROM jobs ORDER BY id DESC LIMIT ?2",
                    &s);
        if (r < 0)
                return r;
        if (app && (r = bind_text(db, s, 1, app)) < 0)
                return r;
        /* A negative LIMIT is no limit in SQLite. */
        if ((r = bind_int64(db, s, 2, limit > 0 ? (int64_t) limit : -1)) < 0)
                return r;
        return jobs_collect(db, s, ret, ret_n);
}

int state_db_job_last(StateDb *db, const char *app, const char *kind, int status, Job *ret) {
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int r, rc;

        if (!db || isempty(app) || !ret || status >= _JOB_STATUS_MAX)
                return -EINVAL;

        r = prepare(db, "SELECT " JOB_COLUMNS " FROM jobs "
                        "WHERE app = ?1 AND (?2 IS NULL OR kind = ?2) AND (?3 IS NULL OR status = ?3) "
                        "ORDER BY id DESC LIMIT 1", &s);
        if (r < 0)
                return r;
        if ((r = bind_text(db, s, 1, app)) < 0 ||
            (r = bind_text(db, s, 2, kind)) < 0 ||
            (r = bind_text(db, s, 3, status < 0 ? NULL : job_status_to_string(status))) < 0)
                return r;
        rc = sqlite3_step(s);
        if (rc == SQLITE_DONE)
                return -ENOENT;
        if (rc != SQLITE_ROW)
                return sqlite_errno(db->db, rc);
        return job_from_row(s, ret);
}

int state_db_apps(StateDb *db, char ***ret) {
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        _cleanup_strv_free_ char **l = NULL;
        int r, rc;

        if (!db || !ret)
                return -EINVAL;
        r = prepare(db, "SELECT DISTINCT app FROM jobs ORDER BY app", &s);
        if (r < 0)
                return r;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
                const unsigned char *a = sqlite3_column_text(s, 0);
                if (!a)
                        return -EBADMSG;
                r = strv_extend(&l, (const char *) a);
                if (r < 0)
                        return r;
        }
        if (rc != SQLITE_DONE)
                return sqlite_errno(db->db, rc);
        *ret = TAKE_PTR(l);
        return 0;
}

/* ——— snapshot cache ——— */

static int strv_to_json(char *const *l, char **ret) {
        _cleanup_json_ json_object *a = json_object_new_array();
        const char *t;
        char *c;

        if (!a)
                return -ENOMEM;
        STRV_FOREACH(i, l) {
                json_object *e = json_object_new_string(*i);
                if (!e || json_object_array_add(a, e) < 0) {
                        json_object_put(e);
                        return -ENOMEM;
                }
        }
        t = json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN);
        if (!t)
                return -ENOMEM;
        c = strdup(t);
        if (!c)
                return -ENOMEM;
        *ret = c;
        return 0;
}

static int strv_from_json(const unsigned char *text, char ***ret) {
        _cleanup_json_ json_object *a = NULL;
        _cleanup_strv_free_ char **l = NULL;
        enum json_tokener_error e;
        size_t n;
        int r;

        if (!text) {
                *ret = NULL;
                return 0;
        }
        a = json_tokener_parse_verbose((const char *) text, &e);
        if (!a || !json_object_is_type(a, json_type_array))
                return -EBADMSG;
        n = json_object_array_length(a);
        for (size_t i = 0; i < n; i++) {
                json_object *o = json_object_array_get_idx(a, i);
                if (!json_object_is_type(o, json_type_string))
                        return -EBADMSG;
                r = strv_extend(&l, json_object_get_string(o));
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

int state_db_snapshots_replace(StateDb *db, const char *app, const SnapshotInfo *snaps, size_t n) {
        _cleanup_stmt_ sqlite3_stmt *del = NULL, *ins = NULL;
        int r;

        if (!db || isempty(app) || (n > 0 && !snaps))
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (isempty(snaps[i].id) || (snaps[i].app && !streq(snaps[i].app, app)))
                        return -EINVAL;

        r = exec(db, "BEGIN IMMEDIATE");
        if (r < 0)
                return r;

        r = prepare(db, "DELETE FROM snapshots WHERE app = ?1", &del);
        if (r < 0)
                return rollback(db, r);
        if ((r = bind_text(db, del, 1, app)) < 0 || (r = step_done(db, del)) < 0)
                return rollback(db, r);

        r = prepare(db, "INSERT INTO snapshots (id, short_id, app, time, host, tags, paths, job_id, kind) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", &ins);
        if (r < 0)
                return rollback(db, r);
        for (size_t i = 0; i < n; i++) {
                const SnapshotInfo *x = &snaps[i];
                _cleanup_free_ char *tags = NULL, *paths = NULL;

                if ((r = strv_to_json(x->tags, &tags)) < 0 || (r = strv_to_json(x->paths, &paths)) < 0)
                        return rollback(db, r);
                if ((r = bind_text(db, ins, 1, x->id)) < 0 ||
                    (r = bind_text(db, ins, 2, x->short_id)) < 0 ||
                    (r = bind_text(db, ins, 3, app)) < 0 ||
                    (r = bind_int64(db, ins, 4, (int64_t) x->time)) < 0 ||
                    (r = bind_text(db, ins, 5, x->host)) < 0 ||
                    (r = bind_text(db, ins, 6, tags)) < 0 ||
                    (r = bind_text(db, ins, 7, paths)) < 0 ||
                    (r = (x->job_id > 0 ? bind_int64(db, ins, 8, x->job_id) : bind_text(db, ins, 8, NULL))) < 0 ||
                    (r = bind_text(db, ins, 9, x->kind)) < 0)
                        return rollback(db, r);
                r = step_done(db, ins);
                if (r < 0)
                        return rollback(db, r);
                sqlite3_reset(ins);
        }

        r = exec(db, "COMMIT");
        if (r < 0)
                return rollback(db, r);
        return 0;
}

static int snapshot_from_row(sqlite3_stmt *s, SnapshotInfo *ret) {
        _cleanup_(snapshot_info_done) SnapshotInfo x = {};
        int r;

        if ((r = column_strdup(s, 0, &x.id)) < 0 ||
            (r = column_strdup(s, 1, &x.short_id)) < 0 ||
            (r = column_strdup(s, 2, &x.app)) < 0 ||
            (r = column_strdup(s, 4, &x.host)) < 0 ||
            (r = column_strdup(s, 8, &x.kind)) < 0)
                return r;
        if ((r = strv_from_json(sqlite3_column_text(s, 5), &x.tags)) < 0 ||
            (r = strv_from_json(sqlite3_column_text(s, 6), &x.paths)) < 0)
                return r;
        x.time = (usec_t) sqlite3_column_int64(s, 3);
        x.job_id = sqlite3_column_int64(s, 7);

        *ret = x;
        x = (SnapshotInfo) {};
        return 0;
}

int state_db_snapshots_list(StateDb *db, const char *app, SnapshotInfo **ret, size_t *ret_n) {
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        SnapshotInfo *list = NULL;
        size_t n = 0, allocated = 0;
        int r, rc;

        if (!db || isempty(app) || !ret || !ret_n)
                return -EINVAL;
        r = prepare(db, "SELECT id, short_id, app, time, host, tags, paths, job_id, kind "
                        "FROM snapshots WHERE app = ?1 ORDER BY time, id", &s);
        if (r < 0)
                return r;
        if ((r = bind_text(db, s, 1, app)) < 0)
                return r;

        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
                if (n == allocated) {
                        size_t m = allocated ? allocated * 2 : 16;
                        SnapshotInfo *l = reallocarray(list, m, sizeof(SnapshotInfo));
                        if (!l) {
                                snapshot_infos_free(list, n);
                                return -ENOMEM;
                        }
                        list = l;
                        allocated = m;
                }
                r = snapshot_from_row(s, &list[n]);
                if (r < 0) {
                        snapshot_infos_free(list, n);
                        return r;
                }
                n++;
        }
        if (rc != SQLITE_DONE) {
                snapshot_infos_free(list, n);
                return sqlite_errno(db->db, rc);
        }
        *ret = list;
        *ret_n = n;
        return 0;
}

/* ——— meta ——— */

int state_db_meta_get(StateDb *db, const char *key, char **ret) {
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        char *v;
        int r, rc;

        if (!db || isempty(key) || !ret)
                return -EINVAL;
        r = prepare(db, "SELECT value FROM meta WHERE key = ?1", &s);
        if (r < 0)
                return r;
        if ((r = bind_text(db, s, 1, key)) < 0)
                return r;
        rc = sqlite3_step(s);
        if (rc == SQLITE_DONE)
                return -ENOENT;
        if (rc != SQLITE_ROW)
                return sqlite_errno(db->db, rc);
        r = column_strdup(s, 0, &v);
        if (r < 0)
                return r;
        if (!v)
                return -EBADMSG;
        *ret = v;
        return 0;
}

int state_db_meta_set(StateDb *db, const char *key, const char *value) {
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int r;

        if (!db || isempty(key) || !value)
                return -EINVAL;
        r = prepare(db, "INSERT INTO meta (key, value) VALUES (?1, ?2) "
                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value", &s);
        if (r < 0)
                return r;
        if ((r = bind_text(db, s, 1, key)) < 0 || (r = bind_text(db, s, 2, value)) < 0)
                return r;
        return step_done(db, s);
}

/* ——— applied manifests ——— */

static bool sha256_hex_valid(const char *s) {
        if (!s || strlen(s) != 64)
                return false;
        for (const char *p = s; *p; p++)
                if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
                        return false;
        return true;
}

int state_db_manifest_hash_get(StateDb *db, const char *app, char **ret_sha256, usec_t *ret_applied_at) {
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        _cleanup_free_ char *h = NULL;
        int r, rc;

        if (!db || isempty(app))
                return -EINVAL;
        r = prepare(db, "SELECT sha256, applied_at FROM app_manifests WHERE app = ?1", &s);
        if (r < 0)
                return r;
        if ((r = bind_text(db, s, 1, app)) < 0)
                return r;
        rc = sqlite3_step(s);
        if (rc == SQLITE_DONE)
                return -ENOENT;
        if (rc != SQLITE_ROW)
                return sqlite_errno(db->db, rc);
        r = column_strdup(s, 0, &h);
        if (r < 0)
                return r;
        if (!h)
                return -EBADMSG;
        if (ret_applied_at)
                *ret_applied_at = (usec_t) sqlite3_column_int64(s, 1);
        if (ret_sha256)
                *ret_sha256 = TAKE_PTR(h);
        return 0;
}

int state_db_manifest_hash_set(StateDb *db, const char *app, const char *sha256) {
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int r;

        if (!db || isempty(app) || !sha256_hex_valid(sha256))
                return -EINVAL;
        r = prepare(db, "INSERT INTO app_manifests (app, sha256, applied_at) VALUES (?1, ?2, ?3) "
                        "ON CONFLICT (app) DO UPDATE SET sha256 = excluded.sha256, applied_at = excluded.applied_at", &s);
        if (r < 0)
                return r;
        if ((r = bind_text(db, s, 1, app)) < 0 ||
            (r = bind_text(db, s, 2, sha256)) < 0 ||
            (r = bind_int64(db, s, 3, (int64_t) now_usec())) < 0)
                return r;
        return step_done(db, s);
}
