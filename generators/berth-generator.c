/* berth-generator — systemd generator: every app manifest in the search path
 * becomes units in the directory systemd hands us (systemd.generator(7)).
 * A bad manifest costs that app alone: its problems are logged, its units are
 * not written, every other app renders, and we exit 0. No IPC, no processes,
 * no sockets: only reading manifests and writing units. The work is shared by
 * threads of this one process (generators delay boot; a manifest is loaded,
 * rendered and written independently of every other), which is none of those.
 *
 * The result is the same, byte for byte and message for message, as handling
 * the apps one after another in id order, whatever the threads' timing:
 *   1. threads load, validate, render and write each app (all-or-nothing, by
 *      exclusive create), keeping only the names it writes;
 *   2. the main thread finds the apps that write a name another app writes
 *      too: only for those could the threads' order have mattered. What they
 *      wrote is removed again, and they are rendered and written once more,
 *      one after another in id order, so the first one wins as it always has.
 * Then the apps' problems are logged, in id order. */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include "app_source.h"
#include "berth_conf.h"
#include "berth_paths.h"
#include "log.h"
#include "manifest.h"
#include "render.h"
#include "strv.h"
#include "userns.h"

/* More threads than this only contend for the output directory. */
#define MAX_THREADS 8

static BerthScope detect_scope(void) {
        const char *s = getenv("SYSTEMD_SCOPE");
        if (s)
                return streq(s, "user") ? SCOPE_USER : SCOPE_SYSTEM;
        return getuid() == 0 ? SCOPE_SYSTEM : SCOPE_USER;
}

typedef enum AppState {
        APP_MASKED,
        APP_INVALID,    /* loading or validation failed: r, diag */
        APP_UNRENDERED, /* rendering failed: r */
        APP_WRITTEN,    /* written: r; -EEXIST when a unit name was taken */
} AppState;

/* One app's way through the generator. A job is touched by one thread at a
 * time: by the worker that took it, then by the main thread. */
typedef struct AppJob {
        const AppSource *source;
        AppState state;
        int r;
        Diagnostics diag;
        char *failed;    /* the file or directory writing failed on */
        uint32_t userns_base;
        /* What the app writes, whether or not it could: unit file names and
         * links as "dir/name", each NUL-terminated, one after another. */
        char *names;
        size_t n_names;
        bool shares_names; /* another app (or this one twice) writes one of its names */
} AppJob;

typedef struct Generator {
        AppJob *jobs;
        size_t n_jobs;
        const BerthConf *conf;
        const RenderOptions *opts;
        const char *dir; /* the normal directory */
        int dfd;         /* dir, open; < 0 when it cannot be opened */
        unsigned n_threads;
        atomic_size_t next; /* the next job a worker takes */
        /* The .wants directories made for the apps' links (see ensure_link_dirs()). */
        pthread_mutex_t dirs_lock;
        char **dirs_seen, **dirs_made;
} Generator;

static void job_reset(AppJob *job) {
        diag_clear(&job->diag);
        free(job->failed);
        free(job->names);
        job->failed = job->names = NULL;
        job->n_names = 0;
        job->r = 0;
}

static void jobs_free(AppJob *jobs, size_t n) {
        for (size_t i = 0; i < n; i++)
                job_reset(&jobs[i]);
        free(jobs);
}

/* Records the names the units write, in one allocation. */
static int job_set_names(AppJob *job, const UnitSet *units) {
        size_t len = 0;
        char *p;

        for (size_t i = 0; i < units->n_files; i++)
                len += strlen(units->files[i]->name) + 1;
        for (size_t i = 0; i < units->n_links; i++)
                len += strlen(units->links[i].dir) + 1 + strlen(units->links[i].name) + 1;
        p = job->names = malloc(len + 1);
        if (!p)
                return -ENOMEM;
        for (size_t i = 0; i < units->n_files; i++)
                p = stpcpy(p, units->files[i]->name) + 1;
        for (size_t i = 0; i < units->n_links; i++) {
                p = stpcpy(p, units->links[i].dir);
                *p++ = '/';
                p = stpcpy(p, units->links[i].name) + 1;
        }
        job->n_names = units->n_files + units->n_links;
        return 0;
}

/* Makes the .wants directories the app links from before it writes, and keeps
 * them until every app is written: an app that made one itself would remove it
 * again on failure, under another app's link on its way in. Best effort: what
 * cannot be made here, the app's own writing reports. */
