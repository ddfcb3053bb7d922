/* calendar.c — whether systemd accepts a calendar expression (OnCalendar=).
 *
 * A timer whose OnCalendar= systemd cannot parse does not load, and nothing
 * says so where anyone looks: the backups simply never run. So the schedule is
 * checked here as systemd reads it (systemd.time(7)), on the side of refusing:
 * what this accepts, systemd 252 (Debian 12) and 257 (Debian 13) accept too,
 * which tests/check-calendar.sh verifies against their systemd-analyze. A few
 * odd forms systemd also takes are refused (a trailing comma after weekdays,
 * timezone abbreviations that are not zoneinfo files).
 *
 * Why a parser of our own: the generator may not run systemd-analyze (no
 * processes), and libsystemd does not export its calendar parser. Being a
 * second reading of systemd's grammar, it can drift from it: check-calendar
 * is what holds it to systemd, on both versions berth supports.
 *
 *   [WEEKDAYS] [[YEAR-]MONTH-DAY | [YEAR-]MONTH~DAY] [HOUR:MINUTE[:SECOND]] [TIMEZONE]
 *
 * or a shorthand (daily, weekly, ...) or @SECONDS since the epoch. */
#include <fcntl.h>
#include <strings.h>
#include <unistd.h>

#include "calendar.h"
#include "macro.h"

#define MIN_YEAR 1970
#define MAX_YEAR 2199
#define MAX_EPOCH 7258118399ULL /* 2199-12-31 23:59:59 UTC */
#define ZONEINFO "/usr/share/zoneinfo/"

typedef struct Field {
        unsigned min, max;
        bool year;     /* one or two digits stand for 19xx/20xx */
        bool fraction; /* seconds: a decimal fraction is allowed */
        bool countdown; /* days before the month's end: a repetition counts down, and
                         * only one item is taken here (systemd refuses some lists) */
} Field;

static const Field f_year = { .min = MIN_YEAR, .max = MAX_YEAR, .year = true };
static const Field f_month = { .min = 1, .max = 12 };
static const Field f_day = { .min = 1, .max = 31 };
static const Field f_last_day = { .min = 1, .max = 28, .countdown = true }; /* after '~': days before the month's end */
static const Field f_hour = { .min = 0, .max = 23 };
static const Field f_minute = { .min = 0, .max = 59 };
static const Field f_second = { .min = 0, .max = 59, .fraction = true };

static const char *const weekdays[7][2] = {
        { "mon", "monday" }, { "tue", "tuesday" }, { "wed", "wednesday" }, { "thu", "thursday" },
        { "fri", "friday" }, { "sat", "saturday" }, { "sun", "sunday" },
};

static const char *const shorthands[] = {
        "minutely", "hourly", "daily", "weekly", "monthly", "yearly", "annually",
        "quarterly", "semiannually", "semi-annually", "biannually", NULL,
};

/* Digits at *p (at most 9), and for a field with fractions a '.' and digits
 * after them. *ret is the value in the field's unit: for seconds, in
 * microseconds, rounded at the seventh decimal as systemd rounds; *ret_whole
 * (optional) the digits before the point. */
static bool number(const char **p, const char *end, bool fraction, uint64_t *ret, unsigned *ret_whole,
                   size_t *ret_digits, bool *had_fraction) {
        const char *s = *p;
        uint64_t v = 0, usec = 0;
        size_t n = 0;

        while (s < end && *s >= '0' && *s <= '9' && n < 9) {
                v = v * 10 + (uint64_t) (*s++ - '0');
                n++;
        }
        if (n == 0 || (s < end && *s >= '0' && *s <= '9'))
                return false;
        *had_fraction = false;
        if (fraction && s + 1 < end && s[0] == '.' && s[1] >= '0' && s[1] <= '9') {
                unsigned k = 0;
                for (s++; s < end && *s >= '0' && *s <= '9'; s++, k++)
                        if (k < 6)
                                usec = usec * 10 + (uint64_t) (*s - '0');
                        else if (k == 6 && *s >= '5')
                                usec++; /* may carry into the next second */
                for (; k < 6; k++)
                        usec *= 10;
                *had_fraction = true;
        }
        *p = s;
        *ret = fraction ? v * 1000000 + usec : v;
        if (ret_whole)
                *ret_whole = (unsigned) v;
        if (ret_digits)
                *ret_digits = n;
        return true;
}

/* f's upper bound in its unit. */
static uint64_t field_max(const Field *f) {
        return f->fraction ? (uint64_t) f->max * 1000000 + 999999 : f->max;
}

/* A value of f at *p, within f's bounds. */
static bool value(const char **p, const char *end, const Field *f, uint64_t *ret, unsigned *ret_whole, bool *had_fraction) {
        size_t digits;
        uint64_t v;

        if (!number(p, end, f->fraction, &v, ret_whole, &digits, had_fraction))
                return false;
        if (f->year && digits <= 2)
                v += v < 70 ? 2000 : 1900;
        if (v < (f->fraction ? (uint64_t) f->min * 1000000 : f->min) || v > field_max(f))
                return false;
        *ret = v;
        return true;
}

/* N, A..B, N/R or A..B/R (R > 0; N + R within the field, as systemd wants, or
 * counting down N - R at least 1), between s and end. */
