/* upgrade_snapshot.c — see upgrade_snapshot.h. */
#include <sodium.h>
#include <unistd.h>

#include "fs_util.h"
#include "restic.h"
#include "state_db.h"
#include "strv.h"
#include "upgrade_snapshot.h"
#include "yaml_tree.h"

void upgrade_result_done(UpgradeResult *r) {
        free(r->snapshot_id);
        free(r->error);
        *r = (UpgradeResult) {};
}

int manifest_digest(const App *a, char ret[static MANIFEST_DIGEST_SIZE]) {
        unsigned char h[crypto_hash_sha256_BYTES];
        crypto_hash_sha256_state st;
        size_t n = strv_length(a->dropin_paths);

        if (!a->source_path)
                return -EINVAL;
        crypto_hash_sha256_init(&st);
        for (size_t i = 0; i <= n; i++) {
                _cleanup_free_ char *text = NULL;
                char head[32];
                size_t len;
                int r;

                r = read_file(i == 0 ? a->source_path : a->dropin_paths[i - 1], YAML_MAX_FILE_SIZE, &text, &len);
                if (r < 0)
                        return r;
                /* The length first: moving bytes from one file to the next is a change. */
                int k = snprintf(head, sizeof(head), "%zu\n", len);
                crypto_hash_sha256_update(&st, (const unsigned char *) head, (unsigned long long) k);
                crypto_hash_sha256_update(&st, (const unsigned char *) text, len);
        }
        crypto_hash_sha256_final(&st, h);
        sodium_bin2hex(ret, MANIFEST_DIGEST_SIZE, h, sizeof(h));
        return 0;
}

static int fail_errno(UpgradeResult *r, int error, const char *what, const char *path) {
        if (!r->error && asprintf(&r->error, "%s '%s': %s", what, path, strerror(-error)) < 0)
                r->error = NULL;
        return error;
}

/* The snapshot, as a job of kind pre-upgrade: its row says how it went. */
static int take_snapshot(const App *a, const BerthConf *conf, const BerthPaths *paths, StateDb *db,
                         const BackupReporter *rep, UpgradeResult *ret) {
        _cleanup_(restic_repo_done) ResticRepo repo = {};
        _cleanup_free_ char *err = NULL, *shown = NULL;
        BackupResult br = {};
        char host[256];
        int r;

        r = restic_repo_from_conf(conf, paths, &repo, &err);
        if (r < 0) {
                ret->outcome = UPGRADE_SNAPSHOT_FAILED;
                if (asprintf(&ret->error, "cannot set up the backup repository: %s", err ?: strerror(-r)) < 0)
                        return -ENOMEM;
                return 0;
        }
        backup_close_interrupted_jobs(db, a->id, BACKUP_PRE_UPGRADE, rep);
        r = state_db_job_begin(db, a->id, backup_kind_to_string(BACKUP_PRE_UPGRADE), getenv("INVOCATION_ID"), &ret->job_id);
        if (r < 0)
                return fail_errno(ret, r, "cannot record the job in the state database", paths->state_dir);
        if (gethostname(host, sizeof(host)) < 0)
                snprintf(host, sizeof(host), "localhost");
        host[sizeof(host) - 1] = 0;
        shown = restic_redact(repo.repository);
        reporter_step(rep, 6, "The manifest of app '%s' changed since it last started: taking a pre-upgrade snapshot (job %lld) to %s",
                      a->id, (long long) ret->job_id, strempty(shown));

        BackupContext ctx = {
                .app = a, .paths = paths, .conf = conf, .repo = &repo, .db = db, .bus = NULL,
                .lock_fd = -EBADF, .job_id = ret->job_id, .host = host, .reporter = rep,
                .kind = BACKUP_PRE_UPGRADE,
        };
        r = app_backup(&ctx, &br);
        if (r < 0) {
                (void) state_db_job_finish(db, ret->job_id, JOB_FAILED, 1, NULL, "out of memory", NULL);
                return r;
        }
        r = state_db_job_finish(db, ret->job_id, br.status, br.status == JOB_FAILED ? 1 : 0, br.stats_json, br.error,
                                br.snapshot_id);
        if (r < 0)
                reporter_step(rep, 4, "Failed to record the end of job %lld, ignoring: %s", (long long) ret->job_id, strerror(-r));
        if (br.status == JOB_FAILED) {
                ret->outcome = UPGRADE_SNAPSHOT_FAILED;
                ret->error = TAKE_PTR(br.error);
        } else {
                /* A warning (files that could not be read) is on the job; the
                 * snapshot holds everything else, as a backup would. */
                ret->outcome = UPGRADE_SNAPSHOT_SAVED;
                ret->snapshot_id = TAKE_PTR(br.snapshot_id);
        }
        backup_result_done(&br);
        return 0;
}

int app_upgrade_check(const App *a, const BerthConf *conf, const BerthPaths *paths, const BackupReporter *rep,
                      UpgradeResult *ret) {
        _cleanup_(state_db_closep) StateDb *db = NULL;
        _cleanup_free_ char *dbpath = state_db_path(paths->state_dir), *recorded = NULL;
        char digest[MANIFEST_DIGEST_SIZE];
        int r;

        *ret = (UpgradeResult) {};
        if (!dbpath)
                return -ENOMEM;
        r = manifest_digest(a, digest);
        if (r < 0)
                return fail_errno(ret, r, "cannot read the manifest", a->source_path);
        r = state_db_open(dbpath, false, &db);
        if (r < 0)
                return fail_errno(ret, r, "cannot open the state database", dbpath);
        r = state_db_manifest_hash_get(db, a->id, &recorded, NULL);
        if (r == -ENOENT)
                ret->outcome = UPGRADE_FIRST_START;
        else if (r < 0)
                return fail_errno(ret, r, "cannot read the recorded manifest from", dbpath);
        else if (streq(recorded, digest))
                ret->outcome = UPGRADE_UNCHANGED;
        else if (!conf->upgrade_snapshot)
                ret->outcome = UPGRADE_SNAPSHOT_DISABLED;
        else {
                r = take_snapshot(a, conf, paths, db, rep, ret);
                if (r < 0)
                        return r;
        }
        if (ret->outcome == UPGRADE_UNCHANGED || ret->outcome == UPGRADE_SNAPSHOT_FAILED)
                return 0;
        /* Not recorded, the next start compares with the old manifest again
         * and takes another snapshot: more than needed, nothing lost. */
        r = state_db_manifest_hash_set(db, a->id, digest);
        if (r < 0)
                reporter_step(rep, 4, "Failed to record the manifest of app '%s' in '%s', ignoring: %s", a->id, dbpath,
                              strerror(-r));
        return 0;
}
