"""The "auto" step: what a scan means, read from the active move's manifest and the asset.

At a loading bay nobody should have to think which step comes next. The manifest says where
each asset goes (origin → destination) and the asset's state says how far it got:
at its origin a working asset becomes `packed`; at its destination a packed (or not yet
scanned out) asset becomes `arrived`, an arrived one `installed`. The return leg works the
same towards home. When nothing can be inferred (no move, an asset the move does not take, a
site that is neither end of its line) the scan is refused and the user asked for a step:
a wrong guess would show equipment as ready that is not.

A keyboard-wedge scanner sometimes reads a label twice; a second read of the same asset at the
same station and site within `repeat_seconds()` is a repeat, never the next step.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tracker import moves, store
from tracker.database import Database
from tracker.plan import Plan

AUTO = "auto"
REPEAT_SECONDS = 5.0
"""A scanner's double read comes within a second; a person scanning the next step of the same
item at the same place needs longer than this to unpack or plug it in."""
WORKING = ("in_service", "installed")


def repeat_seconds() -> float:
    """The double-read window (TRACKER_REPEAT_SECONDS overrides, e.g. 0 for a drill)."""
    raw = os.environ.get("TRACKER_REPEAT_SECONDS", "").strip()
    try:
        value = float(raw) if raw else REPEAT_SECONDS
    except ValueError:
        return REPEAT_SECONDS
    return value if 0 <= value < 3600 else REPEAT_SECONDS


@dataclass(frozen=True)
class Inferred:
    """The step a scan applies, and why; `step` None means refused (see `reason`)."""

    step: str | None
    reason: str
    already: bool = False
    """The asset is at `step` at this site already: a repeat, nothing to record."""


def _name(plan: Plan, site: str) -> str:
    return plan.sites[site].name if site in plan.sites else site


def _line(plan: Plan, origin: str, dest: str) -> str:
    return f"manifest: {_name(plan, origin) if origin else 'anywhere'} → {_name(plan, dest)}"


def infer(db: Database, plan: Plan, asset: store.Asset, site: str) -> Inferred:
    """The step for `asset` scanned at `site` (runs inside the scan's write transaction)."""
    move = moves.current_move(db)
    here = _name(plan, site)
    if move is None:
        return Inferred(None, "no scenario is active, so there is no manifest to follow")
    leg = "out" if move.status == "active" else "return"
    row = db.execute(
        "SELECT origin, dest FROM manifest WHERE move_id = ? AND leg = ? AND tag = ?",
        [move.id, leg, asset.tag],
    ).fetchone()
    if row is None:
        return _not_in_manifest(db, plan, move, leg, asset, site)
    origin, dest = row
    why = _line(plan, origin, dest)
    if site == dest:
        if asset.site == site and asset.step in WORKING:
            return Inferred("installed", why, already=True)
        if asset.site == site and asset.step == "arrived":
            return Inferred("installed", why)
        if asset.step in ("packed", "arrived", *WORKING):
            return Inferred("arrived", why)
        return Inferred(None, f"{asset.tag} is {asset.step} ({why})")
    if site == origin or (not origin and asset.site == site):
        if asset.site == site and asset.step == "packed":
            return Inferred("packed", why, already=True)
        if asset.site == site and asset.step in WORKING:
            return Inferred("packed", why)
        if leg == "return" and asset.site == site and asset.step == "arrived":
            return Inferred("packed", why)  # arrived, never installed: it goes home as it is
        return Inferred(None, f"{asset.tag} is {asset.step} at {_name(plan, asset.site)} ({why})")
    return Inferred(None, f"{here} is neither the origin nor the destination ({why})")


def _not_in_manifest(
    db: Database, plan: Plan, move: moves.ActiveMove, leg: str, asset: store.Asset, site: str
) -> Inferred:
    """Any working asset of a kind can take an untouched place of that kind (see `moves`), but
    only by being packed where that place starts: everything else is refused."""
    what = "the way home" if leg == "return" else "this move"
    refused = Inferred(None, f"{asset.tag} is not in the manifest of {what}")
    if leg == "return" or asset.site != site or asset.step not in WORKING:
        return refused
    # The line the scan will be booked to (`moves.match_scan` takes the same one), if it
    # starts here: a line from elsewhere is refused, not guessed.
    free = moves.free_line(db, move, asset, "packed", site)
    if free is not None and free[1] not in (site, ""):
        free = None
    if free is None:
        return refused
    why = f"{_line(plan, free[1], free[2])}, in place of an untouched {asset.kind}"
    return Inferred("packed", why)


def recent_scan(db: Database, tag: str, station: str, site: str, seconds: float) -> int | None:
    """How many whole seconds ago this station last scanned `tag` at `site`, if within
    `seconds` and not undone; None otherwise."""
    if seconds <= 0:
        return None
    since = (datetime.now(UTC) - timedelta(seconds=seconds)).isoformat(timespec="milliseconds")
    # Through the asset's few events (events_tag): `+station` keeps SQLite off events_station,
    # which walked every scan this station ever made back to the first (0.2 s at 1,000,000).
    row = db.execute(
        "SELECT at FROM events WHERE tag = ? AND +station = ? AND +site = ? AND action = 'scan'"
        " AND undone_by IS NULL AND at >= ? ORDER BY id DESC LIMIT 1",
        [tag, station, site, since],
    ).fetchone()
    if row is None:
        return None
    then = datetime.fromisoformat(row[0])
    return max(0, int((datetime.now(UTC) - then).total_seconds()))
