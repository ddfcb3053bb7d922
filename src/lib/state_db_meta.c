/* state_db_meta.c — small keyed state: the meta key/value pairs and the
 * manifest each app was last applied from. One row per key, read whole,
 * written by upsert. */
#include "state_db-internal.h"

/* ——— meta ——— */

int state_db_meta_get(StateDb *db, const char *key, char **ret) {
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        char *v;
        int r, rc;

        if (!db || isempty(key) || !ret)
                return -EINVAL;
        r = sql_prepare(db, "SELECT value FROM meta WHERE key = ?1", &s);
        if (r < 0)
                return r;
        if ((r = sql_bind_text(db, s, 1, key)) < 0)
                return r;
        rc = sqlite3_step(s);
        if (rc == SQLITE_DONE)
                return -ENOENT;
        if (rc != SQLITE_ROW)
                return sqlite_errno(db->db, rc);
        r = sql_column_strdup(s, 0, &v);
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
        r = sql_prepare(db, "INSERT INTO meta (key, value) VALUES (?1, ?2) "
                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value", &s);
        if (r < 0)
                return r;
        if ((r = sql_bind_text(db, s, 1, key)) < 0 || (r = sql_bind_text(db, s, 2, value)) < 0)
                return r;
        return sql_step_done(db, s);
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
        r = sql_prepare(db, "SELECT sha256, applied_at FROM app_manifests WHERE app = ?1", &s);
        if (r < 0)
                return r;
        if ((r = sql_bind_text(db, s, 1, app)) < 0)
                return r;
        rc = sqlite3_step(s);
        if (rc == SQLITE_DONE)
                return -ENOENT;
        if (rc != SQLITE_ROW)
                return sqlite_errno(db->db, rc);
        r = sql_column_strdup(s, 0, &h);
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
        r = sql_prepare(db, "INSERT INTO app_manifests (app, sha256, applied_at) VALUES (?1, ?2, ?3) "
                        "ON CONFLICT (app) DO UPDATE SET sha256 = excluded.sha256, applied_at = excluded.applied_at", &s);
        if (r < 0)
                return r;
        if ((r = sql_bind_text(db, s, 1, app)) < 0 ||
            (r = sql_bind_text(db, s, 2, sha256)) < 0 ||
            (r = sql_bind_int64(db, s, 3, (int64_t) now_usec())) < 0)
                return r;
        return sql_step_done(db, s);
}
