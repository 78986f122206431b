/* src/upstream/connector.c: evdns_getaddrinfo, then one non-blocking
 * connect per address until one succeeds. */
#include "core/wk.h"

#include <sys/socket.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "core/alloc.h"
#include "core/netaddr.h"
#include "worker/worker.h"
#include "log/log.h"
#include "upstream/connector.h"

struct wk_connect {
	struct wk_worker *w;
	char *host;
	uint16_t port;
	wk_connect_cb cb;
	void *arg;
	struct evdns_getaddrinfo_request *dns_req;
	struct evutil_addrinfo *ai;  /* every address (from evdns) */
	struct evutil_addrinfo *cur; /* the one being tried */
	/* an IP literal's one address, without asking evdns */
	struct evutil_addrinfo lit;
	struct sockaddr_storage lit_addr;
	size_t left; /* addresses not yet tried, incl. cur */
	struct bufferevent *bev;
	struct event *timer;
	struct timeval deadline;
	enum wk_conn_err last_err;
	bool cancelled; /* freed when the DNS callback comes back */
	bool in_start;	/* inside wk_connect_start */
	bool done;	/* callback ran during start */
	bool at_once;	/* connected inside connect(): timer is active */
};

static const char *const conn_err_names[WK_CONN_ERR_COUNT] = { "connected",
	"name not found", "name server timeout", "connection refused",
	"network unreachable", "connect timeout", "connect error" };

const char *
wk_conn_err_str(enum wk_conn_err e)
{
	return (unsigned)e < WK_CONN_ERR_COUNT ? conn_err_names[e] : "?";
}

static void
connect_free(struct wk_connect *c)
{
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	if (c->ai != NULL)
		evutil_freeaddrinfo(c->ai);
	if (c->timer != NULL)
		event_free(c->timer);
	free(c->host);
	free(c);
}

static void
connect_finish(struct wk_connect *c, struct bufferevent *bev,
    enum wk_conn_err err, const struct sockaddr *peer)
{
	struct sockaddr_storage ss;

	if (peer != NULL)
		memcpy(&ss, peer, c->cur->ai_addrlen);
	c->cb(bev, err, peer ? (struct sockaddr *)&ss : NULL, c->arg);
	if (c->in_start)
		c->done = true; /* wk_connect_start frees it */
	else
		connect_free(c);
}

static enum wk_conn_err
connect_map_errno(int e)
{
	switch (e) {
	case ECONNREFUSED:
		return WK_CONN_REFUSED;
	case ENETUNREACH:
	case EHOSTUNREACH:
	case ENETDOWN:
	case EHOSTDOWN:
	case EADDRNOTAVAIL:
	case EAFNOSUPPORT:
		return WK_CONN_UNREACH;
	case ETIMEDOUT:
		return WK_CONN_TIMEOUT;
	default:
		return WK_CONN_ERROR;
	}
}

static void connect_try_next(struct wk_connect *c);
static void connect_event_cb(struct bufferevent *bev, short what, void *arg);

/* c->bev is connected: hand it over */
static void
connect_done(struct wk_connect *c)
{
	struct bufferevent *bev = c->bev;
	int one = 1;

	(void)setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one,
	    sizeof(one));
	evtimer_del(c->timer);
	c->bev = NULL;
	bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
	connect_finish(c, bev, WK_CONN_OK, c->cur->ai_addr);
}

/* Starts a non-blocking connect to c->cur in c->bev; false when it failed
 * at once (c->last_err says why). c->at_once is set when it is already done: a
 * connect to a local address completes inside connect(), so a local
 * upstream (a chained proxy on loopback, a local server) needs no trip
 * through epoll to hear it. */
