/* berth_dbus.c — the wire format of org.berth1's lists. */
#include "berth_dbus.h"
#include "strv.h"

static char *strdup_or_null(const char *s) {
        return isempty(s) ? NULL : strdup(s);
}

void app_summary_done(AppSummary *s) {
        free(s->id);
        free(s->name);
        free(s->version);
        free(s->active_state);
        free(s->sub_state);
        free(s->health);
        free(s->last_backup_result);
        free(s->path);
        *s = (AppSummary) {};
}

void app_summaries_free(AppSummary *s, size_t n) {
        for (size_t i = 0; s && i < n; i++)
                app_summary_done(&s[i]);
        free(s);
}

int berth_dbus_append_app_summary(sd_bus_message *m, const AppSummary *s) {
        return sd_bus_message_append(m, BERTH_DBUS_APP_SUMMARY, s->id, strempty(s->name), strempty(s->version),
                                     strempty(s->active_state), strempty(s->sub_state), strempty(s->health), s->enabled,
                                     (uint64_t) s->last_backup, strempty(s->last_backup_result), (uint64_t) s->next_backup,
                                     s->path);
}

int berth_dbus_read_app_summaries(sd_bus_message *m, AppSummary **ret, size_t *ret_n) {
        AppSummary *l = NULL;
        size_t n = 0;
        int r;

        r = sd_bus_message_enter_container(m, 'a', BERTH_DBUS_APP_SUMMARY);
        if (r < 0)
                return r;
        for (;;) {
                const char *id, *name, *version, *active, *sub, *health, *result, *path;
                uint64_t last, next;
                int enabled;

                r = sd_bus_message_read(m, BERTH_DBUS_APP_SUMMARY, &id, &name, &version, &active, &sub, &health,
                                        &enabled, &last, &result, &next, &path);
                if (r < 0)
                        goto fail;
                if (r == 0)
                        break;
                AppSummary *nl = realloc(l, (n + 1) * sizeof(*l));
                if (!nl) {
                        r = -ENOMEM;
                        goto fail;
                }
                l = nl;
                l[n] = (AppSummary) {
                        .id = strdup(id), .name = strdup(name), .version = strdup(version),
                        .active_state = strdup(active), .sub_state = strdup(sub), .health = strdup(health),
                        .enabled = enabled, .last_backup = last, .last_backup_result = strdup(result),
                        .next_backup = next, .path = strdup(path),
                };
                n++;
                if (!l[n - 1].id || !l[n - 1].name || !l[n - 1].version || !l[n - 1].active_state ||
                    !l[n - 1].sub_state || !l[n - 1].health || !l[n - 1].last_backup_result || !l[n - 1].path) {
                        r = -ENOMEM;
                        goto fail;
                }
        }
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                goto fail;
        *ret = l;
        *ret_n = n;
        return 0;
fail:
        app_summaries_free(l, n);
        return r;
}

int berth_dbus_append_job(sd_bus_message *m, const Job *j) {
        return sd_bus_message_append(m, BERTH_DBUS_JOB_RECORD, j->id, strempty(j->app), strempty(j->kind),
                                     strempty(job_status_to_string(j->status)), (uint64_t) j->started_at,
                                     (uint64_t) j->finished_at, (int32_t) j->exit_code, strempty(j->stats_json),
                                     strempty(j->error), strempty(j->invocation_id), strempty(j->snapshot_id));
}

int berth_dbus_read_jobs(sd_bus_message *m, Job **ret, size_t *ret_n) {
        Job *l = NULL;
        size_t n = 0;
        int r;

        r = sd_bus_message_enter_container(m, 'a', BERTH_DBUS_JOB_RECORD);
        if (r < 0)
                return r;
        for (;;) {
                const char *app, *kind, *status, *stats, *error, *invocation, *snapshot;
                uint64_t started, finished;
                int64_t id;
                int32_t exit_code;

                r = sd_bus_message_read(m, BERTH_DBUS_JOB_RECORD, &id, &app, &kind, &status, &started, &finished,
                                        &exit_code, &stats, &error, &invocation, &snapshot);
                if (r < 0)
                        goto fail;
                if (r == 0)
                        break;
                int s = job_status_from_string(status);
                if (s < 0) {
                        r = -EBADMSG;
                        goto fail;
                }
                Job *nl = realloc(l, (n + 1) * sizeof(*l));
                if (!nl) {
                        r = -ENOMEM;
                        goto fail;
                }
                l = nl;
                l[n++] = (Job) {
                        .id = id, .app = strdup(app), .kind = strdup(kind), .status = s, .started_at = started,
                        .finished_at = finished, .exit_code = exit_code, .stats_json = strdup_or_null(stats),
                        .error = strdup_or_null(error), .invocation_id = strdup_or_null(invocation),
                        .snapshot_id = strdup_or_null(snapshot),
                };
                if (!l[n - 1].app || !l[n - 1].kind || (!isempty(stats) && !l[n - 1].stats_json) ||
                    (!isempty(error) && !l[n - 1].error) || (!isempty(invocation) && !l[n - 1].invocation_id) ||
                    (!isempty(snapshot) && !l[n - 1].snapshot_id)) {
                        r = -ENOMEM;
                        goto fail;
                }
        }
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                goto fail;
        *ret = l;
        *ret_n = n;
        return 0;
fail:
        jobs_free(l, n);
        return r;
}

