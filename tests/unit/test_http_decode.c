/* tests/unit/test_http_decode.c: the zone's decompress policy (which
 * Accept-Encoding goes upstream, which responses are decoded) and the heads
 * written around a decoded body, from heads parsed out of literal text. */
#include "core/wk.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/buffer.h>

#include "codec/decode.h"
#include "proto/http_decode.h"
#include "proto/http_parse.h"
#include "proto/http_rewrite.h"
#include "sess/session.h"
#include "zone/zone.h"

static const struct wk_http_limits lim = { 8192, 65536, 100 };

/* --- helpers ------------------------------------------------------------- */

static void
parse_req(const char *s, struct wk_http_head *h)
{
	enum wk_http_err err;

	assert_int_equal(
	    wk_http_parse_request(s, strlen(s), &lim, h, &err), WK_PARSE_DONE);
}

static void
parse_resp(const char *s, const char *method, struct wk_http_head *h)
{
	struct wk_str m = { method, strlen(method) };
	enum wk_http_err err;

	assert_int_equal(wk_http_parse_response(s, strlen(s), &lim, m, h, &err),
	    WK_PARSE_DONE);
}

static struct wk_zone
zone(enum wk_zone_decompress pol, bool compress_upstream)
{
	struct wk_zone z;

	memset(&z, 0, sizeof(z));
	z.decompress = pol;
	z.compress_upstream = compress_upstream;
	return z;
}

/* wk_http_decode_request for the request text: the value to send, and the
 * client's own in r (zeroed here; free r->client_ae). */
static char *
ae_for(struct wk_req *r, const struct wk_zone *z, const char *req)
{
	struct wk_http_head h;

	memset(r, 0, sizeof(*r));
	parse_req(req, &h);
	return wk_http_decode_request(r, z, &h);
}

/* wk_http_decode_wanted for a response to a request whose client sent
 * Accept-Encoding ae (NULL: none). */
static bool
wanted(const struct wk_zone *z, const char *ae, bool is_head, const char *resp,
    struct wk_decode_plan *plan)
{
	static char host[] = "h.example";
	struct wk_http_head h;
	struct wk_req r;
	bool yes;

	memset(&r, 0, sizeof(r));
	r.client_ae = ae != NULL ? strdup(ae) : NULL;
	r.is_head = is_head;
	r.host = host;
	parse_resp(resp, "GET", &h);
	yes = wk_http_decode_wanted(&r, z, &h, plan);
	free(r.client_ae);
	return yes;
}

static char *
drain(struct evbuffer *out)
{
	size_t n = evbuffer_get_length(out);
	char *s = malloc(n + 1);

	assert_non_null(s);
	evbuffer_remove(out, s, n);
	s[n] = '\0';
	evbuffer_free(out);
	return s;
}

static char *
write_resp(const char *resp, const struct wk_resp_rewrite *o)
{
	struct wk_http_head h;
	struct evbuffer *out = evbuffer_new();

	parse_resp(resp, "GET", &h);
	wk_http_write_response(out, &h, o);
	return drain(out);
}

static char *
write_req(const char *req, const struct wk_req_rewrite *o)
{
	struct wk_http_head h;
	struct evbuffer *out = evbuffer_new();

	parse_req(req, &h);
	wk_http_write_request(out, &h, o);
	return drain(out);
}

static size_t
count(const char *s, const char *sub)
{
	size_t n = 0;

	for (const char *p = strstr(s, sub); p != NULL; p = strstr(p + 1, sub))
		n++;
	return n;
}

#define REQ_AE2                                                                \
	"GET http://h.example/ HTTP/1.1\r\nHost: h.example\r\n"                \
	"Accept-Encoding: gzip\r\nAccept: */*\r\n"                             \
	"Accept-Encoding: br;q=0.5\r\n\r\n"
#define REQ_NOAE "GET http://h.example/ HTTP/1.1\r\nHost: h.example\r\n\r\n"
#define REQ_AE(v)                                                              \
	"GET http://h.example/ HTTP/1.1\r\nHost: h.example\r\n"                \
	"Accept-Encoding: " v "\r\n\r\n"

#define RESP_GZ                                                                \
	"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"                        \
	"Content-Length: 10\r\n\r\n"

