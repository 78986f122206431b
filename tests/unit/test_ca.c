/* tests/unit/test_ca.c: the local CA (files and modes, reload, rotation,
 * export) and the leaves it mints (verification, extensions, cache,
 * threads, minting time). */
#include "core/wk.h"

#include <sys/stat.h>
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tls/ca.h"
#include "tls/ca_cli.h"

static char root[] = "/tmp/wk-ca-XXXXXX";

/* root/name, in one of a few rotating buffers */
static const char *
sub(const char *name)
{
	static char bufs[4][128];
	static int i;
	char *b = bufs[i++ % 4];

	snprintf(b, sizeof(bufs[0]), "%s/%s", root, name);
	return b;
}

static const char *
cafile(const char *dir, const char *file)
{
	static char bufs[4][192];
	static int i;
	char *b = bufs[i++ % 4];

	snprintf(b, sizeof(bufs[0]), "%s/%s/ca/%s", root, dir, file);
	return b;
}

static mode_t
mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(root) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	return nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static struct wk_ca *
open_ok(const char *name)
{
	char err[512] = "";
	struct wk_ca *ca = wk_ca_open(sub(name), err, sizeof(err));

	if (ca == NULL)
		fail_msg("wk_ca_open: %s", err);
	return ca;
}

static X509 *
load_pem(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x;

	assert_non_null(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	return x;
}

static double
days_between(const ASN1_TIME *from, const ASN1_TIME *to)
{
	int days = 0, secs = 0;

	assert_true(ASN1_TIME_diff(&days, &secs, from, to));
	return days + secs / 86400.0;
}

static void
test_create(void **state)
{
	X509 *x;
	const BASIC_CONSTRAINTS *bc;
	ASN1_BIT_STRING *ku;
	char cn[128];
	struct wk_ca *ca;
	EVP_PKEY *pub;
	mode_t old;
	int crit;

	(void)state;
	old = umask(0); /* the modes must not depend on it */
	ca = open_ok("a");
	umask(old);
	assert_int_equal(mode_of(sub("a")), 0700);
	assert_int_equal(mode_of(cafile("a", "")), 0700);
	assert_int_equal(mode_of(cafile("a", "ca.key")), 0600);
	assert_int_equal(mode_of(cafile("a", "leaf.key")), 0600);
	assert_int_equal(mode_of(cafile("a", "ca.pem")), 0644);
	assert_string_equal(wk_ca_cert_path(ca), cafile("a", "ca.pem"));

	x = wk_ca_cert(ca);
	assert_int_equal(X509_get_version(x), X509_VERSION_3);
	assert_int_equal(
	    X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)),
	    0);
	assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(x),
			NID_commonName, cn, sizeof(cn)) > 0);
	assert_true(strncmp(cn, "wicket local CA (", 17) == 0);
	assert_true(strlen(cn) <= 64);
	assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(x),
			NID_organizationName, cn, sizeof(cn)) > 0);
	assert_string_equal(cn, "wicket");

	bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
	assert_non_null(bc);
	assert_int_equal(crit, 1);
	assert_true(bc->ca);
	assert_int_equal(ASN1_INTEGER_get(bc->pathlen), 0);
	BASIC_CONSTRAINTS_free((BASIC_CONSTRAINTS *)bc);
	ku = X509_get_ext_d2i(x, NID_key_usage, &crit, NULL);
	assert_non_null(ku);
	assert_int_equal(crit, 1);
	ASN1_BIT_STRING_free(ku);
	assert_int_equal(X509_get_key_usage(x), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	assert_non_null(X509_get0_subject_key_id(x));

	/* 10 years, from a day back */
	assert_true(X509_cmp_current_time(X509_get0_notBefore(x)) < 0);
	assert_true(days_between(
			X509_get0_notBefore(x), X509_get0_notAfter(x)) >= 3650);
	pub = X509_get0_pubkey(x);
	assert_int_equal(EVP_PKEY_get_base_id(pub), EVP_PKEY_EC);
	assert_int_equal(EVP_PKEY_get_bits(pub), 256);
	assert_int_equal(X509_verify(x, pub), 1);
	/* positive, more than 64 random bits, at most 128 */
	{
		BIGNUM *bn =
		    ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);

		assert_false(BN_is_negative(bn));
		assert_true(BN_num_bits(bn) > 64 && BN_num_bits(bn) <= 128);
		BN_free(bn);
	}
	wk_ca_free(ca);

	/* a state directory whose parents are missing (~/.local/state) */
	ca = open_ok("deep/state/wicket");
	assert_int_equal(mode_of(sub("deep/state")), 0700);
	assert_int_equal(mode_of(cafile("deep/state/wicket", "ca.key")), 0600);
	wk_ca_free(ca);
}

