/* berth_paths.h — where berth keeps things, per scope. System: /var/lib/berth,
 * /run/berth. User (rootless): ~/.local/share/berth, $XDG_RUNTIME_DIR/berth.
 * BERTH_STATE_DIR and BERTH_RUNTIME_DIR override both (tests, image builds).
 * The layout below them is a contract (DESIGN.md §3, §5). */
#pragma once

#include "app.h"
#include "app_source.h"

typedef struct BerthPaths {
        BerthScope scope;
        char *state_dir;   /* /var/lib/berth */
        char *runtime_dir; /* /run/berth */
} BerthPaths;

void berth_paths_done(BerthPaths *p);
int berth_paths_init(BerthScope scope, BerthPaths *ret);

/* <state>/apps/<id>/volumes/<name>, or the volume's administrator path. */
char *berth_volume_path(const BerthPaths *p, const char *app_id, const Volume *v);
char *berth_app_dir(const BerthPaths *p, const char *app_id);
/* <state>/secrets/<id>, <state>/secrets/<id>/<name> */
char *berth_secret_dir(const BerthPaths *p, const char *app_id);
char *berth_secret_path(const BerthPaths *p, const char *app_id, const char *name);
/* The podman secret that carries an app secret: berth-<id>.<name> (the dot
 * keeps the names of different apps apart). */
char *berth_podman_secret_name(const char *app_id, const char *name);
/* The podman network of an app's containers (prepare makes it): berth-<id>. */
char *berth_network_name(const char *app_id);
