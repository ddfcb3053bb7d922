/* restore.c — the restore flow; see restore.h for the numbered steps. */
#include <fcntl.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <sys/statvfs.h>
#include <time.h>

#include "app_control.h"
#include "app_lock.h"
#include "fs_util.h"
#include "restore.h"
#include "strv.h"
#include "swap_journal.h"
#include "systemd_client.h"
#include "unit_names.h"

void restore_result_done(RestoreResult *r) {
        free(r->error);
        free(r->snapshot_id);
        free(r->pre_restore_id);
        *r = (RestoreResult) {};
}

#define step(c, ...) reporter_step((c)->reporter, __VA_ARGS__)

static int failf(RestoreResult *r, RestoreError kind, const char *fmt, ...) _printf_(3, 4);
static int failf(RestoreResult *r, RestoreError kind, const char *fmt, ...) {
        va_list ap;

        r->error_kind = kind;
        free(r->error);
        va_start(ap, fmt);
        r->error = vstrprintf(fmt, ap);
        va_end(ap);
        return 0;
}

static void reached(const RestoreContext *c, unsigned n) {
        if (c->after_step)
                c->after_step(c->test_userdata, n);
}

static usec_t now_mono(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

static char *parent_of(const char *path) {
        const char *s = strrchr(path, '/');
        if (!s || s == path)
                return strdup("/");
        return strndup(path, (size_t) (s - path));
}

/* Finds the snapshot: "latest" of this app, or an id / unique id prefix that
 * must carry this app's tag. */
static int resolve_snapshot(const RestoreContext *c, const char *want, SnapshotInfo *ret, RestoreResult *r) {
        _cleanup_free_ char *err = NULL, *shown = restic_redact(c->repo->repository);
        SnapshotInfo *all = NULL;
        size_t n = 0, match = SIZE_MAX, hits = 0;
        ResticResult res;
        int q;

        if (!shown)
                return -ENOMEM;
        q = restic_snapshots(c->repo, NULL, &all, &n, &res, &err);
        if (q < 0)
                return failf(r, RESTORE_REPOSITORY, "cannot run restic: %s", strerror(-q));
        if (res != RESTIC_OK) {
                snapshot_infos_free(all, n);
                return failf(r, RESTORE_REPOSITORY, "cannot list snapshots in %s: %s%s%s", shown,
                             restic_result_to_string(res), err ? ": " : "", strempty(err));
        }
        for (size_t i = 0; i < n; i++) {
                if (streq(want, "latest")) {
                        if (streq_ptr(all[i].app, c->app->id) && (match == SIZE_MAX || all[i].time > all[match].time))
                                match = i;
                } else if (startswith(all[i].id, want)) {
                        match = i;
                        hits++;
                }
        }
        if (streq(want, "latest") && match == SIZE_MAX)
                q = failf(r, RESTORE_BAD_REQUEST, "app '%s' has no snapshot in %s", c->app->id, shown);
        else if (!streq(want, "latest") && hits == 0)
                q = failf(r, RESTORE_BAD_REQUEST, "no snapshot '%s' in %s", want, shown);
        else if (hits > 1)
                q = failf(r, RESTORE_BAD_REQUEST, "snapshot id '%s' is ambiguous (%zu snapshots start with it), give more of it", want, hits);
        else if (!streq_ptr(all[match].app, c->app->id))
                q = failf(r, RESTORE_BAD_REQUEST, "snapshot %s belongs to %s%s%s, not to app '%s'", all[match].short_id,
                          all[match].app ? "app '" : "no app", strempty(all[match].app), all[match].app ? "'" : "", c->app->id);
        else {
                *ret = all[match];
                all[match] = (SnapshotInfo) {};
                q = 1;
        }
        snapshot_infos_free(all, n);
        return q;
}

/* The snapshot's index: volume name → path inside the snapshot. */
static int read_index(const RestoreContext *c, const SnapshotInfo *s, json_object **ret, RestoreResult *r) {
        _cleanup_free_ char *suffix = NULL, *err = NULL, *text = NULL;
        _cleanup_close_ int fd = -EBADF;
        const char *index = NULL;
        ResticResult res;
        int q;

        if (asprintf(&suffix, "/apps/%s/snapshot-index.json", c->app->id) < 0)
                return -ENOMEM;
        STRV_FOREACH(p, s->paths)
                if (endswith(*p, suffix))
                        index = *p;
        if (!index)
                return failf(r, RESTORE_BAD_REQUEST, "snapshot %s has no berth snapshot index (not made by berth backup?)", s->short_id);
        fd = memfd_create("berth-index", MFD_CLOEXEC);
        if (fd < 0)
                return -errno;
        q = restic_dump(c->repo, s->id, index, fd, &res, &err);
        if (q < 0)
                return failf(r, RESTORE_REPOSITORY, "cannot run restic dump: %s", strerror(-q));
        if (res != RESTIC_OK)
                return failf(r, RESTORE_REPOSITORY, "cannot read the index of snapshot %s: %s%s%s", s->short_id,
                             restic_result_to_string(res), err ? ": " : "", strempty(err));
        {
                _cleanup_free_ char *fdpath = NULL;
                if (asprintf(&fdpath, "/proc/self/fd/%d", fd) < 0)
                        return -ENOMEM;
                q = read_file(fdpath, 1 << 20, &text, NULL);
                if (q < 0)
                        return q;
        }
        *ret = json_tokener_parse(text);
        if (!*ret)
                return failf(r, RESTORE_BAD_REQUEST, "the index of snapshot %s is not valid JSON", s->short_id);
        return 1;
}

typedef struct Target {
        const Volume *volume;
        char *live;
        char *source;   /* path of the volume inside the snapshot */
} Target;

static void targets_free(Target *t, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(t[i].live);
                free(t[i].source);
        }
        free(t);
}

