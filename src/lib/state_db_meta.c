/* state_db_meta.c — small keyed state: the meta key/value pairs and the
 * manifest each app was last applied from. One row per key, read whole,
 * written by upsert. */
#include "state_db-internal.h"

/* Column i of a row whose schema says NOT NULL: SQL NULL there is a corrupt
 * file. */
static int column_strdup_not_null(sqlite3_stmt *s, int i, char **ret) {
        char *c;
        int r;

        r = sql_column_strdup(s, i, &c);
        if (r < 0)
                return r;
        if (!c)
                return -EBADMSG;
        *ret = c;
        return 0;
}

/* ——— meta ——— */

int state_db_meta_get(StateDb *db, const char *key, char **ret) {
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int r;

        if (!db || isempty(key) || !ret)
                return -EINVAL;
        r = sql_query_row(db, "SELECT value FROM meta WHERE key = ?1", &s, SQL_TEXT(key));
        if (r < 0)
                return r;
        return column_strdup_not_null(s, 0, ret);
}

int state_db_meta_set(StateDb *db, const char *key, const char *value) {
        if (!db || isempty(key) || !value)
                return -EINVAL;
        return sql_run(db, "INSERT INTO meta (key, value) VALUES (?1, ?2) "
                           "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                       SQL_TEXT(key), SQL_TEXT(value));
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
        int r;

        if (!db || isempty(app))
                return -EINVAL;
        r = sql_query_row(db, "SELECT sha256, applied_at FROM app_manifests WHERE app = ?1", &s, SQL_TEXT(app));
        if (r < 0)
                return r;
        r = column_strdup_not_null(s, 0, &h);
        if (r < 0)
                return r;
        if (ret_applied_at)
                *ret_applied_at = (usec_t) sqlite3_column_int64(s, 1);
        if (ret_sha256)
                *ret_sha256 = TAKE_PTR(h);
        return 0;
}

int state_db_manifest_hash_set(StateDb *db, const char *app, const char *sha256) {
        if (!db || isempty(app) || !sha256_hex_valid(sha256))
                return -EINVAL;
        return sql_run(db, "INSERT INTO app_manifests (app, sha256, applied_at) VALUES (?1, ?2, ?3) "
                           "ON CONFLICT (app) DO UPDATE SET sha256 = excluded.sha256, applied_at = excluded.applied_at",
                       SQL_TEXT(app), SQL_TEXT(sha256), SQL_INT((int64_t) now_usec()));
}

int state_db_manifest_hash_remove(StateDb *db, const char *app) {
        if (!db || isempty(app))
                return -EINVAL;
        return sql_run(db, "DELETE FROM app_manifests WHERE app = ?1", SQL_TEXT(app));
}
