/* berth-prepare [--user] APP — run by berth-<id>-prepare.service before the
 * app's containers: directories, secrets, network (see prepare.h), and (system
 * apps) the pre-upgrade snapshot when the manifest changed (upgrade_snapshot.h).
 * Exit status: 0 prepared; 1 a step failed (the message names it), among them
 * a failed pre-upgrade snapshot; 2 usage; 3 no such app, masked, or its
 * manifest is invalid. */
#include "app_current.h"
#include "app_lock.h"
#include "backup_log.h"
#include "berth_conf.h"
#include "log.h"
#include "prepare.h"
#include "upgrade_snapshot.h"

/* Logs what the comparison found; returns 0 when the app may start. */
static int check_upgrade(const App *app, const BerthConf *conf, const BerthPaths *paths) {
        _cleanup_(upgrade_result_done) UpgradeResult up = {};
        BackupLog progress;
        BackupReporter reporter = backup_log_reporter(&progress);
        int r;

        r = app_upgrade_check(app, conf, paths, &reporter, &up);
        backup_log_flush(&progress);
        if (r < 0) {
                log_error("Cannot tell whether the manifest of app '%s' changed: %s", app->id, up.error ?: strerror(-r));
                return r;
        }
        switch (up.outcome) {
        case UPGRADE_FIRST_START:
                log_info("Recorded the manifest of app '%s' (its first start here)", app->id);
                return 0;
        case UPGRADE_UNCHANGED:
                return 0;
        case UPGRADE_SNAPSHOT_SAVED:
                log_info("Pre-upgrade snapshot %s of app '%s' saved (job %lld); the changed manifest is recorded",
                         strempty(up.snapshot_id), app->id, (long long) up.job_id);
                return 0;
        case UPGRADE_SNAPSHOT_DISABLED:
                log_warning("The manifest of app '%s' changed; no pre-upgrade snapshot (backup.upgrade_snapshot is false in %s)",
                            app->id, conf->path ?: berth_conf_path());
                return 0;
        case UPGRADE_SNAPSHOT_FAILED:
        default:
                log_error("Not starting app '%s': its manifest changed since it last started, and the pre-upgrade snapshot (job %lld) failed: %s. "
                          "Fix the backup repository and restart the app (systemctl restart berth-%s.target), or set backup.upgrade_snapshot: false in %s to start it without one",
                          app->id, (long long) up.job_id, strempty(up.error), app->id, berth_conf_path());
                return -EIO;
        }
}

int main(int argc, char *argv[]) {
        _cleanup_(berth_conf_freep) BerthConf *conf = NULL;
        _cleanup_(app_freep) App *app = NULL;
        _cleanup_close_ int lock = -EBADF;
        BerthScope scope = SCOPE_SYSTEM;
        BerthPaths paths = {};
        PrepareReport rep = {};
        Diagnostics diag = {};
        const char *id;
        int r, ret = 1;

        log_open("berth-prepare", false);
        if (argc == 3 && streq(argv[1], "--user"))
                scope = SCOPE_USER;
        else if (argc != 2) {
                log_error("Usage: berth-prepare [--user] APP");
                return 2;
        }
        id = argv[argc - 1];
        log_set_field("APP", id);
        log_set_field("PHASE", "prepare");

        {
                _cleanup_free_ char *error = NULL;
                bool app_fault;
                r = app_load_current(scope, id, &conf, &app, &diag, &error, &app_fault);
                if (r < 0) {
                        log_diagnostics(LOG_ERR_LEVEL, &diag);
                        log_error("Cannot prepare: %s", error ?: strerror(-r));
                        ret = app_fault ? 3 : 1;
                        goto out;
                }
        }
        r = berth_paths_init(scope, &paths);
        if (r < 0) {
                log_errno(LOG_ERR_LEVEL, r, "Failed to determine berth's directories");
                goto out;
        }
        lock = app_lock_take(&paths, id, APP_LOCK_SHARED, true);
        if (lock < 0) {
                log_errno(LOG_ERR_LEVEL, lock, "Failed to take the lock of app '%s'", id);
                goto out;
        }
        r = app_prepare(app, &paths, &rep, &diag);
        if (r < 0) {
                log_diagnostics(LOG_ERR_LEVEL, &diag);
                log_error("Failed to prepare app '%s'", id);
                goto out;
        }
        log_info("Prepared app '%s': %zu volume%s (%u fixed), %zu secret%s (%u generated, %u handed to podman), network berth-%s%s",
                 id, app->n_volumes, app->n_volumes == 1 ? "" : "s", rep.volumes_changed, app->n_secrets,
                 app->n_secrets == 1 ? "" : "s", rep.secrets_created, rep.podman_secrets_updated, id,
                 rep.network_created ? " (created)" : "");
        /* After the directories (the snapshot reads them), before any container:
         * they are ordered after this unit. Backups are for system apps. */
        if (scope == SCOPE_SYSTEM && check_upgrade(app, conf, &paths) < 0)
                goto out;
        ret = 0;
out:
        diag_clear(&diag);
        berth_paths_done(&paths);
        log_close();
        return ret;
}
