/* berth backup APP — runs berth-backup@APP.service now and follows it: its
 * journal lines as they come, then the job's outcome from the state database.
 * Exit status: 0 succeeded (or with a warning), 1 failed, 2 usage. */
#include <getopt.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <systemd/sd-journal.h>
#include <time.h>

#include "berth.h"
#include "berth_paths.h"
#include "cli_format.h"
#include "log.h"
#include "app_source.h"
#include "state_db.h"
#include "systemd_client.h"
#include "unit_names.h"

static void print_entries(sd_journal *j) {
        while (sd_journal_next(j) > 0) {
                const void *d;
                size_t l;
                uint64_t t;
                if (sd_journal_get_data(j, "MESSAGE", &d, &l) < 0)
                        continue;
                if (sd_journal_get_realtime_usec(j, &t) < 0)
                        t = 0;
                time_t s = (time_t) (t / USEC_PER_SEC);
                struct tm tm;
                char ts[16] = "";
                if (localtime_r(&s, &tm))
                        strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
                printf("%s %.*s\n", ts, (int) (l - 8), (const char *) d + 8);
        }
        fflush(stdout);
}

int verb_backup(int argc, char *argv[]) {
        static const struct option options[] = {
                { "json", no_argument, NULL, 'j' },
                { "no-follow", no_argument, NULL, 'N' },
                {},
        };
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(state_db_closep) StateDb *db = NULL;
        _cleanup_free_ char *unit = NULL, *match = NULL, *dbpath = NULL;
        sd_journal *j = NULL;
        bool follow = true;
        BerthPaths paths = {};
        SystemdJob job = {};
        Job last = {};
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
        if (!unit || asprintf(&match, "_SYSTEMD_UNIT=%s", unit) < 0)
                return 1;
        r = systemd_bus_open(false, &bus);
        if (r < 0)
                return log_errno(LOG_ERR_LEVEL, r, "Failed to connect to systemd"), 1;
        if (follow && !arg_cli.json) {
                r = sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM);
                if (r >= 0)
                        r = sd_journal_add_match(j, match, 0);
                if (r >= 0)
                        r = sd_journal_seek_tail(j);
                if (r >= 0)
                        r = sd_journal_previous(j); /* position at the end: only new entries follow */
                if (r < 0) {
                        log_errno(LOG_WARNING_LEVEL, r, "Cannot follow the journal, showing the outcome only");
                        sd_journal_close(j);
                        j = NULL;
                }
        }
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
        while (!job.done) {
                struct pollfd p[2] = { { .fd = sd_bus_get_fd(bus), .events = (short) sd_bus_get_events(bus) } };
                size_t np = 1;
                r = sd_bus_process(bus, NULL);
                if (r < 0) {
                        log_errno(LOG_ERR_LEVEL, r, "Lost the connection to systemd");
                        goto out;
                }
                if (r > 0)
                        continue;
                if (j) {
                        if (sd_journal_process(j) >= 0)
                                print_entries(j);
                        p[1] = (struct pollfd) { .fd = sd_journal_get_fd(j), .events = (short) sd_journal_get_events(j) };
                        np = 2;
                }
                (void) poll(p, np, 250);
        }
        if (j) {
                /* The last lines can reach the journal just after the job ends. */
                struct timespec ts = { 0, 200 * 1000 * 1000 };
                nanosleep(&ts, NULL);
                (void) sd_journal_process(j);
                print_entries(j);
        }
        if ((r = berth_paths_init(SCOPE_SYSTEM, &paths)) >= 0 && (dbpath = state_db_path(paths.state_dir)) &&
            state_db_open(dbpath, true, &db) >= 0 && state_db_job_last(db, app, "backup", -1, &last) >= 0) {
                if (arg_cli.json)
                        cli_print_jobs_json(&last, 1, stdout);
                else
                        printf("Job %lld: %s%s%s\n", (long long) last.id, job_status_to_string(last.status),
                               last.error ? ": " : "", strempty(last.error));
                ret = last.status == JOB_FAILED || last.status == JOB_RUNNING ? 1 : 0;
        } else {
                ret = streq_ptr(job.result, "done") ? 0 : 1;
                printf("%s: %s\n", unit, strempty(job.result));
        }
out:
        job_done(&last);
        systemd_job_done(&job);
        sd_journal_close(j);
        berth_paths_done(&paths);
        return ret;
}
