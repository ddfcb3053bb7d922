/* test-small_alloc — berth-generator's malloc (generators/small_alloc.c),
 * linked into this program as into the generator, so that every allocation
 * here, libc's own included, goes through it: every size class and its
 * edges, alignment, reuse of freed blocks, calloc() zeroing a reused block,
 * realloc() across classes and out to glibc (which keeps them), overflow checks, blocks
 * of glibc's (large ones, memalign()) freed through it, threads that free
 * each other's blocks while they allocate, and the region used up. */
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#include "../../generators/small_alloc.h"
#include "test.h"

#define MAX_SMALL (64 << 10)
#define SLAB_BLOCKS_3072 ((1 << 20) / 3072) /* 3000 bytes: the 3 KiB class */

static void fill(unsigned char *p, size_t n, unsigned seed) {
        for (size_t i = 0; i < n; i++)
                p[i] = (unsigned char) (seed + i * 7);
}

static bool filled(const unsigned char *p, size_t n, unsigned seed) {
        for (size_t i = 0; i < n; i++)
                if (p[i] != (unsigned char) (seed + i * 7))
                        return false;
        return true;
}

TEST(test_every_size) {
        /* Every size to 1 KiB, then steps to past the largest class. */
        for (size_t n = 0; n <= MAX_SMALL + 4096; n += n < 1100 ? 1 : n < 70000 ? 97 : 4096) {
                unsigned char *p = malloc(n);

                ASSERT(p);
                ASSERT_EQ((uintptr_t) p % _Alignof(max_align_t), 0);
                ASSERT(small_alloc_owns(p) == (n <= MAX_SMALL));
                ASSERT(malloc_usable_size(p) >= n);
                fill(p, n, (unsigned) n);
                ASSERT(filled(p, n, (unsigned) n));
                free(p);
        }
        /* The largest class's edge. */
        for (size_t n = MAX_SMALL - 1; n <= MAX_SMALL + 1; n++) {
                unsigned char *p = malloc(n);
                ASSERT(p);
                ASSERT(small_alloc_owns(p) == (n <= MAX_SMALL));
                fill(p, n, 1);
                ASSERT(filled(p, n, 1));
                free(p);
        }
        ASSERT(!small_alloc_owns(NULL));
        free(NULL);
        ASSERT_EQ(malloc_usable_size(NULL), 0);
}

TEST(test_blocks_do_not_overlap) {
        /* Blocks of one class side by side: a slab's worth and more, each
         * filled, then all checked. */
        static unsigned char *p[40000];

        for (size_t i = 0; i < ELEMENTSOF(p); i++) {
                size_t n = 1 + i % 200;
                p[i] = malloc(n);
                ASSERT(p[i]);
                fill(p[i], n, (unsigned) i);
        }
        for (size_t i = 0; i < ELEMENTSOF(p); i++) {
                ASSERT(filled(p[i], 1 + i % 200, (unsigned) i));
                free(p[i]);
        }
}

TEST(test_freed_block_is_reused) {
        void *p = malloc(24), *q;

        ASSERT(small_alloc_owns(p));
        free(p);
        q = malloc(17); /* the same class: 32 bytes */
        ASSERT(q == p);
        free(q);
        q = malloc(40); /* another class: another block */
        ASSERT(q != p);
        free(q);
}

TEST(test_calloc_zeroes_reused_block) {
        unsigned char *p = malloc(300), *q;

        memset(p, 0xa5, 300);
        /* The compiler may drop stores to memory that is freed next: these must happen. */
        __asm__ volatile("" : : "r"(p) : "memory");
        free(p);
        q = calloc(30, 10);
        ASSERT(q == p);
        for (size_t i = 0; i < 300; i++)
                ASSERT_EQ(q[i], 0);
        free(q);
        /* Large: glibc's calloc. */
        q = calloc(1, MAX_SMALL + 1);
        ASSERT(q);
        ASSERT(!small_alloc_owns(q));
        ASSERT_EQ(q[MAX_SMALL], 0);
        free(q);
}

TEST(test_overflow) {
        /* volatile: the compiler would refuse the constant sizes. */
        volatile size_t half = SIZE_MAX / 2, quarter = SIZE_MAX / 4, huge = SIZE_MAX - 64;

        errno = 0;
        ASSERT(!calloc(half, 3));
        ASSERT_EQ(errno, ENOMEM);
        errno = 0;
        ASSERT(!reallocarray(NULL, quarter, 8));
        ASSERT_EQ(errno, ENOMEM);
        errno = 0;
        ASSERT(!malloc(huge)); /* glibc's: too large */
        ASSERT_EQ(errno, ENOMEM);
}

