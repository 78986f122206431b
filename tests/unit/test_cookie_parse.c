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

#include "testjson.h"

#include "cookie/cookie_parse.h"

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
