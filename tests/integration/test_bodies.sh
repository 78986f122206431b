#!/bin/bash
# test_bodies.sh: bodies both ways: 100 MB by sha256, back-pressure,
# chunked upload and download, trailers, 1xx and Expect: 100-continue,
# responses without a body (HEAD, 204, 304).
. "$(dirname "$0")/lib.sh"
wk_require_wicket

wk_origin_start http
wk_proxy_start_or_bail

MB100=104857600

# 100 MB download
sum=$(wk_curl --max-time 90 "$(wk_url /bytes/$MB100)" | sha256sum | cut -d' ' -f1)
wk_is "$sum" "$(wk_data_sha $MB100)" "100 MB download: sha256 matches"

# 100 MB upload (Content-Length)
wk_make_file "$WK_T/big.bin" $MB100
out=$(wk_curl --max-time 90 -T "$WK_T/big.bin" -X POST "$(wk_url /upload)")
wk_is "$out" "$MB100 $(wk_data_sha $MB100)" "100 MB upload: sha256 matches"
rm -f "$WK_T/big.bin"

# Chunked upload with curl
wk_make_file "$WK_T/mid.bin" 5000000
out=$(wk_curl -T "$WK_T/mid.bin" -X POST -H 'Transfer-Encoding: chunked' \
    -D "$WK_T/hchunk" "$(wk_url /upload)")
wk_is "$out" "5000000 $(wk_data_sha 5000000)" "chunked upload (curl): sha256 matches"

# Chunked upload from stdin (curl -T - sends chunked)
out=$(head -c 3000000 "$WK_T/mid.bin" | wk_curl -T - -X PUT "$(wk_url /upload)")
wk_is "$out" "3000000 $(head -c 3000000 "$WK_T/mid.bin" | sha256sum | cut -d' ' -f1)" \
    "chunked upload from a pipe (curl -T -): sha256 matches"

# Chunked request with odd chunk sizes, extensions and a trailer
out=$(wk_py <<'EOF'
import wkclient as w, urllib.parse
s = w.connect()
chunks = [b"a", b"bc" * 1000, b"\r\n0\r\n", b"x" * 70000, b"z"]
body = b"".join(b"%x%s\r\n%s\r\n" % (len(c), b";e=1" if i == 1 else b"", c)
                for i, c in enumerate(chunks))
body += b"0\r\nX-Req-Trailer: tv\r\n\r\n"
s.sendall(w.get_req("/echo/chunked", "POST",
                    ["Transfer-Encoding: chunked", "Connection: close"]) + body)
r = w.read_response(w.Reader(s))
want = w.sha(b"".join(chunks))
print(r.status, r.header("X-Body-Framing"),
      "sha-ok" if r.header("X-Body-Sha256") == want else "sha-bad",
      urllib.parse.unquote(r.header("X-Req-Trailers") or ""))
EOF
)
wk_like "$out" '^200 chunked sha-ok' \
    "chunked request with extensions and odd sizes: body intact, still chunked"
wk_like "$out" 'X-Req-Trailer: tv' "request trailer forwarded"

# Chunked response
sum=$(wk_curl "$(wk_url '/chunked/3000000?ext=1')" | sha256sum | cut -d' ' -f1)
wk_is "$sum" "$(wk_data_sha 3000000)" \
    "chunked response with extensions: sha256 matches"

out=$(wk_py <<'EOF'
import wkclient as w
s = w.connect()
s.sendall(w.get_req("/chunked/200000?trailer=1", "GET",
                    ["TE: trailers", "Connection: close"]))
r = w.read_response(w.Reader(s))
sha = w.data_sha(200000)
print(r.status, (r.header("Transfer-Encoding") or "-").lower(),
      "sha-ok" if w.sha(r.body) == sha else "sha-bad")
print("trailer-ok" if ("X-Trailer-Sha256: " + sha) in r.trailers else
      "trailers=%r" % r.trailers)
EOF
)
wk_like "$out" '^200 chunked sha-ok' "chunked response to a raw client: body intact"
wk_like "$out" 'trailer-ok' "response trailers relayed"

