/* backup.c — the backup flow. */
#include <json-c/json.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <time.h>

#include "app_control.h"
#include "app_lock.h"
#include "backup-internal.h"
#include "fs_util.h"
#include "podman_cli.h"
#include "stop_signals.h"
#include "strv.h"
#include "systemd_client.h"
#include "unit_names.h"

void backup_result_done(BackupResult *r) {
        free(r->error);
        free(r->snapshot_id);
        free(r->stats_json);
        *r = (BackupResult) {};
}

void reporter_step(const BackupReporter *rep, int level, const char *fmt, ...) {
        _cleanup_free_ char *m = NULL;
        va_list ap;

        if (!rep || !rep->step)
                return;
        va_start(ap, fmt);
        m = vstrprintf(fmt, ap);
        va_end(ap);
        rep->step(rep->userdata, level, m ?: "(out of memory)");
}

#define step(c, ...) reporter_step((c)->reporter, __VA_ARGS__)

static void fail(BackupResult *r, const char *fmt, ...) _printf_(2, 3);
static void fail(BackupResult *r, const char *fmt, ...) {
        va_list ap;

        r->status = JOB_FAILED;
        if (r->error)
                return; /* the first failure is the one to report */
        va_start(ap, fmt);
        r->error = vstrprintf(fmt, ap);
        va_end(ap);
}

static void warn(BackupResult *r, const char *fmt, ...) _printf_(2, 3);
static void warn(BackupResult *r, const char *fmt, ...) {
        va_list ap;

        if (r->status == JOB_SUCCEEDED)
                r->status = JOB_WARNING;
        if (r->error)
                return;
        va_start(ap, fmt);
        r->error = vstrprintf(fmt, ap);
        va_end(ap);
}

