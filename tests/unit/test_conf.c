/* tests/unit/test_conf.c: the config lexer and parser: every error message
 * with its file:line:col, defaults, values, access rules, include, dump. */
#include "core/wk.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/conf-int.h"
#include "config/conf.h"
#include "config/lex.h"
#include "core/alloc.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                             */

/* Parses text as "wicket.conf"; returns the config (NULL on error) and
 * the error output in *errs (caller frees). */
static struct wk_config *
parse(const char *text, char **errs)
{
	struct wk_config *c;
	size_t len;
	FILE *f = open_memstream(errs, &len);

	assert_non_null(f);
	c = wk_conf_parse_string("wicket.conf", text, strlen(text), NULL, f);
	fclose(f);
	return c;
}

static struct wk_config *
parse_ok(const char *text)
{
	char *errs;
	struct wk_config *c = parse(text, &errs);

	assert_string_equal(errs, "");
	assert_non_null(c);
	free(errs);
	return c;
}

static void
check_error(const char *text, const char *expected)
{
	char *errs;
	struct wk_config *c = parse(text, &errs);

	assert_null(c);
	assert_string_equal(errs, expected);
	free(errs);
}

static char *
dump(const struct wk_config *c)
{
	char *s;
	size_t len;
	FILE *f = open_memstream(&s, &len);

	assert_non_null(f);
	wk_conf_dump(c, f);
	fclose(f);
	return s;
}

static struct sockaddr_storage
sa(const char *addr)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(addr, ':') != NULL) {
		struct sockaddr_in6 *s6 = (void *)&ss;

		s6->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, addr, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (void *)&ss;

		s4->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, addr, &s4->sin_addr), 1);
	}
	return ss;
}

static bool
allowed(const struct wk_config *c, const char *addr)
{
	struct sockaddr_storage ss = sa(addr);

	return wk_conf_client_allowed(c, (struct sockaddr *)&ss);
}

/* ------------------------------------------------------------------ */
/* Defaults and values                                                 */

static void
test_defaults(void **state)
{
	struct wk_config *c = wk_conf_defaults();
	struct sockaddr_in *sin = (void *)&c->listens[0].addr;

	(void)state;
	assert_int_equal(c->refcnt, 1);
	assert_null(c->path);
	assert_int_equal(c->n_listens, 1);
	assert_string_equal(c->listens[0].text, "127.0.0.1:3128");
	assert_int_equal(sin->sin_family, AF_INET);
	assert_int_equal(ntohs(sin->sin_port), 3128);
	assert_int_equal(ntohl(sin->sin_addr.s_addr), 0x7f000001);
	assert_int_equal(c->listens[0].addrlen, sizeof(struct sockaddr_in));
	assert_int_equal(c->n_acl, 0);
	assert_int_equal(c->workers, 0);
	assert_null(c->state_dir);
	assert_string_equal(c->via_name, "wicket");
	assert_int_equal(c->timeout.connect_ms, 10000);
	assert_int_equal(c->timeout.header_read_ms, 30000);
	assert_int_equal(c->timeout.keepalive_ms, 60000);
	assert_int_equal(c->timeout.upstream_response_ms, 60000);
	assert_int_equal(c->timeout.tunnel_idle_ms, 600000);
	assert_int_equal(c->timeout.shutdown_ms, 10000);
	assert_int_equal(c->timeout.pool_idle_ms, 30000);
	assert_int_equal(c->limit.request_line, 8192);
	assert_int_equal(c->limit.header_bytes, 65536);
	assert_int_equal(c->limit.header_count, 100);
	assert_int_equal(c->limit.connections, 10000);
	assert_int_equal(c->log.level, WK_LOG_NOTICE);
	assert_string_equal(c->log.error_target, "stderr");
	assert_null(c->log.access_path);
	assert_int_equal(c->log.access_format, WK_ACCESS_TEXT);
	wk_conf_unref(c);
}

static void
test_empty_file_is_defaults(void **state)
{
	struct wk_config *d = wk_conf_defaults();
	struct wk_config *c = parse_ok("# nothing\n\n;;\n");
	char *a = dump(d), *b = dump(c);

	(void)state;
	assert_string_equal(a, b);
	assert_string_equal(c->path, "wicket.conf");
	assert_int_equal(c->refcnt, 1);
	free(a);
	free(b);
	wk_conf_unref(c);
	wk_conf_unref(d);
}

static void
test_refcount(void **state)
{
	struct wk_config *c = wk_conf_defaults();

	(void)state;
	assert_ptr_equal(wk_conf_ref(c), c);
	assert_int_equal(c->refcnt, 2);
	wk_conf_unref(c);
	assert_int_equal(c->refcnt, 1);
	wk_conf_unref(c);
	wk_conf_unref(NULL);
}

static void
test_log_level_name(void **state)
{
	(void)state;
	assert_string_equal(wk_log_level_name(WK_LOG_ERR), "err");
	assert_string_equal(wk_log_level_name(WK_LOG_WARN), "warn");
	assert_string_equal(wk_log_level_name(WK_LOG_NOTICE), "notice");
	assert_string_equal(wk_log_level_name(WK_LOG_INFO), "info");
	assert_string_equal(wk_log_level_name(WK_LOG_DEBUG), "debug");
	assert_string_equal(wk_log_level_name(WK_LOG_LEVEL_COUNT), "?");
}

static void
test_all_directives(void **state)
{
	struct wk_config *c =
	    parse_ok("listen 127.0.0.1:3128; listen [::1]:8080\n"
		     "workers 8\n"
		     "state-dir \"/var/lib/my wicket\"\n"
		     "via gate-1\n"
		     "timeout connect 250ms\n"
		     "timeout header-read 10\n"
		     "timeout keepalive 2m\n"
		     "timeout upstream-response 1h\n"
		     "timeout tunnel-idle 24h\n"
		     "timeout shutdown 0\n"
		     "timeout pool-idle 90s\n"
		     "limit request-line 16k\n"
		     "limit header-bytes 1M\n"
		     "limit header-count 200\n"
		     "limit connections 1m\n"
		     "log level debug\n"
		     "log error syslog\n"
		     "log access /var/log/wicket/access.log\n"
		     "log access-format json\n");

	(void)state;
	assert_int_equal(c->n_listens, 2);
	assert_string_equal(c->listens[1].text, "[::1]:8080");
	assert_int_equal(c->listens[1].addr.ss_family, AF_INET6);
	assert_int_equal(c->listens[1].addrlen, sizeof(struct sockaddr_in6));
	assert_int_equal(c->workers, 8);
	assert_string_equal(c->state_dir, "/var/lib/my wicket");
	assert_string_equal(c->via_name, "gate-1");
	assert_int_equal(c->timeout.connect_ms, 250);
	assert_int_equal(c->timeout.header_read_ms, 10000);
	assert_int_equal(c->timeout.keepalive_ms, 120000);
	assert_int_equal(c->timeout.upstream_response_ms, 3600000);
	assert_int_equal(c->timeout.tunnel_idle_ms, 86400000);
	assert_int_equal(c->timeout.shutdown_ms, 0);
	assert_int_equal(c->timeout.pool_idle_ms, 90000);
	assert_int_equal(c->limit.request_line, 16384);
	assert_int_equal(c->limit.header_bytes, 1048576);
	assert_int_equal(c->limit.header_count, 200);
	assert_int_equal(c->limit.connections, 1048576);
	assert_int_equal(c->log.level, WK_LOG_DEBUG);
	assert_string_equal(c->log.error_target, "syslog");
	assert_string_equal(c->log.access_path, "/var/log/wicket/access.log");
	assert_int_equal(c->log.access_format, WK_ACCESS_JSON);
	wk_conf_unref(c);
}

