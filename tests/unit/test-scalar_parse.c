/* test-scalar_parse — the scalar grammars, with their edges and overflows. */
#include "scalar_parse.h"
#include "test.h"

#define SEC USEC_PER_SEC
#define MSEC USEC_PER_MSEC

/* parse_duration() and parse_size() both give a uint64_t: parse(s) gives
 * want, or fails with -err and leaves the output alone. Failures name the
 * caller's line. */
typedef int (*parse_u64_t)(const char *s, uint64_t *ret);

static void u64_ok(const char *file, int line, parse_u64_t parse, const char *name, const char *s, uint64_t want) {
        uint64_t v = 12345;
        int r = parse(s, &v);
        if (r < 0 || v != want)
                test_fail(file, line, "%s(\"%s\") = %d, %llu; expected %llu", name, s, r, (unsigned long long) v,
                          (unsigned long long) want);
}

static void u64_bad(const char *file, int line, parse_u64_t parse, const char *name, const char *s, int err) {
        uint64_t v = 12345;
        int r = parse(s, &v);
        if (r != -err || v != 12345)
                test_fail(file, line, "%s(\"%s\") = %d (%llu), expected %d and no output", name, s, r,
                          (unsigned long long) v, -err);
}

#define dur_ok(s, want) u64_ok(__FILE__, __LINE__, parse_duration, "parse_duration", s, want)
#define dur_bad(s, err) u64_bad(__FILE__, __LINE__, parse_duration, "parse_duration", s, err)
#define size_ok(s, want) u64_ok(__FILE__, __LINE__, parse_size, "parse_size", s, want)
#define size_bad(s, err) u64_bad(__FILE__, __LINE__, parse_size, "parse_size", s, err)

TEST(test_duration) {
        dur_ok("30s", 30 * SEC);
        dur_ok("5min", 300 * SEC);
        dur_ok("5m", 300 * SEC);
        dur_ok("1h 30min", 5400 * SEC);
        dur_ok("1h30min", 5400 * SEC);
        dur_ok("2min 200ms", 120200 * MSEC);
        dur_ok("250ms", 250 * MSEC);
        dur_ok("1500msec", 1500 * MSEC);
        dur_ok("7us", 7);
        dur_ok("7usec", 7);
        dur_ok("2d", 2 * 86400 * SEC);
        dur_ok("1w", 7 * 86400 * SEC);
        dur_ok("3 hours", 3 * 3600 * SEC);
        dur_ok("1hr", 3600 * SEC);
        dur_ok("1 minute 1 second", 61 * SEC);
        dur_ok("10", 10 * SEC); /* a bare number is seconds, as in systemd */
        dur_ok("0", 0);
        dur_ok("0s", 0);
        dur_ok("  45s  ", 45 * SEC);
        dur_ok("007s", 7 * SEC);
        dur_ok("366d", 366ULL * 86400 * SEC); /* the upper bound */
        dur_ok("365d 23h 59min 59s 999ms 1000us", 366ULL * 86400 * SEC);

        dur_bad("", EINVAL);
        dur_bad("   ", EINVAL);
        dur_bad("s", EINVAL);
        dur_bad("-1s", EINVAL);
        dur_bad("+1s", EINVAL);
        dur_bad("1.5h", EINVAL);
        dur_bad("1x", EINVAL);
        dur_bad("1mins", EINVAL);
        dur_bad("1 2", EINVAL);    /* a second bare number */
        dur_bad("1s 2", EINVAL);
        dur_bad("1h,30min", EINVAL);
        dur_bad("1\t2s", EINVAL);
        dur_bad("infinity", EINVAL);
        dur_bad("0x10s", EINVAL);
        dur_bad("367d", ERANGE);
        dur_bad("366d 1us", ERANGE);
        dur_bad("53w", ERANGE);
        dur_bad("99999999999999999999s", ERANGE);
        dur_bad("18446744073709551616us", ERANGE);
        dur_bad("99999999999999999999999999999999999999", ERANGE);
        dur_bad("200d 200d", ERANGE);
        ASSERT_ERR(parse_duration(NULL, &(usec_t) { 0 }), EINVAL);
}