/* --- wk_http_decode_request ---------------------------------------------- */

static void
test_request_never(void **state)
{
	struct wk_zone z = zone(WK_ZONE_DECOMP_NEVER, true);
	struct wk_req r;
	char *v = ae_for(&r, &z, REQ_AE2);

	(void)state;
	assert_null(v);
	assert_non_null(r.client_ae);
	assert_string_equal(r.client_ae, "gzip, br;q=0.5");
	free(r.client_ae);
	/* compress-upstream does not ask for codings never decoded */
	v = ae_for(&r, &z, REQ_NOAE);
	assert_null(v);
	assert_null(r.client_ae);
}

static void
test_request_auto_plain(void **state)
{
	struct wk_zone z = zone(WK_ZONE_DECOMP_AUTO, false);
	struct wk_req r;
	char *v = ae_for(&r, &z, REQ_NOAE);

	(void)state;
	assert_null(v);
	assert_null(r.client_ae);
	free(r.client_ae);
	v = ae_for(&r, &z, REQ_AE("br"));
	assert_null(v);
	assert_string_equal(r.client_ae, "br");
	free(r.client_ae);
}

static void
test_request_auto_compress_upstream(void **state)
{
	struct wk_zone z = zone(WK_ZONE_DECOMP_AUTO, true);
	struct wk_req r;
	char *v = ae_for(&r, &z, REQ_NOAE);

	(void)state;
	assert_non_null(v);
	assert_string_equal(v, "gzip, br, zstd");
	assert_null(r.client_ae);
	free(v);
	free(r.client_ae);
	/* the client has its own: left alone */
	v = ae_for(&r, &z, REQ_AE("deflate"));
	assert_null(v);
	assert_string_equal(r.client_ae, "deflate");
	free(r.client_ae);
}

static void
test_request_always_compress_upstream(void **state)
{
	struct wk_zone z = zone(WK_ZONE_DECOMP_ALWAYS, true);
	struct wk_req r;
	char *v = ae_for(&r, &z, REQ_AE("deflate"));

	(void)state;
	assert_non_null(v);
	assert_string_equal(v, "gzip, br, zstd");
	assert_string_equal(r.client_ae, "deflate");
	free(v);
	free(r.client_ae);
	v = ae_for(&r, &z, REQ_NOAE);
	assert_non_null(v);
	assert_string_equal(v, "gzip, br, zstd");
	assert_null(r.client_ae);
	free(v);
}

static void
test_request_always_filters(void **state)
{
	struct wk_zone z = zone(WK_ZONE_DECOMP_ALWAYS, false);
	struct wk_req r;
	char *v = ae_for(&r, &z,
	    REQ_AE("gzip, compress;q=0.5, *;q=0.1, br;q=0.8, identity"));

	(void)state;
	assert_non_null(v);
	assert_string_equal(v, "gzip, br;q=0.8, identity");
	assert_string_equal(
	    r.client_ae, "gzip, compress;q=0.5, *;q=0.1, br;q=0.8, identity");
	free(v);
	free(r.client_ae);
	/* white space around the elements goes, x-gzip is gzip */
	v = ae_for(
	    &r, &z, REQ_AE("gzip , deflate;q=0.5\t,x-gzip,  lzma ,zstd"));
	assert_non_null(v);
	assert_string_equal(v, "gzip, deflate;q=0.5, x-gzip, zstd");
	free(v);
	free(r.client_ae);
}

static void
test_request_always_drops_unknown(void **state)
{
	struct wk_zone z = zone(WK_ZONE_DECOMP_ALWAYS, false);
	struct wk_req r;
	char *v = ae_for(&r, &z, REQ_AE("compress"));

	(void)state;
	assert_non_null(v);
	assert_string_equal(v, "");
	assert_string_equal(r.client_ae, "compress");
	free(v);
	free(r.client_ae);
}

static void
test_request_always_none(void **state)
{
	struct wk_zone z = zone(WK_ZONE_DECOMP_ALWAYS, false);
	struct wk_req r;
	char *v = ae_for(&r, &z, REQ_NOAE);

	(void)state;
	assert_null(v);
	assert_null(r.client_ae);
}

