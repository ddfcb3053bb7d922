/* test-app_source — the search path: order, earlier directory wins, masks,
 * drop-ins from every directory, BERTH_APPS_DIRS, bad file names. */
#include "app_source.h"
#include "strv.h"
#include "test.h"

static char *root;

static char *dir_path(const char *d) {
        char *p = NULL;
        if (asprintf(&p, "%s/%s", root, d) < 0)
                abort();
        return p;
}

static void assert_strv(char **l, const char *const *want) {
        size_t i;

        for (i = 0; want[i]; i++) {
                if (!l || !l[i])
                        test_fail(__FILE__, __LINE__, "list ends at %zu, expected '%s'", i, want[i]);
                ASSERT_STREQ(l[i], want[i]);
        }
        if (l && l[i])
                test_fail(__FILE__, __LINE__, "extra list entry '%s'", l[i]);
}

TEST(test_search_dirs) {
        char **l = NULL;

        ASSERT_OK(unsetenv("BERTH_APPS_DIRS"));
        ASSERT_OK(app_search_dirs(SCOPE_SYSTEM, &l));
        assert_strv(l, (const char *const[]) { "/etc/berth/apps", "/run/berth/apps", "/usr/lib/berth/apps", NULL });
        l = strv_free(l);

        ASSERT_OK(setenv("XDG_CONFIG_HOME", "/home/u/.cfg", 1));
        ASSERT_OK(app_search_dirs(SCOPE_USER, &l));
        assert_strv(l, (const char *const[]) { "/home/u/.cfg/berth/apps", NULL });
        l = strv_free(l);
        ASSERT_OK(setenv("XDG_CONFIG_HOME", "relative", 1)); /* ignored, as the XDG spec says */
        ASSERT_OK(setenv("HOME", "/home/u", 1));
        ASSERT_OK(app_search_dirs(SCOPE_USER, &l));
        assert_strv(l, (const char *const[]) { "/home/u/.config/berth/apps", NULL });
        l = strv_free(l);
        ASSERT_OK(unsetenv("XDG_CONFIG_HOME"));
        ASSERT_OK(unsetenv("HOME"));
        ASSERT_ERR(app_search_dirs(SCOPE_USER, &l), ENXIO);

        /* BERTH_APPS_DIRS replaces the path in both scopes; empty fields drop out. */
        ASSERT_OK(setenv("BERTH_APPS_DIRS", "/a::/b/c:/d", 1));
        ASSERT_OK(app_search_dirs(SCOPE_SYSTEM, &l));
        assert_strv(l, (const char *const[]) { "/a", "/b/c", "/d", NULL });
        l = strv_free(l);
        ASSERT_OK(app_search_dirs(SCOPE_USER, &l));
        assert_strv(l, (const char *const[]) { "/a", "/b/c", "/d", NULL });
        l = strv_free(l);
        ASSERT_OK(unsetenv("BERTH_APPS_DIRS"));
}

TEST(test_app_id_valid) {
        ASSERT(app_id_valid("a"));
        ASSERT(app_id_valid("0"));
        ASSERT(app_id_valid("immich"));
        ASSERT(app_id_valid("my-app-2"));
        ASSERT(app_id_valid("a-"));
        ASSERT(app_id_valid("abcdefghijklmnopqrstuvwxyz012345")); /* 32 */
        ASSERT(!app_id_valid("abcdefghijklmnopqrstuvwxyz0123456")); /* 33 */
        ASSERT(!app_id_valid(""));
        ASSERT(!app_id_valid("-a"));
        ASSERT(!app_id_valid("My"));
        ASSERT(!app_id_valid("a_b"));
        ASSERT(!app_id_valid("a.b"));
        ASSERT(!app_id_valid("a b"));
        ASSERT(!app_id_valid("\xc3\xa9"));
}

