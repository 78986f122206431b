#!/bin/bash
# test_basic.sh: plain forwarding with curl, wget and raw sockets; methods,
# HTTP/1.0 clients, Via, hop-by-hop removal, Host, byte-exact targets.
. "$(dirname "$0")/lib.sh"
wk_require_wicket

wk_origin_start http
wk_proxy_start_or_bail

# GET with curl
out=$(wk_curl -o "$WK_T/get.bin" -w '%{http_code}' "$(wk_url /bytes/100000)")
wk_is "$out" 200 "curl GET through the proxy: status 200"
wk_is "$(sha256sum <"$WK_T/get.bin" | cut -d' ' -f1)" "$(wk_data_sha 100000)" \
    "curl GET: body sha256 matches"

# GET with wget
timeout 30 wget -q -O "$WK_T/wget.bin" -e use_proxy=yes \
    -e "http_proxy=http://127.0.0.1:$WK_PROXY_PORT" "$(wk_url /bytes/54321)" \
    2>"$WK_T/wget.err"
wk_is "$?" 0 "wget GET through the proxy succeeds"
wk_is "$(sha256sum <"$WK_T/wget.bin" | cut -d' ' -f1)" "$(wk_data_sha 54321)" \
    "wget GET: body sha256 matches"

# wget of a chunked response (wget speaks HTTP/1.1 with keep-alive)
timeout 30 wget -q -O "$WK_T/wget2.bin" -e use_proxy=yes \
    -e "http_proxy=http://127.0.0.1:$WK_PROXY_PORT" \
    "$(wk_url /chunked/300000)" 2>>"$WK_T/wget.err"
wk_is "$(sha256sum <"$WK_T/wget2.bin" | cut -d' ' -f1)" \
    "$(wk_data_sha 300000)" "wget GET of a chunked body: sha256 matches"

# HEAD with curl
out=$(wk_curl -I "$(wk_url /bytes/5000)")
wk_like "$out" '^HTTP/1\.[01] 200' "curl HEAD: status 200"
wk_like "$out" '[Cc]ontent-[Ll]ength: 5000' "curl HEAD: Content-Length kept"

# POST
wk_make_file "$WK_T/post.bin" 200000
out=$(wk_curl --data-binary @"$WK_T/post.bin" -H 'Content-Type: x/y' \
    "$(wk_url /upload)")
wk_is "$out" "200000 $(wk_data_sha 200000)" "POST body reaches the origin intact"

# Arbitrary method token
out=$(wk_curl -X 'FROB-1.x' "$(wk_url /echo/m)")
wk_like "$out" '^FROB-1\.x /echo/m HTTP/1\.1' "arbitrary method token forwarded"
out=$(wk_curl -X PATCH --data-binary 'abc' "$(wk_url /echo/p)" -D "$WK_T/h" )
wk_like "$out" '^PATCH /echo/p HTTP/1\.1' "PATCH forwarded"
wk_like "$(cat "$WK_T/h")" "X-Body-Sha256: $(printf abc | sha256sum | cut -d' ' -f1)" \
    "PATCH body forwarded"

# HTTP/1.0 client
out=$(wk_curl -0 -w '\n%{http_code}' "$(wk_url /echo/ten)")
wk_like "$out" '200$' "HTTP/1.0 client (curl -0): status 200"
wk_like "$out" '^GET /echo/ten HTTP/1\.[01]' "HTTP/1.0 client: request forwarded"
out=$(wk_curl -0 -D "$WK_T/h10" -o "$WK_T/c10.bin" "$(wk_url /chunked/100000)")
wk_is "$(sha256sum <"$WK_T/c10.bin" | cut -d' ' -f1)" "$(wk_data_sha 100000)" \
    "HTTP/1.0 client gets a chunked origin body without chunk framing"
wk_unlike "$(cat "$WK_T/h10")" '[Tt]ransfer-[Ee]ncoding' \
    "HTTP/1.0 client gets no Transfer-Encoding"

# Via on both sides
out=$(wk_curl -D "$WK_T/hvia" "$(wk_url /echo/via)")
if [ "$WK_TEST_PROXY" = wicket ]; then
	wk_like "$out" '^[Vv]ia: (.*, *)?1\.1 wicket' \
	    "Via: 1.1 wicket added to the request"
	wk_like "$(cat "$WK_T/hvia")" '[Vv]ia: (.*, *)?1\.1 wicket' \
	    "Via: 1.1 wicket added to the response"
else
	wk_like "$out" '^[Vv]ia: ' "Via added to the request"
	wk_like "$(cat "$WK_T/hvia")" '[Vv]ia: ' "Via added to the response"
fi

# Hop-by-hop headers in the request
out=$(wk_curl -H 'Connection: keep-alive, X-Hop-One' -H 'X-Hop-One: 1' \
    -H 'Keep-Alive: timeout=77' -H 'Proxy-Connection: keep-alive' \
    -H 'TE: trailers, deflate;q=0.5' -H 'Trailer: X-Trailer-Sent' \
    -H 'Upgrade: bogus/1' -H 'X-End-To-End: kept' "$(wk_url /echo/hop)")
