/* app_current.h — what a helper acts on: the host settings and the app's
 * current manifest, loaded together, with one line saying what went wrong
 * (the positioned problems of an invalid manifest go to diag). */
#pragma once

#include <stdbool.h>

#include "app.h"
#include "app_source.h"
#include "berth_conf.h"
#include "diag.h"

/* On failure returns -errno, sets *ret_error, and sets *ret_app_fault when the
 * app itself is the problem (not installed, masked, invalid manifest) rather
 * than the host settings or the system. */
int app_load_current(BerthScope scope, const char *id, BerthConf **ret_conf, App **ret_app, Diagnostics *diag,
                     char **ret_error, bool *ret_app_fault);
