/* tests/unit/test_socks_parse.c: SOCKS4/4a/5 messages, both sides. */
#include "core/wk.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "proto/socks_parse.h"

#define LIT(s) (const uint8_t *)(s), sizeof(s) - 1

/* Every proper prefix of a complete message asks for more. */
static void
check_prefixes(
    int (*parse)(const uint8_t *, size_t, size_t *, enum wk_socks_err *),
    const uint8_t *msg, size_t len)
{
	for (size_t k = 0; k < len; k++) {
		size_t used = 0;
		enum wk_socks_err err = WK_SOCKS_OK;

		assert_int_equal(
		    parse(msg, k, &used, &err), WK_PARSE_NEED_MORE);
	}
}

static struct wk_socks5_req g_req;
static struct wk_socks4_req g_r4;

static int
req5(const uint8_t *b, size_t n, size_t *u, enum wk_socks_err *e)
{
	return wk_socks5_parse_request(b, n, &g_req, u, e);
}

static int
req4(const uint8_t *b, size_t n, size_t *u, enum wk_socks_err *e)
{
	return wk_socks4_parse_request(b, n, &g_r4, u, e);
}

static void
test_greeting(void **state)
{
	struct wk_socks5_greeting g;
	enum wk_socks_err err;
	size_t used;

	(void)state;
	assert_int_equal(
	    wk_socks5_parse_greeting(LIT("\x05\x02\x00\x02"), &g, &used, &err),
	    WK_PARSE_DONE);
	assert_int_equal(used, 4);
	assert_true(wk_socks5_greeting_offers(&g, 0));
	assert_true(wk_socks5_greeting_offers(&g, 2));
	assert_false(wk_socks5_greeting_offers(&g, 1));
	assert_int_equal(
	    wk_socks5_parse_greeting(LIT("\x05\x02\x00"), &g, &used, &err),
	    WK_PARSE_NEED_MORE);
	assert_int_equal(
	    wk_socks5_parse_greeting(LIT("\x05\x00"), &g, &used, &err),
	    WK_PARSE_ERROR);
	assert_int_equal(err, WK_SOCKS_E_NO_METHODS);
	assert_int_equal(
	    wk_socks5_parse_greeting(LIT("\x06\x01\x00"), &g, &used, &err),
	    WK_PARSE_ERROR);
	assert_int_equal(err, WK_SOCKS_E_VERSION);
}

static void
test_auth(void **state)
{
	struct wk_socks5_auth a;
	enum wk_socks_err err;
	size_t used;
	uint8_t out[600];
	size_t n;

	(void)state;
	n = wk_socks5_build_auth(out, sizeof(out), "alice", "secret");
	assert_int_equal(n, 3 + 5 + 6);
	assert_int_equal(
	    wk_socks5_parse_auth(out, n, &a, &used, &err), WK_PARSE_DONE);
	assert_int_equal(used, n);
	assert_string_equal(a.user, "alice");
	assert_string_equal(a.pass, "secret");
	for (size_t k = 0; k < n; k++)
		assert_int_equal(wk_socks5_parse_auth(out, k, &a, &used, &err),
		    WK_PARSE_NEED_MORE);
	assert_int_equal(
	    wk_socks5_parse_auth(LIT("\x01\x00\x00"), &a, &used, &err),
	    WK_PARSE_ERROR);
	assert_int_equal(err, WK_SOCKS_E_EMPTY_USER);
	assert_int_equal(
	    wk_socks5_parse_auth(LIT("\x05\x01x\x00"), &a, &used, &err),
	    WK_PARSE_ERROR);
	assert_int_equal(err, WK_SOCKS_E_AUTH_VERSION);
	/* an empty password is allowed */
	assert_int_equal(
	    wk_socks5_parse_auth(LIT("\x01\x01x\x00"), &a, &used, &err),
	    WK_PARSE_DONE);
	assert_string_equal(a.pass, "");
}

static void
test_request_roundtrip(void **state)
{
	struct wk_socks_target t[3];
	uint8_t out[300];
	enum wk_socks_err err;
	size_t used, n;

	(void)state;
	memset(t, 0, sizeof(t));
	t[0].atyp = WK_SOCKS_ATYP_IPV4;
	memcpy(t[0].addr, "\x7f\x00\x00\x01", 4);
	t[0].port = 80;
	t[1].atyp = WK_SOCKS_ATYP_IPV6;
	t[1].addr[15] = 1;
	t[1].port = 8080;
	t[2].atyp = WK_SOCKS_ATYP_NAME;
	strcpy(t[2].name,
	    "b\xc3\xbc"
	    "cher.example");
	t[2].port = 443;
	for (int i = 0; i < 3; i++) {
		n = wk_socks5_build_request(
		    out, sizeof(out), WK_SOCKS_CMD_CONNECT, &t[i]);
		assert_true(n > 0);
		assert_int_equal(req5(out, n, &used, &err), WK_PARSE_DONE);
		assert_int_equal(used, n);
		assert_int_equal(g_req.cmd, WK_SOCKS_CMD_CONNECT);
		assert_int_equal(g_req.t.atyp, t[i].atyp);
		assert_int_equal(g_req.t.port, t[i].port);
		assert_string_equal(g_req.t.name, t[i].name);
		assert_memory_equal(g_req.t.addr, t[i].addr, 16);
		check_prefixes(req5, out, n);
	}
}

