/* calendar.h — whether systemd accepts a calendar expression (OnCalendar=). */
#pragma once

#define CALENDAR_MAX 256

/* NULL when systemd (252 and later) accepts s as an OnCalendar= expression;
 * else the part that is wrong ("date", "time", "weekdays", "timestamp", ...). */
const char *calendar_check(const char *s);
