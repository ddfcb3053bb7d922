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
#include "restore_unit.h"
#include "state_db.h"
#include "strv.h"
#include "systemd_client.h"

static bool confirm(const char *app, const char *snapshot, char *const *volumes) {
        _cleanup_free_ char *vols = volumes ? strv_join(volumes, ", ") : NULL, *prompt = NULL;

        prompt = strprintf("Restore app '%s' from snapshot '%s'.\n"
                           "Volumes replaced: %s.\n"
                           "The app is stopped for the swap and started again; the data it has now is kept\n"
                           "in a pre-restore snapshot first.",
                           app, snapshot, vols ?: "every volume with backup: true");
        return prompt && cli_confirm("restore", "replaces the app's data", prompt);
}

int verb_restore(int argc, char *argv[]) {
        static const struct option options[] = {
                { "volume", required_argument, NULL, 'v' },
                { "yes", no_argument, NULL, 'y' },
                { "json", no_argument, NULL, 'j' },
                {},
        };
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_strv_free_ char **volumes = NULL;
        _cleanup_(restore_unit_done) RestoreUnit u = {};
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
        if (!confirm(app, snapshot, volumes)) {
                if (isatty(STDIN_FILENO))
                        printf("Not restored.\n");
                return 2;
        }
        /* The same unit berthd's Restore() starts. */
        r = restore_unit_new(app, snapshot, volumes, &u);
        if (r < 0)
                return log_errno(LOG_ERR_LEVEL, r, "restore: Failed to set up the restore of '%s'", app), r == -EINVAL ? 2 : 1;
        r = systemd_bus_open(false, &bus);
        if (r < 0)
                return log_errno(LOG_ERR_LEVEL, r, "Failed to connect to systemd"), 1;
        if (!arg_cli.json)
                j = cli_journal_open(u.unit, "berth-restore");
        t_start = cli_job_start_time();
        r = systemd_run_transient(bus, u.unit, RESTORE_UNIT_DESCRIPTION, u.argv, u.env, &job);
        if (r < 0) {
                log_errno(LOG_ERR_LEVEL, r, "Failed to start %s", u.unit);
                goto out;
        }
        if (cli_follow(bus, &job, j) < 0)
                goto out;
        ret = cli_job_outcome(app, "restore", t_start, &job, u.unit);
out:
        systemd_job_done(&job);
        sd_journal_close(j);
        return ret;
}
