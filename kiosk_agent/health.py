"""Health checks: free disk, uptime, clock skew and the kiosk's required processes."""

from __future__ import annotations

import shutil
import time

from kiosk_agent.config import Config
from kiosk_agent.model import Finding, Status
from kiosk_agent.os_common import current, require_psutil
from kiosk_agent.probes import HttpAnswer


def disk(cfg: Config) -> Finding:
    """Enough free space for the browser profile, updates and logs."""
    path = cfg.disk_path or current().default_disk_path()
    try:
        free_mb = shutil.disk_usage(path).free // (1024 * 1024)
    except OSError as exc:
        key = "health.disk_path " if cfg.disk_path else ""
        return Finding(Status.UNKNOWN, f"{key}{path!r}: cannot read free space: {exc.strerror}")
    text = f"{free_mb} MB free on {path} (minimum {cfg.min_free_disk_mb} MB)"
    if free_mb < cfg.min_free_disk_mb / 10:
        return Finding(Status.CRIT, text)
    if free_mb < cfg.min_free_disk_mb:
        return Finding(Status.WARN, text)
    return Finding(Status.OK, text)


def uptime(cfg: Config) -> Finding:
    """Kiosks are meant to restart regularly; a long uptime means the nightly reboot failed."""
    psutil = require_psutil()
    days = (time.time() - psutil.boot_time()) / 86400
    text = f"up {days:.1f} days"
    if cfg.max_uptime_days and days > cfg.max_uptime_days:
        return Finding(Status.WARN, f"{text} (more than {cfg.max_uptime_days:g})")
    return Finding(Status.OK, text)


def clock_skew(cfg: Config, answers: list[HttpAnswer]) -> Finding:
    """Compare the clock with the connectivity check's HTTP Date (TLS and logins need it)."""
    dated = [a for a in answers if a.date is not None]
    if not dated:
        return Finding(Status.UNKNOWN, "no HTTP Date from a connectivity check to compare with")
    answer = dated[0]
    skew = (answer.sent_at + answer.received_at) / 2 - answer.date
    # Date has one-second resolution, so anything within a second is no skew at all.
    text = f"clock is {abs(skew):.1f} s {'ahead' if skew > 0 else 'behind'} of the HTTP Date"
    if abs(skew) > max(cfg.max_clock_skew_s, 1.0):
        return Finding(Status.WARN, f"{text} (more than {cfg.max_clock_skew_s:g} s)")
    return Finding(Status.OK, text)


def process(name: str) -> Finding:
    """A required program (e.g. the kiosk browser) is running."""
    psutil = require_psutil()
    want = name.lower().removesuffix(".exe")
    for proc in psutil.process_iter(["name", "cmdline"]):
        pname = (proc.info.get("name") or "").lower().removesuffix(".exe")
        argv0 = (proc.info.get("cmdline") or [""])[0].replace("\\", "/").rsplit("/", 1)[-1]
        if want in (pname, argv0.lower().removesuffix(".exe")):
            return Finding(Status.OK, f"running (pid {proc.pid})")
    return Finding(Status.CRIT, "not running")
