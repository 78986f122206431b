/* src/proto/http_response.c: responses on their way to the client: the
 * head parsed and rewritten (interim responses relayed, 101 handed to the
 * relay, Set-Cookie to the jar), the body streamed with back-pressure,
 * re-framed for HTTP/1.0 clients. */
#include "core/wk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "core/alloc.h"
#include "core/bug.h"
#include "log/log.h"
#include "proto/http_int.h"
#include "proto/http_parse.h"
#include "sess/session.h"
#include "cookie/cookies.h"
#include "proto/http_cookies.h"
#include "proto/http_decode.h"
#include "zone/zone.h"
#include "proto/http_rewrite.h"
#include "sess/relay.h"
#include "upstream/origin_ver.h"
#include "worker/worker.h"

/* The data of a chunked response: to the decoder, or straight to an
 * HTTP/1.0 client (which reads to the close). */
static void
http_resp_dechunk_cb(void *arg, const char *p, size_t n)
{
	struct wk_sess *s = arg;

	if (s->req.decode != NULL) {
		wk_http_decode_add(s->req.decode, p, n);
		return;
	}
	evbuffer_add(bufferevent_get_output(s->cli), p, n);
	s->req.bytes_out += n;
}

void
wk_http_resp_done(struct wk_sess *s)
{
	struct wk_req *r = &s->req;
	bool keep_up = r->resp_keep_up && r->body_done;
	bool keep_cli;

	r->resp = WK_RESP_DONE;
	if (r->decode != NULL)
		bufferevent_setwatermark(s->cli, EV_WRITE, HTTP_BODY_LOW, 0);
	keep_cli =
	    r->keep_alive && r->body_done && !s->cli_eof && !s->w->draining;
	if (s->up != NULL &&
	    evbuffer_get_length(bufferevent_get_input(s->up)) > 0)
		keep_up = false; /* bytes past the response: not reusable */
	wk_sess_drop_upstream(s, keep_up);
	wk_http_finish(s, keep_cli, "ok");
}

/* Stops reading the origin while the client's output is full; the
 * client's write callback resumes it. */
static void
http_resp_pause(struct wk_sess *s)
{
	if (s->up_paused)
		return;
	if (!s->req.resp_ended)
		wk_sess_reading(s, WK_SIDE_UP, false);
	s->up_paused = true;
}

/* Decodes what the body brought so far into the client's output. */
static enum wk_http_decode_res
http_resp_decode(struct wk_sess *s)
{
	struct wk_req *r = &s->req;
	uint64_t written = 0;
	enum wk_http_decode_res res =
	    wk_http_decode_run(r->decode, bufferevent_get_output(s->cli),
		HTTP_BODY_HIGH, r->resp_ended, &written);

	r->bytes_out += written;
	switch (res) {
	case WK_HTTP_DECODE_DONE:
		wk_http_resp_done(s);
		break;
	case WK_HTTP_DECODE_FAIL: {
		bool bomb = wk_http_decode_limited(r->decode);

		/* what was decoded goes out, then the close: without the
		 * last chunk (or short of a length) the client sees the cut */
		wk_log_notice("sess %llu: %s %s: %s body from %s %s: %s; "
			      "response cut off",
		    (unsigned long long)s->id, r->method, r->target,
		    wk_http_decode_name(r->decode), r->upstream,
		    bomb ? "over a decompression limit" : "is corrupt",
		    wk_http_decode_error(r->decode));
		wk_http_close_after_flush(
		    s, bomb ? "decompression limit" : "corrupt encoded body");
		break;
	}
	case WK_HTTP_DECODE_FULL:
		http_resp_pause(s);
		break;
	case WK_HTTP_DECODE_MORE:
	case WK_HTTP_DECODE_WAIT:
		break;
	}
	return res;
}

/* A block decoded on the pool is back. */
static void
http_resp_decoded(void *arg)
{
	struct wk_sess *s = arg;

	WK_BUG_ON(s->magic != WK_SESS_MAGIC);
	wk_sess_enter(s);
	if (s->req.decode != NULL && s->req.resp == WK_RESP_BODY)
		wk_http_resp_body(s);
	wk_sess_leave(s);
}

