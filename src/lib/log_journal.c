/* log_journal.c — log_open(): logging to the journal, with the fields of
 * log_set_field(), when stderr is connected to it. Kept apart from log.c so
 * that only programs calling log_open() link libsystemd's journal. */
#include <systemd/sd-journal.h>

#include "log-internal.h"

void log_open(const char *ident) {
        log_open_internal(ident, sd_journal_sendv);
}
