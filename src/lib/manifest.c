/* manifest.c — schema 1: YAML tree → App, with every error positioned. */
#include <ctype.h>

#include "manifest.h"
#include "scalar_parse.h"
#include "schema.h"
#include "strv.h"

typedef struct Ctx {
        Diagnostics *d;
        const BerthConf *conf;
        const char *id;
        App *app;
        const Node *containers; /* for positions of cross-references */
} Ctx;

static const char *const top_keys[] = {
        "schema", "name", "version", "description", "enabled", "containers",
        "volumes", "secrets", "backup", "migrate", NULL,
};
static const char *const container_keys[] = {
        "image", "build", "command", "entrypoint", "environment", "ports", "volumes",
        "depends_on", "health", "resources", "labels", "user", "read_only", "cap_add",
        "restart", "init", "stop_timeout", NULL,
};
static const char *const build_keys[] = { "context", "file", "tag", "args", NULL };
static const char *const health_keys[] = { "cmd", "interval", "timeout", "retries", "start_period", NULL };
static const char *const resources_keys[] = { "memory", "cpus", "pids", NULL };
static const char *const volume_keys[] = { "backup", "owner", "mode", "path", NULL };
static const char *const secret_keys[] = { "generate", "file", NULL };
static const char *const generate_keys[] = { "length", "charset", NULL };
static const char *const backup_keys[] = { "schedule", "randomized_delay", "retention", "quiesce", "hooks", NULL };
static const char *const retention_keys[] = { "last", "hourly", "daily", "weekly", "monthly", "yearly", NULL };
static const char *const hooks_keys[] = { "pre", "post", NULL };
static const char *const hook_keys[] = { "container", "exec", NULL };
static const char *const migrate_keys[] = { "hooks", NULL };
static const char *const restart_values[] = { "no", "on-failure", "always", NULL };
static const char *const quiesce_values[] = { "none", "stop", NULL };
static const char *const charset_values[] = { "alnum", "hex", "base64url", "ascii", NULL };

/* Linux capabilities as podman accepts them (without CAP_). */
static const char *const capabilities[] = {
        "AUDIT_CONTROL", "AUDIT_READ", "AUDIT_WRITE", "BLOCK_SUSPEND", "BPF", "CHECKPOINT_RESTORE",
        "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "IPC_LOCK", "IPC_OWNER",
        "KILL", "LEASE", "LINUX_IMMUTABLE", "MAC_ADMIN", "MAC_OVERRIDE", "MKNOD", "NET_ADMIN",
        "NET_BIND_SERVICE", "NET_BROADCAST", "NET_RAW", "PERFMON", "SETFCAP", "SETGID", "SETPCAP",
        "SETUID", "SYSLOG", "SYS_ADMIN", "SYS_BOOT", "SYS_CHROOT", "SYS_MODULE", "SYS_NICE",
        "SYS_PACCT", "SYS_PTRACE", "SYS_RAWIO", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG",
        "WAKE_ALARM", NULL,
};

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

static int enum_value(Ctx *c, const Node *n, const char *what, const char *const *values) {
        if (n->type == NODE_SCALAR)
                for (size_t i = 0; values[i]; i++)
                        if (streq(n->value, values[i]))
                                return (int) i;
        _cleanup_free_ char *list = strv_join((char *const *) values, ", ");
        const char *hint = n->type == NODE_SCALAR ? schema_did_you_mean(n->value, values) : NULL;
        if (hint)
                diag_add(c->d, &n->pos, "%s '%s' is not known, did you mean '%s'?", what, n->value, hint);
        else
                diag_add(c->d, &n->pos, "%s is '%s', expected one of: %s", what,
                         n->type == NODE_SCALAR ? n->value : node_type_name(n), strempty(list));
        return -EINVAL;
}

static int duration_value(Ctx *c, const Node *n, const char *what, usec_t min, usec_t *ret) {
        usec_t u;

        if (n->type != NODE_SCALAR || parse_duration(n->value, &u) < 0 || u < min) {
                diag_add(c->d, &n->pos, "%s is '%s', expected a duration such as '30s', '5min' or '1h'%s", what,
                         n->type == NODE_SCALAR ? n->value : node_type_name(n),
                         min >= USEC_PER_SEC ? " (at least 1s)" : min > 0 ? " (at least 1ms)" : "");
                return -EINVAL;
        }
        *ret = u;
        return 0;
}

static bool image_ref_valid(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > 255)
                return false;
        if (!isalnum((unsigned char) s[0]))
                return false;
        for (const char *p = s; *p; p++)
                if (!isalnum((unsigned char) *p) && !strchr("._-/:@+", *p))
                        return false;
        return true;
}

