/* unit_file.c — unit file model and escaping. */
#include <stdarg.h>

#include "unit_file.h"

UnitFile *unit_file_new(const char *name) {
        UnitFile *u = calloc(1, sizeof(UnitFile));
        if (!u)
                return NULL;
        u->name = strdup(name);
        if (!u->name)
                return unit_file_free(u);
        return u;
}

UnitFile *unit_file_free(UnitFile *u) {
        if (!u)
                return NULL;
        for (size_t i = 0; i < u->n_sections; i++)
                free(u->sections[i].text);
        free(u->sections);
        free(u->header);
        free(u->name);
        free(u);
        return NULL;
}

int unit_file_take_header(UnitFile *u, char *text) {
        if (!text)
                return -ENOMEM;
        free(u->header);
        u->header = text;
        return 0;
}

int unit_file_set_header(UnitFile *u, const char *text) {
        return unit_file_take_header(u, strdup(text));
}

/* Room for n more bytes and a NUL. The text grows by doubling: a container's
 * [Service] section takes a few KiB, added a line at a time. It starts at 1 KiB,
 * which most [Unit] sections fit (at 512 bytes, half of them were moved). */
static int section_reserve(UnitSection *s, size_t n) {
        size_t cap = s->cap ?: 1024;
        char *t;

        if (s->len + n + 1 <= s->cap)
                return 0;
        while (cap < s->len + n + 1)
                cap *= 2;
        t = realloc(s->text, cap);
        if (!t)
                return -ENOMEM;
        s->text = t;
        s->cap = cap;
        return 0;
}

static UnitSection *section_get(UnitFile *u, const char *section) {
        UnitSection s = {}, *t;
        size_t k = strlen(section);

        for (size_t i = 0; i < u->n_sections; i++)
                if (u->sections[i].name_len == k && memcmp(u->sections[i].text + 1, section, k) == 0)
                        return &u->sections[i];
        if (section_reserve(&s, k + 3) < 0)
                return NULL;
        s.text[0] = '[';
        memcpy(s.text + 1, section, k);
        memcpy(s.text + 1 + k, "]\n", 3);
        s.len = k + 3;
        s.name_len = k;
        /* Room for 4 sections at first, doubled from there: a unit has 2 or 3. */
        if (u->n_sections == 0 || (u->n_sections >= 4 && (u->n_sections & (u->n_sections - 1)) == 0)) {
                t = reallocarray(u->sections, u->n_sections ? 2 * u->n_sections : 4, sizeof(UnitSection));
                if (!t) {
                        free(s.text);
                        return NULL;
                }
                u->sections = t;
        }
        u->sections[u->n_sections] = s;
        return &u->sections[u->n_sections++];
}

/* Starts a line of section: "key=" (or "# " for a comment, key NULL), with room
 * for a value of up to n bytes. Returns where the value goes; line_end()
 * completes the line. On failure (NULL) no line is added, though its section may
 * have been: the caller gives up on the file. */
static char *line_begin(UnitFile *u, const char *section, const char *key, size_t n, UnitSection **ret) {
        UnitSection *s = section_get(u, section);
        size_t k = key ? strlen(key) : 1;
        char *p;

        if (!s || section_reserve(s, k + 1 + n + 1) < 0)
                return NULL;
        p = s->text + s->len;
        if (key) {
                p = mempcpy(p, key, k);
                *p++ = '=';
        } else {
                *p++ = '#';
                *p++ = ' ';
        }
        *ret = s;
        return p;
}

static int line_end(UnitSection *s, char *end) {
        *end++ = '\n';
        *end = 0;
        s->len = (size_t) (end - s->text);
        return 0;
}

static int add_line(UnitFile *u, const char *section, const char *key, const char *value) {
        size_t n = strlen(value);
        UnitSection *s;
        char *p = line_begin(u, section, key, n, &s);

        if (!p)
                return -ENOMEM;
        return line_end(s, mempcpy(p, value, n));
}

int unit_file_comment(UnitFile *u, const char *section, const char *text) {
        return add_line(u, section, NULL, text);
}

int unit_file_add_raw(UnitFile *u, const char *section, const char *key, const char *value) {
        return add_line(u, section, key, value);
}

