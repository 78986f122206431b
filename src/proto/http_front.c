/* src/proto/http_front.c: the HTTP/1.1 engine. One request at a time per
 * client connection: pipelined requests wait in the input buffer and are
 * answered in order. Bodies stream with back-pressure in both directions;
 * chunked framing is validated as it passes (never buffered whole). */
#include "core/wk.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "admin/status.h"
#include "config/conf.h"
#include "core/alloc.h"
#include "core/bug.h"
#include "worker/worker.h"
#include "log/log.h"
#include "proto/http_front.h"
#include "proto/http_int.h"
#include "proto/http_parse.h"
#include "core/idna.h"
#include "proto/http_rewrite.h"
#include "proto/socks_front.h"
#include "sess/errpage.h"
#include "sess/relay.h"
#include "sess/session.h"
#include "cookie/cookies.h"
#include "proto/http_cookies.h"
#include "proto/http_decode.h"
#include "zone/zone.h"
#include "sess/intercept.h"
#include "sess/target.h"
#include "tls/tls.h"
#include "sys/autodial.h"
#include "upstream/chain.h"
#include "upstream/connector.h"
#include "upstream/origin_ver.h"
#include "upstream/pool.h"

#define LINGER_MS 2000 /* read and discard after an error response */

static void http_read_head(struct wk_sess *s);
static void http_up_write_cb(struct bufferevent *bev, void *arg);
static void http_up_event_cb(struct bufferevent *bev, short what, void *arg);

uint64_t
wk_http_wall_us(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec;
}

const char *
wk_http_via(struct wk_sess *s)
{
	return s->conf->via_name ? s->conf->via_name : "wicket";
}

static char *
str_dup(struct wk_str v)
{
	return wk_strndup(v.p, v.len);
}

/* --- closing ------------------------------------------------------------ */

/* Output flushed: send FIN, then read and discard for a while so the client
 * sees our response instead of a reset (nginx lingering close). */
static void http_tls_drained(struct wk_sess *s);

static void
http_closing_flushed(struct wk_sess *s)
{
	if (s->lingering || wk_sess_tls_pending(s, http_tls_drained))
		return;
	if (s->cli_eof) {
		wk_sess_close(s, s->req.reason ? s->req.reason : "closed");
		return;
	}
	s->lingering = true;
	shutdown(s->cli_fd, SHUT_WR);
	wk_sess_reading(s, WK_SIDE_CLI, true);
	wk_sess_timer(s, LINGER_MS);
}

static void
http_tls_drained(struct wk_sess *s)
{
	if (s->state == WK_SESS_ST_CLOSING)
		http_closing_flushed(s);
}

void
wk_http_close_after_flush(struct wk_sess *s, const char *reason)
{
	wk_sess_end_request(s, reason);
	wk_sess_drop_upstream(s, false);
	wk_sess_set_state(s, WK_SESS_ST_CLOSING);
	wk_sess_timer(s, s->conf->timeout.upstream_response_ms);
	s->req.reason = reason;
	if (evbuffer_get_length(bufferevent_get_output(s->cli)) == 0)
		http_closing_flushed(s);
}

/* Waits for the next request on a kept-alive connection. */
static void
http_next_request(struct wk_sess *s)
{
	struct wk_config *c = wk_worker_conf(s->w);

	if (c != s->conf) {
		wk_conf_unref(s->conf);
		s->conf = wk_conf_ref(c);
	}
	wk_sess_set_state(s, WK_SESS_ST_HEAD);
	s->head_started = false;
	s->requests++;
	s->cli_paused = false;
	wk_sess_reading(s, WK_SIDE_CLI, true);
	wk_sess_timer(s, s->conf->timeout.keepalive_ms);
	/* a pipelined request already waiting is read from a fresh callback,
	 * so a long pipeline never deepens the stack */
	if (evbuffer_get_length(bufferevent_get_input(s->cli)) > 0)
		wk_sess_reread(s, WK_SIDE_CLI);
}

/* The request is over: on to the next one on this connection, or close
 * once the output is written. */
void
wk_http_finish(struct wk_sess *s, bool keep, const char *reason)
{
	if (!keep) {
		wk_http_close_after_flush(s, reason);
		return;
	}
	wk_sess_end_request(s, reason);
	http_next_request(s);
}

/* Sends an error of our own for the current request. keep is honoured only
 * when nothing of the request is left unread. */
void
wk_http_error(struct wk_sess *s, int status, const char *code, bool keep,
    const char *fmt, ...)
{
	struct wk_req *r = &s->req;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	keep = keep && r->keep_alive && r->body_done && !s->w->draining &&
	    !s->cli_eof;
	r->status = status;
	r->bytes_out += wk_errpage_write(bufferevent_get_output(s->cli), status,
	    code, msg, keep, r->client_http10, wk_http_via(s));
	wk_log_info("sess %llu: %s %s: %d %s", (unsigned long long)s->id,
	    r->method ? r->method : "-", r->target ? r->target : "-", status,
	    msg);
	wk_sess_drop_upstream(s, false);
	wk_http_finish(s, keep, code);
}

/* --- the client side --------------------------------------------------- */

static void
http_cli_read(struct wk_sess *s)
{
	switch (s->state) {
	case WK_SESS_ST_HEAD:
		http_read_head(s);
		break;
	case WK_SESS_ST_FORWARD:
		if (s->req.spooling)
			wk_http_spool_read(s);
		else if (!s->req.body_done && s->up != NULL &&
		    s->req.spool == NULL)
			wk_http_req_body(s);
		break;
	case WK_SESS_ST_CLOSING:
		evbuffer_drain(bufferevent_get_input(s->cli),
		    evbuffer_get_length(bufferevent_get_input(s->cli)));
		break;
	default:
		/* CONNECT, LOCAL: the bytes wait for their turn */
		break;
	}
}

