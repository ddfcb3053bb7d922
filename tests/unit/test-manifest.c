/* test-manifest — schema 1 into the App model: the defaults where a manifest
 * is silent, every field mapped, and that validation reports everything it
 * finds and yields no App when anything is wrong. (Exact messages and their
 * positions are covered by tests/manifests/invalid/.) */
#include "manifest.h"
#include "manifest_internal.h"
#include "strv.h"
#include "test.h"

static char host_srv[] = "/srv", host_mnt[] = "/mnt/data";
static char *hosts[] = { host_srv, host_mnt, NULL };
static char conf_path[] = "/etc/berth/berth.conf";
static BerthConf conf = { .path = conf_path, .host_paths = hosts };

static int to_app(const char *id, const char *text, App **ret, Diagnostics *d) {
        YamlDoc *doc = NULL;
        int r;

        r = yaml_load_string("/etc/berth/apps/x.yaml", text, strlen(text), &doc, d);
        if (r < 0)
                return r;
        r = manifest_to_app(doc, id, "/etc/berth/apps/x.yaml", &conf, ret, d);
        yaml_doc_free(doc);
        return r;
}

static App *app_ok(const char *id, const char *text) {
        Diagnostics d = {};
        App *a = NULL;
        int r = to_app(id, text, &a, &d);

        if (r < 0 || d.n > 0) {
                char *t = test_diag_text(&d);
                test_fail(__FILE__, __LINE__, "manifest refused (%d):\n%s", r, t);
        }
        ASSERT(a);
        return a;
}

static void assert_strv_is(char **l, const char *const *want) {
        size_t i = 0;
        for (; want[i]; i++) {
                if (!l || !l[i])
                        test_fail(__FILE__, __LINE__, "list ends at %zu, expected '%s'", i, want[i]);
                ASSERT_STREQ(l[i], want[i]);
        }
        if (l && l[i])
                test_fail(__FILE__, __LINE__, "extra list entry '%s'", l[i]);
}
#define STRV(...) ((const char *const[]) { __VA_ARGS__, NULL })

