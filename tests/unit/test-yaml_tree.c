/* test-yaml_tree — positions, refusals (duplicate keys, anchors, aliases,
 * tags, second documents), the limits, and drop-in merging. */
#include "strv.h"
#include "test.h"
#include "yaml_tree.h"

static YamlDoc *load_ok(const char *text) {
        Diagnostics d = {};
        YamlDoc *doc = NULL;
        int r = yaml_load_string("m.yaml", text, strlen(text), &doc, &d);

        if (r < 0) {
                char *t = test_diag_text(&d);
                test_fail(__FILE__, __LINE__, "loading failed (%d):\n%s", r, t);
        }
        ASSERT_EQ(d.n, 0);
        return doc;
}

/* Loads text, which must be refused with exactly the diagnostic want. */
#define ASSERT_REFUSED(text, want)                                                        \
        do {                                                                              \
                Diagnostics _d_ = {};                                                     \
                YamlDoc *_doc_ = NULL;                                                    \
                const char *_t_ = (text);                                                 \
                ASSERT_ERR(yaml_load_string("m.yaml", _t_, strlen(_t_), &_doc_, &_d_), EINVAL); \
                ASSERT(!_doc_);                                                           \
                ASSERT_DIAG1(&_d_, want);                                                 \
                diag_clear(&_d_);                                                         \
        } while (0)

/* Refused with every diagnostic of want (one per line, in order). */
#define ASSERT_REFUSED_ALL(text, want)                                                    \
        do {                                                                              \
                Diagnostics _d_ = {};                                                     \
                YamlDoc *_doc_ = NULL;                                                    \
                const char *_t_ = (text);                                                 \
                char *_dt_;                                                               \
                ASSERT_ERR(yaml_load_string("m.yaml", _t_, strlen(_t_), &_doc_, &_d_), EINVAL); \
                ASSERT(!_doc_);                                                           \
                _dt_ = test_diag_text(&_d_);                                              \
                ASSERT_STREQ(_dt_, want);                                                 \
                free(_dt_);                                                               \
                diag_clear(&_d_);                                                         \
        } while (0)

static void assert_pos(const Node *n, unsigned line, unsigned column) {
        ASSERT(n);
        if (n->pos.line != line || n->pos.column != column)
                test_fail(__FILE__, __LINE__, "node at %u:%u, expected %u:%u", n->pos.line, n->pos.column, line, column);
        ASSERT_STREQ(n->pos.file, "m.yaml");
}

TEST(test_positions) {
        YamlDoc *doc = load_ok("# a comment\n"
                               "a: 1\n"
                               "b:\n"
                               "  c: [x, \"y\"]\n"
                               "  d: {e: f}\n"
                               "  'g': |\n"
                               "    literal\n"
                               "h:\n"
                               "- 1\n"
                               "- - 2\n"
                               "\xc3\xa9t\xc3\xa9: \xc3\xbc\n");
        const Node *root = doc->root, *b, *c, *d, *h;

        ASSERT_EQ(root->type, NODE_MAPPING);
        assert_pos(root, 2, 1);
        ASSERT_EQ(root->n, 4);
        assert_pos(root->keys[0], 2, 1);
        assert_pos(root->items[0], 2, 4);
        ASSERT_STREQ(root->items[0]->value, "1");
        ASSERT(root->items[0]->plain);

        b = node_get(root, "b");
        ASSERT_EQ(b->type, NODE_MAPPING);
        assert_pos(b, 4, 3); /* a block mapping starts at its first key */
        c = node_get(b, "c");
        ASSERT_EQ(c->type, NODE_SEQUENCE);
        assert_pos(c, 4, 6);
        assert_pos(c->items[0], 4, 7);
        assert_pos(c->items[1], 4, 10);
        ASSERT(c->items[0]->plain);
        ASSERT(!c->items[1]->plain);
        d = node_get(b, "d");
        assert_pos(d, 5, 6);
        assert_pos(d->keys[0], 5, 7);
        assert_pos(node_get(d, "e"), 5, 10);
        assert_pos(b->keys[2], 6, 3);
        ASSERT(!b->keys[2]->plain);
        assert_pos(node_get(b, "g"), 6, 8); /* the '|' indicator */
        ASSERT_STREQ(node_get(b, "g")->value, "literal\n");

        h = node_get(root, "h");
        ASSERT_EQ(h->type, NODE_SEQUENCE);
        assert_pos(h, 9, 1);
        assert_pos(h->items[0], 9, 3);
        assert_pos(h->items[1], 10, 3);
        assert_pos(h->items[1]->items[0], 10, 5);

        /* Columns count characters, not bytes (as editors show them). */
        assert_pos(root->keys[3], 11, 1);
        assert_pos(root->items[3], 11, 6); /* 8 if it counted bytes */
        ASSERT_EQ(root->items[3]->value_len, 2);
        yaml_doc_free(doc);

        /* An explicit document start and a directive shift nothing. */
        doc = load_ok("%YAML 1.1\n---\nk: v\n...\n");
        assert_pos(doc->root, 3, 1);
        assert_pos(node_get(doc->root, "k"), 3, 4);
        yaml_doc_free(doc);
}

