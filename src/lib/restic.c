/* restic.c — running restic for berth: its environment (never argv) for
 * credentials, its exit classified, its stderr redacted before anyone sees it. */
#include <ctype.h>
#include <json-c/json.h>
#include <sodium.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "fs_util.h"
#include "restic.h"
#include "restic_json.h"
#include "schema.h"
#include "secret_store.h"
#include "spawn.h"
#include "strv.h"

#define PASSWORD_LENGTH 48U
#define ENV_FILE_MAX (1U << 20)
#define STDERR_KEEP (64U << 10)   /* bytes of stderr kept (at least) for classification */
#define ERROR_LINES 8U            /* lines of it in a returned error */
#define ERROR_MAX 2048U

static const char *const result_names[_RESTIC_RESULT_MAX] = {
        [RESTIC_OK] = "ok",
        [RESTIC_PARTIAL] = "partial",
        [RESTIC_NO_REPOSITORY] = "no-repository",
        [RESTIC_LOCKED] = "locked",
        [RESTIC_WRONG_PASSWORD] = "wrong-password",
        [RESTIC_FAILED] = "failed",
};

const char *restic_result_to_string(ResticResult r) {
        return r >= 0 && r < _RESTIC_RESULT_MAX ? result_names[r] : NULL;
}

void restic_backup_summary_done(ResticBackupSummary *s) {
        free(s->snapshot_id);
        *s = (ResticBackupSummary) {};
}

/* Environment values are credentials: wiped before the memory is given back. */
static void strv_free_erase(char **l) {
        STRV_FOREACH(s, l)
                sodium_memzero(*s, strlen(*s));
        strv_free(l);
}
static void strv_free_erasep(char ***l) {
        strv_free_erase(*l);
}

void restic_repo_done(ResticRepo *r) {
        if (r->repository)
                sodium_memzero(r->repository, strlen(r->repository));
        free(r->repository);
        free(r->password_file);
        strv_free_erase(r->env);
        free(r->cache_dir);
        *r = (ResticRepo) {};
}

/* restic 0.14 asks "Is there a repository at the following location?" after
 * any failure to read the config file, a refused connection included; only a
 * not-found answer from the backend means there is none. */
static bool says_not_found(const char *t) {
        static const char *const words[] = { "no such file or directory", "does not exist", "doesn't exist", "not found",
                                             "NoSuchKey", "NoSuchBucket" };
        for (size_t i = 0; i < ELEMENTSOF(words); i++)
                if (strcasestr(t, words[i]))
                        return true;
        return false;
}

ResticResult restic_classify(int exit_status, const char *stderr_text) {
        const char *t = strempty(stderr_text);

        switch (exit_status) {
        case 0:
                return RESTIC_OK;
        case 3:
                return RESTIC_PARTIAL;
        case 10:
                return RESTIC_NO_REPOSITORY;
        case 11:
                return RESTIC_LOCKED;
        case 12:
                return RESTIC_WRONG_PASSWORD;
        case 1:
                /* restic < 0.17 says all of these with status 1. */
                if (strstr(t, "repository does not exist") ||
                    (strstr(t, "Is there a repository at the following location?") && says_not_found(t)))
                        return RESTIC_NO_REPOSITORY;
                if (strstr(t, "unable to create lock in backend") || strstr(t, "repository is already locked"))
                        return RESTIC_LOCKED;
                if (strstr(t, "wrong password or no key found"))
                        return RESTIC_WRONG_PASSWORD;
                return RESTIC_FAILED;
        default:
                return RESTIC_FAILED;
        }
}

/* ---- configuration ---- */

static int set_error(char **ret_error, int r, const char *fmt, ...) _printf_(3, 4);
static int set_error(char **ret_error, int r, const char *fmt, ...) {
        va_list ap;
        if (ret_error) {
                char *m = NULL;
                va_start(ap, fmt);
                m = vstrprintf(fmt, ap);
                va_end(ap);
                *ret_error = m;
        }
        return r;
}

static bool env_key_valid(const char *k, size_t len) {
        if (len == 0 || isdigit((unsigned char) k[0]))
                return false;
        for (size_t i = 0; i < len; i++)
                if (!isalnum((unsigned char) k[i]) && k[i] != '_')
                        return false;
        return true;
}

