/* jobs.c — Backup() and Restore(): the helpers run as units started through
 * systemd's D-Bus API (berth-backup@APP.service from its template; the
 * transient berth-restore@APP.service that `berth restore` starts too), and
 * each run is a job object /org/berth1/job/<n> from systemd's answer to
 * systemd's JobRemoved for that start job, announced by JobNew and JobRemoved.
 * The outcome is the helper's own record in the job history. */
#include <inttypes.h>
#include <time.h>

#include "berthd.h"
#include "log.h"
#include "restore_unit.h"
#include "strv.h"
#include "systemd_client.h"
#include "unit_names.h"

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"

static usec_t now_realtime(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

BerthJob *berth_job_free(BerthJob *j) {
        Manager *m;

        if (!j)
                return NULL;
        m = j->manager;
        for (size_t i = 0; i < m->n_jobs; i++)
                if (m->jobs[i] == j) {
                        memmove(m->jobs + i, m->jobs + i + 1, (m->n_jobs - i - 1) * sizeof(*m->jobs));
                        m->n_jobs--;
                        break;
                }
        sd_bus_slot_unref(j->call);
        if (j->match_rule && !m->exiting)
                (void) sd_bus_call_method_async(m->bus, NULL, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                                "org.freedesktop.DBus", "RemoveMatch", NULL, NULL, "s", j->match_rule);
        free(j->match_rule);
        sd_bus_message_unref(j->request);
        free(j->path);
        free(j->app);
        free(j->kind);
        free(j->unit);
        free(j->systemd_job);
        free(j);
        return NULL;
}

static int job_new(Manager *m, const char *app, const char *kind, const char *unit, BerthJob **ret) {
        BerthJob *j, **l;

        l = realloc(m->jobs, (m->n_jobs + 1) * sizeof(*l));
        if (!l)
                return -ENOMEM;
        m->jobs = l;
        j = calloc(1, sizeof(*j));
        if (!j)
                return -ENOMEM;
        m->jobs[m->n_jobs++] = j;
        *j = (BerthJob) {
                .manager = m, .id = ++m->last_job_id, .app = strdup(app), .kind = strdup(kind),
                .unit = strdup(unit), .started_at = now_realtime(),
        };
        if (!j->app || !j->kind || !j->unit || asprintf(&j->path, BERTH_DBUS_JOB_PREFIX "/%" PRIu32, j->id) < 0) {
                j->path = NULL;
                berth_job_free(j);
                return -ENOMEM;
        }
        *ret = j;
        return 0;
}

/* The helper's record of this run: the newest row of app and kind that began
 * after the request, or (a start that joined a run already going) ended after
 * it. Without one (the helper did not get as far as recording), systemd's
 * job result says it. */
static char *job_outcome(BerthJob *j, const char *systemd_result) {
        Job *rows = NULL;
        size_t n = 0;
        const char *s = NULL;
        char *ret;
        int r;

        r = history_read_jobs(j->manager, j->app, 20, &rows, &n);
        if (r < 0)
                log_errno(LOG_WARNING_LEVEL, r, "Failed to read the job history, ignoring");
        for (size_t i = 0; i < n && !s; i++)
                if (streq_ptr(rows[i].kind, j->kind) &&
                    (rows[i].started_at >= j->started_at || rows[i].finished_at >= j->started_at))
                        s = job_status_to_string(rows[i].status);
        if (!s)
                s = job_status_to_string(streq_ptr(systemd_result, "done") ? JOB_SUCCEEDED : JOB_FAILED);
        ret = strdup(s);
        jobs_free(rows, n);
        return ret;
}

static void job_finish(BerthJob *j, const char *systemd_result) {
        Manager *m = j->manager;
        _cleanup_free_ char *result = job_outcome(j, systemd_result);
        int r;

        /* Properties first: a client reacting to JobRemoved reads them fresh. */
        history_refresh_apps(m, (char *[]) { j->app, NULL }, true);
        log_info("Job %" PRIu32 " (%s of '%s', %s) finished: %s", j->id, j->kind, j->app, j->unit, result ?: "failed");
        r = sd_bus_emit_signal(m->bus, BERTH_DBUS_PATH, BERTH_DBUS_MANAGER, "JobRemoved", "uosss", j->id, j->path,
                               j->app, j->kind, result ?: "failed");
        if (r < 0)
                log_errno(LOG_WARNING_LEVEL, r, "Failed to emit JobRemoved, ignoring");
        (void) sd_bus_emit_object_removed(m->bus, j->path);
        berth_job_free(j);
        manager_trim_memory();
        manager_check_idle(m);
}

int berth_job_removed(Manager *m, sd_bus_message *msg) {
        const char *path, *unit, *result;
        uint32_t id;

        if (sd_bus_message_read(msg, "uoss", &id, &path, &unit, &result) < 0)
                return 0;
        /* Two starts of one unit share systemd's job: finish each. */
        for (size_t i = 0; i < m->n_jobs;)
                if (streq_ptr(m->jobs[i]->systemd_job, path))
                        job_finish(m->jobs[i], result);
                else
                        i++;
        return 0;
}

static int on_start_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        BerthJob *j = userdata;
        Manager *m = j->manager;
        const sd_bus_error *e;
        const char *p;
        int r;

        j->call = sd_bus_slot_unref(j->call);
        e = sd_bus_message_get_error(reply);
        if (e) {
                log_warning("Failed to start '%s': %s", j->unit, strempty(e->message));
                (void) sd_bus_reply_method_error(j->request, e);
                goto fail;
        }
        r = sd_bus_message_read(reply, "o", &p);
        if (r >= 0) {
                j->systemd_job = strdup(p);
                r = j->systemd_job ? 0 : -ENOMEM;
        }
        if (r < 0) {
                (void) sd_bus_reply_method_errno(j->request, r, NULL);
                goto fail;
        }
        log_info("Job %" PRIu32 ": %s of '%s' started (%s, %s)", j->id, j->kind, j->app, j->unit, j->systemd_job);
        r = sd_bus_emit_signal(m->bus, BERTH_DBUS_PATH, BERTH_DBUS_MANAGER, "JobNew", "uoss", j->id, j->path, j->app,
                               j->kind);
        if (r < 0)
                log_errno(LOG_WARNING_LEVEL, r, "Failed to emit JobNew, ignoring");
        (void) sd_bus_emit_object_added(m->bus, j->path);
        (void) sd_bus_reply_method_return(j->request, "o", j->path);
        j->request = sd_bus_message_unref(j->request);
        return 0;
fail:
        berth_job_free(j);
        manager_check_idle(m);
        return 0;
}

