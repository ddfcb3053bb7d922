/* berth restore APP SNAPSHOT|latest [--volume NAME]... [--yes] — runs
 * berth-restore as a transient unit (berth-restore@APP.service) and follows
 * it. Asks first on a terminal; elsewhere requires --yes.
 * Exit status: berth-restore's (see berth-restore(8)); 2 usage or not confirmed. */
#include <getopt.h>
#include <stdio.h>
#include <time.h>

#include "app_source.h"
#include "berth.h"
#include "berth_paths.h"
#include "cli_format.h"
#include "follow.h"
#include "log.h"
#include "state_db.h"
#include "strv.h"
#include "systemd_client.h"

/* Test knobs and relocations pass through to the helper's unit. */
static const char *const passed_env[] = {
        "BERTH_RESTORE_FAULT", "BERTH_RESTORE_FALLBACK", "BERTH_APPS_DIRS", "BERTH_CONF",
        "BERTH_STATE_DIR", "BERTH_RUNTIME_DIR",
};

static bool confirm(const char *app, const char *snapshot, char *const *volumes) {
        _cleanup_free_ char *vols = volumes ? strv_join(volumes, ", ") : NULL;
        char answer[16];

        printf("Restore app '%s' from snapshot '%s'.\n"
               "Volumes replaced: %s.\n"
               "The app is stopped for the swap and started again; the data it has now is kept\n"
               "in a pre-restore snapshot first. Continue? [y/N] ",
               app, snapshot, vols ?: "every volume with backup: true");
        fflush(stdout);
        if (!fgets(answer, sizeof(answer), stdin))
                return false;
        return answer[0] == 'y' || answer[0] == 'Y';
}

/* A job row this run made starts no earlier than this (the clock of one host). */
static usec_t now_realtime(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000 - USEC_PER_SEC;
}

int verb_restore(int argc, char *argv[]) {
        static const struct option options[] = {
                { "volume", required_argument, NULL, 'v' },
                { "yes", no_argument, NULL, 'y' },
                { "json", no_argument, NULL, 'j' },
                {},
        };
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(state_db_closep) StateDb *db = NULL;
        _cleanup_strv_free_ char **volumes = NULL, **cmd = NULL, **env = NULL;
        _cleanup_free_ char *unit = NULL, *dbpath = NULL, *helper = NULL;
        sd_journal *j = NULL;
        BerthPaths paths = {};
        SystemdJob job = {};
        Job last = {};
        usec_t t_start = 0;
        const char *app, *snapshot;
        int c, r, ret = 1;

        while ((c = getopt_long(argc, argv, "v:yj", options, NULL)) >= 0)
                switch (c) {
                case 'v':
                        if (strv_extend(&volumes, optarg) < 0)
                                return 1;
                        break;
                case 'y':
                        arg_cli.yes = true;
                        break;
                case 'j':
                        arg_cli.json = true;
                        break;
                default:
                        return 2;
                }
        if (optind + 2 != argc) {
                log_error("restore: expected APP and SNAPSHOT (an id, or 'latest')");
                return 2;
        }
        app = argv[optind];
        snapshot = argv[optind + 1];
        if (!app_id_valid(app)) {
                log_error("restore: '%s' is not an app id", app);
                return 2;
        }
        if (!arg_cli.yes) {
                if (!isatty(STDIN_FILENO)) {
                        log_error("restore: replaces the app's data; not on a terminal, so confirm with --yes");
                        return 2;
                }
                if (!confirm(app, snapshot, volumes)) {
                        printf("Not restored.\n");
                        return 2;
                }
        }
        if (asprintf(&unit, "berth-restore@%s.service", app) < 0 || asprintf(&helper, "%s/berth-restore", BERTH_LIBEXECDIR) < 0)
                return 1;
        if (strv_extend(&cmd, helper) < 0 || strv_extend(&cmd, app) < 0 || strv_extend(&cmd, snapshot) < 0)
                return 1;
        STRV_FOREACH(v, volumes)
                if (strv_extendf(&cmd, "--volume=%s", *v) < 0)
                        return 1;
        if (strv_extend(&env, "RESTIC_CACHE_DIR=/var/cache/berth/restic") < 0)
                return 1;
        for (size_t i = 0; i < ELEMENTSOF(passed_env); i++) {
                const char *v = getenv(passed_env[i]);
                if (v && strv_extendf(&env, "%s=%s", passed_env[i], v) < 0)
                        return 1;
        }
        r = systemd_bus_open(false, &bus);
        if (r < 0)
                return log_errno(LOG_ERR_LEVEL, r, "Failed to connect to systemd"), 1;
        if (!arg_cli.json)
                j = cli_journal_open(unit);
        t_start = now_realtime();
        r = systemd_run_transient(bus, unit, "Restore of a berth app", cmd, env, &job);
        if (r < 0) {
                log_errno(LOG_ERR_LEVEL, r, "Failed to start %s", unit);
                goto out;
        }
        if (cli_follow(bus, &job, j) < 0)
                goto out;
        if ((r = berth_paths_init(SCOPE_SYSTEM, &paths)) >= 0 && (dbpath = state_db_path(paths.state_dir)) &&
            state_db_open(dbpath, true, &db) >= 0 && state_db_job_last(db, app, "restore", -1, &last) >= 0 &&
            last.started_at >= t_start) {
                if (arg_cli.json)
                        cli_print_jobs_json(&last, 1, stdout);
                else if (last.status == JOB_RUNNING)
                        /* the unit is over but the job never ended: the helper died */
                        printf("Job %lld: interrupted (%s); 'berth recover' finishes or undoes it\n", (long long) last.id,
                               strempty(job.result));
                else
                        printf("Job %lld: %s%s%s\n", (long long) last.id, job_status_to_string(last.status),
                               last.error ? ": " : "", strempty(last.error));
                ret = last.status == JOB_SUCCEEDED ? 0 : last.exit_code > 0 ? last.exit_code : 1;
        } else {
                /* The helper stopped before recording a job (usage, unknown app, lock). */
                ret = streq_ptr(job.result, "done") ? 0 : 1;
                if (!streq_ptr(job.result, "done"))
                        printf("%s: %s (see journalctl -u %s)\n", unit, strempty(job.result), unit);
        }
out:
        job_done(&last);
        systemd_job_done(&job);
        sd_journal_close(j);
        berth_paths_done(&paths);
        return ret;
}
