/* src/pac/pac_js.c: PAC scripts in duktape. Each load gets a fresh heap
 * whose allocator counts bytes and fails past heap_max, so a greedy
 * script meets an ordinary RangeError. Every call into duktape runs under
 * duk_safe_call(), so nothing a script does reaches the fatal handler.
 *
 * The helpers are our own: C natives for everything that touches
 * addresses, names, the clock or the hooks, and a few lines of JS for the
 * string-only ones. Where behaviours differ between browsers, Chromium's
 * is followed (isPlainHostName throws TypeError on a non-string; the
 * Microsoft IPv6 helpers return null for missing arguments). */
#include "core/wk.h"

#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <limits.h>
#include <math.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <duktape.h>

#include "core/alloc.h"
#include "pac/pac_js.h"

#define PAC_ADDRS_MAX 2048 /* dnsResolveEx / myIpAddressEx lists */
#define PAC_NAME_MAX 255   /* a host name handed to the resolver */

/* The allocator state of one heap. */
struct pac_heap {
	size_t used; /* bytes handed to duktape */
	size_t max;
	struct wk_pac_js *js;
};

struct wk_pac_js {
	size_t heap_max;
	struct wk_pac_js_hooks hooks;
	duk_context *ctx;      /* the loaded script; NULL before */
	struct pac_heap *heap; /* ctx's allocator state */
	char *name;	       /* ctx's script name */
	bool has_ex;	       /* it defines FindProxyForURLEx */
};

/* --- allocator ------------------------------------------------------- */

/* Every block starts with its size, kept aligned for any type. */
union pac_hdr {
	max_align_t align;
	size_t size;
};

static void *
pac_alloc(void *udata, duk_size_t size)
{
	struct pac_heap *h = udata;
	union pac_hdr *p;

	if (size == 0)
		return NULL;
	if (size > h->max - h->used)
		return NULL;
	p = malloc(sizeof(*p) + size);
	if (p == NULL)
		return NULL;
	p->size = size;
	h->used += size;
	return p + 1;
}

static void
pac_free(void *udata, void *ptr)
{
	struct pac_heap *h = udata;
	union pac_hdr *p;

	if (ptr == NULL)
		return;
	p = (union pac_hdr *)ptr - 1;
	h->used -= p->size;
	free(p);
}

static void *
pac_realloc(void *udata, void *ptr, duk_size_t size)
{
	struct pac_heap *h = udata;
	union pac_hdr *p, *old;
	size_t osize;

	if (ptr == NULL)
		return pac_alloc(udata, size);
	if (size == 0) {
		pac_free(udata, ptr);
		return NULL;
	}
	old = (union pac_hdr *)ptr - 1;
	osize = old->size;
	if (size > osize && size - osize > h->max - h->used)
		return NULL;
	p = realloc(old, sizeof(*p) + size);
	if (p == NULL)
		return NULL;
	h->used = h->used - osize + size;
	p->size = size;
	return p + 1;
}

/* Only reached on a duktape bug or an error outside every protected
 * call; this runs in the pac-helper process, whose parent sees the exit
 * status and restarts it. */
static void
pac_fatal(void *udata, const char *msg)
{
	(void)udata;
	fprintf(stderr, "wicket pac-helper: duktape fatal error: %s\n",
	    msg != NULL ? msg : "?");
	fflush(stderr);
	_exit(70);
}

static struct wk_pac_js *
pac_self(duk_context *ctx)
{
	duk_memory_functions f;

	duk_get_memory_functions(ctx, &f);
	return ((struct pac_heap *)f.udata)->js;
}

/* --- addresses and the default hooks --------------------------------- */

/* An IPv4 or IPv6 literal into a; returns AF_INET, AF_INET6 or 0. */
static int
pac_parse_ip(const char *s, uint8_t a[16])
{
	if (inet_pton(AF_INET, s, a) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, s, a) == 1)
		return AF_INET6;
	return 0;
}

/* Appends ";"-separated text to a list in out; false when full. */
static bool
pac_list_add(char *out, size_t outlen, const char *s)
{
	size_t n = strlen(out), k = strlen(s);

	if (n + (n > 0) + k + 1 > outlen)
		return false;
	if (n > 0)
		out[n++] = ';';
	memcpy(out + n, s, k + 1);
	return true;
}

static int
pac_default_resolve(const char *host, bool all, char *out, size_t outlen)
{
	struct addrinfo hints, *res, *ai;
	char buf[INET6_ADDRSTRLEN];
	int rc;

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = all ? AF_UNSPEC : AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return -1;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		const void *a;

		if (ai->ai_family == AF_INET)
			a = &((struct sockaddr_in *)(void *)ai->ai_addr)
				 ->sin_addr;
		else if (ai->ai_family == AF_INET6)
			a = &((struct sockaddr_in6 *)(void *)ai->ai_addr)
				 ->sin6_addr;
		else
			continue;
		if (inet_ntop(ai->ai_family, a, buf, sizeof(buf)) == NULL)
			continue;
		if (!pac_list_add(out, outlen, buf) || !all)
			break;
	}
	freeaddrinfo(res);
	rc = out[0] != '\0' ? 0 : -1;
	return rc;
}

