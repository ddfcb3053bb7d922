/* backup_log.c — see backup_log.h. */
#include <stdio.h>

#include "backup_log.h"
#include "log.h"

static void log_progress(const ResticProgress *p) {
        log_info("Progress: %.0f%% (%llu of %llu files, %llu of %llu bytes, %llu s, %llu errors)",
                 p->percent_done * 100.0, (unsigned long long) p->files_done, (unsigned long long) p->total_files,
                 (unsigned long long) p->bytes_done, (unsigned long long) p->total_bytes,
                 (unsigned long long) p->seconds_elapsed, (unsigned long long) p->error_count);
}

void backup_log_flush(BackupLog *l) {
        if (l->have_pending)
                log_progress(&l->pending);
        l->have_pending = false;
}

static void on_step(void *userdata, int level, const char *message) {
        /* restic's last report first: restic ended before this step. */
        backup_log_flush(userdata);
        log_msg(level, "%s", message);
}

/* One line every 10 s is enough for the journal and `berth backup`; restic's
 * last report is logged when it ends (restic 0.17+ repeats its 100% report
 * many times a second while it finishes the snapshot; 0.14 may end without
 * one, so the last one it gave is the one to show). */
static void on_progress(void *userdata, const ResticProgress *p) {
        BackupLog *l = userdata;
        time_t now = time(NULL);

        if (now - l->last >= 10) {
                l->last = now;
                l->have_pending = false;
                log_progress(p);
        } else {
                l->pending = *p;
                l->have_pending = true;
        }
}

/* DESIGN.md §5: a helper's lines carry the job they belong to. */
static void on_job(void *userdata, int64_t job_id) {
        char s[32];
        snprintf(s, sizeof(s), "%lld", (long long) job_id);
        log_set_field("JOB", s);
}

BackupReporter backup_log_reporter(BackupLog *l) {
        *l = (BackupLog) { .last = time(NULL) };
        return (BackupReporter) { .step = on_step, .progress = on_progress, .job = on_job, .userdata = l };
}
