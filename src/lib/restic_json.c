/* restic_json.c — restic's --json output → berth's structures. */
#include <json-c/json.h>
#include <limits.h>
#include <time.h>

#include "restic_json.h"
#include "strv.h"

static void json_putp(json_object **o) {
        if (*o)
                json_object_put(*o);
}
#define _cleanup_json_ _cleanup_(json_putp)

/* The whole of text as one JSON value (trailing whitespace allowed). */
static json_object *parse_all(const char *text, size_t len) {
        json_tokener *tok;
        json_object *o;
        size_t used;

        if (len > INT_MAX)
                return NULL;
        tok = json_tokener_new();
        if (!tok)
                return NULL;
        o = json_tokener_parse_ex(tok, text, (int) len);
        used = json_tokener_get_parse_end(tok);
        if (o && json_tokener_get_error(tok) == json_tokener_success)
                for (; used < len; used++)
                        if (!strchr(" \t\r\n", text[used])) {
                                json_object_put(o);
                                o = NULL;
                                break;
                        }
        if (json_tokener_get_error(tok) != json_tokener_success && o) {
                json_object_put(o);
                o = NULL;
        }
        json_tokener_free(tok);
        return o;
}

static const char *get_str(json_object *o, const char *key) {
        json_object *v;
        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

/* restic omits zero counters (omitempty): absent is 0. */
static uint64_t get_u64(json_object *o, const char *key) {
        json_object *v;
        if (!json_object_object_get_ex(o, key, &v))
                return 0;
        if (json_object_is_type(v, json_type_int))
                return json_object_get_uint64(v);
        if (json_object_is_type(v, json_type_double)) {
                double d = json_object_get_double(v);
                return d > 0 && d < 1.8e19 ? (uint64_t) d : 0;
        }
        return 0;
}

static double get_double(json_object *o, const char *key) {
        json_object *v;
        if (!json_object_object_get_ex(o, key, &v) ||
            !(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
                return 0;
        return json_object_get_double(v);
}

/* An array of strings (null or absent: empty) → strv. */
static int get_strv(json_object *o, const char *key, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        json_object *v;

        if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_array))
                for (size_t i = 0; i < json_object_array_length(v); i++) {
                        json_object *e = json_object_array_get_idx(v, i);
                        if (!json_object_is_type(e, json_type_string))
                                return -EBADMSG;
                        if (strv_extend(&l, json_object_get_string(e)) < 0)
                                return -ENOMEM;
                }
        *ret = TAKE_PTR(l);
        return 0;
}

void restic_message_done(ResticMessage *m) {
        restic_backup_summary_done(&m->summary);
        free(m->text);
        *m = (ResticMessage) {};
}

/* restic 0.17+ writes {"message": "..."}; 0.14 marshals Go's error value as
 * is: {} for most, {"Op","Path","Err": errno} for a failed system call. */
static char *error_text(json_object *o) {
        const char *item = get_str(o, "item") ?: "", *during = get_str(o, "during") ?: "backup", *msg, *op, *path;
        json_object *e, *errv;
        char *t = NULL;

        if (!json_object_object_get_ex(o, "error", &e) || !json_object_is_type(e, json_type_object))
                e = NULL;
        if (e && (msg = get_str(e, "message"))) {
                if (*item && !strstr(msg, item))
                        return asprintf(&t, "%s: %s", item, msg) < 0 ? NULL : t;
                return strdup(msg);
        }
        if (e && (op = get_str(e, "Op")) && (path = get_str(e, "Path")) && json_object_object_get_ex(e, "Err", &errv) &&
            json_object_is_type(errv, json_type_int)) {
                int64_t n = json_object_get_int64(errv);
                if (n > 0 && n < 4096)
                        return asprintf(&t, "%s %s: %s", op, path, strerror((int) n)) < 0 ? NULL : t;
        }
        return asprintf(&t, "%s: could not be read (during %s)", *item ? item : "(unknown item)", during) < 0 ? NULL : t;
}

int restic_message_parse(const char *line, size_t len, ResticMessage *ret) {
        _cleanup_json_ json_object *o = NULL;
        ResticMessage m = {};
        const char *type, *s;

        while (len > 0 && strchr(" \t\r", *line))
                line++, len--;
        if (len == 0 || *line != '{' || !(o = parse_all(line, len)) || !json_object_is_type(o, json_type_object) ||
            !(type = get_str(o, "message_type"))) {
                *ret = m;
                return 0;
        }
        if (streq(type, "status")) {
                m.type = RESTIC_MESSAGE_STATUS;
                m.progress = (ResticProgress) {
                        .percent_done = get_double(o, "percent_done"),
                        .total_files = get_u64(o, "total_files"),
                        .files_done = get_u64(o, "files_done"),
                        .total_bytes = get_u64(o, "total_bytes"),
                        .bytes_done = get_u64(o, "bytes_done"),
                        .seconds_elapsed = get_u64(o, "seconds_elapsed"),
                        .error_count = get_u64(o, "error_count"),
                };
        } else if (streq(type, "summary")) {
                m.type = RESTIC_MESSAGE_SUMMARY;
                m.summary = (ResticBackupSummary) {
                        .files_new = get_u64(o, "files_new"),
                        .files_changed = get_u64(o, "files_changed"),
                        .files_unmodified = get_u64(o, "files_unmodified"),
                        .dirs_new = get_u64(o, "dirs_new"),
                        .dirs_changed = get_u64(o, "dirs_changed"),
                        .dirs_unmodified = get_u64(o, "dirs_unmodified"),
                        .data_added = get_u64(o, "data_added"),
                        .total_files_processed = get_u64(o, "total_files_processed"),
                        .total_bytes_processed = get_u64(o, "total_bytes_processed"),
                        .total_duration = get_double(o, "total_duration"),
                };
                if ((s = get_str(o, "snapshot_id")) && !(m.summary.snapshot_id = strdup(s)))
                        return -ENOMEM;
        } else if (streq(type, "error")) {
                m.type = RESTIC_MESSAGE_ERROR;
                m.during_scan = streq_ptr(get_str(o, "during"), "scan");
                if (!(m.text = error_text(o)))
                        return -ENOMEM;
        } else if (streq(type, "exit_error")) {
                m.type = RESTIC_MESSAGE_EXIT_ERROR;
                m.code = (int) get_u64(o, "code");
                if (!(m.text = strdup(get_str(o, "message") ?: "")))
                        return -ENOMEM;
        } else
                m.type = RESTIC_MESSAGE_OTHER;
        *ret = m;
        return 0;
}

static int parse_digits(const char **p, unsigned n, int *ret) {
        int v = 0;
        for (unsigned i = 0; i < n; i++, (*p)++) {
                if (**p < '0' || **p > '9')
                        return -EINVAL;
                v = v * 10 + (**p - '0');
        }
        *ret = v;
        return 0;
}

int restic_time_parse(const char *s, usec_t *ret) {
        struct tm tm = {};
        const char *p;
        int64_t usec = 0, offset = 0;
        time_t t;

        p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
        if (!p)
                return -EINVAL;
        if (*p == '.') {
                int64_t scale = 100000;
                p++;
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                for (; *p >= '0' && *p <= '9'; p++, scale /= 10)
                        usec += (*p - '0') * scale; /* beyond microseconds scale is 0 */
        }
        if (*p == 'Z' || *p == 'z')
                p++;
        else if (*p == '+' || *p == '-') {
                int sign = *p == '-' ? -1 : 1, h, m;
                p++;
                if (parse_digits(&p, 2, &h) < 0 || *p++ != ':' || parse_digits(&p, 2, &m) < 0 || h > 23 || m > 59)
                        return -EINVAL;
                offset = sign * (h * 3600 + m * 60);
        } else
                return -EINVAL;
        if (*p)
                return -EINVAL;
        t = timegm(&tm);
        if (t == (time_t) -1 || t - offset < 0)
                return -ERANGE;
        *ret = (usec_t) (t - offset) * USEC_PER_SEC + (usec_t) usec;
        return 0;
}

static int snapshot_from_json(json_object *o, SnapshotInfo *ret) {
        _cleanup_(snapshot_info_done) SnapshotInfo s = {};
        const char *id = get_str(o, "id"), *sid = get_str(o, "short_id"), *time = get_str(o, "time"), *h;
        int r;

        if (!json_object_is_type(o, json_type_object) || !id || strlen(id) < 8 || !time)
                return -EBADMSG;
        if (restic_time_parse(time, &s.time) < 0)
                return -EBADMSG;
        s.id = strdup(id);
        s.short_id = sid ? strdup(sid) : strndup(id, 8); /* 0.14 and 0.18 both give short_id */
        s.host = strdup((h = get_str(o, "hostname")) ? h : "");
        if (!s.id || !s.short_id || !s.host)
                return -ENOMEM;
        if ((r = get_strv(o, "tags", &s.tags)) < 0 || (r = get_strv(o, "paths", &s.paths)) < 0)
                return r;
        STRV_FOREACH(t, s.tags) {
                const char *v;
                if ((v = startswith(*t, "app:")) && !s.app) {
                        if (!(s.app = strdup(v)))
                                return -ENOMEM;
                } else if ((v = startswith(*t, "kind:")) && !s.kind) {
                        if (!(s.kind = strdup(v)))
                                return -ENOMEM;
                } else if ((v = startswith(*t, "job:")) && s.job_id == 0) {
                        char *end;
                        long long n;
                        errno = 0;
                        n = strtoll(v, &end, 10);
                        if (errno == 0 && *v >= '0' && *v <= '9' && !*end && n > 0)
                                s.job_id = n;
                }
        }
        *ret = s;
        s = (SnapshotInfo) {};
        return 0;
}

static int snapshot_cmp(const void *a, const void *b) {
        const SnapshotInfo *x = a, *y = b;
        if (x->time != y->time)
                return x->time < y->time ? -1 : 1;
        return strcmp(x->id, y->id);
}

int restic_snapshots_parse(const char *json, size_t len, SnapshotInfo **ret, size_t *ret_n) {
        _cleanup_json_ json_object *o = parse_all(json, len);
        SnapshotInfo *list = NULL;
        size_t n = 0, count;
        int r = 0;

        if (!o || !json_object_is_type(o, json_type_array))
                return -EBADMSG;
        count = json_object_array_length(o);
        if (count > 0 && !(list = calloc(count, sizeof(SnapshotInfo))))
                return -ENOMEM;
        for (; n < count; n++)
                if ((r = snapshot_from_json(json_object_array_get_idx(o, n), &list[n])) < 0)
                        break;
        if (r < 0) {
                snapshot_infos_free(list, n);
                return r;
        }
        if (n > 1)
                qsort(list, n, sizeof(SnapshotInfo), snapshot_cmp);
        *ret = list;
        *ret_n = n;
        return 0;
}

int restic_forget_parse(const char *json, size_t len, char ***ret_removed) {
        _cleanup_json_ json_object *o = parse_all(json, len);
        _cleanup_strv_free_ char **removed = NULL;

        if (!o || !json_object_is_type(o, json_type_array))
                return -EBADMSG;
        for (size_t i = 0; i < json_object_array_length(o); i++) {
                json_object *g = json_object_array_get_idx(o, i), *rm;
                if (!json_object_is_type(g, json_type_object))
                        return -EBADMSG;
                if (!json_object_object_get_ex(g, "remove", &rm) || json_object_is_type(rm, json_type_null))
                        continue;
                if (!json_object_is_type(rm, json_type_array))
                        return -EBADMSG;
                for (size_t j = 0; j < json_object_array_length(rm); j++) {
                        json_object *snap = json_object_array_get_idx(rm, j);
                        const char *id = json_object_is_type(snap, json_type_object) ? get_str(snap, "id") : NULL;
                        if (!id)
                                return -EBADMSG;
                        if (strv_extend(&removed, id) < 0)
                                return -ENOMEM;
                }
        }
        *ret_removed = TAKE_PTR(removed);
        return 0;
}
