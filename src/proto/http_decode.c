/* src/proto/http_decode.c: response decoding in the HTTP engine. The
 * policy part is pure (heads in, decisions out); the streaming part queues
 * encoded bytes, decodes them a block at a time while the client's output
 * has room, and frames what comes out. */
#include "core/wk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>

#include "config/conf.h"
#include "core/alloc.h"
#include "core/bug.h"
#include "log/log.h"
#include "proto/http_decode.h"
#include "sess/session.h"
#include "zone/zone.h"

#define DECODE_BUF (128 * 1024) /* decoded bytes per step (< 16 MiB) */
/* A chunk's size line, fixed width so the data can be decoded in place
 * after it (leading zeros are valid: RFC 9112 7.1) */
#define DECODE_CHUNK_LINE 8		 /* "%06zx\r\n" */
#define DECODE_RATIO_AFTER (1024 * 1024) /* small bodies may compress well */
/* What wicket asks for on behalf of a client (compress-upstream). */
#define DECODE_OURS "gzip, br, zstd"

struct wk_http_decode {
	struct wk_decoder *dec;
	struct evbuffer *queue; /* encoded bytes not decoded yet */
	bool chunked;		/* frame the output as chunks */
	bool ended;		/* the decoder saw the end of every stream */
	bool done;		/* the last chunk went out */
	bool limited;
	uint64_t trailing; /* bytes after the end, ignored */
	char name[64];
	char err[200];
};

static bool
decode_ieq(struct wk_str s, const char *lit)
{
	size_t n = strlen(lit);

	return s.len == n && strncasecmp(s.p, lit, n) == 0;
}

/* The values of every field called name, joined by ", "; NULL if none. */
static char *
decode_join(const struct wk_http_head *h, const char *name)
{
	char *v = NULL;
	size_t len = 0;

	for (size_t i = 0; i < h->n_fields; i++) {
		const struct wk_http_field *f = &h->fields[i];

		if (!decode_ieq(f->name, name))
			continue;
		v = wk_realloc(v, len + f->value.len + 3);
		if (len > 0) {
			memcpy(v + len, ", ", 2);
			len += 2;
		}
		memcpy(v + len, f->value.p, f->value.len);
		len += f->value.len;
		v[len] = '\0';
	}
	return v;
}

/* The elements of an Accept-Encoding value whose codings we decode
 * ("identity" too); "" when none is left. */
static char *
decode_filter_accept(const char *v)
{
	size_t vl = strlen(v), len = 0;
	char *out = wk_malloc(vl + 1);
	const char *p = v, *end = v + vl;

	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *e = comma != NULL ? comma : end, *b = p, *t;

		while (b < e && (*b == ' ' || *b == '\t'))
			b++;
		t = b;
		while (t < e && *t != ';' && *t != ' ' && *t != '\t')
			t++;
		if (t > b &&
		    wk_coding_from_token(b, (size_t)(t - b)) !=
			WK_CODING_UNKNOWN) {
			const char *te = e;

			while (te > b && (te[-1] == ' ' || te[-1] == '\t'))
				te--;
			if (len > 0) {
				memcpy(out + len, ", ", 2);
				len += 2;
			}
			memcpy(out + len, b, (size_t)(te - b));
			len += (size_t)(te - b);
		}
		p = comma != NULL ? comma + 1 : end;
	}
	out[len] = '\0';
	return out;
}

char *
wk_http_decode_request(
    struct wk_req *r, const struct wk_zone *z, const struct wk_http_head *h)
{
	enum wk_zone_decompress pol =
	    z != NULL ? z->decompress : WK_ZONE_DECOMP_AUTO;
	bool ask = z != NULL && z->compress_upstream;

	free(r->client_ae);
	r->client_ae = decode_join(h, "accept-encoding");
	if (pol == WK_ZONE_DECOMP_NEVER)
		return NULL;
	if (ask && (r->client_ae == NULL || pol == WK_ZONE_DECOMP_ALWAYS))
		return wk_strdup(DECODE_OURS);
	if (pol == WK_ZONE_DECOMP_ALWAYS && r->client_ae != NULL)
		return decode_filter_accept(r->client_ae);
	return NULL;
}

