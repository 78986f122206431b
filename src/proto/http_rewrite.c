/* src/proto/http_rewrite.c: outgoing heads (RFC 9110 7.6). */
#include "core/wk.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>

#include "proto/http_rewrite.h"

static bool
str_ieq(struct wk_str s, const char *lit)
{
	size_t n = strlen(lit);

	return s.len == n && strncasecmp(s.p, lit, n) == 0;
}

struct wk_str
wk_http_target_authority(struct wk_str t)
{
	struct wk_str a = { t.p, 0 };
	const char *p = memchr(t.p, ':', t.len), *end = t.p + t.len;

	if (p == NULL || end - p < 3 || p[1] != '/' || p[2] != '/')
		return a;
	a.p = p + 3;
	for (p = a.p; p < end && *p != '/' && *p != '?' && *p != '#'; p++)
		;
	a.len = (size_t)(p - a.p);
	return a;
}

struct wk_str
wk_http_target_path(struct wk_str t, bool *slash)
{
	struct wk_str a = wk_http_target_authority(t);
	struct wk_str r;

	r.p = a.p + a.len;
	r.len = (size_t)(t.p + t.len - r.p);
	*slash = r.len == 0 || r.p[0] != '/';
	return r;
}

/* Does a Connection field of h list name? */
static bool
listed_in_connection(const struct wk_http_head *h, struct wk_str name)
{
	for (size_t i = 0; i < h->n_fields; i++) {
		const struct wk_http_field *f = &h->fields[i];
		const char *p, *end;

		if (!str_ieq(f->name, "connection") &&
		    !str_ieq(f->name, "proxy-connection"))
			continue;
		p = f->value.p;
		end = p + f->value.len;
		while (p < end) {
			const char *q = memchr(p, ',', (size_t)(end - p));
			const char *e = q ? q : end;
			const char *b = p;

			while (b < e && (*b == ' ' || *b == '\t'))
				b++;
			const char *t = e;
			while (t > b && (t[-1] == ' ' || t[-1] == '\t'))
				t--;
			if ((size_t)(t - b) == name.len &&
			    strncasecmp(b, name.p, name.len) == 0)
				return true;
			p = q ? q + 1 : end;
		}
	}
	return false;
}

bool
wk_http_is_hop_by_hop(
    const struct wk_http_head *h, struct wk_str name, bool request)
{
	switch (name.len) {
	case 2:
		if (str_ieq(name, "te"))
			return true;
		break;
	case 7:
		if (str_ieq(name, "upgrade") || str_ieq(name, "trailer"))
			return true;
		break;
	case 10:
		if (str_ieq(name, "connection") || str_ieq(name, "keep-alive"))
			return true;
		break;
	case 16:
		if (str_ieq(name, "proxy-connection"))
			return true;
		break;
	case 19:
		/* credentials meant for us, the next hop */
		if (request && str_ieq(name, "proxy-authorization"))
			return true;
		break;
	}
	return listed_in_connection(h, name);
}

static void
add_str(struct evbuffer *out, struct wk_str s)
{
	evbuffer_add(out, s.p, s.len);
}

static void
add_lit(struct evbuffer *out, const char *s)
{
	evbuffer_add(out, s, strlen(s));
}

static bool
in_list(struct wk_str name, const char *const *names)
{
	for (; names != NULL && *names != NULL; names++)
		if (str_ieq(name, *names))
			return true;
	return false;
}

/* Copies every end-to-end field but Host (we write ours) and the fields
 * named in drop (NULL-terminated; replaced by the caller). */
static void
add_fields(struct evbuffer *out, const struct wk_http_head *h, bool request,
    bool keep_upgrade, bool drop_te, const char *const *drop)
{
	for (size_t i = 0; i < h->n_fields; i++) {
		const struct wk_http_field *f = &h->fields[i];

		if (request && str_ieq(f->name, "host"))
			continue;
		if (in_list(f->name, drop))
			continue;
		if (drop_te && str_ieq(f->name, "transfer-encoding"))
			continue;
		if (wk_http_is_hop_by_hop(h, f->name, request) &&
		    !(keep_upgrade && str_ieq(f->name, "upgrade")))
			continue;
		add_str(out, f->name);
		evbuffer_add(out, ": ", 2);
		add_str(out, f->value);
		evbuffer_add(out, "\r\n", 2);
	}
}

static void
add_via(struct evbuffer *out, const struct wk_http_head *h, const char *via)
{
	char line[128];
	int n = snprintf(line, sizeof(line), "Via: 1.%d %s\r\n",
	    h->version_minor, via ? via : "wicket");

	if (n > 0)
		evbuffer_add(out, line, WK_MIN((size_t)n, sizeof(line) - 1));
}