TEST(test_scalars_and_nulls) {
        YamlDoc *doc = load_ok("a:\nb: ~\nc: null\nd: Null\ne: NULL\nf: \"null\"\ng: ''\nh: \"a\\0b\"\ni: ! x\nj: nulll\n");
        const Node *r = doc->root;

        ASSERT(node_is_null(node_get(r, "a")));
        ASSERT(node_is_null(node_get(r, "b")));
        ASSERT(node_is_null(node_get(r, "c")));
        ASSERT(node_is_null(node_get(r, "d")));
        ASSERT(node_is_null(node_get(r, "e")));
        ASSERT(!node_is_null(node_get(r, "f"))); /* quoted: the string "null" */
        ASSERT(!node_is_null(node_get(r, "g")));
        ASSERT(!node_is_null(node_get(r, "j")));
        ASSERT(node_is_null(NULL));
        ASSERT(node_is_null(node_get(r, "missing")));
        ASSERT(!node_get(r, "missing"));
        /* A NUL in a value is kept (with its length) for validation to refuse. */
        ASSERT_EQ(node_get(r, "h")->value_len, 3);
        ASSERT_EQ(memcmp(node_get(r, "h")->value, "a\0b", 3), 0);
        /* The non-specific tag "!" only makes a plain scalar a string. */
        ASSERT(!node_get(r, "i")->plain);
        ASSERT_STREQ(node_get(r, "i")->value, "x");
        ASSERT_STREQ(node_type_name(node_get(r, "a")), "null");
        ASSERT_STREQ(node_type_name(node_get(r, "f")), "a scalar");
        ASSERT(!node_get(node_get(r, "f"), "x")); /* lookup in a scalar */
        yaml_doc_free(doc);

        doc = load_ok("");
        ASSERT(!doc->root);
        yaml_doc_free(doc);
        doc = load_ok("# only a comment\n");
        ASSERT(!doc->root);
        yaml_doc_free(doc);
        doc = load_ok("- a\n- b\n");
        ASSERT_EQ(doc->root->type, NODE_SEQUENCE);
        ASSERT_STREQ(node_type_name(doc->root), "a list");
        yaml_doc_free(doc);
}