/* d1, d2, d3 in search order:
 *   web:   d1 (wins), d2
 *   db:    d2 (wins), d3
 *   cache: d1 masked (/dev/null), d3 real: masked
 *   media: d3 only
 *   gone:  d2 real, d3 masked: the earlier real file wins
 * plus files that are not apps. */
static void make_tree(void) {
        char *d1 = dir_path("d1"), *d2 = dir_path("d2"), *d3 = dir_path("d3");

        test_write(d1, "web.yaml", "name: web from d1\ncontainers: {web: {image: nginx}}\n");
        test_write(d2, "web.yaml", "name: web from d2\n");
        test_write(d2, "db.yaml", "name: db from d2\ncontainers: {db: {image: postgres}}\n");
        test_write(d3, "db.yaml", "name: db from d3\n");
        test_symlink("/dev/null", d1, "cache.yaml");
        test_write(d3, "cache.yaml", "name: cache\n");
        test_write(d3, "media.yaml", "name: media\n");
        test_write(d2, "gone.yaml", "name: gone\n");
        test_symlink("/dev/null", d3, "gone.yaml");
        /* Not apps: a bad id (reported), hidden files, other suffixes. */
        test_write(d1, "Bad_Name.yaml", "x: 1\n");
        test_write(d1, ".hidden.yaml", "x: 1\n");
        test_write(d1, "notes.txt", "x\n");
        test_write(d1, "web.yml", "x: 1\n");
        test_write(d3, "abcdefghijklmnopqrstuvwxyz0123456.yaml", "x: 1\n");

        /* Drop-ins for web, spread over all three directories:
         *   d1: 10-a, 20-b → /dev/null (masks d2's 20-b), README, .hidden.yaml
         *   d2: 10-a (shadowed by d1), 20-b (masked), 30-c, 9-x
         *   d3: 05-z, 30-c (shadowed by d2)
         * Expected, in lexical order of the name: d3/05-z, d1/10-a, d2/30-c, d2/9-x. */
        test_write(d1, "web.yaml.d/10-a.yaml", "name: a\n");
        test_symlink("/dev/null", d1, "web.yaml.d/20-b.yaml");
        test_write(d1, "web.yaml.d/README", "not a drop-in\n");
        test_write(d1, "web.yaml.d/.hidden.yaml", "name: hidden\n");
        test_write(d2, "web.yaml.d/10-a.yaml", "name: shadowed\n");
        test_write(d2, "web.yaml.d/20-b.yaml", "name: masked\n");
        test_write(d2, "web.yaml.d/30-c.yaml", "description: from c\n");
        test_write(d2, "web.yaml.d/9-x.yaml", "version: \"9\"\n");
        test_write(d3, "web.yaml.d/05-z.yaml", "name: z\nversion: \"5\"\n");
        test_write(d3, "web.yaml.d/30-c.yaml", "description: shadowed\n");
        /* Drop-ins apply even when the manifest itself lives in another directory. */
        test_write(d1, "db.yaml.d/50-port.yaml", "description: db drop-in in d1\n");
        free(d1);
        free(d2);
        free(d3);
}

static char **dirs123(void) {
        char **l = NULL;
        ASSERT_OK(strv_consume(&l, dir_path("d1")));
        ASSERT_OK(strv_consume(&l, dir_path("d2")));
        ASSERT_OK(strv_consume(&l, dir_path("d3")));
        ASSERT_OK(strv_consume(&l, dir_path("does-not-exist")));
        return l;
}

static void assert_path(const char *got, const char *dir, const char *name) {
        char *want = NULL;
        ASSERT(asprintf(&want, "%s/%s/%s", root, dir, name) > 0);
        ASSERT_STREQ(got, want);
        free(want);
}

