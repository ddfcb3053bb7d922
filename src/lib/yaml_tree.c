/* yaml_tree.c — libyaml events → Node tree with positions. */
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <yaml.h>

#include "strv.h"
#include "yaml_tree.h"

YamlDoc *yaml_doc_free(YamlDoc *d) {
        if (!d)
                return NULL;
        arena_done(&d->arena);
        strv_free(d->files);
        free(d);
        return NULL;
}

bool node_is_null(const Node *n) {
        if (!n)
                return true;
        if (n->type != NODE_SCALAR || !n->plain)
                return false;
        return streq(n->value, "") || streq(n->value, "~") || streq(n->value, "null") ||
               streq(n->value, "Null") || streq(n->value, "NULL");
}

const char *node_type_name(const Node *n) {
        if (!n || node_is_null(n))
                return "null";
        switch (n->type) {
        case NODE_MAPPING:
                return "a mapping";
        case NODE_SEQUENCE:
                return "a list";
        default:
                return "a scalar";
        }
}

typedef struct Loader {
        yaml_parser_t parser;
        Arena *arena;
        const char *file;
        const char *data; /* the input, for positions of reader errors */
        size_t len;
        Diagnostics *diag;
        size_t n_nodes;
        unsigned depth;
        bool refused; /* something was refused and reported; loading goes on to report the rest */
        char **aliases; /* anchors whose aliases were reported: each once */
} Loader;

/* libyaml's reader (invalid UTF-8, control characters) reports a byte offset
 * only, no mark: count lines and characters up to it as libyaml's scanner
 * does (line breaks: \n, \r, \r\n, NEL, LS, PS; a column is a character). */
static Position offset_position(const Loader *l, size_t offset) {
        const unsigned char *d = (const unsigned char *) l->data;
        Position p = { .file = l->file, .line = 1, .column = 1 };

        offset = MIN(offset, l->len);
        for (size_t i = 0; i < offset; i++) {
                if (d[i] == '\n' || (d[i] == '\r' && !(i + 1 < offset && d[i + 1] == '\n')) ||
                    (d[i] == 0xc2 && i + 1 < offset && d[i + 1] == 0x85) ||
                    (d[i] == 0xe2 && i + 2 < offset && d[i + 1] == 0x80 && (d[i + 2] == 0xa8 || d[i + 2] == 0xa9))) {
                        p.line++;
                        p.column = 1;
                        i += d[i] == 0xc2 ? 1 : d[i] == 0xe2 ? 2 : 0;
                } else if ((d[i] & 0xc0) != 0x80 && !(i == 0 && offset >= 3 && d[0] == 0xef && d[1] == 0xbb && d[2] == 0xbf))
                        p.column++; /* a character starts here (a leading BOM is none) */
        }
        return p;
}

static void loader_error_at(Loader *l, const yaml_mark_t *m, const char *fmt, const char *arg) _printf_(3, 0);
static void loader_error_at(Loader *l, const yaml_mark_t *m, const char *fmt, const char *arg) {
        Position p = { .file = l->file, .line = m->line + 1, .column = m->column + 1 };
        _cleanup_free_ char *msg = NULL;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        if (asprintf(&msg, fmt, arg) < 0)
                msg = NULL;
#pragma GCC diagnostic pop
        diag_add(l->diag, &p, "%s", msg ?: "out of memory");
}