static void
test_reopen_same(void **state)
{
	struct wk_ca *a, *b;

	(void)state;
	a = open_ok("b");
	b = open_ok("b");
	assert_int_equal(X509_cmp(wk_ca_cert(a), wk_ca_cert(b)), 0);
	wk_ca_free(a);
	wk_ca_free(b);
}

static void
test_refuse_readable_key(void **state)
{
	char err[512] = "";
	struct wk_ca *ca;

	(void)state;
	wk_ca_free(open_ok("c"));
	assert_int_equal(chmod(cafile("c", "ca.key"), 0640), 0);
	ca = wk_ca_open(sub("c"), err, sizeof(err));
	assert_null(ca);
	assert_non_null(strstr(err, "ca.key"));
	assert_non_null(strstr(err, "0640"));
	printf("# refused: %s\n", err);
	/* not replaced */
	assert_int_equal(mode_of(cafile("c", "ca.key")), 0640);
	assert_int_equal(chmod(cafile("c", "ca.key"), 0604), 0);
	assert_null(wk_ca_open(sub("c"), err, sizeof(err)));
	assert_int_equal(chmod(cafile("c", "ca.key"), 0600), 0);
	ca = open_ok("c");
	wk_ca_free(ca);

	/* the leaf key is held to the same rule */
	assert_int_equal(chmod(cafile("c", "leaf.key"), 0644), 0);
	assert_null(wk_ca_open(sub("c"), err, sizeof(err)));
	assert_non_null(strstr(err, "leaf.key"));
	assert_int_equal(chmod(cafile("c", "leaf.key"), 0600), 0);
	wk_ca_free(open_ok("c"));
}

static void
test_rotate(void **state)
{
	struct wk_ca *before, *after;
	char err[512] = "";
	X509 *old;

	(void)state;
	/* rotating where there is no CA yet makes one */
	assert_int_equal(wk_ca_rotate(sub("r"), err, sizeof(err)), 0);
	before = open_ok("r");
	assert_int_equal(wk_ca_rotate(sub("r"), err, sizeof(err)), 0);
	assert_int_equal(mode_of(cafile("r", "ca.key.old")), 0600);
	assert_int_equal(mode_of(cafile("r", "ca.pem.old")), 0600);
	assert_int_equal(mode_of(cafile("r", "ca.key")), 0600);
	assert_int_equal(access(cafile("r", "ca.key.new"), F_OK), -1);
	after = open_ok("r");
	assert_int_equal(mode_of(cafile("r", "leaf.key")), 0600);
	assert_int_not_equal(
	    X509_cmp(wk_ca_cert(before), wk_ca_cert(after)), 0);
	old = load_pem(cafile("r", "ca.pem.old"));
	assert_int_equal(X509_cmp(old, wk_ca_cert(before)), 0);
	X509_free(old);
	wk_ca_free(before);
	wk_ca_free(after);
}

/* Verifies leaf against the CA alone, as a TLS client checking host (a
 * name) or ip (an address literal) would. */
