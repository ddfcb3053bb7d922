/* spawn.h — running the real programs berth drives (podman, restic,
 * systemctl). No shell is ever involved: argv goes to execv as is. Secrets go
 * to a child through stdin or a file, never through argv or the environment
 * listing of a unit. */
#pragma once

#include <sys/types.h>

#include "macro.h"

typedef struct SpawnOptions {
        int stdin_fd;          /* <0: /dev/null */
        bool capture_stdout;   /* else inherited (the journal, under a unit) */
        bool capture_stderr;   /* into the same buffer as stdout */
        bool quiet_stderr;     /* stderr to /dev/null */
        char **env_extra;      /* KEY=VALUE added to our environment */
} SpawnOptions;

/* Runs argv[0] (absolute path) and waits. *ret_status: the exit code, or
 * 128+signal. Returns 0 when the program ran (whatever its status), -errno
 * when it could not be started. ret_out receives captured output (NUL-ended). */
int spawn_run(char *const argv[], const SpawnOptions *o, int *ret_status, char **ret_out);

/* Starts without waiting; returns the pid. Output as with spawn_run but
 * readable from *ret_out_fd when capture_stdout. */
int spawn_start(char *const argv[], const SpawnOptions *o, pid_t *ret_pid, int *ret_out_fd);
int spawn_wait(pid_t pid, int *ret_status);

/* One line of a child's output, without its newline and NUL-ended (a last line
 * without a newline is delivered too). A negative return stops the run: the
 * child is sent SIGTERM, waited for, and spawn_run_streams() returns that value. */
typedef int (*SpawnLineFn)(const char *line, size_t len, void *userdata);

typedef struct SpawnStreams {
        int stdout_fd;          /* >= 0: the child's stdout is this fd (not streamed);
                                 * < 0: its lines go to on_stdout, or to /dev/null */
        SpawnLineFn on_stdout;
        SpawnLineFn on_stderr;  /* stderr's lines, read apart from stdout; NULL: stderr
                                 * is inherited (or /dev/null with quiet_stderr) */
        void *userdata;
} SpawnStreams;

/* Runs argv and waits, delivering its stdout and stderr line by line as they
 * are written (a long-running child's progress, its errors kept apart). Uses
 * stdin_fd, quiet_stderr and env_extra of o; the capture_* fields are ignored.
 * *ret_status and the return value as with spawn_run(); -ENOBUFS for a line
 * longer than SPAWN_LINE_MAX. */
#define SPAWN_LINE_MAX (256U << 20)
int spawn_run_streams(char *const argv[], const SpawnOptions *o, const SpawnStreams *s, int *ret_status);