static bool env_name_valid(const char *s) {
        if (!s[0] || isdigit((unsigned char) s[0]) || strlen(s) > 256)
                return false;
        for (const char *p = s; *p; p++)
                if (!isalnum((unsigned char) *p) && *p != '_')
                        return false;
        return true;
}

static bool label_key_valid(const char *s) {
        if (!s[0] || !isalnum((unsigned char) s[0]) || strlen(s) > 253)
                return false;
        for (const char *p = s; *p; p++)
                if (!isalnum((unsigned char) *p) && !strchr("._/-", *p))
                        return false;
        return true;
}

static bool user_valid(const char *s) {
        /* user[:group], names or ids, as podman --user takes them. */
        size_t colons = 0;

        if (!s[0] || strlen(s) > 64 || s[0] == ':')
                return false;
        for (const char *p = s; *p; p++) {
                if (*p == ':') {
                        if (++colons > 1 || !p[1])
                                return false;
                        continue;
                }
                if (!isalnum((unsigned char) *p) && !strchr("_.-", *p))
                        return false;
        }
        return true;
}

/* Calendar expressions are parsed by systemd itself when the timer loads; here
 * only what can never be valid, or could break the unit, is refused. */
static bool schedule_plausible(const char *s) {
        if (!s[0] || strlen(s) > 256)
                return false;
        for (const char *p = s; *p; p++)
                if (!isalnum((unsigned char) *p) && !strchr(" :*/,.~+-_", *p))
                        return false;
        return true;
}

static int parse_env(Ctx *c, Container *ct, const Node *n) {
        _cleanup_free_ char *where = strjoin("container '", ct->name, "' environment");

        if (!where)
                return -ENOMEM;
        if (schema_mapping(c->d, n, where) < 0)
                return -EINVAL;
        ct->env = calloc(n->n + 1, sizeof(EnvVar));
        if (!ct->env)
                return -ENOMEM;
        for (size_t i = 0; i < n->n; i++) {
                const Node *k = n->keys[i], *v = n->items[i];
                EnvVar *e = &ct->env[ct->n_env];

                if (!env_name_valid(k->value)) {
                        diag_add(c->d, &k->pos, "environment variable name '%s' is not valid, expected letters, digits and '_', not starting with a digit", k->value);
                        continue;
                }
                if (v->type == NODE_MAPPING) {
                        static const char *const secret_ref_keys[] = { "secret", NULL };
                        const Node *s = node_get(v, "secret");
                        schema_check_keys(c->d, v, "an environment value", secret_ref_keys);
                        if (!s) {
                                diag_add(c->d, &v->pos, "environment value for '%s' is a mapping without 'secret', expected a string or {secret: NAME}", k->value);
                                continue;
                        }
                        if (schema_string(c->d, s, "secret reference", &e->secret) < 0)
                                continue;
                        if (!app_find_secret(c->app, e->secret)) {
                                diag_add(c->d, &s->pos, "secret '%s' is not declared, expected a name under the top-level 'secrets:'", e->secret);
                                free(e->secret);
                                e->secret = NULL;
                                continue;
                        }
                } else if (v->type == NODE_SCALAR && !node_is_null(v)) {
                        if (schema_string(c->d, v, "environment value", &e->value) < 0)
                                continue;
                } else {
                        diag_add(c->d, &v->pos, "environment value for '%s' is %s, expected a string or {secret: NAME}", k->value, node_type_name(v));
                        continue;
                }
                e->name = strdup(k->value);
                if (!e->name)
                        return -ENOMEM;
                ct->n_env++;
        }
        return 0;
}

static int parse_ports(Ctx *c, Container *ct, const Node *n) {
        if (n->type != NODE_SEQUENCE) {
                diag_add(c->d, &n->pos, "ports is %s, expected a list like [\"127.0.0.1:8080:80/tcp\"]", node_type_name(n));
                return -EINVAL;
        }
        ct->ports = calloc(n->n + 1, sizeof(PortMap));
        if (!ct->ports)
                return -ENOMEM;
        for (size_t i = 0; i < n->n; i++) {
                const Node *p = n->items[i];
                PortMap m;
                int r;

                if (p->type != NODE_SCALAR || !schema_text_ok(p->value, p->value_len) ||
                    (r = parse_port_map(p->value, &m)) == -EINVAL) {
                        diag_add(c->d, &p->pos, "port '%s' is not valid, expected [IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp|sctp] with ports 1-65535",
                                 p->type == NODE_SCALAR && schema_text_ok(p->value, p->value_len) ? p->value : "?");
                        continue;
                }
                if (r < 0)
                        return r;
                ct->ports[ct->n_ports++] = m;
        }
        return 0;
}

