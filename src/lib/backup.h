/* backup.h — one backup job of one app (DESIGN.md §5, issue 4): pre hooks →
 * quiesce → restic backup → app started again → post hooks (always, with the
 * job's status) → retention → prune on its cadence → snapshot cache. The caller
 * holds the app lock exclusively and has begun the job row; this downgrades the
 * lock before the app is started again. Progress and steps are reported
 * through the reporter; nothing here logs. */
#pragma once

#include <systemd/sd-bus.h>

#include "app.h"
#include "berth_conf.h"
#include "berth_paths.h"
#include "restic.h"
#include "state_db.h"

typedef struct BackupReporter {
        void (*step)(void *userdata, int level, const char *message);
        void (*progress)(void *userdata, const ResticProgress *p);
        /* The job a flow began itself (backup_safety_snapshot()), before its
         * first step: for the JOB= field of what is logged from then on. */
        void (*job)(void *userdata, int64_t job_id);
        void *userdata;
} BackupReporter;

/* One formatted line to the reporter's step callback (rep may be NULL). */
void reporter_step(const BackupReporter *rep, int level, const char *fmt, ...) _printf_(3, 4);

/* What a job of this flow is. A pre-upgrade snapshot (berth-prepare, when the
 * manifest changed) is the app's data as it is, before the changed manifest
 * first runs; a pre-purge one (berth uninstall --purge) before it is deleted.
 * The app's containers are stopped then, so these have no hooks, no quiesce
 * and no retention of their own; restic tags them kind:pre-upgrade and
 * kind:pre-purge. */
typedef enum BackupKind {
        BACKUP_SCHEDULED,     /* "backup": the timer's or `berth backup` */
        BACKUP_PRE_UPGRADE,   /* "pre-upgrade" */
        BACKUP_PRE_PURGE,     /* "pre-purge": berth uninstall --purge */
} BackupKind;

/* The job kind (state database, restic's kind: tag). */
const char *backup_kind_to_string(BackupKind k);

typedef struct BackupContext {
        const App *app;
        const BerthPaths *paths;
        const BerthConf *conf;
        const ResticRepo *repo;
        StateDb *db;
        sd_bus *bus;         /* for quiesce; NULL: quiesce impossible → job fails if asked */
        int lock_fd;         /* held exclusively; downgraded here */
        int64_t job_id;
        const char *host;
        const BackupReporter *reporter;
        BackupKind kind;
} BackupContext;

typedef struct BackupResult {
        JobStatus status;
        char *error;       /* one line, redacted; NULL on success */
        char *snapshot_id;
        char *stats_json;
} BackupResult;

void backup_result_done(BackupResult *r);

/* Always fills *ret (status FAILED with an error on failure); returns 0, or
 * -ENOMEM. */
int app_backup(const BackupContext *ctx, BackupResult *ret);

/* A snapshot of a stopped app before a change that cannot be undone (kind
 * BACKUP_PRE_UPGRADE or BACKUP_PRE_PURGE), as a job of that kind: the job
 * recorded, the backup flow run, its end recorded (the caller closes the
 * interrupted jobs of that kind first: backup_close_interrupted_jobs()).
 * Returns 0 with *ret_job_id (0 when no job could be begun), *ret_snapshot_id
 * when saved, and *ret_error: why it failed, or (with a snapshot) what it warns
 * of (files that could not be read); -ENOMEM. A pre-upgrade snapshot waits for
 * a repository locked by another operation until it is free or the caller is
 * stopped, however long: the app it holds back stays down otherwise. */
int backup_safety_snapshot(const App *a, const BerthConf *conf, const BerthPaths *paths, StateDb *db, BackupKind kind,
                           const BackupReporter *rep, int64_t *ret_job_id, char **ret_snapshot_id, char **ret_error);

/* Jobs of this kind of the app still "running" lost their process (killed at
 * the end of a stop timeout, a power cut): recorded as failed, each reported
 * through rep, so that they do not stay running for ever in the history. The
 * caller makes sure no job of that kind of the app runs: the backup and
 * uninstall helpers hold the app's lock exclusively, and systemd runs one
 * prepare service of an app at a time. */
void backup_close_interrupted_jobs(StateDb *db, const char *app, BackupKind kind, const BackupReporter *rep);

/* The paths a backup of the app covers: its volumes with backup: true, its
 * secrets directory, and the snapshot index (written by app_backup). */
int backup_paths(const App *a, const BerthPaths *p, char ***ret);
/* <state>/apps/<id>/snapshot-index.json: which snapshot path holds which
 * volume, so a restore on another host can map them to the current manifest. */
char *backup_index_path(const BerthPaths *p, const char *app_id);
