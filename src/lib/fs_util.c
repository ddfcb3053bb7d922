/* fs_util.c — durable, symlink-safe filesystem helpers. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "fs_util.h"
#include "macro.h"

/* Makes each directory of path from its byte from on, existing ones accepted;
 * with no_symlinks, each must be a directory itself, not a symlink to one. */
static int mkdir_components(const char *path, size_t from, mode_t mode, bool no_symlinks) {
        _cleanup_free_ char *p = strdup(path);
        struct stat st;

        if (!p)
                return -ENOMEM;
        for (char *s = p + from;; s++) {
                char c = *s;
                if (c != '/' && c != 0)
                        continue;
                *s = 0;
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return -errno;
                if (no_symlinks) {
                        if (lstat(p, &st) < 0)
                                return -errno;
                        if (S_ISLNK(st.st_mode))
                                return -ELOOP;
                        if (!S_ISDIR(st.st_mode))
                                return -ENOTDIR;
                }
                if (c == 0)
                        return 0;
                *s = '/';
        }
}

int mkdir_p(const char *path, mode_t mode) {
        return mkdir_components(path, 1, mode, false);
}

int mkdir_p_below(const char *base, const char *path, mode_t mode) {
        size_t k = strlen(base);

        if (strncmp(path, base, k) != 0 || path[k] != '/')
                return -EINVAL;
        return mkdir_components(path, k + 1, mode, true);
}

int dir_ensure(const char *path, uid_t uid, gid_t gid, mode_t mode) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        int changed = 0;

        if (mkdir(path, mode) >= 0)
                changed = 1;
        else if (errno != EEXIST)
                return -errno;
        fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ELOOP || errno == ENOTDIR ? -ENOTDIR : -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (st.st_uid != uid || st.st_gid != gid) {
                if (fchown(fd, uid, gid) < 0)
                        return -errno;
                changed = 1;
        }
        if ((st.st_mode & 07777) != mode) {
                if (fchmod(fd, mode) < 0)
                        return -errno;
                changed = 1;
        }
        return changed;
}

int fsync_path(const char *path) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        return fsync(fd) < 0 ? -errno : 0;
}

int fsync_parent(const char *path) {
        _cleanup_free_ char *d = strdup(path);
        char *slash;

        if (!d)
                return -ENOMEM;
        slash = strrchr(d, '/');
        if (!slash)
                return fsync_path(".");
        if (slash == d)
                slash[1] = 0;
        else
                *slash = 0;
        return fsync_path(d);
}

int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode, bool exclusive) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t off = 0;
        int r;

        if (asprintf(&tmp, "%s.tmp.%d", path, (int) getpid()) < 0)
                return -ENOMEM;
        (void) unlink(tmp);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd < 0)
                return -errno;
        if (fchmod(fd, mode) < 0)
                goto fail;
        while (off < len) {
                ssize_t k = write(fd, (const char *) data + off, len - off);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        goto fail;
                }
                off += (size_t) k;
        }
        if (fsync(fd) < 0)
                goto fail;
        if (close(TAKE_FD(fd)) < 0)
                goto fail;
        if (exclusive) {
                /* link() fails if path exists: never replaces. */
                if (link(tmp, path) < 0)
                        goto fail;
                (void) unlink(tmp);
        } else if (rename(tmp, path) < 0)
                goto fail;
        return fsync_parent(path);
fail:
        r = -errno;
        (void) unlink(tmp);
        return r;
}

int read_file(const char *path, size_t max, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;

        if (fd < 0)
                return -errno;
        buf = malloc(max + 1);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t k = read(fd, buf + len, max - len);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                len += (size_t) k;
                if (len == max) {
                        char c;
                        if (read(fd, &c, 1) > 0)
                                return -EFBIG;
                        break;
                }
        }
        buf[len] = 0;
        if (ret_len)
                *ret_len = len;
        *ret = TAKE_PTR(buf);
        return 0;
}

static int rm_rf_at(int dfd, const char *name, dev_t dev) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        DIR *d;
        struct dirent *de;
        int r = 0;

        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISDIR(st.st_mode))
                return unlinkat(dfd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
        if (st.st_dev != dev)
                return -EXDEV; /* a mount point: never descend into another filesystem */
        fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d)
                return -errno;
        TAKE_FD(fd);
        while ((de = readdir(d))) {
                int q;
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                q = rm_rf_at(dirfd(d), de->d_name, dev);
                if (q < 0 && r == 0)
                        r = q;
        }
        closedir(d);
        if (r < 0)
                return r;
        return unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT ? -errno : 0;
}

int rm_rf(const char *path) {
        struct stat st;

        if (lstat(path, &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        return rm_rf_at(AT_FDCWD, path, st.st_dev);
}
