/* diag.c — diagnostics list. */
#include <stdarg.h>
#include <stdio.h>

#include "diag.h"

/* C0 controls and DEL as one byte, C1 controls (U+0080..U+009F) as UTF-8. */
static size_t control_len(const unsigned char *p) {
        if (*p < 0x20 || *p == 0x7f)
                return 1;
        if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
                return 2;
        return 0;
}

/* A diagnostic quotes what the input said, and the input may hold newlines,
 * terminal escapes or other control characters: each becomes a visible escape
 * ("\n", "\t", "\r", "\x1b", "\u009b"), so that a diagnostic is always one
 * line of plain text (a value cannot forge a second "FILE:LINE:COLUMN:" line,
 * nor drive the terminal or the kernel log it is written to). Takes s; returns
 * it or its escaped copy, NULL on allocation failure. */
static char *escape_controls(char *s) {
        const unsigned char *p;
        size_t extra = 0;
        char *r, *q;

        if (!s)
                return NULL;
        for (p = (const unsigned char *) s; *p; p++)
                if (control_len(p))
                        extra += 6;
        if (extra == 0)
                return s;
        r = q = malloc(strlen(s) + extra + 1);
        if (!r) {
                free(s);
                return NULL;
        }
        for (p = (const unsigned char *) s; *p;) {
                size_t k = control_len(p);
                if (k == 0)
                        *q++ = (char) *p++;
                else if (k == 2) {
                        q += sprintf(q, "\\u%04x", p[1]);
                        p += 2;
                } else {
                        const char *e = *p == '\n' ? "\\n" : *p == '\t' ? "\\t" : *p == '\r' ? "\\r" : NULL;
                        q = e ? stpcpy(q, e) : q + sprintf(q, "\\x%02x", *p);
                        p++;
                }
        }
        *q = 0;
        free(s);
        return r;
}

static void diag_push(Diagnostics *d, const char *file, unsigned line, unsigned column, char *message) {
        Diagnostic *t;

        if (d->n >= DIAG_MAX) {
                free(message);
                d->dropped++;
                return;
        }
        message = escape_controls(message);
        if (!message) {
                d->oom = true;
                return;
        }
        t = realloc(d->items, sizeof(Diagnostic) * (d->n + 1));
        if (!t) {
                free(message);
                d->oom = true;
                return;
        }
        d->items = t;
        d->items[d->n] = (Diagnostic) {
                .file = escape_controls(strdup(strempty(file))),
                .line = line,
                .column = column,
                .message = message,
        };
        if (!d->items[d->n].file) {
                free(message);
                d->oom = true;
                return;
        }
        d->n++;
}

void diag_addv(Diagnostics *d, const Position *pos, const char *fmt, va_list ap) {
        char *m = NULL;

        m = vstrprintf(fmt, ap);
        diag_push(d, pos ? pos->file : NULL, pos ? pos->line : 0, pos ? pos->column : 0, m);
}

void diag_add(Diagnostics *d, const Position *pos, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        diag_addv(d, pos, fmt, ap);
        va_end(ap);
}

void diag_add_file(Diagnostics *d, const char *file, const char *fmt, ...) {
        Position p = { .file = file };
        va_list ap;

        va_start(ap, fmt);
        diag_addv(d, &p, fmt, ap);
        va_end(ap);
}

char *diag_format(const Diagnostic *x) {
        char *s = NULL;
        int r;

        if (x->line > 0)
                r = asprintf(&s, "%s:%u:%u: %s", x->file, x->line, x->column, x->message);
        else
                r = asprintf(&s, "%s: %s", x->file, x->message);
        return r < 0 ? NULL : s;
}

char *diag_trailer(const Diagnostics *d) {
        char *s = NULL;

        if (d->dropped > 0 && asprintf(&s, "(%zu further problem%s not recorded: at most %d are kept%s)", d->dropped,
                                       d->dropped == 1 ? " was" : "s were", DIAG_MAX, d->oom ? ", and memory ran out" : "") < 0)
                return NULL;
        if (!s && d->oom)
                return strdup("(further problems were not recorded: out of memory)");
        return s;
}

void diag_print(const Diagnostics *d, FILE *f) {
        _cleanup_free_ char *t = diag_trailer(d);

        for (size_t i = 0; i < d->n; i++) {
                _cleanup_free_ char *s = diag_format(&d->items[i]);
                fprintf(f, "%s\n", s ?: d->items[i].message);
        }
        if (t)
                fprintf(f, "%s\n", t);
}

bool diag_has_errors(const Diagnostics *d) {
        return d->n > 0 || d->oom;
}

void diag_clear(Diagnostics *d) {
        for (size_t i = 0; i < d->n; i++) {
                free(d->items[i].file);
                free(d->items[i].message);
        }
        free(d->items);
        *d = (Diagnostics) {};
}

void diag_move(Diagnostics *to, Diagnostics *from) {
        for (size_t i = 0; i < from->n; i++) {
                Diagnostic *x = &from->items[i];
                diag_push(to, x->file, x->line, x->column, TAKE_PTR(x->message));
                free(x->file);
        }
        to->dropped += from->dropped;
        to->oom = to->oom || from->oom;
        free(from->items);
        *from = (Diagnostics) {};
}
