/* src/sess/relay.c: full-duplex relay between two bufferevents
 * (libevent sample/le-proxy.c, with half-close and an idle bound). */
#include "core/wk.h"

#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "config/conf.h"
#include "core/bug.h"
#include "core/worker.h"
#include "sess/relay.h"
#include "sess/session.h"

#define RELAY_HIGH (512u * 1024) /* stop reading the source past this */
#define RELAY_LOW (128u * 1024)	 /* resume when the sink drains to this */
#define RELAY_READ_MAX (256 * 1024)

static inline bool
relay_is_cli(struct wk_sess *s, struct bufferevent *bev)
{
	return bev == s->cli;
}

/* Ends the tunnel when both directions are finished. */
static bool
relay_check_done(struct wk_sess *s)
{
	if (s->cli_shut && s->up_shut) {
		wk_sess_close(s, "tunnel closed");
		return true;
	}
	return false;
}

/* Sends FIN to dst once its output is flushed and its source ended. */
static void
relay_maybe_shut(struct wk_sess *s, struct bufferevent *dst)
{
	bool to_cli = relay_is_cli(s, dst);
	bool src_eof = to_cli ? s->up_eof : s->cli_eof;
	bool *shut = to_cli ? &s->cli_shut : &s->up_shut;

	if (!src_eof || *shut ||
	    evbuffer_get_length(bufferevent_get_output(dst)) > 0)
		return;
	shutdown(bufferevent_getfd(dst), SHUT_WR);
	*shut = true;
}

static void
relay_move(struct wk_sess *s, struct bufferevent *src)
{
	bool from_cli = relay_is_cli(s, src);
	struct bufferevent *dst = from_cli ? s->up : s->cli;
	struct evbuffer *in = bufferevent_get_input(src);
	struct evbuffer *out = bufferevent_get_output(dst);
	size_t n = evbuffer_get_length(in);

	if (n == 0)
		return;
	if (from_cli)
		s->req.bytes_in += n;
	else
		s->req.bytes_out += n;
	evbuffer_add_buffer(out, in);
	s->last_active_ms = wk_sess_now_ms(s);
	if (evbuffer_get_length(out) >= RELAY_HIGH) {
		bufferevent_disable(src, EV_READ);
		if (from_cli)
			s->cli_paused = true;
		else
			s->up_paused = true;
	}
}

static void
relay_read_cb(struct bufferevent *bev, void *arg)
{
	struct wk_sess *s = arg;

	WK_BUG_ON(s->magic != WK_SESS_MAGIC);
	wk_sess_enter(s);
	relay_move(s, bev);
	wk_sess_leave(s); /* writes what was moved */
}

static void
relay_write_cb(struct bufferevent *bev, void *arg)
{
	struct wk_sess *s = arg;
	bool to_cli;

	WK_BUG_ON(s->magic != WK_SESS_MAGIC);
	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		bufferevent_disable(bev, EV_WRITE); /* see wk_sess_flush */
	to_cli = relay_is_cli(s, bev);
	/* the sink drained: let its source flow again */
	if (to_cli && s->up_paused && !s->up_eof) {
		s->up_paused = false;
		bufferevent_enable(s->up, EV_READ);
	} else if (!to_cli && s->cli_paused && !s->cli_eof) {
		s->cli_paused = false;
		bufferevent_enable(s->cli, EV_READ);
	}
	wk_sess_enter(s);
	relay_maybe_shut(s, bev);
	relay_check_done(s);
	wk_sess_leave(s);
}

static void
relay_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct wk_sess *s = arg;
	bool is_cli;

	WK_BUG_ON(s->magic != WK_SESS_MAGIC);
	is_cli = relay_is_cli(s, bev);
	wk_sess_enter(s);
	if (what & BEV_EVENT_EOF) {
		relay_move(s, bev);
		if (is_cli)
			s->cli_eof = true;
		else
			s->up_eof = true;
		relay_maybe_shut(s, is_cli ? s->up : s->cli);
		relay_check_done(s);
	} else if (what & BEV_EVENT_TIMEOUT) {
		wk_sess_close(s, is_cli ? "client not reading" :
					  "upstream not reading");
	} else {
		wk_sess_close(s, is_cli ? "client reset the tunnel" :
					  "upstream reset the tunnel");
	}
	wk_sess_leave(s);
}

void
wk_relay_start(struct wk_sess *s)
{
	unsigned idle = s->conf->timeout.tunnel_idle_ms;
	struct timeval wto = {idle / 1000, (idle % 1000) * 1000};

	wk_sess_set_state(s, WK_SESS_ST_TUNNEL);
	__atomic_add_fetch(&s->w->ctx->stats.tunnels, 1, __ATOMIC_RELAXED);
	s->cli_paused = s->up_paused = false;
	s->cli_eof = s->up_eof = false;
	s->idle_ms = idle;
	s->last_active_ms = wk_sess_now_ms(s);
	for (int i = 0; i < 2; i++) {
		struct bufferevent *b = i ? s->up : s->cli;

		bufferevent_setcb(b, relay_read_cb, relay_write_cb,
		    relay_event_cb, s);
		bufferevent_setwatermark(b, EV_READ, 0, 0);
		bufferevent_setwatermark(b, EV_WRITE, RELAY_LOW, 0);
		bufferevent_set_max_single_read(b, RELAY_READ_MAX);
		bufferevent_set_max_single_write(b, RELAY_READ_MAX);
		/* a peer that stops reading for the idle bound is gone */
		bufferevent_set_timeouts(b, NULL, &wto);
		bufferevent_enable(b, EV_READ);
	}
	relay_move(s, s->cli);
	relay_move(s, s->up);
	wk_sess_timer(s, idle);
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
