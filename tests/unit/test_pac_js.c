/* tests/unit/test_pac_js.c: the PAC engine (helpers, errors, memory
 * bound) against Chromium's and pacparser's test data from $WK_TESTDATA,
 * and the pac-helper protocol over a socketpair. */
#include "core/wk.h"

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/alloc.h"
#include "pac/pac_helper.h"
#include "pac/pac_js.h"
#include "pac/pac_result.h"

#define MIB (1024u * 1024u)

/* --- hooks ----------------------------------------------------------- */

struct stub {
	const char *my_ip;    /* NULL: fail */
	const char *my_ip_ex; /* NULL: use my_ip */
	time_t now;
	char alerts[1024]; /* every alert, one a line */
	unsigned n_resolve;
};

static struct stub st;

/* Knows a few names; everything else does not resolve. */
static int
stub_resolve(void *arg, const char *host, bool all, char *out, size_t outlen)
{
	struct stub *s = arg;

	s->n_resolve++;
	if (strcmp(host, "one.example") == 0)
		snprintf(out, outlen, "%s",
		    all ? "10.1.2.3;2001:db8::1" : "10.1.2.3");
	else if (strcmp(host, "six.example") == 0 && all)
		snprintf(out, outlen, "2001:db8::6");
	else
		return -1;
	return 0;
}

static int
stub_my_ip(void *arg, bool all, char *out, size_t outlen)
{
	struct stub *s = arg;
	const char *v = all && s->my_ip_ex != NULL ? s->my_ip_ex : s->my_ip;

	if (v == NULL)
		return -1;
	snprintf(out, outlen, "%s", v);
	return 0;
}

static time_t
stub_now(void *arg)
{
	return ((struct stub *)arg)->now;
}

static void
stub_alert(void *arg, const char *msg)
{
	struct stub *s = arg;
	size_t n = strlen(s->alerts);

	snprintf(s->alerts + n, sizeof(s->alerts) - n, "%s\n", msg);
}

static const struct wk_pac_js_hooks stub_hooks = {
	stub_resolve,
	stub_my_ip,
	stub_now,
	stub_alert,
	&st,
};

static struct wk_pac_js *
new_engine(size_t heap_max, const char *src)
{
	struct wk_pac_js *js = wk_pac_js_new(heap_max, &stub_hooks);
	char err[256];

	memset(&st, 0, sizeof(st));
	st.my_ip = "192.168.1.10";
	st.now = 1236038400; /* 2009-03-03T00:00:00Z, a Tuesday */
	if (src != NULL &&
	    wk_pac_js_load(
		js, "test.pac", src, strlen(src), err, sizeof(err)) != 0)
		fail_msg("load: %s", err);
	return js;
}

static char *
eval(struct wk_pac_js *js, const char *expr)
{
	static char out[4096];
	char err[256];

	if (wk_pac_js_eval(js, expr, out, sizeof(out), err, sizeof(err)) != 0)
		snprintf(out, sizeof(out), "throw: %s", err);
	return out;
}

static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = wk_malloc((size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		fail_msg("short read of %s", path);
	buf[n] = '\0';
	fclose(f);
	if (len != NULL)
		*len = (size_t)n;
	return buf;
}

/* $WK_TESTDATA/pac/rel into buf; skips the test when there is no data. */
static const char *
data_path(char *buf, size_t len, const char *rel)
{
	const char *dir = getenv("WK_TESTDATA");

	if (dir == NULL || dir[0] == '\0')
		return NULL;
	snprintf(buf, len, "%s/pac/%s", dir, rel);
	return buf;
}

/* --- Chromium's pac_library_unittest.js, as data --------------------- */

static const char chromium_runner[] =
    ";\n"
    "var G = this;\n"
    "function FindProxyForURL(url, host) { return 'DIRECT'; }\n"
    "function tNow(i) {\n"
    "  var n = T.tests[i].now;\n"
    "  return n ? n.time + '|' + n.zone : '';\n"
    "}\n"
    "function tRun(i) {\n"
    "  var t = T.tests[i], args = [], r, threw = null, k, a;\n"
    "  for (k = 0; k < t.args.length; k++) {\n"
    "    a = t.args[k];\n"
    "    args.push(a !== null && typeof a === 'object' && a.js ?\n"
    "        eval('(' + a.js + ')') : a);\n"
    "  }\n"
    "  try { r = G[t.fn].apply(null, args); } catch (e) { threw = e; }\n"
    "  if ('expect_error' in t)\n"
    "    return threw && threw.name === t.expect_error ? 'ok' :\n"
    "        'expected ' + t.expect_error + ', got ' +\n"
    "        (threw ? threw : JSON.stringify(r));\n"
    "  if (threw)\n"
    "    return 'threw ' + threw;\n"
    "  return r === t.expect ? 'ok' : 'got ' + JSON.stringify(r);\n"
    "}\n";

static time_t
parse_now(const char *s)
{
	struct tm tm;
	char zone[16];

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "\"%d-%d-%dT%d:%d:%d|%15[a-zA-Z]\"", &tm.tm_year,
		&tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
		zone) != 7)
		fail_msg("bad now %s", s);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	if (strcmp(zone, "UTC") == 0)
		return timegm(&tm);
	tm.tm_isdst = -1;
	return mktime(&tm);
}

