/* systemd_client.h — asking systemd (over D-Bus, sd-bus) to start and stop
 * units and waiting for the jobs to finish, the way systemctl does: subscribe,
 * enqueue, wait for JobRemoved of our job. */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "app.h"
#include "macro.h"


/* System bus, or the user's bus for rootless apps. (sd-bus.h provides
 * sd_bus_flush_close_unrefp for cleanup.) */
int systemd_bus_open(bool user, sd_bus **ret);

/* A queued job being watched: enqueue, then drive the bus (sd_bus_process /
 * sd_bus_wait, or poll its fd alongside others) until done. */
typedef struct SystemdJob {
        sd_bus_slot *slot;
        char *path;
        char *result;   /* set when done */
        bool done;
} SystemdJob;

int systemd_job_enqueue(sd_bus *bus, const char *method, const char *unit, SystemdJob *ret);
void systemd_job_done(SystemdJob *j);

/* Enqueues a job (method "StartUnit"/"StopUnit"/"RestartUnit", mode "replace")
 * and, when wait, waits up to timeout (0: forever) for it to finish. The job's
 * result ("done", "failed", "timeout", "canceled", "dependency", "skipped")
 * goes to *ret_result when wait. */
int systemd_unit_job(sd_bus *bus, const char *method, const char *unit, bool wait, usec_t timeout,
                     char **ret_result);
/* systemctl daemon-reload: the generators run again; returns when the manager
 * has reloaded. */
int systemd_daemon_reload(sd_bus *bus);
/* ActiveState of a unit ("active", "inactive", "failed", ...). */
int systemd_unit_active_state(sd_bus *bus, const char *unit, char **ret);
/* Whether a file of the unit changed since systemd loaded it (its fragment,
 * drop-ins, or the file its SourcePath= names): 1 yes, 0 no, or -errno. */
int systemd_unit_needs_reload(sd_bus *bus, const char *unit);
/* Starts a transient oneshot service running argv (like systemd-run), with
 * env as its Environment=; the start job is watched through ret (see
 * SystemdJob). */
int systemd_run_transient(sd_bus *bus, const char *unit, const char *description, char *const *argv,
                          char *const *env, SystemdJob *ret);
/* The StartTransientUnit call systemd_run_transient makes, for callers that
 * send it themselves (asynchronously, like berthd). */
int systemd_transient_message_new(sd_bus *bus, const char *unit, const char *description, char *const *argv,
                                  char *const *env, sd_bus_message **ret);
