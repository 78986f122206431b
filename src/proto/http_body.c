/* src/proto/http_body.c: request bodies on their way upstream: measured
 * by their framing (Content-Length, chunked validated as it passes) and
 * streamed with back-pressure. A chunked body for an origin that speaks
 * HTTP/1.0 only is spooled first (src/sys/spool.c: memory, then a file
 * off the loop) and sent with a Content-Length. */
#include "core/wk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "config/conf.h"
#include "core/alloc.h"
#include "core/bug.h"
#include "log/log.h"
#include "proto/http_int.h"
#include "proto/http_parse.h"
#include "sess/session.h"
#include "sys/spool.h"
#include "worker/worker.h"

int
wk_http_body_measure(enum wk_http_body kind, uint64_t *left,
    struct wk_chunk_scan *c, struct evbuffer *in, size_t *n,
    enum wk_http_err *err)
{
	size_t avail = evbuffer_get_length(in);
	struct evbuffer_iovec v[16];
	int nv;

	*n = 0;
	switch (kind) {
	case WK_HTTP_BODY_LENGTH:
		*n = (size_t)WK_MIN((uint64_t)avail, *left);
		*left -= *n;
		return *left == 0 ? WK_PARSE_DONE : WK_PARSE_NEED_MORE;
	case WK_HTTP_BODY_CHUNKED:
		break;
	default: /* close-delimited, tunnel: everything */
		*n = avail;
		return WK_PARSE_NEED_MORE;
	}
	/* chunked: validate the framing as it passes, a segment at a time */
	nv = evbuffer_peek(in, -1, NULL, v, 16);
	for (int i = 0; i < nv && i < 16; i++) {
		size_t used = 0;
		int res =
		    wk_chunk_scan(c, v[i].iov_base, v[i].iov_len, &used, err);

		*n += used;
		if (res != WK_PARSE_NEED_MORE)
			return res;
	}
	return WK_PARSE_NEED_MORE;
}

size_t
wk_http_body_high(const struct wk_sess *s, int src)
{
	return WK_MAX(2 * wk_sess_read_room(s, (enum wk_side)src),
	    (size_t)HTTP_BODY_HIGH);
}

void
wk_http_req_body(struct wk_sess *s)
{
	struct wk_req *r = &s->req;
	struct evbuffer *in = bufferevent_get_input(s->cli);
	struct evbuffer *out = bufferevent_get_output(s->up);

	while (!r->body_done && evbuffer_get_length(in) > 0) {
		size_t avail = evbuffer_get_length(in), n;
		enum wk_http_err err = WK_HTTP_OK;
		int res = wk_http_body_measure(
		    r->body, &r->body_left, &r->chunk, in, &n, &err);

		if (res == WK_PARSE_ERROR) {
			wk_log_info("sess %llu: bad chunked request body: %s",
			    (unsigned long long)s->id, wk_http_err_str(err));
			if (r->resp == WK_RESP_HEAD)
				wk_http_error(s, 400, "bad-request", false,
				    "%s", wk_http_err_str(err));
			else
				wk_sess_close(s, "bad chunked request body");
			return;
		}
		evbuffer_remove_buffer(in, out, n);
		r->bytes_in += n;
		r->body_started = true;
		r->body_done = res == WK_PARSE_DONE;
		if (n == avail)
			break; /* else: more segments than one peek took */
	}
	if (!r->body_done &&
	    evbuffer_get_length(out) >= wk_http_body_high(s, WK_SIDE_CLI)) {
		wk_sess_reading(s, WK_SIDE_CLI, false);
		s->cli_paused = true;
	}
}

/* --- spooled bodies ----------------------------------------------------- */

static void
http_spool_data_cb(void *arg, const char *p, size_t n)
{
	evbuffer_add(arg, p, n);
}

/* News from the disk thread: room for more, data read back, or an error. */
static void
http_spool_cb(struct wk_spool *sp, void *arg)
{
	struct wk_sess *s = arg;
	struct wk_req *r = &s->req;

	WK_BUG_ON(s->magic != WK_SESS_MAGIC || r->spool != sp);
	wk_sess_enter(s);
	if (wk_spool_error(sp) != NULL) {
		wk_log_err("sess %llu: %s", (unsigned long long)s->id,
		    wk_spool_error(sp));
		if (r->resp == WK_RESP_NONE || r->resp == WK_RESP_HEAD)
			wk_http_error(s, 500, "spool", false,
			    "cannot hold the request body: %s",
			    wk_spool_error(sp));
		else
			wk_sess_close(s, "spool error");
	} else if (r->spooling) {
		if (s->cli_paused) {
			s->cli_paused = false;
			wk_sess_reading(s, WK_SIDE_CLI, true);
		}
		wk_http_spool_read(s);
	} else if (s->up != NULL && !r->body_done) {
		wk_http_spool_send(s);
	}
	wk_sess_leave(s);
}

