/* app.c — the app model's lifetime and lookups. */
#include "app.h"
#include "strv.h"

static void key_values_free(KeyValue *kv, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(kv[i].key);
                free(kv[i].value);
        }
        free(kv);
}

static void hooks_done(Hooks *h) {
        for (size_t i = 0; i < h->n_pre; i++) {
                free(h->pre[i].container);
                strv_free(h->pre[i].exec);
        }
        for (size_t i = 0; i < h->n_post; i++) {
                free(h->post[i].container);
                strv_free(h->post[i].exec);
        }
        free(h->pre);
        free(h->post);
}

static void container_done(Container *c) {
        free(c->name);
        free(c->image);
        if (c->build) {
                free(c->build->context);
                free(c->build->file);
                free(c->build->tag);
                key_values_free(c->build->args, c->build->n_args);
                free(c->build);
        }
        strv_free(c->command);
        strv_free(c->entrypoint);
        for (size_t i = 0; i < c->n_env; i++) {
                free(c->env[i].name);
                free(c->env[i].value);
                free(c->env[i].secret);
        }
        free(c->env);
        for (size_t i = 0; i < c->n_ports; i++)
                free(c->ports[i].host_ip);
        free(c->ports);
        for (size_t i = 0; i < c->n_mounts; i++) {
                free(c->mounts[i].volume);
                free(c->mounts[i].target);
        }
        free(c->mounts);
        strv_free(c->depends_on);
        if (c->health) {
                strv_free(c->health->cmd);
                free(c->health->shell);
                free(c->health);
        }
        key_values_free(c->labels, c->n_labels);
        free(c->user);
        strv_free(c->cap_add);
}

App *app_free(App *a) {
        if (!a)
                return NULL;
        free(a->id);
        free(a->source_path);
        strv_free(a->dropin_paths);
        free(a->name);
        free(a->version);
        free(a->description);
        for (size_t i = 0; i < a->n_containers; i++)
                container_done(&a->containers[i]);
        free(a->containers);
        for (size_t i = 0; i < a->n_volumes; i++) {
                free(a->volumes[i].name);
                free(a->volumes[i].path);
                free(a->volumes[i].path_base);
        }
        free(a->volumes);
        for (size_t i = 0; i < a->n_secrets; i++) {
                free(a->secrets[i].name);
                free(a->secrets[i].file);
        }
        free(a->secrets);
        free(a->backup.schedule);
        hooks_done(&a->backup.hooks);
        hooks_done(&a->migrate_hooks);
        free(a);
        return NULL;
}

const Container *app_find_container(const App *a, const char *name) {
        for (size_t i = 0; i < a->n_containers; i++)
                if (streq(a->containers[i].name, name))
                        return &a->containers[i];
        return NULL;
}

const Volume *app_find_volume(const App *a, const char *name) {
        for (size_t i = 0; i < a->n_volumes; i++)
                if (streq(a->volumes[i].name, name))
                        return &a->volumes[i];
        return NULL;
}

const Secret *app_find_secret(const App *a, const char *name) {
        for (size_t i = 0; i < a->n_secrets; i++)
                if (streq(a->secrets[i].name, name))
                        return &a->secrets[i];
        return NULL;
}

const char *restart_policy_to_string(RestartPolicy p) {
        static const char *const t[] = {
                [RESTART_NO] = "no",
                [RESTART_ON_FAILURE] = "on-failure",
                [RESTART_ALWAYS] = "always",
        };
        return t[p];
}

const char *secret_charset_to_string(SecretCharset c) {
        static const char *const t[] = {
                [CHARSET_ALNUM] = "alnum",
                [CHARSET_HEX] = "hex",
                [CHARSET_BASE64URL] = "base64url",
                [CHARSET_ASCII] = "ascii",
        };
        return c < _CHARSET_MAX ? t[c] : NULL;
}
