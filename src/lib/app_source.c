/* app_source.c — manifest search path. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "app_source.h"
#include "strv.h"

#define SUFFIX ".yaml"

void app_source_done(AppSource *s) {
        free(s->id);
        free(s->path);
        strv_free(s->dropins);
        *s = (AppSource) {};
}

void app_sources_free(AppSource *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                app_source_done(&s[i]);
        free(s);
}

int app_search_dirs(BerthScope scope, char ***ret) {
        const char *e = getenv("BERTH_APPS_DIRS");
        _cleanup_strv_free_ char **l = NULL;
        int r;

        if (e)
                return strv_split(e, ":", ret);
        if (scope == SCOPE_USER) {
                const char *home = getenv("HOME"), *xdg = getenv("XDG_CONFIG_HOME");
                if (!isempty(xdg) && xdg[0] == '/')
                        r = strv_extendf(&l, "%s/berth/apps", xdg);
                else if (!isempty(home) && home[0] == '/')
                        r = strv_extendf(&l, "%s/.config/berth/apps", home);
                else
                        return -ENXIO;
                if (r < 0)
                        return r;
                *ret = TAKE_PTR(l);
                return 0;
        }
        return strv_split("/etc/berth/apps:/run/berth/apps:/usr/lib/berth/apps", ":", ret);
}

bool app_id_valid(const char *id) {
        size_t n = strlen(id);

        if (n < 1 || n > 32)
                return false;
        if (!((id[0] >= 'a' && id[0] <= 'z') || (id[0] >= '0' && id[0] <= '9')))
                return false;
        for (size_t i = 1; i < n; i++)
                if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= '0' && id[i] <= '9') || id[i] == '-'))
                        return false;
        return true;
}

/* A symlink to /dev/null (or an empty regular file named like systemd does it,
 * /dev/null itself) masks. */
static bool path_is_mask(const char *path) {
        char buf[PATH_MAX];
        ssize_t k = readlink(path, buf, sizeof(buf) - 1);
        struct stat st;

        if (k < 0)
                return false;
        buf[k] = 0;
        if (streq(buf, "/dev/null"))
                return true;
        return stat(path, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3);
}

