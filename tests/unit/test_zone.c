/* tests/unit/test_zone.c: match terms (parsing, every kind, ports, CIDR
 * on literals and on resolved addresses), first match wins across the
 * name index and the scanned terms, the default zone, and the index
 * checked against a plain scan over many random rules. */
#include "core/wk.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/conf.h"
#include "core/alloc.h"
#include "zone/zone.h"

static bool
term_matches(const char *term, const char *host, uint16_t port)
{
	struct wk_zone_term t;
	struct wk_zone_dest d = { .host = host, .port = port };
	char err[256];
	bool need = false, m;

	assert_int_equal(
	    wk_zone_term_parse(term, "t:1", &t, err, sizeof(err)), 0);
	m = wk_zone_term_match(&t, &d, &need);
	wk_zone_term_clear(&t);
	return m;
}

static void
bad_term(const char *term, const char *msg_part)
{
	struct wk_zone_term t;
	char err[256];

	assert_int_equal(
	    wk_zone_term_parse(term, "t:1", &t, err, sizeof(err)), -1);
	if (strstr(err, msg_part) == NULL)
		fail_msg("error for \"%s\" is \"%s\", wanted \"%s\"", term, err,
		    msg_part);
}

static void
test_kinds(void **state)
{
	(void)state;
	assert_true(term_matches("*", "anything.example", 80));
	assert_true(term_matches("www.example.com", "www.example.com", 80));
	assert_true(term_matches("WWW.Example.COM", "www.example.com", 80));
	assert_true(term_matches("www.example.com.", "www.example.com", 80));
	assert_true(term_matches("www.example.com", "www.example.com.", 80));
	assert_false(term_matches("www.example.com", "example.com", 80));
	assert_false(term_matches("example.com", "www.example.com", 80));
	/* *.suffix: names under it, not the suffix itself */
	assert_true(term_matches("*.example.com", "a.example.com", 80));
	assert_true(term_matches("*.example.com", "a.b.example.com", 80));
	assert_false(term_matches("*.example.com", "example.com", 80));
	assert_false(term_matches("*.example.com", "badexample.com", 80));
	/* .domain: the domain and everything under it */
	assert_true(term_matches(".example.com", "example.com", 80));
	assert_true(term_matches(".example.com", "x.example.com", 80));
	assert_false(term_matches(".example.com", "xexample.com", 80));
	/* shell patterns on the whole name */
	assert_true(term_matches("ads*.example", "ads7.example", 80));
	assert_true(term_matches("ads?.example", "ads7.example", 80));
	assert_false(term_matches("ads?.example", "ads77.example", 80));
	assert_true(term_matches("*ex*", "www.example.org", 80));
	assert_true(term_matches("[ab]x.test", "bx.test", 80));
	assert_false(term_matches("[ab]x.test", "cx.test", 80));
	/* IDNA: Unicode terms match the A-label form */
	assert_true(
	    term_matches("bücher.example", "xn--bcher-kva.example", 80));
	assert_true(
	    term_matches("*.bücher.example", "www.xn--bcher-kva.example", 80));
	assert_true(
	    term_matches("BÜCHER.example", "xn--bcher-kva.example", 80));
	assert_true(term_matches("*.bücher.*", "a.xn--bcher-kva.example", 80));
}

static void
test_ports(void **state)
{
	(void)state;
	assert_true(term_matches("example.com:443", "example.com", 443));
	assert_false(term_matches("example.com:443", "example.com", 80));
	assert_true(
	    term_matches("*.example.com:8000-8080", "a.example.com", 8042));
	assert_false(
	    term_matches("*.example.com:8000-8080", "a.example.com", 8081));
	assert_true(term_matches("10.0.0.0/8:22", "10.9.9.9", 22));
	assert_false(term_matches("10.0.0.0/8:22", "10.9.9.9", 23));
	assert_true(term_matches("[::1]:8080", "::1", 8080));
	assert_true(term_matches("[2001:db8::/32]:443", "2001:db8::5", 443));
	assert_false(term_matches("[2001:db8::/32]:443", "2001:db8::5", 80));
	assert_true(term_matches("*:443", "whatever.example", 443));
	assert_false(term_matches("*:443", "whatever.example", 80));
}