int restic_env_file_parse(const char *path, char ***ret_env, char **ret_error) {
        static const char *const reserved[] = {
                "RESTIC_REPOSITORY", "RESTIC_REPOSITORY_FILE", "RESTIC_PASSWORD", "RESTIC_PASSWORD_FILE", "RESTIC_PASSWORD_COMMAND",
        };
        _cleanup_(strv_free_erasep) char **env = NULL;
        _cleanup_free_ unsigned *lines = NULL;
        char *text = NULL;
        size_t len = 0, n = 0;
        unsigned lineno = 0;
        int r;

        r = read_file(path, ENV_FILE_MAX, &text, &len);
        if (r < 0)
                return set_error(ret_error, r, "%s: cannot read: %s", path, strerror(-r));
        if (strlen(text) != len) {
                r = set_error(ret_error, -EINVAL, "%s: contains a NUL byte, expected text lines KEY=VALUE", path);
                goto finish;
        }
        for (char *line = text, *next; line && *line; line = next) {
                char *nl = strchr(line, '\n'), *eq, *value, *entry;
                size_t vlen, klen;

                next = nl ? nl + 1 : NULL;
                if (nl)
                        *nl = 0;
                lineno++;
                vlen = strlen(line);
                if (vlen > 0 && line[vlen - 1] == '\r')
                        line[--vlen] = 0;
                line += strspn(line, " \t");
                if (!*line || *line == '#')
                        continue;
                eq = strchr(line, '=');
                klen = eq ? (size_t) (eq - line) : 0;
                if (!eq || !env_key_valid(line, klen)) {
                        /* The line itself is never echoed: it may be a credential. */
                        r = set_error(ret_error, -EINVAL,
                                      "%s:%u: expected KEY=VALUE (KEY of letters, digits and '_', no spaces around '='), "
                                      "a #-comment or a blank line",
                                      path, lineno);
                        goto finish;
                }
                *eq = 0;
                for (size_t i = 0; i < ELEMENTSOF(reserved); i++)
                        if (streq(line, reserved[i])) {
                                r = set_error(ret_error, -EINVAL,
                                              "%s:%u: %s is set by berth from berth.conf (backup.repository, "
                                              "backup.password_file), expected only the backend's own variables here",
                                              path, lineno, line);
                                goto finish;
                        }
                for (size_t i = 0; i < n; i++)
                        if (strncmp(env[i], line, klen) == 0 && env[i][klen] == '=') {
                                r = set_error(ret_error, -EINVAL, "%s:%u: %s is set again (first on line %u), expected each key once",
                                              path, lineno, line, lines[i]);
                                goto finish;
                        }
                value = eq + 1;
                vlen = strlen(value);
                if (vlen >= 2 && (value[0] == '"' || value[0] == '\'') && value[vlen - 1] == value[0]) {
                        value++;
                        vlen -= 2;
                }
                if (asprintf(&entry, "%s=%.*s", line, (int) vlen, value) < 0) {
                        r = -ENOMEM;
                        goto finish;
                }
                if (strv_consume(&env, entry) < 0) {
                        r = -ENOMEM;
                        goto finish;
                }
                unsigned *t = realloc(lines, (n + 1) * sizeof(unsigned));
                if (!t) {
                        r = -ENOMEM;
                        goto finish;
                }
                lines = t;
                lines[n++] = lineno;
        }
        *ret_env = TAKE_PTR(env);
        r = 0;
finish:
        sodium_memzero(text, len);
        free(text);
        return r;
}

static char *default_repository(const BerthPaths *paths) {
        char *s = NULL;
        return asprintf(&s, "%s/backup", paths->state_dir) < 0 ? NULL : s;
}

