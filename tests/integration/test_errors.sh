#!/bin/bash
# test_errors.sh: error statuses (400, 403, 414, 431, 501, 502, 504), request
# smuggling shapes refused with the connection closed, the status page.
. "$(dirname "$0")/lib.sh"
wk_require_wicket

wk_origin_start http
wk_proxy_start_or_bail "timeout upstream-response 1s"

# wk_raw NAME: sends the Python bytes expression on stdin's first line as one
# request; prints "STATUS X-Wicket-Error CLOSED" where CLOSED is eof/reset
# when the proxy closed the connection within 5 s after its response.
wk_raw() {
	WK_RAW_REQ=$1 wk_py <<'EOF'
import wkclient as w, os, socket
ORIGIN = w.ORIGIN
req = eval(os.environ["WK_RAW_REQ"])
s = w.connect(timeout=5)
try:
    s.sendall(req)
except OSError:
    pass
rd = w.Reader(s)
try:
    r = w.read_response(rd)
except (socket.timeout, EOFError, OSError) as e:
    print("noresponse", type(e).__name__)
    raise SystemExit(0)
how, extra, t = w.wait_closed(s, 5)
ctype = (r.header("Content-Type") or "-").replace(" ", "")
print(r.status, r.header("X-Wicket-Error") or "-", how, ctype)
EOF
}

# Status page and health on the proxy port
out=$(curl -sS --max-time 10 -o "$WK_T/health" -w '%{http_code} %{content_type}' \
    "http://127.0.0.1:$WK_PROXY_PORT/health")
wk_like "$out" '^200 text/plain' "GET /health on the proxy port: 200 text/plain"
wk_is "$(cat "$WK_T/health")" ok "GET /health: body ok"
out=$(curl -sS --max-time 10 -w '\n%{http_code} %{content_type}' \
    "http://127.0.0.1:$WK_PROXY_PORT/")
wk_like "$out" '200 text/html' "GET / on the proxy port: 200 HTML status page"
wk_like "$out" '<(html|HTML|!DOCTYPE|!doctype)' "status page is HTML"
out=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' \
    "http://127.0.0.1:$WK_PROXY_PORT/no-such-page")
wk_is "$out" 404 "other origin-form paths on the proxy port: 404"

# 400 malformed, connection closed
wk_like "$(wk_raw 'b"GARBAGE\r\n\r\n"')" '^400 bad-request (eof|reset) text/plain;charset=utf-8$' \
    "garbage request line: 400 text/plain, X-Wicket-Error, connection closed"
wk_like "$(wk_raw 'b"GET http://%s/echo HTTP/1.1\nHost: %s\n\n" % (ORIGIN.encode(), ORIGIN.encode())')" \
    '^400 .* (eof|reset) ' "bare LF line ends: 400, connection closed"
wk_like "$(wk_raw 'b"GET http://%s/echo HTTP/1.1\r\nHost: %s\r\nX-Folded: a\r\n b\r\n\r\n" % (ORIGIN.encode(), ORIGIN.encode())')" \
    '^400 .* (eof|reset) ' "obs-fold: 400, connection closed"
wk_like "$(wk_raw 'b"GET http://%s/echo HTTP/1.1\r\nHost: %s\r\nX-Bad : a\r\n\r\n" % (ORIGIN.encode(), ORIGIN.encode())')" \
    '^400 .* (eof|reset) ' "white space before colon: 400, connection closed"
wk_like "$(wk_raw 'b"GET http://%s/echo HTTP/1.1\r\nHost: %s\r\nX-Nul: a\x00b\r\n\r\n" % (ORIGIN.encode(), ORIGIN.encode())')" \
    '^400 .* (eof|reset) ' "NUL in a field: 400, connection closed"
wk_like "$(wk_raw 'b"GET /echo HTTP/1.1\r\n\r\n"')" \
    '^400 .* (eof|reset) ' "HTTP/1.1 origin-form without Host: 400"

# Smuggling shapes: refused, connection closed, nothing reaches the origin.
: >"$WK_ORIGIN_LOG"
smug='b"POST http://%s/echo/smuggle1 HTTP/1.1\r\nHost: %s\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET http://%s/echo/smuggled HTTP/1.1\r\nHost: %s\r\n\r\n" % ((ORIGIN.encode(),) * 4)'
wk_like "$(wk_raw "$smug")" '^400 .* (eof|reset) ' \
    "Content-Length with Transfer-Encoding: 400, connection closed"
smug='b"POST http://%s/echo/smuggle2 HTTP/1.1\r\nHost: %s\r\nContent-Length: 4\r\nContent-Length: 40\r\n\r\nabcd" % ((ORIGIN.encode(),) * 2)'
wk_like "$(wk_raw "$smug")" '^400 .* (eof|reset) ' \
    "two differing Content-Length: 400, connection closed"