int unit_file_add_rawf(UnitFile *u, const char *section, const char *key, const char *fmt, ...) {
        _cleanup_free_ char *heap = NULL;
        char buf[256];
        va_list ap;
        int k;

        /* Formatted on the stack when it fits: vasprintf() costs a malloc() and
         * reallocs of its own. */
        va_start(ap, fmt);
        k = vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        if ((size_t) k < sizeof(buf))
                return add_line(u, section, key, buf);
        va_start(ap, fmt);
        k = vasprintf(&heap, fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        return add_line(u, section, key, heap);
}

/* The escaping below finds the characters to escape with strcspn() and
 * strchrnul() (vectorised in glibc) and copies the spans between them, rather
 * than looking at each character: every argument of every ExecStart= and every
 * Environment= passes through here. */

static size_t escaped_specifiers_len(const char *s) {
        size_t n = strlen(s);

        for (const char *c = strchrnul(s, '%'); *c; c = strchrnul(c + 1, '%'))
                n++;
        return n;
}

/* Writes s with '%' doubled at p; returns the end. */
static char *escape_specifiers_to(char *p, const char *s) {
        for (;;) {
                const char *c = strchrnul(s, '%');
                p = mempcpy(p, s, (size_t) (c - s));
                if (!*c)
                        return p;
                *p++ = '%';
                *p++ = '%';
                s = c + 1;
        }
}

char *unit_escape_specifiers(const char *s) {
        char *r = malloc(escaped_specifiers_len(s) + 1);

        if (!r)
                return NULL;
        *escape_specifiers_to(r, s) = 0;
        return r;
}

int unit_file_add_text(UnitFile *u, const char *section, const char *key, const char *text) {
        UnitSection *s;
        char *v = line_begin(u, section, key, escaped_specifiers_len(text), &s), *end;

        if (!v)
                return -ENOMEM;
        end = escape_specifiers_to(v, text);
        /* Plain values are not C-unescaped, so a trailing backslash cannot be
         * written: it would join the next line. Drop it (only free text, such as
         * Description=, goes through here). */
        while (end > v && end[-1] == '\\')
                end--;
        return line_end(s, end);
}

static bool word_needs_quotes(const char *s) {
        /* A word starting with '#' would begin a continuation line of a wrapped
         * command as a comment, which systemd drops: quote it. */
        return !*s || *s == '#' || s[strcspn(s, " \t\"'\\;")] != 0;
}

/* What a word escapes with a backslash ('\\', '"') or by doubling ('%', and
 * '$' in command lines). */
static const char *word_escapes(bool for_exec) {
        return for_exec ? "\\\"%$" : "\\\"%";
}

static size_t quoted_word_len(const char *s, bool for_exec, bool quote) {
        const char *esc = word_escapes(for_exec);
        size_t n = strlen(s) + (quote ? 2 : 0);

        for (const char *c = s + strcspn(s, esc); *c; c += 1 + strcspn(c + 1, esc))
                n++;
        return n;
}

/* Writes the word at p; returns the end. */
static char *quote_word_to(char *p, const char *s, bool for_exec, bool quote) {
        const char *esc = word_escapes(for_exec);

        if (quote)
                *p++ = '"';
        for (;;) {
                size_t k = strcspn(s, esc);
                p = mempcpy(p, s, k);
                s += k;
                if (!*s)
                        break;
                *p++ = *s == '\\' || *s == '"' ? '\\' : *s;
                *p++ = *s++;
        }
        if (quote)
                *p++ = '"';
        return p;
}

char *unit_quote_word(const char *s, bool for_exec) {
        bool quote = word_needs_quotes(s);
        char *r = malloc(quoted_word_len(s, for_exec, quote) + 1);

        if (!r)
                return NULL;
        *quote_word_to(r, s, for_exec, quote) = 0;
        return r;
}

int unit_file_add_word(UnitFile *u, const char *section, const char *key, const char *word) {
        bool quote = word_needs_quotes(word);
        UnitSection *s;
        char *v = line_begin(u, section, key, quoted_word_len(word, false, quote), &s);

        if (!v)
                return -ENOMEM;
        return line_end(s, quote_word_to(v, word, false, quote));
}

/* Between words: with wrap, the program and its verb on the first line, then
 * one word per continuation line, so that each option can be audited on its own. */
#define EXEC_CONTINUATION " \\\n        "

static char *exec_separator_to(char *p, size_t i, bool wrap) {
        if (!wrap || i == 1) {
                *p++ = ' ';
                return p;
        }
        return mempcpy(p, EXEC_CONTINUATION, strlen(EXEC_CONTINUATION));
}

/* Writes a word of a command line at p; returns the end. Most words (options
 * such as --cap-drop=all, paths) need neither quotes nor escapes, which one
 * strcspn() for both finds: they are copied as they are. */
static char *exec_word_to(char *p, const char *s) {
        size_t k = strcspn(s, " \t\"'\\;%$");

        if (k > 0 && !s[k] && *s != '#')
                return mempcpy(p, s, k);
        return quote_word_to(p, s, true, word_needs_quotes(s));
}

int unit_file_add_exec(UnitFile *u, const char *section, const char *key, const char *prefix,
                       char *const *argv, bool wrap) {
        size_t n = strlen(strempty(prefix)), i;
        UnitSection *s;
        char *p;

        if (!argv || !argv[0])
                return -EINVAL;
        /* Room for the worst case (every character escaped, every word quoted),
         * so that each word is looked at once, while it is written. */
        for (i = 0; argv[i]; i++)
                n += (i > 0 ? strlen(EXEC_CONTINUATION) : 0) + 2 * strlen(argv[i]) + 2;
        p = line_begin(u, section, key, n, &s);
        if (!p)
                return -ENOMEM;
        p = stpcpy(p, strempty(prefix));
        for (i = 0; argv[i]; i++) {
                if (i > 0)
                        p = exec_separator_to(p, i, wrap);
                p = exec_word_to(p, argv[i]);
        }
        return line_end(s, p);
}

size_t unit_file_iovec_max(const UnitFile *u) {
        return 1 + 2 * u->n_sections;
}

size_t unit_file_to_iovec(const UnitFile *u, struct iovec *iov) {
        size_t n = 0;

        if (u->header)
                iov[n++] = (struct iovec) { u->header, strlen(u->header) };
        for (size_t i = 0; i < u->n_sections; i++) {
                /* A blank line between the header and sections. */
                if (i > 0 || u->header)
                        iov[n++] = (struct iovec) { (char *) "\n", 1 };
                iov[n++] = (struct iovec) { u->sections[i].text, u->sections[i].len };
        }
        return n;
}

int unit_file_to_string(const UnitFile *u, char **ret) {
        _cleanup_free_ struct iovec *iov = calloc(unit_file_iovec_max(u), sizeof(struct iovec));
        size_t n, len = 0;
        char *out, *p;

        if (!iov)
                return -ENOMEM;
        n = unit_file_to_iovec(u, iov);
        for (size_t i = 0; i < n; i++)
                len += iov[i].iov_len;
        out = p = malloc(len + 1);
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                p = mempcpy(p, iov[i].iov_base, iov[i].iov_len);
        *p = 0;
        *ret = out;
        return 0;
}
