"""Run every configured check concurrently and apply the preconditions.

Probes wait on the network, so each runs in its own daemon thread: the whole check takes
about one probe timeout, and a probe stuck in the resolver cannot keep the process alive.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

from kiosk_agent import __version__, health, internet, isolation, segmentation, staff
from kiosk_agent.config import Config
from kiosk_agent.model import (
    HEALTH,
    INTERNET,
    ISOLATION,
    STAFF,
    CheckResult,
    Finding,
    Status,
    worst,
)
from kiosk_agent.os_common import PsutilMissing
from kiosk_agent.probes import HttpAnswer

GRACE_S = 0.6
"""Time beyond the probe timeout before a probe that has not answered is ``unknown``."""


@dataclass
class Report:
    """One run of the agent: what the outputs render."""

    host: str
    started_at: str
    duration_ms: int
    checks: list[CheckResult] = field(default_factory=list)
    agent_version: str = __version__
    profile: str = "kiosk"

    @property
    def verdict(self) -> Status:
        """The worst status of all checks (crit > warn > unknown > ok)."""
        return worst(c.status for c in self.checks)

    def as_dict(self) -> dict[str, object]:
        """The JSON document the tracker's fleet code parses."""
        return {
            "agent_version": self.agent_version,
            "profile": self.profile,
            "host": self.host,
            "started_at": self.started_at,
            "duration_ms": self.duration_ms,
            "verdict": self.verdict.label,
            "checks": [c.as_dict() for c in self.checks],
        }


Job = tuple[str, str, Callable[[], Finding]]


def plan(cfg: Config, answers: list[HttpAnswer]) -> list[Job]:
    """The checks this configuration asks for; an empty list skips its checks."""
    jobs: list[Job] = [
        ("link", INTERNET, internet.link),
        ("default_route", INTERNET, internet.default_route),
    ]
    jobs += [(f"connectivity:{c.url}", INTERNET, partial(internet.connectivity, c, cfg, answers))
             for c in cfg.check_urls]  # fmt: skip
    jobs += [(f"dns:{n}", INTERNET, partial(internet.dns, n, cfg)) for n in cfg.resolve]
    jobs += [(f"https:{u}", INTERNET, partial(internet.https, u, cfg)) for u in cfg.https]
    jobs += staff_jobs(cfg) if cfg.profile == "staff" else isolation_jobs(cfg)
    jobs.append(("disk", HEALTH, partial(health.disk, cfg)))
    jobs.append(("uptime", HEALTH, partial(health.uptime, cfg)))
    jobs += [(f"process:{p}", HEALTH, partial(health.process, p)) for p in cfg.processes]
    return jobs


def isolation_jobs(cfg: Config) -> list[Job]:
    """The kiosk profile: every way into the municipal network must be closed."""
    jobs: list[Job] = [(f"target:{e}", ISOLATION, partial(isolation.target, e, cfg))
                       for e in cfg.targets]  # fmt: skip
    jobs += [(f"udp:{t}", ISOLATION, partial(segmentation.udp_target, t, cfg))
             for t in cfg.udp_targets]  # fmt: skip
    if cfg.icmp_echo:
        jobs += [(f"icmp:{a}", ISOLATION, partial(segmentation.icmp_target, a, cfg))
                 for a in cfg.internal_addresses()]  # fmt: skip
    jobs += [(f"canary:{e}", ISOLATION, partial(isolation.canary, e, cfg)) for e in cfg.canaries]
    jobs += [(f"name:{n}", ISOLATION, partial(isolation.internal_name, n, cfg))
             for n in cfg.internal_names]  # fmt: skip
    if cfg.internal_cidrs:
        jobs += [
            ("interfaces", ISOLATION, partial(isolation.interfaces, cfg)),
            ("routes", ISOLATION, partial(isolation.routes, cfg)),
            ("connections", ISOLATION, partial(isolation.connections, cfg)),
            ("proxy", ISOLATION, partial(isolation.proxy, cfg)),
            ("ipv6", ISOLATION, partial(segmentation.ipv6, cfg)),
        ]
    jobs.append(("vpn_adapters", ISOLATION, isolation.vpn_adapters))
    if not cfg.proves_isolation():
        jobs.append(("isolation:configured", ISOLATION, isolation.nothing_configured))
    return jobs


