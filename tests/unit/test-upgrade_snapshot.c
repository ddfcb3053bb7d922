/* test-upgrade_snapshot — the manifest digest, and the pre-upgrade check run
 * through every outcome against a real state database and a real local restic
 * repository (restic from $PATH's /usr/bin/restic, as berth runs it): first
 * start recorded, unchanged, changed and snapshotted, changed with a broken
 * repository (the app must not start, the change is not recorded, the next
 * start tries again), changed with the snapshot switched off in berth.conf,
 * changed while systemd's units are stale, nothing recorded but data there.
 * The app is loaded from its manifest, with quiesce, a pre hook and a
 * retention of one snapshot: none of which a pre-upgrade snapshot may apply.
 * Three apps' first snapshots at once make the default repository once. */
#include <limits.h>
#include <sys/wait.h>

#include "test.h"

#include "backup.h"
#include "berth_conf.h"
#include "berth_paths.h"
#include "fs_util.h"
#include "manifest.h"
#include "restic.h"
#include "state_db.h"
#include "strv.h"
#include "upgrade_snapshot.h"

static char *tmp;
static char *steps; /* every reported step, one per line */
static char *run;   /* the runtime directory: locks */

static void on_step(void *userdata, int level, const char *message) {
        char *s = NULL;
        if (asprintf(&s, "%s%s\n", strempty(steps), message) < 0)
                abort();
        free(steps);
        steps = s;
}

static const BackupReporter reporter = { .step = on_step };

/* A valid app: one container with a volume; quiesce, a pre hook (podman exec)
 * and keep-last 1, which a scheduled backup would apply. */
#define BASE "schema: 1\nname: Notes\ncontainers:\n  app:\n    image: localhost/notes:1\n" \
             "    environment: {A: \"1\", B: \"2\"}\n    volumes: [\"data:/data\"]\n" \
             "volumes: {data: {}}\n" \
             "backup: {quiesce: stop, retention: {last: 1}, hooks: {pre: [{container: app, exec: [\"false\"]}]}}\n"

static char *path_in(const char *name) {
        char *p = NULL;
        if (asprintf(&p, "%s/%s", tmp, name) < 0)
                abort();
        return p;
}

/* A hand-made app of one manifest and one drop-in, for the digest. */
static App *app_new(void) {
        App *a = calloc(1, sizeof(App));
        if (!a || !(a->id = strdup("notes")) || !(a->source_path = path_in("apps/notes.yaml")) ||
            strv_consume(&a->dropin_paths, path_in("apps/notes.yaml.d/10-env.yaml")) < 0)
                abort();
        return a;
}

/* The app as berth-prepare has it: loaded and validated from apps/ID.yaml and
 * apps/ID.yaml.d/10-env.yaml. */
static App *app_load(const char *id) {
        _cleanup_free_ char *path = NULL, *dropin = NULL;
        char *dropins[2] = {};
        Diagnostics d = {};
        App *a = NULL;

        if (asprintf(&path, "%s/apps/%s.yaml", tmp, id) < 0 || asprintf(&dropin, "%s/apps/%s.yaml.d/10-env.yaml", tmp, id) < 0)
                abort();
        dropins[0] = dropin;
        AppSource src = { .id = (char *) id, .path = path, .dropins = dropins };
        if (manifest_load(&src, NULL, &a, &d) < 0) {
                char *t = test_diag_text(&d);
                test_fail(__FILE__, __LINE__, "manifest of %s: %s", id, t);
        }
        return a;
}

/* The directories berth-prepare makes before the check, and data in the
 * volume when given. */
