/* spawn.c — fork/exec/wait without a shell. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include "spawn.h"
#include "strv.h"

extern char **environ;

/* What a child's fd 0, 1 or 2 becomes: an fd of ours, or one of these. */
#define CHILD_INHERIT (-1)
#define CHILD_NULL (-2)

/* Our environment minus the keys env_extra sets, then env_extra; NULL when
 * there is nothing to add (the child inherits ours). */
static int build_env(char **env_extra, char ***ret) {
        _cleanup_strv_free_ char **env = NULL;

        if (!env_extra) {
                *ret = NULL;
                return 0;
        }
        for (char **x = environ; x && *x; x++) {
                size_t k = strcspn(*x, "=");
                bool overridden = false;
                STRV_FOREACH(e, env_extra)
                        if (strncmp(*x, *e, k) == 0 && (*e)[k] == '=')
                                overridden = true;
                if (!overridden && strv_extend(&env, *x) < 0)
                        return -ENOMEM;
        }
        STRV_FOREACH(e, env_extra)
                if (strv_extend(&env, *e) < 0)
                        return -ENOMEM;
        *ret = TAKE_PTR(env);
        return 0;
}

static int fork_exec(char *const argv[], char **env, const int child_fd[3], pid_t *ret_pid) {
        pid_t pid = fork();

        if (pid < 0)
                return -errno;
        if (pid == 0) {
                int null = open("/dev/null", O_RDWR | O_CLOEXEC), moved[3];
                sigset_t all;

                sigemptyset(&all);
                sigprocmask(SIG_SETMASK, &all, NULL);
                signal(SIGPIPE, SIG_DFL);
                /* Lift our fds above 2 first, so one dup2() cannot overwrite
                 * another's source (a caller's fd may itself be 0, 1 or 2). */
                for (int i = 0; i < 3; i++) {
                        int fd = child_fd[i] == CHILD_NULL ? null : child_fd[i];
                        moved[i] = -1;
                        if (child_fd[i] == CHILD_INHERIT)
                                continue;
                        if (fd < 0 || (moved[i] = fcntl(fd, F_DUPFD_CLOEXEC, 3)) < 0)
                                _exit(127);
                }
                for (int i = 0; i < 3; i++)
                        if (moved[i] >= 0 && dup2(moved[i], i) < 0)
                                _exit(127);
                if (env)
                        execve(argv[0], argv, env);
                else
                        execv(argv[0], argv);
                _exit(127);
        }
        *ret_pid = pid;
        return 0;
}

