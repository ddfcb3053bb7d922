/* berth-uninstall [--user] [--purge] APP — what `berth uninstall` runs (DESIGN.md
 * §4): the app stopped, every unit of it waited for; with --purge, a snapshot
 * of its data (kind pre-purge) saved; its manifest taken out of the search
 * path (removed, or masked when it comes from /usr) and systemd reloaded, so
 * that its units are gone; its podman network and secrets removed (prepare
 * makes them again). Data and secret files stay, unless --purge: then the
 * app's directory and secrets go, after the snapshot. Each step is done only
 * when the one before it succeeded; a failure before the manifest is gone
 * starts the app again if it ran. Holds the app's lock exclusively.
 * Exit status: 0 uninstalled; 1 a step failed (the message names it, and what
 * was done); 2 usage (also: not an app id); 3 no such app, masked, or its
 * manifest is invalid. */
#include <getopt.h>

#include "app_control.h"
#include "app_current.h"
#include "app_lock.h"
#include "backup.h"
#include "backup_log.h"
#include "berth_conf.h"
#include "berth_paths.h"
#include "fs_util.h"
#include "helper_util.h"
#include "log.h"
#include "podman_cli.h"
#include "state_db.h"
#include "stop_signals.h"
#include "strv.h"
#include "systemd_client.h"
#include "unit_names.h"

#define STOP_TIMEOUT (10 * 60 * USEC_PER_SEC)

/* The snapshot before the purge; 0 when saved. */
static int snapshot_before_purge(const App *app, const BerthConf *conf, const BerthPaths *paths, StateDb *db) {
        _cleanup_free_ char *snapshot = NULL, *error = NULL;
        BackupLog progress;
        BackupReporter reporter = backup_log_reporter(&progress);
        int64_t job = 0;
        int r;

        /* The lock is held exclusively: a pre-purge job still running is a dead one. */
        backup_close_interrupted_jobs(db, app->id, BACKUP_PRE_PURGE, &reporter);
        r = backup_safety_snapshot(app, conf, paths, db, BACKUP_PRE_PURGE, &reporter, &job, &snapshot, &error);
        backup_log_flush(&progress);
        if (r < 0)
                return log_errno(LOG_ERR_LEVEL, r, "Pre-purge snapshot of app '%s' failed", app->id);
        if (!snapshot) {
                log_error("Not purging app '%s': its pre-purge snapshot (job %lld) failed: %s", app->id, (long long) job,
                          strempty(error));
                return -EIO;
        }
        if (error)
                log_warning("Pre-purge snapshot %s of app '%s' saved (job %lld) with a warning: %s", snapshot, app->id,
                            (long long) job, error);
        else
                log_info("Pre-purge snapshot %s of app '%s' saved (job %lld)", snapshot, app->id, (long long) job);
        return 0;
}

/* The podman objects prepare makes: made again when the app is installed again. */
static void remove_podman_objects(const App *app) {
        _cleanup_free_ char *network = berth_network_name(app->id);
        int r;

        for (size_t i = 0; i < app->n_secrets; i++) {
                _cleanup_free_ char *name = berth_podman_secret_name(app->id, app->secrets[i].name);
                if (!name) {
                        log_errno(LOG_WARNING_LEVEL, -ENOMEM, "Failed to remove the podman secrets of app '%s', ignoring", app->id);
                        return;
                }
                r = podman_object_remove("secret", name);
                if (r < 0)
                        log_errno(LOG_WARNING_LEVEL, r, "Failed to remove podman secret '%s', ignoring", name);
        }
        if (!network) {
                log_errno(LOG_WARNING_LEVEL, -ENOMEM, "Failed to remove the podman network of app '%s', ignoring", app->id);
                return;
        }
        r = podman_object_remove("network", network);
        if (r < 0)
                log_errno(LOG_WARNING_LEVEL, r, "Failed to remove podman network '%s', ignoring", network);
}

/* The app's files: its directory (volumes without path:, the snapshot index)
 * and its secrets. Volumes with path: are the administrator's directories and
 * stay, named. */