static void
test_chromium_library(void **state)
{
	char path[1024], expr[64], err[256];
	struct wk_pac_js *js;
	char *json, *src;
	size_t len;
	unsigned total, pass = 0;

	(void)state;
	if (data_path(path, sizeof(path), "chromium-pac-library.json") == NULL)
		skip();
	json = read_file(path, &len);
	assert_non_null(json);
	src = wk_asprintf("var T = %s%s", json, chromium_runner);
	js = new_engine(32 * MIB, NULL);
	if (wk_pac_js_load(
		js, "chromium", src, strlen(src), err, sizeof(err)) != 0)
		fail_msg("%s", err);
	total = (unsigned)atoi(eval(js, "T.tests.length"));
	for (unsigned i = 0; i < total; i++) {
		char *now, *res;

		snprintf(expr, sizeof(expr), "tNow(%u)", i);
		now = eval(js, expr);
		if (strcmp(now, "\"\"") != 0)
			st.now = parse_now(now);
		snprintf(expr, sizeof(expr), "tRun(%u)", i);
		res = eval(js, expr);
		if (strcmp(res, "\"ok\"") == 0)
			pass++;
		else {
			snprintf(expr, sizeof(expr),
			    "JSON.stringify(T.tests[%u])", i);
			print_message("# fail: %s: %s\n", eval(js, expr), res);
		}
	}
	print_message("# chromium-pac-library: %u/%u applicable passed, 0 "
		      "skipped (the Microsoft extensions are implemented)\n",
	    pass, total);
	assert_int_equal(total, 133);
	assert_int_equal(pass, total);
	wk_pac_js_free(js);
	free(src);
	free(json);
}

/* --- pacparser's proxy.pac over its testdata ------------------------- */

static void
test_pacparser(void **state)
{
	char path[1024], err[256], out[256], line[1024];
	struct wk_pac_js *js;
	unsigned cases = 0, pass = 0, skipped = 0;
	char *src;
	FILE *f;

	(void)state;
	if (data_path(path, sizeof(path), "pacparser/proxy.pac") == NULL)
		skip();
	src = read_file(path, NULL);
	assert_non_null(src);
	js = new_engine(16 * MIB, NULL);
	if (wk_pac_js_load(
		js, "proxy.pac", src, strlen(src), err, sizeof(err)) != 0)
		fail_msg("%s", err);
	data_path(path, sizeof(path), "pacparser/testdata");
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		char *bar = strchr(line, '|'), *want, *tok, *save = NULL;
		const char *url = NULL, *my_ip = "192.168.1.10";
		char host[256];
		size_t hn;

		if (line[0] == '#' || bar == NULL)
			continue;
		if (strstr(bar, "INTERNET_REQUIRED") != NULL) {
			print_message("# skipped (needs real DNS): %s", line);
			skipped++;
			continue;
		}
		*bar = '\0';
		want = bar + 1;
		want[strcspn(want, " \t#\r\n")] = '\0';
		for (tok = strtok_r(line, " ", &save); tok != NULL;
		     tok = strtok_r(NULL, " ", &save)) {
			if (strcmp(tok, "-u") == 0)
				url = strtok_r(NULL, " ", &save);
			else if (strcmp(tok, "-c") == 0)
				my_ip = strtok_r(NULL, " ", &save);
		}
		assert_non_null(url);
		assert_non_null(strstr(url, "://"));
		hn = strcspn(strstr(url, "://") + 3, "/:");
		snprintf(host, sizeof(host), "%.*s", (int)hn,
		    strstr(url, "://") + 3);
		st.my_ip = my_ip;
		cases++;
		if (wk_pac_js_find(
			js, url, host, out, sizeof(out), err, sizeof(err)) != 0)
			print_message("# fail: %s: %s\n", url, err);
		else if (strcmp(out, want) != 0)
			print_message("# fail: %s (my ip %s): got %s, want "
				      "%s\n",
			    url, my_ip, out, want);
		else
			pass++;
	}
	fclose(f);
	print_message("# pacparser: %u/%u passed, %u skipped (need real "
		      "DNS)\n",
	    pass, cases, skipped);
	assert_int_equal(cases, 9);
	assert_int_equal(pass, cases);
	wk_pac_js_free(js);
	free(src);
}