/* Targets from the current manifest, matched against the snapshot's index. */
static int resolve_targets(const RestoreContext *c, const RestoreRequest *req, json_object *index, Target **ret,
                           size_t *ret_n, RestoreResult *r) {
        const App *a = c->app;
        json_object *vols;
        Target *t;
        size_t n = 0;

        if (!json_object_object_get_ex(index, "volumes", &vols) || !json_object_is_type(vols, json_type_object))
                return failf(r, RESTORE_BAD_REQUEST, "the snapshot's index lists no volumes");
        STRV_FOREACH(v, req->volumes) {
                const Volume *vol = app_find_volume(a, *v);
                if (!vol)
                        return failf(r, RESTORE_BAD_REQUEST, "app '%s' has no volume '%s' in its current manifest", a->id, *v);
                if (!vol->backup)
                        return failf(r, RESTORE_BAD_REQUEST, "volume '%s' is not backed up (backup: false), so no snapshot holds it", *v);
        }
        if (!req->volumes) {
                /* Everything: the snapshot and the manifest must agree. */
                json_object_object_foreach(vols, name, val) {
                        const Volume *vol = app_find_volume(a, name);
                        (void) val;
                        if (!vol || !vol->backup)
                                return failf(r, RESTORE_BAD_REQUEST,
                                             "the snapshot holds volume '%s', which the current manifest %s; the manifest has changed since the snapshot: name the volumes to restore with --volume",
                                             name, vol ? "does not back up" : "no longer declares");
                }
        }
        t = calloc(a->n_volumes + 1, sizeof(Target));
        if (!t)
                return -ENOMEM;
        for (size_t i = 0; i < a->n_volumes; i++) {
                const Volume *vol = &a->volumes[i];
                json_object *src;
                if (!vol->backup || (req->volumes && !strv_contains(req->volumes, vol->name)))
                        continue;
                if (!json_object_object_get_ex(vols, vol->name, &src) || !json_object_is_type(src, json_type_string)) {
                        targets_free(t, n);
                        return failf(r, RESTORE_BAD_REQUEST,
                                     "volume '%s' is not in the snapshot; the manifest has changed since the snapshot (a volume was added): restore the others with --volume",
                                     vol->name);
                }
                t[n].volume = vol;
                t[n].live = berth_volume_path(c->paths, a->id, vol);
                t[n].source = strdup(json_object_get_string(src));
                if (!t[n].live || !t[n].source) {
                        targets_free(t, n + 1);
                        return -ENOMEM;
                }
                n++;
        }
        if (n == 0) {
                free(t);
                return failf(r, RESTORE_BAD_REQUEST, "nothing to restore: app '%s' backs up no volume", a->id);
        }
        *ret = t;
        *ret_n = n;
        return 1;
}