smug='b"POST http://%s/echo/smuggle3 HTTP/1.1\r\nHost: %s\r\nContent-Length: +4\r\n\r\nabcd" % ((ORIGIN.encode(),) * 2)'
wk_like "$(wk_raw "$smug")" '^400 .* (eof|reset) ' \
    "Content-Length with a sign: 400, connection closed"
smug='b"POST http://%s/echo/smuggle4 HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n" % ((ORIGIN.encode(),) * 2)'
wk_like "$(wk_raw "$smug")" '^400 .* (eof|reset) ' \
    "Transfer-Encoding whose last coding is not chunked: 400, connection closed"
smug='b"POST http://%s/echo/smuggle5 HTTP/1.0\r\nHost: %s\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" % ((ORIGIN.encode(),) * 2)'
wk_like "$(wk_raw "$smug")" '^400 .* (eof|reset) ' \
    "Transfer-Encoding in an HTTP/1.0 request: 400, connection closed"
smug='b"POST http://%s/echo/smuggle6 HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n" % ((ORIGIN.encode(),) * 2)'
wk_like "$(wk_raw "$smug")" '^400 .* (eof|reset) ' \
    "\"Transfer-Encoding :\" (space before colon): 400, connection closed"
smug='b"GET http://%s/echo/smuggle7 HTTP/1.1\r\nHost: %s\r\nHost: other.example\r\n\r\n" % ((ORIGIN.encode(),) * 2)'
wk_like "$(wk_raw "$smug")" '^400 .* (eof|reset) ' "two Host fields: 400, connection closed"

# Forwarding loops: a request that already passed this proxy three times
# (its Via lists our name three times) is refused; twice is a chain.
wk_like "$(wk_raw 'b"GET http://%s/echo HTTP/1.1\r\nHost: %s\r\nVia: 1.1 wicket, 1.1 other\r\nVia: 1.1 wicket (x), 1.1 wicket\r\n\r\n" % (ORIGIN.encode(), ORIGIN.encode())')" \
    '^508 loop ' "our Via three times: 508 loop detected"
wk_like "$(wk_raw 'b"GET http://%s/echo HTTP/1.1\r\nHost: %s\r\nVia: 1.1 wicket, 1.1 wicket\r\nConnection: close\r\n\r\n" % (ORIGIN.encode(), ORIGIN.encode())')" \
    '^200 ' "our Via twice (a chain of wickets): forwarded"
sleep 0.3
wk_unlike "$(cat "$WK_ORIGIN_LOG")" 'smuggle' "no refused request reached the origin"

# A bad request in the middle of a pipeline: earlier answered, then 400 and
# close; nothing after it is forwarded.
out=$(wk_py <<'EOF'
import wkclient as w, socket
s = w.connect(timeout=5)
s.sendall(w.get_req("/echo/pipe1") +
          w.get_req("/echo/smuggle-pipe2", "POST",
                    ["Content-Length: 6", "Transfer-Encoding: chunked"],
                    b"0\r\n\r\n") +
          w.get_req("/echo/smuggle-pipe3"))
rd = w.Reader(s)
r1 = w.read_response(rd)
r2 = w.read_response(rd)
how, extra, t = w.wait_closed(s, 5)
print(r1.status, r2.status, how, len(rd.buf) + len(extra))
EOF
)
wk_like "$out" '^200 400 (eof|reset) 0$' \
    "pipelined CL+TE request: earlier request answered, then 400 and close"

# Bad chunked framing in a request body: the connection is closed.
out=$(wk_py <<'EOF'
import wkclient as w
s = w.connect(timeout=5)
s.sendall(w.get_req("/upload", "POST", ["Transfer-Encoding: chunked"]) +
          b"5\r\nabcde\r\nzz\r\nxx\r\n0\r\n\r\n")
how, data, t = w.wait_closed(s, 5)
print(how, data.split(b"\r\n")[0].decode("latin-1"))
EOF
)
wk_like "$out" '^(eof|reset)( HTTP/1\.1 400 .*)?$' "bad chunk size in a request body: connection closed"

out=$(wk_py <<'EOF'
import wkclient as w
s = w.connect(timeout=5)
s.sendall(w.get_req("/upload", "POST", ["Transfer-Encoding: chunked"]) +
          b"10000000000000000001\r\nabc\r\n")
how, data, t = w.wait_closed(s, 5)
print(how, data.split(b"\r\n")[0].decode("latin-1"))
EOF
)
wk_like "$out" '^(eof|reset)( HTTP/1\.1 400 .*)?$' "overflowing chunk size in a request body: connection closed"

