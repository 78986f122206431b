/* src/cookie/jar.h: the shared in-memory cookie jar (RFC 6265bis storage
 * model, Cookie header retrieval, limits, and a change log for jar_store). */
#ifndef WK_COOKIE_JAR_H
#define WK_COOKIE_JAR_H

#include "core/wk.h"

#include <stdint.h>

#include "cookie/cookie.h"

struct wk_jar;

/* Defaults used by wk_jar_new(NULL) (and for each 0 field). The total is
 * Firefox's and Chrome's order of magnitude (3000/3300); 180 per domain is
 * Chrome's per-eTLD+1 limit, applied here to the cookie's domain. */
#define WK_JAR_DEFAULT_PER_DOMAIN 180
#define WK_JAR_DEFAULT_TOTAL 3000
#define WK_JAR_DEFAULT_MAX_CHANGES 65536
/* RFC 6265bis: Expires and Max-Age are capped at 400 days. */
#define WK_JAR_MAX_AGE_S (400 * 86400)

struct wk_jar_limits {
	size_t per_domain;    /* cookies with one domain value; 0: default */
	size_t total;	      /* cookies in the jar; 0: default */
	size_t max_changes;   /* pending change-log entries before the log
				 collapses into a RESYNC; 0: default */
	const char *psl_file; /* public suffix list file (psl_load_file);
				 NULL: psl_latest(NULL), the newest of the
				 system list and libpsl's built-in one */
	bool lax_by_default;  /* SameSite absent behaves as Lax (Chrome);
				 false: as None (RFC 6265bis default,
				 Firefox, Safari) */
};

/* How a response's cookies may be kept. */
enum wk_jar_store_mode {
	WK_JAR_STORE_NORMAL = 0,  /* as the headers say */
	WK_JAR_STORE_SESSION_ONLY /* persistent cookies become session
				     cookies (never written to disk) */
};

/* The request's Sec-Fetch-Site header. */
enum wk_jar_fetch_site {
	WK_JAR_SITE_ABSENT = 0,	 /* no header: treated as same-site */
	WK_JAR_SITE_NONE,	 /* "none": user-initiated, same-site */
	WK_JAR_SITE_SAME_ORIGIN, /* "same-origin" */
	WK_JAR_SITE_SAME_SITE,	 /* "same-site" */
	WK_JAR_SITE_CROSS_SITE	 /* "cross-site" */
};

/* What the Cookie header's SameSite rules need of the request. A zeroed
 * struct (or NULL) is a same-site request. */
struct wk_jar_request {
	enum wk_jar_fetch_site site;
	bool navigate;	  /* Sec-Fetch-Mode: navigate */
	bool nested;	  /* Sec-Fetch-Dest is a frame (iframe, frame,
			     embed, object): not a top-level navigation */
	bool safe_method; /* GET, HEAD, OPTIONS or TRACE */
};

/* Creates an empty jar; lim NULL means the defaults above. Never returns
 * NULL (aborts on OOM); returns NULL only when lim->psl_file cannot be
 * loaded. The limits are copied (psl_file is read once). */
struct wk_jar *wk_jar_new(const struct wk_jar_limits *lim);

/* Frees the jar, its cookies and pending changes (NULL allowed). */
void wk_jar_free_(struct wk_jar *j);
#define wk_jar_free(j)                                                         \
	do {                                                                   \
		wk_jar_free_(j);                                               \
		(j) = NULL;                                                    \
	} while (0)

/* Results of wk_jar_set_from_header(). */
enum wk_jar_set_res {
	WK_JAR_SET_ERROR = -1, /* bad arguments (no host) */
	WK_JAR_SET_STORED = 0, /* stored, replaced, or (already expired)
				  removed the cookie it names */
	WK_JAR_SET_IGNORED = 1 /* ignored as the RFC says */
};

/* Processes one Set-Cookie field value (len bytes) received in a response
 * from url_host (A-label or IP literal, any case; IPv6 without brackets)
 * for url_path (the request target's path; anything from '?' or '#' on is
 * ignored) over https or not, at now_us (unix microseconds). Implements
 * RFC 6265bis 5.7: host-only vs Domain, domain-match, public suffixes,
 * default-path, Secure only from https, SameSite=None needs Secure, the
 * __Secure- and __Host- prefixes, "leave secure cookies alone", Max-Age
 * over Expires, both capped at 400 days, replacement keeping the creation
 * time, then the limits (expired cookies first, then the least recently
 * accessed). Returns an enum wk_jar_set_res. */
