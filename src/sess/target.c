/* src/sess/target.c: zone, verdict and route of a destination. The
 * common case (no CIDR term needing a name's addresses, no PAC) answers
 * at once; otherwise the name is resolved (evdns) and/or the PAC service
 * asked, and the answer comes on the worker's loop. */
#include "core/wk.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/dns.h>
#include <event2/util.h>

#include "core/alloc.h"
#include "core/bug.h"
#include "core/idna.h"
#include "log/log.h"
#include "pac/pac.h"
#include "sess/target.h"
#include "worker/worker.h"
#include "zone/zone.h"

#define TARGET_MAX_ADDRS 16

struct wk_target {
	struct wk_worker *w;
	const struct wk_config *c;
	char *url;
	char host[WK_HOST_MAX];
	uint16_t port;
	wk_target_cb cb;
	void *arg;
	struct evdns_getaddrinfo_request *dns;
	struct wk_pac_query *pac;
	struct wk_target_result res;
	bool in_start;
	bool done;
	bool cancelled; /* freed when the DNS answer comes back */
};

void
wk_route_dyn_free_(struct wk_route_dyn *d)
{
	free(d);
}

void
wk_target_tunnel_url(const char *host, uint16_t port, char *buf, size_t len)
{
	bool v6 = strchr(host, ':') != NULL;
	const char *lb = v6 ? "[" : "", *rb = v6 ? "]" : "";

	if (port == 80)
		snprintf(buf, len, "http://%s%s%s/", lb, host, rb);
	else if (port == 443)
		snprintf(buf, len, "https://%s%s%s/", lb, host, rb);
	else
		snprintf(buf, len, "https://%s%s%s:%u/", lb, host, rb, port);
}

void
wk_target_request_url(bool https, const char *host, uint16_t port,
    const char *target, char *buf, size_t len)
{
	const char *scheme = https ? "https" : "http", *path = "/";
	bool v6 = strchr(host, ':') != NULL;
	const char *sep = strstr(target, "://");

	if (sep != NULL) {
		path = strchr(sep + 3, '/');
		if (path == NULL)
			path = "/";
	} else if (target[0] == '/') {
		path = target;
	}
	if (port == (https ? 443 : 80))
		snprintf(buf, len, "%s://%s%s%s%s", scheme, v6 ? "[" : "", host,
		    v6 ? "]" : "", path);
	else
		snprintf(buf, len, "%s://%s%s%s:%u%s", scheme, v6 ? "[" : "",
		    host, v6 ? "]" : "", port, path);
}

static void
target_free(struct wk_target *t)
{
	free(t->res.dyn);
	free(t->url);
	free(t);
}

static void
target_finish(struct wk_target *t)
{
	t->cb(&t->res, t->arg);
	if (t->in_start)
		t->done = true;
	else
		target_free(t);
}

/* A route from the PAC answer; hops that wicket cannot use are left out
 * with a log line. */
static struct wk_route_dyn *
target_dyn_route(const struct wk_pac_hop *hops, size_t n)
{
	/* not zeroed: every field that is read is set below */
	struct wk_route_dyn *d = wk_malloc(sizeof(*d));
	size_t k = 0;

	for (size_t i = 0; i < n && k < WK_PAC_MAX_HOPS; i++) {
		const struct wk_pac_hop *h = &hops[i];
		struct wk_upstream *u = &d->ups[k];
		char why[160];

		memset(u, 0, sizeof(*u));
		if (h->kind == WK_PAC_DIRECT) {
			d->hops[k++] = NULL;
			continue;
		}
		char host[WK_HOST_MAX];

		if (wk_idna_host(h->host, strlen(h->host), false, host, why,
			sizeof(why)) < 0) {
			wk_log_notice("pac: skipping %s %s:%u: %s",
			    wk_pac_hop_kind_name(h->kind), h->host, h->port,
			    why);
			continue;
		}
		switch (h->kind) {
		case WK_PAC_PROXY:
			u->kind = WK_UPSTREAM_HTTP;
			break;
		case WK_PAC_HTTPS:
			u->kind = WK_UPSTREAM_HTTPS;
			break;
		case WK_PAC_SOCKS:
		case WK_PAC_SOCKS4:
			u->kind = WK_UPSTREAM_SOCKS4;
			break;
		default:
			u->kind = WK_UPSTREAM_SOCKS5;
			break;
		}
		memcpy(d->hosts[k], host, sizeof(host));
		snprintf(d->names[k], sizeof(d->names[k]), "pac-%s:%u", host,
		    h->port);
		u->name = d->names[k];
		u->host = d->hosts[k];
		u->port = h->port;
		d->hops[k] = u;
		k++;
	}
	memset(&d->route, 0, sizeof(d->route));
	d->route.hops = d->hops;
	d->route.n_hops = k;
	return d;
}

