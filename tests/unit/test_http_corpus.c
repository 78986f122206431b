/* tests/unit/test_http_corpus.c: runs the public HTTP/1.1 conformance
 * corpora in $WK_TESTDATA through the strict parser and prints TAP, one
 * line per applicable case (plan at the end).
 *
 *   llhttp-http1/cases.jsonl          Node.js llhttp request/response cases
 *   rfc9112-framing/cases.jsonl       framing and smuggling shapes
 *   smuggler-te-mutations/gadgets.jsonl  Transfer-Encoding obfuscations
 *
 * Each input is driven like the proxy would: parse a head, skip its body
 * by the framing the parser derived, go on with the next message until
 * the input ends, an error, a tunnel or a "close". What is compared, and
 * why some cases do not apply, is written next to each corpus below and
 * in doc/HTTP-PARSING.md. */
#include "core/wk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proto/http_parse.h"

static int n_test, n_fail;

/* One TAP line: "ok N - corpus what" ('#' in what would start a
 * directive, so it is replaced). */
static void
tap(bool ok, const char *corpus, const char *what)
{
	const char *p;

	n_test++;
	if (!ok)
		n_fail++;
	printf("%s %d - %s ", ok ? "ok" : "not ok", n_test, corpus);
	for (p = what; *p != '\0'; p++)
		putchar(*p == '#' || (uint8_t)*p < 0x20 ? '_' : *p);
	putchar('\n');
}

/* ---- tiny JSON reader: enough for flat JSON Lines objects ---- */

static const char *
json_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	return p;
}

/* Skips a JSON value at p; returns the end, or NULL when malformed. */
static const char *
json_skip(const char *p)
{
	int depth = 0;

	p = json_ws(p);
	do {
		if (*p == '"') {
			for (p++; *p != '"'; p++) {
				if (*p == '\0')
					return NULL;
				if (*p == '\\' && *++p == '\0')
					return NULL;
			}
			p++;
		} else if (*p == '{' || *p == '[') {
			depth++;
			p++;
		} else if (*p == '}' || *p == ']') {
			depth--;
			p++;
		} else if (*p == '\0') {
			return NULL;
		} else if (depth > 0 && (*p == ',' || *p == ':' || *p == ' ')) {
			p++;
		} else {
			while (*p != '\0' && *p != ',' && *p != '}' &&
			    *p != ']' && *p != ' ')
				p++;
		}
	} while (depth > 0);
	return p;
}

/* Value of key in the object at obj, or NULL. */
static const char *
json_get(const char *obj, const char *key)
{
	const char *p = json_ws(obj), *k;
	size_t kl = strlen(key);

	if (*p++ != '{')
		return NULL;
	for (;;) {
		p = json_ws(p);
		if (*p != '"')
			return NULL;
		k = p + 1;
		if ((p = json_skip(p)) == NULL)
			return NULL;
		p = json_ws(p);
		if (*p++ != ':')
			return NULL;
		p = json_ws(p);
		if ((size_t)(p - k) >= kl + 2 && strncmp(k, key, kl) == 0 &&
		    k[kl] == '"')
			return p;
		if ((p = json_skip(p)) == NULL)
			return NULL;
		p = json_ws(p);
		if (*p++ != ',')
			return NULL;
	}
}

/* Decodes the JSON string at p into out (bytes; \u00XX gives one byte,
 * as the corpora use it for latin-1). Returns the length, -1 if not a
 * string. */
static long
json_str(const char *p, char *out, size_t cap)
{
	size_t n = 0;
	unsigned u;

	if (p == NULL || *p != '"')
		return -1;
	for (p++; *p != '"' && *p != '\0'; p++) {
		char c = *p;

		if (c == '\\') {
			switch (*++p) {
			case 'n':
				c = '\n';
				break;
			case 'r':
				c = '\r';
				break;
			case 't':
				c = '\t';
				break;
			case 'b':
				c = '\b';
				break;
			case 'f':
				c = '\f';
				break;
			case 'u':
				if (sscanf(p + 1, "%4x", &u) != 1)
					return -1;
				c = (char)(u & 0xff);
				p += 4;
				break;
			default:
				c = *p;
				break;
			}
		}
		if (n + 1 >= cap)
			return -1;
		out[n++] = c;
	}
	out[n] = '\0';
	return (long)n;
}

static long
json_int(const char *p)
{
	return p != NULL ? strtol(p, NULL, 10) : -1;
}

