/* backup_job.c — backup flows as jobs of the state database: their kinds,
 * closing those a dead helper left running, and the safety snapshots taken
 * before a change that cannot be undone (see backup.h). */
#include <unistd.h>

#include "backup.h"

static const struct {
        const char *name;    /* the job kind, and restic's kind: tag */
        const char *helper;  /* the program that runs such jobs */
} kinds[] = {
        [BACKUP_SCHEDULED]   = { "backup",      "berth-backup" },
        [BACKUP_PRE_UPGRADE] = { "pre-upgrade", "berth-prepare" },
        [BACKUP_PRE_PURGE]   = { "pre-purge",   "berth-uninstall" },
};

const char *backup_kind_to_string(BackupKind k) {
        return k < ELEMENTSOF(kinds) ? kinds[k].name : kinds[BACKUP_SCHEDULED].name;
}

void backup_close_interrupted_jobs(StateDb *db, const char *app, BackupKind kind, const BackupReporter *rep) {
        const char *k = backup_kind_to_string(kind);
        _cleanup_free_ char *why = strprintf("interrupted: %s ended before it finished the job",
                                             kinds[kind < ELEMENTSOF(kinds) ? kind : BACKUP_SCHEDULED].helper);

        for (unsigned i = 0; why && i < 100; i++) {
                Job stale = {};
                int r;

                if (state_db_job_last(db, app, k, JOB_RUNNING, &stale) < 0)
                        return;
                reporter_step(rep, 4, "%s job %lld of app '%s' ended without finishing (killed, or the machine went down); recorded as failed",
                              kind == BACKUP_SCHEDULED ? "Backup" : "Snapshot", (long long) stale.id, app);
                r = state_db_job_finish(db, stale.id, JOB_FAILED, 1, NULL, why, NULL);
                job_done(&stale);
                if (r < 0)
                        return;
        }
}

int backup_safety_snapshot(const App *a, const BerthConf *conf, const BerthPaths *paths, StateDb *db, BackupKind kind,
                           const BackupReporter *rep, int64_t *ret_job_id, char **ret_snapshot_id, char **ret_error) {
        _cleanup_(restic_repo_done) ResticRepo repo = {};
        _cleanup_free_ char *err = NULL, *shown = NULL;
        BackupResult br = {};
        int64_t job = 0;
        char host[256];
        int r;

        *ret_job_id = 0;
        *ret_snapshot_id = *ret_error = NULL;
        r = restic_repo_from_conf(conf, paths, &repo, &err);
        if (r < 0)
                return (*ret_error = strprintf("cannot set up the backup repository: %s", err ?: strerror(-r))) ? 0 : -ENOMEM;
        r = state_db_job_begin(db, a->id, backup_kind_to_string(kind), getenv("INVOCATION_ID"), &job);
        if (r < 0)
                return (*ret_error = strprintf("cannot record the job in the state database: %s", strerror(-r))) ? 0 : -ENOMEM;
        *ret_job_id = job;
        if (rep && rep->job)
                rep->job(rep->userdata, job);
        if (gethostname(host, sizeof(host)) < 0)
                snprintf(host, sizeof(host), "localhost");
        host[sizeof(host) - 1] = 0;
        shown = restic_redact(repo.repository);
        reporter_step(rep, 6, "Taking a %s snapshot of app '%s' (job %lld) to %s", backup_kind_to_string(kind), a->id,
                      (long long) job, strempty(shown));

        BackupContext ctx = {
                .app = a, .paths = paths, .conf = conf, .repo = &repo, .db = db, .bus = NULL,
                .lock_fd = -EBADF, .job_id = job, .host = host, .reporter = rep, .kind = kind,
        };
        r = app_backup(&ctx, &br);
        if (r < 0) {
                (void) state_db_job_finish(db, job, JOB_FAILED, 1, NULL, "out of memory", NULL);
                return r;
        }
        r = state_db_job_finish(db, job, br.status, br.status == JOB_FAILED ? 1 : 0, br.stats_json, br.error, br.snapshot_id);
        if (r < 0)
                reporter_step(rep, 4, "Failed to record the end of job %lld, ignoring: %s", (long long) job, strerror(-r));
        /* A warning (files that could not be read) goes with the snapshot,
         * which holds everything else, as a backup's would. */
        *ret_error = TAKE_PTR(br.error);
        if (br.status != JOB_FAILED)
                *ret_snapshot_id = TAKE_PTR(br.snapshot_id);
        backup_result_done(&br);
        return 0;
}
