/* src/tls/tls.c: the TLS contexts. One server context for interception
 * (the leaf goes on each SSL), client contexts per trust configuration
 * (the system store, or a configured CA file/dir), a small resumption
 * cache per origin, and error texts for pages and logs. */
#include "core/wk.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "config/conf.h"
#include "core/alloc.h"
#include "core/hash.h"
#include "core/idna.h"
#include "core/netaddr.h"
#include "log/log.h"
#include "tls/ca.h"
#include "tls/tls.h"

#define TLS_RESUME_SLOTS 256

struct tls_resume_slot {
	char key[WK_HOST_MAX + 8]; /* "host:port" */
	SSL_SESSION *sess;
};

static struct {
	pthread_mutex_t mu; /* guards ctx creation and the resume cache */
	struct wk_ca *ca;
	SSL_CTX *server;
	SSL_CTX *client;     /* verifying against the chosen store */
	char *client_cafile; /* what client was built for */
	char *client_cadir;
	int key_idx; /* ex_data: the resume key of an SSL */
	struct tls_resume_slot resume[TLS_RESUME_SLOTS];
} T = { .mu = PTHREAD_MUTEX_INITIALIZER, .key_idx = -1 };

static const unsigned char tls_alpn_h1[] = { 8, 'h', 't', 't', 'p', '/', '1',
	'.', '1' };

/* ALPN: http/1.1 when the client offers it (h2 can come later here). */
static int
tls_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	(void)ssl, (void)arg;
	if (SSL_select_next_proto((unsigned char **)out, outlen, tls_alpn_h1,
		sizeof(tls_alpn_h1), in, inlen) == OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_OK;
	return SSL_TLSEXT_ERR_NOACK;
}

static size_t
tls_slot(const char *key)
{
	return (size_t)(wk_hash_fnv1a(key, strlen(key)) % TLS_RESUME_SLOTS);
}

static int
tls_new_session_cb(SSL *ssl, SSL_SESSION *sess)
{
	const char *key = SSL_get_ex_data(ssl, T.key_idx);
	struct tls_resume_slot *sl;

	if (key == NULL)
		return 0;
	pthread_mutex_lock(&T.mu);
	sl = &T.resume[tls_slot(key)];
	if (sl->sess != NULL)
		SSL_SESSION_free(sl->sess);
	snprintf(sl->key, sizeof(sl->key), "%s", key);
	/* a copy: OpenSSL marks the connection's own session not resumable
	 * when that connection is freed without a TLS shutdown, as origin
	 * connections are */
	sl->sess = SSL_SESSION_dup(sess);
	pthread_mutex_unlock(&T.mu);
	return 0;
}

static void
tls_free_key(
    void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	(void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
	free(ptr);
}

int
wk_tls_init(const char *state_dir, char *err, size_t errlen)
{
	T.key_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, tls_free_key);
	T.server = SSL_CTX_new(TLS_server_method());
	if (T.server == NULL) {
		snprintf(err, errlen, "cannot make a TLS context");
		return -1;
	}
	SSL_CTX_set_min_proto_version(T.server, TLS1_2_VERSION);
	SSL_CTX_set_alpn_select_cb(T.server, tls_alpn_select, NULL);
	/* leaves are per SSL; sessions of intercepted clients are kept by
	 * OpenSSL's own server cache */
	SSL_CTX_set_session_cache_mode(T.server, SSL_SESS_CACHE_SERVER);
	SSL_CTX_set_session_id_context(
	    T.server, (const unsigned char *)"wicket", 6);
	T.ca = wk_ca_open(state_dir, err, errlen);
	return T.ca != NULL ? 0 : -1;
}

void
wk_tls_shutdown(void)
{
	for (size_t i = 0; i < TLS_RESUME_SLOTS; i++)
		if (T.resume[i].sess != NULL) {
			SSL_SESSION_free(T.resume[i].sess);
			T.resume[i].sess = NULL;
		}
	SSL_CTX_free(T.server);
	T.server = NULL;
	SSL_CTX_free(T.client);
	T.client = NULL;
	free(T.client_cafile);
	free(T.client_cadir);
	T.client_cafile = T.client_cadir = NULL;
	wk_ca_free(T.ca);
	T.ca = NULL;
}

struct wk_ca *
wk_tls_ca(void)
{
	return T.ca;
}