static int
verify(struct wk_ca *ca, struct wk_leaf *leaf, const char *host, const char *ip)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509_VERIFY_PARAM *p;
	int ok;

	assert_non_null(store);
	assert_non_null(ctx);
	assert_int_equal(X509_STORE_add_cert(store, wk_ca_cert(ca)), 1);
	assert_int_equal(
	    X509_STORE_CTX_init(ctx, store, wk_leaf_cert(leaf), NULL), 1);
	p = X509_STORE_CTX_get0_param(ctx);
	assert_int_equal(
	    X509_VERIFY_PARAM_set_purpose(p, X509_PURPOSE_SSL_SERVER), 1);
	if (host != NULL)
		assert_int_equal(X509_VERIFY_PARAM_set1_host(p, host, 0), 1);
	if (ip != NULL)
		assert_int_equal(X509_VERIFY_PARAM_set1_ip_asc(p, ip), 1);
	ok = X509_verify_cert(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return ok;
}

/* The extensions every leaf must have, and its one SAN. */
static void
check_leaf(struct wk_ca *ca, struct wk_leaf *leaf, const char *dns,
    const unsigned char *ip, int iplen)
{
	X509 *x = wk_leaf_cert(leaf);
	GENERAL_NAMES *gens;
	GENERAL_NAME *g;
	BASIC_CONSTRAINTS *bc;
	EXTENDED_KEY_USAGE *eku;
	ASN1_BIT_STRING *ku;
	int crit, type;

	assert_int_equal(X509_get_version(x), X509_VERSION_3);
	assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(x),
			     X509_get_subject_name(wk_ca_cert(ca))),
	    0);

	gens = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
	assert_non_null(gens);
	assert_int_equal(sk_GENERAL_NAME_num(gens), 1);
	g = sk_GENERAL_NAME_value(gens, 0);
	if (dns != NULL) {
		ASN1_IA5STRING *s = GENERAL_NAME_get0_value(g, &type);

		assert_int_equal(type, GEN_DNS);
		assert_int_equal(ASN1_STRING_length(s), (int)strlen(dns));
		assert_memory_equal(ASN1_STRING_get0_data(s), dns, strlen(dns));
	} else {
		ASN1_OCTET_STRING *s = GENERAL_NAME_get0_value(g, &type);

		assert_int_equal(type, GEN_IPADD);
		assert_int_equal(ASN1_STRING_length(s), iplen);
		assert_memory_equal(ASN1_STRING_get0_data(s), ip, iplen);
	}
	GENERAL_NAMES_free(gens);

	bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
	assert_non_null(bc);
	assert_false(bc->ca);
	BASIC_CONSTRAINTS_free(bc);

	ku = X509_get_ext_d2i(x, NID_key_usage, &crit, NULL);
	assert_non_null(ku);
	assert_int_equal(crit, 1);
	ASN1_BIT_STRING_free(ku);
	assert_int_equal(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE);

	eku = X509_get_ext_d2i(x, NID_ext_key_usage, &crit, NULL);
	assert_non_null(eku);
	assert_int_equal(sk_ASN1_OBJECT_num(eku), 1);
	assert_int_equal(
	    OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, 0)), NID_server_auth);
	EXTENDED_KEY_USAGE_free(eku);
	assert_int_equal(X509_get_extended_key_usage(x), XKU_SSL_SERVER);

	assert_non_null(X509_get0_subject_key_id(x));
	assert_non_null(X509_get0_authority_key_id(x));
	assert_int_equal(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(x),
			     X509_get0_subject_key_id(wk_ca_cert(ca))),
	    0);

	/* valid now, for at most 398 days, not beyond the CA */
	assert_true(X509_cmp_current_time(X509_get0_notBefore(x)) < 0);
	assert_true(X509_cmp_current_time(X509_get0_notAfter(x)) > 0);
	assert_true(
	    days_between(X509_get0_notBefore(x), X509_get0_notAfter(x)) <= 398);
	assert_true(days_between(X509_get0_notAfter(x),
			X509_get0_notAfter(wk_ca_cert(ca))) >= 0);

	/* the key is the leaf's; the chain is [leaf, CA] */
	assert_int_equal(X509_check_private_key(x, wk_leaf_key(leaf)), 1);
	assert_int_equal(sk_X509_num(wk_leaf_chain(leaf)), 2);
	assert_ptr_equal(sk_X509_value(wk_leaf_chain(leaf), 0), x);
	assert_ptr_equal(sk_X509_value(wk_leaf_chain(leaf), 1), wk_ca_cert(ca));
}