TEST(test_defaults) {
        App *a = app_ok("web", "containers:\n  web:\n    image: docker.io/library/nginx:1.27\n");
        const Container *c;

        ASSERT_STREQ(a->id, "web");
        ASSERT_STREQ(a->source_path, "/etc/berth/apps/x.yaml");
        ASSERT(!a->dropin_paths);
        ASSERT_STREQ(a->name, "web"); /* the id when no name is given */
        ASSERT(!a->version);
        ASSERT(!a->description);
        ASSERT(a->enabled); /* present = installed = starts at boot */
        ASSERT_EQ(a->n_containers, 1);
        ASSERT_EQ(a->n_volumes, 0);
        ASSERT_EQ(a->n_secrets, 0);
        ASSERT(!a->backup.present);
        ASSERT(!a->backup.schedule);
        ASSERT_EQ(a->migrate_hooks.n_pre + a->migrate_hooks.n_post, 0);

        c = &a->containers[0];
        ASSERT_STREQ(c->name, "web");
        ASSERT_STREQ(c->image, "docker.io/library/nginx:1.27");
        ASSERT(!c->build);
        ASSERT(!c->command);
        ASSERT(!c->entrypoint);
        ASSERT_EQ(c->n_env + c->n_ports + c->n_mounts + c->n_labels, 0);
        ASSERT(!c->depends_on);
        ASSERT(!c->health);
        ASSERT_EQ(c->resources.memory, 0);
        ASSERT_EQ(c->resources.cpus_milli, 0);
        ASSERT_EQ(c->resources.pids, 0);
        ASSERT(!c->user);
        ASSERT(!c->read_only);
        ASSERT(!c->cap_add);
        ASSERT_EQ(c->restart, RESTART_ON_FAILURE);
        ASSERT(c->init);
        ASSERT_EQ_U(c->stop_timeout, 10 * USEC_PER_SEC);
        ASSERT(app_find_container(a, "web") == c);
        ASSERT(!app_find_container(a, "db"));
        app_free(a);

        /* Defaults inside optional sections. */
        a = app_ok("app", "containers:\n"
                          "  web:\n"
                          "    build: {context: /usr/share/berth/build/app}\n"
                          "    health: {cmd: [\"true\"]}\n"
                          "volumes:\n"
                          "  data:\n"
                          "  cache: {backup: false}\n"
                          "secrets:\n"
                          "  key: {generate: }\n"
                          "  other: {generate: {length: 16}}\n"
                          "backup: {}\n");
        c = &a->containers[0];
        ASSERT(c->build);
        ASSERT_STREQ(c->build->context, "/usr/share/berth/build/app");
        ASSERT_STREQ(c->build->file, "Containerfile");
        ASSERT_STREQ(c->build->tag, "localhost/berth-app-web:latest");
        ASSERT_STREQ(c->image, c->build->tag);
        ASSERT_EQ(c->build->n_args, 0);
        ASSERT(c->health);
        assert_strv_is(c->health->cmd, STRV("true"));
        ASSERT(!c->health->shell);
        ASSERT_EQ_U(c->health->interval, 30 * USEC_PER_SEC);
        ASSERT_EQ_U(c->health->timeout, 30 * USEC_PER_SEC);
        ASSERT_EQ_U(c->health->start_period, 0);
        ASSERT_EQ(c->health->retries, 3);
        ASSERT_EQ(a->n_volumes, 2);
        ASSERT_STREQ(a->volumes[0].name, "data");
        ASSERT(a->volumes[0].backup);
        ASSERT(!a->volumes[0].has_owner);
        ASSERT_EQ(a->volumes[0].mode, 0700);
        ASSERT(!a->volumes[0].path);
        ASSERT(!a->volumes[1].backup);
        ASSERT(app_find_volume(a, "cache") == &a->volumes[1]);
        ASSERT_EQ(a->n_secrets, 2);
        ASSERT(a->secrets[0].generate);
        ASSERT_EQ(a->secrets[0].length, 32);
        ASSERT_EQ(a->secrets[0].charset, CHARSET_ALNUM);
        ASSERT(!a->secrets[0].file);
        ASSERT_EQ(a->secrets[1].length, 16);
        ASSERT(app_find_secret(a, "other") == &a->secrets[1]);
        ASSERT(a->backup.present);
        ASSERT_STREQ(a->backup.schedule, "daily");
        ASSERT_EQ_U(a->backup.randomized_delay, 30 * 60 * USEC_PER_SEC);
        ASSERT_EQ(a->backup.retention.last, 3);
        ASSERT_EQ(a->backup.retention.hourly, 0);
        ASSERT_EQ(a->backup.retention.daily, 7);
        ASSERT_EQ(a->backup.retention.weekly, 4);
        ASSERT_EQ(a->backup.retention.monthly, 6);
        ASSERT_EQ(a->backup.retention.yearly, 0);
        ASSERT_EQ(a->backup.quiesce, QUIESCE_NONE);
        ASSERT_EQ(a->backup.hooks.n_pre + a->backup.hooks.n_post, 0);
        app_free(a);

        /* "backup:" with no value is no backup; retention given in part keeps
         * only what it names. */
        a = app_ok("app", "containers: {web: {image: x}}\nbackup:\n");
        ASSERT(!a->backup.present);
        app_free(a);
        a = app_ok("app", "containers: {web: {image: x}}\nbackup: {retention: {daily: 14}}\n");
        ASSERT(a->backup.present);
        ASSERT_EQ(a->backup.retention.last, 0);
        ASSERT_EQ(a->backup.retention.daily, 14);
        ASSERT_EQ(a->backup.retention.weekly, 0);
        ASSERT_EQ(a->backup.retention.monthly, 0);
        app_free(a);
}

