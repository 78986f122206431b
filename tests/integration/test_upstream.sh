#!/bin/bash
# test_upstream.sh: routes through upstream proxies: microsocks (SOCKS5),
# Debian's dante (SOCKS5, SOCKS4, user/password), tinyproxy (HTTP), a second
# wicket, a fake SOCKS4/4a/5 server that logs what it is asked (names must
# arrive unresolved), failover, all hops down.
. "$(dirname "$0")/lib.sh"
wk_require_wicket

wk_origin_start http
O=$WK_ORIGIN_PORT
sha=$(wk_data_sha 100000)

# fake SOCKS servers: one open, one with user/password
wk_fake_socks_start fake
wk_fake_socks_start fakeauth --user bob --password pw
F=$(cat "$WK_T/fake.port")
FA=$(cat "$WK_T/fakeauth.port")
wk_closed_port_start
CLOSED=$WK_CLOSED_PORT

# three ways through a route: plain HTTP, CONNECT, a SOCKS5 client
check_route() {
	local what=$1 got
	got=$(curl -sS --max-time 20 -x "http://127.0.0.1:$WK_PROXY_PORT" \
	    "http://127.0.0.1:$O/bytes/100000" | sha256sum | cut -d' ' -f1)
	wk_is "$got" "$sha" "$what: plain HTTP"
	got=$(curl -sS --max-time 20 -p -x "http://127.0.0.1:$WK_PROXY_PORT" \
	    "http://127.0.0.1:$O/bytes/100000" | sha256sum | cut -d' ' -f1)
	wk_is "$got" "$sha" "$what: CONNECT"
	got=$(curl -sS --max-time 20 --socks5-hostname "127.0.0.1:$WK_PROXY_PORT" \
	    "http://127.0.0.1:$O/bytes/100000" | sha256sum | cut -d' ' -f1)
	wk_is "$got" "$sha" "$what: SOCKS5 client"
}

if command -v microsocks >/dev/null; then
	MS=$(wk_free_port)
	setsid microsocks -i 127.0.0.1 -p "$MS" </dev/null >"$WK_T/ms.out" 2>&1 &
	WK_PIDS="$WK_PIDS $!"
	wk_retry 15 wk_port_open "$MS"
	wk_proxy_start_or_bail "upstream ms { socks5 127.0.0.1:$MS }" "route ms"
	check_route "wicket -> microsocks (SOCKS5)"
	wk_log_wait 'GET http://127\.0\.0\.1:[0-9]+/bytes/100000 200 .* socks5:ms ' 5 "$WK_ACCESS"
	wk_is "$?" 0 "the access log names the hop (socks5:ms)"
	# failover: the first hop refuses
	wk_proxy_start_or_bail "upstream down { socks5 127.0.0.1:$CLOSED }" \
	    "upstream ms { socks5 127.0.0.1:$MS }" "route down ms"
	check_route "failover: down -> ms"
	wk_log_wait 'upstream down \(socks5 127\.0\.0\.1:[0-9]+\): connection refused' 5
	wk_is "$?" 0 "failover: the log names the hop that failed"
else
	for i in 1 2 3 4 5 6 7 8; do wk_skip "microsocks chains" "microsocks not installed"; done
fi

# The last hop fails inside its own start (a name that cannot resolve),
# after the first failed from the event loop: the chain ends there, once.
wk_proxy_start_or_bail "upstream down { socks5 127.0.0.1:$CLOSED }" \
    "upstream bad { socks5 nowhere.invalid:1080 }" "route down bad"
out=$(wk_curl -o /dev/null -w '%{http_code}' "$(wk_url /bytes/10)")
wk_is "$out" 502 "failover to a hop that fails at once: 502"
wk_log_wait 'upstream bad \(socks5 nowhere\.invalid:1080\): name not found' 5
wk_is "$?" 0 "... naming the last hop and why"
got=$(curl -sS --max-time 10 --socks5 "127.0.0.1:$WK_PROXY_PORT" "$(wk_url /bytes/10)" 2>&1)
wk_like "$got" 'curl: \(97\)' "the same route through SOCKS5: the client is refused"
wk_ok "wicket still runs after both" wk_alive "$WK_PID"

