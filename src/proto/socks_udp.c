/* src/proto/socks_udp.c: SOCKS5 UDP ASSOCIATE (RFC 1928 7). The client
 * sends datagrams with a SOCKS header to a UDP socket we bind for it; we
 * send the payload on to the target from a second socket and wrap what
 * comes back. Only datagrams from the TCP client's address are taken; the
 * association ends with the TCP connection or after the tunnel idle bound. */
#include "core/wk.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "config/conf.h"
#include "core/alloc.h"
#include "core/bug.h"
#include "core/idna.h"
#include "log/log.h"
#include "proto/socks_front.h"
#include "proto/socks_parse.h"
#include "sess/session.h"
#include "worker/worker.h"
#include "zone/zone.h"

#define UDP_MAX 65536
#define UDP_RESOLVES_MAX 16 /* names being resolved at once */

struct udp_resolve {
	struct udp_resolve *next;
	struct wk_socks_udp *u;
	struct evdns_getaddrinfo_request *req;
	uint16_t port;
	uint8_t *data;
	size_t len;
	bool cancelled;
	char host[WK_HOST_MAX];
};

struct wk_socks_udp {
	struct wk_sess *s;
	int fd_cli; /* where the client sends */
	int fd_out; /* toward targets (IPv6 socket, IPv4 mapped) */
	struct event *ev_cli, *ev_out;
	struct sockaddr_storage client; /* learned from the first datagram */
	socklen_t client_len;
	bool client_known;
	struct udp_resolve *resolves;
	size_t n_resolves;
};

static void
udp_count(struct wk_sess *s, bool in, size_t n)
{
	if (in)
		s->req.bytes_in += n;
	else
		s->req.bytes_out += n;
	s->last_active_ms = wk_sess_now_ms(s);
}

static void
udp_send_out(struct wk_socks_udp *u, const struct sockaddr *to, socklen_t tolen,
    const uint8_t *data, size_t len)
{
	struct sockaddr_in6 m;

	if (to->sa_family == AF_INET) {
		/* the out socket is IPv6: map IPv4 targets */
		const struct sockaddr_in *in = (const void *)to;
		memset(&m, 0, sizeof(m));
		m.sin6_family = AF_INET6;
		m.sin6_port = in->sin_port;
		m.sin6_addr.s6_addr[10] = 0xff;
		m.sin6_addr.s6_addr[11] = 0xff;
		memcpy(&m.sin6_addr.s6_addr[12], &in->sin_addr, 4);
		to = (const struct sockaddr *)&m;
		tolen = sizeof(m);
	}
	if (sendto(u->fd_out, data, len, 0, to, tolen) >= 0)
		udp_count(u->s, true, len);
}

