/* manifest_container.c — one entry of containers: into a Container: image or
 * build, command, environment, ports, mounts, dependencies, health check,
 * resources, labels and the security settings. */
#include <ctype.h>

#include "manifest_internal.h"
#include "schema.h"
#include "strv.h"

static const char *const container_keys[] = {
        "image", "build", "command", "entrypoint", "environment", "ports", "volumes",
        "depends_on", "health", "resources", "labels", "user", "read_only", "cap_add",
        "restart", "init", "stop_timeout", NULL,
};
static const char *const build_keys[] = { "context", "file", "tag", "args", NULL };
static const char *const health_keys[] = { "cmd", "interval", "timeout", "retries", "start_period", NULL };
static const char *const resources_keys[] = { "memory", "cpus", "pids", NULL };
static const char *const restart_values[] = { "no", "on-failure", "always", NULL };

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

/* A run of [a-z0-9] (or [a-zA-Z0-9] with upper), then more runs joined by
 * '.', '_', "__" or dashes: a path component of an image name. Returns the end,
 * or NULL (a separator is always followed by a run). */
static const char *name_component_end(const char *p, bool upper) {
        for (;;) {
                const char *q = p;
                while (islower((unsigned char) *q) || isdigit((unsigned char) *q) || (upper && isupper((unsigned char) *q)))
                        q++;
                if (q == p)
                        return NULL;
                p = q;
                if (*p == '.' || (*p == '_' && p[1] != '_'))
                        p++;
                else if (*p == '_')
                        p += 2;
                else if (*p == '-')
                        p += strspn(p, "-");
                else
                        return p;
        }
}

/* An image reference as podman takes it from a registry (the distribution
 * grammar): [HOST[:PORT]/]PATH[:TAG][@ALGORITHM:HEX], the path lowercase. A
 * transport (docker-archive:, oci:, containers-storage:...) is not a
 * reference: it would read a local file or store as the image. */
static bool image_ref_valid(const char *s) {
        const char *p = s, *slash = strchr(s, '/'), *q;
        size_t n = strlen(s);

        if (n == 0 || n > 255)
                return false;
        /* The first component is a host when it has a '.' or a ':' or is localhost. */
        if (slash && (memchr(s, '.', (size_t) (slash - s)) || memchr(s, ':', (size_t) (slash - s)) ||
                      (slash - s == 9 && strncmp(s, "localhost", 9) == 0))) {
                const char *colon = memchr(s, ':', (size_t) (slash - s));
                for (const char *e = colon ?: slash; p < e;) {
                        if (!(q = name_component_end(p, true)) || q > e)
                                return false;
                        p = q;
                }
                if (colon && (colon + 1 == slash || strspn(colon + 1, DIGITS) != (size_t) (slash - colon - 1)))
                        return false;
                p = slash + 1;
        }
        for (;;) {
                if (!(q = name_component_end(p, false)))
                        return false;
                p = q;
                if (*p != '/')
                        break;
                p++;
        }
        if (*p == ':') {
                size_t k = strspn(++p, ALPHANUMERICAL "_.-");
                if (k == 0 || k > 128 || *p == '.' || *p == '-')
                        return false;
                p += k;
        }
        if (*p == '@') {
                const char *algorithm = ++p;
                size_t k = strspn(p, LOWERCASE_LETTERS DIGITS);
                if (k == 0 || p[k] != ':')
                        return false;
                p += k + 1;
                k = strspn(p, "0123456789abcdef");
                if (k < 32 || (startswith(algorithm, "sha256:") && k != 64) || (startswith(algorithm, "sha512:") && k != 128))
                        return false;
                p += k;
        }
        return *p == 0;
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

/* A user or group name, or an id inside the container's user namespace
 * (65,536 ids: 0-65535). */
static bool user_part_valid(const char *s, size_t n) {
        size_t digits = strspn(s, DIGITS);

        if (n == 0 || s[0] == '-')
                return false;
        if (digits >= n)
                return n <= 5 && strtoul(s, NULL, 10) <= 65535;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char) s[i]) && !strchr("_.-", s[i]))
                        return false;
        return true;
}

