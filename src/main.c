/* src/main.c: command line, signals, configuration loading and reload, the
 * worker threads' lifecycle. The only home of mutable globals. */
#include "core/wk.h"

#include <sys/resource.h>
#include <termios.h>
#include <sys/stat.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "admin/cli.h"
#include "config/conf.h"
#include "cookie/cookies.h"
#include "cookie/cookies_cli.h"
#include "core/alloc.h"
#include "worker/worker.h"
#include "listen/listener.h"
#include "log/log.h"
#include "pac/pac.h"
#include "pac/pac_gen.h"
#include "pac/pac_helper.h"
#include "sess/users.h"
#include "sys/autodial.h"
#include "sys/spool.h"
#include "sys/workq.h"
#include "tls/ca_cli.h"
#include "tls/tls.h"

#define WK_MAX_WORKERS 256

struct run_opts {
	const char *config;
	struct wk_conf_overrides ov;
};

static struct wk_ctx g_ctx = { .conf_mu = PTHREAD_MUTEX_INITIALIZER };
static struct run_opts g_run;
static struct event_base *g_main_base;
static bool g_stopping;

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: wicket run [-c FILE] [--listen ADDR:PORT]... "
	    "[--state-dir DIR]\n"
	    "       wicket check-config [--dump] [-c] FILE\n"
	    "       wicket passwd [-f FILE] USER\n"
	    "       wicket zone [-c FILE] URL|HOST[:PORT]\n"
	    "       wicket pac [-c FILE]\n"
	    "       wicket ca [-c FILE] export [--der] | rotate\n"
	    "       wicket cookies [-c FILE] list [--domain D] [--json] | get URL |\n"
	    "              set URL 'SET-COOKIE' | delete DOMAIN [NAME [PATH]] |\n"
	    "              clear | import FILE | export FILE\n"
	    "       wicket --help | --version\n"
	    "\n"
	    "  run           start the proxy in the foreground (defaults: "
	    "127.0.0.1:3128)\n"
	    "  check-config  check a configuration file and exit "
	    "(--dump prints it normalised)\n"
	    "  passwd        add or change a SOCKS5 user in a users file "
	    "(default STATE_DIR/users)\n"
	    "  zone          which zone, rule and route a destination gets\n"
	    "  pac           print the PAC script wicket serves at /proxy.pac\n"
	    "  ca            print (export) or replace (rotate) the local CA\n"
	    "  cookies       the shared cookie jar (STATE_DIR/wicket.db)\n"
	    "\n"
	    "See wicket(1) and wicket.conf(5).\n");
}

/* Loads the configuration named on the command line, or the defaults.
 * Errors go to errs. */
static struct wk_config *
load_config(FILE *errs)
{
	struct wk_config *c;
	char err[256];

	if (g_run.config != NULL)
		return wk_conf_load(g_run.config, &g_run.ov, errs);
	c = wk_conf_defaults();
	if (wk_conf_apply_overrides(c, &g_run.ov, err, sizeof(err)) < 0) {
		fprintf(errs, "wicket: %s\n", err);
		wk_conf_unref(c);
		return NULL;
	}
	return c;
}

static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			wk_log_warn("cannot raise the open file limit");
	}
}

/* mkdir -p with mode 0700 for the parts we create. */
static int
make_state_dir(const char *path)
{
	char *p = wk_strdup(path);
	int rc = 0;

	for (char *q = p + 1; *q; q++) {
		if (*q != '/')
			continue;
		*q = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			rc = -1;
		*q = '/';
	}
	if (mkdir(p, 0700) < 0 && errno != EEXIST)
		rc = -1;
	free(p);
	return rc;
}

static char *
state_dir_path(const struct wk_config *c)
{
	const char *x = getenv("XDG_STATE_HOME"), *home = getenv("HOME");

	if (c->state_dir != NULL)
		return wk_strdup(c->state_dir);
	if (x != NULL && x[0] == '/')
		return wk_asprintf("%s/wicket", x);
	if (home != NULL && home[0] == '/')
		return wk_asprintf("%s/.local/state/wicket", home);
	return wk_strdup("/var/lib/wicket");
}

/* STATE_DIR/proxy.pac, for programs that take file:// PAC URLs. Written
 * whole to a temporary name, then renamed, so a reader never sees half. */