static void
http_cli_write_cb(struct bufferevent *bev, void *arg)
{
	struct wk_sess *s = arg;
	struct evbuffer *out = bufferevent_get_output(bev);

	WK_BUG_ON(s->magic != WK_SESS_MAGIC);
	if (evbuffer_get_length(out) == 0)
		bufferevent_disable(bev, EV_WRITE); /* see wk_sess_flush */
	wk_sess_enter(s);
	s->last_active_ms = wk_sess_now_ms(s);
	switch (s->state) {
	case WK_SESS_ST_FORWARD:
		if (s->up_paused && s->up != NULL) {
			s->up_paused = false;
			if (!s->req.resp_ended)
				wk_sess_reading(s, WK_SIDE_UP, true);
			wk_http_resp_body(s);
		} else if (s->req.decode != NULL &&
		    s->req.resp == WK_RESP_BODY && s->up != NULL) {
			/* a decoding on the pool sees the output drain */
			wk_http_resp_body(s);
		}
		break;
	case WK_SESS_ST_CLOSING:
		if (evbuffer_get_length(out) == 0)
			http_closing_flushed(s);
		break;
	default:
		break;
	}
	wk_sess_leave(s);
}

static void
http_cli_event(struct wk_sess *s, short what)
{
	if (what & BEV_EVENT_EOF) {
		s->cli_eof = true;
		switch (s->state) {
		case WK_SESS_ST_HEAD:
			wk_sess_close(s,
			    s->head_started ?
				"client closed during the request head" :
				"client closed");
			break;
		case WK_SESS_ST_FORWARD:
			/* a client may half-close after its request: the
			 * response still goes out, then we close */
			if (!s->req.body_done)
				wk_sess_close(
				    s, "client closed during the request body");
			break;
		case WK_SESS_ST_CLOSING:
			if (s->lingering)
				wk_sess_close(s,
				    s->req.reason ? s->req.reason : "closed");
			break;
		default:
			break;
		}
	} else if (what & BEV_EVENT_TIMEOUT) {
		wk_sess_close(s, "client not reading");
	} else {
		wk_sess_close(s, "client connection error");
	}
}

static void
http_cli_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct wk_sess *s = arg;

	(void)bev;
	WK_BUG_ON(s->magic != WK_SESS_MAGIC);
	wk_sess_enter(s);
	http_cli_event(s, what);
	wk_sess_leave(s);
}

/* --- requests ------------------------------------------------------------ */

static bool
is_our_address(struct wk_sess *s, const struct wk_http_head *h)
{
	char host[256];

	if (h->host.len == 0 || h->host.len >= sizeof(host))
		return false;
	memcpy(host, h->host.p, h->host.len);
	host[h->host.len] = '\0';
	for (size_t i = 0; i < s->conf->n_listens; i++) {
		const struct wk_listen *l = &s->conf->listens[i];
		char a[WK_ADDRSTRLEN];
		uint16_t port;

		wk_addr_str((const struct sockaddr *)&l->addr, a, sizeof(a));
		port = l->addr.ss_family == AF_INET6 ?
		    ntohs(((const struct sockaddr_in6 *)&l->addr)->sin6_port) :
		    ntohs(((const struct sockaddr_in *)&l->addr)->sin_port);
		if (port != h->port)
			continue;
		/* a is "ip:port" or "[ip]:port" */
		char *colon = strrchr(a, ':');
		*colon = '\0';
		const char *ip = a[0] == '[' ? a + 1 : a;
		if (a[0] == '[')
			colon[-1] = '\0';
		if (strcasecmp(ip, host) == 0 ||
		    (strcasecmp(host, "localhost") == 0 &&
			strncmp(ip, "127.", 4) == 0))
			return true;
	}
	return false;
}

/* How many Via entries name us. A chain of wickets is legitimate; the
 * same request coming through this many times is a loop. */
#define HTTP_MAX_OWN_VIA 3

static int
http_via_count(const struct wk_http_head *h, const char *name)
{
	size_t from = 0, n = strlen(name);
	const struct wk_http_field *f;
	int count = 0;

	while ((f = wk_http_find(h, "via", &from)) != NULL) {
		const char *p = f->value.p, *end = p + f->value.len;

		/* entries look like "1.1 name" or "1.1 name (comment)" */
		while (p < end) {
			const char *q = memchr(p, ' ', (size_t)(end - p));

			if (q == NULL)
				break;
			p = q + 1;
			if ((size_t)(end - p) >= n &&
			    strncmp(p, name, n) == 0 &&
			    (p + n == end || p[n] == ',' || p[n] == ' '))
				count++;
		}
	}
	return count;
}

static void
http_local(struct wk_sess *s, const struct wk_http_head *h)
{
	struct wk_req *r = &s->req;
	size_t written = 0;
	bool keep =
	    r->keep_alive && r->body == WK_HTTP_BODY_NONE && !s->w->draining;
	struct wk_str path = h->target;
	bool slash = false;

	if (h->target_form == WK_HTTP_TARGET_ABSOLUTE)
		path = wk_http_target_path(h->target, &slash);
	if (slash && path.len == 0)
		path.p = "/", path.len = 1;
	struct sockaddr_storage local;
	socklen_t llen = sizeof(local);

	memset(&local, 0, sizeof(local));
	if (getsockname(s->cli_fd, (struct sockaddr *)&local, &llen) < 0)
		local.ss_family = AF_UNSPEC;
	r->status = wk_status_respond(s->w, s->conf, (struct sockaddr *)&local,
	    r->method, path.p, path.len, bufferevent_get_output(s->cli), keep,
	    r->client_http10, wk_http_via(s), &written);
	r->bytes_out += written;
	evbuffer_drain(bufferevent_get_input(s->cli), h->head_len);
	r->body_done = true;
	wk_http_finish(s, keep, "local page");
}

/* Sets up a request from its parsed head. Returns false when an error
 * response was sent instead. */
