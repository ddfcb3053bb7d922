/* follow.h — showing a helper's journal lines while its systemd job runs,
 * as `berth backup` and `berth restore` do. */
#pragma once

#include <systemd/sd-journal.h>

#include "systemd_client.h"

/* Opens the journal from now on, for one unit's lines — only those logged
 * under identifier (the helper's own, not the podman events and conmon warnings
 * a hook's podman exec also leaves in the unit's journal) when not NULL; NULL
 * (with a warning logged) when the journal cannot be read. */
sd_journal *cli_journal_open(const char *unit, const char *identifier);
/* Drives bus and journal until job is done, printing "HH:MM:SS message". */
int cli_follow(sd_bus *bus, SystemdJob *job, sd_journal *j);

/* Just before starting a helper: a job row it makes starts no earlier than this. */
usec_t cli_job_start_time(void);
/* Reports the job row of kind the helper made (started at or after t_start) — as
 * JSON with --json, else one line — and returns the exit status to give: 0 for
 * succeeded or warning, the helper's own code for a failure, 1 for a job that
 * never ended (the helper died) or that was never recorded. */
int cli_job_outcome(const char *app, const char *kind, usec_t t_start, const SystemdJob *job, const char *unit);