int berth_dbus_append_snapshot(sd_bus_message *m, const SnapshotInfo *s) {
        int r;

        r = sd_bus_message_open_container(m, 'r', "ssstssxasas");
        if (r >= 0)
                r = sd_bus_message_append(m, "ssstssx", strempty(s->id), strempty(s->short_id), strempty(s->app),
                                          (uint64_t) s->time, strempty(s->host), strempty(s->kind), s->job_id);
        if (r >= 0)
                r = sd_bus_message_append_strv(m, s->tags);
        if (r >= 0)
                r = sd_bus_message_append_strv(m, s->paths);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

int berth_dbus_read_snapshots(sd_bus_message *m, SnapshotInfo **ret, size_t *ret_n) {
        SnapshotInfo *l = NULL;
        size_t n = 0;
        int r;

        r = sd_bus_message_enter_container(m, 'a', BERTH_DBUS_SNAPSHOT_RECORD);
        if (r < 0)
                return r;
        for (;;) {
                const char *id, *short_id, *app, *host, *kind;
                uint64_t time;
                int64_t job;

                r = sd_bus_message_enter_container(m, 'r', "ssstssxasas");
                if (r < 0)
                        goto fail;
                if (r == 0)
                        break;
                r = sd_bus_message_read(m, "ssstssx", &id, &short_id, &app, &time, &host, &kind, &job);
                if (r < 0)
                        goto fail;
                SnapshotInfo *nl = realloc(l, (n + 1) * sizeof(*l));
                if (!nl) {
                        r = -ENOMEM;
                        goto fail;
                }
                l = nl;
                l[n++] = (SnapshotInfo) {
                        .id = strdup(id), .short_id = strdup_or_null(short_id), .app = strdup_or_null(app),
                        .time = time, .host = strdup_or_null(host), .kind = strdup_or_null(kind), .job_id = job,
                };
                if (!l[n - 1].id) {
                        r = -ENOMEM;
                        goto fail;
                }
                if ((r = sd_bus_message_read_strv(m, &l[n - 1].tags)) < 0 ||
                    (r = sd_bus_message_read_strv(m, &l[n - 1].paths)) < 0 ||
                    (r = sd_bus_message_exit_container(m)) < 0)
                        goto fail;
        }
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                goto fail;
        *ret = l;
        *ret_n = n;
        return 0;
fail:
        snapshot_infos_free(l, n);
        return r;
}

char *berth_dbus_describe_error(int r, const sd_bus_error *e) {
        const char *hint = NULL;
        char *s;

        if (sd_bus_error_is_set(e)) {
                if (sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER))
                        hint = "berthd is not available on the system bus (is berth installed?)";
                else if (sd_bus_error_has_names(e, SD_BUS_ERROR_NO_REPLY, SD_BUS_ERROR_TIMEOUT))
                        hint = "berthd did not answer in time (see 'journalctl -u berthd.service')";
                else if (startswith(e->name, "org.freedesktop.DBus.Error.Spawn.") ||
                         sd_bus_error_has_name(e, "org.freedesktop.systemd1.UnitMasked"))
                        hint = "berthd could not be started (see 'systemctl status berthd.service')";
                if (hint) {
                        if (asprintf(&s, "%s: %s", hint, strempty(e->message)) < 0)
                                return NULL;
                        return s;
                }
                return strdup(strempty(e->message));
        }
        if (r == -ENOENT || r == -ECONNREFUSED)
                hint = "the system bus is not running";
        if (asprintf(&s, "%s%s%s", strerror(-r), hint ? ": " : "", strempty(hint)) < 0)
                return NULL;
        return s;
}
