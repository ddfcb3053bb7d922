/* test-unit_set — the all-or-nothing writer: exclusive create detects a
 * duplicate, and any failure removes everything written for that app (files,
 * links, the .wants directories it made) while leaving what was there. */
#include <sys/stat.h>

#include "test.h"
#include "unit_set.h"

static UnitFile *unit(const char *name, const char *desc) {
        UnitFile *u = unit_file_new(name);
        ASSERT(u);
        ASSERT_OK(unit_file_add_text(u, "Unit", "Description", desc));
        return u;
}

/* The set one app renders: a target (linked from multi-user.target.wants),
 * a service, a timer (linked from timers.target.wants). */
static void app_set(UnitSet *s, const char *app) {
        char n[64];

        snprintf(n, sizeof(n), "berth-%s.target", app);
        ASSERT_OK(unit_set_add(s, unit(n, app)));
        ASSERT_OK(unit_set_link(s, "multi-user.target.wants", n));
        snprintf(n, sizeof(n), "berth-%s-web.service", app);
        ASSERT_OK(unit_set_add(s, unit(n, "web")));
        snprintf(n, sizeof(n), "berth-%s-backup.timer", app);
        ASSERT_OK(unit_set_add(s, unit(n, "timer")));
        ASSERT_OK(unit_set_link(s, "timers.target.wants", n));
}

static unsigned count_entries(const char *dir) {
        char *cmd = NULL;
        unsigned n = 0;
        FILE *p;
        char line[4096];

        ASSERT(asprintf(&cmd, "cd '%s' && find . -mindepth 1 | sort", dir) > 0);
        p = popen(cmd, "r");
        ASSERT(p);
        while (fgets(line, sizeof(line), p))
                n++;
        pclose(p);
        free(cmd);
        return n;
}

static char *link_target(const char *dir, const char *name) {
        char *p = NULL, buf[256];
        ssize_t k;

        ASSERT(asprintf(&p, "%s/%s", dir, name) > 0);
        k = readlink(p, buf, sizeof(buf) - 1);
        free(p);
        if (k < 0)
                return NULL;
        buf[k] = 0;
        return strdup(buf);
}

TEST(test_write_all) {
        char *dir = test_tmpdir(), *text, *t, *failed = NULL;
        UnitSet s = {};
        struct stat st;

        app_set(&s, "one");
        ASSERT_OK(unit_set_write(&s, dir, &failed));
        ASSERT(!failed);
        ASSERT_EQ(count_entries(dir), 7); /* 3 files, 2 directories, 2 links */
        text = test_read(dir, "berth-one.target");
        ASSERT_OK(unit_file_to_string(s.files[0], &t));
        ASSERT_STREQ(text, t);
        free(text);
        free(t);
        ASSERT_STREQ(t = link_target(dir, "multi-user.target.wants/berth-one.target"), "../berth-one.target");
        free(t);
        ASSERT_STREQ(t = link_target(dir, "timers.target.wants/berth-one-backup.timer"), "../berth-one-backup.timer");
        free(t);
        {
                char *p = NULL;
                ASSERT(asprintf(&p, "%s/berth-one-web.service", dir) > 0);
                ASSERT_OK(stat(p, &st));
                ASSERT_EQ(st.st_mode & 07777, 0644);
                free(p);
        }

        /* A second app shares the .wants directories. */
        {
                UnitSet s2 = {};
                app_set(&s2, "two");
                ASSERT_OK(unit_set_write(&s2, dir, NULL));
                ASSERT_EQ(count_entries(dir), 12);
                unit_set_done(&s2);
        }
        unit_set_done(&s);
        test_tmpdir_done(dir);
}

