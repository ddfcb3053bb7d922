/* manager.c — berthd's life: connect, publish the objects, learn the current
 * state, take the name, serve, and leave when idle.
 *
 * Idle exit without periodic wakeups: one timer, armed only while nothing
 * keeps berthd alive (no subscriber, no job it started, no polkit check in
 * flight). A method call does not re-arm it (that would cost a syscall per
 * call); it records the time, and a timer that fires early is moved to the
 * end of the idle period. While something keeps berthd alive there is no
 * timer at all, and berthd sleeps in epoll until a message arrives. */
#include <malloc.h>
#include <signal.h>
#include <systemd/sd-daemon.h>

#include "app_source.h"
#include "berth_conf.h"
#include "berth_paths.h"
#include "berthd.h"
#include "log.h"
#include "manifest.h"
#include "strv.h"

/* Startup waits this long at most for systemd's answers before taking the name. */
#define STARTUP_TIMEOUT_USEC (10 * USEC_PER_SEC)

static bool manager_busy(Manager *m) {
        return m->n_jobs > 0 || m->polkit_queries || m->n_init_pending > 0 ||
               sd_bus_track_count(m->subscribers) > 0;
}

static int on_name_released(sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return sd_event_exit(m->event, 0);
}

static int on_idle(sd_event_source *s, uint64_t now, void *userdata) {
        Manager *m = userdata;
        usec_t deadline = m->last_activity + m->idle_timeout;
        int r;

        if (manager_busy(m))
                return sd_event_source_set_enabled(s, SD_EVENT_OFF);
        if (now < deadline) {
                r = sd_event_source_set_time(s, deadline);
                if (r >= 0)
                        r = sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
                return r;
        }
        log_info("Idle for %llu s, exiting", (unsigned long long) (m->idle_timeout / USEC_PER_SEC));
        m->exiting = true;
        /* Tell systemd first: a call that arrives from now on activates a new
         * instance once this one is gone, instead of finding us "running". */
        (void) sd_notify(false, "STOPPING=1");
        r = sd_bus_release_name_async(m->bus, NULL, BERTH_DBUS_NAME, on_name_released, m);
        if (r < 0)
                return sd_event_exit(m->event, 0);
        return 0;
}

void manager_check_idle(Manager *m) {
        int enabled = SD_EVENT_OFF, r = 0;

        if (!m->idle_timer || m->exiting)
                return;
        (void) sd_event_source_get_enabled(m->idle_timer, &enabled);
        if (manager_busy(m)) {
                if (enabled != SD_EVENT_OFF)
                        r = sd_event_source_set_enabled(m->idle_timer, SD_EVENT_OFF);
        } else if (enabled == SD_EVENT_OFF) {
                /* Just became idle (the last subscriber, job or check is gone):
                 * the idle period starts now. */
                usec_t now;
                if (sd_event_now(m->event, CLOCK_MONOTONIC, &now) >= 0)
                        m->last_activity = MAX(m->last_activity, now);
                r = sd_event_source_set_time(m->idle_timer, m->last_activity + m->idle_timeout);
                if (r >= 0)
                        r = sd_event_source_set_enabled(m->idle_timer, SD_EVENT_ONESHOT);
        }
        if (r < 0)
                log_errno(LOG_WARNING_LEVEL, r, "Failed to update the idle timer, ignoring");
}

/* Every method call addressed to us counts as use. systemd's JobRemoved
 * comes here too (see jobs.c for why it has no sd-bus match). */
static int on_message(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        usec_t now;

        if (sd_bus_message_is_method_call(msg, NULL, NULL) > 0) {
                if (sd_event_now(m->event, CLOCK_MONOTONIC, &now) >= 0)
                        m->last_activity = now;
        } else if (m->n_jobs > 0 && sd_bus_message_is_signal(msg, "org.freedesktop.systemd1.Manager", "JobRemoved") > 0 &&
                   streq_ptr(sd_bus_message_get_path(msg), "/org/freedesktop/systemd1") && units_from_systemd(m, msg))
                (void) berth_job_removed(m, msg);
        return 0;
}

void manager_trim_memory(void) {
        (void) malloc_trim(0);
}

BerthApp *manager_find_app(Manager *m, const char *id) {
        size_t lo = 0, hi = m->n_apps;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = strcmp(id, m->apps[mid]->id);
                if (c == 0)
                        return m->apps[mid];
                if (c < 0)
                        hi = mid;
                else
                        lo = mid + 1;
        }
        return NULL;
}