static int parse_mounts(Ctx *c, Container *ct, const Node *n) {
        if (n->type != NODE_SEQUENCE) {
                diag_add(c->d, &n->pos, "volumes is %s, expected a list like [\"data:/var/lib/app\"]", node_type_name(n));
                return -EINVAL;
        }
        ct->mounts = calloc(n->n + 1, sizeof(Mount));
        if (!ct->mounts)
                return -ENOMEM;
        for (size_t i = 0; i < n->n; i++) {
                const Node *v = n->items[i];
                _cleanup_free_ char *s = NULL;
                Mount m = {};
                char *colon, *opt;

                if (schema_string(c->d, v, "volume mount", &s) < 0)
                        continue;
                colon = strchr(s, ':');
                if (!colon) {
                        diag_add(c->d, &v->pos, "volume mount '%s' has no target, expected NAME:/PATH[:ro|:rw]", s);
                        continue;
                }
                *colon = 0;
                opt = strchr(colon + 1, ':');
                if (opt) {
                        *opt++ = 0;
                        if (streq(opt, "ro"))
                                m.read_only = true;
                        else if (!streq(opt, "rw")) {
                                diag_add(c->d, &v->pos, "volume mount option '%s' is not known, expected 'ro' or 'rw'", opt);
                                continue;
                        }
                }
                if (s[0] == '/' || s[0] == '.') {
                        diag_add(c->d, &v->pos, "volume mount names host path '%s', expected the name of a volume declared under 'volumes:' (host paths go there, with path:)", s);
                        continue;
                }
                if (!app_find_volume(c->app, s)) {
                        diag_add(c->d, &v->pos, "volume '%s' is not declared, expected a name under the top-level 'volumes:'", s);
                        continue;
                }
                if (!path_is_normalized_absolute(colon + 1) || streq(colon + 1, "/")) {
                        diag_add(c->d, &v->pos, "mount target '%s' is not valid, expected a normalised absolute path other than '/'", colon + 1);
                        continue;
                }
                for (size_t j = 0; j < ct->n_mounts; j++)
                        if (streq(ct->mounts[j].target, colon + 1)) {
                                diag_add(c->d, &v->pos, "mount target '%s' is used twice in container '%s', expected each target once", colon + 1, ct->name);
                                goto next;
                        }
                m.volume = strdup(s);
                m.target = strdup(colon + 1);
                if (!m.volume || !m.target) {
                        free(m.volume);
                        free(m.target);
                        return -ENOMEM;
                }
                ct->mounts[ct->n_mounts++] = m;
        next:;
        }
        return 0;
}

static int parse_health(Ctx *c, Container *ct, const Node *n) {
        const Node *v;
        Health *h;

        if (schema_mapping(c->d, n, "health") < 0)
                return -EINVAL;
        schema_check_keys(c->d, n, "health", health_keys);
        h = ct->health = calloc(1, sizeof(Health));
        if (!h)
                return -ENOMEM;
        h->interval = 30 * USEC_PER_SEC;
        h->timeout = 30 * USEC_PER_SEC;
        h->retries = 3;
        v = node_get(n, "cmd");
        if (!v)
                diag_add(c->d, &n->pos, "health has no 'cmd', expected a command list like [\"curl\", \"-f\", \"http://localhost/\"] or a shell string");
        else if (v->type == NODE_SCALAR) {
                /* An empty --health-cmd is no check at all: refuse it. */
                if (schema_string(c->d, v, "health cmd", &h->shell) >= 0 && isempty(h->shell))
                        diag_add(c->d, &v->pos, "health cmd is empty, expected a command");
        } else
                (void) schema_strv(c->d, v, "health cmd", &h->cmd);
        if ((v = node_get(n, "interval")))
                (void) duration_value(c, v, "health interval", USEC_PER_MSEC, &h->interval);
        if ((v = node_get(n, "timeout")))
                (void) duration_value(c, v, "health timeout", USEC_PER_MSEC, &h->timeout);
        if ((v = node_get(n, "start_period")))
                (void) duration_value(c, v, "health start_period", 0, &h->start_period);
        if ((v = node_get(n, "retries"))) {
                uint64_t x;
                if (schema_uint(c->d, v, "health retries", 1, 100, &x) >= 0)
                        h->retries = (unsigned) x;
        }
        return 0;
}