static void
cn_is(struct wk_leaf *leaf, const char *want)
{
	char cn[128];

	assert_true(
	    X509_NAME_get_text_by_NID(X509_get_subject_name(wk_leaf_cert(leaf)),
		NID_commonName, cn, sizeof(cn)) > 0);
	assert_string_equal(cn, want);
}

static void
test_leaf_name(void **state)
{
	struct wk_ca *ca, *other;
	struct wk_leaf *leaf;

	(void)state;
	ca = open_ok("l");
	leaf = wk_ca_leaf(ca, "www.example.com");
	assert_non_null(leaf);
	check_leaf(ca, leaf, "www.example.com", NULL, 0);
	cn_is(leaf, "www.example.com");
	assert_int_equal(verify(ca, leaf, "www.example.com", NULL), 1);
	assert_int_not_equal(verify(ca, leaf, "other.example.com", NULL), 1);
	assert_int_not_equal(verify(ca, leaf, "example.com", NULL), 1);
	assert_int_not_equal(verify(ca, leaf, NULL, "192.0.2.7"), 1);
	/* another CA does not vouch for it */
	other = open_ok("l2");
	assert_int_not_equal(verify(other, leaf, "www.example.com", NULL), 1);
	wk_ca_free(other);
	wk_leaf_unref(leaf);

	/* underscore and digits, as in real names */
	leaf = wk_ca_leaf(ca, "_dmarc.x1-y.example");
	assert_non_null(leaf);
	assert_int_equal(verify(ca, leaf, "_dmarc.x1-y.example", NULL), 1);
	wk_leaf_unref(leaf);
	wk_ca_free(ca);
}

static void
test_leaf_ip(void **state)
{
	static const unsigned char v4[4] = { 192, 0, 2, 7 };
	static const unsigned char v6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 1 };
	struct wk_ca *ca;
	struct wk_leaf *leaf, *again;

	(void)state;
	ca = open_ok("l");
	leaf = wk_ca_leaf(ca, "192.0.2.7");
	assert_non_null(leaf);
	check_leaf(ca, leaf, NULL, v4, 4);
	cn_is(leaf, "192.0.2.7");
	assert_int_equal(verify(ca, leaf, NULL, "192.0.2.7"), 1);
	assert_int_not_equal(verify(ca, leaf, NULL, "192.0.2.8"), 1);
	assert_int_not_equal(verify(ca, leaf, "192.0.2.7.example", NULL), 1);
	wk_leaf_unref(leaf);

	leaf = wk_ca_leaf(ca, "2001:db8::1");
	assert_non_null(leaf);
	check_leaf(ca, leaf, NULL, v6, 16);
	assert_int_equal(verify(ca, leaf, NULL, "2001:db8::1"), 1);
	assert_int_equal(verify(ca, leaf, NULL, "2001:db8:0:0::1"), 1);
	assert_int_not_equal(verify(ca, leaf, NULL, "2001:db8::2"), 1);
	/* other spellings of the same address are the same leaf */
	again = wk_ca_leaf(ca, "2001:DB8:0::1");
	assert_ptr_equal(again, leaf);
	wk_leaf_unref(again);
	again = wk_ca_leaf(ca, "[2001:db8::1]");
	assert_ptr_equal(again, leaf);
	wk_leaf_unref(again);
	wk_leaf_unref(leaf);
	wk_ca_free(ca);
}

