/* src/proto/http_rewrite.h: builds the heads a proxy sends on, from parsed
 * ones: hop-by-hop fields removed, Host made to match the URI, Via added.
 * Pure apart from appending to an evbuffer. */
#ifndef WK_PROTO_HTTP_REWRITE_H
#define WK_PROTO_HTTP_REWRITE_H

#include "core/wk.h"

#include "proto/http_parse.h"

struct evbuffer;

struct wk_req_rewrite {
	const char *via; /* our pseudonym in Via */
	bool absolute;	 /* keep the absolute-form target (to an HTTP proxy) */
	bool upgrade;	 /* pass Upgrade on with Connection: upgrade */
	/* the authority to send instead of the URI's (its IDNA A-label
	 * form), in Host and, when absolute, in the target; NULL: as sent */
	const char *authority;
	const char *extra; /* whole header lines to add ("X: y\r\n"), or NULL */
	/* the Cookie value to send instead of the client's fields ("": none);
	 * NULL: the client's as they are */
	const char *cookie;
	/* the same for Accept-Encoding (the zone's decompress policy) */
	const char *accept_encoding;
	/* an HTTP/1.0 origin: no Expect (we answer it) and no
	 * Transfer-Encoding (the body goes with a Content-Length) */
	bool origin10;
};

struct wk_resp_rewrite {
	const char *via;
	bool keep_alive;      /* the client connection stays open */
	bool client_http10;   /* the client spoke HTTP/1.0 */
	bool upgrade;	      /* a 101: keep Upgrade, Connection: upgrade */
	bool dechunk;	      /* body sent without chunked framing */
	bool drop_set_cookie; /* the jar alone keeps them (jar-only) */
	/* the body is decoded: no Content-Encoding, Content-Length or
	 * Content-MD5, a weak ETag, chunked to HTTP/1.1 clients */
	bool decoded;
};

/* The authority of an absolute-form target, byte-exact ("h:8080"). */
struct wk_str wk_http_target_authority(struct wk_str target);
/* The origin-form part of an absolute-form target; *slash is set when "/"
 * must be sent before it (empty path). */
struct wk_str wk_http_target_path(struct wk_str target, bool *slash);

/* Appends the request head to send upstream for h. */
void wk_http_write_request(struct evbuffer *out, const struct wk_http_head *h,
    const struct wk_req_rewrite *o);

/* Appends the response head to send to the client for h. */
void wk_http_write_response(struct evbuffer *out, const struct wk_http_head *h,
    const struct wk_resp_rewrite *o);

/* True when a field of this name is hop-by-hop by itself or because the
 * message's Connection fields list it. Exposed for tests. */
bool wk_http_is_hop_by_hop(
    const struct wk_http_head *h, struct wk_str name, bool request);

#endif
