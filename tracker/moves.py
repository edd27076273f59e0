"""Scenario moves: starting a scenario builds a manifest, ending it plans the way home.

The manifest is chosen by kind and count from the plan, not by fixed tags: at start the tracker
assigns working assets of the kind (preferring those at the move's origin), and at scan time any
other working asset of the same kind can take the place of one that has not been touched yet.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from tracker import store
from tracker.plan import Plan, Scenario

WORKING_STEPS = ("in_service", "installed")


class MoveError(ValueError):
    """A scenario cannot be started or ended now; the message says why."""


@dataclass(frozen=True)
class ActiveMove:
    id: int
    scenario: str
    status: str
    started_at: str
    ended_at: str | None


def current_move(db: Database) -> ActiveMove | None:
    """The move being worked on: the active one, else one still returning home."""
    row = db.execute(
        "SELECT id, scenario, status, started_at, ended_at FROM moves"
        " WHERE status IN ('active', 'returning')"
        " ORDER BY status = 'active' DESC, id DESC LIMIT 1"
    ).fetchone()
    return ActiveMove(*row) if row else None


def active_scenario(db: Database, plan: Plan) -> Scenario | None:
    """The scenario whose functions are in force (None while returning or in normal operation)."""
    move = current_move(db)
    if move is None or move.status != "active":
        return None
    return plan.scenarios.get(move.scenario)


def start(db: Database, plan: Plan, scenario_id: str, operator: str = "") -> ActiveMove:
    """Start a scenario: record the move and choose its manifest, in one transaction."""
    scenario = plan.scenarios.get(scenario_id)
    if scenario is None:
        known = ", ".join(plan.scenarios)
        raise MoveError(f"unknown scenario {scenario_id!r} (known: {known})")
    with store.write(db):
        move = current_move(db)
        if move is not None and move.status == "active":
            raise MoveError(
                f"scenario {move.scenario!r} is active since {move.started_at}: end it first"
            )
        at = store.now()
        move_id = db.execute(
            "INSERT INTO moves (scenario, status, started_at, started_by)"
            " VALUES (?, 'active', ?, ?)",
            [scenario.id, at, operator],
        ).lastrowid
        taken: set[str] = set()
        for line in scenario.moves:
            picked = _pick(db, line.kind, line.origin, line.to, line.count, taken)
            taken.update(picked)
            picked += [None] * (line.count - len(picked))
            db.conn.executemany(
                "INSERT INTO manifest (move_id, leg, kind, tag, origin, dest)"
                " VALUES (?, 'out', ?, ?, ?, ?)",
                [(move_id, line.kind, tag, line.origin or "", line.to) for tag in picked],
            )
    return ActiveMove(move_id, scenario.id, "active", at, None)


def _pick(
    db: Database, kind: str, origin: str | None, dest: str, count: int, taken: set[str]
) -> list[str | None]:
    """Working assets of `kind` not already at `dest`, those at `origin` first."""
    rows = db.execute(
        "SELECT tag FROM assets WHERE kind = ? AND step IN ('in_service', 'installed')"
        " AND site != ? ORDER BY site = ? DESC, tag",
        [kind, dest, origin or ""],
    ).fetchall()
    return [tag for (tag,) in rows if tag not in taken][:count]


def end(db: Database, operator: str = "") -> ActiveMove:
    """End the active scenario: every asset it moved gets a return line back to its home site."""
    with store.write(db):
        move = current_move(db)
        if move is None or move.status != "active":
            raise MoveError("no scenario is active")
        at = store.now()
        db.execute(
            "INSERT INTO manifest (move_id, leg, kind, tag, origin, dest)"
            " SELECT m.move_id, 'return', m.kind, m.tag, a.site, a.home_site"
            " FROM manifest m JOIN assets a ON a.tag = m.tag"
            " WHERE m.move_id = ? AND m.leg = 'out' AND a.site != a.home_site",
            [move.id],
        )
        left = db.execute(
            "SELECT count(*) FROM manifest WHERE move_id = ? AND leg = 'return'", [move.id]
        ).fetchone()[0]
        status = "returning" if left else "closed"
        db.execute(
            "UPDATE moves SET status = ?, ended_at = ?, ended_by = ? WHERE id = ?",
            [status, at, operator, move.id],
        )
    return ActiveMove(move.id, move.scenario, status, move.started_at, at)


@dataclass(frozen=True)
class ManifestItem:
    kind: str
    tag: str | None
    name: str | None
    origin: str
    dest: str
    site: str | None
    step: str | None
    state: str
    """at_origin | packed | arrived | installed | missing (faulty, lost, or never assigned)."""


PROGRESS_STATES = ("at_origin", "packed", "arrived", "installed", "missing")


def manifest(db: Database, move: ActiveMove | None = None) -> list[ManifestItem]:
    """The current leg's manifest with each line's progress."""
    move = move or current_move(db)
    if move is None:
        return []
    leg = "out" if move.status == "active" else "return"
    rows = db.execute(
        "SELECT m.kind, m.tag, a.name, m.origin, m.dest, a.site, a.step FROM manifest m"
        " LEFT JOIN assets a ON a.tag = m.tag WHERE m.move_id = ? AND m.leg = ?"
        " ORDER BY m.dest, m.kind, m.tag IS NULL, m.tag",
        [move.id, leg],
    ).fetchall()
    return [ManifestItem(*row, _state(row[4], row[5], row[6])) for row in rows]


def _state(dest: str, site: str | None, step: str | None) -> str:
    if step is None or step in ("faulty", "missing"):
        return "missing"
    if site == dest and step in ("installed", "in_service"):
        return "installed"
    if site == dest and step == "arrived":
        return "arrived"
    if step in ("packed", "arrived"):
        return "packed"  # on its way, or arrived somewhere else
    return "at_origin"


def progress(items: list[ManifestItem]) -> dict[str, int]:
    counts = dict.fromkeys(PROGRESS_STATES, 0)
    for item in items:
        counts[item.state] += 1
    return counts


def match_scan(
    db: Database, move: ActiveMove, asset: store.Asset, step: str, site: str
) -> tuple[str, str | None]:
    """Check a scan against the manifest; returns (flag, dest). Runs inside the scan's
    write transaction, so a substitution and the scan land together.

    - In the manifest: arrivals and installs anywhere but its destination are `wrong_site`.
    - Not in it: it takes the place of an untouched line of the same kind (and destination,
      for arrivals), so any working asset of the kind counts; otherwise `not_in_manifest`.
    """
    leg = "out" if move.status == "active" else "return"
    row = db.execute(
        "SELECT id, dest FROM manifest WHERE move_id = ? AND leg = ? AND tag = ?",
        [move.id, leg, asset.tag],
    ).fetchone()
    arriving = step in ("arrived", "installed")
    if row is not None:
        dest = row[1]
        if arriving and site != dest:
            return "wrong_site", dest
        if site == dest and leg == "return" and step in ("installed", "in_service"):
            _close_if_home(db, move, asset.tag)
        return "", dest
    if step not in ("packed", "arrived", "installed") or leg == "return":
        return "", None
    # A free line: unassigned, or its asset not scanned since the move started (a stocktake
    # sighting does not count: it moves nothing).
    params: list = [move.id, asset.kind, move.started_at]
    dest_clause = ""
    if arriving:
        dest_clause = " AND m.dest = ?"
        params.append(site)
    free = db.execute(
        "SELECT m.id, m.dest FROM manifest m LEFT JOIN assets a ON a.tag = m.tag"
        " WHERE m.move_id = ? AND m.leg = 'out' AND m.kind = ?"
        " AND (m.tag IS NULL OR (a.step IN ('in_service', 'installed')"
        " AND NOT EXISTS (SELECT 1 FROM events e WHERE e.tag = m.tag AND e.action = 'scan'"
        " AND e.undone_by IS NULL AND e.at >= ?)))"
        + dest_clause
        + " ORDER BY m.tag IS NULL DESC, m.id LIMIT 1",
        params,
    ).fetchone()
    if free is None:
        return "not_in_manifest", None
    db.execute("UPDATE manifest SET tag = ? WHERE id = ?", [asset.tag, free[0]])
    return "", free[1]


def _close_if_home(db: Database, move: ActiveMove, arriving_tag: str) -> None:
    """Close a returning move once the scan being written makes its last asset work at home
    (installed or in service: arrived is not the end, the auto step still installs it)."""
    left = db.execute(
        "SELECT count(*) FROM manifest m JOIN assets a ON a.tag = m.tag"
        " WHERE m.move_id = ? AND m.leg = 'return' AND m.tag != ?"
        " AND NOT (a.site = m.dest AND a.step IN ('installed', 'in_service'))",
        [move.id, arriving_tag],
    ).fetchone()[0]
    if left == 0:
        db.execute("UPDATE moves SET status = 'closed' WHERE id = ?", [move.id])