/* Does a Cache-Control field of h say no-transform? */
static bool
decode_no_transform(const struct wk_http_head *h)
{
	for (size_t i = 0; i < h->n_fields; i++) {
		const struct wk_http_field *f = &h->fields[i];
		const char *p = f->value.p, *end = p + f->value.len;

		if (!decode_ieq(f->name, "cache-control"))
			continue;
		for (; end - p >= 12; p++)
			if (strncasecmp(p, "no-transform", 12) == 0)
				return true;
	}
	return false;
}

bool
wk_http_decode_wanted(const struct wk_req *r, const struct wk_zone *z,
    const struct wk_http_head *resp, struct wk_decode_plan *plan)
{
	enum wk_zone_decompress pol =
	    z != NULL ? z->decompress : WK_ZONE_DECOMP_AUTO;
	bool foreign = false;
	char *ce;
	int n;

	memset(plan, 0, sizeof(*plan));
	if (pol == WK_ZONE_DECOMP_NEVER || r->is_head || resp->status < 200 ||
	    resp->status == 204 || resp->status == 206 || resp->status == 304 ||
	    resp->body == WK_HTTP_BODY_NONE ||
	    resp->body == WK_HTTP_BODY_TUNNEL ||
	    (resp->body == WK_HTTP_BODY_LENGTH && resp->content_length == 0))
		return false;
	ce = decode_join(resp, "content-encoding");
	if (ce == NULL)
		return false;
	n = wk_coding_parse_list(ce, strlen(ce), plan->codings, WK_CODING_MAX);
	for (int i = 0; i < n; i++)
		if (plan->codings[i] == WK_CODING_UNKNOWN)
			n = -1;
	if (n < 0)
		wk_log_info("%s: Content-Encoding \"%.100s\" is not one we "
			    "decode: passed as it is",
		    r->host != NULL ? r->host : "-", ce);
	free(ce);
	if (n <= 0)
		return false;
	plan->n = (size_t)n;
	for (size_t i = 0; i < plan->n; i++) {
		size_t used = strlen(plan->name);

		snprintf(plan->name + used, sizeof(plan->name) - used, "%s%s",
		    i > 0 ? "," : "", wk_coding_name(plan->codings[i]));
		if (!wk_coding_accepted(r->client_ae,
			r->client_ae != NULL ? strlen(r->client_ae) : 0,
			plan->codings[i]))
			foreign = true;
	}
	if (pol == WK_ZONE_DECOMP_ALWAYS)
		return !decode_no_transform(resp);
	/* auto: the client could not use the body as it is, so no-transform
	 * would only hand it bytes it cannot read */
	return foreign;
}

struct wk_http_decode *
wk_http_decode_new(
    const struct wk_decode_plan *plan, const struct wk_config *c, bool chunked)
{
	struct wk_decode_limits lim = {
		.max_out = c->limit.decoded_size,
		.max_ratio = (unsigned)c->limit.decoded_ratio,
		.ratio_after = DECODE_RATIO_AFTER,
	};
	struct wk_http_decode *d = wk_calloc(1, sizeof(*d));

	d->dec = wk_decoder_new(plan->codings, plan->n, &lim);
	WK_BUG_ON(d->dec == NULL);
	d->queue = evbuffer_new();
	d->chunked = chunked;
	snprintf(d->name, sizeof(d->name), "%s", plan->name);
	return d;
}

void
wk_http_decode_free(struct wk_http_decode *d)
{
	if (d == NULL)
		return;
	wk_decoder_free(d->dec);
	evbuffer_free(d->queue);
	free(d);
}

void
wk_http_decode_add(struct wk_http_decode *d, const char *p, size_t n)
{
	evbuffer_add(d->queue, p, n);
}

void
wk_http_decode_add_buffer(
    struct wk_http_decode *d, struct evbuffer *in, size_t n)
{
	evbuffer_remove_buffer(in, d->queue, n);
}

size_t
wk_http_decode_queued(const struct wk_http_decode *d)
{
	return evbuffer_get_length(d->queue);
}

