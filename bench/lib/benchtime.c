/* benchtime — run a command once and print its wall time in nanoseconds.
 *
 *   benchtime STDERR_FILE COMMAND [ARG...]
 *
 * Measures from just before fork() to just after waitpid(), so whatever starts the
 * benchmark (a shell, chroot, env) stays outside the measurement and all three
 * programs of bench/generator are timed the same way. The command's stdout goes to
 * /dev/null, its stderr to STDERR_FILE. Exits 1 if the command fails. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char *argv[]) {
        struct timespec a, b;
        int status, errfd, nullfd;
        pid_t pid;

        if (argc < 3) {
                fprintf(stderr, "usage: benchtime STDERR_FILE COMMAND [ARG...]\n");
                return 2;
        }
        errfd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        nullfd = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (errfd < 0 || nullfd < 0) {
                fprintf(stderr, "benchtime: cannot open '%s' or /dev/null: %s\n", argv[1], strerror(errno));
                return 1;
        }
        clock_gettime(CLOCK_MONOTONIC, &a);
        pid = fork();
        if (pid < 0) {
                fprintf(stderr, "benchtime: fork: %s\n", strerror(errno));
                return 1;
        }
        if (pid == 0) {
                if (dup2(nullfd, STDOUT_FILENO) < 0 || dup2(errfd, STDERR_FILENO) < 0)
                        _exit(127);
                execv(argv[2], argv + 2);
                dprintf(errfd, "benchtime: cannot run '%s': %s\n", argv[2], strerror(errno));
                _exit(127);
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR) {
                        fprintf(stderr, "benchtime: waitpid: %s\n", strerror(errno));
                        return 1;
                }
        clock_gettime(CLOCK_MONOTONIC, &b);
        printf("%lld\n", (long long) (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec));
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                fprintf(stderr, "benchtime: '%s' failed (status 0x%x)\n", argv[2], status);
                return 1;
        }
        return 0;
}
