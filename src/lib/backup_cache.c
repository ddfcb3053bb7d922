/* backup_cache.c — the snapshot cache (state_db's snapshots table) as backup
 * jobs keep it: learnt from each job's own snapshot, edited by retention,
 * listed from the repository when it cannot be trusted to mirror it. */
#include <sodium.h>

#include "backup-internal.h"
#include "strv.h"

/* The snapshot cache of an app holds all of its snapshots in the repository
 * when it "mirrors" it: listed from it once (or made with it), it has learnt
 * since every snapshot the app's jobs wrote there and every one its retention
 * removed. Then a job needs no listing of the repository (each restic run opens
 * it: a key derivation, as long as an unchanged backup takes), and retention
 * that can remove nothing needs no restic forget. The meta key
 * snapshot_cache_repository:<app> names that repository by a hash (its URL may
 * hold credentials). Snapshots written by anything else (another host) are
 * missed until the next listing (berth snapshots): an undercount only ever
 * keeps a snapshot longer, never removes one. */
static int cache_repository_key(const BackupContext *c, char **ret_key, char **ret_value) {
        unsigned char h[32];
        char hex[sizeof(h) * 2 + 1];

        crypto_generichash(h, sizeof(h), (const unsigned char *) c->repo->repository, strlen(c->repo->repository), NULL, 0);
        sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
        if (asprintf(ret_key, "snapshot_cache_repository:%s", c->app->id) < 0)
                return -ENOMEM;
        if (!(*ret_value = strdup(hex))) {
                free(*ret_key);
                *ret_key = NULL;
                return -ENOMEM;
        }
        return 0;
}

static bool cache_mirrors_repository(const BackupContext *c) {
        _cleanup_free_ char *key = NULL, *want = NULL, *have = NULL;
        return cache_repository_key(c, &key, &want) >= 0 && state_db_meta_get(c->db, key, &have) >= 0 && streq(have, want);
}

static void cache_set_mirrors(const BackupContext *c) {
        _cleanup_free_ char *key = NULL, *want = NULL;
        if (cache_repository_key(c, &key, &want) >= 0)
                (void) state_db_meta_set(c->db, key, want);
}

static bool snapshot_id_full(const char *id) {
        return id && strlen(id) == 64 && strspn(id, "0123456789abcdef") == 64;
}

/* The job's own snapshot, as restic recorded it: restic 0.17+ names the full id
 * in its summary, and its snapshot's time is its backup start, which is the end
 * (restic exited just after) less total_duration. */
static int own_snapshot(const BackupContext *c, const BackupArgs *args, SnapshotInfo *ret) {
        _cleanup_(snapshot_info_done) SnapshotInfo s = {};
        const char *id = args->summary.snapshot_id;
        double d = args->summary.total_duration;

        if (!snapshot_id_full(id))
                return -EOPNOTSUPP; /* restic < 0.17: a short id only */
        if (!(s.id = strdup(id)) || !(s.short_id = strndup(id, 8)) || !(s.app = strdup(c->app->id)) ||
            !(s.host = strdup(c->host)) || !(s.kind = strdup(backup_kind_to_string(c->kind))) || !(s.tags = strv_copy(args->tags)) ||
            !(s.paths = strv_copy(args->paths)))
                return -ENOMEM;
        strv_sort(s.paths); /* as restic stores them */
        s.time = args->ended - (d > 0 && d * 1e6 < (double) args->ended ? (usec_t) (d * 1e6) : 0);
        s.job_id = c->job_id;
        *ret = s;
        s = (SnapshotInfo) {};
        return 0;
}

/* The cached snapshots of the app without those in drop, plus add (may be
 * NULL; moved into the cache); SIZE_MAX in *ret_count if the cache cannot be
 * read or written. */
int backup_cache_edit(const BackupContext *c, char **drop, SnapshotInfo *add, size_t *ret_count) {
        SnapshotInfo *snaps = NULL, *l;
        size_t n = 0, k = 0;

        *ret_count = SIZE_MAX;
        if (state_db_snapshots_list(c->db, c->app->id, &snaps, &n) < 0)
                return 0;
        if (!(l = reallocarray(snaps, n + 1, sizeof(SnapshotInfo)))) {
                snapshot_infos_free(snaps, n);
                return -ENOMEM;
        }
        snaps = l;
        for (size_t i = 0; i < n; i++)
                if (strv_contains(drop, snaps[i].id) || (add && streq(snaps[i].id, add->id)))
                        snapshot_info_done(&snaps[i]);
                else
                        snaps[k++] = snaps[i];
        if (add) {
                snaps[k++] = *add;
                *add = (SnapshotInfo) {};
        }
        if (state_db_snapshots_replace(c->db, c->app->id, snaps, k) >= 0)
                *ret_count = k;
        snapshot_infos_free(snaps, k);
        return 0;
}

/* The cache learns the job's snapshot: by itself where it mirrors the
 * repository (or the job made the repository), by a listing otherwise (the
 * app's first backup there, berth.conf changed, restic < 0.17). *ret_count:
 * the app's snapshots in the repository, SIZE_MAX when not known. A listing
 * also finds the full id of the job's snapshot where restic named only a short
 * one (< 0.17): *ret_full_id, else NULL. */
int backup_cache_learn(const BackupContext *c, const BackupArgs *args, bool new_repository, size_t *ret_count,
                       char **ret_full_id) {
        _cleanup_(snapshot_info_done) SnapshotInfo own = {};
        _cleanup_free_ char *tag = NULL, *err = NULL;
        SnapshotInfo *snaps = NULL;
        ResticResult res;
        size_t n = 0;
        int q;

        *ret_count = SIZE_MAX;
        *ret_full_id = NULL;
        q = own_snapshot(c, args, &own);
        if (q == -ENOMEM)
                return q;
        if (q >= 0 && new_repository) {
                if (state_db_snapshots_replace(c->db, c->app->id, &own, 1) >= 0) {
                        cache_set_mirrors(c);
                        *ret_count = 1;
                }
                return 0;
        }
        if (q >= 0 && cache_mirrors_repository(c))
                return backup_cache_edit(c, NULL, &own, ret_count);

        if (asprintf(&tag, "app:%s", c->app->id) < 0)
                return -ENOMEM;
        char *tags[] = { tag, NULL };
        q = restic_snapshots(c->repo, tags, &snaps, &n, &res, &err);
        if (q >= 0 && res == RESTIC_OK && state_db_snapshots_replace(c->db, c->app->id, snaps, n) >= 0) {
                cache_set_mirrors(c);
                *ret_count = n;
        }
        for (size_t i = 0; q >= 0 && res == RESTIC_OK && i < n; i++)
                if (snaps[i].job_id == c->job_id && startswith(snaps[i].id, args->summary.snapshot_id) &&
                    !streq(snaps[i].id, args->summary.snapshot_id) && !(*ret_full_id = strdup(snaps[i].id))) {
                        q = -ENOMEM;
                        break;
                }
        snapshot_infos_free(snaps, n);
        return q == -ENOMEM ? q : 0;
}
