"""The lab's UDP servers and IPv6 router, written from the protocols (not from the agent's
code, so a mistake in the agent's requests cannot hide behind the same mistake here).

DNS answers A queries from a name table (and the root NS query with an empty NOERROR),
NTP answers client requests, SNMP answers a v2c get of sysDescr.0 only for the right
community (a real agent stays silent otherwise), NetBIOS answers a node status request.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import struct
import time

SYS_DESCR = b"Municipal switch (lab)"
NB_NAME = b"KOMMUNE-FIL01  "


def answer_forever(
    sock: socket.socket, service: str, names: dict[str, str], community: str
) -> None:
    sock.settimeout(None)
    handler = {"dns": _dns, "ntp": _ntp, "snmp": _snmp, "netbios": _netbios}[service]
    while True:
        data, peer = sock.recvfrom(4096)
        try:
            reply = handler(data, names, community)
        except (ValueError, IndexError, struct.error):
            reply = None
        if reply:
            sock.sendto(reply, peer)


def _qname(data: bytes, offset: int) -> tuple[str, int]:
    labels = []
    while data[offset]:
        n = data[offset]
        labels.append(data[offset + 1 : offset + 1 + n].decode())
        offset += 1 + n
    return ".".join(labels), offset + 1


def _dns(data: bytes, names: dict[str, str], _community: str) -> bytes:
    name, end = _qname(data, 12)
    qtype, _qclass = struct.unpack_from("!HH", data, end)
    question = data[12 : end + 4]
    head = data[:2]
    if name in names and qtype == 1:
        rdata = socket.inet_aton(names[name])
        record = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + rdata
        return head + struct.pack("!HHHHH", 0x8180, 1, 1, 0, 0) + question + record
    rcode = 0 if (name == "" or name in names) else 3  # NXDOMAIN for unknown names
    return head + struct.pack("!HHHHH", 0x8180 | rcode, 1, 0, 0, 0) + question


def _ntp(data: bytes, _names: dict[str, str], _community: str) -> bytes | None:
    if len(data) < 48 or data[0] & 0x07 != 3:
        return None
    now = int(time.time()) + 2208988800
    stamp = struct.pack("!II", now, 0)
    # LI 0, VN 4, mode 4 (server), stratum 2; origin = the client's transmit time
    return bytes([0x24, 2, 6, 0xEC]) + bytes(8) + b"LAB\x00" + stamp + data[40:48] + stamp + stamp


def _tlv(tag: int, body: bytes) -> bytes:
    assert len(body) < 128
    return bytes([tag, len(body)]) + body


def _parse(data: bytes) -> tuple[int, bytes, bytes]:
    tag, n = data[0], data[1]
    offset = 2
    if n & 0x80:
        width = n & 0x7F
        n, offset = int.from_bytes(data[2 : 2 + width], "big"), 2 + width
    return tag, data[offset : offset + n], data[offset + n :]


def _snmp(data: bytes, _names: dict[str, str], community: str) -> bytes | None:
    _tag, message, _ = _parse(data)
    _t, version, rest = _parse(message)
    _t, got, rest = _parse(rest)
    pdu_tag, pdu, _ = _parse(rest)
    if got.decode() != community or pdu_tag != 0xA0:
        return None  # a v2c agent ignores a wrong community
    _t, request_id, rest = _parse(pdu)
    _t, _status, rest = _parse(rest)
    _t, _index, rest = _parse(rest)
    _t, bindings, _ = _parse(rest)
    _t, binding, _ = _parse(bindings)
    _t, oid, _ = _parse(binding)
    value = _tlv(0x04, SYS_DESCR) if oid == bytes([0x2B, 6, 1, 2, 1, 1, 1, 0]) else b"\x80\x00"
    varbind = _tlv(0x30, _tlv(0x30, _tlv(0x06, oid) + value))
    response = _tlv(0xA2, _tlv(0x02, request_id) + b"\x02\x01\x00\x02\x01\x00" + varbind)
    return _tlv(0x30, _tlv(0x02, version) + _tlv(0x04, got) + response)


def _netbios(data: bytes, _names: dict[str, str], _community: str) -> bytes | None:
    if len(data) < 50 or struct.unpack_from("!H", data, 46)[0] != 0x21:
        return None
    entry = NB_NAME + b"\x00" + b"\x04\x00"
    rdata = bytes([1]) + entry + bytes(46)
    head = data[:2] + struct.pack("!HHHHH", 0x8400, 0, 1, 0, 0)
    return head + data[12:46] + struct.pack("!HHIH", 0x21, 1, 0, len(rdata)) + rdata


def advertise_forever(dev: str, prefix: str, interval: float) -> None:
    """Router advertisements on ``dev`` every ``interval`` s: this router is a default
    router, and ``prefix`` (a /64) is on-link and for address autoconfiguration."""
    net = ipaddress.IPv6Network(prefix)
    sock = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, dev.encode())
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, 255)
    # type 134, code 0, checksum (the kernel fills it), hop limit 64, flags 0,
    # router lifetime 1800 s, reachable time 0, retransmit timer 0
    ra = struct.pack("!BBHBBHII", 134, 0, 0, 64, 0, 1800, 0, 0)
    # prefix information: type 3, length 4 (x8 bytes), on-link + autonomous, lifetimes
    ra += struct.pack("!BBBBIII", 3, 4, net.prefixlen, 0xC0, 86400, 14400, 0)
    ra += net.network_address.packed
    index = socket.if_nametoindex(dev)
    while True:
        # The link-local address may still be tentative: then try again next round.
        with contextlib.suppress(OSError):
            sock.sendto(ra, ("ff02::1", 0, 0, index))
        time.sleep(interval)
