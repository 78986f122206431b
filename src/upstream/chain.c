/* src/upstream/chain.c: try the hops of a route in order. A hop is a TCP
 * connection (connector.c) to the destination or to an upstream proxy,
 * then, for a proxy, its handshake: HTTP CONNECT, SOCKS4, SOCKS4a or
 * SOCKS5 (with RFC 1929 user/password). Names go to SOCKS4a/5 upstreams
 * unresolved; SOCKS4 needs an IPv4 address, resolved here. */
#include "core/wk.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "config/conf.h"
#include "core/alloc.h"
#include "core/bug.h"
#include "core/netaddr.h"
#include "log/log.h"
#include "proto/http_parse.h"
#include "proto/socks_parse.h"
#include "upstream/chain.h"
#include "tls/tls.h"
#include "upstream/connector.h"
#include "worker/worker.h"

#define CHAIN_REPLY_MAX 16384 /* bytes of a proxy's handshake answer */

/* Where a hop's handshake stands. */
enum chain_step {
	CHAIN_TCP = 0,	  /* connecting to the hop */
	CHAIN_RESOLVE,	  /* SOCKS4: resolving the destination ourselves */
	CHAIN_HTTP_REPLY, /* sent CONNECT, reading the answer */
	CHAIN_S4_REPLY,	  /* sent the SOCKS4 request */
	CHAIN_S5_METHOD,  /* sent the greeting */
	CHAIN_S5_AUTH,	  /* sent user/password */
	CHAIN_S5_REPLY	  /* sent the request */
};

struct wk_chain {
	struct wk_worker *w;
	const struct wk_route *route;
	size_t next_hop;	       /* index of the hop to try next */
	const struct wk_upstream *hop; /* the hop being tried; NULL: direct */
	char *host;
	uint16_t port;
	enum wk_chain_mode mode;
	unsigned timeout_ms;
	wk_chain_cb cb;
	void *arg;
	enum chain_step step;
	struct wk_connect *conn;
	struct evdns_getaddrinfo_request *dns;
	uint8_t ip4[4]; /* SOCKS4: the destination's address */
	struct bufferevent *bev;
	struct event *timer;
	struct wk_chain_result res;
	/* calls in progress that may call back before they return (our
	 * start, the connector's, evdns'): the chain is freed after them */
	unsigned busy;
	bool done;	/* the callback ran */
	bool cancelled; /* waiting for the DNS callback to free us */
};

static void chain_next(struct wk_chain *c);
static void chain_tcp_cb(struct bufferevent *bev, enum wk_conn_err err,
    const struct sockaddr *peer, void *arg);
static void chain_dns_cb(int result, struct evutil_addrinfo *ai, void *arg);
static void chain_free(struct wk_chain *c);

/* After a call that may have called back: frees the chain if that finished
 * it and no outer call is still on the stack. Returns true if it is gone. */
static bool
chain_unbusy(struct wk_chain *c)
{
	if (--c->busy == 0 && c->done) {
		chain_free(c);
		return true;
	}
	return false;
}

/* A TCP connect to host:port, the hop's or the destination's. The
 * connector may report before it returns (IP literals, names that cannot
 * resolve, a connect refused at once); then its handle is NULL and what
 * the callback did (a next hop's connect, the end) stands. */
static void
chain_connect(struct wk_chain *c, const char *host, uint16_t port)
{
	struct wk_connect *conn;

	c->step = CHAIN_TCP;
	c->busy++;
	conn =
	    wk_connect_start(c->w, host, port, c->timeout_ms, chain_tcp_cb, c);
	if (conn != NULL)
		c->conn = conn;
	chain_unbusy(c);
}

