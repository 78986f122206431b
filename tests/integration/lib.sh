# tests/integration/lib.sh: helpers for the integration tests (sourced).
#
# TAP:      wk_ok DESC CMD...   wk_is GOT WANT DESC   wk_like GOT ERE DESC
#           wk_fail DESC [DIAG]  wk_pass DESC  wk_skip DESC WHY  wk_diag TEXT...
#           wk_done (prints the plan; call last)
# Servers:  wk_origin_start [http|raw]  -> WK_ORIGIN_PORT / WK_RAW_PORT
#           wk_origin_named NAME [ARGS] -> port on stdout, $WK_T/NAME.log
#           wk_fake_socks_start NAME [ARGS] -> $WK_T/NAME.port, NAME.log
#           wk_closed_port_start -> WK_CLOSED_PORT (refuses connections)
#           wk_proxy_start [CONFIG-LINE...] -> WK_PROXY_PORT WK_PID WK_DIR
#           (WK_CONF WK_ERRLOG WK_ACCESS); wk_proxy_stop [PID] -> WK_RC
# Clients:  wk_curl ARGS... (through the proxy), wk_py (a Python script on
#           stdin with servers/wkclient.py importable)
#
# Environment: WICKET (the binary), WK_TOP_SRCDIR, WK_TOP_BUILDDIR from the
# harness. WK_KEEP=1 keeps the temp dir. WK_TEST_PROXY=tinyproxy runs the
# suite against tinyproxy instead (to validate the harness itself).
# Everything listens on 127.0.0.1 on probed or kernel-chosen ports.

set -u
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
unset no_proxy NO_PROXY ftp_proxy FTP_PROXY
export LC_ALL=C
export PYTHONDONTWRITEBYTECODE=1

WK_INT_DIR=$(cd "$(dirname "$0")" && pwd)
WK_SERVERS=$WK_INT_DIR/servers
WK_PY=/usr/bin/python3
[ -x "$WK_PY" ] || WK_PY=python3
WK_TEST_PROXY=${WK_TEST_PROXY:-wicket}
if [ -z "${WICKET:-}" ]; then
	if [ -n "${WK_TOP_BUILDDIR:-}" ]; then
		WICKET=$WK_TOP_BUILDDIR/wicket
	else
		WICKET=$(cd "$WK_INT_DIR/../.." && pwd)/wicket
	fi
fi
export WICKET

WK_T=$(mktemp -d "${TMPDIR:-/tmp}/wk-int.XXXXXX") || exit 99
WK_PIDS=
WK_PROXIES=
WK_N=0
WK_NFAIL=0
WK_NPROXY=0
WK_PROXY_PORT=
WK_ORIGIN_PORT=
WK_RAW_PORT=
WK_PID=
export WK_PROXY_PORT WK_ORIGIN_PORT WK_RAW_PORT WK_PID

# ---- TAP ------------------------------------------------------------------

wk_diag() {
	printf '%s\n' "$@" | sed 's/^/# /'
}

wk_pass() {
	WK_N=$((WK_N + 1))
	echo "ok $WK_N - $1"
}