int restic_repo_from_conf(const BerthConf *conf, const BerthPaths *paths, ResticRepo *ret, char **ret_error) {
        _cleanup_(restic_repo_done) ResticRepo r = {};
        _cleanup_free_ char *def = default_repository(paths);
        const char *cache = getenv("RESTIC_CACHE_DIR");
        int q;

        if (!def)
                return -ENOMEM;
        if (conf && conf->repository) {
                r.repository = strdup(conf->repository);
                r.is_default = streq(conf->repository, def) || streq(conf->repository, BERTH_DEFAULT_REPOSITORY);
        } else {
                r.repository = TAKE_PTR(def);
                r.is_default = true;
        }
        if (!r.repository)
                return -ENOMEM;
        if (conf && conf->password_file)
                r.password_file = strdup(conf->password_file);
        else if (r.is_default) {
                if (asprintf(&r.password_file, "%s/restic-password", paths->state_dir) < 0)
                        r.password_file = NULL;
        } else
                return set_error(ret_error, -EINVAL,
                                 "backup.repository is set without backup.password_file, expected the file holding that "
                                 "repository's password");
        if (!r.password_file)
                return -ENOMEM;
        if (conf && conf->environment_file) {
                q = restic_env_file_parse(conf->environment_file, &r.env, ret_error);
                if (q < 0)
                        return q;
        }
        if (!isempty(cache) && !(r.cache_dir = strdup(cache)))
                return -ENOMEM;
        *ret = r;
        r = (ResticRepo) {};
        return 0;
}

int restic_default_password_ensure(const ResticRepo *r) {
        _cleanup_free_ char *dir = NULL;
        struct stat st;
        char *value = NULL;
        int q;

        if (!r->is_default)
                return access(r->password_file, R_OK) < 0 ? -errno : 0;
        if (lstat(r->password_file, &st) >= 0) {
                if (!S_ISREG(st.st_mode))
                        return -EBADFD;
                if (st.st_size == 0)
                        return -ENODATA; /* an empty password would lock us out: refuse to guess */
                if ((st.st_mode & 07777) != 0600 && chmod(r->password_file, 0600) < 0)
                        return -errno;
                return 0;
        }
        if (errno != ENOENT)
                return -errno;
        dir = strdup(r->password_file);
        if (!dir)
                return -ENOMEM;
        if (strrchr(dir, '/') && strrchr(dir, '/') != dir) {
                *strrchr(dir, '/') = 0;
                q = mkdir_p(dir, 0755);
                if (q < 0)
                        return q;
        }
        q = secret_generate_value(PASSWORD_LENGTH, CHARSET_ALNUM, &value);
        if (q < 0)
                return q;
        q = write_file_atomic(r->password_file, value, PASSWORD_LENGTH, 0600, true);
        sodium_free(value);
        if (q == -EEXIST)
                return 0; /* made concurrently: that one stays */
        return q < 0 ? q : 1;
}

/* ---- running restic ---- */

typedef struct Run {
        const ResticRepo *repo;
        char *tail;              /* the last STDERR_KEEP bytes of stderr, as lines */
        size_t tail_len;
        uint64_t errors;
        /* stdout: collected whole (snapshots, forget) or read as backup's messages */
        bool collect;
        char *out;
        size_t out_len, out_cap;
        bool backup;
        ResticProgressFn progress;
        void *userdata;
        ResticBackupSummary summary;
        bool have_summary;
        /* ls --json: sum the sizes of files below these paths */
        char *const *size_under;
        uint64_t size_total;
} Run;

static void run_done(Run *run) {
        free(run->tail);
        free(run->out);
        restic_backup_summary_done(&run->summary);
}

static int tail_append(Run *run, const char *line, size_t len) {
        char *t;

        if (len > STDERR_KEEP / 2)
                line += len - STDERR_KEEP / 2, len = STDERR_KEEP / 2;
        t = realloc(run->tail, run->tail_len + len + 2);
        if (!t)
                return -ENOMEM;
        run->tail = t;
        memcpy(t + run->tail_len, line, len);
        run->tail_len += len;
        t[run->tail_len++] = '\n';
        t[run->tail_len] = 0;
        if (run->tail_len > 2 * STDERR_KEEP) {
                /* Drop whole lines from the front, down to STDERR_KEEP (not at
                 * every line: a backup may report 100000 unreadable files). */
                char *cut = memchr(t + run->tail_len - STDERR_KEEP, '\n', STDERR_KEEP);
                size_t drop = cut ? (size_t) (cut + 1 - t) : run->tail_len - STDERR_KEEP;
                memmove(t, t + drop, run->tail_len - drop + 1);
                run->tail_len -= drop;
        }
        return 0;
}

