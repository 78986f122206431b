/* tests/fuzz/fuzz_socks_parse.c: every SOCKS parser on the same bytes.
 * Besides not crashing, a parser must be incremental: when the whole input
 * parses to DONE after u bytes, every shorter prefix must ask for more
 * (neither DONE nor an error). */
#include "core/wk.h"

#include <stdlib.h>
#include <string.h>

#include "proto/socks_parse.h"

typedef int (*parse_fn)(const uint8_t *, size_t, size_t *, enum wk_socks_err *);

static struct wk_socks4_req r4;
static struct wk_socks5_greeting g5;
static struct wk_socks5_auth a5;
static struct wk_socks5_req q5;
static struct wk_socks_target bound;
static uint8_t code;

static int
p_s4(const uint8_t *b, size_t n, size_t *u, enum wk_socks_err *e)
{
	return wk_socks4_parse_request(b, n, &r4, u, e);
}
static int
p_greet(const uint8_t *b, size_t n, size_t *u, enum wk_socks_err *e)
{
	return wk_socks5_parse_greeting(b, n, &g5, u, e);
}
static int
p_auth(const uint8_t *b, size_t n, size_t *u, enum wk_socks_err *e)
{
	return wk_socks5_parse_auth(b, n, &a5, u, e);
}
static int
p_req(const uint8_t *b, size_t n, size_t *u, enum wk_socks_err *e)
{
	return wk_socks5_parse_request(b, n, &q5, u, e);
}
static int
p_s4rep(const uint8_t *b, size_t n, size_t *u, enum wk_socks_err *e)
{
	return wk_socks4_parse_reply(b, n, &code, u, e);
}
static int
p_method(const uint8_t *b, size_t n, size_t *u, enum wk_socks_err *e)
{
	return wk_socks5_parse_method(b, n, &code, u, e);
}
static int
p_status(const uint8_t *b, size_t n, size_t *u, enum wk_socks_err *e)
{
	return wk_socks5_parse_auth_status(b, n, &code, u, e);
}
static int
p_rep(const uint8_t *b, size_t n, size_t *u, enum wk_socks_err *e)
{
	return wk_socks5_parse_reply(b, n, &code, &bound, u, e);
}

static const parse_fn parsers[] = {
	p_s4,
	p_greet,
	p_auth,
	p_req,
	p_s4rep,
	p_method,
	p_status,
	p_rep,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wk_socks5_udp u;
	enum wk_socks_err e;
	uint8_t out[600];

	for (size_t i = 0; i < WK_ARRAY_LEN(parsers); i++) {
		size_t used = 0;
		int res = parsers[i](data, size, &used, &e);

		if (res != WK_PARSE_DONE)
			continue;
		if (used == 0 || used > size)
			abort();
		for (size_t k = 0; k < used; k++) {
			size_t u2 = 0;
			int r2 = parsers[i](data, k, &u2, &e);

			/* neither complete nor wrong before its end */
			if (r2 != WK_PARSE_NEED_MORE)
				abort();
		}
	}
	if (wk_socks5_parse_udp(data, size, &u, &e) == WK_PARSE_DONE &&
	    u.header_len > size)
		abort();
	/* a parsed request builds again to the same bytes */
	if (size > 0 && data[0] == 5) {
		size_t used;

		if (wk_socks5_parse_request(data, size, &q5, &used, &e) ==
		    WK_PARSE_DONE) {
			size_t n = wk_socks5_build_request(
			    out, sizeof(out), q5.cmd, &q5.t);

			if (n != used || memcmp(out, data, n) != 0)
				abort();
		}
	}
	return 0;
}
