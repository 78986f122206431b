/* src/proto/socks_parse.c: SOCKS4/4a and SOCKS5 messages, both sides.
 * Every parser is handed the bytes received so far from the start of its
 * message; it never reads past len. */
#include "core/wk.h"

#include <stdio.h>
#include <string.h>

#include "proto/socks_parse.h"

#define SOCKS_NAME_MAX 255

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static int
socks_error(enum wk_socks_err *err, enum wk_socks_err e)
{
	*err = e;
	return WK_PARSE_ERROR;
}

/* A name as sent: no NUL or control bytes (UTF-8 is fine). */
static bool
socks_name_ok(const uint8_t *p, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] == 0x7f)
			return false;
	return true;
}

/* Reads ATYP ADDR PORT at p (len bytes available). Returns DONE with
 * *used, NEED_MORE, or ERROR (E_ATYP, E_NAME, or bad_atyp_err). */
static int
socks_parse_addr(const uint8_t *p, size_t len, struct wk_socks_target *t,
    size_t *used, enum wk_socks_err *err, enum wk_socks_err bad_atyp)
{
	size_t need;

	if (len < 1)
		return WK_PARSE_NEED_MORE;
	memset(t, 0, sizeof(*t));
	switch (p[0]) {
	case WK_SOCKS_ATYP_IPV4:
		need = 1 + 4 + 2;
		if (len < need)
			return WK_PARSE_NEED_MORE;
		memcpy(t->addr, p + 1, 4);
		break;
	case WK_SOCKS_ATYP_IPV6:
		need = 1 + 16 + 2;
		if (len < need)
			return WK_PARSE_NEED_MORE;
		memcpy(t->addr, p + 1, 16);
		break;
	case WK_SOCKS_ATYP_NAME:
		if (len < 2)
			return WK_PARSE_NEED_MORE;
		need = 2 + (size_t)p[1] + 2;
		if (p[1] == 0)
			return socks_error(err, WK_SOCKS_E_NAME);
		/* refuse a bad byte as soon as it is here */
		if (len > 2 &&
		    !socks_name_ok(p + 2, WK_MIN((size_t)p[1], len - 2)))
			return socks_error(err, WK_SOCKS_E_NAME);
		if (len < need)
			return WK_PARSE_NEED_MORE;
		memcpy(t->name, p + 2, p[1]);
		t->name[p[1]] = '\0';
		break;
	default:
		return socks_error(err, bad_atyp);
	}
	t->atyp = (enum wk_socks_atyp)p[0];
	t->port = get16(p + need - 2);
	*used = need;
	return WK_PARSE_DONE;
}

static size_t
socks_build_addr(uint8_t *out, size_t len, const struct wk_socks_target *t)
{
	size_t n;

	switch (t->atyp) {
	case WK_SOCKS_ATYP_IPV4:
		n = 1 + 4 + 2;
		if (len < n)
			return 0;
		memcpy(out + 1, t->addr, 4);
		break;
	case WK_SOCKS_ATYP_IPV6:
		n = 1 + 16 + 2;
		if (len < n)
			return 0;
		memcpy(out + 1, t->addr, 16);
		break;
	case WK_SOCKS_ATYP_NAME: {
		size_t nl = strlen(t->name);

		if (nl == 0 || nl > SOCKS_NAME_MAX)
			return 0;
		n = 2 + nl + 2;
		if (len < n)
			return 0;
		out[1] = (uint8_t)nl;
		memcpy(out + 2, t->name, nl);
		break;
	}
	default:
		return 0;
	}
	out[0] = (uint8_t)t->atyp;
	put16(out + n - 2, t->port);
	return n;
}

/* A NUL-terminated string of at most 255 bytes starting at p. */
static int
socks_cstring(const uint8_t *p, size_t len, char *dst, size_t *used,
    enum wk_socks_err *err)
{
	const uint8_t *nul = memchr(p, 0, WK_MIN(len, SOCKS_NAME_MAX + 1));

	if (nul == NULL)
		return len > SOCKS_NAME_MAX ?
		    socks_error(err, WK_SOCKS_E_TOO_LONG) :
		    WK_PARSE_NEED_MORE;
	memcpy(dst, p, (size_t)(nul - p) + 1);
	*used = (size_t)(nul - p) + 1;
	return WK_PARSE_DONE;
}

/* --- server side --------------------------------------------------------- */

