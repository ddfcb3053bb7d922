/* berthd — berth's D-Bus service (org.berth1 on the system bus): live status
 * of the installed apps from systemd's signals and the job history, Backup
 * and Restore through systemd, polkit-checked. Bus-activated; exits when idle.
 * See berthd(8) and org.berth1(5).
 * Exit status: 0 after an idle exit or SIGTERM, 1 on failure, 2 usage. */
#include <getopt.h>
#include <stdio.h>
#include <sys/stat.h>

#include "berthd.h"
#include "log.h"

#define DEFAULT_EXIT_IDLE_USEC (30 * USEC_PER_SEC)

static void help(void) {
        printf("berthd [--exit-idle-time=SECONDS]\n\n"
               "berth's D-Bus service (org.berth1). Started by D-Bus activation; see berthd(8).\n\n"
               "  --exit-idle-time=SECONDS  exit after this long without use (default 30, 0: never)\n");
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "exit-idle-time", required_argument, NULL, 'i' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {},
        };
        _cleanup_(manager_freep) Manager *m = NULL;
        usec_t idle = DEFAULT_EXIT_IDLE_USEC;
        int c, r;

        log_open("berthd");
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'i': {
                        char *end;
                        unsigned long v;
                        errno = 0;
                        v = strtoul(optarg, &end, 10);
                        if (errno || !*optarg || *end || v > 7 * 24 * 3600) {
                                log_error("--exit-idle-time takes seconds from 0 (never) to 604800, not '%s'", optarg);
                                return 2;
                        }
                        idle = (usec_t) v * USEC_PER_SEC;
                        break;
                }
                case 'h':
                        help();
                        return 0;
                case 'V':
                        printf("berthd 0.1\n");
                        return 0;
                default:
                        return 2;
                }
        if (optind < argc) {
                log_error("Unexpected argument '%s', berthd takes options only", argv[optind]);
                return 2;
        }
        umask(0022);

        r = manager_new(idle, &m);
        if (r < 0) {
                log_errno(LOG_ERR_LEVEL, r, "Failed to set up berthd");
                return 1;
        }
        r = manager_start(m);
        if (r < 0)
                return 1;
        r = manager_run(m);
        log_close();
        return r < 0 ? 1 : 0;
}