void
wk_http_resp_body(struct wk_sess *s)
{
	struct wk_req *r = &s->req;
	struct evbuffer *in = bufferevent_get_input(s->up);
	struct evbuffer *out = bufferevent_get_output(s->cli);

again:
	/* a decoding takes more only once it has caught up */
	while (!r->resp_ended && evbuffer_get_length(in) > 0 &&
	    (r->decode == NULL ||
		wk_http_decode_queued(r->decode) < HTTP_BODY_HIGH)) {
		size_t avail = evbuffer_get_length(in), n;
		enum wk_http_err err = WK_HTTP_OK;
		int res = wk_http_body_measure(
		    r->resp_body, &r->resp_left, &r->resp_chunk, in, &n, &err);

		if (res == WK_PARSE_ERROR) {
			wk_log_info("sess %llu: bad chunked response from %s: "
				    "%s",
			    (unsigned long long)s->id, r->upstream,
			    wk_http_err_str(err));
			wk_sess_close(s, "bad chunked response");
			return;
		}
		if (r->resp_dechunk) {
			evbuffer_drain(in, n); /* the data went to the cb */
		} else if (r->decode != NULL) {
			wk_http_decode_add_buffer(r->decode, in, n);
		} else {
			evbuffer_remove_buffer(in, out, n);
			r->bytes_out += n;
		}
		r->resp_ended = res == WK_PARSE_DONE;
		if (n == avail)
			break;
	}
	if (r->decode != NULL) {
		/* the input may have stopped at its read limit while a block
		 * was on the pool: there is room again */
		if (!r->resp_ended && !s->up_paused &&
		    !s->reading[WK_SIDE_UP] &&
		    evbuffer_get_length(in) < s->read_limit[WK_SIDE_UP])
			wk_sess_reading(s, WK_SIDE_UP, true);
		/* a block back from the pool may have used up the queue
		 * while the input waited for room in it: no read event
		 * comes for that input (reading stops at the read limit) */
		if (http_resp_decode(s) == WK_HTTP_DECODE_MORE &&
		    !r->resp_ended && evbuffer_get_length(in) > 0)
			goto again;
		return;
	}
	if (r->resp_ended) {
		wk_http_resp_done(s);
		return;
	}
	if (evbuffer_get_length(out) >= wk_http_body_high(s, WK_SIDE_UP))
		http_resp_pause(s);
}

static void
http_start_upgrade(struct wk_sess *s)
{
	/* bytes already read from either side belong to the new protocol */
	wk_relay_start(s);
}

