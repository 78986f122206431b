/* tests/unit/test_http_parse.c: cmocka tests of the strict HTTP/1.1 head
 * parser and the chunked scanner (src/proto/http_parse.c). */
#include "core/wk.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/http_parse.h"

static const struct wk_http_limits lim_def = { 8192, 65536, 100 };

/* One head per test (8 KiB), kept off the stack. */
static struct wk_http_head head;

static int
preq_n(const char *s, size_t n, const struct wk_http_limits *lim,
    enum wk_http_err *e)
{
	return wk_http_parse_request(s, n, lim, &head, e);
}

/* Every strict prefix of s must give NEED_MORE or the final error; the
 * whole of s must give want (and werr when want is ERROR). This is the
 * property callers rely on: parsing a growing buffer never flips. */
static void
check_req_lim(const char *s, size_t n, const struct wk_http_limits *lim,
    int want, enum wk_http_err werr)
{
	enum wk_http_err e;
	size_t k;
	int r;

	for (k = 0; k < n; k++) {
		r = preq_n(s, k, lim, &e);
		if (r == WK_PARSE_ERROR) {
			assert_int_equal(want, WK_PARSE_ERROR);
			assert_int_equal(e, werr);
		} else {
			assert_int_equal(r, WK_PARSE_NEED_MORE);
		}
	}
	r = preq_n(s, n, lim, &e);
	if (r != want)
		fail_msg("request %.60s...: result %d, want %d (err %s)", s, r,
		    want, wk_http_err_str(e));
	if (want == WK_PARSE_ERROR && e != werr)
		fail_msg("request %.60s...: err '%s', want '%s'", s,
		    wk_http_err_str(e), wk_http_err_str(werr));
}

#define REQ_ERR_BIN(s, e)                                                      \
	check_req_lim((s), sizeof(s) - 1, &lim_def, WK_PARSE_ERROR, (e))

static void
req_ok(const char *s)
{
	check_req_lim(s, strlen(s), &lim_def, WK_PARSE_DONE, WK_HTTP_OK);
	assert_int_equal(head.head_len, strlen(s));
}

static void
req_err(const char *s, enum wk_http_err werr)
{
	check_req_lim(s, strlen(s), &lim_def, WK_PARSE_ERROR, werr);
}

static int
presp(const char *s, const char *method, enum wk_http_err *e)
{
	struct wk_str m = { method, strlen(method) };
	size_t k, n = strlen(s);
	int r;

	for (k = 0; k < n; k++) {
		r = wk_http_parse_response(s, k, &lim_def, m, &head, e);
		assert_true(r == WK_PARSE_NEED_MORE || r == WK_PARSE_ERROR);
	}
	return wk_http_parse_response(s, n, &lim_def, m, &head, e);
}

static void
resp_body(const char *s, const char *method, enum wk_http_body body)
{
	enum wk_http_err e;

	if (presp(s, method, &e) != WK_PARSE_DONE)
		fail_msg("response %.40s: %s", s, wk_http_err_str(e));
	assert_int_equal(head.head_len, strlen(s));
	assert_int_equal(head.body, body);
}

static void
resp_err(const char *s, enum wk_http_err werr)
{
	enum wk_http_err e;

	assert_int_equal(presp(s, "GET", &e), WK_PARSE_ERROR);
	if (e != werr)
		fail_msg("response %.40s: '%s', want '%s'", s,
		    wk_http_err_str(e), wk_http_err_str(werr));
}

static bool
str_is(struct wk_str s, const char *want)
{
	return s.len == strlen(want) && memcmp(s.p, want, s.len) == 0;
}

#define assert_str(s, w)                                                       \
	do {                                                                   \
		if (!str_is((s), (w)))                                         \
			fail_msg("got '%.*s', want '%s'", (int)(s).len, (s).p, \
			    (w));                                              \
	} while (0)

static void
test_simple_get(void **state)
{
	const char *s = "GET /index.html?x=1 HTTP/1.1\r\n"
			"Host: www.example.com\r\n"
			"User-Agent: test/1.0\r\n"
			"Accept:   */*  \t\r\n"
			"\r\n";
	(void)state;
	req_ok(s);
	assert_true(head.is_request);
	assert_str(head.method, "GET");
	assert_str(head.target, "/index.html?x=1");
	assert_str(head.path, "/index.html?x=1");
	assert_int_equal(head.target_form, WK_HTTP_TARGET_ORIGIN);
	assert_int_equal(head.version_minor, 1);
	assert_int_equal(head.n_fields, 3);
	assert_str(head.fields[0].name, "Host");
	assert_str(head.fields[2].value, "*/*");
	assert_true(head.has_host);
	assert_str(head.host_field, "www.example.com");
	assert_int_equal(head.body, WK_HTTP_BODY_NONE);
	assert_int_equal(head.conn, 0);
	assert_false(head.expect_continue);
}

/* Examples from RFC 9112 3.2 and RFC 9110. */
static void
test_rfc9112_targets(void **state)
{
	(void)state;
	req_ok("GET /where?q=now HTTP/1.1\r\nHost: www.example.com\r\n\r\n");
	assert_str(head.path, "/where?q=now");

	req_ok("GET http://www.example.org/pub/WWW/TheProject.html HTTP/1.1\r\n"
	       "Host: www.example.org\r\n\r\n");
	assert_int_equal(head.target_form, WK_HTTP_TARGET_ABSOLUTE);
	assert_str(head.scheme, "http");
	assert_str(head.host, "www.example.org");
	assert_int_equal(head.port, 80);
	assert_false(head.port_explicit);
	assert_str(head.path, "/pub/WWW/TheProject.html");
	assert_false(head.path_needs_slash);

	req_ok("CONNECT www.example.com:80 HTTP/1.1\r\n"
	       "Host: www.example.com:80\r\n\r\n");
	assert_int_equal(head.target_form, WK_HTTP_TARGET_AUTHORITY);
	assert_str(head.host, "www.example.com");
	assert_int_equal(head.port, 80);
	assert_true(head.port_explicit);
	assert_int_equal(head.body, WK_HTTP_BODY_NONE);

	req_ok("OPTIONS * HTTP/1.1\r\nHost: www.example.org:8001\r\n\r\n");
	assert_int_equal(head.target_form, WK_HTTP_TARGET_ASTERISK);

	req_ok("OPTIONS http://www.example.org:8001 HTTP/1.1\r\n"
	       "Host: www.example.org:8001\r\n\r\n");
	assert_str(head.path, "/");
	assert_int_equal(head.port, 8001);
	assert_true(head.port_explicit);

	req_ok("GET http://www.example.org?q=1 HTTP/1.1\r\n"
	       "Host: www.example.org\r\n\r\n");
	assert_str(head.path, "?q=1");
	assert_true(head.path_needs_slash);
}

