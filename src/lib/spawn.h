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
