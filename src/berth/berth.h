/* berth.h — the berth CLI's verbs. Each verb is a small main over the library. */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

typedef struct CliOptions {
        bool json;
        bool yes;
        bool user;     /* --user: the rootless scope */
        bool no_pager;
} CliOptions;

extern CliOptions arg_cli;

int verb_validate(int argc, char *argv[]);
int verb_render(int argc, char *argv[]);
int verb_backup(int argc, char *argv[]);
int verb_snapshots(int argc, char *argv[]);
int verb_jobs(int argc, char *argv[]);
int verb_restore(int argc, char *argv[]);
int verb_recover(int argc, char *argv[]);
int verb_uninstall(int argc, char *argv[]);
int verb_list(int argc, char *argv[]);
int verb_status(int argc, char *argv[]);

/* Before a verb that destroys data: true when --yes was given, or the user
 * answered yes to "PROMPT Continue? [y/N]" on a terminal. Off a terminal
 * without --yes, logs "VERB: CONSEQUENCE; not on a terminal, so confirm with
 * --yes" and returns false. */
bool cli_confirm(const char *verb, const char *consequence, const char *prompt);

/* Resolves APP|FILE (a path when it contains '/' or ends in .yaml). */
struct AppSource;
int cli_resolve_source(const char *arg, struct AppSource *ret);

/* Loads and validates the app of src (validate, render); on failure prints
 * every problem, compiler-style, or why the manifest cannot be read. */
struct App;
struct BerthConf;
int cli_load_app(const struct AppSource *src, const struct BerthConf *conf, struct App **ret);

/* berthd_client.c: talking to berthd (org.berth1); both log once on failure. */
int berthd_connect(sd_bus **ret);
int berthd_call(sd_bus *bus, const char *path, const char *interface, const char *method, sd_bus_message **reply,
                const char *types, ...);
