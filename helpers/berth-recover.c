/* berth-recover [--start] [APP...] — finishes or undoes every interrupted
 * restore from its journal (swap_journal.h): each volume ends wholly old or
 * wholly new. Run at boot by berth-recover.service, before any app; by hand as
 * `berth recover` (with --start: start again the apps a restore had stopped).
 * Exit status: 0 nothing to do, or every journal recovered; 1 a journal could
 * not be recovered (it is kept, nothing was touched, the message says why). */
#include <getopt.h>

#include "app_lock.h"
#include "berth_paths.h"
#include "log.h"
#include "state_db.h"
#include "strv.h"
#include "swap_journal.h"
#include "systemd_client.h"
#include "unit_names.h"

static const char *outcome_text(SwapOutcome o) {
        switch (o) {
        case SWAP_ROLLED_BACK:
                return "rolled back: every volume holds its data from before the restore";
        case SWAP_ROLLED_FORWARD:
                return "rolled forward: every volume holds the restored data";
        default:
                return "cleaned up: the restore had not touched live data";
        }
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "start", no_argument, NULL, 's' },
                {},
        };
        _cleanup_strv_free_ char **apps = NULL;
        _cleanup_(state_db_closep) StateDb *db = NULL;
        _cleanup_free_ char *dbpath = NULL;
        BerthPaths paths = {};
        bool start = false;
        int c, r, ret = 0;

        log_open("berth-recover");
        while ((c = getopt_long(argc, argv, "s", options, NULL)) >= 0)
                switch (c) {
                case 's':
                        start = true;
                        break;
                default:
                        return 2;
                }
        if ((r = berth_paths_init(SCOPE_SYSTEM, &paths)) < 0)
                return log_errno(LOG_ERR_LEVEL, r, "Failed to determine berth's directories"), 1;
        if (optind < argc) {
                for (int i = optind; i < argc; i++)
                        if (strv_extend(&apps, argv[i]) < 0)
                                return 1;
        } else if ((r = swap_journal_list(&paths, &apps)) < 0) {
                log_errno(LOG_ERR_LEVEL, r, "Failed to list restore journals");
                berth_paths_done(&paths);
                return 1;
        }
        if (!apps || !apps[0]) {
                log_info("No interrupted restore to recover");
                berth_paths_done(&paths);
                return 0;
        }
        dbpath = state_db_path(paths.state_dir);
        if (dbpath && state_db_open(dbpath, false, &db) < 0)
                db = NULL; /* history only: recovery goes on without it */

        STRV_FOREACH(a, apps) {
                _cleanup_close_ int lock = -EBADF;
                SwapJournal j = {};
                SwapOutcome o;

                log_set_field("APP", *a);
                r = swap_journal_read(&paths, *a, &j);
                if (r == -ENOENT) {
                        log_info("App '%s' has no restore journal", *a);
                        continue;
                }
                if (r < 0) {
                        _cleanup_free_ char *p = swap_journal_path(&paths, *a);
                        log_errno(LOG_ERR_LEVEL, r, "Journal '%s' cannot be read; nothing touched, inspect it by hand", strempty(p));
                        ret = 1;
                        continue;
                }
                /* The restore that wrote it is dead (its lock is free) — or still
                 * running, and then it is not ours to touch. */
                lock = app_lock_take(&paths, *a, APP_LOCK_EXCLUSIVE, false);
                if (lock == -EWOULDBLOCK) {
                        /* flock(2) locks die with their holder: a held lock is a live
                         * restore (this runs, for instance, when that restore starts the
                         * app again) — it was not interrupted. */
                        log_info("The restore of app '%s' (job %lld) is still running; nothing to recover", *a, (long long) j.job);
                        swap_journal_done(&j);
                        continue;
                }
                if (lock < 0) {
                        log_errno(LOG_ERR_LEVEL, lock, "Failed to take the lock of app '%s'; not recovering it now", *a);
                        swap_journal_done(&j);
                        ret = 1;
                        continue;
                }
                r = swap_journal_recover(&paths, &j, &o);
                if (r < 0) {
                        log_errno(LOG_ERR_LEVEL, r, "Recovering the restore of app '%s' (job %lld, journal %s) failed; the journal is kept, nothing further touched",
                                  *a, (long long) j.job, swap_state_to_string(j.state));
                        ret = 1;
                } else {
                        log_info("Interrupted restore of app '%s' (job %lld, snapshot %.8s) %s", *a, (long long) j.job,
                                 strempty(j.snapshot), outcome_text(o));
                        if (db && j.job > 0)
                                (void) state_db_job_finish(db, j.job, o == SWAP_ROLLED_FORWARD ? JOB_WARNING : JOB_FAILED, 1, NULL,
                                                           o == SWAP_ROLLED_FORWARD ? "interrupted; finished by berth recover"
                                                                                     : "interrupted; undone by berth recover", j.snapshot);
                        if (start && j.app_was_running) {
                                _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
                                _cleanup_free_ char *target = unit_name_target(*a), *res = NULL;
                                lock = safe_close(lock);
                                if (target && systemd_bus_open(false, &bus) >= 0 &&
                                    systemd_unit_job(bus, "StartUnit", target, false, 0, &res) >= 0)
                                        log_info("Started %s again", target);
                                else
                                        log_warning("Could not start %s again: start it by hand", strempty(target));
                        }
                }
                swap_journal_done(&j);
        }
        berth_paths_done(&paths);
        return ret;
}
