/* small_alloc.c — the generator's malloc for blocks up to 64 KiB.
 *
 * Loading a manifest with libyaml is a storm of tiny allocations: every scalar
 * costs it four mallocs of 16 bytes and three frees, every parser two buffers
 * of 16 and 48 KiB. Through glibc's malloc that was a fifth of the
 * generator's instructions (about 190 per malloc/free pair, and a heap trimmed
 * and grown again for every manifest). Here a pair is a few loads and stores:
 *
 *   - sizes round up to one of N_CLASSES classes (16-byte steps to 128, then
 *     four steps per doubling to 1 KiB, then two to 64 KiB);
 *   - each thread takes 1 MiB slabs, one class each, from one region of
 *     address space reserved at start, and carves its blocks from the slab's
 *     front. The region is reserved inaccessible and made writable a slab at
 *     a time: with strict overcommit (vm.overcommit_memory=2) only the slabs
 *     handed out are charged, not the whole gigabyte, and pages cost memory
 *     only once touched (about 60 slabs, 2 threads, for 1,000 apps);
 *   - a freed block goes on the freeing thread's list for its class (the
 *     class is in the slab's first bytes), and is handed out again first.
 *
 * Nothing is ever returned to the kernel: the generator lives for a fraction
 * of a second and its live set is one manifest per thread. Larger blocks, and
 * everything once the region is used up or could not be reserved, are glibc's
 * (__libc_malloc and friends); free() and realloc() tell the two apart by
 * address, so either may free what the other allocated. This replaces malloc
 * the way glibc documents ("Replacing malloc"): malloc, free, calloc, realloc,
 * plus reallocarray and malloc_usable_size, which must not reach glibc with
 * one of these blocks. memalign() and its kin stay glibc's: what they return
 * lies outside the region, and free() passes it on.
 *
 * Only berth-generator links this, and not under sanitizers (which bring
 * their own malloc). There are no checks for double or invalid frees: the
 * sanitizer build of the generator, on AddressSanitizer's malloc, is where
 * those are found. */
#include <dlfcn.h>
#include <errno.h>
#include <gnu/lib-names.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "small_alloc.h"

void *__libc_malloc(size_t size);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t size);
void __libc_free(void *p);

#define SLAB_SIZE ((size_t) 1 << 20)
#define REGION_SIZE ((size_t) 1 << 30) /* address space: 1,024 slabs */
#define SLAB_HEADER 16                  /* the class, kept 16-byte aligned */
#define MAX_SMALL ((size_t) 64 << 10)
#define N_CLASSES 32

static const uint32_t class_size[N_CLASSES] = {
        16, 32, 48, 64, 80, 96, 112, 128,
        160, 192, 224, 256, 320, 384, 448, 512, 640, 768, 896, 1024,
        1536, 2048, 3072, 4096, 6144, 8192, 12288, 16384, 24576, 32768, 49152, 65536,
};

/* The class of every size up to 1 KiB, by 16-byte units. */
static uint8_t small_class[1024 / 16 + 1];

static char *region;       /* set once, before the program's own code runs */
static size_t region_size; /* 0: no region, every block is glibc's */
static size_t region_used; /* slabs handed out so far, in bytes (atomic) */
static bool region_full;   /* used up, or a slab could not be made writable (atomic) */

typedef struct FreeBlock {
        struct FreeBlock *next;
} FreeBlock;

typedef struct ClassCache {
        char *next, *end; /* the rest of the current slab */
        FreeBlock *free;
} ClassCache;

static __thread ClassCache cache[N_CLASSES];

/* Runs before main() and before any thread exists; what libraries allocated
 * while loading is glibc's and stays so. */
__attribute__((constructor)) static void small_alloc_init(void) {
        void *p;
        unsigned c = 0;

        for (unsigned u = 0; u <= 1024 / 16; u++) {
                while (class_size[c] < u * 16)
                        c++;
                small_class[u] = (uint8_t) c;
        }
        p = mmap(NULL, REGION_SIZE + SLAB_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED)
                return;
        /* Slabs aligned to their size, so a block's slab is its address rounded down. */
        region = (char *) (((uintptr_t) p + SLAB_SIZE - 1) & ~(uintptr_t) (SLAB_SIZE - 1));
        region_size = REGION_SIZE;
}

bool small_alloc_owns(const void *p) {
        return (uintptr_t) p - (uintptr_t) region < region_size;
}

