"""Reaching many kiosks at once: TCP connect and the SSH banner, in one thread, before any
worker thread is spent on a kiosk.

A switched-off kiosk (SYN unanswered) or a half-dead one (accepts, never speaks) would hold a
worker for a whole timeout; with 20 such kiosks and 16 workers that is two timeouts added to the
run. Waiting for them here, up to `window` at a time in one selector, makes any number of them
(up to the window) cost one timeout together, while the workers log in to the kiosks that answered.
"""

from __future__ import annotations

import errno
import queue
import selectors
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from tracker.fleet.ssh import SSHFailure, tune_socket


@dataclass
class _Pending:
    key: Any
    addrs: list[tuple]
    deadline: float
    sock: socket.socket | None = None
    connected: bool = False
    last_error: str = field(default="")


def _start(p: _Pending, sel: selectors.BaseSelector, timeout: float) -> bool:
    """Begin a non-blocking connect to the next address; False when none is left."""
    while p.addrs:
        family, type_, proto, _, addr = p.addrs.pop(0)
        sock = socket.socket(family, type_, proto)
        sock.setblocking(False)
        err = sock.connect_ex(addr)
        if err in (0, errno.EINPROGRESS, errno.EWOULDBLOCK):
            p.sock, p.connected, p.deadline = sock, False, time.monotonic() + timeout
            sel.register(sock, selectors.EVENT_WRITE, p)
            return True
        p.last_error = f"cannot connect: {errno.errorcode.get(err, err)} {_strerror(err)}"
        sock.close()
    return False


def _strerror(err: int) -> str:
    import os

    return os.strerror(err)


RESOLVERS = 16
"""Host names looked up at once: a slow or dead DNS server costs one lookup's wait, not one per
kiosk (the C library's resolver blocks, so each lookup needs a thread)."""


def _resolve_all(
    targets: Iterable[tuple[Any, str, int]], resolve: Callable[..., list], workers: int
) -> tuple[queue.SimpleQueue, int]:
    """Look every target up in daemon threads; (key, host, port, addrs, error) in a queue as
    each lookup ends. Daemon threads: a Ctrl-C must not wait for DNS."""
    todo: queue.SimpleQueue = queue.SimpleQueue()
    done: queue.SimpleQueue = queue.SimpleQueue()
    n = 0
    for target in targets:
        todo.put(target)
        n += 1

    def work() -> None:
        while True:
            try:
                key, host, port = todo.get_nowait()
            except queue.Empty:
                return
            try:
                done.put((key, host, port, resolve(host, port, type=socket.SOCK_STREAM), None))
            except OSError as e:
                done.put((key, host, port, None, e))

    for i in range(min(workers, n)):
        threading.Thread(target=work, name=f"kiosk-dns-{i}", daemon=True).start()
    return done, n


def reach(
    targets: Iterable[tuple[Any, str, int]],
    timeout: float,
    window: int = 128,
    resolve: Callable[..., list] = socket.getaddrinfo,
) -> Iterator[tuple[Any, Any]]:
    """Yield (key, socket) once a target's SSH banner is waiting, or (key, SSHFailure).

    The socket is blocking, tuned (`tune_socket`), banner unread: paramiko reads it.
    `resolve`: `socket.getaddrinfo`'s signature (tests pass a slow one)."""
    sel = selectors.DefaultSelector()
    resolved, unresolved = _resolve_all(targets, resolve, RESOLVERS)
    try:
        while True:
            while unresolved and len(sel.get_map()) < window:
                try:
                    # Block only when nothing else is in flight.
                    item = resolved.get(block=not sel.get_map())
                except queue.Empty:
                    break
                unresolved -= 1
                key, host, port, addrs, error = item
                if error is not None:
                    yield key, SSHFailure("unreachable", f"cannot resolve {host}: {error}")
                    continue
                p = _Pending(key, list(addrs), 0.0)
                if not _start(p, sel, timeout):
                    yield key, SSHFailure("unreachable", p.last_error)
            if not sel.get_map():
                if unresolved:
                    continue
                return
            now = time.monotonic()
            wait = min(k.data.deadline for k in sel.get_map().values()) - now
            if unresolved and len(sel.get_map()) < window:
                wait = min(wait, 0.02)  # look again for lookups that have ended
            for k, _ in sel.select(max(0.0, wait)):
                p = k.data
                sock = p.sock
                if not p.connected:
                    err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    sel.unregister(sock)
                    if err:
                        sock.close()
                        p.last_error = f"cannot connect: {_strerror(err)}"
                        if not _start(p, sel, timeout):
                            yield p.key, SSHFailure("unreachable", p.last_error)
                        continue
                    p.connected, p.deadline = True, time.monotonic() + timeout
                    sel.register(sock, selectors.EVENT_READ, p)
                    continue
                sel.unregister(sock)
                try:
                    first = sock.recv(1, socket.MSG_PEEK)
                except OSError as e:
                    first, p.last_error = b"", f"connection failed: {e.strerror or e}"
                if not first:
                    sock.close()
                    why = p.last_error or "connection closed before the SSH banner"
                    yield p.key, SSHFailure("unreachable", why)
                    continue
                sock.setblocking(True)
                yield p.key, tune_socket(sock)
            now = time.monotonic()
            for k in list(sel.get_map().values()):
                p = k.data
                if p.deadline <= now:
                    sel.unregister(p.sock)
                    p.sock.close()
                    phase = "SSH banner" if p.connected else "TCP answer"
                    p.last_error = f"no {phase} within {timeout:g} s"
                    if p.connected or not _start(p, sel, timeout):
                        yield p.key, SSHFailure("unreachable", p.last_error)
    finally:
        for k in list(sel.get_map().values()):
            k.data.sock.close()
        sel.close()
