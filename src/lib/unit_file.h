/* unit_file.h — a unit file (or Quadlet file) as data that prints itself.
 * Renderers add directives; only this module knows unit syntax and escaping:
 * specifiers ('%' → '%%'), variable expansion in command lines ('$' → '$$'),
 * quoting and C escapes for words, and line continuations. Values passed in as
 * "text" come from manifests and are escaped here; values passed as "raw" are
 * berth's own and must already be valid unit syntax. */
#pragma once

#include <stdbool.h>
#include <sys/uio.h>

#include "macro.h"

/* A section as text, "[Name]\n" and then its lines ("Key=value\n", "# why\n")
 * in the order they were added: the file prints itself without a copy. The
 * name is the one in the text (no copy of its own). */
typedef struct UnitSection {
        size_t name_len;
        char *text;
        size_t len, cap;
} UnitSection;

typedef struct UnitFile {
        char *name;    /* file name, e.g. "berth-immich.target" */
        char *header;  /* comment block at the top */
        UnitSection *sections; /* in the order of their first directive */
        size_t n_sections;
} UnitFile;

UnitFile *unit_file_new(const char *name);
UnitFile *unit_file_free(UnitFile *u);
DEFINE_TRIVIAL_CLEANUP_FUNC(UnitFile *, unit_file_free)

int unit_file_set_header(UnitFile *u, const char *text);
/* The same with text taken over (not copied): NULL is out of memory. */
int unit_file_take_header(UnitFile *u, char *text);
/* "# why" above the next directive of the section. */
int unit_file_comment(UnitFile *u, const char *section, const char *text);
/* Berth's own value, already valid unit syntax. */
int unit_file_add_raw(UnitFile *u, const char *section, const char *key, const char *value);
int unit_file_add_rawf(UnitFile *u, const char *section, const char *key, const char *fmt, ...) _printf_(4, 5);
/* Manifest text in a plain (non-unescaping) value: specifiers escaped. */
int unit_file_add_text(UnitFile *u, const char *section, const char *key, const char *text);
/* One quoted word (Environment=, Quadlet's Label=, ...). */
int unit_file_add_word(UnitFile *u, const char *section, const char *key, const char *word);
/* A command line: argv quoted word by word, "$" and "%" escaped. With
 * wrap, one argument (or option with its value) per continuation line. */
int unit_file_add_exec(UnitFile *u, const char *section, const char *key, const char *prefix,
                       char *const *argv, bool wrap);

int unit_file_to_string(const UnitFile *u, char **ret);
/* The same text as pieces for writev(), without copying it: iov has room for
 * unit_file_iovec_max(u) of them. Returns how many it filled in. */
size_t unit_file_iovec_max(const UnitFile *u);
size_t unit_file_to_iovec(const UnitFile *u, struct iovec *iov);

/* Escapes: exposed for tests and for the Quadlet renderer's own keys. */
char *unit_escape_specifiers(const char *s);
/* A word that systemd's command-line and Environment= parsing turns back into
 * exactly s ("$" doubled when for_exec). */
char *unit_quote_word(const char *s, bool for_exec);
