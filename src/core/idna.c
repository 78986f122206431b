/* src/core/idna.c: host names to IDNA A-labels with libidn2 (IDNA2008,
 * UTS #46 non-transitional mapping). Pure ASCII names, the common case,
 * are checked and lower-cased here without calling libidn2. */
#include "core/wk.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <idn2.h>

#include "core/idna.h"

static int
idna_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Checks label and total lengths of an A-label name (a trailing dot
 * allowed). */
static int
idna_check_lengths(const char *s, char *err, size_t errlen)
{
	size_t len = strlen(s), label = 0;

	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0) {
		snprintf(err, errlen, "empty host name");
		return -1;
	}
	if (len > 253) {
		snprintf(err, errlen, "name longer than 253 bytes");
		return -1;
	}
	for (size_t i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (label == 0) {
				snprintf(err, errlen, "empty label");
				return -1;
			}
			if (label > 63) {
				snprintf(
				    err, errlen, "label longer than 63 bytes");
				return -1;
			}
			label = 0;
		} else {
			label++;
		}
	}
	return 0;
}

int
wk_idna_host(const char *in, size_t len, bool percent_decode,
    char out[WK_HOST_MAX], char *err, size_t errlen)
{
	char buf[WK_HOST_MAX * 4], lit[64];
	size_t n = 0;
	bool ascii = true, xn = false;
	uint8_t addr[16];
	char *mapped = NULL;
	int rc;

	/* IP literals pass unchanged */
	if (len < sizeof(lit)) {
		memcpy(lit, in, len);
		lit[len] = '\0';
		if (inet_pton(AF_INET, lit, addr) == 1 ||
		    inet_pton(AF_INET6, lit, addr) == 1) {
			memcpy(out, lit, len + 1);
			return 0;
		}
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (percent_decode && c == '%') {
			int h = i + 2 < len ? idna_hex(in[i + 1]) : -1;
			int l = h >= 0 ? idna_hex(in[i + 2]) : -1;

			if (h < 0 || l < 0 || (h == 0 && l == 0)) {
				snprintf(err, errlen, "bad percent escape");
				return -1;
			}
			c = (unsigned char)(h * 16 + l);
			i += 2;
		}
		if (c == 0 || c < 0x20 || c == 0x7f) {
			snprintf(err, errlen, "control character in the name");
			return -1;
		}
		if (n + 1 >= sizeof(buf)) {
			snprintf(err, errlen, "name longer than 253 bytes");
			return -1;
		}
		if (c >= 0x80)
			ascii = false;
		buf[n++] = (char)c;
	}
	buf[n] = '\0';
	if (ascii) {
		/* letters, digits, '-', '_' (real hosts use it) and dots */
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)buf[i];

			if (!isalnum(c) && c != '-' && c != '_' && c != '.') {
				snprintf(err, errlen,
				    "character '%c' not allowed in a host name",
				    c);
				return -1;
			}
			buf[i] = (char)tolower(c);
		}
		xn = strstr(buf, "xn--") != NULL;
		if (!xn) {
			if (idna_check_lengths(buf, err, errlen) < 0)
				return -1;
			memcpy(out, buf, n + 1);
			return 0;
		}
	}
	if (xn) {
		/* an A-label given as is must decode to a valid U-label */
		char *u = NULL;

		/* an A-label given as is must decode to a valid U-label that
		 * encodes back to the same A-label (UTS #46 4.1, V4-V7) */
		char *back = NULL;

		rc = idn2_to_unicode_8z8z(buf, &u, 0);
		if (rc == IDN2_OK)
			rc = idn2_to_ascii_8z(
			    u, &back, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
		if (rc == IDN2_OK && strcasecmp(back, buf) != 0)
			rc = IDN2_INVALID_FLAGS; /* any error code will do */
		idn2_free(u);
		idn2_free(back);
		if (rc != IDN2_OK) {
			snprintf(err, errlen, "invalid A-label: %s",
			    rc == IDN2_INVALID_FLAGS ?
				"does not encode back to itself" :
				idn2_strerror(rc));
			return -1;
		}
		if (idna_check_lengths(buf, err, errlen) < 0)
			return -1;
		memcpy(out, buf, n + 1);
		return 0;
	}
	rc = idn2_to_ascii_8z(
	    buf, &mapped, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
	if (rc != IDN2_OK) {
		snprintf(err, errlen, "%s", idn2_strerror(rc));
		idn2_free(mapped);
		return -1;
	}
	if (strlen(mapped) >= WK_HOST_MAX ||
	    idna_check_lengths(mapped, err, errlen) < 0) {
		if (strlen(mapped) >= WK_HOST_MAX)
			snprintf(err, errlen, "name longer than 253 bytes");
		idn2_free(mapped);
		return -1;
	}
	for (char *p = mapped; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	snprintf(out, WK_HOST_MAX, "%s", mapped);
	idn2_free(mapped);
	return 0;
}

void
wk_idna_display(const char *as_sent, size_t len, const char *alabel, char *buf,
    size_t buflen)
{
	char shown[WK_HOST_MAX * 3];
	size_t n = WK_MIN(len, sizeof(shown) - 1);

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)as_sent[i];
		shown[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	shown[n] = '\0';
	if (strcmp(shown, alabel) == 0)
		snprintf(buf, buflen, "%s", alabel);
	else
		snprintf(buf, buflen, "%s (%s)", shown, alabel);
}
