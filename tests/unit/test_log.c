/* tests/unit/test_log.c: access-line formats and the error page builder. */
#include "core/wk.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <event2/buffer.h>
#include <netinet/in.h>

#include "core/netaddr.h"
#include "log/log.h"
#include "sess/errpage.h"

static const struct wk_access_rec rec = {
	.start_us = 1795000000123456ull, /* 2026-11-18T11:06:40.123Z */
	.duration_us = 12345,
	.client = "127.0.0.1:51234",
	.method = "GET",
	.target = "http://h.example/a b\"c",
	.status = 200,
	.bytes_in = 78,
	.bytes_out = 1234,
	.upstream = NULL,
	.reason = "ok",
};

static void
test_access_text(void **state)
{
	char buf[512];

	(void)state;
	wk_log_format_access(&rec, WK_ACCESS_TEXT, buf, sizeof(buf));
	assert_string_equal(buf,
	    "2026-11-18T11:06:40.123Z 127.0.0.1:51234 GET "
	    "http://h.example/a%20b%22c 200 78 1234 12 - \"ok\"");
}

static void
test_access_json(void **state)
{
	char buf[512];

	(void)state;
	wk_log_format_access(&rec, WK_ACCESS_JSON, buf, sizeof(buf));
	assert_string_equal(buf,
	    "{\"time\":\"2026-11-18T11:06:40.123Z\",\"client\":"
	    "\"127.0.0.1:51234\",\"method\":\"GET\",\"target\":"
	    "\"http://h.example/a b\\\"c\",\"status\":200,\"bytes_in\":78,"
	    "\"bytes_out\":1234,\"duration_ms\":12,\"upstream\":\"-\","
	    "\"reason\":\"ok\"}");
}

static void
test_access_truncates(void **state)
{
	char buf[16];
	size_t n;

	(void)state;
	n = wk_log_format_access(&rec, WK_ACCESS_TEXT, buf, sizeof(buf));
	assert_int_equal(n, 15);
	assert_int_equal(strlen(buf), 15);
}

static void
test_errpage(void **state)
{
	struct evbuffer *out = evbuffer_new();
	char buf[1024];
	size_t n;

	(void)state;
	n = wk_errpage_write(out, 502, "dns", "x.invalid:80: name not found",
	    false, false, "wicket");
	assert_int_equal(n, evbuffer_get_length(out));
	evbuffer_remove(out, buf, n);
	buf[n] = '\0';
	assert_string_equal(buf,
	    "HTTP/1.1 502 Bad Gateway\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: 46\r\n"
	    "Cache-Control: no-store\r\n"
	    "X-Wicket-Error: dns\r\n"
	    "Connection: close\r\n"
	    "Via: 1.1 wicket\r\n\r\n"
	    "502 Bad Gateway: x.invalid:80: name not found\n");
	evbuffer_free(out);
}

static void
test_netaddr(void **state)
{
	struct sockaddr_in in = { .sin_family = AF_INET,
		.sin_port = htons(3128) };
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6,
		.sin6_port = htons(80) };
	char buf[WK_ADDRSTRLEN];

	(void)state;
	inet_pton(AF_INET, "127.9.0.1", &in.sin_addr);
	assert_string_equal(
	    wk_addr_str((void *)&in, buf, sizeof(buf)), "127.9.0.1:3128");
	assert_true(wk_addr_is_loopback((void *)&in));
	inet_pton(AF_INET, "10.0.0.1", &in.sin_addr);
	assert_false(wk_addr_is_loopback((void *)&in));
	inet_pton(AF_INET6, "::1", &in6.sin6_addr);
	assert_string_equal(
	    wk_addr_str((void *)&in6, buf, sizeof(buf)), "[::1]:80");
	assert_true(wk_addr_is_loopback((void *)&in6));
	inet_pton(AF_INET6, "::ffff:127.0.0.2", &in6.sin6_addr);
	assert_true(wk_addr_is_loopback((void *)&in6));
	inet_pton(AF_INET6, "2001:db8::1", &in6.sin6_addr);
	assert_false(wk_addr_is_loopback((void *)&in6));
	assert_true(wk_host_is_ip_literal("::1"));
	assert_true(wk_host_is_ip_literal("192.0.2.1"));
	assert_false(wk_host_is_ip_literal("example.com"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_access_text),
		cmocka_unit_test(test_access_json),
		cmocka_unit_test(test_access_truncates),
		cmocka_unit_test(test_errpage),
		cmocka_unit_test(test_netaddr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
