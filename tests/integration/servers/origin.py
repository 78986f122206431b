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
#     /file/NAME        the bytes of --files DIR/NAME (NAME without '/' or
#                       '..', else 404). Query: ce=VALUE sends Content-Encoding:
#                       VALUE (URL-decoded: ce=gzip,%20br), none without it;
#                       te=length (default) | chunked (several chunk sizes) |
#                       close (no length, closes); vary=1 adds Vary:
#                       Accept-Encoding; ct=TYPE the Content-Type (default
#                       application/octet-stream). Always: a strong ETag
#                       ("first 16 hex of the file's sha256"), Accept-Ranges:
#                       bytes, X-Body-Sha256 (of the whole file),
#                       X-Seen-Accept-Encoding (the request's, or "(none)").
#                       Range: bytes=A-B | A- | -N (one range) answers 206 with
#                       Content-Range (Content-Encoding still as ce says), 416
#                       if unsatisfiable; If-None-Match with the ETag: 304.
#                       Logs "conn=C file NAME status=S ae=VALUE range=R".
#     /gen/N            a deterministic compressible text body (log-like and
#                       prose lines with a line counter) of exactly N plain
#                       bytes (N may be 1 GiB and more), chunked;
#                       ?ce=gzip|deflate|identity (default identity) and
#                       &level=L (default 1): Content-Encoding and the zlib
#                       level. The stream is made of 64 KiB blocks, each
#                       deflated once per level and flushed (Z_SYNC_FLUSH), so
#                       it runs at memory speed; &live=1 compresses the whole
#                       stream with one zlib.compressobj instead (about 100
#                       MB/s). X-Plain-Length, X-Plain-Sha256 (of the decoded
#                       body, also `origin.py --gen-sha256 N`; computed before
#                       the head, about 1 s per GiB once, &sha=0 leaves it
#                       out), X-Seen-Accept-Encoding. `origin.py --gen-body
#                       N` writes the plain body to stdout. Logs "conn=C gen
#                       N ce=CE level=L live=0|1 ae=VALUE".
#     /bomb?ce=gzip&mib=M  gzip (or ce=deflate) that decodes to M MiB of
#                       zeros (default 1024), made on the fly, chunked
#     /corrupt?ce=gzip  (or deflate) a valid header and a few KiB of valid
#                       deflate data, then garbage (an invalid block type),
#                       with Content-Length; the connection then stays open
#                       (keep-alive). &hold=1: the Content-Length promises
#                       100000 more bytes that never come (the origin waits).
#                       X-Plain-Prefix-Sha256: sha256 of the valid part.
#     HEAD on any of these sends the head only.
#
#   --http10      with --mode http: an HTTP/1.0-only origin. Every response
#     starts "HTTP/1.0", has a Content-Length (chunked or close-delimited
#     bodies of /file, /gen, /bomb are buffered first: keep them small) and
#     "Connection: close", and the connection closes after it. Never sends
#     100 Continue (Expect is ignored). A request with Transfer-Encoding gets
#     411 Length Required and a close. /upload (and /stall/MS) read exactly
#     Content-Length bytes, answer "LENGTH SHA256\n" and log "upload
#     len=LENGTH sha256=HEX expect=VALUE|none". Served: /upload, /stall,
#     /file, /gen, /bomb, /corrupt, /bytes, /status, /head; anything else
#     like /echo.
#
#   --mode raw    a TCP echo server for CONNECT tests. Echoes everything; after
#     the client's FIN it sends "bye LENGTH SHA256\n" (what it received) and
#     closes. If a connection starts with "SHUTWR\n", it answers "ok\n",
#     shuts down its write side and logs what still arrives ("after-shutwr").
#
# --log FILE appends one line per request (or raw event) for the tests to grep.
# --files DIR is the directory of /file/NAME.
# origin.py --gen-sha256 N prints the sha256 of /gen/N's plain body and exits;
# origin.py --gen-body N writes that body to stdout and exits.
import argparse
import hashlib
import os
import socket
import sys
import threading
import time
import urllib.parse
import base64
import random
import struct
import zlib

BLOCK = b"".join(hashlib.sha256(i.to_bytes(4, "big")).digest()
                 for i in range(2048))  # 64 KiB