# Close-delimited response
sum=$(wk_curl "$(wk_url /close/1000000)" | sha256sum | cut -d' ' -f1)
wk_is "$sum" "$(wk_data_sha 1000000)" "close-delimited response: sha256 matches"
out=$(wk_curl "$(wk_url '/http10?nolength=1')")
wk_like "$out" '^http10 [0-9]+$' "HTTP/1.0 origin without length: body relayed"

# Expect: 100-continue end to end
out=$(wk_py <<'EOF'
import wkclient as w
s = w.connect()
body = b"q" * 5000
s.sendall(w.get_req("/echo/expect", "POST",
                    ["Content-Length: %d" % len(body), "Expect: 100-continue",
                     "Connection: close"]))
rd = w.Reader(s)
print("interim:", w.read_interim(s, rd, 5))
s.sendall(body)
r = w.read_response(rd)
print(r.status, r.header("X-Saw-Expect"), r.header("X-Body-Length"),
      "sha-ok" if r.header("X-Body-Sha256") == w.sha(body) else "sha-bad")
EOF
)
wk_like "$out" '^interim: HTTP/1\.1 100 ' \
    "Expect: 100-continue: 100 Continue reaches the client before the body is sent"
wk_like "$out" '200 100-continue 5000 sha-ok' \
    "Expect: 100-continue: origin saw the Expect and the whole body"

wk_make_file "$WK_T/exp.bin" 2000000
t=$(wk_curl -o "$WK_T/exp.out" -w '%{time_total}' -H 'Expect: 100-continue' \
    --expect100-timeout 20 --data-binary @"$WK_T/exp.bin" "$(wk_url /upload)")
wk_is "$(cat "$WK_T/exp.out")" "2000000 $(wk_data_sha 2000000)" \
    "curl with Expect: 100-continue: upload intact"
wk_like "$t" '^[0-9]\.' "curl with Expect: 100-continue did not wait for its 20 s fallback"

out=$(wk_py <<'EOF'
import wkclient as w
s = w.connect()
s.sendall(w.get_req("/early-hints", "GET", ["Connection: close"]))
r = w.read_response(w.Reader(s))
print(r.status, [st for st, h in r.interim], r.body)
EOF
)
wk_is "$out" "200 [103] b'final\\n'" "103 Early Hints relayed before the final response"

# The origin answers before reading the request body, then closes.
wk_make_file "$WK_T/early.bin" 3000000
out=$(wk_curl -X POST --data-binary @"$WK_T/early.bin" -o "$WK_T/early.out" \
    -w '%{http_code}' "$(wk_url /early)" 2>&1)
wk_is "$out $(cat "$WK_T/early.out")" "200 early" \
    "an early final response (before the body was read) reaches the client"
wk_ok "still serving after an early response" \
    wk_curl -f -o /dev/null "$(wk_url /bytes/10)"

