/* prepare.h — what berth-prepare does before an app's containers start:
 * directories with their owners and modes, missing secrets generated, secrets
 * handed to podman, the app network. Idempotent and self-healing; never
 * rotates a secret. The caller holds the app lock. */
#pragma once

#include "app.h"
#include "berth_paths.h"
#include "diag.h"

typedef struct PrepareReport {
        unsigned volumes_changed;
        unsigned secrets_created;
        unsigned podman_secrets_updated;
        bool network_created;
} PrepareReport;

/* On failure, returns -errno and adds one diagnostic naming what failed. */
int app_prepare(const App *a, const BerthPaths *p, PrepareReport *report, Diagnostics *diag);
