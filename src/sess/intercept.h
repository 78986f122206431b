/* src/sess/intercept.h: TLS interception of tunnels (CONNECT, SOCKS) into
 * zones with `intercept on`. */
#ifndef WK_SESS_INTERCEPT_H
#define WK_SESS_INTERCEPT_H

#include "core/wk.h"

struct bufferevent;
struct wk_route;
struct wk_sess;

/* The request's zone intercepts, and a local CA is there. */
bool wk_intercept_wanted(const struct wk_sess *s);

/* The tunnel to host:port is up (the client has its 200 or SOCKS reply):
 * read the client's first bytes, then intercept or relay. */
void wk_intercept_start(struct wk_sess *s, const char *host, uint16_t port,
    const struct wk_route *route);

/* For a tunnel into an intercepting zone: an idle verified TLS
 * connection to host:port from the pool becomes s->up (checked against
 * the client's SNI later), so the tunnel needs no connect. NULL: none. */
struct bufferevent *wk_intercept_take_pooled(struct wk_sess *s,
    const struct wk_route *route, const char *host, uint16_t port);

/* The pool key of a verified TLS connection to host:port over route's
 * first hop ("tls:..."); absolute-form https:// requests share it. */
void wk_intercept_pool_key(const struct wk_route *route, const char *host,
    uint16_t port, char *key, size_t len);

#endif
