/* src/pac/pac_result.h: parses and formats the string FindProxyForURL
 * returns ("PROXY a:8080; SOCKS5 [::1]:1080; DIRECT"). Pure: no I/O, no
 * allocation, no globals. */
#ifndef WK_PAC_PAC_RESULT_H
#define WK_PAC_PAC_RESULT_H

#include "core/wk.h"

/* What one entry of the result asks for. */
enum wk_pac_hop_kind {
	WK_PAC_DIRECT = 0, /* "DIRECT": connect to the origin ourselves */
	WK_PAC_PROXY,	   /* "PROXY" (or "HTTP"): an HTTP proxy */
	WK_PAC_HTTPS,	   /* "HTTPS": an HTTP proxy spoken to over TLS */
	WK_PAC_SOCKS,	   /* "SOCKS": SOCKS4 semantics, as in Chromium */
	WK_PAC_SOCKS4,	   /* "SOCKS4" */
	WK_PAC_SOCKS5,	   /* "SOCKS5" */
	WK_PAC_HOP_KIND_COUNT
};

/* One usable entry. host is a name or an IP literal (an IPv6 literal
 * without its brackets), empty with port 0 for DIRECT. */
struct wk_pac_hop {
	enum wk_pac_hop_kind kind;
	char host[256];
	uint16_t port;
};

/* Parses len bytes at s (no NUL needed). Entries are separated by ';';
 * whitespace around keywords, hosts and separators is ignored; keywords
 * are case-insensitive; proxies need "host:port" or "[v6]:port" with a
 * port in 1..65535. An invalid entry is skipped (as Chromium does) and
 * at most max_hops valid entries are stored. Returns the number stored,
 * or -1 when no entry is valid (or the string is empty); err then says
 * why. On success err holds the reason the first entry was skipped, or
 * "" if none was. err may be NULL when errlen is 0. */
int wk_pac_result_parse(const char *s, size_t len, struct wk_pac_hop *hops,
    size_t max_hops, char *err, size_t errlen);

/* Writes the canonical form "PROXY h:p; SOCKS5 [v6]:p; DIRECT" of n hops
 * into out (always NUL-terminated when outlen > 0). Returns the length of
 * the whole string, like snprintf: out was big enough if it is less than
 * outlen. */
size_t wk_pac_result_format(
    const struct wk_pac_hop *hops, size_t n, char *out, size_t outlen);

/* "DIRECT", "PROXY", "HTTPS", "SOCKS", "SOCKS4", "SOCKS5"; "?" otherwise. */
const char *wk_pac_hop_kind_name(enum wk_pac_hop_kind kind);

#endif
