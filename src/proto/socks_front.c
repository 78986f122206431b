/* src/proto/socks_front.c: the SOCKS front-end. Negotiation is a small
 * state machine over the bytes in the client's input buffer, parsed by the
 * pure parsers in socks_parse.c; the destination is then reached through
 * the session's route (upstream/chain.c) and the session becomes a tunnel
 * (sess/relay.c). */
#include "core/wk.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "config/conf.h"
#include "core/alloc.h"
#include "core/bug.h"
#include "core/idna.h"
#include "core/netaddr.h"
#include "log/log.h"
#include "proto/socks_front.h"
#include "proto/socks_parse.h"
#include "sess/relay.h"
#include "sess/session.h"
#include "sess/intercept.h"
#include "sess/target.h"
#include "sys/autodial.h"
#include "sess/users.h"
#include "upstream/chain.h"
#include "worker/worker.h"

/* Where the negotiation stands. */
enum socks_step {
	SOCKS_GREETING = 0, /* SOCKS5 greeting, or the SOCKS4 request */
	SOCKS_AUTH,	    /* RFC 1929 user/password */
	SOCKS_REQUEST,	    /* SOCKS5 request */
	SOCKS_VERIFYING,    /* the password is being checked off the loop */
	SOCKS_CONNECTING,   /* the route is being tried */
	SOCKS_DONE	    /* tunnel up, or closing */
};

struct wk_socks_sess {
	int version; /* 4 or 5 */
	enum socks_step step;
	bool is_4a;
	char
	    user[256]; /* SOCKS4 user id or SOCKS5 user: the claimed identity */
	char host[WK_HOST_MAX];
	uint16_t port;
	struct wk_chain *chain;
	struct wk_target *target;     /* deciding the zone and route */
	struct wk_route_dyn *dyn;     /* a route from the PAC script */
	const struct wk_route *route; /* the route being tried */
	struct wk_dial_wait *dialing; /* waiting for the dial command */
	bool dialed;		      /* the dial ran for this request */
	struct wk_users_check *check;
};

static uint64_t
socks_wall_us(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec;
}

static const char *
socks_method_name(const struct wk_socks_sess *x)
{
	return x->version == 4 ? (x->is_4a ? "SOCKS4a" : "SOCKS4") : "SOCKS5";
}

/* Opens the access record of the request (once). */
static void
socks_begin_request(struct wk_sess *s)
{
	struct wk_socks_sess *x = s->socks;

	if (s->req.method != NULL)
		return;
	s->req.start_us = socks_wall_us();
	s->req.method = wk_strdup(socks_method_name(x));
	if (x->host[0] != '\0')
		s->req.target =
		    wk_asprintf(strchr(x->host, ':') ? "[%s]:%u" : "%s:%u",
			x->host, x->port);
	else
		s->req.target = wk_strdup("-");
}

static void
socks_write(struct wk_sess *s, const uint8_t *p, size_t n)
{
	evbuffer_add(bufferevent_get_output(s->cli), p, n);
	s->req.bytes_out += n;
}

/* Sends a refusal (SOCKS5 reply code, or 0x5B for SOCKS4) and closes once
 * it is written. status is the access log's HTTP-like code. */
static void
socks_fail(struct wk_sess *s, uint8_t rep5, int status, const char *why)
{
	struct wk_socks_sess *x = s->socks;
	uint8_t out[32];
	size_t n;

	socks_begin_request(s);
	if (x->version == 4)
		n = wk_socks4_build_reply(out, sizeof(out), WK_SOCKS4_REJECTED,
		    0, (const uint8_t[4]){ 0, 0, 0, 0 });
	else
		n = wk_socks5_build_reply(out, sizeof(out), rep5, NULL);
	socks_write(s, out, n);
	s->req.status = status;
	wk_log_info("sess %llu: %s %s: %s", (unsigned long long)s->id,
	    s->req.method, s->req.target, why);
	x->step = SOCKS_DONE;
	/* why may be a caller's buffer: keep a copy for the access line */
	free(s->req.reason_own);
	s->req.reason_own = wk_strdup(why);
	s->req.reason = s->req.reason_own;
	wk_sess_set_state(s, WK_SESS_ST_CLOSING);
	wk_sess_timer(s, 2000);
	wk_sess_reading(s, WK_SIDE_CLI, false);
	/* closed from the write callback once the reply is out (or at once
	 * by wk_sess_flush's trigger) */
}

