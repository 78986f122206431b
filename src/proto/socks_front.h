/* src/proto/socks_front.h: the SOCKS4, SOCKS4a and SOCKS5 front-end:
 * negotiation (greeting, user/password, request), then a tunnel through
 * the session's route, or a UDP association. */
#ifndef WK_PROTO_SOCKS_FRONT_H
#define WK_PROTO_SOCKS_FRONT_H

#include "core/wk.h"

#include "sess/session.h"

extern const struct wk_front_ops wk_socks_front;

/* Takes over a session whose first byte is 4 or 5 (or a SOCKS-only
 * listener's): the bytes already read are the start of the greeting. */
void wk_socks_start(struct wk_sess *s);

/* Frees the SOCKS state (session teardown). */
void wk_socks_free(struct wk_sess *s);

struct wk_socks_target;
/* socks_udp.c: UDP ASSOCIATE. start replies to the client and moves the
 * session to WK_SESS_ST_UDP. */
void wk_socks_udp_start(struct wk_sess *s, const struct wk_socks_target *t);
void wk_socks_udp_on_timeout(struct wk_sess *s);
void wk_socks_udp_free(struct wk_sess *s);

#endif