# No body for HEAD / 204 / 304; the connection stays usable after each.
out=$(wk_py <<'EOF'
import wkclient as w, socket
cases = [("HEAD", "/bytes/5000"), ("HEAD", "/chunked/5000"),
         ("HEAD", "/head"), ("GET", "/status/204"), ("GET", "/status/304"),
         ("HEAD", "/close/5000")]
for method, path in cases:
    s = w.connect(timeout=5)
    rd = w.Reader(s)
    try:
        s.sendall(w.get_req(path, method))
        r = w.read_response(rd, method)
        first = "%s %s -> %d" % (method, path, r.status)
        s.sendall(w.get_req("/bytes/10"))
        r2 = w.read_response(rd)
        ok = r2.status == 200 and w.sha(r2.body) == w.data_sha(10)
        print(first, "then-ok" if ok else "then-bad %r" % r2.body)
    except (socket.timeout, EOFError, ValueError, OSError) as e:
        # a close-delimited HEAD answer may close the connection
        print("%s %s -> error %s %r" % (method, path, type(e).__name__,
                                        bytes(rd.buf[:60])))
    s.close()
EOF
)
wk_like "$out" 'HEAD /bytes/5000 -> 200 then-ok' "HEAD (Content-Length): no body, connection reusable"
wk_like "$out" 'HEAD /chunked/5000 -> 200 then-ok' "HEAD (chunked): no body, connection reusable"
wk_like "$out" 'HEAD /head -> 200 then-ok' "HEAD /head: no body, connection reusable"
wk_like "$out" 'GET /status/204 -> 204 then-ok' "204: no body, connection reusable"
wk_like "$out" 'GET /status/304 -> 304 then-ok' "304 with Content-Length: no body, connection reusable"
wk_like "$out" 'HEAD /close/5000 -> (200 then-ok|error)' \
    "HEAD answered without length: no hang"

# An origin that sends a body where none may be: the stray bytes must not be
# taken for the next response (on this or another client connection).
for c in "HEAD /liar/200" "GET /liar/204" "GET /liar/304"; do
	out=$(wk_py $c <<'EOF'
import wkclient as w, socket, sys
method, path = sys.argv[1], sys.argv[2]
res = []
try:
    s = w.connect(timeout=5)
    rd = w.Reader(s)
    s.sendall(w.get_req(path, method))
    r1 = w.read_response(rd, method)
    res.append(str(r1.status))
    try:
        s.sendall(w.get_req("/conn-id"))
        r2 = w.read_response(rd)
        res.append("same-conn %d %s" % (r2.status,
                   "clean" if r2.body.strip().isdigit() else repr(r2.body)))
    except (EOFError, OSError, ValueError) as e:
        res.append("same-conn closed")
    for i in range(3):
        s2 = w.connect(timeout=5)
        s2.sendall(w.get_req("/conn-id"))
        r3 = w.read_response(w.Reader(s2))
        res.append("new-conn %d %s" % (r3.status,
                   "clean" if r3.body.strip().isdigit() else repr(r3.body)))
except (socket.timeout, EOFError, OSError, ValueError) as e:
    res.append("error %s" % type(e).__name__)
print(" / ".join(res))
EOF
)
	wk_like "$out" '^[0-9]+ / same-conn (200 clean|closed) / new-conn 200 clean / new-conn 200 clean / new-conn 200 clean$' \
	    "stray body after $c: never read as the next response"
done

# Many clients at once, each with keep-alive requests both ways.
out=$(wk_py <<'EOF'
import wkclient as w, threading
ok = []
want = w.data_sha(300000)
def client(i):
    try:
        s = w.connect(timeout=30)
        rd = w.Reader(s)
        good = True
        for k in range(3):
            s.sendall(w.get_req("/bytes/300000"))
            r = w.read_response(rd)
            good &= r.status == 200 and w.sha(r.body) == want
            body = (b"%d-%d;" % (i, k)) * 5000
            s.sendall(w.get_req("/upload", "POST",
                                ["Content-Length: %d" % len(body)]) + body)
            r = w.read_response(rd)
            good &= r.body.decode().split()[1] == w.sha(body)
        ok.append(good)
    except Exception as e:
        ok.append(False)
ts = [threading.Thread(target=client, args=(i,)) for i in range(100)]
for t in ts:
    t.start()
for t in ts:
    t.join(60)
print(sum(ok), len(ok))
EOF
)
wk_is "$out" "100 100" "100 concurrent clients, 3 downloads and 3 uploads each: all intact"