static void
udp_resolve_free(struct wk_socks_udp *u, struct udp_resolve *r)
{
	struct udp_resolve **pp;

	for (pp = &u->resolves; *pp != NULL; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	u->n_resolves--;
	free(r->data);
	free(r);
}

/* May a datagram go to host:port? Its zone must allow it, and its route
 * must be able to go direct (datagrams are not carried through upstream
 * proxies or PAC answers, so such zones get none). addr: the resolved
 * address of a name, or NULL. Returns 1 yes, 0 no, -1 when the name's
 * addresses are needed first. */
static int
udp_allowed(struct wk_socks_udp *u, const char *host, uint16_t port,
    const struct sockaddr *addr, socklen_t alen)
{
	struct wk_sess *s = u->s;
	struct sockaddr_storage ss;
	struct wk_zone_dest d = { .host = host, .port = port };
	struct wk_zone_hit hit;
	const struct wk_route *r;
	bool direct = false;

	if (addr != NULL && alen <= sizeof(ss)) {
		memset(&ss, 0, sizeof(ss));
		memcpy(&ss, addr, alen);
		d.addrs = &ss;
		d.n_addrs = 1;
		d.resolved = true;
	}
	if (wk_zone_match(s->conf->zones, &d, &hit) == WK_ZONE_NEED_ADDR)
		return -1;
	r = wk_zone_route_of(hit.zone, s->conf);
	for (size_t i = 0; i < r->n_hops; i++)
		if (r->hops[i] == NULL)
			direct = true;
	if (r->n_hops == 0 && !r->pac)
		direct = true;
	if (hit.zone->action == WK_ZONE_DENY || !direct) {
		wk_log_info("sess %llu: UDP datagram to %s:%u dropped: zone "
			    "\"%s\" %s",
		    (unsigned long long)s->id, host, port, hit.zone->name,
		    hit.zone->action == WK_ZONE_DENY ? "denies it" :
						       "does not go direct");
		return 0;
	}
	return 1;
}

static void
udp_dns_cb(int result, struct evutil_addrinfo *ai, void *arg)
{
	struct udp_resolve *r = arg;

	if (r->cancelled) {
		if (ai != NULL)
			evutil_freeaddrinfo(ai);
		free(r->data);
		free(r);
		return;
	}
	r->req = NULL;
	if (result == 0 && ai != NULL &&
	    udp_allowed(r->u, r->host, r->port, ai->ai_addr,
		(socklen_t)ai->ai_addrlen) == 1)
		udp_send_out(r->u, ai->ai_addr, (socklen_t)ai->ai_addrlen,
		    r->data, r->len);
	if (ai != NULL)
		evutil_freeaddrinfo(ai);
	udp_resolve_free(r->u, r);
}

static void
udp_from_client(struct wk_socks_udp *u)
{
	static uint8_t buf[UDP_MAX];
	struct wk_sess *s = u->s;
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);
	struct wk_socks5_udp h;
	enum wk_socks_err err;
	ssize_t n;

	n = recvfrom(
	    u->fd_cli, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fromlen);
	if (n <= 0)
		return;
	/* only the TCP client's host may use the association */
	if (!u->client_known) {
		const struct sockaddr *c = (const void *)&s->cli_addr;
		bool same = from.ss_family == c->sa_family &&
		    (c->sa_family == AF_INET ?
			    memcmp(&((struct sockaddr_in *)&from)->sin_addr,
				&((const struct sockaddr_in *)c)->sin_addr,
				4) == 0 :
			    memcmp(&((struct sockaddr_in6 *)&from)->sin6_addr,
				&((const struct sockaddr_in6 *)c)->sin6_addr,
				16) == 0);
		if (!same)
			return;
		memcpy(&u->client, &from, fromlen);
		u->client_len = fromlen;
		u->client_known = true;
	} else if (fromlen != u->client_len ||
	    memcmp(&from, &u->client, fromlen) != 0) {
		return;
	}
	if (wk_socks5_parse_udp(buf, (size_t)n, &h, &err) != WK_PARSE_DONE ||
	    h.frag != 0)
		return; /* fragments are not supported: dropped (RFC 1928 7) */
	const uint8_t *data = buf + h.header_len;
	size_t len = (size_t)n - h.header_len;

	if (h.t.atyp == WK_SOCKS_ATYP_IPV4) {
		struct sockaddr_in to = { .sin_family = AF_INET,
			.sin_port = htons(h.t.port) };
		char lit[INET_ADDRSTRLEN];

		memcpy(&to.sin_addr, h.t.addr, 4);
		inet_ntop(AF_INET, h.t.addr, lit, sizeof(lit));
		if (udp_allowed(u, lit, h.t.port, NULL, 0) == 1)
			udp_send_out(
			    u, (struct sockaddr *)&to, sizeof(to), data, len);
	} else if (h.t.atyp == WK_SOCKS_ATYP_IPV6) {
		struct sockaddr_in6 to = { .sin6_family = AF_INET6,
			.sin6_port = htons(h.t.port) };
		char lit[INET6_ADDRSTRLEN];

		memcpy(&to.sin6_addr, h.t.addr, 16);
		inet_ntop(AF_INET6, h.t.addr, lit, sizeof(lit));
		if (udp_allowed(u, lit, h.t.port, NULL, 0) == 1)
			udp_send_out(
			    u, (struct sockaddr *)&to, sizeof(to), data, len);
	} else {
		char host[WK_HOST_MAX], why[160], port[8];
		struct evutil_addrinfo hints = { .ai_family = AF_UNSPEC,
			.ai_socktype = SOCK_DGRAM };
		struct udp_resolve *r;

		if (wk_idna_host(h.t.name, strlen(h.t.name), false, host, why,
			sizeof(why)) < 0 ||
		    u->n_resolves >= UDP_RESOLVES_MAX)
			return;
		if (udp_allowed(u, host, h.t.port, NULL, 0) == 0)
			return;
		r = wk_calloc(1, sizeof(*r));
		snprintf(r->host, sizeof(r->host), "%s", host);
		r->u = u;
		r->port = h.t.port;
		r->data = wk_malloc(len ? len : 1);
		memcpy(r->data, data, len);
		r->len = len;
		r->next = u->resolves;
		u->resolves = r;
		u->n_resolves++;
		snprintf(port, sizeof(port), "%u", h.t.port);
		r->req = evdns_getaddrinfo(
		    s->w->dns, host, port, &hints, udp_dns_cb, r);
	}
}