BIG = BLOCK * 16  # 1 MiB, for fast sends
CHUNK_SIZES = [1, 2, 3, 10, 100, 1000, 4095, 4096, 65536, 100000, 7]

log_lock = threading.Lock()
log_file = None
conn_counter = [0]
conn_lock = threading.Lock()
sha_cache = {}
files_dir = None
http10 = False
file_sha_cache = {}


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


# --- /gen, /bomb, /corrupt: generated text and deflate streams ---------------

GEN_BLOCK = 65536
GEN_NBLOCKS = 256     # 16 MiB of distinct text; the order below varies it
gen_lock = threading.Lock()
gen_state = {}        # "blocks": [bytes]; ("seg", level): [deflated blocks]


def gen_blocks():
    """GEN_NBLOCKS blocks of GEN_BLOCK bytes of text from a fixed seed: lines
    "NNNNNNN GET /path 200 SIZE" and prose of pseudo-words (Zipf-weighted),
    numbered by a line counter. gzip -6 makes about 5x of it, level 1 3.6x."""
    with gen_lock:
        if "blocks" in gen_state:
            return gen_state["blocks"]
        rng = random.Random(0x57494b)
        cons, vow = "bcdfghjklmnprstvwxyz", "aeiou"

        def word():
            return "".join(rng.choice(cons) + rng.choice(vow) +
                           (rng.choice(cons) if rng.random() < 0.3 else "")
                           for _ in range(rng.choice((1, 1, 2, 2, 2, 3, 3, 4))))
        vocab = list(dict.fromkeys(word() for _ in range(400)))
        weights = [1.0 / (r + 1) ** 1.1 for r in range(len(vocab))]
        pool = []
        for _ in range(300):
            ws = rng.choices(vocab, weights, k=rng.randint(5, 14))
            ws[0] = ws[0].capitalize()
            pool.append(" ".join(ws) +
                        rng.choice((".", ".", ",", ";", ":", "?", "!")))
        paths = ["/" + "/".join(rng.choices(vocab[:60], k=rng.randint(1, 3)))
                 for _ in range(64)]
        blocks = []
        ln = 0
        for _ in range(GEN_NBLOCKS):
            parts = []
            size = 0
            while size < GEN_BLOCK:
                ln += 1
                if rng.random() < 0.5:
                    t = "%07d GET %s 200 %d\n" % (ln, rng.choice(paths),
                                                  rng.randint(100, 99999))
                else:
                    t = "%07d %s\n" % (ln, rng.choice(pool))
                parts.append(t)
                size += len(t)
            blocks.append("".join(parts).encode()[:GEN_BLOCK])
        gen_state["blocks"] = blocks
        return blocks


def gen_plan(n):
    """(block index, length) of the plain body of n bytes, in order."""
    i = 0
    while n > 0:
        k = min(n, GEN_BLOCK)
        yield (i * 97 + i // GEN_NBLOCKS) % GEN_NBLOCKS, k
        n -= k
        i += 1


def gen_plain(n):
    blocks = gen_blocks()
    for b, k in gen_plan(n):
        yield blocks[b] if k == GEN_BLOCK else blocks[b][:k]


def gen_sha(n):
    h = hashlib.sha256()
    for part in gen_plain(n):
        h.update(part)
    return h.hexdigest()


def deflate_seg(data, level):
    """Raw deflate of data alone, ending in a sync flush: byte-aligned and not
    final, so such segments concatenate into one valid deflate stream."""
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)


def gen_segments(level):
    key = ("seg", level)
    with gen_lock:
        segs = gen_state.get(key)
    if segs is None:
        segs = [deflate_seg(b, level) for b in gen_blocks()]
        with gen_lock:
            gen_state[key] = segs
    return segs


GZIP_HEAD = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"
DEFLATE_END = b"\x03\x00"   # an empty final fixed-Huffman block