static void
test_request_errors(void **state)
{
	enum wk_socks_err err;
	size_t used;

	(void)state;
	/* unknown command: reported once the whole request is in */
	assert_int_equal(req5(LIT("\x05\x09\x00\x01\x7f\x00\x00"), &used, &err),
	    WK_PARSE_NEED_MORE);
	assert_int_equal(
	    req5(LIT("\x05\x09\x00\x01\x7f\x00\x00\x01\x00\x50"), &used, &err),
	    WK_PARSE_ERROR);
	assert_int_equal(err, WK_SOCKS_E_COMMAND);
	assert_int_equal(
	    req5(LIT("\x05\x01\x00\x02"), &used, &err), WK_PARSE_ERROR);
	assert_int_equal(err, WK_SOCKS_E_ATYP);
	assert_int_equal(
	    req5(LIT("\x05\x01\x01\x01"), &used, &err), WK_PARSE_ERROR);
	assert_int_equal(err, WK_SOCKS_E_RESERVED);
	assert_int_equal(req5(LIT("\x05\x01\x00\x03\x00\x00\x50"), &used, &err),
	    WK_PARSE_ERROR);
	assert_int_equal(err, WK_SOCKS_E_NAME);
	/* a NUL inside a name is refused before the name is complete */
	assert_int_equal(req5(LIT("\x05\x01\x00\x03\x05"
				  "ab\x00"),
			     &used, &err),
	    WK_PARSE_ERROR);
	assert_int_equal(err, WK_SOCKS_E_NAME);
	assert_int_equal(
	    req5(LIT("\x04\x01\x00\x01"), &used, &err), WK_PARSE_ERROR);
	assert_int_equal(err, WK_SOCKS_E_VERSION);
}

static void
test_socks4(void **state)
{
	static const uint8_t s4[] = "\x04\x01\x00\x50\x7f\x00\x00\x01"
				    "bob";
	static const uint8_t s4a[] = "\x04\x01\x01\xbb\x00\x00\x00\x07"
				     "\x00"
				     "example.org";
	uint8_t longid[8 + 300];
	enum wk_socks_err err;
	size_t used;

	(void)state;
	assert_int_equal(req4(s4, sizeof(s4), &used, &err), WK_PARSE_DONE);
	assert_int_equal(used, sizeof(s4));
	assert_false(g_r4.is_4a);
	assert_string_equal(g_r4.userid, "bob");
	assert_int_equal(g_r4.t.port, 80);
	check_prefixes(req4, s4, sizeof(s4));
	assert_int_equal(req4(s4a, sizeof(s4a), &used, &err), WK_PARSE_DONE);
	assert_true(g_r4.is_4a);
	assert_int_equal(g_r4.t.atyp, WK_SOCKS_ATYP_NAME);
	assert_string_equal(g_r4.t.name, "example.org");
	assert_string_equal(g_r4.userid, "");
	check_prefixes(req4, s4a, sizeof(s4a));
	/* a user id that never ends is refused, not waited for */
	memcpy(longid, s4, 8);
	memset(longid + 8, 'u', 300);
	assert_int_equal(
	    req4(longid, sizeof(longid), &used, &err), WK_PARSE_ERROR);
	assert_int_equal(err, WK_SOCKS_E_TOO_LONG);
	assert_int_equal(
	    req4(LIT("\x04\x05\x00\x50\x7f\x00\x00\x01\x00"), &used, &err),
	    WK_PARSE_ERROR);
	assert_int_equal(err, WK_SOCKS_E_COMMAND);
}

