/* follow.c — journal lines of a running job, for the CLI. */
#include <poll.h>
#include <stdio.h>
#include <time.h>

#include "follow.h"
#include "app.h"
#include "log.h"

static usec_t now(clockid_t id) {
        struct timespec ts;
        clock_gettime(id, &ts);
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

sd_journal *cli_journal_open(const char *unit) {
        _cleanup_free_ char *match = NULL;
        sd_journal *j = NULL;
        int r;

        if (asprintf(&match, "_SYSTEMD_UNIT=%s", unit) < 0)
                return NULL;
        r = sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM);
        if (r >= 0)
                r = sd_journal_add_match(j, match, 0);
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
