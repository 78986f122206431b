#!/usr/bin/python3
# tests/integration/servers/origin.py: test origin for the integration suite.
#
# Stdlib only, one thread per connection. Listens on 127.0.0.1 (or ::1) port
# 0 and writes the port to --port-file once it accepts connections.
#
#   --mode http   an HTTP/1.1 origin whose behaviour is chosen by the path:
#     /bytes/N          N bytes of deterministic data, Content-Length,
#                       X-Body-Sha256 of those bytes; ?progress=1 logs
#                       "progress sent=BYTES" after each MiB written
#     /chunked/N        the same bytes, chunked in several chunk sizes;
#                       ?trailer=1 adds trailers (X-Trailer-Sha256, X-Trailer-Len),
#                       ?ext=1 adds chunk extensions
#     /close/N          the same bytes, close-delimited (no length, closes)
#     /slow/MS          waits MS ms before the response head
#     /drip?n=N&ms=MS   Content-Length N, then one byte every MS ms
#     /early            answers 200 before reading the request body, half-closes,
#                       then drains what the client still sends (no RST)
#     /reset-mid        head + 100000 of 10000000 bytes, then RST (SO_LINGER 0)
#     /echo[/...]       body = the request head exactly as received; headers
#                       X-Body-Sha256, X-Body-Length, X-Body-Framing,
#                       X-Req-Trailers, X-Saw-Expect, X-Conn-Id, X-Req-Count.
#                       Expect: 100-continue is answered with 100 Continue.
#                       Any path not listed here behaves like /echo.
#     /upload           reads the body, answers "LENGTH SHA256\n"
#     /stall/MS         reads the head, waits MS ms before reading the body,
#                       then answers like /upload (upload back-pressure)
#     /status/CODE      that status; 204 without body, 304 with a
#                       Content-Length but no body, others a short body
#     /head             Content-Length 1000; the body only for GET
#     /hop              response carrying hop-by-hop headers
#     /early-hints      103 Early Hints, then 200
#     /ws               Upgrade: websocket -> 101, then a raw echo (see raw mode)
#     /conn-id          body "ID\n": the id of this TCP connection;
#                       ?close=1 answers with Connection: close and closes
#     /close-after?ms=M like /conn-id, keep-alive, but closes the idle
#                       connection M ms after answering (no Connection: close)
#     /http10           answers "HTTP/1.0 200 OK" with a length, then closes;
#                       ?nolength=1: close-delimited
#     /bad-response/K   a broken response, then close: K is cl-te, two-cl,
#                       status, garbage, bad-chunk, bare-lf, short, huge-head
#     /liar/CODE        CODE (200 for HEAD, 204, 304) with "Content-Length: 9"
#                       and 9 body bytes anyway, that look like a response
#     HEAD on any of these sends the head only.
#
#   --mode raw    a TCP echo server for CONNECT tests. Echoes everything; after
#     the client's FIN it sends "bye LENGTH SHA256\n" (what it received) and
#     closes. If a connection starts with "SHUTWR\n", it answers "ok\n",
#     shuts down its write side and logs what still arrives ("after-shutwr").
#
# --log FILE appends one line per request (or raw event) for the tests to grep.
import argparse
import hashlib
import os
import socket
import sys
import threading
import time
import urllib.parse
import base64

BLOCK = b"".join(hashlib.sha256(i.to_bytes(4, "big")).digest()
                 for i in range(2048))  # 64 KiB
BIG = BLOCK * 16  # 1 MiB, for fast sends
CHUNK_SIZES = [1, 2, 3, 10, 100, 1000, 4095, 4096, 65536, 100000, 7]

log_lock = threading.Lock()
log_file = None
conn_counter = [0]
conn_lock = threading.Lock()
sha_cache = {}


def log(msg):
    if log_file is None:
        return
    with log_lock:
        with open(log_file, "a") as f:
            f.write(msg + "\n")


def data_iter(n):
    """Yields memoryviews of the first n deterministic bytes."""
    mv = memoryview(BIG)
    while n > 0:
        k = min(n, len(BIG))
        yield mv[:k]
        n -= k


def data_sha(n):
    if n not in sha_cache:
        h = hashlib.sha256()
        for part in data_iter(n):
            h.update(part)
        sha_cache[n] = h.hexdigest()
    return sha_cache[n]