# Back-pressure, download: the client stops reading; the proxy must stop
# reading from the origin instead of buffering the body. 256 MB: the kernel
# alone may hold ~40 MB on the two hops (tcp_rmem max is 32 MB here).
out=$(wk_py "$WK_ORIGIN_LOG" <<'EOF'
import wkclient as w, sys, time, re
n = 268435456
s = w.connect(timeout=30)
s.setsockopt(w.socket.SOL_SOCKET, w.socket.SO_RCVBUF, 65536)
s.sendall(w.get_req("/bytes/%d?progress=1" % n, "GET", ["Connection: close"]))
rd = w.Reader(s)
while rd.total < 1 << 20:
    if not rd.fill():
        break
time.sleep(3)
sent = 0
for ln in open(sys.argv[1]):
    m = re.match(r"progress sent=(\d+)", ln)
    if m:
        sent = max(sent, int(m.group(1)))
h = w.hashlib.sha256()
got = 0
r = rd
# drain the rest, hashing the body after the head
data = bytes(rd.buf); rd.buf.clear()
head_end = data.find(b"\r\n\r\n") + 4
h.update(data[head_end:]); got = len(data) - head_end
while True:
    d = s.recv(1 << 20)
    if not d:
        break
    h.update(d); got += len(d)
print("origin-sent-during-stall-MB %d" % (sent >> 20))
print("body", got, "sha-ok" if h.hexdigest() == w.data_sha(n) else "sha-bad")
EOF
)
# (what the origin had written while the client read 1 MB)
wk_below "$out" origin-sent-during-stall-MB 96 \
    "download back-pressure: origin held back while the client stalls"
wk_like "$out" "body 268435456 sha-ok" "download after a stall: body intact"

# Back-pressure, upload: the origin does not read for 3 s.
out=$(wk_py <<'EOF'
import wkclient as w, threading, time
n = 104857600
s = w.connect(timeout=60)
s.setsockopt(w.socket.SOL_SOCKET, w.socket.SO_SNDBUF, 65536)
s.sendall(w.get_req("/stall/3000", "POST", ["Content-Length: %d" % n,
                                            "Connection: close"]))
big = (b"".join(w.hashlib.sha256(i.to_bytes(4, "big")).digest()
                for i in range(2048)) * 16)
sent = [0]
def pump():
    left = n
    while left > 0:
        k = min(left, len(big))
        s.sendall(big[:k])
        left -= k
        sent[0] += k
t = threading.Thread(target=pump, daemon=True)
t.start()
time.sleep(2)
print("client-sent-during-stall-MB %d" % (sent[0] >> 20))
t.join(60)
r = w.read_response(w.Reader(s))
print(r.status, r.body.decode().strip() == "%d %s" % (n, w.data_sha(n)))
EOF
)
# (what the client could write while the origin did not read)
wk_below "$out" client-sent-during-stall-MB 64 \
    "upload back-pressure: client held back while the origin stalls"
wk_like "$out" '^200 True' "upload after a stall: body intact"

# A bulk response body is read in large pieces: the read size starts at
# 64 KiB and doubles (to 1 MiB) while reads fill it, so wicket's read calls
# per MiB (/proc/PID/io syscr, every read-like call of the process) stay
# well below what 64 KiB reads need (8.2 with them, 1.2 with 1 MiB ones;
# a 64 KiB room can take more when evbuffer offers its chain's rest). The
# client waits a moment
# before reading, so the origin's bytes back up and every read has plenty.
head -c $((64 << 20)) /dev/urandom >"$WK_T/bulk64.bin"
out=$(wk_py "$WK_PID" "$WK_T/bulk64.bin" <<'EOF'
import wkclient as w, hashlib, socket, sys, threading, time
pid, path = int(sys.argv[1]), sys.argv[2]
size = 64 << 20
want = hashlib.sha256(open(path, "rb").read()).hexdigest()
def reads():
    for line in open("/proc/%d/io" % pid):
        if line.startswith("syscr:"):
            return int(line.split()[1])
def grown():
    return w.status_num(w.status_page(), "body reads grown by")
def poll(cond):
    deadline = time.monotonic() + 10
    v = grown()
    while not cond(v) and time.monotonic() < deadline:
        time.sleep(0.1)
        v = grown()
    return v
srv = socket.create_server(("127.0.0.1", 0))
def serve():
    c, _ = srv.accept()
    c.recv(65536)
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size)
    with open(path, "rb") as f:
        c.sendfile(f)
    c.close()
