/* berthd.h — berthd's state: the installed apps (from their manifests), the
 * systemd units each app is made of with their last known states (from
 * systemd's signals), the job history summary (from the state database), the
 * jobs it started, and what keeps it alive. One Manager per process;
 * everything runs on one sd-event loop and nothing polls. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "app.h"
#include "app_status.h"
#include "berth_dbus.h"
#include "state_db.h"

typedef struct Manager Manager;
typedef struct BerthApp BerthApp;
typedef struct UnitWatch UnitWatch;
typedef struct BerthJob BerthJob;
typedef struct PolkitQuery PolkitQuery;

typedef enum UnitRole {
        ROLE_TARGET,     /* berth-<id>.target: the app's own state */
        ROLE_CONTAINER,  /* berth-<id>-<c>.service: health */
        ROLE_TIMER,      /* berth-<id>-backup.timer: NextBackup */
} UnitRole;

/* One unit of an app, and what systemd last said about it. */
struct UnitWatch {
        BerthApp *app;
        UnitRole role;
        size_t index;           /* ROLE_CONTAINER: index into app->containers */
        char *name;
        char *path;             /* systemd's object for it (deterministic from the name) */
        char *active_state;     /* NULL: not known (yet) */
        char *sub_state;
        usec_t next_elapse;     /* ROLE_TIMER: NextElapseUSecRealtime */
        sd_bus_slot *match;     /* PropertiesChanged on path */
        sd_bus_slot *fetch;     /* ROLE_TIMER: Get(NextElapseUSecRealtime) in flight */
};

typedef struct AppContainer {
        char *name;
        bool has_check;
        UnitWatch *unit;
} AppContainer;

struct BerthApp {
        Manager *manager;
        char *id;
        char *path;             /* /org/berth1/app/<escaped id> */
        char *name, *version, *description;
        int enabled;            /* int: sd-bus reads 'b' properties as int */
        bool has_timer;
        AppContainer *containers;
        size_t n_containers;
        char **volumes;         /* every volume of the manifest */
        UnitWatch *target, *timer; /* timer NULL without a backup schedule */

        /* From the job history (state database). */
        usec_t last_backup;
        char *last_backup_result;
        uint32_t n_snapshots;
};

/* A backup or restore berthd started: the request is answered once systemd
 * accepted the start job; the job ends with systemd's JobRemoved for it. */
struct BerthJob {
        Manager *manager;
        uint32_t id;
        char *path;
        char *app, *kind, *unit;
        usec_t started_at;       /* realtime */
        sd_bus_message *request; /* Backup()/Restore() awaiting its reply */
        sd_bus_slot *call;       /* StartUnit/StartTransientUnit in flight */
        char *systemd_job;       /* systemd's job we wait for */
        char *match_rule;        /* the bus daemon's match for its JobRemoved */
};

struct Manager {
        sd_event *event;
        sd_bus *bus;
        char *state_dir;
        char *db_path;

        BerthApp **apps;         /* sorted by id */
        size_t n_apps;

        BerthJob **jobs;
        size_t n_jobs;
        uint32_t last_job_id;

        sd_bus_track *subscribers; /* clients that asked for signals (Subscribe) */
        PolkitQuery *polkit_queries; /* checks in flight */
        sd_bus_slot *reloading_match;
        sd_bus_slot *subscribe_call;  /* systemd's Subscribe() in flight */
        sd_bus_slot *owner_call;      /* GetNameOwner(systemd) in flight */
        sd_bus_slot *owner_match;     /* NameOwnerChanged of systemd's name */
        char *systemd_owner;          /* its unique name: signals from anyone else are forged */
        sd_bus_slot *list_call;       /* ListUnitsByNames() in flight */
        bool systemd_absent;          /* no systemd on this bus (tests): states stay unknown */
        sd_event_source *db_watch;    /* inotify on the state directory */
        sd_event_source *db_settle;   /* armed only after the database changed */

        unsigned n_init_pending; /* startup calls whose answers we wait for */
        usec_t idle_timeout;     /* 0: never exit */
        usec_t last_activity;    /* CLOCK_MONOTONIC */
        sd_event_source *idle_timer;
        bool exiting;
};

/* manager.c */
int manager_new(usec_t idle_timeout, Manager **ret);
Manager *manager_free(Manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free)
int manager_start(Manager *m);
int manager_run(Manager *m);
BerthApp *manager_find_app(Manager *m, const char *id);
/* Re-evaluates whether anything keeps berthd alive; arms or disarms the one
 * idle timer accordingly. */
