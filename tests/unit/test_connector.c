/* tests/unit/test_connector.c: the connector against an in-process DNS
 * server (libevent's evdns server side) and real loopback sockets: every
 * address of a name is tried in turn, failures map to the right errors,
 * .invalid never reaches a name server. */
#include "core/wk.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/dns_struct.h>
#include <event2/event.h>
#include <event2/util.h>

#include "upstream/connector.h"
#include "worker/worker.h"

struct fixture {
	struct event_base *base;
	struct evdns_base *dns;
	struct evdns_server_port *server;
	evutil_socket_t dns_fd;
	int listen_fd; /* a listening loopback socket */
	uint16_t open_port;
	unsigned queries; /* questions the DNS server saw */
	struct wk_worker w;
	/* result of the last connect */
	bool done;
	enum wk_conn_err err;
	char peer[64];
};

/* Answers: two.test -> 127.0.0.2 (nothing listens there on our port, so
 * refused) then 127.0.0.1; one.test -> 127.0.0.1; six.test -> ::1 only;
 * anything else NXDOMAIN. */
static void
dns_server_cb(struct evdns_server_request *req, void *arg)
{
	struct fixture *f = arg;

	for (int i = 0; i < req->nquestions; i++) {
		const struct evdns_server_question *q = req->questions[i];
		uint32_t a;

		f->queries++;
		if (q->type == EVDNS_TYPE_A &&
		    strcasecmp(q->name, "two.test") == 0) {
			a = htonl(0x7f000002);
			evdns_server_request_add_a_reply(
			    req, q->name, 1, &a, 60);
			a = htonl(0x7f000001);
			evdns_server_request_add_a_reply(
			    req, q->name, 1, &a, 60);
		} else if (q->type == EVDNS_TYPE_A &&
		    strcasecmp(q->name, "one.test") == 0) {
			a = htonl(0x7f000001);
			evdns_server_request_add_a_reply(
			    req, q->name, 1, &a, 60);
		} else if (q->type == EVDNS_TYPE_AAAA &&
		    strcasecmp(q->name, "six.test") == 0) {
			struct in6_addr six = IN6ADDR_LOOPBACK_INIT;
			evdns_server_request_add_aaaa_reply(
			    req, q->name, 1, &six, 60);
		}
	}
	if (strncasecmp(req->questions[0]->name, "nx", 2) == 0)
		evdns_server_request_respond(req, DNS_ERR_NOTEXIST);
	else
		evdns_server_request_respond(req, 0);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	char ns[64];

	f->base = event_base_new();
	/* the DNS server on a free UDP port */
	f->dns_fd = socket(AF_INET, SOCK_DGRAM, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(f->dns_fd, (struct sockaddr *)&sin, len), 0);
	getsockname(f->dns_fd, (struct sockaddr *)&sin, &len);
	evutil_make_socket_nonblocking(f->dns_fd);
	f->server = evdns_add_server_port_with_base(
	    f->base, f->dns_fd, 0, dns_server_cb, f);
	f->dns = evdns_base_new(f->base, 0);
	snprintf(ns, sizeof(ns), "127.0.0.1:%u", ntohs(sin.sin_port));
	assert_int_equal(evdns_base_nameserver_ip_add(f->dns, ns), 0);
	evdns_base_set_option(f->dns, "randomize-case:", "0");
	/* a listening socket on 127.0.0.1, port P; 127.0.0.2:P refuses */
	f->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	sin.sin_port = 0;
	len = sizeof(sin);
	assert_int_equal(bind(f->listen_fd, (struct sockaddr *)&sin, len), 0);
	assert_int_equal(listen(f->listen_fd, 8), 0);
	getsockname(f->listen_fd, (struct sockaddr *)&sin, &len);
	f->open_port = ntohs(sin.sin_port);
	f->w.base = f->base;
	f->w.dns = f->dns;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	evdns_base_free(f->dns, 1);
	evdns_close_server_port(f->server);
	close(f->dns_fd);
	close(f->listen_fd);
	event_base_free(f->base);
	free(f);
	return 0;
}

static void
connect_cb(struct bufferevent *bev, enum wk_conn_err err,
    const struct sockaddr *peer, void *arg)
{
	struct fixture *f = arg;

	f->done = true;
	f->err = err;
	f->peer[0] = '\0';
	if (peer != NULL)
		evutil_inet_ntop(peer->sa_family,
		    peer->sa_family == AF_INET ?
			(const void *)&((const struct sockaddr_in *)peer)
			    ->sin_addr :
			(const void *)&((const struct sockaddr_in6 *)peer)
			    ->sin6_addr,
		    f->peer, sizeof(f->peer));
	if (bev != NULL)
		bufferevent_free(bev);
	event_base_loopexit(f->base, NULL);
}