class Wrapper:
    """gzip (RFC 1952) or zlib (RFC 1950, "deflate") framing around raw
    deflate data; the check value is computed over the plain bytes."""

    def __init__(self, ce):
        self.ce = ce
        self.crc = 0
        self.adler = 1
        self.n = 0

    def head(self):
        return GZIP_HEAD if self.ce == "gzip" else b"\x78\x01"

    def plain(self, data):
        if self.ce == "gzip":
            self.crc = zlib.crc32(data, self.crc)
        else:
            self.adler = zlib.adler32(data, self.adler)
        self.n += len(data)

    def tail(self):
        if self.ce == "gzip":
            return struct.pack("<II", self.crc, self.n & 0xffffffff)
        return struct.pack(">I", self.adler)


def gen_encoded(n, ce, level, live):
    """The /gen/N body as parts of bytes."""
    if ce == "identity":
        yield from gen_plain(n)
        return
    if live:
        c = zlib.compressobj(level, zlib.DEFLATED, 31 if ce == "gzip" else 15)
        out = bytearray()
        for part in gen_plain(n):
            out += c.compress(part)
            if len(out) >= 262144:
                yield bytes(out)
                out = bytearray()
        out += c.flush()
        yield bytes(out)
        return
    blocks = gen_blocks()
    segs = gen_segments(level)
    w = Wrapper(ce)
    out = bytearray(w.head())
    for b, k in gen_plan(n):
        if k == GEN_BLOCK:
            w.plain(blocks[b])
            out += segs[b]
        else:
            w.plain(blocks[b][:k])
            out += deflate_seg(blocks[b][:k], level)
        if len(out) >= 262144:
            yield bytes(out)
            out = bytearray()
    out += DEFLATE_END + w.tail()
    yield bytes(out)


ZERO_MIB = bytes(1 << 20)
ZERO_SEG = {}


def bomb_encoded(mib, ce):
    """ce (gzip or deflate) data that decodes to mib MiB of zeros."""
    if "seg" not in ZERO_SEG:
        ZERO_SEG["seg"] = deflate_seg(ZERO_MIB, 9)
    seg = ZERO_SEG["seg"]
    w = Wrapper(ce)
    out = bytearray(w.head())
    for _ in range(mib):
        w.plain(ZERO_MIB)
        out += seg
        if len(out) >= 65536:
            yield bytes(out)
            out = bytearray()
    out += DEFLATE_END + w.tail()
    yield bytes(out)


def corrupt_body(ce):
    """(body, sha256 of the plain prefix that decodes before the garbage)."""
    w = Wrapper(ce)
    plain = gen_blocks()[0][:32768]
    good = w.head() + deflate_seg(plain, 6)
    # 0xff: BFINAL=1, BTYPE=11 (reserved): no decoder can take it as data
    bad = b"\xff" * 16 + bytes(random.Random(7).getrandbits(8)
                               for _ in range(4080))
    return good + bad, hashlib.sha256(plain).hexdigest()


# --- /file/NAME -----------------------------------------------------------------

def file_info(path):
    st = os.stat(path)
    key = (path, st.st_size, st.st_mtime_ns)
    if key not in file_sha_cache:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            while True:
                d = f.read(1 << 20)
                if not d:
                    break
                h.update(d)
        file_sha_cache[key] = h.hexdigest()
    return st.st_size, file_sha_cache[key]


def parse_range(value, size):
    """A single "bytes=A-B", "A-" or "-N" range: (start, end inclusive),
    "bad" if unsatisfiable, None if absent or not one we understand."""
    if not value:
        return None
    v = value.strip()
    if not v.lower().startswith("bytes=") or "," in v:
        return None
    a, sep, b = v[6:].strip().partition("-")
    if not sep:
        return None
    try:
        if a == "":
            k = int(b)
            if k <= 0:
                return "bad"
            return max(0, size - k), size - 1
        start = int(a)
        end = int(b) if b != "" else size - 1
    except ValueError:
        return None
    if start >= size or end < start:
        return "bad"
    return start, min(end, size - 1)


def file_parts(path, start, length):
    with open(path, "rb") as f:
        f.seek(start)
        while length > 0:
            d = f.read(min(length, 1 << 20))
            if not d:
                break
            length -= len(d)
            yield d


def seen_ae(req):
    ae = hget(req, "accept-encoding")
    return "(none)" if ae is None else ae