def data_bytes(n, off=0):
    """n deterministic bytes starting at offset off (small n only)."""
    out = bytearray()
    while len(out) < n:
        p = (off + len(out)) % len(BLOCK)
        out += BLOCK[p:p + (n - len(out))]
    return bytes(out)


class Closed(Exception):
    pass


class Conn:
    """A socket with a read buffer."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()
        self.eof = False

    def fill(self):
        if self.eof:
            return False
        d = self.sock.recv(262144)
        if not d:
            self.eof = True
            return False
        self.buf += d
        return True

    def read_until(self, sep, limit=1 << 20):
        while True:
            i = self.buf.find(sep)
            if i >= 0:
                out = bytes(self.buf[:i + len(sep)])
                del self.buf[:i + len(sep)]
                return out
            if len(self.buf) > limit:
                raise Closed("line too long")
            if not self.fill():
                raise Closed("eof")

    def read_exact_into(self, n, h):
        """Reads n bytes into hash h; returns the count."""
        got = 0
        if self.buf:
            k = min(n, len(self.buf))
            h.update(self.buf[:k])
            del self.buf[:k]
            got += k
        while got < n:
            d = self.sock.recv(min(262144, n - got))
            if not d:
                raise Closed("eof in body")
            h.update(d)
            got += len(d)
        return got

    def send(self, data):
        self.sock.sendall(data)


class Request:
    pass


def parse_head(raw):
    text = raw.decode("latin-1")
    lines = text.split("\r\n") if "\r\n" in text else text.split("\n")
    req = Request()
    req.raw = raw
    parts = lines[0].split(" ")
    if len(parts) != 3:
        raise Closed("bad request line %r" % lines[0])
    req.method, req.target, req.version = parts
    req.headers = []
    for ln in lines[1:]:
        if not ln:
            continue
        if ":" not in ln:
            raise Closed("bad header %r" % ln)
        k, v = ln.split(":", 1)
        req.headers.append((k.strip(), v.strip()))
    u = urllib.parse.urlsplit(req.target)
    req.path = u.path
    req.query = dict(urllib.parse.parse_qsl(u.query))
    req.query_raw = u.query
    return req


def hget(req, name):
    name = name.lower()
    vals = [v for k, v in req.headers if k.lower() == name]
    return ", ".join(vals) if vals else None


def read_body(conn, req):
    """Reads the request body; returns (framing, length, sha256 hex, trailers)."""
    h = hashlib.sha256()
    te = hget(req, "transfer-encoding")
    cl = hget(req, "content-length")
    trailers = []
    if te and "chunked" in te.lower():
        total = 0
        while True:
            line = conn.read_until(b"\n", 4096)
            size = int(line.split(b";")[0].strip(), 16)
            if size == 0:
                break
            total += conn.read_exact_into(size, h)
            crlf = conn.read_until(b"\n", 8)
            if crlf.strip():
                raise Closed("bad chunk end")
        while True:
            line = conn.read_until(b"\n", 65536)
            if line in (b"\r\n", b"\n"):
                break
            trailers.append(line.decode("latin-1").strip())
        return "chunked", total, h.hexdigest(), trailers
    if cl is not None:
        n = int(cl.split(",")[0])
        conn.read_exact_into(n, h)
        return "length", n, h.hexdigest(), trailers
    return "none", 0, h.hexdigest(), trailers


def wants_close(req):
    c = (hget(req, "connection") or "").lower()
    if "close" in c:
        return True
    if req.version == "HTTP/1.0" and "keep-alive" not in c:
        return True
    return False


def respond(conn, req, status, headers, body=b"", reason=None):
    reasons = {100: "Continue", 101: "Switching Protocols", 103: "Early Hints",
               200: "OK", 204: "No Content", 304: "Not Modified",
               400: "Bad Request", 404: "Not Found", 426: "Upgrade Required",
               500: "Internal Server Error"}
    r = reason or reasons.get(status, "Status")
    close = wants_close(req)
    out = ["HTTP/1.1 %d %s" % (status, r)]
    out += ["%s: %s" % kv for kv in headers]
    if close:
        out.append("Connection: close")
    head = ("\r\n".join(out) + "\r\n\r\n").encode("latin-1")
    if req.method == "HEAD":
        conn.send(head)
    else:
        conn.send(head + body)
    return not close


def send_data_cl(conn, req, n, extra=()):
    hdr = [("Content-Type", "application/octet-stream"),
           ("Content-Length", str(n)), ("X-Body-Sha256", data_sha(n))]
    hdr += list(extra)
    keep = respond(conn, req, 200, hdr)
    progress = req.query.get("progress") == "1"
    sent = 0
    if req.method != "HEAD":
        for part in data_iter(n):
            conn.send(part)
            sent += len(part)
            if progress:
                log("progress sent=%d" % sent)
    return keep


def send_chunked(conn, req, n):
    trailer = req.query.get("trailer") == "1"
    ext = req.query.get("ext") == "1"
    hdr = [("Content-Type", "application/octet-stream"),
           ("Transfer-Encoding", "chunked"), ("X-Body-Sha256", data_sha(n))]
    if trailer:
        hdr.append(("Trailer", "X-Trailer-Sha256, X-Trailer-Len"))
    keep = respond(conn, req, 200, hdr)
    if req.method == "HEAD":
        return keep
    off = 0
    i = 0
    out = bytearray()
    while off < n:
        k = min(CHUNK_SIZES[i % len(CHUNK_SIZES)], n - off)
        e = (";ext%d=v" % i) if ext and i % 3 == 0 else ""
        out += b"%x%s\r\n" % (k, e.encode())
        mv = memoryview(BIG)
        p = off % len(BIG)
        if p + k <= len(BIG):
            out += mv[p:p + k]
        else:
            out += data_bytes(k, off)
        out += b"\r\n"
        off += k
        i += 1
        if len(out) > 262144:
            conn.send(out)
            out = bytearray()
    out += b"0\r\n"
    if trailer:
        out += b"X-Trailer-Sha256: %s\r\nX-Trailer-Len: %d\r\n" % (
            data_sha(n).encode(), n)
    out += b"\r\n"
    conn.send(out)
    return keep


def raw_echo(conn, tag):
    """Echoes until the peer's FIN, then "bye LEN SHA\n" and close."""
    h = hashlib.sha256()
    total = 0
    if conn.buf:
        d = bytes(conn.buf)
        conn.buf.clear()
        h.update(d)
        total += len(d)
        conn.send(d)
    while True:
        d = conn.sock.recv(262144)
        if not d:
            break
        h.update(d)
        total += len(d)
        conn.send(d)
    log("%s half-close received after %d bytes" % (tag, total))
    conn.send(b"bye %d %s\n" % (total, h.hexdigest().encode()))
    try:
        conn.sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def handle_ws(conn, req, cid):
    up = (hget(req, "upgrade") or "").lower()
    co = (hget(req, "connection") or "").lower()
    if "websocket" not in up or "upgrade" not in co:
        respond(conn, req, 426, [("Content-Length", "11")], b"no upgrade\n")
        return False
    key = hget(req, "sec-websocket-key") or ""
    acc = base64.b64encode(hashlib.sha1(
        (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
    conn.send(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
              b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + acc +
              b"\r\n\r\n")
    raw_echo(conn, "conn=%d ws" % cid)
    return False


def handle_request(conn, req, cid, nreq):
    """Answers one request; returns True to keep the connection."""
    p = req.path
    seg = p.split("/")
    first = seg[1] if len(seg) > 1 else ""
    arg = seg[2] if len(seg) > 2 else ""
    expect = hget(req, "expect")

    if first == "set-cookie":
        # /set-cookie?c=NAME%3DVALUE%3B+attrs&c=...: one Set-Cookie per c
        import urllib.parse as up
        cs = [v for k, v in up.parse_qsl(req.query_raw) if k == "c"]
        hdrs = [("Set-Cookie", c) for c in cs] + [("Content-Length", "3")]
        return respond(conn, req, 200, hdrs, b"ok\n")
    if first == "cookies":
        # what the request's Cookie fields said, one per line
        body = "".join("%s\n" % v for k, v in req.headers if k.lower() == "cookie").encode()
        return respond(conn, req, 200, [("Content-Length", str(len(body)))], body)
    if first == "early":
        body = b"early\n"
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n"
                  b"Connection: close\r\n\r\n%s" % (len(body), body))
        conn.sock.shutdown(socket.SHUT_WR)
        conn.sock.settimeout(10)
        try:
            while conn.sock.recv(262144):
                pass
        except OSError:
            pass
        return False
    if first == "stall":
        time.sleep(int(arg or "1000") / 1000.0)
    if first == "ws":
        return handle_ws(conn, req, cid)

    sent100 = False
    if expect and expect.lower() == "100-continue":
        conn.send(b"HTTP/1.1 100 Continue\r\nX-Origin-Interim: 1\r\n\r\n")
        sent100 = True
    framing, blen, bsha, trailers = read_body(conn, req)
    log("conn=%d req=%d %s %s body=%s:%d" % (cid, nreq, req.method, req.target,
                                              framing, blen))

    if first == "bytes":
        return send_data_cl(conn, req, int(arg))
    if first == "chunked":
        return send_chunked(conn, req, int(arg))
    if first == "close":
        n = int(arg)
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream"
                  b"\r\nX-Body-Sha256: %s\r\nConnection: close\r\n\r\n" %
                  data_sha(n).encode())
        if req.method != "HEAD":
            for part in data_iter(n):
                conn.send(part)
        return False
    if first == "slow":
        time.sleep(int(arg or "1000") / 1000.0)
        return respond(conn, req, 200, [("Content-Length", "5")], b"slow\n")
    if first == "drip":
        n = int(req.query.get("n", "10"))
        ms = int(req.query.get("ms", "100"))
        keep = respond(conn, req, 200, [("Content-Length", str(n)),
                                        ("X-Body-Sha256", data_sha(n))])
        if req.method != "HEAD":
            d = data_bytes(n)
            for i in range(n):
                conn.send(d[i:i + 1])
                time.sleep(ms / 1000.0)
        return keep
    if first == "reset-mid":
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 10000000\r\n\r\n")
        conn.send(data_bytes(100000))
        time.sleep(0.2)
        conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                             b"\x01\x00\x00\x00\x00\x00\x00\x00")
        conn.sock.close()
        raise Closed("reset")
    if first in ("upload", "stall"):
        body = b"%d %s\n" % (blen, bsha.encode())
        return respond(conn, req, 200, [
            ("Content-Length", str(len(body))), ("X-Body-Sha256", bsha),
            ("X-Body-Length", str(blen)), ("X-Body-Framing", framing)], body)
    if first == "status":
        code = int(arg)
        if code == 204:
            return respond(conn, req, 204, [("X-Status", "204")])
        if code == 304:
            return respond(conn, req, 304, [("ETag", '"abc"'),
                                            ("Content-Length", "50")])
        body = b"status %d\n" % code
        return respond(conn, req, code, [("Content-Length", str(len(body)))],
                       body)
    if first == "head":
        return respond(conn, req, 200, [("Content-Length", "1000")],
                       data_bytes(1000))
    if first == "hop":
        body = b"hop\n"
        return respond(conn, req, 200, [
            ("Content-Length", str(len(body))),
            ("Connection", "X-Origin-Hop, keep-alive"),
            ("X-Origin-Hop", "secret"), ("Keep-Alive", "timeout=99"),
            ("Proxy-Connection", "keep-alive"), ("X-End", "kept")], body)
    if first == "early-hints":
        conn.send(b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload"
                  b"\r\n\r\n")
        time.sleep(0.1)
        return respond(conn, req, 200, [("Content-Length", "6")], b"final\n")
    if first == "conn-id":
        body = b"%d\n" % cid
        if req.query.get("close") == "1":
            respond(conn, req, 200, [("Content-Length", str(len(body))),
                                     ("Connection", "close")], body)
            return False
        return respond(conn, req, 200, [("Content-Length", str(len(body)))],
                       body)
    if first == "close-after":
        body = b"%d\n" % cid
        keep = respond(conn, req, 200, [("Content-Length", str(len(body)))],
                       body)
        if keep:
            time.sleep(int(req.query.get("ms", "100")) / 1000.0)
        return False
    if first == "http10":
        body = b"http10 %d\n" % cid
        if req.query.get("nolength") == "1":
            conn.send(b"HTTP/1.0 200 OK\r\n\r\n" + (
                body if req.method != "HEAD" else b""))
        else:
            conn.send(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (
                len(body), body if req.method != "HEAD" else b""))
        return False
    if first == "liar":
        # A body where none may be: after a HEAD answer or a 204/304.
        code = int(arg or "200")
        reason = {200: "OK", 204: "No Content", 304: "Not Modified"}[code]
        conn.send(b"HTTP/1.1 %d %s\r\nContent-Length: 9\r\n\r\n"
                  b"HTTP/1.1 " % (code, reason.encode()))
        return True
    if first == "bad-response":
        bad = {
            "cl-te": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "two-cl": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
                      b"Content-Length: 7\r\n\r\nabcdefg",
            "status": b"HTTP/1.1 2x0 Broken\r\nContent-Length: 2\r\n\r\nok",
            "garbage": b"this is not http\r\n\r\n",
            "bad-chunk": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                         b"\r\n5\r\nabcde\r\nzz\r\nxx\r\n0\r\n\r\n",
            "bare-lf": b"HTTP/1.1 200 OK\nContent-Length: 2\n\nok",
            "short": b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly-this",
            "huge-head": b"HTTP/1.1 200 OK\r\nX-Huge: " + b"h" * 400000 +
                         b"\r\nContent-Length: 2\r\n\r\nok",
        }[arg]
        conn.send(bad)
        time.sleep(0.2)
        return False
    # /echo and everything else
    body = req.raw
    hdr = [("Content-Type", "text/plain"),
           ("Content-Length", str(len(body))),
           ("X-Body-Sha256", bsha), ("X-Body-Length", str(blen)),
           ("X-Body-Framing", framing),
           ("X-Req-Trailers", urllib.parse.quote("|".join(trailers))),
           ("X-Saw-Expect", expect or "-"),
           ("X-Sent-100", "yes" if sent100 else "no"),
           ("X-Conn-Id", str(cid)), ("X-Req-Count", str(nreq))]
    return respond(conn, req, 200, hdr, body)


