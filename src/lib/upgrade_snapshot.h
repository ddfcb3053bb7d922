/* upgrade_snapshot.h — the pre-upgrade snapshot (DESIGN.md §1 "data is sacred",
 * §4 prepare): berth-prepare compares the app's manifest with the one recorded
 * when the app last started. When what runs against the app's data changed, the
 * data is snapshotted (a job of kind pre-upgrade, restic tag kind:pre-upgrade)
 * before any container of the changed manifest runs: containers are ordered
 * after prepare, so they are stopped then. The new manifest is recorded only
 * once that snapshot is saved: after a failed one the app does not start, and
 * its next start tries again. */
#pragma once

#include "app.h"
#include "backup.h"
#include "berth_conf.h"
#include "berth_paths.h"
#include "diag.h"

#define MANIFEST_DIGEST_SIZE 65 /* SHA-256 in hex, NUL-terminated */

/* SHA-256 (hex) of what runs against the app's data: the manifest merged with
 * its drop-ins, as parsed (comments, layout, quoting style aside from plain
 * and quoted, and the order of mapping keys do not count), without the keys
 * that change nothing there: name, description, enabled, backup, migrate. A
 * new version, image, command, environment, volume or secret is a change.
 * A file that cannot be read or parsed any more is an error (in diag). */
int manifest_digest(const App *a, char ret[static MANIFEST_DIGEST_SIZE], Diagnostics *diag);

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
