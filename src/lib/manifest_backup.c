/* manifest_backup.c — backup: (schedule, retention, quiesce, hooks) and the
 * hook lists that backup: and migrate: share. */
#include "calendar.h"
#include "manifest_internal.h"
#include "schema.h"

static const char *const backup_keys[] = { "schedule", "randomized_delay", "retention", "quiesce", "hooks", NULL };
static const char *const retention_keys[] = { "last", "hourly", "daily", "weekly", "monthly", "yearly", NULL };
static const char *const hooks_keys[] = { "pre", "post", NULL };
static const char *const hook_keys[] = { "container", "exec", NULL };
static const char *const quiesce_values[] = { "none", "stop", NULL };

static int parse_hook_list(ManifestCtx *c, const Node *n, const char *what, Hook **ret, size_t *ret_n) {
        Hook *hooks;
        size_t m = 0;

        if (!expect_sequence(c, n, what, "a list of {container: NAME, exec: [...]}"))
                return 0;
        hooks = calloc(n->n + 1, sizeof(Hook));
        if (!hooks)
                return -ENOMEM;
        *ret = hooks;
        for (size_t i = 0; i < n->n; i++) {
                const Node *h = n->items[i], *f;
                _cleanup_free_ char *container = NULL;

                if (schema_mapping(c->d, h, what) < 0)
                        continue;
                schema_check_keys(c->d, h, "a hook", hook_keys);
                f = node_get(h, "container");
                if (!f) {
                        diag_add(c->d, &h->pos, "hook has no 'container', expected the container to run it in");
                        continue;
                }
                if (schema_string(c->d, f, "hook container", &container) < 0)
                        continue;
                if (!node_get(c->containers, container)) {
                        diag_add(c->d, &f->pos, "hook container '%s' is not a container of this app, expected one of the keys under 'containers:'", container);
                        continue;
                }
                f = node_get(h, "exec");
                if (!f) {
                        diag_add(c->d, &h->pos, "hook has no 'exec', expected a command list");
                        continue;
                }
                if (schema_strv(c->d, f, "hook exec", &hooks[m].exec) < 0)
                        continue;
                hooks[m++].container = TAKE_PTR(container);
        }
        *ret_n = m;
        return 0;
}

int manifest_parse_hooks(ManifestCtx *c, const Node *n, Hooks *h) {
        const Node *v;
        int r;

        if (schema_mapping(c->d, n, "hooks") < 0)
                return 0;
        schema_check_keys(c->d, n, "hooks", hooks_keys);
        if ((v = node_get(n, "pre")) && (r = parse_hook_list(c, v, "pre hooks", &h->pre, &h->n_pre)) < 0)
                return r;
        if ((v = node_get(n, "post")) && (r = parse_hook_list(c, v, "post hooks", &h->post, &h->n_post)) < 0)
                return r;
        return 0;
}

int manifest_parse_backup(ManifestCtx *c, const Node *n) {
        BackupPolicy *b = &c->app->backup;
        const Node *v;
        int r;

        if (schema_mapping(c->d, n, "backup") < 0)
                return 0;
        schema_check_keys(c->d, n, "backup", backup_keys);
        if ((v = node_get(n, "schedule"))) {
                const char *bad;
                /* systemd would not load a timer with a schedule it cannot parse,
                 * and the backups would silently never run. */
                if (schema_string(c->d, v, "schedule", &b->schedule) >= 0 && (bad = calendar_check(b->schedule)))
                        diag_add(c->d, &v->pos, "schedule '%s' is not a calendar expression systemd accepts (its %s), expected e.g. 'daily', 'Mon..Fri 03:00' or '*-*-* 03:00:00' (see systemd.time(7))",
                                 b->schedule, bad);
        }
        if ((v = node_get(n, "randomized_delay")))
                (void) duration_value(c, v, "randomized_delay", 0, &b->randomized_delay);
        if ((v = node_get(n, "retention")) && schema_mapping(c->d, v, "retention") >= 0) {
                unsigned *fields[] = { &b->retention.last, &b->retention.hourly, &b->retention.daily,
                                       &b->retention.weekly, &b->retention.monthly, &b->retention.yearly };
                schema_check_keys(c->d, v, "retention", retention_keys);
                memset(&b->retention, 0, sizeof(b->retention));
                for (size_t i = 0; retention_keys[i]; i++) {
                        const Node *f = node_get(v, retention_keys[i]);
                        uint64_t x;
                        if (f && schema_uint(c->d, f, retention_keys[i], 0, 100000, &x) >= 0)
                                *fields[i] = (unsigned) x;
                }
                if (!b->retention.last && !b->retention.hourly && !b->retention.daily &&
                    !b->retention.weekly && !b->retention.monthly && !b->retention.yearly)
                        diag_add(c->d, &v->pos, "retention keeps nothing, expected at least one of last, hourly, daily, weekly, monthly, yearly above 0");
        }
        if ((v = node_get(n, "quiesce"))) {
                r = enum_value(c, v, "quiesce", quiesce_values);
                if (r >= 0)
                        b->quiesce = (Quiesce) r;
        }
        if ((v = node_get(n, "hooks")) && (r = manifest_parse_hooks(c, v, &b->hooks)) < 0)
                return r;
        return 0;
}
