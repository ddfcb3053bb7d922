/* follow.c — journal lines of a running job, for the CLI. */
#include <poll.h>
#include <stdio.h>
#include <time.h>

#include "berth.h"
#include "berth_paths.h"
#include "cli_format.h"
#include "follow.h"
#include "app.h"
#include "state_db.h"
#include "log.h"

static usec_t now(clockid_t id) {
        struct timespec ts;
        clock_gettime(id, &ts);
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

sd_journal *cli_journal_open(const char *unit, const char *identifier) {
        _cleanup_free_ char *match = NULL, *ident = NULL;
        sd_journal *j = NULL;
        int r;

        if (asprintf(&match, "_SYSTEMD_UNIT=%s", unit) < 0)
                return NULL;
        r = sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM);
        if (r >= 0)
                r = sd_journal_add_match(j, match, 0);
        if (r >= 0 && identifier) {
                ident = strprintf("SYSLOG_IDENTIFIER=%s", identifier);
                r = ident ? sd_journal_add_match(j, ident, 0) : -ENOMEM;
        }
        /* From now on: seeking to the tail and back one entry misplaces the
         * cursor when the unit has no entry yet (its first run). */
        if (r >= 0)
                r = sd_journal_seek_realtime_usec(j, now(CLOCK_REALTIME));
        if (r < 0) {
                log_errno(LOG_WARNING_LEVEL, r, "Cannot follow the journal, showing the outcome only");
                return sd_journal_close(j), NULL;
        }
        return j;
}

static void print_entries(sd_journal *j) {
        while (sd_journal_next(j) > 0) {
                const void *d;
                size_t l;
                uint64_t t;
                struct tm tm;
                char ts[16] = "";
                time_t s;

                if (sd_journal_get_data(j, "MESSAGE", &d, &l) < 0 || l < 8)
                        continue;
                if (sd_journal_get_realtime_usec(j, &t) < 0)
                        t = 0;
                s = (time_t) (t / 1000000);
                if (localtime_r(&s, &tm))
                        strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
                printf("%s %.*s\n", ts, (int) (l - 8), (const char *) d + 8);
        }
        fflush(stdout);
}

int cli_follow(sd_bus *bus, SystemdJob *job, sd_journal *j) {
        int r;

        while (!job->done) {
                struct pollfd p[2] = { { .fd = sd_bus_get_fd(bus), .events = (short) sd_bus_get_events(bus) } };
                size_t np = 1;

                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return log_errno(LOG_ERR_LEVEL, r, "Lost the connection to systemd");
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
                struct timespec ts = { 0, 300 * 1000 * 1000 };
                nanosleep(&ts, NULL);
                (void) sd_journal_process(j);
                print_entries(j);
        }
        return 0;
}

usec_t cli_job_start_time(void) {
        /* a second of slack for the clock's granularity in the row */
        return now(CLOCK_REALTIME) - USEC_PER_SEC;
}

int cli_job_outcome(const char *app, const char *kind, usec_t t_start, const SystemdJob *job, const char *unit) {
        _cleanup_(state_db_closep) StateDb *db = NULL;
        _cleanup_free_ char *dbpath = NULL;
        BerthPaths paths = {};
        Job last = {};
        int ret;

        if (berth_paths_init(SCOPE_SYSTEM, &paths) < 0 || !(dbpath = state_db_path(paths.state_dir)) ||
            state_db_open(dbpath, true, &db) < 0 || state_db_job_last(db, app, kind, -1, &last) < 0 ||
            last.started_at < t_start) {
                /* The helper ended before recording its job (usage, say). */
                berth_paths_done(&paths);
                if (streq_ptr(job->result, "done"))
                        return 0;
                printf("%s: %s (see journalctl -u %s)\n", unit, strempty(job->result), unit);
                return 1;
        }
        berth_paths_done(&paths);
        if (arg_cli.json)
                cli_print_jobs_json(&last, 1, stdout);
        else if (last.status == JOB_RUNNING)
                /* the unit is over but the job never ended: the helper died */
                printf("Job %lld: interrupted (%s)%s\n", (long long) last.id, strempty(job->result),
                       streq(kind, "restore") ? "; 'berth recover' finishes or undoes it" : "");
        else
                printf("Job %lld: %s%s%s\n", (long long) last.id, job_status_to_string(last.status),
                       last.error ? ": " : "", strempty(last.error));
        ret = last.status == JOB_SUCCEEDED || last.status == JOB_WARNING ? 0 :
              last.status == JOB_FAILED && last.exit_code > 0 ? last.exit_code : 1;
        job_done(&last);
        return ret;
}
