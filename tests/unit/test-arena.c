/* test-arena — alignment, copies with NUL bytes inside, formatting into the
 * current block and past its end, large requests, pointers that stay valid
 * while the arena grows, and moving blocks between arenas. */
#include <stdint.h>

#include "arena.h"
#include "test.h"

TEST(test_alloc_aligned_and_stable) {
        Arena a = {};
        char *first = arena_strndup(&a, "first", 5);
        void *p[2000];

        ASSERT(first);
        for (size_t i = 0; i < ELEMENTSOF(p); i++) {
                /* An odd-sized string between objects must not misalign them. */
                ASSERT(arena_strndup(&a, "x", 1));
                p[i] = arena_alloc(&a, 24);
                ASSERT(p[i]);
                ASSERT_EQ((uintptr_t) p[i] % _Alignof(max_align_t), 0);
                memset(p[i], (int) (i & 0xff), 24);
        }
        /* Nothing moved or was overwritten while new blocks were added. */
        ASSERT_STREQ(first, "first");
        for (size_t i = 0; i < ELEMENTSOF(p); i++)
                for (size_t k = 0; k < 24; k++)
                        ASSERT_EQ(((unsigned char *) p[i])[k], i & 0xff);
        arena_done(&a);
        ASSERT(!a.blocks);
}

TEST(test_strndup_keeps_nul_bytes) {
        Arena a = {};
        char *s = arena_strndup(&a, "a\0b", 3);

        ASSERT(s);
        ASSERT_EQ(memcmp(s, "a\0b", 4), 0);
        arena_done(&a);
}

TEST(test_printf) {
        Arena a = {};
        char big[3 * 4096 + 1];
        char *s, *t;

        s = arena_printf(&a, "%s=%d", "key", 42);
        ASSERT_STREQ(s, "key=42");
        /* Longer than the room left in the block, and than a first block. */
        memset(big, 'z', sizeof(big) - 1);
        big[sizeof(big) - 1] = 0;
        t = arena_printf(&a, "<%s>", big);
        ASSERT(t);
        ASSERT_EQ(strlen(t), sizeof(big) + 1);
        ASSERT_EQ(t[0], '<');
        ASSERT_EQ(t[sizeof(big)], '>');
        ASSERT_STREQ(s, "key=42");
        /* Many small ones fill blocks exactly up to their end. */
        for (unsigned i = 0; i < 5000; i++) {
                char want[32];
                snprintf(want, sizeof(want), "v%u", i);
                ASSERT_STREQ(arena_printf(&a, "v%u", i), want);
        }
        arena_done(&a);
}

TEST(test_large_request) {
        Arena a = {};
        char *p = arena_alloc(&a, 5 * 1024 * 1024);

        ASSERT(p);
        memset(p, 1, 5 * 1024 * 1024);
        ASSERT(arena_strndup(&a, "after", 5));
        arena_done(&a);
}

TEST(test_take) {
        Arena a = {}, b = {};
        char *x = arena_strndup(&a, "from a", 6), *y = arena_strndup(&b, "from b", 6);

        ASSERT(x && y);
        arena_take(&a, &b);
        ASSERT(!b.blocks);
        ASSERT_STREQ(y, "from b");
        /* a keeps filling its own first block, and frees b's with its own. */
        ASSERT(arena_strndup(&a, "more", 4));
        arena_take(&a, &b); /* an empty arena moves nothing */
        arena_take(&b, &a); /* into an empty one */
        ASSERT(!a.blocks);
        ASSERT_STREQ(x, "from a");
        arena_done(&b);
        arena_done(&a);
}

int main(void) {
        RUN(test_alloc_aligned_and_stable);
        RUN(test_strndup_keeps_nul_bytes);
        RUN(test_printf);
        RUN(test_large_request);
        RUN(test_take);
        TEST_DONE();
}
