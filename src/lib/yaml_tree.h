/* yaml_tree.h — YAML documents as trees whose every node knows its file, line
 * and column. Built on libyaml's event parser. Strict on purpose: one document
 * per file, mapping keys are unique scalars, anchors/aliases/tags are refused
 * (an alias bomb fails at its first '&'), and depth, node count and file size
 * are bounded. Drop-ins merge into a base document (mappings merge key by key,
 * anything else is replaced, a null value removes the key). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "diag.h"

#define YAML_MAX_DEPTH 64
#define YAML_MAX_NODES 200000
#define YAML_MAX_FILE_SIZE (4U * 1024U * 1024U)

typedef enum NodeType {
        NODE_SCALAR,
        NODE_MAPPING,
        NODE_SEQUENCE,
} NodeType;

typedef struct Node Node;
struct Node {
        NodeType type;
        Position pos;
        /* NODE_SCALAR */
        char *value;
        size_t value_len; /* scalars may hold NUL bytes ("\0"); validation refuses them */
        bool plain;       /* unquoted: may be a null, boolean or number */
        /* NODE_MAPPING: keys[i] → items[i]; NODE_SEQUENCE: items[i] */
        Node **keys;
        Node **items;
        size_t n;
};

/* A key a drop-in removed (with a null): where, for diagnostics. */
typedef struct YamlRemoval {
        const Node *parent; /* the mapping it was removed from */
        const Node *key;    /* the drop-in's key */
        struct YamlRemoval *next;
} YamlRemoval;

typedef struct YamlDoc {
        Node *root;   /* NULL for an empty document */
        char **files; /* names every Position.file points into */
        YamlRemoval *removed;
        /* Owns every node, list and scalar of the tree: a manifest is a few
         * hundred of them, and a malloc() and free() for each was a third of
         * the time spent loading. */
        Arena arena;
} YamlDoc;

YamlDoc *yaml_doc_free(YamlDoc *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(YamlDoc *, yaml_doc_free)

/* Parses data (named name in diagnostics). Returns 0, -EINVAL with diagnostics
 * added for malformed or refused input, or -ENOMEM. */
int yaml_load_string(const char *name, const char *data, size_t len, YamlDoc **ret, Diagnostics *diag);
/* Reads and parses a file. I/O errors are returned as -errno (no diagnostic). */
int yaml_load_file(const char *path, YamlDoc **ret, Diagnostics *diag);
/* Merges drop-in into base (both must have mapping roots); drop-in is consumed. */
int yaml_merge(YamlDoc *base, YamlDoc *dropin, Diagnostics *diag);
/* The drop-in key that removed key from the mapping parent, or NULL. */
const Node *yaml_removed_key(const YamlDoc *doc, const Node *parent, const char *key);

bool node_is_null(const Node *n);
/* Whether mapping key k is the len bytes at s. Keys are compared by length
 * first (a key holds no NUL, see load_collection()): a strcmp() with every key
 * of a mapping was a sixth of validating a manifest, which looks up each of
 * its keys. */
static inline bool node_key_equal(const Node *k, const char *s, size_t len) {
        return k->value_len == len && memcmp(k->value, s, len) == 0;
}

/* Mapping lookup by key; NULL when absent. Inline, so that the length of a
 * literal key is known when compiling, and the comparison made in place. */
static inline Node *node_get(const Node *map, const char *key) {
        size_t len;

        if (!map || map->type != NODE_MAPPING)
                return NULL;
        len = strlen(key);
        for (size_t i = 0; i < map->n; i++)
                if (node_key_equal(map->keys[i], key, len))
                        return map->items[i];
        return NULL;
}
const char *node_type_name(const Node *n);
