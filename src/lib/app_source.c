/* app_source.c — manifest search path. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "app_source.h"
#include "fs_util.h"
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

/* A search directory's manifests and drop-in directories, read once by
 * app_sources_enumerate(), so that finding each app's files costs no failed
 * access(), readlink() or opendir() per app and directory. */
typedef struct DirEntry {
        char *name;
        unsigned char type; /* DT_* from readdir(); DT_UNKNOWN where the filesystem does not say */
} DirEntry;

typedef struct DirListing {
        DirEntry *entries; /* sorted by name */
        size_t n, cap;
} DirListing;

static void dir_listings_free(DirListing *l, size_t n) {
        for (size_t i = 0; l && i < n; i++) {
                for (size_t j = 0; j < l[i].n; j++)
                        free(l[i].entries[j].name);
                free(l[i].entries);
        }
        free(l);
}

static int dir_listing_add(DirListing *l, const char *name, unsigned char type) {
        char *copy;

        if (l->n == l->cap) {
                size_t cap = l->cap ? 2 * l->cap : 64;
                DirEntry *t = reallocarray(l->entries, cap, sizeof(DirEntry));
                if (!t)
                        return -ENOMEM;
                l->entries = t;
                l->cap = cap;
        }
        copy = strdup(name);
        if (!copy)
                return -ENOMEM;
        l->entries[l->n++] = (DirEntry) { .name = copy, .type = type };
        return 0;
}

static int entry_compare(const void *a, const void *b) {
        return strcmp(((const DirEntry *) a)->name, ((const DirEntry *) b)->name);
}

static const DirEntry *dir_listing_find(const DirListing *l, const char *name) {
        DirEntry key = { .name = (char *) name };

        if (l->n == 0)
                return NULL;
        return bsearch(&key, l->entries, l->n, sizeof(DirEntry), entry_compare);
}

/* path_is_mask() for a directory entry of the given type: a regular file never
 * masks, so it costs no readlink(). */
static bool entry_is_mask(const char *path, unsigned char type) {
        return type != DT_REG && path_is_mask(path);
}

/* Drop-ins for id across all dirs: same file name, earlier dir wins; merged in
 * lexical order of the file name; masked ones dropped. listings (or NULL) say
 * which dirs have a drop-in directory for id at all. */