static void
test_replies(void **state)
{
	struct wk_socks_target b = { .atyp = WK_SOCKS_ATYP_IPV4, .port = 1080 };
	struct wk_socks_target got;
	uint8_t out[300], code;
	enum wk_socks_err err;
	size_t used, n;

	(void)state;
	memcpy(b.addr, "\x0a\x00\x00\x01", 4);
	n = wk_socks5_build_reply(out, sizeof(out), WK_SOCKS5_REP_REFUSED, &b);
	assert_int_equal(n, 10);
	assert_memory_equal(
	    out, "\x05\x05\x00\x01\x0a\x00\x00\x01\x04\x38", 10);
	assert_int_equal(
	    wk_socks5_parse_reply(out, n, &code, &got, &used, &err),
	    WK_PARSE_DONE);
	assert_int_equal(code, WK_SOCKS5_REP_REFUSED);
	assert_int_equal(got.port, 1080);
	n = wk_socks5_build_reply(out, sizeof(out), 0, NULL);
	assert_memory_equal(out, "\x05\x00\x00\x01\x00\x00\x00\x00\x00\x00", n);
	n = wk_socks4_build_reply(out, sizeof(out), WK_SOCKS4_GRANTED, 0,
	    (const uint8_t *)"\0\0\0\0");
	assert_int_equal(n, 8);
	assert_int_equal(
	    wk_socks4_parse_reply(out, n, &code, &used, &err), WK_PARSE_DONE);
	assert_int_equal(code, WK_SOCKS4_GRANTED);
	assert_int_equal(
	    wk_socks5_parse_method(LIT("\x05\xff"), &code, &used, &err),
	    WK_PARSE_DONE);
	assert_int_equal(code, 0xff);
	assert_int_equal(
	    wk_socks5_parse_auth_status(LIT("\x01\x01"), &code, &used, &err),
	    WK_PARSE_DONE);
	assert_int_equal(code, 1);
	assert_int_equal(wk_socks5_parse_reply(
			     LIT("\x05\x00\x00\x09"), &code, &got, &used, &err),
	    WK_PARSE_ERROR);
	assert_int_equal(err, WK_SOCKS_E_REPLY);
	assert_string_equal(wk_socks5_rep_str(5), "connection refused");
	/* builders refuse a buffer that is too small */
	assert_int_equal(wk_socks5_build_reply(out, 5, 0, &b), 0);
}

static void
test_client_requests(void **state)
{
	struct wk_socks_target t = { .atyp = WK_SOCKS_ATYP_NAME, .port = 80 };
	uint8_t out[600];
	enum wk_socks_err err;
	size_t used, n;

	(void)state;
	strcpy(t.name, "xn--bcher-kva.test");
	/* SOCKS4a when the target is a name: 0.0.0.1 and the name after */
	n = wk_socks4_build_request(out, sizeof(out), 1, &t, "id");
	assert_int_equal(req4(out, n, &used, &err), WK_PARSE_DONE);
	assert_true(g_r4.is_4a);
	assert_string_equal(g_r4.t.name, "xn--bcher-kva.test");
	assert_string_equal(g_r4.userid, "id");
	t.atyp = WK_SOCKS_ATYP_IPV6;
	assert_int_equal(
	    wk_socks4_build_request(out, sizeof(out), 1, &t, ""), 0);
	n = wk_socks5_build_greeting(out, sizeof(out), true);
	assert_memory_equal(out, "\x05\x02\x00\x02", n);
	n = wk_socks5_build_greeting(out, sizeof(out), false);
	assert_memory_equal(out, "\x05\x01\x00", n);
}

static void
test_udp(void **state)
{
	struct wk_socks5_udp u;
	struct wk_socks_target from = { .atyp = WK_SOCKS_ATYP_IPV4,
		.port = 53 };
	uint8_t out[300];
	enum wk_socks_err err;
	size_t n;

	(void)state;
	assert_int_equal(wk_socks5_parse_udp(LIT("\x00\x00\x00\x03\x04test"
						 "\x00\x35"
						 "data"),
			     &u, &err),
	    WK_PARSE_DONE);
	assert_int_equal(u.header_len, 4 + 5 + 2);
	assert_string_equal(u.t.name, "test");
	assert_int_equal(u.t.port, 53);
	assert_int_equal(
	    wk_socks5_parse_udp(LIT("\x00\x00\x00\x01\x7f"), &u, &err),
	    WK_PARSE_ERROR);
	assert_int_equal(wk_socks5_parse_udp(LIT("\x00\x01\x00\x01\x7f\x00\x00"
						 "\x01\x00\x35"),
			     &u, &err),
	    WK_PARSE_ERROR);
	assert_int_equal(err, WK_SOCKS_E_RESERVED);
	memcpy(from.addr, "\x7f\x00\x00\x01", 4);
	n = wk_socks5_build_udp_header(out, sizeof(out), &from);
	assert_memory_equal(out, "\x00\x00\x00\x01\x7f\x00\x00\x01\x00\x35", n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_greeting),
		cmocka_unit_test(test_auth),
		cmocka_unit_test(test_request_roundtrip),
		cmocka_unit_test(test_request_errors),
		cmocka_unit_test(test_socks4),
		cmocka_unit_test(test_replies),
		cmocka_unit_test(test_client_requests),
		cmocka_unit_test(test_udp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
