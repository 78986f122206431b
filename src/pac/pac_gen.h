/* src/pac/pac_gen.h: the PAC script wicket generates from its zones and
 * listeners for the desktop (served at /proxy.pac and /wpad.dat, written
 * to STATE_DIR/proxy.pac, printed by `wicket pac`). */
#ifndef WK_PAC_PAC_GEN_H
#define WK_PAC_PAC_GEN_H

#include "core/wk.h"

struct evbuffer;
struct wk_config;

#define WK_PAC_MIME "application/x-ns-proxy-autoconfig"

/* Appends the script to out; proxy is wicket's "HOST:PORT" as the
 * desktop reaches it. */
void wk_pac_generate(
    const struct wk_config *c, const char *proxy, struct evbuffer *out);

/* The first listener that speaks HTTP, as "127.0.0.1:3128" or
 * "[::1]:3128" (a wildcard address becomes loopback). */
void wk_pac_proxy_of(const struct wk_config *c, char *buf, size_t len);

#endif