TEST(test_realloc_keeps_contents) {
        unsigned char *p = NULL, *q;
        size_t have = 0;
        uintptr_t at;

        /* Grow one byte at a time through every class into glibc's sizes... */
        for (size_t n = 1; n <= MAX_SMALL + 5000; n += n < 2048 ? 1 : 331) {
                q = realloc(p, n);
                ASSERT(q);
                ASSERT(filled(q, have, 3));
                for (size_t i = have; i < n; i++)
                        q[i] = (unsigned char) (3 + i * 7);
                p = q;
                have = n;
        }
        ASSERT(!small_alloc_owns(p));
        /* ...and shrink it again (glibc's realloc keeps it glibc's). */
        p = realloc(p, 100);
        ASSERT(p);
        ASSERT(filled(p, 100, 3));
        free(p);

        /* Shrinking within the class keeps the block. */
        p = malloc(500);
        fill(p, 500, 9);
        at = (uintptr_t) p;
        q = realloc(p, 450);
        ASSERT_EQ_U((uintptr_t) q, at);
        ASSERT(filled(q, 450, 9));
        /* realloc(q, 0) frees, as glibc's does: the next block of the class is q. */
        ASSERT(!realloc(q, 0));
        p = malloc(500);
        ASSERT_EQ_U((uintptr_t) p, at);
        free(p);
        /* realloc(NULL, n) is malloc(n). */
        p = realloc(NULL, 10);
        ASSERT(small_alloc_owns(p));
        free(p);
}

TEST(test_libc_blocks) {
        void *p = NULL;
        char *s = NULL;

        /* memalign() and its kin stay glibc's; free() passes them on. */
        ASSERT_EQ(posix_memalign(&p, 4096, 100), 0);
        ASSERT(!small_alloc_owns(p));
        ASSERT_EQ((uintptr_t) p % 4096, 0);
        ASSERT(malloc_usable_size(p) >= 100);
        free(p);
        p = aligned_alloc(64, 640);
        ASSERT(p);
        ASSERT_EQ((uintptr_t) p % 64, 0);
        p = realloc(p, 6400);
        ASSERT(p);
        free(p);
        /* What libc allocates is ours, and freed through us. */
        s = strdup("a string libc copies");
        ASSERT(small_alloc_owns(s));
        free(s);
        ASSERT(asprintf(&s, "%0*d", 5000, 7) == 5000);
        ASSERT(small_alloc_owns(s));
        ASSERT_EQ(s[4999], '7');
        free(s);
}

/* Threads: each allocates blocks of many sizes, fills them, and swaps half
 * of them with its neighbour through a shared board, freeing what it gets
 * after checking it. A block freed by another thread goes on that thread's
 * lists, so blocks wander between threads: none may be handed out twice. */
#define N_THREADS 4
#define ROUNDS 200
#define PER_ROUND 256

typedef struct Shared {
        pthread_barrier_t barrier;
        unsigned char *board[N_THREADS][PER_ROUND];
        size_t sizes[N_THREADS][PER_ROUND];
        unsigned failures;
} Shared;

typedef struct Worker {
        Shared *shared;
        unsigned id;
} Worker;