/* SOCKS4 needs the destination's address: resolve it first. */
static void
chain_resolve(struct wk_chain *c)
{
	struct evutil_addrinfo hints = { .ai_family = AF_INET,
		.ai_socktype = SOCK_STREAM };
	struct evdns_getaddrinfo_request *req;

	c->step = CHAIN_RESOLVE;
	c->busy++;
	req = evdns_getaddrinfo(
	    c->w->dns, c->host, NULL, &hints, chain_dns_cb, c);
	if (req != NULL)
		c->dns = req;
	chain_unbusy(c);
}

void
wk_chain_key(const struct wk_upstream *hop, enum wk_chain_mode mode,
    const char *host, uint16_t port, char *key, size_t len)
{
	if (hop == NULL)
		snprintf(key, len, "%s:%u", host, port);
	else if (mode == WK_CHAIN_HTTP &&
	    (hop->kind == WK_UPSTREAM_HTTP || hop->kind == WK_UPSTREAM_HTTPS))
		snprintf(key, len, "proxy:%s", hop->name);
	else
		snprintf(key, len, "via:%s>%s:%u", hop->name, host, port);
}

static void
chain_free(struct wk_chain *c)
{
	if (c->conn != NULL)
		wk_connect_cancel(c->conn);
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	if (c->timer != NULL)
		event_free(c->timer);
	free(c->host);
	free(c);
}

static void
chain_finish(struct wk_chain *c, struct bufferevent *bev)
{
	c->cb(bev, &c->res, c->arg);
	if (c->busy > 0)
		c->done = true; /* the outermost call frees it */
	else
		chain_free(c);
}

static const char *
chain_hop_text(const struct wk_chain *c, char *buf, size_t len)
{
	if (c->hop == NULL)
		snprintf(buf, len, "%s:%u", c->host, c->port);
	else
		snprintf(buf, len, "upstream %s (%s %s:%u)", c->hop->name,
		    wk_upstream_kind_name(c->hop->kind), c->hop->host,
		    c->hop->port);
	return buf;
}

/* The current hop failed: note why, then try the next one. */
static void
chain_hop_failed(struct wk_chain *c, enum wk_conn_err err, const char *why)
{
	char hop[WK_HOST_MAX + 64];

	chain_hop_text(c, hop, sizeof(hop));
	c->res.err = err;
	c->res.hop = c->hop;
	snprintf(c->res.detail, sizeof(c->res.detail), "%s: %s", hop, why);
	if (c->hop != NULL)
		snprintf(c->res.via, sizeof(c->res.via), "%s:%s",
		    wk_upstream_kind_name(c->hop->kind), c->hop->name);
	else
		c->res.via[0] = '\0';
	if (c->route != NULL && c->next_hop < c->route->n_hops)
		wk_log_notice("%s: %s; trying the next hop", hop, why);
	if (c->bev != NULL) {
		bufferevent_free(c->bev);
		c->bev = NULL;
	}
	evtimer_del(c->timer);
	chain_next(c);
}

static void
chain_succeeded(struct wk_chain *c)
{
	struct bufferevent *bev = c->bev;

	evtimer_del(c->timer);
	c->bev = NULL;
	c->res.err = WK_CONN_OK;
	c->res.hop = c->hop;
	c->res.tls = c->hop != NULL && c->hop->kind == WK_UPSTREAM_HTTPS;
	c->res.socks_rep = -1;
	bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
	bufferevent_disable(bev, EV_READ | EV_WRITE);
	wk_chain_key(
	    c->hop, c->mode, c->host, c->port, c->res.key, sizeof(c->res.key));
	if (c->hop == NULL)
		wk_addr_str((struct sockaddr *)&c->res.peer, c->res.via,
		    sizeof(c->res.via));
	else
		snprintf(c->res.via, sizeof(c->res.via), "%s:%s",
		    wk_upstream_kind_name(c->hop->kind), c->hop->name);
	chain_finish(c, bev);
}

static void
chain_send(struct wk_chain *c, const void *p, size_t n)
{
	bufferevent_write(c->bev, p, n);
}

