/* src/sess/users.h: the users file (`users FILE`, made by `wicket passwd`):
 * one "user:crypt-hash" per line. Checking a password costs a deliberately
 * slow hash, so it runs on a helper thread and the answer comes back to the
 * worker's loop. */
#ifndef WK_SESS_USERS_H
#define WK_SESS_USERS_H

#include "core/wk.h"

struct wk_users_check;
struct wk_worker;

typedef void (*wk_users_cb)(bool ok, void *arg);

/* Checks user/pass against path; cb runs later on w's loop (never inside
 * this call). Returns a handle for wk_users_check_cancel. */
struct wk_users_check *wk_users_check_start(struct wk_worker *w,
    const char *path, const char *user, const char *pass, wk_users_cb cb,
    void *arg);
/* The callback will not run. Call on w's thread. */
void wk_users_check_cancel(struct wk_users_check *c);

/* Stops the helper thread at exit; pending checks are dropped. */
void wk_users_shutdown(void);

/* Synchronous check (CLI and tests): 1 ok, 0 wrong, -1 file error. */
int wk_users_verify(const char *path, const char *user, const char *pass);

/* Adds or replaces user in path with a fresh yescrypt hash of pass; the
 * file is written whole (temp + rename), mode 0600. Returns 0 or -1 with
 * a message in err. */
int wk_users_set(const char *path, const char *user, const char *pass,
    char *err, size_t errlen);

#endif