static void
run_connect(struct fixture *f, const char *host, uint16_t port)
{
	struct timeval limit = { 10, 0 };

	f->done = false;
	wk_connect_start(&f->w, host, port, 5000, connect_cb, f);
	if (!f->done) {
		event_base_loopexit(f->base, &limit);
		event_base_dispatch(f->base);
	}
	assert_true(f->done);
}

static void
test_second_address_after_refusal(void **state)
{
	struct fixture *f = *state;

	run_connect(f, "two.test", f->open_port);
	assert_int_equal(f->err, WK_CONN_OK);
	assert_string_equal(f->peer, "127.0.0.1");
}

static void
test_all_refused(void **state)
{
	struct fixture *f = *state;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);

	/* a port that was just free: nothing listens there */
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&sin, len);
	getsockname(fd, (struct sockaddr *)&sin, &len);
	close(fd);
	run_connect(f, "one.test", ntohs(sin.sin_port));
	assert_int_equal(f->err, WK_CONN_REFUSED);
}

static void
test_nxdomain(void **state)
{
	struct fixture *f = *state;

	run_connect(f, "nx.test", f->open_port);
	assert_int_equal(f->err, WK_CONN_DNS);
	assert_true(f->queries > 0);
}

static void
test_invalid_tld_never_queried(void **state)
{
	struct fixture *f = *state;

	run_connect(f, "nonexistent.invalid", 80);
	assert_int_equal(f->err, WK_CONN_DNS);
	run_connect(f, "x.INVALID.", 80);
	assert_int_equal(f->err, WK_CONN_DNS);
	/* a label over 63 bytes cannot be a DNS name */
	run_connect(f,
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    ".test",
	    80);
	assert_int_equal(f->err, WK_CONN_DNS);
	assert_int_equal(f->queries, 0);
}

static void
test_ip_literals(void **state)
{
	struct fixture *f = *state;

	run_connect(f, "127.0.0.1", f->open_port);
	assert_int_equal(f->err, WK_CONN_OK);
	assert_int_equal(f->queries, 0);
}

/* A listening socket on [::1] (its port in *port); skips the test where
 * there is no IPv6 loopback. */
static int
listen_v6(uint16_t *port)
{
	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
		.sin6_addr = IN6ADDR_LOOPBACK_INIT };
	socklen_t len = sizeof(sin6);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sin6, len) < 0) {
		close(fd);
		skip(); /* no IPv6 loopback here */
	}
	listen(fd, 4);
	getsockname(fd, (struct sockaddr *)&sin6, &len);
	*port = ntohs(sin6.sin6_port);
	return fd;
}

/* A connect to loopback is done inside connect(): still told from the
 * loop, never from inside wk_connect_start (callers rely on that). */
static void
test_local_connect_told_from_loop(void **state)
{
	struct fixture *f = *state;
	struct timeval limit = { 10, 0 };

	f->done = false;
	assert_non_null(wk_connect_start(
	    &f->w, "127.0.0.1", f->open_port, 5000, connect_cb, f));
	assert_false(f->done);
	event_base_loopexit(f->base, &limit);
	event_base_dispatch(f->base);
	assert_true(f->done);
	assert_int_equal(f->err, WK_CONN_OK);
	assert_string_equal(f->peer, "127.0.0.1");
}

/* Cancelled before the loop hears of it: the callback never runs. */
static void
test_local_connect_cancelled(void **state)
{
	struct fixture *f = *state;
	struct timeval limit = { 0, 200000 };
	struct wk_connect *c;

	f->done = false;
	c = wk_connect_start(
	    &f->w, "127.0.0.1", f->open_port, 5000, connect_cb, f);
	assert_non_null(c);
	wk_connect_cancel(c);
	event_base_loopexit(f->base, &limit);
	event_base_dispatch(f->base);
	assert_false(f->done);
}

static void
test_literal_refused(void **state)
{
	struct fixture *f = *state;

	run_connect(f, "127.0.0.2", f->open_port);
	assert_int_equal(f->err, WK_CONN_REFUSED);
	assert_int_equal(f->queries, 0);
}

static void
test_ipv6_literal(void **state)
{
	struct fixture *f = *state;
	uint16_t port;
	int fd = listen_v6(&port);

	run_connect(f, "::1", port);
	close(fd);
	assert_int_equal(f->err, WK_CONN_OK);
	assert_string_equal(f->peer, "::1");
	assert_int_equal(f->queries, 0);
}

static void
test_ipv6_only_name(void **state)
{
	struct fixture *f = *state;
	uint16_t port;
	int fd = listen_v6(&port);

	run_connect(f, "six.test", port);
	close(fd);
	assert_int_equal(f->err, WK_CONN_OK);
	assert_string_equal(f->peer, "::1");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_second_address_after_refusal, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_all_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nxdomain, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_invalid_tld_never_queried, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_ip_literals, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_local_connect_told_from_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_local_connect_cancelled, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_literal_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_ipv6_literal, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_ipv6_only_name, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
