/* test-upgrade_snapshot — the manifest digest, and the pre-upgrade check run
 * through every outcome against a real state database and a real local restic
 * repository (restic from $PATH's /usr/bin/restic, as berth runs it): first
 * start recorded, unchanged, changed and snapshotted, changed with a broken
 * repository (the app must not start, the change is not recorded, the next
 * start tries again), changed with the snapshot switched off in berth.conf. */
#include <limits.h>

#include "test.h"

#include "backup.h"
#include "berth_conf.h"
#include "berth_paths.h"
#include "fs_util.h"
#include "state_db.h"
#include "strv.h"
#include "upgrade_snapshot.h"

static char *tmp;
static char *steps; /* every reported step, one per line */

static void on_step(void *userdata, int level, const char *message) {
        char *s = NULL;
        if (asprintf(&s, "%s%s\n", strempty(steps), message) < 0)
                abort();
        free(steps);
        steps = s;
}

static const BackupReporter reporter = { .step = on_step };

static char *path_in(const char *name) {
        char *p = NULL;
        if (asprintf(&p, "%s/%s", tmp, name) < 0)
                abort();
        return p;
}

/* An app of one manifest and one drop-in, with no volumes or secrets: its
 * backup set is its snapshot index alone. */
static App *app_new(void) {
        App *a = calloc(1, sizeof(App));
        if (!a || !(a->id = strdup("notes")) || !(a->source_path = path_in("apps/notes.yaml")) ||
            strv_consume(&a->dropin_paths, path_in("apps/notes.yaml.d/10-env.yaml")) < 0)
                abort();
        return a;
}

static BerthConf *conf_with(const char *text) {
        BerthConf *c = NULL;
        Diagnostics d = {};
        char *p = path_in("berth.conf");

        test_write(tmp, "berth.conf", text);
        ASSERT_OK(berth_conf_load_path(p, &c, &d));
        ASSERT_EQ(d.n, 0);
        free(p);
        return c;
}

static UpgradeOutcome check(const App *a, const BerthConf *conf, const BerthPaths *paths, UpgradeResult *ret) {
        ASSERT_OK(app_upgrade_check(a, conf, paths, &reporter, ret));
        return ret->outcome;
}

static char *recorded(const BerthPaths *paths) {
        _cleanup_(state_db_closep) StateDb *db = NULL;
        _cleanup_free_ char *dbpath = state_db_path(paths->state_dir);
        char *h = NULL;

        ASSERT_OK(state_db_open(dbpath, true, &db));
        return state_db_manifest_hash_get(db, "notes", &h, NULL) < 0 ? NULL : h;
}

static void digest_of(const char *manifest, const char *dropin, char ret[static MANIFEST_DIGEST_SIZE]) {
        _cleanup_(app_freep) App *a = app_new();

        test_write(tmp, "apps/notes.yaml", manifest);
        test_write(tmp, "apps/notes.yaml.d/10-env.yaml", dropin);
        Diagnostics d = {};

        ASSERT_OK(manifest_digest(a, ret, &d));
        ASSERT_EQ(d.n, 0);
        ASSERT_EQ(strlen(ret), 64);
        ASSERT_EQ(strspn(ret, "0123456789abcdef"), 64);
}

#define BASE "schema: 1\nname: Notes\ncontainers:\n  app:\n    image: localhost/notes:1\n    environment: {A: \"1\", B: \"2\"}\n"

TEST(test_digest) {
        static const struct {
                const char *manifest, *dropin;
                bool same; /* as BASE with an empty drop-in */
        } cases[] = {
                { BASE, "", true },
                /* layout, comments, key order, flow or block style: the same tree */
                { "# notes\nschema: 1\nname: Notes\ncontainers:\n  app:\n    environment:\n      B: \"2\"\n      A: \"1\"\n    image: localhost/notes:1   # pinned\n", "", true },
                /* what does not run against the data */
                { BASE "description: Notes, renamed\nenabled: false\n", "name: Other\n", true },
                { BASE "backup: {schedule: daily, retention: {last: 3}}\n", "backup: {quiesce: stop}\n", true },
                { BASE "migrate: {hooks: {post: [{container: app, exec: [\"true\"]}]}}\n", "", true },
                /* what does */
                { BASE, "containers: {app: {environment: {A: \"3\"}}}\n", false },
                { BASE, "containers: {app: {image: localhost/notes:2}}\n", false },
                { BASE "version: \"2\"\n", "", false },
                { BASE "volumes: {data: {}}\n", "", false },
                { BASE, "containers: {app: {command: [\"run\"]}}\n", false },
                /* a plain and a quoted scalar are different values */
                { "schema: 1\nname: Notes\ncontainers:\n  app:\n    image: localhost/notes:1\n    environment: {A: \"1\", B: 2}\n", "", false },
        };
        char base[MANIFEST_DIGEST_SIZE], d[MANIFEST_DIGEST_SIZE];

        digest_of(BASE, "", base);
        digest_of(BASE, "", d);
        ASSERT_STREQ(base, d);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                digest_of(cases[i].manifest, cases[i].dropin, d);
                if (streq(d, base) != cases[i].same)
                        test_fail(__FILE__, __LINE__, "case %zu: digest %s the base's, expected %s", i,
                                  streq(d, base) ? "equals" : "differs from", cases[i].same ? "equal" : "different");
        }

        /* A drop-in that went away cannot be read: an error, not a digest. */
        {
                _cleanup_(app_freep) App *a = app_new();
                free(a->dropin_paths[0]);
                a->dropin_paths[0] = path_in("apps/notes.yaml.d/99-gone.yaml");
                Diagnostics diag = {};
                ASSERT(manifest_digest(a, d, &diag) < 0);
                ASSERT(diag.n >= 1);
                diag_clear(&diag);
        }
}