TEST(test_size) {
        size_ok("512", 512);
        size_ok("512B", 512);
        size_ok("1b", 1);
        size_ok("64K", 64 << 10);
        size_ok("64k", 64 << 10);
        size_ok("64KiB", 64 << 10);
        size_ok("512M", 512ULL << 20);
        size_ok("512MiB", 512ULL << 20);
        size_ok("4G", 4ULL << 30);
        size_ok("4g", 4ULL << 30);
        size_ok("1T", 1ULL << 40);
        size_ok("1TiB", 1ULL << 40);
        size_ok("9223372036854775807", INT64_MAX);          /* the largest: 2^63-1 */
        size_ok("8589934591G", (8589934591ULL) << 30);      /* (2^33-1) GiB */
        size_ok("8388607T", 8388607ULL << 40);

        size_bad("", EINVAL);
        size_bad("0", EINVAL);
        size_bad("0G", EINVAL);
        size_bad("G", EINVAL);
        size_bad("1.5G", EINVAL);
        size_bad("1 G", EINVAL);
        size_bad(" 1G", EINVAL);
        size_bad("1KB", EINVAL);  /* decimal units are not offered: ambiguous */
        size_bad("1Gi", EINVAL);
        size_bad("1P", EINVAL);
        size_bad("-1", EINVAL);
        size_bad("+1", EINVAL);
        size_bad("1G1", EINVAL);
        size_bad("12345678901234567890123456789012", EINVAL); /* 32 digits */
        size_bad("9223372036854775808", ERANGE);
        size_bad("8589934592G", ERANGE);
        size_bad("8388608T", ERANGE);
        size_bad("18446744073709551615", ERANGE);
        ASSERT(parse_size("18446744073709551616", &(uint64_t) { 0 }) < 0);
        ASSERT_ERR(parse_size(NULL, &(uint64_t) { 0 }), EINVAL);
}

TEST(test_uint) {
        uint64_t v = 0;

        ASSERT_OK(parse_uint("0", 0, 10, &v));
        ASSERT_EQ(v, 0);
        ASSERT_OK(parse_uint("10", 0, 10, &v));
        ASSERT_EQ(v, 10);
        ASSERT_OK(parse_uint("0010", 0, 10, &v));
        ASSERT_EQ(v, 10);
        ASSERT_ERR(parse_uint("11", 0, 10, &v), ERANGE);
        ASSERT_ERR(parse_uint("4", 5, 10, &v), ERANGE);
        ASSERT_ERR(parse_uint("", 0, 10, &v), EINVAL);
        ASSERT_ERR(parse_uint("-1", 0, 10, &v), EINVAL);
        ASSERT_ERR(parse_uint("+1", 0, 10, &v), EINVAL);
        ASSERT_ERR(parse_uint(" 1", 0, 10, &v), EINVAL);
        ASSERT_ERR(parse_uint("1 ", 0, 10, &v), EINVAL);
        ASSERT_ERR(parse_uint("1e3", 0, 10000, &v), EINVAL);
        ASSERT_ERR(parse_uint(NULL, 0, 10, &v), EINVAL);
        /* The whole uint64 range, exactly. */
        ASSERT_OK(parse_uint("18446744073709551615", 0, UINT64_MAX, &v));
        ASSERT(v == UINT64_MAX);
        ASSERT_OK(parse_uint("18446744073709551610", 0, UINT64_MAX, &v));
        ASSERT(v == UINT64_MAX - 5);
        ASSERT_ERR(parse_uint("18446744073709551616", 0, UINT64_MAX, &v), ERANGE);
        ASSERT_ERR(parse_uint("18446744073709551620", 0, UINT64_MAX, &v), ERANGE);
        ASSERT_ERR(parse_uint("99999999999999999999999", 0, UINT64_MAX, &v), ERANGE);
        ASSERT(v == UINT64_MAX - 5); /* untouched by failures */
}

static void cpus_ok(const char *s, unsigned want) {
        unsigned m = 12345;
        int r = parse_cpus(s, &m);
        if (r < 0 || m != want)
                test_fail(__FILE__, __LINE__, "parse_cpus(\"%s\") = %d, %u; expected %u", s, r, m, want);
}

static void cpus_bad(const char *s) {
        unsigned m = 12345;
        int r = parse_cpus(s, &m);
        if (r >= 0 || m != 12345)
                test_fail(__FILE__, __LINE__, "parse_cpus(\"%s\") = %d (%u), expected an error", s, r, m);
}