/* A malformed negotiation: no reply is meaningful, just close. */
static void
socks_abort(struct wk_sess *s, const char *why)
{
	socks_begin_request(s);
	s->req.status = 400;
	wk_log_info("sess %llu: %s from %s: %s", (unsigned long long)s->id,
	    s->req.method, s->cli_str, why);
	wk_sess_close(s, why);
}

static uint8_t
socks_rep_for(enum wk_conn_err e)
{
	switch (e) {
	case WK_CONN_DNS:
		return WK_SOCKS5_REP_HOST_UNREACH;
	case WK_CONN_DNS_TIMEOUT:
	case WK_CONN_TIMEOUT:
		return WK_SOCKS5_REP_TTL;
	case WK_CONN_REFUSED:
		return WK_SOCKS5_REP_REFUSED;
	case WK_CONN_UNREACH:
		return WK_SOCKS5_REP_NET_UNREACH;
	default:
		return WK_SOCKS5_REP_FAILURE;
	}
}

static void socks_chain_cb(
    struct bufferevent *bev, const struct wk_chain_result *res, void *arg);

static void
socks_chain_start(struct wk_sess *s)
{
	struct wk_socks_sess *x = s->socks;
	struct wk_chain *ch = wk_chain_start(s->w, x->route, x->host, x->port,
	    WK_CHAIN_TUNNEL, s->conf->timeout.connect_ms, socks_chain_cb, s);

	if (ch != NULL) /* see wk_chain_start */
		x->chain = ch;
}

static void
socks_dial_cb(bool ok, const char *detail, void *arg)
{
	struct wk_sess *s = arg;
	struct wk_socks_sess *x = s->socks;

	WK_BUG_ON(s->magic != WK_SESS_MAGIC);
	x->dialing = NULL;
	wk_sess_enter(s);
	if (ok)
		socks_chain_start(s);
	else
		socks_fail(s, WK_SOCKS5_REP_NET_UNREACH, 502, detail);
	wk_sess_leave(s);
}

static void
socks_chain_cb(
    struct bufferevent *bev, const struct wk_chain_result *res, void *arg)
{
	struct wk_sess *s = arg;
	struct wk_socks_sess *x = s->socks;
	uint8_t out[32];
	size_t n;