static void ensure_link_dirs(Generator *g, const UnitSet *units) {
        if (g->dfd < 0 || units->n_links == 0)
                return;
        pthread_mutex_lock(&g->dirs_lock);
        for (size_t i = 0; i < units->n_links; i++) {
                const char *d = units->links[i].dir;
                if (strv_contains(g->dirs_seen, d) || strv_extend(&g->dirs_seen, d) < 0)
                        continue;
                if (mkdirat(g->dfd, d, 0755) >= 0)
                        (void) strv_extend(&g->dirs_made, d);
        }
        pthread_mutex_unlock(&g->dirs_lock);
}

/* Removes the directories made for links that ended up empty: the apps that
 * would have linked from them failed. */
static void remove_unused_link_dirs(Generator *g) {
        STRV_FOREACH(d, g->dirs_made)
                (void) unlinkat(g->dfd, *d, AT_REMOVEDIR); /* fails unless empty */
}

static void write_units(Generator *g, AppJob *job, const UnitSet *units) {
        ensure_link_dirs(g, units);
        if (g->dfd >= 0)
                job->r = unit_set_write_at(units, g->dfd, &job->failed);
        else
                job->r = unit_set_write(units, g->dir, &job->failed);
        job->state = APP_WRITTEN;
}

/* Load, validate, render and write one app. The units are freed as soon as
 * they are written: only their names stay. */
static void process_app(Generator *g, AppJob *job) {
        _cleanup_(app_freep) App *app = NULL;
        UnitSet units = {};

        if (job->source->masked) {
                job->state = APP_MASKED;
                return;
        }
        job->r = manifest_load(job->source, g->conf, &app, &job->diag);
        if (job->r < 0) {
                job->state = APP_INVALID;
                return;
        }
        job->r = render_systemd(app, g->opts, &units);
        if (job->r >= 0)
                job->r = job_set_names(job, &units);
        if (job->r < 0) {
                job->state = APP_UNRENDERED;
                unit_set_done(&units);
                return;
        }
        job->userns_base = userns_base(app->id);
        write_units(g, job, &units);
        unit_set_done(&units);
}

static void *worker(void *userdata) {
        Generator *g = userdata;

        for (;;) {
                size_t i = atomic_fetch_add(&g->next, 1);
                if (i >= g->n_jobs)
                        return NULL;
                process_app(g, &g->jobs[i]);
        }
}

/* Runs process_app() on every job, on up to n_threads threads including this
 * one. Each job is taken by one thread and touches nothing shared but the
 * output directory and (locked) the list of .wants directories; creating and
 * joining the threads orders their work before and after. If a thread cannot
 * be made, fewer do the work. */
static void process_apps(Generator *g) {
        pthread_t threads[MAX_THREADS];
        unsigned started = 0;

        atomic_store(&g->next, 0);
        while (started + 1 < g->n_threads && pthread_create(&threads[started], NULL, worker, g) == 0)
                started++;
        (void) worker(g);
        for (unsigned i = 0; i < started; i++)
                (void) pthread_join(threads[i], NULL);
}

static unsigned thread_count(size_t n_jobs) {
        cpu_set_t cpus;
        unsigned n = 1;

        if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0)
                n = (unsigned) CPU_COUNT(&cpus);
        n = MIN(n, (unsigned) MAX_THREADS);
        return (unsigned) MAX((size_t) 1, MIN((size_t) n, n_jobs));
}

/* A name some app writes, and the first app that writes it. */
typedef struct WrittenName {
        const char *name;
        AppJob *job;
} WrittenName;

/* Marks the apps that write a name another app (or the app itself, twice)
 * writes too, whether or not writing it succeeded. The names go into a hash
 * table (open addressing, at most half full): sorting them, as this did, was
 * a tenth of the time the main thread spends alone. */
static int mark_shared_names(Generator *g) {
        _cleanup_free_ WrittenName *slots = NULL;
        size_t n = 0, cap = 16;

        for (size_t i = 0; i < g->n_jobs; i++)
                n += g->jobs[i].n_names;
        if (n == 0)
                return 0;
        while (cap < 2 * n)
                cap *= 2;
        slots = calloc(cap, sizeof(WrittenName));
        if (!slots)
                return -ENOMEM;
        for (size_t i = 0; i < g->n_jobs; i++) {
                AppJob *job = &g->jobs[i];
                const char *p = job->names;

                for (size_t j = 0; j < job->n_names; j++, p += strlen(p) + 1) {
                        size_t h = string_hash(p) & (cap - 1);

                        while (slots[h].name && !streq(slots[h].name, p))
                                h = (h + 1) & (cap - 1);
                        if (slots[h].name)
                                slots[h].job->shares_names = job->shares_names = true;
                        else
                                slots[h] = (WrittenName) { p, job };
                }
        }
        return 0;
}