TEST(test_enumerate) {
        char **dirs = dirs123();
        AppSource *s = NULL;
        size_t n = 0;
        Diagnostics d = {};
        char *want = NULL;

        ASSERT_OK(app_sources_enumerate(dirs, &s, &n, &d));
        ASSERT_EQ(n, 5);
        ASSERT_STREQ(s[0].id, "cache");
        ASSERT(s[0].masked);
        ASSERT(!s[0].path);
        ASSERT(!s[0].dropins);
        ASSERT_STREQ(s[1].id, "db");
        assert_path(s[1].path, "d2", "db.yaml");
        ASSERT_EQ(strv_length(s[1].dropins), 1);
        assert_path(s[1].dropins[0], "d1", "db.yaml.d/50-port.yaml");
        ASSERT_STREQ(s[2].id, "gone");
        ASSERT(!s[2].masked);
        assert_path(s[2].path, "d2", "gone.yaml");
        ASSERT_STREQ(s[3].id, "media");
        assert_path(s[3].path, "d3", "media.yaml");
        ASSERT_STREQ(s[4].id, "web");
        ASSERT(!s[4].masked);
        assert_path(s[4].path, "d1", "web.yaml");
        ASSERT_EQ(strv_length(s[4].dropins), 4);
        assert_path(s[4].dropins[0], "d3", "web.yaml.d/05-z.yaml");
        assert_path(s[4].dropins[1], "d1", "web.yaml.d/10-a.yaml");
        assert_path(s[4].dropins[2], "d2", "web.yaml.d/30-c.yaml");
        assert_path(s[4].dropins[3], "d2", "web.yaml.d/9-x.yaml"); /* lexical, not numeric */

        /* The two bad names are reported, naming the file; nothing else is. */
        ASSERT_EQ(d.n, 2);
        for (size_t i = 0; i < d.n; i++)
                ASSERT_EQ(d.items[i].line, 0);
        ASSERT(asprintf(&want, "%s/d1/Bad_Name.yaml: 'Bad_Name' is not a valid app id, expected 1-32 characters of a-z, 0-9 and '-', starting with a letter or digit; file ignored\n"
                               "%s/d3/abcdefghijklmnopqrstuvwxyz0123456.yaml: 'abcdefghijklmnopqrstuvwxyz0123456' is not a valid app id, expected 1-32 characters of a-z, 0-9 and '-', starting with a letter or digit; file ignored\n",
                        root, root) > 0);
        {
                char *t = test_diag_text(&d);
                ASSERT_STREQ(t, want);
                free(t);
        }
        free(want);
        diag_clear(&d);
        app_sources_free(s, n);

        /* Reversed order: d3 wins db, cache and gone; d2 wins web (d3 has none). */
        {
                char **rev = NULL;
                ASSERT_OK(strv_extend(&rev, dirs[2]));
                ASSERT_OK(strv_extend(&rev, dirs[1]));
                ASSERT_OK(strv_extend(&rev, dirs[0]));
                ASSERT_OK(app_sources_enumerate(rev, &s, &n, &d));
                ASSERT_EQ(n, 5);
                ASSERT(!s[0].masked); /* cache: d3's real file now comes first */
                assert_path(s[0].path, "d3", "cache.yaml");
                assert_path(s[1].path, "d3", "db.yaml");
                ASSERT(s[2].masked); /* gone: d3's mask comes first */
                assert_path(s[4].path, "d2", "web.yaml");
                /* Drop-ins: now d3's 30-c and d2's 10-a and 20-b win their names. */
                ASSERT_EQ(strv_length(s[4].dropins), 5);
                assert_path(s[4].dropins[0], "d3", "web.yaml.d/05-z.yaml");
                assert_path(s[4].dropins[1], "d2", "web.yaml.d/10-a.yaml");
                assert_path(s[4].dropins[2], "d2", "web.yaml.d/20-b.yaml");
                assert_path(s[4].dropins[3], "d3", "web.yaml.d/30-c.yaml");
                assert_path(s[4].dropins[4], "d2", "web.yaml.d/9-x.yaml");
                app_sources_free(s, n);
                diag_clear(&d);
                strv_free(rev);
        }

        /* A symlink leading nowhere or round in a loop is said and passed over:
         * a later directory's manifest of that id is used. */
        {
                char *t = test_tmpdir(), *a = NULL, *b = NULL, *p = NULL, *text = NULL;
                ASSERT(asprintf(&a, "%s/a", t) > 0 && asprintf(&b, "%s/b", t) > 0);
                ASSERT(mkdir(a, 0755) == 0 && mkdir(b, 0755) == 0);
                ASSERT(asprintf(&p, "%s/web.yaml", a) > 0 && symlink("/nonexistent/web.yaml", p) == 0);
                free(p);
                ASSERT(asprintf(&p, "%s/loop.yaml", a) > 0 && symlink("loop.yaml", p) == 0);
                free(p);
                test_write(b, "web.yaml", "containers: {web: {image: x}}\n");
                char *two[] = { a, b, NULL };
                ASSERT_OK(app_sources_enumerate(two, &s, &n, &d));
                ASSERT_EQ(n, 1);
                ASSERT(asprintf(&p, "%s/web.yaml", b) > 0);
                ASSERT_STREQ(s[0].path, p);
                free(p);
                ASSERT(asprintf(&want, "%s/loop.yaml: is a symlink that leads round in a loop, expected a manifest or a symlink to /dev/null (a mask); file ignored\n"
                                       "%s/web.yaml: is a symlink that leads to no file, expected a manifest or a symlink to /dev/null (a mask); file ignored\n",
                                a, a) > 0);
                text = test_diag_text(&d);
                ASSERT_STREQ(text, want);
                free(text);
                free(want);
                diag_clear(&d);
                app_sources_free(s, n);
                free(a);
                free(b);
                test_tmpdir_done(t);
        }

        /* An empty search path, or only missing directories: no apps, no error. */
        {
                char *none[] = { NULL };
                char *missing[] = { (char *) "/nonexistent/berth/apps", NULL };
                ASSERT_OK(app_sources_enumerate(none, &s, &n, &d));
                ASSERT_EQ(n, 0);
                app_sources_free(s, n);
                ASSERT_OK(app_sources_enumerate(missing, &s, &n, &d));
                ASSERT_EQ(n, 0);
                ASSERT_EQ(d.n, 0);
                app_sources_free(s, n);
        }
        strv_free(dirs);
}