# Debian's dante (danted): SOCKS5 and SOCKS4 upstream, failover, and with
# `socksmethod: username` (system users only: a throwaway one, root only).
DANTED=
for d in /usr/sbin/danted "$(command -v danted 2>/dev/null)"; do
	[ -n "$d" ] && [ -x "$d" ] && { DANTED=$d; break; }
done

# start_dante NAME SOCKSMETHOD: danted on a free port, its log in
# $WK_T/NAME.log; sets DANTE_PORT DANTE_PID (1 if it does not listen).
start_dante() {
	local name=$1 method=$2 try port pid i
	DANTE_PORT=
	DANTE_PID=
	for try in 1 2 3; do
		port=$(wk_free_port)
		{
			echo "logoutput: $WK_T/$name.log"
			echo "internal: 127.0.0.1 port = $port"
			echo "external: 127.0.0.1"
			echo "clientmethod: none"
			echo "socksmethod: $method"
			if [ "$(id -u)" = 0 ]; then
				echo "user.privileged: root"
				echo "user.unprivileged: nobody"
			fi
			echo "client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 log: connect disconnect error }"
			echo "socks pass { from: 127.0.0.0/8 to: 0.0.0.0/0 log: connect disconnect error }"
		} >"$WK_T/$name.conf"
		: >"$WK_T/$name.log"
		setsid "$DANTED" -f "$WK_T/$name.conf" -N 1 -p "$WK_T/$name.pid" \
		    </dev/null >>"$WK_T/$name.out" 2>&1 &
		pid=$!
		WK_PIDS="$WK_PIDS $pid"
		i=0
		while [ $i -lt 100 ] && wk_alive $pid; do
			wk_port_open "$port" 2>/dev/null && break
			sleep 0.1
			i=$((i + 1))
		done
		if wk_alive $pid && [ $i -lt 100 ]; then
			DANTE_PORT=$port
			DANTE_PID=$pid
			return 0
		fi
		kill -KILL -- "-$pid" 2>/dev/null
		wait $pid 2>/dev/null
		grep -qiE 'in use|bind' "$WK_T/$name.out" "$WK_T/$name.log" || break
	done
	wk_diag "danted ($name) did not listen:"
	cat "$WK_T/$name.out" "$WK_T/$name.log" | tail -n 20 | sed 's/^/#   /'
	return 1
}

