/* fuzz-manifest — load, validate and render one manifest from arbitrary bytes:
 * yaml_load_string → manifest_to_app → render_systemd + render_quadlet →
 * unit_set_print, for the system and the user scope. An input may carry
 * drop-ins after lines reading exactly "#dropin": each part is loaded on its
 * own and merged into the first, as app_source_load does with <id>.yaml.d/.
 * Nothing may crash, leak, or read out of bounds, whatever the bytes. */
#include <stdio.h>

#include "berth_conf.h"
#include "berth_paths.h"
#include "fuzz.h"
#include "manifest.h"
#include "render.h"
#include "strv.h"

#define DROPIN_MARK "\n#dropin\n"

static FILE *devnull(void) {
        static FILE *f;
        if (!f)
                f = fopen("/dev/null", "we");
        return f;
}

static void render_all(const App *a, BerthScope scope) {
        char state[] = "/var/lib/berth", runtime[] = "/run/berth";
        BerthPaths paths = { .scope = scope, .state_dir = state, .runtime_dir = runtime };
        RenderOptions o;
        UnitSet s = {};

        render_options_default(&o, &paths);
        if (render_systemd(a, &o, &s) >= 0) {
                (void) unit_set_print(&s, devnull());
                unit_set_done(&s);
        }
        if (render_quadlet(a, &o, &s) >= 0) {
                (void) unit_set_print(&s, devnull());
                unit_set_done(&s);
        }
}

/* Diagnostics must always format (the edge prints every one of them). */
static void format_diagnostics(const Diagnostics *d) {
        for (size_t i = 0; i < d->n; i++) {
                _cleanup_free_ char *s = diag_format(&d->items[i]);
                if (s)
                        fputs(s, devnull());
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char host_a[] = "/srv", host_b[] = "/mnt/data";
        char *host_paths[] = { host_a, host_b, NULL };
        BerthConf conf = { .host_paths = host_paths };
        _cleanup_(yaml_doc_freep) YamlDoc *doc = NULL;
        _cleanup_(app_freep) App *app = NULL;
        Diagnostics diag = {};
        const char *p = (const char *) data, *end = p + size;
        unsigned part = 0;
        int r = 0;

        if (!devnull())
                return 0;
        /* Split at the drop-in marks; the first part is the manifest. */
        while (p <= end) {
                const char *m = memmem(p, (size_t) (end - p), DROPIN_MARK, strlen(DROPIN_MARK));
                size_t len = m ? (size_t) (m - p) : (size_t) (end - p);
                _cleanup_free_ char *copy = malloc(len + 1);
                _cleanup_(yaml_doc_freep) YamlDoc *d = NULL;
                char name[64];

                if (!copy)
                        break;
                memcpy(copy, p, len);
                copy[len] = 0;
                snprintf(name, sizeof(name), part == 0 ? "/etc/berth/apps/fuzz.yaml" : "/etc/berth/apps/fuzz.yaml.d/%02u.yaml", part);
                r = yaml_load_string(name, copy, len, part == 0 ? &doc : &d, &diag);
                if (r < 0)
                        break;
                if (part > 0 && doc->root && doc->root->type == NODE_MAPPING) {
                        r = yaml_merge(doc, d, &diag);
                        if (r < 0)
                                break;
                }
                part++;
                if (!m)
                        break;
                p = m + strlen(DROPIN_MARK);
        }
        if (r >= 0 && doc) {
                r = manifest_to_app(doc, "fuzz", "/etc/berth/apps/fuzz.yaml", &conf, &app, &diag);
                if (r >= 0) {
                        render_all(app, SCOPE_SYSTEM);
                        render_all(app, SCOPE_USER);
                }
        }
        format_diagnostics(&diag);
        diag_clear(&diag);
        return 0;
}