TEST(test_find_and_load) {
        char **dirs = dirs123();
        AppSource s = {};
        YamlDoc *doc = NULL;
        Diagnostics d = {};

        ASSERT_ERR(app_source_find(dirs, "nothing", &s, NULL), ENOENT);
        ASSERT_OK(app_source_find(dirs, "cache", &s, NULL));
        ASSERT(s.masked);
        ASSERT_ERR(app_source_load(&s, &doc, &d), ERFKILL);
        app_source_done(&s);

        /* Drop-ins merge in order: later ones override earlier ones. */
        ASSERT_OK(app_source_find(dirs, "web", &s, NULL));
        ASSERT_OK(app_source_load(&s, &doc, &d));
        ASSERT_EQ(d.n, 0);
        ASSERT_STREQ(node_get(doc->root, "name")->value, "a");           /* 05-z, then 10-a */
        ASSERT_STREQ(node_get(doc->root, "version")->value, "9");        /* 05-z, then 9-x */
        ASSERT_STREQ(node_get(doc->root, "description")->value, "from c"); /* d2's 30-c */
        ASSERT(node_get(doc->root, "containers"));
        /* Merged nodes keep pointing at the drop-in they came from. */
        assert_path(node_get(doc->root, "name")->pos.file, "d1", "web.yaml.d/10-a.yaml");
        assert_path(node_get(doc->root, "containers")->pos.file, "d1", "web.yaml");
        doc = yaml_doc_free(doc);
        app_source_done(&s);

        /* A broken drop-in fails the app, naming the drop-in. */
        {
                char *d1 = dir_path("d1");
                test_write(d1, "web.yaml.d/99-bad.yaml", "name: [\n");
                ASSERT_OK(app_source_find(dirs, "web", &s, NULL));
                ASSERT_ERR(app_source_load(&s, &doc, &d), EINVAL);
                ASSERT_EQ(d.n, 1);
                assert_path(d.items[0].file, "d1", "web.yaml.d/99-bad.yaml");
                ASSERT_EQ(d.items[0].line, 2);
                diag_clear(&d);
                app_source_done(&s);
                /* A drop-in that cannot be read (a directory) is reported too. */
                {
                        char *bad = NULL;
                        ASSERT(asprintf(&bad, "%s/web.yaml.d/99-bad.yaml", d1) > 0);
                        ASSERT_OK(unlink(bad));
                        free(bad);
                }
                test_write(d1, "web.yaml.d/99-dir.yaml/x", "");
                ASSERT_OK(app_source_find(dirs, "web", &s, NULL));
                ASSERT_ERR(app_source_load(&s, &doc, &d), EINVAL);
                ASSERT_EQ(d.n, 1);
                assert_path(d.items[0].file, "d1", "web.yaml.d/99-dir.yaml");
                ASSERT_STREQ(d.items[0].message, "cannot read drop-in: Is a directory");
                diag_clear(&d);
                app_source_done(&s);
                {
                        char *bad = NULL;
                        ASSERT(asprintf(&bad, "%s/web.yaml.d/99-dir.yaml", d1) > 0);
                        test_rm_rf(bad);
                        free(bad);
                }
                free(d1);
        }
        strv_free(dirs);
}

