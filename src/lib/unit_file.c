/* unit_file.c — unit file model and escaping. */
#include <stdarg.h>

#include "strv.h"
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
        for (size_t i = 0; i < u->n; i++) {
                free(u->lines[i].section);
                free(u->lines[i].key);
                free(u->lines[i].value);
        }
        free(u->lines);
        free(u->header);
        free(u->name);
        free(u);
        return NULL;
}

int unit_file_set_header(UnitFile *u, const char *text) {
        char *h = strdup(text);
        if (!h)
                return -ENOMEM;
        free(u->header);
        u->header = h;
        return 0;
}

/* Takes ownership of value. */
static int push(UnitFile *u, const char *section, const char *key, char *value) {
        UnitLine *t;
        UnitLine l = {};

        if (!value)
                return -ENOMEM;
        l.section = strdup(section);
        l.key = key ? strdup(key) : NULL;
        l.value = value;
        if (!l.section || (key && !l.key))
                goto oom;
        t = realloc(u->lines, sizeof(UnitLine) * (u->n + 1));
        if (!t)
                goto oom;
        u->lines = t;
        u->lines[u->n++] = l;
        return 0;
oom:
        free(l.section);
        free(l.key);
        free(l.value);
        return -ENOMEM;
}

int unit_file_comment(UnitFile *u, const char *section, const char *text) {
        return push(u, section, NULL, strdup(text));
}

int unit_file_add_raw(UnitFile *u, const char *section, const char *key, const char *value) {
        return push(u, section, key, strdup(value));
}

int unit_file_add_rawf(UnitFile *u, const char *section, const char *key, const char *fmt, ...) {
        va_list ap;
        char *v;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&v, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return push(u, section, key, v);
}

char *unit_escape_specifiers(const char *s) {
        size_t n = 0;
        char *r, *p;

        for (const char *c = s; *c; c++)
                n += *c == '%' ? 2 : 1;
        r = p = malloc(n + 1);
        if (!r)
                return NULL;
        for (const char *c = s; *c; c++) {
                *p++ = *c;
                if (*c == '%')
                        *p++ = '%';
        }
        *p = 0;
        return r;
}

int unit_file_add_text(UnitFile *u, const char *section, const char *key, const char *text) {
        char *v = unit_escape_specifiers(text);
        size_t l;

        if (!v)
                return -ENOMEM;
        /* Plain values are not C-unescaped, so a trailing backslash cannot be
         * written: it would join the next line. Drop it (only free text, such as
         * Description=, goes through here). */
        l = strlen(v);
        while (l > 0 && v[l - 1] == '\\')
                v[--l] = 0;
        return push(u, section, key, v);
}

char *unit_quote_word(const char *s, bool for_exec) {
        /* A word starting with '#' would begin a continuation line of a wrapped
         * command as a comment, which systemd drops: quote it. */
        bool quote = !*s || *s == '#';
        size_t n = 0;
        char *r, *p;

        for (const char *c = s; *c; c++) {
                if (strchr(" \t\"'\\;", *c))
                        quote = true;
                n += (*c == '%' || (for_exec && *c == '$') || *c == '\\' || *c == '"') ? 2 : 1;
        }
        r = p = malloc(n + 3);
        if (!r)
                return NULL;
        if (quote)
                *p++ = '"';
        for (const char *c = s; *c; c++) {
                if (*c == '\\' || *c == '"')
                        *p++ = '\\';
                else if (*c == '%')
                        *p++ = '%';
                else if (for_exec && *c == '$')
                        *p++ = '$';
                *p++ = *c;
        }
        if (quote)
                *p++ = '"';
        *p = 0;
        return r;
}

int unit_file_add_word(UnitFile *u, const char *section, const char *key, const char *word) {
        return push(u, section, key, unit_quote_word(word, false));
}

int unit_file_add_exec(UnitFile *u, const char *section, const char *key, const char *prefix,
                       char *const *argv, bool wrap) {
        _cleanup_strv_free_ char **words = NULL;
        int r;

        STRV_FOREACH(a, argv) {
                r = strv_consume(&words, unit_quote_word(*a, true));
                if (r < 0)
                        return r;
        }
        if (!words)
                return -EINVAL;
        if (!isempty(prefix)) {
                char *first;
                if (asprintf(&first, "%s%s", prefix, words[0]) < 0)
                        return -ENOMEM;
                free(words[0]);
                words[0] = first;
        }
        if (!wrap)
                return push(u, section, key, strv_join(words, " "));

        /* The program and its verb on the first line, then one word per
         * continuation line, so that each option can be audited on its own. */
        _cleanup_free_ char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);
        if (!f)
                return -ENOMEM;
        for (size_t i = 0; words[i]; i++) {
                if (i > 0)
                        fputs(i == 1 ? " " : " \\\n        ", f);
                fputs(words[i], f);
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        return push(u, section, key, TAKE_PTR(out));
}

int unit_file_to_string(const UnitFile *u, char **ret) {
        _cleanup_strv_free_ char **sections = NULL;
        _cleanup_free_ char *out = NULL;
        size_t len = 0;
        FILE *f;
        int r;

        for (size_t i = 0; i < u->n; i++)
                if (!strv_contains(sections, u->lines[i].section)) {
                        r = strv_extend(&sections, u->lines[i].section);
                        if (r < 0)
                                return r;
                }
        f = open_memstream(&out, &len);
        if (!f)
                return -ENOMEM;
        if (u->header)
                fputs(u->header, f);
        STRV_FOREACH(s, sections) {
                if (s != sections || u->header)
                        fputc('\n', f);
                fprintf(f, "[%s]\n", *s);
                for (size_t i = 0; i < u->n; i++) {
                        const UnitLine *l = &u->lines[i];
                        if (!streq(l->section, *s))
                                continue;
                        if (l->key)
                                fprintf(f, "%s=%s\n", l->key, l->value);
                        else
                                fprintf(f, "# %s\n", l->value);
                }
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(out);
        return 0;
}
