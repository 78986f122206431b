#!/bin/bash
# test_dial.sh: autodial. Runs in a network namespace of its own (as root),
# where only lo is up: 10.77.0.0/24 has no route, so a connection there
# fails with "network unreachable" at once. The dial command is a script
# that brings the network up (adds the address to lo) and starts a
# listener on it; wicket holds the request, and retries it once the
# command exits 0. Also: a failing command (502 naming its status, then
# the hold-off), a command that outlives its timeout, one dial for many
# waiting requests, and a SOCKS5 client.
if [ -z "${WK_IN_NETNS:-}" ]; then
	if [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null &&
	    command -v ip >/dev/null; then
		WK_IN_NETNS=1 exec unshare -n -- "$0" "$@"
	fi
	. "$(dirname "$0")/lib.sh"
	wk_skip_all "needs root, unshare -n and ip for a network namespace"
fi
. "$(dirname "$0")/lib.sh"
wk_require_wicket
ip link set lo up || { echo "Bail out! cannot bring lo up"; exit 99; }

wk_origin_start http
sha=$(wk_data_sha 1000)
P=$(wk_free_port)

# the dial command: counts its runs, brings 10.77.0.$1 up and an origin
# on it, then exits with $2 (after sleeping $3 seconds)
cat >"$WK_T/dial.sh" <<EOF
#!/bin/bash
echo run >>"$WK_T/dial.\$1.count"
sleep "\${3:-0}"
[ "\$2" = 0 ] || exit "\$2"
ip addr add "10.77.0.\$1/32" dev lo || exit 9
setsid "$WK_PY" "$WK_SERVERS/origin.py" --host "10.77.0.\$1" --port $P \\
    --port-file "$WK_T/up.\$1.port" </dev/null >/dev/null 2>&1 &
for i in \$(seq 1 100); do
	[ -s "$WK_T/up.\$1.port" ] && exit 0
	sleep 0.1
done
exit 8
EOF
chmod +x "$WK_T/dial.sh"
runs() { cat "$WK_T/dial.$1.count" 2>/dev/null | wc -l | tr -d ' '; }

code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
    "http://10.77.0.1:$P/" 2>/dev/null)
wk_is "$code" 000 "before the dial, 10.77.0.1 is unreachable"

# 1. a dial that succeeds: the request waits and gets the page
wk_proxy_start_or_bail "dial {
	command $WK_T/dial.sh 1 0 1
	timeout 20s
}"
wk_is "$(curl -sS --max-time 30 -x "http://127.0.0.1:$WK_PROXY_PORT" \
    "http://10.77.0.1:$P/bytes/1000" | sha256sum | cut -d' ' -f1)" "$sha" \
    "dial: the waiting request was retried and got the page"
wk_is "$(runs 1)" 1 "dial: the command ran once"
wk_like "$(cat "$WK_ERRLOG")" "dial: running $WK_T/dial\.sh 1 0 1" \
    "dial: the log names the command"
wk_like "$(cat "$WK_ERRLOG")" "exited with status 0; retrying" \
    "dial: the log says it worked"
wk_is "$(curl -sS --max-time 30 -x "http://127.0.0.1:$WK_PROXY_PORT" \
    "http://10.77.0.1:$P/bytes/1000" | sha256sum | cut -d' ' -f1)" "$sha" \
    "dial: the next request goes straight through"
wk_is "$(runs 1)" 1 "dial: no second run once the network is up"
wk_proxy_stop

# 2. one dial for every request that waits (three at once, SOCKS5 too)
wk_proxy_start_or_bail "dial {
	command $WK_T/dial.sh 2 0 1
	timeout 20s
}"
pids=
for i in 1 2; do
	curl -sS --max-time 30 -x "http://127.0.0.1:$WK_PROXY_PORT" \
	    "http://10.77.0.2:$P/bytes/1000" >"$WK_T/par.$i" 2>&1 &
	pids="$pids $!"
