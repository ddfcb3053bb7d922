/* iofloor — the I/O floor for bench/generator: the least a generator has to do.
 *
 *   iofloor APPS_DIR PLAN OUT_DIR
 *
 * Reads every *.yaml in APPS_DIR whole (as berth-generator reads the manifests),
 * then creates in OUT_DIR exactly the tree PLAN lists, which bench/generator takes
 * from berth-generator's own output: the same directories, the same symlinks and
 * the same number of files with the same number of bytes, each file created with
 * O_EXCL and written with one write() per file, as berth does. No parsing, no
 * rendering: what is left is the system calls.
 *
 * PLAN lines: "d 0 REL", "f SIZE REL", "l 0 REL TARGET" (find -printf '%y %s %P %l'). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(const char *what, const char *name) {
        fprintf(stderr, "iofloor: %s '%s': %s\n", what, name, strerror(errno));
        return 1;
}

int main(int argc, char *argv[]) {
        static char buf[1 << 20];
        char line[8192];
        size_t nread = 0, nfiles = 0;
        struct dirent *de;
        FILE *plan;
        DIR *d;
        int dfd, out;

        if (argc != 4) {
                fprintf(stderr, "usage: iofloor APPS_DIR PLAN OUT_DIR\n");
                return 2;
        }
        d = opendir(argv[1]);
        if (!d)
                return fail("cannot open", argv[1]);
        dfd = dirfd(d);
        while ((de = readdir(d))) {
                size_t l = strlen(de->d_name);
                struct stat st;
                char *data;
                int fd;

                if (l < 6 || strcmp(de->d_name + l - 5, ".yaml") != 0)
                        continue;
                fd = openat(dfd, de->d_name, O_RDONLY | O_CLOEXEC);
                if (fd < 0 || fstat(fd, &st) < 0)
                        return fail("cannot read", de->d_name);
                data = malloc((size_t) st.st_size + 1);
                if (!data)
                        return fail("out of memory for", de->d_name);
                for (off_t off = 0; off < st.st_size;) {
                        ssize_t k = read(fd, data + off, (size_t) (st.st_size - off));
                        if (k <= 0)
                                return fail("cannot read", de->d_name);
                        off += k;
                }
                nread += (size_t) st.st_size;
                free(data);
                close(fd);
        }
        closedir(d);

        memset(buf, '#', sizeof(buf));
        plan = fopen(argv[2], "re");
        out = open(argv[3], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (!plan || out < 0)
                return fail("cannot open", !plan ? argv[2] : argv[3]);
        while (fgets(line, sizeof(line), plan)) {
                char type, rel[4096], target[4096] = "";
                unsigned long long size;
                int fd;

                if (sscanf(line, "%c %llu %4095s %4095s", &type, &size, rel, target) < 3)
                        continue;
                if (type == 'd') {
                        if (mkdirat(out, rel, 0755) < 0)
                                return fail("cannot create directory", rel);
                } else if (type == 'l') {
                        if (symlinkat(target, out, rel) < 0)
                                return fail("cannot create symlink", rel);
                } else if (type == 'f') {
                        if (size > sizeof(buf)) {
                                errno = EFBIG;
                                return fail("too large", rel);
                        }
                        fd = openat(out, rel, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
                        if (fd < 0 || write(fd, buf, (size_t) size) != (ssize_t) size || close(fd) < 0)
                                return fail("cannot write", rel);
                        nfiles++;
                }
        }
        if (ferror(plan))
                return fail("cannot read", argv[2]);
        fclose(plan);
        close(out);
        fprintf(stderr, "iofloor: read %zu bytes, wrote %zu files\n", nread, nfiles);
        return 0;
}