wk_like "$out" '^GET /echo/hop ' "request with hop-by-hop headers forwarded"
wk_like "$out" '^X-End-To-End: kept' "end-to-end header kept"
wk_unlike "$out" '^X-Hop-One:' "header listed in Connection removed"
wk_unlike "$out" 'timeout=77' "Keep-Alive removed"
wk_unlike "$out" '^[Pp]roxy-[Cc]onnection:' "Proxy-Connection removed"
wk_unlike "$out" 'deflate;q=0\.5' "client's TE removed"
wk_unlike "$out" 'X-Trailer-Sent' "Trailer removed"
wk_unlike "$out" 'bogus/1' "Upgrade removed when not upgrading"
wk_unlike "$out" '^[Cc]onnection:.*X-Hop-One' \
    "client's Connection header not forwarded as is"

out=$(wk_curl -U 'user:secretpw' "$(wk_url /echo/pauth)")
wk_like "$out" '^GET /echo/pauth' "request with Proxy-Authorization forwarded"
wk_unlike "$out" '[Pp]roxy-[Aa]uthorization' \
    "Proxy-Authorization meant for the proxy is not forwarded"

# The listener accepts once the first bytes are in (TCP_DEFER_ACCEPT); a
# client silent past that second is accepted at its next ACK, and its
# request, coming later, is served.
out=$(wk_py <<'EOF'
import time, wkclient as w
s = w.connect(timeout=10)
time.sleep(1.5)
s.sendall(w.get_req("/bytes/10", headers=["Connection: close"]))
r = w.read_response(w.Reader(s))
print("late request", r.status, len(r.body))
EOF
)
wk_is "$out" "late request 200 10" "a request sent 1.5 s after connecting is served"

# Such silent clients cost no read buffer while they wait: 800 of them, once
# all are accepted, grow the daemon's RSS by a few KiB each (the session and
# its bufferevent: 2-3, 4 under ASan; a reserved 16 KiB read chain made it ~7,
# ~17 under ASan).
out=$(wk_py "$WK_PID" <<'EOF'
import re, resource, sys, time, wkclient as w
pid, n = int(sys.argv[1]), 800
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
def rss():
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
def open_conns():
    return w.status_num(w.status_page(), "open connections")
before = rss()
held = [w.connect(timeout=30) for _ in range(n)]
# open connections: these, the status request, any earlier ones closing
deadline = time.monotonic() + 15
while open_conns() - 1 < n and time.monotonic() < deadline:
    time.sleep(0.2)
got = open_conns() - 1
print("accepted", got >= n, got)
print("KiB-per-conn %.1f" % ((rss() - before) / n))
for s in held:
    s.close()
EOF
)
wk_diag "$(printf '%s\n' "$out" | grep KiB-per-conn)"
wk_like "$out" "^accepted True" "800 silent clients are all accepted"
kib=$(printf '%s\n' "$out" | awk '/^KiB-per-conn/ {print $2}')
wk_ok "800 silent clients hold no read buffer: ${kib:-?} KiB each (< 6)" \
    awk -v k="${kib:-99}" 'BEGIN { exit !(k < 6) }'

# Hop-by-hop headers in the response
wk_curl -D "$WK_T/hhop" -o /dev/null "$(wk_url /hop)"
hop=$(cat "$WK_T/hhop")
wk_like "$hop" 'X-End: kept' "response end-to-end header kept"
wk_unlike "$hop" 'X-Origin-Hop' "response header listed in Connection removed"
wk_unlike "$hop" 'timeout=99' "response Keep-Alive removed"
wk_unlike "$hop" '[Pp]roxy-[Cc]onnection' "response Proxy-Connection removed"

# Host consistent with the absolute URI
out=$(wk_curl -H 'Host: wrong.example:81' "$(wk_url /echo/host)")
wk_like "$out" '^Host: 127\.0\.0\.1:'"$WK_ORIGIN_PORT"$'\r' \
    "Host rewritten to the authority of the absolute URI"
wk_unlike "$out" 'wrong\.example' "client's conflicting Host not forwarded"
n=$(printf '%s' "$out" | grep -ci '^host:')
wk_is "$n" 1 "exactly one Host header forwarded"

# Request target byte-exact
out=$(wk_curl --path-as-is "$(wk_url '/echo/a%2Fb/../c/./d?x=%41&y=a+b&z=%2f%3F#frag')")
wk_like "$out" '^GET /echo/a%2Fb/\.\./c/\./d\?x=%41&y=a\+b&z=%2f%3F HTTP/1\.1' \
    "request target forwarded byte-exact"

out=$(wk_py <<'EOF'
import wkclient as w
s = w.connect()
target = "/echo/%7e~!$&'()*+,;=:@%25?q=a/b?c%20d&e=%C3%A9"
raw = ("GET http://%s%s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
       % (w.ORIGIN, target, w.ORIGIN))
s.sendall(raw.encode())
r = w.read_response(w.Reader(s))
line = r.body.decode("latin-1").split("\r\n")[0]
print("same" if r.status == 200 and line == "GET %s HTTP/1.1" % target
      else "%d %r" % (r.status, line))
EOF
)
wk_is "$out" same "sub-delims and percent-escapes in the target kept byte-exact"

