/* swap_journal.c — journaled, inode-checked directory swaps and their recovery. */
#include <dirent.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <sys/stat.h>

#include "fs_util.h"
#include "schema.h"
#include "strv.h"
#include "swap_journal.h"

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static const char *const state_names[_SWAP_STATE_MAX] = {
        [SWAP_STAGING] = "staging",
        [SWAP_PREPARED] = "prepared",
        [SWAP_COMMITTED] = "committed",
};

const char *swap_state_to_string(SwapState s) {
        return s < _SWAP_STATE_MAX ? state_names[s] : NULL;
}

void swap_journal_done(SwapJournal *j) {
        free(j->app);
        free(j->snapshot);
        for (size_t i = 0; i < j->n_volumes; i++) {
                free(j->volumes[i].name);
                free(j->volumes[i].live);
                free(j->volumes[i].staged);
                free(j->volumes[i].old);
                free(j->volumes[i].scratch);
        }
        free(j->volumes);
        *j = (SwapJournal) {};
}

char *swap_journal_path(const BerthPaths *p, const char *app_id) {
        char *s;
        if (asprintf(&s, "%s/journal/%s.json", p->state_dir, app_id) < 0)
                return NULL;
        return s;
}

int swap_journal_write(const BerthPaths *p, const SwapJournal *j) {
        _cleanup_free_ char *path = swap_journal_path(p, j->app), *dir = NULL;
        json_object *o = json_object_new_object(), *vols = json_object_new_array();
        const char *text;
        int r;

        if (!path || !o || !vols || asprintf(&dir, "%s/journal", p->state_dir) < 0) {
                json_object_put(o);
                json_object_put(vols);
                return -ENOMEM;
        }
        json_object_object_add(o, "schema", json_object_new_int(1));
        json_object_object_add(o, "app", json_object_new_string(j->app));
        json_object_object_add(o, "job", json_object_new_int64(j->job));
        json_object_object_add(o, "snapshot", json_object_new_string(j->snapshot ?: ""));
        json_object_object_add(o, "state", json_object_new_string(swap_state_to_string(j->state)));
        json_object_object_add(o, "app_was_running", json_object_new_boolean(j->app_was_running));
        for (size_t i = 0; i < j->n_volumes; i++) {
                const SwapVolume *v = &j->volumes[i];
                json_object *x = json_object_new_object();
                json_object_object_add(x, "name", json_object_new_string(v->name));
                json_object_object_add(x, "live", json_object_new_string(v->live));
                json_object_object_add(x, "staged", json_object_new_string(v->staged));
                json_object_object_add(x, "old", json_object_new_string(v->old));
                json_object_object_add(x, "scratch", json_object_new_string(v->scratch));
                json_object_object_add(x, "live_ino", json_object_new_int64((int64_t) v->live_ino));
                json_object_object_add(x, "staged_ino", json_object_new_int64((int64_t) v->staged_ino));
                json_object_array_add(vols, x);
        }
        json_object_object_add(o, "volumes", vols);
        text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
        r = mkdir_p(dir, 0700);
        if (r >= 0)
                r = write_file_atomic(path, text, strlen(text), 0600, false);
        json_object_put(o);
        return r;
}

static bool is_ours(const char *path) {
        const char *base = strrchr(path, '/');
        return base && startswith(base + 1, ".berth-") && path_is_normalized_absolute(path);
}

static char *get_str(json_object *o, const char *k) {
        json_object *x;
        if (!json_object_object_get_ex(o, k, &x) || !json_object_is_type(x, json_type_string))
                return NULL;
        return strdup(json_object_get_string(x));
}

