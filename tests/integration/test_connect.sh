#!/bin/bash
# test_connect.sh: CONNECT tunnels and Upgrade through absolute-form
# requests: full duplex, half-close in both directions.
. "$(dirname "$0")/lib.sh"
wk_require_wicket

wk_origin_start http
wk_origin_start raw
wk_proxy_start_or_bail
WK_FD_BASE=$(wk_fd_count)

# curl --proxytunnel to the HTTP origin
out=$(wk_curl -p -o "$WK_T/tun.bin" -w '%{http_code}' "$(wk_url /bytes/2000000)")
wk_is "$out" 200 "curl --proxytunnel: status 200 through the tunnel"
wk_is "$(sha256sum <"$WK_T/tun.bin" | cut -d' ' -f1)" "$(wk_data_sha 2000000)" \
    "curl --proxytunnel: body sha256 matches"
out=$(wk_curl -p -w '%{num_connects}\n' "$(wk_url /conn-id)" "$(wk_url /conn-id)")
wk_like "$(printf '%s' "$out" | tr '\n' ' ')" '^([0-9]+) 1 \1 0$' \
    "curl --proxytunnel: two requests through one tunnel"

# Raw CONNECT, echo, then the client half-closes: the server's final
# message must still arrive.
out=$(wk_py <<'EOF'
import wkclient as w
s = w.connect()
s.sendall(b"CONNECT 127.0.0.1:%d HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n"
          % (w.RAW_PORT, w.RAW_PORT))
rd = w.Reader(s)
r = w.read_response(rd, "CONNECT")
print("status", r.status)
s.sendall(b"hello\n")
while b"hello\n" not in rd.buf:
    if not rd.fill():
        break
print("echo", bytes(rd.buf).decode().strip())
rd.buf.clear()
s.shutdown(w.socket.SHUT_WR)
rest = rd.until_eof()
print("final", rest.decode().strip())
EOF
)
wk_like "$out" '^status 200' "CONNECT to the raw server: 200"
wk_like "$out" 'echo hello' "CONNECT: bytes relayed both ways"
wk_like "$out" "final bye 6 $(printf 'hello\n' | sha256sum | cut -d' ' -f1)" \
    "CONNECT: client half-close passed on, server's last bytes delivered"
wk_log_wait 'half-close received after 6 bytes' 3 "$WK_RAW_LOG"
wk_is "$?" 0 "CONNECT: server saw the half-close"

# Bytes sent right behind the CONNECT head (before the 200) are tunnelled.
out=$(wk_py <<'EOF'
import wkclient as w
s = w.connect(timeout=10)
s.sendall(b"CONNECT 127.0.0.1:%d HTTP/1.1\r\nHost: x\r\n\r\nearly-bytes\n"
          % w.RAW_PORT)
rd = w.Reader(s)
r = w.read_response(rd, "CONNECT")
s.shutdown(w.socket.SHUT_WR)
rest = rd.until_eof()
print(r.status, rest.decode().split("\n")[0], rest.count(b"bye 12 "))
EOF
)
wk_is "$out" "200 early-bytes 1" "bytes sent with the CONNECT head are tunnelled after the 200"

# Server half-closes first; the client keeps sending.
out=$(wk_py <<'EOF'
import wkclient as w, time
s = w.connect()
s.sendall(b"CONNECT 127.0.0.1:%d HTTP/1.1\r\nHost: x\r\n\r\n" % w.RAW_PORT)
rd = w.Reader(s)
r = w.read_response(rd, "CONNECT")
s.sendall(b"SHUTWR\n")
got = rd.until_eof()
print("got", got.decode().strip())
time.sleep(0.2)
try:
    s.sendall(b"still-talking\n")
    print("sent-after-eof")
except OSError as e:
    print("send failed", e)
time.sleep(0.3)
s.shutdown(w.socket.SHUT_WR)
EOF
)
wk_like "$out" 'got ok' "CONNECT: server half-close reaches the client as EOF"
wk_log_wait 'after-shutwr 14 still-talking' 5 "$WK_RAW_LOG"
wk_is "$?" 0 "CONNECT: client bytes after the server's half-close still delivered"

