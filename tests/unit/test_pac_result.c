/* tests/unit/test_pac_result.c: FindProxyForURL result strings. */
#include "core/wk.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "pac/pac_result.h"

static struct wk_pac_hop hops[8];
static char err[128];

static int
parse(const char *s)
{
	memset(hops, 0xa5, sizeof(hops));
	return wk_pac_result_parse(
	    s, strlen(s), hops, WK_ARRAY_LEN(hops), err, sizeof(err));
}

static void
check_hop(size_t i, enum wk_pac_hop_kind kind, const char *host, uint16_t port)
{
	assert_int_equal(hops[i].kind, kind);
	assert_string_equal(hops[i].host, host);
	assert_int_equal(hops[i].port, port);
}

static void
test_simple(void **state)
{
	(void)state;
	assert_int_equal(parse("DIRECT"), 1);
	check_hop(0, WK_PAC_DIRECT, "", 0);
	assert_string_equal(err, "");
	assert_int_equal(parse("PROXY proxy.example:8080"), 1);
	check_hop(0, WK_PAC_PROXY, "proxy.example", 8080);
	assert_int_equal(parse("PROXY a:1; HTTPS b:443; SOCKS c:1080; "
			       "SOCKS4 d:1081; SOCKS5 e:1082; DIRECT"),
	    6);
	check_hop(0, WK_PAC_PROXY, "a", 1);
	check_hop(1, WK_PAC_HTTPS, "b", 443);
	check_hop(2, WK_PAC_SOCKS, "c", 1080);
	check_hop(3, WK_PAC_SOCKS4, "d", 1081);
	check_hop(4, WK_PAC_SOCKS5, "e", 1082);
	check_hop(5, WK_PAC_DIRECT, "", 0);
	assert_int_equal(parse("HTTP h:3128"), 1);
	check_hop(0, WK_PAC_PROXY, "h", 3128);
}

static void
test_whitespace_case(void **state)
{
	(void)state;
	assert_int_equal(parse("  proxy\t 10.0.0.1:65535 ;direct ; ;"), 2);
	check_hop(0, WK_PAC_PROXY, "10.0.0.1", 65535);
	check_hop(1, WK_PAC_DIRECT, "", 0);
	assert_int_equal(parse("\r\nSoCkS5 h_1.example-x:9\n"), 1);
	check_hop(0, WK_PAC_SOCKS5, "h_1.example-x", 9);
	assert_int_equal(parse(";;DIRECT;;"), 1);
}

static void
test_ipv6(void **state)
{
	(void)state;
	assert_int_equal(parse("PROXY [::1]:8080"), 1);
	check_hop(0, WK_PAC_PROXY, "::1", 8080);
	assert_int_equal(parse("SOCKS5 [2001:db8::17]:1080; DIRECT"), 2);
	check_hop(0, WK_PAC_SOCKS5, "2001:db8::17", 1080);
	assert_int_equal(parse("PROXY [::ffff:1.2.3.4]:1"), 1);
	check_hop(0, WK_PAC_PROXY, "::ffff:1.2.3.4", 1);
	assert_int_equal(parse("PROXY [::1:8080"), -1);
	assert_string_equal(err, "missing ']'");
	assert_int_equal(parse("PROXY [::g]:8080"), -1);
	assert_string_equal(err, "bad IPv6 literal");
	assert_int_equal(parse("PROXY []:8080"), -1);
	assert_int_equal(parse("PROXY [::1]8080"), -1);
	assert_int_equal(parse("PROXY [::1]:"), -1);
	assert_int_equal(parse("PROXY [fe80::1%eth0]:80"), -1);
	assert_int_equal(parse("PROXY ::1:8080"), -1);
	assert_int_equal(parse("PROXY [1.2.3.4]:80"), -1);
}