# dante_connects NAME [N]: how many connections dante NAME logged to the
# origin (after waiting up to 5 s for N of them)
dante_connects() {
	local re="pass\\([0-9]+\\): tcp/connect \\[: .* 127\\.0\\.0\\.1\\.$O\$" i=0
	while [ $i -lt 50 ] && [ "$(grep -Ec "$re" "$WK_T/$1.log")" -lt "${2:-0}" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	grep -Ec "$re" "$WK_T/$1.log"
}

port_closed() {
	! wk_port_open "$1" 2>/dev/null
}

if [ -z "$DANTED" ]; then
	for i in $(seq 1 24); do wk_skip "dante chains" "dante-server (danted) not installed"; done
elif ! start_dante dante none; then
	wk_fail "danted (socksmethod none) listens on 127.0.0.1"
	for i in $(seq 2 24); do wk_skip "dante chains" "danted did not start"; done
else
	wk_pass "danted (socksmethod none) listens on 127.0.0.1"
	DP=$DANTE_PORT
	DPID=$DANTE_PID
	wk_proxy_start_or_bail "upstream d5 { socks5 127.0.0.1:$DP }" "route d5"
	D5_PORT=$WK_PROXY_PORT
	check_route "wicket -> dante (SOCKS5)"
	wk_log_wait 'GET http://127\.0\.0\.1:[0-9]+/bytes/100000 200 .* socks5:d5 ' 5 "$WK_ACCESS"
	wk_is "$?" 0 "the access log names the hop (socks5:d5)"
	n=$(dante_connects dante 3)
	wk_is "$n" 3 "dante's log shows its 3 connections to the origin"

	# SOCKS4: dante serves SOCKS4 with an address (it has no SOCKS4a names,
	# so socks4a is tried with an address literal only)
	wk_proxy_start_or_bail "upstream d4 { socks4 127.0.0.1:$DP }" "route d4"
	got=$(curl -sS --max-time 20 -x "http://127.0.0.1:$WK_PROXY_PORT" \
	    "http://localhost:$O/bytes/100000" | sha256sum | cut -d' ' -f1)
	wk_is "$got" "$sha" "wicket -> dante (SOCKS4, name resolved by wicket): body intact"
	got=$(curl -sS --max-time 20 --socks5-hostname "127.0.0.1:$WK_PROXY_PORT" \
	    "http://127.0.0.1:$O/bytes/100000" | sha256sum | cut -d' ' -f1)
	wk_is "$got" "$sha" "wicket -> dante (SOCKS4): SOCKS5 client"
	wk_log_wait 'GET http://localhost:[0-9]+/bytes/100000 200 .* socks4:d4 ' 5 "$WK_ACCESS"
	wk_is "$?" 0 "the access log names the hop (socks4:d4)"
	wk_proxy_start_or_bail "upstream d4a { socks4a 127.0.0.1:$DP }" "route d4a"
	got=$(curl -sS --max-time 20 -x "http://127.0.0.1:$WK_PROXY_PORT" \
	    "http://127.0.0.1:$O/bytes/100000" | sha256sum | cut -d' ' -f1)
	wk_is "$got" "$sha" "wicket -> dante (socks4a, address literal): body intact"
	n=$(dante_connects dante 6)
	wk_is "$n" 6 "dante's log shows the 3 SOCKS4 connections too"

	# failover: a dead hop first, then dante
	wk_proxy_start_or_bail "upstream down { socks5 127.0.0.1:$CLOSED }" \
	    "upstream d5 { socks5 127.0.0.1:$DP }" "route down d5"
	check_route "failover: down -> dante"
	wk_log_wait 'upstream down \(socks5 127\.0\.0\.1:[0-9]+\): connection refused' 5
	wk_is "$?" 0 "failover: the log names the hop that failed"
	n=$(dante_connects dante 9)
	wk_is "$n" 9 "failover: dante carried the 3 requests"

	# user/password: dante checks system users, so a throwaway one (root only)
	DU=wkdante$$
	DPW=pw-$$-$RANDOM
	DU_MADE=
	if [ "$(id -u)" = 0 ] && command -v useradd >/dev/null &&
	    command -v userdel >/dev/null && command -v chpasswd >/dev/null &&
	    ! getent passwd "$DU" >/dev/null &&
	    useradd -r -M -N -d /nonexistent -s /usr/sbin/nologin "$DU" >/dev/null 2>&1
	then
		DU_MADE=1
		trap 'userdel "$DU" >/dev/null 2>&1; wk_cleanup' EXIT
		echo "$DU:$DPW" | chpasswd
	fi
	if [ -n "$DU_MADE" ] && start_dante dauth username; then
		wk_proxy_start_or_bail \
		    "upstream da { socks5 127.0.0.1:$DANTE_PORT; user $DU; password $DPW }" \
		    "route da"
		got=$(curl -sS --max-time 20 -x "http://127.0.0.1:$WK_PROXY_PORT" \
		    "http://127.0.0.1:$O/bytes/100000" | sha256sum | cut -d' ' -f1)
		wk_is "$got" "$sha" "wicket -> dante (SOCKS5 user/password): body intact"
		wk_log_wait "tcp/connect \\[: username%$DU@127\\.0\\.0\\.1\\." 5 "$WK_T/dauth.log"
		wk_is "$?" 0 "dante's log shows the connection as user $DU"
		wk_proxy_start_or_bail \
		    "upstream da { socks5 127.0.0.1:$DANTE_PORT; user $DU; password wrong }" \
		    "route da"
		out=$(curl -sS --max-time 20 -x "http://127.0.0.1:$WK_PROXY_PORT" -D - \
		    "http://127.0.0.1:$O/bytes/10" 2>&1)
		wk_like "$out" 'HTTP/1.1 502' "dante, wrong password: 502"
		wk_like "$out" 'upstream da \(socks5 127\.0\.0\.1:[0-9]+\): user/password refused' \
		    "... the body says the upstream refused the user/password"
		wk_log_wait "password authentication failed for user \"$DU\"" 5 "$WK_T/dauth.log"
		wk_is "$?" 0 "... and dante's log says why"
	else
		why="needs root and useradd to make a system user for dante"
		[ -n "$DU_MADE" ] && why="danted (socksmethod username) did not start"
		for i in 1 2 3 4 5; do wk_skip "dante with user/password" "$why"; done
	fi
	if [ -n "$DU_MADE" ]; then
		userdel "$DU" >/dev/null 2>&1
		getent passwd "$DU" >/dev/null
		wk_is "$?" 2 "the throwaway user $DU is gone"
		trap wk_cleanup EXIT
	fi

	# dante really carried it: without dante the d5 route fails
	kill -TERM -- "-$DPID" 2>/dev/null
	wk_wait_exit "$DPID" 10
	wk_retry 5 port_closed "$DP"
	out=$(curl -sS --max-time 20 -x "http://127.0.0.1:$D5_PORT" -D - \
	    "http://127.0.0.1:$O/bytes/10" 2>&1)
	wk_like "$out" 'HTTP/1.1 502' "dante stopped: the d5 route gives 502"
	wk_like "$out" 'upstream d5 \(socks5 127\.0\.0\.1:[0-9]+\): connection refused' \
	    "... naming the upstream d5"
fi

if command -v tinyproxy >/dev/null; then
	TP=$(wk_free_port)
	cat >"$WK_T/tp.conf" <<EOF
Port $TP
Listen 127.0.0.1
Timeout 30
MaxClients 50
Allow 127.0.0.1
ConnectPort $O
LogLevel Error
LogFile "$WK_T/tp.log"
EOF
	setsid tinyproxy -d -c "$WK_T/tp.conf" </dev/null >"$WK_T/tp.out" 2>&1 &
	WK_PIDS="$WK_PIDS $!"
	wk_retry 15 wk_port_open "$TP"
	wk_proxy_start_or_bail "upstream tp { http 127.0.0.1:$TP }" "route tp"
	check_route "wicket -> tinyproxy (HTTP)"
	out=$(curl -sS --max-time 20 -x "http://127.0.0.1:$WK_PROXY_PORT" "http://127.0.0.1:$O/echo")
	wk_like "$out" 'tinyproxy' "through tinyproxy: the origin sees tinyproxy's Via"
else
	for i in 1 2 3 4; do wk_skip "tinyproxy chain" "tinyproxy not installed"; done
fi

# wicket -> wicket (HTTP upstream)
wk_proxy_start_or_bail
W1=$WK_PROXY_PORT
wk_proxy_start_or_bail "upstream w1 { http 127.0.0.1:$W1 }" "route w1"
check_route "wicket -> wicket (HTTP)"
out=$(curl -sS --max-time 20 -x "http://127.0.0.1:$WK_PROXY_PORT" "http://127.0.0.1:$O/echo")
wk_is "$(printf '%s\n' "$out" | tr -d '\r' | grep -ci '^via: 1\.1 wicket$')" 2 \
    "wicket -> wicket: the origin sees both proxies in Via"

# names pass to SOCKS4a/5 upstreams unresolved; SOCKS4 gets an address
for kind in socks5 socks4a socks4; do
	wk_proxy_start_or_bail "upstream f { $kind 127.0.0.1:$F }" "route f"
	host=origin.test
	[ "$kind" = socks4 ] && host=localhost
	got=$(curl -sS --max-time 20 -x "http://127.0.0.1:$WK_PROXY_PORT" \
	    "http://$host:$O/bytes/100000" | sha256sum | cut -d' ' -f1)
	wk_is "$got" "$sha" "through a $kind upstream by name: body intact"
	case $kind in
	socks4) re="REQ socks4 ip 127\\.0\\.0\\.1 $O" ;;
	*) re="REQ $kind name origin\\.test $O" ;;
	esac
	wk_log_wait "$re" 5 "$WK_T/fake.log"
	wk_is "$?" 0 "$kind upstream received: $(echo "$re" | sed 's/\\//g')"
