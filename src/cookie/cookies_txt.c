/* src/cookie/cookies_txt.c: the Netscape cookies.txt format (curl's
 * lib/cookie.c, wget's src/cookies.c): one cookie per line, tab-separated,
 * "#HttpOnly_" marking HttpOnly cookies. */
#include "core/wk.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cookie/cookies_txt.h"
#include "core/alloc.h"

#define TXT_FIELDS 7
#define TXT_HTTPONLY "#HttpOnly_"

/* One line cut into fields (pointers into a private copy of the line). */
struct txt_line {
	char buf[WK_COOKIES_TXT_LINE_MAX + 1];
	char *f[TXT_FIELDS + 1];
	size_t n;
};

static int64_t
txt_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* TRUE/FALSE, any case, as curl compares them. Returns 1, 0, or -1. */
static int
txt_bool(const char *s)
{
	if (strcasecmp(s, "TRUE") == 0)
		return 1;
	if (strcasecmp(s, "FALSE") == 0)
		return 0;
	return -1;
}

/* Decimal seconds, optionally negative, optionally with a fraction that is
 * dropped (some browser exporters write one). Returns 0 or -1. */
static int
txt_expiry(const char *s, int64_t *out)
{
	bool neg = false;
	int64_t v = 0;

	if (*s == '-') {
		neg = true;
		s++;
	}
	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (INT64_MAX - (*s - '0')) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	if (*s == '.') {
		s++;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s != '\0')
		return -1;
	*out = neg ? -v : v;
	return 0;
}

/* Text a Cookie header can carry: no controls, and (for names) no '=' or
 * ';'; values may hold spaces, as curl keeps them. */
static bool
txt_token_ok(const char *s, bool is_name)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == ';')
			return false;
		if (is_name && *p == '=')
			return false;
	}
	return true;
}

/* Normalises the domain field in place: no leading dot, no wget ":port", no
 * IPv6 brackets, lower case, printable ASCII. Returns NULL when it is not a
 * domain. */
static char *
txt_domain(char *d)
{
	char *colon, *port = NULL;
	size_t n;

	if (*d == '.')
		d++;
	if (*d == '[') {
		/* "[v6]" or "[v6]:port" */
		char *close = strchr(d, ']');

		if (close == NULL || (close[1] != '\0' && close[1] != ':'))
			return NULL;
		if (close[1] == ':')
			port = close + 2;
		*close = '\0';
		d++;
	} else if ((colon = strrchr(d, ':')) != NULL &&
	    memchr(d, ':', (size_t)(colon - d)) == NULL) {
		/* "host:port" (one colon): wget keeps the port */
		*colon = '\0';
		port = colon + 1;
	}
	if (port != NULL &&
	    (port[0] == '\0' || strspn(port, "0123456789") != strlen(port)))
		return NULL;
	n = strlen(d);
	/* a colon left makes an IPv6 literal, which has two at least (one
	 * would read back as a port) */
	colon = strchr(d, ':');
	if (n == 0 || n > WK_COOKIES_TXT_ATTR_MAX || d[0] == '.' ||
	    (colon != NULL && strchr(colon + 1, ':') == NULL))
		return NULL;
	for (char *p = d; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch <= 0x20 || ch >= 0x7f || ch == ';' || ch == ',' ||
		    ch == '/' || ch == '#' || ch == '[' || ch == ']')
			return NULL;
		if (ch >= 'A' && ch <= 'Z')
			*p = (char)(ch - 'A' + 'a');
	}
	return d;
}

/* Fills c from the line's fields. Returns NULL, or why the line is bad. */
static const char *
txt_cookie(struct txt_line *l, bool http_only, struct wk_cookie *c)
{
	char *path, *secure, *expiry, *name, *value;
	int sub, sec;

	if (l->n == TXT_FIELDS) {
		path = l->f[2];
		secure = l->f[3];
		expiry = l->f[4];
		name = l->f[5];
		value = l->f[6];
	} else if (l->n == TXT_FIELDS - 1 && txt_bool(l->f[2]) >= 0) {
		path = "/"; /* curl: an old file without the path field */
		secure = l->f[2];
		expiry = l->f[3];
		name = l->f[4];
		value = l->f[5];
	} else if (l->n == TXT_FIELDS - 1) {
		path = l->f[2]; /* curl: no value field, an empty value */
		secure = l->f[3];
		expiry = l->f[4];
		name = l->f[5];
		value = "";
	} else
		return l->n > TXT_FIELDS ? "more than 7 tab-separated fields" :
					   "fewer than 6 tab-separated fields";

	memset(c, 0, sizeof(*c));
	if ((c->domain = txt_domain(l->f[0])) == NULL)
		return "bad domain";
	if ((sub = txt_bool(l->f[1])) < 0)
		return "include-subdomains is not TRUE or FALSE";
	if (path[0] != '/' || strlen(path) > WK_COOKIES_TXT_ATTR_MAX ||
	    !txt_token_ok(path, false))
		return "bad path";
	if ((sec = txt_bool(secure)) < 0)
		return "secure is not TRUE or FALSE";
	if (txt_expiry(expiry, &c->expiry_s) < 0)
		return "bad expiry";
	if (!txt_token_ok(name, true))
		return "bad name";
	if (!txt_token_ok(value, false))
		return "bad value";
	if (strlen(name) + strlen(value) > WK_COOKIES_TXT_NAME_VALUE_MAX)
		return "name and value longer than 4096 bytes";
	c->name = name;
	c->value = value;
	c->path = path;
	c->persistent = c->expiry_s != 0;
	if (!c->persistent)
		c->expiry_s = 0;
	c->host_only = sub == 0;
	c->secure = sec == 1;
	c->http_only = http_only;
	c->same_site = WK_SAMESITE_DEFAULT;
	return NULL;
}

