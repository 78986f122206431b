/* src/proto/http_body.c: request bodies on their way upstream: measured
 * by their framing (Content-Length, chunked validated as it passes) and
 * streamed with back-pressure. */
#include "core/wk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "core/alloc.h"
#include "log/log.h"
#include "proto/http_int.h"
#include "proto/http_parse.h"
#include "sess/session.h"

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
	if (!r->body_done && evbuffer_get_length(out) >= HTTP_BODY_HIGH) {
		wk_sess_reading(s, WK_SIDE_CLI, false);
		s->cli_paused = true;
	}
}
