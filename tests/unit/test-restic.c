/* test-restic.c — the restic driver: redaction, the environment file, exit
 * classification (with restic 0.14's messages), parsing of real restic output
 * recorded from 0.14 and 0.18 (tests/unit/data/restic/, made by record.sh),
 * and the real restic at BERTH_RESTIC against a local repository. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>

#include "fs_util.h"
#include "restic.h"
#include "restic_json.h"
#include "spawn.h"
#include "strv.h"

static unsigned n_passed, n_failed, n_skipped;

static bool check(bool ok, const char *what, const char *file, int line) {
        if (ok)
                n_passed++;
        else {
                n_failed++;
                fprintf(stderr, "%s:%d: FAILED: %s\n", file, line, what);
        }
        return ok;
}
#define CHECK(c) check(!!(c), #c, __FILE__, __LINE__)
#define CHECK_STR(a, b)                                                                                            \
        ({                                                                                                         \
                const char *_a = (a), *_b = (b);                                                                   \
                bool _ok = streq_ptr(_a, _b);                                                                      \
                if (!_ok)                                                                                          \
                        fprintf(stderr, "%s:%d: '%s' is \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a,        \
                                strempty(_a), strempty(_b));                                                       \
                check(_ok, #a " == " #b, __FILE__, __LINE__);                                                      \
        })
#define CHECK_INT(a, b)                                                                                            \
        ({                                                                                                         \
                long long _a = (long long) (a), _b = (long long) (b);                                              \
                if (_a != _b)                                                                                      \
                        fprintf(stderr, "%s:%d: '%s' is %lld, expected %lld\n", __FILE__, __LINE__, #a, _a, _b);   \
                check(_a == _b, #a " == " #b, __FILE__, __LINE__);                                                 \
        })
#define CHECK_RES(a, b)                                                                                            \
        ({                                                                                                         \
                ResticResult _a = (a), _b = (b);                                                                   \
                if (_a != _b)                                                                                      \
                        fprintf(stderr, "%s:%d: '%s' is %s, expected %s\n", __FILE__, __LINE__, #a,                \
                                restic_result_to_string(_a), restic_result_to_string(_b));                         \
                check(_a == _b, #a " == " #b, __FILE__, __LINE__);                                                 \
        })

static const char *data_dir(void) {
        static char buf[4096];
        const char *src = getenv("BERTH_SRC");
        snprintf(buf, sizeof buf, "%s/tests/unit/data/restic", isempty(src) ? "." : src);
        return buf;
}

/* A recorded file: data/restic/VERSION/NAME.EXT; NULL if not recorded. */
static char *sample(const char *version, const char *name, const char *ext, size_t *ret_len) {
        _cleanup_free_ char *path = NULL;
        char *text = NULL;
        if (asprintf(&path, "%s/%s/%s.%s", data_dir(), version, name, ext) < 0)
                abort();
        if (read_file(path, 64U << 20, &text, ret_len) < 0)
                return NULL;
        return text;
}

static int sample_status(const char *version, const char *name) {
        _cleanup_free_ char *s = sample(version, name, "status", NULL);
        return s ? atoi(s) : -1;
}

static void repo_set(ResticRepo *r, const char *repository, const char *password_file) {
        restic_repo_done(r);
        r->repository = strdup(repository);
        r->password_file = strdup(password_file ?: "/nonexistent");
        if (!r->repository || !r->password_file)
                abort();
}

/* ---- spawn_run_streams, through which restic is read ---- */

typedef struct Lines {
        char **out, **err;
        int stop_after; /* > 0: fail the run at that stdout line */
} Lines;

static int collect_out(const char *line, size_t len, void *userdata) {
        Lines *l = userdata;
        if (strlen(line) != len || strv_extend(&l->out, line) < 0)
                return -EIO;
        if (l->stop_after > 0 && (int) strv_length(l->out) >= l->stop_after)
                return -ECANCELED;
        return 0;
}

static int collect_err(const char *line, size_t len, void *userdata) {
        Lines *l = userdata;
        return strlen(line) != len || strv_extend(&l->err, line) < 0 ? -EIO : 0;
}

static void test_spawn_streams(const char *tmp) {
        SpawnStreams s = { .stdout_fd = -1, .on_stdout = collect_out, .on_stderr = collect_err };
        Lines l = {};
        int st = -1;

        s.userdata = &l;
        {
                /* lines apart, a last line without newline, empty lines kept */
                char *argv[] = { "/bin/sh", "-c", "printf 'a\\nbb\\n'; printf 'err1\\n\\nerr2' >&2; printf '\\ntail'; exit 7", NULL };
                CHECK_INT(spawn_run_streams(argv, NULL, &s, &st), 0);
                CHECK_INT(st, 7);
                CHECK_INT(strv_length(l.out), 4);
                if (strv_length(l.out) == 4)
                        CHECK(streq(l.out[0], "a") && streq(l.out[1], "bb") && streq(l.out[2], "") && streq(l.out[3], "tail"));
                CHECK_INT(strv_length(l.err), 3);
                if (strv_length(l.err) == 3)
                        CHECK(streq(l.err[0], "err1") && streq(l.err[1], "") && streq(l.err[2], "err2"));
                strv_free(TAKE_PTR(l.out));
                strv_free(TAKE_PTR(l.err));
        }
        {
                /* a line longer than any one read */
                char *argv[] = { "/bin/sh", "-c", "head -c 300000 /dev/zero | tr '\\0' x; echo; echo after", NULL };
                CHECK_INT(spawn_run_streams(argv, NULL, &s, &st), 0);
                CHECK_INT(strv_length(l.out), 2);
                CHECK(l.out && strlen(l.out[0]) == 300000 && strspn(l.out[0], "x") == 300000);
                strv_free(TAKE_PTR(l.out));
        }
        {
                /* stdout into a caller's fd, stderr still read */
                _cleanup_free_ char *path = NULL, *text = NULL;
                _cleanup_close_ int fd = -EBADF;
                char *argv[] = { "/bin/sh", "-c", "echo to-file; echo to-stderr >&2", NULL };
                if (asprintf(&path, "%s/spawn-out", tmp) < 0)
                        abort();
                fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
                s.stdout_fd = fd;
                CHECK_INT(spawn_run_streams(argv, NULL, &s, &st), 0);
                s.stdout_fd = -1;
                CHECK_INT(st, 0);
                CHECK(!l.out);
                CHECK(read_file(path, 4096, &text, NULL) >= 0 && streq(text, "to-file\n"));
                CHECK(strv_length(l.err) == 1 && streq(l.err[0], "to-stderr"));
                strv_free(TAKE_PTR(l.err));
        }
        {
                /* a callback's error stops the child at once */
                char *argv[] = { "/bin/sh", "-c", "echo one; exec sleep 30", NULL };
                time_t t0 = time(NULL);
                l.stop_after = 1;
                CHECK_INT(spawn_run_streams(argv, NULL, &s, &st), -ECANCELED);
                CHECK(time(NULL) - t0 < 10);
                l.stop_after = 0;
                strv_free(TAKE_PTR(l.out));
        }
        {
                char *argv[] = { "/nonexistent/restic", "version", NULL };
                CHECK_INT(spawn_run_streams(argv, NULL, &s, &st), -ENOENT);
        }
        strv_free(l.err);
}

/* ---- redaction ---- */

