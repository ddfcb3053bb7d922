/* log.c — edge logging to /dev/kmsg, the journal or stderr. The journal is
 * reached through a function log_journal.c hands in, so that a program that
 * only logs to kmsg (the generator) does not link libsystemd. */
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "log-internal.h"

#define MAX_FIELDS 8

static int kmsg_fd = -EBADF;
static LogJournalSendv journal_sendv; /* NULL: not connected to the journal */
static const char *log_ident = "berth";
static char *fields[MAX_FIELDS]; /* "KEY=value" */

/* stderr is the journal when its device:inode is the one in JOURNAL_STREAM. */
static bool stderr_is_journal(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2 || fstat(2, &st) < 0)
                return false;
        return (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino;
}

void log_open_internal(const char *ident, LogJournalSendv sendv) {
        log_ident = ident;
        journal_sendv = sendv && stderr_is_journal() ? sendv : NULL;
}

void log_open_kmsg(const char *ident) {
        /* A generator talks to nobody: kmsg or stderr only. */
        log_open_internal(ident, NULL);
        if (kmsg_fd < 0)
                kmsg_fd = open("/dev/kmsg", O_WRONLY | O_NOCTTY | O_CLOEXEC);
}

void log_close(void) {
        kmsg_fd = safe_close(kmsg_fd);
        for (size_t i = 0; i < MAX_FIELDS; i++) {
                free(fields[i]);
                fields[i] = NULL;
        }
}

void log_set_field(const char *key, const char *value) {
        size_t k = strlen(key), slot = MAX_FIELDS;

        for (size_t i = 0; i < MAX_FIELDS; i++) {
                if (fields[i] && strncmp(fields[i], key, k) == 0 && fields[i][k] == '=') {
                        free(fields[i]);
                        fields[i] = NULL;
                        slot = i;
                } else if (!fields[i] && slot == MAX_FIELDS)
                        slot = i;
        }
        if (value && slot < MAX_FIELDS && asprintf(&fields[slot], "%s=%s", key, value) < 0)
                fields[slot] = NULL;
}

static void log_line(int level, const char *msg) {
        _cleanup_free_ char *line = NULL;
        int n;

        if (journal_sendv) {
                _cleanup_free_ char *m = NULL, *p = NULL, *id = NULL;
                struct iovec iov[3 + MAX_FIELDS];
                size_t k = 0;

                if (asprintf(&m, "MESSAGE=%s", msg) >= 0 && asprintf(&p, "PRIORITY=%d", level) >= 0 &&
                    asprintf(&id, "SYSLOG_IDENTIFIER=%s", log_ident) >= 0) {
                        iov[k++] = (struct iovec) { m, strlen(m) };
                        iov[k++] = (struct iovec) { p, strlen(p) };
                        iov[k++] = (struct iovec) { id, strlen(id) };
                        for (size_t i = 0; i < MAX_FIELDS; i++)
                                if (fields[i])
                                        iov[k++] = (struct iovec) { fields[i], strlen(fields[i]) };
                        if (journal_sendv(iov, (int) k) >= 0)
                                return;
                }
        }
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
        m = vstrprintf(fmt, ap);
        va_end(ap);
        log_line(level, m ?: "(out of memory while formatting a message)");
}

int log_errno(int level, int err, const char *fmt, ...) {
        _cleanup_free_ char *m = NULL;
        va_list ap;

        va_start(ap, fmt);
        m = vstrprintf(fmt, ap);
        va_end(ap);
        log_msg(level, "%s: %s", m ?: "(out of memory)", strerror(err < 0 ? -err : err));
        return err;
}

void log_diagnostics(int level, const Diagnostics *d) {
        _cleanup_free_ char *t = diag_trailer(d);

        for (size_t i = 0; i < d->n; i++) {
                _cleanup_free_ char *s = diag_format(&d->items[i]);
                log_line(level, s ?: d->items[i].message);
        }
        if (t)
                log_line(level, t);
}
