/* unit_set.c — rendered units and their all-or-nothing writer. */
#include <fcntl.h>
#include <sys/stat.h>

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
        if (asprintf(&l.target, "../%s", name) < 0)
                l.target = NULL;
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

static int write_file_excl(int dfd, const char *name, const char *text) {
        _cleanup_close_ int fd = -EBADF;
        size_t len = strlen(text), off = 0;

        fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return -errno;
        while (off < len) {
                ssize_t k = write(fd, text + off, len - off);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        int r = -errno;
                        (void) unlinkat(dfd, name, 0);
                        return r;
                }
                off += (size_t) k;
        }
        if (close(TAKE_FD(fd)) < 0) {
                int r = -errno;
                (void) unlinkat(dfd, name, 0);
                return r;
        }
        return 0;
}

int unit_set_write(const UnitSet *s, const char *dir, char **ret_failed) {
        _cleanup_close_ int dfd = -EBADF;
        _cleanup_strv_free_ char **created = NULL, **made_dirs = NULL;
        const char *failed = NULL;
        int r = 0;

        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0) {
                r = -errno;
                failed = dir;
                goto fail;
        }
        for (size_t i = 0; i < s->n_files; i++) {
                _cleanup_free_ char *text = NULL;
                r = unit_file_to_string(s->files[i], &text);
                if (r < 0) {
                        failed = s->files[i]->name;
                        goto fail;
                }
                r = write_file_excl(dfd, s->files[i]->name, text);
                if (r < 0) {
                        failed = s->files[i]->name;
                        goto fail;
                }
                r = strv_extend(&created, s->files[i]->name);
                if (r < 0)
                        goto fail;
        }
        for (size_t i = 0; i < s->n_links; i++) {
                const UnitLink *l = &s->links[i];
                _cleanup_free_ char *path = NULL;
                if (asprintf(&path, "%s/%s", l->dir, l->name) < 0) {
                        r = -ENOMEM;
                        goto fail;
                }
                if (mkdirat(dfd, l->dir, 0755) >= 0) {
                        r = strv_extend(&made_dirs, l->dir);
                        if (r < 0)
                                goto fail;
                } else if (errno != EEXIST) {
                        r = -errno;
                        failed = l->dir;
                        goto fail;
                }
                if (symlinkat(l->target, dfd, path) < 0) {
                        r = -errno;
                        failed = l->name;
                        goto fail;
                }
                r = strv_consume(&created, TAKE_PTR(path));
                if (r < 0)
                        goto fail;
        }
        return 0;
fail:
        if (ret_failed)
                *ret_failed = failed ? strdup(failed) : NULL;
        if (dfd >= 0) {
                STRV_FOREACH(c, created)
                        (void) unlinkat(dfd, *c, 0);
                STRV_FOREACH(d, made_dirs)
                        (void) unlinkat(dfd, *d, AT_REMOVEDIR);
        }
        return r;
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
