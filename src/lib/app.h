/* app.h — the app model: a validated manifest (schema 1), as every berth
 * program sees it. Built only by manifest*.c from a YamlDoc; everything here has
 * already been checked (names, references, ranges, no control characters), so
 * consumers render and act on it without re-validating. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

typedef uint64_t usec_t;
#define USEC_PER_MSEC ((usec_t) 1000ULL)
#define USEC_PER_SEC ((usec_t) 1000000ULL)

typedef enum RestartPolicy {
        RESTART_NO,
        RESTART_ON_FAILURE,
        RESTART_ALWAYS,
} RestartPolicy;

typedef struct EnvVar {
        char *name;
        char *value;  /* literal value, or NULL when secret is set */
        char *secret; /* name of an app secret */
} EnvVar;

typedef struct PortMap {
        char *host_ip;        /* NULL: all addresses */
        uint16_t host_port;   /* never 0 */
        uint16_t container_port;
        char protocol[5];     /* "tcp", "udp" or "sctp" */
} PortMap;

typedef struct Mount {
        char *volume;         /* name in the app's volumes: */
        char *target;         /* absolute path inside the container */
        bool read_only;
} Mount;

typedef struct Health {
        char **cmd;           /* exec form */
        char *shell;          /* or shell form (run by /bin/sh -c in the container) */
        usec_t interval, timeout, start_period;
        unsigned retries;
} Health;

typedef struct Resources {
        uint64_t memory;      /* bytes, 0 = unlimited */
        unsigned cpus_milli;  /* thousandths of a CPU, 0 = unlimited */
        uint64_t pids;        /* 0 = unlimited */
} Resources;

typedef struct KeyValue {
        char *key;
        char *value;
} KeyValue;

typedef struct Build {
        char *context;        /* absolute directory */
        char *file;           /* Containerfile, relative to context (or absolute) */
        char *tag;
        KeyValue *args;
        size_t n_args;
} Build;

typedef struct Container {
        char *name;           /* key in the manifest */
        char *image;          /* image reference; for build: the tag */
        Build *build;
        char **command;       /* NULL: image default */
        char **entrypoint;    /* NULL: image default */
        EnvVar *env;
        size_t n_env;
        PortMap *ports;
        size_t n_ports;
        Mount *mounts;
        size_t n_mounts;
        char **depends_on;
        Health *health;
        Resources resources;
        KeyValue *labels;
        size_t n_labels;
        char *user;           /* "uid[:gid]" or a name, NULL: image default */
        bool read_only;
        char **cap_add;       /* upper case, without CAP_ */
        RestartPolicy restart;
        bool init;
        usec_t stop_timeout;
} Container;

typedef struct Volume {
        char *name;
        bool backup;
        bool has_owner;
        uid_t uid;            /* inside the container */
        gid_t gid;
        mode_t mode;
        char *path;           /* administrator-allowed host path, NULL: under the app's data dir */
        char *path_base;      /* the host_paths directory path lies below */
} Volume;

typedef enum SecretCharset {
        CHARSET_ALNUM,
        CHARSET_HEX,
        CHARSET_BASE64URL,
        CHARSET_ASCII,       /* printable ASCII without space and quotes */
        _CHARSET_MAX,
} SecretCharset;

typedef struct Secret {
        char *name;
        bool generate;        /* generated once by berth-prepare ... */
        unsigned length;
        SecretCharset charset;
        char *file;           /* ... or copied from an administrator's file */
} Secret;

typedef struct Hook {
        char *container;
        char **exec;
} Hook;

typedef struct Hooks {
        Hook *pre;
        size_t n_pre;
        Hook *post;
        size_t n_post;
} Hooks;

typedef struct Retention {
        unsigned last, hourly, daily, weekly, monthly, yearly;
} Retention;

typedef enum Quiesce {
        QUIESCE_NONE,
        QUIESCE_STOP,
} Quiesce;

typedef struct BackupPolicy {
        bool present;         /* a backup: section exists */
        char *schedule;       /* OnCalendar= expression */
        usec_t randomized_delay;
        Retention retention;
        Quiesce quiesce;
        Hooks hooks;
} BackupPolicy;

typedef struct App {
        char *id;
        char *source_path;    /* the manifest file */
        char **dropin_paths;
        char *name, *version, *description;
        bool enabled;
        Container *containers; /* in manifest order */
        size_t n_containers;
        Volume *volumes;
        size_t n_volumes;
        Secret *secrets;
        size_t n_secrets;
        BackupPolicy backup;
        Hooks migrate_hooks;
} App;

App *app_free(App *a);
DEFINE_TRIVIAL_CLEANUP_FUNC(App *, app_free)

const Container *app_find_container(const App *a, const char *name);
const Volume *app_find_volume(const App *a, const char *name);
const Secret *app_find_secret(const App *a, const char *name);

const char *restart_policy_to_string(RestartPolicy p);
const char *secret_charset_to_string(SecretCharset c);
