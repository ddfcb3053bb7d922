/* test.h — the few helpers berth's unit tests share: assertions that name the
 * failing expression and its values, a TEST() list run in order, and scratch
 * directories. A failed assertion ends the program with status 1, so one bad
 * test cannot be hidden by a later good one. */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "macro.h"

static unsigned test_asserts;

_noreturn_ static inline void test_fail(const char *file, int line, const char *fmt, ...) _printf_(3, 4);
_noreturn_ static inline void test_fail(const char *file, int line, const char *fmt, ...) {
        va_list ap;

        fprintf(stderr, "%s:%d: assertion failed: ", file, line);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        exit(1);
}

/* Fails with a message of the test's own. */
#define FAIL(fmt, ...) test_fail(__FILE__, __LINE__, fmt, ##__VA_ARGS__)

#define ASSERT(expr)                                                                  \
        do {                                                                          \
                test_asserts++;                                                       \
                if (!(expr))                                                          \
                        test_fail(__FILE__, __LINE__, "%s", #expr);                   \
        } while (0)

#define ASSERT_EQ(a, b)                                                               \
        do {                                                                          \
                long long _a_ = (long long) (a), _b_ = (long long) (b);               \
                test_asserts++;                                                       \
                if (_a_ != _b_)                                                       \
                        test_fail(__FILE__, __LINE__, "%s == %s (%lld != %lld)",      \
                                  #a, #b, _a_, _b_);                                  \
        } while (0)

#define ASSERT_EQ_U(a, b)                                                             \
        do {                                                                          \
                unsigned long long _a_ = (unsigned long long) (a),                    \
                                   _b_ = (unsigned long long) (b);                    \
                test_asserts++;                                                       \
                if (_a_ != _b_)                                                       \
                        test_fail(__FILE__, __LINE__, "%s == %s (%llu != %llu)",      \
                                  #a, #b, _a_, _b_);                                  \
        } while (0)

#define ASSERT_STREQ(a, b)                                                            \
        do {                                                                          \
                const char *_a_ = (a), *_b_ = (b);                                    \
                test_asserts++;                                                       \
                if (!streq_ptr(_a_, _b_))                                             \
                        test_fail(__FILE__, __LINE__, "%s == %s (\"%s\" != \"%s\")",  \
                                  #a, #b, _a_ ?: "(null)", _b_ ?: "(null)");          \
        } while (0)

/* r >= 0 */
#define ASSERT_OK(expr)                                                               \
        do {                                                                          \
                int _r_ = (expr);                                                     \
                test_asserts++;                                                       \
                if (_r_ < 0)                                                          \
                        test_fail(__FILE__, __LINE__, "%s succeeds (got %d: %s)",     \
                                  #expr, _r_, strerror(-_r_));                        \
        } while (0)

/* r == -err */
#define ASSERT_ERR(expr, err)                                                         \
        do {                                                                          \
                int _r_ = (expr);                                                     \
                test_asserts++;                                                       \
                if (_r_ != -(err))                                                    \
                        test_fail(__FILE__, __LINE__, "%s fails with %s (got %d)",    \
                                  #expr, #err, _r_);                                  \
        } while (0)

#define TEST(name) static void name(void)
#define RUN(name)                                                                     \
        do {                                                                          \
                name();                                                               \
                fprintf(stderr, "  ok %s\n", #name);                                  \
        } while (0)
#define TEST_DONE()                                                                   \
        do {                                                                          \
                fprintf(stderr, "%u assertions passed\n", test_asserts);              \
                return 0;                                                             \
        } while (0)

/* The diagnostics, one "FILE:LINE:COL: message" per line, for comparisons
 * and for showing what went wrong. Caller frees. */
static inline char *test_diag_text(const Diagnostics *d) {
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);

        if (!f)
                abort();
        for (size_t i = 0; i < d->n; i++) {
                char *s = diag_format(&d->items[i]);
                fprintf(f, "%s\n", s ?: "(oom)");
                free(s);
        }
        fclose(f);
        return out;
}

/* Exactly one diagnostic, and it reads want. */
#define ASSERT_DIAG1(d, want)                                                         \
        do {                                                                          \
                char *_dt_ = test_diag_text(d);                                        \
                test_asserts++;                                                       \
                if ((d)->n != 1 || !streq(_dt_, want "\n"))                            \
                        test_fail(__FILE__, __LINE__, "one diagnostic \"%s\", got %zu:\n%s", \
                                  want, (d)->n, _dt_);                                 \
                free(_dt_);                                                            \
        } while (0)

/* Some diagnostic reads want (among others). */
#define ASSERT_DIAG_HAS(d, want)                                                      \
        do {                                                                          \
                char *_dt_ = test_diag_text(d);                                        \
                test_asserts++;                                                       \
                if (!strstr(_dt_, want "\n"))                                          \
                        test_fail(__FILE__, __LINE__, "a diagnostic \"%s\", got:\n%s", want, _dt_); \
                free(_dt_);                                                            \
        } while (0)

static inline int test_rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
        (void) st;
        (void) flag;
        (void) ftw;
        return remove(p) < 0 ? -1 : 0;
}

static inline void test_rm_rf(const char *path) {
        (void) nftw(path, test_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh scratch directory; removed by test_tmpdir_done(). */
static inline char *test_tmpdir(void) {
        const char *base = getenv("TMPDIR");
        char *p = NULL;

        if (asprintf(&p, "%s/berth-test-XXXXXX", isempty(base) ? "/tmp" : base) < 0 || !mkdtemp(p))
                abort();
        return p;
}

static inline void test_tmpdir_done(char *p) {
        if (p)
                test_rm_rf(p);
        free(p);
}

/* One scratch directory for the whole program: made by the first call and
 * removed when the process that made it exits (a forked child's exit() leaves
 * it alone). */
static char *test_scratch;
static pid_t test_scratch_owner;

static inline void test_scratch_remove(void) {
        if (getpid() == test_scratch_owner)
                test_tmpdir_done(TAKE_PTR(test_scratch));
}

static inline const char *test_scratch_dir(void) {
        if (!test_scratch) {
                test_scratch = test_tmpdir();
                test_scratch_owner = getpid();
                if (atexit(test_scratch_remove) != 0)
                        abort();
        }
        return test_scratch;
}

/* Writes text to dir/name, creating missing directories on the way. */
static inline void test_write(const char *dir, const char *name, const char *text) {
        char *p = NULL;
        FILE *f;

        if (asprintf(&p, "%s/%s", dir, name) < 0)
                abort();
        for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
                *s = 0;
                (void) mkdir(p, 0755);
                *s = '/';
        }
        f = fopen(p, "we");
        if (!f || fputs(text, f) < 0 || fclose(f) != 0)
                test_fail(__FILE__, __LINE__, "cannot write %s: %m", p);
        free(p);
}

static inline void test_symlink(const char *target, const char *dir, const char *name) {
        char *p = NULL;

        if (asprintf(&p, "%s/%s", dir, name) < 0)
                abort();
        if (symlink(target, p) < 0)
                test_fail(__FILE__, __LINE__, "cannot symlink %s: %m", p);
        free(p);
}

/* Reads dir/name whole; NULL if it does not exist. Caller frees. */
static inline char *test_read(const char *dir, const char *name) {
        char *p = NULL, *out = NULL;
        size_t len = 0;
        FILE *f;
        int c;

        if (asprintf(&p, "%s/%s", dir, name) < 0)
                abort();
        f = fopen(p, "re");
        free(p);
        if (!f)
                return NULL;
        FILE *m = open_memstream(&out, &len);
        if (!m)
                abort();
        while ((c = fgetc(f)) != EOF)
                fputc(c, m);
        fclose(f);
        fclose(m);
        return out;
}

static inline bool test_exists(const char *dir, const char *name) {
        char *p = NULL;
        struct stat st;
        bool r;

        if (asprintf(&p, "%s/%s", dir, name) < 0)
                abort();
        r = lstat(p, &st) == 0;
        free(p);
        return r;
}

static inline double test_now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec * 1000.0 + (double) ts.tv_nsec / 1e6;
}