/* base64 for Proxy-Authorization: Basic. */
static void
chain_base64(const char *in, size_t n, char *out, size_t outlen)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;

	for (size_t i = 0; i < n && o + 5 < outlen; i += 3) {
		uint32_t v = (uint32_t)(uint8_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)(uint8_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= (uint8_t)in[i + 2];
		out[o++] = tab[(v >> 18) & 63];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? tab[v & 63] : '=';
	}
	out[o] = '\0';
}

void
wk_chain_proxy_auth(const struct wk_upstream *up, char *line, size_t len)
{
	char cred[600], b64[820];
	int n;

	line[0] = '\0';
	if (up == NULL || up->user == NULL)
		return;
	n = snprintf(cred, sizeof(cred), "%s:%s", up->user,
	    up->password ? up->password : "");
	if (n < 0 || (size_t)n >= sizeof(cred))
		return;
	chain_base64(cred, (size_t)n, b64, sizeof(b64));
	snprintf(line, len, "Proxy-Authorization: Basic %s\r\n", b64);
	explicit_bzero(cred, sizeof(cred));
}

static void
chain_target(const struct wk_chain *c, struct wk_socks_target *t)
{
	memset(t, 0, sizeof(*t));
	t->port = c->port;
	if (inet_pton(AF_INET, c->host, t->addr) == 1)
		t->atyp = WK_SOCKS_ATYP_IPV4;
	else if (inet_pton(AF_INET6, c->host, t->addr) == 1)
		t->atyp = WK_SOCKS_ATYP_IPV6;
	else {
		t->atyp = WK_SOCKS_ATYP_NAME;
		snprintf(t->name, sizeof(t->name), "%s", c->host);
	}
}

static void
chain_start_handshake(struct wk_chain *c)
{
	const struct wk_upstream *up = c->hop;
	uint8_t out[600];
	size_t n;

	switch (up->kind) {
	case WK_UPSTREAM_HTTP:
	case WK_UPSTREAM_HTTPS: {
		char auth[1024], req[WK_HOST_MAX * 2 + 1200];
		bool v6 = strchr(c->host, ':') != NULL;
		int len;

		if (c->mode == WK_CHAIN_HTTP) {
			/* the request itself goes to the proxy */
			c->res.absolute = true;
			chain_succeeded(c);
			return;
		}
		wk_chain_proxy_auth(up, auth, sizeof(auth));
		len = snprintf(req, sizeof(req),
		    "CONNECT %s%s%s:%u HTTP/1.1\r\nHost: %s%s%s:%u\r\n%s\r\n",
		    v6 ? "[" : "", c->host, v6 ? "]" : "", c->port,
		    v6 ? "[" : "", c->host, v6 ? "]" : "", c->port, auth);
		explicit_bzero(auth, sizeof(auth));
		chain_send(c, req, (size_t)len);
		explicit_bzero(req, sizeof(req));
		c->step = CHAIN_HTTP_REPLY;
		return;
	}
	case WK_UPSTREAM_SOCKS4:
	case WK_UPSTREAM_SOCKS4A: {
		struct wk_socks_target t;

		chain_target(c, &t);
		if (t.atyp == WK_SOCKS_ATYP_IPV6) {
			chain_hop_failed(c, WK_CONN_UNREACH,
			    "SOCKS4 cannot carry an IPv6 destination");
			return;
		}
		if (up->kind == WK_UPSTREAM_SOCKS4 &&
		    t.atyp == WK_SOCKS_ATYP_NAME) {
			t.atyp = WK_SOCKS_ATYP_IPV4;
			memcpy(t.addr, c->ip4, 4);
		}
		n = wk_socks4_build_request(out, sizeof(out),
		    WK_SOCKS_CMD_CONNECT, &t, up->user ? up->user : "");
		chain_send(c, out, n);
		c->step = CHAIN_S4_REPLY;
		return;
	}
	case WK_UPSTREAM_SOCKS5:
	default:
		n = wk_socks5_build_greeting(
		    out, sizeof(out), up->user != NULL);
		chain_send(c, out, n);
		c->step = CHAIN_S5_METHOD;
		return;
	}
}

