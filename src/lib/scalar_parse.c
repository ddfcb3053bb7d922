/* scalar_parse.c — strict scalar grammars. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>

#include "scalar_parse.h"

int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *ret) {
        uint64_t v = 0;

        if (!s || !*s)
                return -EINVAL;
        for (const char *p = s; *p; p++) {
                uint64_t digit;

                if (*p < '0' || *p > '9')
                        return -EINVAL;
                digit = (uint64_t) (*p - '0');
                /* Exact: every value up to UINT64_MAX itself parses. */
                if (v > UINT64_MAX / 10 || (v == UINT64_MAX / 10 && digit > UINT64_MAX % 10))
                        return -ERANGE;
                v = v * 10 + digit;
        }
        if (v < min || v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

static const struct {
        const char *suffix;
        usec_t usec;
} time_units[] = {
        { "usec", 1 },
        { "us", 1 },
        { "msec", USEC_PER_MSEC },
        { "ms", USEC_PER_MSEC },
        { "seconds", USEC_PER_SEC },
        { "second", USEC_PER_SEC },
        { "sec", USEC_PER_SEC },
        { "s", USEC_PER_SEC },
        { "minutes", 60 * USEC_PER_SEC },
        { "minute", 60 * USEC_PER_SEC },
        { "min", 60 * USEC_PER_SEC },
        { "m", 60 * USEC_PER_SEC },
        { "hours", 3600 * USEC_PER_SEC },
        { "hour", 3600 * USEC_PER_SEC },
        { "hr", 3600 * USEC_PER_SEC },
        { "h", 3600 * USEC_PER_SEC },
        { "days", 86400 * USEC_PER_SEC },
        { "day", 86400 * USEC_PER_SEC },
        { "d", 86400 * USEC_PER_SEC },
        { "weeks", 7 * 86400 * USEC_PER_SEC },
        { "week", 7 * 86400 * USEC_PER_SEC },
        { "w", 7 * 86400 * USEC_PER_SEC },
};

int parse_duration(const char *s, usec_t *ret) {
        const usec_t max = 366ULL * 86400ULL * USEC_PER_SEC;
        usec_t total = 0;
        bool any = false;

        if (!s)
                return -EINVAL;
        for (const char *p = s;;) {
                uint64_t v = 0;
                const char *start;
                usec_t unit;
                size_t i;

                while (*p == ' ')
                        p++;
                if (!*p)
                        break;
                start = p;
                while (*p >= '0' && *p <= '9') {
                        if (v > max)
                                return -ERANGE;
                        v = v * 10 + (uint64_t) (*p++ - '0');
                }
                if (p == start)
                        return -EINVAL;
                while (*p == ' ')
                        p++;
                for (i = 0; i < ELEMENTSOF(time_units); i++) {
                        size_t l = strlen(time_units[i].suffix);
                        if (strncmp(p, time_units[i].suffix, l) == 0 && !isalpha((unsigned char) p[l]))
                                break;
                }
                if (i < ELEMENTSOF(time_units)) {
                        p += strlen(time_units[i].suffix);
                        unit = time_units[i].usec;
                } else if (*p == 0 && !any)
                        unit = USEC_PER_SEC; /* a bare number: seconds, as in systemd */
                else
                        return -EINVAL;
                if (v > max / unit)
                        return -ERANGE;
                total += v * unit;
                if (total > max)
                        return -ERANGE;
                any = true;
        }
        if (!any)
                return -EINVAL;
        *ret = total;
        return 0;
}

int parse_size(const char *s, uint64_t *ret) {
        static const struct {
                const char *suffix;
                unsigned shift;
        } units[] = {
                { "KiB", 10 }, { "MiB", 20 }, { "GiB", 30 }, { "TiB", 40 },
                { "K", 10 },   { "M", 20 },   { "G", 30 },   { "T", 40 },
                { "k", 10 },   { "m", 20 },   { "g", 30 },   { "t", 40 },
                { "B", 0 },    { "b", 0 },    { "", 0 },
        };
        char digits[32];
        uint64_t v;
        size_t n = 0;

        if (!s)
                return -EINVAL;
        while (s[n] >= '0' && s[n] <= '9')
                n++;
        if (n == 0 || n >= sizeof(digits))
                return -EINVAL;
        memcpy(digits, s, n);
        digits[n] = 0;
        for (size_t i = 0; i < ELEMENTSOF(units); i++) {
                if (!streq(s + n, units[i].suffix))
                        continue;
                if (parse_uint(digits, 1, UINT64_MAX, &v) < 0)
                        return -EINVAL;
                if (v > (UINT64_MAX >> 1) >> units[i].shift)
                        return -ERANGE;
                *ret = v << units[i].shift;
                return 0;
        }
        return -EINVAL;
}

int parse_cpus(const char *s, unsigned *ret_milli) {
        uint64_t whole = 0, frac = 0;
        const char *dot;
        char buf[16];
        size_t fl;

        if (!s || !*s)
                return -EINVAL;
        dot = strchr(s, '.');
        if (!dot) {
                if (parse_uint(s, 1, 4096, &whole) < 0)
                        return -EINVAL;
                *ret_milli = (unsigned) whole * 1000;
                return 0;
        }
        if (dot == s || (size_t) (dot - s) >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, s, (size_t) (dot - s));
        buf[dot - s] = 0;
        if (parse_uint(buf, 0, 4096, &whole) < 0)
                return -EINVAL;
        fl = strlen(dot + 1);
        if (fl < 1 || fl > 3 || parse_uint(dot + 1, 0, 999, &frac) < 0)
                return -EINVAL;
        for (size_t i = fl; i < 3; i++)
                frac *= 10;
        /* The same range as whole numbers: above 0, at most 4096 CPUs. */
        if (whole * 1000 + frac == 0 || whole * 1000 + frac > 4096 * 1000)
                return -EINVAL;
        *ret_milli = (unsigned) (whole * 1000 + frac);
        return 0;
}

int parse_port_map(const char *s, PortMap *ret) {
        _cleanup_free_ char *copy = strdup(s ?: "");
        char *proto, *rest, *colon, ipbuf[INET6_ADDRSTRLEN];
        const char *ip = NULL;
        uint64_t hp, cp;
        PortMap m = {};

        if (!copy)
                return -ENOMEM;
        proto = strchr(copy, '/');
        if (proto) {
                *proto++ = 0;
                if (!streq(proto, "tcp") && !streq(proto, "udp") && !streq(proto, "sctp"))
                        return -EINVAL;
        }
        rest = copy;
        /* The address is kept in its canonical text (inet_ntop), so that one
         * address is one string: the host-port clash check compares them. */
        if (rest[0] == '[') {
                char *end = strchr(rest, ']');
                struct in6_addr a6;
                if (!end || end[1] != ':')
                        return -EINVAL;
                *end = 0;
                if (inet_pton(AF_INET6, rest + 1, &a6) != 1)
                        return -EINVAL;
                ip = inet_ntop(AF_INET6, &a6, ipbuf, sizeof(ipbuf));
                rest = end + 2;
        } else {
                colon = strchr(rest, ':');
                if (colon && strchr(colon + 1, ':')) {
                        struct in_addr a4;
                        *colon = 0;
                        if (inet_pton(AF_INET, rest, &a4) != 1)
                                return -EINVAL;
                        ip = inet_ntop(AF_INET, &a4, ipbuf, sizeof(ipbuf));
                        rest = colon + 1;
                }
        }

        colon = strchr(rest, ':');
        if (!colon)
                return -EINVAL;
        *colon = 0;
        if (parse_uint(rest, 1, 65535, &hp) < 0 || parse_uint(colon + 1, 1, 65535, &cp) < 0)
                return -EINVAL;
        if (ip) {
                m.host_ip = strdup(ip);
                if (!m.host_ip)
                        return -ENOMEM;
        }
        m.host_port = (uint16_t) hp;
        m.container_port = (uint16_t) cp;
        snprintf(m.protocol, sizeof(m.protocol), "%s", proto ?: "tcp");
        *ret = m;
        return 0;
}

int parse_owner(const char *s, uid_t *ret_uid, gid_t *ret_gid) {
        _cleanup_free_ char *copy = strdup(s ?: "");
        char *colon;
        uint64_t u, g;

        if (!copy)
                return -ENOMEM;
        colon = strchr(copy, ':');
        if (colon)
                *colon = 0;
        if (parse_uint(copy, 0, 65535, &u) < 0)
                return -EINVAL;
        g = u;
        if (colon && parse_uint(colon + 1, 0, 65535, &g) < 0)
                return -EINVAL;
        *ret_uid = (uid_t) u;
        *ret_gid = (gid_t) g;
        return 0;
}

int parse_mode(const char *s, mode_t *ret) {
        mode_t m = 0;

        if (!s || !*s || strlen(s) > 4)
                return -EINVAL;
        for (const char *p = s; *p; p++) {
                if (*p < '0' || *p > '7')
                        return -EINVAL;
                m = (mode_t) (m * 8 + (mode_t) (*p - '0'));
        }
        if (m > 0777)
                return -EINVAL;
        *ret = m;
        return 0;
}

char *format_uint(char buf[static DECIMAL_STR_MAX], uint64_t v) {
        char *p = buf + DECIMAL_STR_MAX - 1;

        *p = 0;
        do {
                *--p = (char) ('0' + v % 10);
                v /= 10;
        } while (v > 0);
        return p;
}

char *format_go_duration(char *buf, size_t size, usec_t u) {
        char digits[DECIMAL_STR_MAX];
        const char *unit = "us", *d;
        size_t nd, nu;

        if (u % USEC_PER_SEC == 0) {
                u /= USEC_PER_SEC;
                unit = "s";
        } else if (u % USEC_PER_MSEC == 0) {
                u /= USEC_PER_MSEC;
                unit = "ms";
        }
        if (size == 0)
                return buf;
        /* Cut to the buffer as snprintf() would (32 bytes always suffice). */
        d = format_uint(digits, u);
        nd = MIN(strlen(d), size - 1);
        nu = MIN(strlen(unit), size - 1 - nd);
        memcpy(buf, d, nd);
        memcpy(buf + nd, unit, nu);
        buf[nd + nu] = 0;
        return buf;
}
