/* container_spec.c — Container → PodmanRun. Each option carries a line on why. */
#include <json-c/json.h>

#include "container_spec.h"
#include "scalar_parse.h"
#include "strv.h"
#include "userns.h"

char *container_podman_name(const App *a, const Container *c) {
        return strjoin(a->id, "-", c->name);
}

/* podman takes --entrypoint and --health-cmd in exec form as a JSON array. */
static char *json_array(char *const *l) {
        json_object *arr = json_object_new_array();
        char *s = NULL;

        if (!arr)
                return NULL;
        STRV_FOREACH(i, l) {
                json_object *str = json_object_new_string(*i);
                if (!str || json_object_array_add(arr, str) < 0) {
                        json_object_put(str);
                        json_object_put(arr);
                        return NULL;
                }
        }
        s = strdup(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(arr);
        return s;
}

int container_spec_build(const App *a, const Container *c, const BerthPaths *paths, PodmanRun **ret) {
        _cleanup_(podman_run_freep) PodmanRun *p = calloc(1, sizeof(PodmanRun));
        _cleanup_free_ char *name = container_podman_name(a, c);
        char buf[32], n1[DECIMAL_STR_MAX], n2[DECIMAL_STR_MAX];
        int r = 0;

        if (!p || !name)
                return -ENOMEM;
#define ADD(o, v) do { if ((r = podman_run_add(p, o, v)) < 0) return r; } while (0)
/* Values joined from strings (numbers by format_uint()), not formatted:
 * printf's machinery was a fifth of rendering a container. */
#define ADDJ(o, ...) do { if ((r = podman_run_add_join(p, o, __VA_ARGS__)) < 0) return r; } while (0)

        ADD(POPT_NAME, name);
        /* Labels let `podman ps --filter label=berth.app=ID` and berthd find an app's containers. */
        ADDJ(POPT_LABEL, "berth.app=", a->id);
        ADDJ(POPT_LABEL, "berth.container=", c->name);
        for (size_t i = 0; i < c->n_labels; i++)
                ADDJ(POPT_LABEL, c->labels[i].key, "=", c->labels[i].value);
        /* One network per app; containers find each other by their manifest key. */
        ADDJ(POPT_NETWORK, "berth-", a->id);
        ADD(POPT_NETWORK_ALIAS, c->name);
        /* An init as PID 1 reaps zombies and turns SIGTERM into a clean stop. */
        if (c->init)
                ADD(POPT_INIT, NULL);
        /* Hardened defaults: no privilege gain, no capabilities but those asked for. */
        ADD(POPT_NO_NEW_PRIVILEGES, "no-new-privileges");
        ADD(POPT_CAP_DROP, "all");
        STRV_FOREACH(cap, c->cap_add)
                ADD(POPT_CAP_ADD, *cap);
        if (c->read_only)
                ADD(POPT_READ_ONLY, NULL);
        /* Rootful: a private user namespace, the same range on every start. */
        if (paths->scope == SCOPE_SYSTEM) {
                uint32_t base = userns_base(a->id);
                const char *b = format_uint(n1, base), *size = format_uint(n2, USERNS_SIZE);
                ADDJ(POPT_UIDMAP, "0:", b, ":", size);
                ADDJ(POPT_GIDMAP, "0:", b, ":", size);
        }
        if (c->user)
                ADD(POPT_USER, c->user);
        if (c->entrypoint) {
                _cleanup_free_ char *j = json_array(c->entrypoint);
                if (!j)
                        return -ENOMEM;
                ADD(POPT_ENTRYPOINT, j);
        }
        for (size_t i = 0; i < c->n_env; i++) {
                const EnvVar *e = &c->env[i];
                if (e->secret) {
                        /* By reference: the value lives in podman's secret store only. */
                        _cleanup_free_ char *sn = berth_podman_secret_name(a->id, e->secret);
                        if (!sn)
                                return -ENOMEM;
                        ADDJ(POPT_SECRET, sn, ",type=env,target=", e->name);
                } else
                        ADDJ(POPT_ENV, e->name, "=", e->value);
        }
        for (size_t i = 0; i < c->n_ports; i++) {
                const PortMap *m = &c->ports[i];
                const char *host = format_uint(n1, m->host_port), *ctr = format_uint(n2, m->container_port);
                if (!m->host_ip)
                        ADDJ(POPT_PUBLISH, host, ":", ctr, "/", m->protocol);
                else if (strchr(m->host_ip, ':'))
                        ADDJ(POPT_PUBLISH, "[", m->host_ip, "]:", host, ":", ctr, "/", m->protocol);
                else
                        ADDJ(POPT_PUBLISH, m->host_ip, ":", host, ":", ctr, "/", m->protocol);
        }
        for (size_t i = 0; i < c->n_mounts; i++) {
                const Volume *v = app_find_volume(a, c->mounts[i].volume);
                _cleanup_free_ char *host = v ? berth_volume_path(paths, a->id, v) : NULL;
                if (!host)
                        return v ? -ENOMEM : -EINVAL;
                ADDJ(POPT_VOLUME, host, ":", c->mounts[i].target, c->mounts[i].read_only ? ":ro" : "");
        }
        if (c->health) {
                const Health *h = c->health;
                _cleanup_free_ char *cmd = h->cmd ? json_array(h->cmd) : strdup(h->shell);
                if (!cmd)
                        return -ENOMEM;
                ADD(POPT_HEALTH_CMD, cmd);
                ADD(POPT_HEALTH_INTERVAL, format_go_duration(buf, sizeof(buf), h->interval));
                ADD(POPT_HEALTH_TIMEOUT, format_go_duration(buf, sizeof(buf), h->timeout));
                ADD(POPT_HEALTH_RETRIES, format_uint(n1, h->retries));
                if (h->start_period > 0)
                        ADD(POPT_HEALTH_START_PERIOD, format_go_duration(buf, sizeof(buf), h->start_period));
                /* Unhealthy: podman kills the container, systemd's Restart= brings it back. */
                ADD(POPT_HEALTH_ON_FAILURE, "kill");
        }
        if (c->resources.memory)
                ADD(POPT_MEMORY, format_uint(n1, c->resources.memory));
        if (c->resources.cpus_milli) {
                /* Thousandths as a decimal fraction without trailing zeros: 1500 → "1.5". */
                unsigned m = c->resources.cpus_milli;
                char frac[5] = { '.', (char) ('0' + m / 100 % 10), (char) ('0' + m / 10 % 10), (char) ('0' + m % 10), 0 };
                size_t k = 4;
                while (frac[k - 1] == '0') /* stops at the '.' */
                        frac[--k] = 0;
                if (k == 1)
                        frac[0] = 0; /* whole CPUs */
                ADDJ(POPT_CPUS, format_uint(n1, m / 1000), frac);
        }
        if (c->resources.pids)
                ADD(POPT_PIDS_LIMIT, format_uint(n1, c->resources.pids));
        ADD(POPT_STOP_TIMEOUT, format_uint(n1, c->stop_timeout / USEC_PER_SEC));
        /* The journal keeps container output with the unit's metadata. */
        ADD(POPT_LOG_DRIVER, "journald");
        /* A built image exists only locally: never try a registry for it. */
        if (c->build)
                ADD(POPT_PULL, "never");
#undef ADD
#undef ADDJ
        p->image = strdup(c->image);
        if (!p->image)
                return -ENOMEM;
        if (c->command && !(p->command = strv_copy(c->command)))
                return -ENOMEM;
        *ret = TAKE_PTR(p);
        return 0;
}
