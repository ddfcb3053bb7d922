/* fs_util.h — careful filesystem steps: directories created without following
 * symlinks, files replaced atomically and durably (write to a temporary file,
 * fsync, rename, fsync the directory). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* mkdir -p; existing components are accepted as they are. */
int mkdir_p(const char *path, mode_t mode);
/* mkdir -p of path below the existing directory base (path starts with base
 * and '/'), where no component below base may be a symlink (-ELOOP) or other
 * than a directory (-ENOTDIR): base is as the administrator set it up, the
 * rest is berth's. */
int mkdir_p_below(const char *base, const char *path, mode_t mode);
/* Ensures path is a directory (not a symlink) with exactly this owner and
 * mode; creates it if missing. Returns 1 if something changed, 0 if not. */
int dir_ensure(const char *path, uid_t uid, gid_t gid, mode_t mode);
/* Atomically creates or replaces path with data, mode, fsynced. With
 * exclusive, fails with -EEXIST if path exists (never replaces). */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode, bool exclusive);
/* Reads a whole (small) file; NUL-terminated; ret_len optional. */
int read_file(const char *path, size_t max, char **ret, size_t *ret_len);
int fsync_path(const char *path);
int fsync_parent(const char *path);
/* rm -rf that never crosses into other filesystems or follows symlinks. */
int rm_rf(const char *path);