static const char full[] =
        "schema: 1\n"
        "name: Immich 100%\n"
        "version: \"1.118.2\"\n"
        "description: Photo and video backup\n"
        "enabled: false\n"
        "containers:\n"
        "  server:\n"
        "    image: ghcr.io/immich-app/immich-server:v1.118.2\n"
        "    command: [\"start.sh\", \"--port=2283\"]\n"
        "    entrypoint: [\"/sbin/tini\", \"--\"]\n"
        "    environment:\n"
        "      DB_HOSTNAME: postgres\n"
        "      DB_PASSWORD: {secret: db-password}\n"
        "      EMPTY: \"\"\n"
        "      PERCENT: \"50%\"\n"
        "    ports:\n"
        "      - \"127.0.0.1:2283:2283/tcp\"\n"
        "      - \"[::1]:2284:2283\"\n"
        "      - \"5353:5353/udp\"\n"
        "    volumes:\n"
        "      - upload:/usr/src/app/upload\n"
        "      - config:/config:ro\n"
        "      - media:/media:rw\n"
        "    depends_on: [postgres, redis, postgres]\n"
        "    health:\n"
        "      cmd: [\"curl\", \"-fsS\", \"http://localhost:2283/api/server/ping\"]\n"
        "      interval: 30s\n"
        "      timeout: 5s\n"
        "      retries: 4\n"
        "      start_period: 1min 30s\n"
        "    resources: {memory: 4G, cpus: 1.5, pids: 1024}\n"
        "    labels: {org.example.team: photos, \"a/b\": \"c d\"}\n"
        "    user: \"1000:1000\"\n"
        "    read_only: true\n"
        "    cap_add: [net_bind_service, CAP_CHOWN, NET_BIND_SERVICE]\n"
        "    restart: always\n"
        "    init: false\n"
        "    stop_timeout: 2min\n"
        "  postgres:\n"
        "    image: docker.io/library/postgres:16\n"
        "    environment: {POSTGRES_PASSWORD: {secret: db-password}}\n"
        "    volumes: [\"pgdata:/var/lib/postgresql/data\"]\n"
        "    health: {cmd: \"pg_isready -U postgres\", interval: 500ms}\n"
        "    restart: \"no\"\n"
        "  redis:\n"
        "    build:\n"
        "      context: /usr/share/berth/build/redis\n"
        "      file: docker/Containerfile.redis\n"
        "      tag: localhost/redis:local\n"
        "      args: {VERSION: \"7.2\", WITH_TLS: \"0\"}\n"
        "volumes:\n"
        "  upload: {backup: true}\n"
        "  config: {backup: false, mode: \"0750\"}\n"
        "  pgdata: {owner: \"999:999\"}\n"
        "  media: {path: /srv/media/photos, owner: \"1000\", mode: \"755\"}\n"
        "secrets:\n"
        "  db-password: {generate: {length: 48, charset: hex}}\n"
        "  smtp_password: {file: /etc/berth/private/smtp}\n"
        "  token.b64: {generate: {charset: base64url}}\n"
        "  printable: {generate: {charset: ascii, length: 8}}\n"
        "backup:\n"
        "  schedule: \"*-*-* 03:00:00\"\n"
        "  randomized_delay: 10min\n"
        "  retention: {last: 2, hourly: 24, daily: 7, weekly: 4, monthly: 12, yearly: 3}\n"
        "  quiesce: stop\n"
        "  hooks:\n"
        "    pre: [{container: postgres, exec: [\"sh\", \"-c\", \"pg_dumpall -U postgres > /var/lib/postgresql/data/dump.sql\"]}]\n"
        "    post: [{container: server, exec: [\"true\"]}, {container: redis, exec: [\"redis-cli\", \"save\"]}]\n"
        "migrate:\n"
        "  hooks:\n"
        "    pre: [{container: postgres, exec: [\"pg_isready\"]}]\n"
        "    post: [{container: server, exec: [\"/usr/local/bin/rekey\"]}]\n";

