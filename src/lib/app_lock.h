/* app_lock.h — the per-app lock (/run/berth/lock/<id>) every stateful helper
 * takes, so prepare, backup, restore and migrate of one app never overlap.
 * flock(2) on a file: released by the kernel when the holder dies.
 * Rule: an exclusive holder never waits for the app to start (berth-prepare
 * takes the lock shared); it downgrades first. */
#pragma once

#include <stdbool.h>

#include "berth_paths.h"

typedef enum AppLockMode {
        /* berth-prepare: many may hold it at once, never during a data operation */
        APP_LOCK_SHARED,
        /* backup, restore, migrate: alone */
        APP_LOCK_EXCLUSIVE,
} AppLockMode;

/* Returns an fd (>= 0) holding the lock. wait: block until granted; else
 * -EWOULDBLOCK when held. */
int app_lock_take(const BerthPaths *p, const char *app_id, AppLockMode mode, bool wait);
/* Exclusive → shared: lets the app's prepare run (so the app can start) while
 * a helper finishes, and still keeps other data operations out. */
int app_lock_downgrade(int fd);