static void
test_cidr(void **state)
{
	(void)state;
	assert_true(term_matches("10.0.0.0/8", "10.1.2.3", 80));
	assert_false(term_matches("10.0.0.0/8", "11.1.2.3", 80));
	assert_true(
	    term_matches("10.1.2.3/8", "10.200.0.1", 80)); /* host bits */
	assert_true(term_matches("192.168.1.7", "192.168.1.7", 80));
	assert_false(term_matches("192.168.1.7", "192.168.1.8", 80));
	assert_true(term_matches("172.16.0.0/12", "172.31.255.255", 80));
	assert_false(term_matches("172.16.0.0/12", "172.32.0.0", 80));
	assert_true(term_matches("0.0.0.0/0", "1.2.3.4", 80));
	assert_false(term_matches("0.0.0.0/0", "::1", 80));
	assert_true(term_matches("::1", "::1", 80));
	assert_true(term_matches("fe80::/10", "fe80::1:2", 80));
	assert_false(term_matches("fe80::/10", "fec0::1", 80));
	/* an IPv4-mapped IPv6 literal is its IPv4 address */
	assert_true(term_matches("127.0.0.0/8", "::ffff:127.0.0.9", 80));
}

static void
test_bad_terms(void **state)
{
	(void)state;
	bad_term("", "empty");
	bad_term("10.0.0.0/33", "invalid address");
	bad_term("10.0.0.0/", "invalid address");
	bad_term("10.0.0/8", "invalid address");
	bad_term("::1/129", "invalid address");
	bad_term("[::1", "expected [IPv6]");
	bad_term("[::1]:", "expected [IPv6]");
	bad_term("[fe80::g]", "invalid address");
	bad_term("example.com:0", "invalid port");
	bad_term("example.com:65536", "invalid port");
	bad_term("example.com:90-80", "invalid port");
	bad_term("example.com:http", "invalid port");
	bad_term(":80", "no host");
	bad_term("a..b", "invalid host");
	bad_term("exa mple.com", "invalid host");
	bad_term("*.b\xc3\xbc*.example", "ASCII");
	bad_term(".", "invalid host");
}

/* Builds zones from "name|term term|action" specs. */
static void
zones_from(struct wk_zones *zs, const char *const *specs, size_t n)
{
	char err[256];

	memset(zs, 0, sizeof(*zs));
	zs->zones = wk_calloc(n, sizeof(*zs->zones));
	zs->n = n;
	for (size_t i = 0; i < n; i++) {
		struct wk_zone *z = &zs->zones[i];
		char *spec = wk_strdup(specs[i]), *save = NULL, *name, *terms,
		     *act, *t;

		name = strtok_r(spec, "|", &save);
		terms = strtok_r(NULL, "|", &save);
		act = strtok_r(NULL, "|", &save);
		z->name = wk_strdup(name);
		z->where = wk_strdup("test");
		z->action = act != NULL && strcmp(act, "deny") == 0 ?
		    WK_ZONE_DENY :
		    WK_ZONE_ALLOW;
		for (t = terms ? strtok_r(terms, " ", &save) : NULL; t != NULL;
		     t = strtok_r(NULL, " ", &save)) {
			z->terms = wk_realloc(
			    z->terms, (z->n_terms + 1) * sizeof(*z->terms));
			assert_int_equal(
			    wk_zone_term_parse(t, "test", &z->terms[z->n_terms],
				err, sizeof(err)),
			    0);
			z->n_terms++;
		}
		free(spec);
	}
	wk_zones_finish(zs);
}

static const char *
zone_of(const struct wk_zones *zs, const char *host, uint16_t port)
{
	struct wk_zone_dest d = { .host = host, .port = port };
	struct wk_zone_hit hit;

	if (wk_zone_match(zs, &d, &hit) == WK_ZONE_NEED_ADDR)
		return "NEED_ADDR";
	return hit.zone->name;
}

static void
test_first_match_wins(void **state)
{
	static const char *const specs[] = {
		"one|*.deep.example.com|allow",
		"two|ads*.example.com .example.com|deny",
		"three|www.example.com|allow",
		"four|10.0.0.0/8 late.example|allow",
		"default| |deny",
	};
	struct wk_zones zs;

	(void)state;
	zones_from(&zs, specs, WK_ARRAY_LEN(specs));
	assert_string_equal(zone_of(&zs, "a.deep.example.com", 80), "one");
	/* the glob of zone two comes before the exact name of zone three */
	assert_string_equal(zone_of(&zs, "www.example.com", 80), "two");
	assert_string_equal(zone_of(&zs, "ads1.example.com", 80), "two");
	assert_string_equal(zone_of(&zs, "example.com", 80), "two");
	assert_string_equal(zone_of(&zs, "10.2.3.4", 80), "four");
	/* a name that no earlier term matches must be resolved before the
	 * CIDR term of zone four can be passed over */
	assert_string_equal(zone_of(&zs, "late.example", 80), "NEED_ADDR");
	assert_string_equal(zone_of(&zs, "other.example", 80), "NEED_ADDR");
	/* the built-in default is replaced by the zone named default */
	assert_string_equal(zs.dflt->name, "default");
	assert_int_equal(zs.dflt->action, WK_ZONE_DENY);
	assert_true(zs.need_addr);
	wk_zones_clear(&zs);
}

