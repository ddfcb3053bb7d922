/* berth-generator — systemd generator: every app manifest in the search path
 * becomes units in the directory systemd hands us (systemd.generator(7)).
 * A bad manifest costs that app alone: its problems are logged, its units are
 * not written, every other app renders, and we exit 0. No IPC, no processes,
 * no sockets: only reading manifests and writing units. The work is shared by
 * threads of this one process (generators delay boot; a manifest is loaded and
 * rendered independently of every other), which is none of those.
 *
 * The apps go through three phases, and the result is the same, byte for
 * byte and message for message, as handling them one after another in id
 * order, whatever the threads' timing:
 *   1. render (threads): load, validate and render each app into memory;
 *   2. find every unit name that more than one app renders (main thread);
 *   3. write (threads) the apps whose names no other app renders, then, in id
 *      order on the main thread, the apps that share names: the first one
 *      written wins by exclusive create, as it always has.
 * Only then are the apps' problems logged, in id order. */
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
        APP_RENDERED,   /* units in memory, to be written */
        APP_WRITTEN,    /* written: r; -EEXIST when a unit name was taken */
} AppState;

/* One app's way through the generator. A job is touched by one thread at a
 * time: by whichever worker took it in a phase, by the main thread between. */
typedef struct AppJob {
        const AppSource *source;
        AppState state;
        int r;
        Diagnostics diag;
        UnitSet units;
        uint32_t userns_base;
        bool shares_names; /* another app (or this one twice) renders one of its names */
        char *failed;      /* the file or directory writing failed on */
} AppJob;

typedef struct Generator {
        AppJob *jobs;
        size_t n_jobs;
        const BerthConf *conf;
        const RenderOptions *opts;
        const char *dir; /* the normal directory */
        int dfd;         /* dir, open; < 0 when it cannot be opened */
        unsigned n_threads;
        /* The phase being run and the next job a worker takes. */
        void (*step)(struct Generator *g, AppJob *job);
        atomic_size_t next;
} Generator;

static void jobs_free(AppJob *jobs, size_t n) {
        for (size_t i = 0; i < n; i++) {
                diag_clear(&jobs[i].diag);
                unit_set_done(&jobs[i].units);
                free(jobs[i].failed);
        }
        free(jobs);
}

static void *worker(void *userdata) {
        Generator *g = userdata;

        for (;;) {
                size_t i = atomic_fetch_add(&g->next, 1);
                if (i >= g->n_jobs)
                        return NULL;
                g->step(g, &g->jobs[i]);
        }
}

/* Runs step on every job, on up to n_threads threads including this one. Each
 * job is taken by one thread, and steps touch nothing shared but the output
 * directory, so there is no lock; creating and joining the threads orders their
 * work before and after. If a thread cannot be made, fewer do the work. */
