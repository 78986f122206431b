/* bench/socks_handshake.c: SOCKS5 CONNECT handshakes per second.
 * usage: socks_handshake PROXY_PORT TARGET_PORT SECONDS THREADS [WARMUP]
 * Each thread loops: connect to 127.0.0.1:PROXY_PORT, greeting (no-auth),
 * CONNECT 127.0.0.1:TARGET_PORT, read the 10-byte reply, close with an RST
 * (SO_LINGER 0: the client side leaves no socket in TIME_WAIT, so many runs in
 * a row do not exhaust the loopback ports). PROXY_PORT 0 means no proxy: plain
 * TCP connects to TARGET_PORT (a reference). Connections completed during the
 * first WARMUP seconds (default 0) are not counted; the rate is over the
 * SECONDS that follow, measured with CLOCK_MONOTONIC. Every socket has 2 s
 * send/receive timeouts (connect included), so a stuck proxy counts as a
 * failure instead of hanging the run.
 * Output, one line:
 *   RATE handshakes/s, FAILED failed (connect C, greeting G, reply R, code K,
 *   timeout T; N in S s)
 * exit status 0 when the run happened (failures included), 2 on bad usage. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

enum { F_CONNECT, F_GREETING, F_REPLY, F_CODE, F_TIMEOUT, F_N };

static int proxy_port, target_port;
static volatile int counting, stop;
static long done_total, failed_total[F_N];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 0: got n bytes; -1: error or EOF; -2: timeout */
static int
readn(int fd, unsigned char *b, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, b + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return -2;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static int
writen(int fd, const void *b, size_t n)
{
	ssize_t w = write(fd, b, n);

	if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return -2;
	return w == (ssize_t)n ? 0 : -1;
}

/* one handshake: -1 on success, else the F_ index of the failure */
static int
one(const struct sockaddr_in *sa)
{
	unsigned char req[10] = { 5, 1, 0, 1, 127, 0, 0, 1, 0, 0 };
	unsigned char b[16];
	struct timeval tv = { 2, 0 };
	struct linger lg = { 1, 0 };
	int one = 1, r, ret = -1, fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return F_CONNECT;
	req[8] = (unsigned char)(target_port >> 8);
	req[9] = (unsigned char)target_port;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0) {
		ret = (errno == EINPROGRESS || errno == ETIMEDOUT) ? F_TIMEOUT :
								     F_CONNECT;
		goto out;
	}
	if (proxy_port == 0)
		goto out;
	if ((r = writen(fd, "\x05\x01\x00", 3)) < 0 ||
	    (r = readn(fd, b, 2)) < 0) {
		ret = r == -2 ? F_TIMEOUT : F_GREETING;
		goto out;
	}
	if (b[0] != 5 || b[1] != 0) {
		ret = F_GREETING;
		goto out;
	}
	if ((r = writen(fd, req, 10)) < 0 || (r = readn(fd, b, 4)) < 0) {
		ret = r == -2 ? F_TIMEOUT : F_REPLY;
		goto out;
	}
	if (b[0] != 5 || b[1] != 0) {
		ret = F_CODE;
		goto out;
	}
	/* the rest of the reply: BND.ADDR (by type) and BND.PORT */
	r = b[3] == 1 ? 4 + 2 : b[3] == 4 ? 16 + 2 : -1;
	if (r < 0 || (r = readn(fd, b, (size_t)r)) < 0)
		ret = r == -2 ? F_TIMEOUT : F_REPLY;
out:
	close(fd); /* SO_LINGER 0: RST, no TIME_WAIT */
	return ret;
}

static void *
worker(void *arg)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	long done = 0, failed[F_N] = { 0 };

	(void)arg;
	sa.sin_port =
	    htons((unsigned short)(proxy_port ? proxy_port : target_port));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	while (!stop) {
		int f = one(&sa);

		if (!counting || stop)
			continue;
		if (f < 0)
			done++;
		else
			failed[f]++;
	}
	pthread_mutex_lock(&mu);
	done_total += done;
	for (int i = 0; i < F_N; i++)
		failed_total[i] += failed[i];
	pthread_mutex_unlock(&mu);
	return NULL;
}

static void
sleep_until(double t)
{
	double d;

	while ((d = t - now()) > 0) {
		struct timespec ts = { (time_t)d,
			(long)((d - (double)(time_t)d) * 1e9) };
		nanosleep(&ts, NULL);
	}
}

int
main(int argc, char **argv)
{
	int n, seconds, warmup = 0;
	long failed = 0;
	double t0, t1;
	pthread_t t[64];

	if (argc != 5 && argc != 6) {
		fprintf(stderr,
		    "usage: socks_handshake PROXY_PORT TARGET_PORT "
		    "SECONDS THREADS [WARMUP]\n");
		return 2;
	}
	proxy_port = atoi(argv[1]);
	target_port = atoi(argv[2]);
	seconds = atoi(argv[3]);
	n = atoi(argv[4]);
	if (argc == 6)
		warmup = atoi(argv[5]);
	if (n < 1 || n > 64 || seconds < 1 || seconds > 600 || warmup < 0 ||
	    warmup > 60 || proxy_port < 0 || proxy_port > 65535 ||
	    target_port < 1 || target_port > 65535)
		return 2;
	for (int i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, worker, NULL) != 0) {
			fprintf(stderr, "pthread_create failed\n");
			stop = 1;
			n = i;
			break;
		}
	sleep_until(now() + warmup);
	t0 = now();
	counting = 1;
	sleep_until(t0 + seconds);
	stop = 1;
	t1 = now();
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < F_N; i++)
		failed += failed_total[i];
	printf("%.0f handshakes/s, %ld failed (connect %ld, greeting %ld, "
	       "reply %ld, code %ld, timeout %ld; %ld in %.2f s)\n",
	    (double)done_total / (t1 - t0), failed, failed_total[F_CONNECT],
	    failed_total[F_GREETING], failed_total[F_REPLY],
	    failed_total[F_CODE], failed_total[F_TIMEOUT], done_total, t1 - t0);
	return 0;
}
