/* tests/unit/test_http_rewrite.c: outgoing request and response heads. */
#include "core/wk.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/buffer.h>

#include "proto/http_parse.h"
#include "proto/http_rewrite.h"

static const struct wk_http_limits lim = { 8192, 65536, 100 };

/* Parses req, rewrites it, returns the new head as a string (caller frees). */
static char *
rewrite_req(const char *req, bool upgrade)
{
	struct wk_http_head h;
	enum wk_http_err err;
	struct evbuffer *out = evbuffer_new();
	struct wk_req_rewrite o = { .via = "wicket", .upgrade = upgrade };
	char *s;
	size_t n;

	assert_int_equal(
	    wk_http_parse_request(req, strlen(req), &lim, &h, &err),
	    WK_PARSE_DONE);
	wk_http_write_request(out, &h, &o);
	n = evbuffer_get_length(out);
	s = malloc(n + 1);
	evbuffer_remove(out, s, n);
	s[n] = '\0';
	evbuffer_free(out);
	return s;
}

static char *
rewrite_resp(const char *resp, const struct wk_resp_rewrite *o)
{
	struct wk_http_head h;
	enum wk_http_err err;
	struct evbuffer *out = evbuffer_new();
	struct wk_str get = { "GET", 3 };
	char *s;
	size_t n;

	assert_int_equal(
	    wk_http_parse_response(resp, strlen(resp), &lim, get, &h, &err),
	    WK_PARSE_DONE);
	wk_http_write_response(out, &h, o);
	n = evbuffer_get_length(out);
	s = malloc(n + 1);
	evbuffer_remove(out, s, n);
	s[n] = '\0';
	evbuffer_free(out);
	return s;
}

static void
test_absolute_to_origin_form(void **state)
{
	char *s = rewrite_req("GET http://example.com:8080/a%2Fb/../c?x=%41 "
			      "HTTP/1.1\r\nHost: example.com:8080\r\n"
			      "Accept: */*\r\n\r\n",
	    false);

	(void)state;
	assert_string_equal(s,
	    "GET /a%2Fb/../c?x=%41 HTTP/1.1\r\n"
	    "Host: example.com:8080\r\n"
	    "Accept: */*\r\n"
	    "Via: 1.1 wicket\r\n\r\n");
	free(s);
}

static void
test_host_follows_uri(void **state)
{
	char *s = rewrite_req("GET http://right.example/ HTTP/1.1\r\n"
			      "Host: wrong.example\r\n\r\n",
	    false);

	(void)state;
	assert_non_null(strstr(s, "Host: right.example\r\n"));
	assert_null(strstr(s, "wrong.example"));
	free(s);
}

static void
test_empty_path_and_query(void **state)
{
	char *s = rewrite_req("GET http://h.example HTTP/1.1\r\nHost: "
			      "h.example\r\n\r\n",
	    false);
	char *q = rewrite_req("GET http://h.example?q=1 HTTP/1.1\r\nHost: "
			      "h.example\r\n\r\n",
	    false);

	(void)state;
	assert_memory_equal(s, "GET / HTTP/1.1\r\n", 16);
	assert_memory_equal(q, "GET /?q=1 HTTP/1.1\r\n", 20);
	free(s);
	free(q);
}

static void
test_hop_by_hop_removed(void **state)
{
	char *s = rewrite_req("POST http://h.example/x HTTP/1.1\r\n"
			      "Host: h.example\r\n"
			      "Connection: keep-alive, X-Private\r\n"
			      "Keep-Alive: timeout=5\r\n"
			      "Proxy-Connection: keep-alive\r\n"
			      "Proxy-Authorization: Basic Zm9vOmJhcg==\r\n"
			      "TE: trailers\r\n"
			      "Trailer: X-Checksum\r\n"
			      "Upgrade: websocket\r\n"
			      "X-Private: secret\r\n"
			      "X-Public: yes\r\n"
			      "Content-Length: 3\r\n\r\n",
	    false);

	(void)state;
	assert_string_equal(s,
	    "POST /x HTTP/1.1\r\n"
	    "Host: h.example\r\n"
	    "X-Public: yes\r\n"
	    "Content-Length: 3\r\n"
	    "Via: 1.1 wicket\r\n\r\n");
	free(s);
}

