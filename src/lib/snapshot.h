/* snapshot.h — a restic snapshot of an app, as berth sees it: read from
 * `restic snapshots --json`, cached in the state database, listed by
 * `berth snapshots` and berthd. */
#pragma once

#include <stdint.h>

#include "app.h"

typedef struct SnapshotInfo {
        char *id;          /* full restic id */
        char *short_id;
        char *app;         /* from the app:<id> tag */
        usec_t time;       /* microseconds since the epoch */
        char *host;
        char **tags;
        char **paths;
        int64_t job_id;    /* from the job:<n> tag, 0 if none */
        char *kind;        /* "backup", "pre-restore", ... from the kind:<k> tag */
} SnapshotInfo;

void snapshot_info_done(SnapshotInfo *s);
void snapshot_infos_free(SnapshotInfo *s, size_t n);
