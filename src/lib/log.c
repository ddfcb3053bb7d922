/* log.c — edge logging to /dev/kmsg or stderr. */
#include <fcntl.h>
#include <stdarg.h>

#include "log.h"

static int kmsg_fd = -EBADF;
static const char *log_ident = "berth";

void log_open(const char *ident, bool use_kmsg) {
        log_ident = ident;
        if (use_kmsg && kmsg_fd < 0)
                kmsg_fd = open("/dev/kmsg", O_WRONLY | O_NOCTTY | O_CLOEXEC);
}

void log_close(void) {
        kmsg_fd = safe_close(kmsg_fd);
}

static void log_line(int level, const char *msg) {
        _cleanup_free_ char *line = NULL;
        int n;

        if (kmsg_fd >= 0) {
                n = asprintf(&line, "<%d>%s[%d]: %s\n", level, log_ident, (int) getpid(), msg);
                if (n > 0 && write(kmsg_fd, line, (size_t) n) == n)
                        return;
        }
        fprintf(stderr, "%s: %s\n", log_ident, msg);
}

void log_msg(int level, const char *fmt, ...) {
        _cleanup_free_ char *m = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&m, fmt, ap) < 0)
                m = NULL;
        va_end(ap);
        log_line(level, m ?: "(out of memory while formatting a message)");
}

int log_errno(int level, int err, const char *fmt, ...) {
        _cleanup_free_ char *m = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&m, fmt, ap) < 0)
                m = NULL;
        va_end(ap);
        log_msg(level, "%s: %s", m ?: "(out of memory)", strerror(err < 0 ? -err : err));
        return err;
}

void log_diagnostics(int level, const Diagnostics *d) {
        for (size_t i = 0; i < d->n; i++) {
                _cleanup_free_ char *s = diag_format(&d->items[i]);
                log_line(level, s ?: d->items[i].message);
        }
        if (d->oom)
                log_line(level, "(further problems were not recorded: out of memory)");
}