def handle_file(conn, req, cid, name):
    q = req.query
    ae = seen_ae(req)
    path = None
    if (files_dir and name and "/" not in name and ".." not in name and
            os.path.isfile(os.path.join(files_dir, name))):
        path = os.path.join(files_dir, name)
    if path is None:
        log("conn=%d file %s status=404 ae=%s range=-" % (cid, name, ae))
        body = b"no such file\n"
        return send_resp(conn, req, 404, [("X-Seen-Accept-Encoding", ae)],
                         [body], len(body))
    size, sha = file_info(path)
    etag = '"%s"' % sha[:16]
    hdr = [("Content-Type", q.get("ct", "application/octet-stream")),
           ("ETag", etag), ("Accept-Ranges", "bytes"),
           ("X-Body-Sha256", sha), ("X-Seen-Accept-Encoding", ae)]
    if "ce" in q:
        hdr.append(("Content-Encoding", q["ce"]))
    if q.get("vary") == "1":
        hdr.append(("Vary", "Accept-Encoding"))
    rng = parse_range(hget(req, "range"), size)
    inm = hget(req, "if-none-match")
    framing = {"chunked": "chunked", "close": "close"}.get(q.get("te"),
                                                          "length")
    if inm and etag in [t.strip() for t in inm.split(",")] or inm == "*":
        log("conn=%d file %s status=304 ae=%s range=-" % (cid, name, ae))
        return send_resp(conn, req, 304, hdr, [], None, "none")
    if rng == "bad":
        log("conn=%d file %s status=416 ae=%s range=%s" % (
            cid, name, ae, hget(req, "range")))
        return send_resp(conn, req, 416, hdr + [
            ("Content-Range", "bytes */%d" % size)], [], 0)
    status, start, length = 200, 0, size
    if rng:
        status, start, length = 206, rng[0], rng[1] - rng[0] + 1
        hdr.append(("Content-Range", "bytes %d-%d/%d" % (rng[0], rng[1], size)))
    log("conn=%d file %s status=%d ae=%s range=%s" % (
        cid, name, status, ae, hget(req, "range") or "-"))
    parts = file_parts(path, start, length) if req.method != "HEAD" else []
    return send_resp(conn, req, status, hdr, parts,
                     length if framing == "length" else None, framing)


def handle_gen(conn, req, cid, arg):
    q = req.query
    n = int(arg)
    ce = q.get("ce", "identity")
    level = int(q.get("level", "1"))
    live = q.get("live") == "1"
    ae = seen_ae(req)
    log("conn=%d gen %d ce=%s level=%d live=%d ae=%s" % (
        cid, n, ce, level, live, ae))
    if ce not in ("gzip", "deflate", "identity"):
        body = b"ce: gzip, deflate or identity\n"
        return send_resp(conn, req, 400, [], [body], len(body))
    hdr = [("Content-Type", "text/plain"), ("X-Plain-Length", str(n)),
           ("X-Seen-Accept-Encoding", ae)]
    if q.get("sha") != "0":
        hdr.append(("X-Plain-Sha256", gen_sha_cached(n)))
    if ce != "identity":
        hdr.append(("Content-Encoding", ce))
    parts = gen_encoded(n, ce, level, live) if req.method != "HEAD" else []
    if ce == "identity":
        return send_resp(conn, req, 200, hdr, parts, n, "chunked", False)
    return send_resp(conn, req, 200, hdr, parts, None, "chunked", False)


gen_sha_lock = threading.Lock()
gen_sha_memo = {}


def gen_sha_cached(n):
    with gen_sha_lock:
        if n not in gen_sha_memo:
            gen_sha_memo[n] = gen_sha(n)
        return gen_sha_memo[n]


def handle_bomb(conn, req, cid):
    q = req.query
    ce = q.get("ce", "gzip")
    mib = int(q.get("mib", "1024"))
    ae = seen_ae(req)
    log("conn=%d bomb mib=%d ce=%s ae=%s" % (cid, mib, ce, ae))
    if ce not in ("gzip", "deflate"):
        body = b"ce: gzip or deflate\n"
        return send_resp(conn, req, 400, [], [body], len(body))
    hdr = [("Content-Type", "application/octet-stream"),
           ("Content-Encoding", ce), ("X-Plain-Length", str(mib << 20)),
           ("X-Seen-Accept-Encoding", ae)]
    parts = bomb_encoded(mib, ce) if req.method != "HEAD" else []
    return send_resp(conn, req, 200, hdr, parts, None, "chunked", False)


