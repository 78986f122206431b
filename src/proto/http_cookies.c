/* src/proto/http_cookies.c: the shared jar in the HTTP engine, by the
 * zone's `cookies` policy. Requests get the jar's matching cookies that
 * the client did not send itself (jar-only: exactly the jar's); the
 * Set-Cookie fields of responses go into the jar (session-only: as
 * session cookies; jar-only: and not on to the client). */
#include "core/wk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "cookie/jar.h"
#include "core/alloc.h"
#include "config/conf.h"
#include "cookie/cookies.h"
#include "proto/http_cookies.h"
#include "sess/session.h"
#include "zone/zone.h"

#define COOKIES_HEADER_MAX (64 * 1024)
#define COOKIES_HEADER_FIRST 2048

static int64_t
cookies_now_us(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

static bool
cookies_ieq(struct wk_str s, const char *lit)
{
	size_t n = strlen(lit);

	return s.len == n && strncasecmp(s.p, lit, n) == 0;
}

/* The request's Sec-Fetch-* fields, for SameSite. */
static void
cookies_fetch_info(const struct wk_http_head *h, struct wk_jar_request *rq)
{
	memset(rq, 0, sizeof(*rq));
	rq->safe_method = cookies_ieq(h->method, "GET") ||
	    cookies_ieq(h->method, "HEAD") ||
	    cookies_ieq(h->method, "OPTIONS") ||
	    cookies_ieq(h->method, "TRACE");
	for (size_t i = 0; i < h->n_fields; i++) {
		const struct wk_http_field *f = &h->fields[i];

		if (cookies_ieq(f->name, "sec-fetch-site")) {
			rq->site = cookies_ieq(f->value, "cross-site") ?
			    WK_JAR_SITE_CROSS_SITE :
			    cookies_ieq(f->value, "same-site") ?
			    WK_JAR_SITE_SAME_SITE :
			    cookies_ieq(f->value, "same-origin") ?
			    WK_JAR_SITE_SAME_ORIGIN :
			    cookies_ieq(f->value, "none") ? WK_JAR_SITE_NONE :
							    WK_JAR_SITE_ABSENT;
		} else if (cookies_ieq(f->name, "sec-fetch-mode")) {
			rq->navigate = cookies_ieq(f->value, "navigate");
		} else if (cookies_ieq(f->name, "sec-fetch-dest")) {
			rq->nested = cookies_ieq(f->value, "iframe") ||
			    cookies_ieq(f->value, "frame") ||
			    cookies_ieq(f->value, "embed") ||
			    cookies_ieq(f->value, "object");
		}
	}
}

/* Did the client's Cookie fields name this cookie? */
static bool
cookies_client_has(const struct wk_http_head *h, const char *name, size_t nl)
{
	for (size_t i = 0; i < h->n_fields; i++) {
		const struct wk_http_field *f = &h->fields[i];
		const char *p, *end;

		if (!cookies_ieq(f->name, "cookie"))
			continue;
		p = f->value.p;
		end = p + f->value.len;
		while (p < end) {
			const char *semi = memchr(p, ';', (size_t)(end - p));
			const char *item_end = semi ? semi : end;
			const char *eq;

			while (p < item_end && (*p == ' ' || *p == '\t'))
				p++;
			eq = memchr(p, '=', (size_t)(item_end - p));
			if (eq == NULL)
				eq = p; /* a nameless cookie: name "" */
			if ((size_t)(eq - p) == nl && memcmp(p, name, nl) == 0)
				return true;
			p = semi ? semi + 1 : end;
		}
	}
	return false;
}

char *
wk_http_cookies_request(struct wk_jar *j, enum wk_zone_cookies policy,
    const struct wk_http_head *h, const char *host, const char *path,
    bool https)
{
	struct wk_jar_request rq;
	struct wk_str client[8];
	size_t n_client = 0, len, o = 0;
	char *jar, *out;

	if (j == NULL || policy == WK_ZONE_COOKIES_OFF)
		return NULL;
	cookies_fetch_info(h, &rq);
	/* most Cookie fields are short: a small buffer first */
	jar = wk_malloc(COOKIES_HEADER_FIRST);
	len = wk_jar_cookie_header(j, host, path, https, &rq, cookies_now_us(),
	    jar, COOKIES_HEADER_FIRST);
	if (len >= COOKIES_HEADER_FIRST) {
		jar = wk_realloc(jar, COOKIES_HEADER_MAX);
		len = wk_jar_cookie_header(j, host, path, https, &rq,
		    cookies_now_us(), jar, COOKIES_HEADER_MAX);
	}
	if (len >= COOKIES_HEADER_MAX)
		len = strlen(jar); /* what fit, whole items only */
	if (policy == WK_ZONE_COOKIES_JAR_ONLY)
		return jar; /* exactly the jar's ("" drops the client's) */
	if (len == 0) {
		free(jar);
		return NULL; /* nothing to add: the client's as they are */
	}
	for (size_t i = 0; i < h->n_fields && n_client < 8; i++)
		if (cookies_ieq(h->fields[i].name, "cookie") &&
		    h->fields[i].value.len > 0)
			client[n_client++] = h->fields[i].value;
	out = wk_malloc(h->head_len + len + 32);
	for (size_t i = 0; i < n_client; i++) {
		memcpy(out + o, client[i].p, client[i].len);
		o += client[i].len;
		out[o++] = ';';
		out[o++] = ' ';
	}
	/* the jar's items the client did not send itself */
	for (char *p = jar; *p != '\0';) {
		char *semi = strstr(p, "; ");
		size_t il = semi ? (size_t)(semi - p) : strlen(p);
		char *eq = memchr(p, '=', il);
		size_t nl = eq ? (size_t)(eq - p) : 0;

		if (!cookies_client_has(h, p, nl)) {
			memcpy(out + o, p, il);
			o += il;
			out[o++] = ';';
			out[o++] = ' ';
		}
		p = semi ? semi + 2 : p + il;
	}
	free(jar);
	if (o >= 2)
		o -= 2;
	out[o] = '\0';
	if (o == 0 && n_client == 0) {
		free(out);
		return NULL;
	}
	return out;
}

size_t
wk_http_cookies_response(struct wk_jar *j, enum wk_zone_cookies policy,
    const struct wk_http_head *resp, const char *host, const char *path,
    bool https)
{
	enum wk_jar_store_mode mode = policy == WK_ZONE_COOKIES_SESSION ?
	    WK_JAR_STORE_SESSION_ONLY :
	    WK_JAR_STORE_NORMAL;
	int64_t now = cookies_now_us();
	size_t stored = 0;

	if (j == NULL || policy == WK_ZONE_COOKIES_OFF)
		return 0;
	for (size_t i = 0; i < resp->n_fields; i++) {
		const struct wk_http_field *f = &resp->fields[i];

		if (!cookies_ieq(f->name, "set-cookie"))
			continue;
		if (wk_jar_set_from_header(j, host, path, https, f->value.p,
			f->value.len, now, mode) == WK_JAR_SET_STORED)
			stored++;
	}
	return stored;
}

/* The zone's cookie policy for the request, its path, and the Cookie
 * value to send (NULL: the client's as they are). */
char *
wk_http_cookies_for(
    struct wk_sess *s, const struct wk_http_head *h, const struct wk_zone *z)
{
	struct wk_req *r = &s->req;
	struct wk_str path =
	    h->target_form == WK_HTTP_TARGET_ABSOLUTE ? h->path : h->target;
	size_t pl = 0;

	if (wk_cookies_jar() == NULL || r->is_connect || r->host == NULL)
		return NULL;
	while (pl < path.len && path.p[pl] != '?' && path.p[pl] != '#')
		pl++;
	r->cookies = z->cookies;
	free(r->path);
	r->path = wk_strndup(path.p, pl);
	if (r->path[0] != '/') {
		free(r->path);
		r->path = wk_strdup("/");
	}
	return wk_http_cookies_request(wk_cookies_jar(), r->cookies, h, r->host,
	    r->path, s->intercepted || r->https);
}
