/* history.c — the job history, read from the state database.
 *
 * When: helpers write it (every backup, restore, recovery records a row when
 * it starts and when it ends); berthd notices through inotify on the state
 * directory, which reports a write to berth.db or its WAL however the job was
 * started (timer, CLI, berthd). A write is not yet visible to readers when
 * its syscall returns (SQLite updates the WAL index after writing the
 * frames), so the summaries are re-read shortly after the last write: that
 * short timer is the only one, and exists only after the database changed.
 *
 * How: in a short-lived child process that answers in JSON. berthd lives
 * long and reads rarely; a read touches about a megabyte of SQLite's code,
 * which would stay resident in berthd for good. The child takes that memory
 * with it (and a reader that crashes on a damaged file takes nothing else
 * down). */
#include <fcntl.h>
#include <json-c/json.h>
#include <sys/inotify.h>
#include <sys/wait.h>

#include "berthd.h"
#include "log.h"
#include "strv.h"

#define HISTORY_SETTLE_USEC (50 * USEC_PER_MSEC)

typedef int (*HistoryReader)(StateDb *db, const void *args, json_object **ret);

static bool history_exists(Manager *m) {
        return m->db_path && !(access(m->db_path, F_OK) < 0 && errno == ENOENT);
}

static int write_all(int fd, const char *s, size_t n) {
        while (n > 0) {
                ssize_t k = write(fd, s, n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                s += k;
                n -= (size_t) k;
        }
        return 0;
}

_noreturn_ static void child(Manager *m, int fd, HistoryReader reader, const void *args) {
        StateDb *db = NULL;
        json_object *o = NULL;
        const char *s;
        int r;

        r = state_db_open(m->db_path, true, &db);
        if (r == -ENOENT || r == -ESTALE)
                r = 0; /* nothing recorded yet (or not yet migrated by a writer): no history */
        else if (r >= 0)
                r = reader(db, args, &o);
        if (r < 0) {
                json_object_put(o);
                o = json_object_new_object();
                json_object_object_add(o, "error", json_object_new_int(-r));
        }
        s = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : "null";
        r = write_all(fd, s, strlen(s)) < 0 || r < 0;
        /* No cleanup: _exit() leaves the bus and everything else to the parent. */
        _exit(r);
}

/* Runs reader in a child; *ret is its answer (NULL: no history). */
static int history_run(Manager *m, HistoryReader reader, const void *args, json_object **ret) {
        _cleanup_close_ int rfd = -EBADF, wfd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        size_t n = 0, cap = 0;
        json_object *o, *e;
        int fds[2], status, r = 0;
        pid_t pid;

        *ret = NULL;
        if (!history_exists(m))
                return 0;
        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        rfd = fds[0];
        wfd = fds[1];
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                rfd = safe_close(rfd);
                child(m, wfd, reader, args);
        }
        wfd = safe_close(wfd);
        for (;;) {
                if (n + 4096 + 1 > cap) {
                        char *b = realloc(buf, cap = (cap + 4096) * 2);
                        if (!b) {
                                r = -ENOMEM;
                                break;
                        }
                        buf = b;
                }
                ssize_t k = read(rfd, buf + n, cap - n - 1);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        r = -errno;
                        break;
                }
                if (k == 0)
                        break;
                n += (size_t) k;
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (r < 0)
                return r;
        buf[n] = 0;
        o = json_tokener_parse(buf);
        if (json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, "error", &e)) {
                r = -json_object_get_int(e);
                json_object_put(o);
                return r < 0 ? r : -EIO;
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || (!o && !streq(buf, "null"))) {
                json_object_put(o);
                return -EIO; /* the reader died */
        }
        *ret = o;
        return 0;
}

static json_object *string_json(const char *s) {
        return s ? json_object_new_string(s) : NULL;
}

static char *json_string_dup(json_object *o, const char *key) {
        json_object *v;
        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return strdup(json_object_get_string(v));
}

