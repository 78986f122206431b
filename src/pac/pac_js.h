/* src/pac/pac_js.h: the PAC script engine (duktape, ES5.1) with the
 * standard helper functions; meant to run in the pac-helper process,
 * since a looping script cannot be interrupted. */
#ifndef WK_PAC_PAC_JS_H
#define WK_PAC_PAC_JS_H

#include "core/wk.h"

#include <time.h>

struct wk_pac_js;

/* What the helpers ask of the outside world. Every hook may be NULL. */
struct wk_pac_js_hooks {
	/* dnsResolve/isResolvable (all_families false: one IPv4 address)
	 * and the Ex variants (all_families true: a ';'-separated list of
	 * IPv4 and IPv6 addresses). Writes a NUL-terminated string into out;
	 * returns 0, or -1 when host does not resolve. Default:
	 * getaddrinfo(). */
	int (*resolve)(void *arg, const char *host, bool all_families,
	    char *out, size_t outlen);
	/* myIpAddress (one IPv4 address) and myIpAddressEx (a ';' list).
	 * Returns 0 or -1. Default: the addresses of the interfaces that are
	 * up and not loopback (getifaddrs; no traffic), else "127.0.0.1". */
	int (*my_ip)(void *arg, bool all_families, char *out, size_t outlen);
	/* The clock of weekdayRange, dateRange and timeRange. Default:
	 * time(NULL). */
	time_t (*now)(void *arg);
	/* alert() and console.log(), arguments joined by spaces. Default:
	 * ignored. */
	void (*alert)(void *arg, const char *msg);
	void *arg;
};

/* An engine without a script. The heaps it creates may hold at most
 * heap_max bytes; past that allocations fail and the script sees an
 * ordinary error. hooks is copied (NULL: all defaults). Never NULL. */
struct wk_pac_js *wk_pac_js_new(
    size_t heap_max, const struct wk_pac_js_hooks *hooks);

/* Compiles and runs len bytes of src (named name in messages) in a fresh
 * heap with the helpers installed, and checks that it defines
 * FindProxyForURL or FindProxyForURLEx as a function. On success the new
 * script replaces the previous one; on failure the previous one stays and
 * err holds "NAME:LINE: message". Returns 0 or -1. */
int wk_pac_js_load(struct wk_pac_js *js, const char *name, const char *src,
    size_t len, char *err, size_t errlen);

/* Calls FindProxyForURLEx(url, host) if the script defines it, else
 * FindProxyForURL(url, host), and copies the string it returns into out.
 * Returns 0, or -1 with err set ("NAME:LINE: message" for a thrown error;
 * also no script, a result that is not a string or does not fit). */
int wk_pac_js_find(struct wk_pac_js *js, const char *url, const char *host,
    char *out, size_t outlen, char *err, size_t errlen);

/* Evaluates the expression expr in the loaded script's global scope and
 * writes JSON.stringify() of its value into out ("undefined" when it has
 * no JSON form). For tests and debugging. Returns 0, or -1 with err set as
 * for wk_pac_js_find(). */
int wk_pac_js_eval(struct wk_pac_js *js, const char *expr, char *out,
    size_t outlen, char *err, size_t errlen);

/* Frees js (NULL allowed) and its heaps. */
void wk_pac_js_free(struct wk_pac_js *js);

#endif