TEST(test_duplicate_keys) {
        ASSERT_REFUSED("a: 1\nb: 2\na: 3\n", "m.yaml:3:1: duplicate key 'a', first given at line 1, column 1");
        ASSERT_REFUSED("x:\n  y: 1\n  z: 2\n  y: 3\n", "m.yaml:4:3: duplicate key 'y', first given at line 2, column 3");
        ASSERT_REFUSED("a: {b: 1, b: 2}\n", "m.yaml:1:11: duplicate key 'b', first given at line 1, column 5");
        /* Quoting does not make a different key. */
        ASSERT_REFUSED("a: 1\n'a': 2\n", "m.yaml:2:1: duplicate key 'a', first given at line 1, column 1");
        ASSERT_REFUSED("? [a]\n: b\n", "m.yaml:1:3: mapping key is a list, expected a plain name");
        ASSERT_REFUSED("{a: 1}: x\n", "m.yaml:1:1: mapping key is a mapping, expected a plain name");
        ASSERT_REFUSED("\"a\\0b\": 1\n", "m.yaml:1:1: mapping key contains a NUL byte, expected a plain name");
        /* Every refusal is reported, not only the first; a refused key's value is
         * still read (its own problems reported) and the document dropped. */
        ASSERT_REFUSED_ALL("a: 1\nb: {x: 1, x: 2}\na: &n {c: !t 1}\n[k]: 2\nd: *n\n",
                           "m.yaml:2:11: duplicate key 'x', first given at line 2, column 5\n"
                           "m.yaml:3:1: duplicate key 'a', first given at line 1, column 1\n"
                           "m.yaml:3:4: YAML anchor '&n' is not supported, write the value out\n"
                           "m.yaml:3:11: YAML tag '!t' is not supported, remove it\n"
                           "m.yaml:4:1: mapping key is a list, expected a plain name\n"
                           "m.yaml:5:4: YAML alias '*n' is not supported, write the value out\n");
        /* An alias as a key is the alias's problem only: no duplicate of
         * another alias key, nor of a real empty key. */
        ASSERT_REFUSED_ALL("x: &a k\n*a : 1\n*a : 2\n\"\": 3\n",
                           "m.yaml:1:4: YAML anchor '&a' is not supported, write the value out\n"
                           "m.yaml:2:1: YAML alias '*a' is not supported, write the value out\n");
        /* Equal keys in different mappings are fine. */
        yaml_doc_free(load_ok("a: {k: 1}\nb: {k: 2}\n"));
}

TEST(test_anchors_aliases_tags) {
        ASSERT_REFUSED("a: &x 1\n", "m.yaml:1:4: YAML anchor '&x' is not supported, write the value out");
        ASSERT_REFUSED("a: *x\n", "m.yaml:1:4: YAML alias '*x' is not supported, write the value out");
        ASSERT_REFUSED("- &anc [1]\n", "m.yaml:1:3: YAML anchor '&anc' is not supported, write the value out");
        ASSERT_REFUSED("a:\n  - x: &k\n    - 1\n", "m.yaml:2:8: YAML anchor '&k' is not supported, write the value out");
        ASSERT_REFUSED_ALL("base: &b {x: 1}\nother:\n  <<: *b\n",
                           "m.yaml:1:7: YAML anchor '&b' is not supported, write the value out\n"
                           "m.yaml:3:7: YAML alias '*b' is not supported, write the value out\n");
        ASSERT_REFUSED("a: !!str 1\n", "m.yaml:1:4: YAML tag 'tag:yaml.org,2002:str' is not supported, remove it");
        ASSERT_REFUSED("a: !foo 1\n", "m.yaml:1:4: YAML tag '!foo' is not supported, remove it");
        ASSERT_REFUSED("a:\n  b: !!map {c: 1}\n", "m.yaml:2:6: YAML tag 'tag:yaml.org,2002:map' is not supported, remove it");
        ASSERT_REFUSED("a: !<tag:yaml.org,2002:str> x\n", "m.yaml:1:4: YAML tag 'tag:yaml.org,2002:str' is not supported, remove it");
        ASSERT_REFUSED("! [1]\n", "m.yaml:1:1: YAML tag '!' is not supported, remove it");
}

/* The classic billion laughs: nine levels of ten aliases each. It must be
 * refused without any expansion: every anchor and the first alias of each is
 * reported, in milliseconds. */
