#!/bin/bash
# test_cli.sh: command line (help, version, exit codes), check-config
# messages, `run` without a config file, listen failures.
. "$(dirname "$0")/lib.sh"
wk_require_wicket
[ "$WK_TEST_PROXY" = wicket ] || wk_skip_all "wicket command line only"

# run CMD...: sets OUT, ERR, RC.
run() {
	timeout 10 "$@" >"$WK_T/out" 2>"$WK_T/err"
	RC=$?
	OUT=$(cat "$WK_T/out")
	ERR=$(cat "$WK_T/err")
}

run "$WICKET" --help
wk_is "$RC" 0 "--help exits 0"
wk_like "$OUT" '[Uu]sage' "--help prints usage on stdout"
wk_like "$OUT" 'check-config' "--help mentions check-config"
run "$WICKET" -h
wk_is "$RC" 0 "-h exits 0"
wk_like "$OUT" '[Uu]sage' "-h prints usage on stdout"

run "$WICKET" --version
wk_is "$RC" 0 "--version exits 0"
wk_like "$OUT" '^wicket [0-9]+\.[0-9]+\.[0-9]+' "--version prints 'wicket X.Y.Z'"
run "$WICKET" -V
wk_is "$RC" 0 "-V exits 0"
wk_like "$OUT" '^wicket [0-9]+\.[0-9]+\.[0-9]+' "-V prints 'wicket X.Y.Z'"

run "$WICKET" frobnicate
wk_is "$RC" 2 "unknown subcommand exits 2"
wk_like "$ERR" '[Uu]sage' "unknown subcommand: usage on stderr"
wk_is "$OUT" "" "unknown subcommand: nothing on stdout"
run "$WICKET" --bogus-option
wk_is "$RC" 2 "unknown global option exits 2"
run "$WICKET" run --bogus-option
wk_is "$RC" 2 "unknown option to run exits 2"
wk_like "$ERR" '[Uu]sage|bogus' "unknown option to run: message on stderr"
run "$WICKET" check-config --bogus-option "$WK_T/x.conf"
wk_is "$RC" 2 "unknown option to check-config exits 2"

# check-config
cat >"$WK_T/good.conf" <<EOF
# a good config
listen 127.0.0.1:3128
listen [::1]:3128; listen localhost:3129
allow 127.0.0.0/8
deny all
workers auto
via "my-proxy"
timeout connect 250ms
timeout header-read 10s
timeout keepalive 2m
timeout tunnel-idle 1h
timeout upstream-response 30
timeout shutdown 5s
timeout pool-idle 90s
limit request-line 8k
limit header-bytes 64k
limit header-count 100
limit connections 1k
log level info
log error stderr
log access -
log access-format json
EOF
run "$WICKET" check-config "$WK_T/good.conf"
wk_is "$RC" 0 "check-config FILE on a good config exits 0"
wk_is "$ERR" "" "check-config on a good config prints no error"
run "$WICKET" check-config -c "$WK_T/good.conf"
wk_is "$RC" 0 "check-config -c FILE exits 0"
run "$WICKET" check-config --dump "$WK_T/good.conf"
wk_is "$RC" 0 "check-config --dump exits 0"
wk_like "$OUT" 'listen' "check-config --dump prints the config"
printf '%s\n' "$OUT" >"$WK_T/dumped.conf"
run "$WICKET" check-config "$WK_T/dumped.conf"
wk_is "$RC" 0 "the --dump output is itself a valid config"

printf 'listen 127.0.0.1:3128\nlog level info\ntimeout connect 5x\nallow 127.0.0.1/8\nbogus-keyword yes\n' \
    >"$WK_T/bad.conf"
run "$WICKET" check-config "$WK_T/bad.conf"
wk_is "$RC" 1 "check-config on a bad config exits 1"
wk_like "$ERR" 'bad\.conf:3:[0-9]+: error: ' "error at line 3 reported as FILE:LINE:COL: error:"
wk_like "$ERR" 'bad\.conf:5:[0-9]+: error: ' "every error is reported (line 5 too)"
wk_like "$ERR" 'bad\.conf:5:1: error: ' "column of an unknown keyword is 1"

mkdir -p "$WK_T/inc/sub"
printf 'listen 127.0.0.1:3128\ninclude sub/*.conf\n' >"$WK_T/inc/main.conf"
printf 'timeout connect 5s\n' >"$WK_T/inc/sub/a.conf"
printf 'via somebody\n' >"$WK_T/inc/sub/b.conf"
(cd / && run "$WICKET" check-config "$WK_T/inc/main.conf" && exit $RC)
wk_is "$?" 0 "include with a glob, relative to the including file"
printf 'timeout connect soon\n' >"$WK_T/inc/sub/b.conf"
run "$WICKET" check-config "$WK_T/inc/main.conf"
wk_is "$RC" 1 "an error in an included file exits 1"
wk_like "$ERR" 'sub/b\.conf:1:[0-9]+: error: ' "an error in an included file names that file"