done
curl -sS --max-time 30 --socks5 "127.0.0.1:$WK_PROXY_PORT" \
    "http://10.77.0.2:$P/bytes/1000" >"$WK_T/par.3" 2>&1 &
pids="$pids $!"
# shellcheck disable=SC2086
wait $pids
for i in 1 2 3; do
	wk_is "$(sha256sum <"$WK_T/par.$i" | cut -d' ' -f1)" "$sha" \
	    "one dial, many waiters: request $i got the page"
done
wk_is "$(runs 2)" 1 "one dial, many waiters: the command ran once"
wk_proxy_stop

# 3. a command that fails: 502 naming its status; then the hold-off
wk_proxy_start_or_bail "dial {
	command $WK_T/dial.sh 3 3
	hold-off 1h
}"
body=$(curl -s -D "$WK_T/h3" --max-time 30 -x "http://127.0.0.1:$WK_PROXY_PORT" \
    "http://10.77.0.3:$P/")
wk_like "$(head -n1 "$WK_T/h3")" "^HTTP/1\.1 502" "failed dial: 502"
wk_like "$body" "dial command \($WK_T/dial\.sh 3 3\) exited with status 3" \
    "failed dial: the page names the command and its status"
wk_like "$(tr -d '\r' <"$WK_T/h3")" "X-Wicket-Error: dial" "failed dial: X-Wicket-Error: dial"
body=$(curl -s --max-time 30 -x "http://127.0.0.1:$WK_PROXY_PORT" \
    "http://10.77.0.3:$P/")
wk_like "$body" "not dialling again" "hold-off: the next request fails at once"
wk_is "$(runs 3)" 1 "hold-off: the command did not run again"
out=$(curl -sS --max-time 30 --socks5 "127.0.0.1:$WK_PROXY_PORT" \
    "http://10.77.0.3:$P/" 2>&1)
wk_like "$out" "(unreachable|Network|0x03|\(3\)|code 3|Can't complete SOCKS5)" \
    "hold-off: a SOCKS5 client is refused too"
wk_proxy_stop

# 4. a command that outlives its timeout is stopped, the request fails
wk_proxy_start_or_bail "dial {
	command $WK_T/dial.sh 4 0 30
	timeout 1s
}"
body=$(curl -s --max-time 30 -x "http://127.0.0.1:$WK_PROXY_PORT" \
    "http://10.77.0.4:$P/")
wk_like "$body" "did not finish within 1000 ms" "dial timeout: 502 says so"
wk_proxy_stop

# 5. failures the dial is not for: a refused connection goes on at once
wk_proxy_start_or_bail "dial { command $WK_T/dial.sh 5 0 }"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 \
    -x "http://127.0.0.1:$WK_PROXY_PORT" "http://127.0.0.1:1/")
wk_is "$code" 502 "refused (not in the default 'on' list): 502"
wk_is "$(runs 5)" 0 "refused: no dial"
wk_proxy_stop

# 6. `on refused`: an upstream tunnel that is down, brought up by the dial
cat >"$WK_T/up.sh" <<EOF
#!/bin/bash
echo run >>"$WK_T/dial.6.count"
setsid "$WK_PY" "$WK_SERVERS/origin.py" --port $((P + 1)) \\
    --port-file "$WK_T/up.6.port" </dev/null >/dev/null 2>&1 &
for i in \$(seq 1 100); do
	[ -s "$WK_T/up.6.port" ] && exit 0
	sleep 0.1
done
exit 8
EOF
chmod +x "$WK_T/up.sh"
wk_proxy_start_or_bail "dial {
	command $WK_T/up.sh
	on refused
}"
wk_is "$(curl -sS --max-time 30 -x "http://127.0.0.1:$WK_PROXY_PORT" \
    "http://127.0.0.1:$((P + 1))/bytes/1000" | sha256sum | cut -d' ' -f1)" "$sha" \
    "on refused: the dial brought the listener up and the request went through"
wk_is "$(runs 6)" 1 "on refused: one run"
wk_proxy_stop

wk_done
