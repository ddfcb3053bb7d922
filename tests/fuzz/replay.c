/* replay — runs saved fuzz inputs through LLVMFuzzerTestOneInput without
 * libFuzzer, so `make check` (and its sanitizer build) replays the corpus.
 * Arguments are files, or directories whose regular files are all run (sorted,
 * not recursing). Each input is handed over in a buffer of exactly its size,
 * so that a sanitizer sees any read past the end. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

static int run_file(const char *path) {
        struct stat st;
        uint8_t *buf;
        size_t off = 0;
        int fd;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0) {
                fprintf(stderr, "%s: %s\n", path, strerror(errno));
                if (fd >= 0)
                        close(fd);
                return -1;
        }
        buf = malloc((size_t) st.st_size ? (size_t) st.st_size : 1);
        if (!buf) {
                close(fd);
                return -1;
        }
        while (off < (size_t) st.st_size) {
                ssize_t k = read(fd, buf + off, (size_t) st.st_size - off);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0) {
                        fprintf(stderr, "%s: short read\n", path);
                        free(buf);
                        close(fd);
                        return -1;
                }
                off += (size_t) k;
        }
        close(fd);
        (void) LLVMFuzzerTestOneInput(buf, off);
        free(buf);
        return 0;
}

static int cmp(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static int run_dir(const char *dir, unsigned *count) {
        char **names = NULL;
        size_t n = 0;
        int fail = 0;
        DIR *d = opendir(dir);
        struct dirent *de;

        if (!d) {
                fprintf(stderr, "%s: %s\n", dir, strerror(errno));
                return -1;
        }
        while ((de = readdir(d))) {
                char **t;
                if (de->d_name[0] == '.')
                        continue;
                t = realloc(names, sizeof(char *) * (n + 1));
                if (!t || !(t[n] = strdup(de->d_name))) {
                        free(t ? t : names);
                        closedir(d);
                        return -1;
                }
                names = t;
                n++;
        }
        closedir(d);
        qsort(names, n, sizeof(char *), cmp);
        for (size_t i = 0; i < n; i++) {
                char *p = NULL;
                struct stat st;
                if (asprintf(&p, "%s/%s", dir, names[i]) < 0)
                        fail = -1;
                else if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
                        if (run_file(p) < 0)
                                fail = -1;
                        else
                                (*count)++;
                }
                free(p);
                free(names[i]);
        }
        free(names);
        return fail;
}

int main(int argc, char *argv[]) {
        unsigned count = 0;
        int fail = 0;

        if (argc < 2) {
                fprintf(stderr, "Usage: %s FILE|DIR...\n", argv[0]);
                return 2;
        }
        for (int i = 1; i < argc; i++) {
                struct stat st;
                if (stat(argv[i], &st) < 0) {
                        fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
                        fail = 1;
                } else if (S_ISDIR(st.st_mode)) {
                        if (run_dir(argv[i], &count) < 0)
                                fail = 1;
                } else if (run_file(argv[i]) < 0)
                        fail = 1;
                else
                        count++;
        }
        printf("%s: %u inputs replayed\n", argv[0], count);
        return fail;
}