TEST(test_alias_bomb) {
        char *bomb = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&bomb, &len);
        Diagnostics d = {};
        YamlDoc *doc = NULL;
        double t0, ms;

        ASSERT(f);
        fputs("lol0: &lol0 \"lol\"\n", f);
        for (int i = 1; i <= 9; i++) {
                fprintf(f, "lol%d: &lol%d [", i, i);
                for (int j = 0; j < 10; j++)
                        fprintf(f, "%s*lol%d", j ? ", " : "", i - 1);
                fputs("]\n", f);
        }
        fputs("bomb: *lol9\n", f);
        fclose(f);

        t0 = test_now_ms();
        ASSERT_ERR(yaml_load_string("m.yaml", bomb, len, &doc, &d), EINVAL);
        ms = test_now_ms() - t0;
        /* Every anchor, and the first alias of each. */
        ASSERT_EQ(d.n, 20);
        ASSERT_STREQ(d.items[0].message, "YAML anchor '&lol0' is not supported, write the value out");
        ASSERT_STREQ(d.items[19].message, "YAML alias '*lol9' is not supported, write the value out");
        if (ms > 50)
                test_fail(__FILE__, __LINE__, "alias bomb took %.1f ms, expected a few", ms);
        diag_clear(&d);

        /* The same with the first anchor removed: an alias of an unknown anchor
         * is refused as well. */
        memcpy(bomb + 6, "     ", 5);
        t0 = test_now_ms();
        ASSERT_ERR(yaml_load_string("m.yaml", bomb, len, &doc, &d), EINVAL);
        ms = test_now_ms() - t0;
        ASSERT_EQ(d.n, 19);
        ASSERT_STREQ(d.items[0].message, "YAML anchor '&lol1' is not supported, write the value out");
        ASSERT_STREQ(d.items[1].message, "YAML alias '*lol0' is not supported, write the value out");
        ASSERT(ms < 50);
        diag_clear(&d);
        free(bomb);
}

static char *nested(unsigned depth, bool flow_mapping) {
        char *s = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&s, &len);

        if (!f)
                abort();
        for (unsigned i = 0; i < depth; i++)
                fputs(flow_mapping ? "{a: " : "[", f);
        fputs("x", f);
        for (unsigned i = 0; i < depth; i++)
                fputs(flow_mapping ? "}" : "]", f);
        fputs("\n", f);
        fclose(f);
        return s;
}

