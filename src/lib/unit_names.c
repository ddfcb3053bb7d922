/* unit_names.c — unit naming. */
#include <stdarg.h>

#include "unit_names.h"


char *unit_name_target(const char *id) {
        return strprintf("berth-%s.target", id);
}

char *unit_name_slice(const char *id) {
        size_t n = 0;
        char *esc, *p, *r;

        for (const char *c = id; *c; c++)
                n += *c == '-' ? 4 : 1;
        esc = p = malloc(n + 1);
        if (!esc)
                return NULL;
        for (const char *c = id; *c; c++) {
                if (*c == '-')
                        p = stpcpy(p, "\\x2d");
                else
                        *p++ = *c;
        }
        *p = 0;
        r = strprintf("berth-%s.slice", esc);
        free(esc);
        return r;
}

char *unit_name_prepare(const char *id) {
        return strprintf("berth-%s-prepare.service", id);
}

char *unit_name_container(const char *id, const char *c) {
        return strprintf("berth-%s-%s.service", id, c);
}

char *unit_name_build(const char *id, const char *c) {
        return strprintf("berth-%s-%s-build.service", id, c);
}

char *unit_name_timer(const char *id) {
        return strprintf("berth-%s-backup.timer", id);
}

char *unit_name_backup(const char *id) {
        return strprintf("berth-backup@%s.service", id);
}

char *unit_name_restore(const char *id) {
        return strprintf("berth-restore@%s.service", id);
}
