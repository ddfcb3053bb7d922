/* restore.h — restoring an app from a snapshot (DESIGN.md §5, issue 5), in
 * numbered steps:
 *   1 pre-flight: targets from the current manifest, the snapshot exists and
 *     is this app's, its index maps every target volume, free space, no
 *     unfinished journal                (the caller holds the app lock)
 *   2 journal STAGING written
 *   3 snapshot restored into staging directories beside each volume, synced —
 *     while the app still runs
 *   4 app stopped
 *   5 pre-restore snapshot of the volumes being replaced (tag kind:pre-restore)
 *   6 journal PREPARED written (inodes of old and new)
 *   7 first volume swapped              8 every volume swapped
 *   9 journal COMMITTED written        10 app started again (if it was running)
 *  11 old data removed                 12 journal removed
 * A crash anywhere is finished or undone by swap_journal_recover(). Before
 * step 6 nothing live has changed. */
#pragma once

#include <systemd/sd-bus.h>

#include "app.h"
#include "backup.h"
#include "berth_conf.h"
#include "berth_paths.h"
#include "restic.h"
#include "state_db.h"

#define RESTORE_STEPS 12

typedef enum RestoreError {
        RESTORE_OK,
        RESTORE_FAILED,          /* a step failed; nothing live changed, or it was rolled back */
        RESTORE_BAD_REQUEST,     /* unknown/other app's snapshot, volumes not matching the manifest */
        RESTORE_NO_SPACE,
        RESTORE_LOCKED,          /* another operation holds the app (the caller reports it) */
        RESTORE_REPOSITORY,      /* repository unreachable, wrong password */
        RESTORE_NEEDS_RECOVERY,  /* an unfinished journal exists: run berth recover */
} RestoreError;

typedef struct RestoreRequest {
        const char *snapshot;    /* id (or unique prefix), or "latest" */
        char **volumes;          /* NULL: every volume with backup: true */
} RestoreRequest;

typedef struct RestoreContext {
        const App *app;
        const BerthPaths *paths;
        const BerthConf *conf;
        const ResticRepo *repo;
        StateDb *db;
        sd_bus *bus;
        int lock_fd;             /* exclusive; downgraded before the app starts again */
        int64_t job_id;
        const char *host;
        const BackupReporter *reporter;
        /* Test knobs (BERTH_RESTORE_FAULT, BERTH_RESTORE_FALLBACK): called after
         * each numbered step; after each rename of the fallback swap. */
        void (*after_step)(void *userdata, unsigned step);
        bool force_fallback;
        void (*after_rename)(void *userdata, unsigned n);
        void *test_userdata;
} RestoreContext;

typedef struct RestoreResult {
        RestoreError error_kind;
        char *error;             /* one line, redacted */
        char *snapshot_id;       /* the snapshot restored */
        char *pre_restore_id;    /* the safety snapshot taken */
        usec_t downtime;         /* stop requested → start job done */
        bool fallback;           /* two renames instead of RENAME_EXCHANGE */
} RestoreResult;

void restore_result_done(RestoreResult *r);
int app_restore(const RestoreContext *c, const RestoreRequest *req, RestoreResult *ret);