static void
test_upgrade_kept_when_upgrading(void **state)
{
	char *s = rewrite_req("GET http://h.example/ws HTTP/1.1\r\n"
			      "Host: h.example\r\n"
			      "Connection: Upgrade\r\n"
			      "Upgrade: websocket\r\n"
			      "Sec-WebSocket-Key: abc\r\n\r\n",
	    true);

	(void)state;
	assert_non_null(strstr(s, "Upgrade: websocket\r\n"));
	assert_non_null(strstr(s, "Connection: upgrade\r\n"));
	assert_non_null(strstr(s, "Sec-WebSocket-Key: abc\r\n"));
	free(s);
}

static void
test_http10_via(void **state)
{
	char *s = rewrite_req("GET http://h.example/ HTTP/1.0\r\n\r\n", false);

	(void)state;
	assert_memory_equal(s, "GET / HTTP/1.1\r\nHost: h.example\r\n", 33);
	assert_non_null(strstr(s, "Via: 1.0 wicket\r\n"));
	free(s);
}

static void
test_response_connection(void **state)
{
	const char *r = "HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Y\r\n"
			"X-Y: 1\r\nKeep-Alive: timeout=5\r\n"
			"Content-Length: 2\r\n\r\n";
	struct wk_resp_rewrite keep = { .via = "wk", .keep_alive = true };
	struct wk_resp_rewrite close = { .via = "wk", .keep_alive = false };
	struct wk_resp_rewrite ten = {
		.via = "wk", .keep_alive = true, .client_http10 = true
	};
	char *a = rewrite_resp(r, &keep), *b = rewrite_resp(r, &close),
	     *c = rewrite_resp(r, &ten);

	(void)state;
	assert_string_equal(a,
	    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
	    "Via: 1.1 wk\r\n\r\n");
	assert_string_equal(b,
	    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
	    "Connection: close\r\nVia: 1.1 wk\r\n\r\n");
	assert_non_null(strstr(c, "Connection: keep-alive\r\n"));
	free(a);
	free(b);
	free(c);
}

static void
test_response_dechunk(void **state)
{
	const char *r = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
			"Trailer: X-Sum\r\n\r\n";
	struct wk_resp_rewrite o = { .via = "wicket", .dechunk = true };
	char *a = rewrite_resp(r, &o);

	(void)state;
	assert_null(strstr(a, "Transfer-Encoding"));
	assert_null(strstr(a, "Trailer"));
	assert_non_null(strstr(a, "Connection: close\r\n"));
	free(a);
}

static void
test_target_helpers(void **state)
{
	struct wk_str t = { "http://[::1]:8080/p?q", 21 };
	struct wk_str a = wk_http_target_authority(t);
	bool slash;
	struct wk_str p = wk_http_target_path(t, &slash);

	(void)state;
	assert_int_equal(a.len, 10);
	assert_memory_equal(a.p, "[::1]:8080", 10);
	assert_int_equal(p.len, 4);
	assert_memory_equal(p.p, "/p?q", 4);
	assert_false(slash);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_absolute_to_origin_form),
		cmocka_unit_test(test_host_follows_uri),
		cmocka_unit_test(test_empty_path_and_query),
		cmocka_unit_test(test_hop_by_hop_removed),
		cmocka_unit_test(test_upgrade_kept_when_upgrading),
		cmocka_unit_test(test_http10_via),
		cmocka_unit_test(test_response_connection),
		cmocka_unit_test(test_response_dechunk),
		cmocka_unit_test(test_target_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