/* Free space on each target's filesystem for the snapshot's data of it. */
static int check_space(const RestoreContext *c, const SnapshotInfo *s, const Target *t, size_t n, RestoreResult *r) {
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *parent = parent_of(t[i].live), *err = NULL;
                char *paths[] = { t[i].source, NULL };
                uint64_t need = 0, have;
                ResticResult res;
                struct statvfs sv;
                int q;

                if (!parent)
                        return -ENOMEM;
                q = restic_snapshot_size(c->repo, s->id, paths, &need, &res, &err);
                if (q < 0 || res != RESTIC_OK)
                        return failf(r, RESTORE_REPOSITORY, "cannot size volume '%s' in snapshot %s: %s", t[i].volume->name,
                                     s->short_id, q < 0 ? strerror(-q) : strempty(err));
                /* Volumes on one filesystem add up. */
                for (size_t k = 0; k < i; k++) {
                        struct stat a, b;
                        _cleanup_free_ char *pk = parent_of(t[k].live);
                        char *pp[] = { t[k].source, NULL };
                        uint64_t more = 0;
                        _cleanup_free_ char *e2 = NULL;
                        if (pk && stat(pk, &a) >= 0 && stat(parent, &b) >= 0 && a.st_dev == b.st_dev &&
                            restic_snapshot_size(c->repo, s->id, pp, &more, &res, &e2) >= 0 && res == RESTIC_OK)
                                need += more;
                }
                if (statvfs(parent, &sv) < 0)
                        return failf(r, RESTORE_FAILED, "cannot check free space at '%s': %s", parent, strerror(errno));
                have = (uint64_t) sv.f_bavail * sv.f_frsize;
                /* Staged data lives next to the old until the swap: keep a margin. */
                if (have < need + need / 20 + 16 * 1024 * 1024)
                        return failf(r, RESTORE_NO_SPACE, "not enough space for volume '%s' at '%s': %llu MiB free, %llu MiB needed (with a 5%% margin)",
                                     t[i].volume->name, parent, (unsigned long long) (have >> 20),
                                     (unsigned long long) ((need + need / 20 + 16 * 1024 * 1024) >> 20));
        }
        return 1;
}

static int build_journal(const RestoreContext *c, const SnapshotInfo *s, const Target *t, size_t n, SwapJournal *j) {
        *j = (SwapJournal) { .job = c->job_id, .state = SWAP_STAGING };
        j->app = strdup(c->app->id);
        j->snapshot = strdup(s->id);
        j->volumes = calloc(n + 1, sizeof(SwapVolume));
        if (!j->app || !j->snapshot || !j->volumes)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                SwapVolume *v = &j->volumes[i];
                _cleanup_free_ char *parent = parent_of(t[i].live);
                const char *base = strrchr(t[i].live, '/') + 1;
                j->n_volumes++;
                v->name = strdup(t[i].volume->name);
                v->live = strdup(t[i].live);
                if (!parent || asprintf(&v->scratch, "%s/.berth-restore-%s-%lld", parent, base, (long long) c->job_id) < 0 ||
                    asprintf(&v->old, "%s/.berth-old-%s-%lld", parent, base, (long long) c->job_id) < 0 ||
                    asprintf(&v->staged, "%s%s", v->scratch, t[i].source) < 0 || !v->name || !v->live)
                        return -ENOMEM;
        }
        return 0;
}

