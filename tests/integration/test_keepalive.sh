#!/bin/bash
# test_keepalive.sh: keep-alive to clients, the upstream connection pool,
# pipelining, HTTP/1.0 and Connection: close handling.
. "$(dirname "$0")/lib.sh"
wk_require_wicket

wk_origin_start http
# One worker: the upstream pool may be per worker.
wk_proxy_start_or_bail "workers 1"

# curl with two URLs: one client connection, one upstream connection.
out=$(wk_curl -w 'connects=%{num_connects}\n' "$(wk_url /conn-id)" \
    "$(wk_url /conn-id)")
c1=$(printf '%s\n' "$out" | sed -n 1p)
wk_is "$(printf '%s\n' "$out" | sed -n 2p)" connects=1 \
    "first request opens one client connection"
wk_is "$(printf '%s\n' "$out" | sed -n 4p)" connects=0 \
    "second request reuses the client connection"
wk_is "$(printf '%s\n' "$out" | sed -n 3p)" "$c1" \
    "second request reuses the upstream connection"

# A later client connection reuses the pooled upstream connection.
out=$(wk_curl "$(wk_url /conn-id)")
wk_is "$out" "$c1" "a new client connection gets the pooled upstream connection"

# Different origins get different upstream connections (127.0.0.1 vs the
# same port by another name is not needed: the raw check below suffices).

# Several requests with bodies on one client connection
out=$(wk_py <<'EOF'
import wkclient as w
s = w.connect()
rd = w.Reader(s)
res = []
for i in range(5):
    body = b"%d" % i * (1000 * (i + 1))
    s.sendall(w.get_req("/upload", "POST", ["Content-Length: %d" % len(body)])
              + body)
    r = w.read_response(rd)
    res.append(r.status == 200 and r.body.decode().split()[1] == w.sha(body))
print("all-ok" if all(res) else res)
EOF
)
wk_is "$out" all-ok "five POSTs in a row on one client connection"

# Pipelining: three requests in one write, answered in order; the first is
# the slowest.
out=$(wk_py <<'EOF'
import wkclient as w
s = w.connect()
s.sendall(w.get_req("/slow/500") + w.get_req("/bytes/10") +
          w.get_req("/echo/third", "POST", ["Content-Length: 3"], b"abc"))
rd = w.Reader(s)
r1 = w.read_response(rd)
r2 = w.read_response(rd)
r3 = w.read_response(rd)
print(r1.status, r1.body)
print(r2.status, w.sha(r2.body) == w.data_sha(10))
print(r3.status, r3.body.split(b"\r\n")[0], r3.header("X-Body-Length"))
EOF
)
wk_like "$out" "^200 b'slow\\\\n'" "pipelined: first response (slowest) first"
wk_like "$out" $'^200 True' "pipelined: second response in order"
wk_like "$out" "^200 b'POST /echo/third HTTP/1.1' 3" "pipelined: third response in order"

out=$(wk_py <<'EOF'
import wkclient as w
s = w.connect()
reqs = b"".join(w.get_req("/echo/p%d" % i) for i in range(20))
s.sendall(reqs)
rd = w.Reader(s)
got = []
for i in range(20):
    r = w.read_response(rd)
    got.append(r.body.split(b"\r\n")[0].decode())
want = ["GET /echo/p%d HTTP/1.1" % i for i in range(20)]
print("in-order" if got == want else got)
EOF
)
wk_is "$out" in-order "twenty pipelined requests answered in order"

# Pipelined big responses (back-pressure with several queued requests) and
# a HEAD in the middle.
out=$(wk_py <<'EOF'
import wkclient as w
s = w.connect(timeout=30)
s.sendall(w.get_req("/bytes/5000000") + w.get_req("/bytes/5000", "HEAD") +
          w.get_req("/chunked/3000000") + w.get_req("/bytes/7"))
rd = w.Reader(s)
r1 = w.read_response(rd)
r2 = w.read_response(rd, "HEAD")
r3 = w.read_response(rd)
r4 = w.read_response(rd)
print(w.sha(r1.body) == w.data_sha(5000000), r2.status, len(r2.body),
      w.sha(r3.body) == w.data_sha(3000000), len(r4.body))
EOF
)
wk_is "$out" "True 200 0 True 7" "pipelined 5 MB, HEAD, 3 MB chunked, small: all in order and intact"

