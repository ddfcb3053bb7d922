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

DEFINE_TRIVIAL_CLEANUP_FUNC(sqlite3_stmt *, sqlite3_finalize)
#define _cleanup_stmt_ _cleanup_(sqlite3_finalizep)

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put)
#define _cleanup_json_ _cleanup_(json_object_putp)

static inline usec_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

/* A value for one statement parameter. The helpers below bind their SqlArgs
 * to ?1, ?2, … in order; SQL_TEXT(NULL) binds SQL NULL. */
typedef struct SqlArg {
        bool is_text;
        const char *text;
        int64_t int64;
} SqlArg;
#define SQL_TEXT(v) ((SqlArg) { .is_text = true, .text = (v) })
#define SQL_INT(v) ((SqlArg) { .int64 = (v) })
#define SQL_NULL SQL_TEXT(NULL)
/* The arguments as an array and its length (sizeof does not evaluate them). */
#define SQL_ARGS(...) (const SqlArg[]) { __VA_ARGS__ }, ELEMENTSOF(((const SqlArg[]) { __VA_ARGS__ }))

int sql_prepare(StateDb *db, const char *sql, sqlite3_stmt **ret);
int sql_bind_args(StateDb *db, sqlite3_stmt *s, const SqlArg *args, size_t n);
#define sql_bind(db, s, ...) sql_bind_args(db, s, SQL_ARGS(__VA_ARGS__))
/* Prepares sql and binds the arguments. */
int sql_query_args(StateDb *db, const char *sql, sqlite3_stmt **ret, const SqlArg *args, size_t n);
#define sql_query(db, sql, ret, ...) sql_query_args(db, sql, ret, SQL_ARGS(__VA_ARGS__))
/* sql_query(), then steps to the first row: *ret stands on it; -ENOENT if
 * there is none. */
int sql_query_row_args(StateDb *db, const char *sql, sqlite3_stmt **ret, const SqlArg *args, size_t n);
#define sql_query_row(db, sql, ret, ...) sql_query_row_args(db, sql, ret, SQL_ARGS(__VA_ARGS__))
/* Prepares, binds and runs a statement that returns no rows. */
int sql_run_args(StateDb *db, const char *sql, const SqlArg *args, size_t n);
#define sql_run(db, sql, ...) sql_run_args(db, sql, SQL_ARGS(__VA_ARGS__))

/* 1 with the statement on its next row, 0 when there are no more rows. */
int sql_step_row(StateDb *db, sqlite3_stmt *s);
/* Steps to the first row of a statement that should return one: 0 standing on
 * it; if_none (a -errno) when there is no row. */
int sql_step_first(StateDb *db, sqlite3_stmt *s, int if_none);
/* Runs a statement that returns no rows (-EINVAL if it returns one). */
int sql_step_done(StateDb *db, sqlite3_stmt *s);

/* Reads the statement's current row into *ret, a row structure; void * so that
 * one collector serves every table. */
typedef int (*sql_row_read_t)(sqlite3_stmt *s, void *ret);
/* Frees the first n rows of an array, and the array. */
typedef void (*sql_rows_free_t)(void *rows, size_t n);
/* Steps through every row of a prepared statement into a new array of
 * row_size-byte rows (NULL when there are none). */
int sql_collect(StateDb *db, sqlite3_stmt *s, size_t row_size, sql_row_read_t read_row, sql_rows_free_t free_rows,
                void **ret, size_t *ret_n);

/* Statements without parameters (transaction control, pragmas, migrations). */
int sql_exec(StateDb *db, const char *sql);
/* BEGIN IMMEDIATE, as every write transaction here (state_db.c says why). */
int sql_begin(StateDb *db);
/* COMMIT; on failure the transaction is rolled back and the error returned. */
int sql_commit(StateDb *db);
/* Rolls back the open transaction, if any, and returns r. */
int sql_rollback(StateDb *db, int r);

/* The text of column i, or NULL for SQL NULL. */
int sql_column_strdup(sqlite3_stmt *s, int i, char **ret);
