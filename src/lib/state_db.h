/* state_db.h — /var/lib/berth/berth.db (<state_dir>/berth.db): berth's
 * history, never its truth (DESIGN.md §7). SQLite in WAL mode with a busy
 * timeout, so helpers of different apps write concurrently; the schema version
 * lives in PRAGMA user_version and migrations only ever add. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "app.h"
#include "snapshot.h"

typedef struct StateDb StateDb;

typedef enum JobStatus {
        JOB_RUNNING,
        JOB_SUCCEEDED,
        JOB_WARNING,   /* finished, with something to look at (e.g. unreadable files) */
        JOB_FAILED,
        _JOB_STATUS_MAX,
} JobStatus;

typedef struct Job {
        int64_t id;
        char *app;
        char *kind;          /* "backup", "restore", "migrate", "recover" */
        JobStatus status;
        usec_t started_at;   /* realtime, microseconds since the epoch */
        usec_t finished_at;  /* 0 while running */
        int exit_code;
        char *stats_json;    /* NULL or a JSON object */
        char *error;         /* NULL or a one-line message (credentials redacted by the caller) */
        char *invocation_id; /* systemd's $INVOCATION_ID of the helper's unit, or NULL */
        char *snapshot_id;   /* snapshot written (backup) or read (restore), or NULL */
} Job;

const char *job_status_to_string(JobStatus s);
int job_status_from_string(const char *s);
void job_done(Job *j);
void jobs_free(Job *j, size_t n);

/* Opens (creating the file 0640 and migrating the schema when writable).
 * Errors: -EPROTO if the file's schema is newer than this code (never
 * downgraded); read-only: -ENOENT if the file is missing, -ESTALE if its schema
 * is older (a reader never migrates; the next writable open does), -EACCES if
 * it may not read the file and its -wal/-shm (writers keep those two files, so
 * a reader needs no write access to the directory); writable: -EACCES if the
 * file may not be written (never silently opened read-only). Elsewhere:
 * -EBUSY once the 10 s busy timeout has passed, -EEXIST on a uniqueness
 * conflict, -EROFS on a write through a read-only handle, -EBADMSG on a
 * corrupt file, -ENOENT for an unknown row. */
int state_db_open(const char *path, bool read_only, StateDb **ret);
StateDb *state_db_close(StateDb *db);
DEFINE_TRIVIAL_CLEANUP_FUNC(StateDb *, state_db_close)
/* <state_dir>/berth.db */
char *state_db_path(const char *state_dir);

int state_db_job_begin(StateDb *db, const char *app, const char *kind, const char *invocation_id, int64_t *ret_id);
/* Records the result once: status is not JOB_RUNNING; stats_json NULL or a
 * JSON object (-EINVAL otherwise); -ENOENT for an unknown job, -EALREADY if it
 * was finished before. */
int state_db_job_finish(StateDb *db, int64_t id, JobStatus status, int exit_code, const char *stats_json,
                        const char *error, const char *snapshot_id);
int state_db_job_get(StateDb *db, int64_t id, Job *ret);
/* Newest first; app NULL: all apps; limit 0: no limit. */
int state_db_jobs_list(StateDb *db, const char *app, unsigned limit, Job **ret, size_t *ret_n);
/* The newest job of app and kind (any kind when kind is NULL; any status when
 * status < 0); -ENOENT if none. */
int state_db_job_last(StateDb *db, const char *app, const char *kind, int status, Job *ret);

/* Replaces the cached snapshots of app with this list, in one transaction.
 * Each snapshot's app must be NULL or app (-EINVAL); a duplicate id: -EEXIST. */
int state_db_snapshots_replace(StateDb *db, const char *app, const SnapshotInfo *s, size_t n);
/* Oldest first. */
int state_db_snapshots_list(StateDb *db, const char *app, SnapshotInfo **ret, size_t *ret_n);

int state_db_meta_get(StateDb *db, const char *key, char **ret);   /* -ENOENT if unset */
int state_db_meta_set(StateDb *db, const char *key, const char *value);

/* Apps with any job, sorted. */
int state_db_apps(StateDb *db, char ***ret);

/* The manifest each app was last applied from: sha256 as 64 lowercase hex
 * digits (-EINVAL otherwise); applied_at is the time of the set. Either output
 * may be NULL; -ENOENT if none recorded. */
int state_db_manifest_hash_get(StateDb *db, const char *app, char **ret_sha256, usec_t *ret_applied_at);
int state_db_manifest_hash_set(StateDb *db, const char *app, const char *sha256);
/* Forgets the app's manifest (its data was purged): its next start is a first one. */
int state_db_manifest_hash_remove(StateDb *db, const char *app);