# The client half-closes after its request: the response still comes.
out=$(wk_py <<'EOF'
import wkclient as w
s = w.connect(timeout=10)
s.sendall(w.get_req("/bytes/100000"))
s.shutdown(w.socket.SHUT_WR)
r = w.read_response(w.Reader(s))
print(r.status, w.sha(r.body) == w.data_sha(100000))
EOF
)
wk_is "$out" "200 True" "client half-close after the request: full response delivered"

# Bodies on methods that usually have none, and empty bodies.
out=$(wk_py <<'EOF'
import wkclient as w
s = w.connect()
rd = w.Reader(s)
s.sendall(w.get_req("/echo/getbody", "GET", ["Content-Length: 5"], b"hello"))
r1 = w.read_response(rd)
s.sendall(w.get_req("/echo/empty", "POST", ["Content-Length: 0"]))
r2 = w.read_response(rd)
s.sendall(w.get_req("/echo/emptychunked", "POST",
                    ["Transfer-Encoding: chunked"], b"0\r\n\r\n"))
r3 = w.read_response(rd)
print(r1.header("X-Body-Length"), r2.header("X-Body-Length"),
      r3.header("X-Body-Length"), r3.header("X-Body-Framing"))
EOF
)
wk_like "$out" '^5 0 0 (chunked|length|none)$' "GET with a body, empty POST, empty chunked POST on one connection"

# HTTP/1.0 client without keep-alive: the proxy closes after the response.
out=$(wk_py <<'EOF'
import wkclient as w
s = w.connect()
s.sendall(w.get_req("/bytes/100", version="1.0"))
rd = w.Reader(s)
r = w.read_response(rd)
how, extra, t = w.wait_closed(s, 5)
print(r.status, r.version, how, len(rd.buf) + len(extra))
EOF
)
wk_like "$out" '^200 HTTP/1\.[01] (eof|reset) 0$' "HTTP/1.0 client: connection closed after the response"

# HTTP/1.0 client with Connection: keep-alive may be kept open.
out=$(wk_py <<'EOF'
import wkclient as w
s = w.connect(timeout=5)
s.sendall(w.get_req("/bytes/100", version="1.0",
                    headers=["Connection: keep-alive"]))
rd = w.Reader(s)
r = w.read_response(rd)
kept = (r.header("Connection") or "").lower()
if "keep-alive" in kept:
    s.sendall(w.get_req("/bytes/7", version="1.0",
                        headers=["Connection: keep-alive"]))
    r2 = w.read_response(rd)
    print("kept", r2.status, len(r2.body))
else:
    how, extra, t = w.wait_closed(s, 5)
    print("closed", how)
EOF
)
wk_like "$out" '^(kept 200 7|closed (eof|reset))$' \
    "HTTP/1.0 keep-alive client: either kept consistently or closed"

# HTTP/1.0 keep-alive client and a chunked origin: never chunked to 1.0.
out=$(wk_py <<'EOF'
import wkclient as w
s = w.connect(timeout=5)
s.sendall(w.get_req("/chunked/5000", version="1.0",
                    headers=["Connection: keep-alive"]))
rd = w.Reader(s)
r = w.read_response(rd)
te = (r.header("Transfer-Encoding") or "")
kept = "keep-alive" in (r.header("Connection") or "").lower()
ok = w.sha(r.body) == w.data_sha(5000) if (r.has("Content-Length") or not kept) \
    else False
print(r.status, "te=%s" % (te or "-"), "kept-with-length" if kept and
      r.has("Content-Length") else ("closed" if not kept else "kept-no-length"),
      "sha-ok" if ok else "sha-bad")
EOF
)
wk_like "$out" '^200 te=- (kept-with-length|closed) sha-ok$' \
    "HTTP/1.0 keep-alive client, chunked origin: no chunking, length or close"

