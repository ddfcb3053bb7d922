/* app_status.c — health from unit states. */
#include "app_status.h"
#include "macro.h"

static const char *const container_health_table[_CONTAINER_HEALTH_MAX] = {
        [CONTAINER_HEALTH_UNKNOWN] = "unknown",
        [CONTAINER_HEALTH_INACTIVE] = "inactive",
        [CONTAINER_HEALTH_STARTING] = "starting",
        [CONTAINER_HEALTH_RUNNING] = "running",
        [CONTAINER_HEALTH_HEALTHY] = "healthy",
        [CONTAINER_HEALTH_UNHEALTHY] = "unhealthy",
};

static const char *const app_health_table[_APP_HEALTH_MAX] = {
        [APP_HEALTH_UNKNOWN] = "unknown",
        [APP_HEALTH_INACTIVE] = "inactive",
        [APP_HEALTH_STARTING] = "starting",
        [APP_HEALTH_HEALTHY] = "healthy",
        [APP_HEALTH_DEGRADED] = "degraded",
        [APP_HEALTH_UNHEALTHY] = "unhealthy",
};

const char *container_health_to_string(ContainerHealth h) {
        return h >= 0 && h < _CONTAINER_HEALTH_MAX ? container_health_table[h] : NULL;
}

const char *app_health_to_string(AppHealth h) {
        return h >= 0 && h < _APP_HEALTH_MAX ? app_health_table[h] : NULL;
}

ContainerHealth container_health_from_unit(bool has_check, const char *active_state, const char *sub_state) {
        if (!active_state)
                return CONTAINER_HEALTH_UNKNOWN;
        if (streq(active_state, "failed"))
                return CONTAINER_HEALTH_UNHEALTHY;
        /* After a failure with Restart=, the unit waits in activating/auto-restart
         * (systemd < 254: activating; later: also the sub state "auto-restart-queued"). */
        if (sub_state && startswith(sub_state, "auto-restart"))
                return CONTAINER_HEALTH_UNHEALTHY;
        if (streq(active_state, "activating"))
                return CONTAINER_HEALTH_STARTING;
        if (streq(active_state, "active") || streq(active_state, "reloading") || streq(active_state, "refreshing"))
                return has_check ? CONTAINER_HEALTH_HEALTHY : CONTAINER_HEALTH_RUNNING;
        /* inactive, deactivating, maintenance */
        return CONTAINER_HEALTH_INACTIVE;
}

AppHealth app_health_aggregate(const ContainerHealth *c, size_t n) {
        size_t counts[_CONTAINER_HEALTH_MAX] = {};

        for (size_t i = 0; i < n; i++)
                if (c[i] >= 0 && c[i] < _CONTAINER_HEALTH_MAX)
                        counts[c[i]]++;
        if (n == 0 || counts[CONTAINER_HEALTH_UNKNOWN] > 0)
                return APP_HEALTH_UNKNOWN;
        if (counts[CONTAINER_HEALTH_UNHEALTHY] > 0)
                return APP_HEALTH_UNHEALTHY;
        if (counts[CONTAINER_HEALTH_STARTING] > 0)
                return APP_HEALTH_STARTING;
        if (counts[CONTAINER_HEALTH_INACTIVE] == n)
                return APP_HEALTH_INACTIVE;
        if (counts[CONTAINER_HEALTH_INACTIVE] > 0)
                return APP_HEALTH_DEGRADED;
        return APP_HEALTH_HEALTHY;
}