static void test_redact(void) {
        static const struct {
                const char *in, *out;
        } cases[] = {
                /* sftp: a user is not a secret */
                { "sftp:user@host:/srv/restic-repo", "sftp:user@host:/srv/restic-repo" },
                { "sftp://user@[::1]:2222//srv/restic-repo", "sftp://user@[::1]:2222//srv/restic-repo" },
                { "sftp://user:pw@host//srv/repo", "sftp://user:***@host//srv/repo" },
                { "sftp:user:pw@host:/srv/repo", "sftp:user:***@host:/srv/repo" },
                /* rest-server with user:pass */
                { "rest:https://u:p@h/x", "rest:https://u:***@h/x" },
                { "rest:https://berth:s3cr%40t@backup.example:8000/immich/", "rest:https://berth:***@backup.example:8000/immich/" },
                { "rest:http://u:pw@[::1]:8000/", "rest:http://u:***@[::1]:8000/" },
                { "rest:http://host:8000/", "rest:http://host:8000/" },
                /* '@' in the path is not a userinfo */
                { "rest:http://host:8000/user@example/repo", "rest:http://host:8000/user@example/repo" },
                { "rest:https://u:p@host/a@b/c", "rest:https://u:***@host/a@b/c" },
                { "sftp:user@host:/srv/backup@2024", "sftp:user@host:/srv/backup@2024" },
                { "s3:https://minio.local:9000/bucket@2024/x", "s3:https://minio.local:9000/bucket@2024/x" },
                /* s3 with the keys in the environment, not the URL */
                { "s3:s3.amazonaws.com/bucket/path", "s3:s3.amazonaws.com/bucket/path" },
                { "s3:https://AKIAEXAMPLE:secretkey@s3.example.com/bucket", "s3:https://AKIAEXAMPLE:***@s3.example.com/bucket" },
                /* query strings (SAS tokens and the like) */
                { "azure:container:/path?sv=2020&sig=abc", "azure:container:/path?***" },
                { "s3:https://h/bucket?X-Amz-Signature=abc#frag", "s3:https://h/bucket?***#frag" },
                { "gs:bucket:/path", "gs:bucket:/path" },
                { "b2:bucket:path/x", "b2:bucket:path/x" },
                { "swift:container:/path", "swift:container:/path" },
                /* rclone connection strings carry parameters */
                { "rclone:remote:path", "rclone:remote:path" },
                { "rclone::s3,provider=AWS,secret_access_key=SK:bucket/p", "rclone::s3,provider=***,secret_access_key=***:bucket/p" },
                /* local paths are never touched */
                { "/var/lib/berth/backup", "/var/lib/berth/backup" },
                { "/srv/a:b@c?d", "/srv/a:b@c?d" },
                { "local:/srv/x", "local:/srv/x" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *r = restic_redact(cases[i].in);
                CHECK_STR(r, cases[i].out);
        }
}

static void test_redact_output(void) {
        ResticRepo r = {};
        char *out;

        /* rest with user:pass: the URL as restic might print it, raw and decoded. */
        repo_set(&r, "rest:https://berth:p%40ss-w0rd@backup.example:8000/immich/", NULL);
        out = restic_redact_output(&r, "Fatal: unable to open rest:https://berth:p%40ss-w0rd@backup.example:8000/immich/\n"
                                       "password p@ss-w0rd and p%40ss-w0rd\n");
        CHECK_STR(out, "Fatal: unable to open rest:https://berth:***@backup.example:8000/immich/\n"
                       "password *** and ***\n");
        free(out);

        /* sftp: restic 0.14 and 0.18 print this URL unredacted (recorded below). */
        repo_set(&r, "sftp://berth:s3cr3t-pw@127.0.0.1:1//srv/repo", NULL);
        out = restic_redact_output(&r, "Fatal: unable to open repository at sftp://berth:s3cr3t-pw@127.0.0.1:1//srv/repo: EOF");
        CHECK_STR(out, "Fatal: unable to open repository at sftp://berth:***@127.0.0.1:1//srv/repo: EOF");
        free(out);

        /* s3 with keys in the environment file, not in the URL. */
        repo_set(&r, "s3:s3.amazonaws.com/bucket", NULL);
        r.env = NULL;
        CHECK(strv_extend(&r.env, "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE") >= 0);
        CHECK(strv_extend(&r.env, "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY") >= 0);
        CHECK(strv_extend(&r.env, "RESTIC_PACK_SIZE=64") >= 0);
        CHECK(strv_extend(&r.env, "EMPTY=") >= 0);
        out = restic_redact_output(&r, "Fatal: s3.amazonaws.com/bucket: key AKIAIOSFODNN7EXAMPLE / "
                                       "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY refused (pack 64, 1640 bytes)");
        CHECK_STR(out, "Fatal: s3.amazonaws.com/bucket: key *** / *** refused (pack ***, 1640 bytes)");
        free(out);

        /* a local path: nothing to hide, nothing changed */
        repo_set(&r, "/var/lib/berth/backup", NULL);
        out = restic_redact_output(&r, "Is there a repository at the following location?\n/var/lib/berth/backup\n");
        CHECK_STR(out, "Is there a repository at the following location?\n/var/lib/berth/backup\n");
        free(out);
        restic_repo_done(&r);
}

/* ---- environment file ---- */

static char *write_temp(const char *dir, const char *name, const char *content, size_t len) {
        char *path = NULL;
        if (asprintf(&path, "%s/%s", dir, name) < 0 || write_file_atomic(path, content, len, 0600, false) < 0)
                abort();
        return path;
}

static void test_env_file(const char *tmp) {
        static const char good[] = "# S3 credentials for berth\n"
                                   "\n"
                                   "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n"
                                   "   AWS_SECRET_ACCESS_KEY=\"wJalr=Xut $HOME `x`\"\n"
                                   "B2_ACCOUNT_KEY='single quoted'\r\n"
                                   "\t# indented comment\n"
                                   "RESTIC_COMPRESSION=max\n"
                                   "EMPTY=\n"
                                   "QUOTE=\"unbalanced\n"
                                   "LAST=no newline";
        static const struct {
                const char *content;
                const char *error; /* expected after "FILE:" */
        } bad[] = {
                { "A=1\nnot a line\n", "2: expected KEY=VALUE" },
                { "A=1\n\n1ABC=x\n", "3: expected KEY=VALUE" },
                { "KEY =x\n", "1: expected KEY=VALUE" },
                { "export KEY=x\n", "1: expected KEY=VALUE" },
                { "=value\n", "1: expected KEY=VALUE" },
                { "# c\nRESTIC_PASSWORD=hunter2\n", "2: RESTIC_PASSWORD is set by berth from berth.conf" },
                { "RESTIC_REPOSITORY=s3:x/y\n", "1: RESTIC_REPOSITORY is set by berth" },
                { "RESTIC_PASSWORD_COMMAND=cat /x\n", "1: RESTIC_PASSWORD_COMMAND is set by berth" },
                { "A=1\nB=2\nA=3\n", "3: A is set again (first on line 1)" },
        };
        _cleanup_free_ char *path = write_temp(tmp, "env-good", good, sizeof good - 1);
        _cleanup_strv_free_ char **env = NULL;
        char *err = NULL;

        CHECK_INT(restic_env_file_parse(path, &env, &err), 0);
        CHECK(!err);
        CHECK_INT(strv_length(env), 7);
        if (strv_length(env) == 7) {
                CHECK_STR(env[0], "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE");
                CHECK_STR(env[1], "AWS_SECRET_ACCESS_KEY=wJalr=Xut $HOME `x`");
                CHECK_STR(env[2], "B2_ACCOUNT_KEY=single quoted");
                CHECK_STR(env[3], "RESTIC_COMPRESSION=max");
                CHECK_STR(env[4], "EMPTY=");
                CHECK_STR(env[5], "QUOTE=\"unbalanced");
                CHECK_STR(env[6], "LAST=no newline");
        }

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *p = write_temp(tmp, "env-bad", bad[i].content, strlen(bad[i].content));
                _cleanup_free_ char *want = NULL;
                char **e = NULL;
                err = NULL;
                CHECK_INT(restic_env_file_parse(p, &e, &err), -EINVAL);
                CHECK(!e);
                if (asprintf(&want, "%s:%s", p, bad[i].error) < 0)
                        abort();
                if (!CHECK(err && startswith(err, want)))
                        fprintf(stderr, "  error was: %s\n  expected:  %s...\n", strempty(err), want);
                /* never the value */
                CHECK(err && !strstr(err, "hunter2") && !strstr(err, "cat /x") && !strstr(err, "s3:x/y"));
                free(err);
        }
        {
                static const char nul[] = "A=1\nB=x\0y\n";
                _cleanup_free_ char *p = write_temp(tmp, "env-nul", nul, sizeof nul - 1);
                char **e = NULL;
                err = NULL;
                CHECK_INT(restic_env_file_parse(p, &e, &err), -EINVAL);
                CHECK(err && strstr(err, "NUL"));
                free(err);
        }
        {
                _cleanup_free_ char *p = NULL;
                char **e = NULL;
                if (asprintf(&p, "%s/no-such-env", tmp) < 0)
                        abort();
                err = NULL;
                CHECK_INT(restic_env_file_parse(p, &e, &err), -ENOENT);
                CHECK(err && startswith(err, p));
                free(err);
        }
}

