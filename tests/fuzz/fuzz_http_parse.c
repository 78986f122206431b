/* tests/fuzz/fuzz_http_parse.c: libFuzzer target for the HTTP/1.1 head
 * parser and the chunked scanner (src/proto/http_parse.c).
 *
 * The input is fed to wk_http_parse_request, wk_http_parse_response and
 * wk_chunk_scan, once whole and once in pseudo-random splits (derived from
 * the input, so runs are reproducible). Incremental results must equal the
 * one-shot ones: same result, error, head length and fields; for chunks,
 * same bytes used and same decoded data. Any mismatch aborts. */
#include "core/wk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/http_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_CHECK(cond)                                                         \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "fuzz_http_parse: %s:%d: %s\n",        \
			    __FILE__, __LINE__, #cond);                        \
			abort();                                               \
		}                                                              \
	} while (0)

struct fz_rng {
	uint64_t s;
};

static uint64_t
fz_next(struct fz_rng *r)
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 7;
	r->s ^= r->s << 17;
	return r->s;
}

static void
fz_seed(struct fz_rng *r, const uint8_t *d, size_t n, uint64_t salt)
{
	uint64_t h = 1469598103934665603ull ^ salt;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ d[i]) * 1099511628211ull;
	r->s = h | 1;
}

static bool
fz_in(const char *base, size_t len, struct wk_str s)
{
	return s.len == 0 || (s.p >= base && s.p + s.len <= base + len);
}