struct bufferevent *
wk_tls_accept(struct event_base *base, struct bufferevent *under,
    const char *host, char *err, size_t errlen)
{
	struct wk_leaf *leaf;
	struct bufferevent *bev;
	SSL *ssl;

	if (T.ca == NULL || T.server == NULL) {
		snprintf(err, errlen, "no local CA (see the log at start)");
		return NULL;
	}
	uint64_t minted0, minted1, hits;

	wk_ca_stats(T.ca, &minted0, &hits);
	leaf = wk_ca_leaf(T.ca, host);
	wk_ca_stats(T.ca, &minted1, &hits);
	if (minted1 != minted0)
		wk_log_info("tls: minted a certificate for %s", host);
	if (leaf == NULL) {
		snprintf(err, errlen, "cannot mint a certificate for %s", host);
		return NULL;
	}
	ssl = SSL_new(T.server);
	if (ssl == NULL || SSL_use_certificate(ssl, wk_leaf_cert(leaf)) != 1 ||
	    SSL_use_PrivateKey(ssl, wk_leaf_key(leaf)) != 1 ||
	    SSL_add1_chain_cert(ssl, wk_ca_cert(T.ca)) != 1) {
		snprintf(err, errlen, "cannot set up TLS for %s", host);
		SSL_free(ssl);
		wk_leaf_unref(leaf);
		return NULL;
	}
	wk_leaf_unref(leaf); /* the SSL holds its own references */
	bev = bufferevent_openssl_filter_new(
	    base, under, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		snprintf(err, errlen, "cannot set up TLS for %s", host);
		SSL_free(ssl);
		return NULL;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

/* The client context for c's trust settings (rebuilt when they change). */
static SSL_CTX *
tls_client_ctx(const struct wk_config *c)
{
	const char *file = c->tls.ca_file, *dir = c->tls.ca_dir;
	SSL_CTX *ctx;

	pthread_mutex_lock(&T.mu);
	if (T.client != NULL &&
	    ((file == NULL && T.client_cafile == NULL) ||
		(file != NULL && T.client_cafile != NULL &&
		    strcmp(file, T.client_cafile) == 0)) &&
	    ((dir == NULL && T.client_cadir == NULL) ||
		(dir != NULL && T.client_cadir != NULL &&
		    strcmp(dir, T.client_cadir) == 0))) {
		ctx = T.client;
		SSL_CTX_up_ref(ctx);
		pthread_mutex_unlock(&T.mu);
		return ctx;
	}
	ctx = SSL_CTX_new(TLS_client_method());
	if (ctx != NULL) {
		SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
		if (SSL_CTX_set_default_verify_paths(ctx) != 1)
			wk_log_warnx("tls: no system trust store");
		if ((file != NULL || dir != NULL) &&
		    SSL_CTX_load_verify_locations(ctx, file, dir) != 1)
			wk_log_err("tls: cannot load the CA %s%s%s",
			    file ? file : "", file && dir ? " and " : "",
			    dir ? dir : "");
		SSL_CTX_set_alpn_protos(ctx, tls_alpn_h1, sizeof(tls_alpn_h1));
		SSL_CTX_set_session_cache_mode(ctx,
		    SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
		SSL_CTX_sess_set_new_cb(ctx, tls_new_session_cb);
		SSL_CTX_free(T.client);
		T.client = ctx;
		free(T.client_cafile);
		free(T.client_cadir);
		T.client_cafile = file ? wk_strdup(file) : NULL;
		T.client_cadir = dir ? wk_strdup(dir) : NULL;
		SSL_CTX_up_ref(ctx);
	}
	pthread_mutex_unlock(&T.mu);
	return ctx;
}

struct bufferevent *
wk_tls_connect(struct event_base *base, struct bufferevent *under,
    const struct wk_config *c, const char *host, uint16_t port, bool verify)
{
	SSL_CTX *ctx = tls_client_ctx(c);
	struct tls_resume_slot *sl;
	struct bufferevent *bev;
	char key[WK_HOST_MAX + 8];
	bool ip = wk_host_is_ip_literal(host);
	SSL *ssl;

	if (ctx == NULL)
		return NULL;
	ssl = SSL_new(ctx);
	SSL_CTX_free(ctx); /* the SSL holds it */
	if (ssl == NULL)
		return NULL;
	if (!ip)
		SSL_set_tlsext_host_name(ssl, host);
	if (verify) {
		X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);

		SSL_set_verify(ssl, SSL_VERIFY_PEER, NULL);
		if (ip)
			X509_VERIFY_PARAM_set1_ip_asc(vp, host);
		else
			X509_VERIFY_PARAM_set1_host(vp, host, 0);
	} else {
		SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL);
	}
	snprintf(key, sizeof(key), "%s:%u%s", host, port, verify ? "" : "!");
	SSL_set_ex_data(ssl, T.key_idx, wk_strdup(key));
	pthread_mutex_lock(&T.mu);
	sl = &T.resume[tls_slot(key)];
	if (sl->sess != NULL && strcmp(sl->key, key) == 0)
		SSL_set_session(ssl, sl->sess);
	pthread_mutex_unlock(&T.mu);
	bev = bufferevent_openssl_filter_new(base, under, ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		SSL_free(ssl);
		return NULL;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

void
wk_tls_error(struct bufferevent *bev, char *buf, size_t len)
{
	SSL *ssl = bufferevent_openssl_get_ssl(bev);
	unsigned long e = bufferevent_get_openssl_error(bev);
	long v;

	if (ssl != NULL && (v = SSL_get_verify_result(ssl)) != X509_V_OK) {
		snprintf(buf, len, "certificate verification failed: %s",
		    X509_verify_cert_error_string(v));
		return;
	}
	if (e != 0) {
		char t[256];

		ERR_error_string_n(e, t, sizeof(t));
		snprintf(buf, len, "TLS handshake failed: %s", t);
		return;
	}
	snprintf(buf, len, "TLS handshake failed (connection closed)");
}

const char *
wk_tls_version(struct bufferevent *bev)
{
	SSL *ssl = bufferevent_openssl_get_ssl(bev);

	return ssl != NULL ? SSL_get_version(ssl) : "-";
}
