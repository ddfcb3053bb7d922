/* app_current.c — settings and current manifest, for helpers. */
#include <stdio.h>

#include "app_current.h"
#include "manifest.h"

int app_load_current(BerthScope scope, const char *id, BerthConf **ret_conf, App **ret_app, Diagnostics *diag,
                     char **ret_error, bool *ret_app_fault) {
        _cleanup_(berth_conf_freep) BerthConf *conf = NULL;
        _cleanup_(app_freep) App *app = NULL;
        char *error = NULL;
        int r, q;

        *ret_app_fault = false;
        r = berth_conf_load(&conf, diag);
        if (r < 0) {
                q = r == -EINVAL ? asprintf(&error, "%s is invalid (see above)", berth_conf_path())
                                 : asprintf(&error, "cannot read %s: %s", berth_conf_path(), strerror(-r));
                *ret_error = q < 0 ? NULL : error;
                return r;
        }
        r = manifest_load_by_id(scope, id, conf, &app, diag);
        if (r < 0) {
                *ret_app_fault = r == -ENOENT || r == -ERFKILL || r == -EINVAL;
                if (r == -ENOENT)
                        q = asprintf(&error, "no app '%s' is installed (no %s.yaml in the manifest search path)", id, id);
                else if (r == -ERFKILL)
                        q = asprintf(&error, "app '%s' is masked", id);
                else if (r == -EINVAL)
                        q = asprintf(&error, "the manifest of app '%s' is invalid (see above); fix it and run 'systemctl daemon-reload'", id);
                else
                        q = asprintf(&error, "cannot load the manifest of app '%s': %s", id, strerror(-r));
                *ret_error = q < 0 ? NULL : error;
                return r;
        }
        *ret_conf = TAKE_PTR(conf);
        *ret_app = TAKE_PTR(app);
        return 0;
}