TEST(test_from_file) {
        AppSource s = {};
        char *cwd = getcwd(NULL, 0), *d2 = dir_path("d2"), *want = NULL;

        ASSERT_ERR(app_source_from_file(d2, &s), EBADR);
        ASSERT_ERR(app_source_from_file("x.yml", &s), EBADR);
        ASSERT_ERR(app_source_from_file("/", &s), EBADR);

        /* Relative paths become absolute (units name them in SourcePath=). */
        ASSERT_OK(chdir(root));
        ASSERT_OK(app_source_from_file("d1/web.yaml", &s));
        ASSERT_STREQ(s.id, "web");
        assert_path(s.path, "d1", "web.yaml");
        /* Only the drop-ins next to the file: d1's own. */
        ASSERT_EQ(strv_length(s.dropins), 1);
        assert_path(s.dropins[0], "d1", "web.yaml.d/10-a.yaml");
        app_source_done(&s);
        ASSERT_OK(chdir(d2));
        ASSERT_OK(app_source_from_file("./web.yaml", &s));
        assert_path(s.path, "d2", "web.yaml");
        ASSERT_EQ(strv_length(s.dropins), 4); /* d2's own: 10-a, 20-b, 30-c, 9-x */
        assert_path(s.dropins[1], "d2", "web.yaml.d/20-b.yaml");
        app_source_done(&s);
        ASSERT_OK(app_source_from_file("db.yaml", &s));
        assert_path(s.path, "d2", "db.yaml");
        app_source_done(&s);
        /* A masked file named directly is masked. */
        ASSERT_OK(chdir(root));
        ASSERT_OK(app_source_from_file("d1/cache.yaml", &s));
        ASSERT(s.masked);
        app_source_done(&s);
        ASSERT(asprintf(&want, "%s/d3/media.yaml", root) > 0);
        ASSERT_OK(app_source_from_file(want, &s));
        ASSERT_STREQ(s.path, want);
        ASSERT_STREQ(s.id, "media");
        app_source_done(&s);
        ASSERT_OK(chdir(cwd));
        free(want);
        free(cwd);
        free(d2);
}

int main(void) {
        root = test_tmpdir();
        make_tree();
        RUN(test_search_dirs);
        RUN(test_app_id_valid);
        RUN(test_enumerate);
        RUN(test_find_and_load);
        RUN(test_from_file);
        test_tmpdir_done(root);
        TEST_DONE();
}
