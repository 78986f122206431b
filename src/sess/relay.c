/* src/sess/relay.c: the tunnel relay. Each direction moves bytes socket ->
 * ring buffer -> socket with readv/sendmsg, and has its own read and write
 * event. The ring starts at 64 KiB and doubles, up to 4 MiB, while a single
 * read fills it whole (a bulk transfer): on loopback one system call then
 * carries a megabyte or more, and the wake-ups, not the copies, are what a
 * relay pays for (splice(2) through a 64-slot pipe moved 256 KiB at most a
 * call and reached ~0.6x of a direct download where a 4 MiB ring reaches
 * ~1.1x). A tunnel that stays quiet for a second gives its buffers back.
 * libevent 2.1's evbuffer reads at most 4 KiB per call, which is why the
 * bufferevents are not used for plain sockets. What the HTTP stage left in
 * the bufferevents' buffers goes first. A direction's buffer is made when
 * its first byte arrives: many tunnels (a handshake, then a close) never
 * carry any. */
#include "core/wk.h"

#include <sys/socket.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "config/conf.h"
#include "core/alloc.h"
#include "core/bug.h"
#include "core/ring.h"
#include "worker/worker.h"
#include "log/log.h"
#include "sess/relay.h"
#include "sess/session.h"

#define RELAY_BUF_MIN (64u * 1024)
#define RELAY_BUF_MAX (4u << 20)
/* a worker's tunnels together grow their buffers up to this */
#define RELAY_BUF_BUDGET (64u << 20)
/* a tunnel quiet for this long frees its empty buffers */
#define RELAY_BUF_KEEP_MS 1000u
#define RELAY_READS_PER_EVENT 8

