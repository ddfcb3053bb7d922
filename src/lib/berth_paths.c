/* berth_paths.c — berth's directories. */
#include <stdarg.h>

#include "berth_paths.h"

void berth_paths_done(BerthPaths *p) {
        free(p->state_dir);
        free(p->runtime_dir);
        *p = (BerthPaths) {};
}

int berth_paths_init(BerthScope scope, BerthPaths *ret) {
        const char *st = getenv("BERTH_STATE_DIR"), *rt = getenv("BERTH_RUNTIME_DIR");
        BerthPaths p = { .scope = scope };

        if (!isempty(st))
                p.state_dir = strdup(st);
        else if (scope == SCOPE_SYSTEM)
                p.state_dir = strdup("/var/lib/berth");
        else {
                const char *home = getenv("HOME");
                if (isempty(home) || home[0] != '/')
                        return -ENXIO;
                if (asprintf(&p.state_dir, "%s/.local/share/berth", home) < 0)
                        p.state_dir = NULL;
        }
        if (!isempty(rt))
                p.runtime_dir = strdup(rt);
        else if (scope == SCOPE_SYSTEM)
                p.runtime_dir = strdup("/run/berth");
        else {
                const char *x = getenv("XDG_RUNTIME_DIR");
                if (isempty(x) || x[0] != '/') {
                        free(p.state_dir);
                        return -ENXIO;
                }
                if (asprintf(&p.runtime_dir, "%s/berth", x) < 0)
                        p.runtime_dir = NULL;
        }
        if (!p.state_dir || !p.runtime_dir) {
                berth_paths_done(&p);
                return -ENOMEM;
        }
        *ret = p;
        return 0;
}


char *berth_app_dir(const BerthPaths *p, const char *app_id) {
        return strjoin(p->state_dir, "/apps/", app_id);
}

char *berth_volume_path(const BerthPaths *p, const char *app_id, const Volume *v) {
        if (v->path)
                return strdup(v->path);
        return strjoin(p->state_dir, "/apps/", app_id, "/volumes/", v->name);
}

char *berth_secret_dir(const BerthPaths *p, const char *app_id) {
        return strjoin(p->state_dir, "/secrets/", app_id);
}

char *berth_secret_path(const BerthPaths *p, const char *app_id, const char *name) {
        return strjoin(p->state_dir, "/secrets/", app_id, "/", name);
}

char *berth_podman_secret_name(const char *app_id, const char *name) {
        /* '.' cannot occur in an app id: "berth-a.b-c" and "berth-a-b.c" stay
         * apart, where "berth-a-b-c" would be both app a's secret b-c and app
         * a-b's secret c. */
        return strjoin("berth-", app_id, ".", name);
}

char *berth_network_name(const char *app_id) {
        return strjoin("berth-", app_id);
}
