/* upgrade_snapshot.h — the pre-upgrade snapshot (DESIGN.md §1 "data is sacred",
 * §4 prepare): berth-prepare compares the app's manifest (its file and its
 * drop-ins, byte for byte) with the one recorded when the app last started.
 * When it changed, the app's data is snapshotted (a job of kind pre-upgrade,
 * restic tag kind:pre-upgrade) before any container of the changed manifest
 * runs: containers are ordered after prepare, so they are stopped then. The new
 * manifest is recorded only once that snapshot is saved: after a failed one the
 * app does not start, and its next start tries again. */
#pragma once

#include "app.h"
#include "backup.h"
#include "berth_conf.h"
#include "berth_paths.h"

#define MANIFEST_DIGEST_SIZE 65 /* SHA-256 in hex, NUL-terminated */

/* SHA-256 (hex) of the manifest file and its drop-ins, each preceded by its
 * length, in merge order. */
int manifest_digest(const App *a, char ret[static MANIFEST_DIGEST_SIZE]);

typedef enum UpgradeOutcome {
        UPGRADE_FIRST_START,       /* nothing recorded yet: the manifest is recorded */
        UPGRADE_UNCHANGED,
        UPGRADE_SNAPSHOT_SAVED,    /* changed: snapshot saved, the new manifest recorded */
        UPGRADE_SNAPSHOT_DISABLED, /* changed: backup.upgrade_snapshot is false in berth.conf */
        UPGRADE_SNAPSHOT_FAILED,   /* changed: the snapshot failed (error); the app must not start */
} UpgradeOutcome;

typedef struct UpgradeResult {
        UpgradeOutcome outcome;
        int64_t job_id;     /* the pre-upgrade job, 0 when none ran */
        char *snapshot_id;
        char *error;        /* one line, redacted */
} UpgradeResult;

void upgrade_result_done(UpgradeResult *r);

/* Compares, snapshots when needed (steps go to rep), records. Returns 0 with
 * *ret filled, or -errno (and ret->error) when the comparison itself could not
 * be made: the manifest or the state database unreadable. The caller holds the
 * app lock. */
int app_upgrade_check(const App *a, const BerthConf *conf, const BerthPaths *paths, const BackupReporter *rep,
                      UpgradeResult *ret);