static int
pac_default_my_ip(bool all, char *out, size_t outlen)
{
	struct ifaddrs *ifs, *i;
	char buf[INET6_ADDRSTRLEN];

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	if (getifaddrs(&ifs) == 0) {
		for (i = ifs; i != NULL; i = i->ifa_next) {
			const void *a;
			int fam;

			if (i->ifa_addr == NULL || !(i->ifa_flags & IFF_UP) ||
			    (i->ifa_flags & IFF_LOOPBACK))
				continue;
			fam = i->ifa_addr->sa_family;
			if (fam == AF_INET)
				a = &((struct sockaddr_in *)(void *)i->ifa_addr)
					 ->sin_addr;
			else if (fam == AF_INET6 && all)
				a = &(
				    (struct sockaddr_in6 *)(void *)i->ifa_addr)
					 ->sin6_addr;
			else
				continue;
			if (inet_ntop(fam, a, buf, sizeof(buf)) == NULL)
				continue;
			if (!pac_list_add(out, outlen, buf) || !all)
				break;
		}
		freeifaddrs(ifs);
	}
	if (out[0] == '\0')
		snprintf(out, outlen, "127.0.0.1");
	return 0;
}

static int
pac_resolve(
    struct wk_pac_js *js, const char *host, bool all, char *out, size_t outlen)
{
	if (host[0] == '\0' || strlen(host) > PAC_NAME_MAX)
		return -1;
	if (js->hooks.resolve != NULL)
		return js->hooks.resolve(js->hooks.arg, host, all, out, outlen);
	return pac_default_resolve(host, all, out, outlen);
}

static int
pac_my_ip(struct wk_pac_js *js, bool all, char *out, size_t outlen)
{
	if (js->hooks.my_ip != NULL)
		return js->hooks.my_ip(js->hooks.arg, all, out, outlen);
	return pac_default_my_ip(all, out, outlen);
}

/* --- argument helpers ------------------------------------------------ */

/* Argument i if it is a string without NUL bytes, else NULL. */
static const char *
pac_str_arg(duk_context *ctx, duk_idx_t i)
{
	const char *s;
	duk_size_t n;

	if (i >= duk_get_top(ctx) || !duk_is_string(ctx, i))
		return NULL;
	s = duk_get_lstring(ctx, i, &n);
	if (s == NULL || strlen(s) != n)
		return NULL;
	return s;
}

/* Argument i as an integer: a number, or a string of digits. */
static bool
pac_int_arg(duk_context *ctx, duk_idx_t i, long *v)
{
	if (duk_is_number(ctx, i)) {
		double d = duk_get_number(ctx, i);

		if (!isfinite(d) || d < -1e9 || d > 1e9)
			return false;
		*v = (long)d;
		return true;
	}
	if (duk_is_string(ctx, i)) {
		const char *s = duk_get_string(ctx, i);
		char *end;

		if (s[0] < '0' || s[0] > '9' || strlen(s) > 9)
			return false;
		*v = strtol(s, &end, 10);
		return *end == '\0';
	}
	return false;
}

/* Index in names (n of them) of string argument i, case-insensitive. */
static int
pac_name_arg(duk_context *ctx, duk_idx_t i, const char *const *names, int n)
{
	const char *s = pac_str_arg(ctx, i);

	if (s == NULL)
		return -1;
	for (int k = 0; k < n; k++)
		if (strcasecmp(s, names[k]) == 0)
			return k;
	return -1;
}

/* --- host names ------------------------------------------------------ */

/* Throws TypeError: msg, blaming the script's line that called us (an
 * error thrown from C would otherwise carry our own file's line). */
static duk_ret_t
pac_type_error(duk_context *ctx, const char *msg)
{
	long line = 0;

	duk_inspect_callstack_entry(ctx, -2);
	if (duk_is_object(ctx, -1)) {
		duk_get_prop_string(ctx, -1, "lineNumber");
		line = (long)duk_get_number_default(ctx, -1, 0);
		duk_pop(ctx);
	}
	duk_pop(ctx);
	duk_push_error_object(ctx, DUK_ERR_TYPE_ERROR, "%s", msg);
	if (line > 0) {
		duk_push_string(ctx, "lineNumber");
		duk_push_number(ctx, (double)line);
		duk_def_prop(ctx, -3,
		    DUK_DEFPROP_HAVE_VALUE | DUK_DEFPROP_SET_WRITABLE |
			DUK_DEFPROP_SET_CONFIGURABLE);
	}
	return duk_throw(ctx);
}

