/* iofloor — the I/O floor for bench/generator: the least a generator has to do.
 *
 *   iofloor [-j THREADS] APPS_DIR PLAN OUT_DIR
 *
 * Reads every *.yaml in APPS_DIR whole (as berth-generator reads the manifests),
 * then creates in OUT_DIR exactly the tree PLAN lists, which bench/generator takes
 * from berth-generator's own output: the same directories, the same symlinks and
 * the same number of files with the same number of bytes, each file created with
 * O_EXCL and written with one write() per file, as berth does. No parsing, no
 * rendering: what is left is the system calls.
 *
 * THREADS (default: as many as berth-generator uses, one per CPU this process may
 * run on, at most 8) share the reading and then the writing, as berth-generator's
 * threads do, so that the floor gets whatever parallel I/O gives berth. With
 * -j 1 it is the plain serial floor. The plan is read and parsed before the
 * manifests, in one read() and without scanf (it is bookkeeping, not I/O a
 * generator does, so it must cost next to nothing).
 *
 * PLAN lines: "d 0 REL", "f SIZE REL", "l 0 REL TARGET" (find -printf '%y %s %P %l').
 *
 * Built with -DIOFLOOR_YAML (and -lyaml) it is bench/generator's "floor+yaml":
 * each manifest read is also run through libyaml's event parser, and nothing
 * more is done with the events (no tree, no checks). What any generator that
 * loads YAML with libyaml must spend at the least; the rest of berth-generator's
 * time is its own loading, validating and rendering. */
#define _GNU_SOURCE /* sched_getaffinity() */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef IOFLOOR_YAML
#include <yaml.h>
#endif

#define MAX_THREADS 8 /* as berth-generator */
#define MAX_FILE (1 << 20)

typedef struct Entry {
        char type;
        size_t size;
        const char *rel, *target;
} Entry;

static struct {
        int apps_fd, out_fd;
        char **names; /* manifests */
        size_t n_names;
        Entry *entries; /* files and links; directories are made first */
        size_t n_entries;
        const char *fill; /* MAX_FILE bytes to write from */
        atomic_size_t next_read, next_write;
        atomic_size_t bytes_read, files_written, yaml_events;
        atomic_int failed;
} F;

/* Returns -1, for the callers' convenience. */
static int fail(const char *what, const char *name) {
        fprintf(stderr, "iofloor: %s '%s': %s\n", what, name, strerror(errno));
        atomic_store(&F.failed, 1);
        return -1;
}

#ifdef IOFLOOR_YAML
/* Every event of the manifest, deleted as it comes. */
static void parse_manifest(const char *name, const char *data, size_t len) {
        yaml_parser_t parser;
        yaml_event_t ev;
        size_t n = 0;
        bool end = false;

        if (!yaml_parser_initialize(&parser)) {
                fail("out of memory for", name);
                return;
        }
        yaml_parser_set_input_string(&parser, (const unsigned char *) data, len);
        while (!end) {
                if (!yaml_parser_parse(&parser, &ev)) {
                        errno = EINVAL;
                        fail("cannot parse", name);
                        break;
                }
                end = ev.type == YAML_STREAM_END_EVENT;
                n++;
                yaml_event_delete(&ev);
        }
        yaml_parser_delete(&parser);
        atomic_fetch_add(&F.yaml_events, n);
}
#endif

static void read_manifest(const char *name) {
        struct stat st;
        char *data;
        int fd = openat(F.apps_fd, name, O_RDONLY | O_CLOEXEC);

        if (fd < 0 || fstat(fd, &st) < 0) {
                fail("cannot read", name);
                return;
        }
        data = malloc((size_t) st.st_size + 1);
        if (!data) {
                fail("out of memory for", name);
                return;
        }
        for (off_t off = 0; off < st.st_size;) {
                ssize_t k = read(fd, data + off, (size_t) (st.st_size - off));
                if (k <= 0) {
                        fail("cannot read", name);
                        free(data);
                        close(fd);
                        return;
                }
                off += k;
        }
        atomic_fetch_add(&F.bytes_read, (size_t) st.st_size);
#ifdef IOFLOOR_YAML
        parse_manifest(name, data, (size_t) st.st_size);
#endif
        free(data);
        close(fd);
}

static void write_entry(const Entry *e) {
        int fd;

        if (e->type == 'l') {
                if (symlinkat(e->target, F.out_fd, e->rel) < 0)
                        fail("cannot create symlink", e->rel);
                return;
        }
        fd = openat(F.out_fd, e->rel, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0 || write(fd, F.fill, e->size) != (ssize_t) e->size || close(fd) < 0) {
                fail("cannot write", e->rel);
                return;
        }
        atomic_fetch_add(&F.files_written, 1);
}

