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

typedef struct PortRef {
        const PortMap *map;
        size_t order; /* in the manifest, over all containers */
} PortRef;

/* By port, protocol, address (none first), manifest order. */
static int port_ref_compare(const void *a, const void *b) {
        const PortRef *x = a, *y = b;
        int r = CMP(x->map->host_port, y->map->host_port);

        if (r == 0)
                r = strcmp(x->map->protocol, y->map->protocol);
        if (r == 0)
                r = CMP(!!x->map->host_ip, !!y->map->host_ip);
        if (r == 0 && x->map->host_ip)
                r = strcmp(x->map->host_ip, y->map->host_ip);
        return r != 0 ? r : CMP(x->order, y->order);
}

static bool same_group(const PortMap *x, const PortMap *y) {
        return x->host_port == y->host_port && streq(x->protocol, y->protocol);
}

/* The kinds of address a publication binds: none (every address), the IPv4 or
 * IPv6 wildcard, or one IPv4 or IPv6 address. */
enum { ADDR_ANY, ADDR_V4_ALL, ADDR_V6_ALL, ADDR_V4, ADDR_V6, _ADDR_MAX };

static int addr_kind(const char *ip) {
        if (!ip)
                return ADDR_ANY;
        if (strchr(ip, ':'))
                return streq(ip, "::") ? ADDR_V6_ALL : ADDR_V6;
        return streq(ip, "0.0.0.0") ? ADDR_V4_ALL : ADDR_V4;
}

/* Each publication that binds an address an earlier one (in manifest order)
 * binds too, for its port and protocol, is reported, naming the container of
 * the first such one. Linear after one sort: for a port and protocol, the
 * first publication of each kind of address, and the first of each address,
 * decide every clash. The reports follow manifest order. */
void manifest_check_port_clashes(ManifestCtx *c) {
        App *a = c->app;
        _cleanup_free_ PortRef *refs = NULL;
        _cleanup_free_ size_t *owner = NULL, *clash = NULL; /* container of each entry; + 1 of the earlier one, or 0 */
        size_t n = 0;

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
        for (size_t g = 0, end; g < n; g = end) {
                size_t first[_ADDR_MAX], run = g; /* the first of each kind; where the current address's run starts */

                for (size_t k = 0; k < _ADDR_MAX; k++)
                        first[k] = SIZE_MAX;
                for (end = g; end < n && same_group(refs[end].map, refs[g].map); end++) {
                        int kind = addr_kind(refs[end].map->host_ip);
                        first[kind] = MIN(first[kind], refs[end].order);
                }
                for (size_t k = g; k < end; k++) {
                        const char *ip = refs[k].map->host_ip;
                        int kind = addr_kind(ip);
                        size_t o = refs[k].order, e;

                        if (k > g && !(ip && refs[k - 1].map->host_ip && streq(ip, refs[k - 1].map->host_ip)))
                                run = k;
                        /* The earliest publication whose addresses meet these. */
                        e = first[ADDR_ANY];
                        if (kind == ADDR_ANY)
                                for (int t = 0; t < _ADDR_MAX; t++)
                                        e = MIN(e, first[t]);
                        else {
                                /* Its family's wildcard; and a wildcard meets every address
                                 * of the family, one address only itself. */
                                int all = kind == ADDR_V4 || kind == ADDR_V4_ALL ? ADDR_V4_ALL : ADDR_V6_ALL;
                                int one = all == ADDR_V4_ALL ? ADDR_V4 : ADDR_V6;
                                e = MIN(e, first[all]);
                                e = MIN(e, kind == all ? first[one] : refs[run].order);
                        }
                        if (e < o)
                                clash[o] = owner[e] + 1;
                }
        }
        for (size_t i = 0, k = 0; i < a->n_containers; i++)
                for (size_t p = 0; p < a->containers[i].n_ports; p++, k++) {
                        const PortMap *x = &a->containers[i].ports[p];
                        Position pos = {};

                        if (!clash[k])
                                continue;
                        /* (Past the limit a diagnostic is only counted: no need to find where.) */
                        if (c->d->n < DIAG_MAX)
                                pos = port_position(c, &a->containers[i], p);
                        diag_add(c->d, &pos, "host port %u/%s is already published by container '%s', expected each host port once",
                                 x->host_port, x->protocol, a->containers[clash[k] - 1].name);
                }
}
