#!/usr/bin/python3
# tests/integration/servers/tls_origin.py: HTTPS test origin for the TLS
# integration tests.
#
# Stdlib only. Every endpoint of origin.py (--mode http), served over TLS:
# this imports origin.py and hands each accepted socket, once its TLS
# handshake is done, to origin.py's own request loop (/bytes/N, /echo/...,
# keep-alive, HEAD, /conn-id, /chunked/N, /upload, ...). Listens on --host
# (127.0.0.1) on a kernel-chosen port and writes the port to --port-file
# (atomically, by rename) once it accepts connections.
#
#   --cert F --key F         the server's certificate (chain) and key
#   --tls-min 1.2|1.3        lowest TLS version accepted (default 1.2)
#   --tls-max 1.2|1.3        highest TLS version accepted (default 1.3)
#   --alpn P[,P...]          protocols offered for ALPN (default: no ALPN)
#   --raw-echo               no TLS at all: a TCP echo server like
#                            origin.py --mode raw (echoes, then "bye LEN
#                            SHA256\n" after the client's FIN); no cert needed
#   --log F                  one line per event, for the tests to grep:
#     conn=N sni=NAME            the SNI the client sent ("-": none), from the
#                                context's sni_callback, during the handshake
#     conn=N tls version=V cipher=C alpn=P sni=NAME reused=yes|no   handshake done
#     conn=N tls handshake failed: REASON
#     conn=N req=M METHOD TARGET body=FRAMING:LEN     (origin.py's request log)
import argparse
import os
import socket
import ssl
import sys
import threading

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import origin  # noqa: E402

VERSIONS = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}


def next_cid():
    with origin.conn_lock:
        origin.conn_counter[0] += 1
        return origin.conn_counter[0]


def make_context(a):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    ctx.minimum_version = VERSIONS[a.tls_min]
    ctx.maximum_version = VERSIONS[a.tls_max]
    if a.alpn:
        ctx.set_alpn_protocols(a.alpn.split(","))

    def sni(sslobj, name, _ctx):
        # sslobj is the SSLSocket being handshaken; it carries its conn id.
        sslobj.wk_sni = name
        origin.log("conn=%s sni=%s" % (getattr(sslobj, "wk_cid", "?"),
                                       name or "-"))
        return None
    ctx.sni_callback = sni
    return ctx


def tls_thread(ctx, sock):
    cid = next_cid()
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(15)
        try:
            tsock = ctx.wrap_socket(sock, server_side=True,
                                    do_handshake_on_connect=False)
            tsock.wk_cid = cid
            tsock.do_handshake()
        except (ssl.SSLError, OSError, ValueError) as e:
            origin.log("conn=%d tls handshake failed: %s" % (cid, e))
            return
        sock = tsock
        sock.settimeout(None)
        origin.log("conn=%d tls version=%s cipher=%s alpn=%s sni=%s "
                   "reused=%s" % (
                       cid, sock.version(), sock.cipher()[0],
                       sock.selected_alpn_protocol() or "-",
                       getattr(sock, "wk_sni", None) or "-",
                       "yes" if sock.session_reused else "no"))
        origin.serve_http(sock, cid)
    except (origin.Closed, OSError, ValueError) as e:
        origin.log("conn=%d closed: %s" % (cid, e))
    finally:
        try:
            sock.close()
        except OSError:
            pass


def raw_thread(sock):
    cid = next_cid()
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        origin.serve_raw(sock, cid)
    except (origin.Closed, OSError, ValueError) as e:
        origin.log("conn=%d closed: %s" % (cid, e))
    finally:
        try:
            sock.close()
        except OSError:
            pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--tls-min", choices=sorted(VERSIONS), default="1.2")
    ap.add_argument("--tls-max", choices=sorted(VERSIONS), default="1.3")
    ap.add_argument("--alpn")
    ap.add_argument("--raw-echo", action="store_true")
    ap.add_argument("--log")
    a = ap.parse_args()
    origin.log_file = a.log
    ctx = None
    if not a.raw_echo:
        if not a.cert:
            ap.error("--cert is required (or --raw-echo)")
        if not a.key:
            a.key = a.cert[:-4] + ".key" if a.cert.endswith(".pem") else a.cert
        ctx = make_context(a)
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
        if ctx is None:
            t = threading.Thread(target=raw_thread, args=(s,), daemon=True)
        else:
            t = threading.Thread(target=tls_thread, args=(ctx, s),
                                 daemon=True)
        t.start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
