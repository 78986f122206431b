/* tests/fuzz/fuzz_zone.c: the zone term parser and matcher. Input: lines;
 * all but the last are match terms (one zone each), the last is a
 * destination "host port". Besides not crashing, the indexed matcher must
 * agree with a plain scan in file order. */
#include "core/wk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "zone/zone.h"

#define FUZZ_MAX_LINES 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *lines[FUZZ_MAX_LINES], *save = NULL, *l, host[300];
	size_t n = 0;
	struct wk_zones zs;
	struct wk_zone_dest d = { 0 };
	struct wk_zone_hit hit;
	const struct wk_zone *want;
	bool need_scan = false;
	unsigned port = 80;

	if (size > 4096)
		return 0;
	text = wk_malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	for (l = strtok_r(text, "\n", &save); l != NULL && n < FUZZ_MAX_LINES;
	     l = strtok_r(NULL, "\n", &save))
		lines[n++] = l;
	if (n < 2) {
		free(text);
		return 0;
	}
	memset(&zs, 0, sizeof(zs));
	zs.zones = wk_calloc(n - 1, sizeof(*zs.zones));
	for (size_t i = 0; i + 1 < n; i++) {
		struct wk_zone *z = &zs.zones[zs.n];
		struct wk_zone_term t;
		char err[256];

		if (wk_zone_term_parse(lines[i], "fuzz", &t, err, sizeof(err)) <
		    0)
			continue;
		if (strcmp(t.text, lines[i]) != 0)
			abort(); /* the term keeps what was written */
		z->name = wk_strdup("z");
		z->where = wk_strdup("fuzz");
		z->terms = wk_calloc(1, sizeof(*z->terms));
		z->terms[0] = t;
		z->n_terms = 1;
		zs.n++;
	}
	wk_zones_finish(&zs);
	host[0] = '\0';
	if (sscanf(lines[n - 1], "%255s %u", host, &port) < 1)
		snprintf(host, sizeof(host), "x");
	d.host = host;
	d.port = (uint16_t)port;
	want = zs.dflt;
	for (size_t i = 0; i < zs.n && want == zs.dflt && !need_scan; i++)
		if (wk_zone_term_match(&zs.zones[i].terms[0], &d, &need_scan))
			want = &zs.zones[i];
	if (wk_zone_match(&zs, &d, &hit) == WK_ZONE_NEED_ADDR) {
		if (!need_scan)
			abort();
	} else if (!need_scan && hit.zone != want) {
		abort(); /* the index disagrees with the scan */
	}
	wk_zones_clear(&zs);
	free(text);
	return 0;
}
