/* test-userns — the per-app user namespace range: deterministic (known values
 * computed independently with Python's hashlib from the formula in userns.h),
 * aligned, inside [2^31, 2^32-1] for every id, spread over the slots. */
#include "test.h"
#include "userns.h"

TEST(test_known_values) {
        /* python3: 2**31 + 65536 * (int.from_bytes(sha256(b"berth-userns:" + id)[:4], "big") % 32767) */
        ASSERT_EQ_U(userns_base("immich"), 4262133760U);
        ASSERT_EQ_U(userns_base("a"), 3280273408U);
        ASSERT_EQ_U(userns_base("nextcloud"), 4103995392U);
        ASSERT_EQ_U(userns_base("gitea"), 3488808960U);
        ASSERT_EQ_U(userns_base("vaultwarden"), 3655401472U);
        ASSERT_EQ_U(userns_base("0"), 2329739264U);
        ASSERT_EQ_U(userns_base("abcdefghijklmnopqrstuvwxyz012345"), 3770351616U);
}

TEST(test_deterministic_and_in_range) {
        static unsigned char seen[USERNS_SLOTS];
        unsigned distinct = 0;
        char id[40];

        for (unsigned i = 0; i < 100000; i++) {
                uint32_t b, again;
                uint64_t last;

                snprintf(id, sizeof(id), "app-%u", i);
                b = userns_base(id);
                again = userns_base(id);
                ASSERT_EQ_U(b, again);
                ASSERT(b >= USERNS_FIRST_BASE);
                ASSERT_EQ_U(b % USERNS_SIZE, 0);
                /* The last id of the range, computed without wrapping. */
                last = (uint64_t) b + USERNS_SIZE - 1;
                ASSERT(last <= UINT32_MAX);
                ASSERT((b - USERNS_FIRST_BASE) / USERNS_SIZE < USERNS_SLOTS);
                if (!seen[(b - USERNS_FIRST_BASE) / USERNS_SIZE]++)
                        distinct++;
        }
        /* 100000 ids over 32767 slots: nearly every slot is used (a biased or
         * constant mapping would leave most empty). Expected ~95%. */
        ASSERT(distinct > USERNS_SLOTS * 9 / 10);
        /* The highest possible range still ends below 2^32. */
        ASSERT((uint64_t) USERNS_FIRST_BASE + (uint64_t) USERNS_SIZE * (USERNS_SLOTS - 1) + USERNS_SIZE - 1 <= UINT32_MAX);
        /* Ids that differ in one character get different ranges (here). */
        ASSERT(userns_base("web") != userns_base("wev"));
}

int main(void) {
        RUN(test_known_values);
        RUN(test_deterministic_and_in_range);
        TEST_DONE();
}