	WK_BUG_ON(s->magic != WK_SESS_MAGIC);
	wk_sess_enter(s);
	x->chain = NULL;
	snprintf(s->req.upstream, sizeof(s->req.upstream), "%s", res->via);
	if (bev == NULL && !x->dialed && wk_dial_applies(s->conf, res->err)) {
		x->dialed = true;
		wk_log_info("sess %llu: %s: running the dial command",
		    (unsigned long long)s->id, res->detail);
		x->dialing = wk_dial_wait(s->w, s->conf, socks_dial_cb, s);
		wk_sess_leave(s);
		return;
	}
	if (bev == NULL) {
		uint8_t rep = res->socks_rep > 0 ? (uint8_t)res->socks_rep :
						   socks_rep_for(res->err);
		int status = res->err == WK_CONN_TIMEOUT ||
			res->err == WK_CONN_DNS_TIMEOUT ?
		    504 :
		    502;

		socks_fail(s, rep, status, res->detail);
		wk_sess_leave(s);
		return;
	}
	wk_sess_set_upstream(s, bev, &res->peer, res->tls);
	if (x->version == 4) {
		n = wk_socks4_build_reply(out, sizeof(out), WK_SOCKS4_GRANTED,
		    0, (const uint8_t[4]){ 0, 0, 0, 0 });
	} else {
		/* BND: the address our side of the connection has */
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		struct wk_socks_target b = { .atyp = WK_SOCKS_ATYP_IPV4 };

		if (getsockname(bufferevent_getfd(bev), (struct sockaddr *)&ss,
			&len) == 0) {
			if (ss.ss_family == AF_INET6) {
				const struct sockaddr_in6 *a = (void *)&ss;
				b.atyp = WK_SOCKS_ATYP_IPV6;
				memcpy(b.addr, &a->sin6_addr, 16);
				b.port = ntohs(a->sin6_port);
			} else if (ss.ss_family == AF_INET) {
				const struct sockaddr_in *a = (void *)&ss;
				memcpy(b.addr, &a->sin_addr, 4);
				b.port = ntohs(a->sin_port);
			}
		}
		n = wk_socks5_build_reply(
		    out, sizeof(out), WK_SOCKS5_REP_OK, &b);
	}
	socks_write(s, out, n);
	s->req.status = 200;
	x->step = SOCKS_DONE;
	bufferevent_setcb(s->up, NULL, NULL, NULL, NULL);
	bufferevent_disable(s->up, EV_READ | EV_WRITE);
	if (wk_intercept_wanted(s)) {
		/* the tunnel's line now; its requests get their own */
		const struct wk_zone *z = s->req.zone;

		char via[sizeof(s->req.upstream)];

		memcpy(via, s->req.upstream, sizeof(via));
		wk_sess_end_request(s, "intercepted");
		s->req.zone = z;
		memcpy(s->req.upstream, via, sizeof(via));
		wk_intercept_start(s, x->host, x->port, x->route);
	} else {
		wk_relay_start(s);
	}
	wk_sess_leave(s);
}

/* The zone and route are known: deny, or try the route. */
static void
socks_target_cb(struct wk_target_result *res, void *arg)
{
	struct wk_sess *s = arg;
	struct wk_socks_sess *x = s->socks;
	char why[512];

	WK_BUG_ON(s->magic != WK_SESS_MAGIC);
	x->target = NULL;
	wk_sess_enter(s);
	s->req.zone = res->hit.zone;
	if (res->verdict == WK_TARGET_DENY) {
		if (res->hit.term != NULL)
			snprintf(why, sizeof(why),
			    "%s is in zone \"%s\" (%s: match %s), which "
			    "denies it",
			    x->host, res->hit.zone->name, res->hit.term->where,
			    res->hit.term->text);
		else
			snprintf(why, sizeof(why),
			    "%s is in the default zone (%s), which denies it",
			    x->host, res->hit.zone->where);
		socks_fail(s, WK_SOCKS5_REP_NOT_ALLOWED, 403, why);
	} else if (res->verdict == WK_TARGET_FAIL) {
		socks_fail(s, WK_SOCKS5_REP_FAILURE, 502, res->detail);
	} else {
		x->dyn = res->dyn;
		res->dyn = NULL;
		x->route = res->route;
		if (wk_intercept_take_pooled(s, x->route, x->host, x->port)) {
			/* an intercepted tunnel on an idle TLS connection to
			 * the origin: no connect */
			struct wk_chain_result pooled = { .tls = true };

			memcpy(&pooled.peer, &s->up_addr, sizeof(pooled.peer));
			wk_addr_str((struct sockaddr *)&s->up_addr, pooled.via,
			    sizeof(pooled.via));
			socks_chain_cb(s->up, &pooled, s);
		} else {
			socks_chain_start(s);
		}
	}
	wk_sess_leave(s);
}

/* The destination is known: check the rules, then its zone. */
static void
socks_connect(struct wk_sess *s)
{
	struct wk_socks_sess *x = s->socks;
	char url[WK_HOST_MAX + 32];

	socks_begin_request(s);
	wk_sess_timer(s, 0);
	if (!wk_conf_client_allowed(
		s->conf, (const struct sockaddr *)&s->cli_addr)) {
		socks_fail(s, WK_SOCKS5_REP_NOT_ALLOWED, 403,
		    "client not allowed by the access rules");
		return;
	}
	x->step = SOCKS_CONNECTING;
	wk_sess_set_state(s, WK_SESS_ST_CONNECT);
	__atomic_add_fetch(&s->w->ctx->stats.requests, 1, __ATOMIC_RELAXED);
	wk_target_tunnel_url(x->host, x->port, url, sizeof(url));
	x->target = wk_target_start(
	    s->w, s->conf, url, x->host, x->port, socks_target_cb, s);
}

