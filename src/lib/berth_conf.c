/* berth_conf.c — host settings. */
#include "berth_conf.h"
#include "scalar_parse.h"
#include "schema.h"
#include "strv.h"
#include "yaml_tree.h"

BerthConf *berth_conf_free(BerthConf *c) {
        if (!c)
                return NULL;
        free(c->path);
        strv_free(c->host_paths);
        free(c->repository);
        free(c->password_file);
        free(c->environment_file);
        strv_free(c->notify_command);
        free(c->metrics_textfile);
        free(c);
        return NULL;
}

const char *berth_conf_path(void) {
        const char *e = getenv("BERTH_CONF");
        return isempty(e) ? BERTH_CONF_PATH : e;
}

static BerthConf *conf_new(void) {
        BerthConf *c = calloc(1, sizeof(BerthConf));
        if (!c)
                return NULL;
        c->prune_interval = 7ULL * 86400ULL * USEC_PER_SEC;
        c->lock_retries = 5;
        c->upgrade_snapshot = true;
        return c;
}

static int conf_from_tree(BerthConf *c, const Node *root, Diagnostics *d) {
        static const char *const top[] = { "host_paths", "backup", "notify", "metrics", NULL };
        static const char *const backup_keys[] = { "repository", "password_file", "environment_file", "prune_interval", "lock_retries", "upgrade_snapshot", NULL };
        static const char *const notify_keys[] = { "command", NULL };
        static const char *const metrics_keys[] = { "textfile", NULL };
        const Node *n, *b;
        int r;

        if (!root)
                return 0;
        if (schema_mapping(d, root, "berth.conf") < 0)
                return -EINVAL;
        schema_check_keys(d, root, "berth.conf", top);

        n = node_get(root, "host_paths");
        if (n) {
                if (n->type != NODE_SEQUENCE)
                        diag_add(d, &n->pos, "host_paths is %s, expected a list of absolute directories", node_type_name(n));
                else
                        for (size_t i = 0; i < n->n; i++) {
                                char *p;
                                if (schema_abs_path(d, n->items[i], "host_paths entry", &p) < 0)
                                        continue;
                                if (streq(p, "/")) {
                                        diag_add(d, &n->items[i]->pos, "host_paths entry '/' would allow every path, expected a specific directory");
                                        free(p);
                                        continue;
                                }
                                r = strv_consume(&c->host_paths, p);
                                if (r < 0)
                                        return r;
                        }
        }

        b = node_get(root, "backup");
        if (b && schema_mapping(d, b, "backup") >= 0) {
                schema_check_keys(d, b, "backup", backup_keys);
                if ((n = node_get(b, "repository"))) {
                        if (schema_string(d, n, "backup.repository", &c->repository) >= 0 && isempty(c->repository))
                                diag_add(d, &n->pos, "backup.repository is empty, expected a restic repository (path, sftp:, s3:, rest:...)");
                }
                if ((n = node_get(b, "password_file")))
                        (void) schema_abs_path(d, n, "backup.password_file", &c->password_file);
                if ((n = node_get(b, "environment_file")))
                        (void) schema_abs_path(d, n, "backup.environment_file", &c->environment_file);
                if ((n = node_get(b, "prune_interval"))) {
                        if (n->type != NODE_SCALAR || parse_duration(n->value, &c->prune_interval) < 0)
                                diag_add(d, &n->pos, "backup.prune_interval is not a duration, expected e.g. '7d' or '12h'");
                }
                if ((n = node_get(b, "lock_retries"))) {
                        uint64_t v;
                        if (schema_uint(d, n, "backup.lock_retries", 0, 100, &v) >= 0)
                                c->lock_retries = (unsigned) v;
                }
                if ((n = node_get(b, "upgrade_snapshot")))
                        (void) schema_bool(d, n, "backup.upgrade_snapshot", &c->upgrade_snapshot);
                if (c->repository && !c->password_file && !streq(c->repository, BERTH_DEFAULT_REPOSITORY))
                        diag_add(d, &b->pos, "backup.repository is set without backup.password_file, expected the file holding that repository's password");
        }

        n = node_get(root, "notify");
        if (n && schema_mapping(d, n, "notify") >= 0) {
                schema_check_keys(d, n, "notify", notify_keys);
                if ((b = node_get(n, "command")))
                        (void) schema_strv(d, b, "notify.command", &c->notify_command);
        }
        n = node_get(root, "metrics");
        if (n && schema_mapping(d, n, "metrics") >= 0) {
                schema_check_keys(d, n, "metrics", metrics_keys);
                if ((b = node_get(n, "textfile")))
                        (void) schema_abs_path(d, b, "metrics.textfile", &c->metrics_textfile);
        }
        return diag_has_errors(d) ? -EINVAL : 0;
}

int berth_conf_load_path(const char *path, BerthConf **ret, Diagnostics *diag) {
        _cleanup_(berth_conf_freep) BerthConf *c = conf_new();
        _cleanup_(yaml_doc_freep) YamlDoc *doc = NULL;
        Diagnostics local = {};
        int r;

        if (!c)
                return -ENOMEM;
        r = yaml_load_file(path, &doc, &local);
        if (r == -ENOENT) {
                *ret = TAKE_PTR(c);
                return 0;
        }
        if (r >= 0) {
                c->path = strdup(path);
                if (!c->path)
                        r = -ENOMEM;
                else
                        r = conf_from_tree(c, doc->root, &local);
        }
        diag_move(diag, &local);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}

int berth_conf_load(BerthConf **ret, Diagnostics *diag) {
        return berth_conf_load_path(berth_conf_path(), ret, diag);
}
