/* systemd_client.c — systemd jobs over sd-bus. */
#include <time.h>

#include "strv.h"
#include "systemd_client.h"

#define DEST "org.freedesktop.systemd1"
#define PATH "/org/freedesktop/systemd1"
#define MANAGER "org.freedesktop.systemd1.Manager"

int systemd_bus_open(bool user, sd_bus **ret) {
        return user ? sd_bus_open_user(ret) : sd_bus_open_system(ret);
}

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        SystemdJob *j = userdata;
        const char *path, *unit, *result;
        uint32_t id;

        if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
                return 0;
        if (j->path && streq(path, j->path) && !j->done) {
                j->result = strdup(result);
                j->done = true;
        }
        return 0;
}

static usec_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

void systemd_job_done(SystemdJob *j) {
        sd_bus_slot_unref(j->slot);
        free(j->path);
        free(j->result);
        *j = (SystemdJob) {};
}

/* Match first, then enqueue: the signal cannot slip past us. The job path is
 * only known from the reply, so JobRemoved signals that arrive before it are
 * matched once it is set (sd_bus queues them). */
static int job_watch(sd_bus *bus, SystemdJob *j) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        *j = (SystemdJob) {};
        r = sd_bus_match_signal(bus, &j->slot, DEST, PATH, MANAGER, "JobRemoved", on_job_removed, j);
        if (r < 0)
                return r;
        r = sd_bus_call_method(bus, DEST, PATH, MANAGER, "Subscribe", &error, NULL, NULL);
        if (r < 0 && !sd_bus_error_has_name(&error, "org.freedesktop.systemd1.AlreadySubscribed")) {
                systemd_job_done(j);
                return r;
        }
        return 0;
}

/* The job object path from the reply of a call that queued a job (r: the
 * call's result); on any failure the watch is dropped. */
static int job_take_reply(SystemdJob *j, int r, sd_bus_message *reply) {
        const char *p;

        if (r >= 0)
                r = sd_bus_message_read(reply, "o", &p);
        if (r >= 0 && !(j->path = strdup(p)))
                r = -ENOMEM;
        if (r < 0)
                systemd_job_done(j);
        return r < 0 ? r : 0;
}

int systemd_job_enqueue(sd_bus *bus, const char *method, const char *unit, SystemdJob *j) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = job_watch(bus, j);
        if (r < 0)
                return r;
        r = sd_bus_call_method(bus, DEST, PATH, MANAGER, method, NULL, &reply, "ss", unit, "replace");
        return job_take_reply(j, r, reply);
}

int systemd_unit_job(sd_bus *bus, const char *method, const char *unit, bool wait, usec_t timeout,
                     char **ret_result) {
        SystemdJob j;
        usec_t deadline;
        int r;

        r = systemd_job_enqueue(bus, method, unit, &j);
        if (r < 0)
                return r;
        if (!wait) {
                systemd_job_done(&j);
                return 0;
        }
        deadline = timeout ? now_usec() + timeout : 0;
        while (!j.done) {
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        goto out;
                if (r > 0)
                        continue;
                usec_t left = UINT64_MAX;
                if (deadline) {
                        usec_t n = now_usec();
                        if (n >= deadline) {
                                r = -ETIMEDOUT;
                                goto out;
                        }
                        left = deadline - n;
                }
                r = sd_bus_wait(bus, left);
                if (r < 0)
                        goto out;
        }
        r = j.result ? 0 : -ENOMEM;
        if (r >= 0 && ret_result)
                *ret_result = TAKE_PTR(j.result);
out:
        systemd_job_done(&j);
        return r;
}

int systemd_daemon_reload(sd_bus *bus) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, DEST, PATH, MANAGER, "Reload");
        if (r < 0)
                return r;
        /* The reply comes once the generators ran and the units are loaded again:
         * on a big machine that is more than sd-bus's default 25 s. */
        return sd_bus_call(bus, m, 5 * 60 * USEC_PER_SEC, &error, &reply);
}

/* The unit's object path (loading it if need be). */
static int unit_path(sd_bus *bus, const char *unit, char **ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *p;
        int r;

        r = sd_bus_call_method(bus, DEST, PATH, MANAGER, "LoadUnit", &error, &reply, "s", unit);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "o", &p);
        if (r < 0)
                return r;
        *ret = strdup(p);
        return *ret ? 0 : -ENOMEM;
}

int systemd_unit_active_state(sd_bus *bus, const char *unit, char **ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *path = NULL;
        int r;

        r = unit_path(bus, unit, &path);
        if (r < 0)
                return r;
        return sd_bus_get_property_string(bus, DEST, path, "org.freedesktop.systemd1.Unit", "ActiveState", &error, ret);
}

int systemd_unit_needs_reload(sd_bus *bus, const char *unit) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *path = NULL;
        int b = 0, r;

        r = unit_path(bus, unit, &path);
        if (r < 0)
                return r;
        r = sd_bus_get_property_trivial(bus, DEST, path, "org.freedesktop.systemd1.Unit", "NeedDaemonReload", &error, 'b', &b);
        return r < 0 ? r : b != 0;
}

static int append_strv_property(sd_bus_message *m, const char *name, char *const *l) {
        int r = sd_bus_message_open_container(m, 'r', "sv");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", name);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'v', "as");
        if (r >= 0)
                r = sd_bus_message_append_strv(m, (char **) l);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

static int append_exec_start(sd_bus_message *m, char *const *argv) {
        int r = sd_bus_message_open_container(m, 'r', "sv");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", "ExecStart");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'v', "a(sasb)");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(sasb)");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'r', "sasb");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", argv[0]);
        if (r >= 0)
                r = sd_bus_message_append_strv(m, (char **) argv);
        if (r >= 0)
                r = sd_bus_message_append(m, "b", false);
        for (int i = 0; r >= 0 && i < 4; i++)
                r = sd_bus_message_close_container(m);
        return r;
}

int systemd_transient_message_new(sd_bus *bus, const char *unit, const char *description, char *const *argv,
                                  char *const *env, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, DEST, PATH, MANAGER, "StartTransientUnit");
        if (r >= 0)
                r = sd_bus_message_append(m, "ss", unit, "fail");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r >= 0)
                r = sd_bus_message_append(m, "(sv)", "Description", "s", description);
        if (r >= 0)
                r = sd_bus_message_append(m, "(sv)", "Type", "s", "oneshot");
        /* Gone once finished, failed or not: the next run may reuse the name. */
        if (r >= 0)
                r = sd_bus_message_append(m, "(sv)", "CollectMode", "s", "inactive-or-failed");
        if (r >= 0 && env)
                r = append_strv_property(m, "Environment", env);
        if (r >= 0)
                r = append_exec_start(m, argv);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_append(m, "a(sa(sv))", 0);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

int systemd_run_transient(sd_bus *bus, const char *unit, const char *description, char *const *argv,
                          char *const *env, SystemdJob *j) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        int r;

        r = job_watch(bus, j);
        if (r < 0)
                return r;
        r = systemd_transient_message_new(bus, unit, description, argv, env, &m);
        if (r >= 0)
                r = sd_bus_call(bus, m, 0, NULL, &reply);
        return job_take_reply(j, r, reply);
}