int manager_load_apps(Manager *m, bool emit) {
        _cleanup_(berth_conf_freep) BerthConf *conf = NULL;
        _cleanup_strv_free_ char **dirs = NULL;
        _cleanup_strv_free_ char **added = NULL;
        BerthApp **apps = NULL, **old = m->apps;
        AppSource *srcs = NULL;
        Diagnostics diag = {};
        size_t n_srcs = 0, n = 0, n_old = m->n_apps;
        int r;

        r = berth_conf_load(&conf, &diag);
        if (r < 0) {
                log_diagnostics(LOG_WARNING_LEVEL, &diag);
                log_errno(LOG_WARNING_LEVEL, r, "Failed to load '%s', going on without it", berth_conf_path());
        }
        diag_clear(&diag);
        r = app_search_dirs(SCOPE_SYSTEM, &dirs);
        if (r < 0)
                return r;
        r = app_sources_enumerate(dirs, &srcs, &n_srcs, &diag);
        if (r < 0)
                return r;
        diag_clear(&diag); /* the generator reports misnamed files */
        apps = calloc(n_srcs + 1, sizeof(*apps));
        if (!apps) {
                r = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < n_srcs; i++) {
                _cleanup_(app_freep) App *manifest = NULL;
                if (srcs[i].masked)
                        continue;
                r = manifest_load(&srcs[i], conf, &manifest, &diag);
                diag_clear(&diag);
                if (r < 0) {
                        /* The generator rendered nothing for it either. */
                        log_warning("App '%s' is not shown: its manifest is invalid ('berth validate %s' says why)",
                                    srcs[i].id, srcs[i].id);
                        continue;
                }
                r = berth_app_new(m, manifest, &apps[n]);
                if (r < 0) {
                        log_errno(LOG_WARNING_LEVEL, r, "Failed to set up app '%s', ignoring", manifest->id);
                        continue;
                }
                n++;
        }
        app_sources_free(srcs, n_srcs);
        srcs = NULL, n_srcs = 0;
        berth_conf_free(TAKE_PTR(conf));
        for (size_t k = 0; k < n;) {
                r = berth_app_watch_units(apps[k], manager_find_app(m, apps[k]->id));
                if (r < 0) {
                        log_errno(LOG_WARNING_LEVEL, r, "Failed to watch the units of app '%s', ignoring", apps[k]->id);
                        berth_app_free(apps[k]);
                        memmove(apps + k, apps + k + 1, (n - k - 1) * sizeof(*apps));
                        n--;
                        continue;
                }
                k++;
        }
        r = 0;

        /* Gone: announced while still reachable. */
        for (size_t i = 0; emit && i < n_old; i++) {
                bool kept = false;
                for (size_t k = 0; k < n && !kept; k++)
                        kept = streq(apps[k]->id, old[i]->id);
                if (!kept)
                        (void) sd_bus_emit_object_removed(m->bus, old[i]->path);
        }
        m->apps = apps;
        m->n_apps = n;
        apps = NULL;
        for (size_t k = 0; k < m->n_apps; k++) {
                BerthApp *a = m->apps[k], *was = NULL;
                for (size_t i = 0; i < n_old && !was; i++)
                        if (streq(old[i]->id, a->id))
                                was = old[i];
                if (was) {
                        if (emit)
                                berth_app_emit_manifest_changes(a, was);
                        continue;
                }
                (void) strv_extend(&added, a->id);
        }
        for (size_t i = 0; i < n_old; i++)
                berth_app_free(old[i]);
        free(old);
        /* New apps: their history first, then they are announced complete. */
        history_refresh_apps(m, added, false);
        STRV_FOREACH(id, added) {
                BerthApp *a = manager_find_app(m, *id);
                if (a && emit)
                        (void) sd_bus_emit_object_added(m->bus, a->path);
        }
out:
        app_sources_free(srcs, n_srcs);
        free(apps);
        diag_clear(&diag);
        berth_conf_free(TAKE_PTR(conf));
        manager_trim_memory();
        return r;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;
        return sd_event_exit(m->event, 0);
}

