/* berth-restore APP SNAPSHOT|latest [--volume NAME]... — restores an app from
 * a snapshot (restore.h has the steps); started as a transient unit by
 * `berth restore`. A crash at any instant is finished or undone by
 * berth-recover.
 * Test knobs: BERTH_RESTORE_FAULT=N kills this process (SIGKILL) right after
 * step N (1-12), or after the K-th rename of the fallback swap with N=r1..r3;
 * BERTH_RESTORE_FALLBACK=1 swaps with two renames instead of RENAME_EXCHANGE.
 * Exit status: 0 restored; 1 failed, nothing changed (or rolled back);
 * 2 usage; 3 no such app, masked, or its manifest is invalid; 4 bad request
 * (snapshot unknown or another app's, volumes not matching the manifest);
 * 5 not enough space; 6 the app is busy (its lock is held); 7 the repository
 * cannot be used; 8 an unfinished restore needs `berth recover` first. */
#include <getopt.h>
#include <signal.h>

#include "app_lock.h"
#include "berth_conf.h"
#include "log.h"
#include "app_current.h"
#include "restore.h"
#include "strv.h"
#include "systemd_client.h"

static unsigned fault_step;
static unsigned fault_rename;

static void on_step(void *userdata, int level, const char *message) {
        log_msg(level, "%s", message);
}

static void after_step(void *userdata, unsigned n) {
        char buf[8];
        snprintf(buf, sizeof(buf), "%u", n);
        log_set_field("STEP", buf);
        if (n == fault_step) {
                log_warning("Test knob BERTH_RESTORE_FAULT=%u: killing myself after step %u", n, n);
                raise(SIGKILL);
        }
}

static void after_rename(void *userdata, unsigned n) {
        if (n == fault_rename) {
                log_warning("Test knob BERTH_RESTORE_FAULT=r%u: killing myself after rename %u of the fallback swap", n, n);
                raise(SIGKILL);
        }
}

static int exit_code(RestoreError e) {
        static const int codes[] = {
                [RESTORE_OK] = 0, [RESTORE_FAILED] = 1, [RESTORE_BAD_REQUEST] = 4, [RESTORE_NO_SPACE] = 5,
                [RESTORE_LOCKED] = 6, [RESTORE_REPOSITORY] = 7, [RESTORE_NEEDS_RECOVERY] = 8,
        };
        return codes[e];
}

