/* src/tls/ca.c: the local CA (files, creation, rotation) and leaf minting
 * with a bounded LRU cache shared by the workers. */
#include "core/wk.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/alloc.h"
#include "core/idna.h"
#include "log/log.h"
#include "tls/ca.h"

#define CA_DAY 86400
#define CA_VALID_DAYS 3650  /* lifetime of the CA */
#define LEAF_VALID_DAYS 397 /* browsers refuse more than 398 */
#define LEAF_BACKDATE 3600  /* notBefore, for skewed clocks */
#define LEAF_CACHE_AGE                                                         \
	(30 * CA_DAY)		  /* re-mint cached leaves older than this     \
				   */
#define CA_FILE_MAX (1024 * 1024) /* bytes of a PEM file we read */
#define CA_CN_MAX 64		  /* ub-common-name */
#define CA_BUCKETS_MAX (1u << 20)

struct wk_leaf {
	int refs; /* atomic */
	X509 *cert;
	EVP_PKEY *key; /* shared by every leaf of the CA */
	/* STACK_OF(X509) spelt out (clang-format): [leaf, CA], own refs */
	struct stack_st_X509 *chain;
};

/* One cached leaf: in a hash chain and in the LRU list. */
struct ca_entry {
	struct ca_entry *hnext;
	struct ca_entry *prev, *next; /* LRU, head is the most recent */
	struct wk_leaf *leaf;	      /* the cache's reference */
	time_t born;
	uint32_t hash;
	char host[]; /* the normalised host, the key */
};

struct wk_ca {
	char *cert_path;
	X509 *cert;
	EVP_PKEY *key;
	EVP_PKEY *leaf_key;
	const EVP_MD *md; /* NULL for keys that hash themselves (Ed25519) */
	time_t not_after; /* of the CA */

	pthread_mutex_t mu; /* guards the cache below */
	struct ca_entry **buckets;
	size_t nbuckets; /* a power of 2 */
	struct ca_entry *head, *tail;
	size_t count, max;
	uint64_t minted; /* atomic */
	uint64_t hits;	 /* atomic */
};

/* The files of STATE_DIR/ca/. */
struct ca_files {
	char *dir;
	char *key, *pem, *leaf_key, *lock;
	char *key_old, *pem_old, *key_new, *pem_new;
};

static void WK_PRINTF(3, 4)
    ca_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Writes "what: <first OpenSSL error>" to err and clears the queue. */
static void
ca_ossl_err(char *err, size_t errlen, const char *what)
{
	char buf[256];
	unsigned long e = ERR_get_error();

	if (e != 0)
		ERR_error_string_n(e, buf, sizeof(buf));
	else
		snprintf(buf, sizeof(buf), "unknown OpenSSL error");
	ERR_clear_error();
	ca_err(err, errlen, "%s: %s", what, buf);
}

static void
ca_files_init(struct ca_files *f, const char *state_dir)
{
	f->dir = wk_asprintf("%s/ca", state_dir);
	f->key = wk_asprintf("%s/ca.key", f->dir);
	f->pem = wk_asprintf("%s/ca.pem", f->dir);
	f->leaf_key = wk_asprintf("%s/leaf.key", f->dir);
	f->lock = wk_asprintf("%s/lock", f->dir);
	f->key_old = wk_asprintf("%s/ca.key.old", f->dir);
	f->pem_old = wk_asprintf("%s/ca.pem.old", f->dir);
	f->key_new = wk_asprintf("%s/ca.key.new", f->dir);
	f->pem_new = wk_asprintf("%s/ca.pem.new", f->dir);
}

static void
ca_files_clear(struct ca_files *f)
{
	wk_free(f->dir);
	wk_free(f->key);
	wk_free(f->pem);
	wk_free(f->leaf_key);
	wk_free(f->lock);
	wk_free(f->key_old);
	wk_free(f->pem_old);
	wk_free(f->key_new);
	wk_free(f->pem_new);
}

/* Creates path as a directory 0700 unless it exists (as a directory). */
static int
ca_mkdir(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (mkdir(path, 0700) == 0) {
		/* umask-proof */
		if (chmod(path, 0700) == -1) {
			ca_err(
			    err, errlen, "chmod %s: %s", path, strerror(errno));
			return -1;
		}
		return 0;
	}
	if (errno != EEXIST) {
		ca_err(err, errlen, "mkdir %s: %s", path, strerror(errno));
		return -1;
	}
	if (stat(path, &st) == -1 || !S_ISDIR(st.st_mode)) {
		ca_err(err, errlen, "%s exists and is not a directory", path);
		return -1;
	}
	return 0;
}