static void
test_leaf_names_normalised(void **state)
{
	char longname[256], cn[65];
	struct wk_ca *ca;
	struct wk_leaf *a, *b;
	size_t i;

	(void)state;
	ca = open_ok("l");
	a = wk_ca_leaf(ca, "www.example.com");
	b = wk_ca_leaf(ca, "WWW.Example.COM.");
	assert_non_null(a);
	assert_ptr_equal(a, b);
	wk_leaf_unref(a);
	wk_leaf_unref(b);

	/* a 250-byte name: full in the SAN, 64 bytes in the CN */
	memset(longname, 0, sizeof(longname));
	for (i = 0; i < 4; i++) {
		memset(longname + i * 62, 'a' + (int)i, 61);
		longname[i * 62 + 61] = '.';
	}
	memcpy(longname + 248, "io", 2);
	assert_int_equal(strlen(longname), 250);
	a = wk_ca_leaf(ca, longname);
	assert_non_null(a);
	check_leaf(ca, a, longname, NULL, 0);
	memcpy(cn, longname, 64);
	cn[64] = '\0';
	cn_is(a, cn);
	assert_int_equal(verify(ca, a, longname, NULL), 1);
	wk_leaf_unref(a);

	/* not host names */
	assert_null(wk_ca_leaf(ca, ""));
	assert_null(wk_ca_leaf(ca, "a..b"));
	assert_null(wk_ca_leaf(ca, ".a"));
	assert_null(wk_ca_leaf(ca, "bad host"));
	assert_null(wk_ca_leaf(ca, "a,DNS:evil.example"));
	assert_null(wk_ca_leaf(ca, "1::2::3"));
	memset(longname, 'a', 70);
	longname[70] = '\0';
	assert_null(wk_ca_leaf(ca, longname)); /* a 70-byte label */
	wk_ca_free(ca);
}

static void
test_cache(void **state)
{
	struct wk_leaf *a, *a2, *b, *c;
	uint64_t minted, hits;
	struct wk_ca *ca;

	(void)state;
	ca = open_ok("l");
	a = wk_ca_leaf(ca, "a.example");
	wk_ca_stats(ca, &minted, &hits);
	assert_int_equal(minted, 1);
	assert_int_equal(hits, 0);
	a2 = wk_ca_leaf(ca, "a.example");
	assert_ptr_equal(a, a2);
	wk_ca_stats(ca, &minted, &hits);
	assert_int_equal(minted, 1);
	assert_int_equal(hits, 1);
	wk_leaf_unref(a2);

	/* LRU with room for 2: a b a c evicts b */
	wk_ca_set_cache_max(ca, 2);
	b = wk_ca_leaf(ca, "b.example");
	wk_leaf_unref(wk_ca_leaf(ca, "a.example"));
	c = wk_ca_leaf(ca, "c.example");
	wk_ca_stats(ca, &minted, &hits);
	assert_int_equal(minted, 3);
	assert_int_equal(hits, 2);
	a2 = wk_ca_leaf(ca, "a.example"); /* still there */
	assert_ptr_equal(a, a2);
	wk_leaf_unref(a2);
	wk_ca_stats(ca, &minted, &hits);
	assert_int_equal(minted, 3);
	assert_int_equal(hits, 3);
	/* b was evicted, yet the reference we hold stays valid */
	assert_int_equal(verify(ca, b, "b.example", NULL), 1);
	a2 = wk_ca_leaf(ca, "b.example");
	assert_non_null(a2);
	assert_ptr_not_equal(a2, b);
	wk_ca_stats(ca, &minted, &hits);
	assert_int_equal(minted, 4);
	wk_leaf_unref(a2);
	wk_leaf_unref(b);
	wk_leaf_unref(c);

	/* shrinking to 1 keeps the most recent (b) */
	wk_ca_set_cache_max(ca, 1);
	a2 = wk_ca_leaf(ca, "b.example");
	wk_ca_stats(ca, &minted, &hits);
	assert_int_equal(minted, 4);
	wk_leaf_unref(a2);
	wk_leaf_unref(a);
	/* and growing again works */
	wk_ca_set_cache_max(ca, 5000);
	a2 = wk_ca_leaf(ca, "b.example");
	wk_ca_stats(ca, &minted, &hits);
	assert_int_equal(minted, 4);
	wk_leaf_unref(a2);
	wk_ca_free(ca);
}

