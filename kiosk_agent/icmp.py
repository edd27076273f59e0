"""ICMP echo with unprivileged ICMP sockets (``SOCK_DGRAM``/``IPPROTO_ICMP``).

Linux allows them to the groups in ``net.ipv4.ping_group_range`` (and macOS to everyone);
the kernel writes the echo identifier and checksum and hands back only this socket's
replies. Where the OS refuses such a socket (Windows, or a group outside the range) the
probe says so: a ping that could not be sent is never evidence of isolation.
"""

from __future__ import annotations

import errno
import os
import select
import socket
import time
from dataclasses import dataclass

from kiosk_agent import probes, udp

REPLY = "echo reply"
NOT_PERMITTED = "not permitted"
_NO_SOCKET = {
    errno.EACCES,
    errno.EPERM,
    errno.EPROTONOSUPPORT,
    errno.ESOCKTNOSUPPORT,
    errno.EAFNOSUPPORT,
    errno.EINVAL,
    10022,  # WSAEINVAL
    10043,  # WSAEPROTONOSUPPORT
    10044,  # WSAESOCKTNOSUPPORT
    10047,  # WSAEAFNOSUPPORT
}


@dataclass
class EchoOutcome:
    """What one echo request saw."""

    outcome: str
    detail: str
    elapsed: float


def open_socket(v6: bool) -> socket.socket:
    """An unprivileged ICMP socket; ``OSError`` when the OS does not allow one."""
    if v6:
        return socket.socket(socket.AF_INET6, socket.SOCK_DGRAM, socket.IPPROTO_ICMPV6)
    return socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)


def echo(host: str, timeout: float) -> EchoOutcome:
    """Send one echo request to ``host`` and wait for the reply or an ICMP error."""
    start = time.monotonic()
    v6 = ":" in host
    try:
        sock = open_socket(v6)
    except OSError as exc:
        code = getattr(exc, "winerror", None) or exc.errno
        if code in _NO_SOCKET or isinstance(exc, PermissionError):
            why = "this OS or user may not open an unprivileged ICMP socket"
            if os.name == "posix":
                why += " (see net.ipv4.ping_group_range)"
            return EchoOutcome(NOT_PERMITTED, f"{why}: {exc.strerror or exc}", 0.0)
        raise
    payload = os.urandom(16)
    request = bytes([128 if v6 else 8, 0, 0, 0, 0, 0, 0, 1]) + payload
    try:
        sock.setblocking(False)
        udp.recv_errors(sock, socket.AF_INET6 if v6 else socket.AF_INET)
        # Connected, so the kernel reports "host unreachable" to this socket as an error.
        sock.connect((host, 0))
        sock.send(request)
        while True:
            left = timeout - (time.monotonic() - start)
            if left <= 0:
                return EchoOutcome(probes.TIMEOUT, f"no reply within {timeout:g} s", timeout)
            readable, _w, _x = select.select([sock], [], [], min(left, 0.05))
            if not readable:
                continue
            data = sock.recv(2048)
            if data[:1] == bytes([129 if v6 else 0]) and data[8:] == payload:
                took = time.monotonic() - start
                return EchoOutcome(REPLY, f"echo reply in {took * 1000:.0f} ms", took)
    except OSError as exc:
        outcome = probes.classify_error(exc)
        return EchoOutcome(outcome, str(exc.strerror or exc), time.monotonic() - start)
    finally:
        sock.close()
