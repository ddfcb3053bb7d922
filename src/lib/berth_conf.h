/* berth_conf.h — /etc/berth/berth.conf: the administrator's host-wide settings
 * (YAML, like the manifests). Absent file = embedded defaults. BERTH_CONF
 * names another file (tests, image builds). */
#pragma once

#include "app.h"
#include "diag.h"

#define BERTH_CONF_PATH "/etc/berth/berth.conf"
#define BERTH_DEFAULT_REPOSITORY "/var/lib/berth/backup"

typedef struct BerthConf {
        char *path;              /* the file read, NULL when none */
        char **host_paths;       /* directories volumes may name with path: */
        char *repository;        /* restic repository; NULL: the embedded default */
        char *password_file;     /* NULL: <state>/restic-password (generated) */
        char *environment_file;  /* KEY=VALUE lines for the restic backend (S3 keys...) */
        usec_t prune_interval;   /* restic prune at most this often; default 7d */
        unsigned lock_retries;   /* restic "repository locked" (exit 11) retries */
        bool upgrade_snapshot;   /* snapshot an app before a changed manifest first runs; default true */
        char **notify_command;   /* run by berth-notify@ on a failed job */
        char *metrics_textfile;  /* node-exporter textfile; NULL: default path */
} BerthConf;

BerthConf *berth_conf_free(BerthConf *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(BerthConf *, berth_conf_free)

/* Reads BERTH_CONF or /etc/berth/berth.conf; a missing file gives the defaults.
 * -EINVAL with diagnostics for a bad file, -errno for unreadable. */
int berth_conf_load(BerthConf **ret, Diagnostics *diag);
int berth_conf_load_path(const char *path, BerthConf **ret, Diagnostics *diag);
const char *berth_conf_path(void);
