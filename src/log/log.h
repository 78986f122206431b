/* src/log/log.h: the error log (levels, stderr/syslog/file) and the access
 * log (one line per request). Writes happen on a writer thread, never on a
 * worker's event loop. */
#ifndef WK_LOG_LOG_H
#define WK_LOG_LOG_H

#include "core/wk.h"

#include "config/conf.h"

/* One finished request or tunnel, for the access log. */
struct wk_access_rec {
	uint64_t start_us; /* wall clock, microseconds since the epoch */
	uint64_t duration_us;
	const char *client; /* "addr:port" */
	const char *method;
	const char *target;
	int status;	      /* 0 when no response was sent */
	uint64_t bytes_in;    /* from the client */
	uint64_t bytes_out;   /* to the client */
	const char *upstream; /* "addr:port" or NULL */
	const char *reason;   /* why it ended: "ok", "client closed", ... */
	/* a decoded response: its Content-Encoding ("gzip", "gzip, br"),
	 * the encoded body bytes read and the decoded bytes made; NULL when
	 * the body passed as it came */
	const char *coding;
	uint64_t encoded;
	uint64_t decoded;
};

/* Starts the writer thread with stderr as the error log. */
void wk_log_init(void);
/* Applies the logging settings of a configuration (targets, level, access
 * log). Safe to call again on reload. Returns 0, or -1 if a file cannot be
 * opened (the previous targets stay). */
int wk_log_configure(const struct wk_config *c);
/* Asks the writer to reopen its files (SIGUSR1). */
void wk_log_reopen(void);
/* Flushes everything and stops the writer thread. */
void wk_log_shutdown(void);

bool wk_log_enabled(enum wk_log_level l);
void wk_log(enum wk_log_level l, const char *fmt, ...) WK_PRINTF(2, 3);
/* Like wk_log, appends ": strerror(errno)". */
void wk_log_errno(enum wk_log_level l, const char *fmt, ...) WK_PRINTF(2, 3);
void wk_log_access(const struct wk_access_rec *r);
/* True when an access log is configured (callers skip building records). */
bool wk_log_access_enabled(void);

#define wk_log_err(...) wk_log(WK_LOG_ERR, __VA_ARGS__)
#define wk_log_warnx(...) wk_log(WK_LOG_WARN, __VA_ARGS__)
#define wk_log_warn(...) wk_log_errno(WK_LOG_WARN, __VA_ARGS__)
#define wk_log_notice(...) wk_log(WK_LOG_NOTICE, __VA_ARGS__)
#define wk_log_info(...) wk_log(WK_LOG_INFO, __VA_ARGS__)
#define wk_log_debug(...)                                                      \
	do {                                                                   \
		if (wk_log_enabled(WK_LOG_DEBUG))                              \
			wk_log(WK_LOG_DEBUG, __VA_ARGS__);                     \
	} while (0)

/* Formats a record as one text or JSON line (no newline) into buf.
 * Exposed for tests. Returns the length (truncated to len - 1). */
size_t wk_log_format_access(const struct wk_access_rec *r,
    enum wk_access_format f, char *buf, size_t len);

#endif
