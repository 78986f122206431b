/* src/listen/listener.c: listening sockets and accept. */
#include "core/wk.h"

#include <sys/socket.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "config/conf.h"
#include "core/netaddr.h"
#include "worker/worker.h"
#include "listen/listener.h"
#include "log/log.h"
#include "sess/session.h"

#define LISTEN_BACKLOG 4096

int
wk_listener_bind(const struct wk_listen *l, char *err, size_t errlen)
{
	const struct sockaddr *sa = (const struct sockaddr *)&l->addr;
	int fd, one = 1;

	fd = socket(
	    sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
		goto fail_fd;
	/* [::]:port serves IPv6 only; IPv4 needs its own listen line */
	if (sa->sa_family == AF_INET6)
		(void)setsockopt(
		    fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, sa, l->addrlen) < 0 || listen(fd, LISTEN_BACKLOG) < 0)
		goto fail_fd;
	/* HTTP and SOCKS clients speak first: accept a connection once its
	 * first bytes are in (nginx's "deferred"), so one wake-up both accepts
	 * and reads it. A client still silent after a second is accepted at
	 * its next ACK and meets the header-read timeout as before. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &one, sizeof(one));
	/* accepted sockets inherit it: no system call per client */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		goto fail_fd;
	return fd;

fail_fd:
	snprintf(
	    err, errlen, "cannot listen on %s: %s", l->text, strerror(errno));
	close(fd);
	return -1;
fail:
	snprintf(
	    err, errlen, "cannot listen on %s: %s", l->text, strerror(errno));
	return -1;
}

int
wk_listener_steer(int fd, unsigned n_workers)
{
	/* index = the CPU that took the SYN, mod the group's size (classic
	 * BPF: no maps, no privilege); a loopback connect() takes its SYN on
	 * the client's own CPU */
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    (uint32_t)SKF_AD_OFF + SKF_AD_CPU),
		BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, n_workers),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	struct sock_fprog prog = { .len = WK_ARRAY_LEN(code), .filter = code };

	if (n_workers < 2)
		return 0;
	return setsockopt(
	    fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof(prog));
}

static void
listener_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct wk_listener *l = arg;
	struct wk_worker *w = l->w;
	struct wk_ctx *ctx = w->ctx;
	struct wk_config *c = wk_worker_conf(w);
	uint64_t open;

	(void)lev;
	open = __atomic_load_n(&ctx->stats.conns_open, __ATOMIC_RELAXED);
	if (open >= c->limit.connections || w->draining) {
		/* over the limit: refuse at once rather than queue */
		static unsigned warned;
		if (__atomic_fetch_add(&warned, 1, __ATOMIC_RELAXED) % 1000 ==
		    0)
			wk_log_warnx("connection limit %zu reached, refusing "
				     "clients",
			    c->limit.connections);
		close(fd);
		return;
	}
	wk_sess_new(w, fd, sa, (socklen_t)salen, l->proto);
}

static void
listener_error_cb(struct evconnlistener *lev, void *arg)
{
	int err = EVUTIL_SOCKET_ERROR();

	(void)arg;
	/* EMFILE and friends: the listener keeps trying on the next event */
	if (err != EMFILE && err != ENFILE && err != ENOBUFS && err != ENOMEM)
		wk_log_warnx("accept: %s", strerror(err));
	else {
		static unsigned warned;
		if (__atomic_fetch_add(&warned, 1, __ATOMIC_RELAXED) % 1000 ==
		    0)
			wk_log_warnx("accept: %s", strerror(err));
	}
	(void)lev;
}

int
wk_listener_attach(
    struct wk_listener *l, struct wk_worker *w, int fd, int proto)
{
	l->w = w;
	l->proto = proto;
	/* backlog 0: wk_listener_bind listened already (a negative one
	 * would make libevent listen again, with 128) */
	l->lev = evconnlistener_new(
	    w->base, listener_accept_cb, l, LEV_OPT_CLOSE_ON_FREE, 0, fd);
	if (l->lev == NULL)
		return -1;
	evconnlistener_set_error_cb(l->lev, listener_error_cb);
	return 0;
}

void
wk_listener_detach(struct wk_listener *l)
{
	if (l->lev != NULL)
		evconnlistener_free(l->lev);
	l->lev = NULL;
}
