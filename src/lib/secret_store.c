/* secret_store.c — secret creation with libsodium. */
#include <sodium.h>
#include <sys/stat.h>

#include "fs_util.h"
#include "secret_store.h"

static const char *charset_chars(SecretCharset c) {
        switch (c) {
        case CHARSET_ALNUM:
                return ALPHANUMERICAL;
        case CHARSET_HEX:
                return "0123456789abcdef";
        case CHARSET_BASE64URL:
                return ALPHANUMERICAL "-_";
        case CHARSET_ASCII:
                /* printable ASCII without space, quotes, backslash and backtick */
                return "!#$%&()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_abcdefghijklmnopqrstuvwxyz{|}~";
        default:
                return NULL;
        }
}

int secret_generate_value(unsigned length, SecretCharset charset, char **ret) {
        const char *chars = charset_chars(charset);
        uint32_t n;
        char *v;

        if (!chars || length == 0)
                return -EINVAL;
        if (sodium_init() < 0)
                return -EIO;
        n = (uint32_t) strlen(chars);
        v = sodium_malloc(length + 1);
        if (!v)
                return -ENOMEM;
        for (unsigned i = 0; i < length; i++)
                v[i] = chars[randombytes_uniform(n)]; /* uniform: no modulo bias */
        v[length] = 0;
        *ret = v;
        return 0;
}

int secret_ensure(const BerthPaths *p, const char *app_id, const Secret *s) {
        _cleanup_free_ char *dir = berth_secret_dir(p, app_id), *path = berth_secret_path(p, app_id, s->name);
        char *value = NULL;
        size_t len = 0;
        struct stat st;
        int r;

        if (!dir || !path)
                return -ENOMEM;
        r = mkdir_p(dir, 0700);
        if (r < 0)
                return r;
        r = dir_ensure(dir, getuid(), getgid(), 0700); /* root, or the rootless user */
        if (r < 0)
                return r;
        if (lstat(path, &st) >= 0) {
                if (!S_ISREG(st.st_mode))
                        return -EBADFD;
                if (st.st_size == 0)
                        return -ENODATA; /* refuse to guess: the caller says what to do */
                if ((st.st_mode & 0777) != 0600 && chmod(path, 0600) < 0)
                        return -errno;
                if (s->generate)
                        return 0;
        } else if (errno != ENOENT)
                return -errno;

        if (s->generate) {
                r = secret_generate_value(s->length, s->charset, &value);
                if (r < 0)
                        return r;
                len = s->length;
                r = write_file_atomic(path, value, len, 0600, true);
                sodium_free(value);
                if (r == -EEXIST)
                        return 0; /* made concurrently: keep that one */
                return r < 0 ? r : 1;
        }

        /* From the administrator's file: copied so that backups and podman see
         * one place; refreshed when the administrator's file changes. */
        _cleanup_free_ char *src = NULL, *cur = NULL;
        size_t cur_len = 0;
        r = read_file(s->file, 1 << 20, &src, &len);
        if (r < 0)
                return r;
        if (len == 0) {
                sodium_memzero(src, len);
                return -ENODATA;
        }
        if (read_file(path, 1 << 20, &cur, &cur_len) >= 0 && cur_len == len && sodium_memcmp(cur, src, len) == 0) {
                sodium_memzero(cur, cur_len);
                sodium_memzero(src, len);
                return 0;
        }
        if (cur)
                sodium_memzero(cur, cur_len);
        r = write_file_atomic(path, src, len, 0600, false);
        sodium_memzero(src, len);
        return r < 0 ? r : 1;
}