static void
test_workers_auto_and_log_access(void **state)
{
	struct wk_config *c = parse_ok("workers auto\nlog access -\n");

	(void)state;
	assert_int_equal(c->workers, 0);
	assert_string_equal(c->log.access_path, "-");
	wk_conf_unref(c);
	c = parse_ok("workers 256\nlog access off\n");
	assert_int_equal(c->workers, 256);
	assert_null(c->log.access_path);
	wk_conf_unref(c);
}

static void
test_durations(void **state)
{
	static const struct {
		const char *text;
		unsigned ms;
	} ok[] = {
		{ "1ms", 1 },
		{ "250ms", 250 },
		{ "10s", 10000 },
		{ "10", 10000 },
		{ "2m", 120000 },
		{ "1h", 3600000 },
		{ "007s", 7000 },
		{ "3600000ms", 3600000 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < WK_ARRAY_LEN(ok); i++) {
		char *text = wk_asprintf("timeout connect %s\n", ok[i].text);
		struct wk_config *c = parse_ok(text);

		assert_int_equal(c->timeout.connect_ms, ok[i].ms);
		wk_conf_unref(c);
		free(text);
	}
	check_error("timeout connect 10x\n",
	    "wicket.conf:1:17: error: invalid duration \"10x\" (expected a "
	    "number with unit ms, s, m or h, e.g. 10s)\n");
	check_error("timeout connect 1.5s\n",
	    "wicket.conf:1:17: error: invalid duration \"1.5s\" (expected a "
	    "number with unit ms, s, m or h, e.g. 10s)\n");
	check_error("timeout connect -1\n",
	    "wicket.conf:1:17: error: invalid duration \"-1\" (expected a "
	    "number with unit ms, s, m or h, e.g. 10s)\n");
	check_error("timeout connect s\n",
	    "wicket.conf:1:17: error: invalid duration \"s\" (expected a "
	    "number with unit ms, s, m or h, e.g. 10s)\n");
	check_error("timeout connect 0\n",
	    "wicket.conf:1:17: error: timeout connect \"0\" out of range "
	    "(1ms to 1h)\n");
	check_error("timeout connect 61m\n",
	    "wicket.conf:1:17: error: timeout connect \"61m\" out of range "
	    "(1ms to 1h)\n");
	check_error("timeout keepalive 25h\n",
	    "wicket.conf:1:19: error: timeout keepalive \"25h\" out of range "
	    "(1ms to 24h)\n");
	check_error("timeout shutdown 99999999999999999999999s\n",
	    "wicket.conf:1:18: error: timeout shutdown "
	    "\"99999999999999999999999s\" out of range (0s to 1h)\n");
	check_error("timeout shutdown 18446744073709551615h\n",
	    "wicket.conf:1:18: error: timeout shutdown "
	    "\"18446744073709551615h\" out of range (0s to 1h)\n");
}

static void
test_sizes(void **state)
{
	struct wk_config *c;

	(void)state;
	c = parse_ok("limit request-line 64\nlimit header-bytes 1k\n"
		     "limit header-count 10000\nlimit connections 1\n");
	assert_int_equal(c->limit.request_line, 64);
	assert_int_equal(c->limit.header_bytes, 1024);
	assert_int_equal(c->limit.header_count, 10000);
	assert_int_equal(c->limit.connections, 1);
	wk_conf_unref(c);
	c = parse_ok("limit request-line 1M\nlimit header-bytes 16m\n");
	assert_int_equal(c->limit.request_line, 1048576);
	assert_int_equal(c->limit.header_bytes, 16777216);
	wk_conf_unref(c);
	check_error("limit request-line 63\n",
	    "wicket.conf:1:20: error: limit request-line \"63\" out of range "
	    "(64 to 1m)\n");
	check_error("limit header-bytes 17m\n",
	    "wicket.conf:1:20: error: limit header-bytes \"17m\" out of range "
	    "(1k to 16m)\n");
	check_error("limit header-count 0\n",
	    "wicket.conf:1:20: error: limit header-count \"0\" out of range "
	    "(1 to 10000)\n");
	check_error("limit connections 99999999999999999999m\n",
	    "wicket.conf:1:19: error: limit connections "
	    "\"99999999999999999999m\" out of range (1 to 1m)\n");
	check_error("limit connections 18014398509481984m\n",
	    "wicket.conf:1:19: error: limit connections "
	    "\"18014398509481984m\" out of range (1 to 1m)\n");
	check_error("limit connections 1048577\n",
	    "wicket.conf:1:19: error: limit connections "
	    "\"1048577\" out of range (1 to 1m)\n");
	check_error("limit header-count 8kb\n",
	    "wicket.conf:1:20: error: invalid number \"8kb\" (expected digits "
	    "with an optional k, m or g suffix, e.g. 8k)\n");
	check_error("limit header-count k\n",
	    "wicket.conf:1:20: error: invalid number \"k\" (expected digits "
	    "with an optional k, m or g suffix, e.g. 8k)\n");
}

/* ------------------------------------------------------------------ */
/* Access rules                                                        */

static void
test_acl_default_loopback_only(void **state)
{
	struct wk_config *c = wk_conf_defaults();

	(void)state;
	assert_true(allowed(c, "127.0.0.1"));
	assert_true(allowed(c, "127.200.3.4"));
	assert_true(allowed(c, "::1"));
	assert_true(allowed(c, "::ffff:127.0.0.1"));
	assert_false(allowed(c, "10.0.0.1"));
	assert_false(allowed(c, "::2"));
	assert_false(allowed(c, "::ffff:10.0.0.1"));
	assert_false(allowed(c, "fe80::1"));
	wk_conf_unref(c);
}

static void
test_acl_first_match(void **state)
{
	struct wk_config *c = parse_ok("deny 10.1.0.0/16\n"
				       "allow 10.0.0.0/8\n"
				       "allow 192.168.1.77\n"
				       "allow fd00::/8\n"
				       "deny all\n");

	(void)state;
	assert_int_equal(c->n_acl, 6); /* all = one rule per family */
	assert_false(allowed(c, "10.1.2.3"));
	assert_true(allowed(c, "10.2.3.4"));
	assert_true(allowed(c, "10.255.255.255"));
	assert_false(allowed(c, "11.0.0.0"));
	assert_true(allowed(c, "192.168.1.77"));
	assert_false(allowed(c, "192.168.1.78"));
	assert_true(allowed(c, "fd12:3456::1"));
	assert_false(allowed(c, "fe00::1"));
	assert_false(allowed(c, "127.0.0.1")); /* rules replace the default */
	assert_false(allowed(c, "::1"));
	/* Mapped IPv4 clients match the IPv4 rules. */
	assert_true(allowed(c, "::ffff:10.2.3.4"));
	assert_false(allowed(c, "::ffff:10.1.2.3"));
	assert_true(allowed(c, "::ffff:192.168.1.77"));
	wk_conf_unref(c);
}

static void
test_acl_all_and_odd_prefixes(void **state)
{
	struct wk_config *c = parse_ok("allow 10.0.0.128/25\n"
				       "allow 2001:db8::/33\n"
				       "allow ::ffff:172.16.0.0/108\n"
				       "allow 0.0.0.0/0\n");
	struct sockaddr_un_like {
		sa_family_t family;
		char path[20];
	} un = { AF_UNIX, "x" };

	(void)state;
	assert_true(allowed(c, "10.0.0.200"));
	assert_true(allowed(c, "2001:db8:7fff::1"));
	assert_false(allowed(c, "2001:db8:8000::1"));
	assert_true(allowed(c, "1.2.3.4")); /* 0.0.0.0/0 */
	/* The mapped network became an IPv4 rule. */
	assert_int_equal(c->acl[2].family, AF_INET);
	assert_int_equal(c->acl[2].prefix, 12);
	assert_false(wk_conf_client_allowed(c, (struct sockaddr *)&un));
	wk_conf_unref(c);
	c = parse_ok("deny all\nallow 127.0.0.1\n");
	assert_false(allowed(c, "127.0.0.1"));
	assert_false(allowed(c, "::1"));
	wk_conf_unref(c);
	c = parse_ok("allow all\n");
	assert_true(allowed(c, "8.8.8.8"));
	assert_true(allowed(c, "2001:4860::8888"));
	assert_true(allowed(c, "::ffff:8.8.8.8"));
	wk_conf_unref(c);
}

static void
test_acl_errors(void **state)
{
	(void)state;
	check_error("allow 10.0.0.1/8\n",
	    "wicket.conf:1:7: error: host bits set in 10.0.0.1/8\n");
	check_error("deny  fd00::1/8\n",
	    "wicket.conf:1:7: error: host bits set in fd00::1/8\n");
	check_error("allow 10.0.0.0/33\n",
	    "wicket.conf:1:7: error: invalid prefix length in \"10.0.0.0/33\" "
	    "(0 to 32)\n");
	check_error("allow ::/129\n",
	    "wicket.conf:1:7: error: invalid prefix length in \"::/129\" "
	    "(0 to 128)\n");
	check_error("allow 10.0.0.0/\n",
	    "wicket.conf:1:7: error: invalid prefix length in \"10.0.0.0/\" "
	    "(0 to 32)\n");
	check_error("allow 10.0.0.0/+8\n",
	    "wicket.conf:1:7: error: invalid prefix length in \"10.0.0.0/+8\" "
	    "(0 to 32)\n");
	check_error("allow 10.0.0.256\n",
	    "wicket.conf:1:7: error: invalid address \"10.0.0.256\" (expected "
	    "an address, a network like 10.0.0.0/8 or fd00::/8, or all)\n");
	check_error("allow any\n",
	    "wicket.conf:1:7: error: invalid address \"any\" (expected "
	    "an address, a network like 10.0.0.0/8 or fd00::/8, or all)\n");
	check_error("allow /8\n",
	    "wicket.conf:1:7: error: invalid address \"/8\" (expected "
	    "an address, a network like 10.0.0.0/8 or fd00::/8, or all)\n");
	check_error("allow\n",
	    "wicket.conf:1:1: error: directive \"allow\" takes 1 argument, "
	    "got 0 (usage: allow CIDR|all)\n");
}

/* ------------------------------------------------------------------ */
/* Listen                                                              */

static void
check_listen(const char *s, int family, const char *addr, unsigned port)
{
	struct wk_listen l;
	char err[256], buf[64];

	assert_int_equal(wk_conf_parse_listen(s, &l, err, sizeof(err)), 0);
	assert_string_equal(l.text, s);
	assert_int_equal(l.addr.ss_family, family);
	if (family == AF_INET) {
		struct sockaddr_in *sin = (void *)&l.addr;

		assert_int_equal(ntohs(sin->sin_port), port);
		inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf));
		assert_int_equal(l.addrlen, sizeof(*sin));
	} else {
		struct sockaddr_in6 *sin6 = (void *)&l.addr;

		assert_int_equal(ntohs(sin6->sin6_port), port);
		inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof(buf));
		assert_int_equal(l.addrlen, sizeof(*sin6));
	}
	assert_string_equal(buf, addr);
	free(l.text);
}

