#!/bin/bash
# test_signals.sh: SIGHUP reload (bad config kept out, good config taking
# effect), SIGUSR1 log reopening, SIGTERM/SIGINT draining and exiting 0.
. "$(dirname "$0")/lib.sh"
wk_require_wicket

wk_origin_start http
wk_proxy_start_or_bail "timeout shutdown 5s"
cp "$WK_CONF" "$WK_T/good.conf"

code() {
	wk_curl -o /dev/null -w '%{http_code}' "$(wk_url "$1")"
}

wk_is "$(code /bytes/10)" 200 "serving before any signal"

# SIGHUP with a bad config
{ cat "$WK_T/good.conf"; echo "timeout header-read"; echo "no-such-keyword 1"; } >"$WK_CONF"
kill -HUP "$WK_PID"
wk_log_wait 'reload failed' 5
wk_is "$?" 0 "SIGHUP with a bad config: 'reload failed' logged"
wk_like "$(cat "$WK_ERRLOG")" 'wicket\.conf:[0-9]+:[0-9]+: error' \
    "SIGHUP with a bad config: the error is reported with file:line:col"
wk_ok "SIGHUP with a bad config: still running" wk_alive "$WK_PID"
wk_is "$(code /bytes/10)" 200 "SIGHUP with a bad config: still serving with the old config"