#define T_THREADS 4
#define T_CALLS 400
#define T_NAMES 48

struct t_arg {
	struct wk_ca *ca;
	int id;
	int bad;
};

static void *
t_run(void *p)
{
	struct t_arg *t = p;
	char host[64], cn[64];

	for (int i = 0; i < T_CALLS; i++) {
		/* each thread walks the names from another start */
		int n = (i * 7 + t->id * 11) % T_NAMES;
		struct wk_leaf *leaf;

		snprintf(host, sizeof(host), "h%d.example.org", n);
		leaf = wk_ca_leaf(t->ca, host);
		if (leaf == NULL ||
		    X509_NAME_get_text_by_NID(
			X509_get_subject_name(wk_leaf_cert(leaf)),
			NID_commonName, cn, sizeof(cn)) <= 0 ||
		    strcmp(cn, host) != 0 ||
		    X509_check_host(wk_leaf_cert(leaf), host, 0, 0, NULL) != 1)
			t->bad++;
		wk_leaf_unref(leaf);
	}
	return NULL;
}

static void
test_threads(void **state)
{
	struct t_arg args[T_THREADS];
	pthread_t th[T_THREADS];
	uint64_t minted, hits;
	struct wk_ca *ca;

	(void)state;
	ca = open_ok("t");
	wk_ca_set_cache_max(ca, 32); /* fewer than the names: evictions */
	for (int i = 0; i < T_THREADS; i++) {
		args[i] = (struct t_arg){ .ca = ca, .id = i };
		assert_int_equal(
		    pthread_create(&th[i], NULL, t_run, &args[i]), 0);
	}
	for (int i = 0; i < T_THREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(args[i].bad, 0);
	}
	/* every call either hit the cache or minted */
	wk_ca_stats(ca, &minted, &hits);
	assert_int_equal(minted + hits, T_THREADS * T_CALLS);
	assert_true(minted >= T_NAMES);
	printf("# threads: %llu minted, %llu cache hits\n",
	    (unsigned long long)minted, (unsigned long long)hits);
	wk_ca_free(ca);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
test_mint_time(void **state)
{
	enum { N = 200 };
	double ms[N];
	struct timespec t0, t1;
	struct wk_ca *ca;
	char host[64];

	(void)state;
	ca = open_ok("m");
	for (int i = 0; i < N; i++) {
		struct wk_leaf *leaf;

		snprintf(host, sizeof(host), "n%d.mint.example", i);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		leaf = wk_ca_leaf(ca, host);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		assert_non_null(leaf);
		wk_leaf_unref(leaf);
		ms[i] = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	}
	qsort(ms, N, sizeof(ms[0]), cmp_double);
	/* a diagnostic, never asserted: machines differ */
	printf("# mint median %.2f ms (p90 %.2f ms, max %.2f ms, %d names)\n",
	    (ms[N / 2 - 1] + ms[N / 2]) / 2, ms[N * 9 / 10], ms[N - 1], N);
	fflush(stdout);
	wk_ca_free(ca);
}

static void
test_export(void **state)
{
	struct wk_ca *ca;
	X509 *x;
	FILE *f;

	(void)state;
	ca = open_ok("e");
	f = tmpfile();
	assert_non_null(f);
	assert_int_equal(wk_ca_write_cert(ca, false, f), 0);
	rewind(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	assert_non_null(x);
	assert_int_equal(X509_cmp(x, wk_ca_cert(ca)), 0);
	X509_free(x);
	fclose(f);

	f = tmpfile();
	assert_non_null(f);
	assert_int_equal(wk_ca_write_cert(ca, true, f), 0);
	rewind(f);
	x = d2i_X509_fp(f, NULL);
	assert_non_null(x);
	assert_int_equal(X509_cmp(x, wk_ca_cert(ca)), 0);
	X509_free(x);
	fclose(f);
	wk_ca_free(ca);
}

/* Runs wk_ca_cli; returns its status, output in *out (caller closes). */
static int
cli(const char *dir, FILE **out, FILE **err, int argc, ...)
{
	char *argv[8];
	va_list ap;
	int st;

	va_start(ap, argc);
	for (int i = 0; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	argv[argc] = NULL;
	*out = tmpfile();
	*err = tmpfile();
	assert_non_null(*out);
	assert_non_null(*err);
	st = wk_ca_cli(dir, argc, argv, *out, *err);
	rewind(*out);
	rewind(*err);
	return st;
}

static void
test_cli(void **state)
{
	char line[512];
	FILE *out, *err;
	struct wk_ca *ca;
	X509 *x, *y;

	(void)state;
	/* export creates the CA on first run */
	assert_int_equal(cli(sub("cli"), &out, &err, 1, "export"), 0);
	x = PEM_read_X509(out, NULL, NULL, NULL);
	assert_non_null(x);
	fclose(out);
	fclose(err);
	ca = open_ok("cli");
	assert_int_equal(X509_cmp(x, wk_ca_cert(ca)), 0);
	wk_ca_free(ca);

	assert_int_equal(cli(sub("cli"), &out, &err, 2, "export", "--der"), 0);
	y = d2i_X509_fp(out, NULL);
	assert_non_null(y);
	assert_int_equal(X509_cmp(x, y), 0);
	X509_free(y);
	fclose(out);
	fclose(err);

	assert_int_equal(cli(sub("cli"), &out, &err, 1, "rotate"), 0);
	assert_non_null(fgets(line, sizeof(line), out));
	assert_non_null(strstr(line, "new CA"));
	fclose(out);
	fclose(err);
	y = load_pem(cafile("cli", "ca.pem"));
	assert_int_not_equal(X509_cmp(x, y), 0);
	X509_free(y);
	y = load_pem(cafile("cli", "ca.pem.old"));
	assert_int_equal(X509_cmp(x, y), 0);
	X509_free(y);
	X509_free(x);

	/* usage errors */
	assert_int_equal(cli(sub("cli"), &out, &err, 0), 2);
	fclose(out);
	fclose(err);
	assert_int_equal(cli(sub("cli"), &out, &err, 1, "bogus"), 2);
	assert_non_null(fgets(line, sizeof(line), err));
	assert_non_null(strstr(line, "bogus"));
	fclose(out);
	fclose(err);
	assert_int_equal(cli(sub("cli"), &out, &err, 2, "export", "--x"), 2);
	fclose(out);
	fclose(err);
	assert_int_equal(cli(sub("cli"), &out, &err, 2, "rotate", "now"), 2);
	fclose(out);
	fclose(err);
	assert_int_equal(cli(sub("cli"), &out, &err, 1, "help"), 0);
	fclose(out);
	fclose(err);

	/* failures */
	assert_int_equal(chmod(cafile("cli", "ca.key"), 0640), 0);
	assert_int_equal(cli(sub("cli"), &out, &err, 1, "export"), 1);
	assert_non_null(fgets(line, sizeof(line), err));
	assert_non_null(strstr(line, "ca.key"));
	fclose(out);
	fclose(err);
	assert_int_equal(cli(NULL, &out, &err, 1, "export"), 1);
	fclose(out);
	fclose(err);
	assert_int_equal(
	    cli("/proc/nonexistent/x", &out, &err, 1, "export"), 1);
	fclose(out);
	fclose(err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_reopen_same),
		cmocka_unit_test(test_refuse_readable_key),
		cmocka_unit_test(test_rotate),
		cmocka_unit_test(test_leaf_name),
		cmocka_unit_test(test_leaf_ip),
		cmocka_unit_test(test_leaf_names_normalised),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_mint_time),
		cmocka_unit_test(test_export),
		cmocka_unit_test(test_cli),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