static void prepared(const char *state, const char *id, const char *data) {
        _cleanup_free_ char *vol = NULL;

        if (asprintf(&vol, "%s/apps/%s/volumes/data", state, id) < 0)
                abort();
        ASSERT_OK(mkdir_p(vol, 0755));
        if (data)
                test_write(vol, "file", data);
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

/* systemd saying the app's units need a daemon-reload. */
static bool stale_units(const App *a) {
        return true;
}

/* The same, for checks with nothing changed: it must not be asked. */
static bool not_asked(const App *a) {
        test_fail(__FILE__, __LINE__, "units_stale() asked for app '%s' without a change", a->id);
}

static UpgradeOutcome check(const App *a, const BerthConf *conf, const BerthPaths *paths, UpgradeResult *ret) {
        ASSERT_OK(app_upgrade_check(a, conf, paths, NULL, &reporter, ret));
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

        if (manifest_digest(a, ret, &d) < 0) {
                char *t = test_diag_text(&d);
                test_fail(__FILE__, __LINE__, "digest of:\n%s\n+ %s\n%s", manifest, dropin, t);
        }
        ASSERT_EQ(d.n, 0);
        ASSERT_EQ(strlen(ret), 64);
        ASSERT_EQ(strspn(ret, "0123456789abcdef"), 64);
}



TEST(test_digest) {
        static const struct {
                const char *manifest, *dropin;
                bool same; /* as BASE with an empty drop-in */
        } cases[] = {
                { BASE, "", true },
                /* layout, comments, key order, flow or block style: the same tree */
                { "# notes\nvolumes:\n  data: {}\nschema: 1\nname: Notes\ncontainers:\n  app:\n    volumes:\n      - \"data:/data\"\n"
                  "    environment:\n      B: \"2\"\n      A: \"1\"\n    image: localhost/notes:1   # pinned\n"
                  "backup: {quiesce: stop, retention: {last: 1}, hooks: {pre: [{container: app, exec: [\"false\"]}]}}\n", "", true },
                /* what does not run against the data */
                { BASE "description: Notes, renamed\nenabled: false\n", "name: Other\n", true },
                { BASE, "backup: {schedule: daily, retention: {last: 3}, quiesce: none}\n", true },
                { BASE "migrate: {hooks: {post: [{container: app, exec: [\"true\"]}]}}\n", "", true },
                /* what does */
                { BASE, "containers: {app: {environment: {A: \"3\"}}}\n", false },
                { BASE, "containers: {app: {image: localhost/notes:2}}\n", false },
                { BASE "version: \"2\"\n", "", false },
                { BASE, "volumes: {more: {}}\n", false },
                { BASE, "containers: {app: {command: [\"run\"]}}\n", false },
                /* a plain and a quoted scalar are different values */
                { "schema: 1\nname: Notes\ncontainers:\n  app:\n    image: localhost/notes:1\n"
                  "    environment: {A: \"1\", B: 2}\n    volumes: [\"data:/data\"]\nvolumes: {data: {}}\n", "", false },
                /* backup: is left out at the top only: a volume's counts */
                { BASE, "volumes: {data: {backup: false}}\n", false },
                /* and so is name: at the top only */
                { BASE, "containers: {app: {environment: {name: x}}}\n", false },
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
        _cleanup_(app_freep) App *a = NULL;
        _cleanup_(berth_conf_freep) BerthConf *conf = conf_with("");
        _cleanup_(berth_conf_freep) BerthConf *broken = NULL, *off = NULL;
        _cleanup_free_ char *state = path_in("state"), *h1 = NULL, *h2 = NULL, *h3 = NULL;
        BerthPaths paths = { .scope = SCOPE_SYSTEM, .state_dir = state, .runtime_dir = run };
        UpgradeResult r = {};

        ASSERT_OK(mkdir_p(state, 0755));
        prepared(state, "notes", NULL);
        test_write(tmp, "apps/notes.yaml", BASE);
        test_write(tmp, "apps/notes.yaml.d/10-env.yaml", "name: Notes\n");
        a = app_load("notes");

        /* First start, no data yet: recorded, no job, no repository made;
         * systemd is not asked about the units. */
        ASSERT_OK(app_upgrade_check(a, conf, &paths, not_asked, &reporter, &r));
        ASSERT_EQ(r.outcome, UPGRADE_FIRST_START);
        ASSERT_EQ(r.job_id, 0);
        upgrade_result_done(&r);
        ASSERT((h1 = recorded(&paths)));
        {
                _cleanup_free_ char *config = path_in("state/backup/config");
                ASSERT(access(config, F_OK) < 0);
        }

        /* The app runs, and writes. Started again, nothing changed; then only
         * its backup policy did. */
        prepared(state, "notes", "written by version 1\n");
        ASSERT_OK(app_upgrade_check(a, conf, &paths, not_asked, &reporter, &r));
        ASSERT_EQ(r.outcome, UPGRADE_UNCHANGED);
        ASSERT_EQ(r.job_id, 0);
        upgrade_result_done(&r);
        test_write(tmp, "apps/notes.yaml.d/10-env.yaml", "name: Notes\nbackup: {schedule: hourly}\n");
        ASSERT_EQ(check(a, conf, &paths, &r), UPGRADE_UNCHANGED);
        upgrade_result_done(&r);

        /* Changed while systemd still has the old units: neither snapshotted
         * nor recorded, no job. */
        test_write(tmp, "apps/notes.yaml.d/10-env.yaml", "containers: {app: {environment: {A: \"2\"}}}\n");
        ASSERT_OK(app_upgrade_check(a, conf, &paths, stale_units, &reporter, &r));
        ASSERT_EQ(r.outcome, UPGRADE_UNITS_STALE);
        ASSERT_EQ(r.job_id, 0);
        upgrade_result_done(&r);
        {
                _cleanup_free_ char *h = recorded(&paths);
                ASSERT_STREQ(h, h1);
        }

        /* Reloaded: the default repository is made, the snapshot saved with
         * the volume's data (no quiesce, no hook: either would have failed it)
         * and cached with its kind, the job succeeded, the new manifest recorded. */
        ASSERT_EQ(check(a, conf, &paths, &r), UPGRADE_SNAPSHOT_SAVED);
        ASSERT(!r.error);
        {
                _cleanup_(restic_repo_done) ResticRepo repo = {};
                _cleanup_free_ char *err = NULL, *file = path_in("state/apps/notes/volumes/data/file");
                char out[] = "/tmp/berth-test-dump.XXXXXX";
                int fd = mkstemp(out);
                ResticResult res;

                ASSERT(fd >= 0);
                ASSERT_OK(restic_repo_from_conf(conf, &paths, &repo, &err));
                ASSERT_OK(restic_dump(&repo, r.snapshot_id, file, fd, &res, &err));
                ASSERT_EQ(res, RESTIC_OK);
                close(fd);
                _cleanup_free_ char *got = test_read("/", out + 1);
                ASSERT_STREQ(got, "written by version 1\n");
                unlink(out);
        }
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
        ASSERT(strstr(steps, "App 'notes': its manifest changed since it last started\nTaking a pre-upgrade snapshot of app 'notes' (job "));
        ASSERT(!strstr(steps, "Retention") && !strstr(steps, "hook") && !strstr(steps, "Stopping"));
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
                /* keep-last 1 was not applied: both are there */
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
        ASSERT(app_upgrade_check(a, conf, &paths, NULL, &reporter, &r) < 0);
        ASSERT(r.error && startswith(r.error, "cannot read the manifest again: ") && strstr(r.error, "99-gone.yaml"));
        upgrade_result_done(&r);
        free(a->source_path);
        a->source_path = path_in("apps/gone.yaml");
        ASSERT_ERR(app_upgrade_check(a, conf, &paths, NULL, &reporter, &r), ENOENT);
        ASSERT(r.error && startswith(r.error, "cannot read the manifest '") && strstr(r.error, "apps/gone.yaml': No such file or directory"));
        upgrade_result_done(&r);
}

/* Nothing recorded, but data there (berth upgraded to one that records, the
 * state database lost): not a first start, a snapshot. */
TEST(test_data_without_record) {
        _cleanup_(app_freep) App *a = NULL;
        _cleanup_(berth_conf_freep) BerthConf *conf = conf_with("");
        _cleanup_free_ char *state = path_in("state-data");
        BerthPaths paths = { .scope = SCOPE_SYSTEM, .state_dir = state, .runtime_dir = run };
        UpgradeResult r = {};

        test_write(tmp, "apps/kept.yaml", BASE);
        test_write(tmp, "apps/kept.yaml.d/10-env.yaml", "");
        a = app_load("kept");
        prepared(state, "kept", "data from before\n");
        ASSERT_EQ(check(a, conf, &paths, &r), UPGRADE_SNAPSHOT_SAVED);
        ASSERT(r.snapshot_id);
        upgrade_result_done(&r);
        ASSERT(strstr(steps, "App 'kept': no manifest of it is recorded, and it has data\n"));
        ASSERT_EQ(check(a, conf, &paths, &r), UPGRADE_UNCHANGED);
        upgrade_result_done(&r);
}

/* A pre-upgrade job left "running" (prepare stopped in the middle of it, a
 * power cut) is recorded as failed by the next check, whatever it finds. */
TEST(test_interrupted_job_closed) {
        _cleanup_(app_freep) App *a = NULL;
        _cleanup_(berth_conf_freep) BerthConf *conf = conf_with("");
        _cleanup_free_ char *state = path_in("state-killed"), *dbpath = NULL;
        BerthPaths paths = { .scope = SCOPE_SYSTEM, .state_dir = state, .runtime_dir = run };
        UpgradeResult r = {};
        int64_t job;

        test_write(tmp, "apps/killed.yaml", BASE);
        test_write(tmp, "apps/killed.yaml.d/10-env.yaml", "");
        a = app_load("killed");
        prepared(state, "killed", NULL);
        ASSERT((dbpath = state_db_path(state)));
        {
                _cleanup_(state_db_closep) StateDb *db = NULL;
                ASSERT_OK(state_db_open(dbpath, false, &db));
                ASSERT_OK(state_db_job_begin(db, "killed", "pre-upgrade", NULL, &job));
        }
        ASSERT_EQ(check(a, conf, &paths, &r), UPGRADE_FIRST_START);
        upgrade_result_done(&r);
        {
                _cleanup_(state_db_closep) StateDb *db = NULL;
                Job j = {};
                ASSERT_OK(state_db_open(dbpath, true, &db));
                ASSERT_OK(state_db_job_get(db, job, &j));
                ASSERT_EQ(j.status, JOB_FAILED);
                ASSERT_STREQ(j.error, "interrupted: berth-prepare ended before it finished the job");
                job_done(&j);
        }
}

/* Three apps' first snapshots at once, on a machine with no repository yet:
 * the default repository is made once, and holds all three. */
TEST(test_concurrent_first_use) {
        _cleanup_(berth_conf_freep) BerthConf *conf = conf_with("");
        _cleanup_free_ char *state = path_in("state-race");
        BerthPaths paths = { .scope = SCOPE_SYSTEM, .state_dir = state, .runtime_dir = run };
        pid_t pids[3];

        for (size_t i = 0; i < ELEMENTSOF(pids); i++) {
                char id[16], file[64];
                snprintf(id, sizeof(id), "race%zu", i);
                snprintf(file, sizeof(file), "apps/%s.yaml", id);
                test_write(tmp, file, BASE);
                snprintf(file, sizeof(file), "apps/%s.yaml.d/10-env.yaml", id);
                test_write(tmp, file, "");
                prepared(state, id, "data\n");
        }
        for (size_t i = 0; i < ELEMENTSOF(pids); i++) {
                pids[i] = fork();
                ASSERT(pids[i] >= 0);
                if (pids[i] == 0) {
                        char id[16];
                        UpgradeResult r = {};
                        snprintf(id, sizeof(id), "race%zu", i);
                        App *a = app_load(id);
                        int q = app_upgrade_check(a, conf, &paths, NULL, &reporter, &r);
                        if (q < 0 || r.outcome != UPGRADE_SNAPSHOT_SAVED)
                                fprintf(stderr, "%s: %d, outcome %d: %s\n", id, q, r.outcome, strempty(r.error));
                        _exit(q >= 0 && r.outcome == UPGRADE_SNAPSHOT_SAVED ? 0 : 1);
                }
        }
        for (size_t i = 0; i < ELEMENTSOF(pids); i++) {
                int st;
                ASSERT(waitpid(pids[i], &st, 0) == pids[i]);
                ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        }
        {
                _cleanup_(restic_repo_done) ResticRepo repo = {};
                _cleanup_free_ char *err = NULL;
                SnapshotInfo *snaps = NULL;
                size_t n = 0;
                ResticResult res;

                ASSERT_OK(restic_repo_from_conf(conf, &paths, &repo, &err));
                ASSERT_OK(restic_check_access(&repo, &res, &err));
                ASSERT_EQ(res, RESTIC_OK);
                ASSERT_OK(restic_snapshots(&repo, NULL, &snaps, &n, &res, &err));
                ASSERT_EQ(res, RESTIC_OK);
                ASSERT_EQ(n, 3);
                snapshot_infos_free(snaps, n);
        }
}

int main(void) {
        char cache[PATH_MAX];

        tmp = test_tmpdir();
        run = path_in("run");
        snprintf(cache, sizeof(cache), "%s/cache", tmp);
        setenv("RESTIC_CACHE_DIR", cache, 1);
        RUN(test_digest);
        RUN(test_outcomes);
        RUN(test_data_without_record);
        RUN(test_interrupted_job_closed);
        RUN(test_concurrent_first_use);
        free(steps);
        free(run);
        test_tmpdir_done(tmp);
        TEST_DONE();
}