static void
udp_from_target(struct wk_socks_udp *u)
{
	static uint8_t buf[UDP_MAX + 300];
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);
	struct wk_socks_target t = { .atyp = WK_SOCKS_ATYP_IPV4 };
	uint8_t hdr[300];
	size_t hl;
	ssize_t n;

	n = recvfrom(
	    u->fd_out, buf, UDP_MAX, 0, (struct sockaddr *)&from, &fromlen);
	if (n < 0 || !u->client_known)
		return;
	if (from.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)&from;
		if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
			memcpy(t.addr, &a->sin6_addr.s6_addr[12], 4);
		} else {
			t.atyp = WK_SOCKS_ATYP_IPV6;
			memcpy(t.addr, &a->sin6_addr, 16);
		}
		t.port = ntohs(a->sin6_port);
	}
	hl = wk_socks5_build_udp_header(hdr, sizeof(hdr), &t);
	if (hl == 0)
		return;
	memmove(buf + hl, buf, (size_t)n);
	memcpy(buf, hdr, hl);
	if (sendto(u->fd_cli, buf, hl + (size_t)n, 0,
		(struct sockaddr *)&u->client, u->client_len) >= 0)
		udp_count(u->s, false, (size_t)n);
}

static void
udp_cli_cb(evutil_socket_t fd, short what, void *arg)
{
	struct wk_socks_udp *u = arg;

	(void)fd, (void)what;
	WK_BUG_ON(u->s->magic != WK_SESS_MAGIC);
	for (int i = 0; i < 16; i++) {
		size_t before = u->s->req.bytes_in;
		udp_from_client(u);
		if (u->s->req.bytes_in == before)
			break;
	}
}

static void
udp_out_cb(evutil_socket_t fd, short what, void *arg)
{
	struct wk_socks_udp *u = arg;

	(void)fd, (void)what;
	WK_BUG_ON(u->s->magic != WK_SESS_MAGIC);
	for (int i = 0; i < 16; i++) {
		size_t before = u->s->req.bytes_out;
		udp_from_target(u);
		if (u->s->req.bytes_out == before)
			break;
	}
}

