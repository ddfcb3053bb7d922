/* app_status.h — an app's health as systemd shows it. The generator makes
 * container health visible to systemd: a container unit with a health check
 * becomes active only once the check passes (berth-health-wait in
 * ExecStartPost=), and a failing check kills the container
 * (--health-on-failure=kill), so the unit fails and Restart= brings it back.
 * The states of the container units therefore say everything about health,
 * and berthd learns them from systemd's signals without asking podman. Pure
 * functions: no I/O. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef enum ContainerHealth {
        CONTAINER_HEALTH_UNKNOWN,   /* the unit's state is not known (no systemd) */
        CONTAINER_HEALTH_INACTIVE,  /* stopped, or stopping */
        CONTAINER_HEALTH_STARTING,  /* starting; with a check: not yet passed */
        CONTAINER_HEALTH_RUNNING,   /* active, no health check */
        CONTAINER_HEALTH_HEALTHY,   /* active, and its check passed */
        CONTAINER_HEALTH_UNHEALTHY, /* failed, or waiting to be restarted after a failure */
        _CONTAINER_HEALTH_MAX,
} ContainerHealth;

typedef enum AppHealth {
        APP_HEALTH_UNKNOWN,
        APP_HEALTH_INACTIVE,   /* no container runs */
        APP_HEALTH_STARTING,   /* some container starting, none unhealthy */
        APP_HEALTH_HEALTHY,    /* every container running, checks passed */
        APP_HEALTH_DEGRADED,   /* some run, others are stopped */
        APP_HEALTH_UNHEALTHY,  /* some container failed or is being restarted */
        _APP_HEALTH_MAX,
} AppHealth;

/* active_state/sub_state as systemd names them (NULL: unknown). */
ContainerHealth container_health_from_unit(bool has_check, const char *active_state, const char *sub_state);
AppHealth app_health_aggregate(const ContainerHealth *c, size_t n);

const char *container_health_to_string(ContainerHealth h);
const char *app_health_to_string(AppHealth h);
