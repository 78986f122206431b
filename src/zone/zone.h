/* src/zone/zone.h: zones: named sets of destination patterns (host names,
 * suffixes, shell patterns, CIDR ranges, ports), matched in order, first
 * match wins, each with the policy that applies to its destinations. */
#ifndef WK_ZONE_ZONE_H
#define WK_ZONE_ZONE_H

#include "core/wk.h"

#include <sys/socket.h>

#include "config/conf.h"

/* What one match term tests. */
enum wk_zone_term_kind {
	WK_ZT_ANY = 0, /* "*": every destination */
	WK_ZT_EXACT,   /* "host.example": that name only */
	WK_ZT_SUBDOMS, /* "*.example": names under example, not example */
	WK_ZT_DOMAIN,  /* ".example": example and every name under it */
	WK_ZT_GLOB,    /* "www?.ex*.com": a shell pattern on the whole name */
	WK_ZT_CIDR,    /* "10.0.0.0/8", "::1": IP literals, resolved names */
	WK_ZT_KIND_COUNT
};

/* One term of a `match` line. */
struct wk_zone_term {
	enum wk_zone_term_kind kind;
	char *text;  /* as written, for messages */
	char *where; /* "file:line", for the zone tester and deny pages */
	char *name;  /* EXACT/SUBDOMS/DOMAIN/GLOB: A-label, lower case,
			no leading "*." or "." */
	size_t name_len;
	int family;	  /* CIDR: AF_INET or AF_INET6 */
	uint8_t addr[16]; /* CIDR: network address */
	unsigned prefix;  /* CIDR: bits */
	uint16_t port_lo; /* 0: any port */
	uint16_t port_hi;
};

enum wk_zone_action {
	WK_ZONE_ALLOW = 0, /* requests go on along the zone's route */
	WK_ZONE_DENY,	   /* 403 page / SOCKS "not allowed by ruleset" */
	WK_ZONE_ACTION_COUNT
};

enum wk_zone_cookies {
	WK_ZONE_COOKIES_ON = 0,	  /* the shared jar, both ways */
	WK_ZONE_COOKIES_OFF,	  /* untouched */
	WK_ZONE_COOKIES_SESSION,  /* kept as session cookies only */
	WK_ZONE_COOKIES_JAR_ONLY, /* the jar alone holds state */
	WK_ZONE_COOKIES_COUNT
};

enum wk_zone_creds {
	WK_ZONE_CREDS_AUTO = 0, /* stored credentials sent on challenges */
	WK_ZONE_CREDS_PROMPT,	/* a challenge waits for the person */
	WK_ZONE_CREDS_NEVER,	/* challenges pass to the client */
	WK_ZONE_CREDS_COUNT
};

enum wk_zone_decompress {
	WK_ZONE_DECOMP_AUTO = 0, /* only what the client cannot decode */
	WK_ZONE_DECOMP_ALWAYS,	 /* the client always gets identity */
	WK_ZONE_DECOMP_NEVER,	 /* bodies untouched */
	WK_ZONE_DECOMP_COUNT
};

enum wk_zone_log {
	WK_ZONE_LOG_META = 0, /* the access line */
	WK_ZONE_LOG_NONE,     /* nothing */
	WK_ZONE_LOG_FULL,     /* the access line and the traffic */
	WK_ZONE_LOG_COUNT
};

struct wk_zone {
	char *name;
	char *where; /* "file:line" of the block */
	struct wk_zone_term *terms;
	size_t n_terms;
	enum wk_zone_action action;
	bool has_route;	       /* false: the top-level `route` */
	struct wk_route route; /* has_route: the zone's own */
	enum wk_zone_cookies cookies;
	enum wk_zone_creds credentials;
	bool intercept;
	bool tls_noverify; /* `tls-verify off`: testing only, warned */
	enum wk_zone_decompress decompress;
	bool compress_upstream; /* ask origins for gzip/br/zstd for clients
				   that accept none, and decode for them */
	bool http10; /* the zone's origins speak HTTP/1.0 only: request
			bodies go with a Content-Length */
	enum wk_zone_log log;
};

/* The zones of one config, in file order, and the default zone (the block
 * named "default", or a built-in one: allow, top-level route). */
struct wk_zone_index;

struct wk_zones {
	struct wk_zone *zones;
	size_t n;
	struct wk_zone *dflt;	     /* never NULL once built */
	bool need_addr;		     /* some term is a CIDR range */
	struct wk_zone_index *index; /* built by wk_zones_finish */
};

/* A destination as the matcher sees it. */
struct wk_zone_dest {
	const char *host; /* A-label name or IP literal (no brackets) */
	uint16_t port;
	/* resolved addresses of a name (NULL/0: not resolved); CIDR terms
	 * consult them. */
	const struct sockaddr_storage *addrs;
	size_t n_addrs;
	bool resolved; /* addrs is the whole answer (maybe empty) */
};

/* The outcome of a match. */
struct wk_zone_hit {
	const struct wk_zone *zone;	 /* never NULL after a match */
	const struct wk_zone_term *term; /* NULL: the default zone */
};

enum wk_zone_match_res {
	WK_ZONE_MATCHED = 0, /* hit is set */
	WK_ZONE_NEED_ADDR    /* a CIDR term must see the name's addresses
				before the first match is known: resolve,
				then match again with dest.resolved */
};

/* Parses one match term (UTF-8 names are mapped to A-labels). where is
 * copied. Returns 0, or -1 with err. */
int wk_zone_term_parse(const char *text, const char *where,
    struct wk_zone_term *t, char *err, size_t errlen);
void wk_zone_term_clear(struct wk_zone_term *t);

/* True when t matches dest; *need_addr is set when the answer depends on
 * addresses that dest does not have yet. */
bool wk_zone_term_match(const struct wk_zone_term *t,
    const struct wk_zone_dest *d, bool *need_addr);

enum wk_zone_match_res wk_zone_match(const struct wk_zones *zs,
    const struct wk_zone_dest *d, struct wk_zone_hit *hit);

/* The zone's route: its own, or the config's (route->pac: ask the PAC
 * script). */
const struct wk_route *wk_zone_route_of(
    const struct wk_zone *z, const struct wk_config *c);

/* Frees the zones' contents (not zs itself). */
void wk_zones_clear(struct wk_zones *zs);
/* Adds the built-in default zone when the config has none, and builds
 * the name index (so a match costs a few hash look-ups, not a scan). */
void wk_zones_finish(struct wk_zones *zs);

const char *wk_zone_action_name(enum wk_zone_action a);
const char *wk_zone_cookies_name(enum wk_zone_cookies v);
const char *wk_zone_creds_name(enum wk_zone_creds v);
const char *wk_zone_decompress_name(enum wk_zone_decompress v);
const char *wk_zone_log_name(enum wk_zone_log v);

/* Writes the route as config words ("direct", "corp direct", "pac"). */
void wk_zone_route_text(
    const struct wk_zone *z, const struct wk_config *c, char *buf, size_t len);

#endif