run "$WICKET" check-config "$WK_T/does-not-exist.conf"
wk_is "$RC" 1 "check-config on a missing file exits 1"

# run without a config file
port=$(wk_free_port)
mkdir -p "$WK_T/state"
setsid "$WICKET" run --listen "127.0.0.1:$port" --state-dir "$WK_T/state" \
    </dev/null >"$WK_T/run.out" 2>"$WK_T/run.err" &
pid=$!
WK_PIDS="$WK_PIDS $pid"
WK_ERRLOG=$WK_T/run.err
wk_log_wait 'ready' 20
wk_is "$?" 0 "run --listen --state-dir without a config: ready"
wk_like "$(cat "$WK_T/run.err")" "listening on 127\\.0\\.0\\.1:$port" "logs 'listening on ADDR:PORT'"
wk_like "$(grep 'ready' "$WK_T/run.err")" 'notice' "the ready line carries its level (notice)"
wk_origin_start http
out=$(curl -sS --max-time 10 -x "http://127.0.0.1:$port" "$(wk_url /bytes/10)" | wc -c)
wk_is "$out" 10 "run without a config: proxies requests"
kill -TERM $pid
wk_wait_exit $pid 10
wk_is "$WK_RC" 0 "run without a config: SIGTERM exits 0"

# two --listen
p1=$(wk_free_port)
p2=$(wk_free_port)
setsid "$WICKET" run --listen "127.0.0.1:$p1" --listen "127.0.0.1:$p2" \
    --state-dir "$WK_T/state" </dev/null >"$WK_T/run2.out" 2>"$WK_T/run2.err" &
pid=$!
WK_PIDS="$WK_PIDS $pid"
wk_log_wait 'ready' 20 "$WK_T/run2.err"
a=$(curl -sS --max-time 10 -x "http://127.0.0.1:$p1" "$(wk_url /bytes/5)" | wc -c)
b=$(curl -sS --max-time 10 -x "http://127.0.0.1:$p2" "$(wk_url /bytes/5)" | wc -c)
wk_is "$a $b" "5 5" "two --listen options: both ports serve"
kill -TERM $pid
wk_wait_exit $pid 10

# IPv6 loopback, when the machine has it
if "$WK_PY" -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
	p6=$(wk_free_port)
	setsid "$WICKET" run --listen "[::1]:$p6" --state-dir "$WK_T/state" \
	    </dev/null >"$WK_T/run6.out" 2>"$WK_T/run6.err" &
	pid=$!
	WK_PIDS="$WK_PIDS $pid"
	wk_log_wait 'ready' 20 "$WK_T/run6.err"
	out=$(curl -sS --max-time 10 -x "http://[::1]:$p6" "$(wk_url /bytes/7)" | wc -c)
	wk_is "$out" 7 "listen [::1]:PORT serves IPv6 clients"
	kill -TERM $pid
	wk_wait_exit $pid 10
else
	wk_skip "listen [::1]:PORT serves IPv6 clients" "no IPv6 loopback"
fi

# a port already in use
"$WK_PY" -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True); time.sleep(30)' >"$WK_T/busy.port" &
bpid=$!
WK_PIDS="$WK_PIDS $bpid"
wk_retry 5 test -s "$WK_T/busy.port"
busy=$(cat "$WK_T/busy.port")
timeout 10 "$WICKET" run --listen "127.0.0.1:$busy" --state-dir "$WK_T/state" \
    </dev/null >/dev/null 2>"$WK_T/busy.err"
rc=$?
if [ $rc -ne 0 ] && [ $rc -ne 124 ]; then
	wk_pass "run on a port in use exits non-zero ($rc)"
else
	wk_fail "run on a port in use exits non-zero" "exit $rc"
fi
wk_like "$(cat "$WK_T/busy.err")" "$busy" "... naming the address it could not bind"
kill $bpid 2>/dev/null

# run with a bad config
timeout 10 "$WICKET" run -c "$WK_T/bad.conf" </dev/null >/dev/null 2>"$WK_T/runbad.err"
wk_is "$?" 1 "run with a bad config exits 1"
wk_like "$(cat "$WK_T/runbad.err")" 'bad\.conf:3:[0-9]+: error: ' "run with a bad config reports FILE:LINE:COL"

wk_done