static void test_repo_from_conf(const char *tmp) {
        _cleanup_free_ char *state = NULL, *want = NULL, *envp = NULL;
        BerthPaths paths = {};
        BerthConf conf = {};
        ResticRepo r = {};
        char *err = NULL;
        struct stat st;
        _cleanup_free_ char *pw = NULL;

        if (asprintf(&state, "%s/state", tmp) < 0)
                abort();
        paths.state_dir = state;

        unsetenv("RESTIC_CACHE_DIR");
        CHECK_INT(restic_repo_from_conf(NULL, &paths, &r, &err), 0);
        if (asprintf(&want, "%s/backup", state) < 0)
                abort();
        CHECK_STR(r.repository, want);
        free(want);
        if (asprintf(&want, "%s/restic-password", state) < 0)
                abort();
        CHECK_STR(r.password_file, want);
        CHECK(r.is_default);
        CHECK(!r.env && !r.cache_dir);

        /* the default password: made once, 0600, long enough */
        CHECK_INT(restic_default_password_ensure(&r), 1);
        CHECK(stat(want, &st) >= 0 && (st.st_mode & 07777) == 0600 && st.st_size == 48);
        CHECK(read_file(want, 4096, &pw, NULL) >= 0 && strspn(pw, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") == 48);
        CHECK_INT(restic_default_password_ensure(&r), 0);
        {
                _cleanup_free_ char *again = NULL;
                CHECK(read_file(want, 4096, &again, NULL) >= 0 && streq_ptr(pw, again));
        }
        CHECK(chmod(want, 0644) >= 0);
        CHECK_INT(restic_default_password_ensure(&r), 0);
        CHECK(stat(want, &st) >= 0 && (st.st_mode & 07777) == 0600);
        restic_repo_done(&r);

        /* the administrator's repository, environment file and cache */
        static const char env_text[] = "AWS_ACCESS_KEY_ID=AK\nAWS_SECRET_ACCESS_KEY=SK\n";
        envp = write_temp(tmp, "restic.env", env_text, sizeof env_text - 1);
        conf.repository = (char *) "s3:s3.amazonaws.com/bucket";
        conf.password_file = (char *) "/etc/berth/private/restic-password";
        conf.environment_file = envp;
        setenv("RESTIC_CACHE_DIR", "/var/cache/berth/restic", 1);
        CHECK_INT(restic_repo_from_conf(&conf, &paths, &r, &err), 0);
        CHECK_STR(r.repository, "s3:s3.amazonaws.com/bucket");
        CHECK_STR(r.password_file, "/etc/berth/private/restic-password");
        CHECK(!r.is_default);
        CHECK_INT(strv_length(r.env), 2);
        CHECK_STR(r.cache_dir, "/var/cache/berth/restic");
        /* not the default: its password file is never generated */
        CHECK_INT(restic_default_password_ensure(&r), -ENOENT);
        restic_repo_done(&r);
        unsetenv("RESTIC_CACHE_DIR");

        /* a repository without a password file */
        conf.password_file = NULL;
        CHECK_INT(restic_repo_from_conf(&conf, &paths, &r, &err), -EINVAL);
        CHECK(err && strstr(err, "backup.password_file"));
        free(err);
        err = NULL;

        /* the default named explicitly stays the default */
        conf.repository = (char *) BERTH_DEFAULT_REPOSITORY;
        conf.environment_file = NULL;
        CHECK_INT(restic_repo_from_conf(&conf, &paths, &r, &err), 0);
        CHECK(r.is_default);
        restic_repo_done(&r);

        /* a bad environment file is reported with its line */
        static const char bad_env[] = "A=1\nB\n";
        _cleanup_free_ char *badp = write_temp(tmp, "bad.env", bad_env, sizeof bad_env - 1);
        conf.repository = NULL;
        conf.environment_file = badp;
        CHECK_INT(restic_repo_from_conf(&conf, &paths, &r, &err), -EINVAL);
        CHECK(err && strstr(err, ":2: expected KEY=VALUE"));
        free(err);
}

/* ---- classification ---- */

static void test_classify_table(void) {
        static const struct {
                int status;
                const char *err;
                ResticResult want;
        } cases[] = {
                { 0, "", RESTIC_OK },
                { 0, "Fatal: wrong password or no key found", RESTIC_OK },
                { 3, "Warning: at least one source file could not be read", RESTIC_PARTIAL },
                { 10, "", RESTIC_NO_REPOSITORY },
                { 11, "", RESTIC_LOCKED },
                { 12, "", RESTIC_WRONG_PASSWORD },
                /* restic 0.14 (Debian 12): everything is status 1 */
                { 1,
                  "Fatal: unable to open config file: stat /var/lib/berth/backup/config: no such file or directory\n"
                  "Is there a repository at the following location?\n/var/lib/berth/backup\n",
                  RESTIC_NO_REPOSITORY },
                { 1, "Fatal: unable to open config file: <config/> does not exist\nIs there a repository at the following location?\nrest:http://u:***@h/\n",
                  RESTIC_NO_REPOSITORY },
                { 1, "Fatal: unable to open config file: Stat: The specified key does not exist.\nIs there a repository at the following location?\ns3:h/b\n",
                  RESTIC_NO_REPOSITORY },
                /* 0.14 asks the same after a refused connection: that is no answer */
                { 1,
                  "Fatal: unable to open config file: client.Head: Head \"http://u:***@127.0.0.1:1/repo/config\": dial tcp 127.0.0.1:1: "
                  "connect: connection refused\nIs there a repository at the following location?\nrest:http://u:***@127.0.0.1:1/repo/\n",
                  RESTIC_FAILED },
                { 1, "Fatal: repository does not exist: unable to open config file", RESTIC_NO_REPOSITORY },
                { 1,
                  "unable to create lock in backend: repository is already locked exclusively by PID 5534 on vm by root (UID 0, GID 0)\n"
                  "lock was created at 2026-11-24 04:53:23 (3.353362045s ago)\nstorage ID 7544f969\n",
                  RESTIC_LOCKED },
                { 1, "repository is already locked by PID 1", RESTIC_LOCKED },
                { 1, "Fatal: wrong password or no key found\n", RESTIC_WRONG_PASSWORD },
                { 1, "Fatal: create repository at /x failed: config file already exists\n", RESTIC_FAILED },
                { 1, "", RESTIC_FAILED },
                { 1, NULL, RESTIC_FAILED },
                /* the messages count only with status 1 */
                { 2, "Fatal: wrong password or no key found", RESTIC_FAILED },
                { 130, "unable to create lock in backend", RESTIC_FAILED },
                { 127, "", RESTIC_FAILED },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                CHECK_RES(restic_classify(cases[i].status, cases[i].err), cases[i].want);
        for (int i = 0; i < _RESTIC_RESULT_MAX; i++)
                CHECK(restic_result_to_string((ResticResult) i));
        CHECK(!restic_result_to_string(_RESTIC_RESULT_MAX));
}

/* stderr as berth reads it: 0.17+'s exit_error lines unpacked into text. */
static char *stderr_as_text(const char *raw) {
        _cleanup_free_ char *out = strdup("");
        for (const char *s = raw; s && *s;) {
                size_t k = strcspn(s, "\n");
                ResticMessage m = {};
                char *t;
                if (restic_message_parse(s, k, &m) < 0)
                        abort();
                if (asprintf(&t, "%s%.*s\n", out, m.type == RESTIC_MESSAGE_EXIT_ERROR || m.type == RESTIC_MESSAGE_ERROR ? (int) strlen(m.text) : (int) k,
                             m.type == RESTIC_MESSAGE_EXIT_ERROR || m.type == RESTIC_MESSAGE_ERROR ? m.text : s) < 0)
                        abort();
                free(out);
                out = t;
                restic_message_done(&m);
                s += k + (s[k] == '\n');
        }
        return TAKE_PTR(out);
}

static void test_classify_recorded(void) {
        static const struct {
                const char *name;
                ResticResult want;
        } cases[] = {
                { "no-repo-cat-config", RESTIC_NO_REPOSITORY },
                { "no-repo-snapshots", RESTIC_NO_REPOSITORY },
                { "no-repo-backup", RESTIC_NO_REPOSITORY },
                { "no-repo-rest", RESTIC_NO_REPOSITORY },
                { "unreachable-rest", RESTIC_FAILED },
                { "unreachable-sftp", RESTIC_FAILED },
                { "init", RESTIC_OK },
                { "init-exists", RESTIC_FAILED },
                { "backup-progress", RESTIC_OK },
                { "backup-unreadable", RESTIC_PARTIAL },
                { "snapshots", RESTIC_OK },
                { "snapshots-tag", RESTIC_OK },
                { "snapshots-none", RESTIC_OK },
                { "forget", RESTIC_OK },
                { "forget-none", RESTIC_OK },
                { "wrong-password-cat-config", RESTIC_WRONG_PASSWORD },
                { "wrong-password-snapshots", RESTIC_WRONG_PASSWORD },
                { "wrong-password-backup", RESTIC_WRONG_PASSWORD },
                { "locked-cat-config", RESTIC_LOCKED },
                { "locked-snapshots", RESTIC_LOCKED },
                { "locked-backup", RESTIC_LOCKED },
                { "locked-forget", RESTIC_LOCKED },
                { "locked-prune", RESTIC_LOCKED },
        };
        static const char *const versions[] = { "0.14", "0.18" };
        unsigned seen = 0;

        for (size_t v = 0; v < ELEMENTSOF(versions); v++)
                for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                        _cleanup_free_ char *err = sample(versions[v], cases[i].name, "stderr", NULL), *text = NULL;
                        int status = sample_status(versions[v], cases[i].name);
                        if (!err || status < 0) {
                                /* 0.18 retries a refused connection for minutes: not recorded */
                                CHECK(streq(cases[i].name, "unreachable-rest"));
                                continue;
                        }
                        seen++;
                        text = stderr_as_text(err);
                        if (!CHECK_RES(restic_classify(status, text), cases[i].want))
                                fprintf(stderr, "  restic %s, %s (status %d)\n", versions[v], cases[i].name, status);
                        CHECK_RES(restic_classify(status, err), cases[i].want);
                        /* 0.17+ gives the exit codes; 0.14 needs its messages */
                        if (streq(versions[v], "0.14") && cases[i].want != RESTIC_OK && cases[i].want != RESTIC_PARTIAL)
                                CHECK_INT(status, 1);
                        if (streq(versions[v], "0.18") && cases[i].want == RESTIC_LOCKED)
                                CHECK_INT(status, 11);
                }
        CHECK(seen >= 2 * ELEMENTSOF(cases) - 2);

        /* both versions print an sftp URL's password: it must not get out */
        for (size_t v = 0; v < ELEMENTSOF(versions); v++) {
                _cleanup_free_ char *err = sample(versions[v], "unreachable-sftp", "stderr", NULL), *out = NULL;
                ResticRepo r = {};
                repo_set(&r, "sftp://berth:s3cr3t-pw@127.0.0.1:1//srv/repo", NULL);
                CHECK(err && strstr(err, "s3cr3t-pw"));
                out = restic_redact_output(&r, strempty(err));
                CHECK(out && !strstr(out, "s3cr3t-pw") && strstr(out, "sftp://berth:***@127.0.0.1:1//srv/repo"));
                restic_repo_done(&r);
        }
}

/* ---- JSON output ---- */

static void test_time(void) {
        usec_t t = 0;

        CHECK_INT(restic_time_parse("2024-03-01T10:00:00+05:30", &t), 0);
        CHECK_INT(t, 1709267400ULL * USEC_PER_SEC);
        CHECK_INT(restic_time_parse("2024-03-01T04:30:00Z", &t), 0);
        CHECK_INT(t, 1709267400ULL * USEC_PER_SEC);
        CHECK_INT(restic_time_parse("2024-02-29T23:30:00.5-05:00", &t), 0);
        CHECK_INT(t, 1709267400ULL * USEC_PER_SEC + 500000);
        CHECK_INT(restic_time_parse("2026-11-24T05:02:37.533006064Z", &t), 0);
        CHECK_INT(t, 1795496557ULL * USEC_PER_SEC + 533006);
        CHECK_INT(restic_time_parse("2026-11-24T10:32:37.000001999+05:30", &t), 0);
        CHECK_INT(t, 1795496557ULL * USEC_PER_SEC + 1);
        CHECK_INT(restic_time_parse("1970-01-01T00:00:00Z", &t), 0);
        CHECK_INT(t, 0);

        static const char *const bad[] = {
                "", "2024-03-01", "2024-03-01T10:00:00", "2024-03-01 10:00:00Z", "2024-03-01T10:00:00+5:30",
                "2024-03-01T10:00:00+0530", "2024-03-01T10:00:00Zjunk", "2024-03-01T10:00:00.Z", "2024-03-01T10:00:00+25:00",
                "1969-12-31T23:59:59Z",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (!CHECK(restic_time_parse(bad[i], &t) < 0))
                        fprintf(stderr, "  accepted: \"%s\"\n", bad[i]);
}

static void test_messages(void) {
        ResticMessage m = {};

        CHECK_INT(restic_message_parse("created restic repository 1b78e1ffa1 at /tmp/x", 46, &m), 0);
        CHECK_INT(m.type, RESTIC_MESSAGE_NONE);
        CHECK_INT(restic_message_parse("{\"no\":\"type\"}", 13, &m), 0);
        CHECK_INT(m.type, RESTIC_MESSAGE_NONE);
        CHECK_INT(restic_message_parse("{broken", 7, &m), 0);
        CHECK_INT(m.type, RESTIC_MESSAGE_NONE);
        CHECK_INT(restic_message_parse("{\"message_type\":\"status\"} trailing", 34, &m), 0);
        CHECK_INT(m.type, RESTIC_MESSAGE_NONE);
        static const char vs[] = "{\"message_type\":\"verbose_status\",\"action\":\"new\",\"item\":\"/x\"}";
        CHECK_INT(restic_message_parse(vs, sizeof vs - 1, &m), 0);
        CHECK_INT(m.type, RESTIC_MESSAGE_OTHER);
        restic_message_done(&m);
        static const char ee[] = "{\"message_type\":\"exit_error\",\"code\":12,\"message\":\"Fatal: wrong password or no key found\"}";
        CHECK_INT(restic_message_parse(ee, sizeof ee - 1, &m), 0);
        CHECK_INT(m.type, RESTIC_MESSAGE_EXIT_ERROR);
        CHECK_INT(m.code, 12);
        CHECK_STR(m.text, "Fatal: wrong password or no key found");
        restic_message_done(&m);
        /* seconds_elapsed and friends are omitted when zero */
        static const char st[] = "{\"message_type\":\"status\",\"percent_done\":0.25,\"total_files\":4,\"seconds_elapsed\":3}";
        CHECK_INT(restic_message_parse(st, sizeof st - 1, &m), 0);
        CHECK_INT(m.type, RESTIC_MESSAGE_STATUS);
        CHECK(m.progress.percent_done == 0.25);
        CHECK_INT(m.progress.total_files, 4);
        CHECK_INT(m.progress.files_done, 0);
        CHECK_INT(m.progress.seconds_elapsed, 3);
        restic_message_done(&m);
}

typedef struct Expect {
        const char *version;
        unsigned min_status_lines;
        const char *snapshot_id;
        uint64_t data_added, dirs_new;
        double duration;
        usec_t last_time;     /* the backup-progress snapshot, newest */
        const char *first_short_id;
        const char *unreadable_text;
} Expect;

static const Expect expects[] = {
        { "0.14", 20, "5539b741", 40070641, 4, 0.80737339, 1795496557ULL * USEC_PER_SEC + 533006, "2b3b67f0",
          "open /tmp/berth-restic-record/u/secret.txt: Permission denied" },
        { "0.18", 20, "37cf10f76e4d260ab97af23304df993e7429244b18b49060303da88dc5034d8a", 40070653, 4, 1.034225437,
          1795496597ULL * USEC_PER_SEC + 433963, "69a36cea", "open /tmp/berth-restic-record/u/secret.txt: permission denied" },
};

static void test_backup_output(const Expect *e) {
        size_t len = 0;
        _cleanup_free_ char *out = sample(e->version, "backup-progress", "stdout", &len);
        _cleanup_free_ char *err = sample(e->version, "backup-unreadable", "stderr", NULL);
        _cleanup_free_ char *out2 = sample(e->version, "backup-unreadable", "stdout", NULL);
        ResticBackupSummary sum = {};
        unsigned status_lines = 0, summaries = 0, errors = 0, scan_errors = 0;
        double last_percent = -1;
        bool monotonic = true;

        if (!CHECK(out && err && out2))
                return;
        for (const char *s = out; *s;) {
                size_t k = strcspn(s, "\n");
                ResticMessage m = {};
                CHECK_INT(restic_message_parse(s, k, &m), 0);
                if (m.type == RESTIC_MESSAGE_STATUS) {
                        status_lines++;
                        if (m.progress.percent_done < last_percent)
                                monotonic = false;
                        last_percent = m.progress.percent_done;
                        CHECK(m.progress.bytes_done <= m.progress.total_bytes);
                } else if (m.type == RESTIC_MESSAGE_SUMMARY) {
                        summaries++;
                        restic_backup_summary_done(&sum);
                        sum = m.summary;
                        m.summary = (ResticBackupSummary) {};
                }
                restic_message_done(&m);
                s += k + (s[k] == '\n');
        }
        CHECK(status_lines >= e->min_status_lines);
        CHECK(monotonic);
        CHECK(last_percent == 1.0);
        CHECK_INT(summaries, 1);
        CHECK_STR(sum.snapshot_id, e->snapshot_id);
        CHECK_INT(sum.files_new, 200);
        CHECK_INT(sum.files_changed, 0);
        CHECK_INT(sum.dirs_new, e->dirs_new);
        CHECK_INT(sum.data_added, e->data_added);
        CHECK_INT(sum.total_files_processed, 200);
        CHECK_INT(sum.total_bytes_processed, 40000000);
        CHECK(sum.total_duration > e->duration - 1e-9 && sum.total_duration < e->duration + 1e-9);
        restic_backup_summary_done(&sum);

        /* unreadable files: "error" lines on stderr (0.14 marshals Go's error
         * as {} or {Op,Path,Err}; 0.17+ as {message}) */
        for (const char *s = err; *s;) {
                size_t k = strcspn(s, "\n");
                ResticMessage m = {};
                CHECK_INT(restic_message_parse(s, k, &m), 0);
                if (m.type == RESTIC_MESSAGE_ERROR) {
                        if (m.during_scan)
                                scan_errors++;
                        else {
                                errors++;
                                CHECK(strstr(m.text, "/tmp/berth-restic-record/u/"));
                                if (strstr(m.text, "secret.txt"))
                                        CHECK_STR(m.text, e->unreadable_text);
                        }
                }
                restic_message_done(&m);
                s += k + (s[k] == '\n');
        }
        CHECK_INT(errors, 2);
        CHECK_INT(scan_errors, 1);
        CHECK_INT(sample_status(e->version, "backup-unreadable"), 3);
}

static const SnapshotInfo *find_job(const SnapshotInfo *s, size_t n, int64_t job) {
        for (size_t i = 0; i < n; i++)
                if (s[i].job_id == job)
                        return &s[i];
        return NULL;
}

static void test_snapshots_output(const Expect *e) {
        size_t len = 0, n = 0, n_tag = 0;
        _cleanup_free_ char *all = sample(e->version, "snapshots", "stdout", &len);
        SnapshotInfo *s = NULL, *t = NULL;
        const SnapshotInfo *x;

        if (!CHECK(all))
                return;
        CHECK_INT(restic_snapshots_parse(all, len, &s, &n), 0);
        CHECK_INT(n, 7);
        if (n != 7) {
                snapshot_infos_free(s, n);
                return;
        }
        /* oldest first */
        for (size_t i = 1; i < n; i++)
                CHECK(s[i - 1].time <= s[i].time);
        CHECK_STR(s[0].short_id, e->first_short_id);
        CHECK_INT(strlen(s[0].id), 64);
        CHECK(startswith(s[0].id, s[0].short_id));
        CHECK_INT(s[0].time, 1709267400ULL * USEC_PER_SEC);
        CHECK_STR(s[0].app, "demo");
        CHECK_INT(s[0].job_id, 8);
        CHECK_STR(s[0].kind, "backup");
        CHECK_STR(s[0].host, "h1");
        CHECK_INT(strv_length(s[0].tags), 3);
        CHECK_INT(strv_length(s[0].paths), 1);
        CHECK_STR(s[0].paths ? s[0].paths[0] : NULL, "/tmp/berth-restic-record/small");

        x = find_job(s, n, 3);
        CHECK(x && streq_ptr(x->host, "h2") && x->time == 1709267400ULL * USEC_PER_SEC + 86400ULL * USEC_PER_SEC + 3600ULL * USEC_PER_SEC);
        x = find_job(s, n, 10);
        CHECK(x && streq_ptr(x->kind, "pre-restore") && streq_ptr(x->app, "demo"));
        x = find_job(s, n, 11);
        CHECK(x && streq_ptr(x->app, "other"));
        x = find_job(s, n, 7);
        CHECK(x && x->time == e->last_time && x == &s[6]);
        /* a snapshot berth did not make: no app, job or kind */
        x = find_job(s, n, 0);
        CHECK(x && !x->app && !x->kind && strv_length(x->tags) == 1 && streq(x->tags[0], "untagged"));

        /* --tag app:demo,kind:backup: every tag */
        {
                _cleanup_free_ char *tagged = sample(e->version, "snapshots-tag", "stdout", &len);
                CHECK(tagged && restic_snapshots_parse(tagged, len, &t, &n_tag) == 0);
                CHECK_INT(n_tag, 4);
                for (size_t i = 0; i < n_tag; i++)
                        CHECK(streq_ptr(t[i].app, "demo") && streq_ptr(t[i].kind, "backup"));
                snapshot_infos_free(t, n_tag);
        }
        {
                _cleanup_free_ char *none = sample(e->version, "snapshots-none", "stdout", &len);
                t = NULL;
                n_tag = 99;
                CHECK(none && restic_snapshots_parse(none, len, &t, &n_tag) == 0);
                CHECK_INT(n_tag, 0);
                snapshot_infos_free(t, n_tag);
        }

        /* forget --keep-last 1 --keep-daily 2, grouped by host: h1 keeps job 7
         * (last, and its day) and job 10 (its day); jobs 8 and 9 go; h2's only
         * snapshot stays. Checked against the ids of the snapshot list. */
        {
                _cleanup_free_ char *f = sample(e->version, "forget", "stdout", &len);
                _cleanup_strv_free_ char **removed = NULL;
                CHECK(f && restic_forget_parse(f, len, &removed) == 0);
                CHECK_INT(strv_length(removed), 2);
                CHECK(find_job(s, n, 8) && strv_contains(removed, find_job(s, n, 8)->id));
                CHECK(find_job(s, n, 9) && strv_contains(removed, find_job(s, n, 9)->id));
        }
        {
                _cleanup_free_ char *f = sample(e->version, "forget-none", "stdout", &len);
                char **removed = NULL;
                CHECK(f && restic_forget_parse(f, len, &removed) == 0);
                CHECK_INT(strv_length(removed), 0);
                strv_free(removed);
        }
        snapshot_infos_free(s, n);

        /* not what restic prints */
        {
                static const char *const bad[] = { "{}", "[{\"time\":\"2024-03-01T10:00:00Z\"}]",
                                                   "[{\"id\":\"0123456789abcdef\",\"time\":\"yesterday\"}]", "[1]", "", "[" };
                for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                        t = NULL;
                        n_tag = 0;
                        CHECK_INT(restic_snapshots_parse(bad[i], strlen(bad[i]), &t, &n_tag), -EBADMSG);
                }
                char **removed = NULL;
                CHECK_INT(restic_forget_parse("[{\"remove\":[{}]}]", 17, &removed), -EBADMSG);
                CHECK_INT(restic_forget_parse("{}", 2, &removed), -EBADMSG);
        }
}

/* ---- the real restic ---- */

typedef struct Progress {
        unsigned calls;
        double last;
        bool went_back;
        /* while restic runs: its argv and environment, seen in /proc */
        const char *repository, *password;
        int argv_checked;   /* 1: seen and clean, -1: a credential in argv */
        bool env_has_repo;
} Progress;

/* NUL-separated /proc/PID/<what> as read. */
static char *proc_read(pid_t pid, const char *what, size_t *ret_len) {
        _cleanup_free_ char *path = NULL;
        char *text = NULL;
        if (asprintf(&path, "/proc/%d/%s", (int) pid, what) < 0 || read_file(path, 1U << 20, &text, ret_len) < 0)
                return NULL;
        return text;
}

static bool mem_contains(const char *hay, size_t len, const char *needle) {
        return memmem(hay, len, needle, strlen(needle)) != NULL;
}

/* Our restic child's argv must hold neither the repository nor the password;
 * its environment holds the repository. Tried at every progress line until
 * restic is seen alive (a status line may be read after restic exited). */
static void check_child_argv(Progress *pr) {
        DIR *d = opendir("/proc");
        struct dirent *de;

        if (!d)
                return;
        while ((de = readdir(d))) {
                pid_t pid = (pid_t) atoi(de->d_name);
                _cleanup_free_ char *stat = NULL, *cmd = NULL, *env = NULL;
                const char *close_paren;
                size_t cl = 0, el = 0;
                int ppid = 0;

                if (pid <= 0 || !(stat = proc_read(pid, "stat", NULL)) || !(close_paren = strrchr(stat, ')')) ||
                    sscanf(close_paren + 1, " %*c %d", &ppid) != 1 || ppid != (int) getpid())
                        continue;
                if (!(cmd = proc_read(pid, "cmdline", &cl)) || !mem_contains(cmd, cl, "backup"))
                        continue;
                pr->argv_checked = mem_contains(cmd, cl, pr->repository) || mem_contains(cmd, cl, pr->password) ? -1 : 1;
                env = proc_read(pid, "environ", &el);
                if (env) {
                        _cleanup_free_ char *want = NULL;
                        if (asprintf(&want, "RESTIC_REPOSITORY=%s", pr->repository) < 0)
                                abort();
                        pr->env_has_repo = mem_contains(env, el, want);
                }
        }
        closedir(d);
}

static void on_progress(const ResticProgress *p, void *userdata) {
        Progress *pr = userdata;
        if (pr->repository && pr->argv_checked == 0)
                check_child_argv(pr);
        pr->calls++;
        if (p->percent_done < pr->last)
                pr->went_back = true;
        pr->last = p->percent_done;
}

static void make_file(const char *dir, const char *name, size_t size, unsigned seed) {
        _cleanup_free_ char *path = NULL, *buf = malloc(size + 1);
        if (!buf || asprintf(&path, "%s/%s", dir, name) < 0)
                abort();
        for (size_t i = 0; i < size; i++) {
                seed = seed * 1103515245U + 12345U;
                buf[i] = (char) (seed >> 16);
        }
        if (write_file_atomic(path, buf, size, 0644, false) < 0)
                abort();
}

static bool same_file(const char *a, const char *b) {
        _cleanup_free_ char *x = NULL, *y = NULL;
        size_t lx = 0, ly = 0;
        return read_file(a, 64U << 20, &x, &lx) >= 0 && read_file(b, 64U << 20, &y, &ly) >= 0 && lx == ly &&
               memcmp(x, y, lx) == 0;
}

static bool dir_has_entries(const char *path) {
        DIR *d = opendir(path);
        struct dirent *de;
        bool any = false;
        if (!d)
                return false;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        any = true;
        closedir(d);
        return any;
}

static bool wait_for_lock(const char *repo) {
        _cleanup_free_ char *locks = NULL;
        if (asprintf(&locks, "%s/locks", repo) < 0)
                abort();
        for (int i = 0; i < 300; i++) {
                if (dir_has_entries(locks))
                        return true;
                usleep(50000);
        }
        return false;
}

static int backup_tagged(const ResticRepo *r, char **paths, const char *app, int job, const char *kind, const char *host,
                         char **ret_id) {
        _cleanup_free_ char *a = NULL, *j = NULL, *k = NULL, *err = NULL;
        ResticBackupSummary sum = {};
        ResticResult res = RESTIC_FAILED;
        int q;

        if (asprintf(&a, "app:%s", app) < 0 || asprintf(&j, "job:%d", job) < 0 || asprintf(&k, "kind:%s", kind) < 0)
                abort();
        char *tags[] = { a, j, k, NULL };
        q = restic_backup(r, paths, tags, host, NULL, NULL, &sum, &res, &err);
        if (q < 0 || res != RESTIC_OK) {
                fprintf(stderr, "backup failed: %d %s %s\n", q, restic_result_to_string(res), strempty(err));
                restic_backup_summary_done(&sum);
                return -EIO;
        }
        if (ret_id)
                *ret_id = TAKE_PTR(sum.snapshot_id);
        restic_backup_summary_done(&sum);
        return 0;
}

static void test_integration(const char *tmp) {
        _cleanup_free_ char *state = NULL, *src = NULL, *cache = NULL, *target = NULL, *target2 = NULL, *p1 = NULL,
                           *p2 = NULL, *dumpf = NULL, *wrongpw = NULL, *fifo = NULL, *envf = NULL, *envcache = NULL;
        _cleanup_free_ char *err = NULL, *first_id = NULL;
        _cleanup_strv_free_ char **ids = NULL, **removed = NULL;
        BerthPaths paths = {};
        ResticRepo repo = {}, other = {};
        ResticResult res = RESTIC_FAILED;
        ResticBackupSummary sum = {};
        Progress pr = { .last = -1 };
        SnapshotInfo *snaps = NULL;
        size_t n = 0;

        if (access(BERTH_RESTIC, X_OK) < 0) {
                printf("skipped: restic not installed (%s)\n", BERTH_RESTIC);
                n_skipped++;
                return;
        }
        if (asprintf(&state, "%s/istate", tmp) < 0 || asprintf(&src, "%s/src", tmp) < 0 ||
            asprintf(&cache, "%s/cache", tmp) < 0 || asprintf(&target, "%s/target", tmp) < 0 ||
            asprintf(&target2, "%s/target2", tmp) < 0 || asprintf(&dumpf, "%s/dumped", tmp) < 0 ||
            asprintf(&wrongpw, "%s/wrong-password", tmp) < 0 || asprintf(&fifo, "%s/fifo", tmp) < 0 ||
            asprintf(&envcache, "%s/env-cache", tmp) < 0)
                abort();
        CHECK(mkdir_p(state, 0755) >= 0 && mkdir_p(src, 0755) >= 0);
        {
                _cleanup_free_ char *sub = NULL;
                if (asprintf(&sub, "%s/sub", src) < 0)
                        abort();
                CHECK(mkdir_p(sub, 0755) >= 0);
        }
        make_file(src, "a.txt", 6, 1);
        make_file(src, "sub/b.bin", 3U << 20, 2);
        /* enough to keep restic busy for a few progress lines */
        make_file(src, "sub/big.bin", 24U << 20, 5);
        make_file(src, "sub/c.txt", 1000, 3);
        make_file(src, "empty", 0, 4);

        /* The default repository, with RESTIC_CACHE_DIR from our environment
         * and the cache moved by the administrator's environment file. */
        paths.state_dir = state;
        setenv("RESTIC_CACHE_DIR", cache, 1);
        CHECK_INT(restic_repo_from_conf(NULL, &paths, &repo, &err), 0);
        unsetenv("RESTIC_CACHE_DIR");
        CHECK_STR(repo.cache_dir, cache);
        CHECK(repo.is_default);
        if (asprintf(&envf, "RESTIC_CACHE_DIR=%s\nBERTH_TEST_UNUSED=\"not a shell $word\"\n", envcache) < 0)
                abort();
        {
                _cleanup_free_ char *path = write_temp(tmp, "integration.env", envf, strlen(envf));
                CHECK_INT(restic_env_file_parse(path, &repo.env, &err), 0);
        }
        CHECK_INT(restic_default_password_ensure(&repo), 1);
        _cleanup_free_ char *password = NULL;
        CHECK(read_file(repo.password_file, 4096, &password, NULL) >= 0);
        pr.repository = repo.repository;
        pr.password = strempty(password);

        /* missing → RESTIC_NO_REPOSITORY, then initialised */
        CHECK_INT(restic_check_access(&repo, &res, &err), 0);
        CHECK_RES(res, RESTIC_NO_REPOSITORY);
        CHECK(err && strstr(err, "Is there a repository"));
        free(TAKE_PTR(err));
        CHECK_INT(restic_init(&repo, &res, &err), 0);
        CHECK_RES(res, RESTIC_OK);
        CHECK(!err);
        CHECK_INT(restic_check_access(&repo, &res, &err), 0);
        CHECK_RES(res, RESTIC_OK);
        /* a second init fails, and says why */
        CHECK_INT(restic_init(&repo, &res, &err), 0);
        CHECK_RES(res, RESTIC_FAILED);
        CHECK(err && strstr(err, "config file already exists"));
        free(TAKE_PTR(err));
        /* the environment file reached restic: its cache went there */
        CHECK(dir_has_entries(envcache));

        /* backup with progress */
        {
                char *bpaths[] = { src, NULL };
                char *tags[] = { "app:demo", "job:1", "kind:backup", NULL };
                CHECK_INT(restic_backup(&repo, bpaths, tags, "h1", on_progress, &pr, &sum, &res, &err), 0);
                CHECK_RES(res, RESTIC_OK);
                if (err)
                        fprintf(stderr, "  backup: %s\n", err);
                CHECK(pr.calls >= 2); /* streamed while restic runs, not only at its end */
                CHECK(!pr.went_back);
                /* credentials reach restic through its environment, never argv */
                CHECK_INT(pr.argv_checked, 1);
                CHECK(pr.env_has_repo);
                CHECK(sum.snapshot_id && strlen(sum.snapshot_id) >= 8);
                CHECK_INT(sum.files_new, 5);
                CHECK_INT(sum.total_files_processed, 5);
                CHECK_INT(sum.total_bytes_processed, (27U << 20) + 1006);
                CHECK_INT(sum.error_count, 0);
                first_id = TAKE_PTR(sum.snapshot_id);
                restic_backup_summary_done(&sum);
                /* tags are refused with a comma; nothing to back up is refused */
                char *bad_tags[] = { "app:a,b", NULL };
                CHECK_INT(restic_backup(&repo, bpaths, bad_tags, NULL, NULL, NULL, &sum, &res, &err), -EINVAL);
                char *no_paths[] = { NULL };
                CHECK_INT(restic_backup(&repo, no_paths, tags, NULL, NULL, NULL, &sum, &res, &err), -EINVAL);
        }

        /* restore to a target, byte for byte; then only a part of it */
        CHECK_INT(restic_restore(&repo, first_id, target, NULL, &res, &err), 0);
        CHECK_RES(res, RESTIC_OK);
        {
                static const char *const files[] = { "a.txt", "sub/b.bin", "sub/big.bin", "sub/c.txt", "empty" };
                for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                        _cleanup_free_ char *a = NULL, *b = NULL;
                        if (asprintf(&a, "%s/%s", src, files[i]) < 0 || asprintf(&b, "%s%s/%s", target, src, files[i]) < 0)
                                abort();
                        if (!CHECK(same_file(a, b)))
                                fprintf(stderr, "  %s differs from %s\n", b, a);
                }
        }
        {
                _cleanup_free_ char *inc = NULL, *in = NULL, *out = NULL;
                if (asprintf(&inc, "%s/sub", src) < 0 || asprintf(&in, "%s%s/sub/b.bin", target2, src) < 0 ||
                    asprintf(&out, "%s%s/a.txt", target2, src) < 0)
                        abort();
                char *include[] = { inc, NULL };
                CHECK_INT(restic_restore(&repo, first_id, target2, include, &res, &err), 0);
                CHECK_RES(res, RESTIC_OK);
                if (asprintf(&p1, "%s/sub/b.bin", src) < 0)
                        abort();
                CHECK(same_file(p1, in));
                CHECK(access(out, F_OK) < 0 && errno == ENOENT);
        }
        /* the size of a subtree as restored (restore's free-space check) */
        {
                _cleanup_free_ char *sub = NULL;
                uint64_t bytes = 0;
                if (asprintf(&sub, "%s/sub", src) < 0)
                        abort();
                char *sizepaths[] = { sub, NULL }, *all[] = { src, NULL };
                CHECK_INT(restic_snapshot_size(&repo, first_id, sizepaths, &bytes, &res, &err), 0);
                CHECK_RES(res, RESTIC_OK);
                CHECK_INT(bytes, (27U << 20) + 1000);
                CHECK_INT(restic_snapshot_size(&repo, first_id, all, &bytes, &res, &err), 0);
                CHECK_RES(res, RESTIC_OK);
                CHECK_INT(bytes, (27U << 20) + 1006);
        }
        CHECK_INT(restic_restore(&repo, "latest", target, NULL, &res, &err), -EINVAL);
        CHECK_INT(restic_restore(&repo, "--target=/", target, NULL, &res, &err), -EINVAL);

        /* dump one file */
        {
                _cleanup_close_ int fd = open(dumpf, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
                CHECK(fd >= 0);
                CHECK_INT(restic_dump(&repo, first_id, p1, fd, &res, &err), 0);
                CHECK_RES(res, RESTIC_OK);
                CHECK(same_file(p1, dumpf));
                /* a path that is not in the snapshot */
                if (asprintf(&p2, "%s/nope", src) < 0)
                        abort();
                CHECK_INT(restic_dump(&repo, first_id, p2, fd, &res, &err), 0);
                CHECK_RES(res, RESTIC_FAILED);
                CHECK(err && strstr(err, "nope"));
                free(TAKE_PTR(err));
        }

        /* more snapshots: h1 jobs 2, 3 and a pre-restore 4; h2 job 5; app:other */
        {
                char *bpaths[] = { src, NULL };
                char *id = NULL;
                CHECK_INT(strv_consume(&ids, TAKE_PTR(first_id)), 0);
                CHECK_INT(backup_tagged(&repo, bpaths, "demo", 2, "backup", "h1", &id), 0);
                CHECK_INT(strv_consume(&ids, id), 0);
                CHECK_INT(backup_tagged(&repo, bpaths, "demo", 3, "backup", "h1", &id), 0);
                CHECK_INT(strv_consume(&ids, id), 0);
                CHECK_INT(backup_tagged(&repo, bpaths, "demo", 4, "pre-restore", "h1", &id), 0);
                CHECK_INT(strv_consume(&ids, id), 0);
                CHECK_INT(backup_tagged(&repo, bpaths, "demo", 5, "backup", "h2", &id), 0);
                CHECK_INT(strv_consume(&ids, id), 0);
                CHECK_INT(backup_tagged(&repo, bpaths, "other", 6, "backup", "h1", &id), 0);
                CHECK_INT(strv_consume(&ids, id), 0);
        }

        /* snapshots with every given tag */
        {
                char *tags[] = { "app:demo", "kind:backup", NULL };
                CHECK_INT(restic_snapshots(&repo, tags, &snaps, &n, &res, &err), 0);
                CHECK_RES(res, RESTIC_OK);
                CHECK_INT(n, 4);
                for (size_t i = 0; i < n; i++) {
                        CHECK_STR(snaps[i].app, "demo");
                        CHECK_STR(snaps[i].kind, "backup");
                        CHECK_INT(strv_length(snaps[i].paths), 1);
                        CHECK_STR(snaps[i].paths ? snaps[i].paths[0] : NULL, src);
                }
                if (n == 4) {
                        CHECK_INT(snaps[0].job_id, 1);
                        CHECK_INT(snaps[3].job_id, 5);
                        CHECK_STR(snaps[3].host, "h2");
                        CHECK(snaps[0].time > 1700000000ULL * USEC_PER_SEC && snaps[0].time <= snaps[1].time);
                        CHECK(startswith(snaps[0].id, ids[0]));
                }
                snapshot_infos_free(snaps, n);
                CHECK_INT(restic_snapshots(&repo, NULL, &snaps, &n, &res, &err), 0);
                CHECK_INT(n, 6);
                snapshot_infos_free(snaps, n);
        }

        /* retention: keep-last 2 per host among app:demo → h1 keeps 3 and 4,
         * h2 keeps 5; app:other is not touched */
        {
                Retention keep = { .last = 2 };
                Retention none = {};
                char *demo[] = { "app:demo", NULL }, *oth[] = { "app:other", NULL };
                CHECK_INT(restic_forget(&repo, "app:demo", &none, &removed, &res, &err), 0);
                CHECK_RES(res, RESTIC_OK);
                CHECK(!removed);
                CHECK_INT(restic_forget(&repo, "app:demo", &keep, &removed, &res, &err), 0);
                CHECK_RES(res, RESTIC_OK);
                CHECK_INT(strv_length(removed), 2);
                CHECK_INT(restic_snapshots(&repo, demo, &snaps, &n, &res, &err), 0);
                CHECK_INT(n, 3);
                if (n == 3) {
                        CHECK_INT(snaps[0].job_id, 3);
                        CHECK_INT(snaps[1].job_id, 4);
                        CHECK_INT(snaps[2].job_id, 5);
                }
                for (size_t i = 0; i < n; i++)
                        CHECK(!strv_contains(removed, snaps[i].id));
                snapshot_infos_free(snaps, n);
                CHECK_INT(restic_snapshots(&repo, oth, &snaps, &n, &res, &err), 0);
                CHECK_INT(n, 1);
                snapshot_infos_free(snaps, n);
                /* applied again: nothing more to remove */
                strv_free(TAKE_PTR(removed));
                CHECK_INT(restic_forget(&repo, "app:demo", &keep, &removed, &res, &err), 0);
                CHECK_RES(res, RESTIC_OK);
                CHECK_INT(strv_length(removed), 0);
                CHECK_INT(restic_prune(&repo, &res, &err), 0);
                CHECK_RES(res, RESTIC_OK);
        }

        /* wrong password */
        CHECK(write_file_atomic(wrongpw, "not-it", 6, 0600, false) >= 0);
        repo_set(&other, repo.repository, wrongpw);
        CHECK_INT(restic_check_access(&other, &res, &err), 0);
        CHECK_RES(res, RESTIC_WRONG_PASSWORD);
        CHECK(err && strstr(err, "wrong password"));
        free(TAKE_PTR(err));
        {
                char *tags[] = { "app:demo", NULL };
                CHECK_INT(restic_snapshots(&other, tags, &snaps, &n, &res, &err), 0);
                CHECK_RES(res, RESTIC_WRONG_PASSWORD);
                CHECK_INT(n, 0);
                free(TAKE_PTR(err));
        }

        /* missing repository */
        {
                _cleanup_free_ char *none = NULL;
                char *bpaths[] = { src, NULL };
                if (asprintf(&none, "%s/no-repo-here", tmp) < 0)
                        abort();
                repo_set(&other, none, repo.password_file);
                CHECK_INT(restic_check_access(&other, &res, &err), 0);
                CHECK_RES(res, RESTIC_NO_REPOSITORY);
                free(TAKE_PTR(err));
                CHECK_INT(restic_backup(&other, bpaths, NULL, NULL, NULL, NULL, &sum, &res, &err), 0);
                CHECK_RES(res, RESTIC_NO_REPOSITORY);
                CHECK(!sum.snapshot_id);
                free(TAKE_PTR(err));
        }

        /* An exclusive lock held by restic itself: `restic key passwd` locks the
         * repository exclusively, then waits for its new password on a FIFO. */
        {
                char *argv[] = { BERTH_RESTIC, "key", "passwd", "--new-password-file", fifo, NULL };
                _cleanup_strv_free_ char **env = NULL;
                _cleanup_free_ char *pw = NULL;
                char *bpaths[] = { src, NULL };
                char *tags[] = { "app:demo", NULL };
                Retention keep = { .last = 1 };
                SpawnOptions o = { .stdin_fd = -1, .quiet_stderr = true, .capture_stdout = true };
                _cleanup_close_ int out = -EBADF;
                pid_t pid;
                int st = -1;

                CHECK(mkfifo(fifo, 0600) >= 0);
                CHECK(strv_extendf(&env, "RESTIC_REPOSITORY=%s", repo.repository) >= 0);
                CHECK(strv_extendf(&env, "RESTIC_PASSWORD_FILE=%s", repo.password_file) >= 0);
                CHECK(strv_extendf(&env, "RESTIC_CACHE_DIR=%s", envcache) >= 0);
                o.env_extra = env;
                /* its "saved new key" goes to a pipe read at the end */
                CHECK_INT(spawn_start(argv, &o, &pid, &out), 0);
                CHECK(wait_for_lock(repo.repository));

                CHECK_INT(restic_backup(&repo, bpaths, tags, NULL, NULL, NULL, &sum, &res, &err), 0);
                CHECK_RES(res, RESTIC_LOCKED);
                CHECK(err && strstr(err, "locked"));
                free(TAKE_PTR(err));
                restic_backup_summary_done(&sum);
                CHECK_INT(restic_snapshots(&repo, tags, &snaps, &n, &res, &err), 0);
                CHECK_RES(res, RESTIC_LOCKED);
                free(TAKE_PTR(err));
                CHECK_INT(restic_forget(&repo, "app:demo", &keep, &removed, &res, &err), 0);
                CHECK_RES(res, RESTIC_LOCKED);
                free(TAKE_PTR(err));
                CHECK_INT(restic_prune(&repo, &res, &err), 0);
                CHECK_RES(res, RESTIC_LOCKED);
                free(TAKE_PTR(err));

                /* the same password again: the key changes, the password not */
                CHECK(read_file(repo.password_file, 4096, &pw, NULL) >= 0);
                {
                        _cleanup_close_ int w = open(fifo, O_WRONLY | O_CLOEXEC);
                        CHECK(w >= 0 && write(w, pw, strlen(pw)) == (ssize_t) strlen(pw));
                }
                {
                        char buf[4096];
                        while (read(out, buf, sizeof buf) > 0)
                                ;
                }
                CHECK_INT(spawn_wait(pid, &st), 0);
                CHECK_INT(st, 0);
                CHECK_INT(restic_check_access(&repo, &res, &err), 0);
                CHECK_RES(res, RESTIC_OK);
        }

        /* A non-exclusive lock (a running `restic backup --stdin`) stops forget
         * and prune, which need the repository alone. */
        {
                char *argv[] = { BERTH_RESTIC, "backup", "--stdin", "--stdin-filename", "held", "--tag", "lockholder", NULL };
                _cleanup_strv_free_ char **env = NULL;
                Retention keep = { .last = 1 };
                int pipefd[2] = { -1, -1 };
                SpawnOptions o = { .quiet_stderr = true, .capture_stdout = true };
                _cleanup_close_ int out = -EBADF;
                pid_t pid;
                int st = -1;

                CHECK(pipe2(pipefd, O_CLOEXEC) >= 0);
                CHECK(strv_extendf(&env, "RESTIC_REPOSITORY=%s", repo.repository) >= 0);
                CHECK(strv_extendf(&env, "RESTIC_PASSWORD_FILE=%s", repo.password_file) >= 0);
                CHECK(strv_extendf(&env, "RESTIC_CACHE_DIR=%s", envcache) >= 0);
                o.stdin_fd = pipefd[0];
                o.env_extra = env;
                CHECK_INT(spawn_start(argv, &o, &pid, &out), 0);
                safe_close(pipefd[0]);
                CHECK(wait_for_lock(repo.repository));
                CHECK_INT(restic_forget(&repo, "app:demo", &keep, &removed, &res, &err), 0);
                CHECK_RES(res, RESTIC_LOCKED);
                free(TAKE_PTR(err));
                CHECK_INT(restic_prune(&repo, &res, &err), 0);
                CHECK_RES(res, RESTIC_LOCKED);
                free(TAKE_PTR(err));
                /* given something to save, it ends well */
                CHECK(write(pipefd[1], "held\n", 5) == 5);
                safe_close(pipefd[1]);
                {
                        char buf[4096];
                        while (read(out, buf, sizeof buf) > 0)
                                ;
                }
                CHECK_INT(spawn_wait(pid, &st), 0);
                CHECK_INT(st, 0);
        }

        /* restic prints an sftp URL's password in its error: berth does not */
        {
                repo_set(&other, "sftp://berth:s3cr3t-pw@127.0.0.1:1//srv/repo", repo.password_file);
                CHECK_INT(restic_check_access(&other, &res, &err), 0);
                CHECK(res != RESTIC_OK);
                CHECK(err && !strstr(err, "s3cr3t-pw"));
                if (err && strstr(err, "sftp://"))
                        CHECK(strstr(err, "sftp://berth:***@127.0.0.1:1//srv/repo"));
                free(TAKE_PTR(err));
        }

        restic_repo_done(&repo);
        restic_repo_done(&other);
}

int main(void) {
        char tmpl[] = "/tmp/test-restic.XXXXXX";
        const char *tmp = mkdtemp(tmpl);

        if (!tmp) {
                perror("mkdtemp");
                return 1;
        }
        /* restic must not find a password or repository of the caller's. */
        unsetenv("RESTIC_PASSWORD");
        unsetenv("RESTIC_REPOSITORY");

        test_spawn_streams(tmp);
        test_redact();
        test_redact_output();
        test_env_file(tmp);
        test_repo_from_conf(tmp);
        test_classify_table();
        test_classify_recorded();
        test_time();
        test_messages();
        for (size_t i = 0; i < ELEMENTSOF(expects); i++) {
                test_backup_output(&expects[i]);
                test_snapshots_output(&expects[i]);
        }
        test_integration(tmp);

        (void) rm_rf(tmp);
        printf("test-restic: %u passed, %u failed, %u skipped\n", n_passed, n_failed, n_skipped);
        return n_failed > 0;
}
