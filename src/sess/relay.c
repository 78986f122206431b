/* src/sess/relay.c: the tunnel relay. Bytes move socket -> pipe -> socket
 * with splice(2), so they are never copied to user space; each direction
 * has its own pipe, read event and write event. libevent 2.1's evbuffer
 * reads at most 4 KiB per call, which caps a bufferevent relay far below
 * what the loopback can carry. What the HTTP stage left in the
 * bufferevents' buffers goes first. A direction's pipe is made when its
 * first byte arrives: many tunnels (a handshake, then a close) never carry
 * any, and a pipe costs five system calls. */
#include "core/wk.h"

#include <sys/socket.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "config/conf.h"
#include "core/alloc.h"
#include "core/bug.h"
#include "worker/worker.h"
#include "log/log.h"
#include "sess/relay.h"
#include "sess/session.h"

#define RELAY_PIPE_SIZE (256 * 1024)
#define RELAY_READS_PER_EVENT 8

/* One direction: src socket -> pipe -> dst socket. */
struct relay_dir {
	struct wk_relay *r;
	struct bufferevent *dst_bev; /* its output: bytes to send first */
	int src_fd, dst_fd;
	int pipe_r, pipe_w;
	size_t pipe_cap;
	size_t in_pipe;
	uint64_t *count;
	bool src_eof; /* src sent FIN */
	bool shut;    /* we sent FIN to dst */
	bool reading; /* rev is added */
	bool writing; /* wev is added */
	struct event *rev;
	struct event *wev;
	const char *src_name, *dst_name;
};

struct wk_relay {
	struct wk_sess *s;
	bool bev_mode; /* a TLS side: bufferevents copy, no splice */
	bool eof[2];   /* bev_mode: side i sent EOF */
	struct relay_dir
	    d[2];	    /* 0: client -> upstream, 1: upstream -> client */
	struct timeval wto; /* a sink that takes nothing for this long */
};

static void
relay_dir_set(struct relay_dir *d, bool read, bool write)
{
	if (read != d->reading) {
		if (read)
			event_add(d->rev, NULL);
		else
			event_del(d->rev);
		d->reading = read;
	}
	if (write != d->writing) {
		if (write)
			event_add(d->wev, &d->r->wto);
		else
			event_del(d->wev);
		d->writing = write;
	}
}

/* Ends the tunnel when both directions are finished. */
static void
relay_check_done(struct wk_relay *r)
{
	if (r->d[0].shut && r->d[1].shut)
		wk_sess_close(r->s, "tunnel closed");
}

static void
relay_fail(struct relay_dir *d, bool reading, int err)
{
	wk_log_debug("sess %llu: tunnel %s: %s",
	    (unsigned long long)d->r->s->id,
	    reading ? d->src_name : d->dst_name, strerror(err));
	wk_sess_close(d->r->s,
	    reading ? (d->src_name[0] == 'c' ? "client reset the tunnel" :
					       "upstream reset the tunnel") :
		      (d->dst_name[0] == 'c' ? "client reset the tunnel" :
					       "upstream reset the tunnel"));
}

/* Sends what is queued for dst: first the buffer, then the pipe. When all
 * is sent, reading resumes, or FIN is passed on after the source's. */
static void
relay_dir_flush(struct relay_dir *d)
{
	struct evbuffer *pre = bufferevent_get_output(d->dst_bev);

	if (evbuffer_get_length(pre) > 0) {
		int n;

		evbuffer_unfreeze(pre, 1);
		n = evbuffer_write(pre, d->dst_fd);
		evbuffer_freeze(pre, 1);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			relay_fail(d, false, errno);
			return;
		}
		if (evbuffer_get_length(pre) > 0) {
			relay_dir_set(d, d->reading, true);
			return;
		}
	}
	while (d->in_pipe > 0) {
		ssize_t n = splice(d->pipe_r, NULL, d->dst_fd, NULL, d->in_pipe,
		    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);

		if (n > 0) {
			d->in_pipe -= (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			relay_dir_set(d, d->reading, true);
			return;
		}
		relay_fail(d, false, n < 0 ? errno : EPIPE);
		return;
	}
	/* everything sent */
	relay_dir_set(d, !d->src_eof, false);
	if (d->src_eof && !d->shut) {
		shutdown(d->dst_fd, SHUT_WR);
		d->shut = true;
		relay_check_done(d->r);
	}
}

