/* src/proto/http_parse.c: strict, incremental HTTP/1.1 head parser and
 * chunked-body scanner (RFC 9110/9112). See doc/HTTP-PARSING.md for the
 * choices made where the RFCs leave room. */
#include "core/wk.h"

#include <string.h>

#include "proto/http_parse.h"

/* Character classes, one byte per octet (no per-byte function calls). */
#define C_TCHAR 0x01u  /* token character (RFC 9110 5.6.2) */
#define C_FVAL 0x02u   /* field-value octet: HTAB SP VCHAR obs-text */
#define C_TARGET 0x04u /* request-target octet: visible ASCII */
#define C_HOST 0x08u   /* reg-name: unreserved, sub-delims, '%' */
#define C_DIGIT 0x10u  /* DIGIT */
#define C_HEX 0x20u    /* HEXDIG */
#define C_QDTEXT 0x40u /* qdtext (RFC 9110 5.6.4) */
#define C_SCHEME 0x80u /* scheme after the first ALPHA */

static const uint8_t cls[256] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* 00 */
	0x00, 0x42, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* 08 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* 10 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* 18 */
	0x42, 0x4f, 0x06, 0x47, 0x4f, 0x4f, 0x4f, 0x4f, /* 20 */
	0x4e, 0x4e, 0x4f, 0xcf, 0x4e, 0xcf, 0xcf, 0x46, /* 28 */
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* 30 */
	0xff, 0xff, 0x46, 0x4e, 0x46, 0x4e, 0x46, 0x46, /* 38 */
	0x46, 0xef, 0xef, 0xef, 0xef, 0xef, 0xef, 0xcf, /* 40 */
	0xcf, 0xcf, 0xcf, 0xcf, 0xcf, 0xcf, 0xcf, 0xcf, /* 48 */
	0xcf, 0xcf, 0xcf, 0xcf, 0xcf, 0xcf, 0xcf, 0xcf, /* 50 */
	0xcf, 0xcf, 0xcf, 0x46, 0x06, 0x46, 0x47, 0x4f, /* 58 */
	0x47, 0xef, 0xef, 0xef, 0xef, 0xef, 0xef, 0xcf, /* 60 */
	0xcf, 0xcf, 0xcf, 0xcf, 0xcf, 0xcf, 0xcf, 0xcf, /* 68 */
	0xcf, 0xcf, 0xcf, 0xcf, 0xcf, 0xcf, 0xcf, 0xcf, /* 70 */
	0xcf, 0xcf, 0xcf, 0x46, 0x47, 0x46, 0x4f, 0x00, /* 78 */
	0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, /* 80 */
	0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, /* 88 */
	0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, /* 90 */
	0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, /* 98 */
	0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, /* a0 */
	0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, /* a8 */
	0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, /* b0 */
	0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, /* b8 */
	0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, /* c0 */
	0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, /* c8 */
	0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, /* d0 */
	0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, /* d8 */
	0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, /* e0 */
	0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, /* e8 */
	0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, /* f0 */
	0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, /* f8 */
};

#define IS(c, k) ((cls[(uint8_t)(c)] & (k)) != 0)
#define IS_WS(c) ((c) == ' ' || (c) == '\t')

/* Defaults when a limit is 0 (or lim is NULL). */
#define DEF_MAX_LINE 8192
#define DEF_MAX_HEAD 65536
#define DEF_MAX_FIELDS 100
#define MAX_EMPTY_LINES 8 /* leading CRLFs tolerated before a start line */
#define CL_MAX ((uint64_t)INT64_MAX) /* Content-Length and chunk-size cap */

/* Internal result of a step: the wk_parse_res values plus "ran out of
 * input inside a bounded window" so the caller picks the right limit. */
#define R_ERR WK_PARSE_ERROR
#define R_MORE WK_PARSE_NEED_MORE
#define R_OK WK_PARSE_DONE

static const char slash[] = "/";

/* Word-at-a-time checks (Bit Twiddling Hacks "hasless"/"hasmore"): the
 * hot loops test 8 bytes per step and fall back to the table for the word
 * that holds the stop byte. */
#define W_ONES 0x0101010101010101ull
#define W_HIGH 0x8080808080808080ull

static uint64_t
w_load(const char *p)
{
	uint64_t x;

	memcpy(&x, p, sizeof(x));
	return x;
}

/* True when none of the 8 bytes is below 0x20 or 0x7f (obs-text passes).
 * HTAB also stops the word loop (rare in values; the table takes it). */
static bool
w_fval(uint64_t x)
{
	uint64_t y = x ^ (W_ONES * 0x7f);

	return ((((x - W_ONES * 0x20) & ~x) | ((y - W_ONES) & ~y)) & W_HIGH) ==
	    0;
}

/* True when all 8 bytes are visible ASCII (0x21-0x7e). */
static bool
w_target(uint64_t x)
{
	return ((((x - W_ONES * 0x21) & ~x) | ((x + W_ONES) | x)) & W_HIGH) ==
	    0;
}

/* Framing facts gathered while the fields are read. */
struct hp_frame {
	bool has_cl;
	bool has_te;
	bool te_bad;	      /* a coding that is not a bare token */
	bool te_last_chunked; /* the last coding seen so far is chunked */
	bool te_chunked_mid;  /* chunked followed by another coding */
	bool te_other;	      /* a coding other than chunked */
	unsigned te_n;	      /* codings seen */
	uint64_t cl;
};

static int
lc(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/* Case-insensitive compare of p[0..n) with the lower-case string s. */
static bool
ieq(const char *p, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\0' || lc((uint8_t)p[i]) != s[i])
			return false;
	}
	return s[n] == '\0';
}

