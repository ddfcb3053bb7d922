/* arena.h — many small allocations that go together: they come from blocks
 * owned by the Arena and are freed all at once with it (a YAML document's
 * nodes, a podman command's option values). Nothing is freed on its own and
 * nothing moves, so pointers stay valid until arena_done(). */
#pragma once

#include <stdarg.h>
#include <stddef.h>

#include "macro.h"

typedef struct ArenaBlock ArenaBlock;

typedef struct Arena {
        ArenaBlock *blocks; /* the first one is being filled */
} Arena;

/* Frees every block; the arena is empty (and usable) again. */
void arena_done(Arena *a);

/* n bytes aligned for any object; NULL when out of memory. */
void *arena_alloc(Arena *a, size_t n);
/* Room for a string of n bytes and its NUL (unaligned). */
char *arena_alloc_string(Arena *a, size_t n);
/* A copy of the n bytes at s and a NUL. */
char *arena_strndup(Arena *a, const char *s, size_t n);
char *arena_printf(Arena *a, const char *fmt, ...) _printf_(2, 3);
char *arena_vprintf(Arena *a, const char *fmt, va_list ap) _printf_(2, 0);

/* Moves every block of from into a (from is empty afterwards). */
void arena_take(Arena *a, Arena *from);