# Full duplex, 20 MB each way at the same time.
out=$(wk_py <<'EOF'
import wkclient as w, threading, hashlib
s = w.connect(timeout=60)
s.sendall(b"CONNECT 127.0.0.1:%d HTTP/1.1\r\nHost: x\r\n\r\n" % w.RAW_PORT)
rd = w.Reader(s)
r = w.read_response(rd, "CONNECT")
n = 20 << 20
block = bytes(range(256)) * 4096
def pump():
    left = n
    while left:
        k = min(left, len(block))
        s.sendall(block[:k])
        left -= k
    s.shutdown(w.socket.SHUT_WR)
t = threading.Thread(target=pump, daemon=True)
t.start()
data = rd.until_eof()
h = hashlib.sha256(data[:n])
tail = data[n:]
want = hashlib.sha256(block * 20).hexdigest()
print("echo-ok" if h.hexdigest() == want else "echo-bad")
print(tail.decode().strip() == "bye %d %s" % (n, want))
EOF
)
wk_like "$out" 'echo-ok' "CONNECT: 20 MB echoed full duplex, sha256 matches"
wk_like "$out" 'True' "CONNECT: server counted every byte"

# Errors
port=$(wk_free_port)
out=$(timeout 5 curl -sS -p -x "http://127.0.0.1:$WK_PROXY_PORT" --max-time 5 \
    -o /dev/null -w '%{http_connect}' "http://127.0.0.1:$port/" 2>/dev/null)
wk_is "$out" 502 "CONNECT to a closed port: 502"