static void
test_logging_pac(void **state)
{
	char path[1024], err[256], out[256];
	struct wk_pac_js *js;
	char *src;

	(void)state;
	if (data_path(path, sizeof(path), "pacparser/logging.pac") == NULL)
		skip();
	src = read_file(path, NULL);
	assert_non_null(src);
	js = new_engine(8 * MIB, src);
	assert_int_equal(wk_pac_js_find(js, "http://example.com/",
			     "example.com", out, sizeof(out), err, sizeof(err)),
	    0);
	assert_string_equal(out, "DIRECT");
	assert_string_equal(st.alerts,
	    "checking example.com\n"
	    "url: http://example.com/\n"
	    "single arg\n");
	wk_pac_js_free(js);
	free(src);
}

/* libproxy's sample PAC and what FindProxyForURL returns for each of
 * its URLs; then what our result parser makes of it (Chromium's rules:
 * "SOCKS4A", "PROXY %%" and "INVALID" are not valid entries). */
static void
test_libproxy_sample(void **state)
{
	char path[1024], err[256], out[256], expr[64];
	struct wk_pac_js *js;
	char *pac, *json, *src;
	unsigned n, pass = 0, invalid = 0;

	(void)state;
	if (data_path(path, sizeof(path), "libproxy/px-manager-sample.pac") ==
	    NULL)
		skip();
	pac = read_file(path, NULL);
	assert_non_null(pac);
	data_path(path, sizeof(path), "libproxy/expected.json");
	json = read_file(path, NULL);
	assert_non_null(json);
	src = wk_asprintf("var E = %s;\n%s", json, pac);
	js = new_engine(8 * MIB, NULL);
	if (wk_pac_js_load(js, "px-manager-sample.pac", src, strlen(src), err,
		sizeof(err)) != 0)
		fail_msg("%s", err);
	n = (unsigned)atoi(eval(js, "E.cases.length"));
	for (unsigned i = 0; i < n; i++) {
		char url[4096], host[4096], want[4096];
		struct wk_pac_hop hops[4];

		snprintf(expr, sizeof(expr), "E.cases[%u].url", i);
		snprintf(url, sizeof(url), "%s", eval(js, expr));
		snprintf(expr, sizeof(expr), "E.cases[%u].host", i);
		snprintf(host, sizeof(host), "%s", eval(js, expr));
		snprintf(expr, sizeof(expr),
		    "E.cases[%u].find_proxy_for_url_returns", i);
		snprintf(want, sizeof(want), "%s", eval(js, expr));
		/* the values are JSON strings: drop the quotes */
		url[strlen(url) - 1] = host[strlen(host) - 1] = '\0';
		want[strlen(want) - 1] = '\0';
		if (wk_pac_js_find(js, url + 1, host + 1, out, sizeof(out), err,
			sizeof(err)) != 0)
			print_message("# fail: %s: %s\n", url + 1, err);
		else if (strcmp(out, want + 1) != 0)
			print_message("# fail: %s: got %s, want %s\n", url + 1,
			    out, want + 1);
		else
			pass++;
		if (wk_pac_result_parse(
			out, strlen(out), hops, 4, err, sizeof(err)) < 0)
			invalid++;
	}
	print_message("# libproxy px-manager-sample: %u/%u passed, %u results "
		      "invalid for us\n",
	    pass, n, invalid);
	assert_int_equal(n, 8);
	assert_int_equal(pass, n);
	assert_int_equal(invalid, 3);
	assert_non_null(strstr(st.alerts, "DEFAULT\n"));
	wk_pac_js_free(js);
	free(src);
	free(json);
	free(pac);
}

