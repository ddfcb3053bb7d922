/* berth-notify UNIT — started by OnFailure= of berth's job units (backups, and
 * an app's prepare step, which fails when its pre-upgrade snapshot does): runs the
 * administrator's notify command (berth.conf notify.command) for the failed
 * unit. No shell: the command is an argv list in which {unit}, {app} and
 * {message} are replaced; a bare command name is looked up in $PATH. The same
 * text is in BERTH_FAILED_UNIT, BERTH_APP and BERTH_MESSAGE and on stdin.
 * Exit status: 0 notified, or nothing configured; 1 the command failed or
 * could not run; 2 usage. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "berth_conf.h"
#include "berth_paths.h"
#include "log.h"
#include "spawn.h"
#include "state_db.h"
#include "strv.h"

/* A command named without a '/' is looked up in $PATH, as systemd does for
 * ExecStart= (a unit's PATH is systemd's fixed default): spawn takes a path. */
static char *find_executable(const char *name) {
        const char *path = getenv("PATH");

        if (strchr(name, '/'))
                return strdup(name);
        for (const char *p = path ?: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin"; *p;) {
                size_t k = strcspn(p, ":");
                _cleanup_free_ char *c = NULL;
                struct stat st;

                if (k > 0 && p[0] == '/') {
                        if (asprintf(&c, "%.*s/%s", (int) k, p, name) < 0)
                                return NULL;
                        if (stat(c, &st) >= 0 && S_ISREG(st.st_mode) && access(c, X_OK) >= 0)
                                return TAKE_PTR(c);
                }
                p += k + (p[k] == ':');
        }
        errno = ENOENT;
        return NULL;
}

/* "berth-backup@immich.service" → "immich"; "berth-immich-prepare.service" →
 * "immich" (an app whose prepare step failed does not start: a pre-upgrade
 * snapshot that failed, say). *ret_kind: the kind of job the unit runs. */
static char *app_of_unit(const char *unit, const char **ret_kind) {
        const char *at = strchr(unit, '@'), *dot, *p;

        *ret_kind = "backup";
        if (!at) {
                if (!(p = startswith(unit, "berth-")) || !endswith(p, "-prepare.service"))
                        return NULL;
                *ret_kind = "pre-upgrade";
                return strndup(p, strlen(p) - strlen("-prepare.service"));
        }
        dot = strrchr(at, '.');
        return dot ? strndup(at + 1, (size_t) (dot - at - 1)) : strdup(at + 1);
}

/* The unit's job ended a moment ago: an older one of that kind is not the
 * reason (a prepare service fails for other reasons too). */
static bool job_recent(const Job *j) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        usec_t now = (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
        return j->finished_at > 0 && now - j->finished_at < 10 * 60 * USEC_PER_SEC;
}

static char *replace_all(const char *s, const char *unit, const char *app, const char *message) {
        _cleanup_free_ char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);

        if (!f)
                return NULL;
        while (*s) {
                if (startswith(s, "{unit}")) {
                        fputs(unit, f);
                        s += 6;
                } else if (startswith(s, "{app}")) {
                        fputs(app, f);
                        s += 5;
                } else if (startswith(s, "{message}")) {
                        fputs(message, f);
                        s += 9;
                } else
                        fputc(*s++, f);
        }
        if (fclose(f) != 0)
                return NULL;
        return TAKE_PTR(out);
}

int main(int argc, char *argv[]) {
        _cleanup_(berth_conf_freep) BerthConf *conf = NULL;
        _cleanup_(state_db_closep) StateDb *db = NULL;
        _cleanup_strv_free_ char **cmd = NULL, **env = NULL;
        _cleanup_free_ char *app = NULL, *message = NULL, *dbpath = NULL;
        BerthPaths paths = {};
        Diagnostics diag = {};
        Job last = {};
        const char *unit, *kind;
        int r, st, pipefd[2];

        log_open("berth-notify");
        if (argc != 2) {
                log_error("Usage: berth-notify UNIT");
                return 2;
        }
        unit = argv[1];
        app = app_of_unit(unit, &kind);
        if (!app && !(app = strdup("")))
                return 1;
        log_set_field("APP", app);
        r = berth_conf_load(&conf, &diag);
        if (r < 0) {
                log_diagnostics(LOG_ERR_LEVEL, &diag);
                diag_clear(&diag);
                return 1;
        }
        if (!conf->notify_command) {
                log_info("%s failed; no notify command is configured in %s", unit, berth_conf_path());
                return 0;
        }
        if (berth_paths_init(SCOPE_SYSTEM, &paths) >= 0 && (dbpath = state_db_path(paths.state_dir)) &&
            state_db_open(dbpath, true, &db) >= 0 && state_db_job_last(db, app, kind, -1, &last) >= 0 && last.error &&
            (streq(kind, "backup") || (last.status == JOB_FAILED && job_recent(&last))))
                r = asprintf(&message, "berth: %s failed (%s%sjob %lld): %s", unit, streq(kind, "backup") ? "" : kind,
                             streq(kind, "backup") ? "" : " ", (long long) last.id, last.error);
        else
                r = asprintf(&message, "berth: %s failed; see journalctl -u %s", unit, unit);
        job_done(&last);
        berth_paths_done(&paths);
        if (r < 0)
                return 1;
        STRV_FOREACH(a, conf->notify_command)
                if (strv_consume(&cmd, replace_all(*a, unit, app, message)) < 0)
                        return 1;
        {
                char *exe = find_executable(cmd[0]);
                if (!exe)
                        return log_errno(LOG_ERR_LEVEL, errno == ENOENT ? -ENOENT : -ENOMEM,
                                         "Failed to find the notify command '%s' (%s notify.command) in PATH", cmd[0],
                                         berth_conf_path()), 1;
                free(cmd[0]);
                cmd[0] = exe;
        }
        if (strv_extendf(&env, "BERTH_FAILED_UNIT=%s", unit) < 0 || strv_extendf(&env, "BERTH_APP=%s", app) < 0 ||
            strv_extendf(&env, "BERTH_MESSAGE=%s", message) < 0)
                return 1;
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return log_errno(LOG_ERR_LEVEL, -errno, "Failed to create a pipe"), 1;
        /* The message is short: it fits the pipe buffer before the command reads it. */
        if (write(pipefd[1], message, strlen(message)) < 0 || write(pipefd[1], "\n", 1) < 0)
                log_errno(LOG_WARNING_LEVEL, -errno, "Failed to pass the message on stdin, ignoring");
        safe_close(pipefd[1]);
        SpawnOptions o = { .stdin_fd = pipefd[0], .env_extra = env };
        r = spawn_run(cmd, &o, &st, NULL);
        safe_close(pipefd[0]);
        if (r < 0)
                return log_errno(LOG_ERR_LEVEL, r, "Failed to run the notify command '%s'", cmd[0]), 1;
        if (st != 0) {
                log_error("The notify command '%s' failed with exit status %d", cmd[0], st);
                return 1;
        }
        log_info("Reported the failure of %s", unit);
        return 0;
}