static int loader_next(Loader *l, yaml_event_t *ev) {
        if (!yaml_parser_parse(&l->parser, ev)) {
                Position p = {
                        .file = l->file,
                        .line = l->parser.problem_mark.line + 1,
                        .column = l->parser.problem_mark.column + 1,
                };
                if (l->parser.error == YAML_MEMORY_ERROR)
                        return -ENOMEM;
                if (l->parser.error == YAML_READER_ERROR) {
                        p = offset_position(l, l->parser.problem_offset);
                        /* problem_value is the character for a bad character, the
                         * byte for bad UTF-8. */
                        if (l->parser.problem_value >= 0 && l->parser.problem && strstr(l->parser.problem, "character"))
                                diag_add(l->diag, &p, "invalid YAML: %s (U+%04X), expected UTF-8 text", l->parser.problem, (unsigned) l->parser.problem_value);
                        else if (l->parser.problem_value >= 0)
                                diag_add(l->diag, &p, "invalid YAML: %s (byte 0x%02X), expected UTF-8 text", l->parser.problem ?: "unreadable input", (unsigned) l->parser.problem_value & 0xffU);
                        else
                                diag_add(l->diag, &p, "invalid YAML: %s, expected UTF-8 text", l->parser.problem ?: "unreadable input");
                        return -EINVAL;
                }
                /* Where the unfinished construct began, when that is elsewhere: an
                 * unclosed '[' is only noticed at the end of the file. */
                if (l->parser.context &&
                    (l->parser.context_mark.line != l->parser.problem_mark.line ||
                     l->parser.context_mark.column != l->parser.problem_mark.column))
                        diag_add(l->diag, &p, "invalid YAML: %s %s that starts at line %zu, column %zu",
                                 l->parser.problem ?: "syntax error", l->parser.context,
                                 l->parser.context_mark.line + 1, l->parser.context_mark.column + 1);
                else if (l->parser.context)
                        diag_add(l->diag, &p, "invalid YAML: %s %s", l->parser.problem ?: "syntax error",
                                 l->parser.context);
                else
                        diag_add(l->diag, &p, "invalid YAML: %s", l->parser.problem ?: "syntax error");
                return -EINVAL;
        }
        return 0;
}

/* The arrays grow by doubling, so that a long list costs O(n), not O(n^2)
 * copying. Their capacity is implied by n (no field for it): 4, then at least
 * the next power of two, so they are moved only when n is 0 or a power of two
 * from 4 on. Removing entries (merge_node) never shrinks them, which keeps that
 * true. The arena keeps the old copies until the document goes. */
static Node **node_list_grow(Arena *a, Node **list, size_t n) {
        size_t cap = n ? 2 * n : 4;
        Node **t = arena_alloc(a, sizeof(Node *) * cap);

        if (t && n > 0)
                memcpy(t, list, sizeof(Node *) * n);
        return t;
}

static int node_append(Arena *a, Node *parent, Node *key, Node *item) {
        size_t n = parent->n;

        if (n == 0 || (n >= 4 && (n & (n - 1)) == 0)) {
                Node **items = node_list_grow(a, parent->items, n);
                if (!items)
                        return -ENOMEM;
                parent->items = items;
                if (key || parent->keys) {
                        Node **keys = node_list_grow(a, parent->keys, n);
                        if (!keys)
                                return -ENOMEM;
                        parent->keys = keys;
                }
        }
        if (key)
                parent->keys[n] = key;
        parent->items[n] = item;
        parent->n++;
        return 0;
}

/* Duplicate keys are found through a hash index of the mapping's keys, so a
 * mapping of many keys costs O(n), not O(n^2) string comparisons (a 2 MB
 * manifest of 100000 keys took half a minute). */
typedef struct KeyIndex {
        size_t *slots; /* 1 + index into the mapping's keys; 0: empty */
        size_t mask;
} KeyIndex;

static void key_index_done(KeyIndex *ki) {
        free(ki->slots);
}

/* Below this many keys a mapping is searched directly, without an index to
 * allocate: most mappings of a manifest are that small. */
#define KEY_INDEX_MIN 8

/* Looks key up among map's keys (*ret_dup: the earlier one, or NULL) and, when
 * new, records it as the entry map->n that is about to be appended. */
static int key_index_add(KeyIndex *ki, const Node *map, const Node *key, const Node **ret_dup) {
        size_t h;

        if (map->n < KEY_INDEX_MIN) {
                *ret_dup = NULL;
                for (size_t i = 0; i < map->n && !*ret_dup; i++)
                        if (node_key_equal(map->keys[i], key->value, key->value_len))
                                *ret_dup = map->keys[i];
                return 0;
        }
        if (2 * (map->n + 1) > ki->mask + 1) { /* load factor at most 1/2 */
                size_t cap = ki->slots ? 2 * (ki->mask + 1) : 4 * KEY_INDEX_MIN;
                size_t *slots = calloc(cap, sizeof(size_t));

                if (!slots)
                        return -ENOMEM;
                for (size_t i = 0; i < map->n; i++) {
                        for (h = string_hash(map->keys[i]->value) & (cap - 1); slots[h]; h = (h + 1) & (cap - 1))
                                ;
                        slots[h] = i + 1;
                }
                free(ki->slots);
                ki->slots = slots;
                ki->mask = cap - 1;
        }
        for (h = string_hash(key->value) & ki->mask; ki->slots[h]; h = (h + 1) & ki->mask)
                if (streq(map->keys[ki->slots[h] - 1]->value, key->value)) {
                        *ret_dup = map->keys[ki->slots[h] - 1];
                        return 0;
                }
        ki->slots[h] = map->n + 1;
        *ret_dup = NULL;
        return 0;
}