/* ---- base64 ---- */

static long
b64_decode(const char *s, uint8_t *out, size_t cap)
{
	static const char al[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned acc = 0;
	int bits = 0;
	size_t n = 0;
	const char *q;

	for (; *s != '\0' && *s != '"' && *s != '='; s++) {
		if ((q = strchr(al, *s)) == NULL)
			return -1;
		acc = (acc << 6) | (unsigned)(q - al);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n >= cap)
				return -1;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	return (long)n;
}

/* ---- the driver: what a proxy would do with these bytes ---- */

struct drive {
	int msgs;	      /* complete messages */
	bool error;	      /* the parser refused something */
	enum wk_http_err err; /* which */
	bool stopped;	      /* close, tunnel or upgrade ended the run */
	char body[4096];      /* decoded body bytes of every message */
	size_t body_len;
	struct wk_str host; /* target host of the first request */
	char host_buf[256];
};

static void
drive_data(void *arg, const char *p, size_t n)
{
	struct drive *d = arg;

	if (d->body_len + n <= sizeof(d->body)) {
		memcpy(d->body + d->body_len, p, n);
		d->body_len += n;
	}
}

static bool
is_method(struct wk_str m, const char *s)
{
	return m.len == strlen(s) && memcmp(m.p, s, m.len) == 0;
}

/* Feeds in[0..n) as one piece, and again one byte more at a time for the
 * heads (NEED_MORE must hold until the head is whole). eof: the peer
 * closed after the input (completes a close-delimited body). */
static void
drive(const uint8_t *in, size_t n, bool is_req, bool eof, bool prefixes,
    struct drive *d)
{
	static const struct wk_http_limits lim = { 8192, 65536, 100 };
	static struct wk_http_head h;
	struct wk_str get = { "GET", 3 };
	const char *b = (const char *)in;
	size_t off = 0, k;
	int r;

	memset(d, 0, sizeof(*d));
	while (off < n) {
		for (k = 0; prefixes && k < n - off; k++) {
			r = is_req ? wk_http_parse_request(
					 b + off, k, &lim, &h, &d->err) :
				     wk_http_parse_response(
					 b + off, k, &lim, get, &h, &d->err);
			if (r != WK_PARSE_NEED_MORE)
				break;
		}
		r = is_req ?
		    wk_http_parse_request(b + off, n - off, &lim, &h, &d->err) :
		    wk_http_parse_response(
			b + off, n - off, &lim, get, &h, &d->err);
		if (r == WK_PARSE_ERROR) {
			d->error = true;
			return;
		}
		if (r == WK_PARSE_NEED_MORE)
			return;
		if (prefixes && k != h.head_len) {
			/* a strict prefix of the head was not NEED_MORE */
			d->error = true;
			d->err = WK_HTTP_E_COUNT;
			return;
		}
		if (d->msgs == 0 && is_req) {
			size_t l = WK_MIN(h.host.len, sizeof(d->host_buf) - 1);

			memcpy(d->host_buf, h.host.p, l);
			d->host.p = d->host_buf;
			d->host.len = l;
		}
		off += h.head_len;
		switch (h.body) {
		case WK_HTTP_BODY_NONE:
			break;
		case WK_HTTP_BODY_LENGTH:
			if (n - off < h.content_length)
				return;
			drive_data(d, b + off, (size_t)h.content_length);
			off += (size_t)h.content_length;
			break;
		case WK_HTTP_BODY_CHUNKED: {
			struct wk_chunk_scan c;
			size_t used;

			memset(&c, 0, sizeof(c));
			c.on_data = drive_data;
			c.arg = d;
			r = wk_chunk_scan(&c, b + off, n - off, &used, &d->err);
			if (r == WK_PARSE_ERROR) {
				d->error = true;
				return;
			}
			if (r == WK_PARSE_NEED_MORE)
				return;
			off += used;
			break;
		}
		case WK_HTTP_BODY_CLOSE:
			drive_data(d, b + off, n - off);
			if (eof)
				d->msgs++;
			d->stopped = true;
			return;
		case WK_HTTP_BODY_TUNNEL:
			d->msgs++;
			d->stopped = true;
			return;
		}
		d->msgs++;
		/* the proxy stops reading after these */
		if ((h.conn & WK_HTTP_CONN_CLOSE) ||
		    (h.version_minor == 0 &&
			!(h.conn & WK_HTTP_CONN_KEEPALIVE)) ||
		    (is_req && is_method(h.method, "CONNECT")) ||
		    (is_req && h.has_upgrade &&
			(h.conn & WK_HTTP_CONN_UPGRADE))) {
			d->stopped = true;
			return;
		}
	}
}

static char *
read_line(FILE *f, char **buf, size_t *cap)
{
	ssize_t n = getline(buf, cap, f);

	return n < 0 ? NULL : *buf;
}

/* ---- llhttp-http1 ----
 * Applicable: types "request", "response", "request-finish" and
 * "response-finish" (then EOF), except the runner-option cases "pause"
 * (callback pausing) and "skipBody" (the callback drops a body).
 * Expected: llhttp's accept/reject and message count, where errors 5
 * (data after Connection: close), 22 (CONNECT/Upgrade hand-off) and 23
 * (PRI upgrade) are not errors but "stop reading here"; then adjusted by
 * the strict rules llhttp does not apply (the table below, each with the
 * RFC rule), and one generic rule: an HTTP/1.1 request whose first head
 * has no Host field is refused with E_HOST (RFC 9112 3.2). */
struct override {
	const char *file;
	const char *input_prefix; /* the case's input starts with this */
	enum wk_http_err err;	  /* WK_HTTP_OK: accept with msgs messages */
	int msgs;
	const char *why;
};

static const struct override ll_over[] = {
	{ "request/invalid.md", "ANNOUNCE /music/sweet/music HTTP/1.0",
	    WK_HTTP_OK, 1, "any token is a method (RFC 9110 9.1)" },
	{ "response/finish.md", "HTTP/1.1 200 OK\r\n\r\n", WK_HTTP_OK, 1,
	    "EOF ends a close-delimited body: one message" },
	{ "request/invalid.md", "GET /\r\n", WK_HTTP_E_SYNTAX, 0,
	    "HTTP/0.9 request line" },
	{ "request/sample.md", "GET /\r\n", WK_HTTP_E_SYNTAX, 0,
	    "HTTP/0.9 request line" },
	{ "request/method.md", "M-SEARCH * ", WK_HTTP_E_TARGET, 0,
	    "asterisk-form only for OPTIONS (RFC 9112 3.2.4)" },
	{ "request/method.md", "SOURCE /music/sweet/music ICE/1.0",
	    WK_HTTP_E_SYNTAX, 0, "ICE is not HTTP" },
	{ "request/method.md", "OPTIONS /music/sweet/music RTSP/1.0",
	    WK_HTTP_E_SYNTAX, 0, "RTSP is not HTTP" },
	{ "request/method.md", "ANNOUNCE /music/sweet/music RTSP/1.0",
	    WK_HTTP_E_SYNTAX, 0, "RTSP is not HTTP" },
	{ "request/method.md", "PRI * HTTP/1.1", WK_HTTP_E_TARGET, 0,
	    "h2 preface is not HTTP/1.1 (asterisk-form only for OPTIONS)" },
	{ "request/transfer-encoding.md",
	    "POST /post_identity_body_world?q=search#hey HTTP/1.1\r\n"
	    "Accept: */*\r\nTransfer-Encoding: deflate",
	    WK_HTTP_E_TE_UNKNOWN, 0, "we implement only chunked: 501" },
	{ "request/uri.md", "GET http://a%12:b!&*$@hypnotoad.org",
	    WK_HTTP_E_TARGET, 0, "userinfo in the target (RFC 9110 4.2.4)" },
	{ "response/sample.md", "RTSP/1.1 200", WK_HTTP_E_STATUS, 0,
	    "RTSP is not HTTP" },
	{ "response/sample.md", "ICE/1.1 200", WK_HTTP_E_STATUS, 0,
	    "ICE is not HTTP" },
	{ "response/sample.md", "HTTP/0.9 200", WK_HTTP_E_VERSION, 0,
	    "only HTTP/1.0 and HTTP/1.1" },
};

/* Independent look for a Host line in the first head (case-insensitive). */
static bool
first_head_lacks_host(const uint8_t *in, size_t n)
{
	const char *s = (const char *)in;
	size_t i, end = n;

	while (end >= 2 && memcmp(s, "\r\n", 2) == 0) {
		s += 2;
		end -= 2;
	}
	n = end;
	for (i = 0; i + 3 < n; i++) {
		if (memcmp(s + i, "\r\n\r\n", 4) == 0) {
			end = i + 2;
			break;
		}
	}
	if (i + 3 >= n)
		return false; /* the head is not complete */
	for (i = 0; i + 1 < end; i++) {
		if (s[i] == '\n' && end - i > 5 &&
		    strncasecmp(s + i + 1, "host:", 5) == 0)
			return false;
	}
	for (i = 0; i + 10 <= end; i++) {
		if (memcmp(s + i, "HTTP/1.1\r\n", 10) == 0)
			return true;
		if (s[i] == '\n')
			break;
	}
	return false;
}

static void
run_llhttp(const char *dir)
{
	char path[1024], file[256], type[64], title[256], label[600];
	char *line = NULL;
	size_t cap = 0, ord = 0, i;
	int total = 0, appl = 0, pass = 0, over_used = 0, host_rule = 0;
	static uint8_t in[65536];
	FILE *f;

	snprintf(path, sizeof(path), "%s/llhttp-http1/cases.jsonl", dir);
	if ((f = fopen(path, "r")) == NULL) {
		printf("# llhttp: %s missing, skipped\n", path);
		return;
	}
	while (read_line(f, &line, &cap) != NULL) {
		const char *meta, *errv, *o;
		long n, want_msgs, code = 0;
		bool is_req, eof, want_err, ok;
		enum wk_http_err want_e = WK_HTTP_OK;
		struct drive d;

		total++;
		ord++;
		json_str(json_get(line, "file"), file, sizeof(file));
		json_str(json_get(line, "type"), type, sizeof(type));
		if (json_str(json_get(line, "title"), title, sizeof(title)) <=
		    0)
			snprintf(title, sizeof(title), "#%zu", ord);
		meta = json_get(line, "meta");
		if (strcmp(type, "request") && strcmp(type, "response") &&
		    strcmp(type, "request-finish") &&
		    strcmp(type, "response-finish"))
			continue;
		if (meta == NULL || json_get(meta, "pause") != NULL ||
		    json_get(meta, "skipBody") != NULL)
			continue;
		o = json_get(line, "input_b64");
		if (o == NULL || *o != '"' ||
		    (n = b64_decode(o + 1, in, sizeof(in))) < 0) {
			tap(false, "llhttp (bad input)", file);
			continue;
		}
		appl++;
		is_req = strncmp(type, "request", 7) == 0;
		eof = strstr(type, "-finish") != NULL;
		want_msgs = json_int(json_get(line, "messages_completed"));
		errv = json_get(line, "error");
		if (errv != NULL && *errv == '{')
			code = json_int(json_get(errv, "code"));
		want_err = code != 0 && code != 5 && code != 22 && code != 23;
		for (i = 0; i < WK_ARRAY_LEN(ll_over); i++) {
			size_t pl = strlen(ll_over[i].input_prefix);

			if (strcmp(file, ll_over[i].file) == 0 &&
			    (size_t)n >= pl &&
			    memcmp(in, ll_over[i].input_prefix, pl) == 0) {
				want_err = ll_over[i].err != WK_HTTP_OK;
				want_e = ll_over[i].err;
				want_msgs = ll_over[i].msgs;
				over_used++;
				break;
			}
		}
		if (!want_err && is_req &&
		    first_head_lacks_host(in, (size_t)n)) {
			want_err = true;
			want_e = WK_HTTP_E_HOST;
			host_rule++;
		}
		drive(in, (size_t)n, is_req, eof, true, &d);
		if (want_err)
			ok = d.error &&
			    (want_e == WK_HTTP_OK || d.err == want_e);
		else
			ok = !d.error && d.msgs == want_msgs;
		if (ok)
			pass++;
		snprintf(label, sizeof(label), "%s: %s", file, title);
		if (!ok) {
			printf("# want %s (%s) msgs %ld; got %s '%s' msgs %d\n",
			    want_err ? "reject" : "accept",
			    wk_http_err_str(want_e), want_msgs,
			    d.error ? "reject" : "accept",
			    wk_http_err_str(d.err), d.msgs);
		}
		tap(ok, "llhttp", label);
	}
	free(line);
	fclose(f);
	printf("# llhttp: %d/%d applicable, %d pass (%d by a strict-rule "
	       "override, %d by the Host rule)\n",
	    appl, total, pass, over_used, host_rule);
}

/* ---- rfc9112-framing ----
 * All cases apply. "accept": no error, same message count and body bytes.
 * "reject-400*" / "faulty-framing-close": refused with a 400 error;
 * "reject-400-or-501": 400 or 501. Where the RFC leaves the choice
 * ("accept-or-reject", "reject-400-or-accept"), our decision (see
 * doc/HTTP-PARSING.md) is in the table. "accept-use-target-authority":
 * accepted, and the target's host is reported (not the Host field). */
static const struct {
	const char *id;
	bool accept;
} rfc_choice[] = {
	{ "cl-duplicate-same", true },
	{ "cl-list-same", true },
	{ "te-two-fields", false }, /* gzip then chunked: 501 */
	{ "bare-lf-line-end", false },
	{ "chunk-size-space", false },
	{ "request-line-extra-space", false },
};

static void
run_rfc9112(const char *dir)
{
	char path[1024], id[128], expect[64], body[4096], label[256];
	char *line = NULL;
	size_t cap = 0, i;
	int total = 0, pass = 0;
	static uint8_t in[65536];
	FILE *f;

	snprintf(path, sizeof(path), "%s/rfc9112-framing/cases.jsonl", dir);
	if ((f = fopen(path, "r")) == NULL) {
		printf("# rfc9112: %s missing, skipped\n", path);
		return;
	}
	while (read_line(f, &line, &cap) != NULL) {
		const char *o = json_get(line, "input_b64");
		long n, blen, want_msgs;
		bool ok, accept = false, known = true;
		struct drive d;
		int st;

		total++;
		json_str(json_get(line, "id"), id, sizeof(id));
		json_str(json_get(line, "expect"), expect, sizeof(expect));
		blen = json_str(json_get(line, "body"), body, sizeof(body));
		want_msgs = json_int(json_get(line, "messages"));
		if (o == NULL || (n = b64_decode(o + 1, in, sizeof(in))) < 0) {
			tap(false, "rfc9112 (bad input)", id);
			continue;
		}
		drive(in, (size_t)n, true, false, true, &d);
		st = wk_http_err_status(d.err);
		if (strcmp(expect, "accept") == 0 ||
		    strcmp(expect, "accept-use-target-authority") == 0) {
			accept = true;
		} else if (strcmp(expect, "accept-or-reject") == 0 ||
		    strcmp(expect, "reject-400-or-accept") == 0) {
			known = false;
			for (i = 0; i < WK_ARRAY_LEN(rfc_choice); i++) {
				if (strcmp(id, rfc_choice[i].id) == 0) {
					accept = rfc_choice[i].accept;
					known = true;
				}
			}
		}
		if (!known)
			ok = false; /* a new case needs a recorded decision */
		else if (accept)
			ok = !d.error &&
			    (want_msgs < 0 || d.msgs == want_msgs) &&
			    (blen < 0 ||
				((size_t)blen == d.body_len &&
				    memcmp(body, d.body, d.body_len) == 0));
		else if (strcmp(expect, "reject-400-or-501") == 0 ||
		    strcmp(id, "te-two-fields") == 0)
			ok = d.error && (st == 400 || st == 501);
		else
			ok = d.error && st == 400;
		if (ok && strcmp(expect, "accept-use-target-authority") == 0)
			ok = d.host.len == 9 &&
			    memcmp(d.host.p, "a.example", 9) == 0;
		if (!ok)
			printf(
			    "# %s: expect %s; got %s '%s' msgs %d body %zu\n",
			    id, expect, d.error ? "reject" : "accept",
			    wk_http_err_str(d.err), d.msgs, d.body_len);
		else
			pass++;
		snprintf(label, sizeof(label), "%s (%s)", id, expect);
		tap(ok, "rfc9112", label);
	}
	free(line);
	fclose(f);
	printf("# rfc9112: %d/%d applicable, %d pass\n", total, total, pass);
}

/* ---- smuggler-te-mutations ----
 * Every gadget applies, in both encodings (latin-1 and UTF-8) and in
 * both probes of smuggler's template (TE.CL: CL 6 "0\r\n\r\nX"; CL.TE:
 * CL 4 "1\r\nZ\r\n0\r\n\r\n"). A gadget passes when each of the four
 * requests is refused, or is accepted with plain Content-Length framing
 * and no field left that some parser could take for Transfer-Encoding
 * (its name, lower-cased and stripped of all but letters, is not
 * "transferencoding"). */
static bool
te_lookalike(struct wk_str name)
{
	static const char want[] = "transferencoding";
	size_t i, j = 0;

	for (i = 0; i < name.len; i++) {
		int c = (uint8_t)name.p[i];

		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (c < 'a' || c > 'z')
			continue;
		if (j >= sizeof(want) - 1 || c != want[j++])
			return false;
	}
	return j == sizeof(want) - 1;
}

static bool
smuggle_one(const uint8_t *g, size_t gl, bool te_cl, int *accepted)
{
	static const struct wk_http_limits lim = { 8192, 65536, 100 };
	static struct wk_http_head h;
	static char req[4096];
	const char *body = te_cl ? "0\r\n\r\nX" : "1\r\nZ\r\n0\r\n\r\n";
	enum wk_http_err e;
	size_t n = 0, i;
	int r;

	if (gl > 2048)
		return false;
	memcpy(req, "POST / HTTP/1.1\r\n", 17);
	n = 17;
	memcpy(req + n, g, gl);
	n += gl;
	n += (size_t)snprintf(req + n, sizeof(req) - n,
	    "\r\nHost: example.com\r\nUser-Agent: wicket-corpus\r\n"
	    "Content-type: application/x-www-form-urlencoded; "
	    "charset=UTF-8\r\nContent-Length: %d\r\n\r\n%s",
	    te_cl ? 6 : 4, body);
	r = wk_http_parse_request(req, n, &lim, &h, &e);
	if (r == WK_PARSE_ERROR)
		return true;
	if (r != WK_PARSE_DONE || h.body != WK_HTTP_BODY_LENGTH ||
	    h.content_length != (te_cl ? 6u : 4u))
		return false;
	for (i = 0; i < h.n_fields; i++) {
		if (te_lookalike(h.fields[i].name))
			return false;
	}
	(*accepted)++;
	return true;
}

static void
run_smuggler(const char *dir)
{
	static const char *const enc[] = { "gadget_latin1_b64",
		"gadget_utf8_b64" };
	char path[1024], cfg[64], name[128], label[256];
	char *line = NULL;
	size_t cap = 0, v;
	int total = 0, pass = 0, accepted = 0;
	static uint8_t g[8192];
	FILE *f;

	snprintf(
	    path, sizeof(path), "%s/smuggler-te-mutations/gadgets.jsonl", dir);
	if ((f = fopen(path, "r")) == NULL) {
		printf("# smuggler: %s missing, skipped\n", path);
		return;
	}
	while (read_line(f, &line, &cap) != NULL) {
		bool ok = true;
		int before = accepted;

		total++;
		json_str(json_get(line, "config"), cfg, sizeof(cfg));
		json_str(json_get(line, "name"), name, sizeof(name));
		for (v = 0; v < 2; v++) {
			const char *o = json_get(line, enc[v]);
			long n;

			if (o == NULL ||
			    (n = b64_decode(o + 1, g, sizeof(g))) < 0) {
				ok = false;
				continue;
			}
			ok = smuggle_one(g, (size_t)n, true, &accepted) && ok;
			ok = smuggle_one(g, (size_t)n, false, &accepted) && ok;
		}
		if (ok)
			pass++;
		snprintf(label, sizeof(label), "%s/%s", cfg, name);
		if (accepted != before)
			printf(
			    "# accepted (CL framing, no TE look-alike): %s\n",
			    label);
		tap(ok, "smuggler", label);
	}
	free(line);
	fclose(f);
	printf("# smuggler: %d/%d applicable, %d pass (%d of %d requests "
	       "accepted with harmless framing, the rest refused)\n",
	    total, total, pass, accepted, total * 4);
}

int
main(void)
{
	const char *dir = getenv("WK_TESTDATA");
	char probe[1024];
	FILE *f;

	if (dir == NULL || *dir == '\0') {
		printf("1..0 # SKIP corpora not found\n");
		return 0;
	}
	snprintf(probe, sizeof(probe), "%s/llhttp-http1/cases.jsonl", dir);
	if ((f = fopen(probe, "r")) == NULL) {
		snprintf(probe, sizeof(probe), "%s/rfc9112-framing/cases.jsonl",
		    dir);
		if ((f = fopen(probe, "r")) == NULL) {
			printf("1..0 # SKIP corpora not found\n");
			return 0;
		}
	}
	fclose(f);
	run_llhttp(dir);
	run_rfc9112(dir);
	run_smuggler(dir);
	printf("1..%d\n", n_test);
	return n_fail > 0 ? 1 : 0;
}
