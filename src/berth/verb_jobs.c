/* berth jobs [APP] [--json] [-n N] — the job history, from berthd
 * (ListJobs), like every status verb. Only when there is no system bus at all
 * (a rescue shell, a chroot, an image build) is the state database read
 * directly, with a notice: the history is the one status that means
 * something without the bus, and root can read the file anyway. A bus that
 * runs but a berthd that fails is an error, not hidden by the fallback. */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <time.h>

#include "berth.h"
#include "berth_dbus.h"
#include "berth_paths.h"
#include "cli_format.h"
#include "log.h"
#include "state_db.h"
#include "table.h"

int verb_jobs(int argc, char *argv[]) {
        static const struct option options[] = {
                { "json", no_argument, NULL, 'j' },
                { "lines", required_argument, NULL, 'n' },
                {},
        };
        _cleanup_(state_db_closep) StateDb *db = NULL;
        _cleanup_free_ char *path = NULL;
        BerthPaths paths = {};
        Job *jobs = NULL;
        size_t n = 0;
        unsigned limit = 20;
        const char *app = NULL;
        int c, r;

        while ((c = getopt_long(argc, argv, "jn:", options, NULL)) >= 0)
                switch (c) {
                case 'j':
                        arg_cli.json = true;
                        break;
                case 'n': {
                        char *end;
                        unsigned long v = strtoul(optarg, &end, 10);
                        if (!*optarg || *end || v > 100000) {
                                log_error("jobs: --lines takes a number from 0 (all) to 100000, not '%s'", optarg);
                                return 2;
                        }
                        limit = (unsigned) v;
                        break;
                }
                default:
                        return 2;
                }
        if (optind < argc)
                app = argv[optind++];
        if (optind < argc) {
                log_error("jobs: unexpected argument '%s', expected at most one APP", argv[optind]);
                return 2;
        }
        if (!arg_cli.user) {
                _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;

                r = sd_bus_open_system(&bus);
                if (r >= 0) {
                        if (berthd_call(bus, BERTH_DBUS_PATH, BERTH_DBUS_MANAGER, "ListJobs", &reply, "su",
                                        strempty(app), (uint32_t) limit) < 0)
                                return 1;
                        r = berth_dbus_read_jobs(reply, &jobs, &n);
                        if (r < 0)
                                return log_errno(LOG_ERR_LEVEL, r, "Failed to parse berthd's answer to ListJobs()"), 1;
                        goto print;
                }
                log_warning("No system bus (%s): reading the job database directly", strerror(-r));
        }
        r = berth_paths_init(SCOPE_SYSTEM, &paths);
        if (r < 0)
                return log_errno(LOG_ERR_LEVEL, r, "Failed to determine berth's directories"), 1;
        path = state_db_path(paths.state_dir);
        berth_paths_done(&paths);
        if (!path)
                return log_errno(LOG_ERR_LEVEL, -ENOMEM, "Failed to open the state database"), 1;
        r = state_db_open(path, true, &db);
        if (r == -ENOENT) {
                if (arg_cli.json)
                        puts("[]");
                else
                        printf("No jobs yet.\n");
                return 0;
        }
        if (r < 0)
                return log_errno(LOG_ERR_LEVEL, r, "Failed to open the state database '%s'", path), 1;
        r = state_db_jobs_list(db, app, limit, &jobs, &n);
        if (r < 0)
                return log_errno(LOG_ERR_LEVEL, r, "Failed to read jobs from '%s'", path), 1;
print:
        if (arg_cli.json)
                r = cli_print_jobs_json(jobs, n, stdout);
        else
                r = cli_print_jobs_table(jobs, n, stdout);
        jobs_free(jobs, n);
        return r < 0 ? 1 : 0;
}
