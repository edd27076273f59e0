"""Stored times (UTC ISO 8601 text, see `store.now`) as people read them: one place for the
CLI, the app and the report, so "5 min ago" means the same everywhere."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_time(at: str | None) -> datetime | None:
    """A stored time, or None when it is missing or unreadable (naive times are UTC)."""
    if not at:
        return None
    try:
        parsed = datetime.fromisoformat(at)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def local_time(
    at: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M:%S", missing: str = "—"
) -> str:
    """`at` in this machine's local time."""
    parsed = at if isinstance(at, datetime) else parse_time(at)
    return parsed.astimezone().strftime(fmt) if parsed else missing


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