/* n <= MAX_SMALL, the last class. */
static unsigned class_of_size(size_t n) {
        unsigned c;

        if (n <= 1024)
                return small_class[(n + 15) / 16];
        for (c = small_class[1024 / 16] + 1; class_size[c] < n; c++)
                ;
        return c;
}

static unsigned class_of_block(const void *p) {
        return *(const uint32_t *) ((uintptr_t) p & ~(uintptr_t) (SLAB_SIZE - 1));
}

/* A block of class c from a new slab; NULL once the region is used up or
 * memory cannot be committed (then glibc serves the rest). */
static void *slab_new(ClassCache *cc, unsigned c) {
        size_t at;
        char *slab;

        if (__atomic_load_n(&region_full, __ATOMIC_RELAXED))
                return NULL;
        at = __atomic_fetch_add(&region_used, SLAB_SIZE, __ATOMIC_RELAXED);
        if (at >= region_size) {
                __atomic_store_n(&region_full, true, __ATOMIC_RELAXED);
                return NULL;
        }
        slab = region + at;
        if (mprotect(slab, SLAB_SIZE, PROT_READ | PROT_WRITE) < 0) {
                __atomic_store_n(&region_full, true, __ATOMIC_RELAXED);
                return NULL;
        }
        *(uint32_t *) slab = c;
        cc->next = slab + SLAB_HEADER + class_size[c];
        cc->end = slab + SLAB_SIZE;
        return slab + SLAB_HEADER;
}

/* NULL when n is glibc's to serve. */
static inline __attribute__((always_inline)) void *small_malloc(size_t n) {
        unsigned c;
        ClassCache *cc;
        void *p;

        if (n > MAX_SMALL || region_size == 0)
                return NULL;
        c = class_of_size(n);
        cc = &cache[c];
        p = cc->free;
        if (p) {
                cc->free = cc->free->next;
                return p;
        }
        if ((size_t) (cc->end - cc->next) >= class_size[c]) {
                p = cc->next;
                cc->next += class_size[c];
                return p;
        }
        return slab_new(cc, c);
}

void *malloc(size_t n) {
        return small_malloc(n) ?: __libc_malloc(n);
}

void free(void *p) {
        if (small_alloc_owns(p)) {
                ClassCache *cc = &cache[class_of_block(p)];
                FreeBlock *b = p;

                b->next = cc->free;
                cc->free = b;
        } else if (p)
                __libc_free(p);
}

void *calloc(size_t n, size_t size) {
        size_t total;
        void *p;

        if (__builtin_mul_overflow(n, size, &total)) {
                errno = ENOMEM;
                return NULL;
        }
        p = small_malloc(total);
        if (!p)
                return __libc_calloc(n, size);
        return memset(p, 0, total); /* a block may be a freed one */
}

void *realloc(void *p, size_t n) {
        size_t have;
        void *q;

        if (!p)
                return malloc(n);
        if (!small_alloc_owns(p))
                return __libc_realloc(p, n);
        if (n == 0) { /* as glibc's realloc() */
                free(p);
                return NULL;
        }
        have = class_size[class_of_block(p)];
        if (n <= have)
                return p;
        q = malloc(n);
        if (!q)
                return NULL; /* p is untouched */
        memcpy(q, p, have);
        free(p);
        return q;
}

void *reallocarray(void *p, size_t n, size_t size) {
        size_t total;

        if (__builtin_mul_overflow(n, size, &total)) {
                errno = ENOMEM;
                return NULL;
        }
        return realloc(p, total);
}

size_t malloc_usable_size(void *p) {
        static size_t (*libc_usable_size)(void *);
        size_t (*f)(void *);

        if (small_alloc_owns(p))
                return class_size[class_of_block(p)];
        if (!p)
                return 0;
        /* glibc exports no other name for its own: look it up in libc.so.6
         * itself, once (threads that race here store the same pointer). Not
         * RTLD_NEXT, which would find a preloaded allocator's, and that does
         * not know glibc's blocks. */
        f = __atomic_load_n(&libc_usable_size, __ATOMIC_RELAXED);
        if (!f) {
                void *libc = dlopen(LIBC_SO, RTLD_LAZY | RTLD_NOLOAD);

                if (libc) {
                        f = (size_t (*)(void *)) dlsym(libc, "malloc_usable_size");
                        dlclose(libc);
                }
                __atomic_store_n(&libc_usable_size, f, __ATOMIC_RELAXED);
        }
        return f ? f(p) : 0;
}
