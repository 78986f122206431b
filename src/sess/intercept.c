/* src/sess/intercept.c: TLS interception of a tunnel whose zone says
 * `intercept on`. The client's first bytes are read: not TLS, the tunnel
 * is relayed unchanged; a ClientHello, its SNI (or the tunnel's host)
 * names the leaf the local CA mints, the client's side becomes a TLS
 * server bufferevent and the origin's side a verified TLS client one.
 * Once both handshakes are done the session runs the HTTP engine on the
 * decrypted stream; an origin whose TLS fails gets the client a 502 page
 * saying why, over the client's TLS. */
#include "core/wk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "config/conf.h"
#include "core/bug.h"
#include "core/alloc.h"
#include "core/idna.h"
#include "log/log.h"
#include "proto/http_front.h"
#include "proto/tls_hello.h"
#include "sess/intercept.h"
#include "sess/relay.h"
#include "sess/session.h"
#include "tls/tls.h"
#include "upstream/chain.h"
#include "upstream/pool.h"
#include "worker/worker.h"
#include "zone/zone.h"

#define INTERCEPT_HELLO_MAX (64 * 1024) /* bytes read looking for it */

static const struct wk_front_ops intercept_sniff_ops;
static const struct wk_front_ops intercept_wait_ops;

/* Both handshakes are done, or the origin's failed: on to HTTP. */
static void
intercept_ready(struct wk_sess *s)
{
	if (!s->tls_cli_done || (!s->tls_up_done && s->tls_up_err == NULL))
		return;
	wk_log_info("sess %llu: intercepting %s:%u (client %s, origin %s)",
	    (unsigned long long)s->id, s->tls_host, s->tls_port,
	    wk_tls_version(s->cli),
	    s->tls_up_err != NULL ? "failed" :
		s->up != NULL	  ? wk_tls_version(s->up) :
				    "connected at the first request");
	wk_http_start_intercepted(s);
}

static void
intercept_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct wk_sess *s = arg;

	wk_sess_enter(s);
	if (what & BEV_EVENT_CONNECTED) {
		if (bev == s->cli)
			s->tls_cli_done = true;
		else
			s->tls_up_done = true;
		intercept_ready(s);
	} else {
		s->front->on_close(
		    s, bev == s->cli ? WK_SIDE_CLI : WK_SIDE_UP, what);
	}
	wk_sess_leave(s);
}

static void
intercept_wait_close(struct wk_sess *s, int side, short what)
{
	char why[512];

	(void)what;
	if (side == WK_SIDE_CLI) {
		wk_tls_error(s->cli, why, sizeof(why));
		wk_log_info("sess %llu: client TLS with %s: %s",
		    (unsigned long long)s->id, s->tls_host, why);
		wk_sess_close(s, "client TLS handshake failed");
		return;
	}
	if (s->tls_up_err != NULL || s->up == NULL)
		return; /* already reported */
	wk_tls_error(s->up, why, sizeof(why));
	wk_log_notice("sess %llu: TLS to %s:%u: %s", (unsigned long long)s->id,
	    s->tls_host, s->tls_port, why);
	s->tls_up_err = wk_strdup(why);
	/* nothing more comes from it: the client's requests get the 502 */
	wk_sess_drop_upstream(s, false);
	intercept_ready(s);
}

static void
intercept_timeout(struct wk_sess *s)
{
	wk_sess_close(s,
	    s->front == &intercept_sniff_ops ? "no ClientHello in time" :
					       "TLS handshake timeout");
}

static void
intercept_wait_read(struct wk_sess *s, int side)
{
	(void)s, (void)side; /* nothing is read before HTTP takes over */
}