/* --- helpers beyond the Chromium list -------------------------------- */

static void
test_helpers(void **state)
{
	struct wk_pac_js *js = new_engine(8 * MIB,
	    "function "
	    "FindProxyForURL(u, h) "
	    "{ return 'DIRECT'; }");

	(void)state;
	assert_string_equal(
	    eval(js, "dnsResolve('one.example')"), "\"10.1.2.3\"");
	assert_string_equal(eval(js, "dnsResolve('nx.example')"), "null");
	assert_string_equal(eval(js, "dnsResolve('1.2.3.4')"), "\"1.2.3.4\"");
	assert_string_equal(eval(js, "dnsResolve(5)"), "null");
	assert_string_equal(eval(js, "dnsResolveEx('one.example')"),
	    "\"10.1.2.3;2001:db8::1\"");
	assert_string_equal(eval(js, "dnsResolveEx('nx.example')"), "\"\"");
	assert_string_equal(eval(js, "isResolvable('one.example')"), "true");
	assert_string_equal(eval(js, "isResolvable('six.example')"), "false");
	assert_string_equal(eval(js, "isResolvableEx('six.example')"), "true");
	assert_string_equal(eval(js, "isResolvable('')"), "false");
	assert_string_equal(eval(js, "myIpAddress()"), "\"192.168.1.10\"");
	st.my_ip_ex = "192.168.1.10;fe80::1";
	assert_string_equal(
	    eval(js, "myIpAddressEx()"), "\"192.168.1.10;fe80::1\"");
	st.my_ip = NULL;
	st.my_ip_ex = NULL;
	assert_string_equal(eval(js, "myIpAddress()"), "\"127.0.0.1\"");
	assert_string_equal(
	    eval(js, "isInNet('one.example', '10.0.0.0', '255.0.0.0')"),
	    "true");
	assert_string_equal(
	    eval(js, "isInNet('nx.example', '10.0.0.0', '255.0.0.0')"),
	    "false");
	assert_string_equal(
	    eval(js, "isInNet('10.0.0.1', '10.0.0.0', 'x')"), "false");
	assert_string_equal(eval(js, "isInNet('10.0.0.1')"), "false");
	assert_string_equal(eval(js,
				"isInNetEx('3ffe:8311:ffff:1::', "
				"'3ffe:8311:ffff/48')"),
	    "true");
	assert_string_equal(
	    eval(js, "isInNetEx('10.1.2.3', '10.0.0.0/0')"), "true");
	assert_string_equal(eval(js, "isInNetEx('::1', '::/0')"), "true");
	assert_string_equal(eval(js, "isInNetEx('::1', '::/129')"), "false");
	assert_string_equal(
	    eval(js, "isInNetEx('10.1.2.3', '10.0.0.0/')"), "false");
	assert_string_equal(eval(js, "shExpMatch('', '*')"), "true");
	assert_string_equal(eval(js, "shExpMatch('abc', 'a*b*c')"), "true");
	assert_string_equal(eval(js, "shExpMatch('abc', 'a*b?c')"), "false");
	assert_string_equal(eval(js, "shExpMatch('a.b', 'a?b')"), "true");
	assert_string_equal(eval(js, "shExpMatch('axb', 'a.b')"), "false");
	assert_string_equal(
	    eval(js, "shExpMatch('http://x.example/p', '*.example/*')"),
	    "true");
	assert_string_equal(eval(js,
				"shExpMatch('aaaaaaaaaaaaaaaaaaaaaaaab', "
				"'*a*a*a*a*a*a*a*a*c')"),
	    "false");
	assert_string_equal(eval(js,
				"dnsDomainIs('WWW.Example.COM', "
				"'.example.com')"),
	    "true");
	assert_string_equal(
	    eval(js, "localHostOrDomainIs('www.x.com', 'www')"), "false");
	assert_string_equal(eval(js, "dnsDomainLevels('a.b.c.')"), "3");
	assert_string_equal(eval(js, "getClientVersion()"), "\"1.0\"");
	assert_string_equal(eval(js,
				"sortIpAddressList('10.0.0.2;10.0.0.1;"
				"::ffff:1.2.3.4')"),
	    "\"::ffff:1.2.3.4;10.0.0.1;10.0.0.2\"");
	assert_string_equal(eval(js, "typeof console.log"), "\"function\"");
	wk_pac_js_free(js);
}