static void
test_request_no_zone(void **state)
{
	struct wk_req r;
	char *v = ae_for(&r, NULL, REQ_NOAE);

	(void)state;
	assert_null(v);
	assert_null(r.client_ae);
	v = ae_for(&r, NULL, REQ_AE2);
	assert_null(v);
	assert_string_equal(r.client_ae, "gzip, br;q=0.5");
	free(r.client_ae);
}

/* A second call replaces the first client_ae (the old one is freed: ASan
 * would see a leak). */
static void
test_request_client_ae_replaced(void **state)
{
	struct wk_zone z = zone(WK_ZONE_DECOMP_AUTO, false);
	struct wk_http_head h;
	struct wk_req r;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.client_ae = strdup("old");
	parse_req(REQ_AE("zstd"), &h);
	assert_null(wk_http_decode_request(&r, &z, &h));
	assert_string_equal(r.client_ae, "zstd");
	free(r.client_ae);
}

/* --- wk_http_decode_wanted ----------------------------------------------- */

static void
test_wanted_auto_client_none(void **state)
{
	struct wk_zone z = zone(WK_ZONE_DECOMP_AUTO, false);
	struct wk_decode_plan plan;

	(void)state;
	assert_true(wanted(&z, NULL, false, RESP_GZ, &plan));
	assert_int_equal(plan.n, 1);
	assert_int_equal(plan.codings[0], WK_CODING_GZIP);
	assert_string_equal(plan.name, "gzip");
	/* no zone: auto */
	assert_true(wanted(NULL, NULL, false, RESP_GZ, &plan));
	assert_int_equal(plan.n, 1);
}

static void
test_wanted_auto_client_accepts(void **state)
{
	struct wk_zone z = zone(WK_ZONE_DECOMP_AUTO, false);
	struct wk_decode_plan plan;

	(void)state;
	assert_false(wanted(&z, "gzip", false, RESP_GZ, &plan));
	assert_false(wanted(&z, "br, gzip;q=0.5", false, RESP_GZ, &plan));
	/* q=0 refuses it */
	assert_true(wanted(&z, "br, gzip;q=0", false, RESP_GZ, &plan));
	assert_false(wanted(NULL, "gzip", false, RESP_GZ, &plan));
}

static void
test_wanted_auto_stack_partly_accepted(void **state)
{
	struct wk_zone z = zone(WK_ZONE_DECOMP_AUTO, false);
	struct wk_decode_plan plan;

	(void)state;
	assert_true(wanted(&z, "br", false,
	    "HTTP/1.1 200 OK\r\nContent-Encoding: gzip, br\r\n"
	    "Content-Length: 10\r\n\r\n",
	    &plan));
	assert_int_equal(plan.n, 2);
	assert_int_equal(plan.codings[0], WK_CODING_GZIP);
	assert_int_equal(plan.codings[1], WK_CODING_BR);
	assert_string_equal(plan.name, "gzip,br");
	/* the same as two fields */
	assert_true(wanted(&z, "br", false,
	    "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
	    "Content-Encoding: br\r\nContent-Length: 10\r\n\r\n",
	    &plan));
	assert_int_equal(plan.n, 2);
	assert_string_equal(plan.name, "gzip,br");
	/* the client accepts both: passed on */
	assert_false(wanted(&z, "br, gzip", false,
	    "HTTP/1.1 200 OK\r\nContent-Encoding: gzip, br\r\n"
	    "Content-Length: 10\r\n\r\n",
	    &plan));
}