static bool
connect_begin(struct wk_connect *c)
{
	const struct evutil_addrinfo *a = c->cur;
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	int fd =
	    socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	c->at_once = false;
	if (fd < 0) {
		c->last_err = connect_map_errno(errno);
		return false;
	}
	if (connect(fd, a->ai_addr, (socklen_t)a->ai_addrlen) < 0 &&
	    errno != EINPROGRESS) {
		c->last_err = connect_map_errno(errno);
		close(fd);
		return false;
	}
	c->bev = bufferevent_socket_new(c->w->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		c->last_err = WK_CONN_ERROR;
		close(fd);
		return false;
	}
	if (getpeername(fd, (struct sockaddr *)&peer, &plen) == 0) {
		c->at_once = true;
		return true;
	}
	/* in progress: the bufferevent waits for it (no address: it only
	 * watches the socket it was given) */
	bufferevent_setcb(c->bev, NULL, NULL, connect_event_cb, c);
	if (bufferevent_socket_connect(c->bev, NULL, 0) < 0) {
		c->last_err = WK_CONN_ERROR;
		bufferevent_free(c->bev);
		c->bev = NULL;
		return false;
	}
	return true;
}

static void
connect_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct wk_connect *c = arg;

	if (what & BEV_EVENT_CONNECTED) {
		connect_done(c);
		return;
	}
	int err = 0;
	socklen_t len = sizeof(err);
	if (getsockopt(
		bufferevent_getfd(bev), SOL_SOCKET, SO_ERROR, &err, &len) < 0 ||
	    err == 0)
		err = EVUTIL_SOCKET_ERROR();
	if (err == 0)
		err = ECONNREFUSED;
	c->last_err = connect_map_errno(err);
	if (wk_log_enabled(WK_LOG_DEBUG)) {
		char a[WK_ADDRSTRLEN];
		wk_addr_str(c->cur->ai_addr, a, sizeof(a));
		wk_log_debug("connect %s (%s): %s", c->host, a, strerror(err));
	}
	bufferevent_free(c->bev);
	c->bev = NULL;
	c->cur = c->cur->ai_next;
	c->left--;
	connect_try_next(c);
}

static void
connect_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct wk_connect *c = arg;

	(void)fd, (void)what;
	if (c->at_once) {
		connect_done(c);
		return;
	}
	c->last_err = WK_CONN_TIMEOUT;
	bufferevent_free(c->bev);
	c->bev = NULL;
	c->cur = c->cur->ai_next;
	c->left--;
	connect_try_next(c);
}

static void
connect_try_next(struct wk_connect *c)
{
	struct timeval now, rest, slice;

	for (; c->cur != NULL; c->cur = c->cur->ai_next, c->left--) {
		evutil_gettimeofday(&now, NULL);
		if (!evutil_timercmp(&now, &c->deadline, <)) {
			c->last_err = WK_CONN_TIMEOUT;
			break;
		}
		/* share what is left of the bound among the addresses left,
		 * so one black-holed address cannot use it all */
		evutil_timersub(&c->deadline, &now, &rest);
		uint64_t us =
		    ((uint64_t)rest.tv_sec * 1000000 + (uint64_t)rest.tv_usec) /
		    (c->left ? c->left : 1);
		if (c->left > 1 && us < 1000000)
			us = WK_MIN(1000000,
			    (uint64_t)rest.tv_sec * 1000000 +
				(uint64_t)rest.tv_usec);
		slice.tv_sec = (time_t)(us / 1000000);
		slice.tv_usec = (suseconds_t)(us % 1000000);

		if (!connect_begin(c))
			continue;
		if (c->at_once) {
			/* told from the loop like any connect, but without
			 * waiting in epoll for it */
			event_active(c->timer, EV_TIMEOUT, 1);
		} else {
			evtimer_add(c->timer, &slice);
		}
		return;
	}
	connect_finish(c, NULL, c->last_err, NULL);
}