static void
check_listen_error(const char *s, const char *expected)
{
	struct wk_listen l;
	char err[256];

	assert_int_equal(wk_conf_parse_listen(s, &l, err, sizeof(err)), -1);
	assert_string_equal(err, expected);
}

static void
test_listen_forms(void **state)
{
	(void)state;
	check_listen("127.0.0.1:3128", AF_INET, "127.0.0.1", 3128);
	check_listen("0.0.0.0:1", AF_INET, "0.0.0.0", 1);
	check_listen("localhost:8080", AF_INET, "127.0.0.1", 8080);
	check_listen("LocalHost:65535", AF_INET, "127.0.0.1", 65535);
	check_listen("[::1]:3128", AF_INET6, "::1", 3128);
	check_listen("[::]:80", AF_INET6, "::", 80);
	check_listen("[2001:db8::1]:443", AF_INET6, "2001:db8::1", 443);
}

static void
test_listen_errors(void **state)
{
	(void)state;
	check_listen_error("127.0.0.1",
	    "missing port in listen address \"127.0.0.1\" (expected "
	    "ADDR:PORT)");
	check_listen_error("127.0.0.1:",
	    "missing port in listen address \"127.0.0.1:\" (expected "
	    "ADDR:PORT)");
	check_listen_error("[::1]",
	    "missing port in listen address \"[::1]\" (expected ADDR:PORT)");
	check_listen_error("localhost",
	    "missing port in listen address \"localhost\" (expected "
	    "ADDR:PORT)");
	check_listen_error("127.0.0.1:0",
	    "invalid port in listen address \"127.0.0.1:0\" (1 to 65535)");
	check_listen_error("127.0.0.1:65536",
	    "invalid port in listen address \"127.0.0.1:65536\" (1 to 65535)");
	check_listen_error("127.0.0.1:http",
	    "invalid port in listen address \"127.0.0.1:http\" (1 to 65535)");
	check_listen_error("[::1]:-1",
	    "invalid port in listen address \"[::1]:-1\" (1 to 65535)");
	check_listen_error("::1:3128",
	    "IPv6 address in listen address \"::1:3128\" must be in "
	    "brackets, e.g. [::1]:3128");
	check_listen_error("example.com:80",
	    "invalid listen address \"example.com:80\" (expected IPv4:PORT, "
	    "[IPv6]:PORT or localhost:PORT)");
	check_listen_error(":80",
	    "invalid listen address \":80\" (expected IPv4:PORT, "
	    "[IPv6]:PORT or localhost:PORT)");
	check_listen_error("[::1]x80",
	    "invalid listen address \"[::1]x80\" (expected IPv4:PORT, "
	    "[IPv6]:PORT or localhost:PORT)");
	check_listen_error("[::1:80",
	    "invalid listen address \"[::1:80\" (expected IPv4:PORT, "
	    "[IPv6]:PORT or localhost:PORT)");
	check_listen_error("[127.0.0.1]:80",
	    "invalid listen address \"[127.0.0.1]:80\" (expected IPv4:PORT, "
	    "[IPv6]:PORT or localhost:PORT)");
	check_listen_error(
	    "", "missing port in listen address \"\" (expected ADDR:PORT)");
}

