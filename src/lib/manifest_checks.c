/* manifest_checks.c — what can be checked only once every container is parsed:
 * depends_on without cycles, and each host port published once. */
#include "manifest_internal.h"
#include "schema.h"
#include "strv.h"

/* depends_on must be acyclic: report the edge that closes each cycle once. */
void manifest_check_cycles(ManifestCtx *c) {
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
 * valid entries, so when some were not, count those. */
static Position port_position(const ManifestCtx *c, const Container *ct, size_t k) {
        const Node *cn = node_get(c->containers, ct->name);
        const Node *pl = cn ? node_get(cn, "ports") : NULL;

        if (!pl || pl->type != NODE_SEQUENCE)
                return (Position) {};
        if (pl->n == ct->n_ports)
                return pl->items[k]->pos;
        for (size_t i = 0; i < pl->n; i++) {
                const Node *p = pl->items[i];
                PortMap m = {};

                if (port_entry(p, &m) < 0)
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

typedef struct PortRef {
        const PortMap *map;
        size_t order; /* in the manifest, over all containers */
} PortRef;

static int port_ref_compare(const void *a, const void *b) {
        const PortRef *x = a, *y = b;
        int r = CMP(x->map->host_port, y->map->host_port);

        if (r == 0)
                r = strcmp(x->map->protocol, y->map->protocol);
        return r != 0 ? r : CMP(x->order, y->order);
}

/* Each publication that binds an address an earlier one (in manifest order)
 * already binds for its port and protocol is reported, naming the earlier
 * one's container. Sorted by port, protocol and manifest order, only entries
 * of one port and protocol are compared; the reports follow manifest order. */
void manifest_check_port_clashes(ManifestCtx *c) {
        App *a = c->app;
        _cleanup_free_ PortRef *refs = NULL;
        _cleanup_free_ size_t *owner = NULL, *clash = NULL; /* container of each entry; + 1 of the earlier one, or 0 */
        size_t n = 0, group = 0;

        for (size_t i = 0; i < a->n_containers; i++)
                n += a->containers[i].n_ports;
        if (n < 2)
                return;
        refs = calloc(n, sizeof(PortRef));
        owner = calloc(n, sizeof(size_t));
        clash = calloc(n, sizeof(size_t));
        if (!refs || !owner || !clash) {
                c->d->oom = true;
                return;
        }
        n = 0;
        for (size_t i = 0; i < a->n_containers; i++)
                for (size_t p = 0; p < a->containers[i].n_ports; p++, n++) {
                        refs[n] = (PortRef) { &a->containers[i].ports[p], n };
                        owner[n] = i;
                }
        qsort(refs, n, sizeof(PortRef), port_ref_compare);
        for (size_t k = 0; k < n; k++) {
                const PortMap *x = refs[k].map;

                if (x->host_port != refs[group].map->host_port || !streq(x->protocol, refs[group].map->protocol))
                        group = k;
                for (size_t j = group; j < k; j++)
                        if (host_ips_overlap(x->host_ip, refs[j].map->host_ip)) {
                                clash[refs[k].order] = owner[refs[j].order] + 1;
                                break;
                        }
        }
        for (size_t i = 0, k = 0; i < a->n_containers; i++)
                for (size_t p = 0; p < a->containers[i].n_ports; p++, k++) {
                        const PortMap *x = &a->containers[i].ports[p];
                        Position pos;

                        if (!clash[k])
                                continue;
                        pos = port_position(c, &a->containers[i], p);
                        diag_add(c->d, &pos, "host port %u/%s is already published by container '%s', expected each host port once",
                                 x->host_port, x->protocol, a->containers[clash[k] - 1].name);
                }
}
