/* upgrade_snapshot.h — the pre-upgrade snapshot (DESIGN.md §1 "data is sacred",
 * §4 prepare): berth-prepare compares the app's manifest with the one recorded
 * when the app last started. When what runs against the app's data changed, the
 * data is snapshotted (a job of kind pre-upgrade, restic tag kind:pre-upgrade)
 * before any container of the changed manifest runs: containers are ordered
 * after prepare, so they are stopped then (prepare's own steps ran already:
 * volume directories exist with the new owners and modes, new secrets are
 * generated). The new manifest is recorded only once that snapshot is saved:
 * after a failed one the app does not start, and its next start tries again. */
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

/* "Changed" below is also: nothing recorded, but a volume the app backs up
 * holds data (berth was upgraded to one that records, the state database was
 * lost, the data was restored or moved in). */
typedef enum UpgradeOutcome {
        UPGRADE_FIRST_START,       /* nothing recorded, no data: the manifest is recorded */
        UPGRADE_UNCHANGED,
        UPGRADE_SNAPSHOT_SAVED,    /* changed: snapshot saved, the new manifest recorded */
        UPGRADE_SNAPSHOT_DISABLED, /* changed: backup.upgrade_snapshot is false in berth.conf */
        UPGRADE_SNAPSHOT_FAILED,   /* changed: the snapshot failed (error); the app must not start */
        UPGRADE_UNITS_STALE,       /* changed, but systemd still has the units of the old manifest
                                    * (no daemon-reload since): the app must not start */
} UpgradeOutcome;

typedef struct UpgradeResult {
        UpgradeOutcome outcome;
        int64_t job_id;     /* the pre-upgrade job, 0 when none ran */
        char *snapshot_id;
        char *error;        /* one line, redacted: why it failed, or (saved) what it warns of */
} UpgradeResult;

void upgrade_result_done(UpgradeResult *r);

/* Compares, snapshots when needed (steps go to rep), records. units_stale
 * (may be NULL), asked only when there is a change: whether systemd reports
 * that the app's units need a daemon-reload (their manifest changed on disk
 * since they were generated); the change is then neither snapshotted nor
 * recorded, since what would run is the old manifest. Returns
 * 0 with *ret filled, or -errno (and ret->error) when the comparison itself
 * could not be made: the manifest or the state database unreadable. The caller
 * holds the app lock. */
int app_upgrade_check(const App *a, const BerthConf *conf, const BerthPaths *paths, bool (*units_stale)(const App *a),
                      const BackupReporter *rep, UpgradeResult *ret);