static void
chain_send_s5_request(struct wk_chain *c)
{
	struct wk_socks_target t;
	uint8_t out[300];
	size_t n;

	chain_target(c, &t);
	n = wk_socks5_build_request(out, sizeof(out), WK_SOCKS_CMD_CONNECT, &t);
	chain_send(c, out, n);
	c->step = CHAIN_S5_REPLY;
}

static enum wk_conn_err
chain_err_for_rep(uint8_t rep)
{
	switch (rep) {
	case WK_SOCKS5_REP_REFUSED:
		return WK_CONN_REFUSED;
	case WK_SOCKS5_REP_NET_UNREACH:
	case WK_SOCKS5_REP_HOST_UNREACH:
		return WK_CONN_UNREACH;
	case WK_SOCKS5_REP_TTL:
		return WK_CONN_TIMEOUT;
	default:
		return WK_CONN_ERROR;
	}
}

/* Reads the hop's answer; returns when more is needed or the step moved. */
static void
chain_read_reply(struct wk_chain *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t len = WK_MIN(evbuffer_get_length(in), (size_t)CHAIN_REPLY_MAX);
	const uint8_t *p;
	enum wk_socks_err err = WK_SOCKS_OK;
	size_t used = 0;
	char why[160];
	int res;

	if (len == 0)
		return;
	p = evbuffer_pullup(in, (ev_ssize_t)len);
	switch (c->step) {
	case CHAIN_HTTP_REPLY: {
		struct wk_http_head h;
		struct wk_http_limits lim = { 8192, CHAIN_REPLY_MAX, 100 };
		struct wk_str m = { "CONNECT", 7 };
		enum wk_http_err herr = WK_HTTP_OK;

		res = wk_http_parse_response(
		    (const char *)p, len, &lim, m, &h, &herr);
		if (res == WK_PARSE_NEED_MORE) {
			if (len >= CHAIN_REPLY_MAX)
				chain_hop_failed(c, WK_CONN_ERROR,
				    "answer to CONNECT too long");
			return;
		}
		if (res == WK_PARSE_ERROR) {
			snprintf(why, sizeof(why), "bad answer to CONNECT: %s",
			    wk_http_err_str(herr));
			chain_hop_failed(c, WK_CONN_ERROR, why);
			return;
		}
		if (h.status >= 100 && h.status < 200) {
			evbuffer_drain(in, h.head_len);
			chain_read_reply(c);
			return;
		}
		c->res.http_status = h.status;
		if (h.status < 200 || h.status > 299) {
			snprintf(why, sizeof(why), "CONNECT answered %d %.*s",
			    h.status, (int)WK_MIN(h.reason.len, 60),
			    h.reason.p);
			chain_hop_failed(c,
			    h.status == 504 ? WK_CONN_TIMEOUT : WK_CONN_ERROR,
			    why);
			return;
		}
		/* bytes after the head are already the destination's */
		evbuffer_drain(in, h.head_len);
		chain_succeeded(c);
		return;
	}
	case CHAIN_S4_REPLY: {
		uint8_t code;

		res = wk_socks4_parse_reply(p, len, &code, &used, &err);
		if (res == WK_PARSE_NEED_MORE)
			return;
		if (res == WK_PARSE_ERROR) {
			chain_hop_failed(
			    c, WK_CONN_ERROR, wk_socks_err_str(err));
			return;
		}
		evbuffer_drain(in, used);
		if (code != WK_SOCKS4_GRANTED) {
			snprintf(why, sizeof(why),
			    "SOCKS4 request rejected "
			    "(0x%02x)",
			    code);
			chain_hop_failed(c, WK_CONN_REFUSED, why);
			return;
		}
		chain_succeeded(c);
		return;
	}
	case CHAIN_S5_METHOD: {
		uint8_t method;

		res = wk_socks5_parse_method(p, len, &method, &used, &err);
		if (res == WK_PARSE_NEED_MORE)
			return;
		if (res == WK_PARSE_ERROR) {
			chain_hop_failed(
			    c, WK_CONN_ERROR, wk_socks_err_str(err));
			return;
		}
		evbuffer_drain(in, used);
		if (method == WK_SOCKS5_METHOD_USERPASS && c->hop->user) {
			uint8_t out[600];
			size_t n =
			    wk_socks5_build_auth(out, sizeof(out), c->hop->user,
				c->hop->password ? c->hop->password : "");

			chain_send(c, out, n);
			explicit_bzero(out, sizeof(out));
			c->step = CHAIN_S5_AUTH;
			return;
		}
		if (method != WK_SOCKS5_METHOD_NONE) {
			chain_hop_failed(c, WK_CONN_ERROR,
			    method == WK_SOCKS5_METHOD_REFUSED ?
				"no acceptable authentication method" :
				"unexpected authentication method");
			return;
		}
		chain_send_s5_request(c);
		chain_read_reply(c);
		return;
	}
	case CHAIN_S5_AUTH: {
		uint8_t status;

		res = wk_socks5_parse_auth_status(p, len, &status, &used, &err);
		if (res == WK_PARSE_NEED_MORE)
			return;
		if (res == WK_PARSE_ERROR || status != 0) {
			chain_hop_failed(c, WK_CONN_ERROR,
			    res == WK_PARSE_ERROR ? wk_socks_err_str(err) :
						    "user/password refused");
			return;
		}
		evbuffer_drain(in, used);
		chain_send_s5_request(c);
		chain_read_reply(c);
		return;
	}
	case CHAIN_S5_REPLY: {
		struct wk_socks_target bound;
		uint8_t rep;

		res = wk_socks5_parse_reply(p, len, &rep, &bound, &used, &err);
		if (res == WK_PARSE_NEED_MORE)
			return;
		if (res == WK_PARSE_ERROR) {
			chain_hop_failed(
			    c, WK_CONN_ERROR, wk_socks_err_str(err));
			return;
		}
		evbuffer_drain(in, used);
		if (rep != WK_SOCKS5_REP_OK) {
			c->res.socks_rep = rep;
			snprintf(why, sizeof(why), "SOCKS5 reply 0x%02x %s",
			    rep, wk_socks5_rep_str(rep));
			chain_hop_failed(c, chain_err_for_rep(rep), why);
			return;
		}
		chain_succeeded(c);
		return;
	}
	default:
		return;
	}
}

