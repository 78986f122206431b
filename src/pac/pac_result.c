/* src/pac/pac_result.c: FindProxyForURL result strings. An entry is
 * KEYWORD [WS+ HOSTPORT] between ';' separators; everything is checked
 * byte by byte against len, so embedded NULs are just invalid bytes. */
#include "core/wk.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "pac/pac_result.h"

static const char *const pac_kind_names[] = {
	[WK_PAC_DIRECT] = "DIRECT",
	[WK_PAC_PROXY] = "PROXY",
	[WK_PAC_HTTPS] = "HTTPS",
	[WK_PAC_SOCKS] = "SOCKS",
	[WK_PAC_SOCKS4] = "SOCKS4",
	[WK_PAC_SOCKS5] = "SOCKS5",
};
_Static_assert(WK_ARRAY_LEN(pac_kind_names) == WK_PAC_HOP_KIND_COUNT,
    "one name per hop kind");

const char *
wk_pac_hop_kind_name(enum wk_pac_hop_kind kind)
{
	if ((unsigned)kind >= WK_PAC_HOP_KIND_COUNT)
		return "?";
	return pac_kind_names[kind];
}

static bool
pac_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	    c == '\f';
}

static void WK_PRINTF(3, 4)
    pac_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Keyword of n bytes at p; -1 if unknown. */
static int
pac_keyword(const char *p, size_t n)
{
	for (size_t k = 0; k < WK_PAC_HOP_KIND_COUNT; k++)
		if (strlen(pac_kind_names[k]) == n &&
		    strncasecmp(p, pac_kind_names[k], n) == 0)
			return (int)k;
	if (n == 4 && strncasecmp(p, "HTTP", 4) == 0)
		return WK_PAC_PROXY;
	return -1;
}

/* A host name character: letters, digits, '-', '.', '_'. */
static bool
pac_host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

/* "host:port" or "[v6]:port", n bytes at p, no whitespace. Fills hop's
 * host and port; returns 0, or -1 with a reason in *why. */
static int
pac_hostport(const char *p, size_t n, struct wk_pac_hop *hop, const char **why)
{
	const char *end = p + n, *colon, *host;
	size_t hlen, plen;
	unsigned long port = 0;

	if (n > 0 && p[0] == '[') {
		const char *rb = memchr(p, ']', n);
		uint8_t a6[16];

		if (rb == NULL) {
			*why = "missing ']'";
			return -1;
		}
		host = p + 1;
		hlen = (size_t)(rb - host);
		if (hlen == 0 || hlen >= 64) {
			*why = "bad IPv6 literal";
			return -1;
		}
		memcpy(hop->host, host, hlen);
		hop->host[hlen] = '\0';
		if (strlen(hop->host) != hlen ||
		    inet_pton(AF_INET6, hop->host, a6) != 1) {
			*why = "bad IPv6 literal";
			return -1;
		}
		colon = rb + 1;
		if (colon == end || *colon != ':') {
			*why = "missing port";
			return -1;
		}
	} else {
		colon = memchr(p, ':', n);
		if (colon == NULL) {
			*why = "missing port";
			return -1;
		}
		host = p;
		hlen = (size_t)(colon - p);
		if (hlen == 0) {
			*why = "empty host";
			return -1;
		}
		if (hlen >= sizeof(hop->host)) {
			*why = "host too long";
			return -1;
		}
		for (size_t i = 0; i < hlen; i++)
			if (!pac_host_char(host[i])) {
				*why = "bad character in host";
				return -1;
			}
		memcpy(hop->host, host, hlen);
		hop->host[hlen] = '\0';
	}
	/* the port: 1..65535, digits only */
	plen = (size_t)(end - (colon + 1));
	if (plen == 0) {
		*why = "missing port";
		return -1;
	}
	for (const char *q = colon + 1; q < end; q++) {
		if (*q < '0' || *q > '9') {
			*why = "bad port";
			return -1;
		}
		port = port * 10 + (unsigned long)(*q - '0');
		if (port > 65535) {
			*why = "port out of range";
			return -1;
		}
	}
	if (port == 0) {
		*why = "port out of range";
		return -1;
	}
	hop->port = (uint16_t)port;
	return 0;
}