static void
test_clock(void **state)
{
	struct wk_pac_js *js = new_engine(8 * MIB,
	    "function "
	    "FindProxyForURL(u, h) "
	    "{ return 'DIRECT'; }");

	(void)state;
	st.now = 1236047655; /* Tue 2009-03-03 02:34:15 UTC */
	assert_string_equal(
	    eval(js, "weekdayRange('SAT', 'TUE', 'GMT')"), "true"); /* wraps */
	assert_string_equal(eval(js, "weekdayRange('tue', 'GMT')"), "true");
	assert_string_equal(eval(js, "weekdayRange('XYZ', 'GMT')"), "false");
	assert_string_equal(eval(js, "weekdayRange()"), "false");
	assert_string_equal(eval(js, "timeRange(22, 3, 'GMT')"), "true");
	assert_string_equal(eval(js, "timeRange(3, 22, 'GMT')"), "false");
	assert_string_equal(
	    eval(js, "timeRange(2, 34, 15, 2, 34, 15, 'GMT')"), "true");
	assert_string_equal(eval(js, "timeRange(1, 2, 3)"), "false");
	assert_string_equal(eval(js, "timeRange('x')"), "false");
	assert_string_equal(eval(js, "dateRange('DEC', 'MAR', 'GMT')"), "true");
	assert_string_equal(eval(js, "dateRange(2009, 'GMT')"), "true");
	assert_string_equal(eval(js, "dateRange(2008, 2010, 'GMT')"), "true");
	assert_string_equal(eval(js, "dateRange(2010, 2008, 'GMT')"), "false");
	assert_string_equal(
	    eval(js, "dateRange(1, 'DEC', 2008, 5, 'MAR', 2009, 'GMT')"),
	    "true");
	assert_string_equal(eval(js, "dateRange('MAR', 3)"), "false");
	assert_string_equal(eval(js, "dateRange(1, 2, 3)"), "false");
	assert_string_equal(eval(js, "dateRange('FOO')"), "false");
	assert_string_equal(eval(js, "dateRange()"), "false");
	wk_pac_js_free(js);
}

/* --- errors, limits, reloads ----------------------------------------- */

