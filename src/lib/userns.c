/* userns.c — deterministic user-namespace ranges. */
#include <sodium.h>
#include <string.h>

#include "userns.h"

uint32_t userns_base(const char *app_id) {
        unsigned char h[crypto_hash_sha256_BYTES];
        crypto_hash_sha256_state st;
        uint32_t v;

        crypto_hash_sha256_init(&st);
        crypto_hash_sha256_update(&st, (const unsigned char *) "berth-userns:", 13);
        crypto_hash_sha256_update(&st, (const unsigned char *) app_id, strlen(app_id));
        crypto_hash_sha256_final(&st, h);
        v = (uint32_t) h[0] << 24 | (uint32_t) h[1] << 16 | (uint32_t) h[2] << 8 | (uint32_t) h[3];
        return USERNS_FIRST_BASE + USERNS_SIZE * (v % USERNS_SLOTS);
}