static void *worker(void *userdata) {
        Worker *w = userdata;
        Shared *s = w->shared;
        unsigned seed = w->id * 7919u + 1;

        for (unsigned round = 0; round < ROUNDS; round++) {
                unsigned char *mine[PER_ROUND];
                size_t sizes[PER_ROUND];
                unsigned from = (w->id + 1) % N_THREADS;

                for (unsigned i = 0; i < PER_ROUND; i++) {
                        seed = seed * 1103515245u + 12345u;
                        sizes[i] = (seed >> 8) % (i % 16 == 0 ? 70000u : 600u);
                        mine[i] = malloc(sizes[i]);
                        if (!mine[i]) {
                                __atomic_add_fetch(&s->failures, 1, __ATOMIC_RELAXED);
                                continue;
                        }
                        fill(mine[i], sizes[i], w->id + i + round);
                }
                for (unsigned i = 0; i < PER_ROUND; i += 2) {
                        s->board[w->id][i] = mine[i];
                        s->sizes[w->id][i] = sizes[i];
                        mine[i] = NULL;
                }
                pthread_barrier_wait(&s->barrier);
                /* The neighbour's blocks: check, free. */
                for (unsigned i = 0; i < PER_ROUND; i += 2) {
                        unsigned char *p = s->board[from][i];
                        if (p && !filled(p, s->sizes[from][i], from + i + round))
                                __atomic_add_fetch(&s->failures, 1, __ATOMIC_RELAXED);
                        free(p);
                }
                /* Its own, after new blocks, some of them the ones freed
                 * above, were filled next to them. */
                for (unsigned i = 1; i < PER_ROUND; i += 2) {
                        unsigned char *extra = malloc(sizes[i]);
                        if (extra)
                                fill(extra, sizes[i], 0x55 + i);
                        if (mine[i] && !filled(mine[i], sizes[i], w->id + i + round))
                                __atomic_add_fetch(&s->failures, 1, __ATOMIC_RELAXED);
                        if (!extra || !filled(extra, sizes[i], 0x55 + i))
                                __atomic_add_fetch(&s->failures, 1, __ATOMIC_RELAXED);
                        free(mine[i]);
                        free(extra);
                }
                pthread_barrier_wait(&s->barrier);
        }
        return NULL;
}

TEST(test_threads_free_each_others_blocks) {
        Shared s = {};
        Worker w[N_THREADS];
        pthread_t t[N_THREADS];

        ASSERT_EQ(pthread_barrier_init(&s.barrier, NULL, N_THREADS), 0);
        for (unsigned i = 0; i < N_THREADS; i++) {
                w[i] = (Worker) { .shared = &s, .id = i };
                ASSERT_EQ(pthread_create(&t[i], NULL, worker, &w[i]), 0);
        }
        for (unsigned i = 0; i < N_THREADS; i++)
                ASSERT_EQ(pthread_join(t[i], NULL), 0);
        pthread_barrier_destroy(&s.barrier);
        ASSERT_EQ(s.failures, 0);
}

/* Last, as it uses the region up: 64 KiB blocks until one is glibc's (a slab
 * is made writable when handed out, and only its first page is touched until
 * the blocks are freed, which writes each block's first bytes: about 80 MB at
 * the most). Then every size is glibc's, and blocks of both kinds are still
 * freed and reallocated right. */
TEST(test_region_used_up) {
        static void *p[1 << 15];
        size_t n = 0;
        void *small, *q;
        uintptr_t at;

        while (n < ELEMENTSOF(p) && (n == 0 || small_alloc_owns(p[n - 1]))) {
                p[n] = malloc(MAX_SMALL);
                ASSERT(p[n]);
                n++;
        }
        ASSERT(!small_alloc_owns(p[n - 1]));
        ASSERT(n > 1000); /* ~15 per slab, 1,024 slabs, less what the tests before took */
        /* Another class: what is left of its current slab, then glibc's. */
        for (size_t k = 0; k <= 2 * SLAB_BLOCKS_3072; k++) { /* its free list, then the slab */
                small = malloc(3000);
                ASSERT(small);
                if (!small_alloc_owns(small))
                        break;
                p[n++] = small;
                ASSERT(n < ELEMENTSOF(p));
        }
        ASSERT(!small_alloc_owns(small));
        free(small);
        /* A block of ours grows into glibc's. */
        q = realloc(p[0], MAX_SMALL + 10);
        ASSERT(q);
        ASSERT(!small_alloc_owns(q));
        p[0] = q;
        /* A freed 64 KiB block of ours is handed out again. */
        at = (uintptr_t) p[1];
        free(p[1]);
        q = malloc(MAX_SMALL - 100);
        ASSERT_EQ_U((uintptr_t) q, at);
        p[1] = q;
        for (size_t i = 0; i < n; i++)
                free(p[i]);
}

int main(void) {
        RUN(test_every_size);
        RUN(test_blocks_do_not_overlap);
        RUN(test_freed_block_is_reused);
        RUN(test_calloc_zeroes_reused_block);
        RUN(test_overflow);
        RUN(test_realloc_keeps_contents);
        RUN(test_libc_blocks);
        RUN(test_threads_free_each_others_blocks);
        RUN(test_region_used_up);
        TEST_DONE();
}