static void
test_es6_fails_with_line(void **state)
{
	static const char let_src[] = "function FindProxyForURL(u, h) {\n"
				      "  var a = 1;\n"
				      "  let b = 2;\n"
				      "  return 'DIRECT';\n"
				      "}\n";
	static const char arrow_src[] = "// arrow\n"
					"var f = (x) => x;\n"
					"function FindProxyForURL(u, h) {\n"
					"  return 'DIRECT';\n"
					"}\n";
	struct wk_pac_js *js = new_engine(8 * MIB, NULL);
	char err[256];

	(void)state;
	assert_int_equal(wk_pac_js_load(js, "let.pac", let_src, strlen(let_src),
			     err, sizeof(err)),
	    -1);
	print_message("# %s\n", err);
	assert_true(strncmp(err, "let.pac:3: SyntaxError", 22) == 0);
	assert_int_equal(wk_pac_js_load(js, "arrow.pac", arrow_src,
			     strlen(arrow_src), err, sizeof(err)),
	    -1);
	print_message("# %s\n", err);
	assert_true(strncmp(err, "arrow.pac:2: SyntaxError", 24) == 0);
	/* no FindProxyForURL */
	assert_int_equal(
	    wk_pac_js_load(js, "none.pac", "var x = 1;", 10, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "none.pac: FindProxyForURL is not a function");
	/* an error while running the top level */
	assert_int_equal(
	    wk_pac_js_load(js, "top.pac", "\n\nnope();", 9, err, sizeof(err)),
	    -1);
	print_message("# %s\n", err);
	assert_true(strncmp(err, "top.pac:3: ReferenceError", 25) == 0);
	wk_pac_js_free(js);
}

static void
test_throw_gives_line(void **state)
{
	static const char src[] = "function FindProxyForURL(u, h) {\n"
				  "  if (h == 'boom')\n"
				  "    throw new Error('boom ' + h);\n"
				  "  if (h == 'type')\n"
				  "    return isPlainHostName(1);\n"
				  "  if (h == 'str')\n"
				  "    throw 'a string';\n"
				  "  if (h == 'num')\n"
				  "    return 42;\n"
				  "  if (h == 'deep')\n"
				  "    return '' + FindProxyForURL(u, h);\n"
				  "  return 'PROXY p:1';\n"
				  "}\n";
	struct wk_pac_js *js = new_engine(8 * MIB, src);
	char err[256], out[64];

	(void)state;
	assert_int_equal(wk_pac_js_find(js, "http://boom/", "boom", out,
			     sizeof(out), err, sizeof(err)),
	    -1);
	assert_string_equal(err, "test.pac:3: Error: boom boom");
	assert_int_equal(wk_pac_js_find(js, "http://type/", "type", out,
			     sizeof(out), err, sizeof(err)),
	    -1);
	print_message("# %s\n", err);
	assert_string_equal(
	    err, "test.pac:5: TypeError: Requires 1 string parameter");
	assert_int_equal(wk_pac_js_find(js, "http://str/", "str", out,
			     sizeof(out), err, sizeof(err)),
	    -1);
	assert_string_equal(err, "test.pac: a string");
	assert_int_equal(wk_pac_js_find(js, "http://num/", "num", out,
			     sizeof(out), err, sizeof(err)),
	    -1);
	assert_string_equal(
	    err, "test.pac: FindProxyForURL returned a number, not a string");
	assert_int_equal(wk_pac_js_find(js, "http://deep/", "deep", out,
			     sizeof(out), err, sizeof(err)),
	    -1);
	print_message("# %s\n", err);
	assert_true(strstr(err, "RangeError") != NULL);
	assert_int_equal(
	    wk_pac_js_find(js, "http://ok/", "ok", out, 4, err, sizeof(err)),
	    -1);
	assert_string_equal(
	    err, "test.pac: FindProxyForURL result too long (9 bytes)");
	assert_int_equal(wk_pac_js_find(js, "http://ok/", "ok", out,
			     sizeof(out), err, sizeof(err)),
	    0);
	assert_string_equal(out, "PROXY p:1");
	wk_pac_js_free(js);
}

static double
now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
test_memory_bound(void **state)
{
	static const char src[] =
	    "function FindProxyForURL(u, h) {\n"
	    "  if (h == 'hog') {\n"
	    "    var a = [];\n"
	    "    for (;;)\n"
	    "      a.push('x' + a.length + new Array(64).join('y'));\n"
	    "  }\n"
	    "  return 'DIRECT';\n"
	    "}\n";
	static const char hog_top[] = "var a = [];\n"
				      "while (true)\n"
				      "  a.push(new Array(1000).join('z') + "
				      "a.length);\n";
	struct wk_pac_js *js = new_engine(8 * MIB, src);
	char err[256], out[64];
	double t0 = now_sec();

	(void)state;
	assert_int_equal(wk_pac_js_find(js, "http://hog/", "hog", out,
			     sizeof(out), err, sizeof(err)),
	    -1);
	print_message("# %s (%.2f s)\n", err, now_sec() - t0);
	/* the heap bound ends it (a timing would only measure the machine) */
	assert_true(strstr(err, "alloc failed") != NULL);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(wk_pac_js_find(js, "http://ok/", "ok", out,
				     sizeof(out), err, sizeof(err)),
		    0);
		assert_string_equal(out, "DIRECT");
	}
	/* a script that eats the heap while loading: the old one stays */
	assert_int_equal(wk_pac_js_load(js, "hog.pac", hog_top, strlen(hog_top),
			     err, sizeof(err)),
	    -1);
	print_message("# %s\n", err);
	assert_true(strncmp(err, "hog.pac:", 8) == 0);
	assert_int_equal(wk_pac_js_find(js, "http://ok/", "ok", out,
			     sizeof(out), err, sizeof(err)),
	    0);
	assert_string_equal(out, "DIRECT");
	wk_pac_js_free(js);

	/* too small for even an empty heap */
	js = wk_pac_js_new(1024, NULL);
	assert_int_equal(
	    wk_pac_js_load(js, "tiny.pac", src, strlen(src), err, sizeof(err)),
	    -1);
	print_message("# %s\n", err);
	wk_pac_js_free(js);
}

