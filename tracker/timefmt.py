"""Stored times (UTC ISO 8601 text, see `store.now`) as people read them: one place for the
CLI, the app, the report and the labels, so a time reads the same everywhere.

Human-facing times are local, in one format: ``2026-12-01 20:41`` (ISO date order, 24-hour
clock), never ``12-01``, which a Dane reads as 12 January. The zone is ``TZ`` when set, else
the system's zone, else Europe/Copenhagen: a machine whose zone was never chosen (no
/etc/localtime, or Debian's default Etc/UTC) is assumed to stand in the municipality, and
``TZ=UTC`` still gives UTC on purpose. JSON and CSV keep ISO 8601 with the offset (`iso`).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Europe/Copenhagen"
HUMAN_FORMAT = "%Y-%m-%d %H:%M"
CLOCK_FORMAT = "%H:%M:%S"
_UNSET_SYSTEM_ZONES = ("UTC", "Etc/UTC", "Etc/Universal", "Universal", "Zulu", "Etc/Zulu")


def _system_zone_name() -> str | None:
    """The zone /etc/localtime points at ('' when it is a file we cannot name)."""
    link = Path("/etc/localtime")
    if not link.exists():
        return None
    try:
        target = str(link.resolve())
    except OSError:
        return ""
    marker = "/zoneinfo/"
    return target.split(marker, 1)[1] if marker in target else ""


def zone() -> tzinfo | None:
    """The zone human-facing times are shown in (None: the C library's local zone)."""
    tz = os.environ.get("TZ", "").strip()
    if tz:
        try:
            return ZoneInfo(tz.lstrip(":"))
        except (ZoneInfoNotFoundError, ValueError):
            return None  # a POSIX TZ string such as CET-1CEST: the C library understands it
    system = _system_zone_name()
    if system is None or system in _UNSET_SYSTEM_ZONES:
        try:
            return ZoneInfo(DEFAULT_ZONE)
        except ZoneInfoNotFoundError:  # no tz database on this machine: UTC, said plainly
            return UTC
    return None


def parse_time(at: str | None) -> datetime | None:
    """A stored time, or None when it is missing or unreadable (naive times are UTC)."""
    if not at:
        return None
    try:
        parsed = datetime.fromisoformat(at)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def to_local(at: datetime) -> datetime:
    """`at` in the zone people read (see `zone`)."""
    return at.astimezone(zone())


def local_time(at: datetime | str | None, fmt: str = HUMAN_FORMAT, missing: str = "—") -> str:
    """`at` as local time, by default ``2026-12-01 20:41``."""
    parsed = at if isinstance(at, datetime) else parse_time(at)
    return to_local(parsed).strftime(fmt) if parsed else missing


def clock(at: datetime | str | None, missing: str = "") -> str:
    """Just the local clock time, ``20:41:07``: for log lines of the same session."""
    return local_time(at, CLOCK_FORMAT, missing)


def iso(at: datetime | str | None) -> str | None:
    """ISO 8601 with the UTC offset, for JSON and CSV (stored times already are)."""
    parsed = at if isinstance(at, datetime) else parse_time(at)
    return parsed.isoformat(timespec="milliseconds") if parsed else None


def age(at: str | None, now: datetime, missing: str = "—") -> str:
    """How long ago `at` was, in words read at a glance."""
    then = parse_time(at)
    if then is None:
        return missing
    secs = int((now - then).total_seconds())
    if secs < 0:
        return "in the future (clock skew?)"
    if secs < 10:
        return "just now"
    if secs < 60:
        return f"{secs} s ago"
    mins = secs // 60
    if mins < 60:
        return f"{mins} min ago"
    hours, mins = divmod(mins, 60)
    if hours < 48:
        return f"{hours} h {mins} min ago"
    return f"{hours // 24} days ago"