static int on_stderr(const char *line, size_t len, void *userdata) {
        _cleanup_(restic_message_done) ResticMessage m = {};
        Run *run = userdata;
        int r;

        r = restic_message_parse(line, len, &m);
        if (r < 0)
                return r;
        switch (m.type) {
        case RESTIC_MESSAGE_ERROR:
                if (m.during_scan)
                        return 0;
                run->errors++;
                return tail_append(run, m.text, strlen(m.text));
        case RESTIC_MESSAGE_EXIT_ERROR:
                /* 0.17+ puts its fatal message, lines and all, into one JSON line. */
                for (const char *s = m.text; *s;) {
                        size_t k = strcspn(s, "\n");
                        if ((r = tail_append(run, s, k)) < 0)
                                return r;
                        s += k + (s[k] == '\n');
                }
                return 0;
        default:
                return len > 0 ? tail_append(run, line, len) : 0;
        }
}

static const char *json_str(json_object *o, const char *key) {
        json_object *x;
        return json_object_object_get_ex(o, key, &x) && json_object_is_type(x, json_type_string) ? json_object_get_string(x)
                                                                                                 : NULL;
}

/* One line of `restic ls --json`: a file node below one of the paths adds its
 * size (0.14 marks nodes with struct_type, 0.17+ with message_type). */
static int add_node_size(Run *run, const char *line, size_t len) {
        json_object *o, *x;
        const char *path;

        o = json_tokener_parse(line);
        if (!o)
                return len == 0 ? 0 : -EBADMSG;
        if ((streq_ptr(json_str(o, "struct_type"), "node") || streq_ptr(json_str(o, "message_type"), "node")) &&
            streq_ptr(json_str(o, "type"), "file") && (path = json_str(o, "path")))
                STRV_FOREACH(p, run->size_under)
                        if (path_is_under(path, *p)) {
                                if (json_object_object_get_ex(o, "size", &x) && json_object_is_type(x, json_type_int))
                                        run->size_total += json_object_get_uint64(x);
                                break;
                        }
        json_object_put(o);
        return 0;
}

static int on_stdout(const char *line, size_t len, void *userdata) {
        _cleanup_(restic_message_done) ResticMessage m = {};
        Run *run = userdata;
        int r;

        if (run->collect) {
                if (run->out_cap - run->out_len < len + 2) {
                        size_t ncap = MAX(run->out_cap * 2, run->out_len + len + 2 + 4096);
                        char *t = realloc(run->out, ncap);
                        if (!t)
                                return -ENOMEM;
                        run->out = t;
                        run->out_cap = ncap;
                }
                memcpy(run->out + run->out_len, line, len);
                run->out_len += len;
                run->out[run->out_len++] = '\n';
                run->out[run->out_len] = 0;
                return 0;
        }
        if (run->size_under)
                return add_node_size(run, line, len);
        if (!run->backup)
                return 0;
        r = restic_message_parse(line, len, &m);
        if (r < 0)
                return r;
        if (m.type == RESTIC_MESSAGE_STATUS && run->progress)
                run->progress(&m.progress, run->userdata);
        else if (m.type == RESTIC_MESSAGE_SUMMARY) {
                restic_backup_summary_done(&run->summary);
                run->summary = m.summary;
                m.summary = (ResticBackupSummary) {};
                run->have_summary = true;
        }
        return 0;
}

