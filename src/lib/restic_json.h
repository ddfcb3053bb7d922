/* restic_json.h — reading what restic prints with --json (0.14 to 0.18):
 * backup's status/summary/error lines, the exit_error line of 0.17+, the
 * snapshot list and forget's groups. Pure parsing with json-c: no process is
 * run here (restic.c runs restic), so recorded real output tests it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "restic.h"
#include "snapshot.h"

typedef enum ResticMessageType {
        RESTIC_MESSAGE_NONE,        /* not a JSON object with a message_type */
        RESTIC_MESSAGE_STATUS,      /* backup progress (stdout) */
        RESTIC_MESSAGE_SUMMARY,     /* backup's last line (stdout) */
        RESTIC_MESSAGE_ERROR,       /* a file that could not be read (stderr) */
        RESTIC_MESSAGE_EXIT_ERROR,  /* 0.17+: the fatal error, on stderr */
        RESTIC_MESSAGE_OTHER,       /* verbose_status and whatever comes later */
} ResticMessageType;

typedef struct ResticMessage {
        ResticMessageType type;
        ResticProgress progress;      /* STATUS */
        ResticBackupSummary summary;  /* SUMMARY */
        char *text;                   /* ERROR: "ITEM: what went wrong"; EXIT_ERROR: the message */
        bool during_scan;             /* ERROR met by the scanner, which only estimates the
                                       * totals: the archiver reports the same item again */
        int code;                     /* EXIT_ERROR: restic's exit code */
} ResticMessage;

void restic_message_done(ResticMessage *m);
/* One line of restic --json output. A line that is not a JSON object with a
 * message_type gives RESTIC_MESSAGE_NONE (restic prints plain text too).
 * Returns 0, or -ENOMEM. */
int restic_message_parse(const char *line, size_t len, ResticMessage *ret);

/* RFC 3339 with optional fractional seconds (nanoseconds are truncated to
 * microseconds) and a Z or ±hh:mm zone → microseconds since the epoch. */
int restic_time_parse(const char *s, usec_t *ret);

/* `restic snapshots --json`: an array of snapshots → SnapshotInfo, oldest
 * first. app, job_id and kind come from the app:<id>, job:<n>, kind:<k> tags.
 * -EBADMSG for output that is not such an array. */
int restic_snapshots_parse(const char *json, size_t len, SnapshotInfo **ret, size_t *ret_n);

/* `restic forget --json`: the ids of every group's "remove" list. */
int restic_forget_parse(const char *json, size_t len, char ***ret_removed);