static void
test_absolute_form(void **state)
{
	(void)state;
	req_ok("GET HTTPS://Example.COM/a HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_str(head.scheme, "HTTPS");
	assert_str(head.host, "Example.COM");
	assert_int_equal(head.port, 443);
	req_ok("GET ftp://ftp.example.net/pub/ HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(head.port, 21);
	req_ok("GET ws://h/ HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(head.port, 80);
	req_ok("GET wss://h/ HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(head.port, 443);
	req_ok("GET gopher://h:70/ HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(head.port, 70);
	req_err(
	    "GET gopher://h/ HTTP/1.1\r\nHost: x\r\n\r\n", WK_HTTP_E_TARGET);
	req_ok("GET http://[2001:db8::1]:8080/x HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_str(head.host, "2001:db8::1");
	assert_int_equal(head.port, 8080);
	req_ok("GET http://h:/x HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(head.port, 80);
	assert_false(head.port_explicit);
	req_ok("GET http://h#frag HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_true(head.path_needs_slash);
	req_err(
	    "GET http://user@h/ HTTP/1.1\r\nHost: x\r\n\r\n", WK_HTTP_E_TARGET);
	req_err(
	    "GET http://u:p@h/ HTTP/1.1\r\nHost: x\r\n\r\n", WK_HTTP_E_TARGET);
	req_err("GET http:///x HTTP/1.1\r\nHost: x\r\n\r\n", WK_HTTP_E_TARGET);
	req_err("GET http:/x HTTP/1.1\r\nHost: x\r\n\r\n", WK_HTTP_E_TARGET);
	req_err("GET http://h:99999/ HTTP/1.1\r\nHost: x\r\n\r\n",
	    WK_HTTP_E_TARGET);
	req_err(
	    "GET http://h:0/ HTTP/1.1\r\nHost: x\r\n\r\n", WK_HTTP_E_TARGET);
	req_err(
	    "GET http://[::1/ HTTP/1.1\r\nHost: x\r\n\r\n", WK_HTTP_E_TARGET);
	req_err(
	    "GET http://h%zz/ HTTP/1.1\r\nHost: x\r\n\r\n", WK_HTTP_E_TARGET);
	req_err("GET 1http://h/ HTTP/1.1\r\nHost: x\r\n\r\n", WK_HTTP_E_TARGET);
	req_err(
	    "GET example.com:80 HTTP/1.1\r\nHost: x\r\n\r\n", WK_HTTP_E_TARGET);
}

static void
test_connect_target(void **state)
{
	(void)state;
	req_ok("CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n\r\n");
	assert_str(head.host, "::1");
	assert_int_equal(head.port, 443);
	req_ok("CONNECT h:1 HTTP/1.0\r\nContent-Length: 10\r\n\r\n");
	assert_int_equal(head.body, WK_HTTP_BODY_NONE);
	assert_int_equal(head.version_minor, 0);
	req_err("CONNECT h HTTP/1.1\r\nHost: h\r\n\r\n", WK_HTTP_E_TARGET);
	req_err("CONNECT h: HTTP/1.1\r\nHost: h\r\n\r\n", WK_HTTP_E_TARGET);
	req_err("CONNECT h:0 HTTP/1.1\r\nHost: h\r\n\r\n", WK_HTTP_E_TARGET);
	req_err(
	    "CONNECT h:65536 HTTP/1.1\r\nHost: h\r\n\r\n", WK_HTTP_E_TARGET);
	req_err("CONNECT /x HTTP/1.1\r\nHost: h\r\n\r\n", WK_HTTP_E_TARGET);
	req_err("CONNECT http://h:1/ HTTP/1.1\r\nHost: h\r\n\r\n",
	    WK_HTTP_E_TARGET);
	req_err("CONNECT u@h:1 HTTP/1.1\r\nHost: h\r\n\r\n", WK_HTTP_E_TARGET);
	req_err(
	    "CONNECT ::1:443 HTTP/1.1\r\nHost: h\r\n\r\n", WK_HTTP_E_TARGET);
	req_err("CONNECT h:443 HTTP/1.1\r\nHost: h\r\n"
		"Transfer-Encoding: chunked\r\n\r\n",
	    WK_HTTP_E_SYNTAX);
	/* asterisk only for OPTIONS */
	req_err("GET * HTTP/1.1\r\nHost: h\r\n\r\n", WK_HTTP_E_TARGET);
	req_err("OPTIONS *x HTTP/1.1\r\nHost: h\r\n\r\n", WK_HTTP_E_TARGET);
}

static void
test_request_line_errors(void **state)
{
	(void)state;
	req_err("M-SEARCH * HTTP/1.1\r\nHost: h\r\n\r\n", WK_HTTP_E_TARGET);
	req_ok("X-CUSTOM_method! /x HTTP/1.1\r\nHost: h\r\n\r\n");
	assert_str(head.method, "X-CUSTOM_method!");
	req_err("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", WK_HTTP_E_SYNTAX);
	req_err("GET /  HTTP/1.1\r\nHost: h\r\n\r\n", WK_HTTP_E_SYNTAX);
	req_err("GET / HTTP/1.1 \r\nHost: h\r\n\r\n", WK_HTTP_E_SYNTAX);
	req_err("GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n", WK_HTTP_E_SYNTAX);
	req_err(" GET / HTTP/1.1\r\nHost: h\r\n\r\n", WK_HTTP_E_SYNTAX);
	req_err("GE(T / HTTP/1.1\r\nHost: h\r\n\r\n", WK_HTTP_E_SYNTAX);
	req_err("GET / http/1.1\r\nHost: h\r\n\r\n", WK_HTTP_E_SYNTAX);
	req_err("GET / HTTP/1.10\r\nHost: h\r\n\r\n", WK_HTTP_E_SYNTAX);
	req_err("GET / HTTP/1\r\nHost: h\r\n\r\n", WK_HTTP_E_SYNTAX);
	req_err("GET / HTTP/2.0\r\nHost: h\r\n\r\n", WK_HTTP_E_VERSION);
	req_err("GET / HTTP/1.2\r\nHost: h\r\n\r\n", WK_HTTP_E_VERSION);
	req_err("GET / HTTP/0.9\r\n\r\n", WK_HTTP_E_VERSION);
	req_err("GET / RTSP/1.0\r\n\r\n", WK_HTTP_E_SYNTAX);
	req_err("GET /\r\n\r\n", WK_HTTP_E_SYNTAX);
	req_err("GET / HTTP/1.1\nHost: h\n\n", WK_HTTP_E_BARE_LF);
	req_err("GET / HTTP/1.1\rHost: h\r\n\r\n", WK_HTTP_E_BARE_CR);
	req_err("GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n", WK_HTTP_E_TARGET);
	req_err("GET /\xce\xb4 HTTP/1.1\r\nHost: h\r\n\r\n", WK_HTTP_E_TARGET);
	req_err("GET /foo bar HTTP/1.1\r\nHost: h\r\n\r\n", WK_HTTP_E_SYNTAX);
	req_err("GET a/b HTTP/1.1\r\nHost: h\r\n\r\n", WK_HTTP_E_TARGET);
}

static void
test_host_rules(void **state)
{
	(void)state;
	req_err("GET / HTTP/1.1\r\n\r\n", WK_HTTP_E_HOST);
	req_err("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", WK_HTTP_E_HOST);
	req_err("GET / HTTP/1.1\r\nHost: a@b\r\n\r\n", WK_HTTP_E_HOST);
	req_err("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", WK_HTTP_E_HOST);
	req_err("GET / HTTP/1.1\r\nHost: a:x\r\n\r\n", WK_HTTP_E_HOST);
	req_err("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", WK_HTTP_E_HOST);
	req_ok("GET / HTTP/1.0\r\n\r\n");
	assert_false(head.has_host);
	req_ok("GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n");
	req_ok("GET / HTTP/1.1\r\nHost: \r\n\r\n");
	assert_true(head.has_host);
	assert_int_equal(head.host_field.len, 0);
	req_ok("GET / HTTP/1.1\r\nHost: 0.0.0.0=5000\r\n\r\n");
	/* absolute-form: both are reported, the proxy uses the target */
	req_ok("GET http://a.example/ HTTP/1.1\r\nHost: b.example\r\n\r\n");
	assert_str(head.host, "a.example");
	assert_str(head.host_field, "b.example");
}

static void
test_smuggling_cl(void **state)
{
	static const char *bad[] = { "+5", "0x5", "-1", "", "1 0", "5,", ",5",
		"5;q", "18446744073709551616", "9223372036854775808",
		"1000000000000000000000", "\"5\"" };
	char buf[256];
	size_t i;

	(void)state;
	for (i = 0; i < WK_ARRAY_LEN(bad); i++) {
		snprintf(buf, sizeof(buf),
		    "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: %s\r\n\r\n",
		    bad[i]);
		req_err(buf, WK_HTTP_E_CL_INVALID);
	}
	req_err("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
		"Content-Length: 6\r\n\r\n",
	    WK_HTTP_E_CL_DIFFERS);
	req_err("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 6\r\n\r\n",
	    WK_HTTP_E_CL_DIFFERS);
	/* detected before the head ends */
	{
		const char *s = "PUT /u HTTP/1.1\r\nContent-Length: 1\r\n"
				"Content-Length: 2\r\n";
		enum wk_http_err e;

		assert_int_equal(
		    preq_n(s, strlen(s), &lim_def, &e), WK_PARSE_ERROR);
		assert_int_equal(e, WK_HTTP_E_CL_DIFFERS);
	}
	req_ok("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\n");
	assert_int_equal(head.body, WK_HTTP_BODY_LENGTH);
	assert_int_equal(head.content_length, 5);
	req_ok("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
	       "content-length: 005\r\n\r\n");
	assert_int_equal(head.content_length, 5);
	req_ok("POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\t 42 \t\r\n\r\n");
	assert_int_equal(head.content_length, 42);
	req_ok("POST / HTTP/1.1\r\nHost: h\r\n"
	       "Content-Length: 9223372036854775807\r\n\r\n");
	assert_int_equal(head.content_length, INT64_MAX);
	req_ok("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n");
	assert_int_equal(head.body, WK_HTTP_BODY_NONE);
	/* CL and TE, both orders */
	req_err("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n"
		"Transfer-Encoding: chunked\r\n\r\n",
	    WK_HTTP_E_CL_AND_TE);
	req_err("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
		"Content-Length: 4\r\n\r\n",
	    WK_HTTP_E_CL_AND_TE);
	req_err("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n"
		"Transfer-Encoding: identity\r\n\r\n",
	    WK_HTTP_E_CL_AND_TE);
	req_ok("POST / HTTP/1.1\r\nHost: h\r\nContent-Length-X: 4\r\n"
	       "Transfer-Encoding: chunked\r\n\r\n");
	assert_int_equal(head.body, WK_HTTP_BODY_CHUNKED);
}

static void
test_smuggling_te(void **state)
{
	static const struct {
		const char *te;
		enum wk_http_err err;
	} cases[] = {
		{ "chunked, gzip", WK_HTTP_E_TE_NOT_CHUNKED },
		{ "gzip", WK_HTTP_E_TE_NOT_CHUNKED },
		{ "identity", WK_HTTP_E_TE_NOT_CHUNKED },
		{ "xchunked", WK_HTTP_E_TE_NOT_CHUNKED },
		{ "chunkedx", WK_HTTP_E_TE_NOT_CHUNKED },
		{ "chunked, chunked", WK_HTTP_E_TE_NOT_CHUNKED },
		{ "\"chunked\"", WK_HTTP_E_TE_NOT_CHUNKED },
		{ "chunked;a=b", WK_HTTP_E_TE_NOT_CHUNKED },
		{ "", WK_HTTP_E_TE_NOT_CHUNKED },
		{ ",", WK_HTTP_E_TE_NOT_CHUNKED },
		{ "gzip, chunked", WK_HTTP_E_TE_UNKNOWN },
		{ "deflate,chunked", WK_HTTP_E_TE_UNKNOWN },
	};
	char buf[256];
	size_t i;

	(void)state;
	for (i = 0; i < WK_ARRAY_LEN(cases); i++) {
		snprintf(buf, sizeof(buf),
		    "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: %s\r\n\r\n",
		    cases[i].te);
		req_err(buf, cases[i].err);
	}
	assert_int_equal(wk_http_err_status(WK_HTTP_E_TE_UNKNOWN), 501);
	req_ok(
	    "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: CHUNKED\r\n\r\n");
	assert_int_equal(head.body, WK_HTTP_BODY_CHUNKED);
	req_ok("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\tchunked\t\r\n"
	       "\r\n");
	assert_int_equal(head.body, WK_HTTP_BODY_CHUNKED);
	req_err("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n"
		"Transfer-Encoding: chunked\r\n\r\n",
	    WK_HTTP_E_TE_UNKNOWN);
	req_err("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
		"Transfer-Encoding: chunked\r\n\r\n",
	    WK_HTTP_E_TE_NOT_CHUNKED);
	req_err("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
	    WK_HTTP_E_TE_HTTP10);
	/* CGI-style gateways read '_' as '-' */
	req_err("POST / HTTP/1.1\r\nHost: h\r\nTransfer_Encoding: chunked\r\n"
		"Content-Length: 5\r\n\r\n",
	    WK_HTTP_E_BAD_NAME);
	req_err("POST / HTTP/1.1\r\nHost: h\r\ncontent_LENGTH: 5\r\n\r\n",
	    WK_HTTP_E_BAD_NAME);
	req_ok("POST / HTTP/1.1\r\nHost: h\r\nX_Transfer_Encoding: 1\r\n\r\n");
	req_err(
	    "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n chunked\r\n"
	    "\r\n",
	    WK_HTTP_E_OBS_FOLD);
	req_err("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding : chunked\r\n"
		"\r\n",
	    WK_HTTP_E_WS_BEFORE_COLON);
	req_err("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding\t: chunked\r\n"
		"\r\n",
	    WK_HTTP_E_WS_BEFORE_COLON);
	req_err("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\x0b"
		"chunked\r\n\r\n",
	    WK_HTTP_E_CTL);
	req_err("POST / HTTP/1.1\r\n Transfer-Encoding: chunked\r\nHost: h\r\n"
		"\r\n",
	    WK_HTTP_E_SYNTAX);
	req_err("POST / HTTP/1.1\r\nX: a\rTransfer-Encoding: chunked\r\n\r\n",
	    WK_HTTP_E_BARE_CR);
	req_err("POST / HTTP/1.1\r\nX: a\nTransfer-Encoding: chunked\r\n\r\n",
	    WK_HTTP_E_BARE_LF);
}

static void
test_field_ctl(void **state)
{
	(void)state;
	/* literals with NUL: the length comes from sizeof */
	REQ_ERR_BIN(
	    "GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n", WK_HTTP_E_CTL);
	REQ_ERR_BIN(
	    "GET / HTTP/1.1\r\nHost: h\r\nX\0Y: z\r\n\r\n", WK_HTTP_E_BAD_NAME);
	REQ_ERR_BIN("GET /\0 HTTP/1.1\r\nHost: h\r\n\r\n", WK_HTTP_E_TARGET);
	req_err("GET / HTTP/1.1\r\nHost: h\r\nX: a\x7f\r\n\r\n", WK_HTTP_E_CTL);
	req_err("GET / HTTP/1.1\r\nHost: h\r\nX: a\x1b\r\n\r\n", WK_HTTP_E_CTL);
	req_err(
	    "GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", WK_HTTP_E_BARE_CR);
	req_err("GET / HTTP/1.1\r\nHost: h\r\nX: a\n\r\n", WK_HTTP_E_BARE_LF);
	req_err("GET / HTTP/1.1\r\nHost: h\r\n\n", WK_HTTP_E_BARE_LF);
	req_err("GET / HTTP/1.1\r\nHost: h\r\n\rX", WK_HTTP_E_BARE_CR);
	req_err("GET / HTTP/1.1\r\nHost: h\r\n: x\r\n\r\n", WK_HTTP_E_BAD_NAME);
	req_err(
	    "GET / HTTP/1.1\r\nHost: h\r\nFo@: x\r\n\r\n", WK_HTTP_E_BAD_NAME);
	req_err("GET / HTTP/1.1\r\nHost: h\r\nFoo\x01: x\r\n\r\n",
	    WK_HTTP_E_BAD_NAME);
	req_err("GET / HTTP/1.1\r\nHost: h\r\nname\r\n : value\r\n\r\n",
	    WK_HTTP_E_BAD_NAME);
	req_err("GET / HTTP/1.1\r\nHost: h\r\nA: b\r\n\tc\r\n\r\n",
	    WK_HTTP_E_OBS_FOLD);
	req_ok("GET / HTTP/1.1\r\nHost: h\r\nX: D\xc3\xbcsseldorf \xff\r\n"
	       "Empty:\r\nTabs:\t\ta\tb\t\r\n\r\n");
	assert_str(head.fields[1].value, "D\xc3\xbcsseldorf \xff");
	assert_int_equal(head.fields[2].value.len, 0);
	assert_str(head.fields[3].value, "a\tb");
}

/* Errors in the part already received are reported without waiting. */
static void
test_early_errors(void **state)
{
	static const struct {
		const char *s;
		enum wk_http_err err;
	} cases[] = {
		{ "GE\x01", WK_HTTP_E_SYNTAX },
		{ "GET /\x7f", WK_HTTP_E_TARGET },
		{ "GET / HTTP/1.1\n", WK_HTTP_E_BARE_LF },
		{ "GET / HTTP/1.1\r\nX: a\x01", WK_HTTP_E_CTL },
		{ "GET / HTTP/1.1\r\nX : ", WK_HTTP_E_WS_BEFORE_COLON },
		{ "GET / HTTP/1.1\r\nX: a\r\n b", WK_HTTP_E_OBS_FOLD },
		{ "GET / HTTP/1.1\r\nContent-Length: x\r\n",
		    WK_HTTP_E_CL_INVALID },
		{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, x\r\n",
		    WK_HTTP_E_TE_NOT_CHUNKED },
		{ "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n",
		    WK_HTTP_E_TE_HTTP10 },
		{ "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n", WK_HTTP_E_HOST },
		{ "GET / HTTP/3x", WK_HTTP_E_SYNTAX },
		{ "GET / HTTP/5.6", WK_HTTP_E_VERSION },
	};
	struct wk_http_head *h = &head;
	enum wk_http_err e;
	size_t i;

	(void)state;
	for (i = 0; i < WK_ARRAY_LEN(cases); i++) {
		int r = wk_http_parse_request(
		    cases[i].s, strlen(cases[i].s), &lim_def, h, &e);

		if (r != WK_PARSE_ERROR || e != cases[i].err)
			fail_msg("case %zu: r=%d err='%s'", i, r,
			    wk_http_err_str(e));
	}
}

#define LONG_REQ "GET /234567890123 HTTP/1.1\r\nHost: h\r\n\r\n"

static void
test_limits(void **state)
{
	struct wk_http_limits lim = { 20, 100, 3 };
	char big[400];
	size_t n;

	(void)state;
	/* "GET /23456789012 HTTP/1.1" is 25 bytes > 20 */
	check_req_lim(LONG_REQ, strlen(LONG_REQ), &lim, WK_PARSE_ERROR,
	    WK_HTTP_E_URI_TOO_LONG);
	assert_int_equal(wk_http_err_status(WK_HTTP_E_URI_TOO_LONG), 414);
	/* a line of exactly max_line bytes is fine */
	lim.max_line = 26;
	check_req_lim(
	    LONG_REQ, strlen(LONG_REQ), &lim, WK_PARSE_DONE, WK_HTTP_OK);
	lim.max_line = 25;
	check_req_lim(LONG_REQ, strlen(LONG_REQ), &lim, WK_PARSE_ERROR,
	    WK_HTTP_E_URI_TOO_LONG);
	lim.max_line = 26;
	/* incomplete but already too long */
	{
		enum wk_http_err e;
		const char *s = "GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

		assert_int_equal(
		    preq_n(s, strlen(s), &lim, &e), WK_PARSE_ERROR);
		assert_int_equal(e, WK_HTTP_E_URI_TOO_LONG);
	}
	/* head size: exactly max_head is accepted, one more byte is not */
	memcpy(big, "GET / HTTP/1.1\r\nHost: h\r\nX: ", 28);
	n = 28;
	memset(big + n, 'a', 100 - n - 4);
	n = 96;
	memcpy(big + n, "\r\n\r\n", 4);
	n += 4;
	check_req_lim(big, n, &lim, WK_PARSE_DONE, WK_HTTP_OK);
	lim.max_head = 99;
	check_req_lim(big, n, &lim, WK_PARSE_ERROR, WK_HTTP_E_HEAD_TOO_BIG);
	assert_int_equal(wk_http_err_status(WK_HTTP_E_HEAD_TOO_BIG), 431);
	/* never ending head */
	memset(big + 28, 'a', sizeof(big) - 28);
	check_req_lim(
	    big, sizeof(big), &lim, WK_PARSE_ERROR, WK_HTTP_E_HEAD_TOO_BIG);
	/* field count */
	lim.max_head = 1000;
	check_req_lim("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n", 39,
	    &lim, WK_PARSE_DONE, WK_HTTP_OK);
	check_req_lim(
	    "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", 45,
	    &lim, WK_PARSE_ERROR, WK_HTTP_E_TOO_MANY_FIELDS);
	assert_int_equal(wk_http_err_status(WK_HTTP_E_TOO_MANY_FIELDS), 431);
	/* zero limits mean defaults, a huge field limit is capped */
	{
		struct wk_http_limits l0 = { 0, 0, 100000 };
		size_t cap = 300 * 8 + 64;
		char *s = malloc(cap);
		enum wk_http_err e;
		size_t i;

		assert_non_null(s);
		n = (size_t)snprintf(s, cap, "GET / HTTP/1.1\r\n");
		for (i = 0; i < 300; i++)
			n +=
			    (size_t)snprintf(s + n, cap - n, "A: %03zu\r\n", i);
		n += (size_t)snprintf(s + n, cap - n, "\r\n");
		assert_int_equal(wk_http_parse_request(s, n, &l0, &head, &e),
		    WK_PARSE_ERROR);
		assert_int_equal(e, WK_HTTP_E_TOO_MANY_FIELDS);
		assert_int_equal(wk_http_parse_request(s, n, NULL, &head, &e),
		    WK_PARSE_ERROR);
		assert_int_equal(e, WK_HTTP_E_TOO_MANY_FIELDS);
		free(s);
	}
}

/* NEED_MORE for every prefix of valid heads, DONE with the same head_len
 * when bytes of a body follow. */
static void
test_prefixes(void **state)
{
	static const char *reqs[] = {
		"GET /a HTTP/1.1\r\nHost: h\r\n\r\n",
		"\r\n\r\nPOST http://example.com:8080/up?x=y HTTP/1.1\r\n"
		"Host: example.com:8080\r\nContent-Length: 11\r\n"
		"Connection: keep-alive\r\nExpect: 100-continue\r\n\r\n",
		"CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n"
		"Proxy-Authorization: Basic eDp5\r\n\r\n",
		"PUT /x HTTP/1.0\r\nA:\r\nB: \t\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
		"\r\n",
	};
	size_t i;
	char buf[512];
	enum wk_http_err e;

	(void)state;
	for (i = 0; i < WK_ARRAY_LEN(reqs); i++) {
		size_t n = strlen(reqs[i]);

		req_ok(reqs[i]);
		memcpy(buf, reqs[i], n);
		memcpy(buf + n, "hello world", 11);
		assert_int_equal(
		    wk_http_parse_request(buf, n + 11, &lim_def, &head, &e),
		    WK_PARSE_DONE);
		assert_int_equal(head.head_len, n);
	}
	req_ok(reqs[1]);
	assert_true(head.expect_continue);
	assert_int_equal(head.conn, WK_HTTP_CONN_KEEPALIVE);
	assert_int_equal(head.body, WK_HTTP_BODY_LENGTH);
	assert_int_equal(head.content_length, 11);
	resp_body("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX: y\r\n\r\n", "GET",
	    WK_HTTP_BODY_LENGTH);
	assert_int_equal(head.content_length, 5);
}

static void
test_leading_lines(void **state)
{
	enum wk_http_err e;

	(void)state;
	req_ok("\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n");
	req_ok(
	    "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n");
	req_err("\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n\r\n",
	    WK_HTTP_E_SYNTAX);
	req_err("\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", WK_HTTP_E_BARE_LF);
	req_err("\rGET / HTTP/1.1\r\nHost: h\r\n\r\n", WK_HTTP_E_BARE_CR);
	assert_int_equal(wk_http_parse_request("", 0, &lim_def, &head, &e),
	    WK_PARSE_NEED_MORE);
}

static void
test_conn_flags(void **state)
{
	(void)state;
	req_ok("GET / HTTP/1.1\r\nHost: h\r\nConnection: close, Upgrade\r\n"
	       "Upgrade: websocket\r\n\r\n");
	assert_int_equal(head.conn, WK_HTTP_CONN_CLOSE | WK_HTTP_CONN_UPGRADE);
	assert_true(head.has_upgrade);
	req_ok("GET / HTTP/1.0\r\nProxy-Connection: Keep-Alive\r\n\r\n");
	assert_int_equal(head.conn, WK_HTTP_CONN_KEEPALIVE);
	assert_false(head.has_upgrade);
	req_ok("GET / HTTP/1.1\r\nHost: h\r\nConnection: keep\r\n"
	       "Connection: closed, xclose\r\n\r\n");
	assert_int_equal(head.conn, 0);
	req_ok("PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\n"
	       "Content-Length: 3\r\n\r\n");
	assert_true(head.expect_continue);
	req_ok("PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-continued\r\n\r\n");
	assert_false(head.expect_continue);
}

static void
test_responses(void **state)
{
	(void)state;
	resp_body("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", "HEAD",
	    WK_HTTP_BODY_NONE);
	resp_body("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
	    "HEAD", WK_HTTP_BODY_NONE);
	resp_body("HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n",
	    "GET", WK_HTTP_BODY_NONE);
	resp_body("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
	    "GET", WK_HTTP_BODY_NONE);
	resp_body("HTTP/1.1 100 Continue\r\n\r\n", "POST", WK_HTTP_BODY_NONE);
	assert_int_equal(head.status, 100);
	resp_body("HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n", "GET",
	    WK_HTTP_BODY_NONE);
	resp_body("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		  "Connection: Upgrade\r\n\r\n",
	    "GET", WK_HTTP_BODY_TUNNEL);
	resp_body("HTTP/1.1 200 Connection established\r\n\r\n", "CONNECT",
	    WK_HTTP_BODY_TUNNEL);
	assert_str(head.reason, "Connection established");
	resp_body("HTTP/1.0 200 OK\r\n\r\n", "CONNECT", WK_HTTP_BODY_TUNNEL);
	assert_int_equal(head.version_minor, 0);
	resp_body("HTTP/1.1 407 Proxy Auth\r\nContent-Length: 3\r\n\r\n",
	    "CONNECT", WK_HTTP_BODY_LENGTH);
	resp_body("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n", "GET",
	    WK_HTTP_BODY_CLOSE);
	resp_body("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
	    "GET", WK_HTTP_BODY_CHUNKED);
	resp_body("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
	    "GET", WK_HTTP_BODY_CHUNKED);
	resp_body("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
	    "GET", WK_HTTP_BODY_CLOSE);
	resp_body(
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunkedchunked\r\n\r\n",
	    "GET", WK_HTTP_BODY_CLOSE);
	resp_body("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
	    "GET", WK_HTTP_BODY_CHUNKED);
	resp_body("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "GET",
	    WK_HTTP_BODY_NONE);
	resp_body("HTTP/1.1 301\r\n\r\n", "GET", WK_HTTP_BODY_CLOSE);
	assert_int_equal(head.status, 301);
	assert_int_equal(head.reason.len, 0);
	resp_body("HTTP/1.1 200 \r\n\r\n", "GET", WK_HTTP_BODY_CLOSE);
	resp_body("HTTP/1.1 500 Ori\xc3\xabntatie  probleem\r\nHost: x\r\n"
		  "Host: y\r\n\r\n",
	    "GET", WK_HTTP_BODY_CLOSE);
	resp_body("\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", "GET",
	    WK_HTTP_BODY_LENGTH);
	assert_false(head.is_request);

	resp_err("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
		 "Transfer-Encoding: chunked\r\n\r\n",
	    WK_HTTP_E_CL_AND_TE);
	resp_err("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n"
		 "\r\n",
	    WK_HTTP_E_CL_DIFFERS);
	resp_err("HTTP/1.1 2 OK\r\n\r\n", WK_HTTP_E_STATUS);
	resp_err("HTTP/1.1 099 X\r\n\r\n", WK_HTTP_E_STATUS);
	resp_err("HTTP/1.1 600 X\r\n\r\n", WK_HTTP_E_STATUS);
	resp_err("HTTP/1.1 2000 X\r\n\r\n", WK_HTTP_E_STATUS);
	resp_err("HTTP/1.1  200 OK\r\n\r\n", WK_HTTP_E_STATUS);
	resp_err("HTTP/1.1\t200 OK\r\n\r\n", WK_HTTP_E_STATUS);
	resp_err("HTTP/1.01 200 OK\r\n\r\n", WK_HTTP_E_STATUS);
	resp_err("HTP/1.1 200 OK\r\n\r\n", WK_HTTP_E_STATUS);
	resp_err("HTTP/1.1 200 O\x01K\r\n\r\n", WK_HTTP_E_STATUS);
	resp_err("HTTP/2.0 200 OK\r\n\r\n", WK_HTTP_E_VERSION);
	resp_err("HTTP/0.9 200 OK\r\n\r\n", WK_HTTP_E_VERSION);
	resp_err("HTTP/1.1 200 OK\nX: y\n\n", WK_HTTP_E_BARE_LF);
	resp_err("HTTP/1.1 200 OK\rX: y\r\n\r\n", WK_HTTP_E_BARE_CR);
	resp_err("HTTP/1.1 200 OK\r\nX: y\r\n z\r\n\r\n", WK_HTTP_E_OBS_FOLD);
	resp_err("HTTP/1.1 200 OK\r\n Host: foo\r\n\r\n", WK_HTTP_E_SYNTAX);
	assert_int_equal(wk_http_err_status(WK_HTTP_E_STATUS), 502);
	{
		struct wk_http_limits lim = { 16, 1000, 10 };
		struct wk_str m = { "GET", 3 };
		enum wk_http_err e;
		const char *s = "HTTP/1.1 200 A long reason phrase\r\n\r\n";

		assert_int_equal(
		    wk_http_parse_response(s, strlen(s), &lim, m, &head, &e),
		    WK_PARSE_ERROR);
		assert_int_equal(e, WK_HTTP_E_HEAD_TOO_BIG);
	}
}

/* ---- chunked scanner ---- */

struct sink {
	char buf[256];
	size_t n;
	size_t calls;
};

static void
sink_data(void *arg, const char *p, size_t n)
{
	struct sink *s = arg;

	assert_true(s->n + n <= sizeof(s->buf));
	memcpy(s->buf + s->n, p, n);
	s->n += n;
	s->calls++;
}

/* Feeds s[0..n) to a fresh scanner in pieces of at most step bytes (0:
 * all at once). Returns the result and sets *used to the bytes of the
 * body (on DONE/ERROR, counted from the start of s). */
static int
scan(const char *s, size_t n, size_t step, struct sink *k, size_t *used,
    enum wk_http_err *err, size_t max_line, size_t max_tr)
{
	struct wk_chunk_scan c;
	size_t off = 0, u;
	int r = WK_PARSE_NEED_MORE;

	memset(&c, 0, sizeof(c));
	c.max_line = max_line;
	c.max_trailer = max_tr;
	if (k != NULL) {
		memset(k, 0, sizeof(*k));
		c.on_data = sink_data;
		c.arg = k;
	}
	*err = WK_HTTP_OK;
	while (off < n || n == 0) {
		size_t piece = step == 0 || step > n - off ? n - off : step;

		r = wk_chunk_scan(&c, s + off, piece, &u, err);
		assert_true(u <= piece);
		off += u;
		if (r != WK_PARSE_NEED_MORE)
			break;
		assert_int_equal(u, piece);
		if (n == 0)
			break;
	}
	*used = off;
	if (k != NULL && r != WK_PARSE_ERROR)
		assert_int_equal(c.data_total, k->n);
	if (r == WK_PARSE_ERROR) {
		/* the error sticks */
		enum wk_http_err e2;

		assert_int_equal(
		    wk_chunk_scan(&c, "0\r\n\r\n", 5, &u, &e2), WK_PARSE_ERROR);
		assert_int_equal(e2, *err);
	}
	return r;
}

/* Checks that s scans to want/werr with body of length blen and decoded
 * data dat, whatever the split. */
static void
chunk_check(const char *s, size_t n, int want, enum wk_http_err werr,
    size_t blen, const char *dat)
{
	static const size_t steps[] = { 0, 1, 2, 3, 5, 7, 64 };
	struct sink k;
	enum wk_http_err e;
	size_t used, i;
	int r;

	for (i = 0; i < WK_ARRAY_LEN(steps); i++) {
		r = scan(s, n, steps[i], &k, &used, &e, 0, 0);
		if (r != want || (want == WK_PARSE_ERROR && e != werr))
			fail_msg("chunks '%.30s' step %zu: r=%d '%s'", s,
			    steps[i], r, wk_http_err_str(e));
		if (want == WK_PARSE_DONE) {
			assert_int_equal(used, blen);
			assert_int_equal(k.n, strlen(dat));
			assert_memory_equal(k.buf, dat, k.n);
		}
	}
}

#define CHUNK_OK(s, blen, dat)                                                 \
	chunk_check(                                                           \
	    (s), sizeof(s) - 1, WK_PARSE_DONE, WK_HTTP_OK, (blen), (dat))
#define CHUNK_ERR(s, e)                                                        \
	chunk_check((s), sizeof(s) - 1, WK_PARSE_ERROR, (e), 0, "")

static void
test_chunk_basic(void **state)
{
	(void)state;
	CHUNK_OK("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", 26, "hello world");
	CHUNK_OK("5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\n", 15, "hello");
	CHUNK_OK("A\r\n0123456789\r\n000\r\n\r\n", 22, "0123456789");
	CHUNK_OK("1e\r\nall your base are belong to us\r\n0\r\n\r\n", 41,
	    "all your base are belong to us");
	CHUNK_OK("0\r\nVary: *\r\nContent-Type: text/plain\r\n\r\nX", 40, "");
	CHUNK_OK("0\r\nEmpty:\r\n\r\n", 13, "");
}

static void
test_chunk_basic2(void **state)
{
	struct sink k;
	enum wk_http_err e;
	size_t used;

	(void)state;
	/* the largest size is accepted (and then waits for data) */
	assert_int_equal(
	    scan("7fffffffffffffff\r\nab", 20, 0, &k, &used, &e, 0, 0),
	    WK_PARSE_NEED_MORE);
	assert_int_equal(used, 20);
	assert_int_equal(k.n, 2);
	/* 16 digits with leading zeros are fine */
	CHUNK_OK("0000000000000001\r\nx\r\n0\r\n\r\n", 26, "x");
	/* the empty input needs more */
	assert_int_equal(
	    scan("", 0, 0, NULL, &used, &e, 0, 0), WK_PARSE_NEED_MORE);
}

static void
test_chunk_ext(void **state)
{
	(void)state;
	CHUNK_OK("5;a\r\nhello\r\n0\r\n\r\n", 17, "hello");
	CHUNK_OK("5;ilovew3;somuchlove=aretheseparametersfor;another=withvalue"
		 "\r\nhello\r\n0\r\n\r\n",
	    74, "hello");
	CHUNK_OK(
	    "5;a=\"I \\\"love\\\"; \\\\x\\\\\";b=\"\"\r\nhello\r\n0;z\r\n\r\n",
	    44, "hello");
	CHUNK_OK("5 ;a = b ; c\t=\t\"d\"\r\nhello\r\n0\r\n\r\n", 32, "hello");
	CHUNK_ERR("5;\r\nhello\r\n0\r\n\r\n", WK_HTTP_E_CHUNK_EXT);
	CHUNK_ERR("5;a=\r\nhello\r\n0\r\n\r\n", WK_HTTP_E_CHUNK_EXT);
	CHUNK_ERR("5;a=b\nX\r\nhello\r\n0\r\n\r\n", WK_HTTP_E_BARE_LF);
	CHUNK_ERR("5;a\nhello\r\n0\r\n\r\n", WK_HTTP_E_BARE_LF);
	CHUNK_ERR("5;a=\"x\r\nhello\r\n0\r\n\r\n", WK_HTTP_E_CHUNK_EXT);
	CHUNK_ERR("5;a=\"x\"y\r\nhello\r\n0\r\n\r\n", WK_HTTP_E_CHUNK_EXT);
	CHUNK_ERR("5;a=\"x\0\"\r\nhello\r\n0\r\n\r\n", WK_HTTP_E_CHUNK_EXT);
	CHUNK_ERR("5;a b\r\nhello\r\n0\r\n\r\n", WK_HTTP_E_CHUNK_EXT);
	CHUNK_ERR("5;a \r\nhello\r\n0\r\n\r\n", WK_HTTP_E_CHUNK_EXT);
	CHUNK_ERR("5;@\r\nhello\r\n0\r\n\r\n", WK_HTTP_E_CHUNK_EXT);
	CHUNK_ERR("5;a=b=c\r\nhello\r\n0\r\n\r\n", WK_HTTP_E_CHUNK_EXT);
}

static void
test_chunk_errors(void **state)
{
	struct sink k;
	enum wk_http_err e;
	size_t used;

	(void)state;
	CHUNK_ERR("ffffffffffffffffff\r\n", WK_HTTP_E_CHUNK_SIZE);
	CHUNK_ERR(
	    "10000000000000005\r\nhello\r\n0\r\n\r\n", WK_HTTP_E_CHUNK_SIZE);
	CHUNK_ERR("8000000000000000\r\n", WK_HTTP_E_CHUNK_SIZE);
	CHUNK_ERR(
	    "00000000000000005\r\nhello\r\n0\r\n\r\n", WK_HTTP_E_CHUNK_SIZE);
	CHUNK_ERR("0x5\r\nhello\r\n0\r\n\r\n", WK_HTTP_E_CHUNK_SIZE);
	CHUNK_ERR("-5\r\nhello\r\n0\r\n\r\n", WK_HTTP_E_CHUNK_SIZE);
	CHUNK_ERR("+5\r\nhello\r\n0\r\n\r\n", WK_HTTP_E_CHUNK_SIZE);
	CHUNK_ERR("\r\nhello\r\n0\r\n\r\n", WK_HTTP_E_CHUNK_SIZE);
	CHUNK_ERR(" 5\r\nhello\r\n0\r\n\r\n", WK_HTTP_E_CHUNK_SIZE);
	CHUNK_ERR("5 \r\nhello\r\n0\r\n\r\n", WK_HTTP_E_CHUNK_SIZE);
	CHUNK_ERR("2 erfrferferf\r\naa\r\n0\r\n\r\n", WK_HTTP_E_CHUNK_SIZE);
	CHUNK_ERR("5\nhello\r\n0\r\n\r\n", WK_HTTP_E_BARE_LF);
	CHUNK_ERR("5\r\rhello\r\n0\r\n\r\n", WK_HTTP_E_BARE_CR);
	CHUNK_ERR("5\r\nhelloXX0\r\n\r\n", WK_HTTP_E_CHUNK_CRLF);
	CHUNK_ERR("3\r\nhello\r\n0\r\n\r\n", WK_HTTP_E_CHUNK_CRLF);
	CHUNK_ERR("5\r\nhello\n0\r\n\r\n", WK_HTTP_E_CHUNK_CRLF);
	CHUNK_ERR("5\r\nhello\r0\r\n\r\n", WK_HTTP_E_CHUNK_CRLF);
	/* trailers */
	CHUNK_ERR("0\r\nX Y: z\r\n\r\n", WK_HTTP_E_TRAILER);
	CHUNK_ERR("0\r\nX : z\r\n\r\n", WK_HTTP_E_TRAILER);
	CHUNK_ERR("0\r\n: z\r\n\r\n", WK_HTTP_E_TRAILER);
	CHUNK_ERR("0\r\nA: b\x01\r\n\r\n", WK_HTTP_E_TRAILER);
	CHUNK_ERR("0\r\nA: b\r\n c\r\n\r\n", WK_HTTP_E_TRAILER);
	CHUNK_ERR("0\r\nA: b\nC: d\r\n\r\n", WK_HTTP_E_BARE_LF);
	CHUNK_ERR("0\r\nA: b\rC: d\r\n\r\n", WK_HTTP_E_BARE_CR);
	CHUNK_ERR("0\r\nA\r\n\r\n", WK_HTTP_E_TRAILER);
	CHUNK_ERR("0\r\n\rX", WK_HTTP_E_BARE_CR);
	CHUNK_ERR("0\r\n\n", WK_HTTP_E_BARE_LF);
	/* limits */
	assert_int_equal(
	    scan("0\r\nA: 0123456789\r\n\r\n", 21, 1, &k, &used, &e, 0, 16),
	    WK_PARSE_ERROR);
	assert_int_equal(e, WK_HTTP_E_TRAILER);
	assert_int_equal(
	    scan("0\r\nA: 012345678\r\n\r\n", 20, 1, &k, &used, &e, 0, 17),
	    WK_PARSE_DONE);
	assert_int_equal(scan("5;aaaaaaaaaaaaaaaaaaaa\r\nhello\r\n0\r\n\r\n",
			     36, 0, &k, &used, &e, 10, 0),
	    WK_PARSE_ERROR);
	assert_int_equal(e, WK_HTTP_E_CHUNK_EXT);
	assert_int_equal(
	    scan("5;aaaaaa\r\nhello\r\n0\r\n\r\n", 22, 0, &k, &used, &e, 10, 0),
	    WK_PARSE_DONE);
	assert_int_equal(wk_http_err_status(WK_HTTP_E_CHUNK_SIZE), 400);
}

/* Every split of a body into two calls gives the one-shot result. */
static void
test_chunk_all_splits(void **state)
{
	static const char s[] =
	    "4;x=\"y\"\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\n"
	    "chunks.\r\n0\r\nT: v\r\n\r\nNEXT";
	size_t n = sizeof(s) - 1, cut, u1, u2;
	struct wk_chunk_scan c;
	struct sink k;
	enum wk_http_err e;
	int r;

	(void)state;
	for (cut = 0; cut <= n; cut++) {
		memset(&c, 0, sizeof(c));
		memset(&k, 0, sizeof(k));
		c.on_data = sink_data;
		c.arg = &k;
		r = wk_chunk_scan(&c, s, cut, &u1, &e);
		if (r == WK_PARSE_DONE) {
			assert_int_equal(u1, n - 4);
		} else {
			assert_int_equal(r, WK_PARSE_NEED_MORE);
			assert_int_equal(u1, cut);
			r = wk_chunk_scan(&c, s + cut, n - cut, &u2, &e);
			assert_int_equal(r, WK_PARSE_DONE);
			assert_int_equal(u1 + u2, n - 4);
		}
		assert_int_equal(k.n, 23);
		assert_memory_equal(k.buf, "Wikipedia in\r\n\r\nchunks.", 23);
		assert_int_equal(c.data_total, 23);
		/* after DONE, nothing more is taken */
		assert_int_equal(
		    wk_chunk_scan(&c, "x", 1, &u2, &e), WK_PARSE_DONE);
		assert_int_equal(u2, 0);
	}
}

static void
test_find_list(void **state)
{
	const struct wk_http_field *f;
	size_t from = 0;
	struct wk_str v;

	(void)state;
	req_ok("GET / HTTP/1.1\r\nHost: h\r\nAccept: a\r\nX-A: 1\r\n"
	       "accept: b\r\n\r\n");
	f = wk_http_find(&head, "ACCEPT", &from);
	assert_non_null(f);
	assert_str(f->value, "a");
	assert_int_equal(from, 2);
	f = wk_http_find(&head, "accept", &from);
	assert_non_null(f);
	assert_str(f->value, "b");
	assert_null(wk_http_find(&head, "accept", &from));
	assert_null(wk_http_find(&head, "Accep", NULL));
	assert_non_null(wk_http_find(&head, "x-a", NULL));

	v.p = " gzip ,\tCHUNKED , ,x";
	v.len = strlen(v.p);
	assert_true(wk_http_list_has(v, "chunked"));
	assert_true(wk_http_list_has(v, "gzip"));
	assert_true(wk_http_list_has(v, "x"));
	assert_false(wk_http_list_has(v, "chunk"));
	assert_false(wk_http_list_has(v, ""));
	v.len = 0;
	assert_false(wk_http_list_has(v, "gzip"));
}

static void
test_err_tables(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < WK_HTTP_E_COUNT; i++) {
		const char *s = wk_http_err_str((enum wk_http_err)i);
		int st = wk_http_err_status((enum wk_http_err)i);

		assert_non_null(s);
		assert_true(strlen(s) > 0);
		assert_true(st >= 200 && st <= 505);
	}
	assert_string_equal(wk_http_err_str(WK_HTTP_E_CL_AND_TE),
	    "Content-Length and Transfer-Encoding both present");
	assert_int_equal(wk_http_err_status(WK_HTTP_E_VERSION), 505);
	assert_int_equal(wk_http_err_status(WK_HTTP_E_CL_AND_TE), 400);
	assert_int_equal(wk_http_err_status(WK_HTTP_E_HOST), 400);
	assert_non_null(wk_http_err_str(WK_HTTP_E_COUNT));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple_get),
		cmocka_unit_test(test_rfc9112_targets),
		cmocka_unit_test(test_absolute_form),
		cmocka_unit_test(test_connect_target),
		cmocka_unit_test(test_request_line_errors),
		cmocka_unit_test(test_host_rules),
		cmocka_unit_test(test_smuggling_cl),
		cmocka_unit_test(test_smuggling_te),
		cmocka_unit_test(test_field_ctl),
		cmocka_unit_test(test_early_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_leading_lines),
		cmocka_unit_test(test_conn_flags),
		cmocka_unit_test(test_responses),
		cmocka_unit_test(test_chunk_basic),
		cmocka_unit_test(test_chunk_basic2),
		cmocka_unit_test(test_chunk_ext),
		cmocka_unit_test(test_chunk_errors),
		cmocka_unit_test(test_chunk_all_splits),
		cmocka_unit_test(test_find_list),
		cmocka_unit_test(test_err_tables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
