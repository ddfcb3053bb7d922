/* berth-generator — systemd generator: every app manifest in the search path
 * becomes units in the directory systemd hands us (systemd.generator(7)).
 * A bad manifest costs that app alone: its problems are logged, its units are
 * not written, every other app renders, and we exit 0. No IPC, no processes,
 * no sockets: only reading manifests and writing units. */
#include "app_source.h"
#include "berth_conf.h"
#include "berth_paths.h"
#include "log.h"
#include "manifest.h"
#include "render.h"
#include "strv.h"
#include "userns.h"

static BerthScope detect_scope(void) {
        const char *s = getenv("SYSTEMD_SCOPE");
        if (s)
                return streq(s, "user") ? SCOPE_USER : SCOPE_SYSTEM;
        return getuid() == 0 ? SCOPE_SYSTEM : SCOPE_USER;
}

typedef struct UsernsSlot {
        uint32_t base;
        size_t app; /* index into the rendered ids */
} UsernsSlot;

typedef struct AppPair {
        size_t first, second;
} AppPair;

static int slot_compare(const void *a, const void *b) {
        const UsernsSlot *x = a, *y = b;
        if (x->base != y->base)
                return x->base < y->base ? -1 : 1;
        return x->app < y->app ? -1 : x->app > y->app;
}

static int pair_compare(const void *a, const void *b) {
        const AppPair *x = a, *y = b;
        if (x->first != y->first)
                return x->first < y->first ? -1 : 1;
        return x->second < y->second ? -1 : x->second > y->second;
}

/* Each id is hashed once and the ranges sorted, so that sharing ranges show up
 * as neighbours: O(n log n), where comparing every pair cost n² SHA-256s (40% of
 * the generator's time at 1,000 apps). The warnings come out in the order of
 * the pairs (first app, then second, by id), as a pairwise scan would give them. */
static void warn_userns_collisions(char *const *ids) {
        size_t n = strv_length(ids), n_pairs = 0;
        _cleanup_free_ UsernsSlot *slots = NULL;
        _cleanup_free_ AppPair *pairs = NULL;

        if (n < 2)
                return;
        slots = calloc(n, sizeof(UsernsSlot));
        if (!slots) {
                log_errno(LOG_WARNING_LEVEL, -ENOMEM, "Failed to check apps for shared user namespace ranges, ignoring");
                return;
        }
        for (size_t i = 0; i < n; i++)
                slots[i] = (UsernsSlot) { .base = userns_base(ids[i]), .app = i };
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
                                pairs[n_pairs++] = (AppPair) { slots[i].app, slots[j].app };
                        }
        }
        if (n_pairs == 0)
                return;
        qsort(pairs, n_pairs, sizeof(AppPair), pair_compare);
        for (size_t k = 0; k < n_pairs; k++) {
                uint32_t base = userns_base(ids[pairs[k].first]);
                log_warning("Apps '%s' and '%s' share user namespace range %u-%u: their containers are not isolated from each other by uid, ignoring",
                            ids[pairs[k].first], ids[pairs[k].second], base, base + USERNS_SIZE - 1);
        }
}

int main(int argc, char *argv[]) {
        _cleanup_(berth_conf_freep) BerthConf *conf = NULL;
        _cleanup_strv_free_ char **dirs = NULL, **rendered = NULL;
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

        for (size_t i = 0; i < n_sources; i++) {
                _cleanup_(app_freep) App *app = NULL;
                _cleanup_free_ char *failed = NULL;
                UnitSet units = {};

                if (sources[i].masked)
                        continue;
                r = manifest_load(&sources[i], conf, &app, &diag);
                if (r < 0) {
                        log_diagnostics(LOG_ERR_LEVEL, &diag);
                        if (r == -EINVAL)
                                log_error("Skipping app '%s': its manifest has %zu problem%s (see above)",
                                          sources[i].id, diag.n, diag.n == 1 ? "" : "s");
                        else
                                log_errno(LOG_ERR_LEVEL, r, "Skipping app '%s': failed to read '%s'", sources[i].id, sources[i].path);
                        diag_clear(&diag);
                        continue;
                }
                r = render_systemd(app, &opts, &units);
                if (r < 0) {
                        log_errno(LOG_ERR_LEVEL, r, "Skipping app '%s': failed to render its units", app->id);
                        continue;
                }
                r = unit_set_write(&units, argv[1], &failed);
                unit_set_done(&units);
                if (r == -EEXIST) {
                        log_error("Skipping app '%s': unit '%s' already exists (another app renders the same unit name), nothing written for this app",
                                  app->id, strempty(failed));
                        continue;
                }
                if (r < 0) {
                        log_errno(LOG_ERR_LEVEL, r, "Failed to write '%s/%s' for app '%s', nothing written for this app", argv[1], strempty(failed), app->id);
                        ret = 1;
                        continue;
                }
                if (scope == SCOPE_SYSTEM)
                        (void) strv_extend(&rendered, app->id);
        }
        warn_userns_collisions(rendered);
        app_sources_free(sources, n_sources);
        berth_paths_done(&paths);
        log_close();
        return ret;
}
