/* src/core/idna.h: host names to their IDNA A-label form (libidn2,
 * IDNA2008 with UTS #46 non-transitional mapping), for every name that
 * enters wicket: URIs, Host, CONNECT, SOCKS4a/5, the configuration. */
#ifndef WK_CORE_IDNA_H
#define WK_CORE_IDNA_H

#include "core/wk.h"

#define WK_HOST_MAX 256 /* bytes of an A-label name, with its NUL */

/* Maps in[0..len) to out (lower-case ASCII, at most 253 bytes + NUL).
 * IP literals (IPv4, IPv6 without brackets) are copied unchanged. With
 * percent_decode, %XX escapes (UTF-8 in a URI host) are decoded first.
 * A trailing dot is kept. Returns 0, or -1 with why in err ("label too
 * long", "disallowed character U+2044", ...). Never allocates on failure
 * paths that callers must free. */
int wk_idna_host(const char *in, size_t len, bool percent_decode,
    char out[WK_HOST_MAX], char *err, size_t errlen);

/* Writes "bücher.example (xn--bcher-kva.example)" when the two forms
 * differ, else just the A-label form; for logs. */
void wk_idna_display(const char *as_sent, size_t len, const char *alabel,
    char *buf, size_t buflen);

#endif