static bool
http_setup_request(struct wk_sess *s, const struct wk_http_head *h)
{
	struct wk_req *r = &s->req;
	bool ka;

	r->start_us = wk_http_wall_us();
	r->method = str_dup(h->method);
	r->target = str_dup(h->target);
	r->client_http10 = h->version_minor == 0;
	ka = r->client_http10 ? (h->conn & WK_HTTP_CONN_KEEPALIVE) != 0 :
				(h->conn & WK_HTTP_CONN_CLOSE) == 0;
	r->keep_alive = ka && !s->w->draining;
	r->is_head = strcmp(r->method, "HEAD") == 0;
	r->is_connect = h->target_form == WK_HTTP_TARGET_AUTHORITY;
	r->body = h->body;
	r->body_left = h->content_length;
	r->body_done = h->body == WK_HTTP_BODY_NONE ||
	    (h->body == WK_HTTP_BODY_LENGTH && h->content_length == 0);
	r->bytes_in = h->head_len;
	memset(&r->chunk, 0, sizeof(r->chunk));
	__atomic_add_fetch(&s->w->ctx->stats.requests, 1, __ATOMIC_RELAXED);
	return true;
}

/* Maps the request's host to its A-label form (r->host, and
 * r->authority when that differs from what was sent). Returns false when
 * the name is invalid (a 400 has been sent). */
static bool
http_map_host(struct wk_sess *s, const struct wk_http_head *h)
{
	struct wk_req *r = &s->req;
	char host[WK_HOST_MAX], err[160];

	if (wk_idna_host(h->host.p, h->host.len, true, host, err, sizeof(err)) <
	    0) {
		wk_http_error(s, 400, "idna", false,
		    "invalid host name %.*s: %s", (int)WK_MIN(h->host.len, 300),
		    h->host.p, err);
		return false;
	}
	r->host = wk_strdup(host);
	if (h->host.len != strlen(host) ||
	    memcmp(h->host.p, host, h->host.len) != 0) {
		char shown[800];

		wk_idna_display(
		    h->host.p, h->host.len, host, shown, sizeof(shown));
		wk_log_info("sess %llu: %s %s", (unsigned long long)s->id,
		    r->method, shown);
		r->authority = h->port_explicit ?
		    wk_asprintf("%s:%u", host, h->port) :
		    wk_strdup(host);
	}
	return true;
}

/* Could a request go to an HTTP upstream (in absolute form)? */
static bool
http_may_use_http_hop(const struct wk_config *c)
{
	if (c->pac.url != NULL)
		return true;
	for (size_t i = 0; i < c->n_upstreams; i++)
		if (c->upstreams[i].kind == WK_UPSTREAM_HTTP ||
		    c->upstreams[i].kind == WK_UPSTREAM_HTTPS)
			return true;
	return false;
}

/* The destination's zone as far as the head tells (no DNS: a CIDR term
 * that would need the name's addresses is passed over): its cookie and
 * decompress policies shape the head we send. */
static const struct wk_zone *
http_head_zone(struct wk_sess *s)
{
	struct wk_req *r = &s->req;
	struct wk_zone_dest d = { .host = r->host, .port = r->port };
	struct wk_zone_hit hit;

	if (r->host == NULL ||
	    wk_zone_match(s->conf->zones, &d, &hit) != WK_ZONE_MATCHED)
		return s->conf->zones->dflt;
	return hit.zone;
}

/* Builds the head to send upstream into r->out_head: origin-form, or
 * absolute-form for an HTTP upstream (hop != NULL, with its
 * Proxy-Authorization). */
static void
http_build_head(struct wk_sess *s, const struct wk_http_head *h,
    const struct wk_upstream *hop)
{
	struct wk_req *r = &s->req;
	struct evbuffer *tmp = evbuffer_new();
	char auth[1024];
	struct wk_req_rewrite o = {
		.via = wk_http_via(s),
		.absolute = hop != NULL,
		.upgrade = r->upgrade,
		.authority = r->authority,
	};

	char *cookie, *accept;

	if (hop != NULL) {
		wk_chain_proxy_auth(hop, auth, sizeof(auth));
		o.extra = auth;
	}
	if (r->head_zone == NULL)
		r->head_zone = http_head_zone(s);
	/* a 1.0 origin learnt from its answers matters for chunked bodies
	 * only: a test origin may answer some paths in 1.0, and an Expect it
	 * ignores costs a client no more than its own timeout */
	r->origin10 = r->head_zone->http10 ||
	    (r->body == WK_HTTP_BODY_CHUNKED && r->host != NULL &&
		wk_origin_ver_is10(r->host, r->port));
	o.origin10 = r->origin10;
	cookie = wk_http_cookies_for(s, h, r->head_zone);
	o.cookie = cookie;
	accept = wk_http_decode_request(r, r->head_zone, h);
	o.accept_encoding = accept;
	wk_http_write_request(tmp, h, &o);
	free(cookie);
	free(accept);
	free(r->out_head);
	r->out_head_len = evbuffer_get_length(tmp);
	r->out_head = wk_malloc(r->out_head_len);
	evbuffer_remove(tmp, r->out_head, r->out_head_len);
	evbuffer_free(tmp);
	if (hop != NULL)
		explicit_bzero(auth, sizeof(auth));
}

static void
http_target_cb(struct wk_target_result *res, void *arg)
{
	struct wk_sess *s = arg;
	struct wk_req *r = &s->req;

	WK_BUG_ON(s->magic != WK_SESS_MAGIC);
	s->targeting = NULL;
	wk_sess_enter(s);
	r->zone = res->hit.zone;
	/* the same match http_head_zone would make: no need to repeat it */
	if (res->by_name)
		r->head_zone = res->hit.zone;
	switch (res->verdict) {
	case WK_TARGET_DENY:
		if (res->hit.term != NULL)
			wk_http_error(s, 403, "zone", !r->is_connect,
			    "%s is in zone \"%s\" (%s: match %s), which "
			    "denies it",
			    r->host, r->zone->name, res->hit.term->where,
			    res->hit.term->text);
		else
			wk_http_error(s, 403, "zone", !r->is_connect,
			    "%s is in the default zone (%s), which denies it",
			    r->host, r->zone->where);
		break;
	case WK_TARGET_FAIL:
		wk_http_error(s, 502, "pac", !r->is_connect, "%s", res->detail);
		break;
	default:
		r->dyn = res->dyn;
		res->dyn = NULL;
		r->route = res->route;
		wk_http_forward(s);
		break;
	}
	wk_sess_leave(s);
}