static void
test_resolved(void **state)
{
	static const char *const specs[] = {
		"lan|10.0.0.0/8 fd00::/8|allow",
		"named|svc.example|deny",
	};
	struct wk_zones zs;
	struct sockaddr_storage a[2];
	struct sockaddr_in *v4 = (struct sockaddr_in *)&a[0];
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&a[1];
	struct wk_zone_dest d = { .host = "svc.example", .port = 80 };
	struct wk_zone_hit hit;

	(void)state;
	memset(a, 0, sizeof(a));
	v4->sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.1", &v4->sin_addr);
	v6->sin6_family = AF_INET6;
	inet_pton(AF_INET6, "fd00::1", &v6->sin6_addr);
	zones_from(&zs, specs, WK_ARRAY_LEN(specs));
	assert_int_equal(wk_zone_match(&zs, &d, &hit), WK_ZONE_NEED_ADDR);
	d.resolved = true;
	d.addrs = a;
	d.n_addrs = 1; /* 192.0.2.1: not in lan, so the name rule wins */
	assert_int_equal(wk_zone_match(&zs, &d, &hit), WK_ZONE_MATCHED);
	assert_string_equal(hit.zone->name, "named");
	d.n_addrs = 2; /* fd00::1 is in lan */
	assert_int_equal(wk_zone_match(&zs, &d, &hit), WK_ZONE_MATCHED);
	assert_string_equal(hit.zone->name, "lan");
	d.n_addrs = 0; /* resolved to nothing: no CIDR term matches */
	assert_int_equal(wk_zone_match(&zs, &d, &hit), WK_ZONE_MATCHED);
	assert_string_equal(hit.zone->name, "named");
	d.host = "nothing.example";
	assert_int_equal(wk_zone_match(&zs, &d, &hit), WK_ZONE_MATCHED);
	assert_string_equal(hit.zone->name, "default");
	assert_null(hit.term);
	wk_zones_clear(&zs);
}

/* The index gives what a plain scan in file order gives. */
static void
test_index_equals_scan(void **state)
{
	static const char *const words[] = { "a", "b", "cdn", "www", "x",
		"example", "test", "corp", "zz" };
	enum { N_ZONES = 40, N_TERMS = 5, N_PROBES = 3000 };
	char specs_buf[N_ZONES][512];
	const char *specs[N_ZONES];
	struct wk_zones zs;
	unsigned seed = 12345;

	(void)state;
	for (int i = 0; i < N_ZONES; i++) {
		size_t o = (size_t)snprintf(
		    specs_buf[i], sizeof(specs_buf[i]), "z%d|", i);
		for (int j = 0; j < N_TERMS; j++) {
			const char *pre[] = { "", "*.", ".", "" };
			int k = rand_r(&seed) % 4;
			const char *w1 = words[rand_r(&seed) % 9];
			const char *w2 = words[rand_r(&seed) % 9];

			if (k == 3)
				o += (size_t)snprintf(specs_buf[i] + o,
				    sizeof(specs_buf[i]) - o, "%s%s*.%s ",
				    j ? "" : "", w1, w2);
			else
				o += (size_t)snprintf(specs_buf[i] + o,
				    sizeof(specs_buf[i]) - o, "%s%s.%s%s ",
				    pre[k], w1, w2,
				    rand_r(&seed) % 5 == 0 ? ":443" : "");
		}
		snprintf(specs_buf[i] + o, sizeof(specs_buf[i]) - o, "|allow");
		specs[i] = specs_buf[i];
	}
	zones_from(&zs, specs, N_ZONES);
	for (int p = 0; p < N_PROBES; p++) {
		char host[128];
		int labels = 1 + rand_r(&seed) % 3;
		size_t o = 0;
		uint16_t port = rand_r(&seed) % 2 ? 80 : 443;
		struct wk_zone_dest d = { .host = host, .port = port };
		struct wk_zone_hit hit;
		const struct wk_zone *want = zs.dflt;
		bool need = false;

		for (int l = 0; l <= labels; l++)
			o += (size_t)snprintf(host + o, sizeof(host) - o,
			    "%s%s", l ? "." : "", words[rand_r(&seed) % 9]);
		for (size_t i = 0; i < zs.n && want == zs.dflt; i++)
			for (size_t j = 0; j < zs.zones[i].n_terms; j++)
				if (wk_zone_term_match(
					&zs.zones[i].terms[j], &d, &need)) {
					want = &zs.zones[i];
					break;
				}
		assert_int_equal(wk_zone_match(&zs, &d, &hit), WK_ZONE_MATCHED);
		if (hit.zone != want)
			fail_msg("%s:%u: index says %s, scan says %s", host,
			    port, hit.zone->name, want->name);
	}
	wk_zones_clear(&zs);
}