/* Fills x->host from a parsed target; false (and a refusal sent) when the
 * name is not valid. */
static bool
socks_set_target(struct wk_sess *s, const struct wk_socks_target *t)
{
	struct wk_socks_sess *x = s->socks;
	char err[160];

	x->port = t->port;
	switch (t->atyp) {
	case WK_SOCKS_ATYP_IPV4:
		inet_ntop(AF_INET, t->addr, x->host, sizeof(x->host));
		return true;
	case WK_SOCKS_ATYP_IPV6:
		inet_ntop(AF_INET6, t->addr, x->host, sizeof(x->host));
		return true;
	default:
		break;
	}
	if (wk_idna_host(t->name, strlen(t->name), false, x->host, err,
		sizeof(err)) < 0) {
		char shown[WK_HOST_MAX * 2];

		snprintf(shown, sizeof(shown), "%s", t->name);
		x->host[0] = '\0';
		socks_begin_request(s);
		free(s->req.target);
		s->req.target = wk_asprintf("%s:%u", shown, t->port);
		char why[WK_HOST_MAX * 2 + 200];
		snprintf(
		    why, sizeof(why), "invalid host name %s: %s", shown, err);
		socks_fail(s, WK_SOCKS5_REP_HOST_UNREACH, 400, why);
		return false;
	}
	if (strcmp(t->name, x->host) != 0) {
		char shown[600];
		wk_idna_display(
		    t->name, strlen(t->name), x->host, shown, sizeof(shown));
		wk_log_info("sess %llu: %s target %s",
		    (unsigned long long)s->id, socks_method_name(x), shown);
	}
	return true;
}

static void
socks_users_done(bool ok, void *arg)
{
	struct wk_sess *s = arg;
	struct wk_socks_sess *x = s->socks;
	uint8_t out[4];

	WK_BUG_ON(s->magic != WK_SESS_MAGIC);
	wk_sess_enter(s);
	x->check = NULL;
	if (!ok) {
		socks_begin_request(s);
		socks_write(
		    s, out, wk_socks5_build_auth_status(out, sizeof(out), 1));
		s->req.status = 403;
		wk_log_info("sess %llu: SOCKS5 from %s: bad credentials for "
			    "user \"%s\"",
		    (unsigned long long)s->id, s->cli_str, x->user);
		s->req.reason = "bad credentials";
		x->step = SOCKS_DONE;
		wk_sess_set_state(s, WK_SESS_ST_CLOSING);
		wk_sess_timer(s, 2000);
		wk_sess_reading(s, WK_SIDE_CLI, false);
	} else {
		socks_write(
		    s, out, wk_socks5_build_auth_status(out, sizeof(out), 0));
		x->step = SOCKS_REQUEST;
		/* the request may already be waiting */
		s->front->on_read(s, WK_SIDE_CLI);
	}
	wk_sess_leave(s);
}

/* One step of the negotiation on what the client sent so far. Returns
 * true when it made progress and may be called again. */