static void *worker(void *unused) {
        size_t i;

        (void) unused;
        while ((i = atomic_fetch_add(&F.next_read, 1)) < F.n_names)
                read_manifest(F.names[i]);
        return NULL;
}

static void *writer(void *unused) {
        size_t i;

        (void) unused;
        while ((i = atomic_fetch_add(&F.next_write, 1)) < F.n_entries)
                write_entry(&F.entries[i]);
        return NULL;
}

/* Runs fn on n threads, this one included. */
static void run(void *(*fn)(void *), unsigned n) {
        pthread_t t[MAX_THREADS];
        unsigned started = 0;

        while (started + 1 < n && pthread_create(&t[started], NULL, fn, NULL) == 0)
                started++;
        fn(NULL);
        for (unsigned i = 0; i < started; i++)
                pthread_join(t[i], NULL);
}

static unsigned default_threads(void) {
        cpu_set_t cpus;
        unsigned n = 1;

        if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0)
                n = (unsigned) CPU_COUNT(&cpus);
        return n < MAX_THREADS ? n : MAX_THREADS;
}

/* Reads the whole plan and splits it into entries in place. */
static int load_plan(const char *path) {
        struct stat st;
        char *text, *p, *end;
        size_t cap = 0;
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd < 0 || fstat(fd, &st) < 0 || !(text = malloc((size_t) st.st_size + 1)) ||
            read(fd, text, (size_t) st.st_size) != (ssize_t) st.st_size)
                return fail("cannot read", path);
        close(fd);
        text[st.st_size] = 0;
        for (p = text; *p; p = end + 1) {
                Entry e = { .type = p[0] };
                char *sp;

                end = strchr(p, '\n');
                if (!end)
                        break;
                *end = 0;
                if (!e.type || p[1] != ' ')
                        continue;
                e.size = strtoull(p + 2, &sp, 10);
                if (*sp != ' ')
                        continue;
                e.rel = sp + 1;
                sp = strchr(sp + 1, ' ');
                if (sp) {
                        *sp = 0;
                        e.target = sp + 1;
                }
                if (e.type == 'd') {
                        if (mkdirat(F.out_fd, e.rel, 0755) < 0)
                                return fail("cannot create directory", e.rel);
                        continue;
                }
                if (e.type != 'f' && e.type != 'l')
                        continue;
                if (e.size > MAX_FILE) {
                        errno = EFBIG;
                        return fail("too large", e.rel);
                }
                if (F.n_entries == cap) {
                        cap = cap ? 2 * cap : 1024;
                        F.entries = realloc(F.entries, cap * sizeof(Entry));
                        if (!F.entries)
                                return fail("out of memory for", path);
                }
                F.entries[F.n_entries++] = e;
        }
        return 0;
}

int main(int argc, char *argv[]) {
        static char fill[MAX_FILE];
        unsigned threads = default_threads();
        size_t cap = 0;
        struct dirent *de;
        DIR *d;

        if (argc == 6 && strcmp(argv[1], "-j") == 0) {
                threads = (unsigned) atoi(argv[2]);
                if (threads < 1 || threads > MAX_THREADS)
                        threads = 1;
                argv += 2;
                argc -= 2;
        }
        if (argc != 4) {
                fprintf(stderr, "usage: iofloor [-j THREADS] APPS_DIR PLAN OUT_DIR\n");
                return 2;
        }
        memset(fill, '#', sizeof(fill));
        F.fill = fill;
        F.out_fd = open(argv[3], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (F.out_fd < 0)
                return -fail("cannot open", argv[3]);
        if (load_plan(argv[2]) < 0)
                return 1;

        d = opendir(argv[1]);
        if (!d)
                return -fail("cannot open", argv[1]);
        F.apps_fd = dirfd(d);
        while ((de = readdir(d))) {
                size_t l = strlen(de->d_name);
                if (l < 6 || strcmp(de->d_name + l - 5, ".yaml") != 0)
                        continue;
                if (F.n_names == cap) {
                        cap = cap ? 2 * cap : 1024;
                        F.names = realloc(F.names, cap * sizeof(char *));
                        if (!F.names)
                                return -fail("out of memory for", argv[1]);
                }
                if (!(F.names[F.n_names++] = strdup(de->d_name)))
                        return -fail("out of memory for", argv[1]);
        }
        run(worker, threads);
        run(writer, threads);
        closedir(d);
        close(F.out_fd);
        if (atomic_load(&F.failed))
                return 1;
        fprintf(stderr, "iofloor: %u thread%s, read %zu bytes, wrote %zu files", threads, threads == 1 ? "" : "s",
                atomic_load(&F.bytes_read), atomic_load(&F.files_written));
#ifdef IOFLOOR_YAML
        fprintf(stderr, ", %zu YAML events", atomic_load(&F.yaml_events));
#endif
        fputc('\n', stderr);
        return 0;
}