void
wk_http_decide(struct wk_sess *s)
{
	struct wk_req *r = &s->req;
	char url[WK_HOST_MAX + 2048];

	wk_sess_set_state(s, WK_SESS_ST_CONNECT);
	if (r->is_connect)
		wk_target_tunnel_url(r->host, r->port, url, sizeof(url));
	else
		wk_target_request_url(
		    r->https, r->host, r->port, r->target, url, sizeof(url));
	s->targeting = wk_target_start(
	    s->w, s->conf, url, r->host, r->port, http_target_cb, s);
}

/* A request inside an intercepted tunnel: origin-form, for the tunnel's
 * host; it goes over the session's TLS connection to the origin. */
static void
http_intercepted_head(struct wk_sess *s, const struct wk_http_head *h)
{
	struct wk_req *r = &s->req;
	struct evbuffer *in = bufferevent_get_input(s->cli);
	bool v6 = strchr(s->tls_host, ':') != NULL;
	char port[8] = "";

	if (h->target_form != WK_HTTP_TARGET_ORIGIN) {
		evbuffer_drain(in, h->head_len);
		wk_http_error(s, 400, "bad-request", false,
		    "an intercepted connection carries origin-form requests "
		    "for %s only",
		    s->tls_host);
		return;
	}
	free(r->host);
	r->host = wk_strdup(s->tls_host);
	r->port = s->tls_port;
	r->upgrade = (h->conn & WK_HTTP_CONN_UPGRADE) && h->has_upgrade;
	if (s->tls_port != 443)
		snprintf(port, sizeof(port), ":%u", s->tls_port);
	/* the access log shows what was asked, as a URL: intercepted */
	free(r->target);
	r->target = wk_asprintf("https://%s%s%s%s%.*s", v6 ? "[" : "",
	    s->tls_host, v6 ? "]" : "", port, (int)h->target.len, h->target.p);
	http_build_head(s, h, NULL);
	evbuffer_drain(in, h->head_len);
	if (!wk_http_body_begin(s, h))
		wk_http_forward(s);
}

static void
http_handle_head(struct wk_sess *s, const struct wk_http_head *h)
{
	struct wk_req *r = &s->req;
	struct evbuffer *in = bufferevent_get_input(s->cli);

	wk_sess_timer(s, 0);
	http_setup_request(s, h);

	if (!wk_conf_client_allowed(
		s->conf, (const struct sockaddr *)&s->cli_addr)) {
		evbuffer_drain(in, h->head_len);
		wk_http_error(s, 403, "forbidden", false,
		    "client %s is not allowed to use this proxy", s->cli_str);
		return;
	}
	if (s->intercepted) {
		http_intercepted_head(s, h);
		return;
	}
	if (h->target_form == WK_HTTP_TARGET_ORIGIN ||
	    h->target_form == WK_HTTP_TARGET_ASTERISK) {
		http_local(s, h);
		return;
	}
	if (h->target_form == WK_HTTP_TARGET_ABSOLUTE) {
		if (h->scheme.len == 5 &&
		    strncasecmp(h->scheme.p, "https", 5) == 0) {
			r->https = true;
		} else if (h->scheme.len != 4 ||
		    strncasecmp(h->scheme.p, "http", 4)) {
			evbuffer_drain(in, h->head_len);
			wk_http_error(s, 501, "scheme", false,
			    "the %.*s scheme is not supported (yet)",
			    (int)WK_MIN(h->scheme.len, 16), h->scheme.p);
			return;
		}
		if (is_our_address(s, h)) {
			http_local(s, h);
			return;
		}
	}
	if (http_via_count(h, wk_http_via(s)) >= HTTP_MAX_OWN_VIA) {
		/* a name that resolves back to us: stop the loop here */
		evbuffer_drain(in, h->head_len);
		wk_http_error(s, 508, "loop", false,
		    "forwarding loop: the request passed this proxy %d times",
		    HTTP_MAX_OWN_VIA);
		return;
	}
	if (!http_map_host(s, h)) {
		evbuffer_drain(in, h->head_len);
		return;
	}
	r->port = h->port;
	r->upgrade = !r->is_connect && (h->conn & WK_HTTP_CONN_UPGRADE) &&
	    h->has_upgrade;
	if (!r->is_connect) {
		http_build_head(s, h, NULL);
		if (http_may_use_http_hop(s->conf)) {
			/* kept to rebuild in absolute form if that hop is
			 * the one that answers */
			r->raw_head = wk_malloc(h->head_len);
			evbuffer_copyout(in, r->raw_head, h->head_len);
			r->raw_head_len = h->head_len;
		}
	}
	evbuffer_drain(in, h->head_len);
	if (!r->is_connect && wk_http_body_begin(s, h))
		return;
	wk_http_decide(s);
}