int wk_jar_set_from_header(struct wk_jar *j, const char *url_host,
    const char *url_path, bool https, const char *set_cookie, size_t len,
    int64_t now_us, enum wk_jar_store_mode mode);

/* Builds the Cookie header value ("a=1; b=2"; a nameless cookie is just
 * its value) for a request to host/path (as for the setter) at now_us, in
 * the RFC order: longer paths first, then earlier creation. Skips expired
 * cookies, Secure ones unless https, and applies SameSite: on a
 * cross-site request (rq->site) Strict cookies are left out, and Lax ones
 * (and Default ones with lax_by_default) unless rq is a top-level
 * navigation (navigate, !nested) with a safe method. HttpOnly cookies are
 * sent (we are the HTTP client). Updates the last-access time of the
 * cookies sent. Writes whole "name=value" items only, NUL-terminated when
 * outlen > 0, and returns the length the full header needs (0: no
 * cookies); a return >= outlen means some were left out: retry bigger. */
size_t wk_jar_cookie_header(struct wk_jar *j, const char *host,
    const char *path, bool https, const struct wk_jar_request *rq,
    int64_t now_us, char *out, size_t outlen);

/* Calls fn for every cookie (expired ones included unless they were
 * purged), under the jar's lock: fn must not call back into the jar. The
 * cookie is borrowed for the call. Returns the count. */
typedef void (*wk_jar_cookie_cb)(void *arg, const struct wk_cookie *c);
size_t wk_jar_enumerate(struct wk_jar *j, wk_jar_cookie_cb fn, void *arg);

/* Number of cookies held. */
size_t wk_jar_count(struct wk_jar *j);

/* Deletes the cookies of domain (exact, lower case; NULL: any) with name
 * (NULL: any) and path (NULL: any). Returns how many were deleted. Each is
 * logged as a DELETE. */
size_t wk_jar_delete(
    struct wk_jar *j, const char *domain, const char *name, const char *path);

/* Deletes every cookie (logged as one RESYNC with nothing after it). */
void wk_jar_clear(struct wk_jar *j);

/* Removes expired cookies at now_us (logged as DELETEs); returns how many.
 * Session cookies never expire here. */
size_t wk_jar_purge_expired(struct wk_jar *j, int64_t now_us);

/* Inserts a copy of a complete cookie (import, cookies.txt), replacing
 * the one with the same name, domain, host-only flag and path, enforcing
 * the limits, and logging an UPSERT. c->domain is lower-cased. No RFC
 * checks beyond non-NULL name, value, domain and a path starting with '/'.
 * Returns 0, or -1 when c is unusable. */
int wk_jar_insert(struct wk_jar *j, const struct wk_cookie *c);

/* Applies a change read back from the store without logging it: deleted
 * removes the cookie with c's key, otherwise it is inserted as by
 * wk_jar_insert(). Returns 0 or -1. */
int wk_jar_apply_external(
    struct wk_jar *j, const struct wk_cookie *c, bool deleted);

/* --- change log ---------------------------------------------------------- */

enum wk_jar_change_kind {
	WK_JAR_CHANGE_UPSERT = 0, /* insert or replace c (key: name, domain,
				     host_only, path) */
	WK_JAR_CHANGE_DELETE,	  /* delete the cookie with c's key */
	WK_JAR_CHANGE_RESYNC	  /* c is NULL: forget everything stored;
				     UPSERTs of the whole jar follow */
};

/* Receives one change; c is borrowed for the call. */
typedef void (*wk_jar_change_cb)(
    void *arg, enum wk_jar_change_kind kind, const struct wk_cookie *c);

/* Takes every pending change, in order, and calls fn for each without
 * holding the jar's lock (fn may be slow, e.g. SQLite, and may use the
 * jar). Session cookies are not logged (their creation, replacement by a
 * persistent one, or removal of a persistent one by a session one is an
 * UPSERT / DELETE of the persistent key). A last-access update is logged
 * as an UPSERT at most once a minute per cookie. When more than
 * max_changes were pending the log became one RESYNC followed by an
 * UPSERT of every persistent cookie. Returns the number of calls. */
size_t wk_jar_take_changes(struct wk_jar *j, wk_jar_change_cb fn, void *arg);

/* Whether domain (lower-case A-label) is a public suffix by the jar's
 * list (as used for Domain attributes). */
bool wk_jar_is_public_suffix(struct wk_jar *j, const char *domain);

/* Copies a struct wk_cookie's strings (deep copy) / frees them. */
void wk_cookie_copy(struct wk_cookie *dst, const struct wk_cookie *src);
void wk_cookie_clear(struct wk_cookie *c);

#endif