static void
test_listen_in_file(void **state)
{
	struct wk_config *c;

	(void)state;
	check_error("listen 127.0.0.1:3128\nlisten  localhost:3128\n",
	    "wicket.conf:2:9: error: duplicate listen address 127.0.0.1:3128 "
	    "(already at wicket.conf:1:8)\n");
	check_error("listen [::1]:1\nlisten [0::1]:1\n",
	    "wicket.conf:2:8: error: duplicate listen address [::1]:1 "
	    "(already at wicket.conf:1:8)\n");
	check_error("listen 127.0.0.1:3128 127.0.0.1:3129\n",
	    "wicket.conf:1:23: error: unknown listen protocol "
	    "\"127.0.0.1:3129\" (expected auto, http or socks)\n");
	check_error("listen 127.0.0.1:3128 socks http\n",
	    "wicket.conf:1:1: error: directive \"listen\" takes 1 to 2 "
	    "arguments, got 3 (usage: listen ADDR:PORT [auto|http|socks])\n");
	check_error("listen 127.0.0.1\n",
	    "wicket.conf:1:8: error: missing port in listen address "
	    "\"127.0.0.1\" (expected ADDR:PORT)\n");
	c = parse_ok("listen 127.0.0.1:1\nlisten 127.0.0.1:2\n");
	assert_int_equal(c->n_listens, 2);
	assert_string_equal(c->listens[0].text, "127.0.0.1:1");
	assert_string_equal(c->listens[1].text, "127.0.0.1:2");
	wk_conf_unref(c);
}

/* ------------------------------------------------------------------ */
/* Directive errors                                                    */

static void
test_unknown_directive(void **state)
{
	(void)state;
	check_error("\n\n\n\n\n\n\n\n\n\n\n    lisen 127.0.0.1:3128\n",
	    "wicket.conf:12:5: error: unknown directive \"lisen\" (did you "
	    "mean \"listen\"?)\n");
	check_error("Listen 127.0.0.1:3128\n",
	    "wicket.conf:1:1: error: unknown directive \"Listen\" (did you "
	    "mean \"listen\"?)\n");
	check_error("wokrers 3\n",
	    "wicket.conf:1:1: error: unknown directive \"wokrers\" (did you "
	    "mean \"workers\"?)\n");
	check_error("statedir /x\n",
	    "wicket.conf:1:1: error: unknown directive \"statedir\" (did you "
	    "mean \"state-dir\"?)\n");
	check_error("frobnicate yes\n",
	    "wicket.conf:1:1: error: unknown directive \"frobnicate\"\n");
	check_error("cache intranet {\n  listen 1.2.3.4:5\n}\nworkers 2\n",
	    "wicket.conf:1:1: error: unknown directive \"cache\"\n");
}

static void
test_sub_keywords(void **state)
{
	(void)state;
	check_error("timeout conect 10s\n",
	    "wicket.conf:1:9: error: unknown timeout \"conect\" (did you mean "
	    "\"connect\"?)\n");
	check_error("timeout idle 10s\n",
	    "wicket.conf:1:9: error: unknown timeout \"idle\" (expected "
	    "connect, header-read, keepalive, upstream-response, tunnel-idle, "
	    "shutdown, pool-idle, pac or pac-cache)\n");
	check_error("limit header-byte 8k\n",
	    "wicket.conf:1:7: error: unknown limit \"header-byte\" (did you "
	    "mean \"header-bytes\"?)\n");
	check_error("log levle info\n",
	    "wicket.conf:1:5: error: unknown log setting \"levle\" (did you "
	    "mean \"level\"?)\n");
	check_error("log level verbose\n",
	    "wicket.conf:1:11: error: unknown log level \"verbose\" (expected "
	    "err, warn, notice, info or debug)\n");
	check_error("log level error\n",
	    "wicket.conf:1:11: error: unknown log level \"error\" (did you "
	    "mean \"err\"?)\n");
	check_error("log access-format xml\n",
	    "wicket.conf:1:19: error: unknown access log format \"xml\" "
	    "(expected text or json)\n");
	check_error(
	    "log error \"\"\n", "wicket.conf:1:11: error: empty log path\n");
	check_error("timeout connect\n",
	    "wicket.conf:1:1: error: directive \"timeout\" takes 2 arguments, "
	    "got 1 (usage: timeout NAME DURATION)\n");
}

static void
test_value_errors(void **state)
{
	(void)state;
	check_error("workers 0\n",
	    "wicket.conf:1:9: error: invalid number of workers \"0\" (1 to "
	    "256, or auto)\n");
	check_error("workers 257\n",
	    "wicket.conf:1:9: error: invalid number of workers \"257\" (1 to "
	    "256, or auto)\n");
	check_error("workers many\n",
	    "wicket.conf:1:9: error: invalid number of workers \"many\" (1 to "
	    "256, or auto)\n");
	check_error("via \"a b\"\n",
	    "wicket.conf:1:5: error: invalid via name \"a b\" (1 to 64 "
	    "letters, digits or !#$%&'*+-.^_`|~)\n");
	check_error("via a/b\n",
	    "wicket.conf:1:5: error: invalid via name \"a/b\" (1 to 64 "
	    "letters, digits or !#$%&'*+-.^_`|~)\n");
	check_error("state-dir \"\"\n",
	    "wicket.conf:1:11: error: empty state-dir path\n");
	check_error("include\n",
	    "wicket.conf:1:1: error: directive \"include\" takes 1 argument, "
	    "got 0 (usage: include PATH)\n");
}

static void
test_duplicates(void **state)
{
	(void)state;
	check_error("workers 2\nworkers 3\n",
	    "wicket.conf:2:1: error: duplicate \"workers\" (already set at "
	    "wicket.conf:1:1)\n");
	check_error("via a\n  via b\n",
	    "wicket.conf:2:3: error: duplicate \"via\" (already set at "
	    "wicket.conf:1:1)\n");
	check_error("state-dir a; state-dir b\n",
	    "wicket.conf:1:14: error: duplicate \"state-dir\" (already set at "
	    "wicket.conf:1:1)\n");
	check_error("timeout connect 1s\ntimeout connect 2s\n",
	    "wicket.conf:2:1: error: duplicate \"timeout connect\" (already "
	    "set at wicket.conf:1:1)\n");
	check_error("limit header-count 1\nlimit header-count 2\n",
	    "wicket.conf:2:1: error: duplicate \"limit header-count\" (already "
	    "set at wicket.conf:1:1)\n");
	check_error("log level info\nlog level debug\n",
	    "wicket.conf:2:1: error: duplicate \"log level\" (already set at "
	    "wicket.conf:1:1)\n");
}