/* Creates STATE_DIR (with its missing parents, as XDG wants them: 0700)
 * and STATE_DIR/ca. */
static int
ca_mkdirs(const char *state_dir, const char *ca_dir, char *err, size_t errlen)
{
	char *p = wk_strdup(state_dir);

	for (char *s = strchr(p + 1, '/'); s != NULL; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(p, 0700) == -1 && errno != EEXIST) {
			ca_err(err, errlen, "mkdir %s: %s", p, strerror(errno));
			free(p);
			return -1;
		}
		*s = '/';
	}
	free(p);
	if (ca_mkdir(state_dir, err, errlen) == -1 ||
	    ca_mkdir(ca_dir, err, errlen) == -1)
		return -1;
	return 0;
}

/* Takes the lock of STATE_DIR/ca/ against another wicket creating or
 * rotating at the same time. Returns the fd to close, or -1 when the
 * directory cannot hold a lock (read-only: loading still works). */
static int
ca_lock(const struct ca_files *f)
{
	int fd;

	fd = open(f->lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1)
		return -1;
	while (flock(fd, LOCK_EX) == -1) {
		if (errno != EINTR) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

static void
ca_unlock(int fd)
{
	if (fd != -1)
		close(fd); /* releases the flock */
}

/* Writes data to path with mode, atomically: a new file (O_EXCL, so never
 * someone else's) renamed over path. Returns 0, or -1 with err. */
static int
ca_write_file(const char *path, const void *data, size_t len, mode_t mode,
    char *err, size_t errlen)
{
	char *tmp = wk_asprintf("%s.tmp", path);
	const uint8_t *p = data;
	int fd, ret = -1;

	/* a leftover of a crash; we hold the directory's lock */
	if (unlink(tmp) == -1 && errno != ENOENT) {
		ca_err(err, errlen, "unlink %s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = open(
	    tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1) {
		ca_err(err, errlen, "create %s: %s", tmp, strerror(errno));
		goto out;
	}
	/* exact mode whatever the umask */
	if (fchmod(fd, mode) == -1) {
		ca_err(err, errlen, "chmod %s: %s", tmp, strerror(errno));
		goto fail_fd;
	}
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			ca_err(
			    err, errlen, "write %s: %s", tmp, strerror(errno));
			goto fail_fd;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) == -1) {
		ca_err(err, errlen, "fsync %s: %s", tmp, strerror(errno));
		goto fail_fd;
	}
	if (close(fd) == -1) {
		fd = -1;
		ca_err(err, errlen, "close %s: %s", tmp, strerror(errno));
		goto fail_fd;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		ca_err(err, errlen, "rename %s: %s", path, strerror(errno));
		goto fail_fd;
	}
	ret = 0;
	goto out;
fail_fd:
	if (fd != -1)
		close(fd);
	unlink(tmp);
out:
	free(tmp);
	return ret;
}

/* Reads path into a memory BIO. A secret file must be a regular file that
 * neither group nor others can access. Returns the BIO, or NULL with err
 * and *absent set when the file does not exist. */
static BIO *
ca_read_file(
    const char *path, bool secret, bool *absent, char *err, size_t errlen)
{
	struct stat st;
	BIO *bio = NULL;
	uint8_t *buf = NULL;
	size_t off = 0;
	int fd;

	*absent = false;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1) {
		*absent = errno == ENOENT;
		ca_err(err, errlen, "open %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		ca_err(err, errlen, "stat %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > CA_FILE_MAX) {
		ca_err(err, errlen,
		    "%s is not a regular file of at most %d "
		    "bytes",
		    path, CA_FILE_MAX);
		goto out;
	}
	if (secret && (st.st_mode & 077) != 0) {
		ca_err(err, errlen,
		    "%s holds a private key but has mode %04o (group or "
		    "others can access it); refusing to use it: run "
		    "`chmod 600 %s` if it was not exposed, else `wicket ca "
		    "rotate`",
		    path, (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	buf = wk_malloc((size_t)st.st_size + 1);
	while (off < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + off, (size_t)st.st_size - off);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			ca_err(
			    err, errlen, "read %s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		off += (size_t)n;
	}
	bio = BIO_new(BIO_s_mem());
	if (bio == NULL || BIO_write(bio, buf, (int)off) != (int)off) {
		BIO_free(bio);
		bio = NULL;
		ca_ossl_err(err, errlen, "memory BIO");
	}
out:
	if (buf != NULL) {
		OPENSSL_cleanse(buf, off);
		free(buf);
	}
	close(fd);
	return bio;
}

/* Never prompts for a passphrase: encrypted keys are refused. */
static int
ca_no_pass(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* Loads a private key from a file only we can read. */
static EVP_PKEY *
ca_load_key(const char *path, bool *absent, char *err, size_t errlen)
{
	EVP_PKEY *key;
	BIO *bio;

	bio = ca_read_file(path, true, absent, err, errlen);
	if (bio == NULL)
		return NULL;
	key = PEM_read_bio_PrivateKey(bio, NULL, ca_no_pass, NULL);
	if (key == NULL)
		ca_ossl_err(err, errlen, path);
	BIO_free(bio);
	return key;
}

static X509 *
ca_load_cert(const char *path, char *err, size_t errlen)
{
	bool absent;
	X509 *x;
	BIO *bio;

	bio = ca_read_file(path, false, &absent, err, errlen);
	if (bio == NULL)
		return NULL;
	x = PEM_read_bio_X509(bio, NULL, ca_no_pass, NULL);
	if (x == NULL)
		ca_ossl_err(err, errlen, path);
	BIO_free(bio);
	return x;
}

/* Writes key as PEM PKCS#8 to path, mode 0600. */
static int
ca_write_key(const char *path, EVP_PKEY *key, char *err, size_t errlen)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long len;
	int ret = -1;

	if (bio == NULL ||
	    !PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)) {
		ca_ossl_err(err, errlen, "PEM_write_bio_PrivateKey");
		goto out;
	}
	len = BIO_get_mem_data(bio, &data);
	ret = ca_write_file(path, data, (size_t)len, 0600, err, errlen);
out:
	BIO_free(bio); /* a mem BIO cleanses nothing: fine, we are the owner */
	return ret;
}

static int
ca_write_pem(const char *path, X509 *x, char *err, size_t errlen)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long len;
	int ret = -1;

	if (bio == NULL || !PEM_write_bio_X509(bio, x)) {
		ca_ossl_err(err, errlen, "PEM_write_bio_X509");
		goto out;
	}
	len = BIO_get_mem_data(bio, &data);
	ret = ca_write_file(path, data, (size_t)len, 0644, err, errlen);
out:
	BIO_free(bio);
	return ret;
}

static EVP_PKEY *
ca_keygen(char *err, size_t errlen)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	if (k == NULL)
		ca_ossl_err(err, errlen, "generating a P-256 key");
	return k;
}

/* The digest to sign with key. */
static const EVP_MD *
ca_md(EVP_PKEY *key)
{
	int id = EVP_PKEY_get_base_id(key);

	if (id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448)
		return NULL;
	return EVP_sha256();
}

/* A positive random serial of up to 128 bits (RFC 5280: at most 20 bytes;
 * CA/B: at least 64 bits of entropy). */
static int
ca_set_serial(X509 *x)
{
	uint8_t b[16];
	BIGNUM *bn;
	int ok = 0;

	if (RAND_bytes(b, sizeof(b)) != 1)
		return -1;
	b[0] &= 0x7f;
	b[sizeof(b) - 1] |= 1; /* never zero */
	bn = BN_bin2bn(b, sizeof(b), NULL);
	if (bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)))
		ok = 1;
	BN_free(bn);
	return ok ? 0 : -1;
}