static void
http_read_head(struct wk_sess *s)
{
	struct evbuffer *in = bufferevent_get_input(s->cli);
	size_t len = evbuffer_get_length(in);
	struct wk_http_limits lim;
	struct wk_http_head h;
	enum wk_http_err err = WK_HTTP_OK;
	const char *p;
	int res;

	if (len == 0)
		return;
	if (!s->head_started) {
		/* the bound runs from the first byte and is never restarted */
		s->head_started = true;
		wk_sess_timer(s, s->conf->timeout.header_read_ms);
		/* the first byte of a connection tells SOCKS from HTTP */
		if (s->requests == 0) {
			uint8_t b0;

			evbuffer_copyout(in, &b0, 1);
			if (b0 == 4 || b0 == 5) {
				if (s->proto == WK_LISTEN_HTTP) {
					wk_sess_close(s,
					    "SOCKS on an HTTP-only "
					    "listener");
					return;
				}
				wk_socks_start(s);
				return;
			}
		}
	}
	lim.max_line = s->conf->limit.request_line;
	lim.max_head = s->conf->limit.header_bytes;
	lim.max_fields =
	    WK_MIN(s->conf->limit.header_count, (size_t)WK_HTTP_MAX_FIELDS);
	len = WK_MIN(len, lim.max_head + 4);
	p = (const char *)evbuffer_pullup(in, (ev_ssize_t)len);
	res = wk_http_parse_request(p, len, &lim, &h, &err);
	if (res == WK_PARSE_NEED_MORE)
		return;
	if (res == WK_PARSE_ERROR) {
		static const char *const codes[] = { [400] = "bad-request",
			[414] = "uri-too-long",
			[431] = "header-too-large",
			[501] = "te-unsupported",
			[505] = "version" };
		int st = wk_http_err_status(err);
		const char *code = st < (int)WK_ARRAY_LEN(codes) && codes[st] ?
		    codes[st] :
		    "bad-request";

		s->req.start_us = wk_http_wall_us();
		s->req.method = wk_strdup("-");
		s->req.target = wk_strdup("-");
		s->req.bytes_in = evbuffer_get_length(in);
		/* after a framing error nothing on this connection can be
		 * trusted: answer and close */
		evbuffer_drain(in, evbuffer_get_length(in));
		wk_http_error(s, st, code, false, "%s", wk_http_err_str(err));
		return;
	}
	http_handle_head(s, &h);
}

/* --- upstream -------------------------------------------------------------*/

/* The upstream connection's name for the logs: the hop ("http:corp",
 * "socks5:up") or the origin's address for a direct connection. */
static void
http_note_upstream(struct wk_sess *s)
{
	struct wk_req *r = &s->req;
	const char *k = r->key, *name = NULL;
	size_t len = 0;

	if (strncmp(k, "proxy:", 6) == 0) {
		name = k + 6;
		len = strlen(name);
	} else if (strncmp(k, "via:", 4) == 0) {
		name = k + 4;
		len = strcspn(name, ">");
	}
	if (name == NULL) {
		wk_addr_str((struct sockaddr *)&s->up_addr, r->upstream,
		    sizeof(r->upstream));
		return;
	}
	if (r->hop != NULL) {
		/* the hop that carries it: from the config or a PAC answer */
		snprintf(r->upstream, sizeof(r->upstream), "%s:%s",
		    wk_upstream_kind_name(r->hop->kind), r->hop->name);
		return;
	}
	for (size_t i = 0; i < s->conf->n_upstreams; i++) {
		const struct wk_upstream *u = &s->conf->upstreams[i];

		if (strlen(u->name) == len && memcmp(u->name, name, len) == 0) {
			snprintf(r->upstream, sizeof(r->upstream), "%s:%s",
			    wk_upstream_kind_name(u->kind), u->name);
			return;
		}
	}
	snprintf(r->upstream, sizeof(r->upstream), "%.*s", (int)len, name);
}

/* For an HTTP upstream: the head again, in absolute form, with the hop's
 * Proxy-Authorization. */
static bool
http_rebuild_absolute(struct wk_sess *s)
{
	struct wk_req *r = &s->req;
	struct wk_http_limits lim = { 0, 0, 0 };
	struct wk_http_head h;
	enum wk_http_err err;
	const struct wk_upstream *hop;

	if (strncmp(r->key, "proxy:", 6) != 0)
		return false;
	hop = r->hop != NULL ? r->hop : wk_conf_upstream(s->conf, r->key + 6);
	lim.max_line = s->conf->limit.request_line;
	lim.max_head = s->conf->limit.header_bytes;
	lim.max_fields =
	    WK_MIN(s->conf->limit.header_count, (size_t)WK_HTTP_MAX_FIELDS);
	if (hop == NULL ||
	    wk_http_parse_request(
		r->raw_head, r->raw_head_len, &lim, &h, &err) != WK_PARSE_DONE)
		return false;
	http_build_head(s, &h, hop);
	return true;
}

static void
http_up_connected(struct wk_sess *s)
{
	struct wk_req *r = &s->req;
	struct bufferevent *up = s->up;

	http_note_upstream(s);
	if (s->intercepted && s->tls_via != NULL)
		snprintf(r->upstream, sizeof(r->upstream), "%s", s->tls_via);
	if (r->absolute && r->raw_head != NULL && !http_rebuild_absolute(s)) {
		wk_http_error(s, 400, "bad-request", false,
		    "cannot rebuild the request for the upstream proxy");
		return;
	}
	bufferevent_set_max_single_write(up, HTTP_WRITE_MAX);
	bufferevent_setwatermark(up, EV_WRITE, HTTP_BODY_LOW, 0);
	bufferevent_set_timeouts(up, NULL, NULL);
	wk_sess_setcb(s, WK_SIDE_UP, http_up_write_cb, http_up_event_cb);
	/* wk_sess_flush writes; reading is wk_sess_reading's (a TLS side's
	 * EV_READ is that state itself) */
	bufferevent_disable(
	    up, s->tls[WK_SIDE_UP] ? EV_WRITE : (EV_READ | EV_WRITE));
	s->read_limit[WK_SIDE_UP] = HTTP_RESP_MAX_HEAD + HTTP_READ_MAX;

	if (r->is_connect) {
		static const char ok[] =
		    "HTTP/1.1 200 Connection established\r\n\r\n";
		evbuffer_add(
		    bufferevent_get_output(s->cli), ok, sizeof(ok) - 1);
		r->status = 200;
		r->bytes_out += sizeof(ok) - 1;
		r->body_done = true;
		if (wk_intercept_wanted(s)) {
			/* the tunnel's own line; its requests get theirs */
			char *host = wk_strdup(r->host);
			uint16_t port = r->port;
			const struct wk_zone *z = r->zone;
			const struct wk_route *route = r->route;

			char via[sizeof(r->upstream)];

			memcpy(via, r->upstream, sizeof(via));
			/* the route outlives the tunnel's line: reconnects */
			wk_route_dyn_free(s->tls_dyn);
			s->tls_dyn = r->dyn;
			r->dyn = NULL;
			wk_sess_end_request(s, "intercepted");
			s->req.zone = z;
			memcpy(s->req.upstream, via, sizeof(via));
			wk_intercept_start(s, host, port, route);
			free(host);
		} else {
			wk_relay_start(s);
		}
		return;
	}
	wk_sess_reading(s, WK_SIDE_UP, true);
	wk_sess_set_state(s, WK_SESS_ST_FORWARD);
	r->resp = WK_RESP_HEAD;
	if (r->spool != NULL)
		wk_http_spool_head(s, bufferevent_get_output(up));
	else
		evbuffer_add(
		    bufferevent_get_output(up), r->out_head, r->out_head_len);
	s->idle_ms = s->conf->timeout.upstream_response_ms;
	s->last_active_ms = wk_sess_now_ms(s);
	wk_sess_timer(s, s->idle_ms);
	if (r->spool != NULL)
		wk_http_spool_send(s);
	else if (!r->body_done)
		wk_http_req_body(s);
}