static void
test_wanted_no_body(void **state)
{
	struct wk_zone z = zone(WK_ZONE_DECOMP_ALWAYS, false);
	struct wk_decode_plan plan;

	(void)state;
	/* the response parsed as to a GET (a body of 10), the request HEAD */
	assert_false(wanted(&z, NULL, true, RESP_GZ, &plan));
	assert_false(wanted(&z, NULL, false,
	    "HTTP/1.1 204 No Content\r\nContent-Encoding: gzip\r\n\r\n",
	    &plan));
	assert_false(wanted(&z, NULL, false,
	    "HTTP/1.1 206 Partial Content\r\nContent-Encoding: gzip\r\n"
	    "Content-Range: bytes 0-9/100\r\nContent-Length: 10\r\n\r\n",
	    &plan));
	assert_false(wanted(&z, NULL, false,
	    "HTTP/1.1 304 Not Modified\r\nContent-Encoding: gzip\r\n"
	    "ETag: \"x\"\r\n\r\n",
	    &plan));
	assert_false(wanted(&z, NULL, false,
	    "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
	    "Content-Length: 0\r\n\r\n",
	    &plan));
	assert_false(wanted(&z, NULL, false,
	    "HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\n"
	    "Upgrade: websocket\r\nContent-Encoding: gzip\r\n\r\n",
	    &plan));
	/* the same zone decodes the 200 */
	assert_true(wanted(&z, NULL, false, RESP_GZ, &plan));
}

/* The parser already frames these without a body; each status and the
 * empty length is refused by itself, with a body forced into the head. */
static void
test_wanted_each_guard_alone(void **state)
{
	static const char *const heads[] = {
		"HTTP/1.1 204 No Content\r\nContent-Encoding: gzip\r\n\r\n",
		"HTTP/1.1 304 Not Modified\r\nContent-Encoding: gzip\r\n\r\n",
		"HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\n"
		"Upgrade: websocket\r\nContent-Encoding: gzip\r\n\r\n",
		"HTTP/1.1 103 Early Hints\r\nContent-Encoding: gzip\r\n\r\n",
	};
	struct wk_zone z = zone(WK_ZONE_DECOMP_ALWAYS, false);
	struct wk_decode_plan plan;
	struct wk_http_head h;
	struct wk_req r;

	(void)state;
	memset(&r, 0, sizeof(r));
	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		parse_resp(heads[i], "GET", &h);
		assert_true(h.body == WK_HTTP_BODY_NONE ||
		    h.body == WK_HTTP_BODY_TUNNEL);
		h.body = WK_HTTP_BODY_LENGTH;
		h.content_length = 10;
		assert_false(wk_http_decode_wanted(&r, &z, &h, &plan));
	}
	/* a length of 0, and no body at all, each alone */
	parse_resp(RESP_GZ, "GET", &h);
	assert_true(wk_http_decode_wanted(&r, &z, &h, &plan));
	h.content_length = 0;
	assert_false(wk_http_decode_wanted(&r, &z, &h, &plan));
	h.content_length = 10;
	h.body = WK_HTTP_BODY_NONE;
	assert_false(wk_http_decode_wanted(&r, &z, &h, &plan));
	h.body = WK_HTTP_BODY_TUNNEL;
	assert_false(wk_http_decode_wanted(&r, &z, &h, &plan));
	/* a response to HEAD, parsed as one */
	parse_resp(RESP_GZ, "HEAD", &h);
	assert_false(wk_http_decode_wanted(&r, &z, &h, &plan));
}

static void
test_wanted_unknown_coding(void **state)
{
	struct wk_zone z = zone(WK_ZONE_DECOMP_ALWAYS, false);
	struct wk_decode_plan plan;

	(void)state;
	assert_false(wanted(&z, NULL, false,
	    "HTTP/1.1 200 OK\r\nContent-Encoding: compress\r\n"
	    "Content-Length: 10\r\n\r\n",
	    &plan));
	assert_false(wanted(&z, NULL, false,
	    "HTTP/1.1 200 OK\r\nContent-Encoding: gzip, compress\r\n"
	    "Content-Length: 10\r\n\r\n",
	    &plan));
	/* no Content-Encoding, identity only */
	assert_false(wanted(&z, NULL, false,
	    "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", &plan));
	assert_false(wanted(&z, NULL, false,
	    "HTTP/1.1 200 OK\r\nContent-Encoding: identity\r\n"
	    "Content-Length: 10\r\n\r\n",
	    &plan));
}

static void
test_wanted_x_gzip(void **state)
{
	struct wk_zone z = zone(WK_ZONE_DECOMP_AUTO, false);
	struct wk_decode_plan plan;

	(void)state;
	assert_true(wanted(&z, NULL, false,
	    "HTTP/1.1 200 OK\r\nContent-Encoding: x-gzip\r\n"
	    "Content-Length: 10\r\n\r\n",
	    &plan));
	assert_int_equal(plan.n, 1);
	assert_int_equal(plan.codings[0], WK_CODING_GZIP);
	assert_string_equal(plan.name, "gzip");
}