static int64_t json_int(json_object *o, const char *key) {
        json_object *v;
        return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

/* Summaries: {"<app>": {"last": µs, "result": "succeeded", "snapshots": n}, ...} */
static int read_summaries(StateDb *db, const void *args, json_object **ret) {
        json_object *all = json_object_new_object();

        STRV_FOREACH(id, (char *const *) args) {
                json_object *o = json_object_new_object();
                SnapshotInfo *snaps = NULL;
                size_t n = 0;
                Job job = {};
                if (state_db_job_last(db, *id, "backup", -1, &job) >= 0) {
                        json_object_object_add(o, "last", json_object_new_int64((int64_t) job.started_at));
                        json_object_object_add(o, "result", string_json(job_status_to_string(job.status)));
                        job_done(&job);
                }
                if (state_db_snapshots_list(db, *id, &snaps, &n) >= 0)
                        snapshot_infos_free(snaps, n);
                json_object_object_add(o, "snapshots", json_object_new_int64((int64_t) n));
                json_object_object_add(all, *id, o);
        }
        *ret = all;
        return 0;
}

typedef struct JobsQuery {
        const char *app;
        unsigned limit;
} JobsQuery;

static int read_jobs(StateDb *db, const void *args, json_object **ret) {
        const JobsQuery *q = args;
        json_object *arr;
        Job *jobs = NULL;
        size_t n = 0;
        int r;

        r = state_db_jobs_list(db, q->app, q->limit, &jobs, &n);
        if (r < 0)
                return r;
        arr = json_object_new_array();
        for (size_t i = 0; i < n; i++) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "id", json_object_new_int64(jobs[i].id));
                json_object_object_add(o, "app", string_json(jobs[i].app));
                json_object_object_add(o, "kind", string_json(jobs[i].kind));
                json_object_object_add(o, "status", string_json(job_status_to_string(jobs[i].status)));
                json_object_object_add(o, "started", json_object_new_int64((int64_t) jobs[i].started_at));
                json_object_object_add(o, "finished", json_object_new_int64((int64_t) jobs[i].finished_at));
                json_object_object_add(o, "exit", json_object_new_int(jobs[i].exit_code));
                json_object_object_add(o, "stats", string_json(jobs[i].stats_json));
                json_object_object_add(o, "error", string_json(jobs[i].error));
                json_object_object_add(o, "invocation", string_json(jobs[i].invocation_id));
                json_object_object_add(o, "snapshot", string_json(jobs[i].snapshot_id));
                json_object_array_add(arr, o);
        }
        jobs_free(jobs, n);
        *ret = arr;
        return 0;
}

static json_object *strv_json(char *const *l) {
        json_object *a = json_object_new_array();
        STRV_FOREACH(s, l)
                json_object_array_add(a, json_object_new_string(*s));
        return a;
}

static int read_snapshots(StateDb *db, const void *args, json_object **ret) {
        json_object *arr;
        SnapshotInfo *s = NULL;
        size_t n = 0;
        int r;

        r = state_db_snapshots_list(db, args, &s, &n);
        if (r < 0)
                return r;
        arr = json_object_new_array();
        for (size_t i = 0; i < n; i++) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "id", string_json(s[i].id));
                json_object_object_add(o, "short_id", string_json(s[i].short_id));
                json_object_object_add(o, "app", string_json(s[i].app));
                json_object_object_add(o, "time", json_object_new_int64((int64_t) s[i].time));
                json_object_object_add(o, "host", string_json(s[i].host));
                json_object_object_add(o, "kind", string_json(s[i].kind));
                json_object_object_add(o, "job", json_object_new_int64(s[i].job_id));
                json_object_object_add(o, "tags", strv_json(s[i].tags));
                json_object_object_add(o, "paths", strv_json(s[i].paths));
                json_object_array_add(arr, o);
        }
        snapshot_infos_free(s, n);
        *ret = arr;
        return 0;
}

int history_read_jobs(Manager *m, const char *app, unsigned limit, Job **ret, size_t *ret_n) {
        JobsQuery q = { .app = app, .limit = limit };
        json_object *arr = NULL;
        Job *jobs = NULL;
        size_t n = 0;
        int r;

        r = history_run(m, read_jobs, &q, &arr);
        if (r < 0)
                return r;
        n = json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
        jobs = calloc(n + 1, sizeof(*jobs));
        if (!jobs) {
                json_object_put(arr);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                json_object *o = json_object_array_get_idx(arr, i);
                _cleanup_free_ char *status = json_string_dup(o, "status");
                int s = status ? job_status_from_string(status) : -EINVAL;
                jobs[i] = (Job) {
                        .id = json_int(o, "id"), .app = json_string_dup(o, "app"), .kind = json_string_dup(o, "kind"),
                        .status = s < 0 ? JOB_FAILED : s, .started_at = (usec_t) json_int(o, "started"),
                        .finished_at = (usec_t) json_int(o, "finished"), .exit_code = (int) json_int(o, "exit"),
                        .stats_json = json_string_dup(o, "stats"), .error = json_string_dup(o, "error"),
                        .invocation_id = json_string_dup(o, "invocation"), .snapshot_id = json_string_dup(o, "snapshot"),
                };
        }
        json_object_put(arr);
        *ret = jobs;
        *ret_n = n;
        return 0;
}

