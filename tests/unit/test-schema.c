/* test-schema — typed getters, did-you-mean, control characters (C0, DEL, C1)
 * and path normalisation. */
#include "schema.h"
#include "strv.h"
#include "test.h"

static YamlDoc *load(const char *text) {
        Diagnostics d = {};
        YamlDoc *doc = NULL;

        ASSERT_OK(yaml_load_string("s.yaml", text, strlen(text), &doc, &d));
        ASSERT_EQ(d.n, 0);
        return doc;
}

TEST(test_did_you_mean) {
        static const char *const keys[] = { "image", "build", "command", "entrypoint", "environment", "ports",
                                            "volumes", "depends_on", "health", "restart", "cap_add", NULL };

        ASSERT_STREQ(schema_did_you_mean("imagee", keys), "image");
        ASSERT_STREQ(schema_did_you_mean("imgae", keys), "image");
        ASSERT_STREQ(schema_did_you_mean("enviroment", keys), "environment");
        ASSERT_STREQ(schema_did_you_mean("environement", keys), "environment");
        ASSERT_STREQ(schema_did_you_mean("depend_on", keys), "depends_on");
        ASSERT_STREQ(schema_did_you_mean("dependson", keys), "depends_on");
        ASSERT_STREQ(schema_did_you_mean("port", keys), "ports");
        ASSERT_STREQ(schema_did_you_mean("Image", keys), "image");
        ASSERT_STREQ(schema_did_you_mean("volume", keys), "volumes");
        ASSERT_STREQ(schema_did_you_mean("cap-add", keys), "cap_add");
        /* Too far from everything: no guess. */
        ASSERT(!schema_did_you_mean("xyz", keys));
        ASSERT(!schema_did_you_mean("networks", keys));
        ASSERT(!schema_did_you_mean("privileged", keys));
        ASSERT(!schema_did_you_mean("", keys));
        /* Short words get a tight limit (1 edit). */
        ASSERT(!schema_did_you_mean("prt", keys));
        /* Very long words do not crash or guess. */
        {
                char longw[300];
                memset(longw, 'a', sizeof(longw) - 1);
                longw[sizeof(longw) - 1] = 0;
                ASSERT(!schema_did_you_mean(longw, keys));
        }
        {
                static const char *const none[] = { NULL };
                ASSERT(!schema_did_you_mean("image", none));
        }
}

TEST(test_check_keys) {
        static const char *const allowed[] = { "image", "ports", "user", NULL };
        YamlDoc *doc = load("image: x\nimagee: y\nfoo: 1\n\"a\\tb\": 2\nports: []\n\"\\x85\": 3\n");
        Diagnostics d = {};
        char *t;

        ASSERT_EQ(schema_check_keys(&d, doc->root, "container 'web'", allowed), 4);
        t = test_diag_text(&d);
        ASSERT_STREQ(t, "s.yaml:2:1: unknown key 'imagee' in container 'web', did you mean 'image'?\n"
                        "s.yaml:3:1: unknown key 'foo' in container 'web', expected one of: image, ports, user\n"
                        "s.yaml:4:1: key with control characters in container 'web', expected a plain name\n"
                        "s.yaml:6:1: key with control characters in container 'web', expected a plain name\n");
        free(t);
        diag_clear(&d);
        /* Not a mapping: nothing to check, nothing reported. */
        ASSERT_EQ(schema_check_keys(&d, node_get(doc->root, "ports"), "x", allowed), 0);
        ASSERT_EQ(schema_check_keys(&d, NULL, "x", allowed), 0);
        ASSERT_EQ(d.n, 0);
        yaml_doc_free(doc);
}

/* Literal strings, with their exact length (which may include NULs). */
#define TEXT_OK(lit) schema_text_ok(lit, sizeof(lit) - 1)