void
wk_http_write_request(struct evbuffer *out, const struct wk_http_head *h,
    const struct wk_req_rewrite *o)
{
	evbuffer_expand(out, h->head_len + 128);
	add_str(out, h->method);
	evbuffer_add(out, " ", 1);
	if (h->target_form == WK_HTTP_TARGET_ABSOLUTE && !o->absolute) {
		bool slash;
		struct wk_str path = wk_http_target_path(h->target, &slash);

		if (slash)
			evbuffer_add(out, "/", 1);
		add_str(out, path);
	} else if (h->target_form == WK_HTTP_TARGET_ABSOLUTE && o->authority) {
		/* scheme://, our authority, then the rest byte for byte */
		struct wk_str a = wk_http_target_authority(h->target);

		evbuffer_add(out, h->target.p, (size_t)(a.p - h->target.p));
		add_lit(out, o->authority);
		evbuffer_add(out, a.p + a.len,
		    (size_t)(h->target.p + h->target.len - (a.p + a.len)));
	} else {
		add_str(out, h->target);
	}
	add_lit(out, " HTTP/1.1\r\nHost: ");
	if (o->authority != NULL)
		add_lit(out, o->authority);
	else if (h->target_form == WK_HTTP_TARGET_ABSOLUTE)
		add_str(out, wk_http_target_authority(h->target));
	else if (h->target_form == WK_HTTP_TARGET_AUTHORITY)
		add_str(out, h->target);
	else
		add_str(out, h->host_field);
	evbuffer_add(out, "\r\n", 2);
	const char *drop[4];
	size_t nd = 0;

	if (o->cookie != NULL)
		drop[nd++] = "cookie";
	if (o->accept_encoding != NULL)
		drop[nd++] = "accept-encoding";
	if (o->origin10)
		drop[nd++] = "expect";
	drop[nd] = NULL;
	add_fields(out, h, true, o->upgrade, o->origin10, drop);
	if (o->cookie != NULL && o->cookie[0] != '\0') {
		add_lit(out, "Cookie: ");
		add_lit(out, o->cookie);
		evbuffer_add(out, "\r\n", 2);
	}
	if (o->accept_encoding != NULL && o->accept_encoding[0] != '\0') {
		add_lit(out, "Accept-Encoding: ");
		add_lit(out, o->accept_encoding);
		evbuffer_add(out, "\r\n", 2);
	}
	if (o->upgrade)
		add_lit(out, "Connection: upgrade\r\n");
	if (o->extra != NULL)
		add_lit(out, o->extra);
	add_via(out, h, o->via);
	evbuffer_add(out, "\r\n", 2);
}

/* A decoded body's fields: the ETag made weak (the bytes differ, the
 * representation does not: RFC 9110 8.8.3), chunked framing for an
 * HTTP/1.1 client (an HTTP/1.0 one reads to the close). */
static void
add_decoded_fields(
    struct evbuffer *out, const struct wk_http_head *h, bool client_http10)
{
	for (size_t i = 0; i < h->n_fields; i++) {
		const struct wk_http_field *f = &h->fields[i];

		if (!str_ieq(f->name, "etag"))
			continue;
		add_lit(out, "ETag: ");
		if (f->value.len < 2 || memcmp(f->value.p, "W/", 2) != 0)
			add_lit(out, "W/");
		add_str(out, f->value);
		evbuffer_add(out, "\r\n", 2);
	}
	if (!client_http10)
		add_lit(out, "Transfer-Encoding: chunked\r\n");
}

void
wk_http_write_response(struct evbuffer *out, const struct wk_http_head *h,
    const struct wk_resp_rewrite *o)
{
	char line[64];
	int n;

	evbuffer_expand(out, h->head_len + 128);
	n = snprintf(line, sizeof(line), "HTTP/1.1 %03d ", h->status);
	evbuffer_add(out, line, (size_t)n);
	add_str(out, h->reason);
	evbuffer_add(out, "\r\n", 2);
	const char *drop[6];
	size_t nd = 0;

	if (o->drop_set_cookie)
		drop[nd++] = "set-cookie";
	if (o->decoded) {
		/* they describe the encoded body */
		drop[nd++] = "content-encoding";
		drop[nd++] = "content-length";
		drop[nd++] = "content-md5";
		drop[nd++] = "etag";
	}
	drop[nd] = NULL;
	add_fields(out, h, false, o->upgrade, o->dechunk || o->decoded, drop);
	if (o->decoded)
		add_decoded_fields(out, h, o->client_http10);
	if (o->upgrade)
		add_lit(out, "Connection: upgrade\r\n");
	else if (!o->keep_alive)
		add_lit(out, "Connection: close\r\n");
	else if (o->client_http10)
		add_lit(out, "Connection: keep-alive\r\n");
	add_via(out, h, o->via);
	evbuffer_add(out, "\r\n", 2);
}
