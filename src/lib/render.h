/* render.h — the translation policy from an App to units. render_systemd()
 * gives what the generator writes (native services running podman, working on
 * podman 4.3 and 5 alike); render_quadlet() gives the same app as Quadlet files
 * for podman 5's own generator. Both share the app-level units (target, slice,
 * prepare service, backup timer) and the container spec (container_spec.h). */
#pragma once

#include "app.h"
#include "berth_paths.h"
#include "unit_set.h"

typedef struct RenderOptions {
        const BerthPaths *paths;  /* scope and directories */
        const char *libexecdir;   /* where berth's helpers are installed */
        const char *podman;       /* podman binary */
} RenderOptions;

void render_options_default(RenderOptions *o, const BerthPaths *paths);

int render_systemd(const App *a, const RenderOptions *o, UnitSet *ret);
int render_quadlet(const App *a, const RenderOptions *o, UnitSet *ret);

/* Shared by both renderers (render_common.c). */
UnitFile *render_unit_new(const App *a, const char *name);
int render_app_units(const App *a, const RenderOptions *o, UnitSet *s, bool native_build_units);
int render_container_unit_deps(const App *a, const Container *c, const RenderOptions *o, UnitFile *u);
int render_container_service_settings(const App *a, const Container *c, UnitFile *u);
int render_wants_network(UnitFile *u, const RenderOptions *o, const char *why);
