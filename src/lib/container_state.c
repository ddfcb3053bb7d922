/* container_state.c — parse podman inspect output. */
#include <json-c/json.h>
#include <stdio.h>

#include "container_state.h"
#include "macro.h"
#include "podman_cli.h"

const char *health_state_to_string(HealthState h) {
        static const char *const t[] = {
                [HEALTH_NONE] = "none",
                [HEALTH_STARTING] = "starting",
                [HEALTH_HEALTHY] = "healthy",
                [HEALTH_UNHEALTHY] = "unhealthy",
        };
        return t[h];
}

int container_state_parse(const char *inspect_json, ContainerState *ret) {
        json_object *root, *c, *state, *x, *health = NULL;
        ContainerState s = { .exists = true };

        root = json_tokener_parse(inspect_json);
        if (!root)
                return -EBADMSG;
        c = json_object_is_type(root, json_type_array) ? json_object_array_get_idx(root, 0) : root;
        if (!c || !json_object_object_get_ex(c, "State", &state)) {
                json_object_put(root);
                return -EBADMSG;
        }
        if (json_object_object_get_ex(state, "Running", &x))
                s.running = json_object_get_boolean(x);
        if (json_object_object_get_ex(state, "Status", &x))
                snprintf(s.status, sizeof(s.status), "%s", json_object_get_string(x));
        if (!json_object_object_get_ex(state, "Health", &health))
                json_object_object_get_ex(state, "Healthcheck", &health);
        if (health && json_object_object_get_ex(health, "Status", &x)) {
                const char *v = json_object_get_string(x);
                if (streq(v, "healthy"))
                        s.health = HEALTH_HEALTHY;
                else if (streq(v, "unhealthy"))
                        s.health = HEALTH_UNHEALTHY;
                else if (streq(v, "starting"))
                        s.health = HEALTH_STARTING;
        }
        json_object_put(root);
        *ret = s;
        return 0;
}

int container_state_get(const char *name, ContainerState *ret) {
        _cleanup_free_ char *json = NULL;
        int r;

        r = podman_container_inspect(name, &json);
        if (r == -ENOENT) {
                *ret = (ContainerState) {};
                return 0;
        }
        if (r < 0)
                return r;
        return container_state_parse(json, ret);
}