static void
write_pac_file(const struct wk_config *c)
{
	char *dir = state_dir_path(c);
	char *path = wk_asprintf("%s/proxy.pac", dir);
	char *tmp = wk_asprintf("%s/.proxy.pac.tmp", dir);
	struct evbuffer *b = evbuffer_new();
	char proxy[80];
	FILE *f;

	wk_pac_proxy_of(c, proxy, sizeof(proxy));
	wk_pac_generate(c, proxy, b);
	f = fopen(tmp, "w");
	if (f == NULL ||
	    fwrite(evbuffer_pullup(b, -1), 1, evbuffer_get_length(b), f) !=
		evbuffer_get_length(b) ||
	    fchmod(fileno(f), 0644) < 0 || fclose(f) != 0 ||
	    rename(tmp, path) < 0) {
		wk_log_warn("cannot write %s", path);
		if (f != NULL)
			unlink(tmp);
	} else {
		wk_log_info("wrote %s", path);
	}
	evbuffer_free(b);
	free(tmp);
	free(path);
	free(dir);
}

static bool
listens_equal(const struct wk_config *a, const struct wk_config *b)
{
	if (a->n_listens != b->n_listens)
		return false;
	for (size_t i = 0; i < a->n_listens; i++)
		if (a->listens[i].addrlen != b->listens[i].addrlen ||
		    memcmp(&a->listens[i].addr, &b->listens[i].addr,
			a->listens[i].addrlen) != 0)
			return false;
	return true;
}

static void
do_reload(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *errs = open_memstream(&buf, &len);
	struct wk_config *c, *old;

	wk_log_notice("reloading the configuration");
	c = load_config(errs);
	fclose(errs);
	if (c == NULL) {
		for (char *line = buf, *nl; line && *line; line = nl) {
			nl = strchr(line, '\n');
			if (nl != NULL)
				*nl++ = '\0';
			wk_log_err("%s", line);
		}
		wk_log_err("reload failed, keeping the running configuration");
		free(buf);
		return;
	}
	free(buf);
	if (wk_log_configure(c) < 0) {
		wk_log_err("cannot open the new log files; reload failed, "
			   "keeping the running configuration");
		wk_conf_unref(c);
		return;
	}
	old = wk_ctx_get_conf(&g_ctx);
	if (!listens_equal(old, c))
		wk_log_warnx("listen changes take effect after a restart");
	if (c->workers != old->workers)
		wk_log_warnx("workers changes take effect after a restart");
	wk_conf_unref(old);
	wk_ctx_set_conf(&g_ctx, c);
	for (unsigned i = 0; i < g_ctx.n_workers; i++)
		wk_worker_command(g_ctx.workers[i], WK_WORKER_CMD_CONF);
	wk_pac_service_reload();
	write_pac_file(c);
	wk_log_notice("configuration reloaded");
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)what, (void)arg;
	switch (sig) {
	case SIGHUP:
		if (!g_stopping)
			do_reload();
		break;
	case SIGUSR1:
		wk_log_notice("reopening log files");
		wk_log_reopen();
		break;
	case SIGTERM:
	case SIGINT:
		if (g_stopping) {
			wk_log_notice("second signal: stopping now");
			for (unsigned i = 0; i < g_ctx.n_workers; i++)
				wk_worker_command(
				    g_ctx.workers[i], WK_WORKER_CMD_STOP);
		} else {
			g_stopping = true;
			event_base_loopexit(g_main_base, NULL);
		}
		break;
	}
}

/* Joins every worker, waiting at most until deadline before forcing. */
static void
join_workers(const struct timespec *deadline)
{
	for (unsigned i = 0; i < g_ctx.n_workers; i++) {
		struct wk_worker *w = g_ctx.workers[i];

		if (pthread_timedjoin_np(w->thread, NULL, deadline) != 0) {
			wk_log_warnx("worker %u: open requests did not finish "
				     "in time; closing them",
			    i);
			wk_worker_command(w, WK_WORKER_CMD_STOP);
			pthread_join(w->thread, NULL);
		}
	}
}