TEST(test_every_field) {
        App *a = app_ok("immich", full);
        const Container *s, *p, *r;

        ASSERT_STREQ(a->name, "Immich 100%");
        ASSERT_STREQ(a->version, "1.118.2");
        ASSERT_STREQ(a->description, "Photo and video backup");
        ASSERT(!a->enabled);
        ASSERT_EQ(a->n_containers, 3);
        s = &a->containers[0];
        p = &a->containers[1];
        r = &a->containers[2];
        ASSERT_STREQ(s->name, "server"); /* manifest order */
        ASSERT_STREQ(p->name, "postgres");
        ASSERT_STREQ(r->name, "redis");

        ASSERT_STREQ(s->image, "ghcr.io/immich-app/immich-server:v1.118.2");
        assert_strv_is(s->command, STRV("start.sh", "--port=2283"));
        assert_strv_is(s->entrypoint, STRV("/sbin/tini", "--"));
        ASSERT_EQ(s->n_env, 4);
        ASSERT_STREQ(s->env[0].name, "DB_HOSTNAME");
        ASSERT_STREQ(s->env[0].value, "postgres");
        ASSERT(!s->env[0].secret);
        ASSERT_STREQ(s->env[1].name, "DB_PASSWORD");
        ASSERT(!s->env[1].value);
        ASSERT_STREQ(s->env[1].secret, "db-password");
        ASSERT_STREQ(s->env[2].value, "");
        ASSERT_STREQ(s->env[3].value, "50%");
        ASSERT_EQ(s->n_ports, 3);
        ASSERT_STREQ(s->ports[0].host_ip, "127.0.0.1");
        ASSERT_EQ(s->ports[0].host_port, 2283);
        ASSERT_EQ(s->ports[0].container_port, 2283);
        ASSERT_STREQ(s->ports[0].protocol, "tcp");
        ASSERT_STREQ(s->ports[1].host_ip, "::1");
        ASSERT_EQ(s->ports[1].host_port, 2284);
        ASSERT(!s->ports[2].host_ip);
        ASSERT_STREQ(s->ports[2].protocol, "udp");
        ASSERT_EQ(s->n_mounts, 3);
        ASSERT_STREQ(s->mounts[0].volume, "upload");
        ASSERT_STREQ(s->mounts[0].target, "/usr/src/app/upload");
        ASSERT(!s->mounts[0].read_only);
        ASSERT(s->mounts[1].read_only);
        ASSERT(!s->mounts[2].read_only);
        assert_strv_is(s->depends_on, STRV("postgres", "redis")); /* duplicates dropped */
        ASSERT(s->health);
        assert_strv_is(s->health->cmd, STRV("curl", "-fsS", "http://localhost:2283/api/server/ping"));
        ASSERT_EQ_U(s->health->interval, 30 * USEC_PER_SEC);
        ASSERT_EQ_U(s->health->timeout, 5 * USEC_PER_SEC);
        ASSERT_EQ(s->health->retries, 4);
        ASSERT_EQ_U(s->health->start_period, 90 * USEC_PER_SEC);
        ASSERT_EQ_U(s->resources.memory, 4ULL << 30);
        ASSERT_EQ(s->resources.cpus_milli, 1500);
        ASSERT_EQ(s->resources.pids, 1024);
        ASSERT_EQ(s->n_labels, 2);
        ASSERT_STREQ(s->labels[0].key, "org.example.team");
        ASSERT_STREQ(s->labels[0].value, "photos");
        ASSERT_STREQ(s->labels[1].key, "a/b");
        ASSERT_STREQ(s->labels[1].value, "c d");
        ASSERT_STREQ(s->user, "1000:1000");
        ASSERT(s->read_only);
        assert_strv_is(s->cap_add, STRV("NET_BIND_SERVICE", "CHOWN")); /* normalised, deduplicated */
        ASSERT_EQ(s->restart, RESTART_ALWAYS);
        ASSERT(!s->init);
        ASSERT_EQ_U(s->stop_timeout, 120 * USEC_PER_SEC);

        ASSERT_EQ(p->n_env, 1);
        ASSERT_STREQ(p->env[0].secret, "db-password");
        ASSERT(p->health);
        ASSERT(!p->health->cmd);
        ASSERT_STREQ(p->health->shell, "pg_isready -U postgres");
        ASSERT_EQ_U(p->health->interval, 500 * USEC_PER_MSEC);
        ASSERT_EQ(p->restart, RESTART_NO);
        ASSERT(p->init);

        ASSERT(r->build);
        ASSERT_STREQ(r->build->context, "/usr/share/berth/build/redis");
        ASSERT_STREQ(r->build->file, "docker/Containerfile.redis");
        ASSERT_STREQ(r->build->tag, "localhost/redis:local");
        ASSERT_STREQ(r->image, "localhost/redis:local");
        ASSERT_EQ(r->build->n_args, 2);
        ASSERT_STREQ(r->build->args[0].key, "VERSION");
        ASSERT_STREQ(r->build->args[0].value, "7.2");
        ASSERT_STREQ(r->build->args[1].key, "WITH_TLS");

        ASSERT_EQ(a->n_volumes, 4);
        ASSERT(a->volumes[0].backup);
        ASSERT(!a->volumes[1].backup);
        ASSERT_EQ(a->volumes[1].mode, 0750);
        ASSERT(a->volumes[2].has_owner);
        ASSERT_EQ(a->volumes[2].uid, 999);
        ASSERT_EQ(a->volumes[2].gid, 999);
        ASSERT_EQ(a->volumes[2].mode, 0700);
        ASSERT_STREQ(a->volumes[3].path, "/srv/media/photos");
        ASSERT_EQ(a->volumes[3].uid, 1000);
        ASSERT_EQ(a->volumes[3].gid, 1000);
        ASSERT_EQ(a->volumes[3].mode, 0755);

        ASSERT_EQ(a->n_secrets, 4);
        ASSERT_STREQ(a->secrets[0].name, "db-password");
        ASSERT(a->secrets[0].generate);
        ASSERT_EQ(a->secrets[0].length, 48);
        ASSERT_EQ(a->secrets[0].charset, CHARSET_HEX);
        ASSERT_STREQ(a->secrets[1].name, "smtp_password");
        ASSERT(!a->secrets[1].generate);
        ASSERT_STREQ(a->secrets[1].file, "/etc/berth/private/smtp");
        ASSERT_EQ(a->secrets[2].charset, CHARSET_BASE64URL);
        ASSERT_EQ(a->secrets[2].length, 32);
        ASSERT_EQ(a->secrets[3].charset, CHARSET_ASCII);
        ASSERT_EQ(a->secrets[3].length, 8);

        ASSERT(a->backup.present);
        ASSERT_STREQ(a->backup.schedule, "*-*-* 03:00:00");
        ASSERT_EQ_U(a->backup.randomized_delay, 600 * USEC_PER_SEC);
        ASSERT_EQ(a->backup.retention.last, 2);
        ASSERT_EQ(a->backup.retention.hourly, 24);
        ASSERT_EQ(a->backup.retention.daily, 7);
        ASSERT_EQ(a->backup.retention.weekly, 4);
        ASSERT_EQ(a->backup.retention.monthly, 12);
        ASSERT_EQ(a->backup.retention.yearly, 3);
        ASSERT_EQ(a->backup.quiesce, QUIESCE_STOP);
        ASSERT_EQ(a->backup.hooks.n_pre, 1);
        ASSERT_STREQ(a->backup.hooks.pre[0].container, "postgres");
        assert_strv_is(a->backup.hooks.pre[0].exec, STRV("sh", "-c", "pg_dumpall -U postgres > /var/lib/postgresql/data/dump.sql"));
        ASSERT_EQ(a->backup.hooks.n_post, 2);
        ASSERT_STREQ(a->backup.hooks.post[1].container, "redis");
        assert_strv_is(a->backup.hooks.post[1].exec, STRV("redis-cli", "save"));
        ASSERT_EQ(a->migrate_hooks.n_pre, 1);
        ASSERT_STREQ(a->migrate_hooks.pre[0].container, "postgres");
        ASSERT_EQ(a->migrate_hooks.n_post, 1);
        assert_strv_is(a->migrate_hooks.post[0].exec, STRV("/usr/local/bin/rekey"));

        ASSERT_STREQ(restart_policy_to_string(RESTART_NO), "no");
        ASSERT_STREQ(restart_policy_to_string(RESTART_ON_FAILURE), "on-failure");
        ASSERT_STREQ(restart_policy_to_string(RESTART_ALWAYS), "always");
        ASSERT_STREQ(secret_charset_to_string(CHARSET_BASE64URL), "base64url");
        app_free(a);
}

