/* berthd_client.c — the CLI as a client of berthd (org.berth1), the way
 * hostnamectl is of hostnamed: connect to the system bus, call, and when
 * that fails say why in words (not installed, not answering, no bus). */
#include <stdarg.h>

#include "berth.h"
#include "berth_dbus.h"
#include "log.h"

int berthd_connect(sd_bus **ret) {
        _cleanup_free_ char *why = NULL;
        int r;

        if (arg_cli.user) {
                log_error("berthd serves the system's apps only; --user has no status service");
                return -EOPNOTSUPP;
        }
        /* DBUS_SYSTEM_BUS_ADDRESS picks another bus (tests). */
        r = sd_bus_open_system(ret);
        if (r < 0) {
                why = berth_dbus_describe_error(r, NULL);
                log_error("Failed to connect to the system bus, berthd cannot be reached: %s", strempty(why));
        }
        return r;
}

int berthd_call(sd_bus *bus, const char *path, const char *interface, const char *method, sd_bus_message **reply,
                const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *why = NULL;
        va_list ap;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, BERTH_DBUS_NAME, path, interface, method);
        if (r >= 0 && types) {
                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
        }
        if (r < 0)
                return log_errno(LOG_ERR_LEVEL, r, "Failed to build the call %s()", method);
        r = sd_bus_call(bus, m, 0, &error, reply);
        if (r < 0) {
                why = berth_dbus_describe_error(r, &error);
                /* berthd's own errors (no such app...) read well as they are. */
                if (sd_bus_error_is_set(&error) && startswith(error.name, "org.berth1."))
                        log_error("%s", strempty(why));
                else
                        log_error("Failed to ask berthd (%s): %s", method, strempty(why));
        }
        return r;
}
