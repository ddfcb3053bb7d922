/* swap_journal.h — the write-ahead journal that makes a restore crash-safe
 * (DESIGN.md §5). One file per app, <state>/journal/<id>.json, replaced
 * atomically and fsynced at every state change:
 *
 *   STAGING    staging directories may exist; live data untouched
 *   PREPARED   staged data is durable; each volume's live and staged directory
 *              inode numbers are recorded; swaps may have begun
 *   COMMITTED  every volume holds the new data; old data awaits removal
 *
 * A directory keeps its inode number across rename(2), so after a crash the
 * inode found at the live path tells whether that volume was swapped — no
 * guessing about whether the last rename reached the disk before the crash.
 * Recovery rolls PREPARED back (every volume wholly old) and COMMITTED forward
 * (every volume wholly new), removes staging leftovers, and deletes the file.
 * Swaps use renameat2(RENAME_EXCHANGE); where a filesystem lacks it, two
 * renames through an "old" path, whose gap (live path missing) the recorded
 * inodes cover just the same. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "berth_paths.h"

typedef enum SwapState {
        SWAP_STAGING,
        SWAP_PREPARED,
        SWAP_COMMITTED,
        _SWAP_STATE_MAX,
} SwapState;

typedef struct SwapVolume {
        char *name;
        char *live;        /* the volume's path (from the current manifest) */
        char *staged;      /* new data, same filesystem; after a swap: old data */
        char *old;         /* fallback only: where live is parked during the gap */
        char *scratch;     /* restic's restore target around staged; removed at the end */
        ino_t live_ino;    /* PREPARED: inode of the old data (at live) */
        ino_t staged_ino;  /* PREPARED: inode of the new data (at staged) */
} SwapVolume;

typedef struct SwapJournal {
        char *app;
        int64_t job;
        char *snapshot;
        SwapState state;
        bool app_was_running; /* the restore stopped the app */
        SwapVolume *volumes;
        size_t n_volumes;
} SwapJournal;

void swap_journal_done(SwapJournal *j);
char *swap_journal_path(const BerthPaths *p, const char *app_id);
const char *swap_state_to_string(SwapState s);

/* Durable replace of the journal file (write temp, fsync, rename, fsync dir). */
int swap_journal_write(const BerthPaths *p, const SwapJournal *j);
/* -ENOENT when there is none. -EBADMSG when unreadable: recovery then refuses
 * to touch anything and says so. */
int swap_journal_read(const BerthPaths *p, const char *app_id, SwapJournal *ret);
int swap_journal_remove(const BerthPaths *p, const char *app_id);
/* Apps with a journal file, sorted. */
int swap_journal_list(const BerthPaths *p, char ***ret);

/* Records the inodes (state → PREPARED is written by the caller). */
int swap_volume_record_inodes(SwapVolume *v);
typedef struct SwapOptions {
        bool force_fallback;  /* test knob: take the two-rename path */
        /* test knob: called after each rename(2) of the fallback (n = 1, 2, 3) */
        void (*after_rename)(void *userdata, unsigned n);
        void *userdata;
} SwapOptions;

/* Exchanges live and staged (or the two-rename fallback), fsyncs both parents.
 * *ret_fallback tells which way was taken. o may be NULL. */
int swap_volume_exchange(SwapVolume *v, const SwapOptions *o, bool *ret_fallback);

typedef enum SwapOutcome {
        SWAP_ROLLED_BACK,   /* every volume wholly old */
        SWAP_ROLLED_FORWARD,/* every volume wholly new */
        SWAP_CLEANED,       /* STAGING: only leftovers removed */
} SwapOutcome;

/* Finishes or undoes an interrupted restore from its journal, removes the
 * leftovers and the journal. Idempotent: safe to run again after a crash of
 * its own. */
int swap_journal_recover(const BerthPaths *p, SwapJournal *j, SwapOutcome *ret);
/* Removes staged/old/scratch leftovers of a finished swap (after COMMITTED). */
int swap_journal_cleanup(SwapJournal *j);
