/* tests/unit/test_listener.c: the listening sockets of the workers. With
 * steering, every connection made from one CPU lands in the same worker's
 * socket (the CPU's index mod the workers); without it the kernel's hash
 * spreads them, which is what shows the steering test can fail. */
#define _GNU_SOURCE 1
#include "core/wk.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/conf.h"
#include "listen/listener.h"

#define N_SOCKS 2
#define N_CONNECTS 24

static cpu_set_t saved_cpus; /* the test's own affinity, put back after each */

struct group {
	int fd[N_SOCKS]; /* bound in this order: the group's indices */
	uint16_t port;
};

static void
group_open(struct group *g)
{
	struct wk_listen l = { .text = "127.0.0.1:0" };
	struct sockaddr_in *sin = (struct sockaddr_in *)&l.addr;
	char err[256];

	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l.addrlen = sizeof(*sin);
	for (int i = 0; i < N_SOCKS; i++) {
		g->fd[i] = wk_listener_bind(&l, err, sizeof(err));
		assert_true(g->fd[i] >= 0);
		if (i == 0) {
			socklen_t len = sizeof(*sin);

			/* the others join the port the kernel chose */
			assert_int_equal(
			    getsockname(g->fd[0], (struct sockaddr *)sin, &len),
			    0);
			g->port = ntohs(sin->sin_port);
		}
	}
}

static void
group_close(struct group *g)
{
	for (int i = 0; i < N_SOCKS; i++)
		close(g->fd[i]);
}

/* Connects from this thread (sending a byte: the sockets defer accept
 * until data) and returns the index of the socket that got it. */
static int
connect_once(struct group *g)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
		.sin_port = htons(g->port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct pollfd pfd[N_SOCKS];
	int c = socket(AF_INET, SOCK_STREAM, 0), got = -1;

	assert_true(c >= 0);
	assert_int_equal(connect(c, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(write(c, "x", 1), 1);
	for (int i = 0; i < N_SOCKS; i++)
		pfd[i] = (struct pollfd){ .fd = g->fd[i], .events = POLLIN };
	assert_int_equal(poll(pfd, N_SOCKS, 5000), 1);
	for (int i = 0; i < N_SOCKS; i++)
		if (pfd[i].revents & POLLIN) {
			int a = accept(g->fd[i], NULL, NULL);

			assert_true(a >= 0);
			close(a);
			got = i;
		}
	close(c);
	return got;
}

/* Two CPUs this thread may run on with different indices mod N_SOCKS, or
 * false. */
static bool
two_cpus(int cpu[2])
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return false;
	cpu[0] = cpu[1] = -1;
	for (int i = 0; i < CPU_SETSIZE; i++) {
		if (!CPU_ISSET(i, &set))
			continue;
		if (cpu[0] < 0)
			cpu[0] = i;
		else if (i % N_SOCKS != cpu[0] % N_SOCKS) {
			cpu[1] = i;
			return true;
		}
	}
	return false;
}

static void
pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	assert_int_equal(sched_setaffinity(0, sizeof(set), &set), 0);
}

static int
unpin(void **state)
{
	(void)state;
	return sched_setaffinity(0, sizeof(saved_cpus), &saved_cpus);
}

static void
test_steered_by_cpu(void **state)
{
	struct group g;
	int cpu[2];

	(void)state;
	if (!two_cpus(cpu))
		skip();
	group_open(&g);
	assert_int_equal(wk_listener_steer(g.fd[N_SOCKS - 1], N_SOCKS), 0);
	for (int k = 0; k < 2; k++) {
		pin(cpu[k]);
		for (int i = 0; i < N_CONNECTS; i++)
			assert_int_equal(connect_once(&g), cpu[k] % N_SOCKS);
	}
	group_close(&g);
}

static void
test_hash_without_steering(void **state)
{
	struct group g;
	unsigned seen[N_SOCKS] = { 0 };
	int cpu[2];

	(void)state;
	if (!two_cpus(cpu))
		skip();
	group_open(&g);
	pin(cpu[0]);
	for (int i = 0; i < N_CONNECTS; i++)
		seen[connect_once(&g)]++;
	/* all 24 in one socket by chance: 1 in 2^23 */
	for (int i = 0; i < N_SOCKS; i++)
		assert_true(seen[i] > 0);
	group_close(&g);
}

static void
test_one_worker_nothing_to_do(void **state)
{
	struct group g;

	(void)state;
	group_open(&g);
	assert_int_equal(wk_listener_steer(g.fd[0], 1), 0);
	group_close(&g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_steered_by_cpu, unpin),
		cmocka_unit_test_teardown(test_hash_without_steering, unpin),
		cmocka_unit_test(test_one_worker_nothing_to_do),
	};

	if (sched_getaffinity(0, sizeof(saved_cpus), &saved_cpus) < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
