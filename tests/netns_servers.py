"""Tiny servers the kiosk tests run inside a network namespace via ``ip netns exec``.

``http``/``https`` answer every GET with a fixed status, body and optional Location (the
connectivity check or a captive portal); ``tcp`` accepts and closes on each port (a
municipal service or an interceptor). Each prints ``ready`` once listening.
"""

from __future__ import annotations

import argparse
import socket
import socketserver
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def serve_http(args: argparse.Namespace) -> None:
    body = args.body.encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self.send_response(args.status)
            if args.location:
                self.send_header("Location", args.location)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer((args.bind, args.port), Handler)
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print("ready", flush=True)
    server.serve_forever()


class _Accept(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.close()


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def serve_tcp(args: argparse.Namespace) -> None:
    servers = [_Server((args.bind, port), _Accept) for port in args.ports]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print("ready", flush=True)
    threading.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="mode", required=True)
    http = sub.add_parser("http")
    http.add_argument("--bind", default="0.0.0.0")
    http.add_argument("--port", type=int, default=80)
    http.add_argument("--status", type=int, default=204)
    http.add_argument("--body", default="")
    http.add_argument("--location", default="")
    http.add_argument("--cert", default="")
    http.add_argument("--key", default="")
    tcp = sub.add_parser("tcp")
    tcp.add_argument("--bind", default="0.0.0.0")
    tcp.add_argument("ports", type=int, nargs="+")
    args = parser.parse_args()
    socket.setdefaulttimeout(10)
    serve_http(args) if args.mode == "http" else serve_tcp(args)


if __name__ == "__main__":
    sys.exit(main())