out=$(wk_py <<'EOF'
import wkclient as w
s = w.connect(timeout=5)
s.sendall(b"CONNECT 127.0.0.1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
r = w.read_response(w.Reader(s), "CONNECT")
print(r.status)
EOF
)
wk_is "$out" 400 "CONNECT without a port: 400"

# Upgrade (WebSocket handshake) through an absolute-form request
out=$(wk_py <<'EOF'
import wkclient as w, base64, hashlib
s = w.connect()
key = base64.b64encode(b"0123456789abcdef").decode()
s.sendall(w.get_req("/ws", "GET", [
    "Connection: Upgrade", "Upgrade: websocket",
    "Sec-WebSocket-Key: " + key, "Sec-WebSocket-Version: 13"]))
rd = w.Reader(s)
r = w.read_response(rd)
acc = base64.b64encode(hashlib.sha1(
    (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
print("status", r.status, (r.header("Upgrade") or "").lower(),
      "accept-ok" if r.header("Sec-WebSocket-Accept") == acc else "accept-bad")
payload = bytes(range(256)) * 40
s.sendall(payload)
while len(rd.buf) < len(payload):
    if not rd.fill():
        break
print("echo-ok" if bytes(rd.buf[:len(payload)]) == payload else "echo-bad")
del rd.buf[:len(payload)]
s.shutdown(w.socket.SHUT_WR)
rest = rd.until_eof()
print("final", rest.decode().strip() == "bye %d %s" % (len(payload),
                                                      w.sha(payload)))
EOF
)
wk_like "$out" '^status 101 websocket accept-ok' "Upgrade: websocket through the proxy: 101"
wk_like "$out" 'echo-ok' "Upgrade: bytes relayed both ways after 101"
wk_like "$out" 'final True' "Upgrade: half-close passed on after 101"

out=$(wk_py <<'EOF'
import wkclient as w
s = w.connect()
s.sendall(w.get_req("/echo/up", "GET", ["Connection: Upgrade",
                                        "Upgrade: websocket"]))
r = w.read_response(w.Reader(s))
print(r.status)
print(r.body.decode("latin-1"))
EOF
)
wk_like "$out" '^Upgrade: websocket' "Upgrade header forwarded when upgrading"
wk_like "$out" '^[Cc]onnection:.*[Uu]pgrade' "Connection: upgrade forwarded when upgrading"

# Bytes sent right behind the Upgrade request, before the 101.
out=$(wk_py <<'EOF'
import wkclient as w
s = w.connect(timeout=10)
s.sendall(w.get_req("/ws", "GET", ["Connection: Upgrade", "Upgrade: websocket",
                                   "Sec-WebSocket-Key: x"]) + b"eager\n")
rd = w.Reader(s)
r = w.read_response(rd)
s.shutdown(w.socket.SHUT_WR)
rest = rd.until_eof()
print(r.status, rest.decode().split("\n")[0], rest.count(b"bye 6 "))
EOF
)
wk_is "$out" "101 eager 1" "bytes sent with the Upgrade request reach the origin after the 101"

# An Upgrade the origin declines: the connection goes on as HTTP.
out=$(wk_py <<'EOF'
import wkclient as w
s = w.connect(timeout=5)
rd = w.Reader(s)
s.sendall(w.get_req("/echo/no-upgrade", "GET", ["Connection: Upgrade",
                                                "Upgrade: websocket"]))
r1 = w.read_response(rd)
s.sendall(w.get_req("/bytes/10"))
r2 = w.read_response(rd)
print(r1.status, r2.status, len(r2.body))
EOF
)
wk_is "$out" "200 200 10" "Upgrade declined by the origin (200): the connection stays HTTP"

# Back-pressure in a tunnel: the client writes but never reads; the echo
# server blocks, so the client must be held back too.
out=$(wk_py <<'EOF'
import wkclient as w, threading, time
s = w.connect(timeout=30)
s.setsockopt(w.socket.SOL_SOCKET, w.socket.SO_RCVBUF, 65536)
s.setsockopt(w.socket.SOL_SOCKET, w.socket.SO_SNDBUF, 65536)
s.sendall(b"CONNECT 127.0.0.1:%d HTTP/1.1\r\nHost: x\r\n\r\n" % w.RAW_PORT)
rd = w.Reader(s)
r = w.read_response(rd, "CONNECT")
sent = [0]
block = b"b" * 65536
def pump():
    try:
        while sent[0] < 200 << 20:
            s.sendall(block)
            sent[0] += len(block)
    except OSError:
        pass
t = threading.Thread(target=pump, daemon=True)
t.start()
time.sleep(2.5)
print("sent-MB %d" % (sent[0] >> 20))
EOF
)
# (what the client wrote into a tunnel it does not read from)
wk_below "$out" sent-MB 100 \
    "tunnel back-pressure: a client that does not read is held back"

# A client that stops reading a download: the relay waits for it to drain.
# The origin here sends from a file with sendfile(2), as nginx does, so its
# socket stays readable all along; a relay that kept polling it while its
# buffer toward the client is full would spin (the splice relay of before
# did, its pipe full by slots short of its bytes). wicket's CPU time while
# the client reads nothing for 2 s must stay far below a whole core.
truncate -s 256M "$WK_T/sparse.bin"
out=$(wk_py "$WK_PID" "$WK_T/sparse.bin" <<'EOF'
import wkclient as w, os, socket, sys, threading, time
pid, path = int(sys.argv[1]), sys.argv[2]
def cpu():
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
srv = socket.create_server(("127.0.0.1", 0))
def serve():
    c, _ = srv.accept()
    try:
        with open(path, "rb") as f:
            c.sendfile(f)
    except OSError:
        pass
threading.Thread(target=serve, daemon=True).start()
s = w.connect(timeout=30)
s.setsockopt(w.socket.SOL_SOCKET, w.socket.SO_RCVBUF, 65536)
s.sendall(b"CONNECT 127.0.0.1:%d HTTP/1.1\r\nHost: x\r\n\r\n" % srv.getsockname()[1])
rd = w.Reader(s)
r = w.read_response(rd, "CONNECT")
print("status", r.status)
time.sleep(1)
c0, t0 = cpu(), time.monotonic()
time.sleep(2)
print("cpu-share %.2f" % ((cpu() - c0) / (time.monotonic() - t0)))
s.close()
EOF
)
wk_like "$out" 'status 200' "tunnel to a sendfile origin: 200"
wk_below "$out" cpu-share 0.3 \
    "tunnel: a client that stops reading costs no CPU while it waits"

# A bulk download through a tunnel: the direction's buffer grows past its
# 64 KiB start (a read that fills it whole doubles the next one), the bytes
# arrive intact, and once the tunnel is quiet its buffers are given back
# while the tunnel stays open. The status page shows both.
head -c $((48 << 20)) /dev/urandom >"$WK_T/bulk.bin"
out=$(wk_py "$WK_T/bulk.bin" <<'EOF'
import wkclient as w, hashlib, re, socket, sys, threading, time
path = sys.argv[1]
want = hashlib.sha256(open(path, "rb").read()).hexdigest()
srv = socket.create_server(("127.0.0.1", 0))
def serve():
    c, _ = srv.accept()
    with open(path, "rb") as f:
        c.sendfile(f)
    c.settimeout(30)
    d = c.recv(100)  # quiet until the client speaks; then an echo
    c.sendall(d)
threading.Thread(target=serve, daemon=True).start()
def status():
    s = w.connect()
    s.sendall(b"GET / HTTP/1.1\r\nHost: wicket\r\nConnection: close\r\n\r\n")
    r = w.read_response(w.Reader(s))
    s.close()
    rows = dict(re.findall(rb"<tr><td>([^<]*)</td><td>([^<]*)</td></tr>", r.body))
    return int(rows[b"tunnel buffers"]), int(rows[b"largest tunnel buffer"])
s = w.connect(timeout=30)
s.sendall(b"CONNECT 127.0.0.1:%d HTTP/1.1\r\nHost: x\r\n\r\n" % srv.getsockname()[1])
rd = w.Reader(s)
r = w.read_response(rd, "CONNECT")
h, n = hashlib.sha256(), 0
b = bytes(rd.buf)
h.update(b); n += len(b)
while n < 48 << 20:
    b = s.recv(1 << 20)
    if not b:
        break
    h.update(b); n += len(b)
print("got", n, "intact" if h.hexdigest() == want else "corrupt")
held, largest = status()
print("largest", largest)
deadline = time.monotonic() + 15
while held > 0 and time.monotonic() < deadline:
    time.sleep(0.2)
    held, _ = status()
print("held-after-quiet", held)
s.sendall(b"ping")  # the tunnel works on with new buffers
print("echo", s.recv(100).decode())
s.close()
EOF
)
wk_like "$out" "got $((48 << 20)) intact" "bulk tunnel download: 48 MiB arrive intact"
largest=$(printf '%s\n' "$out" | sed -n 's/^largest //p')
wk_diag "largest tunnel buffer after a bulk download: ${largest:-?} bytes"
if [ -n "$largest" ] && [ "$largest" -ge $((1 << 20)) ]; then
	wk_pass "bulk tunnel: the relay's buffer grew to 1 MiB or more"
else
	wk_fail "bulk tunnel: the relay's buffer grew to 1 MiB or more" "$out"
fi
wk_like "$out" "held-after-quiet 0" "quiet tunnel: its buffers are given back while it stays open"
wk_like "$out" "echo ping" "quiet tunnel: bytes flow both ways again after that"

# No descriptors left behind by the tunnels above (the pool may keep an
# upstream connection or two).
i=0
while [ "$(wk_fd_count)" -gt $((WK_FD_BASE + 2)) ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
now=$(wk_fd_count)
if [ "$now" -le $((WK_FD_BASE + 2)) ]; then
	wk_pass "tunnels closed: descriptors back to the baseline ($now)"
else
	wk_fail "tunnels closed: descriptors back to the baseline" \
	    "baseline $WK_FD_BASE, now $now" "$(ls -l /proc/$WK_PID/fd | tail -n 20)"
fi

wk_done