out=$(wk_py <<'EOF'
import wkclient as w
s = w.connect()
raw = ("GET http://%s?only=query HTTP/1.1\r\nHost: %s\r\n"
       "Connection: close\r\n\r\n" % (w.ORIGIN, w.ORIGIN))
s.sendall(raw.encode())
r = w.read_response(w.Reader(s))
print(r.status, r.body.decode("latin-1").split("\r\n")[0])
EOF
)
wk_is "$out" "200 GET /?only=query HTTP/1.1" \
    "absolute URI without a path gets / before the query"

out=$(wk_py <<'EOF'
import wkclient as w
s = w.connect()
raw = ("GET HTTP://127.0.0.1:%d/echo/scheme HTTP/1.1\r\nHost: x\r\n"
       "Connection: close\r\n\r\n" % w.ORIGIN_PORT)
s.sendall(raw.encode())
r = w.read_response(w.Reader(s))
print(r.status, r.body.decode("latin-1").split("\r\n")[0])
EOF
)
wk_is "$out" "200 GET /echo/scheme HTTP/1.1" "scheme is case-insensitive"

# obs-text (bytes 0x80-0xFF) in a field value is passed through unchanged.
out=$(wk_py <<'EOF'
import wkclient as w
s = w.connect()
s.sendall(w.get_req("/echo/latin", "GET", ["X-Latin: caf\xe9 \xff",
                                           "Connection: close"]))
r = w.read_response(w.Reader(s))
print(r.status, "kept" if b"X-Latin: caf\xe9 \xff\r\n" in r.body else "changed")
EOF
)
wk_is "$out" "200 kept" "obs-text in a field value forwarded unchanged"

# Names and IPv6 literals in the absolute URI
out=$(wk_curl "http://localhost:$WK_ORIGIN_PORT/echo/by-name")
wk_like "$out" '^Host: localhost:'"$WK_ORIGIN_PORT"$'\r' \
    "http://localhost:PORT/ resolves (hosts file) and keeps Host: localhost:PORT"
if "$WK_PY" -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
	pf=$WK_T/origin6.port
	setsid "$WK_PY" "$WK_SERVERS/origin.py" --host ::1 --port-file "$pf" \
	    </dev/null >"$WK_T/origin6.out" 2>&1 &
	WK_PIDS="$WK_PIDS $!"
	wk_retry 15 test -s "$pf"
	p6=$(cat "$pf")
	out=$(wk_curl -g "http://[::1]:$p6/echo/v6")
	wk_like "$out" '^GET /echo/v6 HTTP/1\.1' "IPv6 literal in the absolute URI: forwarded"
	wk_like "$out" '^Host: \[::1\]:'"$p6"$'\r' "IPv6 literal: Host: [::1]:PORT"
else
	wk_skip "IPv6 literal in the absolute URI: forwarded" "no IPv6 loopback"
	wk_skip "IPv6 literal: Host: [::1]:PORT" "no IPv6 loopback"
fi

# HTTP/1.0 request without Host: the proxy supplies one from the URI.
out=$(wk_py <<'EOF'
import wkclient as w
s = w.connect()
s.sendall(b"GET http://%s/echo/nohost HTTP/1.0\r\n\r\n" % w.ORIGIN.encode())
r = w.read_response(w.Reader(s))
print(r.status)
print(r.body.decode("latin-1"))
EOF
)
wk_like "$out" '^Host: 127\.0\.0\.1:'"$WK_ORIGIN_PORT"$'\r' \
    "HTTP/1.0 request without Host: Host added from the absolute URI"

# A Via from the client is kept, ours is added after it.
out=$(wk_curl -H 'Via: 1.0 upstream-client' "$(wk_url /echo/via2)")
wk_like "$out" '1\.0 upstream-client' "client's Via kept"
if [ "$WK_TEST_PROXY" = wicket ]; then
	vias=$(printf '%s\n' "$out" | grep -i '^via:' | tr -d '\r' | tr '\n' ' ')
	wk_like "$vias" '1\.0 upstream-client.*1\.1 wicket' "our Via comes after the client's"

	# The configured pseudonym
	wk_proxy_start_or_bail "via gate-7"
	out=$(wk_curl -D "$WK_T/hv" "$(wk_url /echo/via3)")
	wk_like "$out" '^[Vv]ia: (.*, *)?1\.1 gate-7' "via NAME: request carries Via: 1.1 NAME"
	wk_like "$(cat "$WK_T/hv")" '^[Vv]ia: (.*, *)?1\.1 gate-7' "via NAME: response carries Via: 1.1 NAME"

	# Threads are named (top -H, ps -L, perf, gdb)
	names=$(cat /proc/"$WK_PID"/task/*/comm 2>/dev/null | sort | tr '\n' ' ')
	wk_diag "threads: $names"
	wk_like "$names" 'wk-queue-0 .*wk-worker-0 ' "threads are named: workers and queue lanes"
fi

wk_done