static int
ca_add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok;

	if (e == NULL)
		return -1;
	ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok ? 0 : -1;
}

/* A self-signed CA certificate for key. */
static X509 *
ca_make_cert(EVP_PKEY *key, char *err, size_t errlen)
{
	char host[256], date[11], cn[CA_CN_MAX + 1];
	X509_NAME *name;
	X509V3_CTX ctx;
	struct tm tm;
	time_t now = time(NULL);
	X509 *x;

	if (gethostname(host, sizeof(host)) == -1)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	/* 30 bytes of text around the host name */
	snprintf(cn, sizeof(cn), "wicket local CA (%.*s, %s)",
	    (int)(CA_CN_MAX - 30), host, date);

	x = X509_new();
	if (x == NULL)
		goto fail;
	name = X509_get_subject_name(x);
	if (!X509_set_version(x, X509_VERSION_3) || ca_set_serial(x) == -1 ||
	    !X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
		(const unsigned char *)cn, -1, -1, 0) ||
	    !X509_NAME_add_entry_by_NID(name, NID_organizationName,
		MBSTRING_ASC, (const unsigned char *)"wicket", -1, -1, 0) ||
	    !X509_set_issuer_name(x, name) ||
	    !ASN1_TIME_set(X509_getm_notBefore(x), now - CA_DAY) ||
	    !ASN1_TIME_set(
		X509_getm_notAfter(x), now + (time_t)CA_VALID_DAYS * CA_DAY) ||
	    !X509_set_pubkey(x, key))
		goto fail;
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if (ca_add_ext(x, &ctx, NID_basic_constraints,
		"critical,CA:TRUE,pathlen:0") == -1 ||
	    ca_add_ext(
		x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign") == -1 ||
	    ca_add_ext(x, &ctx, NID_subject_key_identifier, "hash") == -1)
		goto fail;
	if (X509_sign(x, key, ca_md(key)) <= 0)
		goto fail;
	return x;
fail:
	ca_ossl_err(err, errlen, "making the CA certificate");
	X509_free(x);
	return NULL;
}

