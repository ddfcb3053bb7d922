/* app_source.h — where app manifests come from: the systemd-style search path
 * (/etc, /run, /usr/lib; earlier wins; a symlink to /dev/null masks), drop-ins
 * <id>.yaml.d/ *.yaml merged in lexical order, BERTH_APPS_DIRS to replace the
 * path. This module only finds files; yaml_tree loads them. */
#pragma once

#include <stdbool.h>

#include "diag.h"
#include "yaml_tree.h"

typedef enum BerthScope {
        SCOPE_SYSTEM,
        SCOPE_USER,
} BerthScope;

typedef struct AppSource {
        char *id;
        char *path;     /* the winning <id>.yaml; NULL when masked */
        char **dropins; /* full paths, in merge order */
        bool masked;
} AppSource;

void app_source_done(AppSource *s);
void app_sources_free(AppSource *s, size_t n);

/* The search path: BERTH_APPS_DIRS if set, else the scope's default. */
int app_search_dirs(BerthScope scope, char ***ret);

bool app_id_valid(const char *id);

/* Every app in the search path, sorted by id. Files whose name is not a valid
 * app id are reported in diag (one error each, naming the file) and skipped. */
int app_sources_enumerate(char *const *dirs, AppSource **ret, size_t *ret_n, Diagnostics *diag);

/* One app by id; -ENOENT when no directory has it. A symlink of that name that
 * leads nowhere is said in diag (optional) and passed over. */
int app_source_find(char *const *dirs, const char *id, AppSource *ret, Diagnostics *diag);

/* A manifest named directly (berth validate/render FILE): its drop-ins are those
 * next to it. The id is the file name without ".yaml". */
int app_source_from_file(const char *path, AppSource *ret);

/* Takes app id out of the search path dirs: its manifest is removed where it
 * lives outside /usr (the administrator's), and where a manifest is still
 * found after that (a vendor one under /usr, or one that was overridden) the
 * app is masked in the first directory (a symlink to /dev/null, as systemd
 * masks units). Drop-ins are left alone. *ret_removed: the file removed;
 * *ret_mask: the mask made; each NULL when not done. -ENOENT when the app is
 * not installed (or already masked). */
int app_source_uninstall(char *const *dirs, const char *id, char **ret_removed, char **ret_mask);

/* Loads the manifest and merges its drop-ins. */
int app_source_load(const AppSource *s, YamlDoc **ret, Diagnostics *diag);
