#!/bin/bash
# test_socks.sh: SOCKS4, SOCKS4a and SOCKS5 on the proxy port (curl,
# proxychains4, raw sockets), user/password, UDP ASSOCIATE, IDNA names.
. "$(dirname "$0")/lib.sh"
wk_require_wicket

wk_origin_start http
wk_origin_start raw
printf 'secret\n' | "$WICKET" passwd -f "$WK_T/users" alice >/dev/null 2>&1
wk_is "$?" 0 "wicket passwd writes a users file"
wk_is "$(stat -c %a "$WK_T/users" 2>/dev/null)" 600 "the users file is mode 0600"
wk_proxy_start_or_bail "timeout header-read 2s"
P=$WK_PROXY_PORT
sha=$(wk_data_sha 200000)

for m in socks4 socks4a socks5 socks5-hostname; do
	got=$(curl -sS --max-time 20 --$m "127.0.0.1:$P" \
	    "http://127.0.0.1:$WK_ORIGIN_PORT/bytes/200000" | sha256sum | cut -d' ' -f1)
	wk_is "$got" "$sha" "curl --$m: body sha256 matches"
done
got=$(curl -sS --max-time 20 --socks5-hostname "127.0.0.1:$P" \
    "http://localhost:$WK_ORIGIN_PORT/bytes/200000" | sha256sum | cut -d' ' -f1)
wk_is "$got" "$sha" "curl --socks5-hostname with a name (localhost) resolved by wicket"

if command -v proxychains4 >/dev/null; then
	cat >"$WK_T/pc.conf" <<EOF
strict_chain
proxy_dns
tcp_read_time_out 15000
tcp_connect_time_out 8000
[ProxyList]
socks5 127.0.0.1 $P
EOF
	got=$(timeout 30 proxychains4 -q -f "$WK_T/pc.conf" curl -sS --max-time 20 \
	    "http://127.0.0.1:$WK_ORIGIN_PORT/bytes/200000" | sha256sum | cut -d' ' -f1)
	wk_is "$got" "$sha" "proxychains4 wrapping curl: body sha256 matches"
else
	wk_skip "proxychains4 wrapping curl" "proxychains4 not installed"
fi

# Raw negotiations: prints the bytes wicket answered and whether it closed.
socks_raw() {
	WK_RAW=$1 wk_py <<'EOF'
import os, socket, wkclient as w
s = w.connect(timeout=8)
data = eval(os.environ["WK_RAW"])
for part in data if isinstance(data, list) else [data]:
    s.sendall(part)
out = b""
how = "open"
try:
    while True:
        d = s.recv(4096)
        if not d:
            how = "closed"
            break
        out += d
except socket.timeout:
    pass
except OSError:
    how = "reset"
print(out.hex() or "-", how)
EOF
}
O=$WK_ORIGIN_PORT
ob=$(printf '%04x' "$O")
wk_like "$(socks_raw 'b"\x05\x00"')" '^- (closed|reset)' "SOCKS5 greeting with zero methods: closed"
wk_like "$(socks_raw 'b"\x05\x01\x00\x05\x09\x00\x01\x7f\x00\x00\x01\x00\x50"')" \
    '^050005070001000000000000 closed' "SOCKS5 unknown command: reply 0x07, closed"
wk_like "$(socks_raw 'b"\x05\x01\x00\x05\x02\x00\x01\x7f\x00\x00\x01\x00\x50"')" \
    '^050005070001000000000000 closed' "SOCKS5 BIND: reply 0x07"
wk_like "$(socks_raw 'b"\x05\x01\x00\x05\x01\x00\x02\x7f\x00"')" \
    '^050005080001000000000000 closed' "SOCKS5 unknown address type: reply 0x08"
closed=$(wk_free_port)
wk_like "$(socks_raw "b'\\x05\\x01\\x00\\x05\\x01\\x00\\x01\\x7f\\x00\\x00\\x01' + ($closed).to_bytes(2, 'big')")" \
    '^050005050001000000000000 closed' "SOCKS5 CONNECT to a closed port: reply 0x05"
wk_like "$(socks_raw "b'\\x05\\x01\\x00\\x05\\x01\\x00\\x03\\x13nonexistent.invalid\\x00\\x50'")" \
    '^050005040001000000000000 closed' "SOCKS5 CONNECT to a .invalid name: reply 0x04"
wk_like "$(socks_raw "b'\\x05\\x01\\x00\\x05\\x01\\x00\\x03\\x0fb\\xc3\\xbccher.invalid\\x00\\x50'")" \
    '^050005040001000000000000 closed' "SOCKS5 UTF-8 name: reply 0x04 (no such name)"
