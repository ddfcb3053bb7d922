/* table.c — column-aligned output. */
#include <unistd.h>

#include "macro.h"
#include "strv.h"
#include "table.h"

struct Table {
        size_t n_columns;
        char **cells; /* row-major, headers first */
        size_t n;
};

Table *table_new(size_t n_columns, const char *const *headers) {
        Table *t = calloc(1, sizeof(Table));
        if (!t)
                return NULL;
        t->n_columns = n_columns;
        for (size_t i = 0; i < n_columns; i++)
                if (table_add(t, headers[i]) < 0)
                        return table_free(t);
        return t;
}

Table *table_free(Table *t) {
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n; i++)
                free(t->cells[i]);
        free(t->cells);
        free(t);
        return NULL;
}

int table_add(Table *t, const char *cell) {
        char **c = realloc(t->cells, sizeof(char *) * (t->n + 1));
        if (!c)
                return -ENOMEM;
        t->cells = c;
        t->cells[t->n] = strdup(cell ?: "-");
        if (!t->cells[t->n])
                return -ENOMEM;
        t->n++;
        return 0;
}

/* Display width of UTF-8 text: code points, not bytes (good enough for names). */
static size_t width(const char *s) {
        size_t w = 0;
        for (; *s; s++)
                if (((unsigned char) *s & 0xc0) != 0x80)
                        w++;
        return w;
}

int table_print(const Table *t, FILE *f) {
        _cleanup_free_ size_t *w = calloc(t->n_columns, sizeof(size_t));
        bool tty = isatty(fileno(f));

        if (!w)
                return -ENOMEM;
        for (size_t i = 0; i < t->n; i++)
                w[i % t->n_columns] = MAX(w[i % t->n_columns], width(t->cells[i]));
        for (size_t i = 0; i < t->n; i++) {
                size_t col = i % t->n_columns;
                bool header = i < t->n_columns;
                if (header && tty && col == 0)
                        fputs("\033[1m", f);
                fputs(t->cells[i], f);
                if (col + 1 < t->n_columns)
                        fprintf(f, "%*s", (int) (w[col] - width(t->cells[i]) + 2), "");
                else {
                        if (header && tty)
                                fputs("\033[0m", f);
                        fputc('\n', f);
                }
        }
        return ferror(f) ? -EIO : 0;
}