def handle_corrupt(conn, req, cid):
    q = req.query
    ce = q.get("ce", "gzip")
    ae = seen_ae(req)
    hold = q.get("hold") == "1"
    log("conn=%d corrupt ce=%s hold=%d ae=%s" % (cid, ce, hold, ae))
    if ce not in ("gzip", "deflate"):
        body = b"ce: gzip or deflate\n"
        return send_resp(conn, req, 400, [], [body], len(body))
    body, psha = corrupt_body(ce)
    hdr = [("Content-Type", "text/plain"), ("Content-Encoding", ce),
           ("X-Plain-Prefix-Sha256", psha), ("X-Seen-Accept-Encoding", ae)]
    length = len(body) + (100000 if hold else 0)
    if http10:
        # the promise of a length must hold on a connection that closes
        length = len(body)
    keep = send_resp(conn, req, 200, hdr,
                     [body] if req.method != "HEAD" else [], length)
    if hold and req.method != "HEAD":
        conn.sock.settimeout(120)
        try:
            while conn.sock.recv(65536):
                pass
        except OSError:
            pass
        log("conn=%d corrupt hold ended" % cid)
        return False
    return keep


def send_resp(conn, req, status, headers, parts, length, framing="length",
              varied=True):
    """Sends a response whose body is the iterable parts. framing: "length"
    (Content-Length: length; parts are joined first if length is None),
    "chunked" (chunk sizes from CHUNK_SIZES if varied, else one chunk per
    part), "close" (no length, then close), "none" (no body: 304). With
    --http10 everything is sent with a length and "Connection: close". HEAD
    sends the head only. Returns keep-alive."""
    hdr = list(headers)
    if http10 and framing != "none":
        framing = "length"
        if length is None:
            data = b"".join(parts)
            parts, length = [data], len(data)
    elif framing == "length" and length is None:
        data = b"".join(parts)
        parts, length = [data], len(data)
    if framing == "length":
        hdr.append(("Content-Length", str(length)))
    elif framing == "chunked":
        hdr.append(("Transfer-Encoding", "chunked"))
    elif framing == "close":
        hdr.append(("Connection", "close"))
    keep = respond(conn, req, status, hdr)
    if framing == "close":
        keep = False
    if req.method == "HEAD" or framing == "none":
        return keep
    if framing == "chunked":
        i = 0
        out = bytearray()
        for part in parts:
            mv = memoryview(part)
            off = 0
            while off < len(mv):
                k = len(mv) - off
                if varied:
                    k = min(CHUNK_SIZES[i % len(CHUNK_SIZES)], k)
                out += b"%x\r\n" % k
                out += mv[off:off + k]
                out += b"\r\n"
                off += k
                i += 1
                if len(out) >= 262144:
                    conn.send(out)
                    out = bytearray()
        out += b"0\r\n\r\n"
        conn.send(out)
    else:
        for part in parts:
            conn.send(part)
    return keep


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
               200: "OK", 204: "No Content", 206: "Partial Content",
               304: "Not Modified", 400: "Bad Request", 404: "Not Found",
               411: "Length Required", 416: "Range Not Satisfiable",
               426: "Upgrade Required", 500: "Internal Server Error"}
    r = reason or reasons.get(status, "Status")
    close = wants_close(req) or http10
    has_conn = any(k.lower() == "connection" and "close" in v.lower()
                   for k, v in headers)
    close = close or has_conn
    out = ["HTTP/1.0 %d %s" % (status, r) if http10 else
           "HTTP/1.1 %d %s" % (status, r)]
    out += ["%s: %s" % kv for kv in headers]
    if close and not has_conn:
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


def drain_after_close(conn, seconds):
    try:
        conn.sock.shutdown(socket.SHUT_WR)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            conn.sock.settimeout(max(0.01, end - time.monotonic()))
            if not conn.sock.recv(262144):
                break
    except OSError:
        pass