wk_log_wait 'xn--bcher-kva.invalid' 3 "$WK_ERRLOG"
wk_is "$?" 0 "the log shows the UTF-8 name in its A-label form"
wk_like "$(socks_raw "b'\\x04\\x01\\x00\\x50\\x7f\\x00\\x00\\x01' + b'u' * 300")" \
    '^- (closed|reset)' "SOCKS4 user id over 255 bytes: closed"
wk_like "$(socks_raw "b'\\x04\\x01' + ($closed).to_bytes(2, 'big') + b'\\x7f\\x00\\x00\\x01\\x00'")" \
    '^005b000000000000 closed' "SOCKS4 CONNECT to a closed port: 0x5B"
wk_like "$(socks_raw "[b'\\x05\\x01', b'\\x00\\x05\\x01\\x00\\x01\\x7f\\x00\\x00\\x01' + ($O).to_bytes(2, 'big') + b'GET /bytes/5 HTTP/1.0\\r\\n\\r\\n']")" \
    '^050005000001.*485454502f312e3120323030' "SOCKS5 negotiation split across writes, request sent with the CONNECT"

# A slow greeting is dropped after the header-read bound; others are served.
out=$(wk_py <<'EOF'
import socket, time, wkclient as w
s = w.connect(timeout=10)
s.sendall(b"\x05")
t0 = time.time()
other = w.connect(timeout=5)
other.sendall(b"\x05\x01\x00")
ok = other.recv(2) == b"\x05\x00"
try:
    d = s.recv(10)
    how = "closed" if d == b"" else "data"
except socket.timeout:
    how = "open"
except OSError:
    how = "closed"
print("other", ok, how, "%.1f" % (time.time() - t0))
EOF
)
wk_like "$out" '^other True closed [1-8]\.' "a stalled SOCKS greeting is closed after the header-read bound; others served meanwhile"

# The listener accepts once the first bytes are in (TCP_DEFER_ACCEPT); a
# client that stays silent past that second is accepted at its next ACK and
# its greeting, coming later, still gets an answer.
out=$(wk_py <<'EOF'
import time, wkclient as w
s = w.connect(timeout=10)
time.sleep(1.5)
s.sendall(b"\x05\x01\x00")
print("late greeting", s.recv(2).hex())
EOF
)
wk_is "$out" "late greeting 0500" "a SOCKS5 greeting sent 1.5 s after connecting is answered"

# Full duplex through a SOCKS5 tunnel to the raw echo server.
out=$(WK_RAWP=$WK_RAW_PORT wk_py <<'EOF'
import hashlib, os, threading, wkclient as w
port = int(os.environ["WK_RAWP"])
s = w.connect(timeout=60)
s.sendall(b"\x05\x01\x00")
assert s.recv(2) == b"\x05\x00"
s.sendall(b"\x05\x01\x00\x01\x7f\x00\x00\x01" + port.to_bytes(2, "big"))
rep = b""
while len(rep) < 10:
    rep += s.recv(10 - len(rep))
n = 20 << 20
block = bytes(range(256)) * 4096
sent = hashlib.sha256()
def writer():
    left = n
    while left:
        b = block[:min(left, len(block))]
        s.sendall(b)
        sent.update(b)
        left -= len(b)
    s.shutdown(w.socket.SHUT_WR)
t = threading.Thread(target=writer)
t.start()
got = hashlib.sha256()
total = 0
tail = b""
while True:
    d = s.recv(1 << 18)
    if not d:
        break
    if total + len(d) <= n:
        got.update(d)
    else:
        keep = n - total
        got.update(d[:keep])
        tail += d[keep:]
    total += len(d)
t.join()
print("rep", rep[1], "echo-ok" if got.hexdigest() == sent.hexdigest() else "echo-bad",
      tail.decode(errors="replace").strip().split(" ")[:2])
EOF
)
wk_like "$out" "^rep 0 echo-ok \\['bye', '$((20 << 20))'\\]" \
    "SOCKS5 tunnel: 20 MB echoed full duplex, half-close passed on"
wk_log_wait 'SOCKS5 127\.0\.0\.1:[0-9]+ 200 [1-9][0-9]* [1-9][0-9]* ' 5 "$WK_ACCESS"
wk_is "$?" 0 "access log: a SOCKS5 line with target, status 200 and both byte counts"

