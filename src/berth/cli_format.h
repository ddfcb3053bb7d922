/* cli_format.h — how the CLI shows jobs and snapshots, as tables and JSON. */
#pragma once

#include <stdio.h>

#include "snapshot.h"
#include "state_db.h"

char *format_time(usec_t t);          /* "2026-11-24 05:12:03" local time, "-" for 0 */
char *format_iso8601(usec_t t);       /* UTC, for JSON */
char *format_bytes(uint64_t b);       /* "1.2 GiB" */
char *format_duration(usec_t d);      /* "1m 12s", "3.4s" */

int cli_print_jobs_table(const Job *jobs, size_t n, FILE *f);
int cli_print_jobs_json(const Job *jobs, size_t n, FILE *f);
int cli_print_snapshots_table(const SnapshotInfo *s, size_t n, FILE *f);
int cli_print_snapshots_json(const SnapshotInfo *s, size_t n, FILE *f);