TEST(test_text_ok) {
        ASSERT(TEXT_OK(""));
        ASSERT(TEXT_OK("plain text, with punctuation: !\"#$%&'()*+,-./;<=>?@[\\]^_`{|}~"));
        ASSERT(TEXT_OK("caf\xc3\xa9"));                /* é */
        ASSERT(TEXT_OK("\xc2\xa0"));                   /* U+00A0 NBSP: not a control */
        ASSERT(TEXT_OK("\xc2\xbf"));                   /* U+00BF */
        ASSERT(TEXT_OK("\xe6\x97\xa5\xe6\x9c\xac"));   /* 日本 */
        ASSERT(TEXT_OK("\xf0\x9f\x98\x80"));           /* an emoji */
        ASSERT(TEXT_OK("\xc3\x85"));                   /* U+00C5: 0x85 as a continuation byte */
        ASSERT(TEXT_OK("\xe2\x80\x85"));               /* U+2005: likewise */

        /* C0 controls, every one. */
        for (int c = 1; c < 0x20; c++) {
                char s[4] = { 'a', (char) c, 'b', 0 };
                ASSERT(!schema_text_ok(s, 3));
        }
        ASSERT(!TEXT_OK("a\nb"));
        ASSERT(!TEXT_OK("a\rb"));
        ASSERT(!TEXT_OK("\t"));
        ASSERT(!TEXT_OK("\x1b[31m"));
        ASSERT(!TEXT_OK("\x7f"));                      /* DEL */
        /* C1 controls U+0080..U+009F, every one. */
        for (int c = 0x80; c <= 0x9f; c++) {
                char s[5] = { 'x', (char) 0xc2, (char) c, 'y', 0 };
                ASSERT(!schema_text_ok(s, 4));
        }
        ASSERT(!TEXT_OK("\xc2\x85"));                  /* NEL, a line break to some */
        /* Embedded NUL: the length says there is more than strlen sees. */
        ASSERT(!TEXT_OK("a\0b"));
        ASSERT(!TEXT_OK("\0"));
        /* Long text is looked at eight bytes at a time: a control character, DEL,
         * a C1 control or a NUL at every place of it, and a harmless UTF-8
         * character there. */
        for (size_t at = 0; at < 25; at++) {
                char s[26];
                memset(s, 'a', 25);
                s[25] = 0;
                s[at] = '\n';
                ASSERT(!schema_text_ok(s, 25));
                s[at] = '\x7f';
                ASSERT(!schema_text_ok(s, 25));
                s[at] = 0;
                ASSERT(!schema_text_ok(s, 25));
                if (at == 24)
                        break;
                s[at] = (char) 0xc2;
                s[at + 1] = (char) 0x85;
                ASSERT(!schema_text_ok(s, 25));
                s[at + 1] = (char) 0xa0;
                ASSERT(schema_text_ok(s, 25));
        }
}

