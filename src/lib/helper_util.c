/* helper_util.c — see helper_util.h. */
#include "helper_util.h"
#include "log.h"

int helper_state_db_open(const BerthPaths *paths, StateDb **ret) {
        _cleanup_free_ char *dbpath = state_db_path(paths->state_dir);
        int r;

        if (!dbpath)
                return log_errno(LOG_ERR_LEVEL, -ENOMEM, "Failed to open the state database");
        r = state_db_open(dbpath, false, ret);
        if (r < 0)
                return log_errno(LOG_ERR_LEVEL, r, "Failed to open the state database '%s'", dbpath);
        return 0;
}

int helper_app_lock(const BerthPaths *paths, const char *app_id) {
        int fd = app_lock_take(paths, app_id, APP_LOCK_EXCLUSIVE, false);

        if (fd == -EWOULDBLOCK) {
                log_info("Another operation on app '%s' holds its lock; waiting", app_id);
                fd = app_lock_take(paths, app_id, APP_LOCK_EXCLUSIVE, true);
        }
        if (fd < 0)
                return log_errno(LOG_ERR_LEVEL, fd, "Failed to take the lock of app '%s'", app_id);
        return fd;
}
