/* small_alloc.h — berth-generator's malloc (small_alloc.c). Linking
 * small_alloc.o replaces malloc, free, calloc, realloc, reallocarray and
 * malloc_usable_size for the whole program. */
#pragma once

#include <stdbool.h>

/* Whether p is one of small_alloc's blocks (not glibc's, not NULL). */
bool small_alloc_owns(const void *p);