wk_like "$(wk_raw 'b"GET  http://%s/echo HTTP/1.1\r\nHost: %s\r\n\r\n" % (ORIGIN.encode(), ORIGIN.encode())')" \
    '^400 .* (eof|reset) ' "two spaces in the request line: 400, connection closed"
wk_like "$(wk_raw 'b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"')" \
    '^(400|505) .* (eof|reset) ' "HTTP/2 preface: 400 or 505, connection closed"
wk_like "$(wk_raw 'b"GET http://%s/echo HTTP/1.1\r\nHost: %s\r\nContent-Length: 99999999999999999999999\r\n\r\n" % (ORIGIN.encode(), ORIGIN.encode())')" \
    '^400 .* (eof|reset) ' "overflowing Content-Length: 400, connection closed"

# 501 for an unknown transfer coding
wk_like "$(wk_raw 'b"POST http://%s/upload HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n" % ((ORIGIN.encode(),) * 2)')" \
    '^501 te-unsupported (eof|reset) ' "Transfer-Encoding: gzip, chunked: 501, connection closed"

# 414, 431
long=$(head -c 70000 /dev/zero | tr '\0' a)
out=$(wk_curl -o /dev/null -w '%{http_code}' "$(wk_url "/echo/$long")")
wk_is "$out" 414 "70 kB request target (curl): 414"
wk_like "$(wk_raw 'b"GET http://%s/%s HTTP/1.1\r\nHost: %s\r\n\r\n" % (ORIGIN.encode(), b"x" * 100000, ORIGIN.encode())')" \
    '^414 uri-too-long (eof|reset) ' "100 kB request line (raw): 414, connection closed"
out=$(wk_curl -o /dev/null -w '%{http_code}' -H "X-Big: $long" "$(wk_url /echo/big)")
wk_is "$out" 431 "70 kB header field: 431"
wk_like "$(wk_raw 'b"GET http://%s/ HTTP/1.1\r\nHost: %s\r\n%s\r\n" % (ORIGIN.encode(), ORIGIN.encode(), b"".join(b"X-H%d: v\r\n" % i for i in range(1000)))')" \
    '^431 header-too-large (eof|reset) ' "1000 header fields: 431, connection closed"