def serve_http(sock, cid):
    conn = Conn(sock)
    nreq = 0
    while True:
        try:
            raw = conn.read_until(b"\r\n\r\n", 1 << 20)
        except Closed as e:
            log("conn=%d closed: %s" % (cid, e))
            return
        nreq += 1
        req = parse_head(raw)
        if not handle_request(conn, req, cid, nreq):
            return


def serve_raw(sock, cid):
    conn = Conn(sock)
    while len(conn.buf) < 7 and b"SHUTWR\n".startswith(bytes(conn.buf)):
        if not conn.fill():
            break
    if bytes(conn.buf[:7]) == b"SHUTWR\n":
        del conn.buf[:7]
        conn.send(b"ok\n")
        sock.shutdown(socket.SHUT_WR)
        log("conn=%d shutwr sent" % cid)
        got = bytearray(conn.buf)
        while True:
            d = sock.recv(65536)
            if not d:
                break
            got += d
        log("conn=%d after-shutwr %d %s" % (cid, len(got),
                                              got.decode("latin-1").strip()))
        return
    log("conn=%d raw open" % cid)
    raw_echo(conn, "conn=%d raw" % cid)


def client_thread(sock, mode):
    with conn_lock:
        conn_counter[0] += 1
        cid = conn_counter[0]
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if mode == "raw":
            serve_raw(sock, cid)
        else:
            serve_http(sock, cid)
    except (Closed, OSError, ValueError) as e:
        log("conn=%d closed: %s" % (cid, e))
    finally:
        try:
            sock.close()
        except OSError:
            pass


def main():
    global log_file
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=("http", "raw"), default="http")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    a = ap.parse_args()
    log_file = a.log
    fam = socket.AF_INET6 if ":" in a.host else socket.AF_INET
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.host, a.port))
    ls.listen(128)
    port = ls.getsockname()[1]
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, a.port_file)
    while True:
        try:
            s, _ = ls.accept()
        except InterruptedError:
            continue
        t = threading.Thread(target=client_thread, args=(s, a.mode),
                             daemon=True)
        t.start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
