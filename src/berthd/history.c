/* history.c — the job history, read from the state database. Helpers write
 * it (every backup, restore, recovery records a row when it starts and when
 * it ends); berthd notices through inotify on the state directory, which
 * reports a write to berth.db or its WAL, however the job was started (timer,
 * CLI, berthd). A write is not yet visible to readers when its syscall
 * returns (SQLite updates the WAL index after writing the frames), so the
 * summaries are re-read shortly after the last write: that short timer is the
 * only one, and exists only after the database changed. */
#include <sys/inotify.h>

#include "berthd.h"
#include "log.h"

#define HISTORY_SETTLE_USEC (50 * USEC_PER_MSEC)

int history_open(Manager *m, StateDb **ret) {
        int r;

        *ret = NULL;
        /* No database yet (nothing ran): no history, and SQLite not even loaded
         * into memory. */
        if (!m->db_path || (access(m->db_path, F_OK) < 0 && errno == ENOENT))
                return 0;
        r = state_db_open(m->db_path, true, ret);
        /* No database yet, or one a writer has not migrated yet: no history. */
        if (r == -ENOENT || r == -ESTALE) {
                *ret = NULL;
                return 0;
        }
        return r;
}

void history_refresh_all(Manager *m, bool emit) {
        _cleanup_(state_db_closep) StateDb *db = NULL;
        int r;

        r = history_open(m, &db);
        if (r < 0)
                log_errno(LOG_WARNING_LEVEL, r, "Failed to open the state database '%s', ignoring", m->db_path);
        for (size_t i = 0; i < m->n_apps; i++)
                berth_app_refresh_history(m->apps[i], db, emit);
        state_db_close(TAKE_PTR(db));
        manager_trim_memory();
}

static int on_settled(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        m->db_settle = sd_event_source_disable_unref(m->db_settle);
        history_refresh_all(m, true);
        return 0;
}

static int on_state_dir_event(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        Manager *m = userdata;
        int r;

        if (ev->mask & IN_Q_OVERFLOW) {
                /* Events were lost: re-read anyway. */
        } else if (ev->len == 0 || (!streq(ev->name, "berth.db") && !streq(ev->name, "berth.db-wal")))
                return 0;
        if (m->db_settle)
                return 0; /* already due */
        r = sd_event_add_time_relative(m->event, &m->db_settle, CLOCK_MONOTONIC, HISTORY_SETTLE_USEC,
                                       10 * USEC_PER_MSEC, on_settled, m);
        if (r < 0)
                log_errno(LOG_WARNING_LEVEL, r, "Failed to schedule re-reading the job history, ignoring");
        return 0;
}

int history_watch(Manager *m) {
        int r;

        if (!m->state_dir)
                return 0;
        /* Readers never write() to berth.db or its WAL, so this does not fire
         * on our own reads: only writers wake us. */
        r = sd_event_add_inotify(m->event, &m->db_watch, m->state_dir,
                                 IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_ONLYDIR, on_state_dir_event, m);
        if (r == -ENOENT) {
                log_info("'%s' does not exist (yet): the job history is read when berthd starts next", m->state_dir);
                return 0;
        }
        return r;
}
