/* manifest.h — schema 1 validation: a loaded YAML tree in, an App out. Every
 * problem found is recorded (validation goes on after the first error so that
 * `berth validate` can show them all); any error means no App. */
#pragma once

#include "app.h"
#include "app_source.h"
#include "berth_conf.h"
#include "diag.h"
#include "yaml_tree.h"

#define MANIFEST_SCHEMA 1

/* conf supplies the host paths volumes may use; NULL allows none. */
int manifest_to_app(const YamlDoc *doc, const char *id, const char *source_path, const BerthConf *conf,
                    App **ret, Diagnostics *diag);

/* Loads a source (manifest + drop-ins) and validates it. */
int manifest_load(const AppSource *src, const BerthConf *conf, App **ret, Diagnostics *diag);

/* Container names that would collide with units berth itself renders. */
bool container_name_reserved(const char *name);
bool name_valid(const char *s, size_t max, bool allow_underscore_dot);

/* The current manifest of an installed app, by id, from the scope's search
 * path: -ENOENT when absent, -ERFKILL when masked, -EINVAL (diagnostics) when
 * invalid. Helpers act only on this, never on anything older. */
int manifest_load_by_id(BerthScope scope, const char *id, const BerthConf *conf, App **ret, Diagnostics *diag);
