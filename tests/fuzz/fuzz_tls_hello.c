/* tests/fuzz/fuzz_tls_hello.c: the ClientHello parser. Besides not
 * crashing, it must be incremental: when the input parses to DONE with
 * hello_len bytes, every shorter prefix asks for more (neither DONE nor an
 * error), and exactly hello_len bytes give the same hello. */
#include "core/wk.h"

#include <stdlib.h>
#include <string.h>

#include "proto/tls_hello.h"

/* Prefixes tried: all of them up to here, then about as many more spread
 * over the rest, and the last few. */
#define FUZZ_ALL_PREFIXES 512
#define FUZZ_TAIL 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_prefix(const uint8_t *data, size_t k)
{
	struct wk_tls_hello h;

	if (wk_tls_hello_parse(data, k, &h) != WK_TLS_HELLO_NEED_MORE)
		abort();
}

static void
check_fields(const struct wk_tls_hello *h)
{
	size_t n = strnlen(h->sni, sizeof(h->sni));

	if (n == sizeof(h->sni) || n > WK_TLS_SNI_MAX)
		abort();
	if (h->has_sni != (n > 0) || (h->sni_is_ip && !h->has_sni))
		abort();
	if (h->n_alpn > WK_TLS_ALPN_MAX || (h->n_alpn > 0 && !h->has_alpn))
		abort();
	for (size_t i = 0; i < h->n_alpn; i++) {
		n = strnlen(h->alpn[i], sizeof(h->alpn[i]));
		if (n == 0 || n == sizeof(h->alpn[i]))
			abort();
	}
}

static bool
same_hello(const struct wk_tls_hello *a, const struct wk_tls_hello *b)
{
	return a->record_version == b->record_version &&
	    a->legacy_version == b->legacy_version &&
	    a->has_sni == b->has_sni && a->sni_is_ip == b->sni_is_ip &&
	    strcmp(a->sni, b->sni) == 0 && a->has_alpn == b->has_alpn &&
	    a->n_alpn == b->n_alpn &&
	    memcmp(a->alpn, b->alpn, sizeof(a->alpn)) == 0 &&
	    a->tls13 == b->tls13 && a->hello_len == b->hello_len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wk_tls_hello h, h2;
	size_t len, step;
	int res;

	res = wk_tls_hello_parse(data, size, &h);
	if (res < WK_TLS_HELLO_NOT_TLS || res > WK_TLS_HELLO_DONE)
		abort();
	/* NOT_TLS is decided on the first byte alone */
	if ((res == WK_TLS_HELLO_NOT_TLS) != (size > 0 && data[0] != 0x16))
		abort();
	if (res != WK_TLS_HELLO_DONE)
		return 0;
	len = h.hello_len;
	if (len == 0 || len > size)
		abort();
	check_fields(&h);
	if (wk_tls_hello_parse(data, len, &h2) != WK_TLS_HELLO_DONE ||
	    !same_hello(&h, &h2))
		abort();
	if (len <= FUZZ_ALL_PREFIXES + FUZZ_TAIL) {
		for (size_t k = 0; k < len; k++)
			check_prefix(data, k);
		return 0;
	}
	for (size_t k = 0; k < FUZZ_ALL_PREFIXES; k++)
		check_prefix(data, k);
	step = (len - FUZZ_ALL_PREFIXES) / FUZZ_ALL_PREFIXES + 1;
	for (size_t k = FUZZ_ALL_PREFIXES; k < len - FUZZ_TAIL; k += step)
		check_prefix(data, k);
	for (size_t k = len - FUZZ_TAIL; k < len; k++)
		check_prefix(data, k);
	return 0;
}