static void fault_after_rename(void *userdata, unsigned n) {
        const RestoreContext *c = userdata;
        if (c->after_rename)
                c->after_rename(c->test_userdata, n);
}

int app_restore(const RestoreContext *c, const RestoreRequest *req, RestoreResult *ret) {
        _cleanup_free_ char *target = unit_name_target(c->app->id), *state = NULL;
        json_object *index = NULL;
        SnapshotInfo snap = {};
        SwapJournal j = {};
        Target *t = NULL;
        size_t n = 0;
        RestoreResult r = {};
        bool stopped = false, swapped_any = false;
        usec_t t_stop = 0;
        int q = 0;

        if (!target)
                return -ENOMEM;

        /* 1. Pre-flight. Nothing below touches live data until step 6. */
        {
                SwapJournal old = {};
                q = swap_journal_read(c->paths, c->app->id, &old);
                if (q != -ENOENT) {
                        swap_journal_done(&old);
                        q = failf(&r, RESTORE_NEEDS_RECOVERY, "an interrupted restore of app '%s' is unfinished: run 'berth recover' first", c->app->id);
                        goto done;
                }
        }
        if ((q = resolve_snapshot(c, req->snapshot, &snap, &r)) <= 0)
                goto done;
        if (!(r.snapshot_id = strdup(snap.id)))
                goto oom;
        if ((q = read_index(c, &snap, &index, &r)) <= 0)
                goto done;
        if ((q = resolve_targets(c, req, index, &t, &n, &r)) <= 0)
                goto done;
        if ((q = check_space(c, &snap, t, n, &r)) <= 0)
                goto done;
        step(c, 6, "Restoring %zu volume%s of app '%s' from snapshot %s (%s)", n, n == 1 ? "" : "s", c->app->id,
             snap.short_id, strempty(snap.host));
        reached(c, 1);

        /* 2. Journal first: from here on, leftovers are found and removed. */
        if ((q = build_journal(c, &snap, t, n, &j)) < 0)
                goto oom_q;
        if ((q = swap_journal_write(c->paths, &j)) < 0) {
                q = failf(&r, RESTORE_FAILED, "cannot write the restore journal: %s", strerror(-q));
                goto done;
        }
        reached(c, 2);

        /* 3. Restore into staging while the app runs. */
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *err = NULL;
                char *include[] = { t[i].source, NULL };
                ResticResult res;
                struct stat st;

                step(c, 6, "Restoring volume '%s' into %s", t[i].volume->name, j.volumes[i].scratch);
                q = restic_restore(c->repo, snap.id, j.volumes[i].scratch, include, &res, &err);
                if (q < 0 || res != RESTIC_OK) {
                        q = failf(&r, RESTORE_FAILED, "restic restore of volume '%s' failed: %s", t[i].volume->name,
                                  q < 0 ? strerror(-q) : strempty(err));
                        goto abort;
                }
                if (lstat(j.volumes[i].staged, &st) < 0 || !S_ISDIR(st.st_mode)) {
                        q = failf(&r, RESTORE_FAILED, "restic restored no directory for volume '%s' at %s", t[i].volume->name, j.volumes[i].staged);
                        goto abort;
                }
        }
        /* The new data must be on disk before the journal says it may be swapped in. */
        for (size_t i = 0; i < n; i++) {
                _cleanup_close_ int fd = open(j.volumes[i].scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0 || syncfs(fd) < 0) {
                        q = failf(&r, RESTORE_FAILED, "cannot sync %s: %s", j.volumes[i].scratch, strerror(errno));
                        goto abort;
                }
        }
        reached(c, 3);

        /* 4. Stop the app. Downtime starts here. */
        if (c->bus && systemd_unit_active_state(c->bus, target, &state) >= 0 &&
            (streq(state, "active") || streq(state, "activating") || streq(state, "reloading"))) {
                _cleanup_free_ char *res = NULL;
                j.app_was_running = true;
                t_stop = now_mono();
                step(c, 6, "Stopping app '%s'", c->app->id);
                stopped = true;
                q = app_stop_wait(c->bus, c->app, 10 * 60 * USEC_PER_SEC, &res);
                if (q < 0 || res) {
                        q = failf(&r, RESTORE_FAILED, "stopping app '%s' failed: %s", c->app->id, q < 0 ? strerror(-q) : res);
                        goto abort;
                }
                /* Recovery must know to start the app again after a crash from here on. */
                if ((q = swap_journal_write(c->paths, &j)) < 0) {
                        q = failf(&r, RESTORE_FAILED, "cannot write the restore journal: %s", strerror(-q));
                        goto abort;
                }
        }
        reached(c, 4);

        /* 5. The safety net: the data about to be replaced, as a snapshot. */
        {
                _cleanup_strv_free_ char **paths = NULL, **tags = NULL;
                _cleanup_free_ char *err = NULL;
                ResticBackupSummary sum = {};
                ResticResult res;

                /* The app's usual backup set, not only the volumes being replaced:
                 * then restic takes the last backup as parent and re-reads only
                 * files changed since, so the pause does not grow with the data. */
                if ((q = backup_paths(c->app, c->paths, &paths)) < 0)
                        goto oom_q;
                /* A path that does not exist (an app never backed up has no index
                 * yet) is left out: restic would skip it silently anyway. */
                size_t k = 0;
                for (size_t i = 0; paths[i]; i++) {
                        struct stat st;
                        if (lstat(paths[i], &st) < 0)
                                free(paths[i]);
                        else
                                paths[k++] = paths[i];
                }
                paths[k] = NULL;
                if ((q = strv_extendf(&tags, "app:%s", c->app->id)) < 0 || (q = strv_extendf(&tags, "job:%lld", (long long) c->job_id)) < 0 ||
                    (q = strv_extend(&tags, "kind:pre-restore")) < 0)
                        goto oom_q;
                step(c, 6, "Taking the pre-restore snapshot");
                q = restic_backup_with(c->repo, paths, tags, c->host, RESTIC_BACKUP_IGNORE_INODE, NULL, NULL, &sum, &res, &err);
                if (q < 0 || (res != RESTIC_OK && res != RESTIC_PARTIAL) || !sum.snapshot_id) {
                        restic_backup_summary_done(&sum);
                        q = failf(&r, RESTORE_FAILED, "the pre-restore snapshot failed, nothing was replaced: %s",
                                  q < 0 ? strerror(-q) : strempty(err));
                        goto abort;
                }
                r.pre_restore_id = TAKE_PTR(sum.snapshot_id);
                restic_backup_summary_done(&sum);
                step(c, 6, "Pre-restore snapshot %.8s saved", r.pre_restore_id);
        }
        reached(c, 5);

        /* 6. Journal PREPARED: the inodes that tell old from new after a crash. */
        for (size_t i = 0; i < n; i++) {
                q = swap_volume_record_inodes(&j.volumes[i]);
                if (q < 0) {
                        q = failf(&r, RESTORE_FAILED, "volume '%s': %s or its staged copy is not a directory", t[i].volume->name, t[i].live);
                        goto abort;
                }
        }
        j.state = SWAP_PREPARED;
        if ((q = swap_journal_write(c->paths, &j)) < 0) {
                q = failf(&r, RESTORE_FAILED, "cannot write the restore journal: %s", strerror(-q));
                goto abort;
        }
        reached(c, 6);

        /* 7, 8. Swap. */
        {
                SwapOptions so = { .force_fallback = c->force_fallback, .after_rename = fault_after_rename, .userdata = (void *) c };
                for (size_t i = 0; i < n; i++) {
                        bool fb = false;
                        q = swap_volume_exchange(&j.volumes[i], &so, &fb);
                        if (q < 0) {
                                q = failf(&r, RESTORE_FAILED, "swapping volume '%s' failed: %s", t[i].volume->name, strerror(-q));
                                goto rollback;
                        }
                        swapped_any = true;
                        r.fallback = r.fallback || fb;
                        if (i == 0)
                                reached(c, 7);
                }
        }
        reached(c, 8);

        /* 9. Commit. */
        j.state = SWAP_COMMITTED;
        if ((q = swap_journal_write(c->paths, &j)) < 0) {
                q = failf(&r, RESTORE_FAILED, "cannot commit the restore journal: %s", strerror(-q));
                goto rollback;
        }
        reached(c, 9);

        /* 10. Start the app again: prepare may run now (shared lock). */
        (void) app_lock_downgrade(c->lock_fd);
        if (stopped) {
                _cleanup_free_ char *res = NULL;
                step(c, 6, "Starting %s", target);
                q = app_start_wait(c->bus, c->app, 20 * 60 * USEC_PER_SEC, &res);
                r.downtime = now_mono() - t_stop;
                if (q < 0 || !streq(res, "done"))
                        step(c, 4, "Starting %s after the restore failed (%s); the restored data is in place", target,
                             q < 0 ? strerror(-q) : res);
        }
        reached(c, 10);

        /* 11, 12. Old data out, journal closed. */
        for (size_t i = 0; i < n; i++) {
                ino_t cur = 0;
                struct stat st;
                if (lstat(j.volumes[i].staged, &st) >= 0)
                        cur = st.st_ino;
                if (cur == j.volumes[i].live_ino && (q = rm_rf(j.volumes[i].staged)) < 0)
                        step(c, 4, "Cannot remove the old data of volume '%s' at %s: %s", t[i].volume->name, j.volumes[i].staged, strerror(-q));
        }
        (void) swap_journal_cleanup(&j);
        reached(c, 11);
        q = swap_journal_remove(c->paths, c->app->id);
        if (q < 0)
                step(c, 4, "Cannot remove the restore journal: %s (berth recover will finish it)", strerror(-q));
        reached(c, 12);
        step(c, 6, "Restored app '%s' from snapshot %s%s", c->app->id, snap.short_id, r.fallback ? " (two-rename fallback)" : "");
        r.error_kind = RESTORE_OK;
        q = 0;
        goto done;