static int build_env(const ResticRepo *r, char ***ret) {
        /* Inherited ways of giving restic a password or repository would compete
         * with ours: an empty value is "unset" to restic. */
        static const char *const neutral[] = { "RESTIC_REPOSITORY_FILE=", "RESTIC_PASSWORD=", "RESTIC_PASSWORD_COMMAND=" };
        _cleanup_(strv_free_erasep) char **env = NULL;
        bool cache_in_file = false;

        if (strv_extendf(&env, "RESTIC_REPOSITORY=%s", r->repository) < 0 ||
            strv_extendf(&env, "RESTIC_PASSWORD_FILE=%s", r->password_file) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(neutral); i++)
                if (strv_extend(&env, neutral[i]) < 0)
                        return -ENOMEM;
        STRV_FOREACH(e, r->env) {
                if (startswith(*e, "RESTIC_CACHE_DIR="))
                        cache_in_file = true;
                if (strv_extend(&env, *e) < 0)
                        return -ENOMEM;
        }
        if (r->cache_dir && !cache_in_file && strv_extendf(&env, "RESTIC_CACHE_DIR=%s", r->cache_dir) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(env);
        return 0;
}

/* The last ERROR_LINES lines of what restic said, redacted before anything is
 * cut (a cut could leave half a secret), joined with "; ". */
static char *error_message(const Run *run, int status) {
        _cleanup_free_ char *red = NULL;
        const char *start;
        char *out = NULL, *o;
        unsigned lines = 0;
        size_t len;

        red = restic_redact_output(run->repo, strempty(run->tail));
        if (!red)
                return NULL;
        len = strlen(red);
        while (len > 0 && isspace((unsigned char) red[len - 1]))
                red[--len] = 0;
        if (len == 0) {
                if (status > 128)
                        return asprintf(&out, "restic was killed by signal %d", status - 128) < 0 ? NULL : out;
                return asprintf(&out, "restic exited with status %d", status) < 0 ? NULL : out;
        }
        start = red + len;
        while (start > red && lines < ERROR_LINES) {
                start--;
                if (*start == '\n' && ++lines == ERROR_LINES) {
                        start++;
                        break;
                }
        }
        if (strlen(start) > ERROR_MAX)
                start += strlen(start) - ERROR_MAX;
        out = o = malloc(strlen(start) * 2 + 1);
        if (!out)
                return NULL;
        for (const char *s = start; *s;) {
                size_t k = strcspn(s, "\n");
                size_t t = strspn(s, " \t");
                if (k > t) {
                        if (o != out)
                                o = stpcpy(o, "; ");
                        memcpy(o, s + t, k - t);
                        o += k - t;
                }
                s += k + (s[k] == '\n');
        }
        *o = 0;
        return out;
}

static int run_restic(Run *run, char *const *args, int stdout_fd, ResticResult *ret_result, char **ret_error) {
        _cleanup_(strv_free_erasep) char **env = NULL;
        _cleanup_strv_free_ char **argv = NULL;
        SpawnOptions o = { .stdin_fd = -1 };
        SpawnStreams s = {
                .stdout_fd = stdout_fd,
                .on_stdout = on_stdout,
                .on_stderr = on_stderr,
                .userdata = run,
        };
        ResticResult res;
        int r, status;

        if (strv_extend(&argv, BERTH_RESTIC) < 0)
                return -ENOMEM;
        STRV_FOREACH(a, args)
                if (strv_extend(&argv, *a) < 0)
                        return -ENOMEM;
        r = build_env(run->repo, &env);
        if (r < 0)
                return r;
        o.env_extra = env;
        r = spawn_run_streams(argv, &o, &s, &status);
        if (r < 0)
                return r;
        res = restic_classify(status, run->tail);
        if (res == RESTIC_OK && run->backup && !run->have_summary) {
                res = RESTIC_FAILED;
                if (tail_append(run, "restic backup ended without a summary", 37) < 0)
                        return -ENOMEM;
        }
        if (ret_error) {
                char *e = NULL;
                if (res != RESTIC_OK && !(e = error_message(run, status)))
                        return -ENOMEM;
                *ret_error = e;
        }
        *ret_result = res;
        return 0;
}

/* A tag restic takes whole: ',' would split it into two. */
static bool tag_valid(const char *t) {
        return !isempty(t) && !strchr(t, ',');
}

static bool snapshot_id_valid(const char *s) {
        size_t n = strspn(s, "0123456789abcdef");
        return n >= 8 && n <= 64 && !s[n];
}

static int simple(const ResticRepo *r, char *const *args, ResticResult *ret_result, char **ret_error) {
        Run run = { .repo = r };
        int q = run_restic(&run, args, -1, ret_result, ret_error);
        run_done(&run);
        return q;
}

int restic_init(const ResticRepo *r, ResticResult *ret_result, char **ret_error) {
        char *args[] = { "init", NULL };
        return simple(r, args, ret_result, ret_error);
}

int restic_check_access(const ResticRepo *r, ResticResult *ret_result, char **ret_error) {
        char *args[] = { "cat", "config", NULL };
        return simple(r, args, ret_result, ret_error);
}

int restic_unlock_stale(const ResticRepo *r, ResticResult *ret_result, char **ret_error) {
        /* Without --remove-all restic removes only locks it knows to be stale
         * (their process gone on this host, or not refreshed for 30 minutes). */
        char *args[] = { "unlock", NULL };
        return simple(r, args, ret_result, ret_error);
}

int restic_prune(const ResticRepo *r, ResticResult *ret_result, char **ret_error) {
        char *args[] = { "prune", NULL };
        return simple(r, args, ret_result, ret_error);
}

int restic_backup(const ResticRepo *r, char *const *paths, char *const *tags, const char *host,
                  ResticProgressFn progress, void *userdata, ResticBackupSummary *ret_summary,
                  ResticResult *ret_result, char **ret_error) {
        return restic_backup_with(r, paths, tags, host, 0, progress, userdata, ret_summary, ret_result, ret_error);
}

int restic_backup_with(const ResticRepo *r, char *const *paths, char *const *tags, const char *host, unsigned flags,
                       ResticProgressFn progress, void *userdata, ResticBackupSummary *ret_summary,
                       ResticResult *ret_result, char **ret_error) {
        _cleanup_strv_free_ char **args = NULL;
        Run run = { .repo = r, .backup = true, .progress = progress, .userdata = userdata };
        int q;

        if (strv_length(paths) == 0 || (host && (isempty(host) || strchr(host, '\n'))))
                return -EINVAL;
        STRV_FOREACH(t, tags)
                if (!tag_valid(*t))
                        return -EINVAL;
        if (strv_extend(&args, "backup") < 0 || strv_extend(&args, "--json") < 0)
                return -ENOMEM;
        STRV_FOREACH(t, tags)
                if (strv_extendf(&args, "--tag=%s", *t) < 0)
                        return -ENOMEM;
        if (host && strv_extendf(&args, "--host=%s", host) < 0)
                return -ENOMEM;
        /* 0.14 needs both flags; 0.17+ folds ctime into --ignore-inode. */
        if ((flags & RESTIC_BACKUP_IGNORE_INODE) &&
            (strv_extend(&args, "--ignore-inode") < 0 || strv_extend(&args, "--ignore-ctime") < 0))
                return -ENOMEM;
        if (strv_extend(&args, "--") < 0)
                return -ENOMEM;
        STRV_FOREACH(p, paths)
                if (strv_extend(&args, *p) < 0)
                        return -ENOMEM;
        q = run_restic(&run, args, -1, ret_result, ret_error);
        if (q >= 0) {
                run.summary.error_count = run.errors;
                *ret_summary = run.summary;
                run.summary = (ResticBackupSummary) {};
        }
        run_done(&run);
        return q;
}

int restic_snapshots(const ResticRepo *r, char *const *tags, SnapshotInfo **ret, size_t *ret_n,
                     ResticResult *ret_result, char **ret_error) {
        _cleanup_strv_free_ char **args = NULL;
        _cleanup_free_ char *joined = NULL, *err = NULL;
        Run run = { .repo = r, .collect = true };
        ResticResult res;
        SnapshotInfo *list = NULL;
        size_t n = 0;
        int q;

        STRV_FOREACH(t, tags)
                if (!tag_valid(*t))
                        return -EINVAL;
        if (strv_extend(&args, "snapshots") < 0 || strv_extend(&args, "--json") < 0)
                return -ENOMEM;
        if (strv_length(tags) > 0) {
                /* One --tag with a comma list: snapshots with all of them
                 * (several --tag options would mean any of them). */
                joined = strv_join(tags, ",");
                if (!joined || strv_extendf(&args, "--tag=%s", joined) < 0)
                        return -ENOMEM;
        }
        q = run_restic(&run, args, -1, &res, &err);
        if (q >= 0 && res == RESTIC_OK)
                q = restic_snapshots_parse(strempty(run.out), run.out_len, &list, &n);
        run_done(&run);
        if (q < 0)
                return q;
        *ret = list;
        *ret_n = n;
        *ret_result = res;
        if (ret_error)
                *ret_error = TAKE_PTR(err);
        return 0;
}

int restic_forget(const ResticRepo *r, const char *tag, const Retention *keep, char ***ret_removed,
                  ResticResult *ret_result, char **ret_error) {
        const struct {
                const char *flag;
                unsigned n;
        } policy[] = {
                { "--keep-last", keep->last },     { "--keep-hourly", keep->hourly },   { "--keep-daily", keep->daily },
                { "--keep-weekly", keep->weekly }, { "--keep-monthly", keep->monthly }, { "--keep-yearly", keep->yearly },
        };
        _cleanup_strv_free_ char **args = NULL, **removed = NULL;
        _cleanup_free_ char *err = NULL;
        Run run = { .repo = r, .collect = true };
        ResticResult res;
        bool any = false;
        int q;

        if (!tag_valid(tag))
                return -EINVAL;
        if (strv_extend(&args, "forget") < 0 || strv_extend(&args, "--json") < 0 ||
            strv_extendf(&args, "--tag=%s", tag) < 0 || strv_extend(&args, "--group-by=host") < 0)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(policy); i++)
                if (policy[i].n > 0) {
                        any = true;
                        if (strv_extendf(&args, "%s=%u", policy[i].flag, policy[i].n) < 0)
                                return -ENOMEM;
                }
        if (!any) {
                /* Nothing to keep by means everything is kept: restic itself
                 * would say "no policy was specified". */
                if (ret_removed)
                        *ret_removed = NULL;
                *ret_result = RESTIC_OK;
                if (ret_error)
                        *ret_error = NULL;
                return 0;
        }
        q = run_restic(&run, args, -1, &res, &err);
        if (q >= 0 && res == RESTIC_OK && run.out_len > 0)
                q = restic_forget_parse(run.out, run.out_len, &removed);
        run_done(&run);
        if (q < 0)
                return q;
        if (ret_removed)
                *ret_removed = TAKE_PTR(removed);
        *ret_result = res;
        if (ret_error)
                *ret_error = TAKE_PTR(err);
        return 0;
}

