/* restore_unit.h — the transient unit that runs berth-restore for one request
 * (berth-restore@APP.service): its command line and environment. Shared by
 * `berth restore` and berthd's Restore(), so both start the same thing. */
#pragma once

#include <stdbool.h>

#define RESTORE_UNIT_DESCRIPTION "Restore of a berth app"

typedef struct RestoreUnit {
        char *unit;  /* berth-restore@APP.service */
        char **argv; /* berth-restore APP SNAPSHOT --volume=NAME... */
        char **env;  /* the helper's Environment= */
} RestoreUnit;

/* A snapshot argument berth-restore accepts: "latest" or a restic id (hex). */
bool restore_snapshot_arg_valid(const char *s);

/* Test knobs and relocations (BERTH_APPS_DIRS, BERTH_STATE_DIR, ...) present in
 * the caller's environment pass through to the unit. -EINVAL for an invalid
 * app id or an empty snapshot; berth-restore itself judges the rest. */
int restore_unit_new(const char *app, const char *snapshot, char *const *volumes, RestoreUnit *ret);
void restore_unit_done(RestoreUnit *u);
