/* fuzz-manifest — load, validate and render one manifest from arbitrary bytes:
 * yaml_load_string → manifest_to_app → render_systemd + render_quadlet →
 * unit_set_print, for the system and the user scope, checking that the unit
 * text reads back as written (check_unit_text). An input may carry
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

_noreturn_ static void broken(const char *unit, const char *line, const char *why) {
        fprintf(stderr, "fuzz-manifest: %s: %s:\n  %s\n", unit, why, line);
        abort();
}

/* An oracle beyond "no crash": whatever a manifest holds, the unit text must
 * read back as written. No control characters but newlines; a continued line
 * is never a comment (systemd would drop it); every other line is empty, a
 * comment, a [Section] or Key=value; '%' only as "%%" or as one of the
 * specifiers berth writes itself (BERTH_SPECIFIERS); '$' in command lines
 * (Exec*) only as "$$". */
/* %n: PODMAN_SYSTEMD_UNIT=%n; %i: an empty argument in Quadlet's Exec=. */
#define BERTH_SPECIFIERS "ni"

static void check_unit_text(const char *unit, const char *text) {
        bool continued = false;
        size_t len = strlen(text);

        if (len == 0 || text[len - 1] != '\n')
                broken(unit, "", "does not end with a newline");
        for (const char *p = text; *p;) {
                const char *e = strchr(p, '\n'), *q;
                _cleanup_free_ char *line = strndup(p, (size_t) (e - p));
                bool exec = false, escaped = false;

                if (!line)
                        abort();
                q = line;
                for (const char *c = line; *c; c++)
                        if ((unsigned char) *c < 0x20 || *c == 0x7f)
                                broken(unit, line, "control character");
                while (*q == ' ' || *q == '\t')
                        q++;
                if (continued) {
                        if (*q == '#' || *q == ';')
                                broken(unit, line, "continuation line that systemd reads as a comment");
                        exec = true; /* only command lines are wrapped */
                } else if (*q == 0 || *q == '#')
                        goto next;
                else if (*q == '[') {
                        if (line[strlen(line) - 1] != ']')
                                broken(unit, line, "bad section header");
                        goto next;
                } else {
                        const char *eq = strchr(line, '=');
                        if (!eq || eq == line || strspn(line, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-") != (size_t) (eq - line))
                                broken(unit, line, "neither a comment, a section nor Key=value");
                        exec = startswith(line, "Exec") != NULL;
                        q = eq + 1;
                }
                for (const char *c = q; *c; c++) {
                        if (*c == '%') {
                                if (c[1] == '%')
                                        c++;
                                else if (!c[1] || !strchr(BERTH_SPECIFIERS, c[1]))
                                        broken(unit, line, "a '%' that systemd expands as a specifier");
                        } else if (*c == '$' && exec) {
                                if (c[1] != '$')
                                        broken(unit, line, "a '$' that systemd expands as a variable");
                                c++;
                        }
                }
                for (const char *c = line; *c; c++)
                        escaped = escaped ? false : *c == '\\';
                continued = escaped;
        next:
                p = e + 1;
        }
        if (continued)
                broken(unit, "", "ends inside a continued line");
}

static void check_units(const UnitSet *s) {
        for (size_t i = 0; i < s->n_files; i++) {
                _cleanup_free_ char *text = NULL;
                if (unit_file_to_string(s->files[i], &text) < 0)
                        continue;
                check_unit_text(s->files[i]->name, text);
        }
}

static void render_all(const App *a, BerthScope scope) {
        char state[] = "/var/lib/berth", runtime[] = "/run/berth";
        BerthPaths paths = { .scope = scope, .state_dir = state, .runtime_dir = runtime };
        RenderOptions o;
        UnitSet s = {};

        render_options_default(&o, &paths);
        if (render_systemd(a, &o, &s) >= 0) {
                check_units(&s);
                (void) unit_set_print(&s, devnull());
                unit_set_done(&s);
        }
        if (render_quadlet(a, &o, &s) >= 0) {
                check_units(&s);
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
