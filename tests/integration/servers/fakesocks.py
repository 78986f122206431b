#!/usr/bin/python3
# tests/integration/servers/fakesocks.py: a small SOCKS4/4a/5 server for
# chaining tests. It logs each request's target as received ("REQ socks5
# name origin.test 8080", "REQ socks4 ip 127.0.0.1 8080"), can require
# RFC 1929 user/password, maps names ending in .test to 127.0.0.1, then
# relays both ways. Stdlib only.
import argparse
import socket
import threading

ap = argparse.ArgumentParser()
ap.add_argument("--port-file", required=True)
ap.add_argument("--log", required=True)
ap.add_argument("--user")
ap.add_argument("--password")
args = ap.parse_args()
lock = threading.Lock()


def log(line):
    with lock:
        with open(args.log, "a") as f:
            f.write(line + "\n")


def recv_exact(c, n):
    b = b""
    while len(b) < n:
        d = c.recv(n - len(b))
        if not d:
            raise EOFError
        b += d
    return b


def recv_until_nul(c):
    b = b""
    while True:
        d = recv_exact(c, 1)
        if d == b"\0":
            return b
        b += d


def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    try:
        b.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def resolve(host):
    return "127.0.0.1" if host.endswith(".test") else host


def handle(c):
    try:
        v = recv_exact(c, 1)[0]
        if v == 4:
            hdr = recv_exact(c, 7)
            port = int.from_bytes(hdr[1:3], "big")
            ip = socket.inet_ntoa(hdr[3:7])
            user = recv_until_nul(c)
            if hdr[3:6] == b"\0\0\0" and hdr[6] != 0:
                host = recv_until_nul(c).decode()
                log("REQ socks4a name %s %d user=%s" % (host, port, user.decode()))
            else:
                host = ip
                log("REQ socks4 ip %s %d user=%s" % (host, port, user.decode()))
            up = socket.create_connection((resolve(host), port), timeout=5)
            c.sendall(b"\0\x5a" + b"\0" * 6)
        else:
            n = recv_exact(c, 1)[0]
            methods = recv_exact(c, n)
            want = 2 if args.user else 0
            if want not in methods:
                c.sendall(b"\x05\xff")
                return
            c.sendall(bytes([5, want]))
            if want == 2:
                recv_exact(c, 1)
                u = recv_exact(c, recv_exact(c, 1)[0]).decode()
                p = recv_exact(c, recv_exact(c, 1)[0]).decode()
                ok = u == args.user and p == args.password
                log("AUTH %s %s" % (u, "ok" if ok else "bad"))
                c.sendall(b"\x01" + (b"\0" if ok else b"\1"))
                if not ok:
                    return
            req = recv_exact(c, 4)
            if req[3] == 1:
                host = socket.inet_ntoa(recv_exact(c, 4))
                kind = "ip"
            elif req[3] == 3:
                host = recv_exact(c, recv_exact(c, 1)[0]).decode()
                kind = "name"
            else:
                host = socket.inet_ntop(socket.AF_INET6, recv_exact(c, 16))
                kind = "ip6"
            port = int.from_bytes(recv_exact(c, 2), "big")
            log("REQ socks5 %s %s %d" % (kind, host, port))
            try:
                up = socket.create_connection((resolve(host), port), timeout=5)
            except OSError:
                c.sendall(b"\x05\x05\x00\x01" + b"\0" * 6)
                return
            c.sendall(b"\x05\x00\x00\x01" + b"\0" * 6)
        t = threading.Thread(target=pipe, args=(up, c), daemon=True)
        t.start()
        pipe(c, up)
        t.join()
    except (OSError, EOFError):
        pass
    finally:
        c.close()


s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(64)
with open(args.port_file + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
import os
os.rename(args.port_file + ".tmp", args.port_file)
while True:
    c, _ = s.accept()
    threading.Thread(target=handle, args=(c,), daemon=True).start()
