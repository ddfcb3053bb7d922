/* schema.c — typed node access with positioned diagnostics. */
#include "scalar_parse.h"
#include "schema.h"
#include "strv.h"

bool schema_text_ok(const char *s, size_t len) {
        const unsigned char *p = (const unsigned char *) s;
        size_t i = 0;

        /* Eight bytes at a time while all are printable ASCII, as nearly every
         * byte of a manifest is: a byte below 0x20 borrows in x - 0x20.., 0x7f
         * carries into the high bit in x + 0x01.., and 0x80 and above have it
         * already. A borrow or carry across bytes only ever stops this early;
         * the loop below looks at each byte from there. */
        for (; i + 8 <= len; i += 8) {
                uint64_t x;

                memcpy(&x, p + i, sizeof(x));
                if (((x - 0x2020202020202020ULL) | (x + 0x0101010101010101ULL) | x) & 0x8080808080808080ULL)
                        break;
        }
        for (; i < len; i++) {
                if (p[i] >= 0x20 && p[i] < 0x7f)
                        continue; /* printable ASCII: nearly every byte */
                if (p[i] < 0x20 || p[i] == 0x7f)
                        return false; /* an embedded NUL too */
                /* C1 controls, U+0080..U+009F, encode as C2 80..C2 9F. */
                if (p[i] == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
                        return false;
        }
        return s[len] == 0; /* no more than len bytes */
}

static unsigned edit_distance(const char *a, const char *b) {
        size_t la = strlen(a), lb = strlen(b);
        unsigned row[64];

        if (la >= ELEMENTSOF(row) || lb >= ELEMENTSOF(row))
                return 99;
        for (size_t j = 0; j <= lb; j++)
                row[j] = (unsigned) j;
        for (size_t i = 1; i <= la; i++) {
                unsigned diag = row[0];
                row[0] = (unsigned) i;
                for (size_t j = 1; j <= lb; j++) {
                        unsigned up = row[j];
                        unsigned cost = a[i - 1] == b[j - 1] ? 0 : 1;
                        row[j] = MIN(MIN(row[j] + 1, row[j - 1] + 1), diag + cost);
                        diag = up;
                }
        }
        return row[lb];
}

const char *schema_did_you_mean(const char *word, const char *const *candidates) {
        const char *best = NULL;
        unsigned best_d = 99;
        size_t l = strlen(word);
        unsigned limit = l <= 3 ? 1 : l <= 6 ? 2 : 3;

        for (const char *const *c = candidates; *c; c++) {
                unsigned dist = edit_distance(word, *c);
                if (dist < best_d) {
                        best_d = dist;
                        best = *c;
                }
        }
        return best_d <= limit ? best : NULL;
}

int schema_check_keys(Diagnostics *d, const Node *map, const char *where, const char *const *allowed) {
        int bad = 0;

        if (!map || map->type != NODE_MAPPING)
                return 0;
        for (size_t i = 0; i < map->n; i++) {
                const char *k = map->keys[i]->value;
                const char *hint;
                bool ok = false;

                /* The first byte first: most of the allowed keys differ there. */
                for (const char *const *a = allowed; *a; a++)
                        if ((*a)[0] == k[0] && streq(*a, k)) {
                                ok = true;
                                break;
                        }
                if (ok)
                        continue;
                bad++;
                if (!schema_text_ok(k, strlen(k))) {
                        diag_add(d, &map->keys[i]->pos, "key with control characters in %s, expected a plain name", where);
                        continue;
                }
                hint = schema_did_you_mean(k, allowed);
                if (hint)
                        diag_add(d, &map->keys[i]->pos, "unknown key '%s' in %s, did you mean '%s'?", k, where, hint);
                else {
                        _cleanup_free_ char *list = strv_join((char *const *) allowed, ", ");
                        diag_add(d, &map->keys[i]->pos, "unknown key '%s' in %s, expected one of: %s", k, where, strempty(list));
                }
        }
        return bad;
}

int schema_mapping(Diagnostics *d, const Node *n, const char *what) {
        if (n->type != NODE_MAPPING) {
                diag_add(d, &n->pos, "%s is %s, expected a mapping", what, node_type_name(n));
                return -EINVAL;
        }
        return 0;
}

int schema_string(Diagnostics *d, const Node *n, const char *what, char **ret) {
        char *s;

        if (n->type != NODE_SCALAR || node_is_null(n)) {
                diag_add(d, &n->pos, "%s is %s, expected a string", what, node_type_name(n));
                return -EINVAL;
        }
        if (!schema_text_ok(n->value, n->value_len)) {
                diag_add(d, &n->pos, "%s contains a control character (newline, tab, escape, NUL...), expected printable text", what);
                return -EINVAL;
        }
        if (n->value_len > 8192) {
                diag_add(d, &n->pos, "%s is longer than 8192 bytes, expected a shorter string", what);
                return -EINVAL;
        }
        s = strdup(n->value);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int schema_bool(Diagnostics *d, const Node *n, const char *what, bool *ret) {
        if (n->type == NODE_SCALAR && !n->plain && (streq(n->value, "true") || streq(n->value, "false"))) {
                diag_add(d, &n->pos, "%s is the quoted string \"%s\", expected unquoted true or false", what, n->value);
                return -EINVAL;
        }
        if (n->type == NODE_SCALAR && n->plain) {
                if (streq(n->value, "true")) {
                        *ret = true;
                        return 0;
                }
                if (streq(n->value, "false")) {
                        *ret = false;
                        return 0;
                }
        }
        diag_add(d, &n->pos, "%s is '%s', expected true or false", what,
                 n->type == NODE_SCALAR ? n->value : node_type_name(n));
        return -EINVAL;
}

int schema_uint(Diagnostics *d, const Node *n, const char *what, uint64_t min, uint64_t max, uint64_t *ret) {
        uint64_t v;

        if (n->type == NODE_SCALAR && n->plain && parse_uint(n->value, min, max, ret) >= 0)
                return 0;
        if (n->type == NODE_SCALAR && !n->plain && parse_uint(n->value, min, max, &v) >= 0) {
                diag_add(d, &n->pos, "%s is the quoted string \"%s\", expected an unquoted number", what, n->value);
                return -EINVAL;
        }
        diag_add(d, &n->pos, "%s is '%s', expected a whole number from %llu to %llu", what,
                 n->type == NODE_SCALAR ? n->value : node_type_name(n),
                 (unsigned long long) min, (unsigned long long) max);
        return -EINVAL;
}

int schema_strv(Diagnostics *d, const Node *n, const char *what, char ***ret) {
        bool bad = false;
        char **l;
        int r = 0;

        if (n->type != NODE_SEQUENCE || n->n == 0) {
                diag_add(d, &n->pos, "%s is %s, expected a non-empty list of strings", what,
                         n->type == NODE_SEQUENCE ? "an empty list" : node_type_name(n));
                return -EINVAL;
        }
        /* Sized once: commands and health checks are lists of many words. */
        l = calloc(n->n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        /* Every bad word is reported, not only the first. */
        for (size_t i = 0; i < n->n && r != -ENOMEM; i++)
                if ((r = schema_string(d, n->items[i], what, &l[i])) < 0)
                        bad = true;
        if (bad) {
                for (size_t i = 0; i < n->n; i++)
                        free(l[i]);
                free(l);
                return r == -ENOMEM ? r : -EINVAL;
        }
        *ret = l;
        return 0;
}

bool path_is_normalized_absolute(const char *p) {
        if (p[0] != '/')
                return false;
        if (streq(p, "/"))
                return true;
        if (endswith(p, "/"))
                return false;
        for (const char *c = p; *c;) {
                const char *e;
                size_t l;
                c++; /* skip '/' */
                e = strchrnul(c, '/');
                l = (size_t) (e - c);
                if (l == 0 || (l == 1 && c[0] == '.') || (l == 2 && c[0] == '.' && c[1] == '.'))
                        return false;
                c = e;
        }
        return true;
}

bool path_is_under(const char *path, const char *dir) {
        size_t l = strlen(dir);

        if (streq(dir, "/"))
                return path[0] == '/';
        return strncmp(path, dir, l) == 0 && (path[l] == 0 || path[l] == '/');
}

int schema_abs_path(Diagnostics *d, const Node *n, const char *what, char **ret) {
        _cleanup_free_ char *s = NULL;
        int r;

        r = schema_string(d, n, what, &s);
        if (r < 0)
                return r;
        if (!path_is_normalized_absolute(s) || strlen(s) > 1024) {
                diag_add(d, &n->pos, "%s '%s' is not a normalised absolute path, expected '/' followed by names without '.', '..' or empty components", what, s);
                return -EINVAL;
        }
        *ret = TAKE_PTR(s);
        return 0;
}