TEST(test_duplicate_is_detected) {
        char *dir = test_tmpdir(), *failed = NULL, *before, *after;
        UnitSet a = {}, b = {};

        app_set(&a, "one");
        ASSERT_OK(unit_set_write(&a, dir, NULL));
        before = test_read(dir, "berth-one.target");

        /* The same units again: the first file already exists. */
        ASSERT_ERR(unit_set_write(&a, dir, &failed), EEXIST);
        ASSERT_STREQ(failed, "berth-one.target");
        free(failed);
        failed = NULL;
        ASSERT_EQ(count_entries(dir), 7);
        after = test_read(dir, "berth-one.target");
        ASSERT_STREQ(before, after); /* never overwritten */
        free(after);

        /* Another app that renders one colliding unit (its last file): nothing of
         * it stays, the other app's files are untouched. */
        ASSERT_OK(unit_set_add(&b, unit("berth-two.target", "two")));
        ASSERT_OK(unit_set_link(&b, "multi-user.target.wants", "berth-two.target"));
        ASSERT_OK(unit_set_add(&b, unit("berth-two-web.service", "web")));
        ASSERT_OK(unit_set_add(&b, unit("berth-one-backup.timer", "collides")));
        ASSERT_ERR(unit_set_write(&b, dir, &failed), EEXIST);
        ASSERT_STREQ(failed, "berth-one-backup.timer");
        free(failed);
        failed = NULL;
        ASSERT(!test_exists(dir, "berth-two.target"));
        ASSERT(!test_exists(dir, "berth-two-web.service"));
        ASSERT_EQ(count_entries(dir), 7);
        after = test_read(dir, "berth-one-backup.timer");
        ASSERT(after && !strstr(after, "collides"));
        free(after);
        free(before);
        unit_set_done(&a);
        unit_set_done(&b);
        test_tmpdir_done(dir);
}

TEST(test_failure_on_link_removes_everything) {
        char *dir = test_tmpdir(), *failed = NULL;
        UnitSet s = {};

        /* The second link collides; the first link's directory was made by
         * this call and must go too, the colliding one was there before. */
        test_write(dir, "timers.target.wants/berth-one-backup.timer", "someone else's\n");
        app_set(&s, "one");
        ASSERT_ERR(unit_set_write(&s, dir, &failed), EEXIST);
        ASSERT_STREQ(failed, "berth-one-backup.timer");
        free(failed);
        ASSERT(!test_exists(dir, "berth-one.target"));
        ASSERT(!test_exists(dir, "berth-one-web.service"));
        ASSERT(!test_exists(dir, "berth-one-backup.timer"));
        ASSERT(!test_exists(dir, "multi-user.target.wants"));
        ASSERT(test_exists(dir, "timers.target.wants/berth-one-backup.timer"));
        ASSERT_EQ(count_entries(dir), 2);
        unit_set_done(&s);
        test_tmpdir_done(dir);
}

TEST(test_no_follow) {
        char *dir = test_tmpdir(), *outside = test_tmpdir(), *target = NULL;
        UnitSet s = {};

        /* A symlink planted under a unit's name is never written through. */
        ASSERT(asprintf(&target, "%s/victim", outside) > 0);
        test_symlink(target, dir, "berth-one-web.service");
        app_set(&s, "one");
        ASSERT_ERR(unit_set_write(&s, dir, NULL), EEXIST);
        ASSERT(!test_exists(outside, "victim"));
        ASSERT(!test_exists(dir, "berth-one.target"));
        ASSERT_EQ(count_entries(dir), 1);
        free(target);
        unit_set_done(&s);
        test_tmpdir_done(dir);
        test_tmpdir_done(outside);
}

TEST(test_missing_dir) {
        char *failed = NULL;
        UnitSet s = {};

        app_set(&s, "one");
        ASSERT_ERR(unit_set_write(&s, "/nonexistent/berth/out", &failed), ENOENT);
        ASSERT_STREQ(failed, "/nonexistent/berth/out");
        free(failed);
        unit_set_done(&s);
}

TEST(test_print) {
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);
        UnitSet s = {};

        ASSERT(f);
        ASSERT_OK(unit_set_add(&s, unit("a.target", "A")));
        ASSERT_OK(unit_set_add(&s, unit("b.service", "B")));
        ASSERT_OK(unit_set_link(&s, "multi-user.target.wants", "a.target"));
        ASSERT_OK(unit_set_print(&s, f));
        fclose(f);
        ASSERT_STREQ(out, "# a.target\n[Unit]\nDescription=A\n"
                          "\n# b.service\n[Unit]\nDescription=B\n"
                          "\n# multi-user.target.wants/a.target -> ../a.target\n");
        free(out);
        /* unit_set_add takes ownership also when given nothing. */
        ASSERT_ERR(unit_set_add(&s, NULL), ENOMEM);
        unit_set_done(&s);
        ASSERT_EQ(s.n_files, 0);
        unit_set_done(&s);
}

int main(void) {
        RUN(test_write_all);
        RUN(test_duplicate_is_detected);
        RUN(test_failure_on_link_removes_everything);
        RUN(test_no_follow);
        RUN(test_missing_dir);
        RUN(test_print);
        TEST_DONE();
}
