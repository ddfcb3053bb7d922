/* render_quadlet.c — the same app as Quadlet files (.container, .network,
 * .build) for hosts and images that use podman 5's own generator. The
 * container options come from the same PodmanRun as the native rendering;
 * only their spelling differs. */
#include "container_spec.h"
#include "log.h"
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

/* Quadlet 5.4 reads most keys with Lookup(), which drops a value's leading and
 * trailing whitespace and strips '"' from its ends, and its unit parser joins a
 * line that ends in '\' with the next one. Keys it splits into words
 * (NetworkAlias=, AddCapability=, Secret=, PublishPort=, UIDMap=, ...) also take
 * quotes, backslashes and spaces apart. And it writes a lone ";" unquoted into
 * ExecStart=, where systemd reads it as a command separator. A value Quadlet would
 * change goes through PodmanArgs= instead, which it unquotes and unescapes
 * exactly (tests/check-quadlet.sh compares the two renderings). */
static bool quadlet_keeps_value(const char *key, const char *v) {
        static const char *const whole_value_keys[] = { "HealthCmd", "Volume", "Entrypoint", "User", "Group", "File", "SetWorkingDirectory", NULL };
        size_t l = strlen(v);

        if (l == 0 || streq(v, ";") || strchr(" \t\"", v[0]) || strchr(" \t\"\\", v[l - 1]))
                return false;
        if (strv_contains((char *const *) whole_value_keys, key))
                return true;
        return !strpbrk(v, " \t\"'\\");
}

static int add_podman_args(UnitFile *u, const char *section, const char *flag, const char *value) {
        _cleanup_free_ char *w = NULL, *q = NULL;

        if (asprintf(&w, "%s=%s", flag, value) < 0 || !(q = unit_quote_word(w, true)))
                return -ENOMEM;
        return unit_file_add_raw(u, section, "PodmanArgs", q);
}

static int add_quadlet_value(UnitFile *u, const char *section, const char *key, const char *value) {
        char *v = quadlet_value(value);
        int r;

        if (!v)
                return -ENOMEM;
        r = unit_file_add_raw(u, section, key, v);
        free(v);
        return r;
}

/* via_args: every value of this option goes through PodmanArgs=, so that options
 * whose order matters (--volume) keep it when one value cannot be a key. */
static int add_option(UnitFile *u, const App *a, const PodmanArg *arg, bool via_args) {
        const PodmanOptInfo *info = podman_opt_info(arg->opt);
        _cleanup_free_ char *w = NULL;
        int r;

        switch (info->quadlet_form) {
        case QUADLET_VALUE:
                if (via_args)
                        return add_podman_args(u, "Container", info->flag, arg->value);
                return add_quadlet_value(u, "Container", info->quadlet_key, arg->value);
        case QUADLET_WORD:
                w = unit_quote_word(arg->value, true);
                return w ? unit_file_add_raw(u, "Container", info->quadlet_key, w) : -ENOMEM;
        case QUADLET_TRUE:
                return unit_file_add_raw(u, "Container", info->quadlet_key, "true");
        case QUADLET_PODMAN_ARGS:
                return add_podman_args(u, "Container", info->flag, arg->value);
        case QUADLET_USER: {
                const char *colon = strchr(arg->value, ':');
                w = colon ? strndup(arg->value, (size_t) (colon - arg->value)) : strdup(arg->value);
                if (!w)
                        return -ENOMEM;
                if (!quadlet_keeps_value("User", w) || (colon && !quadlet_keeps_value("Group", colon + 1)))
                        return add_podman_args(u, "Container", info->flag, arg->value);
                if ((r = add_quadlet_value(u, "Container", "User", w)) < 0 || !colon)
                        return r;
                return add_quadlet_value(u, "Container", "Group", colon + 1);
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
        /* The context is the last positional argument of podman build: with no
         * PodmanArgs= way around Quadlet's Lookup(), a path it would change cannot
         * be rendered faithfully (the image tag is a validated reference). */
        if (!quadlet_keeps_value("SetWorkingDirectory", b->context) || !quadlet_keeps_value("ImageTag", b->tag)) {
                log_error("App '%s', container '%s': Quadlet would change the build context '%s' (it rewrites such "
                          "paths, with no way around it); the app cannot be rendered as Quadlet files, only with "
                          "--format=systemd", a->id, c->name, b->context);
                return -EOPNOTSUPP;
        }
        if ((r = add_quadlet_value(u, "Build", "ImageTag", b->tag)) < 0 ||
            (r = quadlet_keeps_value("File", file) ? add_quadlet_value(u, "Build", "File", file)
                                                   : add_podman_args(u, "Build", "--file", file)) < 0 ||
            (r = add_quadlet_value(u, "Build", "SetWorkingDirectory", b->context)) < 0)
                return r;
        /* Quadlet 5.4 has no BuildArg= key. */
        for (size_t i = 0; i < b->n_args; i++) {
                _cleanup_free_ char *kv = NULL;
                if (asprintf(&kv, "%s=%s", b->args[i].key, b->args[i].value) < 0)
                        return -ENOMEM;
                if ((r = add_podman_args(u, "Build", "--build-arg", kv)) < 0)
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
        } else if ((r = add_quadlet_value(u, "Container", "Image", run->image)) < 0)
                return r;
        bool via_args[_POPT_MAX] = {};
        for (size_t i = 0; i < run->n_args; i++) {
                const PodmanOptInfo *info = podman_opt_info(run->args[i].opt);
                if (info->quadlet_form == QUADLET_VALUE && !quadlet_keeps_value(info->quadlet_key, run->args[i].value))
                        via_args[run->args[i].opt] = true;
        }
        for (size_t i = 0; i < run->n_args; i++)
                if ((r = add_option(u, a, &run->args[i], via_args[run->args[i].opt])) < 0)
                        return r;
        if (run->command) {
                _cleanup_strv_free_ char **words = NULL;
                bool empty = false;
                STRV_FOREACH(w, run->command) {
                        /* Quadlet writes ";" unquoted into ExecStart=, where systemd
                         * reads it as a command separator: it cannot reach podman. */
                        if (streq(*w, ";")) {
                                log_error("%s: container '%s': the command has the word ';', which Quadlet "
                                          "hands to systemd as a command separator, expected --format=systemd for this app "
                                          "(it cannot be rendered as Quadlet files)", a->source_path ?: a->id, c->name);
                                return -EOPNOTSUPP;
                        }
                        /* Quadlet's Exec= parser stops at an empty word ("--save ''"):
                         * %i, empty in a unit that is not a template, passes through
                         * Quadlet untouched and becomes the empty argument in systemd. */
                        if (isempty(*w))
                                empty = true;
                        if ((r = strv_consume(&words, isempty(*w) ? strdup("%i") : unit_quote_word(*w, true))) < 0)
                                return r;
                }
                _cleanup_free_ char *line = strv_join(words, " ");
                if (!line)
                        return -ENOMEM;
                if (empty && (r = unit_file_comment(u, "Container", "%i (empty here: no template) stands for each empty argument, which Exec= cannot carry.")) < 0)
                        return r;
                if ((r = unit_file_add_raw(u, "Container", "Exec", line)) < 0)
                        return r;
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
