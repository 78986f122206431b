/* bench/tls_bench.c: TLS through an intercepting proxy (or direct), a load
 * client for bench/run's TLS section (issue 5).
 *
 * usage: tls_bench MODE PROXY_PORT ORIGIN_PORT CAFILE SECONDS THREADS
 *                  [WARMUP] [PATH]
 *
 * hs    new TLS handshakes: each iteration connects to 127.0.0.1:PROXY_PORT,
 *       sends "CONNECT localhost:ORIGIN_PORT HTTP/1.1", reads the 200, makes
 *       a full TLS handshake (SNI localhost, the peer verified against CAFILE
 *       for the name localhost; no session cache, no tickets: every
 *       handshake is a full one), sends one "GET PATH HTTP/1.1" with
 *       "Connection: close", reads the whole response (status 200,
 *       Content-Length bytes) and closes (with an RST: no TIME_WAIT here).
 * ka    keep-alive: one tunnel and one TLS connection per thread, then as
 *       many GETs of PATH as possible over it (a new connection only after
 *       an error).
 * mint  first-time names, one thread; SECONDS is the number of names. For
 *       each, a handshake with the SNI nK-RANDOM.bench.test (CONNECT
 *       127.0.0.1:ORIGIN_PORT: the name needs no DNS; the origin's
 *       certificate must cover *.bench.test), then a second one with the
 *       same name; the difference of the two handshake times (connect to
 *       handshake done) is what a new name costs (the proxy's minting).
 *
 * PROXY_PORT 0: no proxy, straight to 127.0.0.1:ORIGIN_PORT (the ceiling).
 * PATH: default /1k. WARMUP: seconds run but not counted (default 1).
 * Every socket has 5 s send/receive timeouts. A certificate that does not
 * verify stops the run at once (exit status 3).
 *
 * Output, one line. hs and ka:
 *   RATE per s, F failed (connect C, proxy P, tls T, http H, timeout O;
 *   N in S s) p50 X ms p99 Y ms
 * mint:
 *   mint first P50 ms (p90 P90) again A50 ms; diff median D ms (N names,
 *   F failed)
 * Exit status: 0 the run happened (failures counted), 2 bad usage,
 * 3 verification failure, 4 set-up error.
 * Build: cc -O2 -pthread -o tls_bench tls_bench.c -lssl -lcrypto -lpthread */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

enum { F_CONNECT, F_PROXY, F_TLS, F_HTTP, F_TIMEOUT, F_N };
enum { M_HS, M_KA, M_MINT };

static int mode, proxy_port, origin_port, seconds, nthreads, warmup;
static const char *path = "/1k";
static SSL_CTX *ctx;
static volatile int counting, stop;
static long done_total, failed_total[F_N];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

struct lat {
	double *v;
	size_t n, cap;
};
static struct lat all_lat;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
lat_add(struct lat *l, double x)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 4096;
		l->v = realloc(l->v, l->cap * sizeof(double));
		if (!l->v) {
			perror("realloc");
			exit(4);
		}
	}
	l->v[l->n++] = x;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
pct(struct lat *l, double p)
{
	size_t i;

	if (!l->n)
		return 0;
	qsort(l->v, l->n, sizeof(double), cmp_d);
	i = (size_t)(p * (double)(l->n - 1) + 0.5);
	return l->v[i];
}

static void
verify_failed(const char *what, long res)
{
	fprintf(stderr, "tls_bench: certificate verification failed (%s): %s\n",
	    what, X509_verify_cert_error_string(res));
	printf("VERIFY FAILED: %s\n", X509_verify_cert_error_string(res));
	fflush(stdout);
	_exit(3);
}

