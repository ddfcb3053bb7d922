/* restore_unit.c — berth-restore's transient unit. */
#include "app_source.h"
#include "restore_unit.h"
#include "strv.h"
#include "unit_names.h"

/* Test knobs and relocations pass through to the helper's unit. */
static const char *const passed_env[] = {
        "BERTH_RESTORE_FAULT", "BERTH_RESTORE_FALLBACK", "BERTH_APPS_DIRS", "BERTH_CONF",
        "BERTH_STATE_DIR", "BERTH_RUNTIME_DIR",
};

bool restore_snapshot_arg_valid(const char *s) {
        size_t n;

        if (!s)
                return false;
        if (streq(s, "latest"))
                return true;
        n = strlen(s);
        /* restic prints 8-digit short ids and 64-digit full ones; any prefix works. */
        return n >= 1 && n <= 64 && strspn(s, "0123456789abcdef") == n;
}

void restore_unit_done(RestoreUnit *u) {
        free(u->unit);
        strv_free(u->argv);
        strv_free(u->env);
        *u = (RestoreUnit) {};
}

int restore_unit_new(const char *app, const char *snapshot, char *const *volumes, RestoreUnit *ret) {
        _cleanup_(restore_unit_done) RestoreUnit u = {};
        int r;

        /* The id names the unit; snapshot and volumes are the helper's to judge
         * (it answers a bad request with its exit status 4). */
        if (!app_id_valid(app) || isempty(snapshot))
                return -EINVAL;
        u.unit = unit_name_restore(app);
        if (!u.unit)
                return -ENOMEM;
        if ((r = strv_extendf(&u.argv, "%s/berth-restore", BERTH_LIBEXECDIR)) < 0 ||
            (r = strv_extend(&u.argv, app)) < 0 || (r = strv_extend(&u.argv, snapshot)) < 0)
                return r;
        STRV_FOREACH(v, volumes)
                if ((r = strv_extendf(&u.argv, "--volume=%s", *v)) < 0)
                        return r;
        if ((r = strv_extend(&u.env, "RESTIC_CACHE_DIR=/var/cache/berth/restic")) < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(passed_env); i++) {
                const char *v = getenv(passed_env[i]);
                if (v && (r = strv_extendf(&u.env, "%s=%s", passed_env[i], v)) < 0)
                        return r;
        }
        *ret = u;
        u = (RestoreUnit) {};
        return 0;
}
