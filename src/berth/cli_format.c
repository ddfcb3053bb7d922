/* cli_format.c — jobs and snapshots for humans (tables) and scripts (JSON). */
#include <json-c/json.h>
#include <time.h>

#include "cli_format.h"
#include "strv.h"
#include "table.h"

char *format_time(usec_t t) {
        time_t s = (time_t) (t / USEC_PER_SEC);
        struct tm tm;
        char buf[64];

        if (t == 0)
                return strdup("-");
        if (!localtime_r(&s, &tm) || strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm) == 0)
                return strdup("?");
        return strdup(buf);
}

char *format_iso8601(usec_t t) {
        time_t s = (time_t) (t / USEC_PER_SEC);
        struct tm tm;
        char buf[64];

        if (!gmtime_r(&s, &tm) || strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                return NULL;
        return strdup(buf);
}

char *format_bytes(uint64_t b) {
        static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
        double v = (double) b;
        size_t u = 0;
        char *s;

        while (v >= 1024.0 && u + 1 < ELEMENTSOF(units)) {
                v /= 1024.0;
                u++;
        }
        if (asprintf(&s, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]) < 0)
                return NULL;
        return s;
}

char *format_duration(usec_t d) {
        char *s;
        unsigned long long sec = d / USEC_PER_SEC;
        int r;

        if (sec >= 3600)
                r = asprintf(&s, "%lluh %llum", sec / 3600, sec % 3600 / 60);
        else if (sec >= 60)
                r = asprintf(&s, "%llum %llus", sec / 60, sec % 60);
        else
                r = asprintf(&s, "%.1fs", (double) d / 1e6);
        return r < 0 ? NULL : s;
}

int cli_print_jobs_table(const Job *jobs, size_t n, FILE *f) {
        static const char *const headers[] = { "ID", "APP", "KIND", "STATUS", "STARTED", "DURATION", "SNAPSHOT", "MESSAGE" };
        Table *t = table_new(ELEMENTSOF(headers), headers);
        int r = 0;

        if (!t)
                return -ENOMEM;
        for (size_t i = 0; i < n && r >= 0; i++) {
                const Job *j = &jobs[i];
                _cleanup_free_ char *id = NULL, *start = format_time(j->started_at), *dur = NULL, *snap = NULL;
                if (asprintf(&id, "%lld", (long long) j->id) < 0)
                        id = NULL;
                if (j->finished_at)
                        dur = format_duration(j->finished_at - j->started_at);
                if (j->snapshot_id)
                        snap = strndup(j->snapshot_id, 8);
                if ((r = table_add(t, id)) < 0 || (r = table_add(t, j->app)) < 0 || (r = table_add(t, j->kind)) < 0 ||
                    (r = table_add(t, job_status_to_string(j->status))) < 0 || (r = table_add(t, start)) < 0 ||
                    (r = table_add(t, dur)) < 0 || (r = table_add(t, snap)) < 0 || (r = table_add(t, j->error)) < 0)
                        break;
        }
        if (r >= 0)
                r = n == 0 ? (fprintf(f, "No jobs.\n") < 0 ? -EIO : 0) : table_print(t, f);
        table_free(t);
        return r;
}

static json_object *string_or_null(const char *s) {
        return s ? json_object_new_string(s) : NULL;
}

int cli_print_jobs_json(const Job *jobs, size_t n, FILE *f) {
        json_object *arr = json_object_new_array();

        if (!arr)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const Job *j = &jobs[i];
                json_object *o = json_object_new_object();
                _cleanup_free_ char *start = format_iso8601(j->started_at), *end = j->finished_at ? format_iso8601(j->finished_at) : NULL;
                json_object_object_add(o, "id", json_object_new_int64(j->id));
                json_object_object_add(o, "app", string_or_null(j->app));
                json_object_object_add(o, "kind", string_or_null(j->kind));
                json_object_object_add(o, "status", json_object_new_string(job_status_to_string(j->status)));
                json_object_object_add(o, "started", string_or_null(start));
                json_object_object_add(o, "started_usec", json_object_new_int64((int64_t) j->started_at));
                json_object_object_add(o, "finished", string_or_null(end));
                json_object_object_add(o, "finished_usec", j->finished_at ? json_object_new_int64((int64_t) j->finished_at) : NULL);
                json_object_object_add(o, "exit_code", j->finished_at ? json_object_new_int(j->exit_code) : NULL);
                json_object_object_add(o, "stats", j->stats_json ? json_tokener_parse(j->stats_json) : NULL);
                json_object_object_add(o, "error", string_or_null(j->error));
                json_object_object_add(o, "invocation_id", string_or_null(j->invocation_id));
                json_object_object_add(o, "snapshot", string_or_null(j->snapshot_id));
                json_object_array_add(arr, o);
        }
        fprintf(f, "%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(arr);
        return ferror(f) ? -EIO : 0;
}

int cli_print_snapshots_table(const SnapshotInfo *s, size_t n, FILE *f) {
        static const char *const headers[] = { "ID", "TIME", "HOST", "KIND", "JOB", "PATHS" };
        Table *t = table_new(ELEMENTSOF(headers), headers);
        int r = 0;

        if (!t)
                return -ENOMEM;
        for (size_t i = 0; i < n && r >= 0; i++) {
                _cleanup_free_ char *time = format_time(s[i].time), *job = NULL, *paths = strv_join(s[i].paths, " ");
                if (s[i].job_id > 0 && asprintf(&job, "%lld", (long long) s[i].job_id) < 0)
                        job = NULL;
                if ((r = table_add(t, s[i].short_id)) < 0 || (r = table_add(t, time)) < 0 || (r = table_add(t, s[i].host)) < 0 ||
                    (r = table_add(t, s[i].kind)) < 0 || (r = table_add(t, job)) < 0 || (r = table_add(t, paths)) < 0)
                        break;
        }
        if (r >= 0)
                r = n == 0 ? (fprintf(f, "No snapshots.\n") < 0 ? -EIO : 0) : table_print(t, f);
        table_free(t);
        return r;
}

static json_object *strv_json(char *const *l) {
        json_object *a = json_object_new_array();
        STRV_FOREACH(i, l)
                json_object_array_add(a, json_object_new_string(*i));
        return a;
}

int cli_print_snapshots_json(const SnapshotInfo *s, size_t n, FILE *f) {
        json_object *arr = json_object_new_array();

        if (!arr)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_object *o = json_object_new_object();
                _cleanup_free_ char *time = format_iso8601(s[i].time);
                json_object_object_add(o, "id", string_or_null(s[i].id));
                json_object_object_add(o, "short_id", string_or_null(s[i].short_id));
                json_object_object_add(o, "app", string_or_null(s[i].app));
                json_object_object_add(o, "time", string_or_null(time));
                json_object_object_add(o, "time_usec", json_object_new_int64((int64_t) s[i].time));
                json_object_object_add(o, "host", string_or_null(s[i].host));
                json_object_object_add(o, "kind", string_or_null(s[i].kind));
                json_object_object_add(o, "job", s[i].job_id > 0 ? json_object_new_int64(s[i].job_id) : NULL);
                json_object_object_add(o, "tags", strv_json(s[i].tags));
                json_object_object_add(o, "paths", strv_json(s[i].paths));
                json_object_array_add(arr, o);
        }
        fprintf(f, "%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(arr);
        return ferror(f) ? -EIO : 0;
}