static void
test_reload(void **state)
{
	static const char a[] =
	    "function FindProxyForURL(u, h) { return 'PROXY a:1'; }";
	static const char b[] =
	    "function FindProxyForURL(u, h) { return 'PROXY b:2'; }\n"
	    "function FindProxyForURLEx(u, h) { return 'PROXY ex:3'; }";
	struct wk_pac_js *js = new_engine(8 * MIB, NULL);
	char err[256], out[64];

	(void)state;
	assert_int_equal(wk_pac_js_find(js, "http://x/", "x", out, sizeof(out),
			     err, sizeof(err)),
	    -1);
	assert_string_equal(err, "no script loaded");
	assert_int_equal(
	    wk_pac_js_load(js, "a.pac", a, strlen(a), err, sizeof(err)), 0);
	assert_int_equal(wk_pac_js_find(js, "http://x/", "x", out, sizeof(out),
			     err, sizeof(err)),
	    0);
	assert_string_equal(out, "PROXY a:1");
	/* a broken reload keeps a */
	assert_int_equal(
	    wk_pac_js_load(js, "bad.pac", "function (", 10, err, sizeof(err)),
	    -1);
	assert_int_equal(wk_pac_js_find(js, "http://x/", "x", out, sizeof(out),
			     err, sizeof(err)),
	    0);
	assert_string_equal(out, "PROXY a:1");
	/* a good one replaces it in a fresh context; Ex wins */
	assert_int_equal(
	    wk_pac_js_load(js, "b.pac", b, strlen(b), err, sizeof(err)), 0);
	assert_int_equal(wk_pac_js_find(js, "http://x/", "x", out, sizeof(out),
			     err, sizeof(err)),
	    0);
	assert_string_equal(out, "PROXY ex:3");
	assert_int_equal(
	    wk_pac_js_load(js, "a.pac", a, strlen(a), err, sizeof(err)), 0);
	assert_string_equal(
	    eval(js, "typeof FindProxyForURLEx"), "\"undefined\"");
	wk_pac_js_free(js);
	wk_pac_js_free(NULL);
}

static void
test_default_hooks(void **state)
{
	struct wk_pac_js *js = wk_pac_js_new(8 * MIB, NULL);
	static const char src[] =
	    "function FindProxyForURL(u, h) { alert('ignored');"
	    " return myIpAddress() + ' ' + dnsResolve('127.0.0.1'); }";
	char err[256], out[128], ip[64];

	(void)state;
	assert_int_equal(
	    wk_pac_js_load(js, "d.pac", src, strlen(src), err, sizeof(err)), 0);
	assert_int_equal(wk_pac_js_find(js, "http://x/", "x", out, sizeof(out),
			     err, sizeof(err)),
	    0);
	assert_int_equal(sscanf(out, "%63s 127.0.0.1", ip), 1);
	assert_non_null(strchr(ip, '.'));
	assert_string_equal(
	    eval(js, "typeof timeRange(0, 23) + typeof myIpAddressEx()"),
	    "\"booleanstring\"");
	wk_pac_js_free(js);
}

/* --- the pac-helper protocol ------------------------------------------ */

struct peer {
	int fd;
	char buf[65536];
	size_t len;
};

static void
peer_send(struct peer *p, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(p->fd, s, n);

		assert_true(w > 0);
		s += w;
		n -= (size_t)w;
	}
}

/* The next line from the helper, without its '\n'; fails after 10 s. */
static const char *
peer_line(struct peer *p)
{
	static char line[65536];

	for (;;) {
		char *nl = memchr(p->buf, '\n', p->len);
		ssize_t n;

		if (nl != NULL) {
			size_t k = (size_t)(nl - p->buf);

			memcpy(line, p->buf, k);
			line[k] = '\0';
			memmove(p->buf, nl + 1, p->len - k - 1);
			p->len -= k + 1;
			return line;
		}
		alarm(10);
		n = read(p->fd, p->buf + p->len, sizeof(p->buf) - p->len);
		alarm(0);
		if (n <= 0)
			fail_msg("helper closed (%zd)", n);
		p->len += (size_t)n;
	}
}

static void
peer_load(struct peer *p, const char *name, const char *src)
{
	char head[256];

	snprintf(head, sizeof(head), "L\t%s\t%zu\n", name, strlen(src));
	peer_send(p, head, strlen(head));
	peer_send(p, src, strlen(src));
}

#define SEND(p, s) peer_send(p, s, sizeof(s) - 1)