/* One entry, n bytes at p, already trimmed. */
static int
pac_entry(const char *p, size_t n, struct wk_pac_hop *hop, const char **why)
{
	size_t k = 0, a;
	int kind;

	while (k < n && !pac_is_space(p[k]))
		k++;
	kind = pac_keyword(p, k);
	if (kind < 0) {
		*why = "unknown keyword";
		return -1;
	}
	a = k;
	while (a < n && pac_is_space(p[a]))
		a++;
	memset(hop, 0, sizeof(*hop));
	hop->kind = (enum wk_pac_hop_kind)kind;
	if (kind == WK_PAC_DIRECT) {
		if (a != n) {
			*why = "DIRECT takes no host";
			return -1;
		}
		return 0;
	}
	if (a == n) {
		*why = "missing host:port";
		return -1;
	}
	for (size_t i = a; i < n; i++)
		if (pac_is_space(p[i])) {
			*why = "junk after host:port";
			return -1;
		}
	return pac_hostport(p + a, n - a, hop, why);
}

int
wk_pac_result_parse(const char *s, size_t len, struct wk_pac_hop *hops,
    size_t max_hops, char *err, size_t errlen)
{
	size_t pos = 0, nhops = 0, entry = 0;
	bool any_valid = false, skipped = false;
	const char *why = "empty result";

	if (errlen > 0)
		err[0] = '\0';
	while (pos < len && !(any_valid && nhops == max_hops)) {
		size_t b = pos, e;
		const char *semi = memchr(s + pos, ';', len - pos);
		struct wk_pac_hop hop;
		const char *w = NULL;

		e = semi != NULL ? (size_t)(semi - s) : len;
		pos = semi != NULL ? e + 1 : len;
		while (b < e && pac_is_space(s[b]))
			b++;
		while (e > b && pac_is_space(s[e - 1]))
			e--;
		if (b == e)
			continue; /* "a;;b", a trailing ';' */
		entry++;
		if (pac_entry(s + b, e - b, &hop, &w) < 0) {
			if (!skipped)
				pac_err(err, errlen, "entry %zu: %s", entry, w);
			skipped = true;
			why = w;
			continue;
		}
		any_valid = true;
		if (nhops < max_hops)
			hops[nhops++] = hop;
	}
	if (!any_valid) {
		if (entry <= 1 || !skipped)
			pac_err(err, errlen, "%s",
			    entry == 0 ? "empty result" : why);
		else
			pac_err(err, errlen, "no valid entry (last: %s)", why);
		return -1;
	}
	return (int)nhops;
}

size_t
wk_pac_result_format(
    const struct wk_pac_hop *hops, size_t n, char *out, size_t outlen)
{
	size_t len = 0;

	if (outlen > 0)
		out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const struct wk_pac_hop *h = &hops[i];
		const char *sep = i > 0 ? "; " : "";
		size_t room = len < outlen ? outlen - len : 0;
		char *at = len < outlen ? out + len : NULL;
		int w;

		if (h->kind == WK_PAC_DIRECT)
			w = snprintf(at, room, "%sDIRECT", sep);
		else if (strchr(h->host, ':') != NULL)
			w = snprintf(at, room, "%s%s [%s]:%u", sep,
			    wk_pac_hop_kind_name(h->kind), h->host,
			    (unsigned)h->port);
		else
			w = snprintf(at, room, "%s%s %s:%u", sep,
			    wk_pac_hop_kind_name(h->kind), h->host,
			    (unsigned)h->port);
		if (w > 0)
			len += (size_t)w;
	}
	return len;
}
