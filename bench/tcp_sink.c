/* bench/tcp_sink.c: the origin for the SOCKS handshake benchmark.
 * usage: tcp_sink PORT
 * Listens on 127.0.0.1:PORT; accepts every connection, reads and discards
 * whatever arrives and, at EOF or error, closes with an RST (SO_LINGER 0).
 * A proxy that closes its side first (after the client went away) thus gets
 * its FIN answered by an RST: neither side keeps a socket in TIME_WAIT, and a
 * proxy that binds its outgoing sockets to an address with port 0 (dante's
 * "external:") does not run out of loopback ports after a few runs.
 * Single thread, epoll; runs until killed. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static void
rst_close(int fd)
{
	struct linger lg = { 1, 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct epoll_event ev, evs[256];
	static char buf[65536];
	int one = 1, lfd, ep, port;

	if (argc != 2 || (port = atoi(argv[1])) < 1 || port > 65535) {
		fprintf(stderr, "usage: tcp_sink PORT\n");
		return 2;
	}
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 4096) < 0) {
		perror("tcp_sink: listen");
		return 1;
	}
	if ((ep = epoll_create1(0)) < 0) {
		perror("tcp_sink: epoll_create1");
		return 1;
	}
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("tcp_sink: epoll_wait");
			return 1;
		}
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == lfd) {
				/* bounded: at most 256 accepts per wakeup */
				for (int k = 0; k < 256; k++) {
					int c = accept4(
					    lfd, NULL, NULL, SOCK_NONBLOCK);
					if (c < 0)
						break;
					ev.events = EPOLLIN | EPOLLRDHUP;
					ev.data.fd = c;
					if (epoll_ctl(
						ep, EPOLL_CTL_ADD, c, &ev) < 0)
						rst_close(c);
				}
				continue;
			}
			for (int k = 0; k < 16; k++) {
				ssize_t r = read(fd, buf, sizeof(buf));
				if (r > 0)
					continue;
				if (r < 0 &&
				    (errno == EAGAIN || errno == EINTR))
					break;
				rst_close(
				    fd); /* EOF or error; epoll forgets it */
				break;
			}
		}
	}
}
