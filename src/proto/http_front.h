/* src/proto/http_front.h: the HTTP/1.1 front-end and engine: reads request
 * heads, answers wicket's own pages, forwards requests upstream with their
 * bodies, relays responses, and hands CONNECT/Upgrade to the relay. */
#ifndef WK_PROTO_HTTP_FRONT_H
#define WK_PROTO_HTTP_FRONT_H

#include "core/wk.h"

#include "sess/session.h"

struct wk_sess;

extern const struct wk_front_ops wk_http_front;

/* Takes over a new session's client connection. */
void wk_http_start(struct wk_sess *s);
/* Runs the engine on an intercepted tunnel (both TLS handshakes done, or
 * the origin's failed: its requests then get a 502 saying why). */
void wk_http_start_intercepted(struct wk_sess *s);
/* Bytes arrived on one side (enum wk_side), or are waiting there. */
void wk_http_on_read(struct wk_sess *s, int side);
/* One side ended: what is BEV_EVENT_* (EOF, ERROR, TIMEOUT, with READING
 * or WRITING). */
void wk_http_on_close(struct wk_sess *s, int side, short what);
/* The session timer fired. */
void wk_http_on_timeout(struct wk_sess *s);

#endif