# wk_fail DESC [DIAG...]
wk_fail() {
	WK_N=$((WK_N + 1))
	WK_NFAIL=$((WK_NFAIL + 1))
	echo "not ok $WK_N - $1"
	shift
	[ $# -gt 0 ] && wk_diag "$@"
	return 0
}

wk_skip() {
	WK_N=$((WK_N + 1))
	echo "ok $WK_N - $1 # SKIP $2"
}

# wk_ok DESC CMD...: passes when CMD exits 0; its output is shown on failure.
wk_ok() {
	local desc=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then
		wk_pass "$desc"
	else
		wk_fail "$desc" "exit $rc" "$(printf '%s' "$out" | tail -n 20)"
	fi
	return $rc
}

wk_is() {
	if [ "$1" = "$2" ]; then
		wk_pass "$3"
	else
		wk_fail "$3" "got:  '$(printf '%s' "$1" | head -c 600)'" \
		    "want: '$2'"
		return 1
	fi
}

# wk_like GOT ERE DESC
wk_like() {
	if printf '%s' "$1" | grep -Eq -- "$2"; then
		wk_pass "$3"
	else
		wk_fail "$3" "got:  '$(printf '%s' "$1" | head -c 600)'" \
		    "want match: /$2/"
		return 1
	fi
}

# wk_below OUTPUT KEY LIMIT DESC: OUTPUT has a line "KEY N"; passes when
# N < LIMIT (N may have decimals), and says what N was.
wk_below() {
	local n
	n=$(printf '%s\n' "$1" | sed -n "s/^$2 //p" | head -n 1)
	wk_diag "$2: ${n:-?} (must be < $3)"
	if [ -n "$n" ] && awk -v x="$n" -v y="$3" 'BEGIN { exit !(x < y) }'; then
		wk_pass "$4"
	else
		wk_fail "$4" "$1"
		return 1
	fi
}

# wk_unlike GOT ERE DESC
wk_unlike() {
	if printf '%s' "$1" | grep -Eq -- "$2"; then
		wk_fail "$3" "got:  '$(printf '%s' "$1" | head -c 600)'" \
		    "must not match: /$2/"
		return 1
	fi
	wk_pass "$3"
}

# One last check per test file: every wicket started here stops with exit
# status 0 on SIGTERM, and no sanitizer report is in its logs (under ASan a
# leak makes the exit status non-zero).
wk_final_checks() {
	local e p d bad=
	[ "$WK_TEST_PROXY" = wicket ] && [ -n "$WK_PROXIES" ] || return 0
	for e in $WK_PROXIES; do
		p=${e%%|*}
		d=${e#*|}
		if wk_alive "$p"; then
			kill -TERM "$p" 2>/dev/null
			wk_wait_exit "$p" 20
			[ "$WK_RC" = 0 ] || bad="$bad pid $p exit $WK_RC;"
		fi
		if grep -Eqs 'AddressSanitizer|LeakSanitizer|runtime error:|Sanitizer' \
		    "$d/err.log" "$d/error.log" "$d/stdout.log"; then
			bad="$bad sanitizer report in $d;"
			grep -Ehs -A 12 'Sanitizer|runtime error:' "$d/err.log" \
			    "$d/error.log" | head -n 40 | sed 's/^/#   /'
		fi
	done
	if [ -z "$bad" ]; then
		wk_pass "every wicket instance exits 0 on SIGTERM, no sanitizer report"
	else
		wk_fail "every wicket instance exits 0 on SIGTERM, no sanitizer report" "$bad"
	fi
}

wk_done() {
	wk_final_checks
	echo "1..$WK_N"
	if [ $WK_NFAIL -gt 0 ] && [ -n "${WK_ERRLOG:-}" ] && [ -f "$WK_ERRLOG" ]
	then
		wk_diag "last lines of $WK_ERRLOG:"
		tail -n 25 "$WK_ERRLOG" | sed 's/^/#   /'
	fi
}

# Call first, when this test cannot run at all.
wk_skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

# ---- processes --------------------------------------------------------------

# True while PID is alive (a zombie counts as dead).
wk_alive() {
	local st
	[ -r "/proc/$1/stat" ] || return 1
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$st" ] && [ "$st" != Z ]
}

# wk_wait_exit PID SECONDS: waits for our child PID to end; sets WK_RC to
# its exit code, or "timeout". Do not call it in a subshell: $(...) cannot
# wait for the shell's children.
wk_wait_exit() {
	local pid=$1 i=0 n=$(($2 * 10))
	while wk_alive "$pid" && [ $i -lt $n ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if wk_alive "$pid"; then
		WK_RC=timeout
		return 1
	fi
	wait "$pid" 2>/dev/null
	WK_RC=$?
}

wk_cleanup() {
	local p
	for p in $WK_PIDS; do
		kill -TERM -- "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null
	done
	for p in $WK_PIDS; do
		local i=0
		while wk_alive "$p" && [ $i -lt 30 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL -- "-$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null
	done
	if [ -z "${WK_KEEP:-}" ]; then
		rm -rf "$WK_T"
	else
		echo "# kept $WK_T"
	fi
}
trap wk_cleanup EXIT
trap 'exit 130' INT TERM

# wk_retry SECONDS CMD...: runs CMD every 0.1 s until it succeeds.
wk_retry() {
	local n=$(($1 * 10)) i=0
	shift
	while [ $i -lt $n ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

wk_free_port() {
	"$WK_PY" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# wk_port_open PORT: something accepts on 127.0.0.1:PORT.
wk_port_open() {
	"$WK_PY" -c 'import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()' "$1"
}

# wk_origin_start [http|raw]: starts servers/origin.py; sets WK_ORIGIN_PORT
# (http) or WK_RAW_PORT (raw) and WK_ORIGIN_LOG / WK_RAW_LOG.
wk_origin_start() {
	local mode=${1:-http} pf log pid
	pf=$WK_T/origin-$mode.port
	log=$WK_T/origin-$mode.log
	rm -f "$pf"
	: >"$log"
	setsid "$WK_PY" "$WK_SERVERS/origin.py" --mode "$mode" \
	    --port-file "$pf" --log "$log" \
	    </dev/null >>"$WK_T/origin-$mode.out" 2>&1 &
	pid=$!
	WK_PIDS="$WK_PIDS $pid"
	if ! wk_retry 15 test -s "$pf"; then
		echo "Bail out! origin ($mode) did not start"
		cat "$WK_T/origin-$mode.out" >&2
		exit 99
	fi
	if [ "$mode" = raw ]; then
		WK_RAW_PORT=$(cat "$pf")
		WK_RAW_LOG=$log
	else
		WK_ORIGIN_PORT=$(cat "$pf")
		WK_ORIGIN_LOG=$log
		WK_ORIGIN=127.0.0.1:$WK_ORIGIN_PORT
	fi
}

# wk_origin_named NAME [ARGS...]: one more servers/origin.py (--mode http
# and ARGS, e.g. --files DIR or --http10); its port in $WK_T/NAME.port,
# echoed, its log $WK_T/NAME.log.
wk_origin_named() {
	local name=$1
	shift
	setsid "$WK_PY" "$WK_SERVERS/origin.py" --mode http \
	    --port-file "$WK_T/$name.port" --log "$WK_T/$name.log" "$@" \
	    </dev/null >"$WK_T/$name.out" 2>&1 &
	WK_PIDS="$WK_PIDS $!"
	wk_retry 15 test -s "$WK_T/$name.port" || { echo "Bail out! $name"; exit 99; }
	: >>"$WK_T/$name.log"
	cat "$WK_T/$name.port"
}

# wk_fake_socks_start NAME [ARGS...]: servers/fakesocks.py (SOCKS4/4a/5,
# logs "REQ ..." lines to $WK_T/NAME.log, maps *.test to 127.0.0.1) on a
# free port, written to $WK_T/NAME.port and echoed.
wk_fake_socks_start() {
	local name=$1
	shift
	setsid "$WK_PY" "$WK_SERVERS/fakesocks.py" --port-file "$WK_T/$name.port" \
	    --log "$WK_T/$name.log" "$@" </dev/null >"$WK_T/$name.out" 2>&1 &
	WK_PIDS="$WK_PIDS $!"
	wk_retry 15 test -s "$WK_T/$name.port" || { echo "Bail out! $name"; exit 99; }
	: >>"$WK_T/$name.log"
}

# wk_closed_port_start: a port where connections are refused, held bound
# (never listening) for the whole test so that no server started later can
# be given it; sets WK_CLOSED_PORT.
wk_closed_port_start() {
	setsid "$WK_PY" -c 'import os, socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(3600)' "$WK_T/closed.port" </dev/null >/dev/null 2>&1 &
	WK_PIDS="$WK_PIDS $!"
	wk_retry 15 test -s "$WK_T/closed.port" || { echo "Bail out! closed port"; exit 99; }
	WK_CLOSED_PORT=$(cat "$WK_T/closed.port")
}

# wk_proxy_write_conf FILE PORT DIR [LINE...]: the base config, minus the
# defaults a LINE sets itself (same first two words), then the LINEs.
wk_proxy_write_conf() {
	local f=$1 port=$2 dir=$3 l d k
	shift 3
	{
		echo "# generated by tests/integration/lib.sh"
		echo "listen 127.0.0.1:$port"
		for d in "state-dir $dir/state" "log level info" \
		    "log access $dir/access.log" "timeout shutdown 3s"; do
			k=$(echo "$d" | cut -d' ' -f1-2)
			case "$d" in state-dir*) k=state-dir ;; esac
			for l in "$@"; do
				case "$l" in "$k "*) d= ;; esac
			done
			[ -n "$d" ] && echo "$d"
		done
		for l in "$@"; do
			printf '%s\n' "$l" | sed "s|@DIR@|$dir|g"
		done
	} >"$f"
}

_wk_tinyproxy_conf() {
	local f=$1 port=$2 dir=$3
	cat >"$f" <<EOF
Port $port
Listen 127.0.0.1
Timeout 60
MaxClients 200
Allow 127.0.0.1
LogFile "$dir/err.log"
LogLevel Info
PidFile "$dir/tinyproxy.pid"
EOF
	[ -n "$WK_RAW_PORT" ] && echo "ConnectPort $WK_RAW_PORT" >>"$f"
	[ -n "$WK_ORIGIN_PORT" ] && echo "ConnectPort $WK_ORIGIN_PORT" >>"$f"
	return 0
}

# wk_proxy_start [LINE...]: starts a proxy with the base config plus LINEs on
# a free port and waits for `ready` (on stderr, or in @DIR@/error.log). In
# LINEs, @DIR@ stands for the instance's folder. Sets WK_PROXY_PORT WK_PID
# WK_DIR WK_CONF WK_ERRLOG WK_ACCESS. Returns 1 (after a diag) if it does not
# become ready.
wk_proxy_start() {
	local try port dir pid i
	WK_NPROXY=$((WK_NPROXY + 1))
	dir=$WK_T/proxy$WK_NPROXY
	mkdir -p "$dir/state"
	for try in 1 2 3 4 5; do
		port=$(wk_free_port)
		: >"$dir/err.log"
		if [ "$WK_TEST_PROXY" = tinyproxy ]; then
			_wk_tinyproxy_conf "$dir/wicket.conf" "$port" "$dir"
			setsid tinyproxy -d -c "$dir/wicket.conf" \
			    </dev/null >>"$dir/err.log" 2>&1 &
		else
			wk_proxy_write_conf "$dir/wicket.conf" "$port" "$dir" "$@"
			chmod 600 "$dir/wicket.conf" # it may hold a password
			setsid "$WICKET" run -c "$dir/wicket.conf" \
			    </dev/null >>"$dir/stdout.log" 2>>"$dir/err.log" &
		fi
		pid=$!
		WK_PIDS="$WK_PIDS $pid"
		i=0
		while [ $i -lt 200 ] && wk_alive $pid; do
			if [ "$WK_TEST_PROXY" = tinyproxy ]; then
				wk_port_open "$port" 2>/dev/null && break
			elif grep -qs 'ready' "$dir/err.log" "$dir/error.log"
			then
				break
			fi
			sleep 0.1
			i=$((i + 1))
		done
		if wk_alive $pid && [ $i -lt 200 ]; then
			WK_PROXY_PORT=$port
			WK_PID=$pid
			WK_DIR=$dir
			WK_CONF=$dir/wicket.conf
			WK_ERRLOG=$dir/err.log
			WK_ACCESS=$dir/access.log
			[ "$WK_TEST_PROXY" = tinyproxy ] && WK_ACCESS=$dir/err.log
			WK_PROXIES="$WK_PROXIES $pid|$dir"
			export WK_PROXY_PORT WK_PID
			return 0
		fi
		kill -KILL -- "-$pid" 2>/dev/null
		wait $pid 2>/dev/null
		# Another process took the port: try another one.
		grep -qiE 'in use|EADDRINUSE|bind' "$dir/err.log" || break
	done
	wk_diag "proxy did not become ready; its log:"
	sed 's/^/#   /' "$dir/err.log" | tail -n 30
	return 1
}

# wk_proxy_start_or_bail [LINE...]: as wk_proxy_start, but ends the test
# (every planned check failing) when the proxy does not start.
wk_proxy_start_or_bail() {
	wk_proxy_start "$@" && return 0
	echo "Bail out! the proxy did not start"
	exit 99
}

# wk_proxy_stop [PID [SECONDS]]: SIGTERM, wait; sets WK_RC (see wk_wait_exit).
wk_proxy_stop() {
	local pid=${1:-$WK_PID}
	kill -TERM "$pid" 2>/dev/null
	wk_wait_exit "$pid" "${2:-15}"
}

# ---- clients ----------------------------------------------------------------

# wk_curl ARGS...: curl through the current proxy, bounded.
wk_curl() {
	curl -sS --max-time 30 -x "http://127.0.0.1:$WK_PROXY_PORT" "$@"
}

# wk_url PATH: absolute URL on the test origin.
wk_url() {
	echo "http://127.0.0.1:$WK_ORIGIN_PORT$1"
}

# wk_py: runs the Python script on stdin (bounded to 120 s; use
# `timeout` in the script for tighter bounds).
wk_py() {
	PYTHONPATH=$WK_SERVERS timeout 120 "$WK_PY" - "$@"
}

# wk_data_sha N: sha256 of the origin's first N deterministic bytes.
wk_data_sha() {
	PYTHONPATH=$WK_SERVERS "$WK_PY" -c \
	    'import sys, wkclient; print(wkclient.data_sha(int(sys.argv[1])))' "$1"
}

# wk_make_file PATH N: writes the origin's first N deterministic bytes.
wk_make_file() {
	PYTHONPATH=$WK_SERVERS "$WK_PY" -c '
import sys, wkclient, hashlib
block = b"".join(hashlib.sha256(i.to_bytes(4, "big")).digest()
                 for i in range(2048)) * 16
n = int(sys.argv[2])
with open(sys.argv[1], "wb") as f:
    while n > 0:
        k = min(n, len(block))
        f.write(block[:k])
        n -= k' "$1" "$2"
}

# wk_fd_count [PID]: open descriptors of the proxy.
wk_fd_count() {
	ls "/proc/${1:-$WK_PID}/fd" 2>/dev/null | wc -l
}

# wk_access_lines: lines in the current access log (0 if none).
wk_access_lines() {
	if [ -f "$WK_ACCESS" ]; then
		wc -l <"$WK_ACCESS" | tr -d ' '
	else
		echo 0
	fi
}

# wk_access_wait N [SECONDS]: waits until the access log has N lines.
wk_access_wait() {
	local n=$1 i=0 lim=$((${2:-5} * 10))
	while [ "$(wk_access_lines)" -lt "$n" ] && [ $i -lt $lim ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(wk_access_lines)" -ge "$n" ]
}

# wk_log_wait ERE [SECONDS] [FILE]: waits for a line matching ERE in the
# proxy's error log (or FILE).
wk_log_wait() {
	local re=$1 lim=$((${2:-5} * 10)) f=${3:-$WK_ERRLOG} i=0
	while [ $i -lt $lim ]; do
		grep -Eq -- "$re" "$f" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# wk_require_wicket: skip the whole file when there is no binary to test.
wk_require_wicket() {
	if [ "$WK_TEST_PROXY" = wicket ] && [ ! -x "$WICKET" ]; then
		wk_skip_all "no wicket binary at $WICKET"
	fi
}
