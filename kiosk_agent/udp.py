"""UDP probes: one well-formed, harmless request per service, and what came back.

UDP has no handshake, so a port is only proven open by an answer: each service gets the
smallest request its servers answer (a DNS query for the root, an NTP client request, an
SNMP get of sysDescr, a NetBIOS node status). The socket is connected, so the kernel hands
over only datagrams from the probed address, and reports an ICMP "port unreachable" as a
refusal and "host unreachable" as unreachability.
"""

from __future__ import annotations

import errno
import os
import select
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass

from kiosk_agent import probes

ANSWERED = "answered"

# The services a probe exists for, by name and by well-known port.
SERVICES = {"dns": 53, "ntp": 123, "netbios": 137, "snmp": 161, "syslog": 514}
PORTS = {port: name for name, port in SERVICES.items()}
_RESET = {errno.ECONNRESET, 10054}  # Windows reports "port unreachable" as a reset


@dataclass
class UdpOutcome:
    """What one UDP exchange saw: an outcome word, the answer (if any) and timing."""

    outcome: str
    detail: str
    elapsed: float
    answer: bytes = b""
    local: str = ""


def exchange(host: str, port: int, payload: bytes, timeout: float) -> UdpOutcome:
    """Send ``payload`` once and wait up to ``timeout`` for the first datagram back."""
    start = time.monotonic()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.setblocking(False)
    local = ""
    try:
        recv_errors(sock, family)
        sock.connect((host, port))
        local = str(sock.getsockname()[0])
        sock.send(payload)
        while True:
            left = timeout - (time.monotonic() - start)
            if left <= 0:
                return UdpOutcome(
                    probes.TIMEOUT, f"no answer within {timeout:g} s", timeout, b"", local
                )
            readable, _w, _x = select.select([sock], [], [], min(left, 0.05))
            if readable:
                data = sock.recv(4096)
                return UdpOutcome(
                    ANSWERED, f"{len(data)} bytes", time.monotonic() - start, data, local
                )
    except OSError as exc:
        elapsed = time.monotonic() - start
        code = getattr(exc, "winerror", None) or exc.errno
        if code in _RESET:
            return UdpOutcome(probes.REFUSED, "port unreachable", elapsed, b"", local)
        outcome = probes.classify_error(exc)
        text = "port unreachable" if outcome == probes.REFUSED else str(exc.strerror or exc)
        return UdpOutcome(outcome, text, elapsed, b"", local)
    finally:
        sock.close()


def recv_errors(sock: socket.socket, family: int) -> None:
    """Ask Linux for every ICMP error on this socket: by default a datagram socket hears
    only "port unreachable", and "net/host unreachable" would look like silence."""
    if not hasattr(socket, "AF_NETLINK"):  # not Linux: the OS reports what it reports
        return
    if family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, getattr(socket, "IPV6_RECVERR", 25), 1)
    else:
        sock.setsockopt(socket.IPPROTO_IP, getattr(socket, "IP_RECVERR", 11), 1)


# -- requests and their answers ---------------------------------------------------------


def dns_request() -> tuple[bytes, Callable[[bytes], str]]:
    """A query for the root's NS records: every resolver and authoritative server answers."""
    ident = os.urandom(2)
    packet = ident + struct.pack("!HHHHH", 0x0100, 1, 0, 0, 0) + b"\x00" + struct.pack("!HH", 2, 1)

    def read(data: bytes) -> str:
        if len(data) < 12 or data[:2] != ident or not data[2] & 0x80:
            return f"{len(data)} bytes that are not an answer to the query"
        rcode = data[3] & 0x0F
        answers = struct.unpack_from("!H", data, 6)[0]
        names = {0: "NOERROR", 2: "SERVFAIL", 3: "NXDOMAIN", 5: "REFUSED"}
        return f"DNS answer ({names.get(rcode, f'rcode {rcode}')}, {answers} records)"

    return packet, read


def ntp_request() -> tuple[bytes, Callable[[bytes], str]]:
    """An NTPv4 client request; a server copies our transmit time into its origin field."""
    stamp = os.urandom(8)
    packet = b"\x23" + bytes(39) + stamp

    def read(data: bytes) -> str:
        if len(data) >= 48 and data[0] & 0x07 == 4 and data[24:32] == stamp:
            return f"NTP server answer (stratum {data[1]})"
        return f"{len(data)} bytes that are not an NTP server answer"

    return packet, read