int manager_new(usec_t idle_timeout, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = NULL;
        BerthPaths paths = {};
        sigset_t ss;
        int r;

        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->idle_timeout = idle_timeout;
        r = sd_event_default(&m->event);
        if (r < 0)
                return r;
        sigemptyset(&ss);
        sigaddset(&ss, SIGTERM);
        sigaddset(&ss, SIGINT);
        if (sigprocmask(SIG_BLOCK, &ss, NULL) < 0)
                return -errno;
        if ((r = sd_event_add_signal(m->event, NULL, SIGTERM, on_signal, m)) < 0 ||
            (r = sd_event_add_signal(m->event, NULL, SIGINT, on_signal, m)) < 0)
                return r;
        /* The system bus, or DBUS_SYSTEM_BUS_ADDRESS (a private bus in tests). */
        r = sd_bus_open_system(&m->bus);
        if (r < 0)
                return r;
        r = sd_bus_attach_event(m->bus, m->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return r;
        r = berth_paths_init(SCOPE_SYSTEM, &paths);
        if (r < 0)
                return r;
        m->state_dir = TAKE_PTR(paths.state_dir);
        berth_paths_done(&paths);
        m->db_path = state_db_path(m->state_dir);
        if (!m->db_path)
                return -ENOMEM;
        *ret = TAKE_PTR(m);
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        while (m->n_jobs > 0)
                berth_job_free(m->jobs[0]);
        polkit_queries_free(m);
        free(m->jobs);
        for (size_t i = 0; i < m->n_apps; i++)
                berth_app_free(m->apps[i]);
        free(m->apps);
        sd_bus_track_unref(m->subscribers);
        sd_bus_slot_unref(m->reloading_match);
        sd_bus_slot_unref(m->subscribe_call);
        sd_bus_slot_unref(m->owner_call);
        sd_bus_slot_unref(m->owner_match);
        sd_bus_slot_unref(m->list_call);
        free(m->systemd_owner);
        sd_event_source_disable_unref(m->db_watch);
        sd_event_source_disable_unref(m->db_settle);
        sd_event_source_disable_unref(m->idle_timer);
        sd_bus_flush_close_unref(m->bus);
        sd_event_unref(m->event);
        free(m->state_dir);
        free(m->db_path);
        free(m);
        return NULL;
}

static bool startup_pending(Manager *m) {
        if (m->subscribe_call || m->owner_call || m->list_call)
                return true;
        for (size_t i = 0; i < m->n_apps; i++)
                if (m->apps[i]->timer && m->apps[i]->timer->fetch)
                        return true;
        return false;
}

int manager_start(Manager *m) {
        usec_t deadline, now;
        int r;

        if ((r = sd_bus_add_object_manager(m->bus, NULL, BERTH_DBUS_PATH)) < 0 ||
            (r = sd_bus_add_object_vtable(m->bus, NULL, BERTH_DBUS_PATH, BERTH_DBUS_MANAGER, berth_manager_vtable, m)) < 0 ||
            (r = sd_bus_add_fallback_vtable(m->bus, NULL, BERTH_DBUS_APP_PREFIX, BERTH_DBUS_APP, berth_app_vtable,
                                            berth_app_object_find, m)) < 0 ||
            (r = sd_bus_add_node_enumerator(m->bus, NULL, BERTH_DBUS_APP_PREFIX, berth_app_node_enumerator, m)) < 0 ||
            (r = sd_bus_add_fallback_vtable(m->bus, NULL, BERTH_DBUS_JOB_PREFIX, BERTH_DBUS_JOB, berth_job_vtable,
                                            berth_job_object_find, m)) < 0 ||
            (r = sd_bus_add_node_enumerator(m->bus, NULL, BERTH_DBUS_JOB_PREFIX, berth_job_node_enumerator, m)) < 0 ||
            (r = sd_bus_add_filter(m->bus, NULL, on_message, m)) < 0)
                return log_errno(LOG_ERR_LEVEL, r, "Failed to publish berthd's objects");

        r = units_subscribe(m);
        if (r < 0)
                return log_errno(LOG_ERR_LEVEL, r, "Failed to subscribe to systemd's signals");
        r = manager_load_apps(m, false);
        if (r < 0)
                return log_errno(LOG_ERR_LEVEL, r, "Failed to load the apps");
        r = history_watch(m);
        if (r < 0)
                log_errno(LOG_WARNING_LEVEL, r, "Failed to watch '%s': the job history is read at startup only",
                          m->state_dir);
        r = units_fetch_all(m, true);
        if (r < 0)
                return log_errno(LOG_ERR_LEVEL, r, "Failed to ask systemd for the unit states");

        /* The first caller (the one that activated us) must see real states:
         * wait for systemd's answers before taking the name. */
        deadline = (sd_event_now(m->event, CLOCK_MONOTONIC, &now) >= 0 ? now : 0) + STARTUP_TIMEOUT_USEC;
        m->n_init_pending = 1;
        while (startup_pending(m)) {
                r = sd_bus_process(m->bus, NULL);
                if (r < 0)
                        return log_errno(LOG_ERR_LEVEL, r, "Failed to process the bus");
                if (r > 0)
                        continue;
                r = sd_event_now(m->event, CLOCK_MONOTONIC, &now);
                if (r >= 0 && now >= deadline) {
                        log_warning("systemd did not answer within %llu s, going on with what is known",
                                    (unsigned long long) (STARTUP_TIMEOUT_USEC / USEC_PER_SEC));
                        break;
                }
                r = sd_bus_wait(m->bus, deadline - now);
                if (r < 0)
                        return log_errno(LOG_ERR_LEVEL, r, "Failed to wait for the bus");
        }
        m->n_init_pending = 0;

        r = sd_bus_request_name(m->bus, BERTH_DBUS_NAME, 0);
        if (r < 0)
                return log_errno(LOG_ERR_LEVEL, r, "Failed to acquire the name '%s'", BERTH_DBUS_NAME);
        if (m->idle_timeout > 0) {
                r = sd_event_add_time(m->event, &m->idle_timer, CLOCK_MONOTONIC, UINT64_MAX, USEC_PER_SEC, on_idle, m);
                if (r >= 0)
                        r = sd_event_source_set_enabled(m->idle_timer, SD_EVENT_OFF);
                if (r < 0)
                        return log_errno(LOG_ERR_LEVEL, r, "Failed to set up the idle timer");
        }
        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &m->last_activity);
        manager_check_idle(m);
        manager_trim_memory();
        log_info("Serving %zu app%s as %s", m->n_apps, m->n_apps == 1 ? "" : "s", BERTH_DBUS_NAME);
        return 0;
}

int manager_run(Manager *m) {
        int r = sd_event_loop(m->event);
        if (r < 0)
                return log_errno(LOG_ERR_LEVEL, r, "Event loop failed");
        return 0;
}