int swap_journal_read(const BerthPaths *p, const char *app_id, SwapJournal *ret) {
        _cleanup_free_ char *path = swap_journal_path(p, app_id), *text = NULL, *state = NULL;
        json_object *o, *x, *vols;
        SwapJournal j = {};
        int r;

        if (!path)
                return -ENOMEM;
        r = read_file(path, 1 << 20, &text, NULL);
        if (r < 0)
                return r;
        o = json_tokener_parse(text);
        if (!o)
                return -EBADMSG;
        j.app = get_str(o, "app");
        j.snapshot = get_str(o, "snapshot");
        state = get_str(o, "state");
        if (json_object_object_get_ex(o, "job", &x))
                j.job = json_object_get_int64(x);
        if (json_object_object_get_ex(o, "app_was_running", &x))
                j.app_was_running = json_object_get_boolean(x);
        r = -EBADMSG;
        if (!j.app || !state || !streq(j.app, app_id))
                goto fail;
        j.state = _SWAP_STATE_MAX;
        for (int s = 0; s < _SWAP_STATE_MAX; s++)
                if (streq(state, state_names[s]))
                        j.state = (SwapState) s;
        if (j.state == _SWAP_STATE_MAX || !json_object_object_get_ex(o, "volumes", &vols) ||
            !json_object_is_type(vols, json_type_array))
                goto fail;
        j.n_volumes = json_object_array_length(vols);
        j.volumes = calloc(j.n_volumes + 1, sizeof(SwapVolume));
        if (!j.volumes) {
                r = -ENOMEM;
                goto fail;
        }
        for (size_t i = 0; i < j.n_volumes; i++) {
                json_object *v = json_object_array_get_idx(vols, i);
                SwapVolume *sv = &j.volumes[i];
                sv->name = get_str(v, "name");
                sv->live = get_str(v, "live");
                sv->staged = get_str(v, "staged");
                sv->old = get_str(v, "old");
                sv->scratch = get_str(v, "scratch");
                if (json_object_object_get_ex(v, "live_ino", &x))
                        sv->live_ino = (ino_t) json_object_get_int64(x);
                if (json_object_object_get_ex(v, "staged_ino", &x))
                        sv->staged_ino = (ino_t) json_object_get_int64(x);
                if (!sv->name || !sv->live || !sv->staged || !sv->old || !sv->scratch ||
                    sv->live[0] != '/' || sv->staged[0] != '/' || sv->old[0] != '/' || sv->scratch[0] != '/')
                        goto fail;
                if (j.state != SWAP_STAGING && (!sv->live_ino || !sv->staged_ino))
                        goto fail;
                /* Recovery deletes scratch and old: they must be ours, never a
                 * path a damaged journal could point anywhere. */
                if (!is_ours(sv->scratch) || !is_ours(sv->old) || !path_is_under(sv->staged, sv->scratch))
                        goto fail;
        }
        json_object_put(o);
        *ret = j;
        return 0;
fail:
        json_object_put(o);
        swap_journal_done(&j);
        return r;
}

int swap_journal_remove(const BerthPaths *p, const char *app_id) {
        _cleanup_free_ char *path = swap_journal_path(p, app_id);
        if (!path)
                return -ENOMEM;
        if (unlink(path) < 0)
                return errno == ENOENT ? 0 : -errno;
        return fsync_parent(path);
}

int swap_journal_list(const BerthPaths *p, char ***ret) {
        _cleanup_free_ char *dir = NULL;
        _cleanup_strv_free_ char **l = NULL;
        struct dirent *de;
        DIR *d;
        int r = 0;

        if (asprintf(&dir, "%s/journal", p->state_dir) < 0)
                return -ENOMEM;
        d = opendir(dir);
        if (!d) {
                if (errno != ENOENT)
                        return -errno;
        } else {
                while ((de = readdir(d))) {
                        if (de->d_name[0] == '.' || !endswith(de->d_name, ".json"))
                                continue;
                        r = strv_consume(&l, strndup(de->d_name, strlen(de->d_name) - 5));
                        if (r < 0)
                                break;
                }
                closedir(d);
                if (r < 0)
                        return r;
        }
        strv_sort(l);
        *ret = TAKE_PTR(l);
        return 0;
}

/* Inode at path (not following symlinks); 0 when nothing is there. */
static int inode_at(const char *path, ino_t *ret) {
        struct stat st;
        if (lstat(path, &st) < 0) {
                if (errno != ENOENT)
                        return -errno;
                *ret = 0;
                return 0;
        }
        *ret = S_ISDIR(st.st_mode) ? st.st_ino : (ino_t) -1;
        return 0;
}

int swap_volume_record_inodes(SwapVolume *v) {
        int r = inode_at(v->live, &v->live_ino);
        if (r < 0)
                return r;
        r = inode_at(v->staged, &v->staged_ino);
        if (r < 0)
                return r;
        if (v->live_ino == 0 || v->staged_ino == 0 || v->live_ino == (ino_t) -1 || v->staged_ino == (ino_t) -1)
                return -ENOTDIR;
        return 0;
}

static int durable_rename(const char *from, const char *to) {
        if (rename(from, to) < 0)
                return -errno;
        (void) fsync_parent(from);
        return fsync_parent(to);
}

