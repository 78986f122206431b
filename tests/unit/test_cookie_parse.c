/* tests/unit/test_cookie_parse.c: RFC 6265bis cookie-date and Set-Cookie
 * parsing, with the http-state date conformance data. */
#include "core/wk.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "cookie/cookie_parse.h"

/* --- a small JSON reader for the conformance files ----------------------- */

enum tj_type {
	TJ_NULL = 0, /* null (also true/false/numbers: unused here) */
	TJ_STR,	     /* string (s, len: decoded UTF-8) */
	TJ_ARR,	     /* array (kids) */
	TJ_OBJ	     /* object (kids, keys) */
};

struct tj {
	enum tj_type type;
	char *s;
	size_t len;
	struct tj *kids;
	char **keys;
	size_t n;
};

static const char *
tj_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static void
tj_utf8(char *out, size_t *w, unsigned long cp)
{
	if (cp < 0x80) {
		out[(*w)++] = (char)cp;
	} else if (cp < 0x800) {
		out[(*w)++] = (char)(0xc0 | (cp >> 6));
		out[(*w)++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		out[(*w)++] = (char)(0xe0 | (cp >> 12));
		out[(*w)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[(*w)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		out[(*w)++] = (char)(0xf0 | (cp >> 18));
		out[(*w)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
		out[(*w)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[(*w)++] = (char)(0x80 | (cp & 0x3f));
	}
}

static unsigned long
tj_hex4(const char *p)
{
	char h[5];

	memcpy(h, p, 4);
	h[4] = '\0';
	return strtoul(h, NULL, 16);
}

/* p at the opening quote; returns past the closing one, or NULL. */
static const char *
tj_str(const char *p, struct tj *v)
{
	size_t w = 0;
	char *out = malloc(strlen(p) + 1);

	assert_non_null(out);
	for (p++; *p != '"'; p++) {
		if (*p == '\0') {
			free(out);
			return NULL;
		}
		if (*p != '\\') {
			out[w++] = *p;
			continue;
		}
		p++;
		switch (*p) {
		case 'n':
			out[w++] = '\n';
			break;
		case 't':
			out[w++] = '\t';
			break;
		case 'r':
			out[w++] = '\r';
			break;
		case 'b':
			out[w++] = '\b';
			break;
		case 'f':
			out[w++] = '\f';
			break;
		case 'u': {
			unsigned long cp = tj_hex4(p + 1);

			p += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && p[1] == '\\' &&
			    p[2] == 'u') {
				unsigned long lo = tj_hex4(p + 3);

				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
				p += 6;
			}
			tj_utf8(out, &w, cp);
			break;
		}
		default:
			out[w++] = *p;
		}
	}
	out[w] = '\0';
	v->type = TJ_STR;
	v->s = out;
	v->len = w;
	return p + 1;
}

static const char *tj_value(const char *p, struct tj *v);

static const char *
tj_list(const char *p, struct tj *v, bool obj)
{
	char close = obj ? '}' : ']';

	v->type = obj ? TJ_OBJ : TJ_ARR;
	p = tj_ws(p + 1);
	while (p != NULL && *p != close) {
		struct tj key;

		v->kids = realloc(v->kids, (v->n + 1) * sizeof(*v->kids));
		v->keys = realloc(v->keys, (v->n + 1) * sizeof(*v->keys));
		assert_non_null(v->kids);
		assert_non_null(v->keys);
		memset(&v->kids[v->n], 0, sizeof(v->kids[0]));
		v->keys[v->n] = NULL;
		if (obj) {
			if (*p != '"' || (p = tj_str(p, &key)) == NULL)
				return NULL;
			v->keys[v->n] = key.s;
			p = tj_ws(p);
			if (*p++ != ':')
				return NULL;
		}
		p = tj_value(tj_ws(p), &v->kids[v->n++]);
		if (p == NULL)
			return NULL;
		p = tj_ws(p);
		if (*p == ',')
			p = tj_ws(p + 1);
	}
	return p != NULL ? p + 1 : NULL;
}

static const char *
tj_value(const char *p, struct tj *v)
{
	memset(v, 0, sizeof(*v));
	if (*p == '"')
		return tj_str(p, v);
	if (*p == '[' || *p == '{')
		return tj_list(p, v, *p == '{');
	while (*p != '\0' && *p != ',' && *p != ']' && *p != '}')
		p++; /* null, true, false, numbers */
	return p;
}

static void
tj_free(struct tj *v)
{
	for (size_t i = 0; i < v->n; i++) {
		tj_free(&v->kids[i]);
		free(v->keys[i]);
	}
	free(v->kids);
	free(v->keys);
	free(v->s);
}

static const struct tj *
tj_get(const struct tj *o, const char *key)
{
	for (size_t i = 0; o->type == TJ_OBJ && i < o->n; i++)
		if (strcmp(o->keys[i], key) == 0)
			return &o->kids[i];
	return NULL;
}

/* Reads and parses WK_TESTDATA/rel; false (test skipped) without data. */
static bool
tj_load(const char *rel, struct tj *root)
{
	const char *dir = getenv("WK_TESTDATA");
	char path[1024];
	char *buf;
	long n;
	FILE *f;

	if (dir == NULL || dir[0] == '\0')
		return false;
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if ((f = fopen(path, "rb")) == NULL)
		return false;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	assert_non_null(tj_value(tj_ws(buf), root));
	free(buf);
	return true;
}

/* --- dates --------------------------------------------------------------- */

static void
fmt_date(int64_t t, char *out, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, cap, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* Runs one dates file; returns the failures. */
static unsigned
run_dates(const char *rel, unsigned *pass, unsigned *total)
{
	struct tj root;
	unsigned fail = 0;

	if (!tj_load(rel, &root))
		skip();
	assert_int_equal(root.type, TJ_ARR);
	for (size_t i = 0; i < root.n; i++) {
		const struct tj *t = tj_get(&root.kids[i], "test");
		const struct tj *e = tj_get(&root.kids[i], "expected");
		char got[64] = "null";
		int64_t s;
		bool ok;

		assert_non_null(t);
		assert_non_null(e);
		if (wk_cookie_date_parse(t->s, t->len, &s) == 0)
			fmt_date(s, got, sizeof(got));
		ok = e->type == TJ_STR ? strcmp(got, e->s) == 0 :
					 strcmp(got, "null") == 0;
		(*total)++;
		if (ok) {
			(*pass)++;
		} else {
			fail++;
			printf("# FAIL %s: \"%s\" -> %s, want %s\n", rel, t->s,
			    got, e->type == TJ_STR ? e->s : "null");
		}
	}
	tj_free(&root);
	return fail;
}

static void
test_dates_conformance(void **state)
{
	unsigned pass = 0, total = 0, fail = 0;

	(void)state;
	if (getenv("WK_TESTDATA") == NULL || getenv("WK_TESTDATA")[0] == '\0')
		skip();
	fail +=
	    run_dates("http-state-cookies/dates-examples.json", &pass, &total);
	fail += run_dates(
	    "http-state-cookies/dates-bsd-examples.json", &pass, &total);
	printf("# dates: %u/%u\n", pass, total);
	assert_true(total >= 60);
	assert_int_equal(fail, 0);
}

static int64_t
date(const char *s)
{
	int64_t t = -1;

	if (wk_cookie_date_parse(s, strlen(s), &t) != 0)
		return -1;
	return t;
}

static void
test_dates(void **state)
{
	(void)state;
	assert_int_equal(date("Thu, 01 Jan 1970 00:00:00 GMT"), 0);
	assert_int_equal(date("Sat, 15-Apr-17 21:01:22 GMT"), 1492290082);
	assert_int_equal(date("Sun Nov  6 08:49:37 1994"), 784111777);
	assert_int_equal(date("Sunday, 06-Nov-94 08:49:37 GMT"), 784111777);
	assert_int_equal(date("06 Nov 1994 08:49:37"), 784111777);
	/* two-digit years: 70-99 -> 19xx, 00-69 -> 20xx */
	assert_int_equal(date("1 jan 70 00:00:00"), 0);
	assert_int_equal(date("1 jan 69 00:00:00"), 3124224000);
	/* validity */
	assert_int_equal(date("31 Feb 2000 00:00:00"), -1);
	assert_int_equal(date("29 Feb 2000 00:00:00"), 951782400);
	assert_int_equal(date("29 Feb 2001 00:00:00"), -1);
	assert_int_equal(date("1 Jan 1600 00:00:00"), -1);
	assert_true(date("1 Jan 1601 00:00:00") < 0); /* before 1970 */
	assert_int_equal(date("1 Jan 2000 24:00:00"), -1);
	assert_int_equal(date("1 Jan 2000 23:60:00"), -1);
	assert_int_equal(date("0 Jan 2000 00:00:00"), -1);
	assert_int_equal(date("32 Jan 2000 00:00:00"), -1);
	assert_int_equal(date("1 Jan 2000"), -1);      /* no time */
	assert_int_equal(date("1 2000 00:00:00"), -1); /* no month */
	assert_int_equal(date(""), -1);
	/* 3-digit fields are not time, day or (below 4) year tokens */
	assert_int_equal(date("1 Jan 2000 001:00:00"), -1);
	assert_int_equal(date("001 Jan 2000 01:00:00"), -1);
	assert_int_equal(date("1 Jan 20000 01:00:00"), -1);
	/* trailing non-digits are allowed after each token */
	assert_int_equal(date("1st Janissary 2000AD 00:00:00xyz"), 946684800);
	/* control bytes are not delimiters (they join tokens) */
	assert_int_equal(date("1 Jan\x01 2000 00:00:00"), 946684800);
}

/* --- Set-Cookie ---------------------------------------------------------- */

static void
parse_ok(const char *s, struct wk_set_cookie *sc)
{
	if (wk_set_cookie_parse(s, strlen(s), sc) != 0)
		fail_msg("rejected: %s", s);
}

static void
test_set_cookie_basic(void **state)
{
	struct wk_set_cookie sc;

	(void)state;
	parse_ok("  a = b c ; Path=/x; Domain=.Example.COM; Secure; HttpOnly; "
		 "SameSite=Strict; Partitioned; Max-Age=60; "
		 "Expires=Wed, 09 Jun 2021 10:18:14 GMT; Unknown=1",
	    &sc);
	assert_string_equal(sc.name, "a");
	assert_string_equal(sc.value, "b c");
	assert_string_equal(sc.path, "/x");
	assert_true(sc.has_path);
	assert_string_equal(sc.domain, "example.com");
	assert_true(sc.secure && sc.http_only && sc.partitioned);
	assert_true(sc.has_same_site);
	assert_int_equal(sc.same_site, WK_SAMESITE_STRICT);
	assert_true(sc.has_max_age);
	assert_int_equal(sc.max_age_s, 60);
	assert_true(sc.has_expires);
	assert_int_equal(sc.expires_s, 1623233894);
	wk_set_cookie_clear(&sc);

	parse_ok("x", &sc); /* 6265bis: a nameless cookie */
	assert_string_equal(sc.name, "");
	assert_string_equal(sc.value, "x");
	assert_null(sc.domain);
	assert_null(sc.path);
	assert_false(sc.has_path || sc.secure || sc.http_only ||
	    sc.partitioned || sc.has_same_site || sc.has_max_age ||
	    sc.has_expires);
	wk_set_cookie_clear(&sc);

	parse_ok("=x=y", &sc);
	assert_string_equal(sc.name, "");
	assert_string_equal(sc.value, "x=y");
	wk_set_cookie_clear(&sc);

	parse_ok("a=", &sc);
	assert_string_equal(sc.name, "a");
	assert_string_equal(sc.value, "");
	wk_set_cookie_clear(&sc);

	assert_int_equal(wk_set_cookie_parse("=", 1, &sc), -1);
	assert_int_equal(wk_set_cookie_parse("  ; a=b", 7, &sc), -1);
	assert_int_equal(wk_set_cookie_parse("", 0, &sc), -1);
}

static void
test_set_cookie_attrs(void **state)
{
	struct wk_set_cookie sc;

	(void)state;
	/* Max-Age: digits with an optional "-"; anything else is ignored */
	parse_ok("a=b; Max-Age=-5", &sc);
	assert_true(sc.has_max_age);
	assert_int_equal(sc.max_age_s, -5);
	wk_set_cookie_clear(&sc);
	parse_ok("a=b; Max-Age=10; Max-Age=1x", &sc);
	assert_int_equal(sc.max_age_s, 10); /* invalid later one ignored */
	wk_set_cookie_clear(&sc);
	parse_ok("a=b; Max-Age=+5; max-age=; max-age=-; max-age=2.5", &sc);
	assert_false(sc.has_max_age);
	wk_set_cookie_clear(&sc);
	parse_ok("a=b; Max-Age=99999999999999999999999", &sc);
	assert_true(sc.has_max_age && sc.max_age_s > 400 * 86400);
	wk_set_cookie_clear(&sc);
	/* Expires that does not parse is ignored */
	parse_ok("a=b; Expires=soon", &sc);
	assert_false(sc.has_expires);
	wk_set_cookie_clear(&sc);
	/* Domain: empty ignored (an earlier one kept), "." -> "" */
	parse_ok("a=b; Domain=x.org; Domain=", &sc);
	assert_string_equal(sc.domain, "x.org");
	wk_set_cookie_clear(&sc);
	parse_ok("a=b; Domain=.", &sc);
	assert_string_equal(sc.domain, "");
	wk_set_cookie_clear(&sc);
	/* Path: the last one wins, an invalid one meaning default-path */
	parse_ok("a=b; Path=/a; Path=b", &sc);
	assert_null(sc.path);
	assert_true(sc.has_path);
	wk_set_cookie_clear(&sc);
	parse_ok("a=b; Path=b; Path= /c ", &sc);
	assert_string_equal(sc.path, "/c");
	wk_set_cookie_clear(&sc);
	/* SameSite: case-insensitive; invalid -> Default; the last wins */
	parse_ok("a=b; SameSite=lAx", &sc);
	assert_int_equal(sc.same_site, WK_SAMESITE_LAX);
	wk_set_cookie_clear(&sc);
	parse_ok("a=b; SameSite=None", &sc);
	assert_int_equal(sc.same_site, WK_SAMESITE_NONE);
	wk_set_cookie_clear(&sc);
	parse_ok("a=b; SameSite=Strict; SameSite=bogus", &sc);
	assert_true(sc.has_same_site);
	assert_int_equal(sc.same_site, WK_SAMESITE_DEFAULT);
	wk_set_cookie_clear(&sc);
	/* attribute names are trimmed and case-insensitive; "Secure qux" is
	 * an unknown attribute */
	parse_ok("a=b;  sEcUrE  =x; Secure qux; httponly", &sc);
	assert_true(sc.secure && sc.http_only);
	wk_set_cookie_clear(&sc);
	parse_ok("a=b; Secure qux", &sc);
	assert_false(sc.secure);
	wk_set_cookie_clear(&sc);
}

static void
test_set_cookie_limits(void **state)
{
	struct wk_set_cookie sc;
	char buf[6000];
	size_t n;

	(void)state;
	/* name + value: 4096 is fine, 4097 is not */
	memset(buf, 'v', sizeof(buf));
	buf[0] = 'n';
	buf[1] = '=';
	assert_int_equal(wk_set_cookie_parse(buf, 4097, &sc), 0);
	assert_int_equal(strlen(sc.value), 4095);
	wk_set_cookie_clear(&sc);
	assert_int_equal(wk_set_cookie_parse(buf, 4098, &sc), -1);
	/* an attribute value over 1024 bytes is ignored, not the cookie */
	n = (size_t)snprintf(buf, sizeof(buf), "a=b; Path=/");
	memset(buf + n, 'p', 1024);
	n += 1024;
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "; Secure");
	assert_int_equal(wk_set_cookie_parse(buf, n, &sc), 0);
	assert_null(sc.path);
	assert_true(sc.secure);
	wk_set_cookie_clear(&sc);
	n = (size_t)snprintf(buf, sizeof(buf), "a=b; Path=/");
	memset(buf + n, 'p', 1023);
	n += 1023;
	assert_int_equal(wk_set_cookie_parse(buf, n, &sc), 0);
	assert_non_null(sc.path);
	assert_int_equal(strlen(sc.path), 1024);
	wk_set_cookie_clear(&sc);
	/* control characters anywhere reject the line; HTAB is fine */
	assert_int_equal(wk_set_cookie_parse("a=b\0c", 5, &sc), -1);
	assert_int_equal(wk_set_cookie_parse("a=b\rc", 5, &sc), -1);
	assert_int_equal(wk_set_cookie_parse("a=b; Path=/\x7f", 12, &sc), -1);
	assert_int_equal(wk_set_cookie_parse("a=b; x=\x1f", 8, &sc), -1);
	assert_int_equal(wk_set_cookie_parse("a=\tb\t", 5, &sc), 0);
	assert_string_equal(sc.value, "b");
	wk_set_cookie_clear(&sc);
	/* not NUL-terminated: only len bytes count */
	assert_int_equal(wk_set_cookie_parse("a=bXXX", 3, &sc), 0);
	assert_string_equal(sc.value, "b");
	wk_set_cookie_clear(&sc);
	/* UTF-8 is kept as bytes */
	parse_ok("\xe6\x98\xa5=\xe8\x8a\x82", &sc);
	assert_string_equal(sc.name, "\xe6\x98\xa5");
	wk_set_cookie_clear(&sc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_dates_conformance),
		cmocka_unit_test(test_set_cookie_basic),
		cmocka_unit_test(test_set_cookie_attrs),
		cmocka_unit_test(test_set_cookie_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
