/* berth-backup APP — one backup job, run as berth-backup@APP.service (by the
 * app's timer or by `berth backup APP`). See backup.h for the flow.
 * Exit status: 0 succeeded (also with a warning, recorded on the job); 1 the
 * backup failed (the job row and the journal say why); 2 usage; 3 no such app,
 * masked, or its manifest is invalid. */

#include "app_lock.h"
#include "backup.h"
#include "backup_log.h"
#include "helper_util.h"
#include "berth_conf.h"
#include "log.h"
#include "app_current.h"
#include "metrics.h"
#include "stop_signals.h"
#include "systemd_client.h"

int main(int argc, char *argv[]) {
        _cleanup_(berth_conf_freep) BerthConf *conf = NULL;
        _cleanup_(app_freep) App *app = NULL;
        _cleanup_(state_db_closep) StateDb *db = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_close_ int lock = -EBADF;
        BerthPaths paths = {};
        ResticRepo repo = {};
        Diagnostics diag = {};
        BackupResult result = {};
        BackupLog progress;
        BackupReporter reporter = backup_log_reporter(&progress);
        char host[256], jobstr[32];
        int64_t job = 0;
        const char *id;
        int r, ret = 1;

        log_open("berth-backup");
        /* A stop of the unit (by hand, a timeout, shutdown): systemd sends SIGINT to
         * every process of the unit (KillSignal=SIGINT). restic and podman exec end at
         * once (restic removing its repository lock: it needs its stdout and stderr
         * open for that, so the helper must not die first); the helper blocks the
         * signal, and app_backup() sees it pending and ends the flow as after any
         * failure: nothing more started, the app started again (not waited for: its
         * start waits for this stop), the job recorded as failed. */
        stop_signals_block();
        if (argc != 2) {
                log_error("Usage: berth-backup APP");
                return 2;
        }
        id = argv[1];
        log_set_field("APP", id);
        log_set_field("PHASE", "backup");

        {
                _cleanup_free_ char *error = NULL;
                bool app_fault;
                r = app_load_current(SCOPE_SYSTEM, id, &conf, &app, &diag, &error, &app_fault);
                if (r < 0) {
                        log_diagnostics(LOG_ERR_LEVEL, &diag);
                        log_error("Cannot back up: %s", error ?: strerror(-r));
                        ret = app_fault ? 3 : 1;
                        goto out;
                }
        }
        if ((r = berth_paths_init(SCOPE_SYSTEM, &paths)) < 0) {
                log_errno(LOG_ERR_LEVEL, r, "Failed to determine berth's directories");
                goto out;
        }
        {
                _cleanup_free_ char *err = NULL;
                if ((r = restic_repo_from_conf(conf, &paths, &repo, &err)) < 0) {
                        log_error("Failed to set up the backup repository: %s", err ?: strerror(-r));
                        goto out;
                }
        }
        if (helper_state_db_open(&paths, &db) < 0 || (lock = helper_app_lock(&paths, id)) < 0)
                goto out;
        /* Holding the lock exclusively, no other backup of this app runs. */
        backup_close_interrupted_jobs(db, id, BACKUP_SCHEDULED, &reporter);
        r = state_db_job_begin(db, id, "backup", getenv("INVOCATION_ID"), &job);
        if (r < 0) {
                log_errno(LOG_ERR_LEVEL, r, "Failed to record the job in the state database");
                goto out;
        }
        snprintf(jobstr, sizeof(jobstr), "%lld", (long long) job);
        log_set_field("JOB", jobstr);
        if (gethostname(host, sizeof(host)) < 0)
                snprintf(host, sizeof(host), "localhost");
        host[sizeof(host) - 1] = 0;
        r = systemd_bus_open(false, &bus);
        if (r < 0 && app->backup.quiesce == QUIESCE_STOP)
                log_errno(LOG_WARNING_LEVEL, r, "Failed to connect to systemd; the quiesced backup will fail");

        {
                _cleanup_free_ char *shown = restic_redact(repo.repository);
                log_info("Backup job %lld of app '%s' to %s started", (long long) job, id, strempty(shown));
        }
        BackupContext ctx = {
                .app = app, .paths = &paths, .conf = conf, .repo = &repo, .db = db, .bus = bus,
                .lock_fd = lock, .job_id = job, .host = host, .reporter = &reporter,
        };
        r = app_backup(&ctx, &result);
        backup_log_flush(&progress);
        if (r < 0) {
                log_errno(LOG_ERR_LEVEL, r, "Backup of app '%s' aborted", id);
                (void) state_db_job_finish(db, job, JOB_FAILED, 1, NULL, "out of memory", NULL);
                goto out;
        }
        int sig = stop_signal_pending();
        if (sig)
                log_warning("Stopped by %s while the backup ran", strsignal(sig));
        ret = result.status == JOB_FAILED ? 1 : 0;
        r = state_db_job_finish(db, job, result.status, ret, result.stats_json, result.error, result.snapshot_id);
        if (r < 0)
                log_errno(LOG_WARNING_LEVEL, r, "Failed to record the end of job %lld, ignoring", (long long) job);
        if (result.status == JOB_FAILED)
                log_error("Backup of app '%s' failed: %s", id, strempty(result.error));
        else if (result.status == JOB_WARNING)
                log_warning("Backup of app '%s' finished with a warning: %s", id, strempty(result.error));
        else
                log_info("Backup of app '%s' succeeded: snapshot %s", id, strempty(result.snapshot_id));
        r = metrics_write(db, conf->metrics_textfile ?: metrics_default_path());
        if (r < 0)
                log_errno(LOG_WARNING_LEVEL, r, "Failed to write the metrics file, ignoring");
out:
        backup_result_done(&result);
        restic_repo_done(&repo);
        diag_clear(&diag);
        berth_paths_done(&paths);
        log_close();
        return ret;
}