/* Splits line (len bytes, no LF) into l. Returns NULL for a comment or blank
 * line (l->n = 0), "" for a cookie line, or why it is bad. */
static const char *
txt_split(const char *line, size_t len, struct txt_line *l, bool *http_only)
{
	char *p;

	l->n = 0;
	*http_only = false;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	while (len > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	if (len == 0)
		return NULL;
	if (len > WK_COOKIES_TXT_LINE_MAX)
		return "line longer than 16384 bytes";
	if (len >= strlen(TXT_HTTPONLY) &&
	    memcmp(line, TXT_HTTPONLY, strlen(TXT_HTTPONLY)) == 0) {
		*http_only = true;
		line += strlen(TXT_HTTPONLY);
		len -= strlen(TXT_HTTPONLY);
	} else if (line[0] == '#')
		return NULL;
	if (memchr(line, '\0', len) != NULL)
		return "NUL byte";
	memcpy(l->buf, line, len);
	l->buf[len] = '\0';
	p = l->buf;
	for (;;) {
		char *tab = strchr(p, '\t');

		if (l->n == TXT_FIELDS + 1)
			break;
		l->f[l->n++] = p;
		if (tab == NULL)
			break;
		*tab = '\0';
		p = tab + 1;
	}
	return "";
}

int
wk_cookies_txt_parse(const char *text, size_t len,
    void (*cb)(void *arg, const struct wk_cookie *c), void *arg,
    struct wk_cookies_txt_stats *stats, char *err, size_t errlen)
{
	struct wk_cookies_txt_stats st = { 0 };
	struct txt_line *l = wk_malloc(sizeof(*l));
	int64_t now_us = txt_now_us();
	unsigned lineno = 0;
	size_t off = 0;

	if (errlen > 0)
		err[0] = '\0';
	while (off < len) {
		const char *line = text + off;
		const char *nl = memchr(line, '\n', len - off);
		size_t n = nl != NULL ? (size_t)(nl - line) : len - off;
		const char *why;
		struct wk_cookie c;
		bool http_only;

		off += n + (nl != NULL);
		lineno++;
		why = txt_split(line, n, l, &http_only);
		if (why == NULL)
			continue;
		if (*why == '\0')
			why = txt_cookie(l, http_only, &c);
		if (why != NULL) {
			if (st.bad++ == 0) {
				st.first_bad = lineno;
				if (errlen > 0)
					snprintf(err, errlen, "line %u: %s",
					    lineno, why);
			}
			continue;
		}
		c.creation_us = now_us + st.cookies;
		c.last_access_us = c.creation_us;
		st.cookies++;
		cb(arg, &c);
	}
	wk_free(l);
	if (stats != NULL)
		*stats = st;
	return st.bad > 0 ? -1 : 0;
}

void
wk_cookies_txt_write_header(FILE *out)
{
	fputs("# Netscape HTTP Cookie File\n"
	      "# https://curl.se/docs/http-cookies.html\n"
	      "# This file was generated by wicket. Edit at your own risk.\n"
	      "\n",
	    out);
}

static bool
txt_field_ok(const char *s)
{
	return strpbrk(s, "\t\r\n") == NULL;
}

int
wk_cookies_txt_write(FILE *out, const struct wk_cookie *c)
{
	int64_t expiry = 0;

	if (c->domain == NULL || c->path == NULL || c->name == NULL ||
	    c->value == NULL || c->domain[0] == '\0' || c->domain[0] == '#' ||
	    c->domain[0] == '.' || c->path[0] != '/' ||
	    !txt_field_ok(c->domain) || !txt_field_ok(c->path) ||
	    !txt_field_ok(c->name) || !txt_field_ok(c->value))
		return -1;
	if (c->persistent)
		/* 0 would read back as a session cookie: keep it expired */
		expiry = c->expiry_s == 0 ? 1 : c->expiry_s;
	if (fprintf(out, "%s%s%s\t%s\t%s\t%s\t%" PRId64 "\t%s\t%s\n",
		c->http_only ? TXT_HTTPONLY : "", c->host_only ? "" : ".",
		c->domain, c->host_only ? "FALSE" : "TRUE", c->path,
		c->secure ? "TRUE" : "FALSE", expiry, c->name, c->value) < 0)
		return -1;
	return 0;
}