/* Makes a new CA and writes it to key_path and pem_path (the certificate
 * first: a key without its certificate is never left behind). */
static int
ca_create(const char *key_path, const char *pem_path, char *err, size_t errlen)
{
	EVP_PKEY *key;
	X509 *x = NULL;
	int ret = -1;

	key = ca_keygen(err, errlen);
	if (key == NULL)
		return -1;
	x = ca_make_cert(key, err, errlen);
	if (x == NULL)
		goto out;
	if (ca_write_pem(pem_path, x, err, errlen) == -1 ||
	    ca_write_key(key_path, key, err, errlen) == -1)
		goto out;
	ret = 0;
out:
	X509_free(x);
	EVP_PKEY_free(key);
	return ret;
}

/* Loads leaf.key, or makes it (stored when the directory allows). */
static EVP_PKEY *
ca_leaf_key(const struct ca_files *f, char *err, size_t errlen)
{
	char werr[256];
	EVP_PKEY *k;
	bool absent;

	k = ca_load_key(f->leaf_key, &absent, err, errlen);
	if (k != NULL || !absent)
		return k;
	k = ca_keygen(err, errlen);
	if (k != NULL && ca_write_key(f->leaf_key, k, werr, sizeof(werr)) == -1)
		wk_log_warnx("tls: the leaf key stays in memory: %s", werr);
	return k;
}

static int
ca_time(const ASN1_TIME *t, time_t *out)
{
	struct tm tm;

	if (!ASN1_TIME_to_tm(t, &tm))
		return -1;
	*out = timegm(&tm);
	return 0;
}

/* The parts of a CA, checked: the key matches, the certificate is a CA
 * that has not expired. Takes ownership of nothing. */