void
wk_http_resp_head(struct wk_sess *s)
{
	struct wk_req *r = &s->req;
	struct evbuffer *in = bufferevent_get_input(s->up);
	struct evbuffer *out = bufferevent_get_output(s->cli);
	struct wk_http_limits lim = { HTTP_RESP_MAX_LINE, HTTP_RESP_MAX_HEAD,
		WK_HTTP_MAX_FIELDS };
	struct wk_str method = { r->method, strlen(r->method) };

	for (;;) {
		size_t len = WK_MIN(
		    evbuffer_get_length(in), (size_t)HTTP_RESP_MAX_HEAD + 4);
		struct wk_http_head h;
		enum wk_http_err err = WK_HTTP_OK;
		const char *p;
		int res;

		if (len == 0)
			return;
		p = (const char *)evbuffer_pullup(in, (ev_ssize_t)len);
		res = wk_http_parse_response(p, len, &lim, method, &h, &err);
		if (res == WK_PARSE_NEED_MORE)
			return;
		if (res == WK_PARSE_ERROR) {
			wk_http_error(s, 502, "bad-response", true,
			    "%s sent a malformed response: %s", r->upstream,
			    wk_http_err_str(err));
			return;
		}
		s->last_active_ms = wk_sess_now_ms(s);
		if (h.status >= 100 && h.status < 200 && h.status != 101) {
			/* interim: relayed, except to HTTP/1.0 clients */
			if (!r->client_http10) {
				struct wk_resp_rewrite o = { .via =
								 wk_http_via(s),
					.keep_alive = true };
				size_t before = evbuffer_get_length(out);

				wk_http_write_response(out, &h, &o);
				r->bytes_out +=
				    evbuffer_get_length(out) - before;
			}
			evbuffer_drain(in, h.head_len);
			continue;
		}
		if (h.status == 101) {
			if (!r->upgrade) {
				wk_http_error(s, 502, "bad-response", false,
				    "%s switched protocols unasked",
				    r->upstream);
				return;
			}
			struct wk_resp_rewrite o = { .via = wk_http_via(s),
				.upgrade = true };
			size_t before = evbuffer_get_length(out);

			wk_http_write_response(out, &h, &o);
			r->bytes_out += evbuffer_get_length(out) - before;
			r->status = 101;
			evbuffer_drain(in, h.head_len);
			http_start_upgrade(s);
			return;
		}

		r->status = h.status;
		if (!r->absolute && r->host != NULL)
			wk_origin_ver_note(r->host, r->port, h.version_minor);
		r->resp_body = h.body;
		r->resp_left = h.content_length;
		r->resp_keep_up = h.version_minor == 1 ?
		    (h.conn & WK_HTTP_CONN_CLOSE) == 0 :
		    (h.conn & WK_HTTP_CONN_KEEPALIVE) != 0;
		if (h.body == WK_HTTP_BODY_CLOSE ||
		    h.body == WK_HTTP_BODY_TUNNEL)
			r->resp_keep_up = false;
		struct wk_decode_plan plan;
		const struct wk_zone *z =
		    r->zone != NULL ? r->zone : r->head_zone;
		bool decode = wk_http_decode_wanted(r, z, &h, &plan);
		/* does the client see where the body ends? */
		bool framed = decode ? !r->client_http10 :
				       h.body != WK_HTTP_BODY_CLOSE &&
			!(r->client_http10 && h.body == WK_HTTP_BODY_CHUNKED);

		if (decode) {
			r->decode = wk_http_decode_new(&plan, s->conf,
			    !r->client_http10, s->w, http_resp_decoded, s);
			/* the client's write callback resumes the decoding
			 * early enough to keep it busy (see http_decode.c) */
			bufferevent_setwatermark(
			    s->cli, EV_WRITE, wk_http_decode_resume_mark(), 0);
		}
		r->resp_dechunk = h.body == WK_HTTP_BODY_CHUNKED &&
		    (r->client_http10 || decode);
		if (!framed || !r->body_done)
			r->keep_alive = false;
		memset(&r->resp_chunk, 0, sizeof(r->resp_chunk));
		if (r->resp_dechunk) {
			r->resp_chunk.on_data = http_resp_dechunk_cb;
			r->resp_chunk.arg = s;
		}
		struct wk_resp_rewrite o = {
			.via = wk_http_via(s),
			.keep_alive =
			    r->keep_alive && !s->w->draining && !s->cli_eof,
			.client_http10 = r->client_http10,
			.dechunk = r->resp_dechunk,
			.drop_set_cookie =
			    r->cookies == WK_ZONE_COOKIES_JAR_ONLY,
			.decoded = decode,
		};
		if (r->path != NULL)
			wk_http_cookies_response(wk_cookies_jar(), r->cookies,
			    &h, r->host, r->path, s->intercepted || r->https);
		size_t before = evbuffer_get_length(out);
		wk_http_write_response(out, &h, &o);
		r->bytes_out += evbuffer_get_length(out) - before;
		evbuffer_drain(in, h.head_len);
		r->resp = WK_RESP_BODY;
		if (h.body == WK_HTTP_BODY_NONE ||
		    (h.body == WK_HTTP_BODY_LENGTH && h.content_length == 0)) {
			wk_http_resp_done(s);
			return;
		}
		wk_http_resp_body(s);
		return;
	}
}
