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
        _cleanup_stmt_ sqlite3_stmt *del = NULL, *ins = NULL;
        int r;

        if (!db || isempty(app) || (n > 0 && !snaps))
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (isempty(snaps[i].id) || (snaps[i].app && !streq(snaps[i].app, app)))
                        return -EINVAL;

        r = sql_exec(db, "BEGIN IMMEDIATE");
        if (r < 0)
                return r;

        r = sql_prepare(db, "DELETE FROM snapshots WHERE app = ?1", &del);
        if (r < 0)
                return sql_rollback(db, r);
        if ((r = sql_bind_text(db, del, 1, app)) < 0 || (r = sql_step_done(db, del)) < 0)
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
                if ((r = sql_bind_text(db, ins, 1, x->id)) < 0 ||
                    (r = sql_bind_text(db, ins, 2, x->short_id)) < 0 ||
                    (r = sql_bind_text(db, ins, 3, app)) < 0 ||
                    (r = sql_bind_int64(db, ins, 4, (int64_t) x->time)) < 0 ||
                    (r = sql_bind_text(db, ins, 5, x->host)) < 0 ||
                    (r = sql_bind_text(db, ins, 6, tags)) < 0 ||
                    (r = sql_bind_text(db, ins, 7, paths)) < 0 ||
                    (r = (x->job_id > 0 ? sql_bind_int64(db, ins, 8, x->job_id) : sql_bind_text(db, ins, 8, NULL))) < 0 ||
                    (r = sql_bind_text(db, ins, 9, x->kind)) < 0)
                        return sql_rollback(db, r);
                r = sql_step_done(db, ins);
                if (r < 0)
                        return sql_rollback(db, r);
                sqlite3_reset(ins);
        }

        r = sql_exec(db, "COMMIT");
        if (r < 0)
                return sql_rollback(db, r);
        return 0;
}

static int snapshot_from_row(sqlite3_stmt *s, SnapshotInfo *ret) {
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
        r = sql_prepare(db, "SELECT id, short_id, app, time, host, tags, paths, job_id, kind "
                        "FROM snapshots WHERE app = ?1 ORDER BY time, id", &s);
        if (r < 0)
                return r;
        if ((r = sql_bind_text(db, s, 1, app)) < 0)
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