static int purge_files(const App *app, const BerthPaths *paths, StateDb *db) {
        _cleanup_free_ char *dir = berth_app_dir(paths, app->id), *secrets = berth_secret_dir(paths, app->id);
        int r;

        if (!dir || !secrets)
                return log_errno(LOG_ERR_LEVEL, -ENOMEM, "Failed to purge app '%s'", app->id);
        const char *const gone[] = { dir, secrets };
        for (size_t i = 0; i < ELEMENTSOF(gone); i++) {
                r = rm_rf(gone[i]);
                if (r < 0 && r != -ENOENT)
                        return log_errno(LOG_ERR_LEVEL, r, "Failed to remove '%s' (what is left of it stays)", gone[i]);
                log_info("Removed %s", gone[i]);
        }
        for (size_t i = 0; i < app->n_volumes; i++)
                if (app->volumes[i].path)
                        log_info("Volume '%s' is the host directory %s: left in place", app->volumes[i].name,
                                   app->volumes[i].path);
        /* Nothing of it left: a later install of the app is a first start. */
        r = state_db_manifest_hash_remove(db, app->id);
        if (r < 0)
                log_errno(LOG_WARNING_LEVEL, r, "Failed to forget the recorded manifest of app '%s', ignoring", app->id);
        return 0;
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "user", no_argument, NULL, 'u' },
                { "purge", no_argument, NULL, 'p' },
                {},
        };
        _cleanup_(berth_conf_freep) BerthConf *conf = NULL;
        _cleanup_(app_freep) App *app = NULL;
        _cleanup_(state_db_closep) StateDb *db = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_strv_free_ char **dirs = NULL;
        _cleanup_free_ char *failed = NULL, *removed = NULL, *mask = NULL, *target = NULL;
        _cleanup_close_ int lock = -EBADF;
        BerthScope scope = SCOPE_SYSTEM;
        BerthPaths paths = {};
        Diagnostics diag = {};
        bool purge = false, was_running = true;
        const char *id;
        int c, r, ret = 1;

        log_open("berth-uninstall");
        /* A Ctrl-C reaches restic, which ends and removes its repository lock,
         * and the snapshot job is recorded as failed; pending, it stops the
         * uninstall before anything is removed. */
        stop_signals_block();
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'u':
                        scope = SCOPE_USER;
                        break;
                case 'p':
                        purge = true;
                        break;
                default:
                        log_error("Usage: berth-uninstall [--user] [--purge] APP");
                        return 2;
                }
        if (optind != argc - 1) {
                log_error("Usage: berth-uninstall [--user] [--purge] APP");
                return 2;
        }
        id = argv[optind];
        if (!app_id_valid(id)) {
                log_error("'%s' is not an app id, expected lowercase letters, digits and dashes, like 'immich'", id);
                return 2;
        }
        log_set_field("APP", id);
        log_set_field("PHASE", "uninstall");
        if (purge && scope == SCOPE_USER) {
                log_error("--purge needs a snapshot of the app first, and backups are for system apps: "
                          "uninstall without --purge, then remove ~/.local/share/berth/apps/%s and its secrets by hand", id);
                return 2;
        }

        {
                _cleanup_free_ char *error = NULL;
                bool app_fault;
                r = app_load_current(scope, id, &conf, &app, &diag, &error, &app_fault);
                if (r < 0) {
                        log_diagnostics(LOG_ERR_LEVEL, &diag);
                        if (r == -EINVAL && app_fault)
                                log_error("Cannot uninstall app '%s': its manifest is invalid (see above), so its units are "
                                          "not known; fix it and run 'systemctl daemon-reload' first", id);
                        else
                                log_error("Cannot uninstall: %s", error ?: strerror(-r));
                        ret = app_fault ? 3 : 1;
                        goto out;
                }
        }
        if ((r = berth_paths_init(scope, &paths)) < 0 || (r = app_search_dirs(scope, &dirs)) < 0) {
                log_errno(LOG_ERR_LEVEL, r, "Failed to determine berth's directories");
                goto out;
        }
        if (!(target = unit_name_target(id))) {
                log_errno(LOG_ERR_LEVEL, -ENOMEM, "Failed to uninstall app '%s'", id);
                goto out;
        }
        if ((purge && helper_state_db_open(&paths, &db) < 0) || (lock = helper_app_lock(&paths, id)) < 0)
                goto out;
        r = systemd_bus_open(scope == SCOPE_USER, &bus);
        if (r < 0) {
                log_errno(LOG_ERR_LEVEL, r, "Failed to connect to systemd");
                goto out;
        }

        /* 1. Stopped, all of it (systemctl stop of the target alone returns early). */
        was_running = app_is_running(bus, app) != 0;
        log_info("Stopping app '%s'", id);
        r = app_stop_wait(bus, app, STOP_TIMEOUT, &failed);
        if (r < 0 || failed) {
                log_error("Failed to stop app '%s' (%s); nothing else done", id, r < 0 ? strerror(-r) : failed);
                goto restart;
        }

        /* 2. The safety net, while the manifest still says what the data is. */
        if (purge && snapshot_before_purge(app, conf, &paths, db) < 0)
                goto restart;
        if (stop_signal_pending()) {
                log_error("Interrupted: app '%s' is not uninstalled, nothing was removed", id);
                goto restart;
        }

        /* 3. Out of the search path, and out of systemd. */
        r = app_source_uninstall(dirs, id, &removed, &mask);
        if (r < 0) {
                log_errno(LOG_ERR_LEVEL, r, "Failed to take the manifest of app '%s' out of the search path; nothing removed", id);
                goto restart;
        }
        if (removed)
                log_info("Removed %s", removed);
        if (mask)
                log_info("Masked: %s -> /dev/null (the manifest under /usr stays; remove the mask to install it again)", mask);
        STRV_FOREACH(d, app->dropin_paths)
                log_info("Drop-in %s stays: it applies again if the app is installed again", *d);
        r = systemd_daemon_reload(bus);
        if (r < 0) {
                log_errno(LOG_ERR_LEVEL, r, "Failed to reload systemd: the units of app '%s' stay until 'systemctl daemon-reload'", id);
                goto out;
        }
        remove_podman_objects(app);

        /* 4. The data, when asked: it is in the snapshot. */
        if (purge && purge_files(app, &paths, db) < 0)
                goto out;
        log_info("Uninstalled app '%s'%s", id, purge ? ", its data and secrets purged" : "; its data and secrets stay");
        ret = 0;
        goto out;

restart:
        if (was_running) {
                _cleanup_free_ char *result = NULL;
                log_info("Starting app '%s' again", id);
                r = systemd_unit_job(bus, "StartUnit", target, false, 0, &result);
                if (r < 0)
                        log_errno(LOG_ERR_LEVEL, r, "Failed to start %s again", target);
        }
out:
        diag_clear(&diag);
        berth_paths_done(&paths);
        log_close();
        return ret;
}
