/* upgrade_snapshot.c — see upgrade_snapshot.h. */
#include <dirent.h>
#include <sodium.h>

#include "app_source.h"
#include "state_db.h"
#include "upgrade_snapshot.h"
#include "yaml_tree.h"

void upgrade_result_done(UpgradeResult *r) {
        free(r->snapshot_id);
        free(r->error);
        *r = (UpgradeResult) {};
}

/* A tag and a length, then the length's bytes at s (none for a count: s NULL). */
static void hash_bytes(crypto_hash_sha256_state *st, char tag, const char *s, size_t len) {
        uint64_t l = len;
        crypto_hash_sha256_update(st, (const unsigned char *) &tag, 1);
        crypto_hash_sha256_update(st, (const unsigned char *) &l, sizeof(l));
        if (s)
                crypto_hash_sha256_update(st, (const unsigned char *) s, len);
}

typedef struct Entry {
        const Node *key, *value;
} Entry;

static int entry_compare(const void *x, const void *y) {
        const Node *a = ((const Entry *) x)->key, *b = ((const Entry *) y)->key;
        int c = memcmp(a->value, b->value, MIN(a->value_len, b->value_len));
        return c != 0 ? c : (a->value_len > b->value_len) - (a->value_len < b->value_len);
}

/* Top-level keys that do not change what runs against the app's data. */
static bool key_ignored(const Node *k) {
        static const char *const ignored[] = { "name", "description", "enabled", "backup", "migrate" };
        for (size_t i = 0; i < ELEMENTSOF(ignored); i++)
                if (node_key_equal(k, ignored[i], strlen(ignored[i])))
                        return true;
        return false;
}

/* Each node with its type and length: no two different trees give the same
 * bytes. Mapping keys are taken sorted (their order means nothing). */
static int hash_node(crypto_hash_sha256_state *st, const Node *n, bool top) {
        switch (n->type) {
        case NODE_SCALAR:
                hash_bytes(st, n->plain ? 'p' : 'q', n->value, n->value_len);
                return 0;
        case NODE_SEQUENCE:
                hash_bytes(st, 'L', NULL, n->n);
                for (size_t i = 0; i < n->n; i++) {
                        int r = hash_node(st, n->items[i], false);
                        if (r < 0)
                                return r;
                }
                return 0;
        case NODE_MAPPING: {
                _cleanup_free_ Entry *e = NULL;
                size_t k = 0;

                if (n->n > 0 && !(e = calloc(n->n, sizeof(Entry))))
                        return -ENOMEM;
                for (size_t i = 0; i < n->n; i++)
                        if (!top || !key_ignored(n->keys[i]))
                                e[k++] = (Entry) { n->keys[i], n->items[i] };
                if (k > 0)
                        qsort(e, k, sizeof(Entry), entry_compare);
                hash_bytes(st, 'M', NULL, k);
                for (size_t i = 0; i < k; i++) {
                        int r;
                        hash_bytes(st, 'k', e[i].key->value, e[i].key->value_len);
                        if ((r = hash_node(st, e[i].value, false)) < 0)
                                return r;
                }
                return 0;
        }
        }
        return -EINVAL;
}

int manifest_digest(const App *a, char ret[static MANIFEST_DIGEST_SIZE], Diagnostics *diag) {
        _cleanup_(yaml_doc_freep) YamlDoc *doc = NULL;
        AppSource src = { .id = a->id, .path = a->source_path, .dropins = a->dropin_paths };
        unsigned char h[crypto_hash_sha256_BYTES];
        crypto_hash_sha256_state st;
        int r;

        if (!a->source_path)
                return -EINVAL;
        r = app_source_load(&src, &doc, diag);
        if (r < 0)
                return r;
        crypto_hash_sha256_init(&st);
        if (doc->root && (r = hash_node(&st, doc->root, true)) < 0)
                return r;
        crypto_hash_sha256_final(&st, h);
        sodium_bin2hex(ret, MANIFEST_DIGEST_SIZE, h, sizeof(h));
        return 0;
}

static int fail_errno(UpgradeResult *r, int error, const char *what, const char *path) {
        if (!r->error)
                r->error = strprintf("%s '%s': %s", what, path, strerror(-error));
        return error;
}

