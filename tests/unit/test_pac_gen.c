/* tests/unit/test_pac_gen.c: the generated PAC script, evaluated by
 * wicket's own PAC engine, answers what the zone matcher decides: DIRECT
 * for an allowed zone that goes direct, PROXY wicket for everything else;
 * checked on hand-picked destinations and on many random ones. */
#include "core/wk.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <event2/buffer.h>

#include "config/conf.h"
#include "pac/pac_gen.h"
#include "pac/pac_js.h"
#include "zone/zone.h"

static const char conf_text[] =
    "listen 127.0.0.1:3999\n"
    "upstream corp { socks5 127.0.0.1:1080 }\n"
    "zone intranet {\n"
    "  match *.corp.example 10.0.0.0/8 bücher.example [fd00::/8]:8080 "
    "*.ports.test:8000-8100\n"
    "  route corp direct\n"
    "}\n"
    "zone blocked { match .tracker.example ads*.example.com:80 "
    "w[0-9].x.test; action deny }\n"
    "zone local { match 127.0.0.0/8 localhost [::1] .lan.test; route "
    "direct }\n"
    "zone web { match *.web.test; route pac }\n"
    "pac file:///dev/null\n";

static struct wk_config *g_conf;
static struct wk_pac_js *g_js;

static int
setup(void **state)
{
	struct evbuffer *b = evbuffer_new();
	char err[512];

	(void)state;
	g_conf = wk_conf_parse_string(
	    "gen.conf", conf_text, sizeof(conf_text) - 1, NULL, stderr);
	assert_non_null(g_conf);
	wk_pac_generate(g_conf, "127.0.0.1:3999", b);
	g_js = wk_pac_js_new(16u << 20, NULL);
	if (wk_pac_js_load(g_js, "proxy.pac",
		(const char *)evbuffer_pullup(b, -1), evbuffer_get_length(b),
		err, sizeof(err)) < 0)
		fail_msg("the generated script does not load: %s", err);
	evbuffer_free(b);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	wk_pac_js_free(g_js);
	wk_conf_unref(g_conf);
	return 0;
}

static const char *
pac_says(const char *url, const char *host)
{
	static char out[256];
	char err[512];

	if (wk_pac_js_find(
		g_js, url, host, out, sizeof(out), err, sizeof(err)) < 0)
		fail_msg("FindProxyForURL(%s, %s): %s", url, host, err);
	return out;
}

/* What wicket decides for the desktop: DIRECT only for an allowed zone
 * whose route has no upstream. Names are not resolved (the script must
 * not make the browser do DNS), so CIDR terms see IP literals only. */
static const char *
zones_say(const char *host, uint16_t port)
{
	struct wk_zone_dest d = {
		.host = host, .port = port, .resolved = true, .n_addrs = 0
	};
	struct wk_zone_hit hit;
	const struct wk_route *r;

	assert_int_equal(
	    wk_zone_match(g_conf->zones, &d, &hit), WK_ZONE_MATCHED);
	r = wk_zone_route_of(hit.zone, g_conf);
	if (hit.zone->action == WK_ZONE_DENY || r->pac)
		return "PROXY 127.0.0.1:3999";
	for (size_t i = 0; i < r->n_hops; i++)
		if (r->hops[i] != NULL)
			return "PROXY 127.0.0.1:3999";
	return "DIRECT";
}

static void
test_fixed(void **state)
{
	static const struct {
		const char *url, *host, *want;
	} cases[] = {
		{ "http://www.corp.example/", "www.corp.example",
		    "PROXY 127.0.0.1:3999" },
		{ "http://10.1.2.3/", "10.1.2.3", "PROXY 127.0.0.1:3999" },
		{ "http://xn--bcher-kva.example/", "xn--bcher-kva.example",
		    "PROXY 127.0.0.1:3999" },
		{ "https://tracker.example/", "tracker.example",
		    "PROXY 127.0.0.1:3999" },
		{ "http://127.0.0.1:8080/x", "127.0.0.1", "DIRECT" },
		{ "http://localhost/", "localhost", "DIRECT" },
		{ "http://LOCALHOST./", "LOCALHOST.", "DIRECT" },
		{ "http://[::1]:3000/", "::1", "DIRECT" },
		{ "http://[::1]:3000/", "[::1]", "DIRECT" },
		{ "http://a.lan.test/", "a.lan.test", "DIRECT" },
		{ "http://lan.test/", "lan.test", "DIRECT" },
		{ "http://x.ports.test:8042/", "x.ports.test",
		    "PROXY 127.0.0.1:3999" },
		{ "http://x.ports.test/", "x.ports.test", "DIRECT" },
		{ "https://x.ports.test:8100/", "x.ports.test",
		    "PROXY 127.0.0.1:3999" },
		{ "https://x.ports.test/", "x.ports.test", "DIRECT" },
		{ "http://ads9.example.com/", "ads9.example.com",
		    "PROXY 127.0.0.1:3999" },
		{ "http://w5.x.test/", "w5.x.test", "PROXY 127.0.0.1:3999" },
		{ "http://a.web.test/", "a.web.test", "PROXY 127.0.0.1:3999" },
		{ "http://[fd00::5]:8080/", "fd00::5", "PROXY 127.0.0.1:3999" },
		{ "http://elsewhere.example/", "elsewhere.example", "DIRECT" },
	};

	(void)state;
	for (size_t i = 0; i < WK_ARRAY_LEN(cases); i++) {
		const char *got = pac_says(cases[i].url, cases[i].host);

		if (strcmp(got, cases[i].want) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].url,
			    got, cases[i].want);
	}
}

/* Random destinations: the script and the matcher agree. */
static void
test_agrees_with_zones(void **state)
{
	static const char *const labels[] = { "corp", "example", "tracker",
		"lan", "test", "ports", "web", "ads1", "www", "w3", "x",
		"xn--bcher-kva", "localhost" };
	static const uint16_t ports[] = { 80, 443, 8000, 8080, 8100, 8101 };
	unsigned seed = 4242;
	int checked = 0;

	(void)state;
	for (int i = 0; i < 2000; i++) {
		char host[200], url[300];
		size_t o = 0;
		int n = 1 + rand_r(&seed) % 4;
		uint16_t port = ports[rand_r(&seed) % 6];
		const char *want, *got;

		if (rand_r(&seed) % 5 == 0) {
			snprintf(host, sizeof(host), "%d.%d.%d.%d",
			    rand_r(&seed) % 2 ? 10 : 127, rand_r(&seed) % 256,
			    rand_r(&seed) % 256, rand_r(&seed) % 256);
		} else {
			for (int l = 0; l < n; l++)
				o += (size_t)snprintf(host + o,
				    sizeof(host) - o, "%s%s", l ? "." : "",
				    labels[rand_r(&seed) % 13]);
		}
		snprintf(url, sizeof(url), "%s://%s:%u/p",
		    port == 443 ? "https" : "http", host, port);
		want = zones_say(host, port);
		got = pac_says(url, host);
		if (strcmp(got, want) != 0)
			fail_msg("%s: script says \"%s\", zones say \"%s\"",
			    url, got, want);
		checked++;
	}
	print_message("# %d random destinations agree\n", checked);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed),
		cmocka_unit_test(test_agrees_with_zones),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
