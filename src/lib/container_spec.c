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
        char buf[32];
        int r = 0;

        if (!p || !name)
                return -ENOMEM;
#define ADD(o, v) do { if ((r = podman_run_add(p, o, v)) < 0) return r; } while (0)
#define ADDF(o, ...) do { if ((r = podman_run_addf(p, o, __VA_ARGS__)) < 0) return r; } while (0)

        ADD(POPT_NAME, name);
        /* Labels let `podman ps --filter label=berth.app=ID` and berthd find an app's containers. */
        ADDF(POPT_LABEL, "berth.app=%s", a->id);
        ADDF(POPT_LABEL, "berth.container=%s", c->name);
        for (size_t i = 0; i < c->n_labels; i++)
                ADDF(POPT_LABEL, "%s=%s", c->labels[i].key, c->labels[i].value);
        /* One network per app; containers find each other by their manifest key. */
        ADDF(POPT_NETWORK, "berth-%s", a->id);
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
                ADDF(POPT_UIDMAP, "0:%u:%u", base, USERNS_SIZE);
                ADDF(POPT_GIDMAP, "0:%u:%u", base, USERNS_SIZE);
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
                        ADDF(POPT_SECRET, "%s,type=env,target=%s", sn, e->name);
                } else
                        ADDF(POPT_ENV, "%s=%s", e->name, e->value);
        }
        for (size_t i = 0; i < c->n_ports; i++) {
                const PortMap *m = &c->ports[i];
                if (!m->host_ip)
                        ADDF(POPT_PUBLISH, "%u:%u/%s", m->host_port, m->container_port, m->protocol);
                else if (strchr(m->host_ip, ':'))
                        ADDF(POPT_PUBLISH, "[%s]:%u:%u/%s", m->host_ip, m->host_port, m->container_port, m->protocol);
                else
                        ADDF(POPT_PUBLISH, "%s:%u:%u/%s", m->host_ip, m->host_port, m->container_port, m->protocol);
        }
        for (size_t i = 0; i < c->n_mounts; i++) {
                const Volume *v = app_find_volume(a, c->mounts[i].volume);
                _cleanup_free_ char *host = v ? berth_volume_path(paths, a->id, v) : NULL;
                if (!host)
                        return v ? -ENOMEM : -EINVAL;
                ADDF(POPT_VOLUME, "%s:%s%s", host, c->mounts[i].target, c->mounts[i].read_only ? ":ro" : "");
        }
        if (c->health) {
                const Health *h = c->health;
                _cleanup_free_ char *cmd = h->cmd ? json_array(h->cmd) : strdup(h->shell);
                if (!cmd)
                        return -ENOMEM;
                ADD(POPT_HEALTH_CMD, cmd);
                ADD(POPT_HEALTH_INTERVAL, format_go_duration(buf, sizeof(buf), h->interval));
                ADD(POPT_HEALTH_TIMEOUT, format_go_duration(buf, sizeof(buf), h->timeout));
                ADDF(POPT_HEALTH_RETRIES, "%u", h->retries);
                if (h->start_period > 0)
                        ADD(POPT_HEALTH_START_PERIOD, format_go_duration(buf, sizeof(buf), h->start_period));
                /* Unhealthy: podman kills the container, systemd's Restart= brings it back. */
                ADD(POPT_HEALTH_ON_FAILURE, "kill");
        }
        if (c->resources.memory)
                ADDF(POPT_MEMORY, "%llu", (unsigned long long) c->resources.memory);
        if (c->resources.cpus_milli) {
                unsigned m = c->resources.cpus_milli;
                if (m % 1000 == 0)
                        ADDF(POPT_CPUS, "%u", m / 1000);
                else if (m % 100 == 0)
                        ADDF(POPT_CPUS, "%u.%u", m / 1000, m % 1000 / 100);
                else if (m % 10 == 0)
                        ADDF(POPT_CPUS, "%u.%02u", m / 1000, m % 1000 / 10);
                else
                        ADDF(POPT_CPUS, "%u.%03u", m / 1000, m % 1000);
        }
        if (c->resources.pids)
                ADDF(POPT_PIDS_LIMIT, "%llu", (unsigned long long) c->resources.pids);
        ADDF(POPT_STOP_TIMEOUT, "%llu", (unsigned long long) (c->stop_timeout / USEC_PER_SEC));
        /* The journal keeps container output with the unit's metadata. */
        ADD(POPT_LOG_DRIVER, "journald");
        /* A built image exists only locally: never try a registry for it. */
        if (c->build)
                ADD(POPT_PULL, "never");
#undef ADD
#undef ADDF
        p->image = strdup(c->image);
        if (!p->image)
                return -ENOMEM;
        if (c->command && !(p->command = strv_copy(c->command)))
                return -ENOMEM;
        *ret = TAKE_PTR(p);
        return 0;
}
