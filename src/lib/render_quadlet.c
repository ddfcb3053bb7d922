/* render_quadlet.c — the same app as Quadlet files (.container, .network,
 * .build) for hosts and images that use podman 5's own generator. The
 * container options come from the same PodmanRun as the native rendering;
 * only their spelling differs. */
#include "container_spec.h"
#include "render.h"
#include "strv.h"
#include "unit_names.h"

/* Quadlet copies these values into ExecStart=: specifiers and '$' stay escaped
 * for systemd, and Quadlet itself quotes the argument. */
static char *quadlet_value(const char *v) {
        _cleanup_free_ char *q = unit_quote_word(v, true);
        size_t l;

        if (!q)
                return NULL;
        if (q[0] != '"')
                return TAKE_PTR(q);
        /* Raw keys take the value verbatim: undo the quoting, keep %% and $$. */
        l = strlen(q);
        _cleanup_free_ char *out = malloc(l);
        char *p = out;
        if (!out)
                return NULL;
        for (size_t i = 1; i + 1 < l; i++) {
                if (q[i] == '\\')
                        i++;
                *p++ = q[i];
        }
        *p = 0;
        return TAKE_PTR(out);
}

static int add_quadlet_value(UnitFile *u, const char *key, const char *value) {
        char *v = quadlet_value(value);
        int r;

        if (!v)
                return -ENOMEM;
        r = unit_file_add_raw(u, "Container", key, v);
        free(v);
        return r;
}

static int add_option(UnitFile *u, const App *a, const PodmanArg *arg) {
        const PodmanOptInfo *info = podman_opt_info(arg->opt);
        _cleanup_free_ char *w = NULL;
        int r;

        switch (info->quadlet_form) {
        case QUADLET_VALUE:
                return add_quadlet_value(u, info->quadlet_key, arg->value);
        case QUADLET_WORD:
                w = unit_quote_word(arg->value, true);
                return w ? unit_file_add_raw(u, "Container", info->quadlet_key, w) : -ENOMEM;
        case QUADLET_TRUE:
                return unit_file_add_raw(u, "Container", info->quadlet_key, "true");
        case QUADLET_PODMAN_ARGS: {
                _cleanup_free_ char *q = NULL;
                if (asprintf(&w, "%s=%s", info->flag, arg->value) < 0)
                        return -ENOMEM;
                q = unit_quote_word(w, true);
                return q ? unit_file_add_raw(u, "Container", "PodmanArgs", q) : -ENOMEM;
        }
        case QUADLET_USER: {
                const char *colon = strchr(arg->value, ':');
                if (!colon)
                        return add_quadlet_value(u, "User", arg->value);
                w = strndup(arg->value, (size_t) (colon - arg->value));
                if (!w)
                        return -ENOMEM;
                if ((r = add_quadlet_value(u, "User", w)) < 0)
                        return r;
                return add_quadlet_value(u, "Group", colon + 1);
        }
        case QUADLET_NETWORK:
                if (asprintf(&w, "berth-%s.network", a->id) < 0)
                        return -ENOMEM;
                return unit_file_add_raw(u, "Container", info->quadlet_key, w);
        case QUADLET_NONE:
                return 0;
        }
        return -EINVAL;
}

static int render_network(const App *a, UnitSet *s) {
        _cleanup_free_ char *name = NULL, *desc = NULL;
        _cleanup_(unit_file_freep) UnitFile *u = NULL;
        int r;

        if (asprintf(&name, "berth-%s.network", a->id) < 0 || asprintf(&desc, "%s: network (berth app %s)", a->name, a->id) < 0)
                return -ENOMEM;
        if (!(u = render_unit_new(a, name)))
                return -ENOMEM;
        if ((r = unit_file_add_text(u, "Unit", "Description", desc)) < 0 ||
            (r = unit_file_add_text(u, "Unit", "SourcePath", a->source_path)) < 0 ||
            (r = unit_file_add_rawf(u, "Network", "NetworkName", "berth-%s", a->id)) < 0)
                return r;
        return unit_set_add(s, TAKE_PTR(u));
}