static bool
socks_step(struct wk_sess *s)
{
	struct wk_socks_sess *x = s->socks;
	struct evbuffer *in = bufferevent_get_input(s->cli);
	size_t len = WK_MIN(evbuffer_get_length(in), (size_t)1024);
	const uint8_t *p;
	enum wk_socks_err err = WK_SOCKS_OK;
	size_t used = 0;
	uint8_t out[32];
	int res;

	if (len == 0)
		return false;
	p = evbuffer_pullup(in, (ev_ssize_t)len);
	switch (x->step) {
	case SOCKS_GREETING:
		if (p[0] == 4) {
			struct wk_socks4_req r;

			x->version = 4;
			res = wk_socks4_parse_request(p, len, &r, &used, &err);
			if (res == WK_PARSE_NEED_MORE)
				return false;
			if (res == WK_PARSE_ERROR) {
				if (err == WK_SOCKS_E_COMMAND)
					socks_fail(s, 0, 501,
					    "SOCKS4 command not supported");
				else
					socks_abort(s, wk_socks_err_str(err));
				return false;
			}
			evbuffer_drain(in, used);
			s->req.bytes_in += used;
			x->is_4a = r.is_4a;
			snprintf(x->user, sizeof(x->user), "%s", r.userid);
			if (r.cmd != WK_SOCKS_CMD_CONNECT) {
				socks_fail(s, 0, 501,
				    "SOCKS4 BIND is not "
				    "supported");
				return false;
			}
			if (!socks_set_target(s, &r.t))
				return false;
			socks_connect(s);
			return false;
		}
		{
			struct wk_socks5_greeting g;
			uint8_t want;

			x->version = 5;
			res = wk_socks5_parse_greeting(p, len, &g, &used, &err);
			if (res == WK_PARSE_NEED_MORE)
				return false;
			if (res == WK_PARSE_ERROR) {
				socks_abort(s, wk_socks_err_str(err));
				return false;
			}
			evbuffer_drain(in, used);
			s->req.bytes_in += used;
			want = s->conf->users_file != NULL ?
			    WK_SOCKS5_METHOD_USERPASS :
			    WK_SOCKS5_METHOD_NONE;
			if (!wk_socks5_greeting_offers(&g, want)) {
				socks_begin_request(s);
				socks_write(s, out,
				    wk_socks5_build_method(out, sizeof(out),
					WK_SOCKS5_METHOD_REFUSED));
				s->req.status = 403;
				wk_log_info("sess %llu: SOCKS5 from %s: no "
					    "acceptable method (need %s)",
				    (unsigned long long)s->id, s->cli_str,
				    want ? "user/password" : "no-auth");
				s->req.reason = "no acceptable method";
				x->step = SOCKS_DONE;
				wk_sess_set_state(s, WK_SESS_ST_CLOSING);
				wk_sess_timer(s, 2000);
				wk_sess_reading(s, WK_SIDE_CLI, false);
				return false;
			}
			socks_write(s, out,
			    wk_socks5_build_method(out, sizeof(out), want));
			x->step = want == WK_SOCKS5_METHOD_USERPASS ?
			    SOCKS_AUTH :
			    SOCKS_REQUEST;
			return true;
		}
	case SOCKS_AUTH: {
		struct wk_socks5_auth a;

		res = wk_socks5_parse_auth(p, len, &a, &used, &err);
		if (res == WK_PARSE_NEED_MORE)
			return false;
		if (res == WK_PARSE_ERROR) {
			socks_abort(s, wk_socks_err_str(err));
			return false;
		}
		evbuffer_drain(in, used);
		s->req.bytes_in += used;
		snprintf(x->user, sizeof(x->user), "%s", a.user);
		x->step = SOCKS_VERIFYING;
		/* hashing takes milliseconds: never on the event loop */
		x->check = wk_users_check_start(s->w, s->conf->users_file,
		    a.user, a.pass, socks_users_done, s);
		explicit_bzero(&a, sizeof(a));
		return false;
	}
	case SOCKS_REQUEST: {
		struct wk_socks5_req r;

		res = wk_socks5_parse_request(p, len, &r, &used, &err);
		if (res == WK_PARSE_NEED_MORE)
			return false;
		if (res == WK_PARSE_ERROR) {
			if (err == WK_SOCKS_E_COMMAND)
				socks_fail(s, WK_SOCKS5_REP_CMD, 501,
				    "SOCKS5 command not supported");
			else if (err == WK_SOCKS_E_ATYP)
				socks_fail(s, WK_SOCKS5_REP_ATYP, 501,
				    "SOCKS5 address type not supported");
			else
				socks_fail(s, WK_SOCKS5_REP_FAILURE, 400,
				    wk_socks_err_str(err));
			return false;
		}
		evbuffer_drain(in, used);
		s->req.bytes_in += used;
		if (r.cmd == WK_SOCKS_CMD_BIND) {
			socks_fail(s, WK_SOCKS5_REP_CMD, 501,
			    "SOCKS5 BIND is not supported");
			return false;
		}
		if (!socks_set_target(s, &r.t))
			return false;
		if (r.cmd == WK_SOCKS_CMD_UDP) {
			socks_begin_request(s);
			free(s->req.method);
			s->req.method = wk_strdup("SOCKS5-UDP");
			wk_socks_udp_start(s, &r.t);
			return false;
		}
		socks_connect(s);
		return false;
	}
	default:
		/* connecting or done: early tunnel bytes wait their turn */
		return false;
	}
}

