/* src/tls/tls.h: TLS for sessions: the server side of an intercepted
 * tunnel (a leaf minted by the local CA, ALPN http/1.1) and verified TLS to
 * origins (system trust store or configured CA, host name, TLS 1.2 at
 * least, SNI, session resumption). The only place that builds SSL_CTXs. */
#ifndef WK_TLS_TLS_H
#define WK_TLS_TLS_H

#include "core/wk.h"

struct bufferevent;
struct event_base;
struct wk_ca;
struct wk_config;

/* Opens (or creates) the local CA under state_dir for interception.
 * Returns 0, or -1 with err (interception is then refused, logged). */
int wk_tls_init(const char *state_dir, char *err, size_t errlen);
void wk_tls_shutdown(void);
/* The CA, or NULL when wk_tls_init failed. */
struct wk_ca *wk_tls_ca(void);

/* Wraps under (the client's connection, whose input may already hold the
 * ClientHello) in a TLS server bufferevent presenting a leaf for host (an
 * A-label name or an IP literal). Takes ownership of under. Returns NULL
 * with err when no certificate can be had. */
struct bufferevent *wk_tls_accept(struct event_base *base,
    struct bufferevent *under, const char *host, char *err, size_t errlen);

/* Wraps under (a connection to the origin, or a tunnel to it) in a TLS
 * client bufferevent for host: SNI (for names), and, when verify, the
 * chain against the trust store and the host name. Takes ownership of
 * under. */
struct bufferevent *wk_tls_connect(struct event_base *base,
    struct bufferevent *under, const struct wk_config *c, const char *host,
    uint16_t port, bool verify);

/* Why the handshake on bev failed: "certificate has expired", "unable to
 * get local issuer certificate", "hostname mismatch", or the OpenSSL
 * error text. */
void wk_tls_error(struct bufferevent *bev, char *buf, size_t len);

/* The protocol and cipher of a finished handshake ("TLSv1.3"), for logs. */
const char *wk_tls_version(struct bufferevent *bev);

#endif