/* The ClientHello is complete: mint, wrap both sides. */
static void
intercept_tls(struct wk_sess *s, const struct wk_tls_hello *h)
{
	const struct wk_zone *z = s->req.zone;
	struct event_base *base = s->w->base;
	char name[WK_HOST_MAX], why[256];
	struct bufferevent *cli, *up;
	bool verify = z == NULL || !z->tls_noverify;

	snprintf(name, sizeof(name), "%s", s->tls_host);
	if (h->has_sni && !h->sni_is_ip &&
	    wk_idna_host(
		h->sni, strlen(h->sni), false, name, why, sizeof(why)) < 0)
		snprintf(name, sizeof(name), "%s", s->tls_host);
	wk_sess_reading(s, WK_SIDE_CLI, false);
	cli = wk_tls_accept(base, s->cli, name, why, sizeof(why));
	if (cli == NULL) {
		wk_log_err("sess %llu: cannot intercept %s: %s",
		    (unsigned long long)s->id, name, why);
		wk_sess_close(s, "interception failed");
		return;
	}
	s->front = &intercept_wait_ops;
	wk_sess_set_tls(s, WK_SIDE_CLI, cli);
	wk_sess_setcb(s, WK_SIDE_CLI, NULL, intercept_event_cb);
	wk_sess_reading(s, WK_SIDE_CLI, true);
	if (!verify)
		wk_log_warnx("sess %llu: TLS to %s:%u is NOT verified "
			     "(tls-verify off in zone %s): testing only",
		    (unsigned long long)s->id, s->tls_host, s->tls_port,
		    z->name);
	s->tls_verify = verify;
	/* the origin is checked against the name the client asked for (a
	 * SOCKS4 client's tunnel has only an address) */
	if (strcmp(name, s->tls_host) != 0) {
		free(s->tls_host);
		s->tls_host = wk_strdup(name);
	}
	if (!verify || strcmp(s->tls_host, s->tls_dest) != 0)
		s->tls_share = false;
	if (s->tls_up_pooled) {
		/* a pooled connection, verified for tls_dest: if that is the
		 * name, it serves; if not, back it goes, and the first request
		 * connects */
		s->tls_up_done = true;
		if (!s->tls_share)
			wk_sess_park_upstream(s, s->tls_key);
		s->tls_up_pooled = false;
		bufferevent_trigger(
		    bufferevent_get_underlying(cli), EV_READ, 0);
		return;
	}
	if (s->up == NULL) {
		/* no connection yet: the first request makes it */
		s->tls_up_done = true;
		bufferevent_trigger(
		    bufferevent_get_underlying(cli), EV_READ, 0);
		return;
	}
	bufferevent_disable(s->up, EV_READ | EV_WRITE);
	bufferevent_setcb(s->up, NULL, NULL, NULL, NULL);
	up = wk_tls_connect(
	    base, s->up, s->conf, s->tls_host, s->tls_port, verify);
	if (up == NULL) {
		wk_sess_close(s, "cannot set up TLS to the origin");
		return;
	}
	wk_sess_set_tls(s, WK_SIDE_UP, up);
	wk_sess_setcb(s, WK_SIDE_UP, NULL, intercept_event_cb);
	wk_sess_reading(s, WK_SIDE_UP, true);
	/* the ClientHello is already in the client's input: let the TLS
	 * filter see it now, not at the next byte */
	bufferevent_trigger(bufferevent_get_underlying(cli), EV_READ, 0);
}

/* A plain connection for a tunnel that began on a pooled TLS one and
 * turned out not to be TLS: the relay starts once it is up. */
static void
intercept_raw_cb(
    struct bufferevent *bev, const struct wk_chain_result *res, void *arg)
{
	struct wk_sess *s = arg;

	WK_BUG_ON(s->magic != WK_SESS_MAGIC);
	s->connecting = NULL;
	wk_sess_enter(s);
	if (bev == NULL) {
		wk_log_info("sess %llu: %s:%u: %s", (unsigned long long)s->id,
		    s->tls_dest, s->tls_port, res->detail);
		wk_sess_close(s, "connect failed");
	} else {
		wk_sess_set_upstream(s, bev, &res->peer, res->tls);
		bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
		bufferevent_disable(bev, EV_READ | EV_WRITE);
		s->front = s->tls_prev_front;
		wk_relay_start(s);
	}
	wk_sess_leave(s);
}

static void
intercept_raw_connect(struct wk_sess *s)
{
	wk_sess_park_upstream(s, s->tls_key);
	s->tls_up_pooled = false;
	wk_sess_reading(s, WK_SIDE_CLI, false);
	struct wk_chain *ch = wk_chain_start(s->w, s->tls_route, s->tls_dest,
	    s->tls_port, WK_CHAIN_TUNNEL, s->conf->timeout.connect_ms,
	    intercept_raw_cb, s);

	if (ch != NULL) /* see wk_chain_start */
		s->connecting = ch;
}