void manager_check_idle(Manager *m);
/* Gives the heap's free pages back after work that allocated much and freed it
 * all (loading manifests, reading the database): berthd idles for long. */
void manager_trim_memory(void);
/* Reads the manifests again (startup, and after systemd reloaded). */
int manager_load_apps(Manager *m, bool emit);

/* app.c — the app objects */
extern const sd_bus_vtable berth_app_vtable[];
int berth_app_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                          sd_bus_error *error);
int berth_app_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error);
/* The app from its manifest; its units are watched from berth_app_watch_units(),
 * which takes over the watches (and states) of old, the same app before a
 * reload. Two steps, so that all manifests are parsed and freed before the
 * long-lived watches are allocated (into the space they left: a compact heap). */
int berth_app_new(Manager *m, const App *manifest, BerthApp **ret);
int berth_app_watch_units(BerthApp *a, BerthApp *old);
BerthApp *berth_app_free(BerthApp *a);
DEFINE_TRIVIAL_CLEANUP_FUNC(BerthApp *, berth_app_free)
AppHealth berth_app_health(const BerthApp *a);
int berth_app_summary(const BerthApp *a, AppSummary *ret); /* borrowed strings: do not free */
/* A unit's state changed: PropertiesChanged for what that changes. */
void berth_app_unit_changed(UnitWatch *w, const char *old_active, const char *old_sub, usec_t old_next);
/* Emits PropertiesChanged for the manifest's properties that differ from old's. */
void berth_app_emit_manifest_changes(BerthApp *a, const BerthApp *old);
/* Sets LastBackup, LastBackupResult ("" or NULL: none) and Snapshots. */
void berth_app_set_history(BerthApp *a, usec_t last_backup, const char *result, uint32_t n_snapshots, bool emit);

/* units.c — unit states from systemd */
int unit_watch_new(BerthApp *a, UnitRole role, size_t index, const char *name, UnitWatch **ret);
UnitWatch *unit_watch_free(UnitWatch *w);
/* Asks systemd for the current states of every watched unit (startup counts
 * the answers in n_init_pending), and subscribes to its signals. */
int units_subscribe(Manager *m);
/* Whether msg comes from systemd (a client may send signals straight to us). */
bool units_from_systemd(Manager *m, sd_bus_message *msg);
int units_fetch_all(Manager *m, bool initial);

/* history.c — the state database, read (in a child process) */
/* Newest first (app NULL: all; limit 0: all); nothing recorded yet: none. */
int history_read_jobs(Manager *m, const char *app, unsigned limit, Job **ret, size_t *ret_n);
int history_read_snapshots(Manager *m, const char *app, SnapshotInfo **ret, size_t *ret_n);
/* Re-reads the backup summary of every app, or of ids. */
void history_refresh_all(Manager *m, bool emit);
void history_refresh_apps(Manager *m, char **ids, bool emit);
/* The database changed: re-read every app's summary, shortly. */
int history_watch(Manager *m);

/* jobs.c — Backup and Restore */
extern const sd_bus_vtable berth_job_vtable[];
int berth_job_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                          sd_bus_error *error);
int berth_job_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error);
/* AuthorizedActions: start the helper's unit for Backup(s) or
 * Restore(s,s,as,t) and reply with the job's object once systemd accepted. */
int berth_job_start_backup(Manager *m, sd_bus_message *request, sd_bus_error *error);
int berth_job_start_restore(Manager *m, sd_bus_message *request, sd_bus_error *error);
BerthJob *berth_job_free(BerthJob *j);
/* systemd's JobRemoved signal (the bus delivers those of our units only). */
int berth_job_removed(Manager *m, sd_bus_message *msg);

/* polkit.c — authorisation of the methods that change state */
/* Replies to request (now or later) and returns >= 0, or returns < 0 with
 * error set or not, for the caller to reply with. */
typedef int (*AuthorizedAction)(Manager *m, sd_bus_message *request, sd_bus_error *error);
/* Calls act(request) at once when the sender is root, after polkit said yes
 * otherwise; replies with an error when it said no. details: NULL or
 * "key", "value", ... NULL. Returns 1 when the answer comes later. */
int polkit_authorize(Manager *m, sd_bus_message *request, const char *action, char **details, AuthorizedAction act,
                     sd_bus_error *error);
/* Drops the checks in flight (at exit: their callers get no answer). */
void polkit_queries_free(Manager *m);

/* bus_manager.c — /org/berth1 */
extern const sd_bus_vtable berth_manager_vtable[];