TEST(test_cpus) {
        cpus_ok("1", 1000);
        cpus_ok("2", 2000);
        cpus_ok("0.5", 500);
        cpus_ok("1.25", 1250);
        cpus_ok("1.5", 1500);
        cpus_ok("0.001", 1);
        cpus_ok("0.010", 10);
        cpus_ok("00.5", 500);
        cpus_ok("4096", 4096000);
        cpus_ok("4095.999", 4095999);
        cpus_ok("4096.000", 4096000);

        cpus_bad("");
        cpus_bad("0");
        cpus_bad("0.0");
        cpus_bad("0.000");
        cpus_bad("0.0001");
        cpus_bad("1.2345");
        cpus_bad("4097");
        cpus_bad("4096.001"); /* the limit holds with decimals too */
        cpus_bad("4096.5");
        cpus_bad(".5");
        cpus_bad("1.");
        cpus_bad("1.2.3");
        cpus_bad("-1");
        cpus_bad("-0.5");
        cpus_bad("1.-5");
        cpus_bad("1.+5");
        cpus_bad("1e3");
        cpus_bad("1,5");
        cpus_bad(" 1");
        cpus_bad("99999999999999999999");
        cpus_bad("1234567890123456.5");
        cpus_bad("18446744073709551616.5");
        cpus_bad(NULL);
}

static void port_ok(const char *s, const char *ip, unsigned host, unsigned container, const char *proto) {
        PortMap m = {};
        int r = parse_port_map(s, &m);
        if (r < 0)
                test_fail(__FILE__, __LINE__, "parse_port_map(\"%s\") = %d", s, r);
        ASSERT_STREQ(m.host_ip, ip);
        ASSERT_EQ(m.host_port, host);
        ASSERT_EQ(m.container_port, container);
        ASSERT_STREQ(m.protocol, proto);
        free(m.host_ip);
}

static void port_bad(const char *s) {
        PortMap m = {};
        int r = parse_port_map(s, &m);
        if (r != -EINVAL)
                test_fail(__FILE__, __LINE__, "parse_port_map(\"%s\") = %d, expected -EINVAL", s, r);
        ASSERT(!m.host_ip);
}

TEST(test_ports) {
        port_ok("8080:80", NULL, 8080, 80, "tcp");
        port_ok("1:1", NULL, 1, 1, "tcp");
        port_ok("65535:65535/udp", NULL, 65535, 65535, "udp");
        port_ok("53:53/sctp", NULL, 53, 53, "sctp");
        port_ok("127.0.0.1:2283:2283/tcp", "127.0.0.1", 2283, 2283, "tcp");
        port_ok("0.0.0.0:80:8080", "0.0.0.0", 80, 8080, "tcp");
        port_ok("[::1]:53:53/udp", "::1", 53, 53, "udp");
        port_ok("[::]:443:8443", "::", 443, 8443, "tcp");
        port_ok("[2001:db8::42]:8333:8333", "2001:db8::42", 8333, 8333, "tcp");
        port_ok("[::ffff:10.0.0.1]:80:80", "::ffff:10.0.0.1", 80, 80, "tcp");

        port_bad("");
        port_bad("80");
        port_bad(":80");
        port_bad("80:");
        port_bad("0:80");
        port_bad("80:0");
        port_bad("65536:80");
        port_bad("80:65536");
        port_bad("99999999999999999999:80");
        port_bad("-1:80");
        port_bad("+80:80");
        port_bad("80:80/icmp");
        port_bad("80:80/TCP");
        port_bad("80:80/");
        port_bad("80:80/tcp/udp");
        port_bad("8000-8010:8000-8010");
        port_bad("1.2.3.4:80");          /* an address but only one port */
        port_bad("256.1.1.1:80:80");
        port_bad("1.2.3:80:80");
        port_bad("localhost:80:80");     /* names are not resolved */
        port_bad("80:80:80");
        port_bad("1.2.3.4:80:80:80");
        port_bad("::1:53:53");           /* IPv6 needs brackets */
        port_bad("[::1]53:53");
        port_bad("[::1]:53");
        port_bad("[::1:53:53");
        port_bad("[1.2.3.4]:80:80");     /* brackets are for IPv6 */
        port_bad("[fe80::1%eth0]:80:80");
        port_bad("[]:80:80");
        port_bad(" 80:80");
        port_bad("80 :80");
        ASSERT_ERR(parse_port_map(NULL, &(PortMap) {}), EINVAL);
}

static void owner_ok(const char *s, unsigned uid, unsigned gid) {
        uid_t u = 1;
        gid_t g = 1;
        int r = parse_owner(s, &u, &g);
        if (r < 0 || u != uid || g != gid)
                test_fail(__FILE__, __LINE__, "parse_owner(\"%s\") = %d, %u:%u; expected %u:%u", s, r, u, g, uid, gid);
}

