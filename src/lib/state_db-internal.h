/* state_db-internal.h — what the pieces of the state database share: the
 * handle, and the SQL helpers that map every SQLite result to -errno at the
 * call that produced it. Only src/lib/state_db*.c include this. */
#pragma once

#include <json-c/json.h>
#include <sqlite3.h>
#include <time.h>

#include "state_db.h"

struct StateDb {
        sqlite3 *db;
        bool read_only;
};

static inline void sqlite3_finalizep(sqlite3_stmt **s) {
        if (*s)
                sqlite3_finalize(*s);
}
#define _cleanup_stmt_ _cleanup_(sqlite3_finalizep)

static inline void json_object_putp(json_object **o) {
        if (*o)
                json_object_put(*o);
}
#define _cleanup_json_ _cleanup_(json_object_putp)

static inline usec_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

/* SQLite result → -errno (0 for SQLITE_OK, _ROW and _DONE). */
int sqlite_errno(sqlite3 *db, int rc);

int sql_prepare(StateDb *db, const char *sql, sqlite3_stmt **ret);
/* Binds one parameter; NULL strings bind SQL NULL. */
int sql_bind_text(StateDb *db, sqlite3_stmt *s, int i, const char *v);
int sql_bind_int64(StateDb *db, sqlite3_stmt *s, int i, int64_t v);
/* Runs a statement that returns no rows. */
int sql_step_done(StateDb *db, sqlite3_stmt *s);
/* Statements without parameters (transaction control, pragmas, migrations). */
int sql_exec(StateDb *db, const char *sql);
/* Rolls back the open transaction, if any, and returns r. */
int sql_rollback(StateDb *db, int r);
/* The text of column i, or NULL for SQL NULL. */
int sql_column_strdup(sqlite3_stmt *s, int i, char **ret);