/* Makes the direction's pipe. Returns 0, or -1 (the session is closed). */
static int
relay_dir_pipe(struct relay_dir *d)
{
	int p[2], sz;

	if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0) {
		wk_log_warn("sess %llu: cannot create a tunnel pipe",
		    (unsigned long long)d->r->s->id);
		wk_sess_close(d->r->s, "out of file descriptors");
		return -1;
	}
	d->pipe_r = p[0];
	d->pipe_w = p[1];
	(void)fcntl(d->pipe_w, F_SETPIPE_SZ, RELAY_PIPE_SIZE);
	sz = fcntl(d->pipe_w, F_GETPIPE_SZ);
	d->pipe_cap = sz > 0 ? (size_t)sz : 65536;
	return 0;
}

static void
relay_dir_read(struct relay_dir *d)
{
	struct wk_sess *s = d->r->s;

	if (d->pipe_w < 0) {
		char c;
		ssize_t n = recv(d->src_fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);

		if (n == 0) {
			d->src_eof = true;
			relay_dir_set(d, false, d->writing);
			relay_dir_flush(d);
			return;
		}
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				relay_fail(d, true, errno);
			return;
		}
		if (relay_dir_pipe(d) < 0)
			return;
	}
	for (int i = 0; i < RELAY_READS_PER_EVENT && !s->dead; i++) {
		ssize_t n;

		if (d->in_pipe >= d->pipe_cap) {
			/* the sink is slow: stop reading until it drains */
			relay_dir_set(d, false, true);
			return;
		}
		n = splice(d->src_fd, NULL, d->pipe_w, NULL,
		    d->pipe_cap - d->in_pipe,
		    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n > 0) {
			d->in_pipe += (size_t)n;
			*d->count += (uint64_t)n;
			s->last_active_ms = wk_sess_now_ms(s);
			relay_dir_flush(d);
			continue;
		}
		if (n == 0) {
			d->src_eof = true;
			relay_dir_set(d, false, d->writing);
			relay_dir_flush(d);
			return;
		}
		if (errno == EAGAIN || errno == EINTR) {
			/* Bytes still in the pipe mean the sink is blocked,
			 * and the pipe may be full by its slots (a page each,
			 * partly filled) short of pipe_cap bytes: the source
			 * stays readable and a level-triggered read event
			 * would spin. Wait for the sink to drain the pipe. */
			if (d->in_pipe > 0)
				relay_dir_set(d, false, true);
			return;
		}
		relay_fail(d, true, errno);
		return;
	}
}

static void
relay_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct relay_dir *d = arg;
	struct wk_sess *s = d->r->s;

	(void)fd, (void)what;
	WK_BUG_ON(s->magic != WK_SESS_MAGIC);
	wk_sess_enter(s);
	relay_dir_read(d);
	wk_sess_leave(s);
}

static void
relay_write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct relay_dir *d = arg;
	struct wk_sess *s = d->r->s;

	(void)fd;
	WK_BUG_ON(s->magic != WK_SESS_MAGIC);
	wk_sess_enter(s);
	if (what & EV_TIMEOUT) {
		wk_sess_close(s,
		    d->dst_name[0] == 'c' ? "client not reading" :
					    "upstream not reading");
	} else {
		s->last_active_ms = wk_sess_now_ms(s);
		relay_dir_flush(d);
		/* data may be waiting in the socket while we were paused */
		if (!s->dead && d->reading && d->in_pipe == 0)
			relay_dir_read(d);
	}
	wk_sess_leave(s);
}

static void
relay_dir_init(struct wk_relay *r, struct relay_dir *d, struct bufferevent *src,
    struct bufferevent *dst, uint64_t *count, const char *src_name,
    const char *dst_name)
{
	struct event_base *base = r->s->w->base;

	d->r = r;
	d->dst_bev = dst;
	d->src_fd = bufferevent_getfd(src);
	d->dst_fd = bufferevent_getfd(dst);
	d->count = count;
	d->src_name = src_name;
	d->dst_name = dst_name;
	d->pipe_r = d->pipe_w = -1;
	d->rev =
	    event_new(base, d->src_fd, EV_READ | EV_PERSIST, relay_read_cb, d);
	d->wev = event_new(
	    base, d->dst_fd, EV_WRITE | EV_PERSIST, relay_write_cb, d);
}

