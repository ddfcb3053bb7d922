/* state_db_snapshots.c — the snapshot cache: what restic last listed for an
 * app, replaced whole in one transaction, so `berth snapshots` and berthd need
 * not ask the repository. Tags and paths are stored as JSON arrays. */
#include "state_db-internal.h"
#include "strv.h"

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
        _cleanup_stmt_ sqlite3_stmt *ins = NULL;
        int r;

        if (!db || isempty(app) || (n > 0 && !snaps))
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (isempty(snaps[i].id) || (snaps[i].app && !streq(snaps[i].app, app)))
                        return -EINVAL;

        r = sql_begin(db);
        if (r < 0)
                return r;

        r = sql_run(db, "DELETE FROM snapshots WHERE app = ?1", SQL_TEXT(app));
        if (r < 0)
                return sql_rollback(db, r);

        r = sql_prepare(db, "INSERT INTO snapshots (id, short_id, app, time, host, tags, paths, job_id, kind) "
                            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", &ins);
        if (r < 0)
                return sql_rollback(db, r);
        for (size_t i = 0; i < n; i++) {
                const SnapshotInfo *x = &snaps[i];
                _cleanup_free_ char *tags = NULL, *paths = NULL;

                if ((r = strv_to_json(x->tags, &tags)) < 0 || (r = strv_to_json(x->paths, &paths)) < 0)
                        return sql_rollback(db, r);
                r = sql_bind(db, ins,
                             SQL_TEXT(x->id),
                             SQL_TEXT(x->short_id),
                             SQL_TEXT(app),
                             SQL_INT((int64_t) x->time),
                             SQL_TEXT(x->host),
                             SQL_TEXT(tags),
                             SQL_TEXT(paths),
                             x->job_id > 0 ? SQL_INT(x->job_id) : SQL_NULL,
                             SQL_TEXT(x->kind));
                if (r < 0)
                        return sql_rollback(db, r);
                r = sql_step_done(db, ins);
                if (r < 0)
                        return sql_rollback(db, r);
                sqlite3_reset(ins);
        }

        return sql_commit(db);
}

/* Reads one snapshots row into *ret, a SnapshotInfo. */
static int snapshot_from_row(sqlite3_stmt *s, void *ret) {
        _cleanup_(snapshot_info_done) SnapshotInfo x = {};
        int r;

        if ((r = sql_column_strdup(s, 0, &x.id)) < 0 ||
            (r = sql_column_strdup(s, 1, &x.short_id)) < 0 ||
            (r = sql_column_strdup(s, 2, &x.app)) < 0 ||
            (r = sql_column_strdup(s, 4, &x.host)) < 0 ||
            (r = sql_column_strdup(s, 8, &x.kind)) < 0)
                return r;
        if ((r = strv_from_json(sqlite3_column_text(s, 5), &x.tags)) < 0 ||
            (r = strv_from_json(sqlite3_column_text(s, 6), &x.paths)) < 0)
                return r;
        x.time = (usec_t) sqlite3_column_int64(s, 3);
        x.job_id = sqlite3_column_int64(s, 7);

        *(SnapshotInfo *) ret = x;
        x = (SnapshotInfo) {};
        return 0;
}

static void snapshot_rows_free(void *rows, size_t n) {
        snapshot_infos_free(rows, n);
}

int state_db_snapshots_list(StateDb *db, const char *app, SnapshotInfo **ret, size_t *ret_n) {
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        void *rows;
        int r;

        if (!db || isempty(app) || !ret || !ret_n)
                return -EINVAL;
        r = sql_query(db, "SELECT id, short_id, app, time, host, tags, paths, job_id, kind "
                          "FROM snapshots WHERE app = ?1 ORDER BY time, id", &s,
                      SQL_TEXT(app));
        if (r < 0)
                return r;
        r = sql_collect(db, s, sizeof(SnapshotInfo), snapshot_from_row, snapshot_rows_free, &rows, ret_n);
        if (r < 0)
                return r;
        *ret = rows;
        return 0;
}