TEST(test_every_error_reported) {
        Diagnostics d = {};
        App *a = NULL;
        char *t;

        /* Several unrelated problems: all of them, in document order, and no App. */
        ASSERT_ERR(to_app("app",
                          "name: [x]\n"
                          "enabled: yes\n"
                          "containers:\n"
                          "  web:\n"
                          "    image: nginx\n"
                          "    ports: [\"80\"]\n"
                          "    restart: sometimes\n"
                          "  db:\n"
                          "    imag: postgres\n"
                          "volumes:\n"
                          "  data: {mode: \"4755\"}\n",
                          &a, &d),
                   EINVAL);
        ASSERT(!a);
        t = test_diag_text(&d);
        ASSERT_STREQ(t, "/etc/berth/apps/x.yaml:1:7: name is a list, expected a string\n"
                        "/etc/berth/apps/x.yaml:2:10: enabled is 'yes', expected true or false\n"
                        "/etc/berth/apps/x.yaml:11:16: mode is '4755', expected an octal permission such as \"0750\" (no setuid, setgid or sticky bits)\n"
                        "/etc/berth/apps/x.yaml:6:13: port '80' is not valid, expected [IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp|sctp] with ports 1-65535\n"
                        "/etc/berth/apps/x.yaml:7:14: restart is 'sometimes', expected one of: no, on-failure, always\n"
                        "/etc/berth/apps/x.yaml:9:5: unknown key 'imag' in container 'db', did you mean 'image'?\n"
                        "/etc/berth/apps/x.yaml:8:3: container 'db' has neither 'image' nor 'build', expected exactly one\n");
        free(t);
        diag_clear(&d);

        /* A bad id and an empty document. */
        ASSERT_ERR(to_app("Bad_Id", "", &a, &d), EINVAL);
        t = test_diag_text(&d);
        ASSERT_STREQ(t, "/etc/berth/apps/x.yaml: 'Bad_Id' is not a valid app id (taken from the file name), expected 1-32 characters of a-z, 0-9 and '-', starting with a letter or digit\n"
                        "/etc/berth/apps/x.yaml: manifest is empty, expected a mapping with at least 'containers:'\n");
        free(t);
        diag_clear(&d);
        ASSERT(!a);

        /* A quoted 1 is a string. */
        ASSERT_ERR(to_app("app", "schema: \"1\"\ncontainers: {web: {image: x}}\n", &a, &d), EINVAL);
        ASSERT_DIAG1(&d, "/etc/berth/apps/x.yaml:1:9: schema is the string '1', expected the number 1, without quotes");
        diag_clear(&d);

        /* A NULL document (nothing loaded) is an empty manifest, not a crash. */
        ASSERT_ERR(manifest_to_app(NULL, "app", "/x/app.yaml", NULL, &a, &d), EINVAL);
        ASSERT_EQ(d.n, 1);
        diag_clear(&d);
}