static void
test_blocks(void **state)
{
	(void)state;
	check_error("listen 1.2.3.4:80 {\n}\n",
	    "wicket.conf:1:1: error: directive \"listen\" does not take a "
	    "block\n");
	check_error("{ workers 2 }\n",
	    "wicket.conf:1:1: error: unexpected \"{\" (a block needs a "
	    "directive before it on the same line)\n");
	check_error("}\n",
	    "wicket.conf:1:1: error: unexpected \"}\" (no block is open)\n");
	check_error("a {\n  b {\n",
	    "wicket.conf:1:1: error: unknown directive \"a\"\n"
	    "wicket.conf:1:3: error: unterminated block: \"{\" has no "
	    "matching \"}\"\n"
	    "wicket.conf:2:5: error: unterminated block: \"{\" has no "
	    "matching \"}\"\n");
	/* The body of an unknown block is skipped, nested blocks too. */
	check_error("cache p { a { b; c } d }; workers 2; workers 3\n",
	    "wicket.conf:1:1: error: unknown directive \"cache\"\n"
	    "wicket.conf:1:38: error: duplicate \"workers\" (already set at "
	    "wicket.conf:1:27)\n");
}

static void
test_upstreams(void **state)
{
	struct wk_config *c;
	char *d;

	(void)state;
	c = parse_ok(
	    "upstream corp { http Proxy.Corp.Example:8080; user bob }\n"
	    "upstream six { socks5 [::1]:1080 }\n"
	    "upstream old { socks4a 127.0.0.1:1081 }\n"
	    "route six corp direct\n"
	    "listen 127.0.0.1:1080 socks\n");
	assert_int_equal(c->n_upstreams, 3);
	assert_string_equal(c->upstreams[0].host, "proxy.corp.example");
	assert_int_equal(c->upstreams[0].kind, WK_UPSTREAM_HTTP);
	assert_int_equal(c->upstreams[0].port, 8080);
	assert_string_equal(c->upstreams[0].user, "bob");
	assert_string_equal(c->upstreams[1].host, "::1");
	assert_int_equal(c->upstreams[2].kind, WK_UPSTREAM_SOCKS4A);
	assert_int_equal(c->route.n_hops, 3);
	assert_ptr_equal(c->route.hops[0], &c->upstreams[1]);
	assert_ptr_equal(c->route.hops[1], &c->upstreams[0]);
	assert_null(c->route.hops[2]);
	assert_ptr_equal(wk_conf_upstream(c, "old"), &c->upstreams[2]);
	assert_null(wk_conf_upstream(c, "nope"));
	assert_int_equal(c->listens[0].proto, WK_LISTEN_SOCKS);
	d = dump(c);
	assert_non_null(strstr(d, "upstream six {\n\tsocks5 [::1]:1080\n}\n"));
	assert_non_null(strstr(d, "route six corp direct\n"));
	assert_non_null(strstr(d, "listen 127.0.0.1:1080 socks\n"));
	/* the dump reads back to the same dump */
	{
		struct wk_config *c2 = parse_ok(d);
		char *d2 = dump(c2);

		assert_string_equal(d, d2);
		free(d2);
		wk_conf_unref(c2);
	}
	free(d);
	wk_conf_unref(c);

	/* no route: direct, no hops */
	c = parse_ok("upstream a { socks5 127.0.0.1:1 }\n");
	assert_int_equal(c->route.n_hops, 0);
	wk_conf_unref(c);

	check_error("route corp\nupstream crop { http 127.0.0.1:3 }\n",
	    "wicket.conf:1:7: error: unknown upstream \"corp\" in route (did "
	    "you mean \"crop\"?)\n");
	check_error("upstream a { http 127.0.0.1:3 }\nupstream a { http "
		    "127.0.0.1:4 }\n",
	    "wicket.conf:2:10: error: duplicate upstream \"a\" (already at "
	    "wicket.conf:1:1)\n");
	check_error("upstream a { user x }\n",
	    "wicket.conf:1:1: error: upstream \"a\" needs an address: http, "
	    "https, socks4, socks4a or socks5 HOST:PORT\n");
	check_error("upstream a { socks5 127.0.0.1:3; password p }\n",
	    "wicket.conf:1:1: error: upstream \"a\" has a password but no "
	    "user\n");
	check_error("upstream a { socks4 127.0.0.1:3; user u; password p }\n",
	    "wicket.conf:1:1: error: upstream \"a\": SOCKS4 has a user id "
	    "but no password\n");
	check_error("upstream a { http 127.0.0.1:3; socks5 127.0.0.1:4 }\n",
	    "wicket.conf:1:32: error: upstream \"a\" already has an address "
	    "(one per block)\n");
	check_error("upstream a { http 127.0.0.1:0 }\n",
	    "wicket.conf:1:19: error: invalid port \"0\" (1 to 65535)\n");
	check_error("upstream a { http nocolon }\n",
	    "wicket.conf:1:19: error: expected HOST:PORT, got \"nocolon\"\n");
	check_error("upstream a { http a..b:80 }\n",
	    "wicket.conf:1:19: error: invalid host \"a..b\": empty label\n");
	check_error("upstream direct { http 127.0.0.1:3 }\n",
	    "wicket.conf:1:10: error: \"direct\" is reserved (it means no "
	    "upstream in a route)\n");
	check_error("upstream a/b { http 127.0.0.1:3 }\n",
	    "wicket.conf:1:10: error: invalid upstream name \"a/b\" (letters, "
	    "digits, '-', '_' and '.')\n");
	check_error("upstream a { sock5 127.0.0.1:3 }\n",
	    "wicket.conf:1:14: error: unknown directive \"sock5\" (did you "
	    "mean \"socks5\"?)\n"
	    "wicket.conf:1:1: error: upstream \"a\" needs an address: http, "
	    "https, socks4, socks4a or socks5 HOST:PORT\n");
	check_error("route direct\nroute direct\n",
	    "wicket.conf:2:1: error: duplicate \"route\" (already set at "
	    "wicket.conf:1:1)\n");
}

static void
test_all_errors_reported(void **state)
{
	(void)state;
	check_error("lisen 1\nworkers 0\nvia ok\nallow 10.0.0.1/8\n",
	    "wicket.conf:1:1: error: unknown directive \"lisen\" (did you mean "
	    "\"listen\"?)\n"
	    "wicket.conf:2:9: error: invalid number of workers \"0\" (1 to "
	    "256, or auto)\n"
	    "wicket.conf:4:7: error: host bits set in 10.0.0.1/8\n");
}

static void
test_too_many_errors(void **state)
{
	char *text = wk_malloc(200 * 4 + 1), *errs, *last;
	struct wk_config *c;
	size_t i, lines = 0;

	(void)state;
	for (i = 0; i < 200; i++)
		memcpy(text + 4 * i, "xx;\n", 4);
	text[800] = '\0';
	c = parse(text, &errs);
	assert_null(c);
	for (i = 0; errs[i] != '\0'; i++)
		lines += errs[i] == '\n';
	assert_int_equal(lines, WK_LEX_MAX_ERRORS + 1);
	last = strstr(errs, "wicket.conf: error: too many errors, giving up\n");
	assert_non_null(last);
	assert_string_equal(
	    last, "wicket.conf: error: too many errors, giving up\n");
	free(errs);
	free(text);
}

/* ------------------------------------------------------------------ */
/* Lexer                                                               */

