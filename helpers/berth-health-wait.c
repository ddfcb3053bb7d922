/* berth-health-wait CONTAINER — returns once podman reports the container
 * healthy. Runs as ExecStartPost= of a container with a health check, so the
 * unit (and everything ordered after it through depends_on) becomes active
 * only when the container is healthy — on podman 4.3, which lacks
 * --sdnotify=healthy, as on podman 5. The checks themselves stay podman's (its
 * timer, the manifest's interval and retries); this only watches.
 * The unit's TimeoutStartSec= bounds the wait.
 * Exit status: 0 healthy; 1 the container stopped first, or podman failed; 2 usage. */
#include <time.h>

#include "container_state.h"
#include "log.h"

static double now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

int main(int argc, char *argv[]) {
        double start = now(), next_note = 30;
        const char *name;
        int r;

        log_open("berth-health-wait");
        if (argc != 2) {
                log_error("Usage: berth-health-wait CONTAINER");
                return 2;
        }
        name = argv[1];
        log_set_field("CONTAINER", name);
        for (;;) {
                ContainerState s;
                r = container_state_get(name, &s);
                if (r < 0) {
                        log_errno(LOG_ERR_LEVEL, r, "Failed to inspect container '%s'", name);
                        return 1;
                }
                if (!s.exists || !s.running) {
                        log_error("Container '%s' %s before it became healthy", name, s.exists ? "stopped" : "disappeared");
                        return 1;
                }
                if (s.health == HEALTH_HEALTHY) {
                        log_info("Container '%s' is healthy after %.1f s", name, now() - start);
                        return 0;
                }
                if (s.health == HEALTH_NONE) {
                        log_warning("Container '%s' has no health check, not waiting", name);
                        return 0;
                }
                if (now() - start >= next_note) {
                        log_info("Waiting for container '%s' to become healthy (%s for %.0f s)", name,
                                 health_state_to_string(s.health), now() - start);
                        next_note += 30;
                }
                struct timespec ts = { 0, 500 * 1000 * 1000 };
                nanosleep(&ts, NULL);
        }
}
