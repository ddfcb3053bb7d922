/* snapshot.c — SnapshotInfo lifetime. */
#include "snapshot.h"
#include "strv.h"

void snapshot_info_done(SnapshotInfo *s) {
        free(s->id);
        free(s->short_id);
        free(s->app);
        free(s->host);
        strv_free(s->tags);
        strv_free(s->paths);
        free(s->kind);
        *s = (SnapshotInfo) {};
}

void snapshot_infos_free(SnapshotInfo *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                snapshot_info_done(&s[i]);
        free(s);
}
