/* src/pac/pac_gen.c: the PAC script wicket gives the desktop. Zones are
 * tested in their order, first match wins, as wicket itself does: a zone
 * that is allowed and goes direct answers DIRECT, every other zone (and a
 * denied one, so that wicket can refuse it) answers "PROXY wicket". Names
 * are compared as A-labels; CIDR terms test IP literals only, so the
 * browser never resolves names for the script (wicket does that itself for
 * what it is sent). The script uses no helper that does DNS. */
#include "core/wk.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "config/conf.h"
#include "core/alloc.h"
#include "pac/pac_gen.h"
#include "zone/zone.h"

/* Own helpers of the generated script (wk* names, so they cannot clash
 * with the standard ones). */
static const char pac_gen_prelude[] =
    "function wkPort(url) {\n"
    "  var m = /^([a-z][a-z0-9+.-]*):\\/\\/(?:[^\\/?#@]*@)?"
    "(\\[[^\\]]*\\]|[^\\/?#:]*)(?::(\\d+))?/i.exec(url);\n"
    "  if (m && m[3]) return parseInt(m[3], 10);\n"
    "  var s = m ? m[1].toLowerCase() : \"http\";\n"
    "  if (s == \"https\" || s == \"wss\") return 443;\n"
    "  if (s == \"ftp\") return 21;\n"
    "  return 80;\n"
    "}\n"
    "function wkUnder(host, dom) {\n"
    "  var n = host.length - dom.length;\n"
    "  return n > 1 && host.charAt(n - 1) == \".\" && "
    "host.substring(n) == dom;\n"
    "}\n"
    "function wkIp4(host) {\n"
    "  var m = /^(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})$/"
    ".exec(host);\n"
    "  if (!m) return null;\n"
    "  var v = 0;\n"
    "  for (var i = 1; i <= 4; i++) {\n"
    "    var b = parseInt(m[i], 10);\n"
    "    if (b > 255) return null;\n"
    "    v = v * 256 + b;\n"
    "  }\n"
    "  return v;\n"
    "}\n"
    "function wkIn4(host, net, bits) {\n"
    "  var v = wkIp4(host);\n"
    "  if (v === null) return false;\n"
    "  var size = Math.pow(2, 32 - bits);\n"
    "  return Math.floor(v / size) == Math.floor(net / size);\n"
    "}\n"
    "function wkIp6(host) {\n"
    "  if (host.charAt(0) == \"[\") host = host.substring(1, "
    "host.length - 1);\n"
    "  if (host.indexOf(\":\") < 0 || !/^[0-9a-f:.]+$/i.test(host)) "
    "return null;\n"
    "  var halves = host.split(\"::\");\n"
    "  if (halves.length > 2) return null;\n"
    "  function groups(s) {\n"
    "    if (s == \"\") return [];\n"
    "    var g = s.split(\":\"), out = [];\n"
    "    for (var i = 0; i < g.length; i++) {\n"
    "      if (i == g.length - 1 && g[i].indexOf(\".\") >= 0) {\n"
    "        var v = wkIp4(g[i]);\n"
    "        if (v === null) return null;\n"
    "        out.push(Math.floor(v / 65536), v % 65536);\n"
    "      } else if (/^[0-9a-f]{1,4}$/i.test(g[i])) {\n"
    "        out.push(parseInt(g[i], 16));\n"
    "      } else return null;\n"
    "    }\n"
    "    return out;\n"
    "  }\n"
    "  var a = groups(halves[0]), b = halves.length == 2 ? "
    "groups(halves[1]) : [];\n"
    "  if (a === null || b === null) return null;\n"
    "  var fill = 8 - a.length - b.length;\n"
    "  if (halves.length == 1 ? fill != 0 : fill < 1) return null;\n"
    "  while (fill-- > 0) a.push(0);\n"
    "  return a.concat(b);\n"
    "}\n"
    "function wkIn6(host, net, bits) {\n"
    "  var v = wkIp6(host);\n"
    "  if (v === null) return false;\n"
    "  for (var i = 0; i < 8 && bits > 0; i++, bits -= 16) {\n"
    "    var keep = bits >= 16 ? 16 : bits;\n"
    "    var size = Math.pow(2, 16 - keep);\n"
    "    if (Math.floor(v[i] / size) != Math.floor(net[i] / size)) "
    "return false;\n"
    "  }\n"
    "  return true;\n"
    "}\n";