static void
test_config(void **state)
{
	static const char text[] =
	    "upstream corp { socks5 127.0.0.1:1080 }\n"
	    "pac file:///etc/wicket/corp.pac\n"
	    "pac-fallback corp direct\n"
	    "zone intranet {\n"
	    "  match *.corp.example 10.0.0.0/8\n"
	    "  route corp direct\n"
	    "  credentials prompt\n"
	    "  cookies session-only\n"
	    "}\n"
	    "zone web { match *; route pac; intercept on; decompress always; "
	    "log full }\n";
	struct wk_config *c = wk_conf_parse_string(
	    "w.conf", text, sizeof(text) - 1, NULL, stderr);
	const struct wk_zone *z;

	(void)state;
	assert_non_null(c);
	assert_int_equal(c->zones->n, 2);
	z = &c->zones->zones[0];
	assert_string_equal(z->name, "intranet");
	assert_string_equal(z->where, "w.conf:4");
	assert_int_equal(z->n_terms, 2);
	assert_string_equal(z->terms[0].where, "w.conf:5");
	assert_true(z->has_route);
	assert_int_equal(z->route.n_hops, 2);
	assert_string_equal(z->route.hops[0]->name, "corp");
	assert_null(z->route.hops[1]);
	assert_int_equal(z->credentials, WK_ZONE_CREDS_PROMPT);
	assert_int_equal(z->cookies, WK_ZONE_COOKIES_SESSION);
	z = &c->zones->zones[1];
	assert_true(z->route.pac);
	assert_true(z->intercept);
	assert_int_equal(z->decompress, WK_ZONE_DECOMP_ALWAYS);
	assert_int_equal(z->log, WK_ZONE_LOG_FULL);
	assert_true(c->pac.has_fallback);
	assert_int_equal(c->pac.fallback.n_hops, 2);
	assert_string_equal(c->pac.url, "file:///etc/wicket/corp.pac");
	wk_conf_unref(c);
}

static void
check_conf_error(const char *text, const char *want)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct wk_config *c =
	    wk_conf_parse_string("w.conf", text, strlen(text), NULL, f);

	fclose(f);
	assert_null(c);
	if (strstr(buf, want) == NULL)
		fail_msg("errors \"%s\" lack \"%s\"", buf, want);
	free(buf);
}

static void
test_config_errors(void **state)
{
	(void)state;
	check_conf_error("zone a { match 10.0.0.0/40 }\n",
	    "w.conf:1:16: error: invalid address or CIDR range");
	check_conf_error("zone a { route direct }\n",
	    "w.conf:1:1: error: zone \"a\" has no match terms");
	check_conf_error(
	    "zone default { match x }\n", "zone \"default\" takes no match");
	check_conf_error("zone a { match x }\nzone a { match y }\n",
	    "w.conf:2:6: error: duplicate zone \"a\" (already at w.conf:1:1)");
	check_conf_error("zone a { match x; action block }\n",
	    "w.conf:1:26: error: unknown action \"block\"");
	check_conf_error("zone a { match x; route nope }\n",
	    "w.conf:1:25: error: unknown upstream \"nope\" in route");
	check_conf_error("zone a { match x; route pac }\n",
	    "route pac needs a `pac URL` directive");
	check_conf_error("pac ftp://x/y.pac\n", "pac URL must be file:///PATH");
	check_conf_error("pac file:///a\npac-fallback pac\n",
	    "pac-fallback cannot be \"pac\"");
	check_conf_error(
	    "zone a { match x; cookies maybe }\n", "unknown cookies \"maybe\"");
	check_conf_error(
	    "zone a { match x; log meta; log full }\n", "duplicate \"log\"");
	check_conf_error("route direct pac\n", "\"pac\" stands alone");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_bad_terms),
		cmocka_unit_test(test_first_match_wins),
		cmocka_unit_test(test_resolved),
		cmocka_unit_test(test_index_equals_scan),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_config_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
