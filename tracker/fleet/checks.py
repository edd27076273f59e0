"""Kiosk checks over SSH: which kiosks, running the agent on each (judged by `verdicts`).

Kiosks are the inventory's assets of a kiosk kind (`plan.kiosk_kinds()`) with a hostname. The
same function serves `tracker kiosks check`, `watch` and the terminal app's background worker:
network work runs in a bounded pool of threads, and every result is written to the database by
the thread that called, one at a time, so checks never share a connection across threads and
never collide with scans (each write is its own short `BEGIN IMMEDIATE` transaction).

Nothing from the inventory reaches a shell: the remote command is the constant `CHECK_COMMAND`,
and the kiosk's forced command (docs/kiosk-checks.md) ignores it anyway.
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from tracker import store
from tracker.database import Database
from tracker.fleet.verdicts import AGENT_VERDICTS, clean, interpret
from tracker.plan import Plan
from tracker.textsafe import one_line

AGENT_FILE = "kiosk-agent.pyz"
CONFIG_FILE = "kiosk-agent.toml"
CHECK_COMMAND = f"python3 {AGENT_FILE} check --json --config {CONFIG_FILE}"
"""Run in the login directory of the kiosk account, where `deploy` puts both files."""

DEFAULT_USER = "kioskcheck"
DEFAULT_PARALLEL = 16
CHECKED_STEPS = ("in_service", "installed", "arrived")
"""Steps `--all` checks; a kiosk packed, faulty or missing is not expected to answer."""

VERDICTS = (*AGENT_VERDICTS, "unreachable", "hostkey", "invalid")
FAILING = ("crit", "unreachable", "hostkey", "invalid")

T = TypeVar("T")
R = TypeVar("R")


class FleetError(Exception):
    """A request that cannot be carried out (unknown tag, no key ...); nothing was done."""


@dataclass(frozen=True)
class Kiosk:
    tag: str
    name: str
    hostname: str
    """As in the inventory: `host`, `host:port` or `[v6]:port`."""
    host: str
    port: int
    step: str


@dataclass
class KioskResult:
    tag: str
    host: str
    verdict: str
    checked_at: str
    detail: str
    report: dict[str, Any] | None = None
    duration_ms: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "tag": self.tag,
            "host": self.host,
            "verdict": self.verdict,
            "checked_at": self.checked_at,
            "detail": self.detail,
            "report": self.report,
        }


def settings(
    db_path: str | os.PathLike[str],
    *,
    user: str | None = None,
    identity: str | None = None,
    known_hosts_file: str | None = None,
    timeout: float | None = None,
    command_timeout: float | None = None,
) -> Any:
    """SSH settings: arguments first, then `TRACKER_SSH_USER`, `TRACKER_SSH_IDENTITY` and
    `TRACKER_KNOWN_HOSTS`, then the defaults (user `kioskcheck`, ssh-agent, `<db>.known_hosts`)."""
    from tracker.fleet import known_hosts
    from tracker.fleet.ssh import SSHSettings

    extra = {}
    if timeout is not None:
        extra["timeout"] = timeout
    if command_timeout is not None:
        extra["command_timeout"] = command_timeout
    return SSHSettings(
        user=user or os.environ.get("TRACKER_SSH_USER") or DEFAULT_USER,
        identity=identity or os.environ.get("TRACKER_SSH_IDENTITY") or None,
        known_hosts=Path(known_hosts_file)
        if known_hosts_file
        else known_hosts.default_path(db_path),
        **extra,
    )


# --- which kiosks -----------------------------------------------------------------------------


def split_hostname(value: str) -> tuple[str, int]:
    """`host`, `host:port` or `[address]:port` as (host, port); ValueError if malformed."""
    value = value.strip()
    if value.startswith("["):
        host, sep, port = value[1:].partition("]:")
        if not sep:
            raise ValueError(f"hostname {value!r} is not [address]:port")
    elif value.count(":") == 1:
        host, port = value.split(":")
    else:
        host, port = value, "22"
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"hostname {value!r} is not host or host:port")
    return host, int(port)


def kiosks(db: Database, plan: Plan, tags: Sequence[str] = ()) -> list[Kiosk]:
    """The kiosks named by `tags` (any step), or every kiosk in `CHECKED_STEPS` with a hostname.

    Raises FleetError naming every tag that is unknown, not a kiosk or has no hostname.
    """
    kinds = plan.kiosk_kinds()
    if not tags:
        found = [a for kind in sorted(kinds) for a in store.assets(db, kind=kind)]
        found = [a for a in found if a.hostname and a.step in CHECKED_STEPS]
    else:
        found, problems = [], []
        for tag in tags:
            asset = store.find_asset(db, tag)
            if asset is None:
                problems.append(f"{one_line(tag)}: no such asset")
            elif asset.kind not in kinds:
                problems.append(f"{asset.tag}: a {asset.kind}, not a kiosk kind")
            elif not asset.hostname:
                problems.append(f"{asset.tag}: no hostname in the inventory")
            elif asset not in found:
                found.append(asset)
        if problems:
            raise FleetError("; ".join(problems))
    out = []
    for a in sorted(found, key=lambda a: a.tag):
        try:
            host, port = split_hostname(a.hostname)
        except ValueError:
            host, port = "", 0
        out.append(Kiosk(a.tag, a.name, a.hostname, host, port, a.step))
    return out


# --- running ----------------------------------------------------------------------------------


def run_pool(
    items: Iterable[T],
    work: Callable[[T], R],
    fallback: Callable[[T, BaseException], R],
    parallel: int,
    on_result: Callable[[R], None] | None = None,
) -> list[R]:
    """`work` on every item in at most `parallel` daemon threads; results in completion order.

    `items` is consumed in a thread of its own, so it may block (`reach.reach` does).
    `on_result` runs in the calling thread (database writes belong there). Daemon threads, so a
    Ctrl-C returns at once instead of waiting for kiosks that are timing out.
    """
    todo: queue.Queue[Any] = queue.Queue(maxsize=2 * parallel)
    done: queue.SimpleQueue[Any] = queue.SimpleQueue()
    end = object()
    workers = max(1, parallel)
    feed_failed: list[BaseException] = []

    def produce() -> None:
        try:
            for item in items:
                todo.put(item)
        except BaseException as e:  # noqa: BLE001 - raised again in the caller's thread
            feed_failed.append(e)
        finally:
            for _ in range(workers):
                todo.put(end)

    def worker() -> None:
        try:
            while (item := todo.get()) is not end:
                try:
                    done.put(work(item))
                except BaseException as e:  # noqa: BLE001 - a result for every item
                    done.put(fallback(item, e))
        finally:
            done.put(end)

    threading.Thread(target=produce, name="kiosk-feed", daemon=True).start()
    for i in range(workers):
        threading.Thread(target=worker, name=f"kiosk-ssh-{i}", daemon=True).start()
    results: list[R] = []
    finished = 0
    while finished < workers:
        try:
            result = done.get(timeout=0.5)
        except queue.Empty:
            continue
        if result is end:
            finished += 1
            continue
        results.append(result)
        if on_result is not None:
            on_result(result)
    if feed_failed:
        # A failure while finding the kiosks is an error, never "no kiosks to check".
        raise FleetError(f"kiosk checks failed: {feed_failed[0]!r}") from feed_failed[0]
    return results


def check_one(
    kiosk: Kiosk, ssh: Any, pinned: list[Any], pkey: Any, reached: Any = None
) -> KioskResult:
    """Run the agent on one kiosk over its own SSH connection.

    `reached`: the socket `reach` connected, or its SSHFailure; None to connect here."""
    from tracker.fleet.ssh import SSHFailure, connect, run

    started, at = time.monotonic(), store.now()
    report = None
    if not kiosk.port:
        verdict, detail = "unreachable", f"hostname {clean(kiosk.hostname, 80)!r} is malformed"
    elif isinstance(reached, SSHFailure):
        verdict, detail = reached.verdict, clean(reached.detail)
    else:
        try:
            client = connect(kiosk.host, kiosk.port, ssh, pinned, pkey, reached)
            try:
                out = run(client, CHECK_COMMAND, ssh.command_timeout, ssh.max_output)
            finally:
                client.close()
            verdict, detail, report = interpret(out, ssh.max_output)
        except SSHFailure as e:
            verdict, detail = e.verdict, clean(e.detail)
    ms = int((time.monotonic() - started) * 1000)
    return KioskResult(kiosk.tag, kiosk.hostname, verdict, at, detail, report, ms)


def run_checks(
    targets: Sequence[Kiosk],
    ssh: Any,
    *,
    parallel: int = DEFAULT_PARALLEL,
    on_result: Callable[[KioskResult], None] | None = None,
) -> list[KioskResult]:
    """Check `targets` in parallel (no database); results sorted by tag."""
    from tracker.fleet import known_hosts
    from tracker.fleet.reach import reach
    from tracker.fleet.ssh import load_identity

    pkey = load_identity(ssh.identity)
    keys = known_hosts.load(ssh.known_hosts)
    pins = {
        k.tag: known_hosts.pinned(keys, known_hosts.entry_name(k.host, k.port)) for k in targets
    }

    def failed(item: tuple[Kiosk, Any], e: BaseException) -> KioskResult:
        k = item[0]
        return KioskResult(k.tag, k.hostname, "unreachable", store.now(), clean(f"error: {e!r}"))

    def work(item: tuple[Kiosk, Any]) -> KioskResult:
        return check_one(item[0], ssh, pins[item[0].tag], pkey, item[1])

    # Connect and wait for banners in one thread for up to `window` kiosks at once, so dead
    # kiosks time out together instead of each holding a worker (tracker/fleet/reach.py).
    by_tag = {k.tag: k for k in targets}
    window = max(64, 4 * parallel)
    reached = reach(((k.tag, k.host, k.port) for k in targets if k.port), ssh.timeout, window)
    items = itertools.chain(
        ((k, None) for k in targets if not k.port), ((by_tag[t], r) for t, r in reached)
    )
    return sorted(run_pool(items, work, failed, parallel, on_result), key=lambda r: r.tag)


def record(db: Database, result: KioskResult) -> None:
    """Store one result in the history and as the kiosk's latest (readiness reads that)."""
    store.record_kiosk_result(
        db,
        tag=result.tag,
        host=result.host,
        verdict=result.verdict,
        detail=result.detail,
        report=json.dumps(result.report, ensure_ascii=False) if result.report else None,
        checked_at=result.checked_at,
    )


