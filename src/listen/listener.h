/* src/listen/listener.h: listening sockets (SO_REUSEPORT, one per worker and
 * address) and the accept path that turns a connection into a session. */
#ifndef WK_LISTEN_LISTENER_H
#define WK_LISTEN_LISTENER_H

#include "core/wk.h"

struct wk_listen;
struct wk_worker;
struct evconnlistener;

/* Creates a non-blocking listening socket for l with SO_REUSEPORT. Returns
 * the fd, or -1 with a message in err. */
int wk_listener_bind(const struct wk_listen *l, char *err, size_t errlen);

/* Wraps fd (taking ownership) in an evconnlistener on the worker's base. */
struct evconnlistener *wk_listener_attach(struct wk_worker *w, int fd);

#endif
