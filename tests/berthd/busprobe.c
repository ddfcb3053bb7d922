/* busprobe — a small sd-bus client for berthd's tests and benchmark.
 *
 *   busprobe watch [--subscribe] [--timeout SEC] [--until TEXT]
 *       prints every signal berthd (org.berth1) sends, one line each
 *       ("PropertiesChanged /org/berth1/app/web ActiveState=active ...",
 *       "JobNew 1 /org/berth1/job/1 web backup"); "ready" first, once the
 *       match (and Subscribe(), which keeps berthd running) is in place.
 *       Exits 0 after a line containing TEXT, 1 at the timeout (0: none).
 *   busprobe bench [--seconds SEC] [--rounds N] APP_PATH
 *       latency of GetAll on org.freedesktop.hostname1 (the baseline), GetAll
 *       on berthd's APP_PATH and berthd's ListApps(), one call at a time, the
 *       three interleaved in N rounds; p50, p99, calls/s, and the ratios.
 *
 * The system bus, or DBUS_SYSTEM_BUS_ADDRESS. Exit status 2: usage or bus errors. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <time.h>

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000;
}

/* One value of a variant or argument, short. */
static void print_value(sd_bus_message *m, FILE *f) {
        char type;
        const char *contents;

        if (sd_bus_message_peek_type(m, &type, &contents) <= 0)
                return;
        switch (type) {
        case 's':
        case 'o': {
                const char *s;
                sd_bus_message_read_basic(m, type, &s);
                fprintf(f, "%s", s);
                return;
        }
        case 'b': {
                int b;
                sd_bus_message_read_basic(m, type, &b);
                fprintf(f, "%s", b ? "true" : "false");
                return;
        }
        case 'u': {
                uint32_t u;
                sd_bus_message_read_basic(m, type, &u);
                fprintf(f, "%" PRIu32, u);
                return;
        }
        case 't': {
                uint64_t t;
                sd_bus_message_read_basic(m, type, &t);
                fprintf(f, "%" PRIu64, t);
                return;
        }
        case 'v':
                sd_bus_message_enter_container(m, 'v', contents);
                print_value(m, f);
                sd_bus_message_exit_container(m);
                return;
        case 'a':
        case 'r': {
                bool first = true;
                fputc(type == 'a' ? '[' : '(', f);
                sd_bus_message_enter_container(m, type, contents);
                while (!sd_bus_message_at_end(m, false)) {
                        if (!first)
                                fputc(',', f);
                        first = false;
                        print_value(m, f);
                }
                sd_bus_message_exit_container(m);
                fputc(type == 'a' ? ']' : ')', f);
                return;
        }
        default:
                sd_bus_message_skip(m, NULL);
                fprintf(f, "?");
        }
}

static const char *arg_until;
static bool seen;

static int on_signal(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                return 0;
        fprintf(f, "%s %s", sd_bus_message_get_member(m), sd_bus_message_get_path(m));
        if (sd_bus_message_is_signal(m, "org.freedesktop.DBus.Properties", "PropertiesChanged")) {
                const char *iface;
                sd_bus_message_read(m, "s", &iface);
                sd_bus_message_enter_container(m, 'a', "{sv}");
                while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
                        const char *name;
                        sd_bus_message_read(m, "s", &name);
                        fprintf(f, " %s=", name);
                        print_value(m, f);
                        sd_bus_message_exit_container(m);
                }
        } else
                while (!sd_bus_message_at_end(m, false)) {
                        fputc(' ', f);
                        print_value(m, f);
                }
        fclose(f);
        printf("%s\n", buf);
        fflush(stdout);
        if (arg_until && strstr(buf, arg_until))
                seen = true;
        free(buf);
        return 0;
}

static int do_watch(sd_bus *bus, bool subscribe, unsigned timeout) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        uint64_t deadline = timeout ? now_usec() + (uint64_t) timeout * 1000000ULL : 0;
        int r;

        r = sd_bus_add_match(bus, NULL, "type='signal',sender='org.berth1'", on_signal, NULL);
        if (r < 0) {
                fprintf(stderr, "busprobe: AddMatch: %s\n", strerror(-r));
                return 2;
        }
        if (subscribe) {
                r = sd_bus_call_method(bus, "org.berth1", "/org/berth1", "org.berth1.Manager", "Subscribe", &error,
                                       NULL, NULL);
                if (r < 0) {
                        fprintf(stderr, "busprobe: Subscribe: %s\n", error.message ?: strerror(-r));
                        sd_bus_error_free(&error);
                        return 2;
                }
        }
        printf("ready\n");
        fflush(stdout);
        while (!seen) {
                uint64_t left = UINT64_MAX, n;
                r = sd_bus_process(bus, NULL);
                if (r < 0) {
                        fprintf(stderr, "busprobe: %s\n", strerror(-r));
                        return 2;
                }
                if (r > 0)
                        continue;
                if (deadline) {
                        n = now_usec();
                        if (n >= deadline)
                                return 1;
                        left = deadline - n;
                }
                r = sd_bus_wait(bus, left);
                if (r < 0) {
                        fprintf(stderr, "busprobe: %s\n", strerror(-r));
                        return 2;
                }
        }
        return 0;
}

typedef struct Target {
        const char *label;
        const char *dest, *path, *iface, *method; /* method NULL: GetAll(iface) */
        uint64_t *samples;
        size_t n, cap;
} Target;

