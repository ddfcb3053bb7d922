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
#include "stop_signals.h"
#include "systemd_client.h"
#include "unit_names.h"
#include "upgrade_snapshot.h"

/* Whether systemd has the app's units of an older manifest: the manifest
 * (their SourcePath=) changed on disk since the last daemon-reload. Run by
 * hand, outside the service, it cannot be asked: then not. */
static bool units_stale(const App *app) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *unit = unit_name_prepare(app->id);
        int r;

        if (!unit || !getenv("INVOCATION_ID") || systemd_bus_open(false, &bus) < 0)
                return false;
        r = systemd_unit_needs_reload(bus, unit);
        if (r < 0)
                log_errno(LOG_WARNING_LEVEL, r, "Failed to ask systemd whether %s is current, assuming it is", unit);
        return r > 0;
}

/* Logs what the comparison found; returns 0 when the app may start. */
static int check_upgrade(const App *app, const BerthConf *conf, const BerthPaths *paths) {
        _cleanup_(upgrade_result_done) UpgradeResult up = {};
        _cleanup_free_ char *job = NULL;
        const char *conf_path = conf->path ?: berth_conf_path();
        BackupLog progress;
        BackupReporter reporter = backup_log_reporter(&progress);
        int r;

        r = app_upgrade_check(app, conf, paths, units_stale, &reporter, &up);
        backup_log_flush(&progress);
        if (r < 0) {
                log_error("Cannot check app '%s' for a pre-upgrade snapshot: %s", app->id, up.error ?: strerror(-r));
                return r;
        }
        if (up.job_id > 0 && !(job = strprintf(" (job %lld)", (long long) up.job_id)))
                return log_errno(LOG_ERR_LEVEL, -ENOMEM, "Failed to prepare app '%s'", app->id);
        switch (up.outcome) {
        case UPGRADE_FIRST_START:
                log_info("Recorded the manifest of app '%s' (its first start here)", app->id);
                return 0;
        case UPGRADE_UNCHANGED:
                return 0;
        case UPGRADE_SNAPSHOT_SAVED:
                if (up.error)
                        log_warning("Pre-upgrade snapshot %s of app '%s' saved%s with a warning: %s", strempty(up.snapshot_id),
                                    app->id, strempty(job), up.error);
                else
                        log_info("Pre-upgrade snapshot %s of app '%s' saved%s; the changed manifest is recorded",
                                 strempty(up.snapshot_id), app->id, strempty(job));
                return 0;
        case UPGRADE_SNAPSHOT_DISABLED:
                log_warning("App '%s' starts without a pre-upgrade snapshot: backup.upgrade_snapshot is false in %s",
                            app->id, conf_path);
                return 0;
        case UPGRADE_UNITS_STALE:
                log_error("Not starting app '%s': its manifest changed on disk after the last 'systemctl daemon-reload', so its "
                          "units are those of the old one. Run 'systemctl daemon-reload', then restart the app "
                          "(systemctl restart berth-%s.target)", app->id, app->id);
                return -ESTALE;
        case UPGRADE_SNAPSHOT_FAILED:
        default:
                log_error("Not starting app '%s': it needs a pre-upgrade snapshot, and the snapshot%s failed: %s. "
                          "Fix the backup repository and restart the app (systemctl restart berth-%s.target), or set backup.upgrade_snapshot: false in %s to start it without one",
                          app->id, strempty(job), strempty(up.error), app->id, conf_path);
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

        log_open("berth-prepare");
        /* A stop while a pre-upgrade snapshot runs (systemd sends
         * KillSignal=SIGINT): restic ends, removing its repository lock, and
         * this lives on to record the job as failed. */
        stop_signals_block();
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