# 502 DNS failure, quickly
t0=$(date +%s%N)
out=$(timeout 3 curl -sS --max-time 3 -x "http://127.0.0.1:$WK_PROXY_PORT" \
    -D "$WK_T/hdns" -o /dev/null -w '%{http_code}' http://nonexistent.invalid/ 2>&1)
t1=$(date +%s%N)
wk_diag "nonexistent.invalid answered in $(((t1 - t0) / 1000000)) ms"
wk_is "$out" 502 "http://nonexistent.invalid/: 502 within 3 s"
wk_like "$(cat "$WK_T/hdns" 2>/dev/null)" 'X-Wicket-Error: dns' "... with X-Wicket-Error: dns"
label=$(head -c 70 /dev/zero | tr '\0' q)
out=$(timeout 3 curl -sS --max-time 3 -x "http://127.0.0.1:$WK_PROXY_PORT" \
    -D "$WK_T/hlabel" -o /dev/null -w '%{http_code}' "http://$label.example.invalid/" 2>&1)
# not a valid host name at all (IDNA/DNS label limit): refused as a bad request
wk_is "$out" 400 "a name with a 70-character label: 400 within 3 s"
wk_like "$(cat "$WK_T/hlabel" 2>/dev/null)" 'X-Wicket-Error: idna' "... with X-Wicket-Error: idna"
out=$(timeout 3 curl -sS --max-time 3 -x "http://127.0.0.1:$WK_PROXY_PORT" \
    -o /dev/null -w '%{http_code}' "http://nonexistent.invalid:8080/" 2>&1)
wk_is "$out" 502 "http://nonexistent.invalid:8080/: 502 within 3 s"

# 502 connection refused, quickly
port=$(wk_free_port)
out=$(timeout 3 curl -sS --max-time 3 -x "http://127.0.0.1:$WK_PROXY_PORT" \
    -D "$WK_T/href" -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/" 2>&1)
wk_is "$out" 502 "closed loopback port: 502 within 3 s"
wk_like "$(cat "$WK_T/href" 2>/dev/null)" 'X-Wicket-Error: refused' "... with X-Wicket-Error: refused"

# 504 upstream timeout (timeout upstream-response 1s)
out=$(timeout 6 curl -sS --max-time 6 -x "http://127.0.0.1:$WK_PROXY_PORT" \
    -D "$WK_T/hto" -o /dev/null -w '%{http_code}' "$(wk_url /slow/5000)" 2>&1)
wk_is "$out" 504 "origin slower than timeout upstream-response: 504"
wk_like "$(cat "$WK_T/hto" 2>/dev/null)" 'X-Wicket-Error: timeout' "... with X-Wicket-Error: timeout"
out=$(wk_curl "$(wk_url '/drip?n=20&ms=100')" | wc -c)
wk_is "$out" 20 "a slow body that keeps flowing is not cut by upstream-response"

# Broken responses from the origin: 502 when nothing was sent yet, a closed
# client connection when the body breaks.
for kind in cl-te two-cl status garbage bare-lf huge-head; do
	out=$(wk_py "$kind" <<'EOF'
import wkclient as w, socket, sys
s = w.connect(timeout=5)
s.sendall(w.get_req("/bad-response/" + sys.argv[1]))
rd = w.Reader(s)
try:
    r = w.read_response(rd)
    print(r.status, r.header("X-Wicket-Error") or "-")
except (EOFError, socket.timeout, OSError) as e:
    print("noresponse", type(e).__name__)
EOF
)
	wk_like "$out" '^502 ' "origin response with bad framing ($kind): 502"
done
for kind in bad-chunk short; do
	out=$(wk_py "$kind" <<'EOF'
import wkclient as w, socket, sys
s = w.connect(timeout=5)
s.sendall(w.get_req("/bad-response/" + sys.argv[1]))
rd = w.Reader(s)
try:
    r = w.read_response(rd)
    print("complete", r.status, r.body)
except (EOFError, ValueError, OSError) as e:
    print("cut", type(e).__name__)
except socket.timeout:
    print("hang")
EOF
)
	wk_like "$out" '^(cut|502 )' "origin body breaks ($kind): client connection closed, response incomplete"
done
n=$(wk_curl -o /dev/null -w '%{http_code}' "$(wk_url /bytes/10)")
wk_is "$n" 200 "the origin's broken connections are not reused"

# Connect timeout: a listener whose accept queue is full drops SYNs.
setsid "$WK_PY" -c 'import socket, sys, time
ls = socket.socket(); ls.bind(("127.0.0.1", 0)); ls.listen(0)
c = socket.socket(); c.connect(ls.getsockname())
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % ls.getsockname()[1])
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(120)' "$WK_T/blackhole.port" </dev/null >/dev/null 2>&1 &
WK_PIDS="$WK_PIDS $!"
wk_retry 10 test -s "$WK_T/blackhole.port"
bh=$(cat "$WK_T/blackhole.port")
main_port=$WK_PROXY_PORT
wk_proxy_start_or_bail "timeout connect 1s"
out=$(timeout 8 curl -sS --max-time 8 -x "http://127.0.0.1:$WK_PROXY_PORT" \
    -D "$WK_T/hct" -o /dev/null -w '%{http_code} %{time_total}' "http://127.0.0.1:$bh/" 2>&1)
wk_like "$out" '^50[24] [0-5]\.' "upstream connect timeout (timeout connect 1s): 502/504 within 6 s"
wk_like "$(cat "$WK_T/hct" 2>/dev/null)" 'X-Wicket-Error: ' "... with X-Wicket-Error"
WK_PROXY_PORT=$main_port

# Still serving after all that
out=$(wk_curl -o /dev/null -w '%{http_code}' "$(wk_url /bytes/10)")
wk_is "$out" 200 "still serving after the errors"

# 403 for clients not allowed
wk_proxy_start_or_bail "deny all"
out=$(wk_curl -D "$WK_T/h403" -o /dev/null -w '%{http_code}' "$(wk_url /bytes/10)")
wk_is "$out" 403 "deny all: 403"
wk_like "$(cat "$WK_T/h403")" 'X-Wicket-Error: forbidden' "... with X-Wicket-Error: forbidden"
wk_proxy_start_or_bail "allow 10.0.0.0/8"
out=$(wk_curl -o /dev/null -w '%{http_code}' "$(wk_url /bytes/10)")
wk_is "$out" 403 "no allow rule matches the client: 403"
wk_proxy_start_or_bail "deny 127.0.0.2/32" "allow 127.0.0.0/8"
out=$(wk_curl -o /dev/null -w '%{http_code}' "$(wk_url /bytes/10)")
wk_is "$out" 200 "first matching rule wins (allow 127.0.0.0/8 after an unrelated deny)"
wk_proxy_start_or_bail "deny 127.0.0.1/32" "allow all"
out=$(wk_curl -o /dev/null -w '%{http_code}' "$(wk_url /bytes/10)")
wk_is "$out" 403 "first matching rule wins (deny 127.0.0.1/32 before allow all)"

wk_done
