/* log.h — the program edge's logging: one line per message to the journal's
 * kernel log (/dev/kmsg, for generators that run before journald), or stderr.
 * Library code never logs; mains do, once, naming the object and the errno. */
#pragma once

#include <stdbool.h>

#include "diag.h"
#include "macro.h"

#define LOG_ERR_LEVEL 3
#define LOG_WARNING_LEVEL 4
#define LOG_INFO_LEVEL 6

/* Generators: /dev/kmsg when writable, else stderr; no other IPC. */
void log_open_kmsg(const char *ident);
/* Everything else: the journal with structured fields when stderr is
 * connected to it (JOURNAL_STREAM), else stderr (log_journal.c). */
void log_open(const char *ident);
/* Extra journal fields on every following message, e.g. ("APP", "immich").
 * value NULL removes the field. */
void log_set_field(const char *key, const char *value);
void log_close(void);
void log_msg(int level, const char *fmt, ...) _printf_(2, 3);
/* Logs "msg: strerror(-err)" and returns err. */
int log_errno(int level, int err, const char *fmt, ...) _printf_(3, 4);
void log_diagnostics(int level, const Diagnostics *d);

#define log_error(...) log_msg(LOG_ERR_LEVEL, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING_LEVEL, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO_LEVEL, __VA_ARGS__)
