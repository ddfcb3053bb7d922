/* test-unit_file — escaping, checked against a reference reader written here
 * from systemd.syntax(7) and systemd.service(5) "COMMAND LINES", independent of
 * unit_file.c: line continuation (a trailing backslash joins the next line, a
 * comment line inside a continuation is dropped), quoting (a quote opens only a
 * word and closes only before whitespace), C escapes, '%' specifiers, and for
 * command lines "$$" and lone ";" separators. Whatever unit_file.c writes must
 * read back as exactly the words it was given. */
#include "strv.h"
#include "test.h"
#include "unit_file.h"

/* ---- the reference reader ---------------------------------------------- */

typedef struct RefEntry {
        char *section, *key, *value;
} RefEntry;

typedef struct RefUnit {
        RefEntry *e;
        size_t n;
} RefUnit;

static void ref_unit_done(RefUnit *u) {
        for (size_t i = 0; i < u->n; i++) {
                free(u->e[i].section);
                free(u->e[i].key);
                free(u->e[i].value);
        }
        free(u->e);
        *u = (RefUnit) {};
}

static bool is_ws(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static char *strip(char *s) {
        size_t l;
        while (is_ws(*s))
                s++;
        l = strlen(s);
        while (l > 0 && is_ws(s[l - 1]))
                s[--l] = 0;
        return s;
}

/* Reads unit text the way systemd's configuration parser does. Returns
 * false on anything it would reject or warn about. */
static bool ref_read_unit(const char *text, RefUnit *ret) {
        char *copy = strdup(text), *line, *save = NULL, *cont = NULL, *section = NULL;
        RefUnit u = {};
        bool ok = true;

        ASSERT(copy);
        /* A file ends in a newline: no line is left unterminated. */
        if (*text && text[strlen(text) - 1] != '\n')
                ok = false;
        for (line = strtok_r(copy, "\n", &save); ok && line; line = strtok_r(NULL, "\n", &save)) {
                char *l = line, *p, *eq;
                bool escaped = false;

                while (is_ws(*l))
                        l++;
                if (*l == '#' || *l == ';')
                        continue; /* a comment, also between continued lines */
                if (cont) {
                        char *j = NULL;
                        ASSERT(asprintf(&j, "%s%s", cont, line) > 0);
                        free(cont);
                        cont = NULL;
                        p = j;
                } else
                        p = strdup(line);
                ASSERT(p);
                for (char *e = p; *e; e++) {
                        if (escaped)
                                escaped = false;
                        else if (*e == '\\')
                                escaped = true;
                }
                if (escaped) {
                        p[strlen(p) - 1] = ' ';
                        cont = p;
                        continue;
                }
                l = strip(p);
                if (!*l) {
                        free(p);
                        continue;
                }
                if (*l == '[') {
                        size_t k = strlen(l);
                        if (l[k - 1] != ']')
                                ok = false;
                        else {
                                free(section);
                                section = strndup(l + 1, k - 2);
                        }
                        free(p);
                        continue;
                }
                eq = strchr(l, '=');
                if (!eq || !section) {
                        ok = false;
                        free(p);
                        continue;
                }
                *eq = 0;
                RefEntry *t = realloc(u.e, sizeof(RefEntry) * (u.n + 1));
                ASSERT(t);
                u.e = t;
                u.e[u.n++] = (RefEntry) { strdup(section), strdup(strip(l)), strdup(strip(eq + 1)) };
                free(p);
        }
        if (cont)
                ok = false; /* the file ended inside a continuation */
        free(cont);
        free(section);
        free(copy);
        if (!ok) {
                ref_unit_done(&u);
                return false;
        }
        *ret = u;
        return true;
}

static const char *ref_get(const RefUnit *u, const char *section, const char *key, unsigned nth) {
        for (size_t i = 0; i < u->n; i++)
                if (streq(u->e[i].section, section) && streq(u->e[i].key, key) && nth-- == 0)
                        return u->e[i].value;
        return NULL;
}

static int hexval(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* One C escape (the table in systemd.syntax(7)), after the backslash. Appends
 * the byte(s) to f and returns the number of input characters used, 0 if the
 * escape is not in the table. \u and \U are not produced by berth and are
 * treated as unknown here. */
static size_t ref_cunescape_one(const char *p, FILE *f) {
        switch (*p) {
        case 'a': fputc('\a', f); return 1;
        case 'b': fputc('\b', f); return 1;
        case 'f': fputc('\f', f); return 1;
        case 'n': fputc('\n', f); return 1;
        case 'r': fputc('\r', f); return 1;
        case 't': fputc('\t', f); return 1;
        case 'v': fputc('\v', f); return 1;
        case '\\': fputc('\\', f); return 1;
        case '"': fputc('"', f); return 1;
        case '\'': fputc('\'', f); return 1;
        case 's': fputc(' ', f); return 1;
        case 'x': {
                int a = hexval(p[1]), b = a >= 0 ? hexval(p[2]) : -1;
                if (a < 0 || b < 0 || (a == 0 && b == 0))
                        return 0;
                fputc(a * 16 + b, f);
                return 3;
        }
        default:
                if (p[0] >= '0' && p[0] <= '3' && p[1] >= '0' && p[1] <= '7' && p[2] >= '0' && p[2] <= '7') {
                        int v = (p[0] - '0') * 64 + (p[1] - '0') * 8 + (p[2] - '0');
                        if (v == 0)
                                return 0;
                        fputc(v, f);
                        return 3;
                }
                return 0;
        }
}

/* Splits a value into words: whitespace separates, a word may be wholly
 * quoted with "..." or '...', backslash escapes apply inside and outside
 * quotes. When exec, a lone unquoted ";" (a command separator) is refused
 * and "\;" is a literal ";". Returns false on anything systemd would warn
 * about or read differently. */
static bool ref_split(const char *v, bool exec, char ***ret) {
        char **words = NULL;
        const char *p = v;

        for (;;) {
                char *w = NULL;
                size_t wl = 0;
                FILE *f;
                char quote = 0;

                while (is_ws(*p))
                        p++;
                if (!*p)
                        break;
                if (exec && p[0] == ';' && (!p[1] || is_ws(p[1])))
                        goto fail; /* a second command line */
                if (exec && p[0] == '\\' && p[1] == ';' && (!p[2] || is_ws(p[2]))) {
                        ASSERT_OK(strv_extend(&words, ";"));
                        p += 2;
                        continue;
                }
                f = open_memstream(&w, &wl);
                ASSERT(f);
                if (*p == '"' || *p == '\'')
                        quote = *p++;
                for (;;) {
                        if (!*p) {
                                if (quote)
                                        goto fail_word; /* unterminated quote */
                                break;
                        }
                        if (quote && *p == quote) {
                                p++;
                                if (*p && !is_ws(*p))
                                        goto fail_word; /* a closing quote must end the word */
                                break;
                        }
                        if (!quote && is_ws(*p))
                                break;
                        if (!quote && (*p == '"' || *p == '\''))
                                goto fail_word; /* a quote inside a word */
                        if (*p == '\\') {
                                size_t k = ref_cunescape_one(p + 1, f);
                                if (k == 0)
                                        goto fail_word;
                                p += 1 + k;
                                continue;
                        }
                        fputc(*p++, f);
                }
                fclose(f);
                ASSERT_OK(strv_consume(&words, w));
                continue;
        fail_word:
                fclose(f);
                free(w);
                goto fail;
        }
        *ret = words;
        return true;
fail:
        strv_free(words);
        return false;
}

/* '%' specifiers: "%%" is a '%', any other '%' would expand. */
static bool ref_unspecify(const char *s, char **ret) {
        char *out = malloc(strlen(s) + 1), *o = out;

        ASSERT(out);
        for (const char *p = s; *p; p++) {
                if (*p == '%') {
                        if (p[1] != '%') {
                                free(out);
                                return false;
                        }
                        p++;
                }
                *o++ = *p;
        }
        *o = 0;
        *ret = out;
        return true;
}

/* "$$" is a '$'; "$NAME" and "${NAME}" would be substituted: refused. */
static bool ref_undollar(const char *s, char **ret) {
        char *out = malloc(strlen(s) + 1), *o = out;

        ASSERT(out);
        for (const char *p = s; *p; p++) {
                if (*p == '$') {
                        if (p[1] != '$') {
                                free(out);
                                return false;
                        }
                        p++;
                }
                *o++ = *p;
        }
        *o = 0;
        *ret = out;
        return true;
}

/* A command line value as systemd runs it: split and unquote, then per word
 * specifiers, then variables (at run time). Prefix characters of the first
 * word ("-", "@", "+", "!", ":") are returned apart. */
static bool ref_exec(const char *value, char **ret_prefix, char ***ret) {
        char **words = NULL, **out = NULL;
        const char *first;
        size_t np;

        if (!ref_split(value, true, &words) || !words)
                goto fail;
        first = words[0];
        np = strspn(first, "-@+!:");
        if (ret_prefix)
                *ret_prefix = strndup(first, np);
        memmove(words[0], first + np, strlen(first + np) + 1);
        STRV_FOREACH(w, words) {
                char *a = NULL, *b = NULL;
                if (!ref_unspecify(*w, &a))
                        goto fail;
                if (!ref_undollar(a, &b)) {
                        free(a);
                        goto fail;
                }
                free(a);
                ASSERT_OK(strv_consume(&out, b));
        }
        strv_free(words);
        *ret = out;
        return true;
fail:
        strv_free(words);
        strv_free(out);
        return false;
}

/* Environment=: specifiers on the whole value first, then quoted words;
 * '$' is not special. */
static bool ref_env(const char *value, char ***ret) {
        char *v = NULL;
        bool ok;

        if (!ref_unspecify(value, &v))
                return false;
        ok = ref_split(v, false, ret);
        free(v);
        return ok;
}

/* ---- the strings to round-trip ------------------------------------------ */

static const char *const tricky[] = {
        "",
        " ",
        "  ",
        "plain",
        "/usr/bin/podman",
        "--env=A=B",
        "a b",
        " leading",
        "trailing ",
        "tab\there",
        "\t",
        "%",
        "%%",
        "%n",
        "%%n",
        "100%",
        "%i %I %h",
        "$",
        "$$",
        "$HOME",
        "${HOME}",
        "$$HOME",
        "a$",
        "--env=PATH=$PATH:/x",
        "\"",
        "\"\"",
        "'",
        "''",
        "\"quoted\"",
        "'single'",
        "it's",
        "say \"hi\"",
        "\\",
        "\\\\",
        "\\n",
        "\\x41",
        "\\;",
        "trailing\\",
        "a\\ b",
        "C:\\Windows\\",
        ";",
        ";;",
        "a;",
        ";a",
        "a ; b",
        "#",
        "#comment",
        "# not a comment",
        "a#b",
        "&",
        "|",
        ">/dev/null",
        "2>&1",
        "`id`",
        "$(id)",
        "*",
        "?",
        "~",
        "=",
        "a=b=c",
        "-",
        "--",
        "@",
        "+",
        "!",
        ":",
        "-@+!:",
        "{}",
        "[\"pg_isready\", \"-U\", \"postgres\"]",
        "sh -c 'pg_dumpall -U postgres > /var/lib/postgresql/data/dump.sql'",
        "caf\xc3\xa9",
        "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
        "\xf0\x9f\x98\x80 emoji",
        "nbsp\xc2\xa0here",
        "\xe2\x80\xa8",
        "mixed %$\\\"' ;#\t end",
        NULL,
};

/* The characters random strings are made of: everything that is special
 * somewhere, some plain ones, and multi-byte UTF-8. No newlines or other
 * control characters but tab: validation refuses them before rendering. */
static const char *const alphabet[] = {
        " ", "\t", "\"", "'", "\\", "%", "$", ";", "#", "{", "}", "=", "-", "@", "+", "!", ":",
        "/", "*", "&", "|", "<", ">", "`", "~", "(", ")", "a", "Z", "0", "x", ".", ",", "n", "s",
        "\xc3\xa9", "\xe6\x97\xa5", "\xf0\x9f\x98\x80", "\xc2\xa0", NULL,
};

static unsigned long long rng = 0x9e3779b97f4a7c15ULL;
static unsigned rnd(unsigned n) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return (unsigned) (rng % n);
}

static char *random_string(void) {
        size_t n_alpha = strv_length((char **) alphabet);
        unsigned len = rnd(12);
        char *s = NULL;
        size_t l = 0;
        FILE *f = open_memstream(&s, &l);

        ASSERT(f);
        for (unsigned i = 0; i < len; i++)
                fputs(alphabet[rnd((unsigned) n_alpha)], f);
        fclose(f);
        return s;
}

static void check_word(const char *s) {
        char *w, **words = NULL;

        /* Command lines. As the first word only what does not start with a
         * prefix character ("-", "@", ...): those are systemd's, and berth's
         * first words are its own program paths. */
        w = unit_quote_word(s, true);
        ASSERT(w);
        if (strspn(s, "-@+!:") == 0 && (!ref_exec(w, NULL, &words) || strv_length(words) != 1 || !streq(words[0], s)))
                test_fail(__FILE__, __LINE__, "exec word for [%s] is [%s], which reads back as %zu word(s) [%s]",
                          s, w, strv_length(words), words && words[0] ? words[0] : "");
        words = strv_free(words);
        /* As a later argument too (no prefix stripping). */
        {
                char *line = NULL;
                ASSERT(asprintf(&line, "/bin/true %s", w) > 0);
                if (!ref_exec(line, NULL, &words) || strv_length(words) != 2 || !streq(words[1], s))
                        test_fail(__FILE__, __LINE__, "exec argument [%s] does not read back as [%s]", w, s);
                words = strv_free(words);
                free(line);
        }
        free(w);

        /* Environment= and other quoted non-command values: '$' stays single. */
        w = unit_quote_word(s, false);
        ASSERT(w);
        if (!ref_env(w, &words) || strv_length(words) != 1 || !streq(words[0], s))
                test_fail(__FILE__, __LINE__, "word for [%s] is [%s], which does not read back", s, w);
        words = strv_free(words);
        free(w);
}

TEST(test_quote_word_round_trip) {
        for (const char *const *s = tricky; *s; s++)
                check_word(*s);
        for (unsigned i = 0; i < 20000; i++) {
                char *s = random_string();
                check_word(s);
                free(s);
        }
}

TEST(test_quote_word_form) {
        char *w;

        /* Plain words stay plain (readable units), specials are escaped. */
        ASSERT_STREQ(w = unit_quote_word("--name=immich-server", true), "--name=immich-server");
        free(w);
        ASSERT_STREQ(w = unit_quote_word("", true), "\"\"");
        free(w);
        ASSERT_STREQ(w = unit_quote_word("a b", true), "\"a b\"");
        free(w);
        ASSERT_STREQ(w = unit_quote_word("100%", true), "100%%");
        free(w);
        ASSERT_STREQ(w = unit_quote_word("$HOME", true), "$$HOME");
        free(w);
        ASSERT_STREQ(w = unit_quote_word("$HOME", false), "$HOME");
        free(w);
        ASSERT_STREQ(w = unit_quote_word("say \"hi\"", true), "\"say \\\"hi\\\"\"");
        free(w);
        ASSERT_STREQ(w = unit_quote_word("\\", false), "\"\\\\\"");
        free(w);
}

TEST(test_escape_specifiers) {
        char *s;
        ASSERT_STREQ(s = unit_escape_specifiers(""), "");
        free(s);
        ASSERT_STREQ(s = unit_escape_specifiers("no specifiers"), "no specifiers");
        free(s);
        ASSERT_STREQ(s = unit_escape_specifiers("100% of %n"), "100%% of %%n");
        free(s);
        ASSERT_STREQ(s = unit_escape_specifiers("%%"), "%%%%");
        free(s);
}

/* Prints u and reads it back with the reference reader. */
static RefUnit print_and_read(const UnitFile *u) {
        char *text = NULL;
        RefUnit r = {};

        ASSERT_OK(unit_file_to_string(u, &text));
        if (!ref_read_unit(text, &r))
                test_fail(__FILE__, __LINE__, "unit text does not read back:\n%s", text);
        free(text);
        return r;
}

static char **random_argv(void) {
        char **argv = NULL;
        unsigned n = 1 + rnd(10);

        ASSERT_OK(strv_extend(&argv, "/usr/bin/podman"));
        for (unsigned i = 1; i < n; i++) {
                if (rnd(3) == 0)
                        ASSERT_OK(strv_extend(&argv, tricky[rnd((unsigned) strv_length((char **) tricky))]));
                else
                        ASSERT_OK(strv_consume(&argv, random_string()));
        }
        return argv;
}

TEST(test_exec_round_trip) {
        /* Every tricky string at the start of a continuation line, and random
         * command lines, wrapped and not, with and without a prefix. */
        for (unsigned i = 0; i < 3000; i++) {
                UnitFile *u = unit_file_new("x.service");
                char **argv, **back = NULL, *prefix = NULL;
                bool wrap = i % 2;
                const char *pre = i % 3 == 0 ? "-" : NULL;
                RefUnit r;
                const char *v;

                if (i < 2 * strv_length((char **) tricky)) {
                        argv = NULL;
                        ASSERT_OK(strv_extend(&argv, "/usr/bin/podman"));
                        ASSERT_OK(strv_extend(&argv, "run"));
                        ASSERT_OK(strv_extend(&argv, tricky[i / 2]));
                        ASSERT_OK(strv_extend(&argv, tricky[i / 2]));
                } else
                        argv = random_argv();
                ASSERT(u);
                ASSERT_OK(unit_file_add_raw(u, "Service", "Type", "notify"));
                ASSERT_OK(unit_file_add_exec(u, "Service", "ExecStart", pre, argv, wrap));
                ASSERT_OK(unit_file_add_raw(u, "Service", "KillMode", "mixed"));
                r = print_and_read(u);
                v = ref_get(&r, "Service", "ExecStart", 0);
                ASSERT(v);
                if (!ref_exec(v, &prefix, &back) || !strv_equal(argv, back)) {
                        char *text = NULL;
                        (void) unit_file_to_string(u, &text);
                        test_fail(__FILE__, __LINE__, "ExecStart does not read back as its %zu words (got %zu):\n%s",
                                  strv_length(argv), strv_length(back), text);
                }
                ASSERT_STREQ(prefix, pre ?: "");
                /* The directive after a wrapped one is still itself. */
                ASSERT_STREQ(ref_get(&r, "Service", "KillMode", 0), "mixed");
                ASSERT_EQ(r.n, 3);
                free(prefix);
                strv_free(back);
                strv_free(argv);
                ref_unit_done(&r);
                unit_file_free(u);
        }
        /* An empty command line is refused. */
        {
                UnitFile *u = unit_file_new("x.service");
                char *none[] = { NULL };
                ASSERT_ERR(unit_file_add_exec(u, "Service", "ExecStart", NULL, none, false), EINVAL);
                unit_file_free(u);
        }
}

TEST(test_word_and_text_values) {
        for (unsigned i = 0; i < 5000; i++) {
                UnitFile *u = unit_file_new("x.service");
                char *s = i < strv_length((char **) tricky) ? strdup(tricky[i]) : random_string();
                char **words = NULL, *plain = NULL, *want, *t;
                RefUnit r;

                ASSERT(u && s);
                ASSERT_OK(unit_file_add_word(u, "Service", "Environment", s));
                ASSERT_OK(unit_file_add_text(u, "Unit", "Description", s));
                ASSERT_OK(unit_file_add_raw(u, "Unit", "After", "x.target"));
                r = print_and_read(u);
                if (!ref_env(ref_get(&r, "Service", "Environment", 0), &words) || strv_length(words) != 1 ||
                    !streq(words[0], s))
                        test_fail(__FILE__, __LINE__, "Environment=%s does not read back as [%s]",
                                  ref_get(&r, "Service", "Environment", 0), s);
                /* Plain text: specifiers unescaped; systemd strips surrounding
                 * whitespace, and a trailing backslash cannot be written. */
                ASSERT(ref_unspecify(ref_get(&r, "Unit", "Description", 0), &plain));
                want = strdup(s);
                ASSERT(want);
                for (size_t l = strlen(want); l > 0 && want[l - 1] == '\\'; l--)
                        want[l - 1] = 0;
                t = strip(want);
                if (!streq(plain, t))
                        test_fail(__FILE__, __LINE__, "Description for [%s] reads back as [%s]", s, plain);
                ASSERT_STREQ(ref_get(&r, "Unit", "After", 0), "x.target");
                free(want);
                free(plain);
                strv_free(words);
                ref_unit_done(&r);
                unit_file_free(u);
                free(s);
        }
}

TEST(test_layout) {
        UnitFile *u = unit_file_new("berth-x.service");
        char *text = NULL;

        ASSERT(u);
        ASSERT_STREQ(u->name, "berth-x.service");
        ASSERT_OK(unit_file_set_header(u, "# generated\n"));
        ASSERT_OK(unit_file_add_text(u, "Unit", "Description", "X 100%"));
        ASSERT_OK(unit_file_comment(u, "Service", "why"));
        ASSERT_OK(unit_file_add_raw(u, "Service", "Type", "oneshot"));
        ASSERT_OK(unit_file_add_rawf(u, "Unit", "After", "%s.service", "y"));
        ASSERT_OK(unit_file_add_raw(u, "Install", "WantedBy", "multi-user.target"));
        ASSERT_OK(unit_file_to_string(u, &text));
        /* Sections in the order first used, their lines in the order added. */
        ASSERT_STREQ(text, "# generated\n"
                           "\n"
                           "[Unit]\n"
                           "Description=X 100%%\n"
                           "After=y.service\n"
                           "\n"
                           "[Service]\n"
                           "# why\n"
                           "Type=oneshot\n"
                           "\n"
                           "[Install]\n"
                           "WantedBy=multi-user.target\n");
        free(text);
        unit_file_free(u);

        /* Without a header there is no blank first line. */
        u = unit_file_new("a.target");
        ASSERT_OK(unit_file_add_raw(u, "Unit", "Description", "a"));
        ASSERT_OK(unit_file_to_string(u, &text));
        ASSERT_STREQ(text, "[Unit]\nDescription=a\n");
        free(text);
        unit_file_free(u);
        ASSERT(!unit_file_free(NULL));

        /* Wrapped: program and verb on the first line, one word per line after. */
        {
                char *argv[] = { (char *) "/usr/bin/podman", (char *) "run", (char *) "--rm", (char *) "a b", (char *) "img", NULL };
                u = unit_file_new("w.service");
                ASSERT_OK(unit_file_add_exec(u, "Service", "ExecStart", NULL, argv, true));
                ASSERT_OK(unit_file_add_exec(u, "Service", "ExecStopPost", "-", argv, false));
                ASSERT_OK(unit_file_to_string(u, &text));
                ASSERT_STREQ(text, "[Service]\n"
                                   "ExecStart=/usr/bin/podman run \\\n"
                                   "        --rm \\\n"
                                   "        \"a b\" \\\n"
                                   "        img\n"
                                   "ExecStopPost=-/usr/bin/podman run --rm \"a b\" img\n");
                free(text);
                unit_file_free(u);
        }
}

int main(void) {
        RUN(test_escape_specifiers);
        RUN(test_quote_word_form);
        RUN(test_quote_word_round_trip);
        RUN(test_exec_round_trip);
        RUN(test_word_and_text_values);
        RUN(test_layout);
        TEST_DONE();
}