static void
target_pac_cb(
    const struct wk_pac_hop *hops, size_t n, const char *err, void *arg)
{
	struct wk_target *t = arg;
	const struct wk_config *c = t->c;

	t->pac = NULL;
	if (n > 0) {
		t->res.dyn = target_dyn_route(hops, n);
		if (t->res.dyn->route.n_hops > 0) {
			t->res.route = &t->res.dyn->route;
			target_finish(t);
			return;
		}
		err = "no usable entry in the answer";
		wk_route_dyn_free(t->res.dyn);
	}
	if (c->pac.has_fallback) {
		wk_log_warnx("pac: %s for %s; using pac-fallback", err, t->url);
		t->res.route = &c->pac.fallback;
	} else {
		wk_log_warnx("pac: %s for %s; no pac-fallback: failing the "
			     "request",
		    err, t->url);
		t->res.verdict = WK_TARGET_FAIL;
		snprintf(t->res.detail, sizeof(t->res.detail),
		    "the PAC script gave no route: %s", err);
	}
	target_finish(t);
}

/* The zone is known: its verdict and route. */
static void
target_zone_known(struct wk_target *t)
{
	const struct wk_zone *z = t->res.hit.zone;
	const struct wk_route *route = wk_zone_route_of(z, t->c);

	if (z->action == WK_ZONE_DENY) {
		t->res.verdict = WK_TARGET_DENY;
		target_finish(t);
		return;
	}
	if (!route->pac) {
		t->res.route = route;
		target_finish(t);
		return;
	}
	t->pac = wk_pac_find(t->w, t->url, t->host, target_pac_cb, t);
}

static void
target_dns_cb(int result, struct evutil_addrinfo *ai, void *arg)
{
	struct wk_target *t = arg;
	struct sockaddr_storage addrs[TARGET_MAX_ADDRS];
	struct wk_zone_dest d = { .host = t->host,
		.port = t->port,
		.addrs = addrs,
		.resolved = true };

	t->dns = NULL;
	if (t->cancelled) {
		if (ai != NULL)
			evutil_freeaddrinfo(ai);
		target_free(t);
		return;
	}
	if (result == 0)
		for (struct evutil_addrinfo *a = ai;
		     a != NULL && d.n_addrs < TARGET_MAX_ADDRS;
		     a = a->ai_next) {
			if (a->ai_addrlen > sizeof(addrs[0]))
				continue;
			memset(&addrs[d.n_addrs], 0, sizeof(addrs[0]));
			memcpy(&addrs[d.n_addrs++], a->ai_addr, a->ai_addrlen);
		}
	if (ai != NULL)
		evutil_freeaddrinfo(ai);
	/* a name that does not resolve matches no CIDR term; the connect
	 * will say why it fails */
	wk_zone_match(t->c->zones, &d, &t->res.hit);
	target_zone_known(t);
}

struct wk_target *
wk_target_start(struct wk_worker *w, const struct wk_config *c, const char *url,
    const char *host, uint16_t port, wk_target_cb cb, void *arg)
{
	struct wk_target *t;
	struct wk_zone_dest d = { .host = host, .port = port };
	struct wk_zone_hit hit;
	bool matched;

	WK_BUG_ON(c->zones == NULL);
	matched = wk_zone_match(c->zones, &d, &hit) == WK_ZONE_MATCHED;
	if (matched) {
		const struct wk_route *route = wk_zone_route_of(hit.zone, c);

		/* the common case answers at once, with nothing allocated */
		if (hit.zone->action == WK_ZONE_DENY || !route->pac) {
			struct wk_target_result res = { .hit = hit,
				.by_name = true };

			if (hit.zone->action == WK_ZONE_DENY)
				res.verdict = WK_TARGET_DENY;
			else
				res.route = route;
			cb(&res, arg);
			return NULL;
		}
		/* a cached PAC answer: also at once */
		struct wk_pac_hop hops[WK_PAC_MAX_HOPS];
		size_t n = 0;

		if (wk_pac_cached(url, host, hops, &n) && n > 0) {
			struct wk_target_result res = { .hit = hit,
				.by_name = true };

			res.dyn = target_dyn_route(hops, n);
			if (res.dyn->route.n_hops > 0) {
				res.route = &res.dyn->route;
				cb(&res, arg);
				wk_route_dyn_free(res.dyn);
				return NULL;
			}
			wk_route_dyn_free(res.dyn);
		}
	}
	t = wk_calloc(1, sizeof(*t));
	t->w = w;
	t->c = c;
	t->url = wk_strdup(url);
	snprintf(t->host, sizeof(t->host), "%s", host);
	t->port = port;
	t->cb = cb;
	t->arg = arg;
	t->in_start = true;
	if (matched) {
		t->res.hit = hit;
		t->res.by_name = true;
		target_zone_known(t);
	} else {
		struct evutil_addrinfo hints;

		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = EVUTIL_AI_ADDRCONFIG;
		t->dns = evdns_getaddrinfo(
		    w->dns, t->host, NULL, &hints, target_dns_cb, t);
	}
	t->in_start = false;
	if (t->done) {
		target_free(t);
		return NULL;
	}
	return t;
}

void
wk_target_cancel(struct wk_target *t)
{
	if (t == NULL)
		return;
	if (t->pac != NULL) {
		wk_pac_cancel(t->pac);
		t->pac = NULL;
	}
	if (t->dns != NULL) {
		/* the callback runs with an error, and frees t */
		t->cancelled = true;
		evdns_getaddrinfo_cancel(t->dns);
		return;
	}
	target_free(t);
}
