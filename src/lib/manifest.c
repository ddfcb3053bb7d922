/* manifest.c — schema 1: YAML tree → App, with every error positioned. This
 * file has the entry points, the top-level fields and the volumes: and secrets:
 * declarations; containers, backup and the checks across containers have their
 * own files (manifest_internal.h). */
#include "manifest_internal.h"
#include "schema.h"
#include "strv.h"

static const char *const top_keys[] = {
        "schema", "name", "version", "description", "enabled", "containers",
        "volumes", "secrets", "backup", "migrate", NULL,
};
static const char *const volume_keys[] = { "backup", "owner", "mode", "path", NULL };
static const char *const secret_keys[] = { "generate", "file", NULL };
static const char *const generate_keys[] = { "length", "charset", NULL };
static const char *const migrate_keys[] = { "hooks", NULL };
static const char *const charset_values[] = { "alnum", "hex", "base64url", "ascii", NULL };

bool name_valid(const char *s, size_t max, bool allow_underscore_dot) {
        size_t n = strlen(s);

        if (n < 1 || n > max)
                return false;
        if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
                return false;
        for (size_t i = 1; i < n; i++) {
                char c = s[i];
                if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')
                        continue;
                if (allow_underscore_dot && (c == '_' || c == '.'))
                        continue;
                return false;
        }
        return true;
}

bool container_name_reserved(const char *name) {
        /* berth-<id>-prepare.service, the backup timer, the network unit and the
         * build units share the berth-<id>- prefix with container services. */
        return streq(name, "prepare") || streq(name, "backup") || streq(name, "network") ||
               endswith(name, "-build");
}

int manifest_enum_invalid(ManifestCtx *c, const Node *n, const char *what, const char *const *values) {
        _cleanup_free_ char *list = strv_join((char *const *) values, ", ");
        const char *hint = n->type == NODE_SCALAR ? schema_did_you_mean(n->value, values) : NULL;
        if (hint)
                diag_add(c->d, &n->pos, "%s '%s' is not known, did you mean '%s'?", what, n->value, hint);
        else
                diag_add(c->d, &n->pos, "%s is '%s', expected one of: %s", what,
                         n->type == NODE_SCALAR ? n->value : node_type_name(n), strempty(list));
        return -EINVAL;
}

/* The name of an entry under volumes: or secrets: (KIND says which), copied to
 * *ret: 1, or 0 with a diagnostic when it is not a valid name. */
static int declared_name(ManifestCtx *c, const Node *k, const char *kind, char **ret) {
        char *s;

        if (!name_valid(k->value, 64, true)) {
                diag_add(c->d, &k->pos, "%s name '%s' is not valid, expected 1-64 characters of a-z, 0-9, '-', '_' and '.', starting with a letter or digit", kind, k->value);
                return 0;
        }
        s = strdup(k->value);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 1;
}

static int parse_volumes(ManifestCtx *c, const Node *n) {
        App *a = c->app;
        int r;

        if (schema_mapping(c->d, n, "volumes") < 0)
                return 0;
        a->volumes = calloc(n->n + 1, sizeof(Volume));
        if (!a->volumes)
                return -ENOMEM;
        for (size_t i = 0; i < n->n; i++) {
                const Node *k = n->keys[i], *v = n->items[i], *f;
                Volume *vol = &a->volumes[a->n_volumes];
                _cleanup_free_ char *where = NULL;

                r = declared_name(c, k, "volume", &vol->name);
                if (r < 0)
                        return r;
                if (r == 0)
                        continue;
                vol->backup = true;
                vol->mode = 0700;
                a->n_volumes++;
                if (node_is_null(v))
                        continue;
                if (!(where = strjoin("volume '", k->value, "'")))
                        return -ENOMEM;
                if (schema_mapping(c->d, v, where) < 0)
                        continue;
                schema_check_keys(c->d, v, where, volume_keys);
                if ((f = node_get(v, "backup")))
                        (void) schema_bool(c->d, f, "backup", &vol->backup);
                if ((f = node_get(v, "owner"))) {
                        if (f->type != NODE_SCALAR || parse_owner(f->value, &vol->uid, &vol->gid) < 0)
                                diag_add(c->d, &f->pos, "owner is '%s', expected UID[:GID] as numbers from 0 to 65535 (ids inside the container)",
                                         f->type == NODE_SCALAR ? f->value : node_type_name(f));
                        else
                                vol->has_owner = true;
                }
                if ((f = node_get(v, "mode"))) {
                        if (f->type != NODE_SCALAR || parse_mode(f->value, &vol->mode) < 0)
                                diag_add(c->d, &f->pos, "mode is '%s', expected an octal permission such as \"0750\" (no setuid, setgid or sticky bits)",
                                         f->type == NODE_SCALAR ? f->value : node_type_name(f));
                }
                if ((f = node_get(v, "path")) && schema_abs_path(c->d, f, "volume path", &vol->path) >= 0) {
                        bool allowed = false;
                        /* podman's --volume (and Quadlet's Volume=) is SOURCE:TARGET[:OPTIONS]:
                         * a ':' in the source would move the rest into the target. */
                        if (strchr(vol->path, ':'))
                                diag_add(c->d, &f->pos, "volume path '%s' contains ':', which podman reads as the separator before the mount target, expected a directory without ':'",
                                         vol->path);
                        STRV_FOREACH(h, c->conf ? c->conf->host_paths : NULL)
                                if (!allowed && path_is_under(vol->path, *h) && !streq(vol->path, *h)) {
                                        allowed = true;
                                        if (!(vol->path_base = strdup(*h)))
                                                return -ENOMEM;
                                }
                        if (!allowed) {
                                _cleanup_free_ char *list = c->conf ? strv_join(c->conf->host_paths, ", ") : NULL;
                                diag_add(c->d, &f->pos, "host path '%s' is not under a directory allowed in %s, expected a path below one of: %s",
                                         vol->path, c->conf && c->conf->path ? c->conf->path : berth_conf_path(),
                                         isempty(list) ? "(none allowed: add host_paths to berth.conf)" : list);
                        }
                }
        }
        return 0;
}