/* --- bev_mode: a side is TLS, so bytes are decrypted in user space and
 * the bufferevents copy them. No half-close (a TLS side has no FIN of its
 * own): an end on either side flushes the other, then the tunnel closes. */

#define RELAY_BEV_HIGH (512 * 1024)
#define RELAY_BEV_LOW (128 * 1024)

static struct bufferevent *
relay_bev_of(struct wk_sess *s, int side)
{
	return side == WK_SIDE_CLI ? s->cli : s->up;
}

static void
relay_bev_done_check(struct wk_relay *r)
{
	struct wk_sess *s = r->s;

	for (int i = 0; i < 2; i++) {
		struct bufferevent *other = relay_bev_of(s, !i);

		if (r->eof[i] &&
		    evbuffer_get_length(bufferevent_get_output(other)) == 0) {
			wk_sess_close(s, "tunnel closed");
			return;
		}
	}
}

static void
relay_bev_move(struct wk_relay *r, int side)
{
	struct wk_sess *s = r->s;
	struct bufferevent *src = relay_bev_of(s, side);
	struct bufferevent *dst = relay_bev_of(s, !side);
	struct evbuffer *in = bufferevent_get_input(src);
	size_t n = evbuffer_get_length(in);

	if (n == 0)
		return;
	*(side == WK_SIDE_CLI ? &s->req.bytes_in : &s->req.bytes_out) += n;
	evbuffer_add_buffer(bufferevent_get_output(dst), in);
	s->last_active_ms = wk_sess_now_ms(s);
	if (evbuffer_get_length(bufferevent_get_output(dst)) >= RELAY_BEV_HIGH)
		bufferevent_disable(src, EV_READ); /* until dst drains */
}

static void
relay_bev_read_cb(struct bufferevent *bev, void *arg)
{
	struct wk_sess *s = arg;

	WK_BUG_ON(s->magic != WK_SESS_MAGIC);
	wk_sess_enter(s);
	relay_bev_move(s->relay, bev == s->cli ? WK_SIDE_CLI : WK_SIDE_UP);
	wk_sess_leave(s);
}

static void
relay_bev_write_cb(struct bufferevent *bev, void *arg)
{
	struct wk_sess *s = arg;
	struct wk_relay *r = s->relay;
	int side = bev == s->cli ? WK_SIDE_CLI : WK_SIDE_UP;

	WK_BUG_ON(s->magic != WK_SESS_MAGIC);
	wk_sess_enter(s);
	s->last_active_ms = wk_sess_now_ms(s);
	if (!r->eof[!side])
		bufferevent_enable(relay_bev_of(s, !side), EV_READ);
	relay_bev_done_check(r);
	wk_sess_leave(s);
}

static void
relay_bev_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct wk_sess *s = arg;
	struct wk_relay *r = s->relay;
	int side = bev == s->cli ? WK_SIDE_CLI : WK_SIDE_UP;

	WK_BUG_ON(s->magic != WK_SESS_MAGIC);
	wk_sess_enter(s);
	if (what & BEV_EVENT_EOF) {
		relay_bev_move(r, side);
		r->eof[side] = true;
		bufferevent_disable(bev, EV_READ);
		relay_bev_done_check(r);
	} else if (what & BEV_EVENT_TIMEOUT) {
		wk_sess_close(s,
		    side == WK_SIDE_CLI ? "client not reading" :
					  "upstream not reading");
	} else {
		wk_sess_close(s,
		    side == WK_SIDE_CLI ? "client reset the tunnel" :
					  "upstream reset the tunnel");
	}
	wk_sess_leave(s);
}

