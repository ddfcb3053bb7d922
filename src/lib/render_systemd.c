/* render_systemd.c — the native rendering: one service per container running
 * `podman run` under systemd's supervision. Works with podman 4.3 (Debian 12)
 * and podman 5: health gating uses a wait step instead of --sdnotify=healthy,
 * which podman 4.3 lacks, so the same units serve both. */
#include "container_spec.h"
#include "render.h"
#include "scalar_parse.h"
#include "strv.h"
#include "unit_names.h"

/* podman's verb and the flags every berth container runs with. */
static const char *const podman_run_verb[] = {
        "run", "--replace", "--rm", "--detach", "--sdnotify=conmon", "--cgroups=split",
};

/* `podman run ...` for the container. The words point into run, opts and o,
 * which outlive the array: no copy of each word (~40 per container). */
static char **podman_run_argv(const RenderOptions *o, const PodmanRun *run, char *const *opts) {
        size_t n = 1 + ELEMENTSOF(podman_run_verb) + strv_length(opts) + 1 + strv_length(run->command) + 1, k = 0;
        char **argv = calloc(n, sizeof(char *));

        if (!argv)
                return NULL;
        argv[k++] = (char *) o->podman;
        for (size_t i = 0; i < ELEMENTSOF(podman_run_verb); i++)
                argv[k++] = (char *) podman_run_verb[i];
        STRV_FOREACH(w, opts)
                argv[k++] = *w;
        argv[k++] = run->image;
        STRV_FOREACH(w, run->command)
                argv[k++] = *w;
        return argv;
}

static int render_container(const App *a, const Container *c, const RenderOptions *o, UnitSet *s) {
        _cleanup_free_ char *name = unit_name_container(a->id, c->name);
        _cleanup_free_ char *pname = container_podman_name(a, c);
        _cleanup_(unit_file_freep) UnitFile *u = NULL;
        _cleanup_(podman_run_freep) PodmanRun *run = NULL;
        _cleanup_free_ char **opts = NULL; /* the words are run's */
        _cleanup_free_ char **argv = NULL; /* the words are not its own */
        char timeout[32], secs[DECIMAL_STR_MAX];
        int r;

        if (!name || !pname || !(u = render_unit_new(a, name)))
                return -ENOMEM;
        if ((r = render_container_unit_deps(a, c, o, u)) < 0)
                return r;
        if (c->build) {
                _cleanup_free_ char *b = unit_name_build(a->id, c->name);
                if (!b)
                        return -ENOMEM;
                if ((r = unit_file_comment(u, "Unit", "The image is built locally first.")) < 0 ||
                    (r = unit_file_add_raw(u, "Unit", "Requires", b)) < 0 ||
                    (r = unit_file_add_raw(u, "Unit", "After", b)) < 0)
                        return r;
        }
        if ((r = render_wants_network(u, o, "Published ports and image pulls want the network up.")) < 0)
                return r;

        if ((r = render_container_service_settings(a, c, u)) < 0)
                return r;
        if ((r = unit_file_comment(u, "Service", "podman finds its unit by this (auto-update, healthcheck timers).")) < 0 ||
            (r = unit_file_add_raw(u, "Service", "Environment", "PODMAN_SYSTEMD_UNIT=%n")) < 0 ||
            (r = unit_file_comment(u, "Service", "conmon reports READY and its own PID once the container runs (--sdnotify=conmon).")) < 0 ||
            (r = unit_file_add_raw(u, "Service", "Type", "notify")) < 0 ||
            (r = unit_file_add_raw(u, "Service", "NotifyAccess", "all")) < 0 ||
            (r = unit_file_comment(u, "Service", "--cgroups=split puts conmon and the container in sub-cgroups of this unit.")) < 0 ||
            (r = unit_file_add_raw(u, "Service", "Delegate", "yes")) < 0 ||
            (r = unit_file_comment(u, "Service", "SIGTERM goes to conmon only; podman stops the container itself (ExecStop=).")) < 0 ||
            (r = unit_file_add_raw(u, "Service", "KillMode", "mixed")) < 0)
                return r;

        r = container_spec_build(a, c, o->paths, &run);
        if (r < 0)
                return r;
        r = podman_run_option_words(run, &opts);
        if (r < 0)
                return r;
        argv = podman_run_argv(o, run, opts);
        if (!argv)
                return -ENOMEM;
        if ((r = unit_file_add_exec(u, "Service", "ExecStart", NULL, argv, true)) < 0)
                return r;

        if (c->health) {
                _cleanup_free_ char *helper = strjoin(o->libexecdir, "/berth-health-wait");
                if (!helper)
                        return -ENOMEM;
                char *const wait[] = { helper, pname, NULL };
                if ((r = unit_file_comment(u, "Service", "The unit is started only once the container is healthy, so depends_on waits for health.")) < 0 ||
                    (r = unit_file_add_exec(u, "Service", "ExecStartPost", NULL, wait, false)) < 0)
                        return r;
        }
        {
                stpcpy(stpcpy(timeout, "--time="), format_uint(secs, c->stop_timeout / USEC_PER_SEC));
                char *const stop[] = { (char *) o->podman, (char *) "stop", (char *) "--ignore", timeout, pname, NULL };
                char *const rm[] = { (char *) o->podman, (char *) "rm", (char *) "--force", (char *) "--ignore", pname, NULL };
                if ((r = unit_file_add_exec(u, "Service", "ExecStop", NULL, stop, false)) < 0 ||
                    (r = unit_file_comment(u, "Service", "Whatever happened, leave no container behind to block the next start.")) < 0 ||
                    (r = unit_file_add_exec(u, "Service", "ExecStopPost", "-", rm, false)) < 0)
                        return r;
        }
        return unit_set_add(s, TAKE_PTR(u));
}

int render_systemd(const App *a, const RenderOptions *o, UnitSet *ret) {
        UnitSet s = {};
        int r;

        r = render_app_units(a, o, &s, true);
        for (size_t i = 0; r >= 0 && i < a->n_containers; i++)
                r = render_container(a, &a->containers[i], o, &s);
        if (r < 0) {
                unit_set_done(&s);
                return r;
        }
        *ret = s;
        return 0;
}