int restic_restore(const ResticRepo *r, const char *snapshot, const char *target, char *const *include,
                   ResticResult *ret_result, char **ret_error) {
        _cleanup_strv_free_ char **args = NULL;

        if (!snapshot_id_valid(snapshot) || isempty(target))
                return -EINVAL;
        STRV_FOREACH(p, include)
                if (isempty(*p))
                        return -EINVAL;
        if (strv_extend(&args, "restore") < 0 || strv_extend(&args, snapshot) < 0 ||
            strv_extendf(&args, "--target=%s", target) < 0)
                return -ENOMEM;
        STRV_FOREACH(p, include)
                if (strv_extendf(&args, "--include=%s", *p) < 0)
                        return -ENOMEM;
        return simple(r, args, ret_result, ret_error);
}

int restic_snapshot_size(const ResticRepo *r, const char *snapshot, char *const *paths, uint64_t *ret_bytes,
                         ResticResult *ret_result, char **ret_error) {
        _cleanup_strv_free_ char **args = NULL;
        Run run = { .repo = r, .size_under = paths };
        int q;

        if (!snapshot_id_valid(snapshot) || strv_length(paths) == 0)
                return -EINVAL;
        if (strv_extend(&args, "ls") < 0 || strv_extend(&args, "--json") < 0 || strv_extend(&args, "--recursive") < 0 ||
            strv_extend(&args, (char *) snapshot) < 0 || strv_extend(&args, "--") < 0)
                return -ENOMEM;
        STRV_FOREACH(p, paths)
                if (strv_extend(&args, *p) < 0)
                        return -ENOMEM;
        q = run_restic(&run, args, -1, ret_result, ret_error);
        if (q >= 0)
                *ret_bytes = run.size_total;
        run_done(&run);
        return q;
}

int restic_dump(const ResticRepo *r, const char *snapshot, const char *path, int fd,
                ResticResult *ret_result, char **ret_error) {
        char *args[] = { "dump", (char *) snapshot, "--", (char *) path, NULL };
        Run run = { .repo = r };
        int q;

        if (!snapshot_id_valid(snapshot) || isempty(path) || fd < 0)
                return -EINVAL;
        q = run_restic(&run, args, fd, ret_result, ret_error);
        run_done(&run);
        return q;
}