static int load_node(Loader *l, yaml_event_t *ev, Node **ret);

/* The value of the node that stands for a refused alias: told apart by its
 * address, so that an alias used as a key is no key (and no duplicate). */
static char alias_placeholder[] = "";

/* Refuses what a manifest never needs and what makes YAML dangerous or
 * ambiguous. Each refusal is reported and loading goes on, so that all of them
 * are (the document is dropped at the end); only the limits stop it. */
static int check_event(Loader *l, const yaml_event_t *ev) {
        const yaml_char_t *anchor = NULL, *tag = NULL;

        switch (ev->type) {
        case YAML_ALIAS_EVENT:
                l->refused = true;
                if (strv_contains(l->aliases, (const char *) ev->data.alias.anchor))
                        break;
                loader_error_at(l, &ev->start_mark, "YAML alias '*%s' is not supported, write the value out", (const char *) ev->data.alias.anchor);
                if (strv_extend(&l->aliases, (const char *) ev->data.alias.anchor) < 0)
                        return -ENOMEM;
                break;
        case YAML_SCALAR_EVENT:
                anchor = ev->data.scalar.anchor;
                tag = ev->data.scalar.tag;
                break;
        case YAML_SEQUENCE_START_EVENT:
                anchor = ev->data.sequence_start.anchor;
                tag = ev->data.sequence_start.tag;
                break;
        case YAML_MAPPING_START_EVENT:
                anchor = ev->data.mapping_start.anchor;
                tag = ev->data.mapping_start.tag;
                break;
        default:
                return 0;
        }
        if (anchor) {
                loader_error_at(l, &ev->start_mark, "YAML anchor '&%s' is not supported, write the value out", (const char *) anchor);
                l->refused = true;
        }
        if (tag && !(ev->type == YAML_SCALAR_EVENT && streq((const char *) tag, "!"))) {
                loader_error_at(l, &ev->start_mark, "YAML tag '%s' is not supported, remove it", (const char *) tag);
                l->refused = true;
        }
        if (++l->n_nodes > YAML_MAX_NODES) {
                loader_error_at(l, &ev->start_mark, "document has more than %s nodes, expected a manifest-sized document", "200000");
                return -EINVAL;
        }
        return 0;
}

static int load_collection(Loader *l, yaml_event_t *start, Node *n) {
        bool mapping = start->type == YAML_MAPPING_START_EVENT;
        yaml_event_type_t end = mapping ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
        _cleanup_(key_index_done) KeyIndex index = {};
        int r;

        if (++l->depth > YAML_MAX_DEPTH) {
                loader_error_at(l, &start->start_mark, "nesting deeper than %s levels, expected a manifest-shaped document", "64");
                return -EINVAL;
        }
        for (;;) {
                Node *key = NULL, *item = NULL;
                yaml_event_t ev;

                r = loader_next(l, &ev);
                if (r < 0)
                        return r;
                if (ev.type == end) {
                        yaml_event_delete(&ev);
                        break;
                }
                r = load_node(l, &ev, mapping ? &key : &item);
                yaml_event_delete(&ev);
                if (r < 0)
                        return r;
                if (mapping) {
                        const Node *first = NULL;
                        bool keep = false;

                        if (key->type == NODE_SCALAR && key->value == alias_placeholder)
                                ; /* the alias is reported already */
                        else if (key->type != NODE_SCALAR)
                                diag_add(l->diag, &key->pos, "mapping key is %s, expected a plain name", node_type_name(key));
                        else if (strlen(key->value) != key->value_len)
                                diag_add(l->diag, &key->pos, "mapping key contains a NUL byte, expected a plain name");
                        else if ((r = key_index_add(&index, n, key, &first)) < 0)
                                return r;
                        else if (first)
                                diag_add(l->diag, &key->pos, "duplicate key '%s', first given at line %u, column %u",
                                         key->value, first->pos.line, first->pos.column);
                        else
                                keep = true;
                        /* A refused key's value is still loaded, for what it may hold. */
                        l->refused = l->refused || !keep;
                        r = loader_next(l, &ev);
                        if (r < 0)
                                return r;
                        r = load_node(l, &ev, &item);
                        yaml_event_delete(&ev);
                        if (r < 0)
                                return r;
                        if (!keep)
                                continue;
                }
                r = node_append(l->arena, n, key, item);
                if (r < 0)
                        return r;
        }
        l->depth--;
        return 0;
}