TEST(test_string) {
        YamlDoc *doc = load("s: hello\n"
                            "q: \"null\"\n"
                            "n: null\n"
                            "e:\n"
                            "m: {a: 1}\n"
                            "l: [1]\n"
                            "nl: \"a\\nb\"\n"
                            "tab: \"a\\tb\"\n"
                            "nel: \"a\\x85b\"\n"
                            "nel2: \"a\\u0085b\"\n"
                            "nul: \"a\\0b\"\n"
                            "esc: \"\\e[1m\"\n"
                            "ls: \"a\\u2028b\"\n"
                            "folded: >-\n  a\n  b\n"
                            "literal: |\n  a\n  b\n"
                            "emptyq: ''\n");
        const Node *r = doc->root;
        Diagnostics d = {};
        char *s = NULL, *t;

        ASSERT_OK(schema_string(&d, node_get(r, "s"), "name", &s));
        ASSERT_STREQ(s, "hello");
        free(s);
        ASSERT_OK(schema_string(&d, node_get(r, "q"), "name", &s));
        ASSERT_STREQ(s, "null");
        free(s);
        ASSERT_OK(schema_string(&d, node_get(r, "emptyq"), "name", &s));
        ASSERT_STREQ(s, "");
        free(s);
        ASSERT_OK(schema_string(&d, node_get(r, "folded"), "name", &s)); /* folded, chomped: one line */
        ASSERT_STREQ(s, "a b");
        free(s);
        s = NULL;
        ASSERT_EQ(d.n, 0);
        ASSERT_OK(schema_string(&d, node_get(r, "ls"), "name", &s)); /* U+2028 is not a control character */
        free(s);
        s = NULL;

        /* Everything below is refused, with its position, and leaves s alone. */
        d = (Diagnostics) {};
        ASSERT_ERR(schema_string(&d, node_get(r, "n"), "name", &s), EINVAL);
        ASSERT_ERR(schema_string(&d, node_get(r, "e"), "name", &s), EINVAL);
        ASSERT_ERR(schema_string(&d, node_get(r, "m"), "name", &s), EINVAL);
        ASSERT_ERR(schema_string(&d, node_get(r, "l"), "name", &s), EINVAL);
        ASSERT_ERR(schema_string(&d, node_get(r, "nl"), "name", &s), EINVAL);
        ASSERT_ERR(schema_string(&d, node_get(r, "tab"), "name", &s), EINVAL);
        ASSERT_ERR(schema_string(&d, node_get(r, "nel"), "name", &s), EINVAL);
        ASSERT_ERR(schema_string(&d, node_get(r, "nel2"), "name", &s), EINVAL);
        ASSERT_ERR(schema_string(&d, node_get(r, "nul"), "name", &s), EINVAL);
        ASSERT_ERR(schema_string(&d, node_get(r, "esc"), "name", &s), EINVAL);
        ASSERT_ERR(schema_string(&d, node_get(r, "literal"), "name", &s), EINVAL);
        ASSERT(!s);
        t = test_diag_text(&d);
        ASSERT_STREQ(t, "s.yaml:3:4: name is null, expected a string\n"
                        "s.yaml:4:3: name is null, expected a string\n" /* "e:" with no value: just after the colon */
                        "s.yaml:5:4: name is a mapping, expected a string\n"
                        "s.yaml:6:4: name is a list, expected a string\n"
                        "s.yaml:7:5: name contains a control character (newline, tab, escape, NUL...), expected printable text\n"
                        "s.yaml:8:6: name contains a control character (newline, tab, escape, NUL...), expected printable text\n"
                        "s.yaml:9:6: name contains a control character (newline, tab, escape, NUL...), expected printable text\n"
                        "s.yaml:10:7: name contains a control character (newline, tab, escape, NUL...), expected printable text\n"
                        "s.yaml:11:6: name contains a control character (newline, tab, escape, NUL...), expected printable text\n"
                        "s.yaml:12:6: name contains a control character (newline, tab, escape, NUL...), expected printable text\n"
                        "s.yaml:17:10: name contains a control character (newline, tab, escape, NUL...), expected printable text\n");
        free(t);
        diag_clear(&d);
        yaml_doc_free(doc);

        /* Length: 8192 bytes pass, 8193 do not. */
        {
                char *text = malloc(8192 + 16), *v = NULL;
                ASSERT(text);
                strcpy(text, "k: ");
                memset(text + 3, 'x', 8193);
                strcpy(text + 3 + 8193, "\n");
                doc = load(text);
                ASSERT_ERR(schema_string(&d, node_get(doc->root, "k"), "description", &v), EINVAL);
                ASSERT_DIAG1(&d, "s.yaml:1:4: description is longer than 8192 bytes, expected a shorter string");
                diag_clear(&d);
                yaml_doc_free(doc);
                strcpy(text + 3 + 8192, "\n");
                doc = load(text);
                ASSERT_OK(schema_string(&d, node_get(doc->root, "k"), "description", &v));
                ASSERT_EQ(strlen(v), 8192);
                free(v);
                yaml_doc_free(doc);
                free(text);
        }
}

