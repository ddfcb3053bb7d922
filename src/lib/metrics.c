/* metrics.c — the node-exporter textfile: read each app's backup state from the
 * database, print it in the Prometheus text exposition format (every family's
 * samples together under one # HELP and # TYPE), replace the file at once. */
#include <inttypes.h>
#include <json-c/json.h>

#include "fs_util.h"
#include "metrics.h"
#include "strv.h"

typedef struct AppBackupState {
        const char *app;
        bool finished;          /* a backup job of this app has finished */
        usec_t last_run;        /* start of the newest finished backup job */
        usec_t last_duration;
        JobStatus last_status;
        uint64_t last_bytes_added;
        usec_t last_success;    /* 0: no backup job ever wrote a snapshot */
        size_t snapshots;
} AppBackupState;

typedef enum MetricFamily {
        METRIC_LAST_RUN,
        METRIC_LAST_SUCCESS,
        METRIC_LAST_RESULT,
        METRIC_LAST_DURATION,
        METRIC_LAST_BYTES_ADDED,
        METRIC_SNAPSHOTS,
        _METRIC_MAX,
} MetricFamily;

static const struct {
        const char *name;
        const char *help;
} metric_families[_METRIC_MAX] = {
        [METRIC_LAST_RUN] = {
                "berth_backup_last_run_timestamp_seconds",
                "Start time of the app's last finished backup job.",
        },
        [METRIC_LAST_SUCCESS] = {
                "berth_backup_last_success_timestamp_seconds",
                "Start time of the app's last backup job that wrote a snapshot (succeeded or warning); 0 if none did.",
        },
        [METRIC_LAST_RESULT] = {
                "berth_backup_last_result",
                "Result of the app's last finished backup job: 0 succeeded, 1 warning, 2 failed.",
        },
        [METRIC_LAST_DURATION] = {
                "berth_backup_last_duration_seconds",
                "Run time of the app's last finished backup job.",
        },
        [METRIC_LAST_BYTES_ADDED] = {
                "berth_backup_last_bytes_added",
                "Bytes the app's last finished backup job added to the repository (restic data_added).",
        },
        [METRIC_SNAPSHOTS] = {
                "berth_backup_snapshots",
                "Snapshots of the app in the repository, as last listed.",
        },
};

const char *metrics_default_path(void) {
        return "/var/lib/prometheus/node-exporter/berth.prom";
}

/* The newest job of app's backups with one of these statuses; -ENOENT if none. */
static int newest_backup(StateDb *db, const char *app, const JobStatus *statuses, size_t n, Job *ret) {
        Job best = {};
        int r;

        for (size_t i = 0; i < n; i++) {
                Job j = {};
                r = state_db_job_last(db, app, "backup", statuses[i], &j);
                if (r == -ENOENT)
                        continue;
                if (r < 0) {
                        job_done(&best);
                        return r;
                }
                if (j.id > best.id) {
                        job_done(&best);
                        best = j;
                } else
                        job_done(&j);
        }
        if (best.id == 0)
                return -ENOENT;
        *ret = best;
        return 0;
}

static uint64_t stats_data_added(const char *stats_json) {
        json_object *o, *v;
        uint64_t bytes = 0;

        if (!stats_json)
                return 0;
        o = json_tokener_parse(stats_json);
        if (!o)
                return 0;
        if (json_object_object_get_ex(o, "data_added", &v)) {
                if (json_object_is_type(v, json_type_int) && json_object_get_int64(v) >= 0)
                        bytes = json_object_get_uint64(v);
                else if (json_object_is_type(v, json_type_double) && json_object_get_double(v) >= 0)
                        bytes = (uint64_t) json_object_get_double(v);
        }
        json_object_put(o);
        return bytes;
}

/* Fills st for app; returns 0 if the app has no backup job at all (nothing to
 * report), 1 if st is filled. */
static int app_backup_state(StateDb *db, const char *app, AppBackupState *st) {
        static const JobStatus finished[] = { JOB_SUCCEEDED, JOB_WARNING, JOB_FAILED };
        static const JobStatus wrote_snapshot[] = { JOB_SUCCEEDED, JOB_WARNING };
        _cleanup_(job_done) Job any = {}, last = {}, success = {};
        SnapshotInfo *snaps = NULL;
        size_t n = 0;
        int r;

        r = state_db_job_last(db, app, "backup", -1, &any);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;

        *st = (AppBackupState) { .app = app };

        r = newest_backup(db, app, finished, ELEMENTSOF(finished), &last);
        if (r >= 0) {
                st->finished = true;
                st->last_run = last.started_at;
                st->last_duration = last.finished_at > last.started_at ? last.finished_at - last.started_at : 0;
                st->last_status = last.status;
                st->last_bytes_added = stats_data_added(last.stats_json);
        } else if (r != -ENOENT)
                return r;

        r = newest_backup(db, app, wrote_snapshot, ELEMENTSOF(wrote_snapshot), &success);
        if (r >= 0)
                st->last_success = success.started_at;
        else if (r != -ENOENT)
                return r;

        r = state_db_snapshots_list(db, app, &snaps, &n);
        if (r < 0)
                return r;
        snapshot_infos_free(snaps, n);
        st->snapshots = n;
        return 1;
}

