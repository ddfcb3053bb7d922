/* test-calendar — calendar_check() on forms whose fate under systemd 252 and 257
 * was seen with their systemd-analyze calendar (tests/check-calendar.sh compares
 * a whole corpus, in the test-bed trees). */
#include "calendar.h"
#include "test.h"

static const char *const accepted[] = {
        "daily", "DAILY", "semi-annually", "weekly UTC", "daily Europe/Berlin", "Mon..Fri 9:00", "Mon-Fri 03:00",
        "Sat,Sun", "Mon UTC", "mOnDaY 00:00", "*-*-* 03:00:00", "*-*-* 3:0:0", "12:00", "*:0/15", "*:0/15,30",
        "*:1..5,10..20/2", "1..5:00", "5..5:00", "0..23/24:00", "*:*:0/0.5", "*:*:1/1.5", "*:*:1..2.5",
        "*-*-* 03:00:00.5/2", "*-*", "01-01", "16-01-01", "0-01-01", "70..99-01-01", "2199-12-31 23:59:59",
        "2020/2-01-01", "*-*-1..31/40 0:0", "*-*-2/29", "*:15/44", "*~3", "*-*~3", "*-02~03", "2024-02~1",
        "*~28", "*~3/2", "*~4..7/3", "@0", "@7258118399", "*-*-* 0:0 Etc/GMT+5", "*-*-* 0:0 utc",
        "Mon  *-*-*  00:00", "*:*:59.9999994", "*:*:0/0.0000005", "*:*:59.4/0.5", "*:*:0/59.999999", NULL,
};

static const char *const refused[][2] = {
        { "", "length" }, { " daily", "spaces" }, { "daily ", "spaces" }, { "Mon\t00:00", "characters" },
        { "daily; rm -rf /", "characters" }, { "Wed..Mon 09:00", "weekdays" }, { "Mo 01:00", "weekdays" },
        { "Mon-Wed..Fri 0:0", "weekdays" }, { "Mon Tue", "date" },
        { "now", "expression" }, { "UTC", "expression" }, { "*", "date" }, { "*-*-*-*", "date" },
        { "*-*-~3", "date" }, { "*-~3", "date" }, { "*~29", "date" }, { "*~2/5", "date" }, { "*~5,23,17", "date" },
        { "*-*-5..1 03:00", "date" }, { "*-*-31,32 03:00", "date" }, { "*-13-1 0:0", "date" },
        { "*-*/2-*", "date" }, { "*/2-*-*", "date" }, { "10/12-*", "date" }, { "1969-01-01", "date" },
        { "2200-01-01", "date" }, { "100-01-01", "date" }, { "2024-01-01T12:00", "time" },
        { "*-*-* 25:00:00", "time" }, { "*-*-* 24:00", "time" }, { "*-*-* 03:00:60", "time" },
        { "*-*-* 03:00/0", "time" }, { "00:00:00/2:00", "time" }, { "*:1/1.5", "time" }, { "*:*:1.5..2", "time" },
        { "*:*:53..53", "time" }, { "*:*:*.5", "time" }, { "*:15/45", "time" }, { "19..24:00", "time" }, { "*:*/10", "time" },
        { "1:00:00:00", "time" }, { "-1:00", "time" }, { "2024-01-01 Mon", "time" }, { "*:00 *-*-*", "date" },
        { "*-*-* 00:00 UTC UTC", "number of words" }, { "*-*-* 0:0 Mars/Olympus", "number of words" },
        { "*-*-* 0:0 asia/kolkata", "number of words" }, { "@", "timestamp" }, { "@1.5", "timestamp" },
        { "@7258118400", "timestamp" },
        /* Seconds keep six decimals, rounded at the seventh. */
        { "*:*:59.9999995", "time" }, { "03:00:59.9999999", "time" }, { "*:*:1..59.9999999", "time" },
        { "*:*:0/0.0000004", "time" }, { "*:*:59.5/0.6", "time" }, { "*:*:58.7/1.5", "time" },
        { "*:*:0/59.9999999", "time" },
        /* systemd takes these; they are refused on purpose (see calendar.c). */
        { "Mon,", "expression" }, { "Mon, 01:00", "weekdays" }, { "*:*:1.5..3", "time" }, { "19..24/4:00", "time" },
        { "*~1,2", "date" },
};

TEST(test_accepted) {
        for (const char *const *e = accepted; *e; e++) {
                const char *r = calendar_check(*e);
                if (r)
                        test_fail(__FILE__, __LINE__, "'%s' refused (its %s), systemd accepts it", *e, r);
                test_asserts++;
        }
}

TEST(test_refused) {
        for (size_t i = 0; i < ELEMENTSOF(refused); i++) {
                const char *r = calendar_check(refused[i][0]);
                if (!r || !streq(r, refused[i][1]))
                        test_fail(__FILE__, __LINE__, "'%s': %s, expected refused (its %s)", refused[i][0],
                                  r ? r : "accepted", refused[i][1]);
                test_asserts++;
        }
}

int main(void) {
        RUN(test_accepted);
        RUN(test_refused);
        TEST_DONE();
}
