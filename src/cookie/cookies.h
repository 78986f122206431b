/* src/cookie/cookies.h: the daemon's one cookie jar, shared by every
 * worker (and, with the store, kept in STATE_DIR/wicket.db). */
#ifndef WK_COOKIE_COOKIES_H
#define WK_COOKIE_COOKIES_H

#include "core/wk.h"

struct wk_jar;

/* Makes the jar of at most max_cookies (0: the jar's default), loading the
 * store under state_dir when there is one. Returns 0, or -1 with err (the
 * daemon then runs without a store, or without cookies). */
int wk_cookies_init(
    const char *state_dir, size_t max_cookies, char *err, size_t errlen);
void wk_cookies_shutdown(void);
/* The jar, or NULL when there is none. */
struct wk_jar *wk_cookies_jar(void);

#endif