/* One step, decoding straight into out's free space (as a chunk for an
 * HTTP/1.1 client). Adds what it wrote to *written. */
static enum wk_decode_res
decode_step(struct wk_http_decode *d, struct evbuffer *out,
    const struct evbuffer_iovec *in, size_t *used, bool last, uint64_t *written)
{
	size_t pre = d->chunked ? DECODE_CHUNK_LINE : 0;
	size_t post = d->chunked ? 2 : 0, got = 0;
	struct evbuffer_iovec v;
	enum wk_decode_res res;
	char *p;

	if (evbuffer_reserve_space(
		out, (ev_ssize_t)(pre + DECODE_BUF + post), &v, 1) < 1)
		return WK_DECODE_ERROR;
	p = v.iov_base;
	res = wk_decoder_step(d->dec, in->iov_base, in->iov_len, used,
	    (uint8_t *)p + pre, DECODE_BUF, &got, last);
	v.iov_len = 0;
	if (got > 0) {
		if (d->chunked) {
			static const char hex[] = "0123456789abcdef";

			/* got < 16 MiB: six digits */
			for (int i = 0; i < 6; i++)
				p[i] = hex[(got >> (4 * (5 - i))) & 15];
			memcpy(p + 6, "\r\n", 2);
			memcpy(p + pre + got, "\r\n", 2);
		}
		v.iov_len = pre + got + post;
	}
	evbuffer_commit_space(out, &v, 1);
	*written += v.iov_len;
	return res;
}

static enum wk_http_decode_res
decode_fail(struct wk_http_decode *d, enum wk_decode_res res)
{
	d->limited = res == WK_DECODE_LIMIT;
	snprintf(d->err, sizeof(d->err), "%s",
	    res == WK_DECODE_OK ? "the decoder made no progress" :
				  wk_decoder_error(d->dec));
	return WK_HTTP_DECODE_FAIL;
}

enum wk_http_decode_res
wk_http_decode_run(struct wk_http_decode *d, struct evbuffer *out, size_t high,
    bool eof, uint64_t *written)
{
	*written = 0;
	while (!d->done) {
		size_t qlen = evbuffer_get_length(d->queue), used = 0;
		uint64_t before = *written;
		struct evbuffer_iovec v = { NULL, 0 };
		enum wk_decode_res res;
		bool last;

		if (evbuffer_get_length(out) >= high)
			return WK_HTTP_DECODE_FULL;
		if (d->ended) {
			/* after the end: nothing more is decoded */
			d->trailing += qlen;
			evbuffer_drain(d->queue, qlen);
			if (!eof)
				return WK_HTTP_DECODE_MORE;
			if (d->chunked) {
				evbuffer_add(out, "0\r\n\r\n", 5);
				*written += 5;
			}
			d->done = true;
			break;
		}
		if (qlen == 0 && !eof)
			return WK_HTTP_DECODE_MORE;
		if (qlen > 0 && evbuffer_peek(d->queue, -1, NULL, &v, 1) < 1)
			return decode_fail(d, WK_DECODE_OK);
		last = eof && v.iov_len == qlen;
		res = decode_step(d, out, &v, &used, last, written);
		evbuffer_drain(d->queue, used);
		if (res == WK_DECODE_ERROR || res == WK_DECODE_LIMIT)
			return decode_fail(d, res);
		if (res == WK_DECODE_END)
			d->ended = true;
		else if (used == 0 && *written == before &&
		    (last || v.iov_len > 0))
			return decode_fail(d, res);
	}
	return WK_HTTP_DECODE_DONE;
}

const char *
wk_http_decode_error(const struct wk_http_decode *d)
{
	return d->err;
}

bool
wk_http_decode_limited(const struct wk_http_decode *d)
{
	return d->limited;
}

const char *
wk_http_decode_name(const struct wk_http_decode *d)
{
	return d->name;
}

uint64_t
wk_http_decode_encoded(const struct wk_http_decode *d)
{
	return wk_decoder_in_total(d->dec) + d->trailing;
}

uint64_t
wk_http_decode_decoded(const struct wk_http_decode *d)
{
	return wk_decoder_out_total(d->dec);
}
