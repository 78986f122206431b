/* src/cookie/cookie_parse.c: RFC 6265bis cookie-date (5.1.1) and
 * Set-Cookie (5.6) parsing; no storage, no clock. */
#include "core/wk.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cookie/cookie_parse.h"
#include "core/alloc.h"

/* --- cookie-date ---------------------------------------------------------- */

/* delimiter = %x09 / %x20-2F / %x3B-40 / %x5B-60 / %x7B-7E */
static bool
date_is_delim(unsigned char c)
{
	return c == 0x09 || (c >= 0x20 && c <= 0x2f) ||
	    (c >= 0x3b && c <= 0x40) || (c >= 0x5b && c <= 0x60) ||
	    (c >= 0x7b && c <= 0x7e);
}

static bool
date_is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* Reads min..max digits at t[*i] that are followed by the end of the token
 * or a non-digit (the "( non-digit *OCTET )" tail); -1 if none. */
static int
date_digits(const unsigned char *t, size_t n, size_t *i, size_t min, size_t max)
{
	size_t k = 0;
	int v = 0;

	while (*i + k < n && date_is_digit(t[*i + k])) {
		if (k == max)
			return -1;
		v = v * 10 + (t[*i + k] - '0');
		k++;
	}
	if (k < min)
		return -1;
	*i += k;
	return v;
}

/* time = hms-time ( non-digit *OCTET ); hms-time = 1*2DIGIT ":" 1*2DIGIT
 * ":" 1*2DIGIT */
static bool
date_time(const unsigned char *t, size_t n, int *h, int *m, int *s)
{
	size_t i = 0;
	int v[3];

	for (int f = 0; f < 3; f++) {
		if ((v[f] = date_digits(t, n, &i, 1, 2)) < 0)
			return false;
		if (f < 2) {
			if (i >= n || t[i] != ':')
				return false;
			i++;
		}
	}
	*h = v[0];
	*m = v[1];
	*s = v[2];
	return true;
}

static int
date_month(const unsigned char *t, size_t n)
{
	static const char names[12][4] = { "jan", "feb", "mar", "apr", "may",
		"jun", "jul", "aug", "sep", "oct", "nov", "dec" };

	if (n < 3)
		return -1;
	for (int k = 0; k < 12; k++)
		if (strncasecmp((const char *)t, names[k], 3) == 0)
			return k + 1;
	return -1;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant). */
