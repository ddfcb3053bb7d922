/* render_systemd.c — the native rendering: one service per container running
 * `podman run` under systemd's supervision. Works with podman 4.3 (Debian 12)
 * and podman 5: health gating uses a wait step instead of --sdnotify=healthy,
 * which podman 4.3 lacks, so the same units serve both. */
#include "container_spec.h"
#include "render.h"
#include "strv.h"
#include "unit_names.h"

static int render_container(const App *a, const Container *c, const RenderOptions *o, UnitSet *s) {
        _cleanup_free_ char *name = unit_name_container(a->id, c->name);
        _cleanup_free_ char *pname = container_podman_name(a, c);
        _cleanup_(unit_file_freep) UnitFile *u = NULL;
        _cleanup_(podman_run_freep) PodmanRun *run = NULL;
        _cleanup_strv_free_ char **argv = NULL, **opts = NULL;
        char timeout[32];
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
        if ((r = unit_file_comment(u, "Unit", "Published ports and image pulls want the network up.")) < 0 ||
            (r = unit_file_add_raw(u, "Unit", "Wants", "network-online.target")) < 0 ||
            (r = unit_file_add_raw(u, "Unit", "After", "network-online.target")) < 0)
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
        if ((r = strv_extend(&argv, o->podman)) < 0 || (r = strv_extend(&argv, "run")) < 0 ||
            (r = strv_extend(&argv, "--replace")) < 0 || (r = strv_extend(&argv, "--rm")) < 0 ||
            (r = strv_extend(&argv, "--detach")) < 0 || (r = strv_extend(&argv, "--sdnotify=conmon")) < 0 ||
            (r = strv_extend(&argv, "--cgroups=split")) < 0)
                return r;
        STRV_FOREACH(w, opts)
                if ((r = strv_extend(&argv, *w)) < 0)
                        return r;
        if ((r = strv_extend(&argv, run->image)) < 0)
                return r;
        STRV_FOREACH(w, run->command)
                if ((r = strv_extend(&argv, *w)) < 0)
                        return r;
        if ((r = unit_file_add_exec(u, "Service", "ExecStart", NULL, argv, true)) < 0)
                return r;

        if (c->health) {
                _cleanup_strv_free_ char **wait = NULL;
                if ((r = strv_extendf(&wait, "%s/berth-health-wait", o->libexecdir)) < 0 ||
                    (r = strv_extend(&wait, pname)) < 0)
                        return r;
                if ((r = unit_file_comment(u, "Service", "The unit is started only once the container is healthy, so depends_on waits for health.")) < 0 ||
                    (r = unit_file_add_exec(u, "Service", "ExecStartPost", NULL, wait, false)) < 0)
                        return r;
        }
        {
                _cleanup_strv_free_ char **stop = NULL, **rm = NULL;
                snprintf(timeout, sizeof(timeout), "--time=%llu", (unsigned long long) (c->stop_timeout / USEC_PER_SEC));
                if ((r = strv_extend(&stop, o->podman)) < 0 || (r = strv_extend(&stop, "stop")) < 0 ||
                    (r = strv_extend(&stop, "--ignore")) < 0 || (r = strv_extend(&stop, timeout)) < 0 ||
                    (r = strv_extend(&stop, pname)) < 0)
                        return r;
                if ((r = strv_extend(&rm, o->podman)) < 0 || (r = strv_extend(&rm, "rm")) < 0 ||
                    (r = strv_extend(&rm, "--force")) < 0 || (r = strv_extend(&rm, "--ignore")) < 0 ||
                    (r = strv_extend(&rm, pname)) < 0)
                        return r;
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
