/* src/pac/pac.h: the upstream PAC script: loaded from file:// or http://,
 * evaluated in a helper process (duktape cannot be interrupted in
 * process), answers cached per host. Workers ask without blocking; the
 * answer comes back on the worker's loop. */
#ifndef WK_PAC_PAC_H
#define WK_PAC_PAC_H

#include "core/wk.h"

#include "pac/pac_result.h"

#define WK_PAC_MAX_HOPS 8

struct wk_config;
struct wk_ctx;
struct wk_pac_query;
struct wk_worker;

/* hops/n on success; on failure n == 0 and err says why (the script threw,
 * timed out, returned garbage, is not loaded). Runs on the asking
 * worker's loop, possibly inside wk_pac_find. */
typedef void (*wk_pac_cb)(
    const struct wk_pac_hop *hops, size_t n, const char *err, void *arg);

/* Starts the PAC service (its thread and helper process) for the
 * config's `pac` URL, or reconfigures it on reload. self_exe is the
 * program to run as `pac-helper`. Returns 0, or -1 with err. */
int wk_pac_service_start(struct wk_ctx *ctx, const char *self_exe);
/* The config changed (SIGHUP): reload the script (file or URL). */
void wk_pac_service_reload(void);
void wk_pac_service_stop(void);

/* Asks FindProxyForURL(url, host). Returns a handle, or NULL when the
 * callback already ran (a cached answer, or no service). */
struct wk_pac_query *wk_pac_find(struct wk_worker *w, const char *url,
    const char *host, wk_pac_cb cb, void *arg);
/* The callback will not run. */
void wk_pac_cancel(struct wk_pac_query *q);

/* A fresh cached answer for url and host, if there is one (no waiting,
 * nothing allocated). */
bool wk_pac_cached(
    const char *url, const char *host, struct wk_pac_hop *hops, size_t *n);

#endif