static void
test_wanted_always(void **state)
{
	struct wk_zone z = zone(WK_ZONE_DECOMP_ALWAYS, false);
	struct wk_decode_plan plan;

	(void)state;
	assert_true(wanted(&z, "gzip, br, zstd", false, RESP_GZ, &plan));
	assert_int_equal(plan.n, 1);
	assert_int_equal(plan.codings[0], WK_CODING_GZIP);
	assert_false(wanted(&z, "gzip", false,
	    "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
	    "Cache-Control: no-transform\r\nContent-Length: 10\r\n\r\n",
	    &plan));
	assert_false(wanted(&z, "gzip", false,
	    "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
	    "Cache-Control: max-age=1, No-Transform\r\n"
	    "Content-Length: 10\r\n\r\n",
	    &plan));
	/* no-transform in a second Cache-Control field */
	assert_false(wanted(&z, NULL, false,
	    "HTTP/1.1 200 OK\r\nCache-Control: max-age=1\r\n"
	    "Content-Encoding: gzip\r\nCache-Control: no-transform\r\n"
	    "Content-Length: 10\r\n\r\n",
	    &plan));
}

static void
test_wanted_auto_ignores_no_transform(void **state)
{
	struct wk_zone z = zone(WK_ZONE_DECOMP_AUTO, false);
	struct wk_decode_plan plan;

	(void)state;
	assert_true(wanted(&z, NULL, false,
	    "HTTP/1.1 200 OK\r\nContent-Encoding: br\r\n"
	    "Cache-Control: no-transform\r\nContent-Length: 10\r\n\r\n",
	    &plan));
	assert_int_equal(plan.n, 1);
	assert_int_equal(plan.codings[0], WK_CODING_BR);
	assert_string_equal(plan.name, "br");
}

static void
test_wanted_never(void **state)
{
	struct wk_zone z = zone(WK_ZONE_DECOMP_NEVER, true);
	struct wk_decode_plan plan;

	(void)state;
	assert_false(wanted(&z, NULL, false, RESP_GZ, &plan));
	assert_false(wanted(&z, "br", false, RESP_GZ, &plan));
}

static void
test_wanted_chunked_and_close(void **state)
{
	struct wk_zone z = zone(WK_ZONE_DECOMP_AUTO, false);
	struct wk_decode_plan plan;
	struct wk_http_head h;
	const char *chunked = "HTTP/1.1 200 OK\r\nContent-Encoding: zstd\r\n"
			      "Transfer-Encoding: chunked\r\n\r\n";
	const char *closed = "HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\n"
			     "Connection: close\r\n\r\n";

	(void)state;
	parse_resp(chunked, "GET", &h);
	assert_int_equal(h.body, WK_HTTP_BODY_CHUNKED);
	parse_resp(closed, "GET", &h);
	assert_int_equal(h.body, WK_HTTP_BODY_CLOSE);
	assert_true(wanted(&z, NULL, false, chunked, &plan));
	assert_int_equal(plan.n, 1);
	assert_int_equal(plan.codings[0], WK_CODING_ZSTD);
	assert_true(wanted(&z, "gzip", false, closed, &plan));
	assert_int_equal(plan.n, 1);
	assert_int_equal(plan.codings[0], WK_CODING_DEFLATE);
	assert_string_equal(plan.name, "deflate");
}

/* --- the decoded response head ------------------------------------------- */

static void
test_decoded_head(void **state)
{
	struct wk_resp_rewrite o = {
		.via = "wk", .keep_alive = true, .decoded = true
	};
	char *s = write_resp("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
			     "Content-Encoding: gzip\r\n"
			     "Content-Length: 10\r\n"
			     "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\r\n"
			     "ETag: \"x\"\r\n"
			     "Vary: Accept-Encoding\r\n\r\n",
	    &o);

	(void)state;
	assert_string_equal(s,
	    "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/html\r\n"
	    "Vary: Accept-Encoding\r\n"
	    "ETag: W/\"x\"\r\n"
	    "Transfer-Encoding: chunked\r\n"
	    "Via: 1.1 wk\r\n\r\n");
	free(s);
}