static void owner_bad(const char *s) {
        uid_t u = 1;
        gid_t g = 1;
        int r = parse_owner(s, &u, &g);
        if (r >= 0 || u != 1 || g != 1)
                test_fail(__FILE__, __LINE__, "parse_owner(\"%s\") = %d, expected an error", s, r);
}

TEST(test_owner) {
        owner_ok("1000", 1000, 1000);
        owner_ok("1000:100", 1000, 100);
        owner_ok("0:0", 0, 0);
        owner_ok("999:999", 999, 999);
        owner_ok("65535:65535", 65535, 65535);
        owner_ok("0", 0, 0);

        owner_bad("");
        owner_bad(":");
        owner_bad(":1");
        owner_bad("1:");
        owner_bad("65536");
        owner_bad("1:65536");
        owner_bad("4294967295");
        owner_bad("99999999999999999999999");
        owner_bad("postgres");
        owner_bad("postgres:postgres");
        owner_bad("1:2:3");
        owner_bad("-1");
        owner_bad("1 :2");
}

static void mode_ok(const char *s, mode_t want) {
        mode_t m = 01;
        int r = parse_mode(s, &m);
        if (r < 0 || m != want)
                test_fail(__FILE__, __LINE__, "parse_mode(\"%s\") = %d, %o; expected %o", s, r, m, want);
}

static void mode_bad(const char *s) {
        mode_t m = 01;
        int r = parse_mode(s, &m);
        if (r >= 0 || m != 01)
                test_fail(__FILE__, __LINE__, "parse_mode(\"%s\") = %d, expected an error", s, r);
}

TEST(test_mode) {
        mode_ok("0750", 0750);
        mode_ok("750", 0750);
        mode_ok("0700", 0700);
        mode_ok("0777", 0777);
        mode_ok("0", 0);
        mode_ok("0000", 0);
        mode_ok("7", 07);

        mode_bad("");
        mode_bad("1777");  /* sticky */
        mode_bad("2750");  /* setgid */
        mode_bad("4755");  /* setuid */
        mode_bad("0800");
        mode_bad("0759");
        mode_bad("07777");
        mode_bad("00750");
        mode_bad("u+rwx");
        mode_bad("0x1ff");
        mode_bad("-750");
        mode_bad(" 750");
        mode_bad(NULL);
}

TEST(test_format_duration) {
        char buf[32];

        ASSERT_STREQ(format_go_duration(buf, sizeof(buf), 0), "0s");
        ASSERT_STREQ(format_go_duration(buf, sizeof(buf), 30 * SEC), "30s");
        ASSERT_STREQ(format_go_duration(buf, sizeof(buf), 1500 * MSEC), "1500ms");
        ASSERT_STREQ(format_go_duration(buf, sizeof(buf), 1001), "1001us");
        ASSERT_STREQ(format_go_duration(buf, sizeof(buf), 366ULL * 86400 * SEC), "31622400s");
        ASSERT_STREQ(format_timespan(buf, sizeof(buf), 40 * SEC), "40s");
        /* What is formatted parses back to the same value. */
        for (usec_t u = 0; u < 3 * SEC; u += 997) {
                usec_t back;
                ASSERT_OK(parse_duration(format_go_duration(buf, sizeof(buf), u), &back));
                ASSERT_EQ_U(back, u);
        }
        /* Cut to a short buffer as snprintf() would. */
        ASSERT_STREQ(format_go_duration(buf, 4, 1500 * MSEC), "150");
        ASSERT_STREQ(format_go_duration(buf, 6, 1500 * MSEC), "1500m");
}

TEST(test_format_uint) {
        char buf[DECIMAL_STR_MAX];

        ASSERT_STREQ(format_uint(buf, 0), "0");
        ASSERT_STREQ(format_uint(buf, 7), "7");
        ASSERT_STREQ(format_uint(buf, 65536), "65536");
        ASSERT_STREQ(format_uint(buf, UINT64_MAX), "18446744073709551615");
}

int main(void) {
        RUN(test_duration);
        RUN(test_size);
        RUN(test_uint);
        RUN(test_cpus);
        RUN(test_ports);
        RUN(test_owner);
        RUN(test_mode);
        RUN(test_format_duration);
        RUN(test_format_uint);
        TEST_DONE();
}
