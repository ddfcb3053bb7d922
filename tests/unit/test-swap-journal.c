/* test-swap-journal — a restore's swap killed at every point, in a child
 * process, for RENAME_EXCHANGE and for the two-rename fallback, with one and
 * two volumes: recovery must leave every volume wholly old (journal PREPARED)
 * or wholly new (COMMITTED), remove every leftover and the journal, and be
 * safe to run twice. */
#include <signal.h>
#include <sys/wait.h>

#include "fs_util.h"
#include "strv.h"
#include "swap_journal.h"
#include "test.h"

/* Where the child dies. */
enum {
        DIE_AFTER_PREPARED,   /* journal PREPARED, nothing swapped */
        DIE_RENAME_1,         /* fallback: live parked at old, live path missing */
        DIE_RENAME_2,         /* fallback: new at live, old still parked */
        DIE_RENAME_3,         /* fallback: first volume fully swapped */
        DIE_AFTER_FIRST,      /* first volume swapped (either way) */
        DIE_AFTER_ALL,        /* every volume swapped, not committed */
        DIE_AFTER_COMMIT,     /* journal COMMITTED */
        _DIE_MAX,
};

static unsigned die_at;
static unsigned renames;

static void on_rename(void *userdata, unsigned n) {
        (void) userdata;
        renames++;
        /* only the first volume's fallback renames count as crash points */
        if (renames <= 3 && ((die_at == DIE_RENAME_1 && n == 1) || (die_at == DIE_RENAME_2 && n == 2) ||
                             (die_at == DIE_RENAME_3 && n == 3)))
                _exit(0);
}

static void fill(const char *dir, const char *tag) {
        test_write(dir, "a", tag);
        test_write(dir, "sub/b", tag);
}

static bool holds(const char *dir, const char *tag) {
        char *a = test_read(dir, "a"), *b = test_read(dir, "sub/b");
        bool ok = a && b && streq(a, tag) && streq(b, tag);
        free(a);
        free(b);
        return ok;
}

/* One test's world: under a scratch root, nvol volumes whose live copies hold
 * "old" and staged copies "new"; j is the journal of their swap, rj one read
 * back from disk. */
typedef struct Fixture {
        char *root;
        SwapJournal j, rj;
        BerthPaths p;
} Fixture;

static void fixture_init(Fixture *f, size_t nvol) {
        *f = (Fixture) { .root = test_tmpdir() };
        f->p = (BerthPaths) { .scope = SCOPE_SYSTEM };
        ASSERT(asprintf(&f->p.state_dir, "%s/state", f->root) > 0);
        ASSERT(asprintf(&f->p.runtime_dir, "%s/run", f->root) > 0);
        f->j = (SwapJournal) { .app = strdup("app"), .job = 7, .snapshot = strdup("abcdef"), .state = SWAP_STAGING };
        f->j.volumes = calloc(nvol, sizeof(SwapVolume));
        f->j.n_volumes = nvol;
        for (size_t i = 0; i < nvol; i++) {
                SwapVolume *v = &f->j.volumes[i];
                ASSERT(asprintf(&v->name, "v%zu", i) > 0);
                ASSERT(asprintf(&v->live, "%s/vols/v%zu", f->root, i) > 0);
                ASSERT(asprintf(&v->scratch, "%s/vols/.berth-restore-v%zu-7", f->root, i) > 0);
                ASSERT(asprintf(&v->old, "%s/vols/.berth-old-v%zu-7", f->root, i) > 0);
                ASSERT(asprintf(&v->staged, "%s/src/data/v%zu", v->scratch, i) > 0);
                fill(v->live, "old");
                fill(v->staged, "new");
        }
}

static void fixture_done(Fixture *f) {
        swap_journal_done(&f->rj);
        swap_journal_done(&f->j);
        berth_paths_done(&f->p);
        test_tmpdir_done(f->root);
}

/* The restore's swap phase, as restore.c runs it. */
static void run_swap(const BerthPaths *p, SwapJournal *j, bool fallback) {
        SwapOptions o = { .force_fallback = fallback, .after_rename = on_rename };
        for (size_t i = 0; i < j->n_volumes; i++)
                ASSERT_OK(swap_volume_record_inodes(&j->volumes[i]));
        j->state = SWAP_PREPARED;
        ASSERT_OK(swap_journal_write(p, j));
        if (die_at == DIE_AFTER_PREPARED)
                _exit(0);
        for (size_t i = 0; i < j->n_volumes; i++) {
                bool fb;
                ASSERT_OK(swap_volume_exchange(&j->volumes[i], &o, &fb));
                ASSERT(fb == fallback);
                if (i == 0 && die_at == DIE_AFTER_FIRST)
                        _exit(0);
        }
        if (die_at == DIE_AFTER_ALL)
                _exit(0);
        j->state = SWAP_COMMITTED;
        ASSERT_OK(swap_journal_write(p, j));
        _exit(0);
}