/* A JS string literal of s (names and patterns are ASCII A-labels). */
static void
pac_gen_str(struct evbuffer *out, const char *s)
{
	evbuffer_add(out, "\"", 1);
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			evbuffer_add_printf(out, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			evbuffer_add_printf(out, "\\x%02x", ch);
		else
			evbuffer_add(out, s, 1);
	}
	evbuffer_add(out, "\"", 1);
}

/* A shell pattern as a JS regular expression on the whole name: * and ?
 * as in fnmatch, [...] classes kept, everything else literal. */
static void
pac_gen_glob(struct evbuffer *out, const char *pat)
{
	evbuffer_add_printf(out, "/^");
	for (const char *p = pat; *p != '\0'; p++) {
		if (*p == '*') {
			evbuffer_add_printf(out, ".*");
		} else if (*p == '?') {
			evbuffer_add_printf(out, ".");
		} else if (*p == '[' && strchr(p + 1, ']') != NULL) {
			const char *end = strchr(p + 2, ']');

			if (end == NULL)
				end = strchr(p + 1, ']');
			evbuffer_add(out, "[", 1);
			p++;
			if (*p == '!') {
				evbuffer_add(out, "^", 1);
				p++;
			}
			for (; p < end; p++) {
				if (*p == '\\' || *p == '/' || *p == ']' ||
				    *p == '[' || *p == '^')
					evbuffer_add(out, "\\", 1);
				evbuffer_add(out, p, 1);
			}
			evbuffer_add(out, "]", 1);
		} else if ((*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_') {
			evbuffer_add(out, p, 1);
		} else if ((unsigned char)*p < 0x20 ||
		    (unsigned char)*p >= 0x7f) {
			evbuffer_add_printf(out, "\\x%02x", (unsigned char)*p);
		} else {
			evbuffer_add_printf(out, "\\%c", *p);
		}
	}
	evbuffer_add_printf(out, "$/.test(host)");
}

static void
pac_gen_term(struct evbuffer *out, const struct wk_zone_term *t)
{
	evbuffer_add(out, "(", 1);
	switch (t->kind) {
	case WK_ZT_ANY:
		evbuffer_add_printf(out, "true");
		break;
	case WK_ZT_EXACT:
		evbuffer_add_printf(out, "host == ");
		pac_gen_str(out, t->name);
		break;
	case WK_ZT_SUBDOMS:
		evbuffer_add_printf(out, "wkUnder(host, ");
		pac_gen_str(out, t->name);
		evbuffer_add_printf(out, ")");
		break;
	case WK_ZT_DOMAIN:
		evbuffer_add_printf(out, "host == ");
		pac_gen_str(out, t->name);
		evbuffer_add_printf(out, " || wkUnder(host, ");
		pac_gen_str(out, t->name);
		evbuffer_add_printf(out, ")");
		break;
	case WK_ZT_GLOB:
		pac_gen_glob(out, t->name);
		break;
	case WK_ZT_CIDR:
		if (t->family == AF_INET) {
			uint32_t v = ((uint32_t)t->addr[0] << 24) |
			    ((uint32_t)t->addr[1] << 16) |
			    ((uint32_t)t->addr[2] << 8) | t->addr[3];

			evbuffer_add_printf(out, "wkIn4(host, %lu, %u)",
			    (unsigned long)v, t->prefix);
		} else {
			evbuffer_add_printf(out, "wkIn6(host, [");
			for (int i = 0; i < 8; i++)
				evbuffer_add_printf(out, "%s%u", i ? "," : "",
				    ((unsigned)t->addr[2 * i] << 8) |
					t->addr[2 * i + 1]);
			evbuffer_add_printf(out, "], %u)", t->prefix);
		}
		break;
	default:
		evbuffer_add_printf(out, "false");
		break;
	}
	if (t->port_lo != 0) {
		if (t->port_lo == t->port_hi)
			evbuffer_add_printf(out, " && port == %u", t->port_lo);
		else
			evbuffer_add_printf(out, " && port >= %u && port <= %u",
			    t->port_lo, t->port_hi);
	}
	evbuffer_add(out, ")", 1);
}

/* Does the desktop go straight there? */
static bool
pac_gen_is_direct(const struct wk_zone *z, const struct wk_config *c)
{
	const struct wk_route *r = wk_zone_route_of(z, c);

	if (z->action != WK_ZONE_ALLOW || r->pac)
		return false;
	for (size_t i = 0; i < r->n_hops; i++)
		if (r->hops[i] != NULL)
			return false;
	return true;
}

void
wk_pac_generate(
    const struct wk_config *c, const char *proxy, struct evbuffer *out)
{
	const struct wk_zones *zs = c->zones;

	evbuffer_add_printf(out,
	    "// The proxy auto-config script of wicket %s, made from %s.\n"
	    "// Zones are tested in order, first match wins: a zone that is\n"
	    "// allowed and goes direct answers DIRECT, everything else goes\n"
	    "// to wicket, which applies its zones again.\n",
	    PACKAGE_VERSION, c->path != NULL ? c->path : "the defaults");
	evbuffer_add_printf(out, "var wkProxy = \"PROXY %s\";\n", proxy);
	evbuffer_add(out, pac_gen_prelude, sizeof(pac_gen_prelude) - 1);
	evbuffer_add_printf(out,
	    "function FindProxyForURL(url, host) {\n"
	    "  host = host.toLowerCase();\n"
	    "  if (host.charAt(host.length - 1) == \".\")\n"
	    "    host = host.substring(0, host.length - 1);\n"
	    "  if (host.charAt(0) == \"[\")\n"
	    "    host = host.substring(1, host.length - 1);\n"
	    "  var port = wkPort(url);\n");
	for (size_t i = 0; zs != NULL && i < zs->n; i++) {
		const struct wk_zone *z = &zs->zones[i];

		if (z->n_terms == 0)
			continue;
		evbuffer_add_printf(
		    out, "  // zone %s (%s)\n  if (", z->name, z->where);
		for (size_t j = 0; j < z->n_terms; j++) {
			if (j > 0)
				evbuffer_add_printf(out, " ||\n      ");
			pac_gen_term(out, &z->terms[j]);
		}
		evbuffer_add_printf(out, ")\n    return %s;\n",
		    pac_gen_is_direct(z, c) ? "\"DIRECT\"" : "wkProxy");
	}
	evbuffer_add_printf(out,
	    "  // the default zone (%s)\n  return %s;\n}\n",
	    zs != NULL && zs->dflt != NULL ? zs->dflt->where : "built-in",
	    zs != NULL && zs->dflt != NULL && pac_gen_is_direct(zs->dflt, c) ?
		"\"DIRECT\"" :
		"wkProxy");
}

void
wk_pac_proxy_of(const struct wk_config *c, char *buf, size_t len)
{
	for (size_t i = 0; i < c->n_listens; i++) {
		const struct wk_listen *l = &c->listens[i];
		char a[INET6_ADDRSTRLEN];
		unsigned port;

		if (l->proto == WK_LISTEN_SOCKS)
			continue;
		if (l->addr.ss_family == AF_INET) {
			const struct sockaddr_in *s4 = (const void *)&l->addr;

			port = ntohs(s4->sin_port);
			if (s4->sin_addr.s_addr == htonl(INADDR_ANY))
				snprintf(a, sizeof(a), "127.0.0.1");
			else
				inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
			snprintf(buf, len, "%s:%u", a, port);
		} else {
			const struct sockaddr_in6 *s6 = (const void *)&l->addr;

			port = ntohs(s6->sin6_port);
			if (IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr))
				snprintf(a, sizeof(a), "::1");
			else
				inet_ntop(
				    AF_INET6, &s6->sin6_addr, a, sizeof(a));
			snprintf(buf, len, "[%s]:%u", a, port);
		}
		return;
	}
	snprintf(buf, len, "127.0.0.1:3128");
}