static void
http_dial_cb(bool ok, const char *detail, void *arg)
{
	struct wk_sess *s = arg;

	WK_BUG_ON(s->magic != WK_SESS_MAGIC);
	s->dialing = NULL;
	wk_sess_enter(s);
	if (ok)
		wk_http_forward(s);
	else
		wk_http_error(s, 502, "dial", !s->req.is_connect, "%s", detail);
	wk_sess_leave(s);
}

static void
http_tls_up_failed(struct wk_sess *s)
{
	char why[512];

	wk_tls_error(s->up, why, sizeof(why));
	wk_log_notice("sess %llu: TLS to %s:%u: %s", (unsigned long long)s->id,
	    s->req.host, s->req.port, why);
	wk_http_error(s, 502, "tls", !s->req.is_connect, "TLS to %s: %s",
	    s->req.host, why);
}

/* The handshake with an https:// origin ended. */
static void
http_tls_up_cb(struct bufferevent *bev, short what, void *arg)
{
	struct wk_sess *s = arg;

	(void)bev;
	WK_BUG_ON(s->magic != WK_SESS_MAGIC);
	wk_sess_enter(s);
	if (what & BEV_EVENT_CONNECTED)
		http_up_connected(s);
	else
		http_tls_up_failed(s);
	wk_sess_leave(s);
}

static void
http_chain_cb(
    struct bufferevent *bev, const struct wk_chain_result *res, void *arg)
{
	struct wk_sess *s = arg;
	struct wk_req *r = &s->req;

	WK_BUG_ON(s->magic != WK_SESS_MAGIC);
	s->connecting = NULL;
	/* this may run inside wk_chain_start, already in a callback:
	 * enter/leave nest */
	wk_sess_enter(s);
	if (bev == NULL && !r->dialed && wk_dial_applies(s->conf, res->err)) {
		/* hold the request while the dial command runs, then try
		 * once more */
		r->dialed = true;
		wk_log_info("sess %llu: %s: running the dial command",
		    (unsigned long long)s->id, res->detail);
		s->dialing = wk_dial_wait(s->w, s->conf, http_dial_cb, s);
	} else if (bev == NULL) {
		enum wk_conn_err err = res->err;
		int st = err == WK_CONN_TIMEOUT || err == WK_CONN_DNS_TIMEOUT ?
		    504 :
		    502;
		const char *code = res->hop != NULL ? "upstream" :
		    err == WK_CONN_DNS		    ? "dns" :
		    err == WK_CONN_DNS_TIMEOUT	    ? "dns-timeout" :
		    err == WK_CONN_REFUSED	    ? "refused" :
		    err == WK_CONN_UNREACH	    ? "unreachable" :
		    err == WK_CONN_TIMEOUT	    ? "timeout" :
						      "connect";

		if (res->hop != NULL)
			snprintf(r->upstream, sizeof(r->upstream), "%s",
			    res->via[0] ? res->via : res->hop->name);
		wk_http_error(s, st, code, !r->is_connect, "%s", res->detail);
	} else {
		wk_sess_set_upstream(s, bev, &res->peer, res->tls);
		r->up_reused = false;
		r->hop = res->hop;
		r->absolute = res->absolute;
		/* GET https://..., or the next request of an intercepted
		 * tunnel: the TLS to the origin is ours */
		bool own_tls = s->intercepted || (r->https && !r->absolute);

		free(r->key);
		if (!own_tls) {
			r->key = r->https ? wk_asprintf("tls:%s", res->key) :
					    wk_strdup(res->key);
		} else {
			const struct wk_zone *z = r->zone;
			bool verify = s->intercepted ?
			    s->tls_verify :
			    z == NULL || !z->tls_noverify;
			const char *name =
			    s->intercepted ? s->tls_host : r->host;
			struct bufferevent *tb;

			/* a connection not verified is pooled apart */
			r->key = wk_asprintf("%s:%s",
			    verify ? "tls" : "tls-unverified", res->key);
			if (!verify)
				wk_log_warnx("sess %llu: TLS to %s:%u is NOT "
					     "verified (tls-verify off in zone "
					     "%s): testing only",
				    (unsigned long long)s->id, name, r->port,
				    z != NULL ? z->name : "?");
			bufferevent_setcb(s->up, NULL, NULL, NULL, NULL);
			tb = wk_tls_connect(
			    s->w->base, s->up, s->conf, name, r->port, verify);
			if (tb == NULL) {
				wk_http_error(s, 502, "tls", false,
				    "cannot set up TLS to %s", r->host);
				wk_sess_leave(s);
				return;
			}
			wk_sess_set_tls(s, WK_SIDE_UP, tb);
			/* the request goes once the handshake is done */
			wk_sess_setcb(s, WK_SIDE_UP, NULL, http_tls_up_cb);
			wk_sess_reading(s, WK_SIDE_UP, true);
			wk_sess_leave(s);
			return;
		}
		http_up_connected(s);
	}
	wk_sess_leave(s);
}

