/* berth render — print or write exactly what the generator would (dry run). */
#include <getopt.h>
#include <stdio.h>
#include <sys/stat.h>

#include "app_source.h"
#include "berth.h"
#include "berth_conf.h"
#include "berth_paths.h"
#include "log.h"
#include "manifest.h"
#include "render.h"

int verb_render(int argc, char *argv[]) {
        static const struct option options[] = {
                { "format", required_argument, NULL, 'f' },
                { "out", required_argument, NULL, 'o' },
                {},
        };
        _cleanup_(berth_conf_freep) BerthConf *conf = NULL;
        const char *format = "systemd", *out = NULL;
        BerthPaths paths = {};
        RenderOptions opts;
        Diagnostics diag = {};
        int c, r, bad = 0;

        while ((c = getopt_long(argc, argv, "f:o:", options, NULL)) >= 0)
                switch (c) {
                case 'f':
                        format = optarg;
                        break;
                case 'o':
                        out = optarg;
                        break;
                default:
                        return 2;
                }
        if (!streq(format, "systemd") && !streq(format, "quadlet")) {
                log_error("render: unknown format '%s', expected systemd or quadlet", format);
                return 2;
        }
        if (optind >= argc) {
                log_error("render: expected at least one APP or FILE");
                return 2;
        }
        r = berth_conf_load(&conf, &diag);
        if (r < 0) {
                diag_print(&diag, stderr);
                diag_clear(&diag);
                return 1;
        }
        r = berth_paths_init(arg_cli.user ? SCOPE_USER : SCOPE_SYSTEM, &paths);
        if (r < 0)
                return log_errno(LOG_ERR_LEVEL, r, "Failed to determine berth's directories"), 1;
        render_options_default(&opts, &paths);
        if (out && mkdir(out, 0755) < 0 && errno != EEXIST) {
                log_errno(LOG_ERR_LEVEL, -errno, "Failed to create '%s'", out);
                berth_paths_done(&paths);
                return 1;
        }
        for (int i = optind; i < argc; i++) {
                _cleanup_(app_freep) App *app = NULL;
                _cleanup_free_ char *failed = NULL;
                UnitSet units = {};
                AppSource src = {};

                r = cli_resolve_source(argv[i], &src);
                if (r < 0) {
                        bad++;
                        continue;
                }
                if (src.masked) {
                        log_warning("App '%s' is masked, nothing to render", src.id);
                        app_source_done(&src);
                        continue;
                }
                r = cli_load_app(&src, conf, &app);
                app_source_done(&src);
                if (r < 0) {
                        bad++;
                        continue;
                }
                r = streq(format, "quadlet") ? render_quadlet(app, &opts, &units) : render_systemd(app, &opts, &units);
                if (r < 0) {
                        /* -EOPNOTSUPP: render_quadlet() said why. */
                        if (r != -EOPNOTSUPP)
                                log_errno(LOG_ERR_LEVEL, r, "Failed to render app '%s'", app->id);
                        bad++;
                        continue;
                }
                if (out) {
                        r = unit_set_write(&units, out, &failed);
                        if (r < 0) {
                                log_errno(LOG_ERR_LEVEL, r, "Failed to write '%s/%s'", out, strempty(failed));
                                bad++;
                        }
                } else {
                        if (i > optind)
                                putchar('\n');
                        r = unit_set_print(&units, stdout);
                }
                unit_set_done(&units);
        }
        berth_paths_done(&paths);
        if (fflush(stdout) != 0)
                return log_errno(LOG_ERR_LEVEL, -errno, "Failed to write output"), 1;
        return bad > 0 ? 1 : 0;
}