static void
connect_dns_cb(int result, struct evutil_addrinfo *res, void *arg)
{
	struct wk_connect *c = arg;

	c->dns_req = NULL;
	if (c->cancelled) {
		if (res != NULL)
			evutil_freeaddrinfo(res);
		connect_free(c);
		return;
	}
	if (result != 0 || res == NULL) {
		wk_log_debug(
		    "resolve %s: %s", c->host, evutil_gai_strerror(result));
		if (res != NULL)
			evutil_freeaddrinfo(res);
		c->cur = NULL;
		connect_finish(c, NULL,
		    result == EVUTIL_EAI_AGAIN || result == EVUTIL_EAI_FAIL ?
			WK_CONN_DNS_TIMEOUT :
			WK_CONN_DNS,
		    NULL);
		return;
	}
	c->ai = c->cur = res;
	c->left = 0;
	for (struct evutil_addrinfo *a = res; a != NULL; a = a->ai_next)
		c->left++;
	connect_try_next(c);
}

/* An IPv4 or IPv6 literal becomes c->cur at once: nothing to resolve. */
static bool
connect_literal(struct wk_connect *c)
{
	c->lit.ai_addrlen =
	    wk_addr_from_literal(c->host, c->port, &c->lit_addr);
	if (c->lit.ai_addrlen == 0)
		return false; /* a name, or a form only evdns knows (scopes) */
	c->lit.ai_family = c->lit_addr.ss_family;
	c->lit.ai_socktype = SOCK_STREAM;
	c->lit.ai_protocol = IPPROTO_TCP;
	c->lit.ai_addr = (struct sockaddr *)&c->lit_addr;
	c->cur = &c->lit;
	c->left = 1;
	return true;
}

/* RFC 6761: names under .invalid never resolve; and a name that breaks the
 * DNS length rules cannot, so neither is sent to a name server. */
static bool
connect_name_is_hopeless(const char *h)
{
	size_t len = strlen(h), label = 0;

	if (len == 0 || len > 253)
		return true;
	for (const char *p = h; *p; p++) {
		if (*p == '.') {
			if (label == 0 && p[1] != '\0')
				return true;
			label = 0;
		} else if (++label > 63) {
			return true;
		}
	}
	if (len >= 8 && strcasecmp(h + len - 8, ".invalid") == 0)
		return true;
	if (len >= 9 && strcasecmp(h + len - 9, ".invalid.") == 0)
		return true;
	return strcasecmp(h, "invalid") == 0;
}

struct wk_connect *
wk_connect_start(struct wk_worker *w, const char *host, uint16_t port,
    unsigned timeout_ms, wk_connect_cb cb, void *arg)
{
	struct wk_connect *c = wk_calloc(1, sizeof(*c));
	struct evutil_addrinfo hints;
	struct timeval now,
	    to = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	char portstr[8];

	c->w = w;
	c->host = wk_strdup(host);
	c->port = port;
	c->cb = cb;
	c->arg = arg;
	c->last_err = WK_CONN_ERROR;
	c->timer = evtimer_new(w->base, connect_timer_cb, c);
	evutil_gettimeofday(&now, NULL);
	evutil_timeradd(&now, &to, &c->deadline);

	if (connect_name_is_hopeless(host)) {
		wk_log_debug("resolve %s: not a resolvable name", host);
		cb(NULL, WK_CONN_DNS, NULL, arg);
		connect_free(c);
		return NULL;
	}

	if (connect_literal(c)) {
		c->in_start = true;
		connect_try_next(c);
		c->in_start = false;
		if (c->done) {
			connect_free(c);
			return NULL;
		}
		return c;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	snprintf(portstr, sizeof(portstr), "%u", port);
	c->in_start = true;
	c->dns_req =
	    evdns_getaddrinfo(w->dns, host, portstr, &hints, connect_dns_cb, c);
	c->in_start = false;
	if (c->done) {
		connect_free(c);
		return NULL;
	}
	return c;
}

void
wk_connect_cancel(struct wk_connect *c)
{
	if (c == NULL)
		return;
	if (c->dns_req != NULL) {
		/* the DNS callback runs (with EVUTIL_EAI_CANCEL) and frees */
		c->cancelled = true;
		evdns_getaddrinfo_cancel(c->dns_req);
		return;
	}
	connect_free(c);
}
