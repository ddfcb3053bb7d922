/* helper_util.h — steps the helper mains share, with their messages (these
 * log, as mains do: the library under them does not). */
#pragma once

#include "app_lock.h"
#include "berth_paths.h"
#include "state_db.h"

/* The state database, read-write; logs and returns -errno on failure. */
int helper_state_db_open(const BerthPaths *paths, StateDb **ret);
/* The app's lock, exclusively: taken at once, or waited for after saying
 * that another operation holds it. Returns the fd, or logs and returns -errno. */
int helper_app_lock(const BerthPaths *paths, const char *app_id);
