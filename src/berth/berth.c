/* berth — command-line interface. Parses the verb and hands over. */
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "app_source.h"
#include "berth.h"
#include "berth_conf.h"
#include "log.h"
#include "manifest.h"
#include "strv.h"

CliOptions arg_cli = {};

static const struct {
        const char *name;
        int (*run)(int argc, char *argv[]);
        const char *usage;
} verbs[] = {
        { "list", verb_list, "list [--json]                      installed apps: state, health, backups (from berthd)" },
        { "status", verb_status, "status [--json] [APP...]          an app's status in detail (from berthd)" },
        { "validate", verb_validate, "validate FILE|APP...             check manifests, print every problem" },
        { "render", verb_render, "render [--format=systemd|quadlet] [--out DIR] APP|FILE...\n"
                                 "                                   print or write the units for apps" },
        { "backup", verb_backup, "backup [--json] [--no-follow] APP  back up an app now, following progress" },
        { "snapshots", verb_snapshots, "snapshots [--json] [--cached] APP list an app's snapshots" },
        { "jobs", verb_jobs, "jobs [--json] [-n N] [APP]        job history (backups, restores)" },
        { "restore", verb_restore, "restore [--yes] [--volume NAME]... APP SNAPSHOT|latest\n"
                                   "                                   restore an app from a snapshot" },
        { "recover", verb_recover, "recover [APP...]                 finish or undo interrupted restores" },
        { "uninstall", verb_uninstall, "uninstall [--purge] [--yes] APP  stop an app and remove it; --purge: its data too\n"
                                       "                                   (after a snapshot)" },
};

static int help(void) {
        printf("berth — systemd-native app platform\n\nUsage: berth [--user] VERB [ARGS]\n\nVerbs:\n");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                printf("  %s\n", verbs[i].usage);
        printf("\nSee berth(1).\n");
        return 0;
}

bool cli_confirm(const char *verb, const char *consequence, const char *prompt) {
        char answer[16];

        if (arg_cli.yes)
                return true;
        if (!isatty(STDIN_FILENO)) {
                log_error("%s: %s; not on a terminal, so confirm with --yes", verb, consequence);
                return false;
        }
        printf("%s Continue? [y/N] ", prompt);
        fflush(stdout);
        if (!fgets(answer, sizeof(answer), stdin))
                return false;
        return answer[0] == 'y' || answer[0] == 'Y';
}

int cli_resolve_source(const char *arg, AppSource *ret) {
        _cleanup_strv_free_ char **dirs = NULL;
        Diagnostics diag = {};
        int r;

        if (strchr(arg, '/') || endswith(arg, ".yaml")) {
                r = app_source_from_file(arg, ret);
                if (r == -EBADR)
                        log_error("'%s' is not a manifest file name, expected NAME.yaml", arg);
                return r;
        }
        if (!app_id_valid(arg)) {
                log_error("'%s' is neither an app id nor a manifest file, expected an id like 'immich' or a path to NAME.yaml", arg);
                return -EINVAL;
        }
        r = app_search_dirs(arg_cli.user ? SCOPE_USER : SCOPE_SYSTEM, &dirs);
        if (r < 0)
                return log_errno(LOG_ERR_LEVEL, r, "Failed to determine the manifest search path");
        r = app_source_find(dirs, arg, ret, &diag);
        diag_print(&diag, stderr);
        diag_clear(&diag);
        if (r == -ENOENT) {
                _cleanup_free_ char *list = strv_join(dirs, ", ");
                log_error("No app '%s': no %s.yaml in %s", arg, arg, strempty(list));
        }
        return r;
}

int cli_load_app(const AppSource *src, const BerthConf *conf, App **ret) {
        Diagnostics diag = {};
        int r = manifest_load(src, conf, ret, &diag);

        if (r < 0 && (r == -EINVAL || diag.n > 0))
                diag_print(&diag, stderr);
        else if (r < 0)
                fprintf(stderr, "%s: cannot read: %s\n", src->path, strerror(-r));
        diag_clear(&diag);
        return r;
}

int main(int argc, char *argv[]) {
        int i;

        log_open("berth");
        /* Global options come before the verb. */
        for (i = 1; i < argc && argv[i][0] == '-'; i++) {
                if (streq(argv[i], "--user"))
                        arg_cli.user = true;
                else if (streq(argv[i], "-h") || streq(argv[i], "--help"))
                        return help();
                else if (streq(argv[i], "--version")) {
                        printf("berth 0.1\n");
                        return 0;
                } else {
                        log_error("Unknown option '%s' before the verb, expected --user, --help or --version", argv[i]);
                        return 2;
                }
        }
        if (i >= argc) {
                help();
                return 2;
        }
        for (size_t v = 0; v < ELEMENTSOF(verbs); v++)
                if (streq(verbs[v].name, argv[i])) {
                        optind = 0;
                        return verbs[v].run(argc - i, argv + i);
                }
        log_error("Unknown verb '%s', see 'berth --help'", argv[i]);
        return 2;
}