static void
test_decoded_weak_etag_kept(void **state)
{
	struct wk_resp_rewrite o = {
		.via = "wk", .keep_alive = true, .decoded = true
	};
	char *s = write_resp("HTTP/1.1 200 OK\r\nETag: W/\"y\"\r\n"
			     "Content-Encoding: br\r\n"
			     "Content-Length: 10\r\n\r\n",
	    &o);

	(void)state;
	assert_non_null(strstr(s, "\r\nETag: W/\"y\"\r\n"));
	assert_int_equal(count(s, "ETag"), 1);
	assert_null(strstr(s, "W/W/"));
	free(s);
}

static void
test_decoded_http10_client(void **state)
{
	struct wk_resp_rewrite o = { .via = "wk",
		.keep_alive = false,
		.client_http10 = true,
		.decoded = true };
	char *s = write_resp("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
			     "Content-Length: 10\r\nVary: Accept-Encoding\r\n"
			     "\r\n",
	    &o);

	(void)state;
	assert_string_equal(s,
	    "HTTP/1.1 200 OK\r\n"
	    "Vary: Accept-Encoding\r\n"
	    "Connection: close\r\n"
	    "Via: 1.1 wk\r\n\r\n");
	free(s);
}

static void
test_decoded_origin_chunked(void **state)
{
	const char *r = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
			"Content-Encoding: gzip\r\n"
			"Content-Type: text/plain\r\n\r\n";
	struct wk_resp_rewrite o = {
		.via = "wk", .keep_alive = true, .decoded = true
	};
	struct wk_resp_rewrite ten = { .via = "wk",
		.keep_alive = false,
		.client_http10 = true,
		.dechunk = true,
		.decoded = true };
	char *s = write_resp(r, &o), *t = write_resp(r, &ten);

	(void)state;
	assert_int_equal(count(s, "Transfer-Encoding"), 1);
	assert_string_equal(s,
	    "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/plain\r\n"
	    "Transfer-Encoding: chunked\r\n"
	    "Via: 1.1 wk\r\n\r\n");
	assert_int_equal(count(t, "Transfer-Encoding"), 0);
	assert_non_null(strstr(t, "Connection: close\r\n"));
	free(s);
	free(t);
}

static void
test_decoded_drop_set_cookie(void **state)
{
	struct wk_resp_rewrite o = { .via = "wk",
		.keep_alive = true,
		.drop_set_cookie = true,
		.decoded = true };
	char *s = write_resp("HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\n"
			     "Content-Encoding: gzip\r\nSet-Cookie: b=2\r\n"
			     "Content-Length: 10\r\nContent-Type: x/y\r\n\r\n",
	    &o);

	(void)state;
	assert_string_equal(s,
	    "HTTP/1.1 200 OK\r\n"
	    "Content-Type: x/y\r\n"
	    "Transfer-Encoding: chunked\r\n"
	    "Via: 1.1 wk\r\n\r\n");
	free(s);
}

/* Not decoded: the same head keeps its encoding fields as they are. */
static void
test_not_decoded_unchanged(void **state)
{
	struct wk_resp_rewrite o = { .via = "wk", .keep_alive = true };
	char *s = write_resp("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
			     "Content-Length: 10\r\nETag: \"x\"\r\n\r\n",
	    &o);

	(void)state;
	assert_string_equal(s,
	    "HTTP/1.1 200 OK\r\n"
	    "Content-Encoding: gzip\r\n"
	    "Content-Length: 10\r\n"
	    "ETag: \"x\"\r\n"
	    "Via: 1.1 wk\r\n\r\n");
	free(s);
}

/* --- the request head ---------------------------------------------------- */

