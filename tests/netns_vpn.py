"""The lab's VPN: a point-to-point tun adapter whose packets travel as UDP datagrams over
the site network to a peer, the way WireGuard and OpenVPN carry them (without the crypto).

The staff laptop's end and the municipal end each run one; the laptop's adapter is a real
kernel tun device, so the agent sees what it sees on a PC with a VPN client: an adapter
named like one, up while the client runs, and routes to the municipal ranges through it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import socket
import struct

_TUNSETIFF = 0x400454CA
_IFF_TUN, _IFF_NO_PI = 0x0001, 0x1000


def _address(text: str) -> tuple[str, int]:
    host, _sep, port = text.rpartition(":")
    return host, int(port)


def open_tun(dev: str) -> int:
    """Create (or attach to) the tun device ``dev``; it lives while the descriptor is open."""
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, _TUNSETIFF, struct.pack("16sH", dev.encode(), _IFF_TUN | _IFF_NO_PI))
    return fd


def tunnel_forever(dev: str, local: str, peer: str, ready: object) -> None:
    """Carry IP packets between the tun device and the peer's UDP endpoint."""
    fd = open_tun(dev)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(_address(local))
    far = _address(peer)
    ready()
    while True:
        readable, _w, _x = select.select([fd, sock], [], [])
        if fd in readable:
            packet = os.read(fd, 65535)
            # The peer may be unreachable (the VPN's far end is gone): the packet is lost,
            # as it would be on the internet.
            with contextlib.suppress(OSError):
                sock.sendto(packet, far)
        if sock in readable:
            data, source = sock.recvfrom(65535)
            if source == far:  # like a VPN, only the configured peer's packets come in
                with contextlib.suppress(OSError):  # the adapter is down
                    os.write(fd, data)
