/* src/sess/errpage.c: wicket's own responses. */
#include "core/wk.h"

#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "sess/errpage.h"

const char *
wk_http_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 413:
		return "Content Too Large";
	case 414:
		return "URI Too Long";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	case 505:
		return "HTTP Version Not Supported";
	case 508:
		return "Loop Detected";
	default:
		return "Error";
	}
}

size_t
wk_response_write(struct evbuffer *out, int status, const char *code,
    const char *content_type, const char *body, size_t body_len,
    bool keep_alive, bool client_http10, const char *via)
{
	char head[512];
	int n;

	n = snprintf(head, sizeof(head),
	    "HTTP/1.1 %d %s\r\n"
	    "Content-Type: %s\r\n"
	    "Content-Length: %zu\r\n"
	    "Cache-Control: no-store\r\n"
	    "%s%s%s"
	    "%s"
	    "Via: 1.1 %s\r\n"
	    "\r\n",
	    status, wk_http_reason(status), content_type, body_len,
	    code ? "X-Wicket-Error: " : "", code ? code : "",
	    code ? "\r\n" : "",
	    !keep_alive	      ? "Connection: close\r\n" :
		client_http10 ? "Connection: keep-alive\r\n" :
				"",
	    via ? via : "wicket");
	if (n < 0 || (size_t)n >= sizeof(head))
		n = 0;
	evbuffer_add(out, head, (size_t)n);
	evbuffer_add(out, body, body_len);
	return (size_t)n + body_len;
}

size_t
wk_errpage_write(struct evbuffer *out, int status, const char *code,
    const char *msg, bool keep_alive, bool client_http10, const char *via)
{
	char body[1024];
	int n = snprintf(body, sizeof(body), "%d %s: %s\n", status,
	    wk_http_reason(status), msg);

	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(body))
		n = sizeof(body) - 1;
	return wk_response_write(out, status, code, "text/plain; charset=utf-8",
	    body, (size_t)n, keep_alive, client_http10, via);
}