# Connection: close from the client
out=$(wk_py <<'EOF'
import wkclient as w
s = w.connect()
s.sendall(w.get_req("/bytes/100", headers=["Connection: close"]))
rd = w.Reader(s)
r = w.read_response(rd)
how, extra, t = w.wait_closed(s, 5)
print(r.status, how)
EOF
)
wk_like "$out" '^200 (eof|reset)$' "Connection: close from the client closes after the response"

# An HTTP/1.0 origin does not break the client's keep-alive.
out=$(wk_py <<'EOF'
import wkclient as w
s = w.connect()
rd = w.Reader(s)
s.sendall(w.get_req("/http10"))
r1 = w.read_response(rd)
s.sendall(w.get_req("/bytes/10"))
r3 = w.read_response(rd)
print(r1.status, r1.body[:7], r3.status, len(r3.body))
EOF
)
wk_is "$out" "200 b'http10 ' 200 10" \
    "HTTP/1.0 origin with a length: client connection stays usable"

# A close-delimited answer to an HTTP/1.1 client: either re-framed (chunked)
# and the connection kept, or the client connection closed after it.
out=$(wk_py <<'EOF'
import wkclient as w
s = w.connect(timeout=5)
rd = w.Reader(s)
s.sendall(w.get_req("/http10?nolength=1"))
r = w.read_response(rd)
te = (r.header("Transfer-Encoding") or "").lower()
if "chunked" in te or r.has("Content-Length"):
    s.sendall(w.get_req("/bytes/10"))
    r3 = w.read_response(rd)
    print(r.status, r.body[:7], "kept", r3.status, len(r3.body))
else:
    print(r.status, r.body[:7], "closed")
EOF
)
wk_like "$out" "^200 b'http10 ' (kept 200 10|closed)\$" \
    "HTTP/1.0 origin without length: body relayed, then framed or closed"

# The origin closing a connection: the next request gets a fresh one.
out=$(wk_curl "$(wk_url '/conn-id?close=1')" "$(wk_url /conn-id)")
a=$(printf '%s\n' "$out" | sed -n 1p)
b=$(printf '%s\n' "$out" | sed -n 2p)
if [ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ]; then
	wk_pass "after the origin's Connection: close a new upstream connection is used"
else
	wk_fail "after the origin's Connection: close a new upstream connection is used" "$out"
fi

# A pooled connection the origin closed while idle is not used (or retried).
out=$(wk_curl "$(wk_url '/close-after?ms=100')")
sleep 0.5
out2=$(wk_curl -w '%{http_code}' "$(wk_url /conn-id)")
wk_is "${out2##*$'\n'}" 200 "pooled connection closed by the origin while idle: next request succeeds"
wk_unlike "${out2%%$'\n'*}" "^${out}\$" "... on a new upstream connection"

# Many sequential requests over one client connection use one upstream
# connection.
out=$(wk_py <<'EOF'
import wkclient as w
s = w.connect()
rd = w.Reader(s)
ids = set()
for i in range(30):
    s.sendall(w.get_req("/conn-id"))
    ids.add(w.read_response(rd).body)
print(len(ids))
EOF
)
wk_is "$out" 1 "thirty sequential requests share one upstream connection"

# timeout pool-idle: an idle pooled connection is closed by the proxy.
wk_proxy_start_or_bail "workers 1" "timeout pool-idle 1s"
a=$(wk_curl "$(wk_url /conn-id)")
b=$(wk_curl "$(wk_url /conn-id)")
wk_is "$b" "$a" "pool-idle 1s: reused right away"
sleep 2.5
c=$(wk_curl "$(wk_url /conn-id)")
if [ -n "$c" ] && [ "$c" != "$a" ]; then
	wk_pass "pool-idle 1s: a connection idle for 2.5 s is not reused"
else
	wk_fail "pool-idle 1s: a connection idle for 2.5 s is not reused" "ids $a $b $c"
fi
wk_like "$(cat "$WK_ORIGIN_LOG")" "^conn=$a closed: eof" \
    "pool-idle 1s: the proxy closed the idle upstream connection"

wk_done
