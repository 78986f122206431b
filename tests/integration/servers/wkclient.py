# tests/integration/servers/wkclient.py: raw-socket HTTP client helpers for
# the inline Python snippets of the integration tests (stdlib only).
#
# Environment (set by lib.sh): WK_PROXY_PORT, WK_ORIGIN_PORT, WK_RAW_PORT.
import hashlib
import os
import re
import socket
import sys
import time

PROXY_PORT = int(os.environ.get("WK_PROXY_PORT", "0") or 0)
ORIGIN_PORT = int(os.environ.get("WK_ORIGIN_PORT", "0") or 0)
RAW_PORT = int(os.environ.get("WK_RAW_PORT", "0") or 0)
ORIGIN = "127.0.0.1:%d" % ORIGIN_PORT


def url(path):
    """Absolute URL of path on the test origin."""
    return "http://%s%s" % (ORIGIN, path)


def connect(port=None, host="127.0.0.1", timeout=10.0):
    s = socket.create_connection((host, port or PROXY_PORT), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def get_req(path, method="GET", headers=(), body=b"", version="1.1"):
    """A request head (+ body) for path on the origin, absolute-form."""
    h = ["%s %s HTTP/%s" % (method, url(path), version), "Host: " + ORIGIN]
    h += list(headers)
    return ("\r\n".join(h) + "\r\n\r\n").encode("latin-1") + body


class Reader:
    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()
        self.eof = False
        self.total = 0  # bytes received on this socket

    def fill(self):
        if self.eof:
            return False
        d = self.sock.recv(262144)
        if not d:
            self.eof = True
            return False
        self.total += len(d)
        self.buf += d
        return True

    def line(self, limit=1 << 20):
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                out = bytes(self.buf[:i + 1])
                del self.buf[:i + 1]
                return out
            if len(self.buf) > limit or not self.fill():
                raise EOFError("eof before end of line")

    def exact(self, n, h=None):
        out = bytearray()
        while len(out) < n:
            if not self.buf and not self.fill():
                raise EOFError("eof in body (%d of %d)" % (len(out), n))
            k = min(n - len(out), len(self.buf))
            out += self.buf[:k]
            del self.buf[:k]
        return bytes(out)

    def until_eof(self):
        while self.fill():
            pass
        out = bytes(self.buf)
        self.buf.clear()
        return out


class Response:
    def __init__(self):
        self.status = 0
        self.version = ""
        self.headers = []
        self.trailers = []
        self.body = b""
        self.interim = []  # [(status, headers)]
        self.raw_head = b""

    def header(self, name):
        name = name.lower()
        v = [b for a, b in self.headers if a.lower() == name]
        return ", ".join(v) if v else None

    def has(self, name):
        return self.header(name) is not None

    def __repr__(self):
        return "<Response %d %r>" % (self.status, self.headers)


def read_head(r):
    raw = bytearray()
    first = r.line()
    raw += first
    headers = []
    while True:
        ln = r.line()
        raw += ln
        if ln in (b"\r\n", b"\n"):
            break
        k, _, v = ln.decode("latin-1").partition(":")
        headers.append((k.strip(), v.strip()))
    parts = first.decode("latin-1").rstrip("\r\n").split(" ", 2)
    return parts[0], int(parts[1]), headers, bytes(raw)


def read_interim(sock, r, timeout):
    """After a request head with Expect: 100-continue: waits up to timeout
    for the interim response and skips its fields. Returns its status line,
    or prints "no-interim" and ends the snippet (exit 0) when none came."""
    sock.settimeout(timeout)
    try:
        first = r.line()
    except (socket.timeout, EOFError) as e:
        print("no-interim", e)
        raise SystemExit(0)
    while r.line() not in (b"\r\n", b"\n"):
        pass
    return first.decode().strip()


def read_response(r, method="GET"):
    """Reads one response (after any 1xx) from Reader r."""
    resp = Response()
    while True:
        ver, status, headers, raw = read_head(r)
        if 100 <= status < 200 and status != 101:
            resp.interim.append((status, headers))
            continue
        break
    resp.version, resp.status, resp.headers, resp.raw_head = (ver, status,
                                                              headers, raw)
    te = (resp.header("transfer-encoding") or "").lower()
    cl = resp.header("content-length")
    if method == "HEAD" or status in (101, 204, 304) or (
            method == "CONNECT" and 200 <= status < 300):
        return resp
    if "chunked" in te:
        body = bytearray()
        while True:
            size = int(r.line().split(b";")[0].strip(), 16)
            if size == 0:
                break
            body += r.exact(size)
            if r.exact(2) != b"\r\n":
                raise ValueError("bad chunk end")
        while True:
            ln = r.line()
            if ln in (b"\r\n", b"\n"):
                break
            resp.trailers.append(ln.decode("latin-1").strip())
        resp.body = bytes(body)
    elif cl is not None:
        resp.body = r.exact(int(cl))
    else:
        resp.body = r.until_eof()
    return resp


def wait_closed(sock, timeout):
    """Waits for the peer to close. Returns ("eof"|"reset"|"timeout", data,
    seconds waited)."""
    t0 = time.monotonic()
    data = bytearray()
    sock.settimeout(0.2)
    while time.monotonic() - t0 < timeout:
        try:
            d = sock.recv(65536)
        except socket.timeout:
            continue
        except ConnectionResetError:
            return "reset", bytes(data), time.monotonic() - t0
        except OSError:
            return "reset", bytes(data), time.monotonic() - t0
        if not d:
            return "eof", bytes(data), time.monotonic() - t0
        data += d
    return "timeout", bytes(data), time.monotonic() - t0


def sha(b):
    return hashlib.sha256(b).hexdigest()


def data_sha(n):
    """sha256 of the origin's first n deterministic bytes."""
    block = b"".join(hashlib.sha256(i.to_bytes(4, "big")).digest()
                     for i in range(2048))
    h = hashlib.sha256()
    while n > 0:
        k = min(n, len(block))
        h.update(block[:k])
        n -= k
    return h.hexdigest()


def fd_count(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return -1


def status_page():
    """The proxy's own status page (an origin-form GET), as bytes."""
    c = connect()
    c.sendall(b"GET / HTTP/1.1\r\nHost: wicket\r\nConnection: close\r\n\r\n")
    b = read_response(Reader(c)).body
    c.close()
    return b


def status_num(page, label):
    """The number in the status page's row labelled label."""
    m = re.search(b"<td>" + re.escape(label.encode()) + rb"</td><td>(\d+)<", page)
    return int(m.group(1))


def check(cond, msg):
    """Prints msg to stderr and exits 1 when cond is false."""
    if not cond:
        sys.stderr.write("check failed: %s\n" % msg)
        sys.exit(1)
