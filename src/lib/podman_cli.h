/* podman_cli.h — the few podman commands helpers run directly (networks,
 * secrets, inspect, exec). Values never travel in argv: podman reads secrets
 * from files we name. */
#pragma once

#include <stdbool.h>

/* Creates the network unless it exists (podman 4.3 has no --ignore). */
int podman_network_ensure(const char *name);
/* Makes podman secret NAME hold the content of FILE; recreated only when the
 * file changed (identity recorded in a label: device, inode, size, mtime). */
int podman_secret_sync(const char *name, const char *file);
/* Removes podman object NAME of kind ("network", "secret"): 1 removed, 0 there
 * was none, -EIO podman could not remove it. */
int podman_object_remove(const char *kind, const char *name);
/* `podman inspect` of a container as JSON text; -ENOENT when it does not exist. */
int podman_container_inspect(const char *name, char **ret_json);
/* Exit status of `podman exec NAME argv...` (output to our stdout/stderr). */
int podman_exec(const char *name, char *const *argv, char **env_extra, int *ret_status);
