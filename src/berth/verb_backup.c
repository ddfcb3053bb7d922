/* berth backup APP — runs berth-backup@APP.service now and follows it: its
 * journal lines as they come, then the job's outcome from the state database.
 * Exit status: 0 succeeded (or with a warning), 1 failed, 2 usage. */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <time.h>

#include "berth.h"
#include "cli_format.h"
#include "follow.h"
#include "log.h"
#include "app_source.h"
#include "state_db.h"
#include "systemd_client.h"
#include "unit_names.h"


int verb_backup(int argc, char *argv[]) {
        static const struct option options[] = {
                { "json", no_argument, NULL, 'j' },
                { "no-follow", no_argument, NULL, 'N' },
                {},
        };
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *unit = NULL;
        sd_journal *j = NULL;
        bool follow = true;
        SystemdJob job = {};
        usec_t t_start = 0;
        const char *app;
        int c, r, ret = 1;

        while ((c = getopt_long(argc, argv, "jN", options, NULL)) >= 0)
                switch (c) {
                case 'j':
                        arg_cli.json = true;
                        break;
                case 'N':
                        follow = false;
                        break;
                default:
                        return 2;
                }
        if (optind + 1 != argc) {
                log_error("backup: expected exactly one APP");
                return 2;
        }
        app = argv[optind];
        if (!app_id_valid(app)) {
                log_error("backup: '%s' is not an app id", app);
                return 2;
        }
        unit = unit_name_backup(app);
        if (!unit)
                return 1;
        r = systemd_bus_open(false, &bus);
        if (r < 0)
                return log_errno(LOG_ERR_LEVEL, r, "Failed to connect to systemd"), 1;
        if (follow && !arg_cli.json)
                j = cli_journal_open(unit, "berth-backup");
        t_start = cli_job_start_time();
        r = systemd_job_enqueue(bus, "StartUnit", unit, &job);
        if (r < 0) {
                log_errno(LOG_ERR_LEVEL, r, "Failed to start %s", unit);
                goto out;
        }
        if (!follow) {
                printf("Started %s\n", unit);
                ret = 0;
                goto out;
        }
        if (cli_follow(bus, &job, j) < 0)
                goto out;
        ret = cli_job_outcome(app, "backup", t_start, &job, unit);
out:
        systemd_job_done(&job);
        sd_journal_close(j);
        return ret;
}
