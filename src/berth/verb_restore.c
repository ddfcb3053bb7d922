/* berth restore APP SNAPSHOT|latest [--volume NAME]... [--yes] — runs
 * berth-restore as a transient unit (berth-restore@APP.service) and follows
 * it. Asks first on a terminal; elsewhere requires --yes.
 * Exit status: berth-restore's (see berth-restore(8)); 2 usage or not confirmed. */
#include <getopt.h>
#include <stdio.h>
#include <time.h>

#include "app_source.h"
#include "berth.h"
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


int verb_restore(int argc, char *argv[]) {
        static const struct option options[] = {
                { "volume", required_argument, NULL, 'v' },
                { "yes", no_argument, NULL, 'y' },
                { "json", no_argument, NULL, 'j' },
                {},
        };
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_strv_free_ char **volumes = NULL, **cmd = NULL, **env = NULL;
        _cleanup_free_ char *unit = NULL, *helper = NULL;
        sd_journal *j = NULL;
        SystemdJob job = {};
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
                j = cli_journal_open(unit, "berth-restore");
        t_start = cli_job_start_time();
        r = systemd_run_transient(bus, unit, "Restore of a berth app", cmd, env, &job);
        if (r < 0) {
                log_errno(LOG_ERR_LEVEL, r, "Failed to start %s", unit);
                goto out;
        }
        if (cli_follow(bus, &job, j) < 0)
                goto out;
        ret = cli_job_outcome(app, "restore", t_start, &job, unit);
out:
        systemd_job_done(&job);
        sd_journal_close(j);
        return ret;
}