# SIGHUP with a good config: deny all takes effect
n0=$(grep -c 'configuration reloaded' "$WK_ERRLOG")
{ cat "$WK_T/good.conf"; echo "deny all"; } >"$WK_CONF"
kill -HUP "$WK_PID"
i=0
while [ "$(grep -c 'configuration reloaded' "$WK_ERRLOG")" -le "$n0" ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
wk_like "$(grep -c 'configuration reloaded' "$WK_ERRLOG")" "^$((n0 + 1))\$" \
    "SIGHUP with a good config: 'configuration reloaded' logged"
wk_is "$(code /bytes/10)" 403 "SIGHUP: the new deny all rule takes effect"

# A request in flight across a reload completes.
cp "$WK_T/good.conf" "$WK_CONF"
kill -HUP "$WK_PID"
wk_log_wait 'configuration reloaded' 5
i=0
while [ "$(code /bytes/10)" != 200 ] && [ $i -lt 30 ]; do
	sleep 0.1
	i=$((i + 1))
done
wk_is "$(code /bytes/10)" 200 "SIGHUP back to the good config: allowed again"
wk_curl -o "$WK_T/inflight.out" -w '%{http_code}' "$(wk_url /slow/1500)" \
    >"$WK_T/inflight.code" 2>&1 &
cpid=$!
wk_retry 5 grep -q '/slow/1500' "$WK_ORIGIN_LOG"
{ cat "$WK_T/good.conf"; echo "via other-name"; } >"$WK_CONF"
kill -HUP "$WK_PID"
wait $cpid
wk_is "$(cat "$WK_T/inflight.code")$(cat "$WK_T/inflight.out")" "200slow" \
    "a request in flight during SIGHUP completes"

# SIGUSR1 reopens the access log
cp "$WK_T/good.conf" "$WK_CONF"
kill -HUP "$WK_PID"
sleep 0.5
code /echo/before-usr1 >/dev/null
wk_access_wait 1 5
wk_retry 5 grep -q 'before-usr1' "$WK_ACCESS"
mv "$WK_ACCESS" "$WK_ACCESS.1"
code /echo/moved-not-reopened >/dev/null
kill -USR1 "$WK_PID"
i=0
while [ $i -lt 50 ]; do
	code "/echo/after-usr1-$i" >/dev/null
	grep -qs 'after-usr1' "$WK_ACCESS" && break
	sleep 0.1
	i=$((i + 1))
done
wk_like "$(cat "$WK_ACCESS" 2>/dev/null)" 'after-usr1' \
    "SIGUSR1: a new access log is opened at the configured path"
wk_like "$(cat "$WK_ACCESS.1")" 'before-usr1' "SIGUSR1: old lines stay in the moved file"
wk_like "$(cat "$WK_ACCESS.1")" 'moved-not-reopened' \
    "SIGUSR1: lines before the signal go to the moved file"
wk_unlike "$(cat "$WK_ACCESS" 2>/dev/null)" 'before-usr1|moved-not-reopened' \
    "SIGUSR1: the new file holds only later lines"

# SIGTERM: stop accepting, drain the in-flight request, exit 0.
wk_curl -o "$WK_T/term.out" -w '%{http_code}' "$(wk_url /slow/2500)" \
    >"$WK_T/term.code" 2>&1 &
cpid=$!
wk_retry 5 grep -q '/slow/2500' "$WK_ORIGIN_LOG"
kill -TERM "$WK_PID"
t0=$(date +%s%N)
i=0
while wk_port_open "$WK_PROXY_PORT" 2>/dev/null && [ $i -lt 20 ]; do
	sleep 0.1
	i=$((i + 1))
done
if wk_port_open "$WK_PROXY_PORT" 2>/dev/null; then
	wk_fail "SIGTERM: new connections are refused at once"
else
	wk_pass "SIGTERM: new connections are refused at once"
fi
wait $cpid
wk_is "$(cat "$WK_T/term.code")$(cat "$WK_T/term.out")" "200slow" \
    "SIGTERM: the in-flight request completes"
wk_wait_exit "$WK_PID" 10
t1=$(date +%s%N)
wk_is "$WK_RC" 0 "SIGTERM: exit status 0 after draining"
wk_diag "exited $(((t1 - t0) / 1000000)) ms after SIGTERM"

# SIGTERM with a request longer than `timeout shutdown`: exits anyway.
wk_proxy_start_or_bail "timeout shutdown 1s"
wk_curl -o /dev/null "$(wk_url /slow/20000)" >/dev/null 2>&1 &
cpid=$!
wk_retry 5 grep -q '/slow/20000' "$WK_ORIGIN_LOG"
t0=$(date +%s)
kill -TERM "$WK_PID"
wk_wait_exit "$WK_PID" 8
wk_is "$WK_RC" 0 "SIGTERM with a request outliving timeout shutdown: exits 0 within the bound (8 s)"
kill "$cpid" 2>/dev/null
wait "$cpid" 2>/dev/null

# SIGTERM with an idle keep-alive client: no need to wait for the bound.
wk_proxy_start_or_bail "timeout shutdown 30s" "timeout keepalive 60s"
wk_py >"$WK_T/idle.out" 2>&1 <<'EOF' &
import wkclient as w
s = w.connect(timeout=40)
rd = w.Reader(s)
s.sendall(w.get_req("/bytes/10"))
r = w.read_response(rd)
print("served", r.status, flush=True)
how, data, t = w.wait_closed(s, 40)
print("closed", how)
EOF
ipid=$!
wk_retry 5 grep -q served "$WK_T/idle.out"
kill -TERM "$WK_PID"
wk_wait_exit "$WK_PID" 10
wk_is "$WK_RC" 0 "SIGTERM with an idle keep-alive client: exits 0 well before timeout shutdown"
wait $ipid
wk_like "$(cat "$WK_T/idle.out")" 'closed (eof|reset)' "... and the idle client is disconnected"

# SIGINT on an idle proxy: exits 0 promptly.
wk_proxy_start_or_bail
code /bytes/10 >/dev/null
kill -INT "$WK_PID"
wk_wait_exit "$WK_PID" 5
wk_is "$WK_RC" 0 "SIGINT: idle proxy exits 0 (within 5 s)"

# SIGUSR1 with the error log in a file
wk_proxy_start_or_bail "log error @DIR@/error.log"
errf=$WK_DIR/error.log
mv "$errf" "$errf.1"
kill -USR1 "$WK_PID"
i=0
while [ ! -s "$errf" ] && [ $i -lt 30 ]; do
	# something to log: a reload
	kill -HUP "$WK_PID"
	sleep 0.2
	i=$((i + 1))
done
wk_like "$(cat "$errf" 2>/dev/null)" 'reopen|reload' "SIGUSR1: the error log file is reopened too"
wk_proxy_stop
wk_is "$WK_RC" 0 "SIGTERM: exits 0"

wk_done
