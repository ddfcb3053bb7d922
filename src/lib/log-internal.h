/* log-internal.h — between log.c and log_journal.c. */
#pragma once

#include <sys/uio.h>

#include "log.h"

/* sd_journal_sendv()'s shape. */
typedef int (*LogJournalSendv)(const struct iovec *iov, int n);

/* Messages go to the journal through sendv when stderr is connected to it. */
void log_open_internal(const char *ident, LogJournalSendv sendv);
