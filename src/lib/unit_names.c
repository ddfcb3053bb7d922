/* unit_names.c — unit naming. */
#include "unit_names.h"

char *unit_name_target(const char *id) {
        return strjoin("berth-", id, ".target");
}

char *unit_name_slice(const char *id) {
        size_t n = strlen("berth-") + strlen(".slice");
        char *name, *p;

        for (const char *c = id; *c; c++)
                n += *c == '-' ? 4 : 1;
        name = p = malloc(n + 1);
        if (!name)
                return NULL;
        p = stpcpy(p, "berth-");
        for (const char *c = id; *c; c++) {
                if (*c == '-')
                        p = stpcpy(p, "\\x2d");
                else
                        *p++ = *c;
        }
        strcpy(p, ".slice");
        return name;
}

char *unit_name_prepare(const char *id) {
        return strjoin("berth-", id, "-prepare.service");
}

char *unit_name_container(const char *id, const char *c) {
        return strjoin("berth-", id, "-", c, ".service");
}

char *unit_name_build(const char *id, const char *c) {
        return strjoin("berth-", id, "-", c, "-build.service");
}

char *unit_name_timer(const char *id) {
        return strjoin("berth-", id, "-backup.timer");
}

char *unit_name_backup(const char *id) {
        return strjoin("berth-backup@", id, ".service");
}

char *unit_name_restore(const char *id) {
        return strjoin("berth-restore@", id, ".service");
}
