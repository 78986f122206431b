/* src/sess/intercept.h: TLS interception of tunnels (CONNECT, SOCKS) into
 * zones with `intercept on`. */
#ifndef WK_SESS_INTERCEPT_H
#define WK_SESS_INTERCEPT_H

#include "core/wk.h"

struct wk_sess;

/* The request's zone intercepts, and a local CA is there. */
bool wk_intercept_wanted(const struct wk_sess *s);

/* The tunnel to host:port is up (the client has its 200 or SOCKS reply):
 * read the client's first bytes, then intercept or relay. */
void wk_intercept_start(struct wk_sess *s, const char *host, uint16_t port);

#endif