static int strcmp_ptr(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Drop-ins for id across all dirs: same file name, earlier dir wins; merged in
 * lexical order of the file name; masked ones dropped. */
static int collect_dropins(char *const *dirs, const char *id, char ***ret) {
        _cleanup_strv_free_ char **names = NULL, **paths = NULL;
        int r;

        STRV_FOREACH(dir, dirs) {
                _cleanup_free_ char *dpath = NULL;
                DIR *d;
                struct dirent *de;

                if (asprintf(&dpath, "%s/%s" SUFFIX ".d", *dir, id) < 0)
                        return -ENOMEM;
                d = opendir(dpath);
                if (!d)
                        continue;
                while ((de = readdir(d))) {
                        _cleanup_free_ char *full = NULL;
                        if (de->d_name[0] == '.' || !endswith(de->d_name, SUFFIX))
                                continue;
                        if (strv_contains(names, de->d_name))
                                continue;
                        if (asprintf(&full, "%s/%s", dpath, de->d_name) < 0) {
                                closedir(d);
                                return -ENOMEM;
                        }
                        r = strv_extend(&names, de->d_name);
                        if (r >= 0)
                                r = strv_consume(&paths, path_is_mask(full) ? strdup("") : TAKE_PTR(full));
                        if (r < 0) {
                                closedir(d);
                                return r;
                        }
                }
                closedir(d);
        }
        /* Sort by file name, keeping each path with its name. */
        size_t n = strv_length(names);
        char **pairs = calloc(n + 1, sizeof(char *));
        if (!pairs)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                pairs[i] = names[i];
        qsort(pairs, n, sizeof(char *), strcmp_ptr);
        _cleanup_strv_free_ char **out = NULL;
        for (size_t i = 0; i < n; i++) {
                size_t j = 0;
                while (names[j] != pairs[i])
                        j++;
                if (isempty(paths[j]))
                        continue;
                r = strv_extend(&out, paths[j]);
                if (r < 0) {
                        free(pairs);
                        return r;
                }
        }
        free(pairs);
        *ret = TAKE_PTR(out);
        return 0;
}

static int source_fill(char *const *dirs, const char *id, const char *path, AppSource *ret) {
        AppSource s = {};
        int r;

        s.id = strdup(id);
        if (!s.id)
                return -ENOMEM;
        if (path_is_mask(path))
                s.masked = true;
        else {
                s.path = strdup(path);
                if (!s.path) {
                        app_source_done(&s);
                        return -ENOMEM;
                }
                r = collect_dropins(dirs, id, &s.dropins);
                if (r < 0) {
                        app_source_done(&s);
                        return r;
                }
        }
        *ret = s;
        return 0;
}

int app_source_find(char *const *dirs, const char *id, AppSource *ret) {
        STRV_FOREACH(dir, dirs) {
                _cleanup_free_ char *p = NULL;
                if (asprintf(&p, "%s/%s" SUFFIX, *dir, id) < 0)
                        return -ENOMEM;
                if (access(p, F_OK) < 0 && !path_is_mask(p))
                        continue;
                return source_fill(dirs, id, p, ret);
        }
        return -ENOENT;
}

int app_sources_enumerate(char *const *dirs, AppSource **ret, size_t *ret_n, Diagnostics *diag) {
        _cleanup_strv_free_ char **ids = NULL;
        AppSource *list = NULL;
        size_t n = 0;
        int r;

        STRV_FOREACH(dir, dirs) {
                DIR *d = opendir(*dir);
                struct dirent *de;

                if (!d)
                        continue;
                while ((de = readdir(d))) {
                        _cleanup_free_ char *id = NULL;
                        if (de->d_name[0] == '.' || !endswith(de->d_name, SUFFIX))
                                continue;
                        id = strndup(de->d_name, strlen(de->d_name) - strlen(SUFFIX));
                        if (!id) {
                                closedir(d);
                                return -ENOMEM;
                        }
                        if (!app_id_valid(id)) {
                                _cleanup_free_ char *p = NULL;
                                if (asprintf(&p, "%s/%s", *dir, de->d_name) >= 0)
                                        diag_add_file(diag, p, "'%s' is not a valid app id, expected 1-32 characters of a-z, 0-9 and '-', starting with a letter or digit; file ignored", id);
                                continue;
                        }
                        if (strv_contains(ids, id))
                                continue;
                        r = strv_consume(&ids, TAKE_PTR(id));
                        if (r < 0) {
                                closedir(d);
                                return r;
                        }
                }
                closedir(d);
        }
        strv_sort(ids);
        list = calloc(strv_length(ids) + 1, sizeof(AppSource));
        if (!list)
                return -ENOMEM;
        STRV_FOREACH(id, ids) {
                r = app_source_find(dirs, *id, &list[n]);
                if (r == -ENOENT)
                        continue; /* vanished meanwhile */
                if (r < 0) {
                        app_sources_free(list, n);
                        return r;
                }
                n++;
        }
        *ret = list;
        *ret_n = n;
        return 0;
}

int app_source_from_file(const char *arg, AppSource *ret) {
        _cleanup_free_ char *dir = NULL, *id = NULL, *abs = NULL;
        const char *path = arg, *base;
        char *dirs[2] = {};

        /* Units name their manifest in SourcePath=: always an absolute path. */
        if (arg[0] != '/') {
                _cleanup_free_ char *cwd = getcwd(NULL, 0);
                if (!cwd)
                        return -errno;
                if (asprintf(&abs, "%s/%s", streq(cwd, "/") ? "" : cwd, startswith(arg, "./") ?: arg) < 0)
                        return -ENOMEM;
                path = abs;
        }
        base = strrchr(path, '/');

        base = base ? base + 1 : path;
        if (!endswith(base, SUFFIX))
                return -EBADR;
        id = strndup(base, strlen(base) - strlen(SUFFIX));
        dir = base == path ? strdup(".") : strndup(path, (size_t) (base - path - 1));
        if (!id || !dir)
                return -ENOMEM;
        if (isempty(dir)) {
                free(dir);
                dir = strdup("/");
                if (!dir)
                        return -ENOMEM;
        }
        dirs[0] = dir;
        return source_fill(dirs, id, path, ret);
}

int app_source_load(const AppSource *s, YamlDoc **ret, Diagnostics *diag) {
        _cleanup_(yaml_doc_freep) YamlDoc *doc = NULL;
        int r;

        if (s->masked)
                return -ERFKILL;
        r = yaml_load_file(s->path, &doc, diag);
        if (r < 0)
                return r;
        STRV_FOREACH(p, s->dropins) {
                _cleanup_(yaml_doc_freep) YamlDoc *d = NULL;
                r = yaml_load_file(*p, &d, diag);
                if (r == -EINVAL)
                        return r;
                if (r < 0) {
                        diag_add_file(diag, *p, "cannot read drop-in: %s", strerror(-r));
                        return -EINVAL;
                }
                if (doc->root && doc->root->type != NODE_MAPPING)
                        break; /* validation reports the base document's shape */
                r = yaml_merge(doc, d, diag);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(doc);
        return 0;
}
