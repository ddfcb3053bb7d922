/* prepare.c — make an app's directories, secrets and network exist. */
#include <sys/stat.h>

#include "fs_util.h"
#include "podman_cli.h"
#include "prepare.h"
#include "secret_store.h"
#include "spawn.h"
#include "strv.h"
#include "userns.h"

/* Rootless: the container's uid N is the user's sub-id; podman unshare maps it. */
static int chown_rootless(const char *path, uid_t uid, gid_t gid) {
        _cleanup_free_ char *owner = NULL;
        int r, st;

        if (asprintf(&owner, "%u:%u", (unsigned) uid, (unsigned) gid) < 0)
                return -ENOMEM;
        char *argv[] = { BERTH_PODMAN, "unshare", "chown", owner, (char *) path, NULL };
        r = spawn_run(argv, NULL, &st, NULL);
        if (r < 0)
                return r;
        return st == 0 ? 0 : -EIO;
}

static int prepare_volumes(const App *a, const BerthPaths *p, PrepareReport *rep, Diagnostics *d) {
        _cleanup_free_ char *apps = NULL, *app = NULL, *vols = NULL;
        bool system = p->scope == SCOPE_SYSTEM;
        uint32_t base = system ? userns_base(a->id) : 0;
        int r;

        if (asprintf(&apps, "%s/apps", p->state_dir) < 0 || asprintf(&app, "%s/apps/%s", p->state_dir, a->id) < 0 ||
            asprintf(&vols, "%s/volumes", app) < 0)
                return -ENOMEM;
        r = mkdir_p(apps, 0755);
        if (r < 0) {
                diag_add_file(d, apps, "cannot create directory: %s", strerror(-r));
                return r;
        }
        /* Only root may look into an app's tree; containers reach their volumes
         * through bind mounts, which do not need the parents to be searchable. */
        const char *dirs[] = { app, vols };
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                r = dir_ensure(dirs[i], getuid(), getgid(), 0700);
                if (r < 0) {
                        diag_add_file(d, dirs[i], "cannot create or fix directory: %s", strerror(-r));
                        return r;
                }
        }
        for (size_t i = 0; i < a->n_volumes; i++) {
                const Volume *v = &a->volumes[i];
                _cleanup_free_ char *path = berth_volume_path(p, a->id, v);
                uid_t uid = getuid();
                gid_t gid = getgid();

                if (!path)
                        return -ENOMEM;
                if (v->path) {
                        r = v->path_base ? mkdir_p_below(v->path_base, path, 0755) : mkdir_p(path, 0755);
                        if (r == -ELOOP) {
                                diag_add_file(d, path, "cannot use volume '%s': a directory on the way to it below %s is a symlink, which berth does not follow there, expected real directories below the allowed one",
                                              v->name, v->path_base);
                                return r;
                        }
                        if (r < 0) {
                                diag_add_file(d, path, "cannot create volume '%s': %s", v->name, strerror(-r));
                                return r;
                        }
                }
                if (system) {
                        /* Ids inside the container, shifted into the app's range. */
                        uid = base + (v->has_owner ? v->uid : 0);
                        gid = base + (v->has_owner ? v->gid : 0);
                }
                r = dir_ensure(path, uid, gid, v->mode);
                if (r < 0) {
                        diag_add_file(d, path, "cannot create volume '%s' with owner %u:%u and mode %04o: %s", v->name,
                                      (unsigned) uid, (unsigned) gid, (unsigned) v->mode, strerror(-r));
                        return r;
                }
                if (r > 0)
                        rep->volumes_changed++;
                if (!system && v->has_owner) {
                        r = chown_rootless(path, v->uid, v->gid);
                        if (r < 0) {
                                diag_add_file(d, path, "cannot give volume '%s' to %u:%u inside the user namespace (podman unshare chown): %s",
                                              v->name, (unsigned) v->uid, (unsigned) v->gid, strerror(-r));
                                return r;
                        }
                }
        }
        return 0;
}

static int prepare_secrets(const App *a, const BerthPaths *p, PrepareReport *rep, Diagnostics *d) {
        int r;

        for (size_t i = 0; i < a->n_secrets; i++) {
                const Secret *s = &a->secrets[i];
                _cleanup_free_ char *path = berth_secret_path(p, a->id, s->name);
                _cleanup_free_ char *pname = berth_podman_secret_name(a->id, s->name);

                if (!path || !pname)
                        return -ENOMEM;
                r = secret_ensure(p, a->id, s);
                if (r == -ENODATA) {
                        if (s->generate)
                                diag_add_file(d, path, "secret '%s' is empty; it is never regenerated over existing data: restore it, or delete the file to have a new value generated", s->name);
                        else
                                diag_add_file(d, s->file, "secret '%s' comes from this file, which is empty, expected the secret's value", s->name);
                        return r;
                }
                if (r < 0) {
                        diag_add_file(d, s->generate ? path : s->file, "cannot provide secret '%s': %s", s->name, strerror(-r));
                        return r;
                }
                if (r > 0)
                        rep->secrets_created++;
                r = podman_secret_sync(pname, path);
                if (r < 0) {
                        diag_add_file(d, path, "cannot hand secret '%s' to podman as '%s': %s", s->name, pname,
                                      r == -EIO ? "podman secret create failed (see its message above)" : strerror(-r));
                        return r;
                }
                if (r > 0)
                        rep->podman_secrets_updated++;
        }
        return 0;
}

int app_prepare(const App *a, const BerthPaths *p, PrepareReport *report, Diagnostics *d) {
        _cleanup_free_ char *net = NULL;
        PrepareReport rep = {};
        int r;

        r = prepare_volumes(a, p, &rep, d);
        if (r < 0)
                return r;
        r = prepare_secrets(a, p, &rep, d);
        if (r < 0)
                return r;
        if (!(net = berth_network_name(a->id)))
                return -ENOMEM;
        r = podman_network_ensure(net);
        if (r < 0) {
                diag_add_file(d, net, "cannot create the app network: %s",
                              r == -EIO ? "podman network create failed (see its message above)" : strerror(-r));
                return r;
        }
        rep.network_created = r > 0;
        if (report)
                *report = rep;
        return 0;
}