static int
cmd_run(void)
{
	struct wk_config *c;
	unsigned n_workers;
	struct event *sigs[4];
	static const int signums[4] = { SIGHUP, SIGTERM, SIGINT, SIGUSR1 };
	char *state;
	int rc = 0;

	c = load_config(stderr);
	if (c == NULL)
		return 1;
	if (wk_log_configure(c) < 0) {
		fprintf(stderr, "wicket: cannot open the log files: %s\n",
		    strerror(errno));
		wk_conf_unref(c);
		return 1;
	}
	wk_log_init();
	wk_alloc_tune();
	raise_nofile();
	signal(SIGPIPE, SIG_IGN);

	state = state_dir_path(c);
	g_ctx.spool_dir = wk_asprintf("%s/spool", state);
	if (make_state_dir(state) < 0) {
		wk_log_warn("cannot create the state directory %s", state);
	} else {
		char terr[512];

		write_pac_file(c);
		if (wk_tls_init(state, terr, sizeof(terr)) < 0)
			wk_log_err(
			    "no local CA, TLS interception is off: %s", terr);
		if (wk_cookies_init(
			state, c->limit.cookies, terr, sizeof(terr)) < 0)
			wk_log_err("no cookie jar: %s", terr);
	}
	free(state);

	n_workers = c->workers;
	if (n_workers == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		n_workers = n > 0 ? (unsigned)WK_MIN(n, WK_MAX_WORKERS) : 1;
	}
	g_ctx.started = time(NULL);
	g_ctx.conf = c;
	g_ctx.workers = wk_calloc(n_workers, sizeof(*g_ctx.workers));

	/* bind everything before starting anything: a port in use is an
	 * error at start, not a surprise later */
	int *fds = wk_calloc(c->n_listens ? c->n_listens : 1, sizeof(int));
	int *protos = wk_calloc(c->n_listens ? c->n_listens : 1, sizeof(int));
	for (size_t j = 0; j < c->n_listens; j++)
		protos[j] = (int)c->listens[j].proto;
	for (unsigned i = 0; i < n_workers; i++) {
		char err[256];

		for (size_t j = 0; j < c->n_listens; j++) {
			fds[j] =
			    wk_listener_bind(&c->listens[j], err, sizeof(err));
			if (fds[j] < 0) {
				wk_log_err("%s", err);
				while (j-- > 0)
					close(fds[j]);
				rc = 1;
				goto out;
			}
		}
		/* the last worker's sockets complete each group */
		for (size_t j = 0; i == n_workers - 1 && j < c->n_listens; j++)
			if (wk_listener_steer(fds[j], n_workers) < 0)
				wk_log_info("%s: connections go to workers by "
					    "address hash: %s",
				    c->listens[j].text, strerror(errno));
		g_ctx.workers[i] =
		    wk_worker_new(&g_ctx, i, fds, protos, c->n_listens);
		g_ctx.n_workers++;
	}
	/* the disk thread of held request bodies and the threads that
	 * decode large bodies, before any request */
	if (wk_spool_service_start() < 0 || wk_workq_start(n_workers) < 0) {
		wk_log_err("cannot start the spool and work queue threads");
		abort();
	}
	for (unsigned i = 0; i < g_ctx.n_workers; i++)
		if (wk_worker_start(g_ctx.workers[i]) < 0) {
			wk_log_err("cannot start worker threads");
			abort();
		}
	if (wk_pac_service_start(&g_ctx, "/proc/self/exe") < 0 ||
	    wk_dial_service_start() < 0) {
		wk_log_err("cannot start the PAC and dial services");
		abort();
	}
	for (size_t j = 0; j < c->n_listens; j++)
		wk_log_notice("listening on %s", c->listens[j].text);
	wk_log_notice("ready (%u workers)", g_ctx.n_workers);

	g_main_base = event_base_new();
	for (int i = 0; i < 4; i++) {
		sigs[i] =
		    evsignal_new(g_main_base, signums[i], signal_cb, NULL);
		evsignal_add(sigs[i], NULL);
	}
	event_base_dispatch(g_main_base);

	/* SIGTERM: stop accepting, let open requests finish within a bound */
	{
		struct wk_config *cur = wk_ctx_get_conf(&g_ctx);
		unsigned ms = cur->timeout.shutdown_ms;
		struct timespec deadline;

		wk_conf_unref(cur);
		wk_log_notice("shutting down (waiting up to %u ms for open "
			      "requests)",
		    ms);
		__atomic_store_n(&g_ctx.draining, true, __ATOMIC_RELAXED);
		for (unsigned i = 0; i < g_ctx.n_workers; i++)
			wk_worker_command(
			    g_ctx.workers[i], WK_WORKER_CMD_DRAIN);
		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_sec += ms / 1000;
		deadline.tv_nsec += (long)(ms % 1000) * 1000000;
		if (deadline.tv_nsec >= 1000000000) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000;
		}
		join_workers(&deadline);
		/* no helper thread may post to a worker after this */
		wk_users_shutdown();
		wk_pac_service_stop();
		wk_dial_service_stop();
		wk_spool_service_stop();
		wk_workq_stop();
		wk_tls_shutdown();
		wk_cookies_shutdown();
	}
	for (int i = 0; i < 4; i++)
		event_free(sigs[i]);
	event_base_free(g_main_base);
	wk_log_notice("stopped");