static void
chain_read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	chain_read_reply(arg);
}

static void
chain_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct wk_chain *c = arg;

	(void)bev;
	chain_hop_failed(c, WK_CONN_ERROR,
	    (what & BEV_EVENT_EOF) ?
		"closed the connection during the handshake" :
		"connection error during the handshake");
}

/* The TLS handshake with an https upstream proxy ended. */
static void
chain_tls_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct wk_chain *c = arg;
	char why[512];

	if (what & BEV_EVENT_CONNECTED) {
		bufferevent_setcb(bev, chain_read_cb, NULL, chain_event_cb, c);
		chain_start_handshake(c);
		return;
	}
	wk_tls_error(bev, why, sizeof(why));
	chain_hop_failed(c, WK_CONN_ERROR, why);
}

static void
chain_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct wk_chain *c = arg;

	(void)fd, (void)what;
	chain_hop_failed(c, WK_CONN_TIMEOUT, "handshake timeout");
}

static void
chain_tcp_cb(struct bufferevent *bev, enum wk_conn_err err,
    const struct sockaddr *peer, void *arg)
{
	struct wk_chain *c = arg;
	struct timeval tv = { c->timeout_ms / 1000,
		(c->timeout_ms % 1000) * 1000 };

	c->conn = NULL;
	if (err != WK_CONN_OK) {
		chain_hop_failed(c, err, wk_conn_err_str(err));
		return;
	}
	memcpy(&c->res.peer, peer,
	    peer->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
					  sizeof(struct sockaddr_in));
	c->bev = bev;
	if (c->hop == NULL) {
		chain_succeeded(c);
		return;
	}
	evtimer_add(c->timer, &tv);
	if (c->hop->kind == WK_UPSTREAM_HTTPS) {
		/* TLS to the proxy first (verified: its credentials and our
		 * requests go inside), then its handshake */
		bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
		c->bev = wk_tls_connect(bufferevent_get_base(bev), bev,
		    wk_worker_conf(c->w), c->hop->host, c->hop->port, true);
		if (c->bev == NULL) {
			chain_hop_failed(c, WK_CONN_ERROR, "cannot set up TLS");
			return;
		}
		c->res.tls = true;
		bufferevent_setcb(c->bev, NULL, NULL, chain_tls_event_cb, c);
		bufferevent_enable(c->bev, EV_READ | EV_WRITE);
		return;
	}
	bufferevent_setcb(bev, chain_read_cb, NULL, chain_event_cb, c);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	chain_start_handshake(c);
}