/* The swap run in a child that dies at crash point at. */
static void swap_killed_at(Fixture *f, unsigned at, bool fallback) {
        pid_t pid;
        int st;

        die_at = at;
        renames = 0;
        pid = fork();
        ASSERT(pid >= 0);
        if (pid == 0)
                run_swap(&f->p, &f->j, fallback);
        ASSERT(waitpid(pid, &st, 0) == pid);
        ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void one_case(unsigned at, bool fallback, size_t nvol) {
        Fixture f;
        SwapOutcome o;

        fixture_init(&f, nvol);
        swap_killed_at(&f, at, fallback);

        ASSERT_OK(swap_journal_read(&f.p, "app", &f.rj));
        bool committed = f.rj.state == SWAP_COMMITTED;
        ASSERT(committed == (at == DIE_AFTER_COMMIT));
        ASSERT_OK(swap_journal_recover(&f.p, &f.rj, &o));
        ASSERT_EQ(o, committed ? SWAP_ROLLED_FORWARD : SWAP_ROLLED_BACK);
        for (size_t i = 0; i < nvol; i++) {
                struct stat s;
                /* wholly old or wholly new, per the journal; never a mix, never missing */
                if (!holds(f.j.volumes[i].live, committed ? "new" : "old"))
                        test_fail(__FILE__, __LINE__, "volume %zu after crash point %u (%s): not wholly %s", i, at,
                                  fallback ? "fallback" : "exchange", committed ? "new" : "old");
                ASSERT(lstat(f.j.volumes[i].scratch, &s) < 0 && errno == ENOENT);
                ASSERT(lstat(f.j.volumes[i].old, &s) < 0 && errno == ENOENT);
        }
        ASSERT_ERR(swap_journal_read(&f.p, "app", &f.rj), ENOENT);
        fixture_done(&f);
}

TEST(test_every_crash_point) {
        for (size_t nvol = 1; nvol <= 2; nvol++)
                for (int fb = 0; fb <= 1; fb++)
                        for (unsigned at = 0; at < _DIE_MAX; at++) {
                                if (!fb && (at == DIE_RENAME_1 || at == DIE_RENAME_2 || at == DIE_RENAME_3))
                                        continue;
                                one_case(at, fb, nvol);
                        }
}

TEST(test_recover_twice) {
        /* Recovery itself interrupted: its first pass done, journal left
         * (as if killed before removing it), then run again. */
        Fixture f;
        SwapOutcome o;

        fixture_init(&f, 2);
        swap_killed_at(&f, DIE_RENAME_2, true);
        ASSERT_OK(swap_journal_read(&f.p, "app", &f.rj));
        /* second copy of the journal, to replay after the first recovery */
        ASSERT_OK(swap_journal_recover(&f.p, &f.rj, &o));
        ASSERT_OK(swap_journal_write(&f.p, &f.rj));
        swap_journal_done(&f.rj);
        ASSERT_OK(swap_journal_read(&f.p, "app", &f.rj));
        ASSERT_OK(swap_journal_recover(&f.p, &f.rj, &o));
        ASSERT(holds(f.j.volumes[0].live, "old"));
        ASSERT(holds(f.j.volumes[1].live, "old"));
        fixture_done(&f);
}

TEST(test_staging_only) {
        Fixture f;
        SwapOutcome o;
        struct stat s;

        fixture_init(&f, 1);
        ASSERT_OK(swap_journal_write(&f.p, &f.j));
        ASSERT_OK(swap_journal_read(&f.p, "app", &f.rj));
        ASSERT_EQ(f.rj.state, SWAP_STAGING);
        ASSERT_OK(swap_journal_recover(&f.p, &f.rj, &o));
        ASSERT_EQ(o, SWAP_CLEANED);
        ASSERT(holds(f.j.volumes[0].live, "old"));
        ASSERT(lstat(f.j.volumes[0].scratch, &s) < 0);
        fixture_done(&f);
}

TEST(test_refuses_foreign_paths) {
        /* A damaged journal must not make recovery delete arbitrary paths. */
        Fixture f;

        fixture_init(&f, 1);
        free(f.j.volumes[0].scratch);
        ASSERT(asprintf(&f.j.volumes[0].scratch, "%s/vols", f.root) > 0);
        ASSERT_OK(swap_journal_write(&f.p, &f.j));
        ASSERT_ERR(swap_journal_read(&f.p, "app", &f.rj), EBADMSG);
        ASSERT(holds(f.j.volumes[0].live, "old"));
        fixture_done(&f);
}

TEST(test_keep_missing_refuses) {
        /* The data to keep is gone (someone removed it by hand): touch nothing. */
        Fixture f;
        SwapOutcome o;

        fixture_init(&f, 1);
        ASSERT_OK(swap_volume_record_inodes(&f.j.volumes[0]));
        f.j.state = SWAP_PREPARED;
        ASSERT_OK(swap_journal_write(&f.p, &f.j));
        test_rm_rf(f.j.volumes[0].live);
        ASSERT_OK(swap_journal_read(&f.p, "app", &f.rj));
        ASSERT_ERR(swap_journal_recover(&f.p, &f.rj, &o), ESTALE);
        ASSERT(holds(f.j.volumes[0].staged, "new"));
        swap_journal_done(&f.rj);
        ASSERT_OK(swap_journal_read(&f.p, "app", &f.rj)); /* journal kept */
        fixture_done(&f);
}

int main(void) {
        RUN(test_every_crash_point);
        RUN(test_recover_twice);
        RUN(test_staging_only);
        RUN(test_refuses_foreign_paths);
        RUN(test_keep_missing_refuses);
        TEST_DONE();
}
