/* src/core/hash.h: FNV-1a, for the small fixed-size hash tables (zone
 * index, PAC answers, TLS resumption). Not for anything adversarial that
 * could be flooded: those tables are bounded and overwrite on collision. */
#ifndef WK_CORE_HASH_H
#define WK_CORE_HASH_H

#include "core/wk.h"

static inline uint64_t
wk_hash_fnv1a(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return h;
}

#endif
