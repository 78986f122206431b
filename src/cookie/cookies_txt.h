/* src/cookie/cookies_txt.h: the Netscape cookies.txt format that curl and
 * wget read and write (wicket cookies import/export); pure parsing and
 * formatting of struct wk_cookie, no storage. */
#ifndef WK_COOKIE_COOKIES_TXT_H
#define WK_COOKIE_COOKIES_TXT_H

#include "core/wk.h"

#include <stdio.h>

#include "cookie/cookie.h"

/* Longest line accepted; longer lines are bad lines. */
#define WK_COOKIES_TXT_LINE_MAX 16384
/* RFC 6265bis limits: name + value, and the Domain and Path values. */
#define WK_COOKIES_TXT_NAME_VALUE_MAX 4096
#define WK_COOKIES_TXT_ATTR_MAX 1024

/* What one parse saw. */
struct wk_cookies_txt_stats {
	unsigned cookies;   /* lines handed to the callback */
	unsigned bad;	    /* lines skipped as malformed */
	unsigned first_bad; /* line number of the first bad line, 0: none */
};

/* Parses len bytes of cookies.txt text (need not be NUL-terminated).
 *
 * Each line is DOMAIN TAB INCLUDE_SUBDOMAINS TAB PATH TAB SECURE TAB EXPIRY
 * TAB NAME TAB VALUE. "#HttpOnly_" before the domain sets http_only; other
 * lines starting with '#' and blank lines are comments. A leading dot on the
 * domain is dropped; INCLUDE_SUBDOMAINS TRUE makes a domain cookie
 * (!host_only), as curl does. EXPIRY 0 is a session cookie, anything else a
 * persistent one (expired ones included: the caller decides). A line with six
 * fields has an empty value, or, if its third field is TRUE/FALSE, no path
 * ("/"), as curl reads them. wget's "host:port" domains lose the port. CR
 * before LF is ignored. creation_us is now plus the line's index (keeps file
 * order) and last_access_us equals it; same_site and partitioned are not in the
 * format (default, false).
 *
 * cb is called once per cookie line; *c and its strings are borrowed for
 * the duration of the call only (copy what you keep).
 *
 * Bad lines are skipped and counted; the first one is described in err as
 * "line N: why". stats may be NULL. Returns 0 when no line was bad, -1 when
 * at least one was (every good line was still delivered). */
int wk_cookies_txt_parse(const char *text, size_t len,
    void (*cb)(void *arg, const struct wk_cookie *c), void *arg,
    struct wk_cookies_txt_stats *stats, char *err, size_t errlen);

/* Writes the "# Netscape HTTP Cookie File" header curl writes and reads. */
void wk_cookies_txt_write_header(FILE *out);

/* Writes c as one line, with the #HttpOnly_ prefix when http_only, a
 * leading dot and TRUE for domain cookies, expiry 0 for session cookies.
 * Returns 0, or -1 if c cannot be written in the format (a tab, CR or LF in
 * a field, an empty domain, a path not starting with '/') or the write
 * failed. */
int wk_cookies_txt_write(FILE *out, const struct wk_cookie *c);

#endif
