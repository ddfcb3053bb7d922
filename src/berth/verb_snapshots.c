/* berth snapshots APP [--json] — the app's snapshots in the repository (the
 * truth, which also refreshes the cache); without access to the repository
 * (not root), the cached list, saying so. */
#include <getopt.h>
#include <stdio.h>

#include "berth.h"
#include "berth_conf.h"
#include "berth_paths.h"
#include "cli_format.h"
#include "log.h"
#include "restic.h"
#include "state_db.h"

int verb_snapshots(int argc, char *argv[]) {
        static const struct option options[] = {
                { "json", no_argument, NULL, 'j' },
                { "cached", no_argument, NULL, 'c' },
                {},
        };
        _cleanup_(berth_conf_freep) BerthConf *conf = NULL;
        _cleanup_(state_db_closep) StateDb *db = NULL;
        _cleanup_free_ char *dbpath = NULL, *tag = NULL, *err = NULL;
        bool cached = false;
        BerthPaths paths = {};
        ResticRepo repo = {};
        Diagnostics diag = {};
        SnapshotInfo *snaps = NULL;
        size_t n = 0;
        ResticResult res = RESTIC_FAILED;
        const char *app;
        int c, r, ret = 1;

        while ((c = getopt_long(argc, argv, "jc", options, NULL)) >= 0)
                switch (c) {
                case 'j':
                        arg_cli.json = true;
                        break;
                case 'c':
                        cached = true;
                        break;
                default:
                        return 2;
                }
        if (optind + 1 != argc) {
                log_error("snapshots: expected exactly one APP");
                return 2;
        }
        app = argv[optind];
        if (asprintf(&tag, "app:%s", app) < 0)
                return 1;
        if ((r = berth_paths_init(SCOPE_SYSTEM, &paths)) < 0)
                return log_errno(LOG_ERR_LEVEL, r, "Failed to determine berth's directories"), 1;
        dbpath = state_db_path(paths.state_dir);
        if (!cached && geteuid() != 0) {
                log_warning("Not root: showing the cached list (the repository's credentials are root's)");
                cached = true;
        }
        if (!cached) {
                r = berth_conf_load(&conf, &diag);
                if (r < 0) {
                        log_diagnostics(LOG_ERR_LEVEL, &diag);
                        goto out;
                }
                _cleanup_free_ char *rerr = NULL;
                r = restic_repo_from_conf(conf, &paths, &repo, &rerr);
                if (r < 0) {
                        log_error("Failed to set up the backup repository: %s", rerr ?: strerror(-r));
                        goto out;
                }
                char *tags[] = { tag, NULL };
                r = restic_snapshots(&repo, tags, &snaps, &n, &res, &err);
                if (r < 0 || res != RESTIC_OK) {
                        _cleanup_free_ char *shown = restic_redact(repo.repository);
                        if (r >= 0 && res == RESTIC_NO_REPOSITORY && repo.is_default) {
                                n = 0; /* nothing backed up yet: the default repository is made on first use */
                        } else {
                                log_error("Failed to list snapshots in %s: %s%s%s", strempty(shown),
                                          r < 0 ? strerror(-r) : restic_result_to_string(res), err ? ": " : "", strempty(err));
                                goto out;
                        }
                }
                if (dbpath && state_db_open(dbpath, false, &db) >= 0)
                        (void) state_db_snapshots_replace(db, app, snaps, n);
        } else {
                r = dbpath ? state_db_open(dbpath, true, &db) : -ENOMEM;
                if (r >= 0)
                        r = state_db_snapshots_list(db, app, &snaps, &n);
                if (r < 0 && r != -ENOENT) {
                        log_errno(LOG_ERR_LEVEL, r, "Failed to read the snapshot cache");
                        goto out;
                }
        }
        r = arg_cli.json ? cli_print_snapshots_json(snaps, n, stdout) : cli_print_snapshots_table(snaps, n, stdout);
        ret = r < 0 ? 1 : 0;
out:
        snapshot_infos_free(snaps, n);
        restic_repo_done(&repo);
        diag_clear(&diag);
        berth_paths_done(&paths);
        return ret;
}