static bool user_valid(const char *s) {
        /* user[:group], names or ids, as podman --user takes them. */
        const char *colon = strchr(s, ':');

        if (strlen(s) > 64)
                return false;
        if (!colon)
                return user_part_valid(s, strlen(s));
        return user_part_valid(s, (size_t) (colon - s)) && user_part_valid(colon + 1, strlen(colon + 1));
}

static int parse_env(ManifestCtx *c, Container *ct, const Node *n) {
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

static int parse_ports(ManifestCtx *c, Container *ct, const Node *n) {
        if (!expect_short_sequence(c, n, "ports", "a list like [\"127.0.0.1:8080:80/tcp\"]"))
                return -EINVAL;
        ct->ports = calloc(n->n + 1, sizeof(PortMap));
        if (!ct->ports)
                return -ENOMEM;
        for (size_t i = 0; i < n->n; i++) {
                const Node *p = n->items[i];
                PortMap m;
                int r;

                r = port_entry(p, &m);
                if (r == -EINVAL) {
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

static int parse_mounts(ManifestCtx *c, Container *ct, const Node *n) {
        if (!expect_short_sequence(c, n, "volumes", "a list like [\"data:/var/lib/app\"]"))
                return -EINVAL;
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

/* podman reads a --health-cmd (and Quadlet a HealthCmd=) whose first word is
 * CMD, CMD-SHELL or NONE, in any case, as Docker's test form: NONE turns the
 * check off, CMD has the raw text split at spaces. */
static bool health_docker_word(const char *w, size_t n) {
        return (n == 3 && strncasecmp(w, "CMD", 3) == 0) || (n == 4 && strncasecmp(w, "NONE", 4) == 0) ||
               (n == 9 && strncasecmp(w, "CMD-SHELL", 9) == 0);
}

/* A word /bin/sh -c runs as that program and nothing more. */
static bool shell_plain_word(const char *w) {
        return *w && w[strspn(w, ALPHANUMERICAL "_./:@,+-")] == 0;
}

static void check_health_cmd(ManifestCtx *c, const Node *v, const Health *h) {
        const char *first = h->shell ?: h->cmd ? h->cmd[0] : NULL;
        const Node *at = v->type == NODE_SEQUENCE && v->n > 0 ? v->items[0] : v;
        size_t n;

        if (!first)
                return;
        n = h->shell ? strcspn(first, " ") : strlen(first); /* the first word */
        if (health_docker_word(first, n))
                diag_add(c->d, &at->pos, "health cmd begins with '%.*s', which podman reads as Docker's test form (NONE turns the check off), expected the command itself: a list of its words or a shell string",
                         (int) n, first);
        else if (h->cmd && isempty(first))
                diag_add(c->d, &at->pos, "health cmd begins with an empty word, expected the program to run");
        /* podman runs a list of one word through /bin/sh -c. */
        else if (h->cmd && !h->cmd[1] && !shell_plain_word(first))
                diag_add(c->d, &at->pos, "health cmd is the one word '%s', which podman hands to /bin/sh -c (where it would be split or interpreted), expected its arguments as separate words, or a shell string",
                         first);
}

static int parse_health(ManifestCtx *c, Container *ct, const Node *n) {
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
        if (v)
                check_health_cmd(c, v, h);
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

static int parse_resources(ManifestCtx *c, Container *ct, const Node *n) {
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

static int parse_key_values(ManifestCtx *c, const Node *n, const char *what, bool (*key_ok)(const char *),
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

static int parse_build(ManifestCtx *c, Container *ct, const Node *n) {
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

static int parse_caps(ManifestCtx *c, Container *ct, const Node *n) {
        if (!expect_sequence(c, n, "cap_add", "a list of capability names such as [NET_BIND_SERVICE]"))
                return -EINVAL;
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

/* The most a word of n bytes takes on a rendered command line: every byte
 * escaped, quotes, and the continuation before it. */
#define WORD_MAX_SIZE(n) (2 * (n) + 24)

static size_t strv_max_size(char *const *l) {
        size_t n = 0;

        for (; l && *l; l++)
                n += WORD_MAX_SIZE(strlen(*l));
        return n;
}

/* systemd reads a unit line of at most 1 MiB, continuations included: a longer
 * ExecStart= makes the unit fail to load. What a container's podman command
 * line carries is bounded below that, counting each word at its most. */
#define COMMAND_LINE_MAX (768 * 1024)

static void check_command_line_size(ManifestCtx *c, const Node *n, const Container *ct) {
        /* (The entry point goes as a JSON array, as the health command does.) */
        size_t size = strv_max_size(ct->command) + 2 * strv_max_size(ct->entrypoint) + WORD_MAX_SIZE(strlen(strempty(ct->image)));

        for (size_t i = 0; i < ct->n_env; i++)
                size += WORD_MAX_SIZE(strlen(ct->env[i].name) + strlen(strempty(ct->env[i].value)) + strlen(strempty(ct->env[i].secret)) + 48);
        for (size_t i = 0; i < ct->n_labels; i++)
                size += WORD_MAX_SIZE(strlen(ct->labels[i].key) + strlen(ct->labels[i].value) + 8);
        for (size_t i = 0; i < ct->n_mounts; i++) {
                /* The source is the volume's host path, or one under the app's
                 * data directory (well under 256 bytes). */
                const Volume *v = app_find_volume(c->app, ct->mounts[i].volume);
                size += WORD_MAX_SIZE(strlen(v && v->path ? v->path : "") + 256 + strlen(ct->mounts[i].target));
        }
        /* A JSON array of words: a byte may take 4
         * (a '"' is \" in JSON, then \\\" in the unit). */
        if (ct->health)
                size += 2 * strv_max_size(ct->health->cmd) + WORD_MAX_SIZE(strlen(strempty(ct->health->shell)));
        if (size > COMMAND_LINE_MAX)
                diag_add(c->d, &n->pos, "container '%s' would render a podman command line of up to %zu bytes (command, entry point, environment, labels, volumes, health check), expected at most %d: systemd reads unit lines of up to 1 MiB",
                         ct->name, size, COMMAND_LINE_MAX);
}

int manifest_parse_container(ManifestCtx *c, const Node *key, const Node *n, Container *ct) {
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
        else if (!img && !bld) {
                const Node *rm = yaml_removed_key(c->doc, n, "image") ?: yaml_removed_key(c->doc, n, "build");
                if (rm)
                        diag_add(c->d, &rm->pos, "container '%s' has neither 'image' nor 'build': this drop-in removes its '%s' (a null), expected exactly one",
                                 ct->name, rm->value);
                else
                        diag_add(c->d, &key->pos, "container '%s' has neither 'image' nor 'build', expected exactly one", ct->name);
        }
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
        if ((v = node_get(n, "entrypoint")) && schema_strv(c->d, v, "entrypoint", &ct->entrypoint) >= 0 &&
            isempty(ct->entrypoint[0]))
                diag_add(c->d, &v->items[0]->pos, "entrypoint begins with an empty word, expected the program to run");
        if ((v = node_get(n, "environment")) && parse_env(c, ct, v) == -ENOMEM)
                return -ENOMEM;
        if ((v = node_get(n, "ports")) && parse_ports(c, ct, v) == -ENOMEM)
                return -ENOMEM;
        if ((v = node_get(n, "volumes")) && parse_mounts(c, ct, v) == -ENOMEM)
                return -ENOMEM;
        if ((v = node_get(n, "depends_on"))) {
                if (expect_sequence(c, v, "depends_on", "a list of container names"))
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
                        diag_add(c->d, &v->pos, "user '%s' is not valid, expected USER[:GROUP] as names or numbers from 0 to 65535 (ids inside the container)", ct->user);
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
        /* podman takes whole seconds: 2999ms would become 2s. */
        if ((v = node_get(n, "stop_timeout")) && duration_value(c, v, "stop_timeout", USEC_PER_SEC, &ct->stop_timeout) >= 0 &&
            ct->stop_timeout % USEC_PER_SEC != 0)
                diag_add(c->d, &v->pos, "stop_timeout is '%s', expected whole seconds (podman's --stop-timeout takes seconds)", v->value);
        check_command_line_size(c, key, ct);
        return 0;
}