static int render_build(const App *a, const Container *c, UnitSet *s) {
        _cleanup_free_ char *name = NULL, *desc = NULL, *file = NULL;
        _cleanup_(unit_file_freep) UnitFile *u = NULL;
        const Build *b = c->build;
        int r;

        if (asprintf(&name, "berth-%s-%s.build", a->id, c->name) < 0 ||
            asprintf(&desc, "%s: build image %s (berth app %s)", a->name, b->tag, a->id) < 0)
                return -ENOMEM;
        if (b->file[0] == '/')
                file = strdup(b->file);
        else if (asprintf(&file, "%s/%s", b->context, b->file) < 0)
                file = NULL;
        if (!file || !(u = render_unit_new(a, name)))
                return -ENOMEM;
        if ((r = unit_file_add_text(u, "Unit", "Description", desc)) < 0 ||
            (r = unit_file_add_text(u, "Unit", "SourcePath", a->source_path)) < 0)
                return r;
        {
                _cleanup_free_ char *t = quadlet_value(b->tag), *f = quadlet_value(file), *ctx = quadlet_value(b->context);
                if (!t || !f || !ctx)
                        return -ENOMEM;
                if ((r = unit_file_add_raw(u, "Build", "ImageTag", t)) < 0 ||
                    (r = unit_file_add_raw(u, "Build", "File", f)) < 0 ||
                    (r = unit_file_add_raw(u, "Build", "SetWorkingDirectory", ctx)) < 0)
                        return r;
        }
        for (size_t i = 0; i < b->n_args; i++) {
                _cleanup_free_ char *kv = NULL, *q = NULL;
                if (asprintf(&kv, "%s=%s", b->args[i].key, b->args[i].value) < 0 || !(q = unit_quote_word(kv, true)))
                        return -ENOMEM;
                if ((r = unit_file_add_raw(u, "Build", "BuildArg", q)) < 0)
                        return r;
        }
        return unit_set_add(s, TAKE_PTR(u));
}

static int render_container(const App *a, const Container *c, const RenderOptions *o, UnitSet *s) {
        _cleanup_free_ char *name = NULL;
        _cleanup_(unit_file_freep) UnitFile *u = NULL;
        _cleanup_(podman_run_freep) PodmanRun *run = NULL;
        int r;

        if (asprintf(&name, "berth-%s-%s.container", a->id, c->name) < 0 || !(u = render_unit_new(a, name)))
                return -ENOMEM;
        if ((r = render_container_unit_deps(a, c, o, u)) < 0)
                return r;
        r = container_spec_build(a, c, o->paths, &run);
        if (r < 0)
                return r;
        if (c->build) {
                if ((r = unit_file_add_rawf(u, "Container", "Image", "berth-%s-%s.build", a->id, c->name)) < 0)
                        return r;
        } else if ((r = add_quadlet_value(u, "Image", run->image)) < 0)
                return r;
        for (size_t i = 0; i < run->n_args; i++)
                if ((r = add_option(u, a, &run->args[i])) < 0)
                        return r;
        if (run->command) {
                _cleanup_strv_free_ char **words = NULL;
                STRV_FOREACH(w, run->command)
                        if ((r = strv_consume(&words, unit_quote_word(*w, true))) < 0)
                                return r;
                _cleanup_free_ char *line = strv_join(words, " ");
                if (!line || (r = unit_file_add_raw(u, "Container", "Exec", line)) < 0)
                        return line ? r : -ENOMEM;
        }
        if (c->health && (r = unit_file_add_raw(u, "Container", "Notify", "healthy")) < 0)
                return r;
        if ((r = render_container_service_settings(a, c, u)) < 0)
                return r;
        return unit_set_add(s, TAKE_PTR(u));
}

int render_quadlet(const App *a, const RenderOptions *o, UnitSet *ret) {
        UnitSet s = {};
        int r;

        r = render_app_units(a, o, &s, false);
        if (r >= 0)
                r = render_network(a, &s);
        for (size_t i = 0; r >= 0 && i < a->n_containers; i++) {
                if (a->containers[i].build)
                        r = render_build(a, &a->containers[i], &s);
                if (r >= 0)
                        r = render_container(a, &a->containers[i], o, &s);
        }
        if (r < 0) {
                unit_set_done(&s);
                return r;
        }
        *ret = s;
        return 0;
}
