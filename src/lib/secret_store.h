/* secret_store.h — the one place that creates secret values. A generated
 * secret is made once with libsodium's CSPRNG and then kept forever: an
 * existing file is never rewritten; a deleted one is made anew. Files hold the
 * raw value, mode 0600, in a 0700 directory (DESIGN.md §1.4). */
#pragma once

#include "app.h"
#include "berth_paths.h"

/* A fresh value of length characters from charset. */
int secret_generate_value(unsigned length, SecretCharset charset, char **ret);

/* Makes sure the app's secret exists at its path (generated or copied from the
 * administrator's file). Returns 1 when it was created now, 0 when it existed.
 * Never logs, never returns the value. */
int secret_ensure(const BerthPaths *p, const char *app_id, const Secret *s);