static duk_ret_t
pac_is_plain_host_name(duk_context *ctx)
{
	const char *h;
	uint8_t a[16];

	if (duk_get_top(ctx) < 1 || !duk_is_string(ctx, 0))
		return pac_type_error(ctx, "Requires 1 string parameter");
	h = duk_get_string(ctx, 0);
	/* a dot makes it qualified; "::1" is an address, "[::1]" is not */
	duk_push_boolean(
	    ctx, strchr(h, '.') == NULL && inet_pton(AF_INET6, h, a) != 1);
	return 1;
}

/* dnsResolve(host): one IPv4 address, or null. */
static duk_ret_t
pac_dns_resolve(duk_context *ctx)
{
	const char *h = pac_str_arg(ctx, 0);
	char out[PAC_ADDRS_MAX];
	uint8_t a[16];

	if (h == NULL) {
		duk_push_null(ctx);
		return 1;
	}
	if (inet_pton(AF_INET, h, a) == 1) {
		duk_push_string(ctx, h);
		return 1;
	}
	if (pac_resolve(pac_self(ctx), h, false, out, sizeof(out)) < 0)
		duk_push_null(ctx);
	else
		duk_push_string(ctx, out);
	return 1;
}

/* dnsResolveEx(host): "a;b;c" of IPv4 and IPv6 addresses, or "". */
static duk_ret_t
pac_dns_resolve_ex(duk_context *ctx)
{
	const char *h = pac_str_arg(ctx, 0);
	char out[PAC_ADDRS_MAX];
	uint8_t a[16];

	if (h == NULL) {
		duk_push_null(ctx);
		return 1;
	}
	if (pac_parse_ip(h, a) != 0) {
		duk_push_string(ctx, h);
		return 1;
	}
	if (pac_resolve(pac_self(ctx), h, true, out, sizeof(out)) < 0)
		duk_push_string(ctx, "");
	else
		duk_push_string(ctx, out);
	return 1;
}

static duk_ret_t
pac_is_resolvable_common(duk_context *ctx, bool all)
{
	const char *h = pac_str_arg(ctx, 0);
	char out[PAC_ADDRS_MAX];
	uint8_t a[16];
	bool ok;

	if (h == NULL)
		ok = false;
	else if (all ? pac_parse_ip(h, a) != 0 : inet_pton(AF_INET, h, a) == 1)
		ok = true;
	else
		ok = pac_resolve(pac_self(ctx), h, all, out, sizeof(out)) == 0;
	duk_push_boolean(ctx, ok);
	return 1;
}

static duk_ret_t
pac_is_resolvable(duk_context *ctx)
{
	return pac_is_resolvable_common(ctx, false);
}

static duk_ret_t
pac_is_resolvable_ex(duk_context *ctx)
{
	return pac_is_resolvable_common(ctx, true);
}

static duk_ret_t
pac_my_ip_address(duk_context *ctx)
{
	char out[PAC_ADDRS_MAX];

	if (pac_my_ip(pac_self(ctx), false, out, sizeof(out)) < 0)
		snprintf(out, sizeof(out), "127.0.0.1");
	duk_push_string(ctx, out);
	return 1;
}

static duk_ret_t
pac_my_ip_address_ex(duk_context *ctx)
{
	char out[PAC_ADDRS_MAX];

	if (pac_my_ip(pac_self(ctx), true, out, sizeof(out)) < 0)
		snprintf(out, sizeof(out), "127.0.0.1");
	duk_push_string(ctx, out);
	return 1;
}

/* --- address matching ------------------------------------------------ */

/* isInNet(host, pattern, mask): host (resolved when it is a name) under
 * pattern/mask, all IPv4. */
static duk_ret_t
pac_is_in_net(duk_context *ctx)
{
	const char *h, *pat, *mask;
	uint8_t a[4], p[4], m[4];
	char out[PAC_ADDRS_MAX];
	bool ok = true;

	duk_set_top(ctx, 3);
	h = duk_to_string(ctx, 0);
	pat = duk_to_string(ctx, 1);
	mask = duk_to_string(ctx, 2);
	if (inet_pton(AF_INET, pat, p) != 1 || inet_pton(AF_INET, mask, m) != 1)
		ok = false;
	else if (inet_pton(AF_INET, h, a) != 1) {
		ok = pac_resolve(pac_self(ctx), h, false, out, sizeof(out)) ==
			0 &&
		    inet_pton(AF_INET, out, a) == 1;
	}
	for (int i = 0; ok && i < 4; i++)
		if ((a[i] & m[i]) != (p[i] & m[i]))
			ok = false;
	duk_push_boolean(ctx, ok);
	return 1;
}

/* "addr/len" into a, *bits; also the short IPv6 form "3ffe:8311:ffff/48"
 * (the missing groups are zero). Returns the family or 0. */