def handle_http10(conn, req, cid, nreq):
    """--http10: one request per connection, answered as HTTP/1.0."""
    p = req.path
    seg = p.split("/")
    first = seg[1] if len(seg) > 1 else ""
    arg = seg[2] if len(seg) > 2 else ""
    expect = hget(req, "expect")
    te = hget(req, "transfer-encoding")
    if te is not None:
        log("conn=%d req=%d %s %s http10 411 te=%s expect=%s" % (
            cid, nreq, req.method, req.target, te, expect or "none"))
        body = b"length required\n"
        respond(conn, req, 411, [("Content-Length", str(len(body)))], body)
        # drain what the client still sends for a while, so that closing
        # with unread data does not reset the connection under the 411
        drain_after_close(conn, 5.0)
        return False
    if first == "stall":
        time.sleep(int(arg or "1000") / 1000.0)
    framing, blen, bsha, _ = read_body(conn, req)
    log("conn=%d req=%d %s %s body=%s:%d http10" % (
        cid, nreq, req.method, req.target, framing, blen))
    if first in ("upload", "stall"):
        log("upload len=%d sha256=%s expect=%s" % (blen, bsha,
                                                    expect or "none"))
        body = b"%d %s\n" % (blen, bsha.encode())
        respond(conn, req, 200, [
            ("Content-Length", str(len(body))), ("X-Body-Sha256", bsha),
            ("X-Body-Length", str(blen)), ("X-Body-Framing", framing)], body)
        return False
    if first == "file":
        handle_file(conn, req, cid, urllib.parse.unquote(
            p[len("/file/"):]) if p.startswith("/file/") else "")
    elif first == "gen":
        handle_gen(conn, req, cid, arg)
    elif first == "bomb":
        handle_bomb(conn, req, cid)
    elif first == "corrupt":
        handle_corrupt(conn, req, cid)
    elif first == "bytes":
        send_data_cl(conn, req, int(arg))
    elif first == "status" and int(arg) in (204, 304):
        respond(conn, req, int(arg), [("X-Status", arg)])
    elif first == "status":
        body = b"status %d\n" % int(arg)
        respond(conn, req, int(arg), [("Content-Length", str(len(body)))],
                body)
    elif first == "head":
        respond(conn, req, 200, [("Content-Length", "1000")],
                data_bytes(1000))
    else:
        body = req.raw
        respond(conn, req, 200, [
            ("Content-Type", "text/plain"), ("Content-Length", str(len(body))),
            ("X-Body-Sha256", bsha), ("X-Body-Length", str(blen)),
            ("X-Body-Framing", framing), ("X-Saw-Expect", expect or "-"),
            ("X-Sent-100", "no"), ("X-Conn-Id", str(cid)),
            ("X-Req-Count", str(nreq))], body)
    return False


def handle_request(conn, req, cid, nreq):
    """Answers one request; returns True to keep the connection."""
    if http10:
        return handle_http10(conn, req, cid, nreq)
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
    if first == "file":
        return handle_file(conn, req, cid, urllib.parse.unquote(
            p[len("/file/"):]) if p.startswith("/file/") else "")
    if first == "gen":
        return handle_gen(conn, req, cid, arg)
    if first == "bomb":
        return handle_bomb(conn, req, cid)
    if first == "corrupt":
        return handle_corrupt(conn, req, cid)
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
    global log_file, files_dir, http10
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=("http", "raw"), default="http")
    ap.add_argument("--port-file")
    ap.add_argument("--log")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--files", metavar="DIR")
    ap.add_argument("--http10", action="store_true")
    ap.add_argument("--gen-sha256", type=int, metavar="N")
    ap.add_argument("--gen-body", type=int, metavar="N")
    a = ap.parse_args()
    if a.gen_sha256 is not None:
        print(gen_sha(a.gen_sha256))
        return
    if a.gen_body is not None:
        out = sys.stdout.buffer
        for part in gen_plain(a.gen_body):
            out.write(part)
        out.flush()
        return
    if not a.port_file:
        ap.error("--port-file is required")
    log_file = a.log
    files_dir = a.files
    http10 = a.http10
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
