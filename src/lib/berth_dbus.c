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

int berth_dbus_append_job(sd_bus_message *m, const Job *j) {
        return sd_bus_message_append(m, BERTH_DBUS_JOB_RECORD, j->id, strempty(j->app), strempty(j->kind),
                                     strempty(job_status_to_string(j->status)), (uint64_t) j->started_at,
                                     (uint64_t) j->finished_at, (int32_t) j->exit_code, strempty(j->stats_json),
                                     strempty(j->error), strempty(j->invocation_id), strempty(j->snapshot_id));
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

/* How the client reads one kind of list: each record into a zeroed item of
 * size bytes. read() returns > 0 for a record, 0 at the end of the array, < 0
 * on failure; done() frees an item, also one that read() left half filled. */
typedef struct RecordReader {
        const char *signature;
        size_t size;
        int (*read)(sd_bus_message *m, void *ret);
        void (*done)(void *item);
} RecordReader;

/* An array of records → a list of n items (NULL for none), or nothing on failure. */
static int read_records(sd_bus_message *m, const RecordReader *t, void **ret, size_t *ret_n) {
        _cleanup_free_ void *one = calloc(1, t->size);
        char *l = NULL;
        size_t n = 0;
        int r;

        if (!one)
                return -ENOMEM;
        r = sd_bus_message_enter_container(m, 'a', t->signature);
        if (r < 0)
                return r;
        for (;;) {
                char *nl;

                r = t->read(m, one);
                if (r < 0)
                        goto fail_one;
                if (r == 0)
                        break;
                nl = reallocarray(l, n + 1, t->size);
                if (!nl) {
                        r = -ENOMEM;
                        goto fail_one;
                }
                l = nl;
                memcpy(l + n++ * t->size, one, t->size);
                memset(one, 0, t->size);
        }
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                goto fail;
        *ret = l;
        *ret_n = n;
        return 0;
fail_one:
        t->done(one);
fail:
        for (size_t i = 0; i < n; i++)
                t->done(l + i * t->size);
        free(l);
        return r;
}

/* The public reader of one kind of list: read_records() with that kind's
 * RecordReader, typed as berth_dbus.h declares it. */
#define DEFINE_LIST_READER(func, type, signature, read_one, done_one)                                      \
        static void func##_done(void *item) {                                                              \
                done_one(item);                                                                            \
        }                                                                                                  \
        int func(sd_bus_message *m, type **ret, size_t *ret_n) {                                           \
                static const RecordReader reader = { signature, sizeof(type), read_one, func##_done };     \
                void *l = NULL;                                                                            \
                int r = read_records(m, &reader, &l, ret_n);                                               \
                if (r >= 0)                                                                                \
                        *ret = l;                                                                          \
                return r;                                                                                  \
        }

static int read_app_summary(sd_bus_message *m, void *ret) {
        const char *id, *name, *version, *active, *sub, *health, *result, *path;
        AppSummary *s = ret;
        uint64_t last, next;
        int enabled, r;

        r = sd_bus_message_read(m, BERTH_DBUS_APP_SUMMARY, &id, &name, &version, &active, &sub, &health, &enabled,
                                &last, &result, &next, &path);
        if (r <= 0)
                return r;
        *s = (AppSummary) {
                .id = strdup(id), .name = strdup(name), .version = strdup(version),
                .active_state = strdup(active), .sub_state = strdup(sub), .health = strdup(health),
                .enabled = enabled, .last_backup = last, .last_backup_result = strdup(result),
                .next_backup = next, .path = strdup(path),
        };
        if (!s->id || !s->name || !s->version || !s->active_state || !s->sub_state || !s->health ||
            !s->last_backup_result || !s->path)
                return -ENOMEM;
        return 1;
}

DEFINE_LIST_READER(berth_dbus_read_app_summaries, AppSummary, BERTH_DBUS_APP_SUMMARY, read_app_summary,
                   app_summary_done)

/* The optional strings travel as "" for NULL (berth_dbus_append_job()) and come
 * back as NULL. */
static int read_job(sd_bus_message *m, void *ret) {
        const char *app, *kind, *status, *stats, *error, *invocation, *snapshot;
        uint64_t started, finished;
        int32_t exit_code;
        Job *j = ret;
        int64_t id;
        int r, s;

        r = sd_bus_message_read(m, BERTH_DBUS_JOB_RECORD, &id, &app, &kind, &status, &started, &finished,
                                &exit_code, &stats, &error, &invocation, &snapshot);
        if (r <= 0)
                return r;
        s = job_status_from_string(status);
        if (s < 0)
                return -EBADMSG;
        *j = (Job) {
                .id = id, .app = strdup(app), .kind = strdup(kind), .status = s, .started_at = started,
                .finished_at = finished, .exit_code = exit_code, .stats_json = strdup_or_null(stats),
                .error = strdup_or_null(error), .invocation_id = strdup_or_null(invocation),
                .snapshot_id = strdup_or_null(snapshot),
        };
        if (!j->app || !j->kind || (!isempty(stats) && !j->stats_json) || (!isempty(error) && !j->error) ||
            (!isempty(invocation) && !j->invocation_id) || (!isempty(snapshot) && !j->snapshot_id))
                return -ENOMEM;
        return 1;
}

DEFINE_LIST_READER(berth_dbus_read_jobs, Job, BERTH_DBUS_JOB_RECORD, read_job, job_done)

static int read_snapshot(sd_bus_message *m, void *ret) {
        const char *id, *short_id, *app, *host, *kind;
        SnapshotInfo *s = ret;
        uint64_t time;
        int64_t job;
        int r;

        r = sd_bus_message_enter_container(m, 'r', "ssstssxasas");
        if (r <= 0)
                return r;
        r = sd_bus_message_read(m, "ssstssx", &id, &short_id, &app, &time, &host, &kind, &job);
        if (r < 0)
                return r;
        *s = (SnapshotInfo) {
                .id = strdup(id), .short_id = strdup_or_null(short_id), .app = strdup_or_null(app),
                .time = time, .host = strdup_or_null(host), .kind = strdup_or_null(kind), .job_id = job,
        };
        if (!s->id)
                return -ENOMEM;
        if ((r = sd_bus_message_read_strv(m, &s->tags)) < 0 || (r = sd_bus_message_read_strv(m, &s->paths)) < 0 ||
            (r = sd_bus_message_exit_container(m)) < 0)
                return r;
        return 1;
}

DEFINE_LIST_READER(berth_dbus_read_snapshots, SnapshotInfo, BERTH_DBUS_SNAPSHOT_RECORD, read_snapshot,
                   snapshot_info_done)

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