static int one_call(sd_bus *bus, Target *t) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        uint64_t t0 = now_usec();
        int r;

        if (t->method)
                r = sd_bus_call_method(bus, t->dest, t->path, t->iface, t->method, &error, &reply, NULL);
        else
                r = sd_bus_call_method(bus, t->dest, t->path, "org.freedesktop.DBus.Properties", "GetAll", &error,
                                       &reply, "s", t->iface);
        uint64_t dt = now_usec() - t0;
        sd_bus_message_unref(reply);
        if (r < 0) {
                fprintf(stderr, "busprobe: %s on %s: %s\n", t->method ?: "GetAll", t->dest, error.message ?: strerror(-r));
                sd_bus_error_free(&error);
                return r;
        }
        if (t->n == t->cap) {
                t->cap = t->cap ? t->cap * 2 : 4096;
                uint64_t *s = realloc(t->samples, t->cap * sizeof(*s));
                if (!s)
                        return -ENOMEM;
                t->samples = s;
        }
        t->samples[t->n++] = dt;
        return 0;
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

static double pct(const Target *t, double p) {
        size_t i = (size_t) (p * (double) (t->n - 1) + 0.5);
        return (double) t->samples[i];
}

static int do_bench(sd_bus *bus, const char *app_path, double seconds, unsigned rounds) {
        Target targets[] = {
                { .label = "hostname1 GetAll", .dest = "org.freedesktop.hostname1", .path = "/org/freedesktop/hostname1",
                  .iface = "org.freedesktop.hostname1" },
                { .label = "berth1 app GetAll", .dest = "org.berth1", .path = app_path, .iface = "org.berth1.App" },
                { .label = "berth1 ListApps", .dest = "org.berth1", .path = "/org/berth1", .iface = "org.berth1.Manager",
                  .method = "ListApps" },
        };
        const size_t nt = sizeof(targets) / sizeof(targets[0]);
        uint64_t busy[3] = {};
        double slice = seconds / (double) rounds / (double) nt;

        /* Warm up: activation of both services, first-call costs. */
        for (size_t k = 0; k < nt; k++)
                for (int i = 0; i < 50; i++)
                        if (one_call(bus, &targets[k]) < 0)
                                return 2;
        for (size_t k = 0; k < nt; k++)
                targets[k].n = 0;
        for (unsigned r = 0; r < rounds; r++)
                for (size_t k = 0; k < nt; k++) {
                        uint64_t t0 = now_usec(), end = t0 + (uint64_t) (slice * 1e6);
                        while (now_usec() < end)
                                if (one_call(bus, &targets[k]) < 0)
                                        return 2;
                        busy[k] += now_usec() - t0;
                }
        double p50[3], p99[3], cps[3];
        for (size_t k = 0; k < nt; k++) {
                Target *t = &targets[k];
                qsort(t->samples, t->n, sizeof(uint64_t), cmp_u64);
                p50[k] = pct(t, 0.50);
                p99[k] = pct(t, 0.99);
                cps[k] = (double) t->n / ((double) busy[k] / 1e6);
                printf("%-18s calls %7zu  p50 %7.1f us  p99 %7.1f us  %8.0f calls/s\n", t->label, t->n, p50[k], p99[k], cps[k]);
                free(t->samples);
        }
        printf("ratio p50 app GetAll / hostname1 GetAll: %.2f\n", p50[1] / p50[0]);
        printf("ratio p50 ListApps / hostname1 GetAll:   %.2f\n", p50[2] / p50[0]);
        printf("ratio p99 app GetAll / hostname1 GetAll: %.2f\n", p99[1] / p99[0]);
        printf("ratio calls/s app GetAll / hostname1:    %.2f\n", cps[1] / cps[0]);
        return 0;
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "subscribe", no_argument, NULL, 's' },
                { "timeout", required_argument, NULL, 't' },
                { "until", required_argument, NULL, 'u' },
                { "seconds", required_argument, NULL, 'S' },
                { "rounds", required_argument, NULL, 'R' },
                {},
        };
        sd_bus *bus = NULL;
        bool subscribe = false;
        unsigned timeout = 30, rounds = 10;
        double seconds = 10;
        int c, r;

        if (argc < 2) {
                fprintf(stderr, "usage: busprobe watch|bench ...\n");
                return 2;
        }
        const char *cmd = argv[1];
        optind = 2;
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 's':
                        subscribe = true;
                        break;
                case 't':
                        timeout = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 'u':
                        arg_until = optarg;
                        break;
                case 'S':
                        seconds = strtod(optarg, NULL);
                        break;
                case 'R':
                        rounds = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                default:
                        return 2;
                }
        r = sd_bus_open_system(&bus);
        if (r < 0) {
                fprintf(stderr, "busprobe: system bus: %s\n", strerror(-r));
                return 2;
        }
        if (strcmp(cmd, "watch") == 0)
                r = do_watch(bus, subscribe, timeout);
        else if (strcmp(cmd, "bench") == 0 && optind + 1 == argc && rounds > 0 && seconds > 0)
                r = do_bench(bus, argv[optind], seconds, rounds);
        else {
                fprintf(stderr, "usage: busprobe watch [--subscribe] [--timeout SEC] [--until TEXT] | bench [--seconds S] [--rounds N] APP_PATH\n");
                r = 2;
        }
        sd_bus_flush_close_unref(bus);
        return r;
}