static int parse_resources(Ctx *c, Container *ct, const Node *n) {
        const Node *v;

        if (schema_mapping(c->d, n, "resources") < 0)
                return -EINVAL;
        schema_check_keys(c->d, n, "resources", resources_keys);
        if ((v = node_get(n, "memory"))) {
                if (v->type != NODE_SCALAR || parse_size(v->value, &ct->resources.memory) < 0 ||
                    ct->resources.memory < 6 * 1024 * 1024)
                        diag_add(c->d, &v->pos, "memory is '%s', expected a size of at least 6M such as '512M' or '4G'",
                                 v->type == NODE_SCALAR ? v->value : node_type_name(v));
        }
        if ((v = node_get(n, "cpus"))) {
                unsigned m;
                if (v->type == NODE_SCALAR && !v->plain && parse_cpus(v->value, &m) >= 0)
                        diag_add(c->d, &v->pos, "cpus is the quoted string \"%s\", expected an unquoted number such as 2 or 0.5", v->value);
                else if (v->type != NODE_SCALAR || !v->plain || parse_cpus(v->value, &ct->resources.cpus_milli) < 0)
                        diag_add(c->d, &v->pos, "cpus is '%s', expected a number of CPUs such as 2 or 0.5 (up to 3 decimals)",
                                 v->type == NODE_SCALAR ? v->value : node_type_name(v));
        }
        if ((v = node_get(n, "pids")))
                (void) schema_uint(c->d, v, "pids", 1, 4194304, &ct->resources.pids);
        return 0;
}

static int parse_key_values(Ctx *c, const Node *n, const char *what, bool (*key_ok)(const char *),
                            const char *key_expect, KeyValue **ret, size_t *ret_n) {
        KeyValue *kv;
        size_t m = 0;

        if (schema_mapping(c->d, n, what) < 0)
                return -EINVAL;
        kv = calloc(n->n + 1, sizeof(KeyValue));
        if (!kv)
                return -ENOMEM;
        for (size_t i = 0; i < n->n; i++) {
                const Node *k = n->keys[i], *v = n->items[i];
                char *val;
                if (!key_ok(k->value)) {
                        diag_add(c->d, &k->pos, "%s key '%s' is not valid, expected %s", what, k->value, key_expect);
                        continue;
                }
                if (schema_string(c->d, v, what, &val) < 0)
                        continue;
                kv[m].key = strdup(k->value);
                kv[m].value = val;
                if (!kv[m].key) {
                        free(val);
                        break;
                }
                m++;
        }
        *ret = kv;
        *ret_n = m;
        return 0;
}

static bool label_key_allowed(const char *k) {
        return label_key_valid(k) && !startswith(k, "berth.");
}

static int parse_build(Ctx *c, Container *ct, const Node *n) {
        const Node *v;
        Build *b;

        if (schema_mapping(c->d, n, "build") < 0)
                return -EINVAL;
        schema_check_keys(c->d, n, "build", build_keys);
        b = ct->build = calloc(1, sizeof(Build));
        if (!b)
                return -ENOMEM;
        v = node_get(n, "context");
        if (!v)
                diag_add(c->d, &n->pos, "build has no 'context', expected the absolute directory to build from");
        else
                (void) schema_abs_path(c->d, v, "build context", &b->context);
        if ((v = node_get(n, "file"))) {
                if (schema_string(c->d, v, "build file", &b->file) >= 0 &&
                    (b->file[0] == 0 || strstr(b->file, "..") || b->file[0] == '/'))
                        diag_add(c->d, &v->pos, "build file '%s' is not valid, expected a path relative to the context without '..'", b->file);
        } else if (!(b->file = strdup("Containerfile")))
                return -ENOMEM;
        if ((v = node_get(n, "tag"))) {
                if (schema_string(c->d, v, "build tag", &b->tag) >= 0 && !image_ref_valid(b->tag))
                        diag_add(c->d, &v->pos, "build tag '%s' is not a valid image reference, expected e.g. 'localhost/app:local'", b->tag);
        } else if (asprintf(&b->tag, "localhost/berth-%s-%s:latest", c->id, ct->name) < 0) {
                b->tag = NULL;
                return -ENOMEM;
        }
        if ((v = node_get(n, "args")))
                (void) parse_key_values(c, v, "build args", env_name_valid,
                                        "letters, digits and '_'", &b->args, &b->n_args);
        if (b->tag && !(ct->image = strdup(b->tag)))
                return -ENOMEM;
        return 0;
}

