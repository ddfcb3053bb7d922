/* podman_run.c — podman argument builder. */
#include <stdarg.h>

#include "podman_run.h"
#include "strv.h"

static const PodmanOptInfo opt_table[_POPT_MAX] = {
        [POPT_NAME]                = { "--name",                true,  "ContainerName",     QUADLET_VALUE },
        [POPT_LABEL]               = { "--label",               true,  "Label",             QUADLET_WORD },
        [POPT_NETWORK]             = { "--network",             true,  "Network",           QUADLET_NETWORK },
        [POPT_NETWORK_ALIAS]       = { "--network-alias",       true,  "NetworkAlias",      QUADLET_VALUE },
        [POPT_INIT]                = { "--init",                false, "RunInit",           QUADLET_TRUE },
        [POPT_NO_NEW_PRIVILEGES]   = { "--security-opt",        true,  "NoNewPrivileges",   QUADLET_TRUE },
        [POPT_CAP_DROP]            = { "--cap-drop",            true,  "DropCapability",    QUADLET_VALUE },
        [POPT_CAP_ADD]             = { "--cap-add",             true,  "AddCapability",     QUADLET_VALUE },
        [POPT_READ_ONLY]           = { "--read-only",           false, "ReadOnly",          QUADLET_TRUE },
        [POPT_UIDMAP]              = { "--uidmap",              true,  "UIDMap",            QUADLET_VALUE },
        [POPT_GIDMAP]              = { "--gidmap",              true,  "GIDMap",            QUADLET_VALUE },
        [POPT_USER]                = { "--user",                true,  "User",              QUADLET_USER },
        [POPT_ENTRYPOINT]          = { "--entrypoint",          true,  "Entrypoint",        QUADLET_VALUE },
        [POPT_ENV]                 = { "--env",                 true,  "Environment",       QUADLET_WORD },
        [POPT_SECRET]              = { "--secret",              true,  "Secret",            QUADLET_VALUE },
        [POPT_PUBLISH]             = { "--publish",             true,  "PublishPort",       QUADLET_VALUE },
        [POPT_VOLUME]              = { "--volume",              true,  "Volume",            QUADLET_VALUE },
        [POPT_HEALTH_CMD]          = { "--health-cmd",          true,  "HealthCmd",         QUADLET_VALUE },
        [POPT_HEALTH_INTERVAL]     = { "--health-interval",     true,  "HealthInterval",    QUADLET_VALUE },
        [POPT_HEALTH_TIMEOUT]      = { "--health-timeout",      true,  "HealthTimeout",     QUADLET_VALUE },
        [POPT_HEALTH_RETRIES]      = { "--health-retries",      true,  "HealthRetries",     QUADLET_VALUE },
        [POPT_HEALTH_START_PERIOD] = { "--health-start-period", true,  "HealthStartPeriod", QUADLET_VALUE },
        [POPT_HEALTH_ON_FAILURE]   = { "--health-on-failure",   true,  "HealthOnFailure",   QUADLET_VALUE },
        [POPT_MEMORY]              = { "--memory",              true,  NULL,                QUADLET_PODMAN_ARGS },
        [POPT_CPUS]                = { "--cpus",                true,  NULL,                QUADLET_PODMAN_ARGS },
        [POPT_PIDS_LIMIT]          = { "--pids-limit",          true,  "PidsLimit",         QUADLET_VALUE },
        [POPT_STOP_TIMEOUT]        = { "--stop-timeout",        true,  "StopTimeout",       QUADLET_VALUE },
        [POPT_LOG_DRIVER]          = { "--log-driver",          true,  "LogDriver",         QUADLET_VALUE },
        [POPT_PULL]                = { "--pull",                true,  "Pull",              QUADLET_VALUE },
};

const PodmanOptInfo *podman_opt_info(PodmanOpt o) {
        return o < _POPT_MAX ? &opt_table[o] : NULL;
}

PodmanRun *podman_run_free(PodmanRun *p) {
        if (!p)
                return NULL;
        arena_done(&p->values);
        free(p->args);
        free(p->image);
        strv_free(p->command);
        free(p);
        return NULL;
}

/* word: NULL for a flag, else "--flag=value" in p->values. The array grows by
 * doubling: the generator adds ~20 options per container, thousands of
 * containers per boot. */
static int podman_run_take(PodmanRun *p, PodmanOpt o, char *word) {
        if (p->n_args == 0 || (p->n_args >= 16 && (p->n_args & (p->n_args - 1)) == 0)) {
                PodmanArg *t = realloc(p->args, sizeof(PodmanArg) * (p->n_args ? p->n_args * 2 : 16));
                if (!t)
                        return -ENOMEM;
                p->args = t;
        }
        p->args[p->n_args++] = (PodmanArg) {
                .opt = o,
                .word = word,
                .value = word ? word + strlen(opt_table[o].flag) + 1 : NULL,
        };
        return 0;
}

/* Room for "--flag=" and a value of n bytes; returns where the value goes. */
static char *word_begin(PodmanRun *p, PodmanOpt o, size_t n, char **ret_word) {
        const char *flag = opt_table[o].flag;
        size_t k = strlen(flag);
        char *w = arena_alloc_string(&p->values, k + 1 + n);

        if (!w)
                return NULL;
        memcpy(w, flag, k);
        w[k] = '=';
        *ret_word = w;
        return w + k + 1;
}

int podman_run_add(PodmanRun *p, PodmanOpt o, const char *value) {
        char *word = NULL, *v;
        size_t n;

        if (value) {
                n = strlen(value);
                v = word_begin(p, o, n, &word);
                if (!v)
                        return -ENOMEM;
                memcpy(v, value, n + 1);
        }
        return podman_run_take(p, o, word);
}

int podman_run_add_join_internal(PodmanRun *p, PodmanOpt o, const char *first, ...) {
        va_list ap;
        char *word, *v;

        va_start(ap, first);
        v = word_begin(p, o, strjoin_va_len(first, ap), &word);
        va_end(ap);
        if (!v)
                return -ENOMEM;
        va_start(ap, first);
        strjoin_va_copy(v, first, ap);
        va_end(ap);
        return podman_run_take(p, o, word);
}

const char *podman_run_get(const PodmanRun *p, PodmanOpt o) {
        for (size_t i = 0; i < p->n_args; i++)
                if (p->args[i].opt == o)
                        return p->args[i].value;
        return NULL;
}

int podman_run_option_words(const PodmanRun *p, char ***ret) {
        char **l = malloc(sizeof(char *) * (p->n_args + 1));

        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < p->n_args; i++) {
                const PodmanOptInfo *info = &opt_table[p->args[i].opt];
                l[i] = info->has_value ? p->args[i].word : (char *) info->flag;
        }
        l[p->n_args] = NULL;
        *ret = l;
        return 0;
}