TEST(test_limits) {
        Diagnostics d = {};
        YamlDoc *doc = NULL;
        char *s;

        /* Depth: 64 nested collections load, 65 do not (reported at the 65th). */
        s = nested(YAML_MAX_DEPTH, false);
        yaml_doc_free(load_ok(s));
        free(s);
        s = nested(YAML_MAX_DEPTH, true);
        yaml_doc_free(load_ok(s));
        free(s);
        s = nested(YAML_MAX_DEPTH + 1, false);
        ASSERT_ERR(yaml_load_string("m.yaml", s, strlen(s), &doc, &d), EINVAL);
        ASSERT_DIAG1(&d, "m.yaml:1:65: nesting deeper than 64 levels, expected a manifest-shaped document");
        diag_clear(&d);
        free(s);
        s = nested(100000, true); /* deep enough to overflow a recursive parser's stack */
        ASSERT_ERR(yaml_load_string("m.yaml", s, strlen(s), &doc, &d), EINVAL);
        ASSERT_EQ(d.n, 1);
        diag_clear(&d);
        free(s);

        /* Nodes: a list of N scalars is N + 1 nodes. */
        for (int over = 0; over <= 1; over++) {
                size_t n = YAML_MAX_NODES - 1 + (size_t) over, len = 0;
                FILE *f = open_memstream(&s, &len);
                ASSERT(f);
                fputc('[', f);
                for (size_t i = 0; i < n; i++)
                        fputs(i ? ",1" : "1", f);
                fputs("]\n", f);
                fclose(f);
                if (!over)
                        yaml_doc_free(load_ok(s));
                else {
                        ASSERT_ERR(yaml_load_string("m.yaml", s, len, &doc, &d), EINVAL);
                        ASSERT_EQ(d.n, 1);
                        ASSERT_EQ(d.items[0].line, 1);
                        ASSERT_EQ(d.items[0].column, 2 * YAML_MAX_NODES);
                        ASSERT_STREQ(d.items[0].message, "document has more than 200000 nodes, expected a manifest-sized document");
                        diag_clear(&d);
                }
                free(s);
        }

        /* Many keys in one mapping load in linear time (duplicates are found
         * through an index), and a duplicate among them is still found. */
        for (int dup = 0; dup <= 1; dup++) {
                size_t n = (YAML_MAX_NODES - 1) / 2, len = 0;
                FILE *f = open_memstream(&s, &len);
                double t0, ms;
                ASSERT(f);
                for (size_t i = 0; i < n; i++)
                        fprintf(f, "k%zu: %zu\n", dup && i == n - 1 ? (size_t) 12345 : i, i);
                fclose(f);
                t0 = test_now_ms();
                if (!dup) {
                        doc = load_ok(s);
                        ASSERT_EQ(doc->root->n, n);
                        ASSERT_STREQ(node_get(doc->root, "k99998")->value, "99998");
                        doc = yaml_doc_free(doc);
                } else {
                        ASSERT_ERR(yaml_load_string("m.yaml", s, len, &doc, &d), EINVAL);
                        ASSERT_DIAG1(&d, "m.yaml:99999:1: duplicate key 'k12345', first given at line 12346, column 1");
                        diag_clear(&d);
                }
                ms = test_now_ms() - t0;
                if (ms > 3000)
                        test_fail(__FILE__, __LINE__, "%zu keys took %.0f ms, expected well under a second", n, ms);
                free(s);
        }

        /* Size: exactly the limit loads (a comment), one byte more does not. */
        s = malloc(YAML_MAX_FILE_SIZE + 2);
        ASSERT(s);
        memset(s, ' ', YAML_MAX_FILE_SIZE + 1);
        s[0] = '#';
        s[YAML_MAX_FILE_SIZE - 1] = '\n';
        s[YAML_MAX_FILE_SIZE + 1] = 0;
        ASSERT_OK(yaml_load_string("m.yaml", s, YAML_MAX_FILE_SIZE, &doc, &d));
        ASSERT(!doc->root);
        doc = yaml_doc_free(doc);
        ASSERT_ERR(yaml_load_string("m.yaml", s, YAML_MAX_FILE_SIZE + 1, &doc, &d), EINVAL);
        ASSERT_DIAG1(&d, "m.yaml: file is larger than 4194304 bytes, expected a manifest-sized file");
        diag_clear(&d);

        /* The same through a file: an oversized file is reported, not truncated. */
        {
                char *dir = test_tmpdir(), *p = NULL;
                FILE *f;
                ASSERT(asprintf(&p, "%s/big.yaml", dir) > 0);
                f = fopen(p, "we");
                ASSERT(f && fwrite(s, 1, YAML_MAX_FILE_SIZE + 1, f) == YAML_MAX_FILE_SIZE + 1 && fclose(f) == 0);
                ASSERT_ERR(yaml_load_file(p, &doc, &d), EINVAL);
                ASSERT_EQ(d.n, 1);
                ASSERT_STREQ(d.items[0].file, p);
                diag_clear(&d);
                f = fopen(p, "we");
                ASSERT(f && fwrite(s, 1, YAML_MAX_FILE_SIZE, f) == YAML_MAX_FILE_SIZE && fclose(f) == 0);
                ASSERT_OK(yaml_load_file(p, &doc, &d));
                doc = yaml_doc_free(doc);
                free(p);
                test_tmpdir_done(dir);
        }
        free(s);
}

