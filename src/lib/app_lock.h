/* app_lock.h — the per-app lock (/run/berth/lock/<id>) every stateful helper
 * takes, so prepare, backup, restore and migrate of one app never overlap.
 * flock(2) on a file: released by the kernel when the holder dies.
 * Rule: a holder never waits for the app to start (berth-prepare takes this
 * lock too), it only asks systemd to start it. */
#pragma once

#include <stdbool.h>

#include "berth_paths.h"

/* Returns an fd (>= 0) holding the lock. wait: block until free; else
 * -EWOULDBLOCK when held. */
int app_lock_take(const BerthPaths *p, const char *app_id, bool wait);