static void
test_helper_protocol(void **state)
{
	static const char src[] = "function FindProxyForURL(u, h) {\n"
				  "  if (h == 'boom')\n"
				  "    throw new Error('boom');\n"
				  "  if (h == 'loud')\n"
				  "    alert('hi\\tthere\\nyou');\n"
				  "  if (h == 'loud')\n"
				  "    console.log('twice', 2);\n"
				  "  return 'PROXY p:1;\\tDIRECT';\n"
				  "}\n";
	struct peer p = { 0 };
	int sv[2], status;
	char *big;
	pid_t pid;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		_exit(wk_pac_helper_main(sv[1], sv[1], 16 * MIB) == 0 ? 0 : 1);
	}
	close(sv[1]);
	p.fd = sv[0];

	SEND(&p, "F\t1\thttp://x/\tx\n");
	assert_string_equal(peer_line(&p), "F\t1\terr\tno script loaded");
	peer_load(&p, "t.pac", src);
	assert_string_equal(peer_line(&p), "L\tok");
	SEND(&p, "F\t2\thttp://x/\tx\n");
	assert_string_equal(peer_line(&p), "F\t2\tok\tPROXY p:1; DIRECT");
	SEND(&p, "F\t3\thttp://loud/\tloud\n");
	assert_string_equal(peer_line(&p), "A\thi there you");
	assert_string_equal(peer_line(&p), "A\ttwice 2");
	assert_string_equal(peer_line(&p), "F\t3\tok\tPROXY p:1; DIRECT");
	SEND(&p, "F\t4\thttp://boom/\tboom\n");
	assert_string_equal(peer_line(&p), "F\t4\terr\tt.pac:3: Error: boom");

	/* bad lines */
	SEND(&p, "X\tfoo\n");
	assert_string_equal(peer_line(&p), "E\terr\tunknown request");
	SEND(&p, "\n");
	assert_string_equal(peer_line(&p), "E\terr\tunknown request");
	SEND(&p, "F\t5\tonly-url\n");
	assert_string_equal(peer_line(&p), "F\t5\terr\tbad request");
	SEND(&p, "F\t6\ta\tb\tc\n");
	assert_string_equal(peer_line(&p), "F\t6\terr\tbad request");
	SEND(&p, "F\t\ta\tb\n");
	assert_string_equal(peer_line(&p), "E\terr\tbad request");
	SEND(&p, "L\tx.pac\n");
	assert_string_equal(peer_line(&p), "L\terr\tbad request");
	SEND(&p, "L\tx.pac\t12x\n");
	assert_string_equal(peer_line(&p), "L\terr\tbad script length");
	big = wk_malloc(20001);
	memset(big, 'a', 20000);
	big[20000] = '\0';
	SEND(&p, "F\t7\thttp://");
	peer_send(&p, big, 20000);
	SEND(&p, "/\tx\n");
	assert_string_equal(peer_line(&p), "F\t7\terr\trequest line too long");
	free(big);
	SEND(&p, "F\t8\thttp://x/\tx\n");
	assert_string_equal(peer_line(&p), "F\t8\tok\tPROXY p:1; DIRECT");

	/* a failed load keeps the script; a script larger than the heap is
	 * read and refused */
	peer_load(&p, "bad.pac", "function FindProxyForURL(u, h) {\n  let");
	assert_string_equal(
	    peer_line(&p), "L\terr\tbad.pac:2: SyntaxError: parse error");
	SEND(&p, "L\thuge.pac\t16777217\n");
	big = wk_calloc(1, 16777217);
	peer_send(&p, big, 16777217);
	free(big);
	assert_string_equal(
	    peer_line(&p), "L\terr\tscript larger than the heap");
	SEND(&p, "F\t9\thttp://x/\tx\n");
	assert_string_equal(peer_line(&p), "F\t9\tok\tPROXY p:1; DIRECT");

	/* end of input: exit 0 */
	shutdown(p.fd, SHUT_WR);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(p.fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chromium_library),
		cmocka_unit_test(test_pacparser),
		cmocka_unit_test(test_logging_pac),
		cmocka_unit_test(test_libproxy_sample),
		cmocka_unit_test(test_helpers),
		cmocka_unit_test(test_clock),
		cmocka_unit_test(test_es6_fails_with_line),
		cmocka_unit_test(test_throw_gives_line),
		cmocka_unit_test(test_memory_bound),
		cmocka_unit_test(test_reload),
		cmocka_unit_test(test_default_hooks),
		cmocka_unit_test(test_helper_protocol),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