def snmp_request(community: str) -> tuple[bytes, Callable[[bytes], str]]:
    """An SNMPv2c get of sysDescr.0 (1.3.6.1.2.1.1.1.0); agents stay silent on a wrong
    community, so the configured one decides what this probe can see."""
    request_id = int.from_bytes(os.urandom(3), "big")
    oid = _tlv(0x06, bytes([0x2B, 6, 1, 2, 1, 1, 1, 0]))
    binding = _tlv(0x30, _tlv(0x30, oid + b"\x05\x00"))
    pdu = _tlv(0xA0, _int(request_id) + _int(0) + _int(0) + binding)
    packet = _tlv(0x30, _int(1) + _tlv(0x04, community.encode()) + pdu)

    def read(data: bytes) -> str:
        try:
            _tag, body, _rest = _read_tlv(data)
            _version, body = _read_tlv(body)[1:]
            _community, body = _read_tlv(body)[1:]
            tag, pdu_body, _rest = _read_tlv(body)
        except ValueError:
            return f"{len(data)} bytes that are not an SNMP message"
        if tag != 0xA2:
            return f"an SNMP message of type {tag:#x}"
        text = ""
        try:
            rid, rest = _read_tlv(pdu_body)[1:]
            # request id, error status, error index, then the bindings
            for _ in range(2):
                rest = _read_tlv(rest)[2]
            bindings = _read_tlv(rest)[1]
            binding_body = _read_tlv(bindings)[1]
            value_tag, value, _ = _read_tlv(_read_tlv(binding_body)[2])
            if int.from_bytes(rid, "big") == request_id and value_tag == 0x04:
                text = value.decode("utf-8", "replace")[:80]
        except ValueError:
            pass
        return f"SNMP agent answer (sysDescr {text!r})" if text else "SNMP agent answer"

    return packet, read


def netbios_request() -> tuple[bytes, Callable[[bytes], str]]:
    """A NetBIOS node status request for the wildcard name ``*`` (what ``nbtstat -A`` sends)."""
    ident = os.urandom(2)
    raw = b"*" + bytes(15)
    encoded = bytes(c for b in raw for c in (0x41 + (b >> 4), 0x41 + (b & 0x0F)))
    packet = ident + struct.pack("!HHHHH", 0, 1, 0, 0, 0) + b"\x20" + encoded + b"\x00"
    packet += struct.pack("!HH", 0x21, 1)

    def read(data: bytes) -> str:
        if len(data) < 12 or data[:2] != ident or not data[2] & 0x80:
            return f"{len(data)} bytes that are not a NetBIOS answer"
        if len(data) >= 57 + 15 and data[56]:
            name = data[57 : 57 + 15].decode("ascii", "replace").strip()
            return f"NetBIOS node status answer (name {name!r})"
        return "NetBIOS node status answer"

    return packet, read


def syslog_request(host: str) -> tuple[bytes, Callable[[bytes], str]]:
    """One debug-level RFC 5424 message that says where it came from: harmless, and if it
    arrives, the municipal log shows which kiosk reached it. Syslog never answers."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    text = f"<191>1 {stamp} {host or '-'} kiosk-agent - probe - isolation probe from a kiosk"
    return text.encode("ascii", "replace"), lambda data: f"{len(data)} bytes"


# -- a minimal BER codec for the SNMP request ---------------------------------------------


def _tlv(tag: int, body: bytes) -> bytes:
    n = len(body)
    if n < 0x80:
        return bytes([tag, n]) + body
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + body


def _int(value: int) -> bytes:
    return _tlv(0x02, value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big", signed=True))


def _read_tlv(data: bytes) -> tuple[int, bytes, bytes]:
    """(tag, value, rest) of the first element; ValueError when it is cut short."""
    if len(data) < 2:
        raise ValueError("short")
    tag, n, offset = data[0], data[1], 2
    if n & 0x80:
        width = n & 0x7F
        if not 0 < width <= 4 or len(data) < 2 + width:
            raise ValueError("bad length")
        n, offset = int.from_bytes(data[2 : 2 + width], "big"), 2 + width
    if len(data) < offset + n:
        raise ValueError("short")
    return tag, data[offset : offset + n], data[offset + n :]