TEST(test_host_paths) {
        Diagnostics d = {};
        App *a = NULL;

        a = app_ok("app", "containers: {web: {image: x, volumes: [\"m:/m\"]}}\nvolumes: {m: {path: /mnt/data/photos}}\n");
        ASSERT_STREQ(a->volumes[0].path, "/mnt/data/photos");
        app_free(a);
        /* The allowed directory itself is not a volume path; a sibling with the
         * same prefix is not below it. */
        ASSERT_ERR(to_app("app", "containers: {web: {image: x}}\nvolumes: {m: {path: /srv}}\n", &a, &d), EINVAL);
        ASSERT_DIAG1(&d, "/etc/berth/apps/x.yaml:2:21: host path '/srv' is not under a directory allowed in /etc/berth/berth.conf, expected a path below one of: /srv, /mnt/data");
        diag_clear(&d);
        ASSERT_ERR(to_app("app", "containers: {web: {image: x}}\nvolumes: {m: {path: /srvdata/x}}\n", &a, &d), EINVAL);
        ASSERT_EQ(d.n, 1);
        diag_clear(&d);
        /* Without a berth.conf nothing is allowed. */
        {
                YamlDoc *doc = NULL;
                const char *text = "containers: {web: {image: x}}\nvolumes: {m: {path: /srv/x}}\n";
                ASSERT_OK(yaml_load_string("/a/app.yaml", text, strlen(text), &doc, &d));
                ASSERT_ERR(manifest_to_app(doc, "app", "/a/app.yaml", NULL, &a, &d), EINVAL);
                ASSERT_EQ(d.n, 1);
                ASSERT(strstr(d.items[0].message, "(none allowed: add host_paths to berth.conf)"));
                diag_clear(&d);
                yaml_doc_free(doc);
        }
}

/* Clashing host ports are reported in manifest order, each naming the first
 * container that published the port; a container may list at most
 * MANIFEST_LIST_MAX ports or volumes; at most DIAG_MAX problems are kept, the
 * rest counted. */
