/* src/cookie/cookie_parse.h: pure RFC 6265bis Set-Cookie and cookie-date
 * parsing (sections 5.1.1 and 5.6), before the storage model. */
#ifndef WK_COOKIE_COOKIE_PARSE_H
#define WK_COOKIE_COOKIE_PARSE_H

#include "core/wk.h"

#include <stdint.h>

#include "cookie/cookie.h"

/* RFC 6265bis limits: name + value, and each attribute value. */
#define WK_COOKIE_NAME_VALUE_MAX 4096
#define WK_COOKIE_ATTR_VALUE_MAX 1024

/* Parses a cookie-date (RFC 6265bis 5.1.1, the algorithm exactly:
 * delimiters, the time / day-of-month / month / year tokens in that order
 * of preference, two-digit years 70-99 -> 19xx and 00-69 -> 20xx, and the
 * validity checks, including a day that the month does not have).
 * Returns 0 with *unix_s set (seconds since 1970, UTC), or -1. */
int wk_cookie_date_parse(const char *s, size_t len, int64_t *unix_s);

/* A Set-Cookie header parsed by RFC 6265bis 5.6: name, value and the
 * cookie-attribute-list reduced to what the storage model reads (the last
 * valid attribute of each name wins). Strings are owned by the struct;
 * free with wk_set_cookie_clear(). */
struct wk_set_cookie {
	char *name;  /* may be "" (a nameless cookie) */
	char *value; /* may be "" */
	bool has_expires;
	int64_t expires_s; /* unix seconds; valid when has_expires */
	bool has_max_age;
	int64_t max_age_s; /* delta seconds, <= 0: expire now */
	char *domain;	   /* NULL: no Domain; else leading dot removed, lower
			      case, possibly "" (e.g. "Domain=.") */
	bool has_path;	   /* a Path attribute was present (even invalid) */
	char *path;	   /* NULL: no valid Path (the default-path applies) */
	bool secure;
	bool http_only;
	bool partitioned;
	bool has_same_site; /* a SameSite attribute was present */
	enum wk_cookie_samesite same_site; /* invalid value -> DEFAULT */
};

/* Parses one Set-Cookie field value of len bytes (need not be
 * NUL-terminated). Unknown attributes are ignored, and so is an attribute
 * whose value is longer than WK_COOKIE_ATTR_VALUE_MAX. Returns 0 and fills
 * *out, or -1 when the RFC says to ignore the whole line: a control
 * character (%x00-08, %x0A-1F, %x7F; HTAB is allowed), name + value over
 * WK_COOKIE_NAME_VALUE_MAX, or both name and value empty. On -1 *out holds
 * nothing to free. */
int wk_set_cookie_parse(
    const char *line, size_t len, struct wk_set_cookie *out);

/* Frees what wk_set_cookie_parse() stored in *sc (zeroed after). */
void wk_set_cookie_clear(struct wk_set_cookie *sc);

#endif