static int
ca_check(X509 *cert, EVP_PKEY *key, const char *pem, time_t *not_after,
    char *err, size_t errlen)
{
	char when[32];
	struct tm tm;

	if (!X509_check_private_key(cert, key)) {
		ERR_clear_error();
		ca_err(err, errlen, "%s does not match ca.key", pem);
		return -1;
	}
	/* also caches the extensions, so that threads only read cert */
	if (X509_check_ca(cert) < 1) {
		ca_err(err, errlen, "%s is not a CA certificate", pem);
		return -1;
	}
	if (ca_time(X509_get0_notAfter(cert), not_after) == -1) {
		ca_ossl_err(err, errlen, pem);
		return -1;
	}
	if (*not_after <= time(NULL)) {
		gmtime_r(not_after, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
		ca_err(err, errlen,
		    "the CA in %s expired on %s; run `wicket ca rotate`", pem,
		    when);
		return -1;
	}
	return 0;
}

static uint32_t
ca_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

static size_t
ca_buckets_for(size_t max)
{
	size_t n = 16;

	while (n < max && n < CA_BUCKETS_MAX)
		n <<= 1;
	return n;
}

struct wk_ca *
wk_ca_open(const char *state_dir, char *err, size_t errlen)
{
	struct ca_files f;
	struct wk_ca *ca = NULL;
	EVP_PKEY *key = NULL, *leaf_key = NULL;
	X509 *cert = NULL;
	time_t not_after;
	bool absent;
	int lock = -1;

	ca_files_init(&f, state_dir);
	if (ca_mkdirs(state_dir, f.dir, err, errlen) == -1)
		goto out;
	lock = ca_lock(&f);
	key = ca_load_key(f.key, &absent, err, errlen);
	if (key == NULL && absent) {
		if (ca_create(f.key, f.pem, err, errlen) == -1)
			goto out;
		wk_log_notice("tls: created the local CA in %s", f.dir);
		key = ca_load_key(f.key, &absent, err, errlen);
	}
	if (key == NULL)
		goto out;
	cert = ca_load_cert(f.pem, err, errlen);
	if (cert == NULL ||
	    ca_check(cert, key, f.pem, &not_after, err, errlen) == -1)
		goto out;
	leaf_key = ca_leaf_key(&f, err, errlen);
	if (leaf_key == NULL)
		goto out;

	ca = wk_calloc(1, sizeof(*ca));
	ca->cert_path = wk_strdup(f.pem);
	ca->cert = cert;
	ca->key = key;
	ca->leaf_key = leaf_key;
	ca->md = ca_md(key);
	ca->not_after = not_after;
	pthread_mutex_init(&ca->mu, NULL);
	ca->max = WK_CA_CACHE_MAX;
	ca->nbuckets = ca_buckets_for(ca->max);
	ca->buckets = wk_calloc(ca->nbuckets, sizeof(*ca->buckets));
	cert = NULL;
	key = leaf_key = NULL;
out:
	ca_unlock(lock);
	X509_free(cert);
	EVP_PKEY_free(key);
	EVP_PKEY_free(leaf_key);
	ca_files_clear(&f);
	return ca;
}

/* Renames from to to (mode 0600) when from exists. */
static int
ca_keep_old(const char *from, const char *to, char *err, size_t errlen)
{
	if (rename(from, to) == -1) {
		if (errno == ENOENT)
			return 0;
		ca_err(err, errlen, "rename %s: %s", from, strerror(errno));
		return -1;
	}
	if (chmod(to, 0600) == -1) {
		ca_err(err, errlen, "chmod %s: %s", to, strerror(errno));
		return -1;
	}
	return 0;
}

int
wk_ca_rotate(const char *state_dir, char *err, size_t errlen)
{
	struct ca_files f;
	int lock = -1, ret = -1;

	ca_files_init(&f, state_dir);
	if (ca_mkdirs(state_dir, f.dir, err, errlen) == -1)
		goto out;
	lock = ca_lock(&f);
	if (lock == -1) {
		ca_err(
		    err, errlen, "cannot lock %s: %s", f.lock, strerror(errno));
		goto out;
	}
	/* everything that can fail before touching the current CA */
	if (ca_create(f.key_new, f.pem_new, err, errlen) == -1)
		goto out;
	if (ca_keep_old(f.key, f.key_old, err, errlen) == -1 ||
	    ca_keep_old(f.pem, f.pem_old, err, errlen) == -1)
		goto out;
	if (rename(f.pem_new, f.pem) == -1 || rename(f.key_new, f.key) == -1) {
		ca_err(
		    err, errlen, "rename into %s: %s", f.dir, strerror(errno));
		goto out;
	}
	/* the next open makes a new leaf key for the new CA */
	if (unlink(f.leaf_key) == -1 && errno != ENOENT) {
		ca_err(
		    err, errlen, "unlink %s: %s", f.leaf_key, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (ret == -1) {
		unlink(f.key_new);
		unlink(f.pem_new);
	}
	ca_unlock(lock);
	ca_files_clear(&f);
	return ret;
}

static void
ca_leaf_free(struct wk_leaf *leaf)
{
	X509_free(leaf->cert);
	EVP_PKEY_free(leaf->key);
	sk_X509_pop_free(leaf->chain, X509_free);
	free(leaf);
}

void
wk_leaf_unref(struct wk_leaf *leaf)
{
	if (leaf == NULL)
		return;
	if (__atomic_sub_fetch(&leaf->refs, 1, __ATOMIC_ACQ_REL) == 0)
		ca_leaf_free(leaf);
}

static void
ca_entry_free(struct ca_entry *e)
{
	wk_leaf_unref(e->leaf);
	free(e);
}

void
wk_ca_free(struct wk_ca *ca)
{
	struct ca_entry *e, *next;

	if (ca == NULL)
		return;
	for (e = ca->head; e != NULL; e = next) {
		next = e->next;
		ca_entry_free(e);
	}
	free(ca->buckets);
	pthread_mutex_destroy(&ca->mu);
	X509_free(ca->cert);
	EVP_PKEY_free(ca->key);
	EVP_PKEY_free(ca->leaf_key);
	free(ca->cert_path);
	free(ca);
}

int
wk_ca_write_cert(const struct wk_ca *ca, bool der, FILE *out)
{
	int ok;

	if (der)
		ok = i2d_X509_fp(out, ca->cert);
	else
		ok = PEM_write_X509(out, ca->cert);
	if (!ok) {
		ERR_clear_error();
		return -1;
	}
	return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}

const char *
wk_ca_cert_path(const struct wk_ca *ca)
{
	return ca->cert_path;
}

X509 *
wk_ca_cert(const struct wk_ca *ca)
{
	return ca->cert;
}

X509 *
wk_leaf_cert(const struct wk_leaf *leaf)
{
	return leaf->cert;
}

EVP_PKEY *
wk_leaf_key(const struct wk_leaf *leaf)
{
	return leaf->key;
}

struct stack_st_X509 *
wk_leaf_chain(const struct wk_leaf *leaf)
{
	return leaf->chain;
}

void
wk_ca_stats(const struct wk_ca *ca, uint64_t *minted, uint64_t *cache_hits)
{
	if (minted != NULL)
		*minted = __atomic_load_n(&ca->minted, __ATOMIC_RELAXED);
	if (cache_hits != NULL)
		*cache_hits = __atomic_load_n(&ca->hits, __ATOMIC_RELAXED);
}

/* The cache, with ca->mu held. */

static struct ca_entry *
ca_cache_find(struct wk_ca *ca, const char *host, uint32_t h)
{
	struct ca_entry *e = ca->buckets[h & (ca->nbuckets - 1)];

	for (; e != NULL; e = e->hnext)
		if (e->hash == h && strcmp(e->host, host) == 0)
			return e;
	return NULL;
}

static void
ca_lru_unlink(struct wk_ca *ca, struct ca_entry *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		ca->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		ca->tail = e->prev;
	e->prev = e->next = NULL;
}

static void
ca_lru_push(struct wk_ca *ca, struct ca_entry *e)
{
	e->prev = NULL;
	e->next = ca->head;
	if (ca->head != NULL)
		ca->head->prev = e;
	ca->head = e;
	if (ca->tail == NULL)
		ca->tail = e;
}

/* Takes e out of the cache; the caller frees it (after unlocking). */
static void
ca_cache_remove(struct wk_ca *ca, struct ca_entry *e)
{
	struct ca_entry **pp = &ca->buckets[e->hash & (ca->nbuckets - 1)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	e->hnext = NULL;
	ca_lru_unlink(ca, e);
	ca->count--;
}

static void
ca_cache_insert(struct wk_ca *ca, struct ca_entry *e)
{
	struct ca_entry **b = &ca->buckets[e->hash & (ca->nbuckets - 1)];

	e->hnext = *b;
	*b = e;
	ca_lru_push(ca, e);
	ca->count++;
}

/* Evicts least recently used entries down to ca->max; returns them as a
 * list (through hnext) for the caller to free after unlocking. */
static struct ca_entry *
ca_cache_trim(struct wk_ca *ca)
{
	struct ca_entry *gone = NULL, *e;

	while (ca->count > ca->max) {
		e = ca->tail;
		ca_cache_remove(ca, e);
		e->hnext = gone;
		gone = e;
	}
	return gone;
}

static void
ca_free_list(struct ca_entry *e)
{
	struct ca_entry *next;

	for (; e != NULL; e = next) {
		next = e->hnext;
		ca_entry_free(e);
	}
}

void
wk_ca_set_cache_max(struct wk_ca *ca, size_t n)
{
	struct ca_entry *gone, *e, **b;
	size_t nb;

	n = WK_MAX(n, (size_t)1);
	pthread_mutex_lock(&ca->mu);
	ca->max = n;
	gone = ca_cache_trim(ca);
	nb = ca_buckets_for(n);
	if (nb != ca->nbuckets) {
		free(ca->buckets);
		ca->nbuckets = nb;
		ca->buckets = wk_calloc(nb, sizeof(*ca->buckets));
		for (e = ca->head; e != NULL; e = e->next) {
			b = &ca->buckets[e->hash & (nb - 1)];
			e->hnext = *b;
			*b = e;
		}
	}
	pthread_mutex_unlock(&ca->mu);
	ca_free_list(gone);
}

/* The host as cached and certified: lower case, no trailing dot, IP
 * literals in their canonical text form, whose bytes go in ip (*iplen 4
 * or 16; 0 for a name). Returns 0, or -1 for what is not a host name. */
static int
ca_host_norm(
    const char *host, char out[WK_HOST_MAX], uint8_t ip[16], size_t *iplen)
{
	size_t len = strlen(host), label = 0;

	*iplen = 0;
	if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
		host++;
		len -= 2;
	}
	if (len == 0 || len >= WK_HOST_MAX)
		return -1;
	memcpy(out, host, len);
	out[len] = '\0';
	if (inet_pton(AF_INET, out, ip) == 1) {
		*iplen = 4;
		return inet_ntop(AF_INET, ip, out, WK_HOST_MAX) ? 0 : -1;
	}
	if (strchr(out, ':') != NULL) {
		if (inet_pton(AF_INET6, out, ip) != 1)
			return -1;
		*iplen = 16;
		return inet_ntop(AF_INET6, ip, out, WK_HOST_MAX) ? 0 : -1;
	}
	if (len > 1 && out[len - 1] == '.')
		out[--len] = '\0';
	if (len > 253)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char c = out[i];

		if (c >= 'A' && c <= 'Z')
			out[i] = c = (char)(c - 'A' + 'a');
		if (c == '.') {
			if (label == 0)
				return -1; /* empty label */
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			c == '-' || c == '_'))
			return -1;
		if (++label > 63)
			return -1;
	}
	return label == 0 ? -1 : 0;
}

static int
ca_add_san(X509 *x, const char *host, const uint8_t *ip, size_t iplen)
{
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	GENERAL_NAME *g = GENERAL_NAME_new();
	ASN1_STRING *s = NULL;
	int ok = 0;

	if (gens == NULL || g == NULL)
		goto out;
	if (iplen > 0) {
		s = ASN1_OCTET_STRING_new();
		if (s == NULL || !ASN1_OCTET_STRING_set(s, ip, (int)iplen))
			goto out;
		GENERAL_NAME_set0_value(g, GEN_IPADD, s);
	} else {
		s = ASN1_IA5STRING_new();
		if (s == NULL || !ASN1_STRING_set(s, host, -1))
			goto out;
		GENERAL_NAME_set0_value(g, GEN_DNS, s);
	}
	s = NULL; /* owned by g */
	if (!sk_GENERAL_NAME_push(gens, g))
		goto out;
	g = NULL; /* owned by gens */
	ok = X509_add1_ext_i2d(
	    x, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT);
out:
	ASN1_STRING_free(s);
	GENERAL_NAME_free(g);
	GENERAL_NAMES_free(gens);
	return ok == 1 ? 0 : -1;
}

/* Mints a leaf for the normalised host; one ECDSA signature. */
static struct wk_leaf *
ca_mint(struct wk_ca *ca, const char *host, const uint8_t *ip, size_t iplen)
{
	struct wk_leaf *leaf;
	X509V3_CTX ctx;
	time_t now = time(NULL), not_after;
	X509_NAME *name;
	X509 *x;

	not_after = now + (time_t)LEAF_VALID_DAYS * CA_DAY;
	if (not_after > ca->not_after)
		not_after = ca->not_after;
	x = X509_new();
	if (x == NULL)
		return NULL;
	name = X509_get_subject_name(x);
	if (!X509_set_version(x, X509_VERSION_3) || ca_set_serial(x) == -1 ||
	    !X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_ASC,
		(const unsigned char *)host,
		(int)WK_MIN(strlen(host), (size_t)CA_CN_MAX), -1, 0) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(ca->cert)) ||
	    !ASN1_TIME_set(X509_getm_notBefore(x), now - LEAF_BACKDATE) ||
	    !ASN1_TIME_set(X509_getm_notAfter(x), not_after) ||
	    !X509_set_pubkey(x, ca->leaf_key))
		goto fail;
	X509V3_set_ctx(&ctx, ca->cert, x, NULL, NULL, 0);
	if (ca_add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") ==
		-1 ||
	    ca_add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature") ==
		-1 ||
	    ca_add_ext(x, &ctx, NID_ext_key_usage, "serverAuth") == -1 ||
	    ca_add_ext(x, &ctx, NID_subject_key_identifier, "hash") == -1 ||
	    ca_add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always") ==
		-1 ||
	    ca_add_san(x, host, ip, iplen) == -1)
		goto fail;
	if (X509_sign(x, ca->key, ca->md) <= 0)
		goto fail;

	leaf = wk_calloc(1, sizeof(*leaf));
	leaf->refs = 1;
	leaf->cert = x;
	EVP_PKEY_up_ref(ca->leaf_key);
	leaf->key = ca->leaf_key;
	leaf->chain = sk_X509_new_reserve(NULL, 2);
	if (leaf->chain == NULL) {
		ca_leaf_free(leaf);
		return NULL;
	}
	X509_up_ref(x);
	X509_up_ref(ca->cert);
	sk_X509_push(leaf->chain, x);
	sk_X509_push(leaf->chain, ca->cert);
	return leaf;