static char **json_strv(json_object *o, const char *key) {
        json_object *a;
        char **l = NULL;

        if (!json_object_object_get_ex(o, key, &a) || !json_object_is_type(a, json_type_array))
                return NULL;
        for (size_t i = 0; i < json_object_array_length(a); i++)
                if (strv_extend(&l, json_object_get_string(json_object_array_get_idx(a, i))) < 0)
                        break;
        return l;
}

int history_read_snapshots(Manager *m, const char *app, SnapshotInfo **ret, size_t *ret_n) {
        json_object *arr = NULL;
        SnapshotInfo *s;
        size_t n;
        int r;

        r = history_run(m, read_snapshots, app, &arr);
        if (r < 0)
                return r;
        n = json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
        s = calloc(n + 1, sizeof(*s));
        if (!s) {
                json_object_put(arr);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                json_object *o = json_object_array_get_idx(arr, i);
                s[i] = (SnapshotInfo) {
                        .id = json_string_dup(o, "id"), .short_id = json_string_dup(o, "short_id"),
                        .app = json_string_dup(o, "app"), .time = (usec_t) json_int(o, "time"),
                        .host = json_string_dup(o, "host"), .kind = json_string_dup(o, "kind"),
                        .job_id = json_int(o, "job"), .tags = json_strv(o, "tags"), .paths = json_strv(o, "paths"),
                };
        }
        json_object_put(arr);
        *ret = s;
        *ret_n = n;
        return 0;
}

/* Reads the summaries of apps (NULL: every app) and sets them. */
static void history_refresh(Manager *m, char **ids, bool emit) {
        _cleanup_strv_free_ char **all = NULL;
        json_object *sums = NULL, *o;
        int r;

        if (!ids) {
                for (size_t i = 0; i < m->n_apps; i++)
                        if (strv_extend(&all, m->apps[i]->id) < 0)
                                return;
                ids = all;
        }
        if (strv_length(ids) == 0)
                return;
        r = history_run(m, read_summaries, ids, &sums);
        if (r < 0) {
                log_errno(LOG_WARNING_LEVEL, r, "Failed to read the job history '%s', ignoring", m->db_path);
                return;
        }
        STRV_FOREACH(id, ids) {
                BerthApp *a = manager_find_app(m, *id);
                if (!a)
                        continue;
                o = NULL;
                if (sums)
                        json_object_object_get_ex(sums, *id, &o);
                _cleanup_free_ char *result = o ? json_string_dup(o, "result") : NULL;
                berth_app_set_history(a, o ? (usec_t) json_int(o, "last") : 0, result,
                                      o ? (uint32_t) json_int(o, "snapshots") : 0, emit);
        }
        json_object_put(sums);
        manager_trim_memory();
}

void history_refresh_all(Manager *m, bool emit) {
        history_refresh(m, NULL, emit);
}

void history_refresh_apps(Manager *m, char **ids, bool emit) {
        history_refresh(m, ids, emit);
}

static int on_settled(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        m->db_settle = sd_event_source_disable_unref(m->db_settle);
        history_refresh_all(m, true);
        return 0;
}

static int on_state_dir_event(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        Manager *m = userdata;
        int r;

        if (ev->mask & IN_Q_OVERFLOW) {
                /* Events were lost: re-read anyway. */
        } else if (ev->len == 0 || (!streq(ev->name, "berth.db") && !streq(ev->name, "berth.db-wal")))
                return 0;
        if (m->db_settle)
                return 0; /* already due */
        r = sd_event_add_time_relative(m->event, &m->db_settle, CLOCK_MONOTONIC, HISTORY_SETTLE_USEC,
                                       10 * USEC_PER_MSEC, on_settled, m);
        if (r < 0)
                log_errno(LOG_WARNING_LEVEL, r, "Failed to schedule re-reading the job history, ignoring");
        return 0;
}

int history_watch(Manager *m) {
        int r;

        if (!m->state_dir)
                return 0;
        /* Readers never write() to berth.db or its WAL, so this does not fire
         * on our own reads: only writers wake us. */
        r = sd_event_add_inotify(m->event, &m->db_watch, m->state_dir,
                                 IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_ONLYDIR, on_state_dir_event, m);
        if (r == -ENOENT) {
                log_info("'%s' does not exist (yet): the job history is read when berthd starts next", m->state_dir);
                return 0;
        }
        return r;
}
