/* berth validate FILE... — every problem of every manifest, exit 1 if any. */
#include <stdio.h>

#include "app_source.h"
#include "berth.h"
#include "berth_conf.h"
#include "log.h"
#include "manifest.h"

int verb_validate(int argc, char *argv[]) {
        _cleanup_(berth_conf_freep) BerthConf *conf = NULL;
        Diagnostics diag = {};
        int r, bad = 0;

        if (argc < 2) {
                log_error("validate: expected at least one manifest file");
                return 2;
        }
        r = berth_conf_load(&conf, &diag);
        if (r < 0) {
                diag_print(&diag, stderr);
                diag_clear(&diag);
                if (r != -EINVAL)
                        log_errno(LOG_ERR_LEVEL, r, "Failed to read '%s'", berth_conf_path());
                return 1;
        }
        for (int i = 1; i < argc; i++) {
                _cleanup_(app_freep) App *app = NULL;
                AppSource src = {};

                r = cli_resolve_source(argv[i], &src);
                if (r < 0) {
                        bad++;
                        continue;
                }
                if (src.masked) {
                        fprintf(stderr, "%s: masked (a symlink to /dev/null)\n", argv[i]);
                        app_source_done(&src);
                        continue;
                }
                if (cli_load_app(&src, conf, &app) < 0)
                        bad++;
                app_source_done(&src);
        }
        return bad > 0 ? 1 : 0;
}
