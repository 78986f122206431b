/* src/admin/status.c: the status page and the health check. */
#include "core/wk.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sys/socket.h>

#include <event2/buffer.h>

#include "admin/status.h"
#include "core/netaddr.h"
#include "pac/pac_gen.h"
#include "sess/errpage.h"
#include "worker/worker.h"

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

static bool
path_is(const char *path, size_t len, const char *lit)
{
	size_t n = strlen(lit);
	const char *q = memchr(path, '?', len);

	if (q != NULL)
		len = (size_t)(q - path);
	return len == n && memcmp(path, lit, n) == 0;
}

/* The generated PAC script, naming the address the client reached. */
static int
status_pac(const struct wk_config *c, const struct sockaddr *local, bool head,
    struct evbuffer *out, bool keep_alive, bool client_http10, const char *via,
    size_t *written)
{
	struct evbuffer *body = evbuffer_new();
	char proxy[WK_ADDRSTRLEN];
	size_t len;
	char *text;

	if (local != NULL && local->sa_family != AF_UNSPEC)
		wk_addr_str(local, proxy, sizeof(proxy));
	else
		wk_pac_proxy_of(c, proxy, sizeof(proxy));
	wk_pac_generate(c, proxy, body);
	len = evbuffer_get_length(body);
	text = (char *)evbuffer_pullup(body, -1);
	*written = wk_response_write(out, 200, NULL, WK_PAC_MIME, text,
	    head ? 0 : len, keep_alive, client_http10, via);
	evbuffer_free(body);
	return 200;
}

int
wk_status_respond(struct wk_worker *w, const struct wk_config *c,
    const struct sockaddr *local, const char *method, const char *path,
    size_t path_len, struct evbuffer *out, bool keep_alive, bool client_http10,
    const char *via, size_t *written)
{
	struct wk_ctx *ctx = w->ctx;
	bool head = strcmp(method, "HEAD") == 0;
	char body[4096];
	int n;

	if (!head && strcmp(method, "GET") != 0) {
		*written = wk_errpage_write(out, 405, "method",
		    "only GET and HEAD are served here", keep_alive,
		    client_http10, via);
		return 405;
	}
	if (path_is(path, path_len, "/health")) {
		*written = wk_response_write(out, 200, NULL,
		    "text/plain; charset=utf-8", "ok\n", head ? 0 : 3,
		    keep_alive, client_http10, via);
		return 200;
	}
	if (path_is(path, path_len, "/proxy.pac") ||
	    path_is(path, path_len, "/wpad.dat"))
		return status_pac(c, local, head, out, keep_alive,
		    client_http10, via, written);
	if (!path_is(path, path_len, "/")) {
		*written = wk_errpage_write(out, 404, "not-found",
		    "wicket serves only /, /health, /proxy.pac and /wpad.dat; "
		    "to use it as a proxy, send absolute-form requests",
		    keep_alive, client_http10, via);
		return 404;
	}
	n = snprintf(body, sizeof(body),
	    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	    "<title>wicket</title></head><body>\n"
	    "<h1>wicket %s</h1>\n<p>A local forward proxy for HTTP and "
	    "SOCKS.</p>\n<table>\n"
	    "<tr><td>uptime</td><td>%lld s</td></tr>\n"
	    "<tr><td>workers</td><td>%u</td></tr>\n"
	    "<tr><td>open connections</td><td>%llu</td></tr>\n"
	    "<tr><td>connections</td><td>%llu</td></tr>\n"
	    "<tr><td>requests</td><td>%llu</td></tr>\n"
	    "<tr><td>tunnels</td><td>%llu</td></tr>\n"
	    "<tr><td>errors</td><td>%llu</td></tr>\n"
	    "<tr><td>bytes from clients</td><td>%llu</td></tr>\n"
	    "<tr><td>bytes to clients</td><td>%llu</td></tr>\n"
	    "<tr><td>tunnel buffers</td><td>%llu</td></tr>\n"
	    "<tr><td>largest tunnel buffer</td><td>%llu</td></tr>\n"
	    "<tr><td>body reads grown by</td><td>%llu</td></tr>\n"
	    "</table>\n<p><a href=\"/health\">/health</a> "
	    "<a href=\"/proxy.pac\">/proxy.pac</a></p>\n"
	    "</body></html>\n",
	    PACKAGE_VERSION, (long long)(time(NULL) - ctx->started),
	    ctx->n_workers, (unsigned long long)LOAD(ctx->stats.conns_open),
	    (unsigned long long)LOAD(ctx->stats.conns_total),
	    (unsigned long long)LOAD(ctx->stats.requests),
	    (unsigned long long)LOAD(ctx->stats.tunnels),
	    (unsigned long long)LOAD(ctx->stats.errors),
	    (unsigned long long)LOAD(ctx->stats.bytes_in),
	    (unsigned long long)LOAD(ctx->stats.bytes_out),
	    (unsigned long long)LOAD(ctx->stats.tunnel_buf_bytes),
	    (unsigned long long)LOAD(ctx->stats.tunnel_buf_max),
	    (unsigned long long)LOAD(ctx->stats.read_room_grown));
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(body))
		n = sizeof(body) - 1;
	*written = wk_response_write(out, 200, NULL, "text/html; charset=utf-8",
	    body, head ? 0 : (size_t)n, keep_alive, client_http10, via);
	return 200;
}
