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

/* Makes fd's SO_REUSEPORT group (one socket per worker, bound in worker
 * order) hand each connection to the worker whose index is the CPU that
 * took the client's SYN, mod n_workers, instead of the kernel's hash of
 * the addresses. Connections then split between the workers as their
 * clients split between the CPUs, which the scheduler keeps even; the hash
 * splits the connections in flight unevenly at any moment, one worker
 * queueing while the other sleeps (doc/PERFORMANCE.md, stop 19). Call once
 * the group is complete. Returns 0 (nothing to do with one worker), or -1
 * with errno: the hash stays, which is only slower. */
int wk_listener_steer(int fd, unsigned n_workers);

/* A listening socket on one worker. */
struct wk_listener {
	struct evconnlistener *lev;
	struct wk_worker *w;
	int proto; /* enum wk_listen_proto */
};

/* Wraps fd (taking ownership) in an evconnlistener on the worker's base;
 * l must stay put while it listens. Returns 0, or -1. */
int wk_listener_attach(
    struct wk_listener *l, struct wk_worker *w, int fd, int proto);
/* Stops listening and closes the socket. */
void wk_listener_detach(struct wk_listener *l);

#endif
