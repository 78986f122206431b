/* src/zone/zone.c: match terms (parse and test) and the zone matcher.
 * Names, suffixes and domains are found through a hash index of every
 * suffix of the destination, so a match costs a few look-ups whatever
 * the number of rules; shell patterns and CIDR ranges are tested in turn.
 * The first term in file order that matches wins. */
#include "core/wk.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <fnmatch.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/hash.h"
#include "core/idna.h"
#include "core/netaddr.h"
#include "zone/zone.h"

/* One indexed name term: its rank in file order across all zones. */
struct zone_ix_entry {
	const char *name; /* the term's name (borrowed) */
	size_t name_len;
	uint64_t hash;
	const struct wk_zone *zone;
	const struct wk_zone_term *term;
	size_t rank;
	struct zone_ix_entry *next; /* same bucket */
};

/* A term tested by scan (shell pattern, CIDR, "*"). */
struct zone_scan_entry {
	const struct wk_zone *zone;
	const struct wk_zone_term *term;
	size_t rank;
};

struct wk_zone_index {
	struct zone_ix_entry *entries;
	size_t n_entries;
	struct zone_ix_entry **buckets;
	size_t n_buckets; /* a power of two */
	struct zone_scan_entry *scan;
	size_t n_scan;
};

static const char *const zone_action_names[] = { "allow", "deny" };
static const char *const zone_cookies_names[] = { "on", "off", "session-only",
	"jar-only" };
static const char *const zone_creds_names[] = { "auto", "prompt", "never" };
static const char *const zone_decomp_names[] = { "auto", "always", "never" };
static const char *const zone_log_names[] = { "meta", "none", "full" };

const char *
wk_zone_action_name(enum wk_zone_action a)
{
	return a < WK_ZONE_ACTION_COUNT ? zone_action_names[a] : "?";
}

const char *
wk_zone_cookies_name(enum wk_zone_cookies v)
{
	return v < WK_ZONE_COOKIES_COUNT ? zone_cookies_names[v] : "?";
}

const char *
wk_zone_creds_name(enum wk_zone_creds v)
{
	return v < WK_ZONE_CREDS_COUNT ? zone_creds_names[v] : "?";
}

const char *
wk_zone_decompress_name(enum wk_zone_decompress v)
{
	return v < WK_ZONE_DECOMP_COUNT ? zone_decomp_names[v] : "?";
}

const char *
wk_zone_log_name(enum wk_zone_log v)
{
	return v < WK_ZONE_LOG_COUNT ? zone_log_names[v] : "?";
}

/* ------------------------------------------------------------------ */
/* Terms                                                               */

static int
zone_parse_port(
    const char *s, uint16_t *lo, uint16_t *hi, char *err, size_t errlen)
{
	unsigned long a, b;
	char *end;

	if (*s < '0' || *s > '9')
		goto bad;
	a = strtoul(s, &end, 10);
	b = a;
	if (*end == '-') {
		if (end[1] < '0' || end[1] > '9')
			goto bad;
		b = strtoul(end + 1, &end, 10);
	}
	if (*end != '\0' || a == 0 || a > 65535 || b < a || b > 65535)
		goto bad;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
bad:
	snprintf(err, errlen, "invalid port \"%s\" (1 to 65535, or LO-HI)", s);
	return -1;
}

static int
zone_parse_cidr(const char *s, size_t len, struct wk_zone_term *t)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = memchr(s, '/', len);
	size_t alen = slash ? (size_t)(slash - s) : len;
	unsigned long prefix;
	unsigned max;

	if (alen == 0 || alen >= INET6_ADDRSTRLEN)
		return -1;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, t->addr) == 1) {
		t->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, t->addr) == 1) {
		t->family = AF_INET6;
		max = 128;
	} else
		return -1;
	prefix = max;
	if (slash != NULL) {
		char *end;
		size_t plen = len - alen - 1;

		if (plen == 0 || plen > 3 || slash[1] < '0' || slash[1] > '9')
			return -1;
		memcpy(buf, slash + 1, plen);
		buf[plen] = '\0';
		prefix = strtoul(buf, &end, 10);
		if (*end != '\0' || prefix > max)
			return -1;
	}
	t->prefix = (unsigned)prefix;
	/* keep only the network part, so "10.1.2.3/8" means 10.0.0.0/8 */
	for (unsigned i = t->prefix; i < max; i++)
		t->addr[i / 8] &= (uint8_t) ~(0x80u >> (i % 8));
	t->kind = WK_ZT_CIDR;
	return 0;
}

