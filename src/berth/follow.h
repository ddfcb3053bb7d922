/* follow.h — showing a helper's journal lines while its systemd job runs,
 * as `berth backup` and `berth restore` do. */
#pragma once

#include <systemd/sd-journal.h>

#include "systemd_client.h"

/* Opens the journal positioned at its end, matching one unit; NULL (with a
 * warning logged) when the journal cannot be read. */
sd_journal *cli_journal_open(const char *unit);
/* Drives bus and journal until job is done, printing "HH:MM:SS message". */
int cli_follow(sd_bus *bus, SystemdJob *job, sd_journal *j);
