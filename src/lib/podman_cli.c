/* podman_cli.c — podman invocations. */
#include <sys/stat.h>

#include "podman_cli.h"
#include "spawn.h"
#include "strv.h"

static int podman(char *const *args, bool capture, bool quiet, int *ret_status, char **ret_out) {
        _cleanup_strv_free_ char **argv = NULL;
        SpawnOptions o = { .stdin_fd = -1, .capture_stdout = capture, .quiet_stderr = quiet };
        int r;

        if ((r = strv_extend(&argv, BERTH_PODMAN)) < 0)
                return r;
        STRV_FOREACH(a, args)
                if ((r = strv_extend(&argv, *a)) < 0)
                        return r;
        return spawn_run(argv, &o, ret_status, ret_out);
}

int podman_network_ensure(const char *name) {
        char *exists[] = { "network", "exists", (char *) name, NULL };
        char *create[] = { "network", "create", (char *) name, NULL };
        int r, st;

        r = podman(exists, false, true, &st, NULL);
        if (r < 0)
                return r;
        if (st == 0)
                return 0;
        r = podman(create, true, false, &st, NULL);
        if (r < 0)
                return r;
        if (st != 0) {
                /* Lost a race with a concurrent create? Then it exists now. */
                r = podman(exists, false, true, &st, NULL);
                if (r < 0)
                        return r;
                return st == 0 ? 0 : -EIO;
        }
        return 1;
}

int podman_secret_sync(const char *name, const char *file) {
        _cleanup_free_ char *label = NULL, *want = NULL, *out = NULL;
        struct stat st;
        int r, status;

        if (stat(file, &st) < 0)
                return -errno;
        if (asprintf(&want, "%llu:%llu:%llu:%lld.%09ld", (unsigned long long) st.st_dev,
                     (unsigned long long) st.st_ino, (unsigned long long) st.st_size,
                     (long long) st.st_mtim.tv_sec, st.st_mtim.tv_nsec) < 0)
                return -ENOMEM;
        {
                char *inspect[] = { "secret", "inspect", "--format", "{{index .Spec.Labels \"berth.source\"}}", (char *) name, NULL };
                r = podman(inspect, true, true, &status, &out);
                if (r < 0)
                        return r;
                if (status == 0) {
                        out[strcspn(out, "\n")] = 0;
                        if (streq(out, want))
                                return 0;
                        char *rm[] = { "secret", "rm", (char *) name, NULL };
                        r = podman(rm, true, true, &status, NULL);
                        if (r < 0)
                                return r;
                }
        }
        if (asprintf(&label, "berth.source=%s", want) < 0)
                return -ENOMEM;
        char *create[] = { "secret", "create", "--label", label, (char *) name, (char *) file, NULL };
        r = podman(create, true, false, &status, NULL);
        if (r < 0)
                return r;
        return status == 0 ? 1 : -EIO;
}

int podman_object_remove(const char *kind, const char *name) {
        char *rm[] = { (char *) kind, "rm", (char *) name, NULL };
        char *inspect[] = { (char *) kind, "inspect", (char *) name, NULL };
        int r, st;

        r = podman(rm, true, true, &st, NULL);
        if (r < 0)
                return r;
        if (st == 0)
                return 1;
        /* Not there (podman 4.3 and 5 word that differently), or in use? */
        r = podman(inspect, true, true, &st, NULL);
        if (r < 0)
                return r;
        return st == 0 ? -EIO : 0;
}

int podman_container_inspect(const char *name, char **ret_json) {
        char *inspect[] = { "container", "inspect", (char *) name, NULL };
        _cleanup_free_ char *out = NULL;
        int r, status;

        r = podman(inspect, true, true, &status, &out);
        if (r < 0)
                return r;
        if (status != 0)
                return -ENOENT;
        *ret_json = TAKE_PTR(out);
        return 0;
}

int podman_exec(const char *name, char *const *argv, char **env_extra, int *ret_status) {
        _cleanup_strv_free_ char **args = NULL;
        int r;

        if ((r = strv_extend(&args, "exec")) < 0)
                return r;
        STRV_FOREACH(e, env_extra)
                if ((r = strv_extendf(&args, "--env=%s", *e)) < 0)
                        return r;
        if ((r = strv_extend(&args, name)) < 0)
                return r;
        STRV_FOREACH(a, argv)
                if ((r = strv_extend(&args, *a)) < 0)
                        return r;
        return podman(args, false, false, ret_status, NULL);
}