/* Ends the job row with the outcome, so that `berth restore` can tell it. */
static void finish(StateDb *db, int64_t job, int ret, const char *error, const RestoreResult *res) {
        _cleanup_free_ char *stats = NULL;

        if (!db || job <= 0)
                return;
        if (res && asprintf(&stats, "{\"downtime\":%.3f,\"fallback\":%s,\"pre_restore_snapshot\":\"%s\"}",
                            (double) res->downtime / 1e6, res->fallback ? "true" : "false", strempty(res->pre_restore_id)) < 0)
                stats = NULL;
        if (state_db_job_finish(db, job, ret == 0 ? JOB_SUCCEEDED : JOB_FAILED, ret, stats, error,
                                res ? res->snapshot_id : NULL) < 0)
                log_warning("Failed to record the end of job %lld, ignoring", (long long) job);
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "volume", required_argument, NULL, 'v' },
                {},
        };
        _cleanup_(berth_conf_freep) BerthConf *conf = NULL;
        _cleanup_(app_freep) App *app = NULL;
        _cleanup_(state_db_closep) StateDb *db = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_strv_free_ char **volumes = NULL;
        _cleanup_close_ int lock = -EBADF;
        _cleanup_free_ char *dbpath = NULL, *error = NULL;
        BerthPaths paths = {};
        ResticRepo repo = {};
        Diagnostics diag = {};
        RestoreResult result = {};
        BackupReporter reporter = { .step = on_step };
        char host[256], jobstr[32];
        int64_t job = 0;
        const char *id, *snapshot, *knob;
        int c, r, ret = 1;

        log_open("berth-restore");
        while ((c = getopt_long(argc, argv, "v:", options, NULL)) >= 0)
                switch (c) {
                case 'v':
                        if (strv_extend(&volumes, optarg) < 0)
                                return 1;
                        break;
                default:
                        return 2;
                }
        if (optind + 2 != argc) {
                log_error("Usage: berth-restore APP SNAPSHOT|latest [--volume NAME]...");
                return 2;
        }
        id = argv[optind];
        snapshot = argv[optind + 1];
        knob = getenv("BERTH_RESTORE_FAULT");
        if (knob) {
                if (knob[0] == 'r')
                        fault_rename = (unsigned) strtoul(knob + 1, NULL, 10);
                else
                        fault_step = (unsigned) strtoul(knob, NULL, 10);
        }
        log_set_field("APP", id);
        log_set_field("PHASE", "restore");

        r = berth_paths_init(SCOPE_SYSTEM, &paths);
        if (r < 0) {
                log_errno(LOG_ERR_LEVEL, r, "Failed to determine berth's directories");
                goto out;
        }
        /* The job row first: whatever happens next is recorded in it. */
        dbpath = state_db_path(paths.state_dir);
        if (!dbpath || (r = state_db_open(dbpath, false, &db)) < 0 ||
            (r = state_db_job_begin(db, id, "restore", getenv("INVOCATION_ID"), &job)) < 0) {
                log_errno(LOG_ERR_LEVEL, dbpath ? r : -ENOMEM, "Failed to record the job in the state database");
                goto out;
        }
        snprintf(jobstr, sizeof(jobstr), "%lld", (long long) job);
        log_set_field("JOB", jobstr);

        {
                bool app_fault;
                r = app_load_current(SCOPE_SYSTEM, id, &conf, &app, &diag, &error, &app_fault);
                if (r < 0) {
                        log_diagnostics(LOG_ERR_LEVEL, &diag);
                        ret = app_fault ? 3 : 1;
                        goto failed;
                }
        }
        r = restic_repo_from_conf(conf, &paths, &repo, &error);
        if (r < 0) {
                ret = 7;
                goto failed;
        }
        lock = app_lock_take(&paths, id, APP_LOCK_EXCLUSIVE, false);
        if (lock < 0) {
                if (lock == -EWOULDBLOCK)
                        (void) asprintf(&error, "app '%s' is busy: another operation (a backup, a restore, or its start) holds its lock; try again when it is done", id);
                else
                        (void) asprintf(&error, "cannot take the lock of app '%s': %s", id, strerror(-lock));
                ret = 6;
                goto failed;
        }
        if (gethostname(host, sizeof(host)) < 0)
                snprintf(host, sizeof(host), "localhost");
        host[sizeof(host) - 1] = 0;
        r = systemd_bus_open(false, &bus);
        if (r < 0)
                log_errno(LOG_WARNING_LEVEL, r, "Failed to connect to systemd: the app cannot be stopped and started");

        RestoreContext ctx = {
                .app = app, .paths = &paths, .conf = conf, .repo = &repo, .db = db, .bus = bus, .lock_fd = lock,
                .job_id = job, .host = host, .reporter = &reporter,
                .after_step = after_step, .after_rename = after_rename,
                .force_fallback = streq_ptr(getenv("BERTH_RESTORE_FALLBACK"), "1"),
        };
        RestoreRequest req = { .snapshot = snapshot, .volumes = volumes };
        r = app_restore(&ctx, &req, &result);
        if (r < 0) {
                (void) asprintf(&error, "aborted: %s", strerror(-r));
                goto failed;
        }
        ret = exit_code(result.error_kind);
        finish(db, job, ret, result.error, &result);
        if (ret == 0)
                log_info("Restore of app '%s' succeeded (downtime %.1f s)", id, (double) result.downtime / 1e6);
        else
                log_error("Restore of app '%s' failed: %s", id, strempty(result.error));
        goto out;
failed:
        log_error("Restore of app '%s' failed: %s", id, error ?: "see above");
        finish(db, job, ret, error ?: "see the journal", NULL);
out:
        restore_result_done(&result);
        restic_repo_done(&repo);
        diag_clear(&diag);
        berth_paths_done(&paths);
        log_close();
        return ret;
}