static void
test_malformed(void **state)
{
	(void)state;
	assert_int_equal(parse(""), -1);
	assert_string_equal(err, "empty result");
	assert_int_equal(parse("  ; ;\t"), -1);
	assert_string_equal(err, "empty result");
	assert_int_equal(parse("INVALID"), -1);
	assert_string_equal(err, "unknown keyword");
	assert_int_equal(parse("PROXY %%"), -1);
	assert_int_equal(parse("PROXY"), -1);
	assert_string_equal(err, "missing host:port");
	assert_int_equal(parse("PROXY host"), -1);
	assert_string_equal(err, "missing port");
	assert_int_equal(parse("PROXY host:"), -1);
	assert_int_equal(parse("PROXY host:0"), -1);
	assert_string_equal(err, "port out of range");
	assert_int_equal(parse("PROXY host:65536"), -1);
	assert_int_equal(parse("PROXY host:99999999999999999999"), -1);
	assert_int_equal(parse("PROXY host:-1"), -1);
	assert_string_equal(err, "bad port");
	assert_int_equal(parse("PROXY host:+80"), -1);
	assert_int_equal(parse("PROXY host:8a"), -1);
	assert_int_equal(parse("PROXY :80"), -1);
	assert_string_equal(err, "empty host");
	assert_int_equal(parse("PROXY ho st:80"), -1);
	assert_int_equal(parse("PROXY host:80 extra"), -1);
	assert_string_equal(err, "junk after host:port");
	assert_int_equal(parse("PROXY h\001:80"), -1);
	assert_string_equal(err, "bad character in host");
	assert_int_equal(parse("PROXY u@h:80"), -1);
	assert_int_equal(parse("PROXY h/x:80"), -1);
	assert_int_equal(parse("DIRECT host:80"), -1);
	assert_string_equal(err, "DIRECT takes no host");
	assert_int_equal(parse("PROXYhost:80"), -1);
	assert_int_equal(parse("SOCKS4A h:1080"), -1);
	assert_int_equal(parse("QUIC h:443"), -1);
	assert_int_equal(parse("PROXY a:1, PROXY b:2"), -1);
	assert_int_equal(parse("BAD; ALSO BAD"), -1);
	assert_string_equal(err, "no valid entry (last: unknown keyword)");
}

static void
test_skip_invalid(void **state)
{
	(void)state;
	assert_int_equal(parse("FOO; PROXY h:1; PROXY bad; DIRECT"), 2);
	check_hop(0, WK_PAC_PROXY, "h", 1);
	check_hop(1, WK_PAC_DIRECT, "", 0);
	/* the first skipped entry is reported for logging */
	assert_string_equal(err, "entry 1: unknown keyword");
}

static void
test_limits(void **state)
{
	char host[300], s[400];
	struct wk_pac_hop two[2];

	(void)state;
	memset(host, 'a', 255);
	host[255] = '\0';
	snprintf(s, sizeof(s), "PROXY %s:1", host);
	assert_int_equal(parse(s), 1);
	assert_int_equal(strlen(hops[0].host), 255);
	memset(host, 'a', 256);
	host[256] = '\0';
	snprintf(s, sizeof(s), "PROXY %s:1", host);
	assert_int_equal(parse(s), -1);
	assert_string_equal(err, "host too long");

	/* at most max_hops kept; later entries are not even looked at */
	assert_int_equal(wk_pac_result_parse("DIRECT; PROXY a:1; PROXY b:2", 28,
			     two, 2, err, sizeof(err)),
	    2);
	assert_int_equal(two[1].kind, WK_PAC_PROXY);
	/* the length is honoured: no NUL needed, an embedded NUL is bad */
	assert_int_equal(
	    wk_pac_result_parse("DIRECTxyz", 6, two, 2, err, sizeof(err)), 1);
	assert_int_equal(wk_pac_result_parse("PROXY a\0b:1; DIRECT", 19, two, 2,
			     err, sizeof(err)),
	    1);
	assert_int_equal(two[0].kind, WK_PAC_DIRECT);
	/* no error buffer */
	assert_int_equal(wk_pac_result_parse("x", 1, two, 2, NULL, 0), -1);
}

static void
test_format(void **state)
{
	char out[600];
	struct wk_pac_hop again[8];
	size_t n;
	int k;

	(void)state;
	k = parse(" proxy a:1 ;socks5 [::1]:1080;  direct;https B:443");
	assert_int_equal(k, 4);
	n = wk_pac_result_format(hops, (size_t)k, out, sizeof(out));
	assert_string_equal(
	    out, "PROXY a:1; SOCKS5 [::1]:1080; DIRECT; HTTPS B:443");
	assert_int_equal(n, strlen(out));
	assert_int_equal(wk_pac_result_parse(out, n, again, 8, NULL, 0), 4);
	assert_memory_equal(again, hops, 4 * sizeof(hops[0]));
	/* truncation reports the full length */
	assert_int_equal(wk_pac_result_format(hops, 4, out, 8), n);
	assert_string_equal(out, "PROXY a");
	assert_int_equal(wk_pac_result_format(hops, 4, NULL, 0), n);
	assert_int_equal(wk_pac_result_format(hops, 0, out, sizeof(out)), 0);
	assert_string_equal(out, "");
}

static void
test_kind_names(void **state)
{
	(void)state;
	assert_string_equal(wk_pac_hop_kind_name(WK_PAC_DIRECT), "DIRECT");
	assert_string_equal(wk_pac_hop_kind_name(WK_PAC_SOCKS), "SOCKS");
	assert_string_equal(wk_pac_hop_kind_name(WK_PAC_SOCKS5), "SOCKS5");
	assert_string_equal(wk_pac_hop_kind_name(WK_PAC_HOP_KIND_COUNT), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple),
		cmocka_unit_test(test_whitespace_case),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_skip_invalid),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_kind_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