static usec_t now_realtime(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

char *backup_index_path(const BerthPaths *p, const char *app_id) {
        char *s;
        if (asprintf(&s, "%s/apps/%s/snapshot-index.json", p->state_dir, app_id) < 0)
                return NULL;
        return s;
}

int backup_paths(const App *a, const BerthPaths *p, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *secrets = berth_secret_dir(p, a->id), *index = backup_index_path(p, a->id);
        struct stat st;
        int r;

        if (!secrets || !index)
                return -ENOMEM;
        if ((r = strv_extend(&l, index)) < 0)
                return r;
        for (size_t i = 0; i < a->n_volumes; i++) {
                if (!a->volumes[i].backup)
                        continue;
                r = strv_consume(&l, berth_volume_path(p, a->id, &a->volumes[i]));
                if (r < 0)
                        return r;
        }
        if (a->n_secrets > 0 && stat(secrets, &st) >= 0 && (r = strv_extend(&l, secrets)) < 0)
                return r;
        *ret = TAKE_PTR(l);
        return 0;
}

static int write_index(const BackupContext *c) {
        _cleanup_free_ char *path = backup_index_path(c->paths, c->app->id), *secrets = berth_secret_dir(c->paths, c->app->id);
        json_object *o = json_object_new_object(), *vols = json_object_new_object();
        const char *text;
        int r;

        if (!path || !secrets || !o || !vols) {
                json_object_put(o);
                json_object_put(vols);
                return -ENOMEM;
        }
        json_object_object_add(o, "schema", json_object_new_int(1));
        json_object_object_add(o, "app", json_object_new_string(c->app->id));
        json_object_object_add(o, "host", json_object_new_string(c->host));
        json_object_object_add(o, "job", json_object_new_int64(c->job_id));
        for (size_t i = 0; i < c->app->n_volumes; i++) {
                const Volume *v = &c->app->volumes[i];
                _cleanup_free_ char *vp = NULL;
                if (!v->backup)
                        continue;
                vp = berth_volume_path(c->paths, c->app->id, v);
                if (!vp) {
                        json_object_put(o);
                        json_object_put(vols);
                        return -ENOMEM;
                }
                json_object_object_add(vols, v->name, json_object_new_string(vp));
        }
        json_object_object_add(o, "volumes", vols);
        json_object_object_add(o, "secrets", json_object_new_string(secrets));
        text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
        r = write_file_atomic(path, text, strlen(text), 0600, false);
        json_object_put(o);
        return r;
}

/* A stop of the job's unit. The helper blocks SIGINT and SIGTERM, so a stop
 * request (systemd sends KillSignal= to every process of the unit) stays
 * pending here while restic and podman exec, which do not block them, end at
 * once. From then on nothing new is started, and the app is started again
 * without waiting: its start jobs are ordered after this unit's stop. */
static bool stop_requested(void) {
        return stop_signal_pending() != 0;
}

/* The app started again after a quiesced backup, waited for (post hooks may
 * need it) unless a stop of the job comes meanwhile: the app's start jobs are
 * then ordered after this unit's stop (berth-recover.service, which both
 * follow), and waiting would only hold both until systemd's stop timeout.
 * *ret_result: the job's result, or "not waited for". */
static int start_app_again(const BackupContext *c, const char *target, char **ret_result) {
        SystemdJob j;
        usec_t deadline = now_realtime() + 20 * 60 * USEC_PER_SEC;
        int q;

        q = systemd_job_enqueue(c->bus, "StartUnit", target, &j);
        if (q < 0)
                return q;
        while (!j.done && !stop_requested()) {
                q = sd_bus_process(c->bus, NULL);
                if (q < 0)
                        goto out;
                if (q > 0)
                        continue;
                usec_t now = now_realtime();
                if (now >= deadline) {
                        q = -ETIMEDOUT;
                        goto out;
                }
                /* A pending signal does not wake the wait: look again each second. */
                q = sd_bus_wait(c->bus, MIN(deadline - now, USEC_PER_SEC));
                if (q < 0)
                        goto out;
        }
        q = 0;
        *ret_result = j.done ? TAKE_PTR(j.result) : strdup("not waited for: the backup was stopped");
        if (!*ret_result)
                q = -ENOMEM;
out:
        systemd_job_done(&j);
        return q;
}

/* restic calls that may meet a repository locked by another job: retried with
 * a growing pause, lock_retries times. */
typedef int (*ResticCall)(const BackupContext *c, void *arg, ResticResult *res, char **err);

static int with_lock_retries(const BackupContext *c, const char *what, ResticCall call, void *arg,
                             ResticResult *ret_res, char **ret_err) {
        unsigned attempt = 0;
        int r;

        for (;;) {
                ResticResult res = RESTIC_FAILED;
                _cleanup_free_ char *err = NULL;

                r = call(c, arg, &res, &err);
                if (r < 0)
                        return r;
                /* A pre-upgrade snapshot holds the app's start: it waits out
                 * another app's long prune rather than leave the app down. */
                bool give_up = c->kind != BACKUP_PRE_UPGRADE && attempt >= c->conf->lock_retries;
                if (res != RESTIC_LOCKED || give_up || stop_requested()) {
                        *ret_res = res;
                        *ret_err = TAKE_PTR(err);
                        return 0;
                }
                attempt++;
                /* A lock left by a process that died (a killed job) would make every
                 * retry fail: clear stale locks first; a live holder's lock stays. */
                {
                        ResticResult ures;
                        _cleanup_free_ char *uerr = NULL;
                        (void) restic_unlock_stale(c->repo, &ures, &uerr);
                }
                unsigned pause = MIN(5U << MIN(attempt - 1, 4U), 60U);
                if (c->kind == BACKUP_PRE_UPGRADE)
                        step(c, 4, "Repository is locked by another operation; %s again in %u s (attempt %u; the app starts once this snapshot is saved)",
                             what, pause, attempt);
                else
                        step(c, 4, "Repository is locked by another operation; %s again in %u s (attempt %u of %u)",
                             what, pause, attempt, c->conf->lock_retries);
                for (unsigned i = 0; i < pause && !stop_requested(); i++)
                        sleep(1);
        }
}

static int call_check(const BackupContext *c, void *arg, ResticResult *res, char **err) {
        return restic_check_access(c->repo, res, err);
}

static void on_progress(const ResticProgress *p, void *userdata) {
        const BackupContext *c = userdata;
        if (c->reporter && c->reporter->progress)
                c->reporter->progress(c->reporter->userdata, p);
}

static int call_backup(const BackupContext *c, void *arg, ResticResult *res, char **err) {
        BackupArgs *a = arg;
        int q;

        restic_backup_summary_done(&a->summary);
        q = restic_backup(c->repo, a->paths, a->tags, c->host, on_progress, (void *) c, &a->summary, res, err);
        a->ended = now_realtime();
        return q;
}

static int call_forget(const BackupContext *c, void *arg, ResticResult *res, char **err) {
        _cleanup_free_ char *tag = NULL;
        if (asprintf(&tag, "app:%s", c->app->id) < 0)
                return -ENOMEM;
        return restic_forget(c->repo, tag, &c->app->backup.retention, (char ***) arg, res, err);
}

static int call_prune(const BackupContext *c, void *arg, ResticResult *res, char **err) {
        return restic_prune(c->repo, res, err);
}

static const char *describe(ResticResult res) {
        switch (res) {
        case RESTIC_NO_REPOSITORY:
                return "no restic repository there";
        case RESTIC_WRONG_PASSWORD:
                return "wrong repository password (backup.password_file)";
        case RESTIC_LOCKED:
                return "repository still locked after all retries";
        default:
                return "restic failed";
        }
}

/* Opens the repository, initialising the embedded default on first use. */
static bool default_repository_missing(const BackupContext *c) {
        _cleanup_free_ char *config = NULL;
        return c->repo->is_default &&
               (asprintf(&config, "%s/config", c->repo->repository) < 0 || access(config, F_OK) < 0);
}

/* The lock (/run/berth/lock/.repository, not an app id) under which the
 * embedded default repository is made: the first jobs of several apps (after
 * a boot that upgraded them all, say) find none at once, and two restic init
 * of one directory leave it damaged for good. */
#define REPOSITORY_LOCK ".repository"

static int ensure_repository(const BackupContext *c, BackupResult *r, bool *ret_initialised) {
        _cleanup_free_ char *err = NULL, *shown = restic_redact(c->repo->repository);
        _cleanup_close_ int lock = -EBADF;
        ResticResult res;
        int q;

        if (!shown)
                return -ENOMEM;
        if (default_repository_missing(c)) {
                lock = app_lock_take(c->paths, REPOSITORY_LOCK, APP_LOCK_EXCLUSIVE, true);
                if (lock < 0) {
                        fail(r, "cannot take the lock for creating the default repository %s: %s", shown, strerror(-lock));
                        return 0;
                }
                /* Made meanwhile by the holder we waited for: it is opened as any other. */
        }
        if (c->repo->is_default) {
                q = restic_default_password_ensure(c->repo);
                if (q < 0) {
                        fail(r, "cannot create the password of the default repository %s: %s", shown, strerror(-q));
                        return 0;
                }
        }
        q = with_lock_retries(c, "opening it", call_check, NULL, &res, &err);
        if (q < 0) {
                fail(r, "cannot run restic: %s", strerror(-q));
                return 0;
        }
        if (res == RESTIC_NO_REPOSITORY && c->repo->is_default) {
                free(err);
                err = NULL;
                step(c, 6, "Initialising the default repository %s", shown);
                q = restic_init(c->repo, &res, &err);
                if (q < 0) {
                        fail(r, "cannot run restic init: %s", strerror(-q));
                        return 0;
                }
                *ret_initialised = res == RESTIC_OK;
        }
        if (res != RESTIC_OK)
                fail(r, "repository %s: %s%s%s", shown, describe(res), err ? ": " : "", strempty(err));
        return 0;
}

static bool must_open_first(const BackupContext *c) {
        if (c->kind == BACKUP_SCHEDULED && (c->app->backup.quiesce == QUIESCE_STOP || c->app->backup.hooks.n_pre > 0))
                return true;
        /* The embedded default is a local path: does it hold a repository yet? */
        return default_repository_missing(c);
}

static int run_hooks(const BackupContext *c, const Hook *hooks, size_t n, const char *phase, char **env,
                     BackupResult *r, bool failing_aborts) {
        for (size_t i = 0; i < n; i++) {
                const Container *ct = app_find_container(c->app, hooks[i].container);
                _cleanup_free_ char *name = NULL;
                int q, st;

                if (!ct || asprintf(&name, "%s-%s", c->app->id, ct->name) < 0)
                        return -ENOMEM;
                step(c, 6, "Running %s hook %zu of %zu in container '%s'", phase, i + 1, n, ct->name);
                q = podman_exec(name, hooks[i].exec, env, &st);
                if (q < 0) {
                        st = -1;
                        step(c, 3, "Cannot run podman exec for the %s hook in '%s': %s", phase, ct->name, strerror(-q));
                }
                if (st != 0) {
                        if (failing_aborts) {
                                fail(r, "%s hook %zu in container '%s' failed (exit status %d)", phase, i + 1, ct->name, st);
                                return 0;
                        }
                        warn(r, "%s hook %zu in container '%s' failed (exit status %d)", phase, i + 1, ct->name, st);
                }
        }
        return 0;
}

static json_object *stats_object(const ResticBackupSummary *s, usec_t duration, unsigned forgotten) {
        json_object *o = json_object_new_object();
        if (!o)
                return NULL;
        json_object_object_add(o, "files_new", json_object_new_int64((int64_t) s->files_new));
        json_object_object_add(o, "files_changed", json_object_new_int64((int64_t) s->files_changed));
        json_object_object_add(o, "files_unmodified", json_object_new_int64((int64_t) s->files_unmodified));
        json_object_object_add(o, "data_added", json_object_new_int64((int64_t) s->data_added));
        json_object_object_add(o, "total_files_processed", json_object_new_int64((int64_t) s->total_files_processed));
        json_object_object_add(o, "total_bytes_processed", json_object_new_int64((int64_t) s->total_bytes_processed));
        json_object_object_add(o, "restic_duration", json_object_new_double(s->total_duration));
        json_object_object_add(o, "duration", json_object_new_double((double) duration / 1e6));
        json_object_object_add(o, "snapshots_forgotten", json_object_new_int((int) forgotten));
        return o;
}

int app_backup(const BackupContext *c, BackupResult *ret) {
        _cleanup_free_ char *target = unit_name_target(c->app->id), *tag_app = NULL, *tag_job = NULL;
        _cleanup_strv_free_ char **forgotten = NULL;
        const App *a = c->app;
        BackupArgs args = {};
        BackupResult r = { .status = JOB_SUCCEEDED };
        bool stopped = false, initialised = false, scheduled = c->kind == BACKUP_SCHEDULED;
        size_t cached = SIZE_MAX;
        usec_t t0 = now_realtime();
        int q;

        if (!target || asprintf(&tag_app, "app:%s", a->id) < 0 || asprintf(&tag_job, "job:%lld", (long long) c->job_id) < 0)
                return -ENOMEM;

        /* 1. The repository must open before anything touches the app: a
         * hook or a stop is not done for a backup that cannot be written. When
         * nothing would touch it, restic backup itself says the same as this
         * check would (one repository opening less: each costs restic's key
         * derivation, most of an unchanged backup's run time). The default
         * repository is initialised on first use either way. */
        if (must_open_first(c)) {
                if ((q = ensure_repository(c, &r, &initialised)) < 0)
                        goto oom;
                if (r.status == JOB_FAILED)
                        goto post;
        }

        /* 2. What to back up, and the index that says which path is which volume. */
        if ((q = backup_paths(a, c->paths, &args.paths)) < 0)
                goto oom;
        STRV_FOREACH(p, args.paths) {
                struct stat st;
                if (stat(*p, &st) < 0 && !endswith(*p, "snapshot-index.json")) {
                        fail(&r, "'%s' does not exist: has the app been prepared (systemctl start %s)?", *p, target);
                        goto post;
                }
        }
        q = write_index(c);
        if (q < 0) {
                fail(&r, "cannot write the snapshot index: %s", strerror(-q));
                goto post;
        }
        if ((q = strv_extend(&args.tags, tag_app)) < 0 || (q = strv_extend(&args.tags, tag_job)) < 0 ||
            (q = strv_extendf(&args.tags, "kind:%s", backup_kind_to_string(c->kind))) < 0)
                goto oom;

        /* 3. Pre hooks: a failing one aborts the backup. */
        if (stop_requested()) {
                fail(&r, "the backup was stopped before it began");
                goto post;
        }
        if (scheduled && (q = run_hooks(c, a->backup.hooks.pre, a->backup.hooks.n_pre, "pre", NULL, &r, true)) < 0)
                goto oom;
        if (r.status == JOB_FAILED)
                goto post;

        /* 4. Quiesce: a running app stops; from here on it is started again
         * whatever happens. An app that is not running (stopped by its
         * administrator) is already quiet, and stays stopped. */
        if (scheduled && a->backup.quiesce == QUIESCE_STOP) {
                _cleanup_free_ char *res = NULL;
                if (!c->bus) {
                        fail(&r, "cannot stop the app for a quiesced backup: no connection to systemd");
                        goto post;
                }
                q = app_is_running(c->bus, a);
                if (q == -ENOMEM)
                        goto oom;
                if (q == 0) {
                        step(c, 6, "App '%s' is not running: backing it up as it is, and leaving it stopped", a->id);
                        goto backup;
                }
                step(c, 6, "Stopping app '%s' for a consistent backup", a->id);
                stopped = true;
                q = app_stop_wait(c->bus, a, 10 * 60 * USEC_PER_SEC, &res);
                if (q < 0 || res) {
                        fail(&r, "stopping app '%s' failed: %s", a->id, q < 0 ? strerror(-q) : res);
                        goto restart;
                }
        }

        /* 5. restic backup. */
backup:
        if (stop_requested()) {
                fail(&r, "the backup was stopped before restic backup began");
                goto restart;
        }
        {
                ResticResult res;
                _cleanup_free_ char *err = NULL;
                step(c, 6, "Backing up %zu path%s of app '%s'", strv_length(args.paths), strv_length(args.paths) == 1 ? "" : "s", a->id);
                q = with_lock_retries(c, "backing up", call_backup, &args, &res, &err);
                if (q < 0) {
                        fail(&r, "cannot run restic backup: %s", strerror(-q));
                        goto restart;
                }
                if (res != RESTIC_OK && res != RESTIC_PARTIAL && stop_requested()) {
                        fail(&r, "the backup was stopped while restic backup ran");
                        goto restart;
                }
                if (res == RESTIC_PARTIAL)
                        warn(&r, "snapshot written, but some files could not be read: %s", strempty(err));
                else if (res != RESTIC_OK) {
                        /* Named, as every repository failure is: with several
                         * hosts or a changed berth.conf "which one?" matters. */
                        _cleanup_free_ char *shown = restic_redact(c->repo->repository);
                        fail(&r, "restic backup to repository %s: %s%s%s", strempty(shown), describe(res), err ? ": " : "",
                             strempty(err));
                        goto restart;
                }
                if (args.summary.snapshot_id && !(r.snapshot_id = strdup(args.summary.snapshot_id)))
                        goto oom_q;
                step(c, 6, "Snapshot %.8s saved: %llu new, %llu changed, %llu unchanged files, %llu bytes added",
                     strempty(r.snapshot_id), (unsigned long long) args.summary.files_new,
                     (unsigned long long) args.summary.files_changed, (unsigned long long) args.summary.files_unmodified,
                     (unsigned long long) args.summary.data_added);
        }

restart:
        /* 6. The app runs again before post hooks, which may need it. Only a
         * shared lock is kept, so its prepare step can run. */
        if (stopped) {
                _cleanup_free_ char *res = NULL;
                (void) app_lock_downgrade(c->lock_fd);
                step(c, 6, "Starting %s again", target);
                q = start_app_again(c, target, &res);
                if (q == -ENOMEM)
                        goto oom;
                if (q < 0 || !streq(res, "done"))
                        warn(&r, "starting %s again: %s", target, q < 0 ? strerror(-q) : res);
        }

        /* 7. The snapshot cache learns the snapshot (history, not truth:
         * failures only warn); before the post hooks, which are told its full
         * id, which restic < 0.17 names only in a listing. */
        if (r.snapshot_id) {
                _cleanup_free_ char *full = NULL;
                if ((q = backup_cache_learn(c, &args, initialised, &cached, &full)) < 0)
                        goto oom;
                if (full) {
                        free(r.snapshot_id);
                        r.snapshot_id = TAKE_PTR(full);
                }
        }

post:
        /* 8. Post hooks always run, told how the job went. */
        {
                _cleanup_strv_free_ char **env = NULL;
                if ((q = strv_extendf(&env, "BERTH_JOB_STATUS=%s", job_status_to_string(r.status))) < 0 ||
                    (q = strv_extendf(&env, "BERTH_JOB_ID=%lld", (long long) c->job_id)) < 0 ||
                    (q = strv_extendf(&env, "BERTH_SNAPSHOT_ID=%s", strempty(r.snapshot_id))) < 0)
                        goto oom;
                if (scheduled && (q = run_hooks(c, a->backup.hooks.post, a->backup.hooks.n_post, "post", env, &r, false)) < 0)
                        goto oom;
        }

        /* 9. Retention, and prune on its cadence, only after a good snapshot.
         * restic keeps a snapshot that any rule keeps: with no more snapshots
         * than keep-last, forget can remove nothing and is not run (it would
         * open the repository, and lock it exclusively for every other app).
         * A pre-upgrade snapshot has none of its own: the app's next
         * scheduled backup applies the retention to it like to any other. */
        if (scheduled && r.snapshot_id && r.status != JOB_FAILED && stop_requested())
                warn(&r, "retention not applied: the backup was stopped");
        else if (scheduled && r.snapshot_id && r.status != JOB_FAILED) {
                ResticResult res;
                _cleanup_free_ char *err = NULL, *last = NULL;

                if (a->backup.retention.last > 0 && cached <= a->backup.retention.last)
                        step(c, 6, "Retention: %zu snapshot%s of app '%s', keep-last %u: nothing to forget", cached,
                             cached == 1 ? "" : "s", a->id, a->backup.retention.last);
                else {
                        q = with_lock_retries(c, "applying retention", call_forget, &forgotten, &res, &err);
                        if (q < 0 || res != RESTIC_OK)
                                warn(&r, "retention (restic forget) failed: %s", q < 0 ? strerror(-q) : strempty(err));
                        else if (forgotten) {
                                step(c, 6, "Retention removed %zu snapshot%s", strv_length(forgotten),
                                     strv_length(forgotten) == 1 ? "" : "s");
                                if ((q = backup_cache_edit(c, forgotten, NULL, &cached)) < 0)
                                        goto oom;
                        }
                }

                usec_t last_prune = 0, now = now_realtime();
                if (state_db_meta_get(c->db, "last_prune", &last) >= 0)
                        last_prune = strtoull(last, NULL, 10);
                if (forgotten && now - last_prune >= c->conf->prune_interval) {
                        _cleanup_free_ char *perr = NULL;
                        char buf[32];
                        step(c, 6, "Pruning the repository (every %llu s at most)", (unsigned long long) (c->conf->prune_interval / USEC_PER_SEC));
                        q = with_lock_retries(c, "pruning", call_prune, NULL, &res, &perr);
                        if (q < 0 || res != RESTIC_OK)
                                warn(&r, "restic prune failed: %s", q < 0 ? strerror(-q) : strempty(perr));
                        else {
                                snprintf(buf, sizeof(buf), "%llu", (unsigned long long) now);
                                (void) state_db_meta_set(c->db, "last_prune", buf);
                        }
                }
        }

        {
                json_object *o = stats_object(&args.summary, now_realtime() - t0, (unsigned) strv_length(forgotten));
                if (o) {
                        r.stats_json = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
                        json_object_put(o);
                }
        }
        restic_backup_summary_done(&args.summary);
        strv_free(args.paths);
        strv_free(args.tags);
        *ret = r;
        return 0;
oom_q:
        q = -ENOMEM;
oom:
        restic_backup_summary_done(&args.summary);
        strv_free(args.paths);
        strv_free(args.tags);
        backup_result_done(&r);
        return q;
}
