/* stop_signals.h — for helpers that run restic or podman as a unit's main
 * process: a stop of the unit (systemd's KillSignal= to every process of it,
 * or a Ctrl-C) must end those children, which stop cleanly (restic removes its
 * repository lock), while the helper lives on to record the job and put the
 * app back as it was. SIGINT and SIGTERM are blocked in the helper (spawned
 * children get them unblocked, see spawn.h) and a stop is seen pending. */
#pragma once

/* Blocks SIGINT and SIGTERM in the calling (single-threaded) helper. */
void stop_signals_block(void);
/* The stop signal pending (SIGINT or SIGTERM), 0 when none. */
int stop_signal_pending(void);
