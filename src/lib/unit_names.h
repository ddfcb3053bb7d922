/* unit_names.h — the names of the units an app becomes (DESIGN.md §4; a
 * contract: scripts and image builders use them). App ids and container names
 * are validated to be safe in unit names; the slice escapes '-' because a dash
 * in a slice name means nesting. */
#pragma once

#include "app.h"

char *unit_name_target(const char *app_id);               /* berth-<id>.target */
char *unit_name_slice(const char *app_id);                /* berth-<id>.slice, '-' in id as \x2d */
char *unit_name_prepare(const char *app_id);              /* berth-<id>-prepare.service */
char *unit_name_container(const char *app_id, const char *c); /* berth-<id>-<c>.service */
char *unit_name_build(const char *app_id, const char *c); /* berth-<id>-<c>-build.service */
char *unit_name_timer(const char *app_id);                /* berth-<id>-backup.timer */
char *unit_name_backup(const char *app_id);               /* berth-backup@<id>.service */
char *unit_name_restore(const char *app_id);              /* berth-restore@<id>.service */