int spawn_start(char *const argv[], const SpawnOptions *o, pid_t *ret_pid, int *ret_out_fd) {
        static const SpawnOptions defaults = { .stdin_fd = -1 };
        _cleanup_strv_free_ char **env = NULL;
        int pipefd[2] = { -1, -1 }, child_fd[3];
        pid_t pid = 0;
        int r;

        if (!o)
                o = &defaults;
        r = build_env(o->env_extra, &env);
        if (r < 0)
                return r;
        if (o->capture_stdout && pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        child_fd[0] = o->stdin_fd >= 0 ? o->stdin_fd : CHILD_NULL;
        child_fd[1] = o->capture_stdout ? pipefd[1] : CHILD_INHERIT;
        child_fd[2] = o->quiet_stderr                            ? CHILD_NULL
                      : o->capture_stdout && o->capture_stderr ? pipefd[1]
                                                                 : CHILD_INHERIT;
        r = fork_exec(argv, env, child_fd, &pid);
        safe_close(pipefd[1]);
        if (r < 0) {
                safe_close(pipefd[0]);
                return r;
        }
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

/* A pipe being read line by line. */
typedef struct LineReader {
        int fd;
        char *buf;
        size_t len, cap;
        SpawnLineFn fn;
} LineReader;

/* Hands every complete line in the buffer to fn; with flush, the rest too. */
static int line_reader_deliver(LineReader *l, bool flush, void *userdata) {
        size_t start = 0;
        int r = 0;

        for (;;) {
                char *nl = l->len > start ? memchr(l->buf + start, '\n', l->len - start) : NULL;
                size_t end;

                if (!nl && !(flush && l->len > start))
                        break;
                end = nl ? (size_t) (nl - l->buf) : l->len;
                l->buf[end] = 0; /* the newline, or the byte kept free after the data */
                if (l->fn) {
                        r = l->fn(l->buf + start, end - start, userdata);
                        if (r < 0)
                                break;
                }
                start = nl ? end + 1 : l->len;
        }
        memmove(l->buf, l->buf + start, l->len - start);
        l->len -= start;
        return r;
}

/* Reads what is there; returns 1 while open, 0 at EOF, or a negative error. */
static int line_reader_read(LineReader *l, void *userdata) {
        ssize_t k;
        int r;

        if (l->cap - l->len < 4097) {
                size_t ncap = l->cap ? l->cap * 2 : 65536;
                char *t;
                if (ncap > (size_t) SPAWN_LINE_MAX + 4097)
                        return -ENOBUFS;
                t = realloc(l->buf, ncap);
                if (!t)
                        return -ENOMEM;
                l->buf = t;
                l->cap = ncap;
        }
        k = read(l->fd, l->buf + l->len, l->cap - l->len - 1);
        if (k < 0)
                return errno == EINTR || errno == EAGAIN ? 1 : -errno;
        if (k == 0) {
                r = line_reader_deliver(l, true, userdata);
                return r < 0 ? r : 0;
        }
        l->len += (size_t) k;
        r = line_reader_deliver(l, false, userdata);
        return r < 0 ? r : 1;
}

int spawn_run_streams(char *const argv[], const SpawnOptions *o, const SpawnStreams *s, int *ret_status) {
        static const SpawnOptions defaults = { .stdin_fd = -1 };
        _cleanup_strv_free_ char **env = NULL;
        int out_pipe[2] = { -1, -1 }, err_pipe[2] = { -1, -1 }, child_fd[3];
        LineReader rd[2] = {};
        pid_t pid = 0;
        int r, st;

        if (!o)
                o = &defaults;
        r = build_env(o->env_extra, &env);
        if (r < 0)
                return r;
        if (s->stdout_fd < 0 && s->on_stdout && pipe2(out_pipe, O_CLOEXEC) < 0)
                return -errno;
        if (s->on_stderr && pipe2(err_pipe, O_CLOEXEC) < 0) {
                r = -errno;
                safe_close(out_pipe[0]);
                safe_close(out_pipe[1]);
                return r;
        }
        child_fd[0] = o->stdin_fd >= 0 ? o->stdin_fd : CHILD_NULL;
        child_fd[1] = s->stdout_fd >= 0 ? s->stdout_fd : out_pipe[1] >= 0 ? out_pipe[1] : CHILD_NULL;
        child_fd[2] = err_pipe[1] >= 0 ? err_pipe[1] : o->quiet_stderr ? CHILD_NULL : CHILD_INHERIT;
        r = fork_exec(argv, env, child_fd, &pid);
        safe_close(out_pipe[1]);
        safe_close(err_pipe[1]);
        if (r < 0) {
                safe_close(out_pipe[0]);
                safe_close(err_pipe[0]);
                return r;
        }

        rd[0] = (LineReader) { .fd = out_pipe[0], .fn = s->on_stdout };
        rd[1] = (LineReader) { .fd = err_pipe[0], .fn = s->on_stderr };
        while (rd[0].fd >= 0 || rd[1].fd >= 0) {
                struct pollfd p[2] = { { .fd = rd[0].fd, .events = POLLIN }, { .fd = rd[1].fd, .events = POLLIN } };

                if (poll(p, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        break;
                }
                for (int i = 0; i < 2 && r >= 0; i++) {
                        int q;
                        if (rd[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                                continue;
                        q = line_reader_read(&rd[i], s->userdata);
                        if (q < 0)
                                r = q;
                        else if (q == 0)
                                rd[i].fd = safe_close(rd[i].fd);
                }
                if (r < 0)
                        break;
        }
        if (r < 0)
                (void) kill(pid, SIGTERM);
        for (int i = 0; i < 2; i++) {
                safe_close(rd[i].fd);
                free(rd[i].buf);
        }
        if (spawn_wait(pid, &st) < 0 && r >= 0)
                r = -errno;
        if (r < 0)
                return r;
        if (st == 127 && access(argv[0], X_OK) < 0)
                return -errno;
        *ret_status = st;
        return 0;
}