TEST(test_bool_uint_strv_mapping) {
        YamlDoc *doc = load("t: true\nf: false\ny: yes\nqt: \"true\"\nT: True\nm: {}\n"
                            "u: 5\nzero: 0\nbig: 101\nneg: -1\nqu: \"5\"\nflt: 1.0\nhex: 0x10\n"
                            "l: [a, \"b c\"]\nel: []\nln: [a, [b]]\nlm: {a: b}\n");
        const Node *r = doc->root;
        Diagnostics d = {};
        bool b = false;
        uint64_t v = 7;
        char **l = NULL, *t;

        ASSERT_OK(schema_bool(&d, node_get(r, "t"), "enabled", &b));
        ASSERT(b);
        ASSERT_OK(schema_bool(&d, node_get(r, "f"), "enabled", &b));
        ASSERT(!b);
        ASSERT_ERR(schema_bool(&d, node_get(r, "y"), "enabled", &b), EINVAL);
        ASSERT_ERR(schema_bool(&d, node_get(r, "qt"), "enabled", &b), EINVAL);
        ASSERT_ERR(schema_bool(&d, node_get(r, "T"), "enabled", &b), EINVAL);
        ASSERT_ERR(schema_bool(&d, node_get(r, "m"), "enabled", &b), EINVAL);
        ASSERT(!b);

        ASSERT_OK(schema_uint(&d, node_get(r, "u"), "retries", 1, 100, &v));
        ASSERT_EQ(v, 5);
        ASSERT_ERR(schema_uint(&d, node_get(r, "zero"), "retries", 1, 100, &v), EINVAL);
        ASSERT_ERR(schema_uint(&d, node_get(r, "big"), "retries", 1, 100, &v), EINVAL);
        ASSERT_ERR(schema_uint(&d, node_get(r, "neg"), "retries", 1, 100, &v), EINVAL);
        ASSERT_ERR(schema_uint(&d, node_get(r, "qu"), "retries", 1, 100, &v), EINVAL);
        ASSERT_ERR(schema_uint(&d, node_get(r, "flt"), "retries", 1, 100, &v), EINVAL);
        ASSERT_ERR(schema_uint(&d, node_get(r, "hex"), "retries", 1, 100, &v), EINVAL);
        ASSERT_ERR(schema_uint(&d, node_get(r, "l"), "retries", 1, 100, &v), EINVAL);
        ASSERT_EQ(v, 5);

        ASSERT_OK(schema_strv(&d, node_get(r, "l"), "command", &l));
        ASSERT_EQ(strv_length(l), 2);
        ASSERT_STREQ(l[1], "b c");
        l = strv_free(l);
        ASSERT_ERR(schema_strv(&d, node_get(r, "el"), "command", &l), EINVAL);
        ASSERT_ERR(schema_strv(&d, node_get(r, "ln"), "command", &l), EINVAL);
        ASSERT_ERR(schema_strv(&d, node_get(r, "lm"), "command", &l), EINVAL);
        ASSERT_ERR(schema_strv(&d, node_get(r, "u"), "command", &l), EINVAL);
        ASSERT(!l);

        ASSERT_OK(schema_mapping(&d, node_get(r, "m"), "resources"));
        ASSERT_ERR(schema_mapping(&d, node_get(r, "l"), "resources"), EINVAL);

        t = test_diag_text(&d);
        ASSERT_STREQ(t, "s.yaml:3:4: enabled is 'yes', expected true or false\n"
                        "s.yaml:4:5: enabled is the quoted string \"true\", expected unquoted true or false\n"
                        "s.yaml:5:4: enabled is 'True', expected true or false\n"
                        "s.yaml:6:4: enabled is 'a mapping', expected true or false\n"
                        "s.yaml:8:7: retries is '0', expected a whole number from 1 to 100\n"
                        "s.yaml:9:6: retries is '101', expected a whole number from 1 to 100\n"
                        "s.yaml:10:6: retries is '-1', expected a whole number from 1 to 100\n"
                        "s.yaml:11:5: retries is the quoted string \"5\", expected an unquoted number\n"
                        "s.yaml:12:6: retries is '1.0', expected a whole number from 1 to 100\n"
                        "s.yaml:13:6: retries is '0x10', expected a whole number from 1 to 100\n"
                        "s.yaml:14:4: retries is 'a list', expected a whole number from 1 to 100\n"
                        "s.yaml:15:5: command is an empty list, expected a non-empty list of strings\n"
                        "s.yaml:16:9: command is a list, expected a string\n"
                        "s.yaml:17:5: command is a mapping, expected a non-empty list of strings\n"
                        "s.yaml:7:4: command is a scalar, expected a non-empty list of strings\n"
                        "s.yaml:14:4: resources is a list, expected a mapping\n");
        free(t);
        diag_clear(&d);
        yaml_doc_free(doc);
}

