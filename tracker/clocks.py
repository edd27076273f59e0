"""Comparing two stations' clocks before a merge (`tracker sync` orders events by time).

The other station's database is attached as schema `other`. See `problem` for what can be
detected without a shared time source, and docs/continuity.md.
"""

from __future__ import annotations

from datetime import datetime

from tracker import station
from tracker.database import Database

MAX_SKEW_S = 60.0


def _parse(at: str) -> datetime:
    return datetime.fromisoformat(at.replace("Z", "+00:00"))


def _seconds(later: str, earlier: str) -> float:
    return (_parse(later) - _parse(earlier)).total_seconds()


def _newest(db: Database, schema: str) -> str | None:
    """The newest time stamp a database wrote, by its own clock."""
    row = db.execute(
        f"SELECT max(t) FROM (SELECT max(at) AS t FROM {schema}.events"
        f" UNION ALL SELECT max(at) FROM {schema}.unknown_scans"
        f" UNION ALL SELECT max(checked_at) FROM {schema}.kiosk_checks"
        f" UNION ALL SELECT max(started_at) FROM {schema}.moves)"
    ).fetchone()
    return row[0]


def kiosk_offset(db: Database, schema: str = "main") -> float | None:
    """How far this station's clock is ahead of the kiosks it checked (median, seconds).

    A kiosk check stores both clocks: the agent's start time (the kiosk's clock) and when the
    tracker recorded the result (the station's). None without recent checks with a report.
    """
    rows = db.execute(
        f"SELECT checked_at, json_extract(report, '$.started_at'),"
        f" json_extract(report, '$.duration_ms') FROM {schema}.kiosk_checks"
        " WHERE report IS NOT NULL AND json_valid(report) ORDER BY id DESC LIMIT 50"
    ).fetchall()
    offsets = []
    for checked_at, started_at, duration_ms in rows:
        try:
            offsets.append(_seconds(checked_at, started_at) - (duration_ms or 0) / 1000)
        except (TypeError, ValueError):
            continue
    if not offsets:
        return None
    import statistics  # here: 8 ms to import (fractions, decimal), which every undo paid

    return statistics.median(offsets)


def _behind_by_order(db: Database, me: str, other: str) -> tuple[str, str] | None:
    """(our newest stamp the other record held, its first own stamp after it), if out of order.

    Row ids in the other database are its order of arrival: its own events with a higher id
    than every event of ours it holds (a copy of this file, or an earlier merge from here) were
    recorded after those, so their stamps cannot be earlier unless its clock is behind."""
    last_id, ours = db.execute(
        "SELECT max(id), max(at) FROM other.events WHERE gid > ? AND gid < ?",
        [f"{me}:", f"{me};"],
    ).fetchone()
    if last_id is None:
        return None
    theirs = db.execute(
        "SELECT min(at) FROM other.events WHERE id > ? AND gid > ? AND gid < ?",
        [last_id, f"{other}:", f"{other};"],
    ).fetchone()[0]
    if theirs is None or _seconds(ours, theirs) <= MAX_SKEW_S:
        return None
    return ours, theirs


def problem(db: Database, other: station.Station, now: str) -> str | None:
    """Why a station's clock disagrees with this one by more than `MAX_SKEW_S`, or None.

    Without a shared time source, three things are detectable: a clock AHEAD of this one (the
    other record holds a time stamp later than this clock's now); a clock BEHIND by more than
    the time between the other station receiving this one's events (a copy of this file, an
    earlier merge) and its next event (`_behind_by_order`); and a clock off either way when both
    stations checked kiosks (each kiosk check records the kiosk's clock beside the station's:
    see `kiosk_offset`). Any other clock that is behind is not detectable by a one-way merge;
    the other station finds it when it merges this one.
    """
    name = other.name or other.uuid
    newest = _newest(db, "other")
    if newest and _seconds(newest, now) > MAX_SKEW_S:
        ahead = _seconds(newest, now)
        return (
            f"the clock of station {name} is at least {ahead:.0f} s ahead of this one: its"
            f" record holds a time stamp of {newest}, this clock says {now}. Set the clocks"
            " right (more than a minute apart is refused), then sync again"
        )
    order = _behind_by_order(db, station.identity(db).uuid, other.uuid)
    if order:
        ours, theirs = order
        return (
            f"the clock of station {name} is at least {_seconds(ours, theirs):.0f} s behind this"
            f" one: it recorded an event at {theirs} after it held this station's event of"
            f" {ours}. Set the clocks right (more than a minute apart is refused), then sync"
            " again"
        )
    mine, theirs = kiosk_offset(db, "main"), kiosk_offset(db, "other")
    if mine is not None and theirs is not None and abs(theirs - mine) > MAX_SKEW_S:
        diff = theirs - mine
        return (
            f"the clock of station {name} is about {abs(diff):.0f} s"
            f" {'ahead of' if diff > 0 else 'behind'} this one, measured against the kiosks both"
            " checked. Set the clocks right (more than a minute apart is refused), then sync"
            " again"
        )
    return None