/* A shell pattern: each label without pattern characters goes through
 * IDNA like any name; labels with them must be ASCII already. */
static int
zone_glob_name(const char *s, size_t len, char *out, size_t outlen, char *err,
    size_t errlen)
{
	size_t o = 0, i = 0;

	while (i <= len) {
		size_t j = i;
		bool pat = false, ascii = true;

		while (j < len && s[j] != '.') {
			if (s[j] == '*' || s[j] == '?' || s[j] == '[' ||
			    s[j] == ']')
				pat = true;
			if ((unsigned char)s[j] >= 0x80)
				ascii = false;
			j++;
		}
		if (j == i) {
			if (i != len || len == 0) {
				snprintf(err, errlen, "empty label");
				return -1;
			}
			break;
		}
		if (pat) {
			if (!ascii) {
				snprintf(err, errlen,
				    "a label with pattern characters must be "
				    "ASCII");
				return -1;
			}
			if (o + (j - i) + 2 > outlen)
				goto too_long;
			for (size_t k = i; k < j; k++) {
				char ch = s[k];
				out[o++] = ch >= 'A' && ch <= 'Z' ?
				    (char)(ch - 'A' + 'a') :
				    ch;
			}
		} else {
			char a[WK_HOST_MAX], why[160];
			size_t al;

			if (wk_idna_host(
				s + i, j - i, false, a, why, sizeof(why)) < 0) {
				snprintf(err, errlen,
				    "invalid label \"%.*s\": %.60s",
				    (int)WK_MIN(j - i, 64), s + i, why);
				return -1;
			}
			al = strlen(a);
			if (o + al + 2 > outlen)
				goto too_long;
			memcpy(out + o, a, al);
			o += al;
		}
		if (j < len)
			out[o++] = '.';
		i = j + 1;
	}
	out[o] = '\0';
	return 0;
too_long:
	snprintf(err, errlen, "pattern too long");
	return -1;
}

void
wk_zone_term_clear(struct wk_zone_term *t)
{
	free(t->text);
	free(t->where);
	free(t->name);
	memset(t, 0, sizeof(*t));
}

int
wk_zone_term_parse(const char *text, const char *where, struct wk_zone_term *t,
    char *err, size_t errlen)
{
	size_t len = strlen(text), hlen;
	const char *host = text, *port = NULL, *colon;
	char name[WK_HOST_MAX], why[160];

	memset(t, 0, sizeof(*t));
	if (len == 0 || len > 2 * WK_HOST_MAX) {
		snprintf(err, errlen, "empty or over-long match term");
		return -1;
	}
	/* split off the port: "[v6 or cidr]:port", "name:port"; a term
	 * with two colons and no brackets is an IPv6 address or range */
	const char *rb = text[0] == '[' ? strchr(text, ']') : NULL;

	if (rb != NULL && memchr(text, ':', (size_t)(rb - text)) != NULL) {
		/* "[v6]", "[v6/prefix]", with ":port" */
		if ((rb[1] != '\0' && rb[1] != ':') ||
		    (rb[1] == ':' && rb[2] == '\0')) {
			snprintf(err, errlen,
			    "expected [IPv6]:PORT or [IPv6/PREFIX]:PORT");
			return -1;
		}
		host = text + 1;
		hlen = (size_t)(rb - host);
		if (rb[1] == ':')
			port = rb + 2;
	} else if (text[0] == '[' && rb == NULL) {
		snprintf(
		    err, errlen, "expected [IPv6]:PORT or [IPv6/PREFIX]:PORT");
		return -1;
	} else if ((colon = strchr(text, ':')) != NULL &&
	    strchr(colon + 1, ':') == NULL) {
		hlen = (size_t)(colon - text);
		port = colon + 1;
	} else
		hlen = len;
	if (port != NULL &&
	    zone_parse_port(port, &t->port_lo, &t->port_hi, err, errlen) < 0)
		return -1;
	if (hlen == 0) {
		snprintf(err, errlen, "match term \"%s\" has no host", text);
		return -1;
	}

	if (hlen == 1 && host[0] == '*') {
		t->kind = WK_ZT_ANY;
	} else if (zone_parse_cidr(host, hlen, t) == 0) {
		/* done */
	} else if (host != text || memchr(host, '/', hlen) != NULL) {
		snprintf(err, errlen, "invalid address or CIDR range \"%.*s\"",
		    (int)hlen, host);
		return -1;
	} else {
		const char *n = host;
		size_t nl = hlen;

		if (nl > 2 && n[0] == '*' && n[1] == '.' &&
		    strpbrk(n + 2, "*?[]") == NULL) {
			t->kind = WK_ZT_SUBDOMS;
			n += 2, nl -= 2;
		} else if (nl > 1 && n[0] == '.') {
			t->kind = WK_ZT_DOMAIN;
			n++, nl--;
		} else
			t->kind = WK_ZT_EXACT;
		if (memchr(n, '*', nl) || memchr(n, '?', nl) ||
		    memchr(n, '[', nl)) {
			t->kind = WK_ZT_GLOB;
			n = host, nl = hlen;
			if (zone_glob_name(n, nl, name, sizeof(name), why,
				sizeof(why)) < 0) {
				snprintf(err, errlen,
				    "invalid pattern \"%.*s\": %s", (int)hlen,
				    host, why);
				return -1;
			}
		} else {
			if (nl > 0 && n[nl - 1] == '.')
				nl--; /* "example.com." is example.com */
			if (nl == 0 ||
			    wk_idna_host(n, nl, false, name, why, sizeof(why)) <
				0) {
				snprintf(err, errlen,
				    "invalid host \"%.*s\": %s", (int)hlen,
				    host, nl == 0 ? "empty" : why);
				return -1;
			}
		}
		t->name = wk_strdup(name);
		t->name_len = strlen(name);
	}
	t->text = wk_strdup(text);
	t->where = wk_strdup(where != NULL ? where : "-");
	return 0;
}

