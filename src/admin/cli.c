/* src/admin/cli.c: subcommands that read the configuration and answer on
 * the terminal: `wicket zone` (the zone tester) and `wicket pac` (the
 * generated PAC script). */
#include "core/wk.h"

#include <sys/socket.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "admin/cli.h"
#include "config/conf.h"
#include "core/idna.h"
#include "zone/zone.h"

/* Splits URL|HOST[:PORT] into an A-label host and a port. */
static int
cli_dest(const char *arg, char *host, uint16_t *port, FILE *err)
{
	const char *h = arg, *end, *colon = NULL;
	unsigned long p = 80;
	char why[160];

	if (strstr(arg, "://") != NULL) {
		size_t sl = (size_t)(strstr(arg, "://") - arg);

		if (sl == 5 && strncasecmp(arg, "https", 5) == 0)
			p = 443;
		else if (sl == 3 && strncasecmp(arg, "ftp", 3) == 0)
			p = 21;
		h = arg + sl + 3;
		if (strchr(h, '@') != NULL &&
		    strchr(h, '@') < h + strcspn(h, "/?#"))
			h = strchr(h, '@') + 1;
	}
	end = h + strcspn(h, "/?#");
	if (*h == '[') {
		const char *rb = memchr(h, ']', (size_t)(end - h));

		if (rb == NULL) {
			fprintf(err, "wicket: bad address in \"%s\"\n", arg);
			return -1;
		}
		if (rb + 1 < end && rb[1] == ':')
			colon = rb + 1;
		h++;
		end = rb;
	} else {
		colon = memchr(h, ':', (size_t)(end - h));
		if (colon != NULL &&
		    memchr(colon + 1, ':', (size_t)(end - colon - 1)))
			colon = NULL; /* a bare IPv6 address */
	}
	if (colon != NULL) {
		char *e;

		p = strtoul(colon + 1, &e, 10);
		if (p == 0 || p > 65535 ||
		    (*e != '\0' && *e != '/' && *e != '?' && *e != '#')) {
			fprintf(err, "wicket: bad port in \"%s\"\n", arg);
			return -1;
		}
		if (*h != '[' && colon < end)
			end = colon;
	}
	if (wk_idna_host(h, (size_t)(end - h), true, host, why, sizeof(why)) <
	    0) {
		fprintf(err, "wicket: invalid host name \"%.*s\": %s\n",
		    (int)(end - h), h, why);
		return -1;
	}
	*port = (uint16_t)p;
	return 0;
}

int
wk_cli_zone(const struct wk_config *c, const char *arg, FILE *out, FILE *err)
{
	char host[WK_HOST_MAX], shown[WK_HOST_MAX * 3], route[1024];
	struct sockaddr_storage addrs[16];
	struct wk_zone_dest d = { 0 };
	struct wk_zone_hit hit;
	const struct wk_zone *z;
	uint16_t port;

	if (cli_dest(arg, host, &port, err) < 0)
		return 1;
	d.host = host;
	d.port = port;
	if (wk_zone_match(c->zones, &d, &hit) == WK_ZONE_NEED_ADDR) {
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai, *a;

		/* CIDR terms look at the name's addresses, as the daemon's
		 * evdns lookup would */
		d.addrs = addrs;
		d.resolved = true;
		if (getaddrinfo(host, NULL, &hints, &ai) == 0) {
			for (a = ai; a != NULL && d.n_addrs < 16;
			     a = a->ai_next)
				if (a->ai_addrlen <= sizeof(addrs[0])) {
					memset(&addrs[d.n_addrs], 0,
					    sizeof(addrs[0]));
					memcpy(&addrs[d.n_addrs++], a->ai_addr,
					    a->ai_addrlen);
				}
			freeaddrinfo(ai);
		}
		wk_zone_match(c->zones, &d, &hit);
	}
	z = hit.zone;
	{
		/* the form the person typed, and the A-label one */
		const char *h =
		    strstr(arg, "://") ? strstr(arg, "://") + 3 : arg;

		wk_idna_display(
		    h, strcspn(h, ":/?#"), host, shown, sizeof(shown));
	}
	fprintf(out, "destination %s port %u\n", shown, port);
	if (d.resolved)
		fprintf(out, "addresses   %zu (resolved for CIDR terms)\n",
		    d.n_addrs);
	fprintf(out, "zone        %s (%s)\n", z->name, z->where);
	if (hit.term != NULL)
		fprintf(out, "rule        %s: match %s\n", hit.term->where,
		    hit.term->text);
	else
		fprintf(out, "rule        none matched: the default zone\n");
	fprintf(out, "action      %s\n", wk_zone_action_name(z->action));
	wk_zone_route_text(z, c, route, sizeof(route));
	if (z->action == WK_ZONE_DENY)
		fprintf(out, "route       none (denied)\n");
	else if (wk_zone_route_of(z, c)->pac)
		fprintf(out, "route       pac (%s decides per request)\n",
		    c->pac.url != NULL ? c->pac.url : "no script");
	else
		fprintf(out, "route       %s\n", route);
	fprintf(out,
	    "policy      cookies %s, credentials %s, intercept %s, "
	    "decompress %s, log %s\n",
	    wk_zone_cookies_name(z->cookies),
	    wk_zone_creds_name(z->credentials), z->intercept ? "on" : "off",
	    wk_zone_decompress_name(z->decompress), wk_zone_log_name(z->log));
	return 0;
}