done
wk_proxy_start_or_bail "upstream f { socks5 127.0.0.1:$F }" "route f"
WK_REQ="GET http://b%C3%BCcher.test:$O/bytes/100 HTTP/1.1|Host: localhost|Connection: close||" \
    wk_py <<'EOF' >/dev/null
import os, wkclient as w
s = w.connect(timeout=10)
s.sendall(os.environ["WK_REQ"].encode().replace(b"|", b"\r\n"))
w.read_response(w.Reader(s))
EOF
wk_log_wait "REQ socks5 name xn--bcher-kva\\.test $O" 5 "$WK_T/fake.log"
wk_is "$?" 0 "a UTF-8 name reaches the SOCKS5 upstream as its A-label, unresolved"

# SOCKS5 upstream with user/password (the config file must be 0600)
wk_proxy_start_or_bail "upstream a { socks5 127.0.0.1:$FA; user bob; password pw }" "route a"
got=$(curl -sS --max-time 20 -x "http://127.0.0.1:$WK_PROXY_PORT" \
    "http://127.0.0.1:$O/bytes/100000" | sha256sum | cut -d' ' -f1)
wk_is "$got" "$sha" "SOCKS5 upstream with user/password"
wk_log_wait "AUTH bob ok" 5 "$WK_T/fakeauth.log"
wk_is "$?" 0 "the upstream saw the right credentials"

