/* app_control.h — stopping and starting an app as a whole, and waiting until
 * it is done. An app's target is ordered after its containers (so that
 * starting the target waits for them), which means that stopping the target
 * finishes first, while the containers are still stopping: `systemctl stop
 * berth-ID.target` returns early. Helpers that need the app really stopped
 * (quiesced backup, restore, uninstall) stop the target and every unit of the
 * app in one go and wait for all of those jobs. */
#pragma once

#include <systemd/sd-bus.h>

#include "app.h"

/* The app's units: target, prepare, build and container services. */
int app_unit_names(const App *a, char ***ret);
/* Stops them all and waits (bounded by timeout per call). *ret_failed names a
 * unit whose stop job did not end "done" (caller frees), or NULL. */
int app_is_running(sd_bus *bus, const App *a);
int app_stop_wait(sd_bus *bus, const App *a, usec_t timeout, char **ret_failed);
/* Starts the target and waits for its job (the containers, and their health). */
int app_start_wait(sd_bus *bus, const App *a, usec_t timeout, char **ret_result);