fail:
	X509_free(x);
	return NULL;
}

struct wk_leaf *
wk_ca_leaf(struct wk_ca *ca, const char *host)
{
	char key[WK_HOST_MAX], why[256];
	struct ca_entry *e, *gone = NULL;
	struct wk_leaf *leaf;
	uint8_t ip[16];
	size_t iplen, len;
	uint32_t h;
	time_t now;

	if (ca_host_norm(host, key, ip, &iplen) == -1) {
		/* a client's SNI, say: not worth a warning */
		wk_log_debug("tls: no certificate for \"%.*s\": not a host "
			     "name or IP address",
		    64, host);
		return NULL;
	}
	h = ca_hash(key);
	now = time(NULL);

	pthread_mutex_lock(&ca->mu);
	e = ca_cache_find(ca, key, h);
	if (e != NULL && now - e->born < LEAF_CACHE_AGE && now >= e->born) {
		ca_lru_unlink(ca, e);
		ca_lru_push(ca, e);
		leaf = e->leaf;
		__atomic_add_fetch(&leaf->refs, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&ca->hits, 1, __ATOMIC_RELAXED);
		pthread_mutex_unlock(&ca->mu);
		return leaf;
	}
	if (e != NULL) { /* too old */
		ca_cache_remove(ca, e);
		gone = e;
	}
	pthread_mutex_unlock(&ca->mu);
	ca_free_list(gone);

	/* sign without the lock: other hosts go on being served */
	leaf = ca_mint(ca, key, ip, iplen);
	if (leaf == NULL) {
		ca_ossl_err(why, sizeof(why), "OpenSSL");
		wk_log_warnx(
		    "tls: cannot mint a certificate for %s: %s", key, why);
		return NULL;
	}
	__atomic_add_fetch(&ca->minted, 1, __ATOMIC_RELAXED);

	pthread_mutex_lock(&ca->mu);
	e = ca_cache_find(ca, key, h);
	if (e != NULL) {
		/* another thread minted it meanwhile: keep one of the two */
		struct wk_leaf *theirs = e->leaf;

		ca_lru_unlink(ca, e);
		ca_lru_push(ca, e);
		__atomic_add_fetch(&theirs->refs, 1, __ATOMIC_RELAXED);
		pthread_mutex_unlock(&ca->mu);
		wk_leaf_unref(leaf);
		return theirs;
	}
	len = strlen(key);
	e = wk_calloc(1, sizeof(*e) + len + 1);
	memcpy(e->host, key, len + 1);
	e->hash = h;
	e->born = now;
	e->leaf = leaf;
	__atomic_add_fetch(&leaf->refs, 1, __ATOMIC_RELAXED); /* the cache's */
	ca_cache_insert(ca, e);
	gone = ca_cache_trim(ca);
	pthread_mutex_unlock(&ca->mu);
	ca_free_list(gone);
	return leaf;
}
