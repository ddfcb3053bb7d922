/* userns.c — deterministic user-namespace ranges. */
#include <sodium.h>
#include <string.h>

#include "macro.h"
#include "userns.h"

/* The last app's base, per thread: the generator asks once per container of
 * an app, and a SHA-256 each time was 1% of its instructions. */
static _Thread_local struct {
        char id[64];
        uint32_t base;
} last;

uint32_t userns_base(const char *app_id) {
        unsigned char h[crypto_hash_sha256_BYTES];
        crypto_hash_sha256_state st;
        size_t len = strlen(app_id);
        uint32_t v;

        if (len > 0 && len < sizeof(last.id) && streq(last.id, app_id)) /* "" is no app's */
                return last.base;
        crypto_hash_sha256_init(&st);
        crypto_hash_sha256_update(&st, (const unsigned char *) "berth-userns:", 13);
        crypto_hash_sha256_update(&st, (const unsigned char *) app_id, strlen(app_id));
        crypto_hash_sha256_final(&st, h);
        v = (uint32_t) h[0] << 24 | (uint32_t) h[1] << 16 | (uint32_t) h[2] << 8 | (uint32_t) h[3];
        v = USERNS_FIRST_BASE + USERNS_SIZE * (v % USERNS_SLOTS);
        if (len < sizeof(last.id)) {
                memcpy(last.id, app_id, len + 1);
                last.base = v;
        }
        return v;
}