out:
	for (unsigned i = 0; i < g_ctx.n_workers; i++)
		wk_worker_free(g_ctx.workers[i]);
	free(g_ctx.workers);
	free(g_ctx.spool_dir);
	free(fds);
	free(protos);
	wk_log_shutdown();
	wk_conf_unref(g_ctx.conf);
	free(g_run.ov.listens);
	libevent_global_shutdown();
	return rc;
}

static int
cmd_check_config(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "dump", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	bool dump = false;
	struct wk_config *c;
	int o;

	while ((o = getopt_long(argc, argv, "c:dh", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			path = optarg;
			break;
		case 'd':
			dump = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc && path == NULL)
		path = argv[optind++];
	if (path == NULL || optind < argc) {
		usage(stderr);
		return 2;
	}
	c = wk_conf_load(path, NULL, stderr);
	if (c == NULL)
		return 1;
	if (dump)
		wk_conf_dump(c, stdout);
	wk_conf_unref(c);
	return 0;
}

/* Reads a password: twice without echo on a terminal, else one line. */
static int
read_password(char *buf, size_t len)
{
	char again[256];
	struct termios t, quiet;
	bool tty = isatty(STDIN_FILENO);

	for (int round = 0; round < (tty ? 2 : 1); round++) {
		char *dst = round == 0 ? buf : again;
		size_t n = round == 0 ? len : sizeof(again);

		if (tty) {
			fprintf(stderr, round == 0 ? "Password: " : "Again: ");
			tcgetattr(STDIN_FILENO, &t);
			quiet = t;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
		}
		char *got = fgets(dst, (int)n, stdin);
		if (tty) {
			tcsetattr(STDIN_FILENO, TCSAFLUSH, &t);
			fputc('\n', stderr);
		}
		if (got == NULL)
			return -1;
		dst[strcspn(dst, "\r\n")] = '\0';
	}
	if (tty && strcmp(buf, again) != 0) {
		fprintf(stderr, "wicket: the passwords differ\n");
		explicit_bzero(again, sizeof(again));
		return -1;
	}
	explicit_bzero(again, sizeof(again));
	return 0;
}

static int
cmd_passwd(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	char *def = NULL, pass[256], err[256];
	int o, rc;

	while ((o = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		switch (o) {
		case 'f':
			path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return 2;
	}
	if (path == NULL) {
		struct wk_config *c = wk_conf_defaults();
		char *dir = state_dir_path(c);

		wk_conf_unref(c);
		if (make_state_dir(dir) < 0) {
			fprintf(stderr, "wicket: cannot create %s: %s\n", dir,
			    strerror(errno));
			free(dir);
			return 1;
		}
		def = wk_asprintf("%s/users", dir);
		free(dir);
		path = def;
	}
	if (read_password(pass, sizeof(pass)) < 0) {
		fprintf(stderr, "wicket: no password given\n");
		free(def);
		return 1;
	}
	rc = wk_users_set(path, argv[optind], pass, err, sizeof(err));
	explicit_bzero(pass, sizeof(pass));
	if (rc < 0)
		fprintf(stderr, "wicket: %s\n", err);
	free(def);
	return rc < 0 ? 1 : 0;
}

static int
parse_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int o;

	g_run.ov.listens = wk_calloc((size_t)argc, sizeof(char *));
	while ((o = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			g_run.config = optarg;
			break;
		case 'l':
			g_run.ov.listens[g_run.ov.n_listens++] = optarg;
			break;
		case 's':
			g_run.ov.state_dir = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(
		    stderr, "wicket: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	return -1;
}

/* wicket pac-helper --heap BYTES: started by the PAC service with its
 * socket on fd 0 and 1; not for people. */
static int
cmd_pac_helper(int argc, char **argv)
{
	size_t heap = 32u << 20;

	if (isatty(0)) {
		fprintf(
		    stderr, "wicket: pac-helper is started by the daemon\n");
		return 2;
	}
	if (argc == 3 && strcmp(argv[1], "--heap") == 0) {
		char *end;
		unsigned long long v = strtoull(argv[2], &end, 10);

		if (*end != '\0' || v < (1u << 20))
			return 2;
		heap = (size_t)v;
	}
	signal(SIGPIPE, SIG_IGN);
	return wk_pac_helper_main(0, 1, heap) == 0 ? 0 : 1;
}

/* For the commands that read the configuration: [-c FILE] and nargs
 * words. Returns -1 and loads the config into *c, or the exit status. */
static int
parse_conf_cmd(int argc, char **argv, int nargs, struct wk_config **c)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int o;

	while ((o = getopt_long(argc, argv, "+c:h", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			g_run.config = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind + nargs != argc) {
		usage(stderr);
		return 2;
	}
	*c = load_config(stderr);
	return *c == NULL ? 1 : -1;
}

/* wicket pac [-c FILE]: the generated PAC script on stdout. */
static int
cmd_pac(int argc, char **argv)
{
	struct wk_config *c = NULL;
	struct evbuffer *b;
	char proxy[80];
	int rc = parse_conf_cmd(argc, argv, 0, &c);

	if (rc >= 0)
		return rc;
	b = evbuffer_new();
	wk_pac_proxy_of(c, proxy, sizeof(proxy));
	wk_pac_generate(c, proxy, b);
	fwrite(evbuffer_pullup(b, -1), 1, evbuffer_get_length(b), stdout);
	evbuffer_free(b);
	wk_conf_unref(c);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* The commands that work in the state directory: [-c FILE] SUBCOMMAND
 * ARG..., handed to fn with the directory (created when missing). */
static int
state_dir_cmd(int argc, char **argv,
    int (*fn)(const char *state, int argc, char **argv, FILE *out, FILE *err))
{
	struct wk_config *c;
	char *state;
	int rc;

	if (argc >= 3 && strcmp(argv[1], "-c") == 0) {
		g_run.config = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	c = load_config(stderr);
	if (c == NULL)
		return 1;
	state = state_dir_path(c);
	wk_conf_unref(c);
	if (make_state_dir(state) < 0) {
		fprintf(stderr, "wicket: cannot create %s: %s\n", state,
		    strerror(errno));
		free(state);
		return 1;
	}
	rc = fn(state, argc - 1, argv + 1, stdout, stderr);
	free(state);
	return rc;
}

/* wicket zone [-c FILE] URL|HOST[:PORT] */
static int
cmd_zone(int argc, char **argv)
{
	struct wk_config *c = NULL;
	int rc = parse_conf_cmd(argc, argv, 1, &c);

	if (rc >= 0)
		return rc;
	rc = wk_cli_zone(c, argv[optind], stdout, stderr);
	wk_conf_unref(c);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *cmd;
	int rc;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
	    strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
		printf("wicket %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (strcmp(cmd, "run") == 0) {
		rc = parse_run(argc - 1, argv + 1);
		if (rc >= 0) {
			free(g_run.ov.listens);
			return rc;
		}
		return cmd_run();
	}
	if (strcmp(cmd, "check-config") == 0)
		return cmd_check_config(argc - 1, argv + 1);
	if (strcmp(cmd, "passwd") == 0)
		return cmd_passwd(argc - 1, argv + 1);
	if (strcmp(cmd, "zone") == 0)
		return cmd_zone(argc - 1, argv + 1);
	if (strcmp(cmd, "pac") == 0)
		return cmd_pac(argc - 1, argv + 1);
	if (strcmp(cmd, "ca") == 0)
		return state_dir_cmd(argc - 1, argv + 1, wk_ca_cli);
	if (strcmp(cmd, "cookies") == 0)
		return state_dir_cmd(argc - 1, argv + 1, wk_cookies_cli);
	if (strcmp(cmd, "pac-helper") == 0)
		return cmd_pac_helper(argc - 1, argv + 1);
	fprintf(stderr, "wicket: unknown command '%s'\n", cmd);
	usage(stderr);
	return 2;
}
