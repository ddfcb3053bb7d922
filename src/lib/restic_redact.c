/* restic_redact.c — what a human may see of a repository and of restic's
 * words about it: the URL with its password, query and rclone parameters
 * masked, and restic's stderr with every credential berth gave it replaced by
 * "***". Over-masking is accepted; a leak is not. */
#include <ctype.h>
#include <sodium.h>

#include "restic.h"
#include "strv.h"

static void strv_free_erasep(char ***l) {
        STRV_FOREACH(s, *l)
                sodium_memzero(*s, strlen(*s));
        strv_free(*l);
}

typedef struct Span {
        size_t start, len;
} Span;

#define MAX_SPANS 32

static void span_add(Span *sp, size_t *n, size_t start, size_t len) {
        if (len > 0 && *n < MAX_SPANS)
                sp[(*n)++] = (Span) { start, len };
}

static int span_cmp(const void *a, const void *b) {
        const Span *x = a, *y = b;
        return x->start < y->start ? -1 : x->start > y->start;
}

/* The parts of a repository string that are credentials, in order. A string
 * without a backend prefix is a local path: nothing in it is secret. */
static size_t secret_spans(const char *u, Span *sp) {
        static const char *const backends[] = { "sftp:", "rest:", "s3:", "azure:", "gs:", "b2:", "swift:", "rclone:" };
        const char *rest = NULL, *a, *end, *at = NULL, *q;
        size_t n = 0;

        for (size_t i = 0; i < ELEMENTSOF(backends) && !rest; i++)
                rest = startswith(u, backends[i]);
        if (!rest)
                return 0;

        if (startswith(u, "rclone:")) {
                /* rclone connection strings ("rclone::s3,secret_access_key=X:bucket")
                 * carry backend parameters before the remote's ':'. */
                const char *s = rest + (*rest == ':'), *spec_end = s + strcspn(s, ":");
                for (const char *c = memchr(s, ',', (size_t) (spec_end - s)); c; c = memchr(c + 1, ',', (size_t) (spec_end - c - 1))) {
                        const char *eq = memchr(c, '=', (size_t) (spec_end - c)), *stop;
                        if (!eq)
                                break;
                        stop = memchr(eq, ',', (size_t) (spec_end - eq)) ?: spec_end;
                        span_add(sp, &n, (size_t) (eq + 1 - u), (size_t) (stop - eq - 1));
                }
                return n;
        }

        /* The authority: after "//" in URL form ("sftp://h/p", "rest:https://h/p"),
         * else up to the first '/' ("sftp:user@host:/path"). Its last '@' ends the userinfo, so an '@'
         * in the path is never taken for one. */
        if (!(a = startswith(rest, "//"))) {
                a = strstr(rest, "://");
                a = a ? a + 3 : rest;
        }
        end = a + strcspn(a, "/?#");
        for (const char *c = a; c < end; c++)
                if (*c == '@')
                        at = c;
        if (at) {
                const char *colon = memchr(a, ':', (size_t) (at - a));
                if (colon)
                        span_add(sp, &n, (size_t) (colon + 1 - u), (size_t) (at - colon - 1));
        }
        q = strchr(end, '?');
        if (q)
                span_add(sp, &n, (size_t) (q + 1 - u), strcspn(q + 1, "#"));
        return n;
}

char *restic_redact(const char *url) {
        Span sp[MAX_SPANS];
        size_t n = secret_spans(url, sp), pos = 0, len = 0;
        char *out, *o;

        qsort(sp, n, sizeof(Span), span_cmp);
        out = o = malloc(strlen(url) + 3 * n + 1);
        if (!out)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                if (sp[i].start < pos)
                        continue; /* overlapping: already masked */
                len = sp[i].start - pos;
                memcpy(o, url + pos, len);
                o = stpcpy(o + len, "***");
                pos = sp[i].start + sp[i].len;
        }
        strcpy(o, url + pos);
        return out;
}

static int unhex(char c) {
        return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static char *percent_decode(const char *s, size_t len) {
        char *d = malloc(len + 1), *o = d;
        if (!d)
                return NULL;
        for (size_t i = 0; i < len; i++) {
                if (s[i] == '%' && i + 2 < len && unhex(s[i + 1]) >= 0 && unhex(s[i + 2]) >= 0) {
                        *o++ = (char) (unhex(s[i + 1]) * 16 + unhex(s[i + 2]));
                        i += 2;
                } else
                        *o++ = s[i];
        }
        *o = 0;
        return d;
}

static bool is_word_char(char c) {
        return isalnum((unsigned char) c);
}

/* Replaces every occurrence of needle in *text (only where it is not part of a
 * longer word, with whole_word). */
static int replace_all(char **text, const char *needle, const char *repl, bool whole_word) {
        size_t nl = strlen(needle), rl = strlen(repl), cap, len = 0;
        const char *s = *text, *p;
        char *out;

        if (nl == 0 || !strstr(s, needle))
                return 0;
        cap = strlen(s) + 1;
        if (rl > nl)
                cap += (cap / nl + 1) * (rl - nl);
        out = malloc(cap);
        if (!out)
                return -ENOMEM;
        while ((p = strstr(s, needle))) {
                bool ok = !whole_word || ((p == *text || !is_word_char(p[-1])) && !is_word_char(p[nl]));
                size_t k = (size_t) (p - s) + (ok ? 0 : nl);
                memcpy(out + len, s, k);
                len += k;
                if (ok) {
                        memcpy(out + len, repl, rl);
                        len += rl;
                }
                s = p + nl;
        }
        strcpy(out + len, s);
        free(*text);
        *text = out;
        return 0;
}

static int len_cmp_desc(const void *a, const void *b) {
        size_t x = strlen(*(char *const *) a), y = strlen(*(char *const *) b);
        return x < y ? 1 : x > y ? -1 : 0;
}

char *restic_redact_output(const ResticRepo *r, const char *text) {
        _cleanup_free_ char *out = strdup(text), *shown = NULL;
        _cleanup_(strv_free_erasep) char **secrets = NULL; /* credentials: wiped when done */
        Span sp[MAX_SPANS];
        size_t n;

        if (!out)
                return NULL;
        if (r->repository) {
                shown = restic_redact(r->repository);
                if (!shown)
                        return NULL;
                if (!streq(shown, r->repository) && replace_all(&out, r->repository, shown, false) < 0)
                        return NULL;
                n = secret_spans(r->repository, sp);
                for (size_t i = 0; i < n; i++) {
                        char *raw = strndup(r->repository + sp[i].start, sp[i].len);
                        if (strv_consume(&secrets, raw) < 0 ||
                            strv_consume(&secrets, percent_decode(r->repository + sp[i].start, sp[i].len)) < 0)
                                return NULL;
                }
        }
        STRV_FOREACH(e, r->env) {
                const char *eq = strchr(*e, '=');
                if (eq && eq[1] && strv_extend(&secrets, eq + 1) < 0)
                        return NULL;
        }
        /* Longest first, so that no part of a longer secret is left behind. */
        if (secrets)
                qsort(secrets, strv_length(secrets), sizeof(char *), len_cmp_desc);
        STRV_FOREACH(s, secrets)
                if (replace_all(&out, *s, "***", strlen(*s) < 4) < 0)
                        return NULL;
        return TAKE_PTR(out);
}