static void
test_request_accept_encoding_replaced(void **state)
{
	struct wk_req_rewrite o = { .via = "wicket",
		.accept_encoding = "gzip, br, zstd" };
	char *s = write_req("GET http://h.example/ HTTP/1.1\r\n"
			    "Host: h.example\r\n"
			    "Accept-Encoding: deflate\r\n"
			    "Accept: */*\r\n"
			    "accept-encoding: compress\r\n\r\n",
	    &o);

	(void)state;
	assert_int_equal(count(s, "ccept-Encoding"), 1);
	assert_string_equal(s,
	    "GET / HTTP/1.1\r\n"
	    "Host: h.example\r\n"
	    "Accept: */*\r\n"
	    "Accept-Encoding: gzip, br, zstd\r\n"
	    "Via: 1.1 wicket\r\n\r\n");
	free(s);
}

static void
test_request_accept_encoding_removed(void **state)
{
	struct wk_req_rewrite o = { .via = "wicket", .accept_encoding = "" };
	char *s = write_req("GET http://h.example/ HTTP/1.1\r\n"
			    "Host: h.example\r\n"
			    "Accept-Encoding: compress\r\n"
			    "Accept: */*\r\n\r\n",
	    &o);

	(void)state;
	assert_string_equal(s,
	    "GET / HTTP/1.1\r\n"
	    "Host: h.example\r\n"
	    "Accept: */*\r\n"
	    "Via: 1.1 wicket\r\n\r\n");
	free(s);
}

static void
test_request_accept_encoding_as_sent(void **state)
{
	struct wk_req_rewrite o = { .via = "wicket" };
	char *s = write_req(REQ_AE2, &o);

	(void)state;
	assert_string_equal(s,
	    "GET / HTTP/1.1\r\n"
	    "Host: h.example\r\n"
	    "Accept-Encoding: gzip\r\n"
	    "Accept: */*\r\n"
	    "Accept-Encoding: br;q=0.5\r\n"
	    "Via: 1.1 wicket\r\n\r\n");
	free(s);
}

static void
test_request_origin10(void **state)
{
	struct wk_req_rewrite o = { .via = "wicket", .origin10 = true };
	char *s = write_req("POST http://h.example/u HTTP/1.1\r\n"
			    "Host: h.example\r\n"
			    "Expect: 100-continue\r\n"
			    "Transfer-Encoding: chunked\r\n"
			    "Content-Type: text/plain\r\n\r\n",
	    &o);

	(void)state;
	assert_string_equal(s,
	    "POST /u HTTP/1.1\r\n"
	    "Host: h.example\r\n"
	    "Content-Type: text/plain\r\n"
	    "Via: 1.1 wicket\r\n\r\n");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_never),
		cmocka_unit_test(test_request_auto_plain),
		cmocka_unit_test(test_request_auto_compress_upstream),
		cmocka_unit_test(test_request_always_compress_upstream),
		cmocka_unit_test(test_request_always_filters),
		cmocka_unit_test(test_request_always_drops_unknown),
		cmocka_unit_test(test_request_always_none),
		cmocka_unit_test(test_request_no_zone),
		cmocka_unit_test(test_request_client_ae_replaced),
		cmocka_unit_test(test_wanted_auto_client_none),
		cmocka_unit_test(test_wanted_auto_client_accepts),
		cmocka_unit_test(test_wanted_auto_stack_partly_accepted),
		cmocka_unit_test(test_wanted_no_body),
		cmocka_unit_test(test_wanted_each_guard_alone),
		cmocka_unit_test(test_wanted_unknown_coding),
		cmocka_unit_test(test_wanted_x_gzip),
		cmocka_unit_test(test_wanted_always),
		cmocka_unit_test(test_wanted_auto_ignores_no_transform),
		cmocka_unit_test(test_wanted_never),
		cmocka_unit_test(test_wanted_chunked_and_close),
		cmocka_unit_test(test_decoded_head),
		cmocka_unit_test(test_decoded_weak_etag_kept),
		cmocka_unit_test(test_decoded_http10_client),
		cmocka_unit_test(test_decoded_origin_chunked),
		cmocka_unit_test(test_decoded_drop_set_cookie),
		cmocka_unit_test(test_not_decoded_unchanged),
		cmocka_unit_test(test_request_accept_encoding_replaced),
		cmocka_unit_test(test_request_accept_encoding_removed),
		cmocka_unit_test(test_request_accept_encoding_as_sent),
		cmocka_unit_test(test_request_origin10),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
