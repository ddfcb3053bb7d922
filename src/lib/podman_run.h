/* podman_run.h — a `podman run` invocation as data: typed options, the image,
 * the command. Both renderings print the same PodmanRun: the native one as
 * "--flag=value" words of ExecStart=, the Quadlet one as [Container] keys (or
 * PodmanArgs= where Quadlet has no key). Keeping one list is what makes the two
 * renderings give podman the same container. */
#pragma once

#include "arena.h"
#include "macro.h"

typedef enum PodmanOpt {
        POPT_NAME,
        POPT_LABEL,
        POPT_NETWORK,
        POPT_NETWORK_ALIAS,
        POPT_INIT,
        POPT_NO_NEW_PRIVILEGES,
        POPT_CAP_DROP,
        POPT_CAP_ADD,
        POPT_READ_ONLY,
        POPT_UIDMAP,
        POPT_GIDMAP,
        POPT_USER,
        POPT_ENTRYPOINT,
        POPT_ENV,
        POPT_SECRET,
        POPT_PUBLISH,
        POPT_VOLUME,
        POPT_HEALTH_CMD,
        POPT_HEALTH_INTERVAL,
        POPT_HEALTH_TIMEOUT,
        POPT_HEALTH_RETRIES,
        POPT_HEALTH_START_PERIOD,
        POPT_HEALTH_ON_FAILURE,
        POPT_MEMORY,
        POPT_CPUS,
        POPT_PIDS_LIMIT,
        POPT_STOP_TIMEOUT,
        POPT_LOG_DRIVER,
        POPT_PULL,
        _POPT_MAX,
} PodmanOpt;

typedef enum QuadletForm {
        QUADLET_VALUE,       /* Key=value */
        QUADLET_WORD,        /* Key="quoted value" (Environment=, Label=) */
        QUADLET_TRUE,        /* Key=true for a flag without value */
        QUADLET_PODMAN_ARGS, /* no Quadlet key: PodmanArgs=--flag=value */
        QUADLET_USER,        /* User= and Group= from "user:group" */
        QUADLET_NETWORK,     /* Network=<name>.network, the .network unit */
        QUADLET_NONE,        /* implied by Quadlet itself */
} QuadletForm;

typedef struct PodmanOptInfo {
        const char *flag;        /* "--env" */
        bool has_value;
        const char *quadlet_key; /* "Environment" */
        QuadletForm quadlet_form;
} PodmanOptInfo;

const PodmanOptInfo *podman_opt_info(PodmanOpt o);

typedef struct PodmanArg {
        PodmanOpt opt;
        /* NULL for flags without value. Both owned by PodmanRun.values: the
         * value is the end of the word, "--flag=value", which is what the
         * native rendering prints, without a copy. */
        char *word;
        char *value;
} PodmanArg;

typedef struct PodmanRun {
        PodmanArg *args;
        size_t n_args;
        char *image;
        char **command;
        /* The option values, together rather than one allocation each: ~25 per
         * container, thousands of containers per boot. */
        Arena values;
} PodmanRun;

PodmanRun *podman_run_free(PodmanRun *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(PodmanRun *, podman_run_free)

int podman_run_add(PodmanRun *p, PodmanOpt o, const char *value);
/* The value is the strings up to a NULL, joined: cheaper than formatting. */
int podman_run_add_join_internal(PodmanRun *p, PodmanOpt o, const char *first, ...) _sentinel_;
#define podman_run_add_join(p, o, ...) podman_run_add_join_internal(p, o, __VA_ARGS__, NULL)
const char *podman_run_get(const PodmanRun *p, PodmanOpt o);

/* "--flag=value" words for the container-defining options (no program, no
 * verb): an array to be freed with free(), not strv_free(); the words are p's
 * and valid as long as it is. */
int podman_run_option_words(const PodmanRun *p, char ***ret);