static bool
zone_prefix_match(const uint8_t *a, const uint8_t *net, unsigned prefix)
{
	unsigned full = prefix / 8, rest = prefix % 8;

	if (memcmp(a, net, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((a[full] ^ net[full]) & (0xffu << (8 - rest))) == 0;
}

static const uint8_t zone_v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff,
	0xff };

/* An address as 4 or 16 bytes; IPv4-mapped IPv6 counts as IPv4. */
static int
zone_sa_bytes(const struct sockaddr_storage *ss, uint8_t out[16])
{
	if (ss->ss_family == AF_INET) {
		memcpy(out, &((const struct sockaddr_in *)ss)->sin_addr, 4);
		return AF_INET;
	}
	if (ss->ss_family == AF_INET6) {
		const uint8_t *b =
		    ((const struct sockaddr_in6 *)ss)->sin6_addr.s6_addr;

		if (memcmp(b, zone_v4mapped, 12) == 0) {
			memcpy(out, b + 12, 4);
			return AF_INET;
		}
		memcpy(out, b, 16);
		return AF_INET6;
	}
	return AF_UNSPEC;
}

/* A destination prepared once per match: its name without the root dot
 * (NUL-terminated, for fnmatch), and its address when it is a literal. */
struct zone_prep {
	const struct wk_zone_dest *d;
	char h[WK_HOST_MAX];
	size_t hl;
	int fam; /* AF_INET/AF_INET6 for an IP literal, else AF_UNSPEC */
	uint8_t b[16];
};

static bool
zone_prepare(const struct wk_zone_dest *d, struct zone_prep *p)
{
	p->d = d;
	p->hl = strlen(d->host);
	if (p->hl > 0 && d->host[p->hl - 1] == '.')
		p->hl--; /* the root label: "example.com." is example.com */
	if (p->hl >= sizeof(p->h))
		return false;
	memcpy(p->h, d->host, p->hl);
	p->h[p->hl] = '\0';
	p->fam = AF_UNSPEC;
	if (inet_pton(AF_INET, p->h, p->b) == 1) {
		p->fam = AF_INET;
	} else if (strchr(p->h, ':') != NULL &&
	    inet_pton(AF_INET6, p->h, p->b) == 1) {
		p->fam = AF_INET6;
		if (memcmp(p->b, zone_v4mapped, 12) == 0) {
			memmove(p->b, p->b + 12, 4);
			p->fam = AF_INET;
		}
	}
	return true;
}

static bool
zone_cidr_match(
    const struct wk_zone_term *t, const struct zone_prep *p, bool *need_addr)
{
	const struct wk_zone_dest *d = p->d;
	uint8_t b[16];

	if (p->fam != AF_UNSPEC)
		return p->fam == t->family &&
		    zone_prefix_match(p->b, t->addr, t->prefix);
	if (!d->resolved) {
		*need_addr = true;
		return false;
	}
	for (size_t i = 0; i < d->n_addrs; i++)
		if (zone_sa_bytes(&d->addrs[i], b) == t->family &&
		    zone_prefix_match(b, t->addr, t->prefix))
			return true;
	return false;
}

/* host ends with "." + name (a proper subdomain). */
static bool
zone_is_under(const char *host, size_t hl, const char *name, size_t nl)
{
	return hl > nl + 1 && host[hl - nl - 1] == '.' &&
	    memcmp(host + hl - nl, name, nl) == 0;
}

static bool
zone_term_match_prep(
    const struct wk_zone_term *t, const struct zone_prep *p, bool *need_addr)
{
	uint16_t port = p->d->port;

	if (t->port_lo != 0 && (port < t->port_lo || port > t->port_hi))
		return false;
	switch (t->kind) {
	case WK_ZT_ANY:
		return true;
	case WK_ZT_EXACT:
		return p->hl == t->name_len &&
		    memcmp(p->h, t->name, p->hl) == 0;
	case WK_ZT_SUBDOMS:
		return zone_is_under(p->h, p->hl, t->name, t->name_len);
	case WK_ZT_DOMAIN:
		return (p->hl == t->name_len &&
			   memcmp(p->h, t->name, p->hl) == 0) ||
		    zone_is_under(p->h, p->hl, t->name, t->name_len);
	case WK_ZT_GLOB:
		return fnmatch(t->name, p->h, 0) == 0;
	case WK_ZT_CIDR:
		return zone_cidr_match(t, p, need_addr);
	default:
		return false;
	}
}

bool
wk_zone_term_match(
    const struct wk_zone_term *t, const struct wk_zone_dest *d, bool *need_addr)
{
	struct zone_prep p;

	return zone_prepare(d, &p) && zone_term_match_prep(t, &p, need_addr);
}

/* ------------------------------------------------------------------ */
/* The index                                                           */

static uint64_t
zone_hash(const char *s, size_t len)
{
	return wk_hash_fnv1a(s, len);
}

static void
zone_index_free(struct wk_zone_index *ix)
{
	if (ix == NULL)
		return;
	free(ix->entries);
	free(ix->buckets);
	free(ix->scan);
	free(ix);
}

static struct wk_zone_index *
zone_index_build(const struct wk_zones *zs)
{
	struct wk_zone_index *ix = wk_calloc(1, sizeof(*ix));
	size_t n_named = 0, n_scan = 0, rank = 0;

	for (size_t i = 0; i < zs->n; i++)
		for (size_t j = 0; j < zs->zones[i].n_terms; j++) {
			enum wk_zone_term_kind k = zs->zones[i].terms[j].kind;

			if (k == WK_ZT_EXACT || k == WK_ZT_SUBDOMS ||
			    k == WK_ZT_DOMAIN)
				n_named++;
			else
				n_scan++;
		}
	ix->entries = wk_calloc(n_named + 1, sizeof(*ix->entries));
	ix->scan = wk_calloc(n_scan + 1, sizeof(*ix->scan));
	ix->n_buckets = 16;
	while (ix->n_buckets < 2 * n_named)
		ix->n_buckets *= 2;
	ix->buckets = wk_calloc(ix->n_buckets, sizeof(*ix->buckets));
	for (size_t i = 0; i < zs->n; i++) {
		const struct wk_zone *z = &zs->zones[i];

		for (size_t j = 0; j < z->n_terms; j++, rank++) {
			const struct wk_zone_term *t = &z->terms[j];

			if (t->kind == WK_ZT_EXACT ||
			    t->kind == WK_ZT_SUBDOMS ||
			    t->kind == WK_ZT_DOMAIN) {
				struct zone_ix_entry *e =
				    &ix->entries[ix->n_entries++];
				size_t b;

				e->name = t->name;
				e->name_len = t->name_len;
				e->hash = zone_hash(t->name, t->name_len);
				e->zone = z;
				e->term = t;
				e->rank = rank;
				/* chains stay in rank order: append */
				b = e->hash & (ix->n_buckets - 1);
				struct zone_ix_entry **pp = &ix->buckets[b];
				while (*pp != NULL)
					pp = &(*pp)->next;
				*pp = e;
			} else {
				struct zone_scan_entry *e =
				    &ix->scan[ix->n_scan++];
				e->zone = z;
				e->term = t;
				e->rank = rank;
			}
		}
	}
	return ix;
}

/* The best (lowest-rank) indexed term matching host as a whole or as
 * the part after a dot. */
static const struct zone_ix_entry *
zone_index_lookup(const struct wk_zone_index *ix, const struct zone_prep *p)
{
	const struct zone_ix_entry *best = NULL;
	size_t off = 0;
	bool dummy = false;

	if (ix->n_entries == 0)
		return NULL;
	while (off < p->hl) {
		const char *suf = p->h + off;
		size_t sl = p->hl - off;
		uint64_t hash = zone_hash(suf, sl);

		for (const struct zone_ix_entry *e =
			 ix->buckets[hash & (ix->n_buckets - 1)];
		     e != NULL; e = e->next) {
			if (best != NULL && e->rank >= best->rank)
				break;
			if (e->hash != hash || e->name_len != sl ||
			    memcmp(e->name, suf, sl) != 0)
				continue;
			if (zone_term_match_prep(e->term, p, &dummy))
				best = e;
		}
		const char *dot = memchr(suf, '.', sl);
		if (dot == NULL)
			break;
		off = (size_t)(dot - p->h) + 1;
	}
	return best;
}

enum wk_zone_match_res
wk_zone_match(const struct wk_zones *zs, const struct wk_zone_dest *d,
    struct wk_zone_hit *hit)
{
	const struct wk_zone_index *ix = zs->index;
	const struct zone_ix_entry *named = NULL;
	struct zone_prep p;

	hit->zone = zs->dflt;
	hit->term = NULL;
	/* a name too long for any term matches none */
	if (ix == NULL || !zone_prepare(d, &p))
		return WK_ZONE_MATCHED;
	named = zone_index_lookup(ix, &p);
	for (size_t i = 0; i < ix->n_scan; i++) {
		const struct zone_scan_entry *e = &ix->scan[i];
		bool need = false;

		if (named != NULL && named->rank < e->rank)
			break;
		if (zone_term_match_prep(e->term, &p, &need)) {
			hit->zone = e->zone;
			hit->term = e->term;
			return WK_ZONE_MATCHED;
		}
		if (need)
			return WK_ZONE_NEED_ADDR;
	}
	if (named != NULL) {
		hit->zone = named->zone;
		hit->term = named->term;
	}
	return WK_ZONE_MATCHED;
}

const struct wk_route *
wk_zone_route_of(const struct wk_zone *z, const struct wk_config *c)
{
	return z != NULL && z->has_route ? &z->route : &c->route;
}

void
wk_zone_route_text(
    const struct wk_zone *z, const struct wk_config *c, char *buf, size_t len)
{
	const struct wk_route *r = wk_zone_route_of(z, c);
	size_t o = 0;

	buf[0] = '\0';
	if (r->pac) {
		snprintf(buf, len, "pac");
		return;
	}
	if (r->n_hops == 0) {
		snprintf(buf, len, "direct");
		return;
	}
	for (size_t i = 0; i < r->n_hops && o < len; i++) {
		int n = snprintf(buf + o, len - o, "%s%s", i ? " " : "",
		    r->hops[i] ? r->hops[i]->name : "direct");
		if (n < 0)
			break;
		o += (size_t)n;
	}
}

static void
zone_free_contents(struct wk_zone *z)
{
	for (size_t j = 0; j < z->n_terms; j++)
		wk_zone_term_clear(&z->terms[j]);
	free(z->terms);
	free(z->route.hops);
	free(z->name);
	free(z->where);
}

void
wk_zones_clear(struct wk_zones *zs)
{
	bool own_dflt = true;

	for (size_t i = 0; i < zs->n; i++) {
		if (zs->dflt == &zs->zones[i])
			own_dflt = false;
		zone_free_contents(&zs->zones[i]);
	}
	free(zs->zones);
	if (own_dflt && zs->dflt != NULL) {
		zone_free_contents(zs->dflt);
		free(zs->dflt);
	}
	zone_index_free(zs->index);
	memset(zs, 0, sizeof(*zs));
}

void
wk_zones_finish(struct wk_zones *zs)
{
	zs->need_addr = false;
	for (size_t i = 0; i < zs->n; i++) {
		if (strcmp(zs->zones[i].name, "default") == 0)
			zs->dflt = &zs->zones[i];
		for (size_t j = 0; j < zs->zones[i].n_terms; j++)
			if (zs->zones[i].terms[j].kind == WK_ZT_CIDR)
				zs->need_addr = true;
	}
	if (zs->dflt == NULL) {
		zs->dflt = wk_calloc(1, sizeof(*zs->dflt));
		zs->dflt->name = wk_strdup("default");
		zs->dflt->where = wk_strdup("built-in");
	}
	zone_index_free(zs->index);
	zs->index = zone_index_build(zs);
}