void
wk_socks_udp_start(struct wk_sess *s, const struct wk_socks_target *t)
{
	struct wk_socks_udp *u = wk_calloc(1, sizeof(*u));
	struct sockaddr_storage local;
	socklen_t len = sizeof(local);
	struct sockaddr_in6 any6 = { .sin6_family = AF_INET6 };
	struct wk_socks_target b = { .atyp = WK_SOCKS_ATYP_IPV4 };
	uint8_t out[32];
	int zero = 0;

	(void)t; /* the client's announced address is a hint only */
	u->s = s;
	u->fd_cli = u->fd_out = -1;
	s->socks_udp = u;
	/* the client reaches us where its TCP connection did */
	if (getsockname(s->cli_fd, (struct sockaddr *)&local, &len) < 0)
		goto fail;
	if (local.ss_family == AF_INET)
		((struct sockaddr_in *)&local)->sin_port = 0;
	else
		((struct sockaddr_in6 *)&local)->sin6_port = 0;
	u->fd_cli = socket(
	    local.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (u->fd_cli < 0 ||
	    bind(u->fd_cli, (struct sockaddr *)&local, len) < 0)
		goto fail;
	u->fd_out =
	    socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (u->fd_out < 0)
		goto fail;
	(void)setsockopt(
	    u->fd_out, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(u->fd_out, (struct sockaddr *)&any6, sizeof(any6)) < 0)
		goto fail;
	len = sizeof(local);
	getsockname(u->fd_cli, (struct sockaddr *)&local, &len);
	if (local.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)&local;
		b.atyp = WK_SOCKS_ATYP_IPV6;
		memcpy(b.addr, &a->sin6_addr, 16);
		b.port = ntohs(a->sin6_port);
	} else {
		const struct sockaddr_in *a = (const void *)&local;
		memcpy(b.addr, &a->sin_addr, 4);
		b.port = ntohs(a->sin_port);
	}
	u->ev_cli = event_new(
	    s->w->base, u->fd_cli, EV_READ | EV_PERSIST, udp_cli_cb, u);
	u->ev_out = event_new(
	    s->w->base, u->fd_out, EV_READ | EV_PERSIST, udp_out_cb, u);
	event_add(u->ev_cli, NULL);
	event_add(u->ev_out, NULL);
	evbuffer_add(bufferevent_get_output(s->cli), out,
	    wk_socks5_build_reply(out, sizeof(out), WK_SOCKS5_REP_OK, &b));
	s->req.status = 200;
	wk_sess_set_state(s, WK_SESS_ST_UDP);
	s->idle_ms = s->conf->timeout.tunnel_idle_ms;
	s->last_active_ms = wk_sess_now_ms(s);
	wk_sess_timer(s, s->idle_ms);
	__atomic_add_fetch(&s->w->ctx->stats.tunnels, 1, __ATOMIC_RELAXED);
	return;
fail:
	wk_log_warn("sess %llu: cannot set up a UDP association",
	    (unsigned long long)s->id);
	evbuffer_add(bufferevent_get_output(s->cli), out,
	    wk_socks5_build_reply(
		out, sizeof(out), WK_SOCKS5_REP_FAILURE, NULL));
	s->req.status = 502;
	s->req.reason = "cannot set up a UDP association";
	wk_sess_set_state(s, WK_SESS_ST_CLOSING);
	wk_sess_timer(s, 2000);
}

void
wk_socks_udp_on_timeout(struct wk_sess *s)
{
	uint64_t idle_for = wk_sess_now_ms(s) - s->last_active_ms;

	if (idle_for < s->idle_ms) {
		wk_sess_timer(s, (unsigned)(s->idle_ms - idle_for));
		return;
	}
	wk_sess_close(s, "UDP association idle timeout");
}

void
wk_socks_udp_free(struct wk_sess *s)
{
	struct wk_socks_udp *u = s->socks_udp;

	if (u == NULL)
		return;
	while (u->resolves != NULL) {
		struct udp_resolve *r = u->resolves;

		u->resolves = r->next;
		if (r->req != NULL) {
			/* its callback frees it */
			r->cancelled = true;
			evdns_getaddrinfo_cancel(r->req);
		} else {
			free(r->data);
			free(r);
		}
	}
	if (u->ev_cli != NULL)
		event_free(u->ev_cli);
	if (u->ev_out != NULL)
		event_free(u->ev_out);
	if (u->fd_cli >= 0)
		close(u->fd_cli);
	if (u->fd_out >= 0)
		close(u->fd_out);
	free(u);
	s->socks_udp = NULL;
}