# UDP ASSOCIATE to a UDP echo server.
out=$(wk_py <<'EOF'
import socket, threading, wkclient as w
echo = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
echo.bind(("127.0.0.1", 0))
eport = echo.getsockname()[1]
def serve():
    d, a = echo.recvfrom(2048)
    echo.sendto(b"echo:" + d, a)
threading.Thread(target=serve, daemon=True).start()
s = w.connect(timeout=5)
s.sendall(b"\x05\x01\x00")
assert s.recv(2) == b"\x05\x00"
s.sendall(b"\x05\x03\x00\x01\x00\x00\x00\x00\x00\x00")
rep = b""
while len(rep) < 10:
    rep += s.recv(10 - len(rep))
bnd = (socket.inet_ntoa(rep[4:8]), int.from_bytes(rep[8:10], "big"))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(5)
u.sendto(b"\x00\x00\x00\x01\x7f\x00\x00\x01" + eport.to_bytes(2, "big") + b"ping", bnd)
d, _ = u.recvfrom(2048)
print("rep", rep[1], "hdr-ok" if d[:10] == b"\x00\x00\x00\x01\x7f\x00\x00\x01" + eport.to_bytes(2, "big") else "hdr-bad", d[10:].decode())
EOF
)
wk_like "$out" '^rep 0 hdr-ok echo:ping$' "UDP ASSOCIATE: a datagram relayed and the answer wrapped with the sender's address"

# IDNA on the HTTP side too (raw: curl refuses such URLs itself).
http_raw() {
	WK_REQ=$1 wk_py <<'EOF'
import os, wkclient as w
s = w.connect(timeout=10)
s.sendall(os.environ["WK_REQ"].encode("utf-8").replace(b"|", b"\r\n"))
r = w.read_response(w.Reader(s))
print(r.status, r.header("X-Wicket-Error") or "-", r.body.decode(errors="replace").strip())
EOF
}
out=$(http_raw 'GET http://b%C3%BCcher.invalid/ HTTP/1.1|Host: localhost|Connection: close||')
wk_like "$out" '^502 dns .*xn--bcher-kva\.invalid' "HTTP: a percent-encoded UTF-8 host is mapped to its A-label (502, named)"
out=$(http_raw 'GET http://bücher.invalid/ HTTP/1.1|Host: localhost|Connection: close||')
# raw UTF-8 is not allowed in a request-target (RFC 9112 3.2): clients
# send it percent-encoded, as above
wk_like "$out" '^400 bad-request ' "HTTP: raw UTF-8 in the request target: 400"
out=$(http_raw 'GET http://a%E2%92%88b.example/ HTTP/1.1|Host: localhost|Connection: close||')
wk_like "$out" '^400 idna ' "HTTP: a disallowed code point in the host: 400 idna"

# User/password required once a users file is configured.
wk_proxy_start_or_bail "users $WK_T/users"
A=$WK_PROXY_PORT
got=$(curl -sS --max-time 20 --socks5-hostname "127.0.0.1:$A" -U alice:secret \
    "http://127.0.0.1:$WK_ORIGIN_PORT/bytes/200000" | sha256sum | cut -d' ' -f1)
wk_is "$got" "$sha" "SOCKS5 with the right user/password"
curl -sS --max-time 20 --socks5-hostname "127.0.0.1:$A" -U alice:wrong \
    "http://127.0.0.1:$WK_ORIGIN_PORT/bytes/10" >/dev/null 2>&1
wk_is "$?" 97 "SOCKS5 with a wrong password: refused (curl exit 97)"
WK_PROXY_PORT=$A
wk_like "$(socks_raw 'b"\x05\x01\x00"')" '^05ff closed' "no-auth greeting when user/password is required: 05 FF, closed"
wk_like "$(socks_raw 'b"\x05\x01\x02\x01\x05alice\x05wrong"')" '^05020101 closed' \
    "bad credentials: status 0x01, closed"

# Access rules and pinned listeners.
SP=$(wk_free_port)
wk_proxy_start_or_bail "deny all" "listen 127.0.0.1:$SP socks"
WK_PROXY_PORT=$(sed -n 's/^listen 127.0.0.1:\([0-9]*\)$/\1/p' "$WK_CONF" | head -1)
wk_like "$(socks_raw "b'\\x05\\x01\\x00\\x05\\x01\\x00\\x01\\x7f\\x00\\x00\\x01' + ($O).to_bytes(2, 'big')")" \
    '^050005020001000000000000 closed' "SOCKS5 client denied by the access rules: reply 0x02"
WK_PROXY_PORT=$SP
wk_like "$(socks_raw 'b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"')" '^- (closed|reset)' \
    "an HTTP request on a socks-only listener: closed without an HTTP answer"
HP=$(wk_free_port)
wk_proxy_start_or_bail "listen 127.0.0.1:$HP http"
WK_PROXY_PORT=$HP
wk_like "$(socks_raw 'b"\x05\x01\x00"')" '^- (closed|reset)' "SOCKS on an http-only listener: closed"

wk_done