static void
test_lex_tokens(void **state)
{
	struct wk_lex *lx = wk_lex_new(NULL, 0);
	static const char text[] =
	    "a \"b c\"\t{ # comment\r\n  d;e}\"q\\\"\\\\\"#x\nf#g";
	static const struct {
		enum wk_tok_type type;
		const char *text;
		unsigned line, col;
	} want[] = {
		{ WK_TOK_WORD, "a", 1, 1 },
		{ WK_TOK_STRING, "b c", 1, 3 },
		{ WK_TOK_LBRACE, "", 1, 9 },
		{ WK_TOK_END, "", 1, 21 },
		{ WK_TOK_WORD, "d", 2, 3 },
		{ WK_TOK_END, "", 2, 4 },
		{ WK_TOK_WORD, "e", 2, 5 },
		{ WK_TOK_RBRACE, "", 2, 6 },
		{ WK_TOK_STRING, "q\"\\", 2, 7 },
		{ WK_TOK_END, "", 2, 16 },
		{ WK_TOK_WORD, "f#g", 3, 1 },
		{ WK_TOK_END, "", 3, 4 },
		{ WK_TOK_EOF, "", 3, 4 },
		{ WK_TOK_EOF, "", 3, 4 },
	};
	struct wk_tok t;
	size_t i;

	(void)state;
	wk_lex_push_buf(lx, "t.conf", text, sizeof(text) - 1);
	for (i = 0; i < WK_ARRAY_LEN(want); i++) {
		wk_lex_next(lx, &t);
		assert_int_equal(t.type, want[i].type);
		assert_string_equal(t.text, want[i].text);
		assert_string_equal(t.file, "t.conf");
		assert_int_equal(t.line, want[i].line);
		assert_int_equal(t.col, want[i].col);
		if (i == 1) {
			wk_lex_unget(lx, &t);
			wk_lex_next(lx, &t);
			assert_string_equal(t.text, "b c");
		}
		wk_tok_clear(&t);
	}
	assert_int_equal(wk_lex_errors(lx), 0);
	assert_string_equal(wk_tok_type_name(WK_TOK_LBRACE), "\"{\"");
	wk_lex_free(lx);
	assert_null(lx);
}

static void
test_lex_errors(void **state)
{
	char *long_word = wk_malloc(WK_LEX_MAX_TOKEN + 20);
	char *text, *expected;

	(void)state;
	check_error("via \"unterminated\n",
	    "wicket.conf:1:5: error: unterminated quoted string\n");
	check_error("via \"abc",
	    "wicket.conf:1:5: error: unterminated quoted string\n");
	check_error("via \"a\\nb\"\n",
	    "wicket.conf:1:7: error: invalid escape \"\\n\" in quoted string "
	    "(only \\\" and \\\\ are allowed)\n");
	check_error("via \"a\\",
	    "wicket.conf:1:7: error: invalid escape in quoted string (only "
	    "\\\" and \\\\ are allowed)\n"
	    "wicket.conf:1:5: error: unterminated quoted string\n");
	check_error("via a\"b\"\n",
	    "wicket.conf:1:6: error: unexpected quote inside a word\n");
	check_error("via \"a\"b\n",
	    "wicket.conf:1:8: error: missing space after quoted string\n");
	check_error("via a\x01 b\n",
	    "wicket.conf:1:6: error: invalid character 0x01\n");
	check_error("via \"a\r\"\n",
	    "wicket.conf:1:7: error: invalid character 0x0d in quoted "
	    "string\n");
	check_error("via \"a\x7f\"\n",
	    "wicket.conf:1:7: error: invalid character 0x7f in quoted "
	    "string\n");
	{
		static const char nul[] = "workers 2\nvia a\0b\n";
		char *errs;
		size_t len;
		FILE *f = open_memstream(&errs, &len);

		assert_null(wk_conf_parse_string(
		    "wicket.conf", nul, sizeof(nul) - 1, NULL, f));
		fclose(f);
		assert_string_equal(errs,
		    "wicket.conf:2:6: error: file contains a NUL byte (not a "
		    "text file?)\n");
		free(errs);
	}
	memset(long_word, 'a', WK_LEX_MAX_TOKEN + 1);
	long_word[WK_LEX_MAX_TOKEN + 1] = '\0';
	text = wk_asprintf("workers 2\nvia %s\n", long_word);
	expected = wk_asprintf("wicket.conf:2:5: error: token is longer than "
			       "%u bytes\n",
	    WK_LEX_MAX_TOKEN);
	check_error(text, expected);
	free(text);
	free(expected);
	free(long_word);
}

static void
test_too_many_arguments(void **state)
{
	char text[200];
	size_t i, n = 0;

	(void)state;
	n += (size_t)snprintf(text + n, sizeof(text) - n, "via");
	for (i = 0; i < 34; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, " x");
	snprintf(text + n, sizeof(text) - n, "\n");
	check_error(text, "wicket.conf:1:69: error: too many arguments\n");
}

/* ------------------------------------------------------------------ */
/* Include                                                             */

static char tmpdir[PATH_MAX];

static int
setup_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/wk_test_conf.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown_tmpdir(void **state)
{
	char *cmd = wk_asprintf("rm -rf '%s'", tmpdir);
	int rc = system(cmd);

	(void)state;
	free(cmd);
	return rc == 0 ? 0 : -1;
}

static void
write_file(const char *rel, const char *text)
{
	char *path = wk_asprintf("%s/%s", tmpdir, rel);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(path);
}

static void
make_dir(const char *rel)
{
	char *path = wk_asprintf("%s/%s", tmpdir, rel);

	assert_int_equal(mkdir(path, 0755), 0);
	free(path);
}

/* Loads rel from inside tmpdir, as check-config does in tests/conf. */
static struct wk_config *
load_in_tmpdir(const char *rel, const struct wk_conf_overrides *ov, char **errs)
{
	char cwd[PATH_MAX];
	struct wk_config *c;
	size_t len;
	FILE *f = open_memstream(errs, &len);

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(tmpdir), 0);
	c = wk_conf_load(rel, ov, f);
	assert_int_equal(chdir(cwd), 0);
	fclose(f);
	return c;
}