static bool item_valid(const char *s, const char *end, const Field *f) {
        uint64_t a, b, r;
        unsigned a_whole, b_whole;
        bool frac, range = false;

        if (!value(&s, end, f, &a, &a_whole, &frac))
                return false;
        if (end - s >= 2 && s[0] == '.' && s[1] == '.') {
                range = true;
                s += 2;
                /* systemd takes a fraction at a range's end, not at its start,
                 * and A..A, except for seconds. */
                if (frac || !value(&s, end, f, &b, &b_whole, &frac) || b < a || (f->fraction && b_whole == a_whole))
                        return false;
        }
        if (s < end && *s == '/') {
                s++;
                /* A repetition of 0 (or 0.0000001) repeats nothing. */
                if (!number(&s, end, f->fraction, &r, NULL, NULL, &frac) || r == 0)
                        return false;
                if (!range && (f->countdown ? r >= a : a + r > field_max(f)))
                        return false;
        }
        return s == end;
}

/* "*", or items separated by commas. */
static bool component_valid(const char *s, const char *end, const Field *f) {
        if (end - s == 1 && *s == '*')
                return true;
        for (;;) {
                const char *comma = memchr(s, ',', (size_t) (end - s));
                const char *e = comma ?: end;

                if ((comma && f->countdown) || !item_valid(s, e, f))
                        return false;
                if (!comma)
                        return true;
                s = comma + 1;
        }
}

static int weekday_index(const char *s, size_t n) {
        for (int i = 0; i < 7; i++)
                for (int k = 0; k < 2; k++)
                        if (strlen(weekdays[i][k]) == n && strncasecmp(s, weekdays[i][k], n) == 0)
                                return i;
        return -1;
}

/* Mon,Wed..Fri or Sat-Sun: names, ascending ranges. */
static bool weekdays_valid(const char *s) {
        for (;;) {
                size_t n = strcspn(s, ",.-");
                int a = weekday_index(s, n);

                if (a < 0)
                        return false;
                s += n;
                if (startswith(s, "..") || s[0] == '-') {
                        s += s[0] == '-' ? 1 : 2;
                        n = strcspn(s, ",.-");
                        if (weekday_index(s, n) < a)
                                return false;
                        s += n;
                }
                if (*s == 0)
                        return true;
                /* (systemd also takes a trailing comma; that is refused here.) */
                if (*s != ',' || s[1] == 0)
                        return false;
                s++;
        }
}

/* [YEAR-]MONTH-DAY, or with '~' before the day: days before the month's end. */
static bool date_valid(const char *s) {
        const char *sep[3];
        size_t n = 0;

        for (const char *p = s; *p; p++)
                if (*p == '-' || *p == '~') {
                        if (n == 2)
                                return false;
                        sep[n++] = p;
                }
        if (n == 0 || (n == 2 && *sep[0] == '~'))
                return false;
        if (n == 2 && !component_valid(s, sep[0], &f_year))
                return false;
        return component_valid(n == 2 ? sep[0] + 1 : s, sep[n - 1], &f_month) &&
               component_valid(sep[n - 1] + 1, s + strlen(s), *sep[n - 1] == '~' ? &f_last_day : &f_day);
}

/* HOUR:MINUTE[:SECOND] */
static bool time_valid(const char *s) {
        const char *c1 = strchr(s, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        const char *end = s + strlen(s);

        if (!c1 || (c2 && strchr(c2 + 1, ':')))
                return false;
        return component_valid(s, c1, &f_hour) && component_valid(c1 + 1, c2 ?: end, &f_minute) &&
               (!c2 || component_valid(c2 + 1, end, &f_second));
}

/* UTC, or the name of a zoneinfo file (TZif), as systemd checks it. */
static bool timezone_valid(const char *tz) {
        _cleanup_close_ int fd = -EBADF;
        char path[sizeof(ZONEINFO) + 256], magic[4];

        if (strcasecmp(tz, "UTC") == 0)
                return true;
        if (strlen(tz) > 255 || tz[0] == '/' || tz[strspn(tz, ALPHANUMERICAL "/_+-")] ||
            strstr(tz, "//") || endswith(tz, "/"))
                return false;
        snprintf(path, sizeof(path), ZONEINFO "%s", tz);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return false;
        return read(fd, magic, sizeof(magic)) == (ssize_t) sizeof(magic) && memcmp(magic, "TZif", 4) == 0;
}

const char *calendar_check(const char *s) {
        char buf[CALENDAR_MAX + 1], *w[5] = {};
        size_t n = 0, i = 0;

        if (!*s || strlen(s) > CALENDAR_MAX)
                return "length";
        if (s[strspn(s, " " ALPHANUMERICAL "*,.:/~@_+-")])
                return "characters";
        if (s[0] == ' ' || endswith(s, " "))
                return "spaces";
        strcpy(buf, s);
        for (char *p = buf; *p;) {
                if (n == ELEMENTSOF(w))
                        return "number of words";
                w[n++] = p;
                p += strcspn(p, " ");
                while (*p == ' ')
                        *p++ = 0;
        }
        if (n == 1 && w[0][0] == '@') {
                const char *p = w[0] + 1;
                if (!*p || p[strspn(p, DIGITS)] || strlen(p) > 10 || strtoull(p, NULL, 10) > MAX_EPOCH)
                        return "timestamp";
                return NULL;
        }
        if (n > 1 && timezone_valid(w[n - 1]))
                n--;
        if (n == 1)
                for (const char *const *h = shorthands; *h; h++)
                        if (strcasecmp(w[0], *h) == 0)
                                return NULL;
        if ((w[0][0] >= 'a' && w[0][0] <= 'z') || (w[0][0] >= 'A' && w[0][0] <= 'Z')) {
                if (!weekdays_valid(w[0]))
                        return n == 1 ? "expression" : "weekdays";
                i++;
        }
        if (n - i > 2 || n == i)
                return n == i && i > 0 ? NULL : "number of words";
        if (n - i == 2 || !strchr(w[i], ':')) {
                if (!date_valid(w[i]))
                        return "date";
                i++;
        }
        if (i < n && !time_valid(w[i]))
                return "time";
        return NULL;
}
