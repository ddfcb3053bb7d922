/* backup-internal.h — what the backup flow (backup.c) shares with its
 * snapshot cache (backup_cache.c). */
#pragma once

#include "backup.h"

/* One restic backup of the flow: its arguments, and what restic reported. */
typedef struct BackupArgs {
        char **paths;
        char **tags;
        ResticBackupSummary summary;
        usec_t ended;        /* when restic backup exited */
} BackupArgs;

/* The cached snapshots of the app without those in drop, plus add (may be
 * NULL; moved into the cache); *ret_count: how many, SIZE_MAX if the cache
 * cannot be read or written. Returns 0, or -ENOMEM. */
int backup_cache_edit(const BackupContext *c, char **drop, SnapshotInfo *add, size_t *ret_count);
/* The cache learns the job's snapshot (see backup_cache.c). */
int backup_cache_learn(const BackupContext *c, const BackupArgs *args, bool new_repository, size_t *ret_count,
                       char **ret_full_id);
