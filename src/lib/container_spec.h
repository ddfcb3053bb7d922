/* container_spec.h — the translation policy for one container: which podman
 * options a manifest's container becomes, with berth's hardened defaults. Both
 * renderers (native units and Quadlet) print what this builds, so the two give
 * podman the same container. */
#pragma once

#include "app.h"
#include "berth_paths.h"
#include "podman_run.h"

/* "<id>-<container>": podman's name for the container. */
char *container_podman_name(const App *a, const Container *c);

int container_spec_build(const App *a, const Container *c, const BerthPaths *paths, PodmanRun **ret);