static int parse_secrets(ManifestCtx *c, const Node *n) {
        App *a = c->app;
        int r;

        if (schema_mapping(c->d, n, "secrets") < 0)
                return 0;
        a->secrets = calloc(n->n + 1, sizeof(Secret));
        if (!a->secrets)
                return -ENOMEM;
        for (size_t i = 0; i < n->n; i++) {
                const Node *k = n->keys[i], *v = n->items[i], *g, *f;
                Secret *s = &a->secrets[a->n_secrets];
                _cleanup_free_ char *where = NULL;

                r = declared_name(c, k, "secret", &s->name);
                if (r < 0)
                        return r;
                if (r == 0)
                        continue;
                s->generate = true;
                s->length = 32;
                a->n_secrets++;
                if (!(where = strjoin("secret '", k->value, "'")))
                        return -ENOMEM;
                if (node_is_null(v)) {
                        diag_add(c->d, &k->pos, "secret '%s' is empty, expected {generate: {length: N, charset: alnum}} or {file: /path}", k->value);
                        continue;
                }
                if (schema_mapping(c->d, v, where) < 0)
                        continue;
                schema_check_keys(c->d, v, where, secret_keys);
                g = node_get(v, "generate");
                f = node_get(v, "file");
                if (g && f) {
                        diag_add(c->d, &f->pos, "secret '%s' has both 'generate' and 'file', expected exactly one", s->name);
                        continue;
                }
                if (!g && !f) {
                        diag_add(c->d, &v->pos, "secret '%s' has neither 'generate' nor 'file', expected exactly one", s->name);
                        continue;
                }
                if (f) {
                        s->generate = false;
                        (void) schema_abs_path(c->d, f, "secret file", &s->file);
                        continue;
                }
                if (node_is_null(g))
                        continue; /* generate: with the defaults */
                if (schema_mapping(c->d, g, "generate") < 0)
                        continue;
                schema_check_keys(c->d, g, "generate", generate_keys);
                if ((f = node_get(g, "length"))) {
                        uint64_t l;
                        if (schema_uint(c->d, f, "secret length", 8, 4096, &l) >= 0)
                                s->length = (unsigned) l;
                }
                if ((f = node_get(g, "charset"))) {
                        r = enum_value(c, f, "charset", charset_values);
                        if (r >= 0)
                                s->charset = (SecretCharset) r;
                }
        }
        return 0;
}

