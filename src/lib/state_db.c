/* state_db.c — the SQLite state database (DESIGN.md §7): opening it, the
 * schema and its migrations, and the SQL helpers the tables' files share
 * (state_db_jobs.c, state_db_snapshots.c, state_db_meta.c). Every statement is
 * prepared with bound parameters; every SQLite result is mapped to -errno at
 * the call that produced it. Write transactions that also read begin
 * IMMEDIATE, so concurrent helpers wait on the busy timeout instead of failing
 * on a lock upgrade. */
#include <fcntl.h>
#include <strings.h>
#include <sys/stat.h>

#include "state_db-internal.h"

/* How long a writer waits for another one before giving up with -EBUSY. */
#define STATE_DB_BUSY_TIMEOUT_MSEC 10000

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

int sql_prepare(StateDb *db, const char *sql, sqlite3_stmt **ret) {
        int rc = sqlite3_prepare_v2(db->db, sql, -1, ret, NULL);
        return rc == SQLITE_OK ? 0 : sqlite_errno(db->db, rc);
}

static int bind_arg(StateDb *db, sqlite3_stmt *s, int i, const SqlArg *a) {
        int rc;

        if (!a->is_text)
                rc = sqlite3_bind_int64(s, i, a->int64);
        else if (a->text)
                rc = sqlite3_bind_text(s, i, a->text, -1, SQLITE_TRANSIENT);
        else
                rc = sqlite3_bind_null(s, i);
        return rc == SQLITE_OK ? 0 : sqlite_errno(db->db, rc);
}

int sql_bind_args(StateDb *db, sqlite3_stmt *s, const SqlArg *args, size_t n) {
        for (size_t i = 0; i < n; i++) {
                int r = bind_arg(db, s, (int) i + 1, &args[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

int sql_query_args(StateDb *db, const char *sql, sqlite3_stmt **ret, const SqlArg *args, size_t n) {
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int r;

        r = sql_prepare(db, sql, &s);
        if (r < 0)
                return r;
        r = sql_bind_args(db, s, args, n);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

int sql_query_row_args(StateDb *db, const char *sql, sqlite3_stmt **ret, const SqlArg *args, size_t n) {
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int r;

        r = sql_query_args(db, sql, &s, args, n);
        if (r < 0)
                return r;
        r = sql_step_first(db, s, -ENOENT);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

int sql_run_args(StateDb *db, const char *sql, const SqlArg *args, size_t n) {
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int r;

        r = sql_query_args(db, sql, &s, args, n);
        if (r < 0)
                return r;
        return sql_step_done(db, s);
}

int sql_step_row(StateDb *db, sqlite3_stmt *s) {
        int rc = sqlite3_step(s);
        if (rc == SQLITE_ROW)
                return 1;
        if (rc == SQLITE_DONE)
                return 0;
        return sqlite_errno(db->db, rc);
}

int sql_step_first(StateDb *db, sqlite3_stmt *s, int if_none) {
        int r = sql_step_row(db, s);
        if (r < 0)
                return r;
        return r > 0 ? 0 : if_none;
}

int sql_step_done(StateDb *db, sqlite3_stmt *s) {
        int rc = sqlite3_step(s);
        if (rc == SQLITE_DONE)
                return 0;
        if (rc == SQLITE_ROW)
                return -EINVAL;
        return sqlite_errno(db->db, rc);
}

int sql_collect(StateDb *db, sqlite3_stmt *s, size_t row_size, sql_row_read_t read_row, sql_rows_free_t free_rows,
                void **ret, size_t *ret_n) {
        char *list = NULL;
        size_t n = 0, allocated = 0;
        int r;

        while ((r = sql_step_row(db, s)) > 0) {
                if (n == allocated) {
                        size_t m = allocated ? allocated * 2 : 16;
                        char *l = reallocarray(list, m, row_size);
                        if (!l) {
                                r = -ENOMEM;
                                break;
                        }
                        list = l;
                        allocated = m;
                }
                r = read_row(s, list + n * row_size);
                if (r < 0)
                        break;
                n++;
        }
        if (r < 0) {
                free_rows(list, n);
                return r;
        }
        *ret = list;
        *ret_n = n;
        return 0;
}

int sql_exec(StateDb *db, const char *sql) {
        int rc = sqlite3_exec(db->db, sql, NULL, NULL, NULL);
        return rc == SQLITE_OK ? 0 : sqlite_errno(db->db, rc);
}

int sql_begin(StateDb *db) {
        return sql_exec(db, "BEGIN IMMEDIATE");
}

int sql_commit(StateDb *db) {
        int r = sql_exec(db, "COMMIT");
        return r < 0 ? sql_rollback(db, r) : 0;
}

int sql_rollback(StateDb *db, int r) {
        /* Only meaningful while a transaction is open; the error that made us
         * roll back is the one reported. */
        if (!sqlite3_get_autocommit(db->db))
                (void) sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
        return r;
}

int sql_column_strdup(sqlite3_stmt *s, int i, char **ret) {
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
        int r;

        r = sql_prepare(db, sql, &s);
        if (r < 0)
                return r;
        r = sql_step_first(db, s, -EBADMSG);
        if (r < 0)
                return r;
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
                r = sql_begin(db);
                if (r < 0)
                        return r;
                r = pragma_int(db, "PRAGMA user_version", &v);
                if (r < 0)
                        return sql_rollback(db, r);
                if (v > STATE_DB_SCHEMA_VERSION || v < 0)
                        return sql_rollback(db, -EPROTO);
                if (v == STATE_DB_SCHEMA_VERSION)
                        return sql_commit(db);

                r = sql_exec(db, migrations[v]);
                if (r < 0)
                        return sql_rollback(db, r);
                /* PRAGMA takes no bound parameters; the value is our own constant. */
                snprintf(bump, sizeof(bump), "PRAGMA user_version = %d", v + 1);
                r = sql_exec(db, bump);
                if (r < 0)
                        return sql_rollback(db, r);
                r = sql_commit(db);
                if (r < 0)
                        return r;
        }
}

/* journal_mode is stored in the file; the pragma answers with the mode in
 * effect, which must be WAL for concurrent helpers. */
static int set_wal(StateDb *db) {
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        const unsigned char *mode;
        int r, rc;

        r = sql_prepare(db, "PRAGMA journal_mode = WAL", &s);
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

        r = sql_exec(db, "PRAGMA foreign_keys = ON");
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
                r = sql_exec(db, "PRAGMA synchronous = NORMAL");
                if (r < 0)
                        return r;

                /* Keep -wal and -shm when the last writer closes (emptied, by
                 * the size limit): a reader without write access to the
                 * directory can only read a WAL database whose -shm exists. */
                rc = sqlite3_file_control(db->db, "main", SQLITE_FCNTL_PERSIST_WAL, &(int) { 1 });
                if (rc != SQLITE_OK)
                        return sqlite_errno(db->db, rc);
                r = sql_exec(db, "PRAGMA journal_size_limit = 4194304");
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
