/* metrics.h — the Prometheus textfile berth rewrites after every job, for
 * node-exporter's textfile collector (issue 4, point 7): per app, the state of
 * its backups as the state database records it. Only reads the database; the
 * file is replaced atomically, so the collector never sees half of it.
 *
 * Series, each labelled {app="<id>"}, for every app with at least one backup
 * job ("last" = the newest finished backup job; a running one is not counted):
 *   berth_backup_last_run_timestamp_seconds      start of the last backup job
 *   berth_backup_last_success_timestamp_seconds  start of the newest backup job
 *                                                that wrote a snapshot (status
 *                                                succeeded or warning); 0: never
 *   berth_backup_last_result                     0 succeeded, 1 warning, 2 failed
 *   berth_backup_last_duration_seconds           its run time
 *   berth_backup_last_bytes_added                stats "data_added"; 0 if none
 *   berth_backup_snapshots                       snapshots in the cache
 * The four last_run..last_bytes_added series are absent until a backup of the
 * app has finished. Times are job start times: a snapshot holds the data as of
 * its start. */
#pragma once

#include "state_db.h"

/* Debian's node-exporter textfile directory (prometheus-node-exporter's
 * --collector.textfile.directory) + berth.prom. */
const char *metrics_default_path(void);

/* The file's whole text. */
int metrics_format(StateDb *db, char **ret);

/* Formats, creates the parent directories (0755) and atomically replaces path
 * (NULL: metrics_default_path()) with mode 0644. */
int metrics_write(StateDb *db, const char *path);
