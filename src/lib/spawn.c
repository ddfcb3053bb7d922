/* spawn.c — fork/exec/wait without a shell. */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include "spawn.h"
#include "strv.h"

extern char **environ;

int spawn_start(char *const argv[], const SpawnOptions *o, pid_t *ret_pid, int *ret_out_fd) {
        static const SpawnOptions defaults = { .stdin_fd = -1 };
        _cleanup_strv_free_ char **env = NULL;
        int pipefd[2] = { -1, -1 };
        pid_t pid;

        if (!o)
                o = &defaults;
        if (o->env_extra) {
                /* Our environment minus the keys env_extra sets, then env_extra. */
                for (char **x = environ; x && *x; x++) {
                        size_t k = strcspn(*x, "=");
                        bool overridden = false;
                        STRV_FOREACH(e, o->env_extra)
                                if (strncmp(*x, *e, k) == 0 && (*e)[k] == '=')
                                        overridden = true;
                        if (!overridden && strv_extend(&env, *x) < 0)
                                return -ENOMEM;
                }
                STRV_FOREACH(e, o->env_extra)
                        if (strv_extend(&env, *e) < 0)
                                return -ENOMEM;
        }
        if (o->capture_stdout && pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                int r = -errno;
                safe_close(pipefd[0]);
                safe_close(pipefd[1]);
                return r;
        }
        if (pid == 0) {
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);
                sigset_t all;

                sigemptyset(&all);
                sigprocmask(SIG_SETMASK, &all, NULL);
                signal(SIGPIPE, SIG_DFL);
                if (dup2(o->stdin_fd >= 0 ? o->stdin_fd : null, 0) < 0)
                        _exit(127);
                if (o->capture_stdout) {
                        if (dup2(pipefd[1], 1) < 0)
                                _exit(127);
                        if (o->capture_stderr && dup2(pipefd[1], 2) < 0)
                                _exit(127);
                }
                if (o->quiet_stderr && dup2(null, 2) < 0)
                        _exit(127);
                if (env)
                        execve(argv[0], argv, env);
                else
                        execv(argv[0], argv);
                _exit(127);
        }
        safe_close(pipefd[1]);
        *ret_pid = pid;
        if (ret_out_fd)
                *ret_out_fd = pipefd[0];
        else
                safe_close(pipefd[0]);
        return 0;
}

int spawn_wait(pid_t pid, int *ret_status) {
        int st;

        for (;;) {
                if (waitpid(pid, &st, 0) >= 0)
                        break;
                if (errno != EINTR)
                        return -errno;
        }
        *ret_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        return 0;
}

int spawn_run(char *const argv[], const SpawnOptions *o, int *ret_status, char **ret_out) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, cap = 0;
        pid_t pid;
        int r, st;

        r = spawn_start(argv, o, &pid, o && o->capture_stdout ? &fd : NULL);
        if (r < 0)
                return r;
        if (fd >= 0)
                for (;;) {
                        ssize_t k;
                        if (cap - len < 4096) {
                                char *t = realloc(buf, cap + 65536);
                                if (!t) {
                                        r = -ENOMEM;
                                        break;
                                }
                                buf = t;
                                cap += 65536;
                        }
                        k = read(fd, buf + len, cap - len - 1);
                        if (k < 0 && errno == EINTR)
                                continue;
                        if (k <= 0)
                                break;
                        len += (size_t) k;
                }
        fd = safe_close(fd);
        if (spawn_wait(pid, &st) < 0 && r >= 0)
                r = -errno;
        if (r < 0)
                return r;
        /* 127 is also what the child reports when execv() failed. */
        if (st == 127 && access(argv[0], X_OK) < 0)
                return -errno;
        *ret_status = st;
        if (ret_out) {
                if (!buf && !(buf = strdup("")))
                        return -ENOMEM;
                buf[len] = 0;
                *ret_out = TAKE_PTR(buf);
        }
        return 0;
}