rollback:
        /* A swap failed: undo the ones done (journal PREPARED says how). */
        {
                SwapOutcome o;
                int k;
                j.state = SWAP_PREPARED;
                k = swap_journal_recover(c->paths, &j, &o);
                if (k < 0)
                        step(c, 3, "Rolling back failed: %s; the journal stays for berth recover", strerror(-k));
                (void) swapped_any;
        }
        goto restart;
abort:
        /* Before any swap: drop the staged copies and the journal. */
        (void) swap_journal_cleanup(&j);
        (void) swap_journal_remove(c->paths, c->app->id);
restart:
        if (stopped) {
                _cleanup_free_ char *res = NULL;
                (void) app_lock_downgrade(c->lock_fd);
                step(c, 6, "Starting %s again, with its old data", target);
                (void) app_start_wait(c->bus, c->app, 20 * 60 * USEC_PER_SEC, &res);
        }
        q = 0;
done:
        json_object_put(index);
        targets_free(t, n);
        snapshot_info_done(&snap);
        swap_journal_done(&j);
        if (q < 0) {
                restore_result_done(&r);
                return q;
        }
        if (r.error_kind == RESTORE_OK && r.error)
                r.error_kind = RESTORE_FAILED;
        *ret = r;
        return 0;
oom_q:
oom:
        q = -ENOMEM;
        goto done;
}