int manifest_to_app(const YamlDoc *doc, const char *id, const char *source_path, const BerthConf *conf,
                    App **ret, Diagnostics *diag) {
        _cleanup_(app_freep) App *a = NULL;
        Diagnostics local = {};
        ManifestCtx c = { .d = &local, .conf = conf, .id = id, .doc = doc };
        const Node *root = doc ? doc->root : NULL, *n;
        Position file_pos = { .file = source_path };
        int r = 0;

        a = calloc(1, sizeof(App));
        if (!a)
                return -ENOMEM;
        c.app = a;
        a->enabled = true;
        a->backup.retention = (Retention) { .last = 3, .daily = 7, .weekly = 4, .monthly = 6 };
        a->backup.randomized_delay = 30 * 60 * USEC_PER_SEC;
        if (!(a->id = strdup(id)) || !(a->source_path = strdup(source_path)))
                return -ENOMEM;

        if (!schema_text_ok(source_path, strlen(source_path)))
                diag_add(&local, NULL, "manifest path contains control characters, expected a plain file name");
        if (!app_id_valid(id))
                diag_add(&local, &file_pos, "'%s' is not a valid app id (taken from the file name), expected 1-32 characters of a-z, 0-9 and '-', starting with a letter or digit", id);
        if (!root || node_is_null(root)) {
                diag_add(&local, &file_pos, "manifest is empty, expected a mapping with at least 'containers:'");
                goto done;
        }
        if (schema_mapping(&local, root, "manifest") < 0)
                goto done;
        schema_check_keys(&local, root, "the manifest", top_keys);

        if ((n = node_get(root, "schema"))) {
                uint64_t v;
                bool one = n->type == NODE_SCALAR && parse_uint(n->value, 1, 1, &v) >= 0;
                if (one && !n->plain)
                        diag_add(&local, &n->pos, "schema is the string '%s', expected the number 1, without quotes", n->value);
                else if (!one)
                        diag_add(&local, &n->pos, "schema is '%s', expected 1 (the only schema this berth knows)",
                                 n->type == NODE_SCALAR ? n->value : node_type_name(n));
        }
        if ((n = node_get(root, "name")))
                (void) schema_string(&local, n, "name", &a->name);
        if (!a->name && !(a->name = strdup(id)))
                return -ENOMEM;
        if ((n = node_get(root, "version")))
                (void) schema_string(&local, n, "version", &a->version);
        if ((n = node_get(root, "description")))
                (void) schema_string(&local, n, "description", &a->description);
        if ((n = node_get(root, "enabled")))
                (void) schema_bool(&local, n, "enabled", &a->enabled);

        /* Declarations first: containers refer to volumes and secrets. */
        if ((n = node_get(root, "volumes")) && !node_is_null(n) && (r = parse_volumes(&c, n)) < 0)
                goto done;
        if ((n = node_get(root, "secrets")) && !node_is_null(n) && (r = parse_secrets(&c, n)) < 0)
                goto done;

        n = node_get(root, "containers");
        if (!n) {
                const Node *rm = yaml_removed_key(doc, root, "containers");
                if (rm)
                        diag_add(&local, &rm->pos, "manifest has no 'containers': this drop-in removes them (a null), expected a mapping of container names to their settings");
                else
                        diag_add(&local, &root->pos, "manifest has no 'containers', expected a mapping of container names to their settings");
        }
        else if (n->type != NODE_MAPPING || n->n == 0)
                diag_add(&local, &n->pos, "containers is %s, expected a non-empty mapping of container names to their settings",
                         n->type == NODE_MAPPING ? "empty" : node_type_name(n));
        else {
                c.containers = n;
                a->containers = calloc(n->n, sizeof(Container));
                if (!a->containers)
                        return -ENOMEM;
                for (size_t i = 0; i < n->n; i++) {
                        r = manifest_parse_container(&c, n->keys[i], n->items[i], &a->containers[a->n_containers++]);
                        if (r < 0)
                                goto done;
                }
                manifest_check_cycles(&c);
                manifest_check_port_clashes(&c);
        }
        if ((n = node_get(root, "backup")) && !node_is_null(n)) {
                a->backup.present = true;
                if ((r = manifest_parse_backup(&c, n)) < 0)
                        goto done;
        }
        if (a->backup.present && !a->backup.schedule && !(a->backup.schedule = strdup("daily")))
                return -ENOMEM;
        if ((n = node_get(root, "migrate")) && schema_mapping(&local, n, "migrate") >= 0) {
                const Node *h;
                schema_check_keys(&local, n, "migrate", migrate_keys);
                if ((h = node_get(n, "hooks")) && (r = manifest_parse_hooks(&c, h, &a->migrate_hooks)) < 0)
                        goto done;
        }
done:
        if (r >= 0 && diag_has_errors(&local))
                r = -EINVAL;
        diag_move(diag, &local);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(a);
        return 0;
}

int manifest_load(const AppSource *src, const BerthConf *conf, App **ret, Diagnostics *diag) {
        _cleanup_(yaml_doc_freep) YamlDoc *doc = NULL;
        _cleanup_(app_freep) App *a = NULL;
        int r;

        r = app_source_load(src, &doc, diag);
        if (r < 0)
                return r;
        r = manifest_to_app(doc, src->id, src->path, conf, &a, diag);
        if (r < 0)
                return r;
        if (src->dropins && !(a->dropin_paths = strv_copy(src->dropins)))
                return -ENOMEM;
        *ret = TAKE_PTR(a);
        return 0;
}

int manifest_load_by_id(BerthScope scope, const char *id, const BerthConf *conf, App **ret, Diagnostics *diag) {
        _cleanup_strv_free_ char **dirs = NULL;
        AppSource src = {};
        int r;

        if (!app_id_valid(id))
                return -EINVAL;
        r = app_search_dirs(scope, &dirs);
        if (r < 0)
                return r;
        r = app_source_find(dirs, id, &src, diag);
        if (r < 0)
                return r;
        if (src.masked) {
                app_source_done(&src);
                return -ERFKILL;
        }
        r = manifest_load(&src, conf, ret, diag);
        app_source_done(&src);
        return r;
}