# an https upstream that is down is logged and the next hop serves
wk_proxy_start_or_bail "upstream s { https 127.0.0.1:$CLOSED }" "route s direct"
got=$(curl -sS --max-time 20 -x "http://127.0.0.1:$WK_PROXY_PORT" \
    "http://127.0.0.1:$O/bytes/100000" | sha256sum | cut -d' ' -f1)
wk_is "$got" "$sha" "an https upstream that is down: the next hop (direct) serves"
wk_log_wait 'upstream s \(https .*connection refused' 5
wk_is "$?" 0 "... and the log says why"

# every hop down
wk_proxy_start_or_bail "upstream d1 { socks5 127.0.0.1:$CLOSED }" \
    "upstream d2 { http 127.0.0.1:$CLOSED }" "route d1 d2"
out=$(curl -sS --max-time 20 -x "http://127.0.0.1:$WK_PROXY_PORT" -D - \
    "http://127.0.0.1:$O/bytes/10" 2>&1)
wk_like "$out" 'HTTP/1.1 502' "all hops down: 502"
wk_like "$out" 'X-Wicket-Error: upstream' "... X-Wicket-Error: upstream"
wk_like "$out" 'upstream d2 \(http 127\.0\.0\.1:[0-9]+\): connection refused' \
    "... the body names the last upstream tried"
curl -sS --max-time 20 --socks5 "127.0.0.1:$WK_PROXY_PORT" "http://127.0.0.1:$O/bytes/10" >/dev/null 2>&1
wk_is "$?" 97 "all hops down: a SOCKS5 client gets a failure reply"

wk_done
