/* restic.h — berth's driver for restic, the real program (DESIGN.md §5).
 * Credentials reach restic only through its environment (RESTIC_PASSWORD_FILE,
 * the administrator's environment file) — never argv, never a log line; every
 * repository URL shown to a human goes through restic_redact(). restic's exit
 * codes are classified (3 partial, 0.14 included; 0.17+: 10 no repository, 11
 * locked, 12 wrong password); older restic (Debian 12 ships 0.14) reports the
 * last three as 1, so the classification also reads its stderr. Parsing of
 * restic's --json output lives in restic_json.[ch], redaction in
 * restic_redact.c. */
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
 * <state>/restic-password (conf may be NULL: the defaults). RESTIC_CACHE_DIR
 * from the environment if set. backup.environment_file is read with
 * restic_env_file_parse(). On failure *ret_error (may be NULL) says why in one
 * line that never holds a credential: -EINVAL (bad environment file, a
 * repository without password file), -errno (file unreadable), -ENOMEM. */
int restic_repo_from_conf(const BerthConf *conf, const BerthPaths *paths, ResticRepo *ret, char **ret_error);
/* The administrator's environment file: KEY=VALUE lines, blank lines and
 * #-comments; no shell expansion, no escapes — the value is the rest of the
 * line, without one pair of enclosing quotes ("..." or '...'). KEY is letters,
 * digits and '_', not starting with a digit, each at most once; the variables
 * berth sets from berth.conf (RESTIC_REPOSITORY[_FILE], RESTIC_PASSWORD[_FILE
 * |_COMMAND]) are refused. -EINVAL with "FILE:LINE: what is wrong" in
 * *ret_error (never the line's text). */
int restic_env_file_parse(const char *path, char ***ret_env, char **ret_error);
/* The default repository's password file, generated (libsodium, 48 characters,
 * 0600) if missing: returns 1 when made now, 0 when it existed. For another
 * repository only checks that its password file is readable. */
int restic_default_password_ensure(const ResticRepo *r);
/* "sftp:user@host:/path" stays; "rest:https://u:p@h/x" → "rest:https://u:***@h/x";
 * s3/azure/gs query strings, userinfo passwords and rclone connection-string
 * parameters masked; a local path is returned as is. NULL only on ENOMEM. */
char *restic_redact(const char *url);
/* text (restic's stderr) with the repository URL redacted and every credential
 * masked as "***": the URL's password and query, and each value from the
 * environment file (one of fewer than 4 characters only where it stands alone,
 * so that a flag like "1" does not blank every digit). */
char *restic_redact_output(const ResticRepo *r, const char *text);
/* Classify an exit status, with stderr for restic < 0.17: there these come as
 * exit status 1 with "Is there a repository at the following location?" (0.14
 * asks that after any failure to read the config, an unreachable server too,
 * so a not-found answer must also be there: "no such file or directory",
 * "does not exist", ...) or 0.17+'s "repository does not exist"; "unable to
 * create lock in backend" / "repository is already locked"; "wrong password or
 * no key found". */
ResticResult restic_classify(int exit_status, const char *stderr_text);

typedef struct ResticProgress {
        double percent_done;     /* 0..1 */
        uint64_t total_files, files_done;
        uint64_t total_bytes, bytes_done;
        uint64_t seconds_elapsed;
        uint64_t error_count;
} ResticProgress;

typedef struct ResticBackupSummary {
        char *snapshot_id;       /* restic 0.14 gives the short id here, 0.17+ the full one */
        uint64_t files_new, files_changed, files_unmodified;
        uint64_t dirs_new, dirs_changed, dirs_unmodified;
        uint64_t data_added;
        uint64_t total_files_processed, total_bytes_processed;
        double total_duration;
        uint64_t error_count;    /* items that could not be read ("error" lines; the
                                  * scanner's repeats of the same item not counted) */
} ResticBackupSummary;

void restic_backup_summary_done(ResticBackupSummary *s);

