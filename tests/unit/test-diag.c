/* test-diag — the diagnostic format, and that what an input says reaches a
 * diagnostic as one line of plain text, its control characters escaped. */
#include "diag.h"
#include "test.h"

/* Every diagnostic of d, a line each; d is cleared. */
static void assert_text(Diagnostics *d, const char *want) {
        char *t = test_diag_text(d);

        ASSERT_STREQ(t, want);
        free(t);
        diag_clear(d);
}

TEST(test_format) {
        Diagnostics d = {};
        Position p = { .file = "a.yaml", .line = 3, .column = 7 };

        diag_add(&d, &p, "image is '%s', expected a reference", "x y");
        diag_add_file(&d, "b.yaml", "is a FIFO, expected a regular file");
        ASSERT_EQ(d.n, 2);
        assert_text(&d, "a.yaml:3:7: image is 'x y', expected a reference\n"
                        "b.yaml: is a FIFO, expected a regular file\n");
}

TEST(test_controls_escaped) {
        Diagnostics d = {};
        Position p = { .file = "a\nb.yaml", .line = 1, .column = 2 };

        /* A newline cannot forge a second FILE:LINE:COLUMN line; terminal
         * escapes (C0 ESC and BEL, DEL, C1 CSI as UTF-8) are shown, not sent. */
        diag_add(&d, &p, "restart is '%s', expected no", "\x1b]0;t\x07\x1b[2J\nx.yaml:1:1: fine\t\r\x7f\xc2\x9b");
        /* Other UTF-8 (U+00A0 is 0xc2 0xa0) and backslashes stay as they are. */
        diag_add(&d, &p, "'%s'", "caf\xc3\xa9 \xc2\xa0\\n");
        ASSERT_EQ(d.n, 2);
        assert_text(&d,
                    "a\\nb.yaml:1:2: restart is '\\x1b]0;t\\x07\\x1b[2J\\nx.yaml:1:1: fine\\t\\r\\x7f\\u009b', expected no\n"
                    "a\\nb.yaml:1:2: 'caf\xc3\xa9 \xc2\xa0\\n'\n");
}

TEST(test_move) {
        Diagnostics a = {}, b = {};

        diag_add_file(&a, "a.yaml", "first");
        diag_add_file(&b, "b.yaml", "second\x1b");
        diag_move(&a, &b);
        ASSERT_EQ(a.n, 2);
        ASSERT_EQ(b.n, 0);
        assert_text(&a, "a.yaml: first\nb.yaml: second\\x1b\n");
}

TEST(test_limit) {
        Diagnostics d = {};
        char *t;

        for (int i = 0; i < DIAG_MAX + 1; i++)
                diag_add_file(&d, "a.yaml", "problem %d", i);
        ASSERT_EQ(d.n, DIAG_MAX);
        ASSERT_EQ(d.dropped, 1);
        t = diag_trailer(&d);
        ASSERT_STREQ(t, "(1 further problem was not recorded: at most 200 are kept)");
        free(t);
        diag_add_file(&d, "a.yaml", "one more");
        d.oom = true;
        t = diag_trailer(&d);
        ASSERT_STREQ(t, "(2 further problems were not recorded: at most 200 are kept, and memory ran out)");
        free(t);
        diag_clear(&d);
        d.oom = true;
        t = diag_trailer(&d);
        ASSERT_STREQ(t, "(further problems were not recorded: out of memory)");
        free(t);
        diag_clear(&d);
        t = diag_trailer(&d);
        ASSERT(!t);
}

int main(void) {
        RUN(test_format);
        RUN(test_controls_escaped);
        RUN(test_move);
        RUN(test_limit);
        TEST_DONE();
}