TEST(test_outcomes) {
        _cleanup_(app_freep) App *a = app_new();
        _cleanup_(berth_conf_freep) BerthConf *conf = conf_with("");
        _cleanup_(berth_conf_freep) BerthConf *broken = NULL, *off = NULL;
        _cleanup_free_ char *state = path_in("state"), *h1 = NULL, *h2 = NULL, *h3 = NULL;
        BerthPaths paths = { .scope = SCOPE_SYSTEM, .state_dir = state };
        UpgradeResult r = {};

        ASSERT_OK(mkdir_p(state, 0755));
        {
                /* made by berth-prepare before the check: the snapshot index goes there */
                _cleanup_free_ char *appdir = path_in("state/apps/notes");
                ASSERT_OK(mkdir_p(appdir, 0755));
        }
        test_write(tmp, "apps/notes.yaml", BASE);
        test_write(tmp, "apps/notes.yaml.d/10-env.yaml", "name: Notes\n");

        /* First start: recorded, no job, no repository made. */
        ASSERT_EQ(check(a, conf, &paths, &r), UPGRADE_FIRST_START);
        ASSERT_EQ(r.job_id, 0);
        upgrade_result_done(&r);
        ASSERT((h1 = recorded(&paths)));
        {
                _cleanup_free_ char *config = path_in("state/backup/config");
                ASSERT(access(config, F_OK) < 0);
        }

        /* Started again, nothing changed; then only its backup policy did. */
        ASSERT_EQ(check(a, conf, &paths, &r), UPGRADE_UNCHANGED);
        ASSERT_EQ(r.job_id, 0);
        upgrade_result_done(&r);
        test_write(tmp, "apps/notes.yaml.d/10-env.yaml", "name: Notes\nbackup: {schedule: hourly}\n");
        ASSERT_EQ(check(a, conf, &paths, &r), UPGRADE_UNCHANGED);
        upgrade_result_done(&r);

        /* Changed: the default repository is made, the snapshot saved and
         * cached with its kind, the job succeeded, the new manifest recorded. */
        test_write(tmp, "apps/notes.yaml.d/10-env.yaml", "containers: {app: {environment: {A: \"2\"}}}\n");
        ASSERT_EQ(check(a, conf, &paths, &r), UPGRADE_SNAPSHOT_SAVED);
        ASSERT(r.job_id > 0);
        ASSERT(r.snapshot_id && strlen(r.snapshot_id) == 64);
        ASSERT((h2 = recorded(&paths)));
        ASSERT(!streq(h1, h2));
        {
                _cleanup_(state_db_closep) StateDb *db = NULL;
                _cleanup_free_ char *dbpath = state_db_path(state);
                SnapshotInfo *snaps = NULL;
                size_t n = 0;
                Job j = {};

                ASSERT_OK(state_db_open(dbpath, true, &db));
                ASSERT_OK(state_db_job_get(db, r.job_id, &j));
                ASSERT_STREQ(j.kind, "pre-upgrade");
                ASSERT_EQ(j.status, JOB_SUCCEEDED);
                ASSERT_STREQ(j.snapshot_id, r.snapshot_id);
                job_done(&j);
                ASSERT_OK(state_db_snapshots_list(db, "notes", &snaps, &n));
                ASSERT_EQ(n, 1);
                ASSERT_STREQ(snaps[0].id, r.snapshot_id);
                ASSERT_STREQ(snaps[0].kind, "pre-upgrade");
                snapshot_infos_free(snaps, n);
                /* A pre-upgrade job is not the app's last backup. */
                ASSERT_ERR(state_db_job_last(db, "notes", "backup", -1, &j), ENOENT);
        }
        ASSERT(strstr(steps, "The manifest of app 'notes' changed since it last started\nTaking a pre-upgrade snapshot of app 'notes' (job "));
        upgrade_result_done(&r);
        ASSERT_EQ(check(a, conf, &paths, &r), UPGRADE_UNCHANGED);
        upgrade_result_done(&r);

        /* Changed again: a second snapshot into the repository that exists now,
         * which the cache learns from restic's summary, kind and all. */
        test_write(tmp, "apps/notes.yaml.d/10-env.yaml", "containers: {app: {environment: {A: \"2b\"}}}\n");
        ASSERT_EQ(check(a, conf, &paths, &r), UPGRADE_SNAPSHOT_SAVED);
        {
                _cleanup_(state_db_closep) StateDb *db = NULL;
                _cleanup_free_ char *dbpath = state_db_path(state);
                SnapshotInfo *snaps = NULL;
                size_t n = 0;

                ASSERT_OK(state_db_open(dbpath, true, &db));
                ASSERT_OK(state_db_snapshots_list(db, "notes", &snaps, &n));
                ASSERT_EQ(n, 2);
                for (size_t i = 0; i < n; i++)
                        ASSERT_STREQ(snaps[i].kind, "pre-upgrade");
                snapshot_infos_free(snaps, n);
        }
        upgrade_result_done(&r);
        free(h2);
        h2 = NULL;
        ASSERT((h2 = recorded(&paths)));

        /* Changed, and the repository cannot be opened: failed, named, the job
         * failed, the change not recorded, and the next start tries again. */
        test_write(tmp, "restic-password", "secret\n");
        {
                _cleanup_free_ char *text = NULL;
                if (asprintf(&text, "backup:\n  repository: %s/no-such-repo\n  password_file: %s/restic-password\n  lock_retries: 0\n",
                             tmp, tmp) < 0)
                        abort();
                broken = conf_with(text);
        }
        test_write(tmp, "apps/notes.yaml.d/10-env.yaml", "containers: {app: {environment: {A: \"3\"}}}\n");
        ASSERT_EQ(check(a, broken, &paths, &r), UPGRADE_SNAPSHOT_FAILED);
        ASSERT(r.job_id > 0);
        ASSERT(!r.snapshot_id);
        ASSERT(r.error && strstr(r.error, "no-such-repo"));
        {
                _cleanup_(state_db_closep) StateDb *db = NULL;
                _cleanup_free_ char *dbpath = state_db_path(state);
                Job j = {};

                ASSERT_OK(state_db_open(dbpath, true, &db));
                ASSERT_OK(state_db_job_get(db, r.job_id, &j));
                ASSERT_STREQ(j.kind, "pre-upgrade");
                ASSERT_EQ(j.status, JOB_FAILED);
                job_done(&j);
        }
        upgrade_result_done(&r);
        ASSERT((h3 = recorded(&paths)));
        ASSERT_STREQ(h3, h2);
        ASSERT_EQ(check(a, broken, &paths, &r), UPGRADE_SNAPSHOT_FAILED);
        upgrade_result_done(&r);

        /* Switched off in berth.conf: started without one, and recorded. */
        off = conf_with("backup:\n  upgrade_snapshot: false\n");
        ASSERT(!off->upgrade_snapshot);
        ASSERT(conf->upgrade_snapshot);
        ASSERT_EQ(check(a, off, &paths, &r), UPGRADE_SNAPSHOT_DISABLED);
        ASSERT_EQ(r.job_id, 0);
        upgrade_result_done(&r);
        ASSERT_EQ(check(a, conf, &paths, &r), UPGRADE_UNCHANGED);
        upgrade_result_done(&r);

        /* A drop-in, then the manifest, gone since it was loaded: errors that name them. */
        free(a->dropin_paths[0]);
        a->dropin_paths[0] = path_in("apps/notes.yaml.d/99-gone.yaml");
        ASSERT(app_upgrade_check(a, conf, &paths, &reporter, &r) < 0);
        ASSERT(r.error && startswith(r.error, "cannot read the manifest again: ") && strstr(r.error, "99-gone.yaml"));
        upgrade_result_done(&r);
        free(a->source_path);
        a->source_path = path_in("apps/gone.yaml");
        ASSERT_ERR(app_upgrade_check(a, conf, &paths, &reporter, &r), ENOENT);
        ASSERT(r.error && startswith(r.error, "cannot read the manifest '") && strstr(r.error, "apps/gone.yaml': No such file or directory"));
        upgrade_result_done(&r);
}

int main(void) {
        char cache[PATH_MAX];

        tmp = test_tmpdir();
        snprintf(cache, sizeof(cache), "%s/cache", tmp);
        setenv("RESTIC_CACHE_DIR", cache, 1);
        RUN(test_digest);
        RUN(test_outcomes);
        free(steps);
        test_tmpdir_done(tmp);
        TEST_DONE();
}