TEST(test_documents_and_syntax) {
        ASSERT_REFUSED("a: 1\n---\nb: 2\n", "m.yaml:2:1: a second YAML document, expected one document per file");
        ASSERT_REFUSED("---\na: 1\n---\nb: 1\n", "m.yaml:3:1: a second YAML document, expected one document per file");
        /* An unclosed construct is noticed at the end; where it began is named. */
        ASSERT_REFUSED("a: [1, 2\n", "m.yaml:2:1: invalid YAML: did not find expected ',' or ']' while parsing a flow sequence that starts at line 1, column 4");
        ASSERT_REFUSED("a: ok\nb: \"abc\n", "m.yaml:3:1: invalid YAML: found unexpected end of stream while scanning a quoted scalar that starts at line 2, column 4");
        ASSERT_REFUSED("a:\n  b: 1\n c: 2\n", "m.yaml:3:2: invalid YAML: did not find expected key while parsing a block mapping that starts at line 1, column 1");
        ASSERT_REFUSED("a: b: c\n", "m.yaml:1:5: invalid YAML: mapping values are not allowed in this context");
        ASSERT_REFUSED("\t- x\n", "m.yaml:1:1: invalid YAML: found character that cannot start any token while scanning for the next token");
        /* Invalid UTF-8 and raw control characters are refused by libyaml's
         * reader, which gives a byte offset only: the position is counted from
         * it (lines broken as libyaml breaks them, columns in characters). */
        ASSERT_REFUSED("a: \xff\n", "m.yaml:1:4: invalid YAML: invalid leading UTF-8 octet (byte 0xFF), expected UTF-8 text");
        ASSERT_REFUSED("a: 1\nb: \"\xe6\x97\xa5\x01\"\n", "m.yaml:2:6: invalid YAML: control characters are not allowed (U+0001), expected UTF-8 text");
        ASSERT_REFUSED("a: 1\r\nb: 2\rc: \"\xc2\x85x\xe2\x80\xa8\xef\xbb\xbf\x02\"\n",
                       "m.yaml:5:2: invalid YAML: control characters are not allowed (U+0002), expected UTF-8 text");
        ASSERT_REFUSED("\xef\xbb\xbf" "a: \"\x7f\"\n", "m.yaml:1:5: invalid YAML: control characters are not allowed (U+007F), expected UTF-8 text");
        /* A bad character is named as one, a bad byte as a byte. */
        ASSERT_REFUSED("a: \xed\xa0\x80\n", "m.yaml:1:4: invalid YAML: invalid Unicode character (U+D800), expected UTF-8 text");
        ASSERT_REFUSED("a: \xef\xbf\xbe\n", "m.yaml:1:4: invalid YAML: control characters are not allowed (U+FFFE), expected UTF-8 text");
        ASSERT_REFUSED("a:\n  - \"\xc0\x8a\"\n", "m.yaml:2:6: invalid YAML: invalid length of a UTF-8 sequence, expected UTF-8 text");
}

TEST(test_load_file_errors) {
        char *dir = test_tmpdir(), *p = NULL;
        Diagnostics d = {};
        YamlDoc *doc = NULL;

        ASSERT(asprintf(&p, "%s/missing.yaml", dir) > 0);
        ASSERT_ERR(yaml_load_file(p, &doc, &d), ENOENT);
        ASSERT_ERR(yaml_load_file(dir, &doc, &d), EISDIR);
        ASSERT_EQ(d.n, 0);
        test_write(dir, "ok.yaml", "a: 1\n");
        free(p);
        ASSERT(asprintf(&p, "%s/ok.yaml", dir) > 0);
        ASSERT_OK(yaml_load_file(p, &doc, &d));
        /* Positions name the file by the path it was loaded from. */
        ASSERT_STREQ(doc->root->pos.file, p);
        yaml_doc_free(doc);
        doc = NULL;
        /* /dev/null reads as an empty file (a masked berth.conf). */
        ASSERT_OK(yaml_load_file("/dev/null", &doc, &d));
        yaml_doc_free(doc);
        doc = NULL;
        /* A FIFO is refused without waiting for a writer: the generator must
         * never block. */
        free(p);
        ASSERT(asprintf(&p, "%s/fifo.yaml", dir) > 0);
        ASSERT(mkfifo(p, 0600) == 0);
        ASSERT_ERR(yaml_load_file(p, &doc, &d), EINVAL);
        ASSERT_EQ(d.n, 1);
        ASSERT_DIAG_HAS(&d, "fifo.yaml: is a FIFO, expected a regular file");
        diag_clear(&d);
        ASSERT(unlink(p) == 0);
        free(p);
        test_tmpdir_done(dir);
}

static YamlDoc *load_named(const char *name, const char *text) {
        Diagnostics d = {};
        YamlDoc *doc = NULL;

        ASSERT_OK(yaml_load_string(name, text, strlen(text), &doc, &d));
        ASSERT_EQ(d.n, 0);
        return doc;
}