static int64_t
date_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
date_month_days(int y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

int
wk_cookie_date_parse(const char *s, size_t len, int64_t *unix_s)
{
	const unsigned char *p = (const unsigned char *)s;
	bool f_time = false, f_day = false, f_month = false, f_year = false;
	int hour = 0, min = 0, sec = 0, day = 0, month = 0, year = 0;
	size_t i = 0;

	while (i < len) {
		const unsigned char *t;
		size_t n = 0, k = 0;
		int v;

		if (date_is_delim(p[i])) {
			i++;
			continue;
		}
		t = p + i;
		while (i + n < len && !date_is_delim(t[n]))
			n++;
		i += n;
		if (!f_time && date_time(t, n, &hour, &min, &sec)) {
			f_time = true;
			continue;
		}
		if (!f_day && (v = date_digits(t, n, &k, 1, 2)) >= 0) {
			f_day = true;
			day = v;
			continue;
		}
		if (!f_month && (v = date_month(t, n)) > 0) {
			f_month = true;
			month = v;
			continue;
		}
		k = 0;
		if (!f_year && (v = date_digits(t, n, &k, 2, 4)) >= 0) {
			f_year = true;
			year = v;
		}
	}
	if (f_year && year >= 70 && year <= 99)
		year += 1900;
	else if (f_year && year >= 0 && year <= 69)
		year += 2000;
	if (!f_time || !f_day || !f_month || !f_year)
		return -1;
	if (day < 1 || day > 31 || year < 1601 || hour > 23 || min > 59 ||
	    sec > 59)
		return -1;
	if (day > date_month_days(year, month))
		return -1;
	*unix_s = date_days_from_civil(year, month, day) * 86400 + hour * 3600 +
	    min * 60 + sec;
	return 0;
}

/* --- Set-Cookie ----------------------------------------------------------- */

static bool
sc_is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* Trims WSP on both sides of [*b, *e). */
static void
sc_trim(const char **b, const char **e)
{
	while (*b < *e && sc_is_wsp(**b))
		(*b)++;
	while (*e > *b && sc_is_wsp((*e)[-1]))
		(*e)--;
}

static bool
sc_name_is(const char *b, const char *e, const char *name)
{
	size_t n = strlen(name);

	return (size_t)(e - b) == n && strncasecmp(b, name, n) == 0;
}

/* Max-Age: "-"? 1*DIGIT, anything else ignores the attribute. Saturates
 * far beyond any cap the storage model applies. */
static void
sc_max_age(struct wk_set_cookie *out, const char *b, const char *e)
{
	const char *q = b;
	bool neg = false;
	int64_t v = 0;

	if (q < e && *q == '-') {
		neg = true;
		q++;
	}
	if (q == e)
		return;
	for (; q < e; q++) {
		if (*q < '0' || *q > '9')
			return;
		if (v < INT64_C(1000000000000))
			v = v * 10 + (*q - '0');
	}
	out->has_max_age = true;
	out->max_age_s = neg ? -v : v;
}

static void
sc_attr(struct wk_set_cookie *out, const char *nb, const char *ne,
    const char *vb, const char *ve)
{
	int64_t t;

	if (sc_name_is(nb, ne, "expires")) {
		if (wk_cookie_date_parse(vb, (size_t)(ve - vb), &t) == 0) {
			out->has_expires = true;
			out->expires_s = t;
		}
	} else if (sc_name_is(nb, ne, "max-age")) {
		sc_max_age(out, vb, ve);
	} else if (sc_name_is(nb, ne, "domain")) {
		if (vb == ve)
			return; /* "SHOULD ignore the cookie-av entirely" */
		if (*vb == '.')
			vb++;
		free(out->domain);
		out->domain = wk_strndup(vb, (size_t)(ve - vb));
		for (char *c = out->domain; *c != '\0'; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
	} else if (sc_name_is(nb, ne, "path")) {
		out->has_path = true;
		wk_free(out->path);
		if (vb < ve && *vb == '/')
			out->path = wk_strndup(vb, (size_t)(ve - vb));
	} else if (sc_name_is(nb, ne, "secure")) {
		out->secure = true;
	} else if (sc_name_is(nb, ne, "httponly")) {
		out->http_only = true;
	} else if (sc_name_is(nb, ne, "partitioned")) {
		out->partitioned = true;
	} else if (sc_name_is(nb, ne, "samesite")) {
		out->has_same_site = true;
		if (sc_name_is(vb, ve, "none"))
			out->same_site = WK_SAMESITE_NONE;
		else if (sc_name_is(vb, ve, "lax"))
			out->same_site = WK_SAMESITE_LAX;
		else if (sc_name_is(vb, ve, "strict"))
			out->same_site = WK_SAMESITE_STRICT;
		else
			out->same_site = WK_SAMESITE_DEFAULT;
	}
}

int
wk_set_cookie_parse(const char *line, size_t len, struct wk_set_cookie *out)
{
	const char *end = line + len, *nv_end, *eq, *nb, *ne, *vb, *ve, *p;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if ((c <= 0x08) || (c >= 0x0a && c <= 0x1f) || c == 0x7f)
			return -1;
	}
	nv_end = memchr(line, ';', len);
	if (nv_end == NULL)
		nv_end = end;
	eq = memchr(line, '=', (size_t)(nv_end - line));
	if (eq == NULL) {
		nb = ne = line;
		vb = line;
		ve = nv_end;
	} else {
		nb = line;
		ne = eq;
		vb = eq + 1;
		ve = nv_end;
	}
	sc_trim(&nb, &ne);
	sc_trim(&vb, &ve);
	if ((size_t)(ne - nb) + (size_t)(ve - vb) > WK_COOKIE_NAME_VALUE_MAX)
		return -1;
	if (ne == nb && ve == vb)
		return -1;
	out->name = wk_strndup(nb, (size_t)(ne - nb));
	out->value = wk_strndup(vb, (size_t)(ve - vb));
	for (p = nv_end; p < end;) {
		const char *av = p + 1, *av_end, *aeq;

		av_end = memchr(av, ';', (size_t)(end - av));
		if (av_end == NULL)
			av_end = end;
		p = av_end;
		aeq = memchr(av, '=', (size_t)(av_end - av));
		nb = av;
		ne = aeq != NULL ? aeq : av_end;
		vb = aeq != NULL ? aeq + 1 : av_end;
		ve = av_end;
		sc_trim(&nb, &ne);
		sc_trim(&vb, &ve);
		if ((size_t)(ve - vb) > WK_COOKIE_ATTR_VALUE_MAX)
			continue;
		sc_attr(out, nb, ne, vb, ve);
	}
	return 0;
}

void
wk_set_cookie_clear(struct wk_set_cookie *sc)
{
	free(sc->name);
	free(sc->value);
	free(sc->domain);
	free(sc->path);
	memset(sc, 0, sizeof(*sc));
}
