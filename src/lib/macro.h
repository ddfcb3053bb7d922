/* macro.h — cleanup attributes and small helpers every berth module uses.
 * Ownership: a pointer declared _cleanup_free_ is freed at scope exit unless
 * handed over with TAKE_PTR(). Destructors accept NULL and return NULL. */
#pragma once

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _noreturn_ __attribute__((noreturn))
#define _warn_unused_result_ __attribute__((warn_unused_result))
#define _sentinel_ __attribute__((sentinel))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
/* Character sets for strspn() and the like. */
#define DIGITS "0123456789"
#define LOWERCASE_LETTERS "abcdefghijklmnopqrstuvwxyz"
#define UPPERCASE_LETTERS "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define ALPHANUMERICAL UPPERCASE_LETTERS LOWERCASE_LETTERS DIGITS
#define CMP(a, b) ((a) < (b) ? -1 : (a) > (b) ? 1 : 0) /* for qsort() comparators */

#define TAKE_PTR(p)                      \
        ({                               \
                __typeof__(p) _p_ = (p); \
                (p) = NULL;              \
                _p_;                     \
        })

#define TAKE_FD(fd)               \
        ({                        \
                int _fd_ = (fd);  \
                (fd) = -EBADF;    \
                _fd_;             \
        })

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline int safe_close(int fd) {
        if (fd >= 0) {
                int saved = errno;
                close(fd);
                errno = saved;
        }
        return -EBADF;
}
static inline void closep(int *fd) {
        safe_close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func) \
        static inline void func##p(type *p) {   \
                if (*p)                         \
                        func(*p);               \
        }

static inline bool streq(const char *a, const char *b) {
        return strcmp(a, b) == 0;
}
static inline bool streq_ptr(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return streq(a, b);
}
static inline bool isempty(const char *s) {
        return !s || !*s;
}
static inline const char *strempty(const char *s) {
        return s ?: "";
}
static inline const char *startswith(const char *s, const char *prefix) {
        size_t l = strlen(prefix);
        return strncmp(s, prefix, l) == 0 ? s + l : NULL;
}
static inline bool endswith(const char *s, const char *suffix) {
        size_t ls = strlen(s), lx = strlen(suffix);
        return ls >= lx && memcmp(s + ls - lx, suffix, lx) == 0;
}

/* A newly allocated formatted string, or NULL when out of memory. */
static inline char *vstrprintf(const char *fmt, va_list ap) _printf_(1, 0);
static inline char *vstrprintf(const char *fmt, va_list ap) {
        char *s;
        return vasprintf(&s, fmt, ap) < 0 ? NULL : s;
}
static inline char *strprintf(const char *fmt, ...) _printf_(1, 2);
static inline char *strprintf(const char *fmt, ...) {
        va_list ap;
        char *s;

        va_start(ap, fmt);
        s = vstrprintf(fmt, ap);
        va_end(ap);
        return s;
}

/* For hash tables of strings (FNV-1a). */
static inline size_t string_hash(const char *s) {
        uint64_t h = 0xcbf29ce484222325ULL;

        for (; *s; s++) {
                h ^= (unsigned char) *s;
                h *= 0x100000001b3ULL;
        }
        return (size_t) (h ^ (h >> 32));
}

/* Joining first and the strings after it up to a NULL: the length, then the
 * copy to p (NUL-terminated). Each takes its own va_list (va_copy()). */
static inline size_t strjoin_va_len(const char *first, va_list ap) {
        size_t n = 0;

        for (const char *x = first; x; x = va_arg(ap, const char *))
                n += strlen(x);
        return n;
}
static inline char *strjoin_va_copy(char *p, const char *first, va_list ap) {
        *p = 0;
        for (const char *x = first; x; x = va_arg(ap, const char *))
                p = stpcpy(p, x);
        return p;
}

/* The strings up to a NULL, one after another in a new string; NULL when out
 * of memory. Where only strings are put together, this is strprintf() without
 * printf's machinery: the generator joins unit and path names by the thousand. */
static inline char *strjoin_internal(const char *first, ...) _sentinel_;
static inline char *strjoin_internal(const char *first, ...) {
        va_list ap;
        char *s;

        va_start(ap, first);
        s = malloc(strjoin_va_len(first, ap) + 1);
        va_end(ap);
        if (!s)
                return NULL;
        va_start(ap, first);
        strjoin_va_copy(s, first, ap);
        va_end(ap);
        return s;
}
#define strjoin(...) strjoin_internal(__VA_ARGS__, NULL)

/* Allocation failure is not a recoverable condition for a generator or helper
 * of this size; still, library code reports -ENOMEM and lets the edge decide. */
#define RET_NERRNO(expr)                   \
        ({                                 \
                int _r_ = (expr);          \
                _r_ < 0 ? -errno : _r_;    \
        })