/* Watches for the end first, then asks systemd: JobRemoved cannot slip by.
 * The bus daemon filters JobRemoved by unit (arg2), so that the jobs of the
 * rest of the host do not wake us; the match is added with a plain AddMatch
 * call rather than sd_bus_add_match(), because sd-bus (at least 252) fails to
 * match argN locally when an integer argument precedes it (JobRemoved is
 * uoss), and would drop the signal. manager.c hands it to
 * berth_job_removed(). */
static int job_begin(Manager *m, sd_bus_message *request, const char *app, const char *kind, const char *unit,
                     sd_bus_message *call) {
        BerthJob *j;
        int r;

        r = job_new(m, app, kind, unit, &j);
        if (r < 0)
                return r;
        j->request = sd_bus_message_ref(request);
        if (asprintf(&j->match_rule, "type='signal',sender='" SD_DEST "',path='" SD_PATH "',interface='" SD_MANAGER "',"
                                     "member='JobRemoved',arg2='%s'", unit) < 0) {
                j->match_rule = NULL;
                berth_job_free(j);
                return -ENOMEM;
        }
        r = sd_bus_call_method_async(m->bus, NULL, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                     "AddMatch", NULL, NULL, "s", j->match_rule);
        if (r >= 0)
                r = sd_bus_call_async(m->bus, &j->call, call, on_start_reply, j, 0);
        if (r < 0) {
                berth_job_free(j);
                return r;
        }
        manager_check_idle(m);
        return 1;
}

