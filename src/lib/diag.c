/* diag.c — diagnostics list. */
#include <stdarg.h>
#include <stdio.h>

#include "diag.h"

static void diag_push(Diagnostics *d, const char *file, unsigned line, unsigned column, char *message) {
        Diagnostic *t;

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
                .file = strdup(strempty(file)),
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
        to->oom = to->oom || from->oom;
        free(from->items);
        *from = (Diagnostics) {};
}
