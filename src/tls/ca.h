/* src/tls/ca.h: the local CA in STATE_DIR/ca/ and the leaf certificates it
 * mints for intercepted hosts, cached in a bounded LRU shared by workers. */
#ifndef WK_TLS_CA_H
#define WK_TLS_CA_H

#include "core/wk.h"

#include <stdio.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define WK_CA_CACHE_MAX 4096 /* default number of cached leaves */

struct wk_ca;
struct wk_leaf;

/* Loads STATE_DIR/ca/ca.key (PEM PKCS#8, refused when group or others have
 * any access to it) and ca.pem, or creates both (ECDSA P-256, 10 years)
 * when the key is absent; STATE_DIR and STATE_DIR/ca are created 0700.
 * Also loads or creates leaf.key, the one key of every leaf. Returns the
 * CA, or NULL with why in err. */
struct wk_ca *wk_ca_open(const char *state_dir, char *err, size_t errlen);
/* Replaces the CA on disk: the current files become ca.key.old and
 * ca.pem.old (0600), a new CA and leaf key are written. Processes that hold
 * the old CA keep it until they open it again. Returns 0, or -1 with why
 * in err. */
int wk_ca_rotate(const char *state_dir, char *err, size_t errlen);
/* Frees the CA (NULL allowed); leaves handed out stay valid. */
void wk_ca_free(struct wk_ca *ca);

/* Writes the CA certificate to out as PEM, or DER. Returns 0 or -1. */
int wk_ca_write_cert(const struct wk_ca *ca, bool der, FILE *out);
/* Path of ca.pem; borrowed for the life of ca. */
const char *wk_ca_cert_path(const struct wk_ca *ca);
/* The CA certificate; borrowed for the life of ca. */
X509 *wk_ca_cert(const struct wk_ca *ca);

/* Bounds the leaf cache to n entries (at least 1), evicting the least
 * recently used ones. Thread-safe. */
void wk_ca_set_cache_max(struct wk_ca *ca, size_t n);
/* Leaves minted and cache hits since wk_ca_open. Thread-safe. */
void wk_ca_stats(
    const struct wk_ca *ca, uint64_t *minted, uint64_t *cache_hits);

/* A leaf for host, an A-label name (a trailing dot is ignored, case does
 * not matter) or an IP literal (IPv4, or IPv6 without brackets): SAN
 * DNS:host or IP:addr, EKU serverAuth, valid from an hour ago for 397 days
 * (no longer than the CA). From the cache when it holds one younger than
 * 30 days, else minted. Thread-safe. Returns a new reference for the
 * caller to wk_leaf_unref, or NULL (logged) when host is not a valid name
 * or OpenSSL fails. */
struct wk_leaf *wk_ca_leaf(struct wk_ca *ca, const char *host);
/* Drops a reference (NULL allowed). Thread-safe. */
void wk_leaf_unref(struct wk_leaf *leaf);
/* The leaf's certificate, key and chain [leaf, CA]; borrowed while the
 * reference is held, and never to be modified (other threads share them). */
X509 *wk_leaf_cert(const struct wk_leaf *leaf);
EVP_PKEY *wk_leaf_key(const struct wk_leaf *leaf);
/* STACK_OF(X509), spelt out so that clang-format keeps it readable */
struct stack_st_X509 *wk_leaf_chain(const struct wk_leaf *leaf);

#endif
