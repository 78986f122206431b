/* src/sess/errpage.h: responses wicket writes itself (errors, status). */
#ifndef WK_SESS_ERRPAGE_H
#define WK_SESS_ERRPAGE_H

#include "core/wk.h"

struct evbuffer;

/* The reason phrase of a status code ("Bad Gateway"). */
const char *wk_http_reason(int status);

/* Appends a complete response: status line, Content-Type, Content-Length,
 * X-Wicket-Error: code (when code is not NULL), Connection, Via, then body.
 * Returns the bytes appended. */
size_t wk_response_write(struct evbuffer *out, int status, const char *code,
    const char *content_type, const char *body, size_t body_len,
    bool keep_alive, bool client_http10, const char *via);

/* Appends a plain-text error response whose body is msg plus a newline. */
size_t wk_errpage_write(struct evbuffer *out, int status, const char *code,
    const char *msg, bool keep_alive, bool client_http10, const char *via);

#endif