static void
intercept_sniff_read(struct wk_sess *s, int side)
{
	struct evbuffer *in;
	struct wk_tls_hello h;
	size_t len;
	int res;

	if (side != WK_SIDE_CLI)
		return; /* the origin speaks after the client here */
	in = bufferevent_get_input(s->cli);
	len = WK_MIN(evbuffer_get_length(in), (size_t)INTERCEPT_HELLO_MAX);
	res = wk_tls_hello_parse(evbuffer_pullup(in, (ev_ssize_t)len), len, &h);
	switch (res) {
	case WK_TLS_HELLO_NEED_MORE:
		if (len >= INTERCEPT_HELLO_MAX)
			wk_sess_close(s, "ClientHello too large");
		return;
	case WK_TLS_HELLO_NOT_TLS:
		/* not TLS: the bytes pass through unchanged */
		wk_log_info("sess %llu: %s:%u: not TLS, tunnelled as is",
		    (unsigned long long)s->id, s->tls_host, s->tls_port);
		if (s->tls_up_pooled) {
			intercept_raw_connect(s);
			return;
		}
		s->front = s->tls_prev_front;
		wk_relay_start(s);
		return;
	case WK_TLS_HELLO_ERROR:
		wk_log_info("sess %llu: %s:%u: malformed ClientHello",
		    (unsigned long long)s->id, s->tls_host, s->tls_port);
		wk_sess_close(s, "malformed ClientHello");
		return;
	default:
		intercept_tls(s, &h);
		return;
	}
}

static void
intercept_sniff_close(struct wk_sess *s, int side, short what)
{
	(void)side, (void)what;
	wk_sess_close(s, "closed before TLS");
}

static const struct wk_front_ops intercept_sniff_ops = {
	.name = "intercept",
	.on_read = intercept_sniff_read,
	.on_close = intercept_sniff_close,
	.on_timeout = intercept_timeout,
};

static const struct wk_front_ops intercept_wait_ops = {
	.name = "intercept",
	.on_read = intercept_wait_read,
	.on_close = intercept_wait_close,
	.on_timeout = intercept_timeout,
};

bool
wk_intercept_wanted(const struct wk_sess *s)
{
	return s->req.zone != NULL && s->req.zone->intercept &&
	    wk_tls_ca() != NULL;
}

void
wk_intercept_pool_key(const struct wk_route *route, const char *host,
    uint16_t port, char *key, size_t len)
{
	WK_BUG_ON(len < 8);
	memcpy(key, "tls:", 4);
	wk_chain_key(route != NULL && route->n_hops > 0 ? route->hops[0] : NULL,
	    WK_CHAIN_TUNNEL, host, port, key + 4, len - 4);
}

struct bufferevent *
wk_intercept_take_pooled(struct wk_sess *s, const struct wk_route *route,
    const char *host, uint16_t port)
{
	char key[WK_HOST_MAX + 96];
	struct bufferevent *bev;
	struct event *idle_ev;

	if (!wk_intercept_wanted(s) || s->req.zone->tls_noverify)
		return NULL;
	wk_intercept_pool_key(route, host, port, key, sizeof(key));
	bev = wk_pool_take(s->w->pool, key, &s->up_addr, &idle_ev);
	if (bev == NULL)
		return NULL;
	event_free(idle_ev);
	s->up = bev;
	wk_sess_set_tls(s, WK_SIDE_UP, bev);
	s->tls_up_pooled = true;
	return bev;
}

void
wk_intercept_start(struct wk_sess *s, const char *host, uint16_t port,
    const struct wk_route *route)
{
	const struct wk_zone *z = s->req.zone;
	char key[WK_HOST_MAX + 96];

	free(s->tls_host);
	s->tls_host = wk_strdup(host);
	free(s->tls_dest);
	s->tls_dest = wk_strdup(host);
	s->tls_port = port;
	s->tls_route = route;
	s->tls_verify = z == NULL || !z->tls_noverify;
	wk_intercept_pool_key(route, host, port, key, sizeof(key));
	free(s->tls_key);
	s->tls_key = wk_strdup(key);
	s->tls_share = s->tls_verify;
	free(s->tls_via);
	s->tls_via = s->req.upstream[0] ? wk_strdup(s->req.upstream) : NULL;
	s->tls_prev_front = s->front;
	s->front = &intercept_sniff_ops;
	/* the client speaks first; the origin waits */
	wk_sess_reading(s, WK_SIDE_UP, false);
	if (s->up != NULL)
		bufferevent_disable(s->up, EV_READ | EV_WRITE);
	wk_sess_set_state(s, WK_SESS_ST_HEAD);
	s->read_limit[WK_SIDE_CLI] = INTERCEPT_HELLO_MAX;
	wk_sess_reading(s, WK_SIDE_CLI, true);
	wk_sess_timer(s, s->conf->timeout.header_read_ms);
	if (evbuffer_get_length(bufferevent_get_input(s->cli)) > 0)
		intercept_sniff_read(s, WK_SIDE_CLI);
}