int berth_job_start_backup(Manager *m, sd_bus_message *request, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        _cleanup_free_ char *unit = NULL;
        const char *app;
        int r;

        r = sd_bus_message_rewind(request, true);
        if (r >= 0)
                r = sd_bus_message_read(request, "s", &app);
        if (r < 0)
                return r;
        if (!manager_find_app(m, app))
                return sd_bus_error_setf(error, BERTH_DBUS_ERROR_NO_SUCH_APP, "No app '%s' is installed", app);
        unit = unit_name_backup(app);
        if (!unit)
                return -ENOMEM;
        r = sd_bus_message_new_method_call(m->bus, &call, SD_DEST, SD_PATH, SD_MANAGER, "StartUnit");
        if (r >= 0)
                r = sd_bus_message_append(call, "ss", unit, "replace");
        if (r < 0)
                return r;
        return job_begin(m, request, app, "backup", unit, call);
}

int berth_job_start_restore(Manager *m, sd_bus_message *request, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        _cleanup_(restore_unit_done) RestoreUnit u = {};
        _cleanup_strv_free_ char **volumes = NULL;
        const char *app, *snapshot;
        int r;

        r = sd_bus_message_rewind(request, true);
        if (r >= 0)
                r = sd_bus_message_read(request, "ss", &app, &snapshot);
        if (r >= 0)
                r = sd_bus_message_read_strv(request, &volumes);
        if (r < 0)
                return r;
        if (!manager_find_app(m, app))
                return sd_bus_error_setf(error, BERTH_DBUS_ERROR_NO_SUCH_APP, "No app '%s' is installed", app);
        r = restore_unit_new(app, snapshot, volumes, &u);
        if (r < 0)
                return r;
        r = systemd_transient_message_new(m->bus, u.unit, RESTORE_UNIT_DESCRIPTION, u.argv, u.env, &call);
        if (r < 0)
                return r;
        return job_begin(m, request, app, "restore", u.unit, call);
}

static int property_get_job_app(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        BerthJob *j = userdata;
        BerthApp *a = manager_find_app(j->manager, j->app);
        return sd_bus_message_append(reply, "o", a ? a->path : "/");
}

const sd_bus_vtable berth_job_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Id", "u", NULL, offsetof(BerthJob, id), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("App", "s", NULL, offsetof(BerthJob, app), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("AppObject", "o", property_get_job_app, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Kind", "s", NULL, offsetof(BerthJob, kind), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Unit", "s", NULL, offsetof(BerthJob, unit), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("StartedAt", "t", NULL, offsetof(BerthJob, started_at), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_VTABLE_END,
};

int berth_job_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                          sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_free_ char *s = NULL;
        char *end;
        unsigned long id;

        if (sd_bus_path_decode(path, BERTH_DBUS_JOB_PREFIX, &s) <= 0 || !*s)
                return 0;
        errno = 0;
        id = strtoul(s, &end, 10);
        if (errno || *end || id == 0 || id > UINT32_MAX)
                return 0;
        for (size_t i = 0; i < m->n_jobs; i++)
                /* Visible once systemd accepted it (JobNew), until JobRemoved. */
                if (m->jobs[i]->id == id && m->jobs[i]->systemd_job) {
                        *found = m->jobs[i];
                        return 1;
                }
        return 0;
}

int berth_job_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_strv_free_ char **l = NULL;
        int r;

        for (size_t i = 0; i < m->n_jobs; i++)
                if (m->jobs[i]->systemd_job && (r = strv_extend(&l, m->jobs[i]->path)) < 0)
                        return r;
        *nodes = TAKE_PTR(l);
        return 1;
}
