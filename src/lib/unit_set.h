/* unit_set.h — what a renderer produces for one app: unit files plus the
 * .wants/ symlinks that enable them, and the two ways to emit it. Writing uses
 * exclusive create (a unit that already exists is a duplicate, reported, never
 * overwritten) and is all-or-nothing per app: on any failure every file this
 * call created is removed again. */
#pragma once

#include <stdio.h>

#include "unit_file.h"

typedef struct UnitLink {
        char *dir;    /* "multi-user.target.wants" */
        char *name;   /* "berth-immich.target" */
        char *target; /* "../berth-immich.target" */
} UnitLink;

typedef struct UnitSet {
        UnitFile **files;
        size_t n_files;
        UnitLink *links;
        size_t n_links;
} UnitSet;

void unit_set_done(UnitSet *s);
/* Takes ownership of u (also on failure). */
int unit_set_add(UnitSet *s, UnitFile *u);
int unit_set_link(UnitSet *s, const char *dir, const char *name);

/* Writes into dir. On failure returns -errno and names the file in *ret_failed
 * (caller frees). */
int unit_set_write(const UnitSet *s, const char *dir, char **ret_failed);
/* The same into an open directory (the generator opens its directory once). */
int unit_set_write_at(const UnitSet *s, int dfd, char **ret_failed);
/* "# FILE" followed by its text, for each file; then the links. */
int unit_set_print(const UnitSet *s, FILE *f);
