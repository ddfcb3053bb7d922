/* state_db_jobs.c — the job history: one row per helper run, begun running
 * and finished once with its result. Ids grow with every job begun, so
 * "newest" is by id, never by clock. */
#include "state_db-internal.h"
#include "strv.h"

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

#define JOB_COLUMNS "id, app, kind, status, started_at, finished_at, exit_code, stats_json, error, invocation_id, snapshot_id"

/* Reads one row of JOB_COLUMNS into *ret, a Job. */
static int job_from_row(sqlite3_stmt *s, void *ret) {
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
        if ((r = sql_column_strdup(s, 1, &j.app)) < 0 ||
            (r = sql_column_strdup(s, 2, &j.kind)) < 0 ||
            (r = sql_column_strdup(s, 7, &j.stats_json)) < 0 ||
            (r = sql_column_strdup(s, 8, &j.error)) < 0 ||
            (r = sql_column_strdup(s, 9, &j.invocation_id)) < 0 ||
            (r = sql_column_strdup(s, 10, &j.snapshot_id)) < 0)
                return r;
        if (!j.app || !j.kind)
                return -EBADMSG;

        *(Job *) ret = j;
        j = (Job) {};
        return 0;
}

static void job_rows_free(void *rows, size_t n) {
        jobs_free(rows, n);
}

int state_db_job_begin(StateDb *db, const char *app, const char *kind, const char *invocation_id, int64_t *ret_id) {
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int64_t id;
        int r;

        if (!db || isempty(app) || isempty(kind))
                return -EINVAL;

        r = sql_query(db, "INSERT INTO jobs (app, kind, status, started_at, invocation_id) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id", &s,
                      SQL_TEXT(app),
                      SQL_TEXT(kind),
                      SQL_TEXT(job_status_to_string(JOB_RUNNING)),
                      SQL_INT((int64_t) now_usec()),
                      SQL_TEXT(isempty(invocation_id) ? NULL : invocation_id));
        if (r < 0)
                return r;

        /* RETURNING gives the id from this very statement (no
         * last_insert_rowid() race with other statements on the handle); the
         * row is committed when the statement completes. */
        r = sql_step_first(db, s, -EIO);
        if (r < 0)
                return r;
        id = sqlite3_column_int64(s, 0);
        r = sql_step_done(db, s);
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
        _cleanup_stmt_ sqlite3_stmt *q = NULL;
        int r;

        if (!db || id <= 0 || status <= JOB_RUNNING || status >= _JOB_STATUS_MAX)
                return -EINVAL;
        r = validate_stats(stats_json);
        if (r < 0)
                return r;

        r = sql_begin(db);
        if (r < 0)
                return r;

        r = sql_run(db, "UPDATE jobs SET status = ?2, finished_at = ?3, exit_code = ?4, stats_json = ?5, error = ?6, snapshot_id = ?7 "
                        "WHERE id = ?1 AND status = ?8",
                    SQL_INT(id),
                    SQL_TEXT(job_status_to_string(status)),
                    SQL_INT((int64_t) now_usec()),
                    SQL_INT(exit_code),
                    SQL_TEXT(stats_json),
                    SQL_TEXT(isempty(error) ? NULL : error),
                    SQL_TEXT(isempty(snapshot_id) ? NULL : snapshot_id),
                    SQL_TEXT(job_status_to_string(JOB_RUNNING)));
        if (r < 0)
                return sql_rollback(db, r);

        if (sqlite3_changes(db->db) == 0) {
                /* Not running: unknown (-ENOENT from the lookup), or finished
                 * already (a job's result is written once). */
                r = sql_query_row(db, "SELECT 1 FROM jobs WHERE id = ?1", &q, SQL_INT(id));
                return sql_rollback(db, r < 0 ? r : -EALREADY);
        }

        return sql_commit(db);
}

int state_db_job_get(StateDb *db, int64_t id, Job *ret) {
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int r;

        if (!db || !ret)
                return -EINVAL;
        r = sql_query_row(db, "SELECT " JOB_COLUMNS " FROM jobs WHERE id = ?1", &s, SQL_INT(id));
        if (r < 0)
                return r;
        return job_from_row(s, ret);
}

int state_db_jobs_list(StateDb *db, const char *app, unsigned limit, Job **ret, size_t *ret_n) {
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        void *rows;
        int r;

        if (!db || !ret || !ret_n)
                return -EINVAL;

        /* Newest first by id: ids grow with every job begun, the clock may not.
         * Without app, ?1 is not in the statement and binding it NULL is a
         * no-op. A negative LIMIT is no limit in SQLite. */
        r = sql_query(db,
                      app ? "SELECT " JOB_COLUMNS " FROM jobs WHERE app = ?1 ORDER BY id DESC LIMIT ?2"
                          : "SELECT " JOB_COLUMNS " FROM jobs ORDER BY id DESC LIMIT ?2",
                      &s,
                      SQL_TEXT(app),
                      SQL_INT(limit > 0 ? (int64_t) limit : -1));
        if (r < 0)
                return r;
        r = sql_collect(db, s, sizeof(Job), job_from_row, job_rows_free, &rows, ret_n);
        if (r < 0)
                return r;
        *ret = rows;
        return 0;
}

int state_db_job_last(StateDb *db, const char *app, const char *kind, int status, Job *ret) {
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int r;

        if (!db || isempty(app) || !ret || status >= _JOB_STATUS_MAX)
                return -EINVAL;

        r = sql_query_row(db, "SELECT " JOB_COLUMNS " FROM jobs "
                              "WHERE app = ?1 AND (?2 IS NULL OR kind = ?2) AND (?3 IS NULL OR status = ?3) "
                              "ORDER BY id DESC LIMIT 1", &s,
                          SQL_TEXT(app),
                          SQL_TEXT(kind),
                          SQL_TEXT(status < 0 ? NULL : job_status_to_string(status)));
        if (r < 0)
                return r;
        return job_from_row(s, ret);
}

int state_db_apps(StateDb *db, char ***ret) {
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        _cleanup_strv_free_ char **l = NULL;
        int r;

        if (!db || !ret)
                return -EINVAL;
        r = sql_prepare(db, "SELECT DISTINCT app FROM jobs ORDER BY app", &s);
        if (r < 0)
                return r;
        while ((r = sql_step_row(db, s)) > 0) {
                const unsigned char *a = sqlite3_column_text(s, 0);
                if (!a)
                        return -EBADMSG;
                r = strv_extend(&l, (const char *) a);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(l);
        return 0;
}
