/* test-fs_util — mkdir_p_below(): directories made below an allowed one, never
 * through a symlink or a file there; the allowed directory itself may be a
 * symlink (the administrator's). */
#include <sys/stat.h>
#include <unistd.h>

#include "fs_util.h"
#include "test.h"

static char *join(const char *a, const char *b) {
        char *p = NULL;

        ASSERT(asprintf(&p, "%s/%s", a, b) > 0);
        return p;
}

TEST(test_mkdir_p_below) {
        char *t = test_tmpdir(), *base = join(t, "base"), *real = join(t, "real"), *link = join(t, "link");
        char *p, *q;
        struct stat st;

        ASSERT(mkdir(base, 0755) == 0 && mkdir(real, 0755) == 0);
        /* Creates every missing level; existing ones are fine. */
        p = join(base, "a/b/c");
        ASSERT_OK(mkdir_p_below(base, p, 0755));
        ASSERT(stat(p, &st) == 0 && S_ISDIR(st.st_mode));
        ASSERT_OK(mkdir_p_below(base, p, 0755));
        free(p);
        /* A symlink below base, at any level, is refused and nothing is made
         * through it. */
        q = join(base, "a/out");
        ASSERT(symlink(real, q) == 0);
        p = join(base, "a/out/x");
        ASSERT_ERR(mkdir_p_below(base, p, 0755), ELOOP);
        ASSERT_ERR(mkdir_p_below(base, q, 0755), ELOOP);
        free(p);
        p = join(real, "x");
        ASSERT(stat(p, &st) < 0 && errno == ENOENT);
        free(p);
        free(q);
        /* A file on the way. */
        test_write(base, "file", "x");
        p = join(base, "file/x");
        ASSERT_ERR(mkdir_p_below(base, p, 0755), ENOTDIR);
        free(p);
        /* base itself may be a symlink. */
        ASSERT(symlink(real, link) == 0);
        p = join(link, "v/w");
        ASSERT_OK(mkdir_p_below(link, p, 0755));
        free(p);
        p = join(real, "v/w");
        ASSERT(stat(p, &st) == 0 && S_ISDIR(st.st_mode));
        free(p);
        /* path must lie below base. */
        ASSERT_ERR(mkdir_p_below(base, real, 0755), EINVAL);
        ASSERT_ERR(mkdir_p_below(base, base, 0755), EINVAL);
        p = join(t, "basement");
        ASSERT_ERR(mkdir_p_below(base, p, 0755), EINVAL);
        free(p);
        free(base);
        free(real);
        free(link);
        test_tmpdir_done(t);
}

int main(void) {
        RUN(test_mkdir_p_below);
        TEST_DONE();
}