/* A connected socket to 127.0.0.1:port with timeouts, or -1. */
static int
dial(int port)
{
	struct sockaddr_in sa;
	struct timeval tv = { 5, 0 };
	struct linger lg = { 1, 0 };
	int fd, one = 1;

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	/* close with an RST: the client leaves nothing in TIME_WAIT */
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
is_timeout(void)
{
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINPROGRESS;
}

/* CONNECT host:port through the proxy on fd; 0 ok, else an F_ index. */
static int
tunnel(int fd, const char *host)
{
	char req[512], b[2048];
	size_t got = 0;
	int n;

	n = snprintf(req, sizeof req,
	    "CONNECT %s:%d HTTP/1.1\r\nHost: %s:%d\r\n\r\n", host, origin_port,
	    host, origin_port);
	if (write(fd, req, (size_t)n) != n)
		return is_timeout() ? F_TIMEOUT : F_PROXY;
	/* the proxy sends nothing after its answer before the ClientHello:
	 * reading in chunks cannot swallow TLS bytes */
	while (got < sizeof b - 1) {
		ssize_t r = read(fd, b + got, sizeof b - 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 && is_timeout() ? F_TIMEOUT : F_PROXY;
		got += (size_t)r;
		b[got] = 0;
		if (strstr(b, "\r\n\r\n"))
			break;
	}
	if (strncmp(b, "HTTP/1.1 200", 12) != 0 &&
	    strncmp(b, "HTTP/1.0 200", 12) != 0)
		return F_PROXY;
	return 0;
}

struct conn {
	int fd;
	SSL *ssl;
	char buf[16384];
	size_t have, off;
};

static void
conn_close(struct conn *c)
{
	if (c->ssl)
		SSL_free(c->ssl);
	if (c->fd >= 0)
		close(c->fd);
	c->ssl = NULL;
	c->fd = -1;
	c->have = c->off = 0;
}

/* Connect (through the proxy), handshake with SNI sni, verified for the name
 * verify_name. 0 ok, else an F_ index. */
static int
conn_open(struct conn *c, const char *connect_host, const char *sni,
    const char *verify_name)
{
	int e, r;

	c->ssl = NULL;
	c->have = c->off = 0;
	c->fd = dial(proxy_port ? proxy_port : origin_port);
	if (c->fd < 0)
		return is_timeout() ? F_TIMEOUT : F_CONNECT;
	if (proxy_port && (e = tunnel(c->fd, connect_host)) != 0) {
		conn_close(c);
		return e;
	}
	c->ssl = SSL_new(ctx);
	if (!c->ssl) {
		conn_close(c);
		return F_TLS;
	}
	SSL_set_fd(c->ssl, c->fd);
	SSL_set_tlsext_host_name(c->ssl, sni);
	SSL_set1_host(c->ssl, verify_name);
	r = SSL_connect(c->ssl);
	if (r != 1) {
		long v = SSL_get_verify_result(c->ssl);
		int t = is_timeout();

		if (v != X509_V_OK)
			verify_failed(sni, v);
		ERR_clear_error();
		conn_close(c);
		return t ? F_TIMEOUT : F_TLS;
	}
	if (SSL_get_verify_result(c->ssl) != X509_V_OK)
		verify_failed(sni, SSL_get_verify_result(c->ssl));
	return 0;
}

/* fill the buffer; 1 data, 0 EOF, -1 error, -2 timeout */
static int
conn_fill(struct conn *c)
{
	int r;

	if (c->off) {
		memmove(c->buf, c->buf + c->off, c->have - c->off);
		c->have -= c->off;
		c->off = 0;
	}
	if (c->have == sizeof c->buf)
		return -1;
	r = SSL_read(c->ssl, c->buf + c->have, (int)(sizeof c->buf - c->have));
	if (r > 0) {
		c->have += (size_t)r;
		return 1;
	}
	if (SSL_get_error(c->ssl, r) == SSL_ERROR_ZERO_RETURN)
		return 0;
	if (is_timeout())
		return -2;
	ERR_clear_error();
	return r == 0 ? 0 : -1;
}

/* One GET PATH on c; reads the whole response. 0 ok, else an F_ index. */
static int
conn_get(struct conn *c, const char *host, int keep)
{
	char req[512], *hend, *p;
	long clen = -1, bodygot;
	int n, r;

	n = snprintf(req, sizeof req,
	    "GET %s HTTP/1.1\r\nHost: %s:%d\r\n%s\r\n", path, host, origin_port,
	    keep ? "" : "Connection: close\r\n");
	if (SSL_write(c->ssl, req, n) != n) {
		int t = is_timeout();
		ERR_clear_error();
		return t ? F_TIMEOUT : F_HTTP;
	}
	for (;;) {
		c->buf[c->have < sizeof c->buf ? c->have : sizeof c->buf - 1] =
		    0;
		hend = c->have > c->off ? strstr(c->buf + c->off, "\r\n\r\n") :
					  NULL;
		if (hend)
			break;
		if ((r = conn_fill(c)) <= 0)
			return r == -2 ? F_TIMEOUT : F_HTTP;
	}
	p = c->buf + c->off;
	if (strncmp(p, "HTTP/1.1 200", 12) != 0 &&
	    strncmp(p, "HTTP/1.0 200", 12) != 0)
		return F_HTTP;
	*hend = 0;
	for (char *h = strstr(p, "\r\n"); h; h = strstr(h + 2, "\r\n")) {
		if (strncasecmp(h + 2, "content-length:", 15) == 0)
			clen = strtol(h + 17, NULL, 10);
		else if (strncasecmp(h + 2, "transfer-encoding:", 18) == 0)
			return F_HTTP; /* not expected from a static file */
	}
	c->off = (size_t)(hend + 4 - c->buf);
	if (clen < 0) {
		if (keep)
			return F_HTTP;
		/* to EOF */
		for (;;) {
			c->off = c->have;
			r = conn_fill(c);
			if (r == 0)
				return 0;
			if (r < 0)
				return r == -2 ? F_TIMEOUT : F_HTTP;
		}
	}
	bodygot = 0;
	for (;;) {
		long avail = (long)(c->have - c->off);
		long take = avail < clen - bodygot ? avail : clen - bodygot;

		bodygot += take;
		c->off += (size_t)take;
		if (bodygot == clen)
			break;
		if ((r = conn_fill(c)) <= 0)
			return r == -2 ? F_TIMEOUT : F_HTTP;
	}
	return 0;
}

static void *
worker(void *arg)
{
	struct conn c = { .fd = -1 };
	struct lat l = { 0 };
	long done = 0, failed[F_N] = { 0 };
	int e;

	(void)arg;
	while (!stop) {
		double t0 = now();

		if (mode == M_HS) {
			e = conn_open(
			    &c, "localhost", "localhost", "localhost");
			if (!e)
				e = conn_get(&c, "localhost", 0);
			conn_close(&c);
		} else {
			e = 0;
			if (c.fd < 0)
				e = conn_open(
				    &c, "localhost", "localhost", "localhost");
			if (!e) {
				t0 = now();
				e = conn_get(&c, "localhost", 1);
			}
			if (e)
				conn_close(&c);
		}
		if (counting && !stop) {
			if (e)
				failed[e]++;
			else {
				done++;
				lat_add(&l, now() - t0);
			}
		}
	}
	conn_close(&c);
	pthread_mutex_lock(&mu);
	done_total += done;
	for (int i = 0; i < F_N; i++)
		failed_total[i] += failed[i];
	for (size_t i = 0; i < l.n; i++)
		lat_add(&all_lat, l.v[i]);
	pthread_mutex_unlock(&mu);
	free(l.v);
	return NULL;
}

/* handshake time (connect..handshake done) for sni, then the GET; <0 on failure
 */
static double
timed_handshake(const char *sni)
{
	struct conn c = { .fd = -1 };
	double t0 = now(), t;

	if (conn_open(&c, "127.0.0.1", sni, sni) != 0)
		return -1;
	t = now() - t0;
	if (conn_get(&c, sni, 0) != 0)
		t = -1;
	conn_close(&c);
	return t;
}

static int
run_mint(int n)
{
	struct lat first = { 0 }, again = { 0 }, diff = { 0 };
	unsigned tag;
	int failed = 0;
	char name[128];

	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	tag = (unsigned)rand();
	/* warm the path (connection set-up, the proxy's first TLS context) */
	timed_handshake("warm.bench.test");
	for (int i = 0; i < n; i++) {
		double a, b;

		snprintf(name, sizeof name, "n%d-%08x.bench.test", i, tag);
		a = timed_handshake(name);
		b = timed_handshake(name);
		if (a < 0 || b < 0) {
			failed++;
			continue;
		}
		lat_add(&first, a * 1e3);
		lat_add(&again, b * 1e3);
		lat_add(&diff, (a - b) * 1e3);
	}
	printf(
	    "mint first %.2f ms (p90 %.2f) again %.2f ms; diff median %.2f ms (%zu names, %d "
	    "failed)\n",
	    pct(&first, 0.5), pct(&first, 0.9), pct(&again, 0.5),
	    pct(&diff, 0.5), diff.n, failed);
	return 0;
}

int
main(int argc, char **argv)
{
	pthread_t *th;
	double t0, t1;
	long failed = 0;

	if (argc < 7) {
		fprintf(stderr,
		    "usage: tls_bench hs|ka|mint PROXY_PORT ORIGIN_PORT CAFILE SECONDS "
		    "THREADS [WARMUP] [PATH]\n");
		return 2;
	}
	mode = !strcmp(argv[1], "hs") ? M_HS :
	    !strcmp(argv[1], "ka")    ? M_KA :
	    !strcmp(argv[1], "mint")  ? M_MINT :
					-1;
	proxy_port = atoi(argv[2]);
	origin_port = atoi(argv[3]);
	seconds = atoi(argv[5]);
	nthreads = atoi(argv[6]);
	warmup = argc > 7 ? atoi(argv[7]) : 1;
	if (argc > 8)
		path = argv[8];
	if (mode < 0 || origin_port <= 0 || seconds <= 0 || nthreads <= 0 ||
	    warmup < 0) {
		fprintf(stderr, "tls_bench: bad arguments\n");
		return 2;
	}
	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx || SSL_CTX_load_verify_locations(ctx, argv[4], NULL) != 1) {
		fprintf(stderr, "tls_bench: cannot load CA file %s\n", argv[4]);
		ERR_print_errors_fp(stderr);
		return 4;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	/* every handshake a full one: no session cache, no tickets */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_mode(ctx, SSL_MODE_AUTO_RETRY);
	if (mode == M_MINT)
		return run_mint(seconds);

	th = calloc((size_t)nthreads, sizeof *th);
	for (int i = 0; i < nthreads; i++)
		if (pthread_create(&th[i], NULL, worker, NULL) != 0) {
			perror("pthread_create");
			return 4;
		}
	if (warmup)
		sleep((unsigned)warmup);
	counting = 1;
	t0 = now();
	sleep((unsigned)seconds);
	t1 = now();
	stop = 1;
	for (int i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < F_N; i++)
		failed += failed_total[i];
	printf(
	    "%.0f per s, %ld failed (connect %ld, proxy %ld, tls %ld, http %ld, timeout %ld; "
	    "%ld in %.2f s) p50 %.3f ms p99 %.3f ms\n",
	    (double)done_total / (t1 - t0), failed, failed_total[F_CONNECT],
	    failed_total[F_PROXY], failed_total[F_TLS], failed_total[F_HTTP],
	    failed_total[F_TIMEOUT], done_total, t1 - t0,
	    pct(&all_lat, 0.5) * 1e3, pct(&all_lat, 0.99) * 1e3);
	return 0;
}
