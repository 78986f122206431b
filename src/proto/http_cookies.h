/* src/proto/http_cookies.h: the shared cookie jar in requests and
 * responses, by the zone's `cookies` policy. */
#ifndef WK_PROTO_HTTP_COOKIES_H
#define WK_PROTO_HTTP_COOKIES_H

#include "core/wk.h"

#include "proto/http_parse.h"
#include "zone/zone.h"

struct wk_jar;
struct wk_sess;

/* For the session's current request (r->host, r->port set) in zone z:
 * its cookie policy and path (kept in the request for the response), and
 * the Cookie value to send (NULL: the client's as they are). */
char *wk_http_cookies_for(
    struct wk_sess *s, const struct wk_http_head *h, const struct wk_zone *z);

/* The Cookie value to send for request h to host/path (A-label), or NULL
 * to leave the client's fields as they are. on/session-only: the client's
 * cookies, then the jar's that the client did not send; jar-only: the
 * jar's alone ("" drops the client's). Allocated: free it. */
char *wk_http_cookies_request(struct wk_jar *j, enum wk_zone_cookies policy,
    const struct wk_http_head *h, const char *host, const char *path,
    bool https);

/* Stores the Set-Cookie fields of response resp (to a request for
 * host/path) in the jar. Returns how many were stored. */
size_t wk_http_cookies_response(struct wk_jar *j, enum wk_zone_cookies policy,
    const struct wk_http_head *resp, const char *host, const char *path,
    bool https);

#endif
