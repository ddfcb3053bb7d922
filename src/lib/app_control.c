/* app_control.c — the whole app up or down, waited for. */
#include <time.h>

#include "app_control.h"
#include "strv.h"
#include "systemd_client.h"
#include "unit_names.h"

int app_unit_names(const App *a, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        int r;

        if ((r = strv_consume(&l, unit_name_target(a->id))) < 0 || (r = strv_consume(&l, unit_name_prepare(a->id))) < 0)
                return r;
        for (size_t i = 0; i < a->n_containers; i++) {
                if ((r = strv_consume(&l, unit_name_container(a->id, a->containers[i].name))) < 0)
                        return r;
                if (a->containers[i].build && (r = strv_consume(&l, unit_name_build(a->id, a->containers[i].name))) < 0)
                        return r;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

/* > 0 when a container unit of the app is active or on its way up or down,
 * 0 when none is (the app was stopped, or never started), < 0 when systemd
 * cannot be asked: the caller then assumes it runs. The target and the
 * oneshots are not asked: a stopped app's prepare service stays active. */
int app_is_running(sd_bus *bus, const App *a) {
        for (size_t i = 0; i < a->n_containers; i++) {
                _cleanup_free_ char *unit = unit_name_container(a->id, a->containers[i].name), *state = NULL;
                int r;

                if (!unit)
                        return -ENOMEM;
                r = systemd_unit_active_state(bus, unit, &state);
                if (r < 0)
                        return r;
                if (!streq(state, "inactive") && !streq(state, "failed"))
                        return 1;
        }
        return 0;
}

static usec_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

int app_stop_wait(sd_bus *bus, const App *a, usec_t timeout, char **ret_failed) {
        _cleanup_strv_free_ char **units = NULL;
        _cleanup_free_ SystemdJob *jobs = NULL;
        usec_t deadline = now_usec() + timeout;
        size_t n;
        int r;

        r = app_unit_names(a, &units);
        if (r < 0)
                return r;
        n = strv_length(units);
        jobs = calloc(n, sizeof(SystemdJob));
        if (!jobs)
                return -ENOMEM;
        /* All jobs are queued before any is waited for: systemd orders them. */
        for (size_t i = 0; i < n; i++) {
                r = systemd_job_enqueue(bus, "StopUnit", units[i], &jobs[i]);
                if (r < 0)
                        goto out;
        }
        for (;;) {
                bool all = true;
                for (size_t i = 0; i < n; i++)
                        all = all && jobs[i].done;
                if (all)
                        break;
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        goto out;
                if (r > 0)
                        continue;
                usec_t t = now_usec();
                if (t >= deadline) {
                        r = -ETIMEDOUT;
                        goto out;
                }
                r = sd_bus_wait(bus, deadline - t);
                if (r < 0)
                        goto out;
        }
        r = 0;
        if (ret_failed) {
                *ret_failed = NULL;
                for (size_t i = 0; i < n; i++)
                        if (!streq_ptr(jobs[i].result, "done")) {
                                *ret_failed = strdup(units[i]);
                                break;
                        }
        }
out:
        for (size_t i = 0; i < n; i++)
                systemd_job_done(&jobs[i]);
        return r;
}

int app_start_wait(sd_bus *bus, const App *a, usec_t timeout, char **ret_result) {
        _cleanup_free_ char *target = unit_name_target(a->id);
        if (!target)
                return -ENOMEM;
        return systemd_unit_job(bus, "StartUnit", target, true, timeout, ret_result);
}