void
wk_http_forward(struct wk_sess *s)
{
	struct wk_req *r = &s->req;
	const struct wk_route *route = r->route;
	/* https://: a tunnel to the origin (CONNECT through an HTTP proxy),
	 * TLS inside it */
	enum wk_chain_mode mode =
	    r->is_connect || r->https ? WK_CHAIN_TUNNEL : WK_CHAIN_HTTP;
	struct bufferevent *bev;
	struct event *idle_ev;
	struct wk_chain *ch;
	char key[WK_HOST_MAX + 96];

	wk_sess_set_state(s, WK_SESS_ST_CONNECT);
	if (s->intercepted) {
		if (s->tls_up_err != NULL) {
			wk_http_error(s, 502, "tls", false, "TLS to %s: %s",
			    s->tls_host, s->tls_up_err);
			return;
		}
		idle_ev = NULL;
		if (s->up == NULL && !r->retried && s->tls_share &&
		    (bev = wk_pool_take(s->w->pool, s->tls_key, &s->up_addr,
			 &idle_ev)) != NULL) {
			s->up = bev;
			wk_sess_set_tls(s, WK_SIDE_UP, bev);
		} else if (s->up == NULL) {
			/* the origin closed the last one, or the tunnel began
			 * with none: a new connection, TLS in http_chain_cb */
			ch = wk_chain_start(s->w, s->tls_route, s->tls_dest,
			    s->tls_port, WK_CHAIN_TUNNEL,
			    s->conf->timeout.connect_ms, http_chain_cb, s);
			if (ch != NULL) /* see wk_chain_start */
				s->connecting = ch;
			return;
		}
		s->up_idle = false;
		free(r->key);
		r->key = wk_asprintf("tls:%s:%u", s->tls_host, s->tls_port);
		r->up_reused = true;
		http_up_connected(s);
		if (idle_ev != NULL)
			event_free(idle_ev); /* see wk_pool_take */
		return;
	}
	/* a pooled connection through the route's first hop (TLS ones
	 * under "tls:") */
	wk_chain_key(route->n_hops > 0 ? route->hops[0] : NULL, mode, r->host,
	    r->port, key + (r->https ? 4 : 0), sizeof(key) - 4);
	if (r->https)
		memcpy(key, "tls:", 4);
	if (r->is_connect && !r->retried &&
	    wk_intercept_take_pooled(s, route, r->host, r->port) != NULL) {
		/* the tunnel starts on an idle TLS connection to the origin */
		r->up_reused = true;
		r->hop = route->n_hops > 0 ? route->hops[0] : NULL;
		free(r->key);
		r->key = wk_strdup(key);
		r->absolute = false;
		http_up_connected(s);
		return;
	}
	if (!r->is_connect && !r->retried &&
	    (bev = wk_pool_take(s->w->pool, key, &s->up_addr, &idle_ev)) !=
		NULL) {
		const struct wk_upstream *h0 =
		    route->n_hops > 0 ? route->hops[0] : NULL;

		s->up = bev;
		if (r->https ||
		    (strncmp(key, "proxy:", 6) == 0 && h0 != NULL &&
			h0->kind == WK_UPSTREAM_HTTPS))
			wk_sess_set_tls(s, WK_SIDE_UP, bev);
		r->up_reused = true;
		r->hop = route->n_hops > 0 ? route->hops[0] : NULL;
		free(r->key);
		r->key = wk_strdup(key);
		r->absolute = strncmp(key, "proxy:", 6) == 0;
		http_up_connected(s);
		event_free(idle_ev); /* after ours is added: see wk_pool_take */
		return;
	}
	ch = wk_chain_start(s->w, route, r->host, r->port, mode,
	    s->conf->timeout.connect_ms, http_chain_cb, s);
	if (ch != NULL) /* see wk_chain_start */
		s->connecting = ch;
}

void
wk_http_on_read(struct wk_sess *s, int side)
{
	s->last_active_ms = wk_sess_now_ms(s);
	if (side == WK_SIDE_CLI)
		http_cli_read(s);
	else if (s->req.resp == WK_RESP_HEAD)
		wk_http_resp_head(s);
	else if (s->req.resp == WK_RESP_BODY)
		wk_http_resp_body(s);
}

static void
http_up_write_cb(struct bufferevent *bev, void *arg)
{
	struct wk_sess *s = arg;

	WK_BUG_ON(s->magic != WK_SESS_MAGIC);
	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		bufferevent_disable(bev, EV_WRITE); /* see wk_sess_flush */
	wk_sess_enter(s);
	if (s->req.spool != NULL && !s->req.spooling && !s->req.body_done) {
		wk_http_spool_send(s);
	} else if (s->cli_paused && !s->req.body_done && !s->req.spooling) {
		s->cli_paused = false;
		wk_sess_reading(s, WK_SIDE_CLI, true);
		wk_http_req_body(s);
	}
	wk_sess_leave(s);
}

static void
http_up_event(struct wk_sess *s, short what)
{
	struct wk_req *r = &s->req;

	if (s->state == WK_SESS_ST_CONNECT && s->tls[WK_SIDE_UP]) {
		/* the TLS handshake with the origin failed */
		http_tls_up_failed(s);
		return;
	}

	if (r->resp == WK_RESP_HEAD) {
		bool nothing =
		    evbuffer_get_length(bufferevent_get_input(s->up)) == 0;
		if (r->up_reused && !r->retried && nothing &&
		    r->body == WK_HTTP_BODY_NONE) {
			/* a pooled connection the origin had just closed:
			 * send the request again on a fresh one */
			wk_log_debug("sess %llu: pooled connection to %s "
				     "closed, retrying",
			    (unsigned long long)s->id, r->key);
			wk_sess_drop_upstream(s, false);
			r->retried = true;
			wk_http_forward(s);
		} else if (s->tls[WK_SIDE_UP] && nothing) {
			char why[512];

			wk_tls_error(s->up, why, sizeof(why));
			wk_http_error(s, 502, "tls", true, "TLS to %s: %s",
			    r->host != NULL ? r->host : r->upstream, why);
		} else {
			wk_http_error(s, 502, "upstream-closed", true,
			    "%s closed the connection without a response",
			    r->upstream);
		}
	} else if (r->resp == WK_RESP_BODY && (what & BEV_EVENT_EOF) &&
	    r->resp_body == WK_HTTP_BODY_CLOSE && !r->resp_ended) {
		/* what is still in the input, then the end */
		wk_http_resp_body(s);
		if (!s->dead && r->resp == WK_RESP_BODY) {
			r->resp_keep_up = false;
			r->resp_ended = true;
			wk_sess_reading(s, WK_SIDE_UP, false);
			wk_http_resp_body(s);
		}
	} else if (r->resp == WK_RESP_BODY && r->resp_ended) {
		/* the body is all read (being decoded): the close is fine */
		r->resp_keep_up = false;
		wk_sess_reading(s, WK_SIDE_UP, false);
	} else {
		/* mid-body: the client sees the cut; nothing else is honest */
		wk_sess_close(s,
		    (what & BEV_EVENT_EOF) ? "upstream closed mid-response" :
					     "upstream reset mid-response");
	}
}