int swap_volume_exchange(SwapVolume *v, const SwapOptions *o, bool *ret_fallback) {
        int r;

        if (o && o->force_fallback)
                errno = EINVAL;
        else if (renameat2(AT_FDCWD, v->staged, AT_FDCWD, v->live, RENAME_EXCHANGE) >= 0) {
                (void) fsync_parent(v->staged);
                r = fsync_parent(v->live);
                if (ret_fallback)
                        *ret_fallback = false;
                return r;
        }
        if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
                return -errno;
        /* No RENAME_EXCHANGE here: live → old, staged → live, old → staged.
         * Between the first two renames the live path is missing; the journal's
         * inodes tell recovery where each directory is. */
        if (ret_fallback)
                *ret_fallback = true;
        if ((r = durable_rename(v->live, v->old)) < 0)
                return r;
        if (o && o->after_rename)
                o->after_rename(o->userdata, 1);
        if ((r = durable_rename(v->staged, v->live)) < 0)
                return r;
        if (o && o->after_rename)
                o->after_rename(o->userdata, 2);
        if ((r = durable_rename(v->old, v->staged)) < 0)
                return r;
        if (o && o->after_rename)
                o->after_rename(o->userdata, 3);
        return 0;
}

/* Removes a directory tree only if it is the one with inode ino. */
static int remove_if_inode(const char *path, ino_t ino) {
        ino_t cur = 0;
        int r = inode_at(path, &cur);
        if (r < 0)
                return r;
        if (cur == 0 || cur != ino)
                return 0;
        return rm_rf(path);
}

/* Puts the directory with inode keep at v->live (the other one ends up at
 * v->staged), from wherever a crash left the two. */
static int settle(SwapVolume *v, ino_t keep) {
        ino_t at_live = 0, at_staged = 0, at_old = 0;
        int r;

        if ((r = inode_at(v->live, &at_live)) < 0 || (r = inode_at(v->staged, &at_staged)) < 0 ||
            (r = inode_at(v->old, &at_old)) < 0)
                return r;
        if (at_live == keep)
                goto park_other;
        if (at_staged == keep) {
                if (at_live != 0)
                        return swap_volume_exchange(v, NULL, NULL);
                return durable_rename(v->staged, v->live);
        }
        if (at_old == keep) {
                if (at_live != 0) {
                        if (at_staged != 0)
                                return -EEXIST; /* three directories: not a state a swap can leave */
                        if ((r = durable_rename(v->live, v->staged)) < 0)
                                return r;
                }
                return durable_rename(v->old, v->live);
        }
        /* The data to keep is nowhere: refuse to touch anything. */
        return -ESTALE;
park_other:
        /* The other directory may sit at old (fallback interrupted): bring it to staged. */
        if (at_staged == 0 && at_old != 0)
                return durable_rename(v->old, v->staged);
        return 0;
}

int swap_journal_cleanup(SwapJournal *j) {
        int r = 0;
        for (size_t i = 0; i < j->n_volumes; i++) {
                SwapVolume *v = &j->volumes[i];
                int q = rm_rf(v->scratch);
                if (q < 0 && r == 0)
                        r = q;
                /* old is only ever a parked directory of this restore */
                q = rm_rf(v->old);
                if (q < 0 && r == 0)
                        r = q;
        }
        return r;
}

int swap_journal_recover(const BerthPaths *p, SwapJournal *j, SwapOutcome *ret) {
        SwapOutcome outcome;
        int r;

        switch (j->state) {
        case SWAP_STAGING:
                /* Live data was never touched: only staged copies to drop. */
                outcome = SWAP_CLEANED;
                break;
        case SWAP_PREPARED:
                for (size_t i = 0; i < j->n_volumes; i++) {
                        r = settle(&j->volumes[i], j->volumes[i].live_ino);
                        if (r < 0)
                                return r;
                }
                for (size_t i = 0; i < j->n_volumes; i++) {
                        r = remove_if_inode(j->volumes[i].staged, j->volumes[i].staged_ino);
                        if (r < 0)
                                return r;
                }
                outcome = SWAP_ROLLED_BACK;
                break;
        case SWAP_COMMITTED:
                for (size_t i = 0; i < j->n_volumes; i++) {
                        r = settle(&j->volumes[i], j->volumes[i].staged_ino);
                        if (r < 0)
                                return r;
                }
                for (size_t i = 0; i < j->n_volumes; i++) {
                        r = remove_if_inode(j->volumes[i].staged, j->volumes[i].live_ino);
                        if (r < 0)
                                return r;
                }
                outcome = SWAP_ROLLED_FORWARD;
                break;
        default:
                return -EINVAL;
        }
        r = swap_journal_cleanup(j);
        if (r < 0)
                return r;
        r = swap_journal_remove(p, j->app);
        if (r < 0)
                return r;
        if (ret)
                *ret = outcome;
        return 0;
}
