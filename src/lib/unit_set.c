/* unit_set.c — rendered units and their all-or-nothing writer. */
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "strv.h"
#include "unit_set.h"

void unit_set_done(UnitSet *s) {
        for (size_t i = 0; i < s->n_files; i++)
                unit_file_free(s->files[i]);
        free(s->files);
        for (size_t i = 0; i < s->n_links; i++) {
                free(s->links[i].dir);
                free(s->links[i].name);
                free(s->links[i].target);
        }
        free(s->links);
        *s = (UnitSet) {};
}

int unit_set_add(UnitSet *s, UnitFile *u) {
        UnitFile **t;

        if (!u)
                return -ENOMEM;
        t = realloc(s->files, sizeof(UnitFile *) * (s->n_files + 1));
        if (!t) {
                unit_file_free(u);
                return -ENOMEM;
        }
        s->files = t;
        s->files[s->n_files++] = u;
        return 0;
}

int unit_set_link(UnitSet *s, const char *dir, const char *name) {
        UnitLink l = {};
        UnitLink *t;

        l.dir = strdup(dir);
        l.name = strdup(name);
        l.target = strjoin("../", name);
        t = l.dir && l.name && l.target ? realloc(s->links, sizeof(UnitLink) * (s->n_links + 1)) : NULL;
        if (!t) {
                free(l.dir);
                free(l.name);
                free(l.target);
                return -ENOMEM;
        }
        s->links = t;
        s->links[s->n_links++] = l;
        return 0;
}

/* Writes everything in iov, however the kernel splits it. */
static int writev_all(int fd, struct iovec *iov, size_t n) {
        while (n > 0) {
                ssize_t k = writev(fd, iov, (int) MIN(n, (size_t) IOV_MAX));
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                for (; n > 0 && (size_t) k >= iov->iov_len; iov++, n--)
                        k -= (ssize_t) iov->iov_len;
                if (n > 0) {
                        iov->iov_base = (char *) iov->iov_base + k;
                        iov->iov_len -= (size_t) k;
                }
        }
        return 0;
}

/* One writev() of the file's pieces: no copy of the text into one string. */
static int write_file_excl(int dfd, const UnitFile *u) {
        struct iovec small[16]; /* room for 7 sections: no allocation per file */
        _cleanup_free_ struct iovec *heap = NULL;
        struct iovec *iov = small;
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (unit_file_iovec_max(u) > ELEMENTSOF(small)) {
                iov = heap = calloc(unit_file_iovec_max(u), sizeof(struct iovec));
                if (!iov)
                        return -ENOMEM;
        }
        fd = openat(dfd, u->name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return -errno;
        r = writev_all(fd, iov, unit_file_to_iovec(u, iov));
        if (r >= 0 && close(TAKE_FD(fd)) < 0)
                r = -errno;
        if (r < 0)
                (void) unlinkat(dfd, u->name, 0);
        return r;
}

/* "dir/name" into buf. */
static int link_path(const UnitLink *l, char buf[static PATH_MAX]) {
        size_t d = strlen(l->dir), n = strlen(l->name);

        if (d + 1 + n >= PATH_MAX)
                return -ENAMETOOLONG;
        memcpy(buf, l->dir, d);
        buf[d] = '/';
        memcpy(buf + d + 1, l->name, n + 1);
        return 0;
}

/* The link, making its .wants directory when missing (recorded in made_dirs).
 * The link is tried first: the directory is there for all but the first app,
 * and a mkdirat() that fails with EEXIST is a system call per link. */
static int make_link(int dfd, const UnitLink *l, char ***made_dirs, const char **ret_failed) {
        char path[PATH_MAX];
        int r;

        r = link_path(l, path);
        if (r < 0) {
                *ret_failed = l->name;
                return r;
        }
        if (symlinkat(l->target, dfd, path) >= 0)
                return 0;
        if (errno != ENOENT) {
                *ret_failed = l->name;
                return -errno;
        }
        if (mkdirat(dfd, l->dir, 0755) >= 0) {
                r = strv_extend(made_dirs, l->dir);
                if (r < 0)
                        return r;
        } else if (errno != EEXIST) {
                *ret_failed = l->dir;
                return -errno;
        }
        if (symlinkat(l->target, dfd, path) < 0) {
                *ret_failed = l->name;
                return -errno;
        }
        return 0;
}

int unit_set_write_at(const UnitSet *s, int dfd, char **ret_failed) {
        _cleanup_strv_free_ char **made_dirs = NULL;
        const char *failed = NULL;
        size_t n_files = 0, n_links = 0; /* written so far, to be removed on failure */
        int r = 0;

        for (; n_files < s->n_files; n_files++) {
                r = write_file_excl(dfd, s->files[n_files]);
                if (r < 0) {
                        failed = s->files[n_files]->name;
                        goto fail;
                }
        }
        for (; n_links < s->n_links; n_links++) {
                r = make_link(dfd, &s->links[n_links], &made_dirs, &failed);
                if (r < 0)
                        goto fail;
        }
        return 0;
fail:
        if (ret_failed)
                *ret_failed = failed ? strdup(failed) : NULL;
        for (size_t i = 0; i < n_files; i++)
                (void) unlinkat(dfd, s->files[i]->name, 0);
        for (size_t i = 0; i < n_links; i++) {
                char path[PATH_MAX];
                if (link_path(&s->links[i], path) >= 0)
                        (void) unlinkat(dfd, path, 0);
        }
        STRV_FOREACH(d, made_dirs)
                (void) unlinkat(dfd, *d, AT_REMOVEDIR);
        return r;
}

int unit_set_write(const UnitSet *s, const char *dir, char **ret_failed) {
        _cleanup_close_ int dfd = -EBADF;

        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0) {
                int r = -errno;
                if (ret_failed)
                        *ret_failed = strdup(dir);
                return r;
        }
        return unit_set_write_at(s, dfd, ret_failed);
}

int unit_set_print(const UnitSet *s, FILE *f) {
        int r;

        for (size_t i = 0; i < s->n_files; i++) {
                _cleanup_free_ char *text = NULL;
                r = unit_file_to_string(s->files[i], &text);
                if (r < 0)
                        return r;
                fprintf(f, "%s# %s\n%s", i > 0 ? "\n" : "", s->files[i]->name, text);
        }
        for (size_t i = 0; i < s->n_links; i++)
                fprintf(f, "%s# %s/%s -> %s\n", i == 0 ? "\n" : "", s->links[i].dir, s->links[i].name, s->links[i].target);
        return ferror(f) ? -EIO : 0;
}