TEST(test_port_clashes_and_limits) {
        Diagnostics d = {};
        App *a = NULL;
        char *t, *text = NULL;
        size_t len = 0;
        FILE *f;

        ASSERT_ERR(to_app("app",
                          "containers:\n"
                          "  web:\n"
                          "    image: x\n"
                          "    ports: [\"8443:443\", \"127.0.0.1:80:80\", \"[::1]:80:80\", \"80:80/udp\"]\n"
                          "  db:\n"
                          "    image: x\n"
                          "    ports: [\"0.0.0.0:80:81\", \"127.0.0.2:8443:1\", \"[::]:80:82\", \"127.0.0.2:9:9\", \"::2:9:9\"]\n",
                          &a, &d),
                   EINVAL);
        t = test_diag_text(&d);
        /* (The invalid last entry makes the positions of the valid ones counted.) */
        ASSERT_STREQ(t, "/etc/berth/apps/x.yaml:7:81: port '::2:9:9' is not valid, expected [IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp|sctp] with ports 1-65535\n"
                        "/etc/berth/apps/x.yaml:7:13: host port 80/tcp is already published by container 'web', expected each host port once\n"
                        "/etc/berth/apps/x.yaml:7:30: host port 8443/tcp is already published by container 'web', expected each host port once\n"
                        "/etc/berth/apps/x.yaml:7:50: host port 80/tcp is already published by container 'web', expected each host port once\n");
        free(t);
        diag_clear(&d);

        f = open_memstream(&text, &len);
        ASSERT(f);
        fputs("containers:\n  web:\n    image: x\n    ports:\n", f);
        for (int i = 0; i < MANIFEST_LIST_MAX; i++)
                fputs("      - \"80:80\"\n", f);
        fputs("    volumes: [", f);
        for (int i = 0; i <= MANIFEST_LIST_MAX; i++)
                fprintf(f, "%s\"v:/v%d\"", i ? ", " : "", i);
        fputs("]\nvolumes: {v: {}}\n", f);
        ASSERT(fclose(f) == 0);
        ASSERT_ERR(to_app("app", text, &a, &d), EINVAL);
        ASSERT_EQ(d.n, DIAG_MAX);
        ASSERT_STREQ(d.items[0].message, "volumes has 1025 entries, expected at most 1024");
        ASSERT_EQ(d.items[1].line, 6);
        ASSERT_STREQ(d.items[1].message, "host port 80/tcp is already published by container 'web', expected each host port once");
        ASSERT_EQ(d.items[DIAG_MAX - 1].line, DIAG_MAX + 4);
        ASSERT_EQ(d.dropped, MANIFEST_LIST_MAX - 1 - (DIAG_MAX - 1));
        t = diag_trailer(&d);
        ASSERT_STREQ(t, "(824 further problems were not recorded: at most 200 are kept)");
        free(t);
        diag_clear(&d);
        free(text);
}

/* A container's podman command line must stay below systemd's 1 MiB line. */
TEST(test_command_line_bound) {
        Diagnostics d = {};
        App *a = NULL;
        char *text = NULL, *word = malloc(8001);
        size_t len = 0;
        FILE *f;

        ASSERT(word);
        memset(word, 'a', 8000);
        word[8000] = 0;
        for (int words = 40; words <= 60; words += 20) {
                f = open_memstream(&text, &len);
                ASSERT(f);
                fputs("containers:\n  web:\n    image: x\n    command: [", f);
                for (int i = 0; i < words; i++)
                        fprintf(f, "%s\"%s\"", i ? ", " : "", word);
                fputs("]\n", f);
                ASSERT(fclose(f) == 0);
                if (words == 40) {
                        a = app_ok("app", text);
                        app_free(a);
                } else {
                        ASSERT_ERR(to_app("app", text, &a, &d), EINVAL);
                        ASSERT_DIAG1(&d, "/etc/berth/apps/x.yaml:2:3: container 'web' would render a podman command line of up to 961466 bytes (command, entry point, environment, labels, volumes, health check), expected at most 786432: systemd reads unit lines of up to 1 MiB");
                        diag_clear(&d);
                }
                free(text);
                text = NULL;
        }
        /* A health command goes as a JSON array, where a '"' takes 4 bytes in
         * the unit: 30 words of 8,000 of them would make 960 KB. */
        memset(word, '"', 8000);
        f = open_memstream(&text, &len);
        ASSERT(f);
        fputs("containers:\n  web:\n    image: x\n    health:\n      cmd: [\"sh\"", f);
        for (int i = 0; i < 30; i++)
                fprintf(f, ", '%s'", word);
        fputs("]\n", f);
        ASSERT(fclose(f) == 0);
        ASSERT_ERR(to_app("app", text, &a, &d), EINVAL);
        ASSERT_EQ(d.n, 1);
        ASSERT(startswith(d.items[0].message, "container 'web' would render a podman command line of up to 961"));
        diag_clear(&d);
        free(text);
        free(word);
}