static int parse_caps(Ctx *c, Container *ct, const Node *n) {
        if (n->type != NODE_SEQUENCE) {
                diag_add(c->d, &n->pos, "cap_add is %s, expected a list of capability names such as [NET_BIND_SERVICE]", node_type_name(n));
                return -EINVAL;
        }
        for (size_t i = 0; i < n->n; i++) {
                const Node *v = n->items[i];
                char up[64];
                const char *s;
                size_t l;
                int r;

                if (v->type != NODE_SCALAR || v->value_len >= sizeof(up) || !schema_text_ok(v->value, v->value_len)) {
                        diag_add(c->d, &v->pos, "capability is not valid, expected a name such as NET_BIND_SERVICE");
                        continue;
                }
                for (l = 0; v->value[l]; l++)
                        up[l] = (char) toupper((unsigned char) v->value[l]);
                up[l] = 0;
                s = startswith(up, "CAP_") ?: up;
                bool known = false;
                for (size_t k = 0; capabilities[k]; k++)
                        if (streq(capabilities[k], s))
                                known = true;
                if (!known) {
                        const char *hint = schema_did_you_mean(s, capabilities);
                        if (hint)
                                diag_add(c->d, &v->pos, "capability '%s' is not known, did you mean '%s'?", v->value, hint);
                        else
                                diag_add(c->d, &v->pos, "capability '%s' is not known, expected a Linux capability such as NET_BIND_SERVICE or CHOWN", v->value);
                        continue;
                }
                if (strv_contains(ct->cap_add, s))
                        continue;
                r = strv_extend(&ct->cap_add, s);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_container(Ctx *c, const Node *key, const Node *n, Container *ct) {
        const Node *v;
        _cleanup_free_ char *where = NULL;
        int r;

        ct->name = strdup(key->value);
        if (!ct->name)
                return -ENOMEM;
        ct->restart = RESTART_ON_FAILURE;
        ct->init = true;
        ct->stop_timeout = 10 * USEC_PER_SEC;
        if (!(where = strjoin("container '", key->value, "'")))
                return -ENOMEM;

        if (!name_valid(key->value, 32, false)) {
                diag_add(c->d, &key->pos, "container name '%s' is not valid, expected 1-32 characters of a-z, 0-9 and '-', starting with a letter or digit", key->value);
                return 0;
        }
        if (container_name_reserved(key->value)) {
                diag_add(c->d, &key->pos, "container name '%s' is reserved (berth renders a unit of that name), expected another name (not prepare, backup, network or *-build)", key->value);
                return 0;
        }
        if (node_is_null(n)) {
                diag_add(c->d, &key->pos, "container '%s' is empty, expected a mapping with 'image' or 'build'", key->value);
                return 0;
        }
        if (schema_mapping(c->d, n, where) < 0)
                return 0;
        schema_check_keys(c->d, n, where, container_keys);

        const Node *img = node_get(n, "image"), *bld = node_get(n, "build");
        if (img && bld)
                diag_add(c->d, &bld->pos, "container '%s' has both 'image' and 'build', expected exactly one", ct->name);
        else if (!img && !bld)
                diag_add(c->d, &key->pos, "container '%s' has neither 'image' nor 'build', expected exactly one", ct->name);
        else if (img) {
                if (schema_string(c->d, img, "image", &ct->image) >= 0 && !image_ref_valid(ct->image))
                        diag_add(c->d, &img->pos, "image '%s' is not a valid image reference, expected e.g. 'docker.io/library/postgres:16'", ct->image);
        } else {
                r = parse_build(c, ct, bld);
                if (r == -ENOMEM)
                        return r;
        }
        if ((v = node_get(n, "command")))
                (void) schema_strv(c->d, v, "command", &ct->command);
        if ((v = node_get(n, "entrypoint")))
                (void) schema_strv(c->d, v, "entrypoint", &ct->entrypoint);
        if ((v = node_get(n, "environment")) && parse_env(c, ct, v) == -ENOMEM)
                return -ENOMEM;
        if ((v = node_get(n, "ports")) && parse_ports(c, ct, v) == -ENOMEM)
                return -ENOMEM;
        if ((v = node_get(n, "volumes")) && parse_mounts(c, ct, v) == -ENOMEM)
                return -ENOMEM;
        if ((v = node_get(n, "depends_on"))) {
                if (v->type != NODE_SEQUENCE)
                        diag_add(c->d, &v->pos, "depends_on is %s, expected a list of container names", node_type_name(v));
                else
                        for (size_t i = 0; i < v->n; i++) {
                                const Node *dn = v->items[i];
                                if (dn->type != NODE_SCALAR || !node_get(c->containers, dn->value)) {
                                        diag_add(c->d, &dn->pos, "depends_on names '%s', which is not a container of this app, expected one of the keys under 'containers:'",
                                                 dn->type == NODE_SCALAR && schema_text_ok(dn->value, dn->value_len) ? dn->value : "?");
                                        continue;
                                }
                                if (streq(dn->value, ct->name)) {
                                        diag_add(c->d, &dn->pos, "container '%s' depends on itself, expected other containers", ct->name);
                                        continue;
                                }
                                if (!strv_contains(ct->depends_on, dn->value) && strv_extend(&ct->depends_on, dn->value) < 0)
                                        return -ENOMEM;
                        }
        }
        if ((v = node_get(n, "health")) && parse_health(c, ct, v) == -ENOMEM)
                return -ENOMEM;
        if ((v = node_get(n, "resources")) && parse_resources(c, ct, v) == -ENOMEM)
                return -ENOMEM;
        if ((v = node_get(n, "labels")) &&
            parse_key_values(c, v, "labels", label_key_allowed,
                             "letters, digits, '.', '_', '/' and '-', not starting with 'berth.' (reserved)",
                             &ct->labels, &ct->n_labels) == -ENOMEM)
                return -ENOMEM;
        if ((v = node_get(n, "user"))) {
                if (schema_string(c->d, v, "user", &ct->user) >= 0 && !user_valid(ct->user))
                        diag_add(c->d, &v->pos, "user '%s' is not valid, expected USER[:GROUP] as names or numbers", ct->user);
        }
        if ((v = node_get(n, "read_only")))
                (void) schema_bool(c->d, v, "read_only", &ct->read_only);
        if ((v = node_get(n, "init")))
                (void) schema_bool(c->d, v, "init", &ct->init);
        if ((v = node_get(n, "cap_add")) && parse_caps(c, ct, v) == -ENOMEM)
                return -ENOMEM;
        if ((v = node_get(n, "restart"))) {
                r = enum_value(c, v, "restart", restart_values);
                if (r >= 0)
                        ct->restart = (RestartPolicy) r;
        }
        if ((v = node_get(n, "stop_timeout")))
                (void) duration_value(c, v, "stop_timeout", USEC_PER_SEC, &ct->stop_timeout);
        return 0;
}

static int parse_volumes(Ctx *c, const Node *n) {
        App *a = c->app;

        if (schema_mapping(c->d, n, "volumes") < 0)
                return 0;
        a->volumes = calloc(n->n + 1, sizeof(Volume));
        if (!a->volumes)
                return -ENOMEM;
        for (size_t i = 0; i < n->n; i++) {
                const Node *k = n->keys[i], *v = n->items[i], *f;
                Volume *vol = &a->volumes[a->n_volumes];
                _cleanup_free_ char *where = NULL;

                if (!name_valid(k->value, 64, true)) {
                        diag_add(c->d, &k->pos, "volume name '%s' is not valid, expected 1-64 characters of a-z, 0-9, '-', '_' and '.', starting with a letter or digit", k->value);
                        continue;
                }
                vol->name = strdup(k->value);
                if (!vol->name)
                        return -ENOMEM;
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
                        STRV_FOREACH(h, c->conf ? c->conf->host_paths : NULL)
                                if (path_is_under(vol->path, *h) && !streq(vol->path, *h))
                                        allowed = true;
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

static int parse_secrets(Ctx *c, const Node *n) {
        App *a = c->app;

        if (schema_mapping(c->d, n, "secrets") < 0)
                return 0;
        a->secrets = calloc(n->n + 1, sizeof(Secret));
        if (!a->secrets)
                return -ENOMEM;
        for (size_t i = 0; i < n->n; i++) {
                const Node *k = n->keys[i], *v = n->items[i], *g, *f;
                Secret *s = &a->secrets[a->n_secrets];
                _cleanup_free_ char *where = NULL;

                if (!name_valid(k->value, 64, true)) {
                        diag_add(c->d, &k->pos, "secret name '%s' is not valid, expected 1-64 characters of a-z, 0-9, '-', '_' and '.', starting with a letter or digit", k->value);
                        continue;
                }
                s->name = strdup(k->value);
                if (!s->name)
                        return -ENOMEM;
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
                        int r = enum_value(c, f, "charset", charset_values);
                        if (r >= 0)
                                s->charset = (SecretCharset) r;
                }
        }
        return 0;
}

static int parse_hook_list(Ctx *c, const Node *n, const char *what, Hook **ret, size_t *ret_n) {
        Hook *hooks;
        size_t m = 0;

        if (n->type != NODE_SEQUENCE) {
                diag_add(c->d, &n->pos, "%s is %s, expected a list of {container: NAME, exec: [...]}", what, node_type_name(n));
                return 0;
        }
        hooks = calloc(n->n + 1, sizeof(Hook));
        if (!hooks)
                return -ENOMEM;
        *ret = hooks;
        for (size_t i = 0; i < n->n; i++) {
                const Node *h = n->items[i], *f;
                if (schema_mapping(c->d, h, what) < 0)
                        continue;
                schema_check_keys(c->d, h, "a hook", hook_keys);
                f = node_get(h, "container");
                if (!f) {
                        diag_add(c->d, &h->pos, "hook has no 'container', expected the container to run it in");
                        continue;
                }
                if (schema_string(c->d, f, "hook container", &hooks[m].container) < 0)
                        continue;
                if (!node_get(c->containers, hooks[m].container)) {
                        diag_add(c->d, &f->pos, "hook container '%s' is not a container of this app, expected one of the keys under 'containers:'", hooks[m].container);
                        free(hooks[m].container);
                        hooks[m].container = NULL;
                        continue;
                }
                f = node_get(h, "exec");
                if (!f) {
                        diag_add(c->d, &h->pos, "hook has no 'exec', expected a command list");
                        free(hooks[m].container);
                        hooks[m].container = NULL;
                        continue;
                }
                if (schema_strv(c->d, f, "hook exec", &hooks[m].exec) < 0) {
                        free(hooks[m].container);
                        hooks[m].container = NULL;
                        continue;
                }
                m++;
        }
        *ret_n = m;
        return 0;
}

static int parse_hooks(Ctx *c, const Node *n, Hooks *h) {
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

static int parse_backup(Ctx *c, const Node *n) {
        BackupPolicy *b = &c->app->backup;
        const Node *v;
        int r;

        if (schema_mapping(c->d, n, "backup") < 0)
                return 0;
        schema_check_keys(c->d, n, "backup", backup_keys);
        if ((v = node_get(n, "schedule"))) {
                if (schema_string(c->d, v, "schedule", &b->schedule) >= 0 && !schedule_plausible(b->schedule))
                        diag_add(c->d, &v->pos, "schedule '%s' is not a calendar expression, expected e.g. 'daily', 'hourly' or '*-*-* 03:00:00'", b->schedule);
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
        if ((v = node_get(n, "hooks")) && (r = parse_hooks(c, v, &b->hooks)) < 0)
                return r;
        return 0;
}

/* depends_on must be acyclic: report the edge that closes each cycle once. */
static void check_cycles(Ctx *c) {
        App *a = c->app;
        size_t n = a->n_containers;
        _cleanup_free_ int *state = calloc(n + 1, sizeof(int)); /* 0 new, 1 on stack, 2 done */
        _cleanup_free_ size_t *stack = calloc(n + 1, sizeof(size_t));
        _cleanup_free_ size_t *edge = calloc(n + 1, sizeof(size_t));

        if (!state || !stack || !edge) {
                c->d->oom = true;
                return;
        }
        for (size_t root = 0; root < n; root++) {
                size_t sp = 0;
                if (state[root])
                        continue;
                stack[sp] = root;
                edge[sp++] = 0;
                state[root] = 1;
                while (sp > 0) {
                        size_t u = stack[sp - 1];
                        char **deps = a->containers[u].depends_on;
                        if (edge[sp - 1] >= strv_length(deps)) {
                                state[u] = 2;
                                sp--;
                                continue;
                        }
                        const char *dep = deps[edge[sp - 1]++];
                        size_t w;
                        for (w = 0; w < n; w++)
                                if (streq(a->containers[w].name, dep))
                                        break;
                        if (w == n)
                                continue;
                        if (state[w] == 1) {
                                _cleanup_strv_free_ char **path = NULL;
                                size_t from = 0;
                                const Node *cn = node_get(c->containers, a->containers[u].name);
                                const Node *dl = cn ? node_get(cn, "depends_on") : NULL;
                                Position pos = dl ? dl->pos : (cn ? cn->pos : (Position) {});
                                if (dl)
                                        for (size_t i = 0; i < dl->n; i++)
                                                if (streq(dl->items[i]->value, dep))
                                                        pos = dl->items[i]->pos;
                                while (stack[from] != w)
                                        from++;
                                for (size_t i = from; i < sp; i++)
                                        (void) strv_extend(&path, a->containers[stack[i]].name);
                                (void) strv_extend(&path, dep);
                                _cleanup_free_ char *s = strv_join(path, " -> ");
                                diag_add(c->d, &pos, "depends_on forms a cycle (%s), expected dependencies without cycles", strempty(s));
                                continue;
                        }
                        if (state[w] == 0) {
                                state[w] = 1;
                                stack[sp] = w;
                                edge[sp++] = 0;
                        }
                }
        }
}

/* The manifest entry of a container's k-th port: parse_ports keeps only the
 * valid entries, so count those. */
static Position port_position(const Ctx *c, const Container *ct, size_t k) {
        const Node *cn = node_get(c->containers, ct->name);
        const Node *pl = cn ? node_get(cn, "ports") : NULL;

        for (size_t i = 0; pl && pl->type == NODE_SEQUENCE && i < pl->n; i++) {
                const Node *p = pl->items[i];
                PortMap m = {};

                if (p->type != NODE_SCALAR || !schema_text_ok(p->value, p->value_len) || parse_port_map(p->value, &m) < 0)
                        continue;
                free(m.host_ip);
                if (k-- == 0)
                        return p->pos;
        }
        return (Position) {};
}

/* Whether two publications of one port/protocol bind a common address: no
 * address is every address; 0.0.0.0 is every IPv4 and :: every IPv6 address
 * (a pair of them for one port is the usual way to publish on both). */
static bool host_ips_overlap(const char *a, const char *b) {
        bool v6a, v6b;

        if (!a || !b || streq(a, b))
                return true;
        v6a = strchr(a, ':');
        v6b = strchr(b, ':');
        if (v6a != v6b)
                return false;
        return streq(a, v6a ? "::" : "0.0.0.0") || streq(b, v6b ? "::" : "0.0.0.0");
}

static void check_port_clashes(Ctx *c) {
        App *a = c->app;
        for (size_t i = 0; i < a->n_containers; i++)
                for (size_t p = 0; p < a->containers[i].n_ports; p++) {
                        const PortMap *x = &a->containers[i].ports[p];
                        const char *clash = NULL;

                        for (size_t j = 0; j <= i && !clash; j++)
                                for (size_t q = 0; q < (j == i ? p : a->containers[j].n_ports) && !clash; q++) {
                                        const PortMap *y = &a->containers[j].ports[q];
                                        if (x->host_port != y->host_port || !streq(x->protocol, y->protocol))
                                                continue;
                                        if (!host_ips_overlap(x->host_ip, y->host_ip))
                                                continue;
                                        clash = a->containers[j].name;
                                }
                        if (clash) {
                                Position pos = port_position(c, &a->containers[i], p);
                                diag_add(c->d, &pos, "host port %u/%s is already published by container '%s', expected each host port once",
                                         x->host_port, x->protocol, clash);
                        }
                }
}

int manifest_to_app(const YamlDoc *doc, const char *id, const char *source_path, const BerthConf *conf,
                    App **ret, Diagnostics *diag) {
        _cleanup_(app_freep) App *a = NULL;
        Diagnostics local = {};
        Ctx c = { .d = &local, .conf = conf, .id = id };
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
                if (n->type != NODE_SCALAR || !n->plain || parse_uint(n->value, 1, 1, &v) < 0)
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
        if (!n)
                diag_add(&local, &root->pos, "manifest has no 'containers', expected a mapping of container names to their settings");
        else if (n->type != NODE_MAPPING || n->n == 0)
                diag_add(&local, &n->pos, "containers is %s, expected a non-empty mapping of container names to their settings",
                         n->type == NODE_MAPPING ? "empty" : node_type_name(n));
        else {
                c.containers = n;
                a->containers = calloc(n->n, sizeof(Container));
                if (!a->containers)
                        return -ENOMEM;
                for (size_t i = 0; i < n->n; i++) {
                        r = parse_container(&c, n->keys[i], n->items[i], &a->containers[a->n_containers++]);
                        if (r < 0)
                                goto done;
                }
                check_cycles(&c);
                check_port_clashes(&c);
        }
        if ((n = node_get(root, "backup")) && !node_is_null(n)) {
                a->backup.present = true;
                if ((r = parse_backup(&c, n)) < 0)
                        goto done;
        }
        if (a->backup.present && !a->backup.schedule && !(a->backup.schedule = strdup("daily")))
                return -ENOMEM;
        if ((n = node_get(root, "migrate")) && schema_mapping(&local, n, "migrate") >= 0) {
                const Node *h;
                schema_check_keys(&local, n, "migrate", migrate_keys);
                if ((h = node_get(n, "hooks")) && (r = parse_hooks(&c, h, &a->migrate_hooks)) < 0)
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
        r = app_source_find(dirs, id, &src);
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
