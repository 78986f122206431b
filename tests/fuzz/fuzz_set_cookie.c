/* tests/fuzz/fuzz_set_cookie.c: the Set-Cookie parser and the jar. The
 * input's first byte picks the request (host, https, store mode, Sec-Fetch
 * flags); the rest is up to 8 Set-Cookie lines separated by '\n', each
 * parsed on its own (checking what the parser returns), then all stored
 * into a small jar, and a Cookie header is built for a few URLs. */
#include "core/wk.h"

#include <stdlib.h>
#include <string.h>

#include "cookie/cookie_parse.h"
#include "cookie/jar.h"

#define FUZZ_MAX_INPUT 16384
#define FUZZ_MAX_LINES 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fuzz_hosts[] = { "a.example.org", "example.org",
	"b.a.example.org", "192.0.2.1", "co.uk", "x.co.uk" };
static const char *const fuzz_paths[] = { "/", "/a/b?q=1", "/a/", "" };

static void
fuzz_check_parse(const char *line, size_t len)
{
	struct wk_set_cookie sc;
	size_t n;

	if (wk_set_cookie_parse(line, len, &sc) != 0)
		return;
	n = strlen(sc.name) + strlen(sc.value);
	if (n > WK_COOKIE_NAME_VALUE_MAX || n == 0 || n > len)
		abort();
	if (sc.path != NULL &&
	    (sc.path[0] != '/' || strlen(sc.path) > WK_COOKIE_ATTR_VALUE_MAX))
		abort();
	if (sc.domain != NULL && strlen(sc.domain) > WK_COOKIE_ATTR_VALUE_MAX)
		abort();
	for (const char *p = sc.domain; p != NULL && *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			abort();
	if ((unsigned)sc.same_site >= WK_SAMESITE_COUNT)
		abort();
	wk_set_cookie_clear(&sc);
}

static void
fuzz_change(void *arg, enum wk_jar_change_kind kind, const struct wk_cookie *c)
{
	(void)arg;
	if ((kind == WK_JAR_CHANGE_RESYNC) != (c == NULL))
		abort();
	if (c != NULL &&
	    ((kind == WK_JAR_CHANGE_UPSERT && !c->persistent) ||
		c->path[0] != '/'))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct wk_jar *j;
	struct wk_jar_limits lim = { .per_domain = 4, .total = 8 };
	struct wk_jar_request rq = { 0 };
	const char *p, *end, *host;
	char out[512];
	int64_t now = INT64_C(1700000000000000);
	uint8_t flags;

	if (size < 1 || size > FUZZ_MAX_INPUT)
		return 0;
	if (j == NULL)
		j = wk_jar_new(&lim);
	wk_jar_clear(j);
	flags = data[0];
	host = fuzz_hosts[(flags & 7) % WK_ARRAY_LEN(fuzz_hosts)];
	rq.site = (enum wk_jar_fetch_site)((flags >> 5) % 5);
	rq.navigate = flags & 0x10;
	rq.safe_method = flags & 0x08;
	p = (const char *)data + 1;
	end = (const char *)data + size;
	for (int n = 0; n < FUZZ_MAX_LINES && p < end; n++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl != NULL ? nl : end) - p);
		int r;

		fuzz_check_parse(p, len);
		r = wk_jar_set_from_header(j, host, fuzz_paths[n % 4],
		    flags & 0x80, p, len, now + n,
		    (flags & 0x40) ? WK_JAR_STORE_SESSION_ONLY :
				     WK_JAR_STORE_NORMAL);
		if (r != WK_JAR_SET_STORED && r != WK_JAR_SET_IGNORED)
			abort();
		p += len + (nl != NULL);
	}
	if (wk_jar_count(j) > lim.total)
		abort();
	for (size_t h = 0; h < WK_ARRAY_LEN(fuzz_hosts); h++)
		for (size_t k = 0; k < WK_ARRAY_LEN(fuzz_paths); k++) {
			size_t n = wk_jar_cookie_header(j, fuzz_hosts[h],
			    fuzz_paths[k], flags & 0x80, &rq, now + 10, out,
			    sizeof(out));

			if (n < sizeof(out) && n != strlen(out))
				abort();
			if (n >= sizeof(out) && strlen(out) >= sizeof(out))
				abort();
		}
	wk_jar_cookie_header(j, host, "/", true, NULL,
	    now + INT64_C(500) * 86400 * 1000000, out, sizeof(out));
	wk_jar_take_changes(j, fuzz_change, NULL);
	return 0;
}
