/* container_state.h — a container's state as podman reports it
 * (`podman container inspect`), read with json-c. podman 4.3 and 5 name the
 * health object differently (State.Healthcheck / State.Health); both are read. */
#pragma once

#include <stdbool.h>

typedef enum HealthState {
        HEALTH_NONE,      /* no health check */
        HEALTH_STARTING,
        HEALTH_HEALTHY,
        HEALTH_UNHEALTHY,
} HealthState;

typedef struct ContainerState {
        bool exists;
        bool running;
        HealthState health;
        char status[32];  /* podman's State.Status: running, exited, ... */
} ContainerState;

int container_state_parse(const char *inspect_json, ContainerState *ret);
int container_state_get(const char *name, ContainerState *ret);
const char *health_state_to_string(HealthState h);
