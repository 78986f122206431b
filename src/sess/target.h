/* src/sess/target.h: where a destination goes: its zone (resolving the
 * name first when a CIDR term needs its addresses), the zone's verdict,
 * and the hops of its route (the config's, or the PAC script's answer). */
#ifndef WK_SESS_TARGET_H
#define WK_SESS_TARGET_H

#include "core/wk.h"

#include "config/conf.h"
#include "core/idna.h"
#include "pac/pac.h"
#include "zone/zone.h"

struct wk_target;
struct wk_worker;

enum wk_target_verdict {
	WK_TARGET_GO = 0, /* try result.route */
	WK_TARGET_DENY,	  /* the zone denies it */
	WK_TARGET_FAIL	  /* no route: detail says why (PAC failed) */
};

/* A route built from a PAC answer: owns its upstreams. */
struct wk_route_dyn {
	struct wk_route route;
	struct wk_upstream ups[WK_PAC_MAX_HOPS];
	const struct wk_upstream *hops[WK_PAC_MAX_HOPS];
	char names[WK_PAC_MAX_HOPS][WK_HOST_MAX + 16];
	char hosts[WK_PAC_MAX_HOPS][WK_HOST_MAX];
};

struct wk_target_result {
	enum wk_target_verdict verdict;
	struct wk_zone_hit hit;
	bool by_name; /* the zone was known from the name alone, no DNS */
	/* GO: the hops; into the config, or into dyn */
	const struct wk_route *route;
	struct wk_route_dyn *dyn; /* PAC: the caller takes ownership */
	char detail[512];	  /* FAIL: what went wrong */
};

/* Called once unless cancelled; may run inside wk_target_start. The
 * callee may take r->dyn (set it to NULL); the rest is freed after. */
typedef void (*wk_target_cb)(struct wk_target_result *r, void *arg);

/* c is borrowed until the callback. url is what a PAC script sees
 * (http://host/path, https://host/ for tunnels). Returns a handle, or NULL
 * when the callback already ran. */
struct wk_target *wk_target_start(struct wk_worker *w,
    const struct wk_config *c, const char *url, const char *host, uint16_t port,
    wk_target_cb cb, void *arg);
void wk_target_cancel(struct wk_target *t);

void wk_route_dyn_free_(struct wk_route_dyn *d);
#define wk_route_dyn_free(d)                                                   \
	do {                                                                   \
		wk_route_dyn_free_(d);                                         \
		(d) = NULL;                                                    \
	} while (0)

/* The URL a PAC script sees for a request (its path from target, in
 * absolute or origin form). */
void wk_target_request_url(bool https, const char *host, uint16_t port,
    const char *target, char *buf, size_t len);

/* The URL a PAC script sees for a tunnel to host:port. */
void wk_target_tunnel_url(
    const char *host, uint16_t port, char *buf, size_t len);

#endif
