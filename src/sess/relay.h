/* src/sess/relay.h: the tunnel phase (CONNECT, Upgrade, later SOCKS): bytes
 * copied both ways at once with back-pressure, half-close passed on, an
 * idle bound. */
#ifndef WK_SESS_RELAY_H
#define WK_SESS_RELAY_H

#include "core/wk.h"

struct wk_relay;
struct wk_sess;

/* Takes over s->cli and s->up (both connected). Bytes already waiting in
 * either input are sent on first. */
void wk_relay_start(struct wk_sess *s);
/* Frees the relay's pipes and events (not the bufferevents). */
void wk_relay_free(struct wk_relay *r);
/* The session timer fired in the tunnel state. */
void wk_relay_on_timeout(struct wk_sess *s);

#endif
