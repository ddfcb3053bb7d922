/* userns.h — each rootful app's private user namespace. The mapping must be
 * the same on every start and every boot (the volumes' ownership depends on
 * it) and must need no /etc/subuid editing, so it is derived from the app id:
 *   base = 2^31 + 65536 * (SHA-256("berth-userns:" + id)[0..3] big-endian mod 32767)
 * and container ids 0..65535 map to base..base+65535. Two apps may, rarely,
 * share a range; the generator warns when apps it renders collide. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#define USERNS_SIZE 65536U
#define USERNS_FIRST_BASE 0x80000000U
#define USERNS_SLOTS 32767U

uint32_t userns_base(const char *app_id);