int
wk_socks4_parse_request(const uint8_t *buf, size_t len, struct wk_socks4_req *r,
    size_t *used, enum wk_socks_err *err)
{
	size_t off = 8, n;
	int res;

	if (len < 1)
		return WK_PARSE_NEED_MORE;
	if (buf[0] != 4)
		return socks_error(err, WK_SOCKS_E_VERSION);
	if (len < 8)
		return WK_PARSE_NEED_MORE;
	memset(r, 0, sizeof(*r));
	r->cmd = buf[1];
	r->t.port = get16(buf + 2);
	memcpy(r->t.addr, buf + 4, 4);
	r->t.atyp = WK_SOCKS_ATYP_IPV4;
	res = socks_cstring(buf + off, len - off, r->userid, &n, err);
	if (res != WK_PARSE_DONE)
		return res;
	off += n;
	/* 0.0.0.x, x != 0: SOCKS4a, a host name follows */
	if (buf[4] == 0 && buf[5] == 0 && buf[6] == 0 && buf[7] != 0) {
		r->is_4a = true;
		res = socks_cstring(buf + off, len - off, r->t.name, &n, err);
		if (res != WK_PARSE_DONE)
			return res;
		if (!socks_name_ok((const uint8_t *)r->t.name, n - 1))
			return socks_error(err, WK_SOCKS_E_NAME);
		off += n;
		r->t.atyp = WK_SOCKS_ATYP_NAME;
		memset(r->t.addr, 0, sizeof(r->t.addr));
	}
	if (r->cmd != WK_SOCKS_CMD_CONNECT && r->cmd != WK_SOCKS_CMD_BIND)
		return socks_error(err, WK_SOCKS_E_COMMAND);
	*used = off;
	return WK_PARSE_DONE;
}

int
wk_socks5_parse_greeting(const uint8_t *buf, size_t len,
    struct wk_socks5_greeting *g, size_t *used, enum wk_socks_err *err)
{
	if (len < 1)
		return WK_PARSE_NEED_MORE;
	if (buf[0] != 5)
		return socks_error(err, WK_SOCKS_E_VERSION);
	if (len < 2)
		return WK_PARSE_NEED_MORE;
	if (buf[1] == 0)
		return socks_error(err, WK_SOCKS_E_NO_METHODS);
	if (len < 2 + (size_t)buf[1])
		return WK_PARSE_NEED_MORE;
	g->n_methods = buf[1];
	memcpy(g->methods, buf + 2, buf[1]);
	*used = 2 + (size_t)buf[1];
	return WK_PARSE_DONE;
}

bool
wk_socks5_greeting_offers(const struct wk_socks5_greeting *g, uint8_t method)
{
	return memchr(g->methods, method, g->n_methods) != NULL;
}

int
wk_socks5_parse_auth(const uint8_t *buf, size_t len, struct wk_socks5_auth *a,
    size_t *used, enum wk_socks_err *err)
{
	size_t ulen, plen;

	if (len < 1)
		return WK_PARSE_NEED_MORE;
	if (buf[0] != 1)
		return socks_error(err, WK_SOCKS_E_AUTH_VERSION);
	if (len < 2)
		return WK_PARSE_NEED_MORE;
	ulen = buf[1];
	if (ulen == 0)
		return socks_error(err, WK_SOCKS_E_EMPTY_USER);
	if (len < 2 + ulen + 1)
		return WK_PARSE_NEED_MORE;
	plen = buf[2 + ulen];
	if (len < 3 + ulen + plen)
		return WK_PARSE_NEED_MORE;
	memcpy(a->user, buf + 2, ulen);
	a->user[ulen] = '\0';
	memcpy(a->pass, buf + 3 + ulen, plen);
	a->pass[plen] = '\0';
	*used = 3 + ulen + plen;
	return WK_PARSE_DONE;
}

int
wk_socks5_parse_request(const uint8_t *buf, size_t len, struct wk_socks5_req *r,
    size_t *used, enum wk_socks_err *err)
{
	size_t n;
	int res;

	if (len < 1)
		return WK_PARSE_NEED_MORE;
	if (buf[0] != 5)
		return socks_error(err, WK_SOCKS_E_VERSION);
	if (len < 3)
		return WK_PARSE_NEED_MORE;
	if (buf[2] != 0)
		return socks_error(err, WK_SOCKS_E_RESERVED);
	res =
	    socks_parse_addr(buf + 3, len - 3, &r->t, &n, err, WK_SOCKS_E_ATYP);
	if (res != WK_PARSE_DONE)
		return res;
	r->cmd = buf[1];
	if (r->cmd < WK_SOCKS_CMD_CONNECT || r->cmd > WK_SOCKS_CMD_UDP)
		return socks_error(err, WK_SOCKS_E_COMMAND);
	*used = 3 + n;
	return WK_PARSE_DONE;
}

