/* mkhistory — writes job history for berthd's tests through the state_db
 * library (so the schema is the real one):
 *   mkhistory DB job APP KIND STATUS [SNAPSHOT]   a finished job (STATUS
 *                                                 succeeded|warning|failed) or a
 *                                                 running one (STATUS running)
 *   mkhistory DB snapshots APP N                  N cached snapshots for APP
 * Exit status: 0, 1 on failure, 2 usage. */
#include <stdio.h>

#include "state_db.h"
#include "strv.h"

int main(int argc, char *argv[]) {
        _cleanup_(state_db_closep) StateDb *db = NULL;
        int r;

        if (argc < 4) {
                fprintf(stderr, "usage: mkhistory DB job APP KIND STATUS [SNAPSHOT] | DB snapshots APP N\n");
                return 2;
        }
        r = state_db_open(argv[1], false, &db);
        if (r < 0) {
                fprintf(stderr, "mkhistory: %s: %s\n", argv[1], strerror(-r));
                return 1;
        }
        if (streq(argv[2], "job") && (argc == 6 || argc == 7)) {
                int64_t id;
                int s = job_status_from_string(argv[5]);
                if (s < 0)
                        return 2;
                r = state_db_job_begin(db, argv[3], argv[4], NULL, &id);
                if (r >= 0 && s != JOB_RUNNING)
                        r = state_db_job_finish(db, id, s, s == JOB_FAILED ? 1 : 0, NULL,
                                                s == JOB_FAILED ? "made to fail by a test" : NULL,
                                                argc == 7 ? argv[6] : NULL);
                if (r >= 0)
                        printf("%lld\n", (long long) id);
        } else if (streq(argv[2], "snapshots") && argc == 5) {
                unsigned n = (unsigned) strtoul(argv[4], NULL, 10);
                SnapshotInfo *s = calloc(n + 1, sizeof(*s));
                char ids[n + 1][65];
                if (!s)
                        return 1;
                for (unsigned i = 0; i < n; i++) {
                        snprintf(ids[i], sizeof(ids[i]), "%08x%056x", i + 1, 0);
                        s[i] = (SnapshotInfo) { .id = ids[i], .short_id = ids[i], .app = argv[3],
                                                .time = (usec_t) (1700000000 + i) * USEC_PER_SEC, .kind = (char *) "backup" };
                }
                r = state_db_snapshots_replace(db, argv[3], s, n);
                free(s);
        } else {
                fprintf(stderr, "mkhistory: bad arguments\n");
                return 2;
        }
        if (r < 0) {
                fprintf(stderr, "mkhistory: %s\n", strerror(-r));
                return 1;
        }
        return 0;
}