typedef void (*ResticProgressFn)(const ResticProgress *p, void *userdata);

/* Every call: returns 0 when restic ran (its outcome in *ret_result and, when
 * not RESTIC_OK, the last lines of its stderr, redacted and joined with "; ",
 * in *ret_error, which may be NULL), or -errno when it could not be run at all
 * (-ENOENT: no restic at BERTH_RESTIC), -EINVAL for a bad argument (a tag with
 * ',', a snapshot that is not a hex id), -EBADMSG for output not understood. */
int restic_init(const ResticRepo *r, ResticResult *ret_result, char **ret_error);
/* `restic cat config`: does the repository exist and open with this password? */
int restic_check_access(const ResticRepo *r, ResticResult *ret_result, char **ret_error);
/* `restic backup --json`: progress (may be NULL) is called for every status
 * line, as often as restic prints them (60 a second): throttling is the
 * caller's. *ret_summary is filled whenever restic ran (zeroes without a
 * summary line; RESTIC_OK without one is reported as RESTIC_FAILED). host NULL:
 * restic's own hostname. */
int restic_backup(const ResticRepo *r, char *const *paths, char *const *tags, const char *host,
                  ResticProgressFn progress, void *userdata, ResticBackupSummary *ret_summary,
                  ResticResult *ret_result, char **ret_error);
/* RESTIC_BACKUP_IGNORE_INODE: a file whose size and mtime match the parent
 * snapshot is taken as unchanged even if its inode number and ctime changed
 * (--ignore-inode --ignore-ctime): files put back by a restore keep their mtime
 * but not their inode or ctime. */
#define RESTIC_BACKUP_IGNORE_INODE (1U << 0)
int restic_backup_with(const ResticRepo *r, char *const *paths, char *const *tags, const char *host, unsigned flags,
                       ResticProgressFn progress, void *userdata, ResticBackupSummary *ret_summary,
                       ResticResult *ret_result, char **ret_error);
/* Snapshots carrying every tag in tags (e.g. {"app:immich", NULL}; NULL: all),
 * oldest first. */
int restic_snapshots(const ResticRepo *r, char *const *tags, SnapshotInfo **ret, size_t *ret_n,
                     ResticResult *ret_result, char **ret_error);
/* forget by the retention policy among snapshots with tag, grouped by host
 * (`forget --tag T --group-by host --keep-…` with the non-zero keep-* only);
 * the ids removed are returned in *ret_removed (may be NULL). A policy of all
 * zeroes keeps everything: restic is not run, RESTIC_OK, nothing removed. */
int restic_forget(const ResticRepo *r, const char *tag, const Retention *keep, char ***ret_removed,
                  ResticResult *ret_result, char **ret_error);
int restic_prune(const ResticRepo *r, ResticResult *ret_result, char **ret_error);
/* `restic unlock`: removes stale locks only (a live holder's lock stays). */
int restic_unlock_stale(const ResticRepo *r, ResticResult *ret_result, char **ret_error);
/* Restore snapshot (only the given paths inside it, all when NULL) into target:
 * `restore SNAP --target DIR [--include P]...`. snapshot is a restic id (8 to
 * 64 hex digits); "latest" is refused because it would ignore the app's tag:
 * resolve it with restic_snapshots(). */
int restic_restore(const ResticRepo *r, const char *snapshot, const char *target, char *const *include,
                   ResticResult *ret_result, char **ret_error);
/* The total size of the files below paths (paths inside the snapshot), as
 * restored: restore's free-space check. */
int restic_snapshot_size(const ResticRepo *r, const char *snapshot, char *const *paths, uint64_t *ret_bytes,
                         ResticResult *ret_result, char **ret_error);
/* Write one file of a snapshot to fd (`restic dump SNAP PATH`; a directory
 * comes as a tar stream). snapshot as for restic_restore(). */
int restic_dump(const ResticRepo *r, const char *snapshot, const char *path, int fd,
                ResticResult *ret_result, char **ret_error);
