/* src/cookie/cookie.h: one cookie, as the RFC 6265bis storage model keeps
 * it; shared by the parser and the jar (jar.c), the SQLite store
 * (jar_store.c) and cookies.txt import/export (cookies_txt.c). */
#ifndef WK_COOKIE_COOKIE_H
#define WK_COOKIE_COOKIE_H

#include "core/wk.h"

#include <stdint.h>

enum wk_cookie_samesite {
	WK_SAMESITE_DEFAULT = 0, /* no attribute (treated as Lax by browsers) */
	WK_SAMESITE_NONE,	 /* SameSite=None */
	WK_SAMESITE_LAX,	 /* SameSite=Lax */
	WK_SAMESITE_STRICT,	 /* SameSite=Strict */
	WK_SAMESITE_COUNT
};

struct wk_cookie {
	char *name; /* may be "" (a nameless cookie) */
	char *value;
	char *domain; /* A-label, lower case, no leading dot */
	char *path;
	int64_t creation_us;	/* unix time, microseconds (ordering) */
	int64_t last_access_us; /* for eviction */
	int64_t expiry_s;	/* unix time; meaningless when !persistent */
	bool persistent;	/* false: a session cookie */
	bool host_only;		/* no Domain attribute: this host only */
	bool secure;
	bool http_only;
	bool partitioned; /* kept (CHIPS), not enforced */
	enum wk_cookie_samesite same_site;
};

#endif
