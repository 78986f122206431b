/* src/sys/autodial.h: the `dial` command (say, bringing a VPN or a tunnel
 * up), run when a destination or upstream is unreachable. One dial at a
 * time; requests that fail meanwhile wait for it and are retried once
 * when it exits 0; a failed dial is not run again for `hold-off`. */
#ifndef WK_SYS_AUTODIAL_H
#define WK_SYS_AUTODIAL_H

#include "core/wk.h"

#include "upstream/connector.h"

struct wk_config;
struct wk_dial_wait;
struct wk_worker;

/* ok: the command exited 0, try again; else detail says what happened
 * (its exit status, a timeout, the hold-off). Runs on the waiting
 * worker's loop, possibly inside wk_dial_wait. */
typedef void (*wk_dial_cb)(bool ok, const char *detail, void *arg);

int wk_dial_service_start(void);
void wk_dial_service_stop(void);

/* True when c has a dial command and a failure err should run it. */
bool wk_dial_applies(const struct wk_config *c, enum wk_conn_err err);

/* Waits for a dial (starting one when none runs). Returns a handle, or
 * NULL when the callback already ran (hold-off, no service). */
struct wk_dial_wait *wk_dial_wait(
    struct wk_worker *w, const struct wk_config *c, wk_dial_cb cb, void *arg);
/* The callback will not run. */
void wk_dial_cancel(struct wk_dial_wait *d);

#endif