/* The apps that share names are done again, one after another in id order,
 * after what the threads wrote for them is removed: the first one wins. */
static void redo_sharing_apps(Generator *g) {
        for (size_t i = 0; i < g->n_jobs; i++) {
                AppJob *job = &g->jobs[i];
                const char *p = job->names;

                if (!job->shares_names || job->state != APP_WRITTEN || job->r < 0 || g->dfd < 0)
                        continue;
                for (size_t j = 0; j < job->n_names; j++, p += strlen(p) + 1)
                        (void) unlinkat(g->dfd, p, 0);
        }
        for (size_t i = 0; i < g->n_jobs; i++)
                if (g->jobs[i].shares_names) {
                        job_reset(&g->jobs[i]);
                        process_app(g, &g->jobs[i]);
                }
}

static int log_job(const AppJob *job, const char *dir) {
        const char *id = job->source->id;

        switch (job->state) {
        case APP_INVALID:
                log_diagnostics(LOG_ERR_LEVEL, &job->diag);
                if (job->r == -EINVAL)
                        log_error("Skipping app '%s': its manifest has %zu problem%s (see above)",
                                  id, job->diag.n + job->diag.dropped, job->diag.n + job->diag.dropped == 1 ? "" : "s");
                else
                        log_errno(LOG_ERR_LEVEL, job->r, "Skipping app '%s': failed to read '%s'", id, job->source->path);
                return 0;
        case APP_UNRENDERED:
                log_errno(LOG_ERR_LEVEL, job->r, "Skipping app '%s': failed to render its units", id);
                return 0;
        case APP_WRITTEN:
                if (job->r == -EEXIST) {
                        log_error("Skipping app '%s': unit '%s' already exists (another app renders the same unit name), nothing written for this app",
                                  id, strempty(job->failed));
                        return 0;
                }
                if (job->r < 0)
                        return log_errno(LOG_ERR_LEVEL, job->r, "Failed to write '%s/%s' for app '%s', nothing written for this app", dir, strempty(job->failed), id);
                return 0;
        default:
                return 0;
        }
}

static bool job_written(const AppJob *job) {
        return job->state == APP_WRITTEN && job->r >= 0;
}

typedef struct UsernsSlot {
        uint32_t base;
        const AppJob *job; /* jobs are in id order: comparing pointers compares ids */
} UsernsSlot;

typedef struct AppPair {
        const AppJob *first, *second;
} AppPair;

static int slot_compare(const void *a, const void *b) {
        const UsernsSlot *x = a, *y = b;
        if (x->base != y->base)
                return x->base < y->base ? -1 : 1;
        return x->job < y->job ? -1 : x->job > y->job;
}

static int pair_compare(const void *a, const void *b) {
        const AppPair *x = a, *y = b;
        if (x->first != y->first)
                return x->first < y->first ? -1 : 1;
        return x->second < y->second ? -1 : x->second > y->second;
}

/* The ranges of the written apps (hashed while rendering) are sorted, so that
 * shared ones show up as neighbours: O(n log n), where comparing every pair
 * cost n² SHA-256s (40% of the generator's time at 1,000 apps). The warnings
 * come out in the order of the pairs (first app, then second, by id), as a
 * pairwise scan would give them. */
static void warn_userns_collisions(const AppJob *jobs, size_t n_jobs) {
        _cleanup_free_ UsernsSlot *slots = NULL;
        _cleanup_free_ AppPair *pairs = NULL;
        size_t n = 0, n_pairs = 0;

        slots = calloc(n_jobs + 1, sizeof(UsernsSlot));
        if (!slots) {
                log_errno(LOG_WARNING_LEVEL, -ENOMEM, "Failed to check apps for shared user namespace ranges, ignoring");
                return;
        }
        for (size_t i = 0; i < n_jobs; i++)
                if (job_written(&jobs[i]))
                        slots[n++] = (UsernsSlot) { .base = jobs[i].userns_base, .job = &jobs[i] };
        if (n < 2)
                return;
        qsort(slots, n, sizeof(UsernsSlot), slot_compare);
        for (size_t g = 0, end; g < n; g = end) {
                for (end = g + 1; end < n && slots[end].base == slots[g].base; end++)
                        ;
                for (size_t i = g; i < end; i++)
                        for (size_t j = i + 1; j < end; j++) {
                                AppPair *t = reallocarray(pairs, n_pairs + 1, sizeof(AppPair));
                                if (!t) {
                                        log_errno(LOG_WARNING_LEVEL, -ENOMEM, "Failed to check apps for shared user namespace ranges, ignoring");
                                        return;
                                }
                                pairs = t;
                                pairs[n_pairs++] = (AppPair) { slots[i].job, slots[j].job };
                        }
        }
        if (n_pairs == 0)
                return;
        qsort(pairs, n_pairs, sizeof(AppPair), pair_compare);
        for (size_t k = 0; k < n_pairs; k++) {
                uint32_t base = pairs[k].first->userns_base;
                log_warning("Apps '%s' and '%s' share user namespace range %u-%u: their containers are not isolated from each other by uid, ignoring",
                            pairs[k].first->source->id, pairs[k].second->source->id, base, base + USERNS_SIZE - 1);
        }
}

