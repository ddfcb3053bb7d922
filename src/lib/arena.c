/* arena.c — block allocator for allocations that are freed together. */
#include <stdarg.h>
#include <stdio.h>

#include "arena.h"

/* Blocks double from the first size up to the largest; a larger request
 * gets a block of its own size. */
#define ARENA_FIRST_BLOCK (4U * 1024U)
#define ARENA_MAX_BLOCK (1024U * 1024U)
#define ARENA_ALIGN _Alignof(max_align_t)

struct ArenaBlock {
        ArenaBlock *next;
        size_t used, size;
        max_align_t data[];
};

void arena_done(Arena *a) {
        for (ArenaBlock *b = a->blocks, *next; b; b = next) {
                next = b->next;
                free(b);
        }
        a->blocks = NULL;
}

/* At least n free bytes at the end of the first block, aligned as asked. */
static ArenaBlock *arena_room(Arena *a, size_t n, size_t align) {
        ArenaBlock *b = a->blocks;
        size_t size;

        if (b) {
                size_t at = (b->used + align - 1) & ~(align - 1); /* align: a power of two */
                if (at <= b->size && b->size - at >= n) {
                        b->used = at;
                        return b;
                }
        }
        size = b ? MIN(2 * b->size, (size_t) ARENA_MAX_BLOCK) : ARENA_FIRST_BLOCK;
        size = MAX(size, n);
        b = malloc(sizeof(ArenaBlock) + size);
        if (!b)
                return NULL;
        *b = (ArenaBlock) { .next = a->blocks, .size = size };
        a->blocks = b;
        return b;
}

static void *arena_alloc_aligned(Arena *a, size_t n, size_t align) {
        ArenaBlock *b = arena_room(a, n, align);
        void *p;

        if (!b)
                return NULL;
        p = (char *) b->data + b->used;
        b->used += n;
        return p;
}

void *arena_alloc(Arena *a, size_t n) {
        return arena_alloc_aligned(a, n, ARENA_ALIGN);
}

char *arena_alloc_string(Arena *a, size_t n) {
        return arena_alloc_aligned(a, n + 1, 1);
}

char *arena_strndup(Arena *a, const char *s, size_t n) {
        char *p = arena_alloc_string(a, n);

        if (!p)
                return NULL;
        memcpy(p, s, n);
        p[n] = 0;
        return p;
}

char *arena_vprintf(Arena *a, const char *fmt, va_list ap) {
        ArenaBlock *b = arena_room(a, 64, 1);
        va_list again;
        char *p;
        int k;

        if (!b)
                return NULL;
        /* Formatted straight into the block when it fits, else again into a
         * place of the right size. */
        p = (char *) b->data + b->used;
        va_copy(again, ap);
        k = vsnprintf(p, b->size - b->used, fmt, ap);
        if (k >= 0 && (size_t) k < b->size - b->used) {
                b->used += (size_t) k + 1;
                va_end(again);
                return p;
        }
        p = k < 0 ? NULL : arena_alloc_aligned(a, (size_t) k + 1, 1);
        if (p && vsnprintf(p, (size_t) k + 1, fmt, again) < 0)
                p = NULL;
        va_end(again);
        return p;
}

char *arena_printf(Arena *a, const char *fmt, ...) {
        va_list ap;
        char *p;

        va_start(ap, fmt);
        p = arena_vprintf(a, fmt, ap);
        va_end(ap);
        return p;
}

void arena_take(Arena *a, Arena *from) {
        ArenaBlock *last = from->blocks;

        if (!last)
                return;
        while (last->next)
                last = last->next;
        if (a->blocks) {
                /* Behind the block being filled, which stays first. */
                last->next = a->blocks->next;
                a->blocks->next = from->blocks;
        } else
                a->blocks = from->blocks;
        from->blocks = NULL;
}