static void
head_reset(struct wk_http_head *h, bool is_request)
{
	static const struct wk_str empty = { "", 0 };

	h->is_request = is_request;
	h->version_minor = 1;
	h->head_len = 0;
	h->method = empty;
	h->target = empty;
	h->target_form = WK_HTTP_TARGET_ORIGIN;
	h->scheme = empty;
	h->host = empty;
	h->port = 0;
	h->port_explicit = false;
	h->path = empty;
	h->path_needs_slash = false;
	h->status = 0;
	h->reason = empty;
	h->n_fields = 0;
	h->body = WK_HTTP_BODY_NONE;
	h->content_length = 0;
	h->conn = 0;
	h->expect_continue = false;
	h->has_host = false;
	h->host_field = empty;
	h->has_upgrade = false;
}

/* Parses "port" digits p[0..n): 1-65535. */
static bool
parse_port(const char *p, size_t n, uint16_t *port)
{
	unsigned v = 0;
	size_t i;

	if (n == 0 || n > 5)
		return false;
	for (i = 0; i < n; i++) {
		if (!IS(p[i], C_DIGIT))
			return false;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	if (v == 0 || v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

/* Validates a host (RFC 3986 IP-literal / IPv4address / reg-name) in
 * p[0..n), without brackets handling: reg-name characters with valid
 * percent-encodings. Empty is refused. */
static bool
valid_reg_name(const char *p, size_t n)
{
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		if (!IS(p[i], C_HOST))
			return false;
		if (p[i] == '%') {
			if (i + 2 >= n || !IS(p[i + 1], C_HEX) ||
			    !IS(p[i + 2], C_HEX))
				return false;
			i += 2;
		}
	}
	return true;
}

/* Inside brackets: IPv6address or IPvFuture, checked loosely (hex digits,
 * ':' and '.', or "v" HEXDIG "." then unreserved/sub-delims/':'). */
static bool
valid_ip_literal(const char *p, size_t n)
{
	size_t i;

	if (n < 2)
		return false;
	if (p[0] == 'v' || p[0] == 'V') {
		for (i = 1; i < n && IS(p[i], C_HEX); i++)
			;
		if (i == 1 || i >= n - 1 || p[i] != '.')
			return false;
		for (i++; i < n; i++) {
			if (p[i] != ':' && (!IS(p[i], C_HOST) || p[i] == '%'))
				return false;
		}
		return true;
	}
	for (i = 0; i < n; i++) {
		if (!IS(p[i], C_HEX) && p[i] != ':' && p[i] != '.')
			return false;
	}
	return memchr(p, ':', n) != NULL;
}

/* Splits an authority "host[:port]" in p[0..n) (no userinfo: '@' is not a
 * host character). Brackets are removed from IP-literals. An empty port
 * after ':' is accepted only when empty_port_ok. Returns false when
 * malformed. *has_port tells whether a port was given. */
static bool
split_authority(const char *p, size_t n, struct wk_str *host, uint16_t *port,
    bool *has_port, bool empty_port_ok)
{
	const char *e = p + n, *colon;

	*has_port = false;
	if (n == 0)
		return false;
	if (p[0] == '[') {
		const char *rb = memchr(p, ']', n);

		if (rb == NULL ||
		    !valid_ip_literal(p + 1, (size_t)(rb - p - 1)))
			return false;
		host->p = p + 1;
		host->len = (size_t)(rb - p - 1);
		colon = rb + 1;
		if (colon == e)
			return true;
		if (*colon != ':')
			return false;
	} else {
		colon = memchr(p, ':', n);
		if (colon == NULL)
			colon = e;
		if (!valid_reg_name(p, (size_t)(colon - p)))
			return false;
		host->p = p;
		host->len = (size_t)(colon - p);
		if (colon == e)
			return true;
	}
	/* colon points at ':' */
	if (colon + 1 == e)
		return empty_port_ok;
	if (!parse_port(colon + 1, (size_t)(e - colon - 1), port))
		return false;
	*has_port = true;
	return true;
}

/* Default port of a scheme, 0 when unknown (then a port is required). */
static uint16_t
scheme_port(struct wk_str s)
{
	if (ieq(s.p, s.len, "http") || ieq(s.p, s.len, "ws"))
		return 80;
	if (ieq(s.p, s.len, "https") || ieq(s.p, s.len, "wss"))
		return 443;
	if (ieq(s.p, s.len, "ftp"))
		return 21;
	return 0;
}

/* Classifies and splits the request-target once the request line is
 * complete (RFC 9112 3.2). */
static enum wk_http_err
parse_target(struct wk_http_head *h)
{
	const char *t = h->target.p, *e = t + h->target.len, *p, *a;
	bool connect =
	    h->method.len == 7 && memcmp(h->method.p, "CONNECT", 7) == 0;
	bool has_port;

	if (connect) {
		/* authority-form, port required */
		h->target_form = WK_HTTP_TARGET_AUTHORITY;
		if (!split_authority(t, h->target.len, &h->host, &h->port,
			&has_port, false) ||
		    !has_port)
			return WK_HTTP_E_TARGET;
		h->port_explicit = true;
		return WK_HTTP_OK;
	}
	if (t[0] == '/') {
		h->target_form = WK_HTTP_TARGET_ORIGIN;
		h->path = h->target;
		return WK_HTTP_OK;
	}
	if (t[0] == '*') {
		if (h->target.len != 1 ||
		    !(h->method.len == 7 &&
			memcmp(h->method.p, "OPTIONS", 7) == 0))
			return WK_HTTP_E_TARGET;
		h->target_form = WK_HTTP_TARGET_ASTERISK;
		h->path = h->target;
		return WK_HTTP_OK;
	}
	/* absolute-form: scheme "://" authority [path-abempty] ["?" query] */
	if (!((t[0] >= 'a' && t[0] <= 'z') || (t[0] >= 'A' && t[0] <= 'Z')))
		return WK_HTTP_E_TARGET;
	for (p = t + 1; p < e && IS(*p, C_SCHEME); p++)
		;
	if (e - p < 3 || memcmp(p, "://", 3) != 0)
		return WK_HTTP_E_TARGET;
	h->target_form = WK_HTTP_TARGET_ABSOLUTE;
	h->scheme.p = t;
	h->scheme.len = (size_t)(p - t);
	a = p + 3;
	for (p = a; p < e && *p != '/' && *p != '?' && *p != '#'; p++)
		;
	if (!split_authority(
		a, (size_t)(p - a), &h->host, &h->port, &has_port, true))
		return WK_HTTP_E_TARGET;
	h->port_explicit = has_port;
	if (!has_port) {
		h->port = scheme_port(h->scheme);
		if (h->port == 0)
			return WK_HTTP_E_TARGET;
	}
	if (p == e) {
		h->path.p = slash;
		h->path.len = 1;
	} else {
		h->path.p = p;
		h->path.len = (size_t)(e - p);
		h->path_needs_slash = *p != '/';
	}
	return WK_HTTP_OK;
}

/* Content-Length = 1#(1*DIGIT); every member and every field must carry
 * the same value (RFC 9110 8.6), capped at INT64_MAX. */
static enum wk_http_err
field_cl(struct hp_frame *f, const char *p, size_t n)
{
	const char *e = p + n, *d;
	uint64_t v;
	unsigned dig;

	for (;;) {
		v = 0;
		for (d = p; p < e && IS(*p, C_DIGIT); p++) {
			dig = (unsigned)(*p - '0');
			if (v > (CL_MAX - dig) / 10)
				return WK_HTTP_E_CL_INVALID;
			v = v * 10 + dig;
		}
		if (p == d)
			return WK_HTTP_E_CL_INVALID;
		if (f->has_cl && v != f->cl)
			return WK_HTTP_E_CL_DIFFERS;
		f->has_cl = true;
		f->cl = v;
		while (p < e && IS_WS(*p))
			p++;
		if (p == e)
			return WK_HTTP_OK;
		if (*p++ != ',')
			return WK_HTTP_E_CL_INVALID;
		while (p < e && IS_WS(*p))
			p++;
	}
}

/* Calls fn on each non-empty element of a comma-separated list, OWS
 * trimmed. Quoted strings are not special (none of our lists use them). */
#define LIST_EACH(v, s, n, body)                                               \
	do {                                                                   \
		const char *le_ = (v).p + (v).len, *lp_ = (v).p, *lt_;         \
		while (lp_ < le_) {                                            \
			while (lp_ < le_ && (IS_WS(*lp_) || *lp_ == ','))      \
				lp_++;                                         \
			s = lp_;                                               \
			while (lp_ < le_ && *lp_ != ',')                       \
				lp_++;                                         \
			for (lt_ = lp_; lt_ > s && IS_WS(lt_[-1]); lt_--)      \
				;                                              \
			n = (size_t)(lt_ - s);                                 \
			if (n > 0) {                                           \
				body                                           \
			}                                                      \
		}                                                              \
	} while (0)

/* Transfer-Encoding: records the codings (RFC 9112 6.1). */
static void
field_te(struct hp_frame *f, struct wk_str v)
{
	const char *s;
	size_t n, i;

	f->has_te = true;
	LIST_EACH(v, s, n, {
		if (f->te_last_chunked)
			f->te_chunked_mid = true;
		f->te_n++;
		for (i = 0; i < n && IS(s[i], C_TCHAR); i++)
			;
		if (i < n) {
			f->te_bad = true;
			f->te_last_chunked = false;
		} else {
			f->te_last_chunked = ieq(s, n, "chunked");
			if (!f->te_last_chunked)
				f->te_other = true;
		}
	});
}

static unsigned
conn_bits(struct wk_str v)
{
	const char *s;
	size_t n;
	unsigned bits = 0;

	LIST_EACH(v, s, n, {
		if (ieq(s, n, "close"))
			bits |= WK_HTTP_CONN_CLOSE;
		else if (ieq(s, n, "keep-alive"))
			bits |= WK_HTTP_CONN_KEEPALIVE;
		else if (ieq(s, n, "upgrade"))
			bits |= WK_HTTP_CONN_UPGRADE;
	});
	return bits;
}

/* True for "Transfer_Encoding" or "Content_Length" (any case): valid
 * tokens, but CGI-style gateways map '-' and '_' to the same variable, so
 * they could frame the body differently. Refused (doc/HTTP-PARSING.md). */
static bool
lookalike(struct wk_str name)
{
	char low[18];
	size_t i;

	if ((name.len != 17 && name.len != 14) ||
	    memchr(name.p, '_', name.len) == NULL)
		return false;
	for (i = 0; i < name.len; i++)
		low[i] = name.p[i] == '_' ? '-' : (char)lc((uint8_t)name.p[i]);
	return ieq(low, name.len, "transfer-encoding") ||
	    ieq(low, name.len, "content-length");
}

/* Interprets the fields that matter for framing and routing, as soon as
 * each is complete, so errors are found before the head ends. */
static enum wk_http_err
field_sem(
    struct wk_http_head *h, struct hp_frame *f, const struct wk_http_field *fl)
{
	const char *n = fl->name.p;
	struct wk_str host;
	uint16_t port;
	bool has_port;
	enum wk_http_err e;

	switch (fl->name.len) {
	case 4:
		if (!h->is_request || !ieq(n, 4, "host"))
			break;
		if (h->has_host)
			return WK_HTTP_E_HOST;
		h->has_host = true;
		h->host_field = fl->value;
		if (fl->value.len > 0 &&
		    !split_authority(fl->value.p, fl->value.len, &host, &port,
			&has_port, true))
			return WK_HTTP_E_HOST;
		break;
	case 6:
		if (h->is_request && ieq(n, 6, "expect") &&
		    wk_http_list_has(fl->value, "100-continue"))
			h->expect_continue = true;
		break;
	case 7:
		if (ieq(n, 7, "upgrade"))
			h->has_upgrade = true;
		break;
	case 10:
		if (ieq(n, 10, "connection"))
			h->conn |= conn_bits(fl->value);
		break;
	case 14:
		if (!ieq(n, 14, "content-length")) {
			if (lookalike(fl->name))
				return WK_HTTP_E_BAD_NAME;
			break;
		}
		e = field_cl(f, fl->value.p, fl->value.len);
		if (e != WK_HTTP_OK)
			return e;
		if (f->has_te)
			return WK_HTTP_E_CL_AND_TE;
		break;
	case 16:
		if (ieq(n, 16, "proxy-connection"))
			h->conn |= conn_bits(fl->value);
		break;
	case 17:
		if (!ieq(n, 17, "transfer-encoding")) {
			if (lookalike(fl->name))
				return WK_HTTP_E_BAD_NAME;
			break;
		}
		if (h->is_request && h->version_minor == 0)
			return WK_HTTP_E_TE_HTTP10;
		field_te(f, fl->value);
		if (f->has_cl)
			return WK_HTTP_E_CL_AND_TE;
		if (h->is_request && f->te_chunked_mid)
			return WK_HTTP_E_TE_NOT_CHUNKED;
		break;
	default:
		break;
	}
	return WK_HTTP_OK;
}

/* Request line in s[0..e): method SP request-target SP HTTP-version CRLF.
 * R_MORE means s[0..e) is a valid prefix; *next is set on R_OK. */
static int
req_line(const char *s, const char *e, struct wk_http_head *h,
    const char **next, enum wk_http_err *err)
{
	static const char ver[] = "HTTP/1.1";
	const char *p = s, *t, *v;
	size_t i;

	while (p < e && IS(*p, C_TCHAR))
		p++;
	if (p == e)
		return R_MORE;
	if (p == s || *p != ' ')
		goto syntax;
	h->method.p = s;
	h->method.len = (size_t)(p - s);
	for (t = ++p; e - p >= 8 && w_target(w_load(p)); p += 8)
		;
	for (; p < e && IS(*p, C_TARGET); p++)
		;
	if (p == e)
		return R_MORE;
	if (p == t || *p != ' ') {
		*err = (p == t || *p == '\r' || *p == '\n') ? WK_HTTP_E_SYNTAX :
							      WK_HTTP_E_TARGET;
		return R_ERR;
	}
	h->target.p = t;
	h->target.len = (size_t)(p - t);
	for (v = ++p, i = 0; i < 8; i++, p++) {
		if (p == e)
			return R_MORE;
		if (i == 5 || i == 7) {
			if (!IS(*p, C_DIGIT))
				goto syntax;
		} else if (*p != ver[i]) {
			goto syntax;
		}
	}
	if (v[5] != '1' || (v[7] != '0' && v[7] != '1')) {
		*err = WK_HTTP_E_VERSION;
		return R_ERR;
	}
	h->version_minor = v[7] - '0';
	if (p == e)
		return R_MORE;
	if (*p == '\n') {
		*err = WK_HTTP_E_BARE_LF;
		return R_ERR;
	}
	if (*p != '\r')
		goto syntax;
	if (++p == e)
		return R_MORE;
	if (*p != '\n') {
		*err = WK_HTTP_E_BARE_CR;
		return R_ERR;
	}
	*next = p + 1;
	return R_OK;
syntax:
	*err = WK_HTTP_E_SYNTAX;
	return R_ERR;
}

/* Status line in s[0..e): HTTP-version SP 3DIGIT [SP reason] CRLF. The SP
 * before an empty reason may be missing (common in the wild). */
static int
status_line(const char *s, const char *e, struct wk_http_head *h,
    const char **next, enum wk_http_err *err)
{
	static const char ver[] = "HTTP/1.1";
	const char *p = s, *r;
	size_t i;
	int code = 0;

	for (i = 0; i < 8; i++, p++) {
		if (p == e)
			return R_MORE;
		if (i == 5 || i == 7) {
			if (!IS(*p, C_DIGIT))
				goto bad;
		} else if (*p != ver[i]) {
			goto bad;
		}
	}
	if (s[5] != '1' || (s[7] != '0' && s[7] != '1')) {
		*err = WK_HTTP_E_VERSION;
		return R_ERR;
	}
	h->version_minor = s[7] - '0';
	if (p == e)
		return R_MORE;
	if (*p++ != ' ')
		goto bad;
	for (i = 0; i < 3; i++, p++) {
		if (p == e)
			return R_MORE;
		if (!IS(*p, C_DIGIT))
			goto bad;
		code = code * 10 + (*p - '0');
	}
	if (code < 100 || code > 599)
		goto bad;
	h->status = code;
	if (p == e)
		return R_MORE;
	r = p;
	if (*p == ' ') {
		for (r = ++p; p < e && IS(*p, C_FVAL); p++)
			;
		if (p == e)
			return R_MORE;
	}
	h->reason.p = r;
	h->reason.len = (size_t)(p - r);
	if (*p == '\n') {
		*err = WK_HTTP_E_BARE_LF;
		return R_ERR;
	}
	if (*p != '\r')
		goto bad;
	if (++p == e)
		return R_MORE;
	if (*p != '\n') {
		*err = WK_HTTP_E_BARE_CR;
		return R_ERR;
	}
	*next = p + 1;
	return R_OK;
bad:
	*err = WK_HTTP_E_STATUS;
	return R_ERR;
}

/* Body framing of a complete request (RFC 9112 6.3). */
static enum wk_http_err
req_framing(struct wk_http_head *h, const struct hp_frame *f)
{
	bool connect =
	    h->method.len == 7 && memcmp(h->method.p, "CONNECT", 7) == 0;

	if (f->has_te) {
		if (f->te_bad || f->te_n == 0 || !f->te_last_chunked ||
		    f->te_chunked_mid)
			return WK_HTTP_E_TE_NOT_CHUNKED;
		if (f->te_other)
			return WK_HTTP_E_TE_UNKNOWN;
		if (connect)
			return WK_HTTP_E_SYNTAX;
		h->body = WK_HTTP_BODY_CHUNKED;
	} else if (f->has_cl && f->cl > 0 && !connect) {
		h->body = WK_HTTP_BODY_LENGTH;
		h->content_length = f->cl;
	}
	if (h->version_minor == 1 && !h->has_host)
		return WK_HTTP_E_HOST;
	return WK_HTTP_OK;
}

/* Body framing of a complete response to req_method (RFC 9112 6.3). */
static void
resp_framing(
    struct wk_http_head *h, const struct hp_frame *f, struct wk_str req_method)
{
	int st = h->status;

	if (st == 101 ||
	    (st / 100 == 2 && req_method.len == 7 &&
		memcmp(req_method.p, "CONNECT", 7) == 0))
		h->body = WK_HTTP_BODY_TUNNEL;
	else if (st / 100 == 1 || st == 204 || st == 304 ||
	    (req_method.len == 4 && memcmp(req_method.p, "HEAD", 4) == 0))
		h->body = WK_HTTP_BODY_NONE;
	else if (f->has_te)
		h->body =
		    (f->te_bad || !f->te_last_chunked || f->te_chunked_mid) ?
		    WK_HTTP_BODY_CLOSE :
		    WK_HTTP_BODY_CHUNKED;
	else if (f->has_cl) {
		h->body = f->cl > 0 ? WK_HTTP_BODY_LENGTH : WK_HTTP_BODY_NONE;
		h->content_length = f->cl;
	} else
		h->body = WK_HTTP_BODY_CLOSE;
}

/* One field line starting at p (not at a CR/LF/WS), within [p, w). On
 * R_OK, the field is appended and *next points past its CRLF. */
static int
field_line(const char *p, const char *w, struct wk_http_head *h,
    const char **next, enum wk_http_err *err)
{
	struct wk_http_field *fl = &h->fields[h->n_fields];
	const char *s = p, *ve;

	while (p < w && IS(*p, C_TCHAR))
		p++;
	if (p == w)
		return R_MORE;
	if (*p != ':' || p == s) {
		*err = (IS_WS(*p) && p > s) ? WK_HTTP_E_WS_BEFORE_COLON :
					      WK_HTTP_E_BAD_NAME;
		return R_ERR;
	}
	fl->name.p = s;
	fl->name.len = (size_t)(p - s);
	for (p++; p < w && IS_WS(*p); p++)
		;
	s = p;
	/* hot loop: most head bytes are field values */
	while (w - p >= 8 && w_fval(w_load(p)))
		p += 8;
	while (p < w && IS(*p, C_FVAL))
		p++;
	if (p == w)
		return R_MORE;
	if (*p != '\r') {
		*err = *p == '\n' ? WK_HTTP_E_BARE_LF : WK_HTTP_E_CTL;
		return R_ERR;
	}
	if (p + 1 == w)
		return R_MORE;
	if (p[1] != '\n') {
		*err = WK_HTTP_E_BARE_CR;
		return R_ERR;
	}
	for (ve = p; ve > s && IS_WS(ve[-1]); ve--)
		;
	fl->value.p = s;
	fl->value.len = (size_t)(ve - s);
	*next = p + 2;
	return R_OK;
}

static int
parse_head(const char *buf, size_t len, const struct wk_http_limits *lim,
    bool is_req, struct wk_str req_method, struct wk_http_head *h,
    enum wk_http_err *err)
{
	size_t max_line = DEF_MAX_LINE, max_head = DEF_MAX_HEAD;
	size_t max_fields = DEF_MAX_FIELDS;
	const char *p = buf, *w, *lw, *next = NULL;
	struct hp_frame f;
	enum wk_http_err e = WK_HTTP_OK;
	bool capped, line_capped;
	int empty = 0, r;

	if (lim != NULL) {
		if (lim->max_line > 0)
			max_line = lim->max_line;
		if (lim->max_head > 0)
			max_head = lim->max_head;
		if (lim->max_fields > 0)
			max_fields = lim->max_fields;
	}
	if (max_fields > WK_HTTP_MAX_FIELDS)
		max_fields = WK_HTTP_MAX_FIELDS;
	capped = len >= max_head;
	w = buf + (capped ? max_head : len);
	memset(&f, 0, sizeof(f));
	head_reset(h, is_req);
	*err = WK_HTTP_OK;

	/* RFC 9112 2.2: ignore at least one empty line before the start */
	while (p < w && (*p == '\r' || *p == '\n')) {
		if (*p == '\n') {
			e = WK_HTTP_E_BARE_LF;
			goto fail;
		}
		if (p + 1 == w)
			goto more;
		if (p[1] != '\n') {
			e = WK_HTTP_E_BARE_CR;
			goto fail;
		}
		if (++empty > MAX_EMPTY_LINES) {
			e = is_req ? WK_HTTP_E_SYNTAX : WK_HTTP_E_STATUS;
			goto fail;
		}
		p += 2;
	}

	line_capped = (size_t)(w - p) >= max_line + 2;
	lw = line_capped ? p + max_line + 2 : w;
	r = is_req ? req_line(p, lw, h, &next, &e) :
		     status_line(p, lw, h, &next, &e);
	if (r == R_ERR)
		goto fail;
	if (r == R_MORE) {
		if (!line_capped)
			goto more;
		e = is_req ? WK_HTTP_E_URI_TOO_LONG : WK_HTTP_E_HEAD_TOO_BIG;
		goto fail;
	}
	p = next;
	if (is_req && (e = parse_target(h)) != WK_HTTP_OK)
		goto fail;

	for (;;) {
		if (p == w)
			goto more;
		if (*p == '\r') {
			if (p + 1 == w)
				goto more;
			if (p[1] != '\n') {
				e = WK_HTTP_E_BARE_CR;
				goto fail;
			}
			p += 2;
			break;
		}
		if (*p == '\n') {
			e = WK_HTTP_E_BARE_LF;
			goto fail;
		}
		if (IS_WS(*p)) {
			/* obs-fold, or white space before the first field
			 * (RFC 9112 2.2: reject) */
			e = h->n_fields > 0 ? WK_HTTP_E_OBS_FOLD :
					      WK_HTTP_E_SYNTAX;
			goto fail;
		}
		if (h->n_fields >= max_fields) {
			e = WK_HTTP_E_TOO_MANY_FIELDS;
			goto fail;
		}
		r = field_line(p, w, h, &next, &e);
		if (r == R_ERR)
			goto fail;
		if (r == R_MORE)
			goto more;
		e = field_sem(h, &f, &h->fields[h->n_fields]);
		if (e != WK_HTTP_OK)
			goto fail;
		h->n_fields++;
		p = next;
	}
	h->head_len = (size_t)(p - buf);
	if (is_req) {
		if ((e = req_framing(h, &f)) != WK_HTTP_OK)
			goto fail;
	} else {
		resp_framing(h, &f, req_method);
	}
	return WK_PARSE_DONE;
more:
	if (!capped)
		return WK_PARSE_NEED_MORE;
	e = WK_HTTP_E_HEAD_TOO_BIG;
fail:
	*err = e;
	return WK_PARSE_ERROR;
}

int
wk_http_parse_request(const char *buf, size_t len,
    const struct wk_http_limits *lim, struct wk_http_head *h,
    enum wk_http_err *err)
{
	static const struct wk_str none = { "", 0 };

	return parse_head(buf, len, lim, true, none, h, err);
}

int
wk_http_parse_response(const char *buf, size_t len,
    const struct wk_http_limits *lim, struct wk_str req_method,
    struct wk_http_head *h, enum wk_http_err *err)
{
	return parse_head(buf, len, lim, false, req_method, h, err);
}

const struct wk_http_field *
wk_http_find(const struct wk_http_head *h, const char *name, size_t *from)
{
	size_t i = from != NULL ? *from : 0, n = strlen(name), j;

	for (; i < h->n_fields; i++) {
		const struct wk_str *fn = &h->fields[i].name;

		if (fn->len != n)
			continue;
		for (j = 0; j < n; j++) {
			if (lc((uint8_t)fn->p[j]) != lc((uint8_t)name[j]))
				break;
		}
		if (j == n) {
			if (from != NULL)
				*from = i + 1;
			return &h->fields[i];
		}
	}
	if (from != NULL)
		*from = h->n_fields;
	return NULL;
}

bool
wk_http_list_has(struct wk_str value, const char *tok)
{
	const char *s;
	size_t n, tl = strlen(tok), j;

	LIST_EACH(value, s, n, {
		if (n == tl) {
			for (j = 0; j < n; j++) {
				if (lc((uint8_t)s[j]) != lc((uint8_t)tok[j]))
					break;
			}
			if (j == n)
				return true;
		}
	});
	return false;
}

int
wk_http_err_status(enum wk_http_err err)
{
	switch (err) {
	case WK_HTTP_OK:
		return 200;
	case WK_HTTP_E_VERSION:
		return 505;
	case WK_HTTP_E_TE_UNKNOWN:
		return 501;
	case WK_HTTP_E_URI_TOO_LONG:
		return 414;
	case WK_HTTP_E_HEAD_TOO_BIG:
	case WK_HTTP_E_TOO_MANY_FIELDS:
		return 431;
	case WK_HTTP_E_STATUS:
		return 502;
	default:
		return 400;
	}
}

const char *
wk_http_err_str(enum wk_http_err err)
{
	static const char *const str[WK_HTTP_E_COUNT] = {
		[WK_HTTP_OK] = "no error",
		[WK_HTTP_E_SYNTAX] = "malformed message",
		[WK_HTTP_E_VERSION] = "HTTP version not supported",
		[WK_HTTP_E_BARE_LF] = "line ended by LF without CR",
		[WK_HTTP_E_BARE_CR] = "CR not followed by LF",
		[WK_HTTP_E_CTL] = "control character in a field value",
		[WK_HTTP_E_OBS_FOLD] = "obsolete line folding",
		[WK_HTTP_E_WS_BEFORE_COLON] =
		    "white space between field name and colon",
		[WK_HTTP_E_BAD_NAME] = "field name is not a token",
		[WK_HTTP_E_CL_INVALID] = "invalid Content-Length",
		[WK_HTTP_E_CL_DIFFERS] = "conflicting Content-Length values",
		[WK_HTTP_E_CL_AND_TE] =
		    "Content-Length and Transfer-Encoding both present",
		[WK_HTTP_E_TE_NOT_CHUNKED] =
		    "Transfer-Encoding does not end in chunked",
		[WK_HTTP_E_TE_UNKNOWN] = "unsupported transfer coding",
		[WK_HTTP_E_TE_HTTP10] =
		    "Transfer-Encoding in an HTTP/1.0 request",
		[WK_HTTP_E_HOST] = "missing, repeated or invalid Host",
		[WK_HTTP_E_TARGET] = "invalid request target",
		[WK_HTTP_E_URI_TOO_LONG] = "request line too long",
		[WK_HTTP_E_HEAD_TOO_BIG] = "header section too large",
		[WK_HTTP_E_TOO_MANY_FIELDS] = "too many header fields",
		[WK_HTTP_E_STATUS] = "invalid status line",
		[WK_HTTP_E_CHUNK_SIZE] = "invalid chunk size",
		[WK_HTTP_E_CHUNK_EXT] = "invalid chunk extension",
		[WK_HTTP_E_CHUNK_CRLF] = "chunk data not followed by CRLF",
		[WK_HTTP_E_TRAILER] = "invalid trailer section",
	};

	if ((unsigned)err >= WK_HTTP_E_COUNT)
		return "unknown error";
	return str[err];
}

/* Chunked scanner states (struct wk_chunk_scan.state). A negative state
 * is a sticky error: -(enum wk_http_err). */
enum cs_state {
	CS_SIZE = 0,	  /* chunk-size hex digits */
	CS_SIZE_WS,	  /* BWS after the size: only ';' may follow */
	CS_EXT_PRE_NAME,  /* after ';', BWS then a name */
	CS_EXT_NAME,	  /* chunk-ext-name */
	CS_EXT_POST_NAME, /* BWS after a name: '=' or ';' */
	CS_EXT_PRE_VAL,	  /* after '=', BWS then token or quoted-string */
	CS_EXT_TOKVAL,	  /* token value */
	CS_EXT_QUOTED,	  /* inside a quoted-string */
	CS_EXT_QESC,	  /* after a backslash in a quoted-string */
	CS_EXT_QCLOSE,	  /* after the closing quote: ';', CR or BWS */
	CS_EXT_POST_VAL,  /* BWS after a value: only ';' may follow */
	CS_SIZE_LF,	  /* CR seen, LF expected */
	CS_DATA,	  /* chunk data: remaining bytes */
	CS_DATA_CR,	  /* CR expected after data */
	CS_DATA_LF,	  /* LF expected after data */
	CS_TR_START,	  /* start of a trailer line (or the final CRLF) */
	CS_TR_NAME,	  /* trailer field name */
	CS_TR_VALUE,	  /* trailer field value */
	CS_TR_LF,	  /* LF expected after a trailer line */
	CS_FINAL_LF,	  /* LF of the final CRLF */
	CS_DONE		  /* body complete */
};

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lc(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
wk_chunk_scan(struct wk_chunk_scan *c, const char *buf, size_t len,
    size_t *used, enum wk_http_err *err)
{
	size_t max_line = c->max_line > 0 ? c->max_line : 4096;
	size_t max_tr = c->max_trailer > 0 ? c->max_trailer : 65536;
	const char *p = buf, *e = buf + len;
	enum wk_http_err er = WK_HTTP_OK;
	int st = c->state, hv;
	uint8_t ch;

	*used = 0;
	*err = WK_HTTP_OK;
	if (st < 0) {
		*err = (enum wk_http_err)(-st);
		return WK_PARSE_ERROR;
	}
	if (st == CS_DONE)
		return WK_PARSE_DONE;
	while (p < e) {
		if (st == CS_DATA) {
			size_t n = (size_t)(e - p);

			if ((uint64_t)n > c->remaining)
				n = (size_t)c->remaining;
			if (c->on_data != NULL && n > 0)
				c->on_data(c->arg, p, n);
			c->remaining -= n;
			c->data_total += n;
			p += n;
			if (c->remaining == 0)
				st = CS_DATA_CR;
			continue;
		}
		ch = (uint8_t)*p++;
		if (st <= CS_SIZE_LF && ++c->line_len > max_line) {
			er = st <= CS_SIZE_WS ? WK_HTTP_E_CHUNK_SIZE :
						WK_HTTP_E_CHUNK_EXT;
			goto fail;
		}
		if (st >= CS_TR_START && st <= CS_FINAL_LF &&
		    ++c->trailer_bytes > max_tr) {
			er = WK_HTTP_E_TRAILER;
			goto fail;
		}
		if (ch == '\n' && st <= CS_EXT_QCLOSE) {
			er = WK_HTTP_E_BARE_LF; /* a chunk line ended by LF */
			goto fail;
		}
		switch (st) {
		case CS_SIZE:
			if ((hv = hexval(ch)) >= 0) {
				if (c->line_len > 16 ||
				    c->remaining > (CL_MAX >> 4)) {
					er = WK_HTTP_E_CHUNK_SIZE;
					goto fail;
				}
				c->remaining =
				    (c->remaining << 4) | (unsigned)hv;
				c->digits = true;
				break;
			}
			if (!c->digits) {
				er = WK_HTTP_E_CHUNK_SIZE;
				goto fail;
			}
			if (ch == '\r')
				st = CS_SIZE_LF;
			else if (ch == ';')
				st = CS_EXT_PRE_NAME;
			else if (IS_WS(ch))
				st = CS_SIZE_WS;
			else {
				er = ch == '\n' ? WK_HTTP_E_BARE_LF :
						  WK_HTTP_E_CHUNK_SIZE;
				goto fail;
			}
			break;
		case CS_SIZE_WS:
			if (ch == ';')
				st = CS_EXT_PRE_NAME;
			else if (!IS_WS(ch)) {
				er = WK_HTTP_E_CHUNK_SIZE;
				goto fail;
			}
			break;
		case CS_EXT_PRE_NAME:
			if (IS(ch, C_TCHAR))
				st = CS_EXT_NAME;
			else if (!IS_WS(ch))
				goto ext;
			break;
		case CS_EXT_NAME:
		case CS_EXT_TOKVAL:
			if (IS(ch, C_TCHAR))
				break;
			if (ch == ';')
				st = CS_EXT_PRE_NAME;
			else if (ch == '\r')
				st = CS_SIZE_LF;
			else if (ch == '=' && st == CS_EXT_NAME)
				st = CS_EXT_PRE_VAL;
			else if (IS_WS(ch))
				st = st == CS_EXT_NAME ? CS_EXT_POST_NAME :
							 CS_EXT_POST_VAL;
			else
				goto ext;
			break;
		case CS_EXT_POST_NAME:
			if (ch == '=')
				st = CS_EXT_PRE_VAL;
			else if (ch == ';')
				st = CS_EXT_PRE_NAME;
			else if (!IS_WS(ch))
				goto ext;
			break;
		case CS_EXT_PRE_VAL:
			if (ch == '"')
				st = CS_EXT_QUOTED;
			else if (IS(ch, C_TCHAR))
				st = CS_EXT_TOKVAL;
			else if (!IS_WS(ch))
				goto ext;
			break;
		case CS_EXT_QUOTED:
			if (ch == '"')
				st = CS_EXT_QCLOSE;
			else if (ch == '\\')
				st = CS_EXT_QESC;
			else if (!IS(ch, C_QDTEXT))
				goto ext;
			break;
		case CS_EXT_QESC:
			if (!IS(ch, C_FVAL))
				goto ext;
			st = CS_EXT_QUOTED;
			break;
		case CS_EXT_QCLOSE:
			if (ch == '\r') {
				st = CS_SIZE_LF;
				break;
			}
			/* FALLTHROUGH */
		case CS_EXT_POST_VAL:
			if (ch == ';')
				st = CS_EXT_PRE_NAME;
			else if (!IS_WS(ch))
				goto ext;
			break;
		case CS_SIZE_LF:
			if (ch != '\n') {
				er = WK_HTTP_E_BARE_CR;
				goto fail;
			}
			c->line_len = 0;
			c->digits = false;
			st = c->remaining > 0 ? CS_DATA : CS_TR_START;
			break;
		case CS_DATA_CR:
			if (ch != '\r') {
				er = WK_HTTP_E_CHUNK_CRLF;
				goto fail;
			}
			st = CS_DATA_LF;
			break;
		case CS_DATA_LF:
			if (ch != '\n') {
				er = WK_HTTP_E_CHUNK_CRLF;
				goto fail;
			}
			st = CS_SIZE;
			break;
		case CS_TR_START:
			if (ch == '\r')
				st = CS_FINAL_LF;
			else if (IS(ch, C_TCHAR))
				st = CS_TR_NAME;
			else {
				er = ch == '\n' ? WK_HTTP_E_BARE_LF :
						  WK_HTTP_E_TRAILER;
				goto fail;
			}
			break;
		case CS_TR_NAME:
			if (ch == ':')
				st = CS_TR_VALUE;
			else if (!IS(ch, C_TCHAR)) {
				er = WK_HTTP_E_TRAILER;
				goto fail;
			}
			break;
		case CS_TR_VALUE:
			if (ch == '\r')
				st = CS_TR_LF;
			else if (!IS(ch, C_FVAL)) {
				er = ch == '\n' ? WK_HTTP_E_BARE_LF :
						  WK_HTTP_E_TRAILER;
				goto fail;
			}
			break;
		case CS_TR_LF:
		case CS_FINAL_LF:
			if (ch != '\n') {
				er = WK_HTTP_E_BARE_CR;
				goto fail;
			}
			if (st == CS_TR_LF) {
				st = CS_TR_START;
				break;
			}
			c->state = CS_DONE;
			*used = (size_t)(p - buf);
			return WK_PARSE_DONE;
		default:
			er = WK_HTTP_E_SYNTAX;
			goto fail;
		}
	}
	c->state = st;
	*used = len;
	return WK_PARSE_NEED_MORE;
ext:
	er = WK_HTTP_E_CHUNK_EXT;
fail:
	c->state = -(int)er;
	*used = (size_t)(p - buf);
	*err = er;
	return WK_PARSE_ERROR;
}