/* Seconds with up to six decimals, trailing zeros dropped: exact, no float. */
static void print_seconds(FILE *f, usec_t u) {
        char frac[8];
        size_t l;

        fprintf(f, "%" PRIu64, (uint64_t) (u / USEC_PER_SEC));
        if (u % USEC_PER_SEC == 0)
                return;
        snprintf(frac, sizeof(frac), "%06" PRIu64, (uint64_t) (u % USEC_PER_SEC));
        for (l = strlen(frac); l > 0 && frac[l - 1] == '0'; l--)
                frac[l - 1] = 0;
        fprintf(f, ".%s", frac);
}

/* Label values escape backslash, double quote and line feed (exposition format). */
static void print_label_value(FILE *f, const char *s) {
        for (; *s; s++)
                switch (*s) {
                case '\\':
                        fputs("\\\\", f);
                        break;
                case '"':
                        fputs("\\\"", f);
                        break;
                case '\n':
                        fputs("\\n", f);
                        break;
                default:
                        fputc(*s, f);
                }
}

static int result_value(JobStatus s) {
        switch (s) {
        case JOB_SUCCEEDED:
                return 0;
        case JOB_WARNING:
                return 1;
        default:
                return 2;
        }
}

static void print_sample(FILE *f, MetricFamily m, const AppBackupState *st) {
        if (!st->finished && m != METRIC_LAST_SUCCESS && m != METRIC_SNAPSHOTS)
                return;

        fprintf(f, "%s{app=\"", metric_families[m].name);
        print_label_value(f, st->app);
        fputs("\"} ", f);
        switch (m) {
        case METRIC_LAST_RUN:
                print_seconds(f, st->last_run);
                break;
        case METRIC_LAST_SUCCESS:
                print_seconds(f, st->last_success);
                break;
        case METRIC_LAST_RESULT:
                fprintf(f, "%d", result_value(st->last_status));
                break;
        case METRIC_LAST_DURATION:
                print_seconds(f, st->last_duration);
                break;
        case METRIC_LAST_BYTES_ADDED:
                fprintf(f, "%" PRIu64, st->last_bytes_added);
                break;
        case METRIC_SNAPSHOTS:
                fprintf(f, "%zu", st->snapshots);
                break;
        default:
                abort();
        }
        fputc('\n', f);
}

int metrics_format(StateDb *db, char **ret) {
        _cleanup_strv_free_ char **apps = NULL;
        _cleanup_free_ AppBackupState *states = NULL;
        _cleanup_free_ char *buf = NULL;
        size_t n = 0, len = 0;
        FILE *f;
        int r;

        if (!db || !ret)
                return -EINVAL;

        r = state_db_apps(db, &apps);
        if (r < 0)
                return r;
        states = calloc(strv_length(apps) ?: 1, sizeof(AppBackupState));
        if (!states)
                return -ENOMEM;
        STRV_FOREACH(a, apps) {
                r = app_backup_state(db, *a, &states[n]);
                if (r < 0)
                        return r;
                if (r > 0)
                        n++;
        }

        f = open_memstream(&buf, &len);
        if (!f)
                return -ENOMEM;
        for (MetricFamily m = 0; m < _METRIC_MAX; m++) {
                fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", metric_families[m].name, metric_families[m].help,
                        metric_families[m].name);
                for (size_t i = 0; i < n; i++)
                        print_sample(f, m, &states[i]);
        }
        r = ferror(f) ? -ENOMEM : 0;
        if (fclose(f) != 0 && r == 0)
                r = -ENOMEM;
        if (r < 0)
                return r;

        *ret = TAKE_PTR(buf);
        return 0;
}

static int mkdir_parent(const char *path) {
        _cleanup_free_ char *d = strdup(path);
        char *slash;

        if (!d)
                return -ENOMEM;
        slash = strrchr(d, '/');
        if (!slash || slash == d)
                return 0;
        *slash = 0;
        return mkdir_p(d, 0755);
}

int metrics_write(StateDb *db, const char *path) {
        _cleanup_free_ char *text = NULL;
        int r;

        if (!db)
                return -EINVAL;
        if (!path)
                path = metrics_default_path();
        if (isempty(path) || endswith(path, "/"))
                return -EINVAL;

        r = metrics_format(db, &text);
        if (r < 0)
                return r;
        r = mkdir_parent(path);
        if (r < 0)
                return r;
        /* 0644: node-exporter runs as its own user. The temporary name ends in
         * .tmp.<pid>, which the collector (*.prom only) never reads. */
        return write_file_atomic(path, text, strlen(text), 0644, false);
}
