#!/usr/bin/python3
# tests/integration/servers/tls_front.py: a TLS front for a plain TCP
# server (here: a second wicket, to make an "https" upstream proxy): accepts
# TLS with --cert/--key on a kernel-chosen port (written to --port-file)
# and relays the decrypted bytes to 127.0.0.1:--to, both ways. Stdlib only.
import argparse
import os
import socket
import ssl
import threading

ap = argparse.ArgumentParser()
ap.add_argument("--cert", required=True)
ap.add_argument("--key", required=True)
ap.add_argument("--to", type=int, required=True)
ap.add_argument("--port-file", required=True)
ap.add_argument("--log")
a = ap.parse_args()
lock = threading.Lock()


def log(msg):
    if a.log:
        with lock, open(a.log, "a") as f:
            f.write(msg + "\n")


def pump(src, dst):
    try:
        while True:
            d = src.recv(65536)
            if not d:
                break
            dst.sendall(d)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(raw, ctx):
    try:
        tls = ctx.wrap_socket(raw, server_side=True)
    except (OSError, ssl.SSLError) as e:
        log("handshake failed: %s" % e)
        raw.close()
        return
    log("conn %s" % tls.version())
    back = socket.create_connection(("127.0.0.1", a.to), timeout=30)
    t = threading.Thread(target=pump, args=(back, tls), daemon=True)
    t.start()
    pump(tls, back)
    t.join(30)
    tls.close()
    back.close()


ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(a.cert, a.key)
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(64)
with open(a.port_file + ".tmp", "w") as f:
    f.write("%d\n" % ls.getsockname()[1])
os.rename(a.port_file + ".tmp", a.port_file)
while True:
    c, _ = ls.accept()
    threading.Thread(target=serve, args=(c, ctx), daemon=True).start()