threading.Thread(target=serve, daemon=True).start()
s = w.connect(timeout=60)
r0 = reads()
s.sendall(b"GET http://127.0.0.1:%d/bulk HTTP/1.1\r\nHost: x\r\n"
          b"Connection: close\r\n\r\n" % srv.getsockname()[1])
# the client reads nothing yet: the session's reads have grown meanwhile
print("grown-while-held", poll(lambda v: v > 0))
r = w.read_response(w.Reader(s))
r1 = reads()
print(r.status, len(r.body), "intact" if hashlib.sha256(r.body).hexdigest() == want else "corrupt")
print("reads-per-MiB %.1f" % ((r1 - r0) / 64.0))
s.close()
print("grown-after", poll(lambda v: v == 0))
EOF
)
wk_like "$out" "^200 $((64 << 20)) intact" "bulk response: 64 MiB arrive intact"
wk_below "$out" reads-per-MiB 4 \
    "bulk response: read in pieces of far more than 64 KiB"
wk_like "$out" "^grown-while-held [1-9][0-9]{5,}" \
    "bulk response: the status page counts its grown reads"
wk_like "$out" "^grown-after 0" \
    "bulk response: the grown reads are given back when it ends"

# The grown reads have a budget per worker (32 MiB): 100 clients that hold
# bulk responses unread would grow theirs by ~94 MiB in all without it, so
# they reach at least half of one worker's budget and no more than all.
head -c $((8 << 20)) /dev/urandom >"$WK_T/bulk8.bin"
out=$(wk_py "$WK_T/bulk8.bin" <<'EOF'
import wkclient as w, socket, sys, threading, time
path, n = sys.argv[1], 100
def status():
    b = w.status_page()
    return (w.status_num(b, "body reads grown by"), w.status_num(b, "workers"))
srv = socket.create_server(("127.0.0.1", 0), backlog=n)
held = []
def serve(c):
    try:
        c.recv(65536)
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (8 << 20))
        with open(path, "rb") as f:
            c.sendfile(f)
    except OSError:
        pass
def accept():
    for _ in range(n):
        c, _ = srv.accept()
        held.append(c)
        threading.Thread(target=serve, args=(c,), daemon=True).start()
threading.Thread(target=accept, daemon=True).start()
clients = []
for _ in range(n):
    s = w.connect(timeout=30)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    s.sendall(b"GET http://127.0.0.1:%d/b HTTP/1.1\r\nHost: x\r\n\r\n" % srv.getsockname()[1])
    clients.append(s)
# wait until the total stops rising (bounded)
last, same, workers = -1, 0, 1
deadline = time.monotonic() + 20
while same < 10 and time.monotonic() < deadline:
    time.sleep(0.1)
    v, workers = status()
    same = same + 1 if v == last else 0
    last = v
print("grown-MiB %.1f" % (last / 1048576.0))
print("budget-MiB %d" % (32 * workers))
print("over-budget", 1 if last > 32 * workers * 1048576 else 0)
# connections from one client CPU all go to one worker (the listener's
# steering), so the clients may fill one worker's budget or several
print("near-budget", 1 if last > 16 * 1048576 else 0)
for s in clients:
    s.close()
EOF
)
wk_diag "$(printf '%s\n' "$out" | grep -E '^(grown|budget)-MiB' | tr '\n' ' ')"
wk_like "$out" "^near-budget 1" \
    "100 held bulk responses: their reads grow up toward the budget"
wk_like "$out" "^over-budget 0" \
    "100 held bulk responses: the grown reads stay within the workers' budget"

wk_done