static void
test_upstream_password_secrecy(void **state)
{
	char path[PATH_MAX + 32], *errs;
	struct wk_config *c;
	size_t len;
	FILE *f, *e;

	(void)state;
	snprintf(path, sizeof(path), "%s/secret.conf", tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("upstream a { socks5 127.0.0.1:3; user u; password p }\n"
	      "users users.txt\n",
	    f);
	fclose(f);
	chmod(path, 0644);
	e = open_memstream(&errs, &len);
	c = wk_conf_load(path, NULL, e);
	fclose(e);
	assert_null(c);
	assert_non_null(strstr(errs,
	    "holds a password but others can read it "
	    "(chmod 600)"));
	free(errs);
	chmod(path, 0600);
	e = open_memstream(&errs, &len);
	c = wk_conf_load(path, NULL, e);
	fclose(e);
	assert_string_equal(errs, "");
	assert_non_null(c);
	assert_string_equal(c->upstreams[0].password, "p");
	/* users is relative to the config file's folder */
	{
		char want[PATH_MAX + 32];

		snprintf(want, sizeof(want), "%s/users.txt", tmpdir);
		assert_string_equal(c->users_file, want);
	}
	free(errs);
	wk_conf_unref(c);
	unlink(path);
}

static void
test_include(void **state)
{
	struct wk_config *c;
	char *errs, *path;

	(void)state;
	make_dir("conf.d");
	make_dir("conf.d/sub.conf"); /* a directory matching the glob */
	make_dir("empty.d");
	write_file("wicket.conf",
	    "listen 127.0.0.1:1\n"
	    "include conf.d/*.conf\n"
	    "include empty.d/*.conf\n"
	    "include \"more.conf\"; via last\n");
	write_file("conf.d/20-b.conf", "listen 127.0.0.1:3"); /* no newline */
	write_file("conf.d/10-a.conf",
	    "listen 127.0.0.1:2\n"
	    "include ../deep/x.conf\n");
	make_dir("deep");
	write_file("deep/x.conf", "workers 3\n");
	write_file("more.conf", "allow 10.0.0.0/8\n");
	c = load_in_tmpdir("wicket.conf", NULL, &errs);
	assert_string_equal(errs, "");
	assert_non_null(c);
	assert_string_equal(c->path, "wicket.conf");
	assert_int_equal(c->n_listens, 3);
	assert_string_equal(c->listens[0].text, "127.0.0.1:1");
	assert_string_equal(c->listens[1].text, "127.0.0.1:2");
	assert_string_equal(c->listens[2].text, "127.0.0.1:3");
	assert_int_equal(c->workers, 3);
	assert_int_equal(c->n_acl, 1);
	assert_string_equal(c->via_name, "last");
	wk_conf_unref(c);
	free(errs);

	/* The same, through an absolute path. */
	path = wk_asprintf("%s/wicket.conf", tmpdir);
	c = wk_conf_load(path, NULL, NULL);
	assert_non_null(c);
	assert_int_equal(c->n_listens, 3);
	wk_conf_unref(c);
	free(path);
}

static void
test_include_errors(void **state)
{
	struct wk_config *c;
	char *errs;

	(void)state;
	write_file("a.conf", "workers 2\ninclude b.conf\n");
	write_file("b.conf", "via x\n  include a.conf\n");
	c = load_in_tmpdir("a.conf", NULL, &errs);
	assert_null(c);
	assert_string_equal(errs,
	    "b.conf:2:11: error: include cycle: a.conf "
	    "-> b.conf -> a.conf\n");
	free(errs);

	write_file("self.conf", "include self.conf\n");
	c = load_in_tmpdir("self.conf", NULL, &errs);
	assert_null(c);
	assert_string_equal(errs,
	    "self.conf:1:9: error: include cycle: "
	    "self.conf -> self.conf\n");
	free(errs);

	write_file("miss.conf",
	    "include nope.conf\ninclude /dev/zero\n"
	    "include nope.d/*\nworkers x\n");
	c = load_in_tmpdir("miss.conf", NULL, &errs);
	assert_null(c);
	assert_string_equal(errs,
	    "miss.conf:1:9: error: cannot read include file \"nope.conf\": No "
	    "such file or directory\n"
	    "miss.conf:2:9: error: cannot read include file \"/dev/zero\": not "
	    "a regular file\n"
	    "miss.conf:4:9: error: invalid number of workers \"x\" (1 to 256, "
	    "or auto)\n");
	free(errs);

	/* Errors inside included files name those files. */
	write_file("top.conf", "include bad.conf\nwokers 1\n");
	write_file("bad.conf", "\n  listen 1\n{\n");
	c = load_in_tmpdir("top.conf", NULL, &errs);
	assert_null(c);
	assert_string_equal(errs,
	    "bad.conf:2:10: error: missing port in listen address \"1\" "
	    "(expected ADDR:PORT)\n"
	    "bad.conf:3:1: error: unexpected \"{\" (a block needs a directive "
	    "before it on the same line)\n"
	    "bad.conf:3:1: error: unterminated block: \"{\" has no matching "
	    "\"}\"\n"
	    "top.conf:2:1: error: unknown directive \"wokers\" (did you mean "
	    "\"workers\"?)\n");
	free(errs);

	c = load_in_tmpdir("missing-top.conf", NULL, &errs);
	assert_null(c);
	assert_string_equal(errs,
	    "missing-top.conf: error: cannot read file: "
	    "No such file or directory\n");
	free(errs);

	write_file("stray.conf", "include close.conf\n");
	write_file("close.conf", "}\n");
	c = load_in_tmpdir("stray.conf", NULL, &errs);
	assert_null(c);
	assert_string_equal(errs,
	    "close.conf:1:1: error: unexpected \"}\" (no "
	    "block is open)\n");
	free(errs);
}

static void
test_include_depth(void **state)
{
	struct wk_config *c;
	char *errs, name[32], text[64];
	unsigned i;

	(void)state;
	/* d0 includes d1 ... d16 includes d17: 17 levels is one too many. */
	for (i = 0; i <= WK_LEX_MAX_DEPTH + 1; i++) {
		snprintf(name, sizeof(name), "d%u.conf", i);
		snprintf(text, sizeof(text), "include d%u.conf\n", i + 1);
		write_file(
		    name, i == WK_LEX_MAX_DEPTH + 1 ? "workers 1\n" : text);
	}
	c = load_in_tmpdir("d1.conf", NULL, &errs);
	assert_string_equal(errs, "");
	assert_non_null(c);
	wk_conf_unref(c);
	free(errs);
	c = load_in_tmpdir("d0.conf", NULL, &errs);
	assert_null(c);
	assert_string_equal(errs,
	    "d16.conf:1:9: error: includes nested too "
	    "deeply (limit 16)\n");
	free(errs);
}

static void
test_include_disabled(void **state)
{
	char *errs;
	size_t len;
	FILE *f = open_memstream(&errs, &len);
	static const char text[] = "include /etc/passwd\n";

	(void)state;
	assert_null(wk_conf_parse_flags(
	    "fuzz", text, sizeof(text) - 1, WK_CONF_F_NO_INCLUDE, NULL, f));
	fclose(f);
	assert_string_equal(
	    errs, "fuzz:1:9: error: include is not allowed here\n");
	free(errs);
	check_error(
	    "include \"\"\n", "wicket.conf:1:9: error: empty include path\n");
}

/* ------------------------------------------------------------------ */
/* Overrides and dump                                                  */

static void
test_overrides(void **state)
{
	const char *listens[] = { "[::1]:9000", "localhost:9001" };
	const char *bad[] = { "127.0.0.1:1", "127.0.0.1" };
	const char *dup[] = { "127.0.0.1:1", "localhost:1" };
	struct wk_conf_overrides ov = { listens, 2, "/tmp/state" };
	struct wk_config *c;
	char err[256], *errs;

	(void)state;
	write_file("ov.conf",
	    "listen 127.0.0.1:1\nlisten 127.0.0.1:2\n"
	    "state-dir /var/lib/wicket\n");
	c = load_in_tmpdir("ov.conf", &ov, &errs);
	assert_string_equal(errs, "");
	assert_non_null(c);
	assert_int_equal(c->n_listens, 2);
	assert_string_equal(c->listens[0].text, "[::1]:9000");
	assert_string_equal(c->listens[1].text, "localhost:9001");
	assert_string_equal(c->state_dir, "/tmp/state");
	wk_conf_unref(c);
	free(errs);

	ov.listens = bad;
	c = load_in_tmpdir("ov.conf", &ov, &errs);
	assert_null(c);
	assert_string_equal(errs,
	    "wicket: error: --listen: missing port in "
	    "listen address \"127.0.0.1\" (expected "
	    "ADDR:PORT)\n");
	free(errs);

	c = wk_conf_defaults();
	ov.listens = dup;
	assert_int_equal(wk_conf_apply_overrides(c, &ov, err, sizeof(err)), -1);
	assert_string_equal(
	    err, "--listen: duplicate listen address \"localhost:1\"");
	ov.n_listens = 0;
	ov.state_dir = "";
	assert_int_equal(wk_conf_apply_overrides(c, &ov, err, sizeof(err)), -1);
	assert_string_equal(err, "--state-dir: empty path");
	ov.state_dir = NULL;
	assert_int_equal(wk_conf_apply_overrides(c, &ov, err, sizeof(err)), 0);
	assert_int_equal(wk_conf_apply_overrides(c, NULL, err, sizeof(err)), 0);
	assert_int_equal(c->n_listens, 1);
	wk_conf_unref(c);

	ov.listens = listens;
	ov.n_listens = 1;
	c = wk_conf_parse_string("x", "", 0, &ov, NULL);
	assert_non_null(c);
	assert_int_equal(c->n_listens, 1);
	assert_string_equal(c->listens[0].text, "[::1]:9000");
	wk_conf_unref(c);
}

static void
check_round_trip(const char *text)
{
	struct wk_config *a = parse_ok(text), *b;
	char *da = dump(a), *db;

	b = parse_ok(da);
	db = dump(b);
	assert_string_equal(da, db);
	assert_int_equal(a->n_acl, b->n_acl);
	assert_memory_equal(a->acl, b->acl, a->n_acl * sizeof(*a->acl));
	assert_memory_equal(&a->timeout, &b->timeout, sizeof(a->timeout));
	assert_memory_equal(&a->limit, &b->limit, sizeof(a->limit));
	free(da);
	free(db);
	wk_conf_unref(a);
	wk_conf_unref(b);
}

static void
test_dump(void **state)
{
	struct wk_config *c =
	    parse_ok("listen localhost:3128\nlisten [0:0::1]:1\n"
		     "allow ::ffff:10.0.0.0/104\nallow ::1\ndeny 0.0.0.0/0\n"
		     "allow ::/0\ndeny all\n"
		     "workers 3\nstate-dir \"my \\\"state\\\" dir\"\nvia w\n"
		     "timeout connect 1500ms\ntimeout keepalive 120\n"
		     "timeout tunnel-idle 60m\n"
		     "limit request-line 1025\nlimit header-bytes 2048k\n"
		     "log access \"#access.log\"\nlog error /var/log/x\n");
	char *d = dump(c);

	(void)state;
	assert_string_equal(d,
	    "listen 127.0.0.1:3128\n"
	    "listen [::1]:1\n"
	    "allow 10.0.0.0/8\n"
	    "allow ::1/128\n"
	    "deny 0.0.0.0/0\n"
	    "allow ::/0\n"
	    "deny all\n"
	    "workers 3\n"
	    "state-dir \"my \\\"state\\\" dir\"\n"
	    "via w\n"
	    "timeout connect 1500ms\n"
	    "timeout header-read 30s\n"
	    "timeout keepalive 2m\n"
	    "timeout upstream-response 1m\n"
	    "timeout tunnel-idle 1h\n"
	    "timeout shutdown 10s\n"
	    "timeout pool-idle 30s\n"
	    "timeout pac 2s\n"
	    "timeout pac-cache 30s\n"
	    "limit request-line 1025\n"
	    "limit header-bytes 2m\n"
	    "limit header-count 100\n"
	    "limit connections 10000\n"
	    "limit pac-heap 32m\n"
	    "limit cookies 20000\n"
	    "limit decoded-size 4g\n"
	    "limit decoded-ratio 200\n"
	    "limit spool-memory 1m\n"
	    "limit spool-size 256m\n"
	    "log level notice\n"
	    "log error /var/log/x\n"
	    "log access \"#access.log\"\n"
	    "log access-format text\n");
	free(d);
	wk_conf_unref(c);

	c = wk_conf_defaults();
	d = dump(c);
	assert_non_null(strstr(d,
	    "# no allow/deny rules: loopback clients "
	    "only\n"));
	free(d);
	wk_conf_unref(c);
}

static void
test_dump_round_trip(void **state)
{
	(void)state;
	check_round_trip("");
	check_round_trip("listen [::]:3128\nallow 10.0.0.0/8\ndeny all\n"
			 "workers 256\nvia a.b\ntimeout shutdown 0\n"
			 "timeout pool-idle 61001ms\nlimit connections 1m\n"
			 "log level debug\nlog access -\n"
			 "log access-format json\nlog error \"a b\\\\c\"\n"
			 "state-dir \"\\\"\"\n");
	check_round_trip("allow 0.0.0.0/0\ndeny ::/0\nallow all\n"
			 "allow 2001:db8:0:0:0:0:0:0/32\n");
}

static void
test_suggest(void **state)
{
	static const char *const names[] = { "listen", "allow", "deny",
		"workers" };

	(void)state;
	assert_string_equal(wk_conf_suggest("lsiten", names, 4), "listen");
	assert_string_equal(wk_conf_suggest("DENY", names, 4), "deny");
	assert_string_equal(wk_conf_suggest("alow", names, 4), "allow");
	assert_null(wk_conf_suggest("x", names, 4));
	assert_null(wk_conf_suggest("", names, 4));
	assert_null(wk_conf_suggest("completely-different", names, 4));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_empty_file_is_defaults),
		cmocka_unit_test(test_refcount),
		cmocka_unit_test(test_log_level_name),
		cmocka_unit_test(test_all_directives),
		cmocka_unit_test(test_workers_auto_and_log_access),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_acl_default_loopback_only),
		cmocka_unit_test(test_acl_first_match),
		cmocka_unit_test(test_acl_all_and_odd_prefixes),
		cmocka_unit_test(test_acl_errors),
		cmocka_unit_test(test_listen_forms),
		cmocka_unit_test(test_listen_errors),
		cmocka_unit_test(test_listen_in_file),
		cmocka_unit_test(test_unknown_directive),
		cmocka_unit_test(test_sub_keywords),
		cmocka_unit_test(test_value_errors),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_blocks),
		cmocka_unit_test(test_upstreams),
		cmocka_unit_test(test_all_errors_reported),
		cmocka_unit_test(test_too_many_errors),
		cmocka_unit_test(test_lex_tokens),
		cmocka_unit_test(test_lex_errors),
		cmocka_unit_test(test_too_many_arguments),
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_include_errors),
		cmocka_unit_test(test_include_depth),
		cmocka_unit_test(test_include_disabled),
		cmocka_unit_test(test_upstream_password_secrecy),
		cmocka_unit_test(test_overrides),
		cmocka_unit_test(test_dump),
		cmocka_unit_test(test_dump_round_trip),
		cmocka_unit_test(test_suggest),
	};

	return cmocka_run_group_tests_name(
	    "conf", tests, setup_tmpdir, teardown_tmpdir);
}
