/* src/config/conf_acl.c: client access rules (`allow`/`deny` CIDR|all),
 * checked in order for every client. */
#include "core/wk.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/conf-int.h"
#include "config/conf.h"
#include "core/alloc.h"

/* Parses "ADDR/PREFIX" or "ADDR" into r (allow left alone). IPv4-mapped
 * IPv6 networks become IPv4 rules, since mapped clients match as IPv4. */
static int
conf_parse_cidr(const char *s, struct wk_acl_rule *r, char *err, size_t errlen)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned maxbits, prefix, i;
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff,
		0xff };

	if (alen == 0 || alen >= sizeof(addr))
		goto bad_addr;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	memset(r->addr, 0, sizeof(r->addr));
	if (strchr(addr, ':') != NULL) {
		r->family = AF_INET6;
		maxbits = 128;
		if (inet_pton(AF_INET6, addr, r->addr) != 1)
			goto bad_addr;
	} else {
		r->family = AF_INET;
		maxbits = 32;
		if (inet_pton(AF_INET, addr, r->addr) != 1)
			goto bad_addr;
	}
	prefix = maxbits;
	if (slash != NULL && wk_conf_parse_small(slash + 1, maxbits, &prefix)) {
		snprintf(err, errlen,
		    "invalid prefix length in \"%s\" (0 to %u)", s, maxbits);
		return -1;
	}
	for (i = prefix; i < maxbits; i++) {
		if (r->addr[i / 8] & (0x80u >> (i % 8))) {
			snprintf(err, errlen, "host bits set in %s", s);
			return -1;
		}
	}
	r->prefix = prefix;
	if (r->family == AF_INET6 && prefix >= 96 &&
	    memcmp(r->addr, mapped, sizeof(mapped)) == 0) {
		memmove(r->addr, r->addr + 12, 4);
		memset(r->addr + 4, 0, 12);
		r->family = AF_INET;
		r->prefix = prefix - 96;
	}
	return 0;
bad_addr:
	snprintf(err, errlen,
	    "invalid address \"%s\" (expected an address, a network like "
	    "10.0.0.0/8 or fd00::/8, or all)",
	    s);
	return -1;
}

static bool
conf_prefix_match(const uint8_t *a, const uint8_t *net, unsigned prefix)
{
	unsigned full = prefix / 8, rest = prefix % 8;

	if (memcmp(a, net, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((a[full] ^ net[full]) & (0xffu << (8 - rest)) & 0xffu) == 0;
}

bool
wk_conf_client_allowed(const struct wk_config *c, const struct sockaddr *sa)
{
	uint8_t a[16];
	int family;
	size_t i;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)sa;

		family = AF_INET;
		memcpy(a, &sin->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;

		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			family = AF_INET;
			memcpy(a, sin6->sin6_addr.s6_addr + 12, 4);
		} else {
			family = AF_INET6;
			memcpy(a, sin6->sin6_addr.s6_addr, 16);
		}
	} else {
		return false;
	}
	if (c->n_acl == 0) {
		static const uint8_t v6_loopback[16] = { [15] = 1 };

		if (family == AF_INET)
			return a[0] == 127;
		return memcmp(a, v6_loopback, 16) == 0;
	}
	for (i = 0; i < c->n_acl; i++) {
		const struct wk_acl_rule *r = &c->acl[i];

		if (r->family == family &&
		    conf_prefix_match(a, r->addr, r->prefix))
			return r->allow;
	}
	return false;
}

static void
conf_add_rule(struct wk_config *c, const struct wk_acl_rule *r)
{
	c->acl = wk_realloc(c->acl, (c->n_acl + 1) * sizeof(*c->acl));
	c->acl[c->n_acl++] = *r;
}

static int
kw_acl(struct wk_conf_ctx *ctx, const struct wk_conf_args *args, char *err,
    size_t errlen)
{
	struct wk_acl_rule r;
	const char *s = args->argv[1].text;

	memset(&r, 0, sizeof(r));
	r.allow = strcmp(args->argv[0].text, "allow") == 0;
	if (strcmp(s, "all") == 0) {
		/* Both families; mapped IPv4 clients match the IPv4 one. */
		r.family = AF_INET;
		conf_add_rule(ctx->c, &r);
		r.family = AF_INET6;
		conf_add_rule(ctx->c, &r);
		return 0;
	}
	if (conf_parse_cidr(s, &r, err, errlen))
		return wk_conf_bad(ctx, 1);
	conf_add_rule(ctx->c, &r);
	return 0;
}

static void
conf_dump_rule(FILE *out, const struct wk_acl_rule *r)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(r->family, r->addr, a, sizeof(a));
	fprintf(out, "%s %s/%u\n", r->allow ? "allow" : "deny", a, r->prefix);
}

void
wk_conf_acl_dump(const struct wk_config *c, FILE *out)
{
	size_t i;

	if (c->n_acl == 0)
		fprintf(out, "# no allow/deny rules: loopback clients only\n");
	for (i = 0; i < c->n_acl; i++) {
		const struct wk_acl_rule *r = &c->acl[i];

		/* "all" was stored as 0.0.0.0/0 then ::/0. */
		if (r->prefix == 0 && r->family == AF_INET &&
		    i + 1 < c->n_acl && c->acl[i + 1].prefix == 0 &&
		    c->acl[i + 1].family == AF_INET6 &&
		    c->acl[i + 1].allow == r->allow) {
			fprintf(out, "%s all\n", r->allow ? "allow" : "deny");
			i++;
			continue;
		}
		conf_dump_rule(out, r);
	}
}

static const struct wk_conf_kw conf_acl_kws[] = {
	{ .section = WK_SEC_MAIN,
	    .name = "allow",
	    .handler = kw_acl,
	    .min_args = 1,
	    .max_args = 1,
	    .usage = "allow CIDR|all" },
	{ .section = WK_SEC_MAIN,
	    .name = "deny",
	    .handler = kw_acl,
	    .min_args = 1,
	    .max_args = 1,
	    .usage = "deny CIDR|all" },
};

const struct wk_conf_kw_list wk_conf_acl_list = { conf_acl_kws,
	WK_ARRAY_LEN(conf_acl_kws) };
