/* bench/socks_handshake.c: SOCKS5 CONNECT handshakes per second.
 * usage: socks_handshake PROXY_PORT TARGET_PORT SECONDS THREADS
 * Each thread loops: connect to 127.0.0.1:PROXY_PORT, greeting (no-auth),
 * CONNECT 127.0.0.1:TARGET_PORT, read the 10-byte reply, close. Prints the
 * handshakes completed per second and the failures. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int proxy_port, target_port, seconds;
static volatile int stop;
static long done_total, failed_total;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static int
readn(int fd, unsigned char *b, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, b + got, n - got);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static void *
worker(void *arg)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	long done = 0, failed = 0;

	(void)arg;
	sa.sin_port = htons((unsigned short)proxy_port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	while (!stop) {
		unsigned char req[10] = {5, 1, 0, 1, 127, 0, 0, 1, 0, 0};
		unsigned char b[16];
		int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

		req[8] = (unsigned char)(target_port >> 8);
		req[9] = (unsigned char)target_port;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    write(fd, "\x05\x01\x00", 3) != 3 || readn(fd, b, 2) < 0 ||
		    b[1] != 0 || write(fd, req, 10) != 10 ||
		    readn(fd, b, 10) < 0 || b[1] != 0)
			failed++;
		else
			done++;
		close(fd);
	}
	pthread_mutex_lock(&mu);
	done_total += done;
	failed_total += failed;
	pthread_mutex_unlock(&mu);
	return NULL;
}

int
main(int argc, char **argv)
{
	int n;
	pthread_t t[64];

	if (argc != 5)
		return 2;
	proxy_port = atoi(argv[1]);
	target_port = atoi(argv[2]);
	seconds = atoi(argv[3]);
	n = atoi(argv[4]);
	if (n < 1 || n > 64)
		return 2;
	for (int i = 0; i < n; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	sleep((unsigned)seconds);
	stop = 1;
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	printf("%.0f handshakes/s, %ld failed\n",
	    (double)done_total / seconds, failed_total);
	return 0;
}