static void
http_up_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct wk_sess *s = arg;

	(void)bev;
	WK_BUG_ON(s->magic != WK_SESS_MAGIC);
	wk_sess_enter(s);
	http_up_event(s, what);
	wk_sess_leave(s);
}

void
wk_http_on_close(struct wk_sess *s, int side, short what)
{
	if (side == WK_SIDE_CLI)
		http_cli_event(s, what);
	else
		http_up_event(s, what);
}

/* --- timers and start ---------------------------------------------------- */

void
wk_http_on_timeout(struct wk_sess *s)
{
	struct wk_req *r = &s->req;

	switch (s->state) {
	case WK_SESS_ST_HEAD:
		if (!s->head_started) {
			wk_sess_close(s, "idle timeout");
			return;
		}
		r->start_us = wk_http_wall_us();
		r->method = wk_strdup("-");
		r->target = wk_strdup("-");
		r->bytes_in =
		    evbuffer_get_length(bufferevent_get_input(s->cli));
		evbuffer_drain(bufferevent_get_input(s->cli), r->bytes_in);
		wk_http_error(s, 408, "header-timeout", false,
		    "the request head did not arrive within %u ms",
		    s->conf->timeout.header_read_ms);
		return;
	case WK_SESS_ST_FORWARD: {
		uint64_t idle_for = wk_sess_now_ms(s) - s->last_active_ms;

		if (idle_for < s->idle_ms) {
			wk_sess_timer(s, (unsigned)(s->idle_ms - idle_for));
			return;
		}
		if (r->spooling)
			wk_http_error(s, 408, "body-timeout", false,
			    "the request body stalled for %u ms", s->idle_ms);
		else if (r->resp == WK_RESP_HEAD)
			wk_http_error(s, 504, "timeout", false,
			    "%s did not answer within %u ms", r->upstream,
			    s->idle_ms);
		else
			wk_sess_close(s, "upstream idle timeout");
		return;
	}
	case WK_SESS_ST_TUNNEL:
		wk_relay_on_timeout(s);
		return;
	case WK_SESS_ST_CLOSING:
		wk_sess_close(s, r->reason ? r->reason : "closed");
		return;
	default:
		wk_sess_close(s, "timeout");
		return;
	}
}

const struct wk_front_ops wk_http_front = {
	.name = "http",
	.on_read = wk_http_on_read,
	.on_close = wk_http_on_close,
	.on_timeout = wk_http_on_timeout,
};

void
wk_http_start_intercepted(struct wk_sess *s)
{
	s->intercepted = true;
	s->front = &wk_http_front;
	s->head_started = false;
	s->requests = 0;
	wk_sess_setcb(s, WK_SIDE_CLI, http_cli_write_cb, http_cli_event_cb);
	wk_sess_setcb(s, WK_SIDE_UP, http_up_write_cb, http_up_event_cb);
	bufferevent_setwatermark(s->cli, EV_WRITE, HTTP_BODY_LOW, 0);
	s->read_limit[WK_SIDE_CLI] =
	    s->conf->limit.header_bytes + HTTP_READ_MAX;
	wk_sess_reading(s, WK_SIDE_UP, false);
	wk_sess_set_state(s, WK_SESS_ST_HEAD);
	wk_sess_reading(s, WK_SIDE_CLI, false);
	wk_sess_reading(s, WK_SIDE_CLI, true);
	wk_sess_timer(s, s->conf->timeout.header_read_ms);
	if (evbuffer_get_length(bufferevent_get_input(s->cli)) > 0)
		wk_sess_reread(s, WK_SIDE_CLI);
}

void
wk_http_start(struct wk_sess *s)
{
	unsigned wto_ms = s->conf->timeout.upstream_response_ms;
	struct timeval wto = { wto_ms / 1000, (wto_ms % 1000) * 1000 };

	bufferevent_setcb(
	    s->cli, NULL, http_cli_write_cb, http_cli_event_cb, s);
	bufferevent_setwatermark(s->cli, EV_WRITE, HTTP_BODY_LOW, 0);
	bufferevent_set_max_single_write(s->cli, HTTP_WRITE_MAX);
	s->read_limit[WK_SIDE_CLI] =
	    s->conf->limit.header_bytes + HTTP_READ_MAX;
	/* a client that stops reading our output for this long is gone */
	bufferevent_set_timeouts(s->cli, NULL, &wto);
	/* we read (wk_sess_reading); the bufferevent only writes, and only
	 * what wk_sess_flush could not */
	bufferevent_disable(s->cli, EV_READ | EV_WRITE);
	s->front = &wk_http_front;
	wk_sess_reading(s, WK_SIDE_CLI, true);
	wk_sess_set_state(s, WK_SESS_ST_HEAD);
	wk_sess_timer(s, s->conf->timeout.header_read_ms);
	if (s->proto == WK_LISTEN_SOCKS)
		wk_socks_start(s);
}