static int collect_dropins(char *const *dirs, const DirListing *listings, const char *id, char ***ret) {
        _cleanup_strv_free_ char **names = NULL, **paths = NULL;
        _cleanup_free_ char *dname = NULL;
        int r;

        if (!(dname = strjoin(id, SUFFIX ".d")))
                return -ENOMEM;
        for (size_t i = 0; dirs[i]; i++) {
                _cleanup_free_ char *dpath = NULL;
                DIR *d;
                struct dirent *de;

                if (listings && !dir_listing_find(&listings[i], dname))
                        continue;
                if (asprintf(&dpath, "%s/%s", dirs[i], dname) < 0)
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
                                r = strv_consume(&paths, entry_is_mask(full, de->d_type) ? strdup("") : TAKE_PTR(full));
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

static int source_fill(char *const *dirs, const DirListing *listings, const char *id, const char *path,
                       unsigned char type, AppSource *ret) {
        AppSource s = {};
        int r;

        s.id = strdup(id);
        if (!s.id)
                return -ENOMEM;
        if (entry_is_mask(path, type))
                s.masked = true;
        else {
                s.path = strdup(path);
                if (!s.path) {
                        app_source_done(&s);
                        return -ENOMEM;
                }
                r = collect_dropins(dirs, listings, id, &s.dropins);
                if (r < 0) {
                        app_source_done(&s);
                        return r;
                }
        }
        *ret = s;
        return 0;
}

/* The first dir that has id's manifest wins. With listings, only the dirs
 * listing it are looked at, and a regular file there needs no check. A listed
 * symlink that leads nowhere (or in a loop) is passed over, and said in diag. */
static int find_source(char *const *dirs, const DirListing *listings, const char *id, AppSource *ret, Diagnostics *diag) {
        _cleanup_free_ char *name = NULL;

        if (!(name = strjoin(id, SUFFIX)))
                return -ENOMEM;
        for (size_t i = 0; dirs[i]; i++) {
                _cleanup_free_ char *p = NULL;
                unsigned char type = DT_UNKNOWN;

                if (listings) {
                        const DirEntry *e = dir_listing_find(&listings[i], name);
                        if (!e)
                                continue;
                        type = e->type;
                }
                if (!(p = strjoin(dirs[i], "/", name)))
                        return -ENOMEM;
                if (type != DT_REG && access(p, F_OK) < 0) {
                        bool loop = errno == ELOOP;
                        struct stat st;
                        if (!path_is_mask(p)) {
                                /* (Unless it is gone since the directory was read.) */
                                if (diag && lstat(p, &st) == 0 && S_ISLNK(st.st_mode))
                                        diag_add_file(diag, p, "is a symlink that leads %s, expected a manifest or a symlink to /dev/null (a mask); file ignored",
                                                      loop ? "round in a loop" : "to no file");
                                continue;
                        }
                }
                return source_fill(dirs, listings, id, p, type, ret);
        }
        return -ENOENT;
}

int app_source_find(char *const *dirs, const char *id, AppSource *ret, Diagnostics *diag) {
        return find_source(dirs, NULL, id, ret, diag);
}

int app_source_uninstall(char *const *dirs, const char *id, char **ret_removed, char **ret_mask) {
        _cleanup_free_ char *removed = NULL, *mask = NULL;
        AppSource s = {};
        int r;

        *ret_removed = *ret_mask = NULL;
        if (!dirs || !dirs[0])
                return -ENOENT;
        r = find_source(dirs, NULL, id, &s, NULL);
        if (r < 0)
                return r;
        if (s.masked) {
                app_source_done(&s);
                return -ENOENT;
        }
        if (!startswith(s.path, "/usr/")) {
                if (unlink(s.path) < 0 && errno != ENOENT) {
                        r = -errno;
                        app_source_done(&s);
                        return r;
                }
                removed = TAKE_PTR(s.path);
        }
        app_source_done(&s);

        r = find_source(dirs, NULL, id, &s, NULL);
        if (r == -ENOENT)
                goto done;
        if (r < 0)
                return r;
        bool masked = s.masked;
        app_source_done(&s);
        if (masked)
                goto done;
        if (!(mask = strjoin(dirs[0], "/", id, SUFFIX)))
                return -ENOMEM;
        r = mkdir_p(dirs[0], 0755);
        if (r < 0)
                return r;
        if (symlink("/dev/null", mask) < 0)
                return -errno;
done:
        *ret_removed = TAKE_PTR(removed);
        *ret_mask = TAKE_PTR(mask);
        return 0;
}

/* Appends id (taken) to the n ids so far, growing the list by doubling:
 * strv_consume() counts the list at every call, quadratic in a directory of
 * thousands of manifests. Room for n + 1 and the NULL is there unless n + 1
 * is a power of two. */
static int ids_append(char ***ids, size_t *n, char *id) {
        if (((*n + 1) & *n) == 0) {
                char **t = reallocarray(*ids, 2 * (*n + 1), sizeof(char *));
                if (!t) {
                        free(id);
                        return -ENOMEM;
                }
                *ids = t;
        }
        (*ids)[(*n)++] = id;
        (*ids)[*n] = NULL;
        return 0;
}

/* Reads dir: its manifests and drop-in directories into l, each valid app id
 * into ids (n_ids of them; duplicates across dirs included), invalid ones into diag. */
static int read_search_dir(const char *dir, DirListing *l, char ***ids, size_t *n_ids, Diagnostics *diag) {
        DIR *d = opendir(dir);
        struct dirent *de;
        int r = 0;

        if (!d)
                return 0;
        while (r >= 0 && (de = readdir(d))) {
                _cleanup_free_ char *id = NULL;

                if (de->d_name[0] == '.')
                        continue;
                if (endswith(de->d_name, SUFFIX ".d")) {
                        r = dir_listing_add(l, de->d_name, de->d_type);
                        continue;
                }
                if (!endswith(de->d_name, SUFFIX))
                        continue;
                id = strndup(de->d_name, strlen(de->d_name) - strlen(SUFFIX));
                if (!id) {
                        r = -ENOMEM;
                        break;
                }
                if (!app_id_valid(id)) {
                        _cleanup_free_ char *p = NULL;
                        if (asprintf(&p, "%s/%s", dir, de->d_name) >= 0)
                                diag_add_file(diag, p, "'%s' is not a valid app id, expected 1-32 characters of a-z, 0-9 and '-', starting with a letter or digit; file ignored", id);
                        continue;
                }
                r = dir_listing_add(l, de->d_name, de->d_type);
                if (r >= 0)
                        r = ids_append(ids, n_ids, TAKE_PTR(id));
        }
        closedir(d);
        if (r < 0)
                return r;
        if (l->n > 0)
                qsort(l->entries, l->n, sizeof(DirEntry), entry_compare);
        return 0;
}

int app_sources_enumerate(char *const *dirs, AppSource **ret, size_t *ret_n, Diagnostics *diag) {
        _cleanup_strv_free_ char **ids = NULL;
        size_t n_dirs = strv_length(dirs), n_ids = 0, n = 0;
        DirListing *listings;
        AppSource *list;
        int r = 0;

        listings = calloc(n_dirs + 1, sizeof(DirListing));
        if (!listings)
                return -ENOMEM;
        for (size_t i = 0; r >= 0 && i < n_dirs; i++)
                r = read_search_dir(dirs[i], &listings[i], &ids, &n_ids, diag);
        /* Sorted, then each id once (an id may be in several dirs). */
        strv_sort(ids);
        n_ids = 0;
        for (size_t i = 0; ids && ids[i]; i++) {
                if (n_ids > 0 && streq(ids[n_ids - 1], ids[i]))
                        free(ids[i]);
                else
                        ids[n_ids++] = ids[i];
        }
        if (ids)
                ids[n_ids] = NULL;
        list = r >= 0 ? calloc(n_ids + 1, sizeof(AppSource)) : NULL;
        if (r >= 0 && !list)
                r = -ENOMEM;
        for (size_t i = 0; r >= 0 && i < n_ids; i++) {
                r = find_source(dirs, listings, ids[i], &list[n], diag);
                if (r == -ENOENT) {
                        r = 0;
                        continue; /* vanished meanwhile */
                }
                if (r >= 0)
                        n++;
        }
        dir_listings_free(listings, n_dirs);
        if (r < 0) {
                app_sources_free(list, n);
                return r;
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
        return source_fill(dirs, NULL, id, path, DT_UNKNOWN, ret);
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
