/* berth recover [APP...] — finishes or undoes interrupted restores now (what
 * berth-recover.service does at boot), then starts again the apps a restore
 * had stopped. Runs the helper directly and returns its exit status. */
#include <stdio.h>

#include "berth.h"
#include "log.h"
#include "spawn.h"
#include "strv.h"

int verb_recover(int argc, char *argv[]) {
        _cleanup_strv_free_ char **cmd = NULL;
        int r, st;

        if (strv_extendf(&cmd, "%s/berth-recover", BERTH_LIBEXECDIR) < 0 || strv_extend(&cmd, "--start") < 0)
                return 1;
        for (int i = 1; i < argc; i++)
                if (strv_extend(&cmd, argv[i]) < 0)
                        return 1;
        r = spawn_run(cmd, NULL, &st, NULL);
        if (r < 0)
                return log_errno(LOG_ERR_LEVEL, r, "Failed to run '%s'", cmd[0]), 1;
        return st;
}
