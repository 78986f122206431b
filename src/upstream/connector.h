/* src/upstream/connector.h: asynchronous name resolution (evdns) and TCP
 * connect, trying every address of a name in turn. The first stage of the
 * upstream chain; later stages (TLS, SOCKS, HTTP CONNECT) sit on top. */
#ifndef WK_UPSTREAM_CONNECTOR_H
#define WK_UPSTREAM_CONNECTOR_H

#include "core/wk.h"

#include <sys/socket.h>

struct bufferevent;
struct wk_worker;
struct wk_connect;

/* Why a connect failed; each maps to a status and an error page. */
enum wk_conn_err {
	WK_CONN_OK = 0,	     /* connected */
	WK_CONN_DNS,	     /* the name does not resolve */
	WK_CONN_DNS_TIMEOUT, /* the resolver did not answer */
	WK_CONN_REFUSED,     /* every address refused */
	WK_CONN_UNREACH,     /* network or host unreachable */
	WK_CONN_TIMEOUT,     /* no answer to SYN within the bound */
	WK_CONN_ERROR,	     /* anything else (see errno text) */
	WK_CONN_ERR_COUNT
};

/* Called once, unless cancelled. On success bev is the connected
 * bufferevent (ownership passes to the callee, callbacks unset) and peer
 * its address; on failure bev is NULL. */
typedef void (*wk_connect_cb)(struct bufferevent *bev, enum wk_conn_err err,
    const struct sockaddr *peer, void *arg);

/* Starts resolving host and connecting to port; timeout_ms bounds the
 * whole attempt. The callback may run before this returns (IP literals,
 * immediate errors): the caller must be ready for that. Returns a handle
 * for wk_connect_cancel, or NULL if the callback already ran. */
struct wk_connect *wk_connect_start(struct wk_worker *w, const char *host,
    uint16_t port, unsigned timeout_ms, wk_connect_cb cb, void *arg);

/* Stops an attempt; its callback is not called. */
void wk_connect_cancel(struct wk_connect *c);

const char *wk_conn_err_str(enum wk_conn_err e);

#endif