def staff_jobs(cfg: Config) -> list[Job]:
    """The staff profile: the VPN is up and the internal targets answer through it."""
    jobs: list[Job] = [("vpn", STAFF, partial(staff.vpn, cfg))]
    jobs += [(f"internal:{e}", STAFF, partial(staff.internal_tcp, e, cfg)) for e in cfg.targets]
    jobs += [(f"internal-udp:{t}", STAFF, partial(staff.internal_udp, t, cfg))
             for t in cfg.udp_targets]  # fmt: skip
    jobs += [(f"internal-name:{n}", STAFF, partial(staff.internal_name, n, cfg))
             for n in cfg.internal_names]  # fmt: skip
    return jobs


def _guarded(fn: Callable[[], Finding]) -> Finding:
    """Fail closed: an error the probe cannot interpret is ``unknown``, never ``ok``."""
    try:
        return fn()
    except PsutilMissing as exc:
        return Finding(Status.UNKNOWN, str(exc))
    except Exception as exc:  # noqa: BLE001 - any surprise must become "unknown"
        if isinstance(exc, PermissionError) or type(exc).__name__ == "AccessDenied":
            return Finding(Status.UNKNOWN, f"not allowed to look without admin rights: {exc}")
        return Finding(Status.UNKNOWN, f"probe failed: {type(exc).__name__}: {exc}")


def run_checks(cfg: Config) -> Report:
    """Run all checks at once, wait at most timeout + grace, then apply preconditions."""
    started = datetime.now(UTC)
    t0 = time.monotonic()
    answers: list[HttpAnswer] = []
    jobs = plan(cfg, answers)
    done: dict[int, tuple[Finding, float]] = {}
    lock = threading.Lock()

    def work(index: int, fn: Callable[[], Finding]) -> None:
        begin = time.monotonic()
        finding = _guarded(fn)
        with lock:
            done[index] = (finding, time.monotonic() - begin)

    threads = [
        threading.Thread(target=work, args=(i, fn), daemon=True, name=name)
        for i, (name, _cat, fn) in enumerate(jobs)
    ]
    for thread in threads:
        thread.start()
    deadline = t0 + cfg.timeout + GRACE_S
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    results: list[CheckResult] = []
    with lock:
        for i, (name, category, _fn) in enumerate(jobs):
            finding, took = done.get(
                i,
                (Finding(Status.UNKNOWN, f"no result within {cfg.timeout + GRACE_S:g} s"), 0.0),
            )
            results.append(
                CheckResult(
                    name,
                    category,
                    finding.status,
                    finding.detail,
                    round(took * 1000),
                    finding.blocked,
                )  # fmt: skip
            )
        snapshot = list(answers)
    summary = internet.connection(results)
    if summary:
        results.append(CheckResult("connection", INTERNET, summary.status, summary.detail))
    if cfg.check_urls:
        begin = time.monotonic()
        skew = _guarded(partial(health.clock_skew, cfg, snapshot))
        took = round((time.monotonic() - begin) * 1000)
        results.append(CheckResult("clock_skew", HEALTH, skew.status, skew.detail, took))
    apply_preconditions(results)
    return Report(
        host=socket.gethostname(),
        started_at=started.isoformat(timespec="seconds").replace("+00:00", "Z"),
        duration_ms=round((time.monotonic() - t0) * 1000),
        checks=results,
        profile=cfg.profile,
    )


def apply_preconditions(results: list[CheckResult]) -> None:
    """Without a route, or with a canary that connects, "nothing answered" proves nothing:
    turn those ``ok`` results into ``unknown`` and say why."""
    reasons = []
    for r in results:
        if r.name == "default_route" and r.status is not Status.OK:
            reasons.append("no usable default route")
        elif r.name == "link" and r.status is Status.CRIT:
            reasons.append("no link up")
        elif r.name.startswith("canary:") and r.detail.startswith("connected"):
            reasons.append(f"{r.name} connected (an interceptor answers)")
    if not reasons:
        return
    for r in results:
        if r.blocked and r.status is Status.OK:
            r.status = Status.UNKNOWN
            r.detail += f"; proves nothing: {', '.join(reasons)}"
