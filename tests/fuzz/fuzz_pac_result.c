/* tests/fuzz/fuzz_pac_result.c: FindProxyForURL result strings. Besides
 * not crashing, a parsed result formats to a canonical string that parses
 * back to the same hops, and formatting that again gives the same bytes. */
#include "core/wk.h"

#include <stdlib.h>
#include <string.h>

#include "pac/pac_result.h"

#define FUZZ_MAX_HOPS 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct wk_pac_hop a[FUZZ_MAX_HOPS], b[FUZZ_MAX_HOPS];
	static char out1[FUZZ_MAX_HOPS * 300], out2[FUZZ_MAX_HOPS * 300];
	char err[128];
	size_t n1, n2;
	int k, k2;

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	k = wk_pac_result_parse(
	    (const char *)data, size, a, FUZZ_MAX_HOPS, err, sizeof(err));
	if (k < 0) {
		if (err[0] == '\0')
			abort(); /* a failure always says why */
		return 0;
	}
	if (k > FUZZ_MAX_HOPS)
		abort();
	for (int i = 0; i < k; i++) {
		if ((unsigned)a[i].kind >= WK_PAC_HOP_KIND_COUNT)
			abort();
		if (a[i].kind == WK_PAC_DIRECT ?
			a[i].host[0] != '\0' || a[i].port != 0 :
			a[i].host[0] == '\0' || a[i].port == 0)
			abort();
	}
	n1 = wk_pac_result_format(a, (size_t)k, out1, sizeof(out1));
	if (n1 >= sizeof(out1) || n1 != strlen(out1))
		abort();
	k2 = wk_pac_result_parse(out1, n1, b, FUZZ_MAX_HOPS, err, sizeof(err));
	if (k2 != k || memcmp(a, b, sizeof(a)) != 0 || err[0] != '\0')
		abort();
	n2 = wk_pac_result_format(b, (size_t)k2, out2, sizeof(out2));
	if (n2 != n1 || memcmp(out1, out2, n1) != 0)
		abort();
	return 0;
}
