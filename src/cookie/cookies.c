/* src/cookie/cookies.c: the daemon's jar. Workers use it directly (it
 * locks itself); persistence is the store's (jar_store.c), fed from the
 * jar's change log off the event loops. */
#include "core/wk.h"

#include <stdio.h>

#include "cookie/cookies.h"
#include "cookie/jar.h"

static struct wk_jar *g_jar;

int
wk_cookies_init(const char *state_dir, char *err, size_t errlen)
{
	(void)state_dir;
	g_jar = wk_jar_new(NULL);
	if (g_jar == NULL) {
		snprintf(err, errlen, "cannot load the public suffix list");
		return -1;
	}
	return 0;
}

void
wk_cookies_shutdown(void)
{
	wk_jar_free(g_jar);
}

struct wk_jar *
wk_cookies_jar(void)
{
	return g_jar;
}
