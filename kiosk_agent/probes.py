"""Network probes that report exactly what was seen, never more.

Each probe classifies the socket-level outcome (connected, refused, timed out,
unreachable...) so the checks can tell evidence of isolation from a probe that failed.
"""

from __future__ import annotations

import errno
import http.client
import os
import select
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

CONNECTED = "connected"
REFUSED = "refused"
TIMEOUT = "timed out"
UNREACHABLE = "unreachable"
BLOCKED_LOCALLY = "blocked locally"
NO_NAME = "name did not resolve"
ERROR = "error"

# errno and Windows socket error codes; Python maps only some of them to subclasses.
_UNREACHABLE = {errno.EHOSTUNREACH, errno.ENETUNREACH, 10051, 10065}
_REFUSED = {errno.ECONNREFUSED, 10061}
_TIMEOUT = {errno.ETIMEDOUT, 10060}
_LOCAL_BLOCK = {errno.EACCES, errno.EPERM, 10013}
_IN_PROGRESS = {errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY, 10035}


def classify_error(exc: BaseException) -> str:
    """Map a connect error to one of the outcome words above."""
    if isinstance(exc, socket.gaierror):
        return NO_NAME
    if isinstance(exc, ConnectionRefusedError):
        return REFUSED
    if isinstance(exc, TimeoutError):
        return TIMEOUT
    code = getattr(exc, "winerror", None) or getattr(exc, "errno", None)
    for outcome, codes in (
        (REFUSED, _REFUSED),
        (TIMEOUT, _TIMEOUT),
        (UNREACHABLE, _UNREACHABLE),
        (BLOCKED_LOCALLY, _LOCAL_BLOCK),
    ):
        if code in codes:
            return outcome
    return ERROR


@dataclass
class ConnectOutcome:
    """Result of one TCP connect attempt."""

    outcome: str
    detail: str
    elapsed: float


def tcp_connect(host: str, port: int, timeout: float) -> ConnectOutcome:
    """Try one TCP handshake and close at once; never sends application data.

    A non-blocking connect polled in short slices: an ICMP unreachable that arrives while
    the kernel holds the socket is kept only as a "soft" error and TCP would retry for
    seconds, so each slice also reads SO_ERROR, which reports it.
    """
    start = time.monotonic()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setblocking(False)
    try:
        code = sock.connect_ex((host, port))
        while code in _IN_PROGRESS:
            left = timeout - (time.monotonic() - start)
            if left <= 0:
                return ConnectOutcome(TIMEOUT, f"no answer within {timeout:g} s", timeout)
            # Windows reports a failed connect in the exception set, POSIX as writable.
            _r, writable, failed = select.select([], [sock], [sock], min(left, 0.05))
            soft = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if writable or failed or soft:
                code = soft
        elapsed = time.monotonic() - start
        if code == 0:
            local = sock.getsockname()[0]
            return ConnectOutcome(CONNECTED, f"handshake completed from {local}", elapsed)
        error = OSError(code, os.strerror(code))
        return ConnectOutcome(classify_error(error), error.strerror, elapsed)
    except OSError as exc:
        return ConnectOutcome(
            classify_error(exc), str(exc.strerror or exc), time.monotonic() - start
        )
    finally:
        sock.close()


@dataclass
class Resolution:
    """Addresses a name resolved to, or why it did not."""

    addresses: list[str]
    nxdomain: bool = False
    error: str = ""


_NXDOMAIN = {getattr(socket, n) for n in ("EAI_NONAME", "EAI_NODATA") if hasattr(socket, n)}
_NXDOMAIN |= {11001, 11004}  # WSAHOST_NOT_FOUND, WSANO_DATA


def resolve(name: str, timeout: float) -> Resolution:
    """Resolve with the system resolver; getaddrinfo has no timeout, so run it in a daemon
    thread and give up waiting (the thread cannot be cancelled but will not block exit)."""
    box: list[Resolution] = []

    def work() -> None:
        try:
            infos = socket.getaddrinfo(name, None, proto=socket.IPPROTO_TCP)
            box.append(Resolution(sorted({str(info[4][0]) for info in infos})))
        except socket.gaierror as exc:
            nx = exc.errno in _NXDOMAIN
            box.append(Resolution([], nxdomain=nx, error=str(exc.strerror or exc)))
        except (OSError, UnicodeError) as exc:
            box.append(Resolution([], error=str(exc)))

    thread = threading.Thread(target=work, daemon=True, name=f"resolve {name}")
    thread.start()
    thread.join(timeout)
    if not box:
        return Resolution([], error=f"no answer within {timeout:g} s")
    return box[0]


@dataclass
class HttpAnswer:
    """What a connectivity-check URL answered, before any interpretation."""

    status: int
    body: bytes
    location: str
    date: float | None
    sent_at: float
    received_at: float


def http_get(url: str, timeout: float, ca_file: str = "") -> HttpAnswer:
    """GET ``url`` once: no redirects followed, caches bypassed, at most 4 KiB read."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "https":
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            host, parts.port, timeout=timeout, context=tls_context(ca_file)
        )
    else:
        conn = http.client.HTTPConnection(host, parts.port, timeout=timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = {
        "Cache-Control": "no-cache, no-store, max-age=0",
        "Pragma": "no-cache",
        "User-Agent": "kiosk-agent",
        "Connection": "close",
    }
    sent_at = time.time()
    try:
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        body = resp.read(4096)
        received_at = time.time()
        date = resp.getheader("Date")
        try:
            when = parsedate_to_datetime(date).timestamp() if date else None
        except (TypeError, ValueError):
            when = None
        location = resp.getheader("Location") or ""
        return HttpAnswer(resp.status, body, location, when, sent_at, received_at)
    finally:
        conn.close()


class CaFileError(ValueError):
    """``internet.ca_file`` cannot be loaded: a configuration problem on this PC, not a
    finding about the network (it must not read as "no connection")."""


def tls_context(ca_file: str = "") -> ssl.SSLContext:
    """A verifying context: system trust store, or only ``ca_file`` when configured."""
    try:
        return ssl.create_default_context(cafile=ca_file or None)
    except (OSError, ssl.SSLError) as exc:  # SSLError: a file that holds no certificate
        if not ca_file:
            raise
        why = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or exc
        raise CaFileError(f"internet.ca_file {ca_file!r} cannot be loaded: {why}") from None


def tls_handshake(host: str, port: int, timeout: float, ca_file: str = "") -> str:
    """Complete a verified TLS handshake; return the peer certificate's subject CN."""
    ctx = tls_context(ca_file)
    with (
        socket.create_connection((host, port), timeout=timeout) as raw,
        ctx.wrap_socket(raw, server_hostname=host) as tls,
    ):
        cert = tls.getpeercert() or {}
        subject = dict(pair[0] for pair in cert.get("subject", ()))
        return f"{tls.version()}, certificate for {subject.get('commonName', host)!r} verified"