static bool
fz_same_str(struct wk_str a, struct wk_str b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

/* Invariants of a parsed head within buf[0..len). */
static void
fz_head_ok(const char *buf, size_t len, const struct wk_http_limits *lim,
    const struct wk_http_head *h)
{
	size_t i;

	FZ_CHECK(h->head_len >= 4 && h->head_len <= len);
	FZ_CHECK(lim->max_head == 0 || h->head_len <= lim->max_head);
	FZ_CHECK(memcmp(buf + h->head_len - 2, "\r\n", 2) == 0);
	FZ_CHECK(h->n_fields <= WK_HTTP_MAX_FIELDS);
	FZ_CHECK(lim->max_fields == 0 || h->n_fields <= lim->max_fields);
	FZ_CHECK(h->version_minor == 0 || h->version_minor == 1);
	for (i = 0; i < h->n_fields; i++) {
		FZ_CHECK(h->fields[i].name.len > 0);
		FZ_CHECK(fz_in(buf, h->head_len, h->fields[i].name));
		FZ_CHECK(fz_in(buf, h->head_len, h->fields[i].value));
		FZ_CHECK(memchr(h->fields[i].value.p, '\n',
			     h->fields[i].value.len) == NULL);
		FZ_CHECK(memchr(h->fields[i].value.p, '\r',
			     h->fields[i].value.len) == NULL);
	}
	if (h->body == WK_HTTP_BODY_LENGTH)
		FZ_CHECK(h->content_length > 0 &&
		    h->content_length <= (uint64_t)INT64_MAX);
	if (h->is_request) {
		FZ_CHECK(h->method.len > 0 && h->target.len > 0);
		FZ_CHECK(fz_in(buf, h->head_len, h->method));
		FZ_CHECK(fz_in(buf, h->head_len, h->target));
		FZ_CHECK(fz_in(buf, h->head_len, h->host));
		FZ_CHECK(h->body != WK_HTTP_BODY_CLOSE &&
		    h->body != WK_HTTP_BODY_TUNNEL);
		FZ_CHECK(h->version_minor == 0 || h->has_host);
		if (h->target_form == WK_HTTP_TARGET_ABSOLUTE ||
		    h->target_form == WK_HTTP_TARGET_AUTHORITY)
			FZ_CHECK(h->host.len > 0 && h->port > 0);
		if (h->target_form == WK_HTTP_TARGET_ABSOLUTE)
			FZ_CHECK(h->path.len > 0 &&
			    (h->path.p[0] == '/') != h->path_needs_slash);
	} else {
		FZ_CHECK(h->status >= 100 && h->status <= 599);
	}
}

static void
fz_same_head(const struct wk_http_head *a, const struct wk_http_head *b)
{
	size_t i;

	FZ_CHECK(a->head_len == b->head_len);
	FZ_CHECK(a->n_fields == b->n_fields);
	FZ_CHECK(a->body == b->body);
	FZ_CHECK(a->content_length == b->content_length);
	FZ_CHECK(a->conn == b->conn);
	FZ_CHECK(a->status == b->status);
	FZ_CHECK(a->port == b->port);
	FZ_CHECK(fz_same_str(a->target, b->target));
	FZ_CHECK(fz_same_str(a->host, b->host));
	FZ_CHECK(fz_same_str(a->path, b->path));
	for (i = 0; i < a->n_fields; i++) {
		FZ_CHECK(fz_same_str(a->fields[i].name, b->fields[i].name));
		FZ_CHECK(fz_same_str(a->fields[i].value, b->fields[i].value));
	}
}

static int
fz_parse(bool req, const char *buf, size_t len,
    const struct wk_http_limits *lim, struct wk_str m, struct wk_http_head *h,
    enum wk_http_err *e)
{
	int r = req ? wk_http_parse_request(buf, len, lim, h, e) :
		      wk_http_parse_response(buf, len, lim, m, h, e);

	FZ_CHECK(r == WK_PARSE_DONE || r == WK_PARSE_NEED_MORE ||
	    r == WK_PARSE_ERROR);
	if (r == WK_PARSE_ERROR)
		FZ_CHECK(*e > WK_HTTP_OK && *e < WK_HTTP_E_COUNT);
	if (r == WK_PARSE_DONE)
		fz_head_ok(buf, len, lim, h);
	return r;
}

/* One-shot against a growing buffer, as the proxy calls it. */
static void
fz_head(bool req, const uint8_t *data, size_t size,
    const struct wk_http_limits *lim, struct wk_str m, uint64_t salt)
{
	static struct wk_http_head one, inc;
	const char *buf = (const char *)data;
	enum wk_http_err e1 = WK_HTTP_OK, e2 = WK_HTTP_OK;
	struct fz_rng rng;
	size_t len = 0;
	int r1, r2 = WK_PARSE_NEED_MORE;

	r1 = fz_parse(req, buf, size, lim, m, &one, &e1);
	fz_seed(&rng, data, size, salt);
	while (len < size) {
		len += 1 + (size_t)(fz_next(&rng) % (size / 4 + 2));
		if (len > size)
			len = size;
		r2 = fz_parse(req, buf, len, lim, m, &inc, &e2);
		if (r2 != WK_PARSE_NEED_MORE)
			break;
	}
	if (size == 0)
		r2 = fz_parse(req, buf, 0, lim, m, &inc, &e2);
	FZ_CHECK(r1 == r2);
	if (r1 == WK_PARSE_ERROR)
		FZ_CHECK(e1 == e2);
	if (r1 == WK_PARSE_DONE)
		fz_same_head(&one, &inc);
	(void)wk_http_err_str(e1);
	(void)wk_http_err_status(e1);
}

struct fz_sink {
	uint64_t n;
	uint64_t sum;
};

static void
fz_data(void *arg, const char *p, size_t n)
{
	struct fz_sink *s = arg;
	size_t i;

	FZ_CHECK(n > 0);
	for (i = 0; i < n; i++)
		s->sum = (s->sum * 31u + (uint8_t)p[i]) ^ (s->n + i);
	s->n += n;
}

static int
fz_chunks(const char *buf, size_t size, struct fz_rng *rng, size_t maxline,
    size_t maxtr, size_t *used, enum wk_http_err *e, struct fz_sink *k)
{
	struct wk_chunk_scan c;
	size_t off = 0, piece, u;
	int r = WK_PARSE_NEED_MORE;

	memset(&c, 0, sizeof(c));
	memset(k, 0, sizeof(*k));
	c.max_line = maxline;
	c.max_trailer = maxtr;
	c.on_data = fz_data;
	c.arg = k;
	*e = WK_HTTP_OK;
	do {
		piece = size - off;
		if (rng != NULL && piece > 0)
			piece = 1 + (size_t)(fz_next(rng) % piece);
		r = wk_chunk_scan(&c, buf + off, piece, &u, e);
		FZ_CHECK(u <= piece);
		off += u;
		if (r == WK_PARSE_NEED_MORE)
			FZ_CHECK(u == piece);
	} while (r == WK_PARSE_NEED_MORE && off < size);
	FZ_CHECK(c.data_total == k->n);
	if (r == WK_PARSE_ERROR)
		FZ_CHECK(*e > WK_HTTP_OK && *e < WK_HTTP_E_COUNT);
	*used = off;
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct wk_http_limits lim_big = { 8192, 65536, 100 };
	static const struct wk_http_limits lim_small = { 64, 256, 8 };
	static const char *const methods[] = { "GET", "HEAD", "CONNECT",
		"POST" };
	struct wk_str m;
	struct fz_rng rng;
	struct fz_sink k1, k2;
	size_t u1, u2;
	enum wk_http_err e1, e2;
	int r1, r2;

	m.p = methods[size % 4];
	m.len = strlen(m.p);
	fz_head(true, data, size, &lim_big, m, 1);
	fz_head(true, data, size, &lim_small, m, 2);
	fz_head(false, data, size, &lim_big, m, 3);
	fz_head(false, data, size, &lim_small, m, 4);

	r1 = fz_chunks((const char *)data, size, NULL, 0, 0, &u1, &e1, &k1);
	fz_seed(&rng, data, size, 5);
	r2 = fz_chunks((const char *)data, size, &rng, 0, 0, &u2, &e2, &k2);
	FZ_CHECK(r1 == r2 && u1 == u2 && k1.n == k2.n && k1.sum == k2.sum);
	if (r1 == WK_PARSE_ERROR)
		FZ_CHECK(e1 == e2);
	r1 = fz_chunks((const char *)data, size, NULL, 8, 32, &u1, &e1, &k1);
	fz_seed(&rng, data, size, 6);
	r2 = fz_chunks((const char *)data, size, &rng, 8, 32, &u2, &e2, &k2);
	FZ_CHECK(r1 == r2 && u1 == u2 && k1.n == k2.n && k1.sum == k2.sum);
	if (r1 == WK_PARSE_ERROR)
		FZ_CHECK(e1 == e2);
	return 0;
}
