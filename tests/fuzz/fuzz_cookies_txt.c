/* tests/fuzz/fuzz_cookies_txt.c: the cookies.txt parser. Besides not
 * crashing, every cookie it yields is normalised (domain lower case without
 * a leading dot, path from '/', no tab or line break anywhere) and survives
 * a round trip: written, then parsed again, it gives the same cookie. */
#include "core/wk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cookie/cookies_txt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_rt {
	const struct wk_cookie *want;
	unsigned got;
};

static void
fuzz_same(void *arg, const struct wk_cookie *c)
{
	struct fuzz_rt *rt = arg;
	const struct wk_cookie *w = rt->want;

	rt->got++;
	if (strcmp(c->name, w->name) != 0 || strcmp(c->value, w->value) != 0 ||
	    strcmp(c->domain, w->domain) != 0 ||
	    strcmp(c->path, w->path) != 0 || c->expiry_s != w->expiry_s ||
	    c->persistent != w->persistent || c->host_only != w->host_only ||
	    c->secure != w->secure || c->http_only != w->http_only)
		abort();
}

static void
fuzz_check(void *arg, const struct wk_cookie *c)
{
	struct fuzz_rt rt = { c, 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)arg;
	if (c->domain[0] == '\0' || c->domain[0] == '.' || c->path[0] != '/')
		abort();
	for (const char *p = c->domain; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			abort();
	if (strpbrk(c->domain, "\t\r\n") || strpbrk(c->path, "\t\r\n") ||
	    strpbrk(c->name, "\t\r\n") || strpbrk(c->value, "\t\r\n"))
		abort();
	if (!c->persistent && c->expiry_s != 0)
		abort();
	if ((f = open_memstream(&buf, &len)) == NULL)
		abort();
	if (wk_cookies_txt_write(f, c) < 0)
		abort();
	if (fclose(f) != 0)
		abort();
	if (wk_cookies_txt_parse(buf, len, fuzz_same, &rt, NULL, NULL, 0) < 0 ||
	    rt.got != 1)
		abort();
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wk_cookies_txt_stats st;
	char err[128];
	int rc;

	rc = wk_cookies_txt_parse(
	    (const char *)data, size, fuzz_check, NULL, &st, err, sizeof(err));
	if ((rc < 0) != (st.bad > 0) || (st.bad > 0 && err[0] == '\0'))
		abort();
	return 0;
}
