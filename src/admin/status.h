/* src/admin/status.h: wicket's own pages, served for origin-form requests
 * on the proxy port: "/" (status), "/health", and the generated PAC
 * script at "/proxy.pac" and "/wpad.dat". */
#ifndef WK_ADMIN_STATUS_H
#define WK_ADMIN_STATUS_H

#include "core/wk.h"

struct evbuffer;
struct sockaddr;
struct wk_config;
struct wk_worker;

/* Appends the response for GET/HEAD path (the origin-form target) to out.
 * local is the address the client connected to (named in the PAC
 * script), or NULL. Returns its status code. */
int wk_status_respond(struct wk_worker *w, const struct wk_config *c,
    const struct sockaddr *local, const char *method, const char *path,
    size_t path_len, struct evbuffer *out, bool keep_alive, bool client_http10,
    const char *via, size_t *written);

#endif
