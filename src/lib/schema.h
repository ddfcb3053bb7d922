/* schema.h — typed access to YAML nodes for validators. Each getter checks the
 * node's shape, records a positioned diagnostic naming what was expected when it
 * is wrong, and returns -EINVAL (or -ENOMEM). Strings are refused when they hold
 * control characters (C0, DEL, C1): nothing that reaches a unit file may carry
 * a newline or an escape. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "yaml_tree.h"

/* Records "unknown key" (with a did-you-mean) for every key not in allowed
 * (NULL-terminated). Returns the number of unknown keys. */
int schema_check_keys(Diagnostics *d, const Node *map, const char *where, const char *const *allowed);

/* Closest candidate within a small edit distance, or NULL. */
const char *schema_did_you_mean(const char *word, const char *const *candidates);

bool schema_text_ok(const char *s, size_t len);

int schema_mapping(Diagnostics *d, const Node *n, const char *what);
int schema_string(Diagnostics *d, const Node *n, const char *what, char **ret);
int schema_bool(Diagnostics *d, const Node *n, const char *what, bool *ret);
int schema_uint(Diagnostics *d, const Node *n, const char *what, uint64_t min, uint64_t max, uint64_t *ret);
/* A non-empty list of strings. */
int schema_strv(Diagnostics *d, const Node *n, const char *what, char ***ret);
/* An absolute, normalised path (no "//", ".", ".." components, no trailing '/'). */
int schema_abs_path(Diagnostics *d, const Node *n, const char *what, char **ret);
bool path_is_normalized_absolute(const char *p);
/* True when path equals dir or lies below it. */
bool path_is_under(const char *path, const char *dir);