static void run_phase(Generator *g, void (*step)(Generator *g, AppJob *job)) {
        pthread_t threads[MAX_THREADS];
        unsigned started = 0;

        g->step = step;
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

/* Phase 1: manifest to units in memory. */
static void render_job(Generator *g, AppJob *job) {
        _cleanup_(app_freep) App *app = NULL;

        if (job->source->masked) {
                job->state = APP_MASKED;
                return;
        }
        job->r = manifest_load(job->source, g->conf, &app, &job->diag);
        if (job->r < 0) {
                job->state = APP_INVALID;
                return;
        }
        job->r = render_systemd(app, g->opts, &job->units);
        if (job->r < 0) {
                job->state = APP_UNRENDERED;
                return;
        }
        job->userns_base = userns_base(app->id);
        job->state = APP_RENDERED;
}

/* A name some rendered app writes: a unit file (dir NULL) or a .wants link. */
typedef struct RenderedName {
        const char *dir;
        const char *name;
        AppJob *job;
} RenderedName;

static int rendered_name_compare(const void *a, const void *b) {
        const RenderedName *x = a, *y = b;
        int c = strcmp(strempty(x->dir), strempty(y->dir));

        return c != 0 ? c : strcmp(x->name, y->name);
}

/* Phase 2: marks the apps that render a name another app (or the app itself,
 * twice) renders too. Sorting puts equal names next to each other. */
static int mark_shared_names(Generator *g) {
        _cleanup_free_ RenderedName *names = NULL;
        size_t n = 0, k = 0;

        for (size_t i = 0; i < g->n_jobs; i++)
                if (g->jobs[i].state == APP_RENDERED)
                        n += g->jobs[i].units.n_files + g->jobs[i].units.n_links;
        if (n == 0)
                return 0;
        names = calloc(n, sizeof(RenderedName));
        if (!names)
                return -ENOMEM;
        for (size_t i = 0; i < g->n_jobs; i++) {
                AppJob *job = &g->jobs[i];
                if (job->state != APP_RENDERED)
                        continue;
                for (size_t f = 0; f < job->units.n_files; f++)
                        names[k++] = (RenderedName) { NULL, job->units.files[f]->name, job };
                for (size_t l = 0; l < job->units.n_links; l++)
                        names[k++] = (RenderedName) { job->units.links[l].dir, job->units.links[l].name, job };
        }
        qsort(names, n, sizeof(RenderedName), rendered_name_compare);
        for (size_t i = 1; i < n; i++)
                if (rendered_name_compare(&names[i - 1], &names[i]) == 0)
                        names[i - 1].job->shares_names = names[i].job->shares_names = true;
        return 0;
}

static void write_app(Generator *g, AppJob *job) {
        if (g->dfd >= 0)
                job->r = unit_set_write_at(&job->units, g->dfd, &job->failed);
        else
                job->r = unit_set_write(&job->units, g->dir, &job->failed);
        job->state = APP_WRITTEN;
        unit_set_done(&job->units);
}

/* Phase 3, in parallel: apps whose names are their own cannot change what
 * any other app writes, so their order does not matter. */
static void write_job_unshared(Generator *g, AppJob *job) {
        if (job->state == APP_RENDERED && !job->shares_names)
                write_app(g, job);
}

/* The .wants directories the apps written in parallel link from, made before
 * they start: were an app to make one and, failing, remove it again, another
 * app's link could fail on its way. Returns those made here (to be removed
 * again if no link ended up in them). */
static int make_wants_dirs(Generator *g, char ***ret_made) {
        _cleanup_strv_free_ char **seen = NULL, **made = NULL;
        int r;

        for (size_t i = 0; g->dfd >= 0 && i < g->n_jobs; i++) {
                const AppJob *job = &g->jobs[i];
                if (job->state != APP_RENDERED || job->shares_names)
                        continue;
                for (size_t l = 0; l < job->units.n_links; l++) {
                        const char *d = job->units.links[l].dir;
                        if (strv_contains(seen, d))
                                continue;
                        if ((r = strv_extend(&seen, d)) < 0)
                                return r;
                        if (mkdirat(g->dfd, d, 0755) >= 0) {
                                if ((r = strv_extend(&made, d)) < 0)
                                        return r;
                        } else if (errno != EEXIST)
                                return -errno; /* each app will find and report this */
                }
        }
        *ret_made = TAKE_PTR(made);
        return 0;
}

static void write_apps(Generator *g) {
        _cleanup_strv_free_ char **made = NULL;

        (void) make_wants_dirs(g, &made);
        run_phase(g, write_job_unshared);
        for (size_t i = 0; i < g->n_jobs; i++)
                if (g->jobs[i].state == APP_RENDERED)
                        write_app(g, &g->jobs[i]);
        STRV_FOREACH(d, made)
                (void) unlinkat(g->dfd, *d, AT_REMOVEDIR); /* fails unless empty */
}

/* Logs what happened to the app, as it would have been logged had the app
 * been handled on its own. Returns < 0 if writing failed. */
static int log_job(const AppJob *job, const char *dir) {
        const char *id = job->source->id;

        switch (job->state) {
        case APP_INVALID:
                log_diagnostics(LOG_ERR_LEVEL, &job->diag);
                if (job->r == -EINVAL)
                        log_error("Skipping app '%s': its manifest has %zu problem%s (see above)",
                                  id, job->diag.n, job->diag.n == 1 ? "" : "s");
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
        };
        int r, ret = 0;

        g.jobs = calloc(n_sources + 1, sizeof(AppJob));
        if (!g.jobs)
                return log_errno(LOG_ERR_LEVEL, -ENOMEM, "Failed to render apps"), 1;
        for (size_t i = 0; i < n_sources; i++)
                g.jobs[i].source = &sources[i];
        g.dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        run_phase(&g, render_job);
        r = mark_shared_names(&g);
        if (r < 0) {
                /* Then every app is written in id order, as if all shared names. */
                log_errno(LOG_WARNING_LEVEL, r, "Failed to compare the apps' unit names, writing one app after another");
                for (size_t i = 0; i < g.n_jobs; i++)
                        g.jobs[i].shares_names = true;
        }
        write_apps(&g);
        for (size_t i = 0; i < g.n_jobs; i++)
                if (log_job(&g.jobs[i], dir) < 0)
                        ret = 1;
        if (scope == SCOPE_SYSTEM)
                warn_userns_collisions(g.jobs, g.n_jobs);
        safe_close(g.dfd);
        jobs_free(g.jobs, g.n_jobs);
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

        log_open("berth-generator", true);
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