/* Renders and writes every app; returns 1 if writing any failed. */
static int generate(const AppSource *sources, size_t n_sources, const BerthConf *conf, const RenderOptions *opts,
                    BerthScope scope, const char *dir) {
        Generator g = {
                .n_jobs = n_sources,
                .conf = conf,
                .opts = opts,
                .dir = dir,
                .n_threads = thread_count(n_sources),
                .dirs_lock = PTHREAD_MUTEX_INITIALIZER,
        };
        int r, ret = 0;

        g.jobs = calloc(n_sources + 1, sizeof(AppJob));
        if (!g.jobs)
                return log_errno(LOG_ERR_LEVEL, -ENOMEM, "Failed to render apps"), 1;
        for (size_t i = 0; i < n_sources; i++)
                g.jobs[i].source = &sources[i];
        g.dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        process_apps(&g);
        r = mark_shared_names(&g);
        if (r < 0) {
                /* Then every app is done again in id order, as if all shared names. */
                log_errno(LOG_WARNING_LEVEL, r, "Failed to compare the apps' unit names, writing them again one after another");
                for (size_t i = 0; i < g.n_jobs; i++)
                        g.jobs[i].shares_names = true;
        }
        redo_sharing_apps(&g);
        remove_unused_link_dirs(&g);
        for (size_t i = 0; i < g.n_jobs; i++)
                if (log_job(&g.jobs[i], dir) < 0)
                        ret = 1;
        if (scope == SCOPE_SYSTEM)
                warn_userns_collisions(g.jobs, g.n_jobs);
        safe_close(g.dfd);
        jobs_free(g.jobs, g.n_jobs);
        strv_free(g.dirs_seen);
        strv_free(g.dirs_made);
        return ret;
}

int main(int argc, char *argv[]) {
        _cleanup_(berth_conf_freep) BerthConf *conf = NULL;
        _cleanup_strv_free_ char **dirs = NULL;
        BerthPaths paths = {};
        RenderOptions opts;
        Diagnostics diag = {};
        AppSource *sources = NULL;
        size_t n_sources = 0;
        BerthScope scope;
        int r, ret = 0;

        log_open_kmsg("berth-generator");
        if (argc != 2 && argc != 4) {
                log_error("Expected one or three directory arguments (normal, early, late), got %d", argc - 1);
                return 1;
        }
        scope = detect_scope();

        r = berth_conf_load(&conf, &diag);
        if (r < 0) {
                log_diagnostics(LOG_ERR_LEVEL, &diag);
                if (r != -EINVAL)
                        log_errno(LOG_ERR_LEVEL, r, "Failed to read '%s', using defaults", berth_conf_path());
                else
                        log_error("'%s' is invalid, using defaults (no host paths allowed)", berth_conf_path());
                diag_clear(&diag);
                r = berth_conf_load_path("/dev/null", &conf, &diag);
                if (r < 0)
                        return log_errno(LOG_ERR_LEVEL, r, "Failed to set up defaults"), 1;
        }
        r = berth_paths_init(scope, &paths);
        if (r < 0) {
                log_errno(LOG_ERR_LEVEL, r, "Failed to determine berth's directories for the %s scope", scope == SCOPE_USER ? "user" : "system");
                return 0;
        }
        render_options_default(&opts, &paths);
        r = app_search_dirs(scope, &dirs);
        if (r < 0) {
                log_errno(LOG_ERR_LEVEL, r, "Failed to determine the manifest search path");
                berth_paths_done(&paths);
                return 0;
        }
        r = app_sources_enumerate(dirs, &sources, &n_sources, &diag);
        log_diagnostics(LOG_ERR_LEVEL, &diag);
        diag_clear(&diag);
        if (r < 0) {
                log_errno(LOG_ERR_LEVEL, r, "Failed to enumerate app manifests");
                berth_paths_done(&paths);
                return 0;
        }

        ret = generate(sources, n_sources, conf, &opts, scope, argv[1]);
        app_sources_free(sources, n_sources);
        berth_paths_done(&paths);
        log_close();
        return ret;
}