/* One direction: src socket -> ring -> dst socket. */
struct relay_dir {
	struct wk_relay *r;
	struct bufferevent *dst_bev; /* its output: bytes to send first */
	int src_fd, dst_fd;
	struct wk_ring ring;
	size_t want; /* the size of the ring's next buffer */
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

/* Buffer memory of the worker's tunnels, also counted for the status page. */
static void
relay_account(struct wk_relay *r, size_t old_size, size_t new_size)
{
	struct wk_worker *w = r->s->w;
	struct wk_stats *st = &w->ctx->stats;
	uint64_t max;

	w->relay_buf_bytes = w->relay_buf_bytes + new_size - old_size;
	if (new_size >= old_size)
		__atomic_add_fetch(&st->tunnel_buf_bytes, new_size - old_size,
		    __ATOMIC_RELAXED);
	else
		__atomic_sub_fetch(&st->tunnel_buf_bytes, old_size - new_size,
		    __ATOMIC_RELAXED);
	max = __atomic_load_n(&st->tunnel_buf_max, __ATOMIC_RELAXED);
	while (new_size > max &&
	    !__atomic_compare_exchange_n(&st->tunnel_buf_max, &max, new_size,
		true, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

static bool
relay_holds_buffers(const struct wk_relay *r)
{
	return r->d[0].ring.buf != NULL || r->d[1].ring.buf != NULL;
}

/* The session timer: the idle bound, and while a buffer is held, the
 * check for a quiet second that frees it. */
static void
relay_arm_timer(struct wk_sess *s)
{
	uint64_t idle_for = wk_sess_now_ms(s) - s->last_active_ms;
	uint64_t next = idle_for < s->idle_ms ? s->idle_ms - idle_for : 1;

	if (relay_holds_buffers(s->relay)) {
		uint64_t keep = idle_for < RELAY_BUF_KEEP_MS ?
		    RELAY_BUF_KEEP_MS - idle_for :
		    RELAY_BUF_KEEP_MS;

		if (keep < next)
			next = keep;
	}
	wk_sess_timer(s, (unsigned)next);
}

/* Gives an empty ring its next buffer: d->want bytes, while the worker's
 * budget allows it (else the ring keeps what it has, 64 KiB at least). */
static void
relay_dir_buffer(struct relay_dir *d)
{
	struct wk_worker *w = d->r->s->w;
	size_t old = d->ring.size, size = d->want;

	if (size > RELAY_BUF_MIN &&
	    w->relay_buf_bytes - old + size > RELAY_BUF_BUDGET)
		size = d->want = WK_MAX(old, (size_t)RELAY_BUF_MIN);
	if (size == old)
		return;
	wk_ring_alloc(&d->ring, size);
	relay_account(d->r, old, size);
	/* the quiet-second check runs while a buffer is held */
	relay_arm_timer(d->r->s);
}

/* Frees the empty buffers of a tunnel that has been quiet; the next byte
 * gets a buffer of the size the last one had. */
static void
relay_release(struct wk_relay *r)
{
	for (int i = 0; i < 2; i++) {
		struct relay_dir *d = &r->d[i];

		if (d->ring.buf != NULL && d->ring.len == 0) {
			relay_account(r, d->ring.size, 0);
			wk_ring_free(&d->ring);
		}
	}
}

/* Sends what is queued for dst: first the bufferevent's output, then the
 * ring. When all is sent, reading resumes, or FIN is passed on after the
 * source's. */
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
	while (d->ring.len > 0) {
		struct iovec iov[2];
		struct msghdr m = { .msg_iov = iov };
		ssize_t n;

		m.msg_iovlen = (size_t)wk_ring_data(&d->ring, iov);
		n = sendmsg(d->dst_fd, &m, MSG_NOSIGNAL);
		if (n > 0) {
			bool all = (size_t)n == d->ring.len;

			wk_ring_drain(&d->ring, (size_t)n);
			/* a short write means the socket is full: asking
			 * again costs a system call to hear EAGAIN */
			if (all)
				continue;
		}
		if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR))) {
			/* a full ring reads again once half of it is free:
			 * fewer, larger reads while the sink is the slow one */
			relay_dir_set(d,
			    d->reading ||
				(!d->src_eof &&
				    d->ring.len <= d->ring.size / 2),
			    true);
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

static void
relay_dir_read(struct relay_dir *d)
{
	struct wk_sess *s = d->r->s;

	if (d->ring.buf == NULL) {
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
		relay_dir_buffer(d);
	}
	for (int i = 0; i < RELAY_READS_PER_EVENT && !s->dead; i++) {
		struct iovec iov[2];
		int cnt;
		bool was_empty;
		size_t space;
		ssize_t n;

		if (d->ring.len == 0 && d->want > d->ring.size)
			relay_dir_buffer(d);
		cnt = wk_ring_space(&d->ring, iov);
		if (cnt == 0) {
			/* the sink is slow: stop reading until it drains */
			relay_dir_set(d, false, true);
			return;
		}
		was_empty = d->ring.len == 0;
		space = iov[0].iov_len + (cnt > 1 ? iov[1].iov_len : 0);
		n = readv(d->src_fd, iov, cnt);
		if (n > 0) {
			/* one read filled the whole buffer: more is waiting,
			 * a bulk transfer; the next buffer is twice as big */
			if (was_empty && (size_t)n == d->ring.size &&
			    d->ring.size < RELAY_BUF_MAX)
				d->want = d->ring.size * 2;
			wk_ring_fill(&d->ring, (size_t)n);
			*d->count += (uint64_t)n;
			s->last_active_ms = wk_sess_now_ms(s);
			relay_dir_flush(d);
			/* a short read drained the socket: the next event
			 * says when there is more (no read for EAGAIN) */
			if ((size_t)n < space)
				return;
			continue;
		}
		if (n == 0) {
			d->src_eof = true;
			relay_dir_set(d, false, d->writing);
			relay_dir_flush(d);
			return;
		}
		if (errno == EAGAIN || errno == EINTR)
			return;
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
		if (!s->dead && d->reading && d->ring.len < d->ring.size)
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
	d->want = RELAY_BUF_MIN;
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
		if (d->ring.buf != NULL) {
			relay_account(r, d->ring.size, 0);
			wk_ring_free(&d->ring);
		}
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

	if (idle_for >= s->idle_ms) {
		wk_sess_close(s, "tunnel idle timeout");
		return;
	}
	if (idle_for >= RELAY_BUF_KEEP_MS)
		relay_release(s->relay);
	relay_arm_timer(s);
}