int
wk_socks5_parse_udp(const uint8_t *buf, size_t len, struct wk_socks5_udp *u,
    enum wk_socks_err *err)
{
	size_t n;
	int res;

	if (len < 4)
		return socks_error(err, WK_SOCKS_E_REPLY);
	if (buf[0] != 0 || buf[1] != 0)
		return socks_error(err, WK_SOCKS_E_RESERVED);
	u->frag = buf[2];
	res =
	    socks_parse_addr(buf + 3, len - 3, &u->t, &n, err, WK_SOCKS_E_ATYP);
	if (res == WK_PARSE_NEED_MORE)
		return socks_error(err, WK_SOCKS_E_REPLY);
	if (res != WK_PARSE_DONE)
		return res;
	u->header_len = 3 + n;
	return WK_PARSE_DONE;
}

size_t
wk_socks4_build_reply(
    uint8_t *out, size_t len, uint8_t code, uint16_t port, const uint8_t ip4[4])
{
	if (len < 8)
		return 0;
	out[0] = 0;
	out[1] = code;
	put16(out + 2, port);
	memcpy(out + 4, ip4, 4);
	return 8;
}

size_t
wk_socks5_build_method(uint8_t *out, size_t len, uint8_t method)
{
	if (len < 2)
		return 0;
	out[0] = 5;
	out[1] = method;
	return 2;
}

size_t
wk_socks5_build_auth_status(uint8_t *out, size_t len, uint8_t status)
{
	if (len < 2)
		return 0;
	out[0] = 1;
	out[1] = status;
	return 2;
}

size_t
wk_socks5_build_reply(
    uint8_t *out, size_t len, uint8_t rep, const struct wk_socks_target *bound)
{
	static const struct wk_socks_target none = { .atyp =
							 WK_SOCKS_ATYP_IPV4 };
	size_t n;

	if (len < 3)
		return 0;
	out[0] = 5;
	out[1] = rep;
	out[2] = 0;
	n = socks_build_addr(out + 3, len - 3, bound ? bound : &none);
	return n == 0 ? 0 : 3 + n;
}

size_t
wk_socks5_build_udp_header(
    uint8_t *out, size_t len, const struct wk_socks_target *from)
{
	size_t n;

	if (len < 3)
		return 0;
	out[0] = out[1] = out[2] = 0;
	n = socks_build_addr(out + 3, len - 3, from);
	return n == 0 ? 0 : 3 + n;
}

/* --- client side --------------------------------------------------------- */

size_t
wk_socks4_build_request(uint8_t *out, size_t len, uint8_t cmd,
    const struct wk_socks_target *t, const char *userid)
{
	size_t ul = strlen(userid), n = 8 + ul + 1;

	if (ul > SOCKS_NAME_MAX || t->atyp == WK_SOCKS_ATYP_IPV6)
		return 0;
	if (t->atyp == WK_SOCKS_ATYP_NAME) {
		size_t nl = strlen(t->name);

		if (nl == 0 || nl > SOCKS_NAME_MAX)
			return 0;
		n += nl + 1;
	}
	if (len < n)
		return 0;
	out[0] = 4;
	out[1] = cmd;
	put16(out + 2, t->port);
	if (t->atyp == WK_SOCKS_ATYP_NAME) {
		static const uint8_t a4[4] = { 0, 0, 0, 1 };
		memcpy(out + 4, a4, 4);
	} else {
		memcpy(out + 4, t->addr, 4);
	}
	memcpy(out + 8, userid, ul + 1);
	if (t->atyp == WK_SOCKS_ATYP_NAME)
		memcpy(out + 8 + ul + 1, t->name, strlen(t->name) + 1);
	return n;
}

int
wk_socks4_parse_reply(const uint8_t *buf, size_t len, uint8_t *code,
    size_t *used, enum wk_socks_err *err)
{
	if (len < 1)
		return WK_PARSE_NEED_MORE;
	if (buf[0] != 0 && buf[0] != 4)
		return socks_error(err, WK_SOCKS_E_REPLY);
	if (len < 8)
		return WK_PARSE_NEED_MORE;
	*code = buf[1];
	*used = 8;
	return WK_PARSE_DONE;
}

size_t
wk_socks5_build_greeting(uint8_t *out, size_t len, bool userpass)
{
	size_t n = userpass ? 4 : 3;

	if (len < n)
		return 0;
	out[0] = 5;
	out[1] = userpass ? 2 : 1;
	out[2] = WK_SOCKS5_METHOD_NONE;
	if (userpass)
		out[3] = WK_SOCKS5_METHOD_USERPASS;
	return n;
}