static void
relay_bev_start(struct wk_sess *s, struct wk_relay *r)
{
	r->bev_mode = true;
	for (int i = 0; i < 2; i++) {
		struct bufferevent *b = relay_bev_of(s, i);

		wk_sess_reading(s, (enum wk_side)i, false);
		bufferevent_setcb(b, relay_bev_read_cb, relay_bev_write_cb,
		    relay_bev_event_cb, s);
		bufferevent_setwatermark(b, EV_WRITE, RELAY_BEV_LOW, 0);
		bufferevent_set_timeouts(b, NULL, &r->wto);
		bufferevent_enable(b, EV_READ | EV_WRITE);
	}
	s->idle_ms = s->conf->timeout.tunnel_idle_ms;
	s->last_active_ms = wk_sess_now_ms(s);
	wk_sess_timer(s, s->idle_ms);
	/* what each side had read ahead belongs to the other */
	relay_bev_move(r, WK_SIDE_CLI);
	if (!s->dead)
		relay_bev_move(r, WK_SIDE_UP);
}

void
wk_relay_free(struct wk_relay *r)
{
	if (r == NULL)
		return;
	for (int i = 0; i < 2; i++) {
		struct relay_dir *d = &r->d[i];

		if (d->rev != NULL)
			event_free(d->rev);
		if (d->wev != NULL)
			event_free(d->wev);
		if (d->pipe_r >= 0)
			close(d->pipe_r);
		if (d->pipe_w >= 0)
			close(d->pipe_w);
	}
	free(r);
}

void
wk_relay_start(struct wk_sess *s)
{
	unsigned idle = s->conf->timeout.tunnel_idle_ms;
	struct wk_relay *r = wk_calloc(1, sizeof(*r));

	wk_sess_set_state(s, WK_SESS_ST_TUNNEL);
	__atomic_add_fetch(&s->w->ctx->stats.tunnels, 1, __ATOMIC_RELAXED);
	s->relay = r;
	r->s = s;
	r->wto.tv_sec = idle / 1000;
	r->wto.tv_usec = (idle % 1000) * 1000;
	r->d[0].pipe_r = r->d[0].pipe_w = r->d[1].pipe_r = r->d[1].pipe_w = -1;
	if (s->tls[WK_SIDE_CLI] || s->tls[WK_SIDE_UP]) {
		relay_bev_start(s, r);
		return;
	}

	relay_dir_init(
	    r, &r->d[0], s->cli, s->up, &s->req.bytes_in, "client", "upstream");
	relay_dir_init(r, &r->d[1], s->up, s->cli, &s->req.bytes_out,
	    "upstream", "client");
	/* the relay's read events are added before the session's are
	 * removed: the fds stay watched, so epoll is not touched */
	for (int i = 0; i < 2; i++)
		relay_dir_set(&r->d[i], true, false);
	/* the bufferevents keep the fds and the queued bytes; their own
	 * events and the session's readers stay off from here on */
	wk_sess_reading(s, WK_SIDE_CLI, false);
	wk_sess_reading(s, WK_SIDE_UP, false);
	for (int i = 0; i < 2; i++) {
		struct bufferevent *b = i ? s->up : s->cli;

		bufferevent_disable(b, EV_READ | EV_WRITE);
		bufferevent_setcb(b, NULL, NULL, NULL, NULL);
	}
	/* bytes read ahead of the switch belong to the other side */
	s->req.bytes_in += evbuffer_get_length(bufferevent_get_input(s->cli));
	s->req.bytes_out += evbuffer_get_length(bufferevent_get_input(s->up));
	evbuffer_add_buffer(
	    bufferevent_get_output(s->up), bufferevent_get_input(s->cli));
	evbuffer_add_buffer(
	    bufferevent_get_output(s->cli), bufferevent_get_input(s->up));

	s->idle_ms = idle;
	s->last_active_ms = wk_sess_now_ms(s);
	wk_sess_timer(s, idle);
	for (int i = 0; i < 2 && !s->dead; i++)
		relay_dir_flush(&r->d[i]);
}

void
wk_relay_on_timeout(struct wk_sess *s)
{
	uint64_t now = wk_sess_now_ms(s);
	uint64_t idle_for = now - s->last_active_ms;

	if (idle_for < s->idle_ms) {
		wk_sess_timer(s, (unsigned)(s->idle_ms - idle_for));
		return;
	}
	wk_sess_close(s, "tunnel idle timeout");
}
