/* backup_log.h — a BackupReporter that logs, for the helpers that run backup
 * flows as units (berth-backup, berth-prepare's pre-upgrade snapshot,
 * berth-uninstall's pre-purge one): every step as it comes, restic's progress
 * one line every 10 s at most, and restic's last report when it ends; a job
 * the flow begins itself sets the JOB= field of every line after. */
#pragma once

#include <time.h>

#include "backup.h"

typedef struct BackupLog {
        time_t last;
        bool have_pending;
        ResticProgress pending;   /* restic's latest report, not logged yet */
} BackupLog;

/* A reporter logging through log (which must outlive it). */
BackupReporter backup_log_reporter(BackupLog *log);
/* Logs restic's last report if it is not logged yet. */
void backup_log_flush(BackupLog *log);
