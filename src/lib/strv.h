/* strv.h — NULL-terminated string vectors (char **), the way systemd keeps lists
 * of arguments and names. A NULL strv is an empty one. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

char **strv_free(char **l);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free)
#define _cleanup_strv_free_ _cleanup_(strv_freep)

size_t strv_length(char *const *l);
bool strv_contains(char *const *l, const char *s);
/* Appends a copy of s; returns 0 or -ENOMEM. */
int strv_extend(char ***l, const char *s);
/* Takes ownership of s, also on failure. */
int strv_consume(char ***l, char *s);
int strv_extendf(char ***l, const char *fmt, ...) _printf_(2, 3);
char **strv_copy(char *const *l);
bool strv_equal(char *const *a, char *const *b);
void strv_sort(char **l);
/* Joins with sep; returns NULL on allocation failure. */
char *strv_join(char *const *l, const char *sep);
/* Splits on any of the separator characters, dropping empty fields. */
int strv_split(const char *s, const char *seps, char ***ret);

#define STRV_FOREACH(s, l) for (char *const *s = (l); s && *s; s++)
