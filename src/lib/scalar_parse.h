/* scalar_parse.h — the manifest's scalar grammars: durations, sizes, ports,
 * owners, modes and numbers. Each returns 0 or -EINVAL (never logs); the
 * validator turns -EINVAL into a positioned message saying what was expected. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "app.h"

/* "30s", "5min", "1h 30min", "250ms", "2d"; a bare number is seconds. */
int parse_duration(const char *s, usec_t *ret);
/* "512", "64K", "512M", "4G", "1T" (binary multiples; "KiB" etc. also). */
int parse_size(const char *s, uint64_t *ret);
/* Decimal, no sign, no leading '+', within [min, max]. */
int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *ret);
/* "2", "0.5", "1.25": thousandths of a CPU, > 0. */
int parse_cpus(const char *s, unsigned *ret_milli);
/* "[IP:]HOST:CONTAINER[/PROTO]" with IPv6 in brackets. */
int parse_port_map(const char *s, PortMap *ret);
/* "UID[:GID]", numeric, each < 65536 (the app's user namespace is 65536 ids). */
int parse_owner(const char *s, uid_t *ret_uid, gid_t *ret_gid);
/* "0750": octal, no setuid/setgid/sticky bits. */
int parse_mode(const char *s, mode_t *ret);

/* v in decimal, for strings put together without printf: written at the end
 * of buf, returns where it starts. */
#define DECIMAL_STR_MAX 21 /* 2^64 - 1 has 20 digits */
char *format_uint(char buf[static DECIMAL_STR_MAX], uint64_t v);

/* Go-style duration for podman ("30s", "1500ms"). Buffer of at least 32 bytes. */
char *format_go_duration(char *buf, size_t size, usec_t u);
/* systemd time span ("30s", "1500ms"). */
#define format_timespan format_go_duration