TEST(test_names) {
        ASSERT(name_valid("web", 32, false));
        ASSERT(name_valid("web-2", 32, false));
        ASSERT(!name_valid("web_2", 32, false));
        ASSERT(name_valid("web_2.x", 64, true));
        ASSERT(!name_valid("_x", 64, true));
        ASSERT(!name_valid("Web", 32, false));
        ASSERT(!name_valid("", 32, false));
        ASSERT(name_valid("abcdefghijklmnopqrstuvwxyz012345", 32, false));
        ASSERT(!name_valid("abcdefghijklmnopqrstuvwxyz0123456", 32, false));

        ASSERT(container_name_reserved("prepare"));
        ASSERT(container_name_reserved("backup"));
        ASSERT(container_name_reserved("network"));
        ASSERT(container_name_reserved("web-build"));
        ASSERT(!container_name_reserved("builder"));
        ASSERT(!container_name_reserved("web"));
}

/* With the drop-in 30-bad.yaml of text next to the manifest p in dir, loading
 * fails with one problem, at line:column of the drop-in, reading message
 * (unless NULL). */
static void assert_dropin_refused(const char *dir, const char *p, AppSource *src, const char *text,
                                  unsigned line, unsigned column, const char *message) {
        Diagnostics d = {};
        App *a = NULL;

        test_write(dir, "web.yaml.d/30-bad.yaml", text);
        app_source_done(src);
        ASSERT_OK(app_source_from_file(p, src));
        ASSERT_ERR(manifest_load(src, NULL, &a, &d), EINVAL);
        ASSERT_EQ(d.n, 1);
        ASSERT(endswith(d.items[0].file, "/web.yaml.d/30-bad.yaml"));
        ASSERT_EQ(d.items[0].line, line);
        ASSERT_EQ(d.items[0].column, column);
        if (message)
                ASSERT_STREQ(d.items[0].message, message);
        diag_clear(&d);
}

TEST(test_load_with_dropins) {
        char *dir = test_tmpdir(), *p = NULL;
        AppSource src = {};
        Diagnostics d = {};
        App *a = NULL;

        test_write(dir, "web.yaml", "name: Web\ncontainers:\n  web:\n    image: nginx\n    ports: [\"80:80\"]\n");
        test_write(dir, "web.yaml.d/10-port.yaml", "containers:\n  web:\n    ports: [\"127.0.0.1:8080:80\"]\n");
        test_write(dir, "web.yaml.d/20-off.yaml", "enabled: false\n");
        ASSERT(asprintf(&p, "%s/web.yaml", dir) > 0);
        ASSERT_OK(app_source_from_file(p, &src));
        ASSERT_OK(manifest_load(&src, NULL, &a, &d));
        ASSERT_EQ(d.n, 0);
        ASSERT_STREQ(a->source_path, p);
        ASSERT_EQ(strv_length(a->dropin_paths), 2);
        ASSERT(!a->enabled);
        ASSERT_EQ(a->containers[0].n_ports, 1);
        ASSERT_STREQ(a->containers[0].ports[0].host_ip, "127.0.0.1");
        app_free(a);
        a = NULL;

        /* An error in a drop-in names the drop-in. */
        assert_dropin_refused(dir, p, &src, "containers:\n  web:\n    restart: never\n", 3, 14, NULL);
        /* A required key a drop-in removes is reported where the drop-in removes it. */
        assert_dropin_refused(dir, p, &src, "containers:\n  web:\n    image: ~\n", 3, 5,
                              "container 'web' has neither 'image' nor 'build': this drop-in removes its 'image' (a null), expected exactly one");
        assert_dropin_refused(dir, p, &src, "containers: ~\n", 1, 1,
                              "manifest has no 'containers': this drop-in removes them (a null), expected a mapping of container names to their settings");
        app_source_done(&src);
        free(p);
        test_tmpdir_done(dir);
}

int main(void) {
        RUN(test_defaults);
        RUN(test_every_field);
        RUN(test_every_error_reported);
        RUN(test_host_paths);
        RUN(test_port_clashes_and_limits);
        RUN(test_command_line_bound);
        RUN(test_names);
        RUN(test_load_with_dropins);
        TEST_DONE();
}