bool
wk_http_body_begin(struct wk_sess *s, const struct wk_http_head *h)
{
	struct wk_req *r = &s->req;
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

	if (!r->origin10 || r->body_done)
		return false;
	/* the origin will not answer Expect: we do, as we take the body */
	if (h->expect_continue && !r->client_http10) {
		evbuffer_add(
		    bufferevent_get_output(s->cli), cont, sizeof(cont) - 1);
		r->bytes_out += sizeof(cont) - 1;
	}
	if (r->body != WK_HTTP_BODY_CHUNKED)
		return false;
	r->spool = wk_spool_new(s->w, s->w->ctx->spool_dir,
	    s->conf->limit.spool_memory, s->conf->limit.spool_size,
	    http_spool_cb, s);
	r->spooling = true;
	wk_log_debug("sess %llu: %s speaks HTTP/1.0: spooling the chunked "
		     "body",
	    (unsigned long long)s->id, r->host);
	wk_sess_set_state(s, WK_SESS_ST_FORWARD);
	s->idle_ms = s->conf->timeout.upstream_response_ms;
	s->last_active_ms = wk_sess_now_ms(s);
	wk_sess_timer(s, s->idle_ms);
	wk_http_spool_read(s);
	return true;
}

void
wk_http_spool_read(struct wk_sess *s)
{
	struct wk_req *r = &s->req;
	struct evbuffer *in = bufferevent_get_input(s->cli);
	struct evbuffer *data = evbuffer_new();

	r->chunk.on_data = http_spool_data_cb;
	r->chunk.arg = data;
	while (r->spooling && evbuffer_get_length(in) > 0 &&
	    !wk_spool_busy(r->spool)) {
		size_t avail = evbuffer_get_length(in), n;
		enum wk_http_err err = WK_HTTP_OK;
		int res = wk_http_body_measure(
		    r->body, &r->body_left, &r->chunk, in, &n, &err);

		if (res == WK_PARSE_ERROR) {
			evbuffer_free(data);
			wk_http_error(s, 400, "bad-request", false, "%s",
			    wk_http_err_str(err));
			return;
		}
		evbuffer_drain(in, n);
		r->bytes_in += n;
		if (wk_spool_append(r->spool, data) < 0) {
			evbuffer_free(data);
			wk_http_error(s, 413, "too-large", false,
			    "the request body is over %zu bytes (limit "
			    "spool-size), and %s needs its length first",
			    s->conf->limit.spool_size, r->host);
			return;
		}
		if (res == WK_PARSE_DONE)
			r->spooling = false;
		if (n == avail)
			break;
	}
	r->chunk.on_data = NULL;
	evbuffer_free(data);
	if (r->spooling) {
		if (wk_spool_busy(r->spool) && !s->cli_paused) {
			wk_sess_reading(s, WK_SIDE_CLI, false);
			s->cli_paused = true;
		}
		return;
	}
	/* the whole body is here: now the origin */
	wk_log_debug("sess %llu: spooled %llu bytes", (unsigned long long)s->id,
	    (unsigned long long)wk_spool_length(r->spool));
	if (s->intercepted)
		wk_http_forward(s);
	else
		wk_http_decide(s);
}

void
wk_http_spool_head(struct wk_sess *s, struct evbuffer *out)
{
	struct wk_req *r = &s->req;

	/* the head without its last CRLF, then the length */
	evbuffer_add(out, r->out_head, r->out_head_len - 2);
	evbuffer_add_printf(out, "Content-Length: %llu\r\n\r\n",
	    (unsigned long long)wk_spool_length(r->spool));
}

void
wk_http_spool_send(struct wk_sess *s)
{
	struct wk_req *r = &s->req;
	struct evbuffer *out = bufferevent_get_output(s->up);

	while (!r->body_done && evbuffer_get_length(out) < HTTP_BODY_HIGH) {
		ssize_t n = wk_spool_read(
		    r->spool, out, HTTP_BODY_HIGH - evbuffer_get_length(out));

		if (n < 0) {
			wk_log_err("sess %llu: %s", (unsigned long long)s->id,
			    wk_spool_error(r->spool));
			wk_sess_close(s, "spool error");
			return;
		}
		if (n == 0 && !wk_spool_done(r->spool))
			return; /* the disk thread is reading: its callback */
		r->body_started = true;
		r->body_done = wk_spool_done(r->spool);
	}
}