static int load_node(Loader *l, yaml_event_t *ev, Node **ret) {
        Node *n;
        int r;

        r = check_event(l, ev);
        if (r < 0)
                return r;
        n = arena_alloc(l->arena, sizeof(Node));
        if (!n)
                return -ENOMEM;
        *n = (Node) { .pos = { .file = l->file, .line = ev->start_mark.line + 1, .column = ev->start_mark.column + 1 } };

        switch (ev->type) {
        case YAML_ALIAS_EVENT: /* refused: a scalar of its own holds its place */
                n->type = NODE_SCALAR;
                n->value = alias_placeholder;
                break;
        case YAML_SCALAR_EVENT:
                n->type = NODE_SCALAR;
                n->value_len = ev->data.scalar.length;
                n->value = arena_strndup(l->arena, (const char *) ev->data.scalar.value, n->value_len);
                if (!n->value)
                        return -ENOMEM;
                n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !ev->data.scalar.tag;
                break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
                n->type = ev->type == YAML_MAPPING_START_EVENT ? NODE_MAPPING : NODE_SEQUENCE;
                r = load_collection(l, ev, n);
                if (r < 0)
                        return r;
                break;
        default:
                loader_error_at(l, &ev->start_mark, "unexpected YAML event%s", "");
                return -EINVAL;
        }
        *ret = n;
        return 0;
}

static int load_stream(Loader *l, Node **ret) {
        Node *root = NULL;
        yaml_event_t ev;
        bool in_doc = false, seen_doc = false;
        int r;

        for (;;) {
                r = loader_next(l, &ev);
                if (r < 0)
                        return r;
                switch (ev.type) {
                case YAML_STREAM_START_EVENT:
                        break;
                case YAML_STREAM_END_EVENT:
                        yaml_event_delete(&ev);
                        *ret = root;
                        return 0;
                case YAML_DOCUMENT_START_EVENT:
                        if (seen_doc) {
                                loader_error_at(l, &ev.start_mark, "a second YAML document%s, expected one document per file", "");
                                yaml_event_delete(&ev);
                                return -EINVAL;
                        }
                        in_doc = seen_doc = true;
                        break;
                case YAML_DOCUMENT_END_EVENT:
                        in_doc = false;
                        break;
                default:
                        if (!in_doc || root) {
                                loader_error_at(l, &ev.start_mark, "unexpected content%s, expected one document", "");
                                yaml_event_delete(&ev);
                                return -EINVAL;
                        }
                        r = load_node(l, &ev, &root);
                        if (r < 0) {
                                yaml_event_delete(&ev);
                                return r;
                        }
                }
                yaml_event_delete(&ev);
        }
}

int yaml_load_string(const char *name, const char *data, size_t len, YamlDoc **ret, Diagnostics *diag) {
        _cleanup_(yaml_doc_freep) YamlDoc *d = NULL;
        Loader l = { .diag = diag, .data = data, .len = len };
        int r;

        if (len > YAML_MAX_FILE_SIZE) {
                diag_add_file(diag, name, "file is larger than %u bytes, expected a manifest-sized file", YAML_MAX_FILE_SIZE);
                return -EINVAL;
        }
        d = calloc(1, sizeof(YamlDoc));
        if (!d)
                return -ENOMEM;
        r = strv_extend(&d->files, name);
        if (r < 0)
                return r;
        l.file = d->files[0];
        l.arena = &d->arena;
        if (!yaml_parser_initialize(&l.parser))
                return -ENOMEM;
        yaml_parser_set_input_string(&l.parser, (const unsigned char *) data, len);
        r = load_stream(&l, &d->root);
        yaml_parser_delete(&l.parser);
        strv_free(l.aliases);
        if (r < 0)
                return r;
        if (l.refused)
                return -EINVAL;
        *ret = TAKE_PTR(d);
        return 0;
}