TEST(test_merge) {
        YamlDoc *base = load_named("base.yaml",
                                   "name: Base\n"
                                   "description: gone soon\n"
                                   "containers:\n"
                                   "  web:\n"
                                   "    image: nginx\n"
                                   "    ports: [\"80:80\"]\n"
                                   "    environment: {A: 1, B: 2}\n"
                                   "  db:\n"
                                   "    image: postgres\n");
        YamlDoc *in = load_named("10-override.yaml",
                                 "description: null\n"
                                 "version: \"2\"\n"
                                 "absent: ~\n"
                                 "containers:\n"
                                 "  web:\n"
                                 "    ports: [\"8080:80\"]\n"
                                 "    environment: {B: two, C: 3, A: null}\n"
                                 "  db: ~\n"
                                 "  cache: {image: redis}\n");
        Diagnostics d = {};
        const Node *r, *web, *env;

        ASSERT_OK(yaml_merge(base, in, &d));
        ASSERT_EQ(d.n, 0);
        yaml_doc_free(in);
        r = base->root;
        ASSERT_STREQ(node_get(r, "name")->value, "Base");
        ASSERT(!node_get(r, "description")); /* null removes */
        ASSERT(!node_get(r, "absent"));      /* null for an absent key adds nothing */
        ASSERT_STREQ(node_get(r, "version")->value, "2");
        ASSERT_STREQ(node_get(r, "version")->pos.file, "10-override.yaml");
        ASSERT_EQ(r->n, 3);
        ASSERT_STREQ(r->keys[0]->value, "name");
        ASSERT_STREQ(r->keys[1]->value, "containers");
        ASSERT_STREQ(r->keys[2]->value, "version");

        web = node_get(node_get(r, "containers"), "web");
        ASSERT_STREQ(node_get(web, "image")->value, "nginx");
        ASSERT_STREQ(node_get(web, "image")->pos.file, "base.yaml");
        /* Lists are replaced, not appended. */
        ASSERT_EQ(node_get(web, "ports")->n, 1);
        ASSERT_STREQ(node_get(web, "ports")->items[0]->value, "8080:80");
        ASSERT_STREQ(node_get(web, "ports")->pos.file, "10-override.yaml");
        ASSERT_EQ(node_get(web, "ports")->pos.line, 6);
        /* Mappings merge key by key. */
        env = node_get(web, "environment");
        ASSERT_EQ(env->n, 2);
        ASSERT(!node_get(env, "A"));
        ASSERT_STREQ(node_get(env, "B")->value, "two");
        ASSERT_STREQ(node_get(env, "C")->value, "3");
        ASSERT(!node_get(node_get(r, "containers"), "db"));
        ASSERT_STREQ(node_get(node_get(node_get(r, "containers"), "cache"), "image")->value, "redis");
        /* The drop-in's file name lives as long as the base document. */
        ASSERT(strv_contains(base->files, "10-override.yaml"));

        /* A scalar replaces a mapping and a mapping replaces a scalar. */
        in = load_named("20.yaml", "containers: none\n");
        ASSERT_OK(yaml_merge(base, in, &d));
        yaml_doc_free(in);
        ASSERT_STREQ(node_get(base->root, "containers")->value, "none");
        in = load_named("30.yaml", "containers: {x: {image: y}}\n");
        ASSERT_OK(yaml_merge(base, in, &d));
        yaml_doc_free(in);
        ASSERT_EQ(node_get(base->root, "containers")->type, NODE_MAPPING);

        /* An empty drop-in changes nothing; a non-mapping one is refused. */
        in = load_named("40.yaml", "# nothing\n");
        ASSERT_OK(yaml_merge(base, in, &d));
        yaml_doc_free(in);
        ASSERT_EQ(base->root->n, 3);
        in = load_named("50.yaml", "- a\n");
        ASSERT_ERR(yaml_merge(base, in, &d), EINVAL);
        ASSERT_DIAG1(&d, "50.yaml:1:1: drop-in is a list, expected a mapping of manifest keys");
        diag_clear(&d);
        yaml_doc_free(in);
        yaml_doc_free(base);

        /* An empty base takes the drop-in whole. */
        base = load_named("empty.yaml", "");
        in = load_named("60.yaml", "a: 1\n");
        ASSERT_OK(yaml_merge(base, in, &d));
        yaml_doc_free(in);
        ASSERT_STREQ(node_get(base->root, "a")->value, "1");
        ASSERT_STREQ(base->root->pos.file, "60.yaml");
        yaml_doc_free(base);
}

int main(void) {
        RUN(test_positions);
        RUN(test_scalars_and_nulls);
        RUN(test_duplicate_keys);
        RUN(test_anchors_aliases_tags);
        RUN(test_alias_bomb);
        RUN(test_limits);
        RUN(test_documents_and_syntax);
        RUN(test_load_file_errors);
        RUN(test_merge);
        TEST_DONE();
}
