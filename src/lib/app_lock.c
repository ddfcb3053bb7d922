/* app_lock.c — per-app flock. */
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "app_lock.h"
#include "fs_util.h"

int app_lock_take(const BerthPaths *p, const char *app_id, AppLockMode mode, bool wait) {
        _cleanup_free_ char *dir = NULL, *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (!p->runtime_dir || isempty(app_id))
                return -EINVAL;
        if (asprintf(&dir, "%s/lock", p->runtime_dir) < 0 || asprintf(&path, "%s/%s", dir, app_id) < 0)
                return -ENOMEM;
        r = mkdir_p(dir, 0700);
        if (r < 0)
                return r;
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        while (flock(fd, (mode == APP_LOCK_SHARED ? LOCK_SH : LOCK_EX) | (wait ? 0 : LOCK_NB)) < 0) {
                if (errno == EINTR)
                        continue;
                return -errno;
        }
        return TAKE_FD(fd);
}

int app_lock_downgrade(int fd) {
        while (flock(fd, LOCK_SH) < 0)
                if (errno != EINTR)
                        return -errno;
        return 0;
}
