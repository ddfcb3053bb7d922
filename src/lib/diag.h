/* diag.h — diagnostics: what is wrong with an input, and where.
 * Loaders and validators never print; they append Diagnostics, and the program's
 * edge (generator, CLI) decides where they go. Each reads
 * "FILE:LINE:COLUMN: what is wrong, what was expected". */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <stdarg.h>

#include "macro.h"

/* A place in an input. line/column are 1-based; 0 means "the whole file".
 * file points into storage owned by whoever loaded the input (YamlDoc). */
typedef struct Position {
        const char *file;
        unsigned line;
        unsigned column;
} Position;

typedef struct Diagnostic {
        char *file;
        unsigned line;
        unsigned column;
        char *message;
} Diagnostic;

/* At most this many diagnostics are kept for one input; the rest are counted. A
 * broken manifest is reported in full, one built to flood the log is not. */
#define DIAG_MAX 200

typedef struct Diagnostics {
        Diagnostic *items;
        size_t n;
        size_t dropped; /* recorded beyond DIAG_MAX, not kept */
        bool oom;       /* an allocation failed while recording: n undercounts */
} Diagnostics;

void diag_add(Diagnostics *d, const Position *pos, const char *fmt, ...) _printf_(3, 4);
void diag_addv(Diagnostics *d, const Position *pos, const char *fmt, va_list ap) _printf_(3, 0);
void diag_add_file(Diagnostics *d, const char *file, const char *fmt, ...) _printf_(3, 4);
/* "FILE:LINE:COLUMN: message" (or "FILE: message" for whole-file problems). */
char *diag_format(const Diagnostic *x);
/* Each diagnostic as diag_format() gives it, a line each: what berth validate
 * and render print, compiler-style (no program name in front). Then a line for
 * those not kept, if any (diag_trailer()). */
void diag_print(const Diagnostics *d, FILE *f);
/* "(N further problems were not recorded: ...)", or NULL when all were kept. */
char *diag_trailer(const Diagnostics *d);
bool diag_has_errors(const Diagnostics *d);
void diag_clear(Diagnostics *d);
/* Moves every entry of from to the end of to. */
void diag_move(Diagnostics *to, Diagnostics *from);
