/* restic.h — berth's driver for restic, the real program (DESIGN.md §5).
 * Credentials reach restic only through its environment (RESTIC_PASSWORD_FILE,
 * the administrator's environment file) — never argv, never a log line; every
 * repository URL shown to a human goes through restic_redact(). restic's exit
 * codes are classified (0.17+: 3 partial, 10 no repository, 11 locked, 12 wrong
 * password); older restic (Debian 12 ships 0.14) reports these as 1, so the
 * classification also reads its stderr. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "app.h"
#include "berth_conf.h"
#include "berth_paths.h"
#include "snapshot.h"

typedef struct ResticRepo {
        char *repository;    /* as configured (may hold credentials: never print it) */
        char *password_file;
        char **env;          /* KEY=VALUE from the environment file */
        char *cache_dir;     /* RESTIC_CACHE_DIR; NULL: restic's default */
        bool is_default;     /* the embedded local repository: initialised on first use */
} ResticRepo;

typedef enum ResticResult {
        RESTIC_OK,
        RESTIC_PARTIAL,          /* exit 3: snapshot written, some files unreadable */
        RESTIC_NO_REPOSITORY,    /* exit 10 */
        RESTIC_LOCKED,           /* exit 11 */
        RESTIC_WRONG_PASSWORD,   /* exit 12 */
        RESTIC_FAILED,           /* anything else */
        _RESTIC_RESULT_MAX,
} ResticResult;

const char *restic_result_to_string(ResticResult r);

void restic_repo_done(ResticRepo *r);
/* From berth.conf, or the embedded default <state>/backup with its password in
 * <state>/restic-password. RESTIC_CACHE_DIR from the environment if set. */
int restic_repo_from_conf(const BerthConf *conf, const BerthPaths *paths, ResticRepo *ret);
/* The default repository's password file, generated (libsodium, 0600) if missing. */
int restic_default_password_ensure(const ResticRepo *r);
/* "sftp:user@host:/path" stays; "rest:https://u:p@h/x" → "rest:https://u:***@h/x";
 * s3/azure/gs query strings and userinfo passwords masked. */
char *restic_redact(const char *url);
/* Classify an exit status, with stderr for restic < 0.17. */
ResticResult restic_classify(int exit_status, const char *stderr_text);

typedef struct ResticProgress {
        double percent_done;     /* 0..1 */
        uint64_t total_files, files_done;
        uint64_t total_bytes, bytes_done;
        uint64_t seconds_elapsed;
        uint64_t error_count;
} ResticProgress;

typedef struct ResticBackupSummary {
        char *snapshot_id;
        uint64_t files_new, files_changed, files_unmodified;
        uint64_t dirs_new, dirs_changed, dirs_unmodified;
        uint64_t data_added;
        uint64_t total_files_processed, total_bytes_processed;
        double total_duration;
} ResticBackupSummary;

void restic_backup_summary_done(ResticBackupSummary *s);

typedef void (*ResticProgressFn)(const ResticProgress *p, void *userdata);

/* Every call: returns 0 when restic ran (its outcome in *ret_result and, when
 * not RESTIC_OK, the last lines of its stderr, redacted, in *ret_error), or
 * -errno when it could not be run at all. */
int restic_init(const ResticRepo *r, ResticResult *ret_result, char **ret_error);
/* `restic cat config`: does the repository exist and open with this password? */
int restic_check_access(const ResticRepo *r, ResticResult *ret_result, char **ret_error);
int restic_backup(const ResticRepo *r, char *const *paths, char *const *tags, const char *host,
                  ResticProgressFn progress, void *userdata, ResticBackupSummary *ret_summary,
                  ResticResult *ret_result, char **ret_error);
/* Snapshots carrying every tag in tags (e.g. {"app:immich", NULL}). */
int restic_snapshots(const ResticRepo *r, char *const *tags, SnapshotInfo **ret, size_t *ret_n,
                     ResticResult *ret_result, char **ret_error);
/* forget by the retention policy among snapshots with tag, grouped by host;
 * the ids removed are returned in *ret_removed (may be NULL). */
int restic_forget(const ResticRepo *r, const char *tag, const Retention *keep, char ***ret_removed,
                  ResticResult *ret_result, char **ret_error);
int restic_prune(const ResticRepo *r, ResticResult *ret_result, char **ret_error);
/* Restore snapshot (only the given paths inside it, all when NULL) into target. */
int restic_restore(const ResticRepo *r, const char *snapshot, const char *target, char *const *include,
                   ResticResult *ret_result, char **ret_error);
/* Write one file of a snapshot to fd. */
int restic_dump(const ResticRepo *r, const char *snapshot, const char *path, int fd,
                ResticResult *ret_result, char **ret_error);
