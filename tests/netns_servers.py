"""Tiny servers the kiosk tests run inside a network namespace via ``ip netns exec``.

``http``/``https`` answer every GET with a fixed status, body and optional Location (the
connectivity check or a captive portal); ``tcp`` accepts and closes on each port (a
municipal service or an interceptor); ``udp`` answers DNS, NTP, SNMP and NetBIOS like
the municipal servers (DNS also as the lab's resolver); ``ra`` sends IPv6 router
advertisements for a prefix; ``vpn`` runs one end of the lab's VPN (tests/netns_vpn.py).
Each prints ``ready`` once listening.
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


class _Server6(_Server):
    """Dual stack: ``--bind ::`` accepts IPv4 and IPv6."""

    address_family = socket.AF_INET6

    def server_bind(self) -> None:
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


def serve_tcp(args: argparse.Namespace) -> None:
    kind = _Server6 if ":" in args.bind else _Server
    servers = [kind((args.bind, port), _Accept) for port in args.ports]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print("ready", flush=True)
    threading.Event().wait()


def serve_udp(args: argparse.Namespace) -> None:
    from netns_udp import answer_forever

    names = dict(item.split("=", 1) for item in args.name)
    ports = {"dns": args.dns, "ntp": args.ntp, "snmp": args.snmp, "netbios": args.netbios}
    # One socket per address, as real servers do: a reply from a wildcard socket would
    # leave from whatever address the route picks, and a connected client drops it.
    for service, port in ports.items():
        for address in args.bind:
            if not port:
                continue
            sock = socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET,
                                 socket.SOCK_DGRAM)  # fmt: skip
            sock.bind((address, port))
            threading.Thread(
                target=answer_forever, args=(sock, service, names, args.community), daemon=True
            ).start()
    print("ready", flush=True)
    threading.Event().wait()


def serve_ra(args: argparse.Namespace) -> None:
    from netns_udp import advertise_forever

    print("ready", flush=True)
    advertise_forever(args.dev, args.prefix, args.interval)


def serve_vpn(args: argparse.Namespace) -> None:
    from netns_vpn import tunnel_forever

    tunnel_forever(args.dev, args.local, args.peer, lambda: print("ready", flush=True))


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
    udp = sub.add_parser("udp")
    udp.add_argument("--bind", action="append", required=True, help="an address to serve on")
    udp.add_argument("--dns", type=int, default=0)
    udp.add_argument("--ntp", type=int, default=0)
    udp.add_argument("--snmp", type=int, default=0)
    udp.add_argument("--netbios", type=int, default=0)
    udp.add_argument("--community", default="public")
    udp.add_argument("--name", action="append", default=[], help="NAME=ADDRESS for DNS")
    ra = sub.add_parser("ra")
    ra.add_argument("--dev", required=True)
    ra.add_argument("--prefix", required=True)
    ra.add_argument("--interval", type=float, default=1.0)
    vpn = sub.add_parser("vpn")
    vpn.add_argument("--dev", required=True, help="the tun device to create")
    vpn.add_argument("--local", required=True, help="ADDRESS:PORT of this end's UDP socket")
    vpn.add_argument("--peer", required=True, help="ADDRESS:PORT of the other end")
    args = parser.parse_args()
    socket.setdefaulttimeout(10)
    modes = {"http": serve_http, "tcp": serve_tcp, "udp": serve_udp, "ra": serve_ra,
             "vpn": serve_vpn}  # fmt: skip
    modes[args.mode](args)


if __name__ == "__main__":
    sys.exit(main())