static void
socks_on_read(struct wk_sess *s, int side)
{
	if (side != WK_SIDE_CLI)
		return;
	if (s->state == WK_SESS_ST_CLOSING) {
		struct evbuffer *in = bufferevent_get_input(s->cli);
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	while (!s->dead && socks_step(s))
		;
}

static void
socks_on_close(struct wk_sess *s, int side, short what)
{
	(void)side;
	if (s->socks->step == SOCKS_DONE && s->req.status == 0)
		s->req.status = 400;
	wk_sess_close(s,
	    (what & BEV_EVENT_EOF)	   ? "client closed" :
		(what & BEV_EVENT_TIMEOUT) ? "client not reading" :
					     "client connection error");
}

static void
socks_on_timeout(struct wk_sess *s)
{
	switch (s->state) {
	case WK_SESS_ST_TUNNEL:
		wk_relay_on_timeout(s);
		break;
	case WK_SESS_ST_CLOSING:
		wk_sess_close(s, s->req.reason ? s->req.reason : "closed");
		break;
	case WK_SESS_ST_UDP:
		wk_socks_udp_on_timeout(s);
		break;
	default:
		socks_begin_request(s);
		s->req.status = 408;
		wk_sess_close(s, "SOCKS negotiation timeout");
		break;
	}
}

static void
socks_cli_write_cb(struct bufferevent *bev, void *arg)
{
	struct wk_sess *s = arg;

	WK_BUG_ON(s->magic != WK_SESS_MAGIC);
	if (evbuffer_get_length(bufferevent_get_output(bev)) != 0)
		return;
	bufferevent_disable(bev, EV_WRITE); /* see wk_sess_flush */
	if (s->state == WK_SESS_ST_CLOSING) {
		wk_sess_enter(s);
		wk_sess_close(s, s->req.reason ? s->req.reason : "closed");
		wk_sess_leave(s);
	}
}

static void
socks_cli_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct wk_sess *s = arg;

	(void)bev;
	WK_BUG_ON(s->magic != WK_SESS_MAGIC);
	wk_sess_enter(s);
	socks_on_close(s, WK_SIDE_CLI, what);
	wk_sess_leave(s);
}

const struct wk_front_ops wk_socks_front = {
	.name = "socks",
	.on_read = socks_on_read,
	.on_close = socks_on_close,
	.on_timeout = socks_on_timeout,
};

void
wk_socks_start(struct wk_sess *s)
{
	s->front = &wk_socks_front;
	s->socks = wk_calloc(1, sizeof(*s->socks));
	s->head_started = true;
	bufferevent_setcb(
	    s->cli, NULL, socks_cli_write_cb, socks_cli_event_cb, s);
	/* the header-read bound (armed at the first byte) covers the whole
	 * negotiation */
	wk_sess_set_state(s, WK_SESS_ST_HEAD);
	socks_on_read(s, WK_SIDE_CLI);
}

void
wk_socks_free(struct wk_sess *s)
{
	struct wk_socks_sess *x = s->socks;

	if (x == NULL)
		return;
	if (x->chain != NULL)
		wk_chain_cancel(x->chain);
	wk_target_cancel(x->target);
	wk_dial_cancel(x->dialing);
	wk_route_dyn_free(x->dyn);
	if (x->check != NULL)
		wk_users_check_cancel(x->check);
	wk_socks_udp_free(s);
	free(x);
	s->socks = NULL;
}
