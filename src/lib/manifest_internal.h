/* manifest_internal.h — what the files of the schema 1 validator share (manifest.c,
 * manifest_container.c, manifest_backup.c, manifest_checks.c): the validation
 * context and the value checks every part uses. Private to them; the API is
 * manifest.h. */
#pragma once

#include "manifest.h"
#include "scalar_parse.h"
#include "schema.h"

typedef struct ManifestCtx {
        Diagnostics *d;
        const BerthConf *conf;
        const char *id;
        App *app;
        const Node *containers; /* for positions of cross-references */
        const YamlDoc *doc;     /* for where a drop-in removed a key */
} ManifestCtx;

/* The diagnostic of enum_value(), out of line: only a wrong value gets there. */
int manifest_enum_invalid(ManifestCtx *c, const Node *n, const char *what, const char *const *values);

/* The index of n's value in values (NULL-terminated), or -EINVAL with a
 * positioned diagnostic naming the values expected. */
static inline int enum_value(ManifestCtx *c, const Node *n, const char *what, const char *const *values) {
        if (n->type == NODE_SCALAR)
                for (size_t i = 0; values[i]; i++)
                        if (streq(n->value, values[i]))
                                return (int) i;
        return manifest_enum_invalid(c, n, what, values);
}

static inline int duration_value(ManifestCtx *c, const Node *n, const char *what, usec_t min, usec_t *ret) {
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

/* Whether n is a list; if not, "WHAT is TYPE, expected EXPECTED" at n. */
static inline bool expect_sequence(ManifestCtx *c, const Node *n, const char *what, const char *expected) {
        if (n->type == NODE_SEQUENCE)
                return true;
        diag_add(c->d, &n->pos, "%s is %s, expected %s", what, node_type_name(n), expected);
        return false;
}

/* At most this many entries in a container's ports: and volumes:, far more than
 * any container publishes or mounts: the checks across entries (each target
 * once, each host port once) stay cheap whatever a manifest holds. */
#define MANIFEST_LIST_MAX 1024

static inline bool expect_short_sequence(ManifestCtx *c, const Node *n, const char *what, const char *expected) {
        if (!expect_sequence(c, n, what, expected))
                return false;
        if (n->n <= MANIFEST_LIST_MAX)
                return true;
        diag_add(c->d, &n->pos, "%s has %zu entries, expected at most %d", what, n->n, MANIFEST_LIST_MAX);
        return false;
}

/* One entry of a container's ports:, parsed; -EINVAL when it is not a valid port
 * mapping. parse_ports() keeps the entries this accepts and port_position()
 * counts them, so both must judge an entry alike. */
static inline int port_entry(const Node *p, PortMap *ret) {
        if (p->type != NODE_SCALAR || !schema_text_ok(p->value, p->value_len))
                return -EINVAL;
        return parse_port_map(p->value, ret);
}

/* manifest_container.c: one entry of containers:, parsed into ct. Volumes and
 * secrets must be parsed already (mounts and environment refer to them). */
int manifest_parse_container(ManifestCtx *c, const Node *key, const Node *n, Container *ct);

/* manifest_backup.c: backup:, and the hooks: that backup: and migrate: share. */
int manifest_parse_backup(ManifestCtx *c, const Node *n);
int manifest_parse_hooks(ManifestCtx *c, const Node *n, Hooks *h);

/* manifest_checks.c: checks across containers, once every container is parsed. */
void manifest_check_cycles(ManifestCtx *c);
void manifest_check_port_clashes(ManifestCtx *c);