/* Whether a volume the app backs up holds anything: an app with no manifest
 * recorded but with data is not new here (berth itself was upgraded, the
 * state database was lost, the data was restored or moved in). */
static int app_has_data(const App *a, const BerthPaths *paths) {
        for (size_t i = 0; i < a->n_volumes; i++) {
                _cleanup_free_ char *path = NULL;
                DIR *d;
                struct dirent *de;
                bool any = false;

                if (!a->volumes[i].backup)
                        continue;
                if (!(path = berth_volume_path(paths, a->id, &a->volumes[i])))
                        return -ENOMEM;
                d = opendir(path);
                if (!d) {
                        if (errno == ENOENT)
                                continue;
                        return -errno;
                }
                while (!any && (de = readdir(d)))
                        any = !streq(de->d_name, ".") && !streq(de->d_name, "..");
                closedir(d);
                if (any)
                        return 1;
        }
        return 0;
}

int app_upgrade_check(const App *a, const BerthConf *conf, const BerthPaths *paths, bool (*units_stale)(const App *a),
                      const BackupReporter *rep, UpgradeResult *ret) {
        _cleanup_(state_db_closep) StateDb *db = NULL;
        _cleanup_free_ char *dbpath = state_db_path(paths->state_dir), *recorded = NULL;
        char digest[MANIFEST_DIGEST_SIZE];
        const char *why = NULL;
        int r;

        *ret = (UpgradeResult) {};
        if (!dbpath)
                return -ENOMEM;
        {
                Diagnostics diag = {};
                r = manifest_digest(a, digest, &diag);
                if (r < 0 && diag.n > 0) {
                        /* The manifest changed (or went) since it was loaded: say where. */
                        _cleanup_free_ char *what = diag_format(&diag.items[0]);
                        ret->error = strprintf("cannot read the manifest again: %s", strempty(what));
                }
                diag_clear(&diag);
                if (r < 0)
                        return fail_errno(ret, r, "cannot read the manifest", a->source_path);
        }
        r = state_db_open(dbpath, false, &db);
        if (r < 0)
                return fail_errno(ret, r, "cannot open the state database", dbpath);
        /* Whatever comes next: a snapshot this service was stopped in the middle
         * of is closed (systemd runs one prepare of an app at a time). */
        backup_close_interrupted_jobs(db, a->id, BACKUP_PRE_UPGRADE, rep);
        r = state_db_manifest_hash_get(db, a->id, &recorded, NULL);
        if (r == -ENOENT) {
                r = app_has_data(a, paths);
                if (r < 0)
                        return fail_errno(ret, r, "cannot look into the volumes of app", a->id);
                if (r == 0)
                        ret->outcome = UPGRADE_FIRST_START;
                else
                        why = "no manifest of it is recorded, and it has data";
        } else if (r < 0)
                return fail_errno(ret, r, "cannot read the recorded manifest from", dbpath);
        else if (streq(recorded, digest))
                ret->outcome = UPGRADE_UNCHANGED;
        else
                why = "its manifest changed since it last started";
        if (why && units_stale && units_stale(a))
                ret->outcome = UPGRADE_UNITS_STALE;
        else if (why && !conf->upgrade_snapshot)
                ret->outcome = UPGRADE_SNAPSHOT_DISABLED;
        else if (why) {
                reporter_step(rep, 6, "App '%s': %s", a->id, why);
                r = backup_safety_snapshot(a, conf, paths, db, BACKUP_PRE_UPGRADE, rep, &ret->job_id, &ret->snapshot_id,
                                           &ret->error);
                if (r < 0)
                        return r;
                ret->outcome = ret->snapshot_id ? UPGRADE_SNAPSHOT_SAVED : UPGRADE_SNAPSHOT_FAILED;
        }
        if (ret->outcome == UPGRADE_UNCHANGED || ret->outcome == UPGRADE_SNAPSHOT_FAILED || ret->outcome == UPGRADE_UNITS_STALE)
                return 0;
        /* Not recorded, the next start compares with the old manifest again
         * and takes another snapshot: more than needed, nothing lost. */
        r = state_db_manifest_hash_set(db, a->id, digest);
        if (r < 0)
                reporter_step(rep, 4, "Failed to record the manifest of app '%s' in '%s', ignoring: %s", a->id, dbpath,
                              strerror(-r));
        return 0;
}
