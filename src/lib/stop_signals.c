/* stop_signals.c — see stop_signals.h. */
#include <signal.h>

#include "stop_signals.h"

void stop_signals_block(void) {
        sigset_t stop;

        sigemptyset(&stop);
        sigaddset(&stop, SIGINT);
        sigaddset(&stop, SIGTERM);
        (void) sigprocmask(SIG_BLOCK, &stop, NULL);
}

int stop_signal_pending(void) {
        sigset_t s;

        if (sigpending(&s) < 0)
                return 0;
        return sigismember(&s, SIGINT) > 0 ? SIGINT : sigismember(&s, SIGTERM) > 0 ? SIGTERM : 0;
}