static int
pac_parse_prefix(const char *s, uint8_t a[16], unsigned *bits)
{
	const char *slash = strrchr(s, '/');
	char addr[INET6_ADDRSTRLEN + 4];
	size_t n;
	unsigned long v = 0;
	int fam;

	if (slash == NULL || slash[1] == '\0' ||
	    (size_t)(slash - s) >= INET6_ADDRSTRLEN)
		return 0;
	for (const char *q = slash + 1; *q != '\0'; q++) {
		if (*q < '0' || *q > '9' || v > 128)
			return 0;
		v = v * 10 + (unsigned long)(*q - '0');
	}
	n = (size_t)(slash - s);
	memcpy(addr, s, n);
	addr[n] = '\0';
	fam = pac_parse_ip(addr, a);
	if (fam == 0 && memchr(addr, ':', n) != NULL &&
	    strstr(addr, "::") == NULL) {
		memcpy(addr + n, "::", 3);
		if (inet_pton(AF_INET6, addr, a) == 1)
			fam = AF_INET6;
	}
	if (fam == 0 || v > (fam == AF_INET ? 32u : 128u))
		return 0;
	*bits = (unsigned)v;
	return fam;
}

static bool
pac_prefix_match(const uint8_t *a, const uint8_t *p, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;

	if (memcmp(a, p, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((a[full] ^ p[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

/* isInNetEx(ip, "prefix/len"): both strings, else null; families must
 * be the same. */
static duk_ret_t
pac_is_in_net_ex(duk_context *ctx)
{
	const char *ip = pac_str_arg(ctx, 0), *pfx = pac_str_arg(ctx, 1);
	uint8_t a[16], p[16];
	unsigned bits = 0;
	int fa, fp;

	if (ip == NULL || pfx == NULL) {
		duk_push_null(ctx);
		return 1;
	}
	fa = pac_parse_ip(ip, a);
	fp = pac_parse_prefix(pfx, p, &bits);
	duk_push_boolean(
	    ctx, fa != 0 && fa == fp && pac_prefix_match(a, p, bits));
	return 1;
}

struct pac_sort_ent {
	uint8_t addr[16];
	int fam;
	size_t off, len; /* the text in the argument */
	size_t idx;	 /* original position: a stable order */
};

static int
pac_sort_cmp(const void *x, const void *y)
{
	const struct pac_sort_ent *a = x, *b = y;
	int c;

	if (a->fam != b->fam)
		return a->fam == AF_INET6 ? -1 : 1;
	c = memcmp(a->addr, b->addr, a->fam == AF_INET6 ? 16 : 4);
	if (c != 0)
		return c;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* sortIpAddressList("a;b;c"): IPv6 first, then IPv4, each ascending;
 * false if the list is empty or holds anything but addresses; null if
 * the argument is not a string. */
static duk_ret_t
pac_sort_ip_address_list(duk_context *ctx)
{
	const char *s = pac_str_arg(ctx, 0);
	struct pac_sort_ent *e;
	size_t len, n = 0, cap = 1, pos = 0, olen = 0;
	char *out;

	if (s == NULL) {
		duk_push_null(ctx);
		return 1;
	}
	len = strlen(s);
	for (size_t i = 0; i < len; i++)
		cap += s[i] == ';';
	e = duk_push_fixed_buffer(ctx, cap * sizeof(*e));
	while (pos <= len) {
		const char *semi = memchr(s + pos, ';', len - pos);
		size_t b = pos, end = semi != NULL ? (size_t)(semi - s) : len;
		char tmp[INET6_ADDRSTRLEN];

		pos = end + 1;
		while (b < end && (s[b] == ' ' || s[b] == '\t'))
			b++;
		while (end > b && (s[end - 1] == ' ' || s[end - 1] == '\t'))
			end--;
		if (b == end)
			continue;
		if (end - b >= sizeof(tmp))
			goto bad;
		memcpy(tmp, s + b, end - b);
		tmp[end - b] = '\0';
		e[n].fam = pac_parse_ip(tmp, e[n].addr);
		if (e[n].fam == 0)
			goto bad;
		e[n].off = b;
		e[n].len = end - b;
		e[n].idx = n;
		n++;
	}
	if (n == 0)
		goto bad;
	qsort(e, n, sizeof(*e), pac_sort_cmp);
	out = duk_push_fixed_buffer(ctx, len + 1);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			out[olen++] = ';';
		memcpy(out + olen, s + e[i].off, e[i].len);
		olen += e[i].len;
	}
	duk_push_lstring(ctx, out, olen);
	return 1;
bad:
	duk_push_false(ctx);
	return 1;
}

/* --- shExpMatch ------------------------------------------------------ */

/* The whole of s against a glob p: '*' any run, '?' one byte, all else
 * literal. Backtracks to the last '*' only, so it is O(len(s) len(p)). */
static bool
pac_glob(const char *s, size_t sn, const char *p, size_t pn)
{
	size_t si = 0, pi = 0, star = SIZE_MAX, mark = 0;

	while (si < sn) {
		if (pi < pn && p[pi] == '*') {
			star = pi++;
			mark = si;
		} else if (pi < pn && (p[pi] == '?' || p[pi] == s[si])) {
			si++;
			pi++;
		} else if (star != SIZE_MAX) {
			pi = star + 1;
			si = ++mark;
		} else
			return false;
	}
	while (pi < pn && p[pi] == '*')
		pi++;
	return pi == pn;
}

static duk_ret_t
pac_sh_exp_match(duk_context *ctx)
{
	const char *s, *p;
	duk_size_t sn, pn;

	duk_set_top(ctx, 2);
	s = duk_to_lstring(ctx, 0, &sn);
	p = duk_to_lstring(ctx, 1, &pn);
	duk_push_boolean(ctx, pac_glob(s, sn, p, pn));
	return 1;
}

/* --- the clock ------------------------------------------------------- */

static const char *const pac_days[] = { "SUN", "MON", "TUE", "WED", "THU",
	"FRI", "SAT" };
static const char *const pac_months[] = { "JAN", "FEB", "MAR", "APR", "MAY",
	"JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC" };

/* The argument count without a trailing "GMT", and the time now in
 * that zone (local time otherwise). */
static int
pac_clock_args(duk_context *ctx, struct tm *tm)
{
	struct wk_pac_js *js = pac_self(ctx);
	int n = (int)duk_get_top(ctx);
	bool gmt = false;
	time_t t;
	const char *last = n > 0 ? pac_str_arg(ctx, n - 1) : NULL;

	if (last != NULL && strcasecmp(last, "GMT") == 0) {
		gmt = true;
		n--;
	}
	t = js->hooks.now != NULL ? js->hooks.now(js->hooks.arg) : time(NULL);
	memset(tm, 0, sizeof(*tm));
	if (gmt)
		gmtime_r(&t, tm);
	else
		localtime_r(&t, tm);
	return n;
}

/* Whether v is in [lo, hi], the range wrapping around when lo > hi. */
static bool
pac_in_range(long v, long lo, long hi)
{
	if (lo <= hi)
		return lo <= v && v <= hi;
	return v >= lo || v <= hi;
}

/* weekdayRange(wd1 [, wd2] [, "GMT"]) */
static duk_ret_t
pac_weekday_range(duk_context *ctx)
{
	struct tm tm;
	int n = pac_clock_args(ctx, &tm), d1, d2;

	if (n < 1 || n > 2) {
		duk_push_false(ctx);
		return 1;
	}
	d1 = pac_name_arg(ctx, 0, pac_days, 7);
	d2 = n == 2 ? pac_name_arg(ctx, 1, pac_days, 7) : d1;
	duk_push_boolean(
	    ctx, d1 >= 0 && d2 >= 0 && pac_in_range(tm.tm_wday, d1, d2));
	return 1;
}

enum pac_date_field {
	PAC_DF_DAY = 0, /* 1..31 */
	PAC_DF_MONTH,	/* a name */
	PAC_DF_YEAR	/* a number over 31 */
};

/* Whether fields f[0..n) are distinct and in day, month, year order. */
static bool
pac_date_spec_ok(const enum pac_date_field *f, int n)
{
	for (int i = 1; i < n; i++)
		if (f[i] <= f[i - 1])
			return false;
	return n > 0;
}

/* A date as one comparable number, using the fields given only. */
static long
pac_date_key(const enum pac_date_field *f, const long *v, int n)
{
	long key = 0;

	for (int i = 0; i < n; i++)
		key += f[i] == PAC_DF_YEAR ? v[i] * 10000 :
		    f[i] == PAC_DF_MONTH   ? v[i] * 100 :
					     v[i];
	return key;
}

/* dateRange(): one date (any of day, month, year, in that order) or a
 * range of two dates with the same fields, and an optional "GMT". */
static duk_ret_t
pac_date_range(duk_context *ctx)
{
	enum pac_date_field f[6];
	long v[6], now[3];
	struct tm tm;
	int n = pac_clock_args(ctx, &tm), h;
	bool ok = false;

	if (n < 1 || n > 6)
		goto out;
	for (int i = 0; i < n; i++) {
		int m = pac_name_arg(ctx, i, pac_months, 12);

		if (m >= 0) {
			f[i] = PAC_DF_MONTH;
			v[i] = m + 1;
		} else if (pac_int_arg(ctx, i, &v[i]) && v[i] >= 1)
			f[i] = v[i] <= 31 ? PAC_DF_DAY : PAC_DF_YEAR;
		else
			goto out;
	}
	now[PAC_DF_DAY] = tm.tm_mday;
	now[PAC_DF_MONTH] = tm.tm_mon + 1;
	now[PAC_DF_YEAR] = tm.tm_year + 1900L;
	if (pac_date_spec_ok(f, n)) {
		ok = true;
		for (int i = 0; i < n; i++)
			ok = ok && v[i] == now[f[i]];
		goto out;
	}
	h = n / 2;
	if (n % 2 != 0 || !pac_date_spec_ok(f, h) ||
	    memcmp(f, f + h, (size_t)h * sizeof(f[0])) != 0)
		goto out;
	{
		long cur[3], lo = pac_date_key(f, v, h),
			     hi = pac_date_key(f, v + h, h), key;

		for (int i = 0; i < h; i++)
			cur[i] = now[f[i]];
		key = pac_date_key(f, cur, h);
		/* a range with a year cannot wrap around */
		if (f[h - 1] == PAC_DF_YEAR && lo > hi)
			ok = false;
		else
			ok = pac_in_range(key, lo, hi);
	}
out:
	duk_push_boolean(ctx, ok);
	return 1;
}

/* timeRange(h), (h1, h2), (h1, m1, h2, m2), (h1, m1, s1, h2, m2, s2),
 * each with an optional "GMT"; the end is inclusive to its precision. */
static duk_ret_t
pac_time_range(duk_context *ctx)
{
	struct tm tm;
	int n = pac_clock_args(ctx, &tm);
	long v[6], lo, hi, cur;
	bool ok = false;

	if (n != 1 && n != 2 && n != 4 && n != 6)
		goto out;
	for (int i = 0; i < n; i++)
		if (!pac_int_arg(ctx, i, &v[i]))
			goto out;
	cur = tm.tm_hour * 3600L + tm.tm_min * 60L + tm.tm_sec;
	switch (n) {
	case 1:
		ok = tm.tm_hour == v[0];
		goto out;
	case 2:
		lo = v[0] * 3600;
		hi = v[1] * 3600 + 3599;
		break;
	case 4:
		lo = v[0] * 3600 + v[1] * 60;
		hi = v[2] * 3600 + v[3] * 60 + 59;
		break;
	default:
		lo = v[0] * 3600 + v[1] * 60 + v[2];
		hi = v[3] * 3600 + v[4] * 60 + v[5];
		break;
	}
	ok = pac_in_range(cur, lo, hi);
out:
	duk_push_boolean(ctx, ok);
	return 1;
}

/* --- the rest -------------------------------------------------------- */

/* alert() and console.log(): the arguments, each made a string without
 * throwing, joined by spaces. */
static duk_ret_t
pac_alert(duk_context *ctx)
{
	struct wk_pac_js *js = pac_self(ctx);
	duk_idx_t n = duk_get_top(ctx);

	if (js->hooks.alert == NULL)
		return 0;
	for (duk_idx_t i = 0; i < n; i++)
		duk_safe_to_string(ctx, i);
	duk_push_string(ctx, " ");
	duk_insert(ctx, 0);
	duk_join(ctx, n);
	js->hooks.alert(js->hooks.arg, duk_get_string(ctx, -1));
	return 0;
}

static duk_ret_t
pac_get_client_version(duk_context *ctx)
{
	duk_push_string(ctx, "1.0");
	return 1;
}

static const duk_function_list_entry pac_natives[] = {
	{ "isPlainHostName", pac_is_plain_host_name, DUK_VARARGS },
	{ "dnsResolve", pac_dns_resolve, DUK_VARARGS },
	{ "dnsResolveEx", pac_dns_resolve_ex, DUK_VARARGS },
	{ "isResolvable", pac_is_resolvable, DUK_VARARGS },
	{ "isResolvableEx", pac_is_resolvable_ex, DUK_VARARGS },
	{ "myIpAddress", pac_my_ip_address, DUK_VARARGS },
	{ "myIpAddressEx", pac_my_ip_address_ex, DUK_VARARGS },
	{ "isInNet", pac_is_in_net, DUK_VARARGS },
	{ "isInNetEx", pac_is_in_net_ex, DUK_VARARGS },
	{ "sortIpAddressList", pac_sort_ip_address_list, DUK_VARARGS },
	{ "shExpMatch", pac_sh_exp_match, DUK_VARARGS },
	{ "weekdayRange", pac_weekday_range, DUK_VARARGS },
	{ "dateRange", pac_date_range, DUK_VARARGS },
	{ "timeRange", pac_time_range, DUK_VARARGS },
	{ "alert", pac_alert, DUK_VARARGS },
	{ "getClientVersion", pac_get_client_version, 0 }, { NULL, NULL, 0 }
};

/* The string-only helpers. Host names compare case-insensitively. */
static const char pac_prelude[] =
    "function dnsDomainIs(host, domain) {\n"
    "  var h = String(host).toLowerCase(), d = String(domain).toLowerCase();\n"
    "  return h.length >= d.length &&\n"
    "      h.substring(h.length - d.length) === d;\n"
    "}\n"
    "function localHostOrDomainIs(host, hostdom) {\n"
    "  var h = String(host).toLowerCase(), f = String(hostdom).toLowerCase();\n"
    "  if (h === f)\n"
    "    return true;\n"
    "  return h.indexOf('.') < 0 && f.indexOf(h + '.') === 0;\n"
    "}\n"
    "function dnsDomainLevels(host) {\n"
    "  return String(host).split('.').length - 1;\n"
    "}\n";

/* [ ] -> [ ]: the helpers as globals. */
static void
pac_install(duk_context *ctx)
{
	duk_push_global_object(ctx);
	duk_put_function_list(ctx, -1, pac_natives);
	duk_push_object(ctx);
	duk_push_c_function(ctx, pac_alert, DUK_VARARGS);
	duk_dup_top(ctx);
	duk_put_prop_string(ctx, -3, "log");
	duk_dup_top(ctx);
	duk_put_prop_string(ctx, -3, "info");
	duk_dup_top(ctx);
	duk_put_prop_string(ctx, -3, "warn");
	duk_dup_top(ctx);
	duk_put_prop_string(ctx, -3, "debug");
	duk_put_prop_string(ctx, -2, "error");
	duk_put_prop_string(ctx, -2, "console");
	duk_pop(ctx);
	duk_push_string(ctx, "pac-prelude");
	duk_compile_lstring_filename(
	    ctx, 0, pac_prelude, sizeof(pac_prelude) - 1);
	duk_call(ctx, 0);
	duk_pop(ctx);
}

/* --- errors ---------------------------------------------------------- */

struct pac_errinfo {
	long line;
	char msg[512];
};

/* [ err ] -> [ err ]: its line and text, never throwing itself (the
 * caller runs this under duk_safe_call). */
static duk_ret_t
pac_describe_safe(duk_context *ctx, void *udata)
{
	struct pac_errinfo *e = udata;
	const char *s;
	size_t n;

	if (duk_is_object(ctx, -1)) {
		duk_get_prop_string(ctx, -1, "lineNumber");
		if (duk_is_number(ctx, -1))
			e->line = (long)duk_get_number(ctx, -1);
		duk_pop(ctx);
	}
	s = duk_safe_to_string(ctx, -1);
	snprintf(e->msg, sizeof(e->msg), "%s", s != NULL ? s : "error");
	/* duktape ends compile errors with " (line N...)": we say it first */
	n = strlen(e->msg);
	if (n > 0 && e->msg[n - 1] == ')' &&
	    strncmp(e->msg, "SyntaxError: ", 13) == 0) {
		char *p = strstr(e->msg, " (line ");
		int used = 0;
		long l;

		if (p != NULL && sscanf(p, " (line %ld%n", &l, &used) == 1 &&
		    used > 0 && strchr(p + used, '(') == NULL)
			*p = '\0';
	}
	return 1;
}

/* The error at the top of ctx as "NAME:LINE: message"; pops it. */
static void
pac_error(duk_context *ctx, const char *name, char *err, size_t errlen)
{
	struct pac_errinfo e = { 0, "error" };

	if (duk_safe_call(ctx, pac_describe_safe, &e, 1, 1) != DUK_EXEC_SUCCESS)
		snprintf(e.msg, sizeof(e.msg), "error (not printable)");
	duk_pop(ctx);
	if (e.line > 0)
		snprintf(err, errlen, "%s:%ld: %s", name, e.line, e.msg);
	else
		snprintf(err, errlen, "%s: %s", name, e.msg);
}

/* --- load, find, eval ------------------------------------------------ */

struct pac_load_args {
	const char *name, *src;
	size_t len;
	bool has_ex, has_plain;
};

/* [ ] -> [ undefined ] */
static duk_ret_t
pac_load_safe(duk_context *ctx, void *udata)
{
	struct pac_load_args *a = udata;

	pac_install(ctx);
	duk_push_string(ctx, a->name);
	duk_compile_lstring_filename(ctx, 0, a->src, a->len);
	duk_call(ctx, 0);
	duk_pop(ctx);
	duk_get_global_string(ctx, "FindProxyForURLEx");
	a->has_ex = duk_is_function(ctx, -1);
	duk_pop(ctx);
	duk_get_global_string(ctx, "FindProxyForURL");
	a->has_plain = duk_is_function(ctx, -1);
	duk_pop(ctx);
	duk_push_undefined(ctx);
	return 1;
}

struct wk_pac_js *
wk_pac_js_new(size_t heap_max, const struct wk_pac_js_hooks *hooks)
{
	struct wk_pac_js *js = wk_calloc(1, sizeof(*js));

	js->heap_max = heap_max;
	if (hooks != NULL)
		js->hooks = *hooks;
	return js;
}

static void
pac_drop_script(struct wk_pac_js *js)
{
	if (js->ctx != NULL)
		duk_destroy_heap(js->ctx);
	js->ctx = NULL;
	wk_free(js->heap);
	wk_free(js->name);
}

int
wk_pac_js_load(struct wk_pac_js *js, const char *name, const char *src,
    size_t len, char *err, size_t errlen)
{
	struct pac_load_args a = { name, src, len, false, false };
	struct pac_heap *h = wk_calloc(1, sizeof(*h));
	duk_context *ctx;

	h->max = js->heap_max;
	h->js = js;
	ctx = duk_create_heap(pac_alloc, pac_realloc, pac_free, h, pac_fatal);
	if (ctx == NULL) {
		snprintf(err, errlen, "%s: cannot create a JS heap", name);
		wk_free(h);
		return -1;
	}
	if (duk_safe_call(ctx, pac_load_safe, &a, 0, 1) != DUK_EXEC_SUCCESS) {
		pac_error(ctx, name, err, errlen);
		goto fail;
	}
	duk_pop(ctx);
	if (!a.has_ex && !a.has_plain) {
		snprintf(
		    err, errlen, "%s: FindProxyForURL is not a function", name);
		goto fail;
	}
	pac_drop_script(js);
	js->ctx = ctx;
	js->heap = h;
	js->name = wk_strdup(name);
	js->has_ex = a.has_ex;
	return 0;
fail:
	duk_destroy_heap(ctx);
	wk_free(h);
	return -1;
}

struct pac_find_args {
	const char *fn, *url, *host;
};

/* [ ] -> [ result ] */
static duk_ret_t
pac_find_safe(duk_context *ctx, void *udata)
{
	struct pac_find_args *a = udata;

	duk_get_global_string(ctx, a->fn);
	duk_push_string(ctx, a->url);
	duk_push_string(ctx, a->host);
	duk_call(ctx, 2);
	return 1;
}

/* [ result ] -> [ ]: copies a string result to out. */
static int
pac_take_string(struct wk_pac_js *js, const char *what, char *out,
    size_t outlen, char *err, size_t errlen)
{
	duk_context *ctx = js->ctx;
	const char *s;
	duk_size_t n;
	int rc = -1;

	if (!duk_is_string(ctx, -1)) {
		static const char *const types[] = { "nothing", "undefined",
			"null", "a boolean", "a number", "a string",
			"an object", "a buffer", "a pointer", "a lightfunc" };
		duk_int_t t = duk_get_type(ctx, -1);

		snprintf(err, errlen, "%s: %s returned %s, not a string",
		    js->name, what,
		    t >= 0 && (size_t)t < WK_ARRAY_LEN(types) ? types[t] : "?");
		goto out;
	}
	s = duk_get_lstring(ctx, -1, &n);
	if (strlen(s) != n) {
		snprintf(
		    err, errlen, "%s: %s returned a NUL byte", js->name, what);
		goto out;
	}
	if (n >= outlen) {
		snprintf(err, errlen, "%s: %s result too long (%zu bytes)",
		    js->name, what, (size_t)n);
		goto out;
	}
	memcpy(out, s, n + 1);
	rc = 0;
out:
	duk_pop(ctx);
	return rc;
}

int
wk_pac_js_find(struct wk_pac_js *js, const char *url, const char *host,
    char *out, size_t outlen, char *err, size_t errlen)
{
	struct pac_find_args a;

	if (js->ctx == NULL) {
		snprintf(err, errlen, "no script loaded");
		return -1;
	}
	a.fn = js->has_ex ? "FindProxyForURLEx" : "FindProxyForURL";
	a.url = url;
	a.host = host;
	if (duk_safe_call(js->ctx, pac_find_safe, &a, 0, 1) !=
	    DUK_EXEC_SUCCESS) {
		pac_error(js->ctx, js->name, err, errlen);
		return -1;
	}
	return pac_take_string(js, a.fn, out, outlen, err, errlen);
}

/* [ ] -> [ json ] */
static duk_ret_t
pac_eval_safe(duk_context *ctx, void *udata)
{
	duk_push_string(ctx, "eval");
	duk_compile_string_filename(ctx, DUK_COMPILE_EVAL, udata);
	duk_call(ctx, 0);
	duk_json_encode(ctx, -1);
	if (!duk_is_string(ctx, -1)) {
		duk_pop(ctx);
		duk_push_string(ctx, "undefined");
	}
	return 1;
}

int
wk_pac_js_eval(struct wk_pac_js *js, const char *expr, char *out, size_t outlen,
    char *err, size_t errlen)
{
	if (js->ctx == NULL) {
		snprintf(err, errlen, "no script loaded");
		return -1;
	}
	if (duk_safe_call(js->ctx, pac_eval_safe, (void *)(uintptr_t)expr, 0,
		1) != DUK_EXEC_SUCCESS) {
		pac_error(js->ctx, js->name, err, errlen);
		return -1;
	}
	return pac_take_string(js, "eval", out, outlen, err, errlen);
}

void
wk_pac_js_free(struct wk_pac_js *js)
{
	if (js == NULL)
		return;
	pac_drop_script(js);
	free(js);
}