static void
chain_dns_cb(int result, struct evutil_addrinfo *ai, void *arg)
{
	struct wk_chain *c = arg;

	c->dns = NULL;
	if (c->cancelled) {
		if (ai != NULL)
			evutil_freeaddrinfo(ai);
		chain_free(c);
		return;
	}
	if (result != 0 || ai == NULL) {
		if (ai != NULL)
			evutil_freeaddrinfo(ai);
		chain_hop_failed(
		    c, WK_CONN_DNS, "name not found (needed for SOCKS4)");
		return;
	}
	memcpy(c->ip4, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, 4);
	evutil_freeaddrinfo(ai);
	chain_connect(c, c->hop->host, c->hop->port);
}

/* Tries the next hop, or reports the last failure. */
static void
chain_next(struct wk_chain *c)
{
	size_t n_hops = c->route != NULL ? c->route->n_hops : 0;

	if (c->next_hop >= WK_MAX(n_hops, (size_t)1)) {
		chain_finish(c, NULL);
		return;
	}
	c->hop = n_hops > 0 ? c->route->hops[c->next_hop] : NULL;
	c->next_hop++;
	if (c->hop == NULL)
		chain_connect(c, c->host, c->port);
	else if (c->hop->kind == WK_UPSTREAM_SOCKS4 &&
	    !wk_host_is_ip_literal(c->host))
		chain_resolve(c);
	else
		chain_connect(c, c->hop->host, c->hop->port);
}

struct wk_chain *
wk_chain_start(struct wk_worker *w, const struct wk_route *route,
    const char *host, uint16_t port, enum wk_chain_mode mode,
    unsigned timeout_ms, wk_chain_cb cb, void *arg)
{
	struct wk_chain *c = wk_calloc(1, sizeof(*c));

	c->w = w;
	c->route = route;
	c->host = wk_strdup(host);
	c->port = port;
	c->mode = mode;
	c->timeout_ms = timeout_ms;
	c->cb = cb;
	c->arg = arg;
	c->res.socks_rep = -1;
	c->res.err = WK_CONN_ERROR;
	c->timer = evtimer_new(w->base, chain_timer_cb, c);
	c->busy++;
	chain_next(c);
	/* finished already (an answer, or every hop failed at once) */
	return chain_unbusy(c) ? NULL : c;
}

void
wk_chain_cancel(struct wk_chain *c)
{
	if (c == NULL)
		return;
	if (c->dns != NULL) {
		c->cancelled = true;
		evdns_getaddrinfo_cancel(c->dns);
		return;
	}
	chain_free(c);
}