int
wk_socks5_parse_method(const uint8_t *buf, size_t len, uint8_t *method,
    size_t *used, enum wk_socks_err *err)
{
	if (len < 1)
		return WK_PARSE_NEED_MORE;
	if (buf[0] != 5)
		return socks_error(err, WK_SOCKS_E_REPLY);
	if (len < 2)
		return WK_PARSE_NEED_MORE;
	*method = buf[1];
	*used = 2;
	return WK_PARSE_DONE;
}

size_t
wk_socks5_build_auth(
    uint8_t *out, size_t len, const char *user, const char *pass)
{
	size_t ul = WK_MIN(strlen(user), (size_t)SOCKS_NAME_MAX);
	size_t pl = WK_MIN(strlen(pass), (size_t)SOCKS_NAME_MAX);

	if (ul == 0 || len < 3 + ul + pl)
		return 0;
	out[0] = 1;
	out[1] = (uint8_t)ul;
	memcpy(out + 2, user, ul);
	out[2 + ul] = (uint8_t)pl;
	memcpy(out + 3 + ul, pass, pl);
	return 3 + ul + pl;
}

int
wk_socks5_parse_auth_status(const uint8_t *buf, size_t len, uint8_t *status,
    size_t *used, enum wk_socks_err *err)
{
	if (len < 1)
		return WK_PARSE_NEED_MORE;
	if (buf[0] != 1)
		return socks_error(err, WK_SOCKS_E_REPLY);
	if (len < 2)
		return WK_PARSE_NEED_MORE;
	*status = buf[1];
	*used = 2;
	return WK_PARSE_DONE;
}

size_t
wk_socks5_build_request(
    uint8_t *out, size_t len, uint8_t cmd, const struct wk_socks_target *t)
{
	size_t n;

	if (len < 3)
		return 0;
	out[0] = 5;
	out[1] = cmd;
	out[2] = 0;
	n = socks_build_addr(out + 3, len - 3, t);
	return n == 0 ? 0 : 3 + n;
}

int
wk_socks5_parse_reply(const uint8_t *buf, size_t len, uint8_t *rep,
    struct wk_socks_target *bound, size_t *used, enum wk_socks_err *err)
{
	size_t n;
	int res;

	if (len < 1)
		return WK_PARSE_NEED_MORE;
	if (buf[0] != 5)
		return socks_error(err, WK_SOCKS_E_REPLY);
	if (len < 3)
		return WK_PARSE_NEED_MORE;
	if (buf[2] != 0)
		return socks_error(err, WK_SOCKS_E_REPLY);
	res = socks_parse_addr(
	    buf + 3, len - 3, bound, &n, err, WK_SOCKS_E_REPLY);
	if (res == WK_PARSE_ERROR)
		*err = WK_SOCKS_E_REPLY;
	if (res != WK_PARSE_DONE)
		return res;
	*rep = buf[1];
	*used = 3 + n;
	return WK_PARSE_DONE;
}

const char *
wk_socks_err_str(enum wk_socks_err err)
{
	static const char *const names[WK_SOCKS_E_COUNT] = {
		[WK_SOCKS_OK] = "no error",
		[WK_SOCKS_E_VERSION] = "wrong SOCKS version",
		[WK_SOCKS_E_NO_METHODS] = "no authentication methods offered",
		[WK_SOCKS_E_COMMAND] = "command not supported",
		[WK_SOCKS_E_ATYP] = "address type not supported",
		[WK_SOCKS_E_NAME] = "invalid host name",
		[WK_SOCKS_E_TOO_LONG] = "user id or host name too long",
		[WK_SOCKS_E_RESERVED] = "reserved byte not zero",
		[WK_SOCKS_E_AUTH_VERSION] =
		    "wrong user/password sub-negotiation version",
		[WK_SOCKS_E_EMPTY_USER] = "empty user name",
		[WK_SOCKS_E_REPLY] = "malformed reply",
	};

	return (unsigned)err < WK_SOCKS_E_COUNT ? names[err] : "?";
}

const char *
wk_socks5_rep_str(uint8_t rep)
{
	static const char *const names[] = {
		"succeeded",
		"general failure",
		"not allowed by ruleset",
		"network unreachable",
		"host unreachable",
		"connection refused",
		"TTL expired",
		"command not supported",
		"address type not supported",
	};

	return rep < WK_ARRAY_LEN(names) ? names[rep] : "unknown reply";
}