def check_kiosks(
    db_path: str | os.PathLike[str],
    plan: Plan,
    tags: Iterable[str] | None = None,
    ssh: Any = None,
    *,
    parallel: int = DEFAULT_PARALLEL,
    on_result: Callable[[KioskResult], None] | None = None,
) -> list[KioskResult]:
    """Check kiosks and store every result, with a connection of its own: for a worker thread
    (the terminal app's) as much as for the CLI. Raises FleetError for bad tags or key."""
    from tracker.fleet.ssh import KeyError_

    ssh = ssh or settings(db_path)
    db = store.open_db(db_path, create=False)
    try:
        targets = kiosks(db, plan, list(tags or ()))

        def stored(result: KioskResult) -> None:
            record(db, result)
            if on_result is not None:
                on_result(result)

        try:
            return run_checks(targets, ssh, parallel=parallel, on_result=stored)
        except KeyError_ as e:
            raise FleetError(str(e)) from e
    finally:
        db.close()


def exit_code(results: Iterable[KioskResult]) -> int:
    """0 all ok, 1 any warn, 2 any crit/unreachable/hostkey/invalid, else 3 if any unknown."""
    verdicts = {r.verdict for r in results}
    if verdicts & set(FAILING):
        return 2
    if "unknown" in verdicts:
        return 3
    return 1 if "warn" in verdicts else 0


@dataclass
class Counts:
    by_verdict: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, results: Iterable[KioskResult]) -> Counts:
        c: dict[str, int] = {}
        for r in results:
            c[r.verdict] = c.get(r.verdict, 0) + 1
        return cls({v: c[v] for v in VERDICTS if v in c})

    def __str__(self) -> str:
        return ", ".join(f"{n} {v}" for v, n in self.by_verdict.items()) or "no kiosks"