TEST(test_paths) {
        ASSERT(path_is_normalized_absolute("/"));
        ASSERT(path_is_normalized_absolute("/a"));
        ASSERT(path_is_normalized_absolute("/srv/media/photos"));
        ASSERT(path_is_normalized_absolute("/a/.hidden"));
        ASSERT(path_is_normalized_absolute("/a/..b"));
        ASSERT(path_is_normalized_absolute("/a/b.."));
        ASSERT(path_is_normalized_absolute("/a/.../b"));
        ASSERT(path_is_normalized_absolute("/with space/x"));
        ASSERT(!path_is_normalized_absolute(""));
        ASSERT(!path_is_normalized_absolute("a"));
        ASSERT(!path_is_normalized_absolute("a/b"));
        ASSERT(!path_is_normalized_absolute("./a"));
        ASSERT(!path_is_normalized_absolute("/a/"));
        ASSERT(!path_is_normalized_absolute("//"));
        ASSERT(!path_is_normalized_absolute("//a"));
        ASSERT(!path_is_normalized_absolute("/a//b"));
        ASSERT(!path_is_normalized_absolute("/."));
        ASSERT(!path_is_normalized_absolute("/.."));
        ASSERT(!path_is_normalized_absolute("/a/."));
        ASSERT(!path_is_normalized_absolute("/a/.."));
        ASSERT(!path_is_normalized_absolute("/a/./b"));
        ASSERT(!path_is_normalized_absolute("/a/../b"));
        ASSERT(!path_is_normalized_absolute("/../etc/shadow"));

        ASSERT(path_is_under("/srv/media", "/srv"));
        ASSERT(path_is_under("/srv", "/srv"));
        ASSERT(path_is_under("/srv/a/b", "/srv/a"));
        ASSERT(path_is_under("/anything", "/"));
        ASSERT(!path_is_under("/srvx", "/srv"));
        ASSERT(!path_is_under("/sr", "/srv"));
        ASSERT(!path_is_under("/", "/srv"));
        ASSERT(!path_is_under("/mnt/srv", "/srv"));

        {
                YamlDoc *doc = load("a: /srv/x\nb: /srv/../etc\nc: srv\nd: /srv/\ne: [x]\n");
                Diagnostics d = {};
                char *p = NULL, *t;
                ASSERT_OK(schema_abs_path(&d, node_get(doc->root, "a"), "volume path", &p));
                ASSERT_STREQ(p, "/srv/x");
                free(p);
                p = NULL;
                ASSERT_ERR(schema_abs_path(&d, node_get(doc->root, "b"), "volume path", &p), EINVAL);
                ASSERT_ERR(schema_abs_path(&d, node_get(doc->root, "c"), "volume path", &p), EINVAL);
                ASSERT_ERR(schema_abs_path(&d, node_get(doc->root, "d"), "volume path", &p), EINVAL);
                ASSERT_ERR(schema_abs_path(&d, node_get(doc->root, "e"), "volume path", &p), EINVAL);
                ASSERT(!p);
                t = test_diag_text(&d);
                ASSERT_STREQ(t, "s.yaml:2:4: volume path '/srv/../etc' is not a normalised absolute path, expected '/' followed by names without '.', '..' or empty components\n"
                                "s.yaml:3:4: volume path 'srv' is not a normalised absolute path, expected '/' followed by names without '.', '..' or empty components\n"
                                "s.yaml:4:4: volume path '/srv/' is not a normalised absolute path, expected '/' followed by names without '.', '..' or empty components\n"
                                "s.yaml:5:4: volume path is a list, expected a string\n");
                free(t);
                diag_clear(&d);
                yaml_doc_free(doc);
        }
}

int main(void) {
        RUN(test_did_you_mean);
        RUN(test_check_keys);
        RUN(test_text_ok);
        RUN(test_string);
        RUN(test_bool_uint_strv_mapping);
        RUN(test_paths);
        TEST_DONE();
}
