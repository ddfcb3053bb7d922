/* strv.c — string vectors. */
#include <stdarg.h>
#include <stdio.h>

#include "strv.h"

char **strv_free(char **l) {
        if (!l)
                return NULL;
        for (char **i = l; *i; i++)
                free(*i);
        free(l);
        return NULL;
}

size_t strv_length(char *const *l) {
        size_t n = 0;
        if (l)
                while (l[n])
                        n++;
        return n;
}

bool strv_contains(char *const *l, const char *s) {
        STRV_FOREACH(i, l)
                if (streq(*i, s))
                        return true;
        return false;
}

int strv_consume(char ***l, char *s) {
        size_t n;
        char **t;

        if (!s)
                return -ENOMEM;
        n = strv_length(*l);
        t = realloc(*l, sizeof(char *) * (n + 2));
        if (!t) {
                free(s);
                return -ENOMEM;
        }
        t[n] = s;
        t[n + 1] = NULL;
        *l = t;
        return 0;
}

int strv_extend(char ***l, const char *s) {
        return strv_consume(l, strdup(s));
}

int strv_extendf(char ***l, const char *fmt, ...) {
        va_list ap;
        char *s;

        va_start(ap, fmt);
        s = vstrprintf(fmt, ap);
        va_end(ap);
        return strv_consume(l, s);
}

char **strv_copy(char *const *l) {
        _cleanup_strv_free_ char **c = calloc(strv_length(l) + 1, sizeof(char *));
        size_t n = 0;

        if (!c)
                return NULL;
        STRV_FOREACH(i, l) {
                c[n] = strdup(*i);
                if (!c[n])
                        return NULL;
                n++;
        }
        return TAKE_PTR(c);
}

bool strv_equal(char *const *a, char *const *b) {
        size_t n = strv_length(a);
        if (n != strv_length(b))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!streq(a[i], b[i]))
                        return false;
        return true;
}

static int str_compare(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

void strv_sort(char **l) {
        if (!l)
                return;
        qsort(l, strv_length(l), sizeof(char *), str_compare);
}

char *strv_join(char *const *l, const char *sep) {
        size_t n = 0, k = strlen(sep);
        char *r, *p;

        STRV_FOREACH(i, l)
                n += strlen(*i) + k;
        r = p = malloc(n + 1);
        if (!r)
                return NULL;
        *p = 0;
        STRV_FOREACH(i, l) {
                if (i != l)
                        p = stpcpy(p, sep);
                p = stpcpy(p, *i);
        }
        return r;
}

int strv_split(const char *s, const char *seps, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        int r;

        while (*s) {
                size_t n = strcspn(s, seps);
                if (n > 0) {
                        r = strv_consume(&l, strndup(s, n));
                        if (r < 0)
                                return r;
                }
                s += n;
                s += strspn(s, seps);
        }
        if (!l) {
                l = calloc(1, sizeof(char *));
                if (!l)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        return 0;
}
