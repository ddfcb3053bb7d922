/* berth uninstall [--purge] [--yes] APP — runs berth-uninstall (see
 * berth-uninstall's header and berth(1)) and returns its exit status. A purge
 * deletes the app's data (after a snapshot): asked first on a terminal,
 * elsewhere it requires --yes.
 * Exit status: berth-uninstall's; 2 usage or not confirmed. */
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "berth.h"
#include "log.h"
#include "spawn.h"
#include "strv.h"

static bool confirm(const char *app) {
        _cleanup_free_ char *prompt = strprintf(
                "Uninstall app '%s' and purge its data and secrets.\n"
                "The app is stopped and a snapshot of its data is saved first (kind pre-purge);\n"
                "then its volumes and secrets are deleted.",
                app);
        return prompt && cli_confirm("uninstall --purge", "deletes the app's data", prompt);
}

int verb_uninstall(int argc, char *argv[]) {
        static const struct option options[] = {
                { "purge", no_argument, NULL, 'p' },
                { "yes", no_argument, NULL, 'y' },
                {},
        };
        _cleanup_strv_free_ char **cmd = NULL;
        bool purge = false;
        int c, r, st;

        while ((c = getopt_long(argc, argv, "py", options, NULL)) >= 0)
                switch (c) {
                case 'p':
                        purge = true;
                        break;
                case 'y':
                        arg_cli.yes = true;
                        break;
                default:
                        return 2;
                }
        if (optind != argc - 1) {
                log_error("uninstall: expected one app id, got %d arguments", argc - optind);
                return 2;
        }
        if (purge && !confirm(argv[optind])) {
                if (isatty(STDIN_FILENO))
                        log_error("uninstall: not confirmed, nothing done");
                return 2;
        }
        if (strv_extendf(&cmd, "%s/berth-uninstall", BERTH_LIBEXECDIR) < 0 ||
            (arg_cli.user && strv_extend(&cmd, "--user") < 0) || (purge && strv_extend(&cmd, "--purge") < 0) ||
            strv_extend(&cmd, "--") < 0 || strv_extend(&cmd, argv[optind]) < 0)
                return 1;
        r = spawn_run(cmd, NULL, &st, NULL);
        if (r < 0)
                return log_errno(LOG_ERR_LEVEL, r, "Failed to run '%s'", cmd[0]), 1;
        return st;
}
