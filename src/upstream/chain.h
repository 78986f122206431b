/* src/upstream/chain.h: reaching a destination through a route: each hop
 * is a direct connection or an upstream proxy (HTTP CONNECT, SOCKS4,
 * SOCKS4a, SOCKS5), tried in order until one gets through. The result is a
 * connected bufferevent that carries the destination's bytes (a tunnel),
 * or, for plain HTTP through an HTTP upstream, the proxy connection
 * itself (requests then go in absolute form). */
#ifndef WK_UPSTREAM_CHAIN_H
#define WK_UPSTREAM_CHAIN_H

#include "core/wk.h"

#include <sys/socket.h>

#include "core/idna.h"
#include "upstream/connector.h"

struct bufferevent;
struct wk_chain;
struct wk_route;
struct wk_upstream;
struct wk_worker;

enum wk_chain_mode {
	WK_CHAIN_TUNNEL = 0, /* bytes to host:port, whatever the hop */
	WK_CHAIN_HTTP /* an HTTP request: an HTTP upstream takes it as is */
};

struct wk_chain_result {
	enum wk_conn_err err; /* WK_CONN_OK, or the last failure */
	const struct wk_upstream
	    *hop;	 /* the hop used or last tried; NULL: direct */
	bool absolute;	 /* send requests in absolute form (HTTP upstream) */
	bool tls;	 /* bev is a TLS bufferevent (an https upstream) */
	int socks_rep;	 /* a SOCKS upstream's refusal code, or -1 */
	int http_status; /* an HTTP upstream's CONNECT answer, or 0 */
	struct sockaddr_storage peer; /* what we connected to */
	char detail[512];	      /* what failed, for pages and logs */
	char key[WK_HOST_MAX + 96];   /* pool key of this connection */
	char
	    via[WK_HOST_MAX + 32]; /* "socks5:NAME", "http:NAME" or addr:port */
};

/* Called once unless cancelled; bev is NULL on failure. The callback may
 * run before wk_chain_start returns. */
typedef void (*wk_chain_cb)(
    struct bufferevent *bev, const struct wk_chain_result *r, void *arg);

/* host is an A-label name or an IP literal (no brackets). route NULL or
 * without hops means direct. timeout_ms bounds each hop. Returns a handle,
 * or NULL when the callback already ran; then keep what the callback left
 * (it may have started another chain): store a non-NULL handle only. */
struct wk_chain *wk_chain_start(struct wk_worker *w,
    const struct wk_route *route, const char *host, uint16_t port,
    enum wk_chain_mode mode, unsigned timeout_ms, wk_chain_cb cb, void *arg);
void wk_chain_cancel(struct wk_chain *c);

/* The "Proxy-Authorization: Basic ...\r\n" line for an HTTP upstream
 * with a user, or "" (line must hold 1024 bytes). */
void wk_chain_proxy_auth(const struct wk_upstream *up, char *line, size_t len);

/* The pool key for a connection through hop (NULL: direct). */
void wk_chain_key(const struct wk_upstream *hop, enum wk_chain_mode mode,
    const char *host, uint16_t port, char *key, size_t len);

#endif