int yaml_load_file(const char *path, YamlDoc **ret, Diagnostics *diag) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, want;
        struct stat st;

        /* O_NONBLOCK: opening a FIFO must not wait for a writer, nor reading a
         * character device for input (a generator that blocks holds up the boot).
         * Only regular files and character devices (/dev/null as an empty file)
         * are read; a FIFO or socket is refused without being read. */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode)) {
                diag_add_file(diag, path, "is a %s, expected a regular file",
                              S_ISFIFO(st.st_mode) ? "FIFO" : S_ISSOCK(st.st_mode) ? "socket" : "block device");
                return -EINVAL;
        }
        /* Read up to one byte past the limit so an oversized file is reported, not
         * truncated. A regular file is read as large as fstat() says, into a buffer
         * of that size and without a read() to see the end: the generator reads
         * manifests by the thousand. (One that says 0 may be a kernel file.) */
        want = YAML_MAX_FILE_SIZE + 1;
        if (S_ISREG(st.st_mode) && st.st_size > 0)
                want = MIN((size_t) st.st_size, want);
        buf = malloc(want + 1);
        if (!buf)
                return -ENOMEM;
        while (len < want) {
                ssize_t k = read(fd, buf + len, want - len);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                len += (size_t) k;
        }
        buf[len] = 0;
        return yaml_load_string(path, buf, len, ret, diag);
}

static int merge_node(YamlDoc *doc, Node *base, Node *add) {
        Arena *arena = &doc->arena;
        int r;

        /* base and add are mappings; add's entries move into base. */
        for (size_t i = 0; i < add->n; i++) {
                Node *key = add->keys[i], *val = add->items[i];
                size_t j;

                for (j = 0; j < base->n; j++)
                        if (streq(base->keys[j]->value, key->value))
                                break;
                if (j < base->n) {
                        if (node_is_null(val)) {
                                /* A null in a drop-in removes the key; where, is kept. */
                                YamlRemoval *rm = arena_alloc(arena, sizeof(YamlRemoval));
                                if (!rm)
                                        return -ENOMEM;
                                *rm = (YamlRemoval) { .parent = base, .key = key, .next = doc->removed };
                                doc->removed = rm;
                                memmove(base->keys + j, base->keys + j + 1, sizeof(Node *) * (base->n - j - 1));
                                memmove(base->items + j, base->items + j + 1, sizeof(Node *) * (base->n - j - 1));
                                base->n--;
                                continue;
                        }
                        if (base->items[j]->type == NODE_MAPPING && val->type == NODE_MAPPING) {
                                r = merge_node(doc, base->items[j], val);
                                if (r < 0)
                                        return r;
                                continue;
                        }
                        base->items[j] = val;
                        continue;
                }
                if (node_is_null(val))
                        continue;
                r = node_append(arena, base, key, val);
                if (r < 0)
                        return r;
        }
        return 0;
}

int yaml_merge(YamlDoc *base, YamlDoc *dropin, Diagnostics *diag) {
        int r;

        if (!dropin->root)
                return 0;
        if (dropin->root->type != NODE_MAPPING) {
                diag_add(diag, &dropin->root->pos, "drop-in is %s, expected a mapping of manifest keys", node_type_name(dropin->root));
                return -EINVAL;
        }
        /* Nodes keep pointing at their own file's name: move the names over first,
         * so that a failure leaves base untouched. */
        for (size_t i = 0; dropin->files && dropin->files[i]; i++) {
                r = strv_consume(&base->files, TAKE_PTR(dropin->files[i]));
                if (r < 0)
                        return r;
        }
        /* The drop-in's nodes (merged or not) live on in base's arena. */
        arena_take(&base->arena, &dropin->arena);
        if (!base->root)
                base->root = TAKE_PTR(dropin->root);
        else if (base->root->type == NODE_MAPPING)
                return merge_node(base, base->root, dropin->root);
        return 0;
}

const Node *yaml_removed_key(const YamlDoc *doc, const Node *parent, const char *key) {
        for (const YamlRemoval *rm = doc ? doc->removed : NULL; rm; rm = rm->next)
                if (rm->parent == parent && streq(rm->key->value, key))
                        return rm->key;
        return NULL;
}
